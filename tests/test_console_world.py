"""The console chat shares the bot's database: its delegates are no one on Telegram, and the
two worlds leave each other alone. The real bot (and the `broadcast` command) never counts nor
sends anything to a console delegate; a console reaches its own delegate only, and changes
nothing of anyone else's: other delegates, other consoles, the real bot's pending work."""

from __future__ import annotations

import asyncio
import io
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.cli.console import ConsoleRefused, run_console
from bot.clock import ManualClock
from bot.services.programme import ReloadRequests
from bot.storage.bookmarks import BookmarkStore
from bot.storage.broadcasts import subject_of
from bot.storage.inbox import InboxStore
from bot.storage.updates import UpdateLog
from tests.conftest import (
    GENEVA,
    ORGANISER_ID,
    ROOT,
    Harness,
    build_harness,
    make_config,
    sample_events,
    started,
)

CONSULTATION = "geneva-2026"
SESSION = "principles-partnership"  # 11:00-12:30 on the first day
REAL = (3001, 3002, 3003)
CONSOLE_USER = 1001


def at(hour: int, minute: int = 0, day: int = 8) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=GENEVA)


def real_harness(tmp_path: Path, clock: ManualClock) -> Harness:
    """The bot on Telegram (here the fake), where anyone may have a chat with it: the console's
    delegate too, had they a Telegram account."""
    harness = build_harness(make_config(tmp_path), clock)
    for user_id in (*REAL, CONSOLE_USER, 12, ORGANISER_ID):
        harness.api.add_chat(user_id)
    return harness


def console_harness(tmp_path: Path, clock: ManualClock, user_id: int) -> Harness:
    """The application as `python -m bot chat --user ID` builds it: its fake server knows its
    own delegate's chat only."""
    harness = build_harness(make_config(tmp_path, console_user=user_id), clock)
    harness.api.add_chat(user_id)
    return harness


async def register_real_delegates(tmp_path: Path, clock: ManualClock) -> None:
    async with started(real_harness(tmp_path, clock)) as harness:
        for user_id in REAL:
            await harness.services.people.profile(user_id, f"D{user_id}", "en")
            await harness.services.people.set_consultation(user_id, CONSULTATION)


async def chat_in_console(tmp_path: Path, user_id: int, script: str, **options: object) -> str:
    """Run the console chat (`python -m bot chat`) with a script; returns what it printed."""
    out = io.StringIO()
    await run_console(
        make_config(tmp_path),
        sample_events(),
        lang="en",
        user_id=user_id,
        first_name="Console",
        consultation_id=CONSULTATION,
        at=options.get("at"),  # type: ignore[arg-type]
        stdin=io.StringIO(script),
        out=out,
    )
    return out.getvalue()


def users(tmp_path: Path) -> dict[int, tuple[int, int]]:
    """user id -> (active, console), as stored."""
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        rows = db.execute("SELECT user_id, active, console FROM users").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def programme_told(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        return db.execute("SELECT consultation_id, sessions FROM announced_programmes").fetchall()


def outbox_rows(tmp_path: Path) -> list[tuple[int | None, str, str]]:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        return db.execute("SELECT user_id, kind, state FROM outbox ORDER BY id").fetchall()


async def deliver(harness: Harness, *, start: bool = False) -> None:
    """(With `start`, the broadcasts' job first: it starts those queued from the command line.)
    The outbox sends, a second at a time, then the job reports."""
    board = harness.app.bot_data["broadcast_board"]
    if start:
        await board.tick(harness.app)
    for _ in range(10):
        await harness.services.delivery.process_due()
        harness.clock.advance(seconds=1)
    await board.tick(harness.app)


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """`main` sets up logging for its process; the tests after this one keep pytest's."""
    handlers, level = list(logging.root.handlers), logging.root.level
    yield
    for handler in logging.root.handlers:
        if handler not in handlers:
            handler.close()
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


async def queue_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """`python -m bot broadcast` to everyone (its own event loop: in a thread); returns what
    it printed."""
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    note = tmp_path / "note.en.txt"
    note.write_text("Buses leave at 18:00.", encoding="utf-8")
    argv = ["broadcast", "--consultation", CONSULTATION, "--text-file", str(note)]
    assert await asyncio.to_thread(main, [*argv, "--audience", "all", "--yes"]) == 0
    return capsys.readouterr().out


async def test_console_delegates_never_receive_a_real_broadcast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock(datetime.now(GENEVA))
    await register_real_delegates(tmp_path, clock)
    printed = await chat_in_console(tmp_path, CONSOLE_USER, "/start\n")
    assert "Welcome" in printed
    assert users(tmp_path)[CONSOLE_USER] == (1, 1)  # marked as the console's

    out = await queue_from_the_command_line(tmp_path, monkeypatch, capsys)
    assert "--- 3 recipient(s) in all." in out

    clock.set(datetime.now(GENEVA))  # queued "now" by the command's clock
    harness = real_harness(tmp_path, clock)
    async with started(harness):
        await deliver(harness, start=True)
        counts = await harness.services.delivery.store.progress(subject_of(1))
    assert counts["sent"] == 3
    assert not harness.api.bot_messages(CONSOLE_USER)
    for user_id in REAL:
        assert "Buses leave at 18:00." in (harness.api.last_bot_message(user_id).text or "")


async def test_the_real_bot_sends_a_console_delegate_nothing_and_their_console_does(
    tmp_path: Path,
) -> None:
    """A reminder the console planned stays with the console: the real bot, due time come,
    leaves it pending; the console sends it to its delegate."""
    clock = ManualClock(at(10, 15))
    async with started(console_harness(tmp_path, clock, CONSOLE_USER)) as console:
        await console.services.people.profile(CONSOLE_USER, "Console", "en")
        await console.services.people.set_consultation(CONSOLE_USER, CONSULTATION)
        delegate = console.chat(CONSOLE_USER)
        await delegate.send("/agenda")
        await delegate.press("The Principles of Partnership")
        await delegate.press("Add to my agenda")
    assert [row[1:] for row in outbox_rows(tmp_path) if row[1] == "reminder"] == [
        ("reminder", "pending")
    ]

    clock.set(at(10, 50))
    async with started(real_harness(tmp_path, clock)) as real:
        for _ in range(3):
            await real.services.delivery.process_due()
            clock.advance(seconds=1)
        await real.services.reminders.plan()  # the hourly re-plan, for everyone
    assert not real.api.bot_messages(CONSOLE_USER)
    assert ("reminder", "pending") in [row[1:] for row in outbox_rows(tmp_path)]

    async with started(console_harness(tmp_path, clock, CONSOLE_USER)) as console:
        await console.services.delivery.process_due()
        assert "Starting in" in console.chat(CONSOLE_USER).text()


async def test_a_broadcast_from_the_console_changes_no_other_delegate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock(at(10, 15))
    await register_real_delegates(tmp_path, clock)
    # Another console delegate, whose console is not running now.
    async with started(console_harness(tmp_path, clock, 12)) as other:
        await other.services.people.profile(12, "Twelve", "en")
        await other.services.people.set_consultation(12, CONSULTATION)

    harness = console_harness(tmp_path, clock, ORGANISER_ID)
    async with started(harness):
        await harness.services.people.profile(ORGANISER_ID, "Olga", "en")
        await harness.services.people.set_consultation(ORGANISER_ID, CONSULTATION)
        organiser = harness.chat(ORGANISER_ID, first_name="Olga")
        await organiser.send("/broadcast")
        await organiser.send("Buses leave at 18:00.")
        await organiser.press("Preview")
        # The console's delegates only: the organiser and the other console's.
        await organiser.press("Send now to 2 delegates")
        await deliver(harness)
    assert (ORGANISER_ID, "broadcast", "sent") in outbox_rows(tmp_path)

    stored = users(tmp_path)
    assert all(stored[user_id] == (1, 0) for user_id in REAL)
    assert stored[12] == (1, 1)  # still active: their console will show it when it runs
    assert [row for row in outbox_rows(tmp_path) if row[0] in REAL and row[1] == "broadcast"] == []
    assert (12, "broadcast", "pending") in outbox_rows(tmp_path)

    out = await queue_from_the_command_line(tmp_path, monkeypatch, capsys)
    assert "--- 3 recipient(s) in all." in out
    # Nor does the real bot take the console's broadcast over.
    clock.set(datetime.now(GENEVA))  # the command queued its own "now"
    async with started(real_harness(tmp_path, clock)) as real:
        await deliver(real, start=True)
        assert not real.api.bot_messages(12)
        assert not real.api.bot_messages(ORGANISER_ID)
        assert all(real.api.bot_messages(user_id) for user_id in REAL)
    assert (12, "broadcast", "pending") in outbox_rows(tmp_path)


def moved_session_data(tmp_path: Path) -> Path:
    """A copy of the event data where SESSION starts an hour later (half-edited, say)."""
    data = tmp_path / "edited-data"
    shutil.copytree(ROOT / "data", data)
    sessions = data / CONSULTATION / "sessions.yaml"
    text = sessions.read_text(encoding="utf-8")
    moved = text.replace(
        "start: 2026-12-08T11:00\n    end: 2026-12-08T12:30",
        "start: 2026-12-08T12:00\n    end: 2026-12-08T13:30",
    )
    assert moved != text
    sessions.write_text(moved, encoding="utf-8")
    return data


async def test_the_console_leaves_the_real_bots_work_alone(tmp_path: Path) -> None:
    """Started on the bot's database, with its pretend clock a day ahead and data where a
    session moved: the real bot's reload request, its unanswered update, its processed update
    ids, the programme delegates were told of and a real delegate's pending reminder are all
    still there, untouched, when the console has gone; that delegate was told nothing."""
    clock = ManualClock(at(10, 15))
    config = make_config(tmp_path)
    requests = ReloadRequests(config.database_path.parent)
    async with started(real_harness(tmp_path, clock)) as real:
        db = real.services.db.connection
        await real.services.people.profile(3001, "D3001", "en")
        await real.services.people.set_consultation(3001, CONSULTATION)
        await BookmarkStore(db).add(3001, CONSULTATION, SESSION, clock.now())
        await real.services.reminders.plan()
        update = real.api.make_message(3001, "/agenda")
        await InboxStore(db).keep([(update["update_id"], update)], [], clock.now())
        await UpdateLog(db).record(99, clock.now())
    requests.ask("a-token")
    before = outbox_rows(tmp_path)
    assert (3001, "reminder", "pending") in before
    announced = programme_told(tmp_path)

    clock.set(at(10, 15, day=9))
    harness = build_harness(
        make_config(tmp_path, console_user=CONSOLE_USER, data_dir=moved_session_data(tmp_path)),
        clock,
    )
    harness.api.add_chat(CONSOLE_USER)
    async with started(harness):
        delegate = harness.chat(CONSOLE_USER)
        for _ in range(3):
            await delegate.send("/now")
            await harness.services.delivery.process_due()
            clock.advance(minutes=10)
        await harness.services.reloader.reload("organiser")

    assert requests.answer_for("a-token") is None
    assert outbox_rows(tmp_path)[: len(before)] == before
    assert [row for row in outbox_rows(tmp_path) if row[0] == 3001] == [
        row for row in before if row[0] == 3001
    ]
    assert programme_told(tmp_path) == announced
    assert not harness.api.bot_messages(3001)
    with sqlite3.connect(config.database_path) as db:
        assert db.execute("SELECT update_id FROM inbox").fetchall() == [(update["update_id"],)]
        assert db.execute("SELECT update_id FROM processed_updates").fetchall() == [(99,)]
    assert users(tmp_path)[3001] == (1, 0)


async def test_the_console_will_not_be_a_real_delegate(tmp_path: Path) -> None:
    clock = ManualClock(datetime.now(GENEVA))
    await register_real_delegates(tmp_path, clock)
    before = outbox_rows(tmp_path)
    with pytest.raises(ConsoleRefused, match="User 3001 is a delegate of the bot on Telegram"):
        await chat_in_console(tmp_path, 3001, "/start\n")
    assert users(tmp_path)[3001] == (1, 0)
    assert outbox_rows(tmp_path) == before


async def test_a_console_delegate_who_writes_from_telegram_becomes_a_real_one(
    tmp_path: Path,
) -> None:
    clock = ManualClock(datetime.now(GENEVA))
    await chat_in_console(tmp_path, CONSOLE_USER, "/start\n")
    assert users(tmp_path)[CONSOLE_USER] == (1, 1)
    async with started(real_harness(tmp_path, clock)) as real:
        await real.chat(CONSOLE_USER).send("/start")
    assert users(tmp_path)[CONSOLE_USER] == (1, 0)


async def test_an_organiser_on_telegram_answers_a_console_users_ticket_and_nothing_is_sent(
    tmp_path: Path,
) -> None:
    """Console users' tickets are in the helpdesk like any (filed in the same database); an
    answer from the real bot is not relayed to them, anonymous or named."""
    clock = ManualClock(at(10, 15))
    async with started(console_harness(tmp_path, clock, CONSOLE_USER)) as console:
        await console.services.people.profile(CONSOLE_USER, "Console", "en")
        await console.services.people.set_consultation(CONSOLE_USER, CONSULTATION)
        delegate = console.chat(CONSOLE_USER)
        await delegate.send("/ask_organisers Is there a cloakroom for suitcases?")
        await delegate.press("Stay anonymous")
        await delegate.send("/ask_organisers Can I bring a colleague?")
        await delegate.press("Show my name")

    async with started(real_harness(tmp_path, clock)) as real:
        await real.services.people.profile(ORGANISER_ID, "Olga", "en")
        organiser = real.chat(ORGANISER_ID, first_name="Olga")
        for ticket in (1, 2):
            await organiser.send(f"/answer {ticket} Yes.")
            assert "the answer was not delivered" in organiser.text()
        assert not real.api.bot_messages(CONSOLE_USER)
