"""How updates are processed: one chat's in the order they came, different chats' side by side.

python-telegram-bot processes one update at a time by default. A free-text question waits some
milliseconds for the sentence encoder's thread; meanwhile the event loop is idle, yet every other
delegate's update would wait behind it. Here a chat's updates keep their order (a delegate's
state — a comment being typed, a wizard's step — moves one step at a time), and other chats go
on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates in progress at once, all chats together.
MAX_CONCURRENT = 64


def _chat_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdates(BaseUpdateProcessor):
    """Updates of one chat one after another, in arrival order; different chats concurrently."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = _chat_of(update)
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        try:
            # asyncio.Lock wakes its waiters first come, first served: arrival order holds.
            async with lock:
                await coroutine
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:
                del self._waiting[chat]
                del self._locks[chat]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
