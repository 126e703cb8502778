"""Reminders, countdowns, the digest and agenda changes, with the clock in our hands."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import running
from bot.clock import ManualClock
from bot.context import Services
from bot.fakeapi import FakeBotApi
from bot.services.delivery import Outcome
from bot.services.event_data import Consultation, Session, load_event_data
from bot.services.programme import summary_lines
from bot.storage.change_log import Notices
from bot.storage.outbox import OutboxItem, OutboxStore, Planned
from bot.storage.users import UserStore
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    ORGANISER_ID,
    ROOT,
    Chat,
    Harness,
    bot_on,
    build_harness,
    edit_sessions_file,
    geneva,
    joined,
    make_config,
    sample_events,
)

TALK = "principles-partnership"  # 11:00 in the Main Hall, on the harness's day (now 10:15)


def talk() -> Session:
    session = geneva().session(TALK)
    assert session is not None
    return session


async def star(harness: Harness, chat: Chat, session: Session) -> None:
    """Star a session the way a delegate does: open its card, tap ⭐."""
    await chat.send("/agenda")
    message = chat.messages[-1]
    await chat.press_data(message.message_id, f"ag:s:{session.id}", check=False)
    await chat.press("⭐")


async def deliver(harness: Harness, at: datetime | None = None) -> list[str]:
    """Move the clock (when given), run the delivery tick, return the texts it sent."""
    if at is not None:
        harness.clock.set(at)
    else:
        harness.clock.advance(seconds=1)  # the next tick: the replies just sent are a second old
    before = len(harness.api.calls_to("sendMessage"))
    await harness.services.delivery.process_due(harness.clock.now())
    calls = harness.api.calls_to("sendMessage")[before:]
    return [str(c.params.get("text")) for c in calls if c.ok]


def text_of(chat: Chat) -> str:
    """The last message as read, with babel's thin spaces as plain ones."""
    return chat.text().replace("\u2009", " ")


def reminders_to(harness: Harness, user_id: int) -> list[str]:
    return [
        m.plain_text() or ""
        for m in harness.api.bot_messages(user_id)
        if "Starting in" in (m.plain_text() or "") or "Commence dans" in (m.plain_text() or "")
    ]


# --- reminders before a starred session ---------------------------------------------------


async def test_a_starred_session_is_reminded_once_at_the_default_lead(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, talk())
    assert await deliver(harness, talk().start - timedelta(minutes=11)) == []
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert len(reminders_to(harness, 1001)) == 1
    text = chat.text()
    assert "Starting in 10 minutes:" in text
    assert talk().title.get("en") in text
    assert "Room: Main Hall" in text
    assert chat.last.callback_data() == [f"ag:s:{TALK}"]
    # Never twice, however often the tick runs.
    for minutes in (9, 5, 1):
        await deliver(harness, talk().start - timedelta(minutes=minutes))
    assert len(reminders_to(harness, 1001)) == 1
    # Its button opens the session card.
    await chat.press("Open the session")
    assert "Remove from my agenda" in str(chat.last.buttons())


async def test_unstarring_cancels_the_reminder(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, talk())
    await chat.press("Remove from my agenda")
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert reminders_to(harness, 1001) == []


async def test_the_lead_time_follows_the_settings(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/settings")
    assert "Reminders: 10 minutes before each session in your agenda" in chat.text()
    assert "Morning digest: off" in chat.text()
    await chat.press("30 min")
    assert "Reminders: 30 minutes before" in chat.text()
    assert "✅ 30 min" in str(chat.last.buttons())
    await star(harness, chat, talk())
    await deliver(harness, talk().start - timedelta(minutes=31))
    assert reminders_to(harness, 1001) == []
    await deliver(harness, talk().start - timedelta(minutes=30))
    assert len(reminders_to(harness, 1001)) == 1
    assert "Starting in 30 minutes:" in reminders_to(harness, 1001)[0]
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert len(reminders_to(harness, 1001)) == 1


async def test_reminders_can_be_turned_off_and_changed_later(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, talk())
    await chat.send("/settings")
    await chat.press("Off")
    assert "Reminders: off" in chat.text()
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert reminders_to(harness, 1001) == []
    await chat.press("5 min")
    await deliver(harness, talk().start - timedelta(minutes=5))
    assert ["Starting in 5 minutes:" in t for t in reminders_to(harness, 1001)] == [True]


async def test_a_reminder_comes_in_the_recipients_language(harness: Harness) -> None:
    chat = await joined(harness, "fr", 1002)
    await star(harness, chat, talk())
    await deliver(harness, talk().start - timedelta(minutes=10))
    text = chat.text()
    assert "Commence dans 10 minutes :" in text
    assert talk().title.get("fr") in text
    assert "Salle : Grande salle" in text


async def test_a_delegate_who_never_chose_a_language_is_reminded_in_the_clients(
    harness: Harness,
) -> None:
    """No /start, no /language: the Arabic client's language is remembered for later messages."""
    chat = harness.chat(1003, "ar")
    await harness.services.people.profile(1003, "Delegate")
    await harness.services.people.set_consultation(1003, GENEVA_ID)
    await star(harness, chat, talk())
    assert (await harness.services.people.profile(1003)).language is None
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert talk().title.get("ar") in chat.text()


async def test_many_due_together_are_paced_and_each_sent_once(harness: Harness) -> None:
    people = [await joined(harness, user_id=2000 + n) for n in range(35)]
    for chat in people:
        await star(harness, chat, talk())
    due = talk().start - timedelta(minutes=10)
    first = await deliver(harness, due)
    assert 0 < len(first) <= 30  # at most 30 a second, replies included
    second = await deliver(harness, due + timedelta(seconds=1))
    assert len(first) + len(second) == 35
    assert all(len(reminders_to(harness, chat.user_id)) == 1 for chat in people)


# --- Telegram's answers ----------------------------------------------------------------------


async def test_a_delegate_who_blocked_the_bot_is_marked_inactive_not_retried(
    harness: Harness,
) -> None:
    chat = await joined(harness)
    await star(harness, chat, talk())
    harness.api.block_user(1001)
    await deliver(harness, talk().start - timedelta(minutes=10))
    row = (await harness.services.delivery.store.for_user(1001))[0]
    assert (row.state, row.reason) == ("failed", "blocked")
    user = await UserStore(harness.services.db.connection).get(1001)
    assert user is not None
    assert not user.active
    tries = len(harness.api.calls_to("sendMessage"))
    await deliver(harness, talk().start - timedelta(minutes=5))
    assert len(harness.api.calls_to("sendMessage")) == tries
    harness.api.calls.clear()  # the 403 was expected, not a bug


async def test_retry_after_pauses_all_sending_then_sends_once(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, talk())
    harness.api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 5",
        retry_after=5,
    )
    due = talk().start - timedelta(minutes=10)
    assert await deliver(harness, due) == []
    assert await deliver(harness, due + timedelta(seconds=3)) == []  # still paused
    await deliver(harness, due + timedelta(seconds=5))
    assert len(reminders_to(harness, 1001)) == 1
    harness.api.calls.clear()


# --- countdown and digest --------------------------------------------------------------------


async def test_the_countdown_reaches_everyone_registered(harness: Harness) -> None:
    nairobi = sample_events().consultations["nairobi-2027"]
    chat = harness.chat(1003, "en")
    await chat.send("/start")
    await chat.press(nairobi.name.get("en"))
    start = nairobi.starts_at()
    for lead, label in ((timedelta(days=7), "in 7 days"), (timedelta(days=1), "in 1 day")):
        assert await deliver(harness, start - lead - timedelta(minutes=11)) == []
        await deliver(harness, start - lead)
        assert label in chat.text()
        assert nairobi.name.get("en") in chat.text()
        assert nairobi.venue.name.get("en") in chat.text()
    await deliver(harness, start - timedelta(hours=1))
    assert "in 1 hour" in chat.text()
    assert "menu:agenda" in chat.last.callback_data()
    countdowns = [m for m in chat.messages if "📣" in (m.plain_text() or "")]
    assert len(countdowns) == 3


async def test_the_morning_digest_is_off_by_default_and_lists_the_day(harness: Harness) -> None:
    chat = await joined(harness)
    protection = geneva().session("protection")
    assert protection is not None
    await star(harness, chat, protection)
    day2 = datetime(2026, 12, 9, 7, 30, tzinfo=GENEVA)
    await harness.services.reminders.plan()
    rows = await harness.services.delivery.store.for_user(1001)
    assert [r.kind for r in rows if not r.kind.endswith("_prompt")] == ["reminder"]
    await chat.send("/settings")
    await chat.press("Turn the morning digest on")
    assert "Morning digest: on, at 07:30" in chat.text()
    assert await deliver(harness, day2 - timedelta(minutes=6)) == []
    await deliver(harness, day2)
    text = chat.text()
    assert "Good morning!" in text
    assert protection.title.get("en") in text
    assert "1 session in your agenda today." in text


# --- restarts --------------------------------------------------------------------------------


async def prepared(tmp_path: Path, clock: ManualClock, api: FakeBotApi) -> None:
    api.make_message(1001, "/start")  # the delegate has a chat with the bot
    async with bot_on(tmp_path, clock, api) as harness:
        await harness.services.people.profile(1001, "Delegate")
        await harness.services.people.set_consultation(1001, GENEVA_ID)
        await harness.services.agenda.set_star(1001, geneva(), TALK, starred=True)


def sent_reminders(api: FakeBotApi) -> int:
    return sum("Starting in" in (m.plain_text() or "") for m in api.bot_messages(1001))


@pytest.mark.parametrize(
    ("down_until", "expected"),
    [
        (timedelta(minutes=-12), 1),  # back before it is due: sent on time
        (timedelta(minutes=-5), 1),  # back after it was due, before the session: sent on start
        (timedelta(minutes=1), 0),  # back after the session started: dropped as expired
    ],
)
async def test_a_restart_sends_each_reminder_at_most_once(
    tmp_path: Path, clock: ManualClock, down_until: timedelta, expected: int
) -> None:
    api = FakeBotApi(clock=clock.now)
    await prepared(tmp_path, clock, api)
    clock.set(talk().start + down_until)
    for _ in range(3):  # restart again and again
        async with bot_on(tmp_path, clock, api) as harness:
            await harness.services.delivery.process_due(clock.now())
            clock.set(max(clock.now(), talk().start - timedelta(minutes=10)))
            await harness.services.delivery.process_due(clock.now())
            clock.advance(seconds=2)
    assert sent_reminders(api) == expected
    async with bot_on(tmp_path, clock, api) as harness:
        (row,) = [
            r for r in await harness.services.delivery.store.for_user(1001) if r.kind == "reminder"
        ]
        assert row.state == ("sent" if expected else "expired")


async def test_a_crash_while_sending_leaves_it_unknown_and_never_resent(
    tmp_path: Path, clock: ManualClock
) -> None:
    api = FakeBotApi(clock=clock.now)
    await prepared(tmp_path, clock, api)
    clock.set(talk().start - timedelta(minutes=10))
    async with bot_on(tmp_path, clock, api) as harness:
        store: OutboxStore = harness.services.delivery.store
        (row,) = [r for r in await store.for_user(1001) if r.kind == "reminder"]
        # Claimed and maybe sent, then the process died before recording the outcome.
        assert await store.claim([row.id], clock.now()) == {row.id}
        harness.services.delivery.send = None  # the crash: nothing more happens in this run
    for _ in range(2):
        async with bot_on(tmp_path, clock, api) as harness:
            await harness.services.delivery.process_due(clock.now())
            rows = await harness.services.delivery.store.for_user(1001)
            (row,) = [r for r in rows if r.kind == "reminder"]
            assert row.state == "unknown"
    assert sent_reminders(api) == 0


# --- agenda changes --------------------------------------------------------------------------


def edit_session(harness: Harness, session_id: str, **changes: Any) -> None:
    """Edit sessions.yaml like an organiser; `remove=True` removes the session."""
    edit_sessions_file(harness.services.config.data_dir, session_id, **changes)


async def organiser(harness: Harness) -> Chat:
    return await joined(harness, user_id=ORGANISER_ID)


async def test_a_moved_session_brings_a_message_and_moves_its_reminder(
    editable: Harness,
) -> None:
    harness = editable
    chat = await joined(harness)
    await star(harness, chat, talk())
    edit_session(harness, TALK, start="2026-12-08T11:30", end="2026-12-08T12:30")
    boss = await organiser(harness)
    await boss.send("/reload")
    assert "Programme reloaded." in boss.text()
    assert "1 session changed; 1 delegate will be told." in boss.text()
    await deliver(harness)
    text = text_of(chat)
    assert "Programme change" in text
    assert "Time: Tuesday, December 8, 2026 · 11:00 – 12:30 → " in text
    assert "11:30 – 12:30" in text
    assert "Your reminders follow the new programme." in text
    # The old time never fires; the new one does, once.
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert reminders_to(harness, 1001) == []
    new_start = datetime(2026, 12, 8, 11, 30, tzinfo=GENEVA)
    await deliver(harness, new_start - timedelta(minutes=10))
    await deliver(harness, new_start - timedelta(minutes=5))
    assert len(reminders_to(harness, 1001)) == 1
    # Only the delegates who starred it are told; anyone can read the history.
    other = await joined(harness, user_id=1005)
    await other.send("/changes")
    assert "Programme changes" in other.text()
    assert talk().title.get("en") in other.text()
    assert "→" in other.text()


async def test_change_messages_come_in_each_delegates_language(editable: Harness) -> None:
    harness = editable
    english = await joined(harness, "en", 1001)
    french = await joined(harness, "fr", 1002)
    for chat in (english, french):
        await star(harness, chat, talk())
    edit_session(harness, TALK, room="room-2")
    await (await organiser(harness)).send("/reload")
    await deliver(harness)
    assert "Room: Main Hall → Room 2" in english.text()
    assert "Programme change" in english.text()
    assert "Salle : Grande salle → Salle 2" in french.text()
    assert "Modification du programme" in french.text()


async def test_a_cancelled_session_is_announced_and_never_reminded(editable: Harness) -> None:
    harness = editable
    chat = await joined(harness)
    await star(harness, chat, talk())
    edit_session(harness, TALK, remove=True)
    await (await organiser(harness)).send("/reload")
    await deliver(harness)
    assert "Cancelled (was Tuesday, December 8, 2026 · 11:00 – 12:30)." in text_of(chat)
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert reminders_to(harness, 1001) == []
    (row,) = [
        r for r in await harness.services.delivery.store.for_user(1001) if r.kind == "reminder"
    ]
    assert row.state == "cancelled"


async def test_invalid_data_changes_nothing_and_says_where(editable: Harness) -> None:
    harness = editable
    chat = await joined(harness)
    await star(harness, chat, talk())
    before = harness.services.events
    edit_session(harness, TALK, end="2026-12-08T10:00")  # ends before it starts
    boss = await organiser(harness)
    await boss.send("/reload")
    text = boss.text()
    assert "The data has problems, so nothing was changed." in text
    assert f"{GENEVA_ID}/sessions.yaml:" in text
    assert str(harness.services.config.data_dir) not in text  # the server's folders stay hidden
    # The answer `python -m bot reload` prints names them the same way.
    answer = "\n".join(summary_lines(await harness.services.reloader.reload("command line")))
    assert f"{GENEVA_ID}/sessions.yaml:" in answer
    assert str(harness.services.config.data_dir) not in answer
    assert f"id={TALK}" in text
    assert "'end' must be after 'start'" in text
    assert harness.services.events is before
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert len(reminders_to(harness, 1001)) == 1  # the running programme still holds


async def test_only_organisers_can_reload(editable: Harness) -> None:
    harness = editable
    chat = await joined(harness)
    edit_session(harness, TALK, remove=True)
    await chat.send("/reload")
    assert chat.text() == "Only organisers can reload the programme."
    assert harness.services.events.get(GENEVA_ID).session(TALK) is not None  # type: ignore[union-attr]


async def test_changes_is_empty_before_any_change(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/changes")
    assert "No changes to the programme so far." in chat.text()


async def test_a_reload_records_its_changes_and_their_messages_together(
    editable: Harness,
) -> None:
    """A failure while writing a reload's changes leaves neither the batch nor its messages."""
    harness = editable
    chat = await joined(harness)
    await star(harness, chat, talk())
    await deliver(harness)  # nothing to send: the sender waits for the next planned row
    edit_session(harness, TALK, room="room-2")
    reloader = harness.services.reloader

    def crash(batch_id: int) -> list[Planned]:
        raise RuntimeError("the bot stopped while writing")

    async def prepare(consultation: Consultation, changes: object) -> Notices:
        return crash

    reloader.notices.append(prepare)
    with pytest.raises(RuntimeError):
        await reloader.reload("test")
    assert await reloader.history.recent(GENEVA_ID) == []
    assert harness.services.events.get(GENEVA_ID).session(TALK).room.get("en") == "Main Hall"  # type: ignore[union-attr]
    reloader.notices.remove(prepare)
    result = await reloader.reload("test")
    assert result.notified == 1
    (batch,) = await reloader.history.recent(GENEVA_ID)
    assert await harness.services.delivery.store.get(f"change:{batch.id}:1001") is not None
    await deliver(harness)
    assert "Room: Main Hall → Room 2" in chat.text()


# --- the outbox's storage -----------------------------------------------------------------


async def test_a_failed_outbox_write_never_undoes_another_handlers_write(
    harness: Harness,
) -> None:
    """Writes on the shared connection while a transaction runs are not part of it."""
    await joined(harness, user_id=1001)
    await joined(harness, user_id=1002)
    store = harness.services.delivery.store
    now = harness.clock.now()
    nobody = Planned("test", "test:nobody", 424242, now, now)  # no such delegate: refused
    outcome = await asyncio.gather(
        store.plan([Planned("test", "test:1001", 1001, now, now), nobody], now),
        harness.services.people.set_language(1002, "fr"),
        return_exceptions=True,
    )
    assert isinstance(outcome[0], sqlite3.IntegrityError)
    assert await store.get("test:1001") is None  # the plan is all or nothing
    user = await harness.services.people.get(1002)
    assert user is not None
    assert user.language == "fr"


async def test_a_claim_is_one_statement_that_claims_each_row_once(harness: Harness) -> None:
    await joined(harness, user_id=1001)
    await joined(harness, user_id=1002)
    store = harness.services.delivery.store
    now = harness.clock.now()
    await store.plan([Planned("test", f"test:{n}", 1001, now, now) for n in range(3)], now)
    ids = [row.id for row in await store.for_user(1001) if row.kind == "test"]
    first, _saved, second = await asyncio.gather(
        store.claim(ids, now),
        harness.services.people.set_language(1002, "ar"),
        store.claim(ids, now),
    )
    assert (first, second) == (set(ids), set())
    user = await harness.services.people.get(1002)
    assert user is not None
    assert user.language == "ar"


async def test_a_message_skipped_when_due_stays_skipped_after_planning(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, talk())
    delivery = harness.services.delivery
    send = delivery.send

    async def not_worth_it(item: OutboxItem) -> Outcome:
        return Outcome.skipped("no longer relevant")

    delivery.send = not_worth_it
    await deliver(harness, talk().start - timedelta(minutes=10))
    delivery.send = send
    await harness.services.reminders.plan()
    await deliver(harness, talk().start - timedelta(minutes=9))
    assert reminders_to(harness, 1001) == []
    (row,) = [r for r in await delivery.store.for_user(1001) if r.kind == "reminder"]
    assert row.state == "skipped"
    progress = await delivery.store.progress(f"session:{GENEVA_ID}:{TALK}")
    assert (progress["skipped"], progress["pending"], progress["sent"]) == (1, 0, 0)


async def test_a_delegate_who_comes_back_is_reminded_again(harness: Harness) -> None:
    """Leaving (blocking the bot) cancels what was planned; writing again plans it anew."""
    chat = await joined(harness)
    await star(harness, chat, talk())
    await harness.services.people.mark_inactive(1001)
    (row,) = [
        r for r in await harness.services.delivery.store.for_user(1001) if r.kind == "reminder"
    ]
    assert row.state == "cancelled"
    await chat.send("/agenda")
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert len(reminders_to(harness, 1001)) == 1


async def test_idle_ticks_skip_the_database_until_something_is_planned(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = harness.services.delivery.store
    looks: list[datetime] = []
    candidates = store.candidates

    async def counted(now: datetime, limit: int) -> list[OutboxItem]:
        looks.append(now)
        return await candidates(now, limit)

    monkeypatch.setattr(store, "candidates", counted)
    for _ in range(5):
        assert await deliver(harness) == []
    assert len(looks) == 1
    chat = await joined(harness)
    await star(harness, chat, talk())  # planned: the sender looks again
    assert await deliver(harness) == []
    assert len(looks) == 2
    await deliver(harness, talk().start - timedelta(minutes=10))
    assert len(reminders_to(harness, 1001)) == 1


async def test_the_command_line_reload_is_served_by_the_running_bot(
    editable: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bot reload` while the bot runs: it reloads; the command prints its account."""
    from bot.__main__ import main

    harness = editable
    config = harness.services.config
    monkeypatch.setenv("DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("DATABASE_PATH", str(config.database_path))
    chat = await joined(harness)
    await star(harness, chat, talk())
    edit_session(harness, TALK, start="2026-12-08T11:30", end="2026-12-08T12:30")
    assert harness.app.job_queue is not None
    (watch,) = harness.app.job_queue.get_jobs_by_name("programme:reload-requests")
    command = asyncio.ensure_future(asyncio.to_thread(main, ["reload", "--wait", "20"]))
    while not command.done():
        await watch.run(harness.app)
        await asyncio.sleep(0.05)
    assert command.result() == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Reloaded."
    assert f"{GENEVA_ID}: 1 session change, 1 delegate notified" in out


def test_a_failed_reload_is_told_by_its_status_not_by_its_wording(tmp_path: Path) -> None:
    from bot.services.programme import ReloadRequests

    bot_side, command_side = ReloadRequests(tmp_path), ReloadRequests(tmp_path)
    command_side.ask("t1")
    assert bot_side.pending() == "t1"
    assert command_side.answer_for("t1") is None
    bot_side.answer("t1", False, ["Reloaded.", "whatever the account says"])
    assert command_side.answer_for("t1") == (False, ["Reloaded.", "whatever the account says"])
    assert command_side.answer_for("t2") is None
    assert bot_side.pending() is None
    bot_side.answer("t1", True, [])
    assert command_side.answer_for("t1") == (True, [])


# --- changes made while the bot was stopped --------------------------------------------------

MOVED_START = datetime(2026, 12, 8, 11, 30, tzinfo=GENEVA)
STARRING = range(2001, 2006)


@asynccontextmanager
async def bot_on_data(
    tmp_path: Path, clock: ManualClock, api: FakeBotApi
) -> AsyncIterator[Services]:
    """The bot on the database and the data folder in tmp_path, loaded as `python -m bot run`
    loads them at start; leaving the block stops it."""
    data = tmp_path / "data"
    config = make_config(tmp_path, data_dir=data)
    harness = build_harness(config, clock, load_event_data(data), api=api)
    async with running(harness.app):
        yield harness.services


async def starred_by_several(tmp_path: Path, clock: ManualClock, api: FakeBotApi) -> None:
    """The sample data in tmp_path/data, and delegates who starred TALK (the bot then stops)."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    async with bot_on_data(tmp_path, clock, api) as services:
        for user in STARRING:
            api.make_message(user, "/start")  # the delegate has a chat with the bot
            await services.people.profile(user, "Delegate")
            await services.people.set_consultation(user, GENEVA_ID)
            await services.agenda.set_star(user, geneva(), TALK, starred=True)
        await services.delivery.process_due(clock.now())


def change_notices(api: FakeBotApi, user_id: int) -> list[str]:
    texts = [(m.plain_text() or "").replace("\u2009", " ") for m in api.bot_messages(user_id)]
    return [t for t in texts if "Programme change" in t]


async def test_a_change_made_while_the_bot_was_stopped_is_announced_once_at_start(
    tmp_path: Path, clock: ManualClock
) -> None:
    api = FakeBotApi(clock=clock.now)
    await starred_by_several(tmp_path, clock, api)
    assert all(change_notices(api, user) == [] for user in STARRING)  # a first start is silent
    edit_sessions_file(tmp_path / "data", TALK, start="2026-12-08T11:30", end="2026-12-08T12:30")
    for _ in range(3):  # started on the edited files, then again and again
        async with bot_on_data(tmp_path, clock, api) as services:
            await services.delivery.process_due(clock.now())
            clock.advance(seconds=2)
    for user in STARRING:
        (notice,) = change_notices(api, user)
        assert "Time: Tuesday, December 8, 2026 · 11:00 – 12:30 → " in notice
        assert "11:30 – 12:30" in notice
    # The reminders follow the new time: none at the old one, one at the new one.
    async with bot_on_data(tmp_path, clock, api) as services:
        clock.set(talk().start - timedelta(minutes=10))
        await services.delivery.process_due(clock.now())
        assert all(reminders_of(api, user) == 0 for user in STARRING)
        clock.set(MOVED_START - timedelta(minutes=10))
        await services.delivery.process_due(clock.now())
        assert all(reminders_of(api, user) == 1 for user in STARRING)
        (batch,) = await services.reloader.history.recent(GENEVA_ID)
        assert [c.session_id for c in batch.changes] == [TALK]


def reminders_of(api: FakeBotApi, user_id: int) -> int:
    return sum("Starting in" in (m.plain_text() or "") for m in api.bot_messages(user_id))


async def test_a_reload_requested_while_the_bot_was_down_is_answered_when_it_starts(
    tmp_path: Path, clock: ManualClock
) -> None:
    """`python -m bot reload`, then the bot dies before it serves the request: when it starts
    again, the delegates are told once and the command, if still waiting, gets its account."""
    from bot.services.programme import ReloadRequests

    api = FakeBotApi(clock=clock.now)
    await starred_by_several(tmp_path, clock, api)
    edit_sessions_file(tmp_path / "data", TALK, room="room-2")
    command = ReloadRequests(tmp_path)
    command.ask("left-by-the-command")
    async with bot_on_data(tmp_path, clock, api) as services:
        await services.delivery.process_due(clock.now())
    answer = command.answer_for("left-by-the-command")
    assert answer is not None
    ok, lines = answer
    assert ok
    assert lines[0] == "Reloaded when the bot started again."
    assert f"{GENEVA_ID}: 1 session change, {len(STARRING)} delegates notified" in lines
    async with bot_on_data(tmp_path, clock, api) as services:  # answered: not served again
        clock.advance(seconds=2)
        await services.delivery.process_due(clock.now())
    for user in STARRING:
        (notice,) = change_notices(api, user)
        assert "Room: Main Hall → Room 2" in notice
