"""The inbox: an update is stored before Telegram is told it arrived, handled after a restart,
never twice; a malformed one is refused at the webhook's door or skipped once by polling, and
no log line carries a delegate's name or words."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from telegram import Update

from bot.app import running
from bot.cli.logs import RedactUpdates
from bot.clock import ManualClock
from bot.config import Config
from bot.fakeapi import FakeBotApi
from bot.handlers import outbox
from bot.receiving import receive
from bot.services.delivery import SendMeter
from bot.services.inbox import GIVE_UP_AFTER
from bot.storage.database import Database
from bot.storage.inbox import InboxStore
from bot.storage.updates import UpdateLog
from bot.webhook import SECRET_HEADER, Backoff, Poller, WebhookServer
from tests.conftest import Harness, build_harness, make_config

SECRET = "inbox-Secret_token"
NAME = "Zoë Leakcheck"
WORDS = "my secret question about visas"
HELP = "What I can do"


async def until(condition: Callable[[], object], seconds: float = 5.0) -> None:
    """Wait for the application to get round to the updates put in its queue."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


def unreadable(api: FakeBotApi, user: int) -> dict[str, Any]:
    """A message python-telegram-bot cannot parse (its date is no timestamp)."""
    update = api.make_message(user, WORDS, first_name=NAME)
    update["message"]["date"] = "yesterday"
    return update


def without_chat(api: FakeBotApi, user: int) -> dict[str, Any]:
    """A message that parses but lacks what every Bot API message has: its chat."""
    update = api.make_message(user, WORDS, first_name=NAME)
    del update["message"]["chat"]
    return update


def no_content_in(text: str) -> bool:
    return NAME not in text and "Leakcheck" not in text and WORDS not in text


def inbox_rows(harness: Harness) -> int:
    """Read the way another process would: committed rows only."""
    with sqlite3.connect(harness.services.config.database_path) as db:
        count: int = db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
        return count


# --- The webhook ------------------------------------------------------------------------------


@pytest.fixture
async def hook(harness: Harness) -> AsyncIterator[str]:
    server = WebhookServer(harness.app, secret=SECRET, path="/telegram")
    port = await server.start("127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}/telegram"
    await server.stop()


async def post(url: str, body: bytes) -> int:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers=headers) as answer,
    ):
        return answer.status


async def test_the_webhook_refuses_what_is_not_an_update_at_the_door(
    harness: Harness, hook: str, caplog: pytest.LogCaptureFixture
) -> None:
    api = harness.api
    broken = [unreadable(api, 1002), without_chat(api, 1002)]
    bodies = [b"abc", b'"abc"', b"123", b"[1,2]", b"null", b'{"update_id":"x"}', b"{}"]
    bodies += [json.dumps({"message": broken[1]["message"]}).encode()]  # no update_id
    bodies += [json.dumps(update).encode() for update in broken]
    with caplog.at_level(logging.INFO):
        for body in bodies:
            assert await post(hook, body) == 400, body
        # Telegram sends a refused update again: it is refused again, recorded once.
        assert await post(hook, json.dumps(broken[1]).encode()) == 400
        good = api.make_message(1001, "/help")
        assert await post(hook, json.dumps(good).encode()) == 200
        await until(lambda: api.bot_messages(1001))

    assert api.bot_messages(1002) == []
    assert await harness.services.updates.count() == 1  # only the good one reached the handlers
    assert await harness.services.inbox.skipped() == [
        (broken[0]["update_id"], "unreadable (TypeError)"),
        (broken[1]["update_id"], "update.message.chat is missing"),
    ]
    for update in broken:
        assert caplog.text.count(f"Skipped update {update['update_id']}:") == 1
    assert no_content_in(caplog.text)


async def test_the_webhook_answers_only_once_the_update_is_stored(
    harness: Harness, hook: str
) -> None:
    update = json.dumps(harness.api.make_message(1001, "/help")).encode()
    db = harness.services.db.connection
    await db.execute("ALTER TABLE inbox RENAME TO inbox_away")
    assert await post(hook, update) == 500  # not stored: Telegram will send it again
    await db.execute("ALTER TABLE inbox_away RENAME TO inbox")
    assert await post(hook, update) == 200
    await until(lambda: harness.api.bot_messages(1001))
    await until(lambda: inbox_rows(harness) == 0)
    assert await post(hook, update) == 200  # sent again after all: processed, so not kept
    assert inbox_rows(harness) == 0
    assert len(harness.api.bot_messages(1001)) == 1


# --- Leaving the inbox, and what a killed process left -----------------------------------------


async def test_an_update_leaves_the_inbox_with_its_first_reply(harness: Harness) -> None:
    # /start answers with two messages: a kill between them must not greet the delegate twice.
    seen: list[int] = []
    harness.api.on_bot_message.append(lambda message, event: seen.append(inbox_rows(harness)))
    data = harness.api.make_message(1001, "/start")
    received = await receive(harness.app, [data])
    assert received.queued == 1
    await until(lambda: len(harness.api.bot_messages(1001)) >= 2)
    assert seen[:2] == [1, 0]
    await until(lambda: inbox_rows(harness) == 0)
    # The same update once more (Telegram re-sends it): not kept, not handled again.
    assert (await receive(harness.app, [data])).queued == 0
    assert len(harness.api.bot_messages(1001)) == len(seen)


async def test_a_restart_handles_what_the_killed_process_left_once(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = make_config(tmp_path)
    api = FakeBotApi(clock=clock.now)
    now, later, done = (
        api.make_message(1001, "/now"),
        api.make_message(1001, "/help"),
        api.make_message(1003, "/help"),
    )
    interrupted = api.make_message(1002, "/help")
    broken = without_chat(api, 1004)  # kept by a version that did not check it
    # What a process killed with these in hand leaves: /now and /help never started; the
    # handling of `interrupted` started (the ledger has it) but sent nothing; `done` was answered.
    database = await Database.open(config.database_path)
    await InboxStore(database.connection).keep(
        [(u["update_id"], u) for u in (now, interrupted, later, broken)], [], clock.now()
    )
    for update in (interrupted, done):
        await UpdateLog(database.connection).record(update["update_id"], clock.now())
    await database.close()

    def texts(user: int) -> list[str]:
        return [message.plain_text() or "" for message in api.bot_messages(user)]

    harness = build_harness(config, clock, api=api)
    async with running(harness.app):
        await until(lambda: any(HELP in text for text in texts(1001)) and texts(1002))
        # Telegram sends again what it saw unconfirmed: both processed, neither kept.
        assert (await receive(harness.app, [done, now])).queued == 0
        assert await harness.services.inbox.count() == 0
        assert await harness.services.inbox.skipped() == [
            (broken["update_id"], "update.message.chat is missing")
        ]

    # Each answered once, in the order received: /now (which asks for the consultation), /help.
    assert [HELP in text for text in texts(1001)] == [False, False, True]
    assert texts(1001)[1] == "Which consultation are you attending?"
    assert [HELP in text for text in texts(1002)] == [True]
    assert texts(1003) == []
    assert texts(1004) == []


def left_in_inbox(config: Config) -> tuple[int, int]:
    """Rows in the inbox, and those marked as answering, read the way the next process would:
    committed ones only."""
    with sqlite3.connect(config.database_path) as db:
        rows, marked = db.execute("SELECT COUNT(*), COUNT(answering_since) FROM inbox").fetchone()
        return int(rows), int(marked)


async def never_removed(store: InboxStore, update_id: int) -> None:
    """The process dies before the inbox forgets the update (SIGKILL runs no cleanup)."""
    raise sqlite3.OperationalError("killed")


def replies_to(api: FakeBotApi, user: int) -> list[str]:
    return [message.plain_text() or "" for message in api.bot_messages(user)]


async def test_an_update_whose_first_reply_went_out_is_not_answered_again(
    tmp_path: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = make_config(tmp_path)
    api = FakeBotApi(clock=clock.now)
    data = api.make_message(1001, f"/help {WORDS}", first_name=NAME)
    ident = data["update_id"]
    # Telegram took the reply; the process is killed before the inbox forgets the update.
    marked: list[tuple[int, int]] = []
    api.on_bot_message.append(lambda message, event: marked.append(left_in_inbox(config)))
    first = build_harness(config, clock, api=api)
    with monkeypatch.context() as patch:
        patch.setattr(InboxStore, "remove", never_removed)
        async with running(first.app):
            assert (await receive(first.app, [data])).queued == 1
            await until(lambda: api.bot_messages(1001))
    # The mark was committed before the reply reached Telegram, and is all the kill left.
    assert marked == [(1, 1)]
    assert left_in_inbox(config) == (1, 1)

    second = build_harness(config, clock, api=api)
    with caplog.at_level(logging.INFO):
        async with running(second.app):
            assert await second.services.inbox.unknown() == [ident]
            assert await second.services.inbox.count() == 0
            # Telegram sends it again (it was never confirmed, say): processed, not kept.
            assert (await receive(second.app, [data])).queued == 0
            # The delegate's next message is answered; updates are handled in order, so a
            # repeat of the first one would have come before.
            later = api.make_message(1001, "/help")
            assert (await receive(second.app, [later])).queued == 1
            await until(lambda: len(api.bot_messages(1001)) >= 2)
    assert [HELP in text for text in replies_to(api, 1001)] == [True, True]
    assert f"Update {ident} may or may not have been answered" in caplog.text
    assert no_content_in(caplog.text)
    assert left_in_inbox(config) == (0, 0)


async def test_an_update_whose_reply_waited_for_a_slot_is_answered_after_a_restart(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Killed while the reply waits for the rate limiter: it sent nothing, so it is handled
    # again, not `unknown`.
    config = make_config(tmp_path)
    api = FakeBotApi(clock=clock.now)
    data = api.make_message(1001, "/help")
    waiting = asyncio.Event()

    async def no_free_slot(meter: SendMeter, longest: float = 1.0) -> None:
        waiting.set()
        await asyncio.Event().wait()  # until killed

    first = build_harness(config, clock, api=api)
    with monkeypatch.context() as patch:
        patch.setattr(InboxStore, "remove", never_removed)
        patch.setattr(SendMeter, "wait_for_slot", no_free_slot)
        async with running(first.app):
            assert await first.services.inbox.receive([(data["update_id"], data)], []) == {
                data["update_id"]
            }
            handling = asyncio.create_task(
                first.app.process_update(Update.de_json(data, first.app.bot))
            )
            await asyncio.wait_for(waiting.wait(), 5)
            handling.cancel()  # the kill
            with contextlib.suppress(asyncio.CancelledError):
                await handling
    assert api.bot_messages(1001) == []
    assert left_in_inbox(config) == (1, 0)

    second = build_harness(config, clock, api=api)
    async with running(second.app):
        await until(lambda: api.bot_messages(1001))
        assert await second.services.inbox.unknown() == []
    assert [HELP in text for text in replies_to(api, 1001)] == [True]


def refused_with_429(api: FakeBotApi) -> None:
    """Telegram's per-chat limit refuses the next reply: nothing of it is delivered."""
    api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 3",
        retry_after=3,
    )


async def test_an_update_whose_reply_telegram_refused_is_answered_after_a_restart(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Telegram refused the reply (429: certainly not delivered) and the process is killed while
    # the reply waits to be tried again. The delegate has no answer: it comes after the restart,
    # once, instead of the update being recorded as unknown (a question lost, to them).
    config = make_config(tmp_path)
    api = FakeBotApi(clock=clock.now)
    data = api.make_message(1001, "/help")
    ident = data["update_id"]
    refused_with_429(api)
    waiting = asyncio.Event()
    left: list[tuple[int, int]] = []

    async def until_killed(seconds: float) -> None:
        left.append(left_in_inbox(config))  # what a kill during the wait leaves
        waiting.set()
        await asyncio.Event().wait()

    first = build_harness(config, clock, api=api)
    with monkeypatch.context() as patch:
        patch.setattr(InboxStore, "remove", never_removed)
        patch.setattr(outbox, "asyncio", SimpleNamespace(sleep=until_killed))
        async with running(first.app):
            assert await first.services.inbox.receive([(ident, data)], []) == {ident}
            handling = asyncio.create_task(
                first.app.process_update(Update.de_json(data, first.app.bot))
            )
            await asyncio.wait_for(waiting.wait(), 5)
            handling.cancel()  # the kill
            with contextlib.suppress(asyncio.CancelledError):
                await handling
    assert [call.ok for call in api.calls_to("sendMessage")] == [False]  # the 429
    assert api.bot_messages(1001) == []
    assert left == [(1, 0)]

    second = build_harness(config, clock, api=api)
    async with running(second.app):
        await until(lambda: api.bot_messages(1001))
        assert await second.services.inbox.unknown() == []
        await until(lambda: left_in_inbox(config) == (0, 0))
        # Telegram sends it again (it was never confirmed, say): processed, not kept.
        assert (await receive(second.app, [data])).queued == 0
    assert [HELP in text for text in replies_to(api, 1001)] == [True]


async def test_a_reply_refused_then_delivered_is_not_answered_again_after_a_kill(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 429's mark is taken back, and set again (committed) before the retry goes out: a
    # kill once Telegram took it leaves the update unknown, never answered a second time.
    config = make_config(tmp_path)
    api = FakeBotApi(clock=clock.now)
    data = api.make_message(1001, f"/help {WORDS}", first_name=NAME)
    ident = data["update_id"]
    refused_with_429(api)
    waits: list[tuple[int, int]] = []
    marked: list[tuple[int, int]] = []
    api.on_bot_message.append(lambda message, event: marked.append(left_in_inbox(config)))

    async def at_once(seconds: float) -> None:
        waits.append(left_in_inbox(config))

    first = build_harness(config, clock, api=api)
    with monkeypatch.context() as patch:
        patch.setattr(InboxStore, "remove", never_removed)
        patch.setattr(outbox, "asyncio", SimpleNamespace(sleep=at_once))
        async with running(first.app):
            assert (await receive(first.app, [data])).queued == 1
            await until(lambda: api.bot_messages(1001))
    assert (waits, marked) == ([(1, 0)], [(1, 1)])
    assert left_in_inbox(config) == (1, 1)

    second = build_harness(config, clock, api=api)
    async with running(second.app):
        assert await second.services.inbox.unknown() == [ident]
        assert (await receive(second.app, [data])).queued == 0
        later = api.make_message(1001, "/help")
        assert (await receive(second.app, [later])).queued == 1
        await until(lambda: len(api.bot_messages(1001)) >= 2)
    assert [HELP in text for text in replies_to(api, 1001)] == [True, True]


async def never_recorded(store: InboxStore, update_id: int, now: object) -> None:
    """The process dies before it records the update as unknown."""
    raise sqlite3.OperationalError("killed")


async def test_a_refusal_after_a_call_that_may_have_arrived_leaves_the_update_unknown(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A press whose answer Telegram may have taken (the connection broke after it left), then a
    # second call of the same update refused (a Bad Request): the refusal does not take the mark
    # back, so a kill now leaves the press unknown and it is not handled a second time.
    config = make_config(tmp_path)
    api = FakeBotApi(clock=clock.now)
    first = build_harness(config, clock, api=api)
    with monkeypatch.context() as patch:
        async with running(first.app):
            assert (await receive(first.app, [api.make_message(1001, "/now")])).queued == 1
            await until(lambda: api.bot_messages(1001))
            question = api.last_bot_message(1001)
            press = api.make_callback(1001, question.message_id, question.callback_data()[0])
            ident = press["update_id"]
            patch.setattr(InboxStore, "remove", never_removed)
            patch.setattr(InboxStore, "record_unknown", never_recorded)
            api.reset_after_next("answerCallbackQuery")
            assert await first.services.inbox.receive([(ident, press)], []) == {ident}
            await first.app.process_update(Update.de_json(press, first.app.bot))
            # The error handler answered the press again: refused, the first answer counted.
            assert [call.ok for call in api.calls_to("answerCallbackQuery")] == [True, False]
    assert left_in_inbox(config) == (1, 1)
    sent = len(api.bot_messages(1001))
    api.calls.clear()

    second = build_harness(config, clock, api=api)
    async with running(second.app):
        assert await second.services.inbox.unknown() == [ident]
        later = api.make_message(1001, "/help")
        assert (await receive(second.app, [later])).queued == 1
        await until(lambda: len(api.bot_messages(1001)) > sent)
    # Only the answer to /help: the press was not handled again, no apology came.
    assert [HELP in text for text in replies_to(api, 1001)[sent:]] == [True]
    assert api.calls_to("answerCallbackQuery") == []


async def test_an_update_whose_handling_keeps_dying_is_given_up(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = make_config(tmp_path)
    api = FakeBotApi(clock=clock.now)
    poison = api.make_message(1001, "/help")
    ident = poison["update_id"]
    database = await Database.open(config.database_path)
    store, ledger = InboxStore(database.connection), UpdateLog(database.connection)
    await store.keep([(ident, poison)], [], clock.now())
    for _ in range(GIVE_UP_AFTER - 1):
        await ledger.record(ident, clock.now())  # a process starts handling it and dies
        left = await store.take_over(GIVE_UP_AFTER, clock.now())  # the next one
        assert ([i for i, _ in left.again], left.given_up) == ([ident], [])
    await ledger.record(ident, clock.now())
    await database.close()

    harness = build_harness(config, clock, api=api)
    async with running(harness.app):
        assert await harness.services.inbox.skipped() == [
            (ident, f"its handling was cut short {GIVE_UP_AFTER} times")
        ]
        # Telegram sends it again: skipped, as processed.
        assert (await receive(harness.app, [poison])).queued == 0
    assert api.bot_messages(1001) == []


# --- Long polling -----------------------------------------------------------------------------


async def test_polling_skips_a_malformed_update_once_and_goes_past_it(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    api = harness.api
    broken = unreadable(api, 1002)
    api.queue_update(broken)
    api.queue_update(api.make_message(1001, "/help"))
    last = without_chat(api, 1002)  # last in the batch: the offset must still pass it
    api.queue_update(last)
    poller = Poller(harness.app, timeout=0)
    with caplog.at_level(logging.INFO):
        received = await poller.poll()
        assert (received.queued, len(received.refused)) == (1, 2)
        assert poller.offset == last["update_id"] + 1
        await until(lambda: api.bot_messages(1001))
        again = await poller.poll()
    assert again.highest is None  # Telegram forgot them: the offset confirmed them all
    assert api.calls_to("getUpdates")[-1].params["offset"] == last["update_id"] + 1
    assert [ident for ident, _ in await harness.services.inbox.skipped()] == [
        broken["update_id"],
        last["update_id"],
    ]
    assert caplog.text.count("Skipped update") == 2
    assert no_content_in(caplog.text)
    assert api.bot_messages(1002) == []


async def test_a_batch_the_inbox_cannot_store_is_not_confirmed(harness: Harness) -> None:
    api = harness.api
    update = api.make_message(1001, "/help")
    api.queue_update(update)
    poller = Poller(harness.app, timeout=0)
    db = harness.services.db.connection
    await db.execute("ALTER TABLE inbox RENAME TO inbox_away")
    with pytest.raises(sqlite3.OperationalError):
        await poller.poll()
    assert poller.offset is None
    await db.execute("ALTER TABLE inbox_away RENAME TO inbox")
    received = await poller.poll()  # Telegram sends it again
    assert received.queued == 1
    await until(lambda: api.bot_messages(1001))
    assert len(api.bot_messages(1001)) == 1


async def test_repeated_polling_errors_back_off(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.api.fail_next("getUpdates", error_code=502, description="Bad Gateway", count=9)
    delays: list[float] = []
    waited = asyncio.Event()

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 9:
            waited.set()
            await asyncio.Event().wait()  # until stopped

    poller = Poller(harness.app, timeout=0, sleep=sleep)
    with caplog.at_level(logging.WARNING):
        poller.start()
        await asyncio.wait_for(waited.wait(), 5)
        await poller.stop()
    assert delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    assert caplog.text.count("Long polling: ") == 9  # one line a failure, ever further apart
    harness.api.calls[:] = [c for c in harness.api.calls if c.ok]


def test_the_backoff_starts_again_after_a_success() -> None:
    backoff = Backoff(first=0.5, most=30)
    assert [backoff.failed() for _ in range(3)] == [0.5, 1, 2]
    backoff.succeeded()
    assert backoff.failed() == 0.5


# --- Logs -------------------------------------------------------------------------------------


async def test_a_failing_update_is_logged_by_its_id(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    data = harness.api.make_message(1001, f"/help {WORDS}", first_name=NAME)
    harness.api.fail_next("sendMessage", error_code=400, description="Bad Request: boom")
    with caplog.at_level(logging.INFO):
        await harness.feed(data)
    assert (harness.api.last_bot_message(1001).plain_text() or "").startswith("Sorry")
    assert f"Error while handling update {data['update_id']}" in caplog.text
    assert no_content_in(caplog.text)
    harness.api.calls[:] = [c for c in harness.api.calls if c.ok]


def test_an_update_given_to_a_log_call_shows_as_its_id(caplog: pytest.LogCaptureFixture) -> None:
    from telegram import Bot

    api = FakeBotApi()
    data = api.make_message(1001, WORDS, first_name=NAME)
    update = Update.de_json(copy.deepcopy(data), Bot("1:x"))
    logger = logging.getLogger("test.updates")
    redact = RedactUpdates()
    logger.addFilter(redact)
    try:
        with caplog.at_level(logging.INFO):
            # python-telegram-bot logs so when it cannot build a context for an update
            logger.critical("Error while building CallbackContext for update %s.", update)
    finally:
        logger.removeFilter(redact)
    assert f"<Update {data['update_id']}>" in caplog.text
    assert no_content_in(caplog.text)
