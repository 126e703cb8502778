"""The calendar subscription's feed (/cal/<secret>.ics): how long one request takes.

Run: .venv/bin/python bench/calendar_feed.py [--sessions 1000 --starred 50 --requests 500]

A FOSDEM-size programme is generated (bench/find_session.py's generator); a delegate stars
`--starred` sessions and gets an address; a reload then moves a tenth of them and removes a
twentieth (so the feed reads a change history and shows cancelled events). The feed is asked
`--requests` times over HTTP (the bot's own web app on 127.0.0.1, through aiohttp's client), and
the service alone (the secret's lookup, the agenda, the history, the iCalendar); p50 / p99 of
each, in milliseconds (the very first, which renders the events, apart). Target: p99 ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bench.find_session import generated
from bench.support import bench_application, days_before, percentile, subscriber
from bot.app import running
from bot.context import Services
from bot.fakeapi import FakeBotApi
from bot.services.event_data import Consultation, EventData
from bot.web.serving import site_for
from bot.web.site import mount


def changed(consultation: Consultation, starred: list[str], seed: int) -> Consultation:
    rng = random.Random(seed)
    moved = set(rng.sample(starred, max(1, len(starred) // 10)))
    removed = set(rng.sample(sorted(set(starred) - moved), max(1, len(starred) // 20)))
    sessions = []
    for session in consultation.sessions:
        if session.id in removed:
            continue
        if session.id in moved:
            session = replace(
                session,
                start=session.start + timedelta(hours=1),
                end=session.end + timedelta(hours=1),
            )
        sessions.append(session)
    return replace(consultation, sessions=tuple(sessions))


async def measure(sessions: int, starred: int, requests: int, seed: int) -> None:
    consultation = generated(sessions, 60, 2, seed)
    clock = days_before(consultation, 3)
    api = FakeBotApi(clock=clock.now)
    rng = random.Random(seed)
    picked = [s.id for s in rng.sample(list(consultation.sessions), starred)]
    with tempfile.TemporaryDirectory(prefix="feed-bench-") as scratch:
        app = bench_application(
            consultation, Path(scratch), api, clock, web_base_url="https://hc.example.org"
        )
        async with running(app):
            secret = await subscriber(app, consultation, picked)
            services: Services = app.bot_data["services"]
            clock.set(clock.now() + timedelta(minutes=5))
            new = changed(consultation, picked, seed)
            result = await services.reloader.apply(EventData({new.id: new}), "bench")
            assert result.ok
            site = site_for(app)
            assert site is not None
            root = web.Application()
            mount(root, site)
            service: list[float] = []
            http: list[float] = []
            async with TestClient(TestServer(root, host="127.0.0.1", port=0)) as client:
                body = b""
                for _ in range(requests):
                    began = time.perf_counter()
                    feed = await services.calendar_feeds.feed(secret)
                    service.append((time.perf_counter() - began) * 1000)
                    assert feed is not None
                    # The limiter allows 30 a minute per address: the bench's clock moves on.
                    clock.set(clock.now() + timedelta(seconds=3))
                    began = time.perf_counter()
                    answer = await client.get(f"/cal/{secret}.ics")
                    body = await answer.read()
                    http.append((time.perf_counter() - began) * 1000)
                    assert answer.status == 200
    events = body.count(b"BEGIN:VEVENT")
    cancelled = body.count(b"STATUS:CANCELLED")
    print(
        f"programme {len(consultation.sessions)} sessions; {starred} starred; "
        f"feed {len(body):,} bytes, {events} events ({cancelled} cancelled); {requests} requests"
    )
    print(f"first request (nothing of this programme rendered yet): {service[0]:.2f} ms")
    service = service[1:]
    for name, values in (("service (feed())", service), ("HTTP GET /cal/…ics", http)):
        print(
            f"{name}: p50 {percentile(values, 0.5):.2f} ms, "
            f"p99 {percentile(values, 0.99):.2f} ms, max {max(values):.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--starred", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    asyncio.run(measure(args.sessions, args.starred, args.requests, args.seed))


if __name__ == "__main__":
    main()
