"""Broadcast delivery: achieved rate against Telegram's limits, reply latency meanwhile, and
duplicates and losses over SIGKILL-and-restart trials.

Rate: the real application (handlers, outbox, JobQueue ticks, the broadcast job) runs against the
in-process Bot API, which enforces a limit of messages a second overall and one a second per
chat and answers 429 beyond them. One broadcast goes to N registered delegates; meanwhile one
delegate sends /now about once a second and we time the replies. The achieved rate is the
number delivered over the time from the first to the last delivery, as a share of the limit.

Crash trials: the bot runs as a child process (the Bot API inside it writes each delivered
announcement's chat id to a log with an unbuffered append, which a SIGKILL cannot undo). The
parent kills it at a random moment while it sends, restarts it, and lets it finish; then it
compares the log with the outbox: a recipient delivered twice is a duplicate, one never
delivered is a loss, unless the outbox left it in the `unknown` state (the report lists those).

    .venv/bin/python bench/broadcast.py rate [--recipients 10000] [--limit 30]
    .venv/bin/python bench/broadcast.py crash [--trials 20] [--recipients 1000] [--limit 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update

from bot.app import build_application, running
from bot.clock import SystemClock
from bot.config import Config
from bot.context import BotApplication, Services
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.services.broadcasts import Audience
from bot.services.event_data import load_event_data
from bot.storage.broadcasts import subject_of
from bot.storage.database import Database, to_iso

ROOT = Path(__file__).resolve().parent.parent
CONSULTATION = "geneva-2026"
FIRST = 100_000
ASKER = 999
LANGUAGES = ("en", "fr", "es", "ar")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def register(path: Path, recipients: int) -> None:
    """N delegates of the Geneva consultation, in four languages, written in one go."""
    database = await Database.open(path)
    stamp = to_iso(datetime.now(UTC))
    rows = [
        (user, LANGUAGES[user % 4], CONSULTATION, f"D{user}", stamp, stamp)
        for user in range(FIRST, FIRST + recipients)
    ]
    await database.connection.executemany(
        "INSERT OR IGNORE INTO users (user_id, language, consultation_id, first_name, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    await database.close()


def texts() -> dict[str, str]:
    return {
        "en": "The plenary moves to Room A at 14:00. Buses leave at 18:00.",
        "fr": "La plénière passe en salle A à 14 h. Les bus partent à 18 h.",
    }


async def queue_broadcast(services: Services) -> int:
    record = await services.broadcasts.create_scheduled(
        consultation_id=CONSULTATION,
        texts=texts(),
        fallback="en",
        audience=Audience("consultation"),
        at=services.clock.now(),
    )
    return record.id


# --- rate and reply latency ------------------------------------------------------------------


async def measure_rate(recipients: int, limit: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    path = folder / "bot.sqlite3"
    await register(path, recipients)
    received: dict[int, float] = {}
    duplicates = 0

    def on_message(message: FakeMessage, event: str) -> None:
        nonlocal duplicates
        if event == "new" and (message.text or "").startswith("📢") and message.chat_id >= FIRST:
            if message.chat_id in received:
                duplicates += 1
            received[message.chat_id] = time.perf_counter()

    api, app = limited_bot(path, recipients, limit, on_message)
    async with running(app):
        services: Services = app.bot_data["services"]
        apply_limit(services, limit)
        # The asker attends another consultation: the announcement does not compete with the
        # replies for the asker's own chat (one message a second per chat).
        api.make_message(ASKER, "/start")
        await services.people.profile(ASKER, "Asker", "en")
        await services.people.set_consultation(ASKER, "nairobi-2027")
        started = time.perf_counter()
        broadcast = await queue_broadcast(services)
        latencies: list[float] = []
        deadline = time.monotonic() + recipients / limit * 3 + 60
        while len(received) < recipients and time.monotonic() < deadline:
            data = api.make_message(ASKER, "/now", first_name="Asker")
            asked = time.perf_counter()
            await app.process_update(Update.de_json(data, app.bot))
            if received:
                latencies.append(time.perf_counter() - asked)
            await asyncio.sleep(1.0)
        states = await services.delivery.store.progress(subject_of(broadcast))
    first, last = min(received.values()), max(received.values())
    if os.environ.get("BENCH_SECONDS"):
        per_second: dict[int, int] = {}
        for moment in received.values():
            per_second[int(moment - first)] = per_second.get(int(moment - first), 0) + 1
        seconds = range(int(last - first) + 1)
        print("deliveries per second:", [per_second.get(i, 0) for i in seconds])
    span = last - first
    rate = (len(received) - 1) / span if span > 0 else float("nan")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"Bot API limits: {limit} msg/s overall, 1 msg/s per chat; 429 beyond them")
    print(f"recipients: {recipients}; delivered {len(received)}; outbox states: {states}")
    print(
        f"first delivery {first - started:.1f} s after queueing; sending span {span:.1f} s; "
        f"achieved {rate:.2f} msg/s = {rate / limit:.3f} of the limit"
    )
    replies = sum(
        1 for call in api.calls if call.method == "sendMessage" and call.params["chat_id"] == ASKER
    )
    print(
        f"with the {replies} replies to the asker, the bot sent "
        f"{(len(received) + replies) / span:.2f} msg/s over that span"
    )
    print(f"429 answers provoked: {api.throttled}; duplicates: {duplicates}")
    if latencies:
        print(
            f"reply latency to /now during the broadcast ({len(latencies)} commands): "
            f"median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )


def limited_bot(
    path: Path, recipients: int, limit: int, on_message: Callable[[FakeMessage, str], None]
) -> tuple[FakeBotApi, BotApplication]:
    """The application over a Bot API that answers 429 beyond `limit` a second (and 1 a second
    per chat); every recipient has a chat with the bot; `on_message` sees what it sends."""
    clock = SystemClock()
    api = FakeBotApi(clock=clock.now, rate_limit=(limit, 1.0), per_chat_limit=(1, 1.0))
    for user in range(FIRST, FIRST + recipients):
        api.add_chat(user)
    api.on_bot_message.append(on_message)
    config = Config(database_path=path, data_dir=ROOT / "data")
    events = load_event_data(ROOT / "data")
    app = build_application(
        config, events, request=api.request(), get_updates_request=api.request(), clock=clock
    )
    return api, app


def apply_limit(services: Services, limit: int) -> None:
    """The outbox and the replies' meter keep to the Bot API's limit."""
    services.delivery.limits = replace(services.delivery.limits, per_second=limit)
    services.delivery.meter.limit = limit


# --- crash trials ----------------------------------------------------------------------------


async def child(path: Path, log: Path, recipients: int, limit: int) -> None:
    """The bot until the broadcast is done; every delivery appended to `log`."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def on_message(message: FakeMessage, event: str) -> None:
        if event == "new" and (message.text or "").startswith("📢"):
            os.write(fd, f"{message.chat_id}\n".encode())

    _api, app = limited_bot(path, recipients, limit, on_message)
    async with running(app):
        services: Services = app.bot_data["services"]
        apply_limit(services, limit)
        if await services.broadcasts.get(1) is None:
            await queue_broadcast(services)
        print("READY", flush=True)
        while True:
            record = await services.broadcasts.get(1)
            if record is not None and record.state == "done":
                break
            await asyncio.sleep(0.2)
    print("DONE", flush=True)


def trial(number: int, recipients: int, limit: int, rng: random.Random) -> tuple[int, int, int]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-crash-{number}-"))
    path, log = folder / "bot.sqlite3", folder / "delivered.log"
    asyncio.run(register(path, recipients))
    command = [sys.executable, __file__, "child", str(path), str(log)]
    command += ["--recipients", str(recipients), "--limit", str(limit)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "READY"
    # A random moment from the queueing (the bot starts it within 2 s) to the expected end.
    pause = rng.uniform(0.0, 2.0 + recipients / limit + 1.0)
    time.sleep(pause)
    process.send_signal(signal.SIGKILL)
    process.wait()
    delivered_before = len(log.read_text().split()) if log.exists() else 0
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    out, _ = process.communicate(timeout=recipients / limit * 4 + 60)
    assert "DONE" in out, out
    counts: dict[int, int] = {}
    for line in log.read_text().split():
        counts[int(line)] = counts.get(int(line), 0) + 1
    with sqlite3.connect(path) as db:
        states = dict(
            db.execute(
                "SELECT user_id, state FROM outbox WHERE subject = ?", (subject_of(1),)
            ).fetchall()
        )
    unknown = {user for user, state in states.items() if state == "unknown"}
    users = range(FIRST, FIRST + recipients)
    duplicates = sum(1 for u in users if counts.get(u, 0) > 1 and u not in unknown)
    losses = sum(1 for u in users if counts.get(u, 0) == 0 and u not in unknown)
    print(
        f"trial {number:2}: killed at {pause:.2f} s, after {delivered_before} deliveries; "
        f"rows {len(states)}; sent {sum(s == 'sent' for s in states.values())}; "
        f"unknown {len(unknown)}; duplicates {duplicates}; losses {losses}",
        flush=True,
    )
    return duplicates, losses, len(unknown)


def crash_trials(trials: int, recipients: int, limit: int, seed: int) -> None:
    rng = random.Random(seed)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{trials} trials, {recipients} recipients, Bot API limit {limit} msg/s, seed {seed}")
    totals = [trial(n + 1, recipients, limit, rng) for n in range(trials)]
    print(
        f"in all: duplicates {sum(t[0] for t in totals)}, losses {sum(t[1] for t in totals)} "
        f"(outside the unknown state); unknown {sum(t[2] for t in totals)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    rate = modes.add_parser("rate")
    rate.add_argument("--recipients", type=int, default=10_000)
    rate.add_argument("--limit", type=int, default=30)
    crash = modes.add_parser("crash")
    crash.add_argument("--trials", type=int, default=20)
    crash.add_argument("--recipients", type=int, default=1000)
    crash.add_argument("--limit", type=int, default=200)
    crash.add_argument("--seed", type=int, default=6)
    inner = modes.add_parser("child")
    inner.add_argument("path", type=Path)
    inner.add_argument("log", type=Path)
    inner.add_argument("--recipients", type=int, required=True)
    inner.add_argument("--limit", type=int, required=True)
    args = parser.parse_args()
    if args.mode == "rate":
        asyncio.run(measure_rate(args.recipients, args.limit))
    elif args.mode == "crash":
        crash_trials(args.trials, args.recipients, args.limit, args.seed)
    else:
        asyncio.run(child(args.path, args.log, args.recipients, args.limit))
