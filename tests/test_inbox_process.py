"""Updates survive SIGKILL (`python -m bot run` as a real process against the fake Bot API).

Killed with updates in hand, in long polling or webhook mode, the bot answers each of them at
most once after a restart: every one, except those whose reply was on its way when the process
died (the one held, and other chats' handled meanwhile), which are recorded as unknown (they may
or may not have been answered; the held one Telegram did not carry out). A malformed update is
skipped once, without stalling polling or writing its content to the log.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.fakeapi import FakeBotApi
from bot.fakeapi.http import FakeApiHttpServer
from bot.webhook import SECRET_HEADER
from tests.process_support import (
    DELEGATES,
    BotProcess,
    queue_load,
    replies,
    wait_until,
)

SECRET = "inbox-process-secret"


def database(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "bot.sqlite3")


async def kill_with_a_reply_in_flight(server: FakeApiHttpServer, bot: BotProcess) -> None:
    """SIGKILL while the bot waits for Telegram to take a reply (never carried out)."""
    server.hold_next("sendMessage")
    await wait_until(lambda: server.held == 1, 20, f"a reply in flight\n{bot.log()}")
    await bot.kill()


def unknown_updates(folder: Path) -> list[int]:
    with database(folder) as db:
        return [row[0] for row in db.execute("SELECT update_id FROM unknown_updates")]


def check_answered_at_most_once(
    api: FakeBotApi, sent: dict[int, int], senders: dict[int, int], folder: Path
) -> None:
    """Nothing answered twice, nothing unanswered but updates recorded as unknown: those whose
    reply was on its way when the bot was killed. The bot cannot tell them from replies Telegram
    took, so it does not repeat them. The held reply's update is one; other chats' updates are
    handled meanwhile (bot/updates.py), so a reply of theirs may be on its way too."""
    per_chat = {user: len(api.bot_messages(user)) for user in DELEGATES}
    unknown = unknown_updates(folder)
    assert unknown  # the held reply's update at least
    unknown_per_chat = Counter(senders[ident] for ident in unknown)
    short = {user: sent[user] - got for user, got in per_chat.items() if got != sent[user]}
    assert short, "the held reply was never sent, yet every update was answered"
    for user, missing in short.items():
        # Fewer replies than updates only where updates are unknown; never more (twice).
        assert 0 < missing <= unknown_per_chat[user], (user, missing, unknown)
    log = (folder / "bot.log").read_text()
    for ident in unknown:
        assert f"Update {ident} may or may not have been answered" in log
    with database(folder) as db:
        assert db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0


def all_but_unknown(api: FakeBotApi, total: int, folder: Path) -> bool:
    """Every update answered, but those the restart recorded as unknown."""
    return replies(api) >= total - len(unknown_updates(folder))


async def test_sigkill_in_polling_repeats_nothing(
    server: FakeApiHttpServer,
    bot_process: BotProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = server.api
    senders: dict[int, int] = {}
    queue = api.queue_update

    def remember(update: dict[str, Any]) -> None:
        senders[update["update_id"]] = update["message"]["chat"]["id"]
        queue(update)

    monkeypatch.setattr(api, "queue_update", remember)
    sent = queue_load(api, rounds=2)  # 100 updates from 50 delegates
    total = sum(sent.values())
    await bot_process.start()
    await wait_until(lambda: replies(api) >= 10, 20, f"first replies\n{bot_process.log()}")
    await kill_with_a_reply_in_flight(server, bot_process)
    assert replies(api) < total, "all answered before the kill: proves nothing"

    await bot_process.start()
    await wait_until(
        lambda: all_but_unknown(api, total, tmp_path), 20, f"all replies\n{bot_process.log()}"
    )
    await asyncio.sleep(0.5)  # a repeated update would be answered meanwhile
    assert await bot_process.terminate() == 0
    check_answered_at_most_once(api, sent, senders, tmp_path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def listening(port: int, bot: BotProcess) -> None:
    """Wait until the bot's webhook server answers."""
    deadline = asyncio.get_running_loop().time() + 20
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the webhook server did not start\n{bot.log()}")
            await asyncio.sleep(0.05)


class Telegram:
    """Telegram's side of a webhook: POSTs each update until the bot answers 200 OK."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.unconfirmed: dict[int, dict[str, Any]] = {}

    async def deliver(self, updates: list[dict[str, Any]], connections: int = 4) -> None:
        for update in updates:
            self.unconfirmed[update["update_id"]] = update
        queue = list(updates)
        headers = {SECRET_HEADER: SECRET}

        async def connection(http: aiohttp.ClientSession) -> None:
            while queue:
                update = queue.pop(0)
                try:
                    async with http.post(self.url, json=update, headers=headers) as answer:
                        if answer.status == 200:
                            del self.unconfirmed[update["update_id"]]
                except aiohttp.ClientError:
                    pass  # the bot is gone: sent again later

        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(connection(http) for _ in range(connections)))


async def test_sigkill_in_webhook_mode_repeats_nothing(
    server: FakeApiHttpServer, bot_process: BotProcess, tmp_path: Path
) -> None:
    api = server.api
    port = free_port()
    settings = {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "PORT": str(port),
    }
    telegram = Telegram(settings["WEBHOOK_URL"])
    await bot_process.start(**settings)
    await listening(port, bot_process)
    updates = []
    sent = dict.fromkeys(DELEGATES, 0)
    senders: dict[int, int] = {}
    for turn in range(2):
        for user in DELEGATES:
            update = api.make_message(user, "/now" if turn == 0 else "/next")
            updates.append(update)
            senders[update["update_id"]] = user
            sent[user] += 1
    total = sum(sent.values())
    delivering = asyncio.create_task(telegram.deliver(updates))
    await wait_until(lambda: replies(api) >= 10, 20, f"first replies\n{bot_process.log()}")
    await kill_with_a_reply_in_flight(server, bot_process)
    await delivering
    confirmed = total - len(telegram.unconfirmed)
    assert replies(api) < confirmed, "no update confirmed and unanswered: proves nothing"

    await bot_process.start(**settings)
    await listening(port, bot_process)
    await telegram.deliver(list(telegram.unconfirmed.values()))
    assert telegram.unconfirmed == {}
    await wait_until(
        lambda: all_but_unknown(api, total, tmp_path), 20, f"all replies\n{bot_process.log()}"
    )
    await asyncio.sleep(0.5)  # a repeated update would be answered meanwhile
    assert await bot_process.terminate() == 0
    check_answered_at_most_once(api, sent, senders, tmp_path)


async def test_a_malformed_update_is_skipped_once_without_its_content_in_the_log(
    server: FakeApiHttpServer, bot_process: BotProcess, tmp_path: Path
) -> None:
    api = server.api
    name, texts = "Zoë Leakcheck", ("my secret question about visas", "another private text")
    api.queue_update(api.make_message(6001, "/now"))
    unreadable = api.make_message(6002, texts[0], first_name=name)
    unreadable["message"]["date"] = "yesterday"  # python-telegram-bot cannot parse it
    api.queue_update(unreadable)
    api.queue_update(api.make_message(6003, "/forget"))
    no_chat = api.make_message(6002, texts[1], first_name=name)
    del no_chat["message"]["chat"]  # parses, but is no Bot API message
    api.queue_update(no_chat)
    api.queue_update(api.make_message(6001, "/help"))
    await bot_process.start()
    await wait_until(
        lambda: len(api.bot_messages(6001)) >= 2 and api.bot_messages(6003),
        10,
        f"the replies after the malformed updates\n{bot_process.log()}",
    )
    await asyncio.sleep(0.5)  # a stalled poller would fetch the malformed ones again and again
    assert await bot_process.terminate() == 0

    assert len(api.calls_to("getUpdates")) <= 5  # long polls, each waiting for updates
    skipped = [unreadable["update_id"], no_chat["update_id"]]
    log = (tmp_path / "bot.log").read_text()
    for ident in skipped:
        assert len(re.findall(rf"\bupdate {ident}\b", log)) == 1, log
    for secret in (name, *texts, "Leakcheck"):
        assert secret not in log
    with database(tmp_path) as db:
        rows = db.execute("SELECT update_id, reason FROM skipped_updates").fetchall()
    assert [ident for ident, _ in rows] == skipped
    assert rows[1][1] == "update.message.chat is missing"


def marks(folder: Path) -> tuple[int, int]:
    """Rows in the inbox, and those marked as answering (committed: what a kill leaves)."""
    with database(folder) as db:
        rows, marked = db.execute("SELECT COUNT(*), COUNT(answering_since) FROM inbox").fetchone()
        return int(rows), int(marked)


async def test_sigkill_while_a_refused_reply_waits_answers_it_after_the_restart(
    server: FakeApiHttpServer, bot_process: BotProcess, tmp_path: Path
) -> None:
    # Telegram refuses the reply with a 429 (nothing delivered); the bot waits retry_after to
    # send it again and is killed meanwhile. After the restart the delegate is answered, once,
    # instead of the update being recorded as unknown.
    api = server.api
    await bot_process.start()
    await wait_until(lambda: api.pending_polls > 0, 20, f"polling\n{bot_process.log()}")
    api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 5",
        retry_after=5,
    )
    update = api.make_message(6001, "/help")
    api.queue_update(update)
    await wait_until(
        lambda: api.calls_to("sendMessage"), 20, f"the refused reply\n{bot_process.log()}"
    )
    await asyncio.sleep(1)  # well inside the 5 s wait
    left = marks(tmp_path)
    await bot_process.kill()
    assert [call.ok for call in api.calls_to("sendMessage")] == [False]
    assert api.bot_messages(6001) == []

    await bot_process.start()
    await wait_until(lambda: api.bot_messages(6001), 10, f"the reply\n{bot_process.log()}")
    await asyncio.sleep(0.5)  # a second reply would come meanwhile
    assert await bot_process.terminate() == 0
    assert ["What I can do" in (m.plain_text() or "") for m in api.bot_messages(6001)] == [True]
    assert left == (1, 0)
    assert unknown_updates(tmp_path) == []
    assert marks(tmp_path) == (0, 0)
