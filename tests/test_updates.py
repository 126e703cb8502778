"""Each chat's and each person's updates in order, the others' meanwhile (bot/updates.py).

The bot: while one delegate's question waits for the sentence encoder, another delegate's /now
is answered, and the first delegate's next message waits for their question's answer; an update
leaves the inbox only once handled. The processor: a person's updates in a group and in their
private chat keep their order; at most so many are handled at once, and those waiting for their
chat's turn take no place meanwhile; an update cancelled while waiting for its turn keeps those
after it waiting; updates of no chat and no person are handled, one after another.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from telegram import Update

from bot.clock import ManualClock
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.receiving import receive
from bot.services.encoder import Vectors
from bot.services.understanding import Understanding
from bot.updates import PerChatUpdates
from tests.conftest import build_harness, joined, make_config, started

QUESTION = "What is the Wi-Fi password?"


class HeldEncoder:
    """An encoder whose questions can be held, as a busy encoder thread holds them."""

    name = "held-encoder/1"

    def __init__(self) -> None:
        self.holding = False
        self.held = threading.Event()  # a question is being held
        self.release = threading.Event()

    def queries(self, texts: Sequence[str]) -> Vectors:
        if self.holding:
            self.held.set()
            self.release.wait(30)
        return self.passages(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        rows = np.zeros((len(texts), 8), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            row[len(text) % 8] = 1.0
        return rows


async def replied(api: FakeBotApi, user: int, count: int) -> None:
    """Until `user` has `count` messages from the bot (the test fails after 10 s)."""
    arrived = asyncio.Event()

    def seen(message: FakeMessage, event: str) -> None:
        if len(api.bot_messages(user)) >= count:
            arrived.set()

    api.on_bot_message.append(seen)
    try:
        if len(api.bot_messages(user)) < count:
            await asyncio.wait_for(arrived.wait(), 10)
    finally:
        api.on_bot_message.remove(seen)


async def test_a_question_waiting_for_the_encoder_holds_up_its_own_chat_only(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The question is held as long as the test needs, not given up after a quarter second.
    monkeypatch.setitem(Understanding.__init__.__kwdefaults__, "question_wait", 30.0)
    encoder = HeldEncoder()
    harness = build_harness(make_config(tmp_path), clock, encoder=lambda: encoder)
    async with started(harness):
        api, app, services = harness.api, harness.app, harness.services
        amina = await joined(harness, user_id=1001)
        bruno = await joined(harness, user_id=1002)
        await services.understanding.settled()  # the indexes built: questions are encoded
        before = {amina.user_id: len(amina.messages), bruno.user_id: len(bruno.messages)}
        encoder.holding = True
        try:
            # As long polling and the webhook hand them over: stored in the inbox, then queued.
            await receive(
                app,
                [
                    api.make_message(amina.user_id, QUESTION),
                    api.make_message(amina.user_id, "/now"),
                    api.make_message(bruno.user_id, "/now"),
                ],
            )
            await asyncio.to_thread(encoder.held.wait, 10)
            await replied(api, bruno.user_id, before[bruno.user_id] + 1)
            # Bruno is answered while Amina's question waits for the encoder; her /now waits
            # for it too, and both stay in the inbox until answered.
            assert len(amina.messages) == before[amina.user_id]
            assert await services.inbox.count() == 2
        finally:
            encoder.release.set()
        await replied(api, amina.user_id, before[amina.user_id] + 2)
        # In the order she sent them: the question's answer, then what is on now.
        answer, now = (m.plain_text() for m in amina.messages[before[amina.user_id] :])
        assert now == bruno.messages[-1].plain_text()
        assert answer != now
        assert await services.inbox.count() == 0


# --- The processor alone ---------------------------------------------------------------------


def message(api: FakeBotApi, user: int, text: str, chat: int | None = None) -> Update:
    kind = "private" if chat is None else "group"
    return Update.de_json(api.make_message(user, text, chat_id=chat, chat_type=kind), None)


class Handling:
    """Handlers that record when they start and end, and end when the test lets them."""

    def __init__(self, processor: PerChatUpdates) -> None:
        self.processor = processor
        self.started: list[str] = []
        self.ended: list[str] = []
        self._gates: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def arrive(self, name: str, update: object) -> None:
        """The update comes in (python-telegram-bot starts a task for each, in order)."""
        self._gates[name] = asyncio.Event()
        self.tasks[name] = asyncio.create_task(
            self.processor.process_update(update, self._handle(name))
        )

    async def _handle(self, name: str) -> None:
        self.started.append(name)
        await self._gates[name].wait()
        self.ended.append(name)

    async def settle(self) -> None:
        """Let every update that can start, start."""
        for _ in range(10):
            await asyncio.sleep(0)

    async def finish(self, name: str) -> None:
        self._gates[name].set()
        await self.tasks[name]
        await self.settle()


async def test_one_chat_in_order_other_chats_meanwhile() -> None:
    api = FakeBotApi()
    handling = Handling(PerChatUpdates())
    handling.arrive("a1", message(api, 1, "slow question"))
    handling.arrive("a2", message(api, 1, "/now"))
    handling.arrive("b1", message(api, 2, "/now"))
    await handling.settle()
    assert handling.started == ["a1", "b1"]
    await handling.finish("b1")
    assert handling.started == ["a1", "b1"]
    await handling.finish("a1")
    assert handling.started == ["a1", "b1", "a2"]
    await handling.finish("a2")
    assert handling.ended == ["b1", "a1", "a2"]


async def test_one_person_in_a_group_and_in_private_in_order() -> None:
    api = FakeBotApi()
    handling = Handling(PerChatUpdates())
    handling.arrive("group", message(api, 7, "/agenda", chat=-100))
    handling.arrive("private", message(api, 7, "/start"))
    handling.arrive("other", message(api, 8, "/agenda", chat=-100))
    await handling.settle()
    assert handling.started == ["group"]  # the group's next waits too: it is the same chat
    await handling.finish("group")
    assert handling.started == ["group", "private", "other"]
    await handling.finish("private")
    await handling.finish("other")


async def test_at_most_so_many_at_once() -> None:
    api = FakeBotApi()
    processor = PerChatUpdates(2)
    handling = Handling(processor)
    for user in (1, 2, 3):
        handling.arrive(f"u{user}", message(api, user, "/now"))
    await handling.settle()
    assert handling.started == ["u1", "u2"]
    assert processor.current_concurrent_updates == 2
    await handling.finish("u2")
    assert handling.started == ["u1", "u2", "u3"]
    await handling.finish("u1")
    await handling.finish("u3")
    assert processor.current_concurrent_updates == 0


async def test_updates_waiting_for_their_chats_turn_take_no_place_from_others() -> None:
    api = FakeBotApi()
    handling = Handling(PerChatUpdates(2))
    handling.arrive("a1", message(api, 1, "slow question"))
    handling.arrive("a2", message(api, 1, "/now"))
    handling.arrive("a3", message(api, 1, "/next"))
    handling.arrive("b1", message(api, 2, "/now"))
    await handling.settle()
    assert handling.started == ["a1", "b1"]
    await handling.finish("b1")
    await handling.finish("a1")
    await handling.finish("a2")
    await handling.finish("a3")
    assert handling.ended == ["b1", "a1", "a2", "a3"]


async def test_an_update_cancelled_before_its_turn_keeps_the_next_waiting() -> None:
    api = FakeBotApi()
    handling = Handling(PerChatUpdates())
    handling.arrive("first", message(api, 1, "a question"))
    handling.arrive("cancelled", message(api, 1, "/now"))
    handling.arrive("third", message(api, 1, "/next"))
    await handling.settle()
    handling.tasks["cancelled"].cancel()
    await handling.settle()
    assert handling.started == ["first"]  # the third still waits for the first
    await handling.finish("first")
    assert handling.started == ["first", "third"]
    await handling.finish("third")
    assert handling.tasks["cancelled"].cancelled()


async def test_updates_of_no_chat_and_no_person_are_handled_one_after_another() -> None:
    handling = Handling(PerChatUpdates())
    nobody: Any = object()
    handling.arrive("one", nobody)
    handling.arrive("two", nobody)
    await handling.settle()
    assert handling.started == ["one"]
    await handling.finish("one")
    await handling.finish("two")
    assert handling.ended == ["one", "two"]
