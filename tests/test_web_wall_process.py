"""`python -m bot web` serves the room screens on the bot's database, as its own process: a vote
the bot (another process) stores reaches an open screen's stream within 2 seconds, with
nothing to wake the screen's watcher but its own reads of the database."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import ClientResponse, ClientSession

from bot.services.walls import secret_hash
from bot.storage.database import Database
from tests.process_support import ROOT, key_file

SECRET = "S" * 43
GENEVA = "geneva-2026"
SESSION = "opening"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepared(database: Path) -> None:
    """A room screen of the opening plenary, and one approved question, as the bot writes them."""
    db = await Database.open(database)
    now = datetime(2026, 12, 8, 8, 15, tzinfo=UTC).isoformat()
    await db.connection.execute(
        "INSERT INTO walls (consultation_id, kind, target, secret_hash, created_at) "
        "VALUES (?, 'session', ?, ?, ?)",
        (GENEVA, SESSION, secret_hash(SECRET), now),
    )
    await db.connection.execute(
        "INSERT INTO panel_questions (consultation_id, session_id, author, language, text, "
        "status, created_at, updated_at) VALUES (?, ?, 'someone', 'en', ?, 'shown', ?, ?)",
        (GENEVA, SESSION, "Who funds local partners?", now, now),
    )
    await db.close()


@pytest.fixture
async def web_process(tmp_path: Path) -> AsyncIterator[str]:
    database = tmp_path / "bot.sqlite3"
    await prepared(database)
    port = free_port()
    env = dict(os.environ, DATABASE_PATH=str(database), BOT_USERNAME="iom_ngo_bot")
    env["ANONYMITY_KEY_FILE"] = str(key_file(tmp_path))
    env.pop("ANONYMITY_KEY", None)
    env["PYTHONPATH"] = str(ROOT)
    log = (tmp_path / "web.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "web",
        "--port",
        str(port),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    try:
        async with ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(base + "/c/") as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                await asyncio.sleep(0.05)
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def votes_shown(response: ClientResponse) -> str:
    while True:
        raw = await asyncio.wait_for(response.content.readuntil(b"\n\n"), 5)
        if raw.startswith(b"data: "):
            return str(json.loads(raw[6:])["html"])


def vote(database: Path, voter: str) -> None:
    """A vote as the bot process stores it (its own connection)."""
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO panel_votes (question_id, voter) SELECT id, ? FROM panel_questions",
            (voter,),
        )


async def test_the_standalone_server_follows_votes_another_process_stores(
    web_process: str, tmp_path: Path
) -> None:
    async with ClientSession() as session:
        async with session.get(f"{web_process}/wall/{SECRET}?lang=en") as response:
            assert response.status == 200
            assert "Who funds local partners?" in await response.text()
        async with session.get(f"{web_process}/wall/{SECRET}/events?lang=en") as stream:
            assert "▲ 0 votes" in await votes_shown(stream)
            stored = time.monotonic()
            await asyncio.to_thread(vote, tmp_path / "bot.sqlite3", "another")
            assert "▲ 1 vote" in await votes_shown(stream)
            assert time.monotonic() - stored < 2.0
        async with session.get(f"{web_process}/wall/{'T' * 43}") as response:
            assert response.status == 404
