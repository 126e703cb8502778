"""How updates are processed: each chat's and each person's in the order they came, the others'
side by side.

python-telegram-bot processes one update at a time by default. A free-text question waits some
milliseconds for the sentence encoder's thread; meanwhile the event loop is idle, yet every other
delegate's update would wait behind it. Here an update waits only for the updates that came
before it from the same chat or the same person (a delegate's state — a comment being typed, a
wizard's step, their profile — moves one step at a time, as with one update at a time), and
at most MAX_CONCURRENT are handled at once.

Each update keeps its place in the inbox until handled (bot.receiving.InboxApplication), so a
restart handles again, in order, what a killed process had in hand.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Collection, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at once, all chats together.
MAX_CONCURRENT = 64
# The base class's own semaphore is taken before `do_process_update`: were it the bound, the
# updates waiting there for their chat's turn would hold the places, and one busy chat could
# fill them all. It is made too large to ever wait; the bound is taken once an update's turn
# has come.
_NOT_THE_BOUND = 1 << 30
# Updates of no chat and no person (none of ALLOWED_UPDATES is such): one after another.
_NOBODY = ("nobody",)


def waits_for(update: object) -> tuple[Hashable, ...]:
    """What an update takes its turn in: its chat's and its sender's sequences."""
    if not isinstance(update, Update):
        return (_NOBODY,)
    keys: list[Hashable] = []
    if update.effective_chat is not None:
        keys.append(("chat", update.effective_chat.id))
    if update.effective_user is not None:
        # A person's updates in a group and in their private chat share their profile.
        keys.append(("user", update.effective_user.id))
    return tuple(keys) or (_NOBODY,)


class PerChatUpdates(BaseUpdateProcessor):
    """Each update after those before it of its chat and its sender; others meanwhile, at most
    `max_concurrent_updates` at once."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be a positive integer")
        # The base class sizes its semaphore by `max_concurrent_updates`, read while it starts.
        self._most = _NOT_THE_BOUND
        super().__init__(_NOT_THE_BOUND)
        self._most = max_concurrent_updates
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._running = 0
        # The last update to come of each chat and person, done when it has been handled.
        self._last: dict[Hashable, asyncio.Future[None]] = {}

    @property
    def max_concurrent_updates(self) -> int:
        return self._most

    @property
    def current_concurrent_updates(self) -> int:
        return self._running

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Until the first await: python-telegram-bot starts the updates' tasks in the order the
        # updates were queued, so each one finds the one before it here.
        keys = waits_for(update)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        before = {self._last[key] for key in keys if key in self._last}
        for key in keys:
            self._last[key] = done
        started = False
        try:
            if before:
                # Not `await` on the futures themselves: a cancellation would cancel them.
                await asyncio.wait(before)
            async with self._slots:
                started = True
                self._running += 1
                try:
                    await coroutine
                finally:
                    self._running -= 1
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled before its turn (shutting down): never handled
            # Cancelled while waiting, those after it still wait for those before it.
            _when_done(before, lambda: self._finished(keys, done))

    def _finished(self, keys: tuple[Hashable, ...], done: asyncio.Future[None]) -> None:
        if not done.done():
            done.set_result(None)
        for key in keys:
            if self._last.get(key) is done:
                del self._last[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _when_done(futures: Collection[asyncio.Future[None]], then: Callable[[], None]) -> None:
    """Call `then` once every future is done (now, if they are)."""
    pending = [future for future in futures if not future.done()]
    if not pending:
        then()
        return
    remaining = len(pending)

    def one_done(_future: asyncio.Future[None]) -> None:
        nonlocal remaining
        remaining -= 1
        if not remaining:
            then()

    for future in pending:
        future.add_done_callback(one_done)
