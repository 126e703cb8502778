"""Lateness of 2,000 reminders due at the same moment, and reply latency meanwhile.

The real application (handlers, outbox, JobQueue tick) runs against the in-process Bot API with
Telegram's limits enforced: 30 messages a second overall and 1 a second per chat, answering 429
beyond them. 2,000 delegates starred the same session, so all their 10-minute reminders fall due
at the same instant. Meanwhile another delegate sends /now about once a second. The clock is real
time, shifted to 95 s before that instant.

Lateness is (time the Bot API received the reminder) - (due time): negative when it left early.
At 30 messages a second, 2,000 messages need about 67 s, so the outbox starts early just enough
that the last one is not late (each reminder says the real time left: "starting in 11 minutes").

    .venv/bin/python bench/reminders_lateness.py [--recipients 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update

from bot.app import build_application, running
from bot.clock import OffsetClock
from bot.config import Config
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.services.event_data import load_event_data
from bot.storage.bookmarks import BookmarkStore

ROOT = Path(__file__).resolve().parent.parent
SESSION = "principles-partnership"
DELEGATE = 999


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(recipients: int) -> None:
    events = load_event_data(ROOT / "data")
    consultation = events.consultations["geneva-2026"]
    session = consultation.session(SESSION)
    assert session is not None
    due = session.start - timedelta(minutes=10)
    clock = OffsetClock(due - timedelta(seconds=95))
    api = FakeBotApi(clock=clock.now, rate_limit=(30, 1.0), per_chat_limit=(1, 1.0))
    received: dict[int, datetime] = {}
    duplicates: list[int] = []

    def on_message(message: FakeMessage, event: str) -> None:
        if event == "new" and "⏰" in (message.text or "") and message.chat_id != DELEGATE:
            if message.chat_id in received:
                duplicates.append(message.chat_id)
            received[message.chat_id] = clock.now()

    api.on_bot_message.append(on_message)
    folder = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    config = Config(database_path=folder / "bot.sqlite3", data_dir=ROOT / "data")
    app = build_application(
        config, events, request=api.request(), get_updates_request=api.request(), clock=clock
    )
    async with running(app):
        services = app.bot_data["services"]
        bookmarks = BookmarkStore(services.db.connection)
        started = time.perf_counter()
        for user in range(100_000, 100_000 + recipients):
            api.make_message(user, "/start")  # each delegate has a chat with the bot
            await services.people.profile(user, "Delegate")
            await services.people.set_consultation(user, consultation.id)
            await bookmarks.add(user, consultation.id, SESSION, clock.now())
        api.make_message(DELEGATE, "/start")
        await services.people.profile(DELEGATE, "Asker")
        await services.people.set_consultation(DELEGATE, consultation.id)
        await services.reminders.plan()
        print(f"set up {recipients} delegates in {time.perf_counter() - started:.1f} s")
        latencies: list[float] = []
        deadline = time.monotonic() + 200
        while len(received) < recipients and time.monotonic() < deadline:
            data = api.make_message(DELEGATE, "/now", first_name="Asker")
            asked = time.perf_counter()
            await app.process_update(Update.de_json(data, app.bot))
            if clock.now() >= due - timedelta(seconds=80):
                latencies.append(time.perf_counter() - asked)
            await asyncio.sleep(1.1)
        states = await services.delivery.store.progress(f"session:{consultation.id}:{SESSION}")
    late = [(at - due).total_seconds() for at in received.values()]
    first, last = min(received.values()), max(received.values())
    span = (last - first).total_seconds()
    print(f"machine: {os.cpu_count()} cores; Bot API limits 30 msg/s overall, 1 msg/s per chat")
    print(f"reminders delivered: {len(received)} of {recipients}; outbox states: {states}")
    print(
        "lateness (received - due), s: "
        f"median {statistics.median(late):+.2f}, max {max(late):+.2f}, "
        f"min {min(late):+.2f}, late by > 1 s: {sum(x > 1 for x in late)}"
    )
    print(f"sending span {span:.1f} s, achieved {len(received) / max(span, 1e-9):.1f} msg/s")
    print(f"429 answers provoked: {api.throttled}; duplicates: {len(duplicates)}")
    if latencies:
        print(
            f"reply latency to /now during the burst ({len(latencies)} commands): "
            f"median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=2000)
    asyncio.run(main(parser.parse_args().recipients))
