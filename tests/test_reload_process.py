"""A crash around a reload, with the bot as a real process (`python -m bot run`) against the
fake Bot API over HTTP: an organiser edits sessions.yaml and runs `python -m bot reload`, the bot
is killed (SIGKILL) at some moment around it and started again. Every delegate who starred the
moved session is told once; the command that asked gets its answer."""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.fakeapi.http import FakeApiHttpServer
from bot.storage.bookmarks import BookmarkStore
from bot.storage.database import Database
from bot.storage.users import UserStore
from tests.process_support import ROOT, BotProcess, wait_until

GENEVA_ID = "geneva-2026"
TALK = "principles-partnership"
STARRING = range(7001, 7061)
CONCURRENCY = 10  # the outbox claims this many rows at a time (Limits.concurrency)


@pytest.fixture
async def bot(server: FakeApiHttpServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The bot on a copy of the data, with delegates who starred TALK (not started yet)."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    database = await Database.open(tmp_path / "bot.sqlite3")
    users, bookmarks = UserStore(database.connection), BookmarkStore(database.connection)
    now = datetime.now(UTC)
    for user in STARRING:
        server.api.add_chat(user)
        await users.touch(user, "Delegate", now, "en")
        await users.set_consultation(user, GENEVA_ID, now)
        await bookmarks.add(user, GENEVA_ID, TALK, now)
    await database.close()
    process = BotProcess(server, tmp_path, data)
    try:
        yield process
    finally:
        await process.kill()


def move_talk(data: Path) -> None:
    path = data / GENEVA_ID / "sessions.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    (entry,) = [e for e in raw["sessions"] if e["id"] == TALK]
    entry.update(start="2026-12-08T11:30", end="2026-12-08T12:30")
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def notices(server: FakeApiHttpServer) -> dict[int, int]:
    """Change messages each starring delegate received."""
    return {
        user: sum(
            "Programme change" in (m.plain_text() or "") for m in server.api.bot_messages(user)
        )
        for user in STARRING
    }


def change_rows(database: Path) -> dict[int, str]:
    """Each delegate's change message row in the outbox, by its state."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT user_id, state FROM outbox WHERE kind = 'change'")
        return dict(rows.fetchall())


@pytest.mark.parametrize("moment", ["before it serves it", "at a random moment", "while telling"])
async def test_a_reload_killed_at_any_moment_tells_each_delegate_once(
    server: FakeApiHttpServer, bot: BotProcess, moment: str
) -> None:
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    context = f"killed {moment} (seed {seed})"
    await bot.start()
    await wait_until(lambda: server.api.pending_polls > 0, 20, f"polling\n{bot.log()}")
    move_talk(bot.data_dir)
    if moment == "before it serves it":
        assert bot.process is not None
        bot.process.send_signal(signal.SIGSTOP)  # frozen: it cannot look for the request

    command = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot", "reload", "--wait", "25"),
        cwd=bot.folder,
        env=bot.environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    await wait_until((bot.folder / "reload-request").exists, 20, "the request")
    if moment == "before it serves it":
        await asyncio.sleep(chance.uniform(0.0, 1.0))
    elif moment == "at a random moment":
        # The bot looks for requests every 2 seconds: it may or may not have served this one.
        await asyncio.sleep(chance.uniform(0.0, 2.5))
    else:
        await wait_until(lambda: sum(notices(server).values()) > 0, 10, f"a notice\n{bot.log()}")
        await asyncio.sleep(chance.uniform(0.0, 0.5))
    told_before = sum(notices(server).values())
    await bot.kill()

    polls = len(server.api.calls_to("getUpdates"))
    await bot.start()
    # Polling again: the restarted bot is past its imports. A SIGTERM while Python is still
    # importing ends it with the signal's default action (nothing is open yet), and when every
    # notice went out before the kill, nothing below waits for the restart.
    await wait_until(
        lambda: len(server.api.calls_to("getUpdates")) > polls, 20, f"polling\n{bot.log()}"
    )
    output, _ = await asyncio.wait_for(command.communicate(), 30)
    assert command.returncode == 0, output.decode()
    assert output.decode().startswith("Reloaded"), output.decode()

    # Delegates whose message was being sent when the bot was killed are not sent it again
    # (the outbox never resends a message that may have arrived): wait for all the others.
    def settled() -> bool:
        rows = change_rows(bot.folder / "bot.sqlite3")
        return len(rows) == len(STARRING) and all(s in ("sent", "unknown") for s in rows.values())

    await wait_until(settled, 20, f"every notice sent ({context})\n{bot.log()}")
    await asyncio.sleep(0.5)  # a notice told twice would go meanwhile
    assert await bot.terminate() == 0
    states = change_rows(bot.folder / "bot.sqlite3")
    received = notices(server)
    assert max(received.values()) == 1, f"a delegate was told twice ({context})"
    missed = [user for user, count in received.items() if count == 0]
    assert all(states[user] == "unknown" for user in missed), context
    assert len(missed) <= CONCURRENCY, context
    if moment == "before it serves it":
        assert told_before == 0
        assert missed == [], context  # nothing was in flight: everyone is told
    assert [c for c in server.api.calls if not c.ok] == []
