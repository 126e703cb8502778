"""Updates of one chat in order, other chats meanwhile (bot/updates.py)."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.fakeapi import FakeBotApi
from bot.updates import PerChatUpdates


async def test_a_slow_update_holds_up_its_own_chat_only() -> None:
    api = FakeBotApi()
    application = (
        ApplicationBuilder()
        .token("1:updates-test")
        .request(api.request())
        .get_updates_request(api.request())
        .concurrent_updates(PerChatUpdates())
        .updater(None)
        .build()
    )
    release = asyncio.Event()
    done: list[tuple[int, str]] = []

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        assert update.message is not None
        text = update.message.text or ""
        if text == "slow":
            await release.wait()  # a question waiting for the encoder's thread
        done.append((update.effective_chat.id, text))

    application.add_handler(MessageHandler(filters.TEXT, handle))
    async with application:
        await application.start()
        for chat, text in ((1, "slow"), (1, "after"), (2, "other"), (3, "another")):
            data = api.make_message(chat, text)
            await application.update_queue.put(Update.de_json(data, application.bot))
        for _ in range(100):
            if len(done) == 2:
                break
            await asyncio.sleep(0.01)
        # Chats 2 and 3 did not wait for chat 1; chat 1's second message did.
        assert done == [(2, "other"), (3, "another")]
        release.set()
        for _ in range(100):
            if len(done) == 4:
                break
            await asyncio.sleep(0.01)
        await application.stop()
    assert done[2:] == [(1, "slow"), (1, "after")]
