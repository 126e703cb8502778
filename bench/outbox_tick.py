"""What the outbox tick and /forget cost when 50,000 messages are pending.

A database with 50,000 delegates, one pending message each (all due later, so a tick finds
nothing to send: the common case, ten times a second), 50,000 sent rows, and as many helpdesk
questions, tickets and recommendations. Times, in ms per call (median of repeated runs): the
expiry sweep, the query for sendable rows, one idle tick of the delivery service, deleting one
delegate (/forget: their anonymous rows by author, the rest by foreign-key cascades), a full
re-plan, and the sendable-rows query
again during a broadcast to everyone. Also prints SQLite's plan for the tick's queries.

    .venv/bin/python bench/outbox_tick.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import ManualClock
from bot.services.delivery import Delivery, Outcome, SendMeter
from bot.services.event_data import load_event_data
from bot.services.people import People
from bot.services.privacy import Anonymity
from bot.services.programme import Programme
from bot.services.reminders import Reminders
from bot.storage import outbox as outbox_module
from bot.storage.database import Database, to_iso
from bot.storage.outbox import OutboxItem, OutboxStore, Planned
from bot.storage.settings import SettingsStore
from bot.storage.users import UserStore

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANONYMITY = Anonymity("bench-key-" + "0" * 32)


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> float:
    """Median milliseconds per call."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def populate(database: Database, rows: int) -> None:
    db = database.connection
    stamp = to_iso(NOW)
    await db.execute("BEGIN")
    await db.executemany(
        "INSERT INTO users (user_id, consultation_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
        [(u, "geneva-2026", stamp, stamp) for u in range(1, rows + 1)],
    )
    await db.executemany(
        "INSERT INTO bookmarks (user_id, consultation_id, session_id, created_at) "
        "VALUES (?, 'geneva-2026', 'principles-partnership', ?)",
        [(u, stamp) for u in range(1, rows + 1)],
    )
    authors = [(u, ANONYMITY.author(u)) for u in range(1, rows + 1)]
    await db.executemany(
        "INSERT INTO helpdesk_questions (id, author, consultation_id, language, question, kind, "
        "created_at) VALUES (?, ?, 'geneva-2026', 'en', 'Where?', 'direct', ?)",
        [(u, author, stamp) for u, author in authors],
    )
    await db.executemany(
        "INSERT INTO helpdesk_tickets (question_id, author, consultation_id, language, "
        "question, created_at) VALUES (?, ?, 'geneva-2026', 'en', 'Where?', ?)",
        [(u, author, stamp) for u, author in authors],
    )
    await db.executemany(
        "INSERT INTO recommendations (author, consultation_id, theme_id, text, created_at) "
        "VALUES (?, 'geneva-2026', 'theme', 'More water', ?)",
        [(author, stamp) for _u, author in authors],
    )
    await db.execute("COMMIT")
    store = OutboxStore(db)
    later = NOW + timedelta(days=7)
    pending = [
        Planned(
            kind="bench",
            key=f"bench:pending:{u}",
            user_id=u,
            due_at=later + timedelta(seconds=u),
            not_before=later + timedelta(seconds=u) - timedelta(minutes=3),
            expires_at=later + timedelta(seconds=u, minutes=10),
        )
        for u in range(1, rows + 1)
    ]
    done = [
        Planned(
            kind="bench",
            key=f"bench:sent:{u}",
            user_id=u,
            due_at=NOW - timedelta(days=1),
            not_before=NOW - timedelta(days=1),
        )
        for u in range(1, rows + 1)
    ]
    await store.plan(pending + done, NOW - timedelta(days=2))
    await db.execute("UPDATE outbox SET state = 'sent' WHERE key LIKE 'bench:sent:%'")


async def main(rows: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    database = await Database.open(folder / "bot.sqlite3")
    started = time.perf_counter()
    await populate(database, rows)
    took = time.perf_counter() - started
    print(f"set up {rows} delegates and {2 * rows} outbox rows in {took:.1f} s")
    clock = ManualClock(NOW)
    store = OutboxStore(database.connection)
    events = load_event_data(ROOT / "data")
    people = People(UserStore(database.connection), events, clock, anonymity=ANONYMITY)
    delivery = Delivery(store, people, clock, SendMeter(clock))

    async def send(item: OutboxItem) -> Outcome:
        return Outcome.sent()

    delivery.send = send
    db = database.connection
    for name in ("_EXPIRE", "_CANDIDATES", "_CANDIDATES_DUE", "_CANDIDATES_EARLY"):
        sql = getattr(outbox_module, name, None)
        if sql is None:  # an older version of the code (compare before/after)
            continue
        async with db.execute(f"EXPLAIN QUERY PLAN {sql}", (to_iso(NOW),) * sql.count("?")) as c:
            details = [row["detail"] for row in await c.fetchall()]
        print(f"plan of {name}: {'; '.join(details)}")

    async def tick() -> None:
        clock.advance(seconds=0.1)
        await delivery.process_due(clock.now())

    expire_ms = await timed(lambda: store.expire(NOW), 50)
    candidates_ms = await timed(lambda: store.candidates(NOW, 140), 50)
    tick_ms = await timed(tick, 200)
    victims = iter(range(1, rows + 1))
    forget_ms = await timed(lambda: people.forget(next(victims)), 20)
    reminders = Reminders(store, SettingsStore(db), Programme(events), clock)
    plan_ms = await timed(reminders.plan, 3)
    one_ms = await timed(lambda: reminders.plan(rows), 20)
    # A broadcast: as many rows again, all sendable at once, besides the ones due later.
    broadcast = [
        Planned(kind="bench", key=f"bench:now:{u}", user_id=u, due_at=NOW, not_before=NOW)
        for u in range(100, rows + 1)
    ]
    await store.add(broadcast, NOW)
    burst_ms = await timed(lambda: store.candidates(NOW, 140), 20)
    print(f"machine: {os.cpu_count()} cores; SQLite file database, WAL")
    print(f"expire sweep: {expire_ms:.2f} ms")
    print(f"sendable rows query: {candidates_ms:.2f} ms; during a broadcast: {burst_ms:.2f} ms")
    print(f"idle delivery tick: {tick_ms:.3f} ms (every 0.1 s)")
    print(f"/forget of one delegate: {forget_ms:.2f} ms")
    print(f"full re-plan ({rows} delegates): {plan_ms:.0f} ms; one delegate: {one_ms:.2f} ms")
    await database.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    asyncio.run(main(parser.parse_args().rows))
