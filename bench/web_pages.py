"""The web pages at FOSDEM size: server time per request, and what the reader downloads.

Run: .venv/bin/python bench/web_pages.py [--sessions 1000 --requests 300 --clients 10 --cpu 0]

A 1,000-session, 60-room, two-day programme is generated (bench/find_session.py's generator)
and served by the bot's own pages (bot.web.serving.site_for, the chat's facets and search) on
127.0.0.1, the process pinned to one core (os.sched_setaffinity; elsewhere `taskset -c 0`).
The busiest day's page, a session's page, a search and the Mini App's page are asked
`--requests` times one after another, then by `--clients` clients at once; a delegate's
calendar feed (50 stars) one after another. Server time is measured in the server, from the
request's arrival at the pages to the last byte of its answer written (compression included);
p50 / p95 / p99 in milliseconds, and the gzip size of each page. Each page is also asked by
the first reader after a reload: with the kept pages forgotten and nothing warmed, and with
warming on (the delegate reads French: the day page and the Mini App's are warmed, a session's
page and a search are not), beside how long warming takes and the event loop's longest stall
while it runs. Targets: the day page under 100 KB compressed and p99 ≤ 20 ms; the feed p99
≤ 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware

from bench.find_session import generated
from bench.support import bench_application, days_before, percentile, subscriber
from bot.app import running
from bot.context import Services
from bot.fakeapi import FakeBotApi
from bot.services.event_data import EventData
from bot.web.limits import Limits, Rate
from bot.web.serving import site_for
from bot.web.site import LIMITS_KEY, SITE_KEY, mount
from bot.web.warming import WARMER_KEY

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def timed(record: dict[str, list[float]]) -> Middleware:
    """A middleware around everything: the time until the answer's last byte is written."""

    @web.middleware
    async def timing(request: web.Request, handler: Handler) -> web.StreamResponse:
        began = time.perf_counter()
        response = await handler(request)
        await response.prepare(request)
        await response.write_eof()
        record[request.headers.get("X-Bench", "other")].append(
            (time.perf_counter() - began) * 1000
        )
        return response

    return timing


async def measure(args: argparse.Namespace) -> None:
    consultation = generated(args.sessions, 60, 2, args.seed)
    busiest = max(consultation.days(), key=lambda d: len(consultation.sessions_on(d)))
    clock = days_before(consultation, 3)
    api = FakeBotApi(clock=clock.now)
    rng = random.Random(args.seed)
    record: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="web-bench-") as scratch:
        app = bench_application(
            consultation, Path(scratch), api, clock, web_base_url="https://hc.example.org"
        )
        async with running(app):
            services: Services = app.bot_data["services"]
            starred = [s.id for s in rng.sample(list(consultation.sessions), 50)]
            secret = await subscriber(app, consultation, starred)
            site = site_for(app)
            assert site is not None
            # The bench is one client asking as fast as it can: the limits would stop it.
            site[LIMITS_KEY] = Limits(reading=Rate(1e9, 1e9), posting=Rate(1e9, 1e9))
            root = web.Application(middlewares=[timed(record)])
            mount(root, site)
            runner = web.AppRunner(root, access_log=None)
            await runner.setup()
            tcp = web.TCPSite(runner, "127.0.0.1", 0)
            await tcp.start()
            port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{port}"
            some = consultation.sessions_on(busiest)[len(consultation.sessions_on(busiest)) // 2]
            pages = {
                "day page": f"/c/{consultation.id}/{busiest.isoformat()}/?lang=fr",
                "session page": f"/c/{consultation.id}/s/{some.id}?lang=fr",
                "search page": f"/c/{consultation.id}/?q=climate+finance&lang=fr",
                "Mini App page": f"/app/{consultation.id}/?lang=fr",
            }
            sizes: dict[str, tuple[int, int]] = {}
            try:
                async with aiohttp.ClientSession(
                    auto_decompress=False, headers={"Accept-Encoding": "gzip"}
                ) as http:

                    async def get(name: str, path: str) -> bytes:
                        async with http.get(base + path, headers={"X-Bench": name}) as answer:
                            assert answer.status == 200, (path, answer.status)
                            return await answer.read()

                    for name, path in pages.items():
                        compressed = await get(name, path)
                        async with (
                            aiohttp.ClientSession() as plain,
                            plain.get(base + path) as answer,
                        ):
                            sizes[name] = (len(compressed), len(await answer.read()))
                        record[name].clear()  # the first request rendered: not counted
                    for name, path in pages.items():
                        for _ in range(args.requests):
                            await get(name, path)
                    sequential = {name: list(record[name]) for name in pages}
                    for name in pages:
                        record[name].clear()
                    for name, path in pages.items():

                        async def client(name: str = name, path: str = path) -> None:
                            for _ in range(args.requests // args.clients):
                                await get(name, path)

                        await asyncio.gather(*(client() for _ in range(args.clients)))
                    concurrent = {name: list(record[name]) for name in pages}
                    feed_path = f"/cal/{secret}.ics"
                    await get("feed", feed_path)
                    record["feed"].clear()
                    for _ in range(args.requests):
                        # The feed allows 30 requests a minute per address: the clock moves on.
                        clock.set(clock.now() + timedelta(seconds=3))
                        await get("feed", feed_path)
                    feed = list(record["feed"])
                    # Rendered anew each time: the first reader after a reload.
                    kept = site[SITE_KEY].pages
                    profile = cProfile.Profile() if args.profile else None
                    for name, path in pages.items():
                        for _ in range(max(10, args.requests // 10)):
                            kept.clear()
                            if profile is not None and name == "day page":
                                profile.enable()
                            await get(name + " anew", path)
                            if profile is not None:
                                profile.disable()
                    cold = {name: list(record[name + " anew"]) for name in pages}
                    # The first reader after a reload, with warming on (bot/web/warming.py):
                    # the reload swaps in another programme object, the pages warm in the
                    # background (the event loop's longest stall meanwhile is measured), then
                    # each page is asked once.
                    warmer = site[WARMER_KEY]
                    stalls: list[float] = []
                    warm_times: list[float] = []
                    longest_pages: list[float] = []
                    warmed_pages = 0
                    for _ in range(max(10, args.requests // 10)):
                        events = EventData({consultation.id: consultation})
                        await services.reloader.apply(events, "bench")
                        began = time.perf_counter()
                        ticking = asyncio.create_task(_longest_stall(stalls))
                        warmed_pages = await warmer.wait()
                        warm_times.append((time.perf_counter() - began) * 1000)
                        longest_pages.append(warmer.longest_page)
                        ticking.cancel()
                        await asyncio.gather(ticking, return_exceptions=True)
                        for name, path in pages.items():
                            await get(name + " warmed", path)
                    warmed = {name: list(record[name + " warmed"]) for name in pages}
            finally:
                await runner.cleanup()
    print(
        f"programme {len(consultation.sessions)} sessions, "
        f"{len({s.room.get('en') for s in consultation.sessions if s.room})} rooms; "
        f"busiest day {busiest.isoformat()}: {len(consultation.sessions_on(busiest))} sessions; "
        f"{args.requests} requests each, {args.clients} clients at once; cpu {args.cpu}"
    )

    def line(label: str, values: list[float]) -> str:
        return (
            f"{label}: p50 {percentile(values, 0.5):.2f} ms, p95 {percentile(values, 0.95):.2f} "
            f"ms, p99 {percentile(values, 0.99):.2f} ms"
        )

    for name in pages:
        gz, raw = sizes[name]
        print(f"{name}: {gz / 1000:.1f} KB gzip ({raw / 1000:.1f} KB)")
        print("  " + line("one after another", sequential[name]))
        print("  " + line(f"{args.clients} at once", concurrent[name]))
        print("  " + line("rendered anew (a reload, no warming)", cold[name]))
        print("  " + line("first after a reload, warmed", warmed[name]))
    print(
        f"warming after a reload: {warmed_pages} pages, "
        + line("done in", warm_times)
        + "; "
        + line("its longest page", longest_pages)
        + "; "
        + line("the event loop's longest stall meanwhile (anything)", stalls)
    )
    print(line("calendar feed (50 stars)", feed))
    if profile is not None:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(25)


async def _longest_stall(stalls: list[float]) -> None:
    """Until cancelled: the longest the event loop kept a 1 ms timer waiting (appended)."""
    longest = 0.0
    try:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.001)
            longest = max(longest, (time.perf_counter() - began) * 1000 - 1)
    finally:
        stalls.append(longest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--profile", action="store_true", help="profile the day page anew")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (tottime…)")
    parser.add_argument("--cpu", type=int, default=0, help="the core to run on (-1: any)")
    args = parser.parse_args()
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
