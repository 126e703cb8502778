"""The bot as a real process (`python -m bot run`) against the fake Bot API over HTTP: Telegram
accepts some announcements, then the connection drops before its answer. Each delegate gets the
announcement once; the report counts those sends as unknown instead of sending them twice."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import running
from bot.clock import ManualClock
from bot.fakeapi import FakeBotApi
from bot.fakeapi.http import FakeApiHttpServer
from tests.conftest import GENEVA, build_harness, make_config
from tests.process_support import ROOT, BotProcess, key_file, wait_until

DELEGATES = range(3001, 3011)
LANGUAGES = ("en", "fr", "es", "ar")
ORGANISER = 9001
TEXT = "The shuttle to the airport leaves at 17:30 from the main entrance."
LOST = 4  # announcements Telegram accepts before the connection drops


@pytest.fixture
async def bot_process(server: FakeApiHttpServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    # The bot reads the organisers from the .env of its working folder.
    (tmp_path / ".env").write_text(f"ORGANISER_IDS={ORGANISER}\n", encoding="utf-8")
    process = BotProcess(server, tmp_path)
    try:
        yield process
    finally:
        await process.kill()


async def register(folder: Path, api: FakeBotApi) -> None:
    """Ten delegates of the Geneva consultation in the bot's database, each with a chat."""
    harness = build_harness(make_config(folder), ManualClock(datetime.now(GENEVA)))
    async with running(harness.app):
        for index, user in enumerate(DELEGATES):
            language = LANGUAGES[index % len(LANGUAGES)]
            await harness.services.people.profile(user, f"D{user}", language)
            await harness.services.people.set_consultation(user, "geneva-2026")
    for user in [*DELEGATES, ORGANISER]:
        api.add_chat(user, first_name=f"D{user}")


async def command(folder: Path, *args: str) -> str:
    """`python -m bot <args>` on the bot's database, as an organiser at a terminal runs it."""
    env = dict(os.environ)
    env.update(
        DATABASE_PATH=str(folder / "bot.sqlite3"),
        DATA_DIR=str(ROOT / "data"),
        DEFAULT_CONSULTATION="geneva-2026",
        ANONYMITY_KEY_FILE=str(key_file(folder)),
        PYTHONPATH=str(ROOT),
    )
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, out.decode()
    return out.decode()


def copies(api: FakeBotApi, user: int) -> int:
    return sum(TEXT in (m.plain_text() or "") for m in api.bot_messages(user))


async def settled(api: FakeBotApi, quiet: float = 1.5, within: float = 20.0) -> None:
    """Until the bot sent nothing for `quiet` seconds (what it had due at start is out)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    seen, since = len(api.calls_to("sendMessage")), loop.time()
    while loop.time() - since < quiet:
        assert loop.time() < deadline, "the bot kept sending"
        await asyncio.sleep(0.1)
        now = len(api.calls_to("sendMessage"))
        if now != seen:
            seen, since = now, loop.time()


async def test_announcements_whose_answer_was_lost_arrive_once_and_count_as_unknown(
    server: FakeApiHttpServer, bot_process: BotProcess, tmp_path: Path
) -> None:
    api = server.api
    await register(tmp_path, api)
    await bot_process.start()
    await wait_until(lambda: api.pending_polls > 0, 20, f"polling\n{bot_process.log()}")
    await settled(api)  # e.g. a countdown message already due today

    server.fail_next(LOST, method="sendMessage", carried_out=True)
    note = tmp_path / "note.txt"
    note.write_text(TEXT, encoding="utf-8")
    queued = await command(
        tmp_path, "broadcast", "--consultation", "geneva-2026", "--text-file", str(note), "--yes"
    )
    assert "Broadcast #1 queued now" in queued

    await wait_until(
        lambda: all(copies(api, user) for user in DELEGATES), 30, f"sends\n{bot_process.log()}"
    )
    assert server.faults_injected == LOST
    listing = ""
    deadline = asyncio.get_running_loop().time() + 30
    while "#1 done" not in listing:
        assert asyncio.get_running_loop().time() < deadline, f"{listing}\n{bot_process.log()}"
        await asyncio.sleep(0.5)
        listing = await command(tmp_path, "broadcasts")
    assert f"sent {len(DELEGATES) - LOST}, unknown {LOST}" in listing
    assert {user: copies(api, user) for user in DELEGATES} == dict.fromkeys(DELEGATES, 1)

    # The organiser's /broadcasts tells the same, in words.
    api.queue_update(api.make_message(ORGANISER, "/broadcasts", language_code="en"))
    await wait_until(
        lambda: any(
            "Announcements" in (m.plain_text() or "") for m in api.bot_messages(ORGANISER)
        ),
        20,
        f"/broadcasts\n{bot_process.log()}",
    )
    report = api.last_bot_message(ORGANISER).plain_text() or ""
    assert f"Sent to {len(DELEGATES) - LOST} of {len(DELEGATES)} delegates." in report
    assert f"Unknown: {LOST} — the connection broke while sending" in report
    assert await bot_process.terminate() == 0
    assert {user: copies(api, user) for user in DELEGATES} == dict.fromkeys(DELEGATES, 1)
