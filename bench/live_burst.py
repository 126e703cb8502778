"""A live session's burst: 500 delegates answering a quick poll within 10 seconds.

The bot runs as its own process (`python -m bot run`) against the fake Bot API over HTTP (served
here, in this process), which enforces Telegram's limits: 30 messages a second overall and one a
second per chat, answering 429 beyond them. Before the bot starts, N delegates of the Geneva
consultation (en/fr/es/ar) are registered with the opening session starred (its audience until
session chairs exist), and a single-choice poll written in English and French is opened to them
through the service (its outbox rows are in the database). The bot delivers it; once every
delegate has it, each answers it with one tap at a random moment of a 10-second window; some tap
twice (the same option again: a double tap) and some change their answer a moment later.

Printed: answers counted against taps sent (each delegate counted once, on their last choice),
the results at the end against those expected, the reply latency during the burst (from the tap
queued to the bot's answerCallbackQuery, which stops the button's spinner; and to the edit
showing the results), p50/p95/max, and the number of 429 answers.

Only poll answers: the audience's questions (voting on them) were built in parallel and had not
merged when this was written.

    .venv/bin/python bench/live_burst.py [--delegates 500] [--window 10] [--seed 18]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import SystemClock
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.fakeapi.http import FakeApiHttpServer
from bot.services.event_data import load_event_data
from bot.services.polls import Polls
from bot.storage.database import Database, to_iso
from bot.storage.polls import PollStore

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424242:live-burst-token"
CONSULTATION = "geneva-2026"
SESSION = "opening"
FIRST = 600_000
ORGANISER = 9001
LANGUAGES = ("en", "fr", "es", "ar")
OPTIONS = 4
TEXTS = {
    "en": "Which priority first?\nFunding\nAccess\nProtection\nData",
    "fr": "Quelle priorité d'abord ?\nFinancement\nAccès\nProtection\nDonnées",
}


class Everyone:
    """The bench's SessionRoles: the organiser chairs; the audience is the registered range."""

    def __init__(self, users: list[int]) -> None:
        self.users = users

    async def is_chair(self, user_id: int, consultation_id: str, session_id: str) -> bool:
        return user_id == ORGANISER

    async def recent_audience(
        self, consultation_id: str, session_id: str, since: datetime
    ) -> list[int]:
        return self.users


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def prepare(path: Path, delegates: int) -> None:
    """The delegates (with the session starred) and the poll, opened: its rows in the outbox."""
    database = await Database.open(path)
    stamp = to_iso(datetime.now(UTC))
    users = list(range(FIRST, FIRST + delegates))
    await database.connection.executemany(
        "INSERT INTO users (user_id, language, consultation_id, first_name, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(u, LANGUAGES[u % 4], CONSULTATION, f"D{u}", stamp, stamp) for u in users],
    )
    await database.connection.executemany(
        "INSERT INTO bookmarks (user_id, consultation_id, session_id, created_at) "
        "VALUES (?, ?, ?, ?)",
        [(u, CONSULTATION, SESSION, stamp) for u in users],
    )
    events = load_event_data(ROOT / "data")
    polls = Polls(PollStore(database.connection), Everyone(users), SystemClock(), lambda: events)
    poll = await polls.new_draft(ORGANISER, CONSULTATION, SESSION, "single", "en")
    for language, text in TEXTS.items():
        poll = await polls.set_text(poll, language, text)
    await polls.open(poll)
    await database.close()


def environment(server: FakeApiHttpServer, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=server.root_url,
        DATABASE_PATH=str(folder / "bot.sqlite3"),
        DATA_DIR=str(ROOT / "data"),
        DEFAULT_CONSULTATION=CONSULTATION,
        ANONYMITY_KEY_FILE=str(folder.parent / f"{folder.name}-keys" / "anonymity.key"),
        ORGANISER_IDS=str(ORGANISER),
        SENTENCE_ENCODER="off",
        PYTHONPATH=str(ROOT),
    )
    for name in ("ANONYMITY_KEY", "WEBHOOK_URL", "MODERATOR_IDS", "HELPDESK_CHAT_ID"):
        env.pop(name, None)
    return env


async def wait_for(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def run(delegates: int, window: float, seed: int) -> None:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="bench-live-burst-"))
    path = folder / "bot.sqlite3"
    await prepare(path, delegates)
    users = list(range(FIRST, FIRST + delegates))

    api = FakeBotApi(rate_limit=(30, 1.0), per_chat_limit=(1, 1.0))
    for user in users:
        api.add_chat(user)
    poll_message: dict[int, int] = {}
    edited_at: dict[int, float] = {}

    def on_message(message: FakeMessage, event: str) -> None:
        if message.chat_id < FIRST:
            return
        if event == "new" and "📊" in (message.text or ""):
            poll_message.setdefault(message.chat_id, message.message_id)
        elif event == "edited":
            edited_at[message.chat_id] = time.perf_counter()

    api.on_bot_message.append(on_message)
    answered_at: dict[str, float] = {}
    answer = api._handlers["answerCallbackQuery"]

    def timed_answer(params: Any) -> Any:
        answered_at[str(params["callback_query_id"])] = time.perf_counter()
        return answer(params)

    api._handlers["answerCallbackQuery"] = timed_answer
    server = FakeApiHttpServer(api, token=TOKEN)
    await server.start()
    log = (folder / "bot.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=environment(server, folder),
        stdout=log,
        stderr=log,
    )
    try:
        started = time.perf_counter()
        await wait_for(lambda: len(poll_message) == delegates, delegates / 30 * 3 + 60, "delivery")
        delivered_in = time.perf_counter() - started
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(
            f"poll delivered to {len(poll_message)} of {delegates} delegates in "
            f"{delivered_in:.1f} s from the bot's start (Telegram's 30 msg/s: "
            f"{delegates / 30:.1f} s at the least); 429s meanwhile: {api.throttled}"
        )
        await asyncio.sleep(1.5)  # the last deliveries' per-chat second passes
        throttled_before = api.throttled

        # The burst: every delegate taps once at a random moment of the window; 10% tap the
        # same option again 0.1-0.5 s later (a double tap); 10% change their mind 1-3 s later.
        taps: list[tuple[float, int, int]] = []
        expected: dict[int, int] = {}
        for user in users:
            at = rng.uniform(0.0, window)
            choice = rng.randrange(OPTIONS)
            taps.append((at, user, choice))
            expected[user] = choice
            roll = rng.random()
            if roll < 0.1:
                taps.append((at + rng.uniform(0.1, 0.5), user, choice))
            elif roll < 0.2:
                other = (choice + 1 + rng.randrange(OPTIONS - 1)) % OPTIONS
                taps.append((min(at + rng.uniform(1.0, 3.0), window), user, other))
                expected[user] = other
        taps.sort()
        queued_at: dict[str, tuple[float, int]] = {}
        begin = time.perf_counter()
        for at, user, choice in taps:
            delay = begin + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            update = api.make_callback(
                user,
                poll_message[user],
                f"pa:1:{choice}",
                language_code=LANGUAGES[user % 4],
                first_name=f"D{user}",
            )
            queued_at[update["callback_query"]["id"]] = (time.perf_counter(), user)
            api.queue_update(update)
        sent_in = time.perf_counter() - begin
        await wait_for(lambda: len(answered_at) >= len(taps), 120, "the answers")
        await asyncio.sleep(1.0)
        latencies = [answered_at[q] - t for q, (t, _u) in queued_at.items() if q in answered_at]
        # Results shown: the edit of the message of a delegate who tapped once, from the tap.
        tapped: dict[int, list[float]] = {}
        for moment, user in queued_at.values():
            tapped.setdefault(user, []).append(moment)
        shown = [
            edited_at[u] - moments[0]
            for u, moments in tapped.items()
            if len(moments) == 1 and u in edited_at
        ]
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
        log.close()
        await server.stop()

    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT user_id, option FROM poll_answers WHERE poll_id = 1").fetchall()
        counts = dict(
            db.execute(
                "SELECT option, COUNT(*) FROM poll_answers WHERE poll_id = 1 GROUP BY option"
            ).fetchall()
        )
        respondents = db.execute(
            "SELECT COUNT(*) FROM poll_recipients WHERE poll_id = 1 AND answered = 1"
        ).fetchone()[0]
    wanted: dict[int, int] = {}
    for choice in expected.values():
        wanted[choice] = wanted.get(choice, 0) + 1
    by_user = {user: option for user, option in rows}
    print(
        f"taps sent: {len(taps)} in {sent_in:.1f} s by {delegates} delegates "
        f"({len(taps) - delegates} second taps: double taps and changed answers)"
    )
    print(
        f"answers counted: {len(rows)} rows for {respondents} respondents; "
        f"exactly once per delegate: {len(rows) == delegates == respondents}"
    )
    print(
        f"results at the end: {dict(sorted(counts.items()))}; "
        f"expected {dict(sorted(wanted.items()))}; "
        f"each delegate's last choice kept: {by_user == expected}"
    )
    print(
        f"reply latency (tap queued -> answerCallbackQuery), {len(latencies)} taps: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    if shown:
        print(
            f"results shown (tap -> the message edited, delegates who tapped once), "
            f"{len(shown)}: "
            f"p50 {statistics.median(shown) * 1000:.0f} ms, "
            f"p95 {percentile(shown, 0.95) * 1000:.0f} ms"
        )
    print(
        f"429 answers during the burst: {api.throttled - throttled_before}; in all {api.throttled}"
    )
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(folder.parent / f"{folder.name}-keys", ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=500)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    asyncio.run(run(args.delegates, args.window, args.seed))
