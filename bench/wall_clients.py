"""Room screens under load: 200 screens follow one wall while votes flow; how soon each sees a
vote, and what they cost the chat's replies.

The bot runs in this process over the in-process fake Bot API (no sentence encoder), its pages
served beside it on 127.0.0.1 as in polling mode (bot/web/serving.py), on the same event loop.
The screens are another process (as browsers are): CLIENTS server-sent-event streams of one
session's wall (bot/web/wall.py), each noting when each message arrives and the votes it shows.

Three runs of --seconds each, /now sent 20 times a second (Poisson) from 500 delegates, timed
from the update queue to the reply reaching the Bot API (as bench/encoder_cost.py --part now):

- alone: /now only;
- votes: VOTES_PER_SECOND votes a second through the panel service (PanelQuestions.vote, each
  from a new delegate, on one of five approved questions), no screen connected;
- votes + screens: the same with the CLIENTS screens connected.

The pages' per-client request limit is raised: the 200 screens all come from 127.0.0.1.

Vote to screen: for each vote, from the moment `vote` returned (stored) to the moment each
screen received a message showing that many votes in all (clock: time.time(), the same on both
sides of the machine): p50, p95, max over every (vote, screen) pair.

    .venv/bin/python bench/wall_clients.py [--clients 200] [--votes 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from bench.support import InProcessBot, timed_now
from bot.app import running
from bot.config import Config
from bot.web.limits import Limits, Rate
from bot.web.serving import site_for
from bot.web.site import LIMITS_KEY, WALLS_APP_KEY, mount
from bot.web.wall import HUB_KEY, WallHub

ROOT = Path(__file__).resolve().parent.parent
GENEVA = "geneva-2026"
SESSION = "opening"  # 09:00-10:30
AT = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Europe/Zurich"))
ORGANISER = 1
FIRST_USER = 100_000
NOW_USERS = 500
NOW_RATE = 20.0
LANGUAGES = ("en", "fr", "es", "ar")
_VOTES = re.compile(r"▲ (\d+) vote")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Bot(InProcessBot):
    def __init__(self, folder: Path) -> None:
        config = Config(
            database_path=folder / "db" / "bot.sqlite3",
            data_dir=ROOT / "data",
            organisers=frozenset({ORGANISER}),
            bot_username="iom_ngo_bot",
            anonymity_key_file=folder / "keys" / "anonymity.key",
        )
        super().__init__(config, AT)

    async def register(self, users: range, consultation_id: str = GENEVA) -> None:
        await super().register(users, consultation_id)


async def chat_under_votes(
    bot: Bot, question_ids: list[int], votes_per_second: float, seconds: float, voter: list[int]
) -> tuple[dict[str, Any], list[float]]:
    """/now 20 a second for `seconds`, timed; votes meanwhile. The votes' stored times."""
    rng = random.Random(7)
    stored: list[float] = []
    end = time.perf_counter() + seconds
    consultation = bot.services.events.consultations[GENEVA]

    async def send_votes() -> None:
        if not votes_per_second:
            return
        while True:
            await asyncio.sleep(rng.expovariate(votes_per_second))
            if time.perf_counter() >= end:
                return
            voter[0] += 1
            await bot.services.panel.vote(voter[0], consultation, rng.choice(question_ids))
            stored.append(time.time())

    (latencies, unanswered), _ = await asyncio.gather(
        timed_now(bot, rng, end, FIRST_USER, NOW_USERS, NOW_RATE), send_votes()
    )
    figures = {
        "now_replies": len(latencies),
        "unanswered": unanswered,
        "votes": len(stored),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else 0.0,
    }
    return figures, stored


async def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="wall-bench-"))
    bot = Bot(folder)
    result: dict[str, Any] = {"clients": args.clients, "votes_per_second": args.votes}
    async with running(bot.app):
        services = bot.services
        await bot.register(range(FIRST_USER, FIRST_USER + NOW_USERS))
        consultation = services.events.consultations[GENEVA]
        question_ids = []
        for n in range(5):
            asked = await services.panel.ask(
                FIRST_USER + n,
                consultation,
                SESSION,
                f"Question {n}: how will local partners be funded?",
                name=None,
                language="en",
            )
            await services.panel.moderate(ORGANISER, consultation, asked.id, "approve")
            question_ids.append(asked.id)
        secret = await services.walls.issue(ORGANISER, consultation, "session", SESSION)
        site = site_for(bot.app)
        assert site is not None
        hub: WallHub = site[WALLS_APP_KEY][HUB_KEY]
        # The pages' per-client limit (20 requests a second, bot/web/limits.py) would refuse
        # 200 screens opened at once from one address: here they all come from 127.0.0.1.
        site[LIMITS_KEY] = Limits(reading=Rate(per_second=10_000, burst=10_000))
        root = web.Application()
        mount(root, site)
        runner = web.AppRunner(root, access_log=None, shutdown_timeout=1)
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        await tcp.start()
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}/wall/{secret}/events?lang=en"
        voter = [10_000_000]
        try:
            result["alone"], _ = await chat_under_votes(bot, question_ids, 0, args.seconds, voter)
            result["votes"], _ = await chat_under_votes(
                bot, question_ids, args.votes, args.seconds, voter
            )
            total_before = voter[0] - 10_000_000
            out = folder / "screens.json"
            screens = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--screens-child",
                url,
                "--clients",
                str(args.clients),
                "--out",
                str(out),
            )
            for _ in range(600):
                if sum(len(w.clients) for w in hub.watchers.values()) >= args.clients:
                    break
                await asyncio.sleep(0.05)
            connected = sum(len(w.clients) for w in hub.watchers.values())
            await asyncio.sleep(1.0)  # every screen has the state before the votes
            reads_before = sum(w.reads for w in hub.watchers.values())
            figures, stored = await chat_under_votes(
                bot, question_ids, args.votes, args.seconds, voter
            )
            await asyncio.sleep(2.5)  # the last votes reach the screens
            figures["screens_connected"] = connected
            figures["wall_reads"] = sum(w.reads for w in hub.watchers.values()) - reads_before
            result["votes_and_screens"] = figures
            await hub.close()  # the streams end: the screens' process writes what it saw
            await asyncio.wait_for(screens.wait(), 30)
            seen = json.loads(await asyncio.to_thread(out.read_text))
            result["vote_to_screen"] = vote_to_screen(stored, total_before, seen)
        finally:
            await runner.cleanup()
    return result


def vote_to_screen(stored: list[float], before: int, seen: list[list[list[float]]]) -> Any:
    """For each vote (the `before`+k-th in all) and each screen, the first message showing at
    least that many: its arrival minus the vote's stored time."""
    delays: list[float] = []
    missed = 0
    for messages in seen:
        position = 0
        for index, at in enumerate(stored):
            wanted = before + index + 1
            while position < len(messages) and messages[position][1] < wanted:
                position += 1
            if position == len(messages):
                missed += 1
                continue
            delays.append(messages[position][0] - at)
    return {
        "pairs": len(delays),
        "missed": missed,
        "p50_ms": percentile(delays, 0.5) * 1000,
        "p95_ms": percentile(delays, 0.95) * 1000,
        "max_ms": max(delays) * 1000 if delays else 0.0,
    }


# --- the screens' process ------------------------------------------------------------------------


async def screens(url: str, clients: int) -> list[list[list[float]]]:
    """Follow the wall's stream `clients` times over; each message's arrival and vote total."""
    seen: list[list[list[float]]] = [[] for _ in range(clients)]

    async def follow(index: int, session: ClientSession) -> None:
        async with session.get(url) as response:
            buffer = b""
            async for chunk in response.content.iter_any():
                buffer += chunk
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    if not event.startswith(b"data: "):
                        continue
                    html = json.loads(event[6:])["html"]
                    total = sum(int(n) for n in _VOTES.findall(html))
                    seen[index].append([time.time(), total])

    connector = TCPConnector(limit=0)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=None)) as session:
        await asyncio.gather(*(follow(i, session) for i in range(clients)), return_exceptions=True)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--votes", type=float, default=50.0, help="votes a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--screens-child")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.screens_child:
        seen = asyncio.run(screens(args.screens_child, args.clients))
        Path(args.out).write_text(json.dumps(seen))
        return
    result = asyncio.run(run(args))
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(json.dumps(result, indent=2))
    print("uptime:", load)
    a, v, s = result["alone"], result["votes"], result["votes_and_screens"]
    print(
        f"/now p95: alone {a['p95_ms']:.1f} ms, with votes {v['p95_ms']:.1f} ms, with votes and "
        f"{s['screens_connected']} screens {s['p95_ms']:.1f} ms "
        f"(difference {s['p95_ms'] - v['p95_ms']:+.1f} ms)"
    )
    w = result["vote_to_screen"]
    print(
        f"vote to screen: p50 {w['p50_ms']:.0f} ms, p95 {w['p95_ms']:.0f} ms, "
        f"max {w['max_ms']:.0f} ms over {w['pairs']} (vote, screen) pairs; "
        f"{s['wall_reads']} reads of the wall for {s['votes']} votes"
    )


if __name__ == "__main__":
    main()
