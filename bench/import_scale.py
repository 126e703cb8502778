"""Scale: import a 1,000-session, 40-room frab JSON programme, then browse it through the bot.

Run: .venv/bin/python bench/import_scale.py [--sessions 1000 --rooms 40 --days 4]
Prints the import time (read + diff + write + validate) and the latency of /agenda, paging
through a whole day with ▶, opening a session card and /now, measured through
Application.process_update against the in-process fake Bot API (no network).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update

from bot.app import build_application, running
from bot.clock import ManualClock
from bot.config import Config
from bot.fakeapi import FakeBotApi
from bot.services.event_data import load_event_data
from bot.services.importing import apply_import, plan_import

ZONE = ZoneInfo("Europe/Zurich")
FIRST_DAY = date(2026, 12, 8)


def programme(sessions: int, rooms: int, days: int) -> dict[str, Any]:
    """A frab schedule.json with `sessions` talks spread over rooms and days, 30-90 min each."""
    per_day = -(-sessions // days)
    room_names = [f"Room {n:02d}" for n in range(1, rooms + 1)]
    out_days = []
    number = 0
    for index in range(days):
        day = FIRST_DAY + timedelta(days=index)
        by_room: dict[str, list[dict[str, Any]]] = {name: [] for name in room_names}
        clock = {
            name: datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZONE) for name in room_names
        }
        for slot in range(min(per_day, sessions - number)):
            number += 1
            name = room_names[slot % rooms]
            start = clock[name]
            minutes = (30, 45, 60, 90)[number % 4]
            clock[name] = start + timedelta(minutes=minutes + 15)
            by_room[name].append(
                {
                    "guid": f"00000000-0000-4000-8000-{number:012d}",
                    "id": 10_000 + number,
                    "date": start.isoformat(),
                    "start": start.strftime("%H:%M"),
                    "duration": f"{minutes // 60:02d}:{minutes % 60:02d}",
                    "room": name,
                    "title": f"Session {number}: partnerships and localization in practice",
                    "subtitle": "",
                    "track": ("Partnership", "Localization", "Displacement")[number % 3],
                    "type": ("Talk", "Workshop", "Panel")[number % 3],
                    "language": "en",
                    "abstract": "<p>What works, <b>what does not</b>, and why.</p>",
                    "description": "- one point\n- another point",
                    "persons": [{"public_name": f"Speaker {number % 300}"}],
                }
            )
        out_days.append(
            {
                "index": index + 1,
                "date": day.isoformat(),
                "day_start": f"{day}T08:00:00+01:00",
                "day_end": f"{day}T23:00:00+01:00",
                "rooms": by_room,
            }
        )
    return {
        "schedule": {
            "version": "bench",
            "conference": {
                "acronym": "bench",
                "title": "Bench",
                "start": str(FIRST_DAY),
                "end": str(FIRST_DAY + timedelta(days=days - 1)),
                "daysCount": days,
                "timeslot_duration": "00:05",
                "time_zone_name": "Europe/Zurich",
                "days": out_days,
            },
        }
    }


CONSULTATION = """\
id: bench
kind: global
default_language: en
name: Bench consultation
timezone: Europe/Zurich
start: {start}
end: {end}
venue: {{name: Hall, address: Street 1, latitude: 46.2, longitude: 6.1}}
"""


async def browse(data: Path, tmp: Path, days: int) -> dict[str, list[float]]:
    events = load_event_data(data)
    clock = ManualClock(datetime(2026, 12, 8, 11, 0, tzinfo=ZONE))
    api = FakeBotApi(clock=clock.now)
    config = Config(
        token=None,
        database_path=tmp / "bench.sqlite3",
        data_dir=data,
        organisers=frozenset(),
        moderators=frozenset(),
    )
    app = build_application(
        config, events, request=api.request(), get_updates_request=api.request(), clock=clock
    )
    timings: dict[str, list[float]] = {
        "/agenda": [],
        "▶ page": [],
        "card": [],
        "/now": [],
        "search (free text)": [],
    }

    async def feed(kind: str, data: dict[str, Any]) -> None:
        # A delegate taps about once a second: keep clear of the bot's flood control.
        clock.set(clock.now() + timedelta(seconds=1))
        began = time.perf_counter()
        await app.process_update(Update.de_json(data, app.bot))
        timings[kind].append((time.perf_counter() - began) * 1000)

    def button(user: int, label: str) -> tuple[int, str] | None:
        message = api.last_bot_message(user)
        for row in message.buttons():
            for item in row:
                if label in str(item.get("text", "")):
                    return message.message_id, str(item["callback_data"])
        return None

    async with running(app):
        for user in range(2001, 2011):
            await feed("/agenda", api.make_message(user, "/agenda"))
            pages = 0
            while (found := button(user, "▶")) is not None and pages < 200:
                await feed("▶ page", api.make_callback(user, found[0], found[1]))
                pages += 1
            if user == 2001:
                print(f"paged through {pages + 1} pages of the first day", flush=True)
            found = button(user, "Session")
            if found is not None:
                await feed("card", api.make_callback(user, found[0], found[1]))
            for question in (f"what is on in room {user % 40 + 1:02d} now?", f"session {user}"):
                await feed("search (free text)", api.make_message(user, question))
            before = len(api.bot_messages(user))
            await feed("/now", api.make_message(user, "/now"))
            if user == 2001:
                sent = api.bot_messages(user)[before:]
                buttons = sum(len(row) for m in sent for row in m.buttons())
                size = sum(len(m.plain_text() or "") for m in sent)
                print(
                    f"/now at {clock.now().astimezone(ZONE):%H:%M} local: {len(sent)} messages, "
                    f"{size} characters, "
                    f"{buttons} buttons",
                    flush=True,
                )
    failures = [c for c in api.calls if not c.ok]
    if failures:
        raise SystemExit(f"rejected Bot API calls: {failures[:3]}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=40)
    parser.add_argument("--days", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as scratch:
        tmp = Path(scratch)
        source = tmp / "schedule.json"
        source.write_text(json.dumps(programme(args.sessions, args.rooms, args.days)), "utf-8")
        data = tmp / "data"
        (data / "bench").mkdir(parents=True)
        last = FIRST_DAY + timedelta(days=args.days - 1)
        (data / "bench" / "consultation.yaml").write_text(
            CONSULTATION.format(start=FIRST_DAY, end=last), "utf-8"
        )
        (data / "bench" / "sessions.yaml").write_text("sessions: []\n", "utf-8")
        (data / "bench" / "logistics.yaml").write_text("topics: []\n", "utf-8")
        (data / "bench" / "faq.yaml").write_text("[]\n", "utf-8")

        began = time.perf_counter()
        plan = plan_import(data, "bench", source)
        planned = time.perf_counter()
        apply_import(plan)
        written = time.perf_counter()
        events = load_event_data(data)
        loaded = time.perf_counter()
        consultation = events.consultations["bench"]
        print(
            f"programme: {len(consultation.sessions)} sessions, {len(plan.programme.rooms())} "
            f"rooms, {args.days} days; source {source.stat().st_size // 1024} KiB, "
            f"sessions.yaml {(data / 'bench' / 'sessions.yaml').stat().st_size // 1024} KiB"
        )
        print(
            f"import: {(written - began) * 1000:.0f} ms total "
            f"(read+diff {(planned - began) * 1000:.0f} ms, "
            f"write+validate {(written - planned) * 1000:.0f} ms); "
            f"bot start-up load of the data: {(loaded - written) * 1000:.0f} ms"
        )
        timings = asyncio.run(browse(data, tmp, args.days))
        print("per-command latency through process_update (ms): median / p95 / max (n)")
        for kind, values in timings.items():
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
            print(
                f"  {kind:8} {statistics.median(ordered):6.1f} / {p95:6.1f} / "
                f"{ordered[-1]:6.1f}  ({len(ordered)})"
            )


if __name__ == "__main__":
    main()
