"""Finding a session in a FOSDEM-size programme: taps through the filters, one search, pages.

Run: .venv/bin/python bench/find_session.py [--sessions 1000 --rooms 60 --days 2]
     .venv/bin/python bench/find_session.py --sample ../shared/samples/hub-schedule2.json

The programme is generated like FOSDEM's (two days, a devroom per room and day, talks of 15 to
50 minutes, a few workshops and keynotes, interpretation for some), or imported from a frab or
pretalx export with the bot's importer. It prints:

- taps to reach each session from /agenda (as it opens at 10:00 on the first day), on the best
  path the list's buttons allow: ◀ ▶, « day », ⏱ Now, and 🔎 Filter → a dimension → a value
  (three taps; a value opens the first day it has sessions on, unless it has some on the day
  shown; up to two filters, values past the first page of the value menu cost a ▶ each), then
  the tap on the session; max and median, with and without filters;
- search latency (p50 / p99) of the programme search, as /search and "sessions on …" run it,
  and how often one search finds the session on the first page of results (its title; two
  words of its title; its first speaker's name);
- pages per day before and after filtering (one value of one dimension, over every day it has
  sessions on), and the latency of /search and of a filter value through the real bot
  (Application.process_update against the in-process fake Bot API).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update

from bench.support import bench_application
from bot.app import running
from bot.clock import ManualClock
from bot.fakeapi import FakeBotApi
from bot.handlers.agenda import PAGE_SIZE, other_days
from bot.handlers.filter_menu import VALUES_PER_PAGE
from bot.services.data_reading import Text
from bot.services.event_data import Consultation, Session, Speaker, Venue
from bot.services.importers import ImportOptions, read
from bot.services.programme_filters import (
    DIMENSIONS,
    NO_FILTERS,
    Facets,
    Filters,
    counts,
    encode,
    facets_of,
    keys_of,
    landing_day,
    page_at,
    pages,
)
from bot.services.session_search import SessionIndex

ZONE = ZoneInfo("Europe/Brussels")
FIRST_DAY = date(2027, 2, 6)
OPENS = 10  # /agenda is opened at 10:00 on the first day

TOPICS = (  # noqa: SIM905
    "Rust Go Python Java Kotlin Swift Ruby Perl Erlang Elixir Haskell OCaml Julia Fortran "
    "Databases PostgreSQL SQLite Containers Kubernetes Virtualization Kernel Embedded RISC-V "
    "Hardware Networking Security Cryptography Testing Monitoring Observability Geospatial HPC "
    "Media Music Graphics Accessibility Design Education Energy Identity Privacy Legal Policy "
    "Community Translations Localization Documentation Browsers Mozilla LLVM GCC Compilers "
    "Packaging Distributions Nix Guix Debian Fedora Mobile Android Linux Firmware Retro "
    "Gaming Robotics Science Health Search Email Messaging Matrix Decentralisation Social"
).split()
VERBS = (  # noqa: SIM905
    "Building Scaling Debugging Testing Shipping Securing Porting Profiling Packaging "
    "Rethinking Teaching Measuring Automating Migrating Maintaining Funding Designing"
).split()
THINGS = (  # noqa: SIM905
    "pipelines drivers schedulers allocators runtimes toolchains protocols parsers caches "
    "dashboards workflows communities releases bootloaders filesystems compilers editors "
    "plugins clusters sensors satellites maps fonts keyboards translations archives"
).split()
FIRST = (  # noqa: SIM905
    "Ana Ben Chen Dara Elif Femi Gus Hana Ivo Jun Kemal Lea Mo Nia Omar Pia Quinn Rui Sara "
    "Tomás Uma Vik Wen Xavi Yara Zoe Amina Bruno Chloé Diego Emma Farid Greta Hugo Inès"
).split()
LAST = (  # noqa: SIM905
    "Silva Novak Haddad Kim Okafor Müller Rossi Dubois Garcia Yilmaz Nakamura Kowalski "
    "Andersen Costa Ivanova Mensah Nguyen Schmidt Moreau Rahimi Laurent Quispe Moyo Bello"
).split()


def _text(value: str) -> Text:
    return Text({"en": value}, "en")


def generated(sessions: int, rooms: int, days: int, seed: int = 17) -> Consultation:
    """A FOSDEM-like programme: every room holds one devroom (track) a day, talks back to back
    from 09:00, a few workshops and panels, keynotes in the first room."""
    rng = random.Random(seed)
    room_names = [f"{rng.choice('HKUAJ')}.{n // 10}.{100 + n}" for n in range(rooms)]
    room_names[0] = "Janson"
    tracks = list(TOPICS)
    rng.shuffle(tracks)
    out: list[Session] = []
    slots = {
        (d, r): datetime(2027, 2, 6 + d, 9, 0, tzinfo=ZONE)
        for d in range(days)
        for r in range(rooms)
    }
    order = [(d, r) for d in range(days) for r in range(rooms)]
    number = 0
    while number < sessions:
        for day, room in order:
            if number >= sessions:
                break
            start = slots[day, room]
            minutes = rng.choice((15, 20, 25, 25, 30, 30, 40, 50))
            end = start + timedelta(minutes=minutes)
            slots[day, room] = end + timedelta(minutes=5)
            track = "Keynotes" if room == 0 else tracks[(day * rooms + room) % len(tracks)]
            roll = rng.random()
            kind = (
                "plenary"
                if room == 0
                else "workshop"
                if roll < 0.08
                else "panel"
                if roll < 0.12
                else "other"
            )
            interpretation: tuple[str, ...] = ()
            if rng.random() < 0.15:
                interpretation = ("en", rng.choice(("fr", "es", "ar")))
            topic = track if track != "Keynotes" else rng.choice(TOPICS)
            title = f"{rng.choice(VERBS)} {rng.choice(THINGS)} in {topic}"
            if rng.random() < 0.5:
                title += f": {rng.choice(THINGS)} and {rng.choice(THINGS)}"
            speakers = tuple(
                Speaker(f"{rng.choice(FIRST)} {rng.choice(LAST)}")
                for _ in range(rng.choice((1, 1, 1, 2)))
            )
            number += 1
            out.append(
                Session(
                    id=f"fosdem-{number}",
                    title=_text(title),
                    start=start,
                    end=end,
                    description=_text(
                        f"How we went about {rng.choice(THINGS)} and {rng.choice(THINGS)} "
                        f"with {topic}, what broke, and what we would do again."
                    ),
                    room=_text(room_names[room]),
                    track=_text(track),
                    kind=kind,
                    speakers=speakers,
                    interpretation=interpretation,
                )
            )
    out.sort(key=lambda s: (s.start, s.end, s.id))
    return _consultation(tuple(out), FIRST_DAY, FIRST_DAY + timedelta(days=days - 1))


def imported(path: Path) -> Consultation:
    """A frab or pretalx export, read by the bot's importer (its days past midnight kept on
    the evening before)."""
    programme = read(path, ImportOptions(ZONE))
    sessions = tuple(sorted((s.session for s in programme.sessions), key=lambda s: s.start))
    first = programme.first_day or FIRST_DAY
    last = programme.last_day or first
    return _consultation(sessions, first, last, programme.day_change(ZONE))


def _consultation(
    sessions: tuple[Session, ...], first: date, last: date, day_change: timedelta = timedelta(0)
) -> Consultation:
    return Consultation(
        day_change=day_change,
        id="bench",
        kind="global",
        name=_text("Bench"),
        default_language="en",
        languages=("en",),
        timezone=ZONE,
        start=first,
        end=last,
        venue=Venue(_text("Campus"), _text("Street 1"), 50.8, 4.4),
        sessions=sessions,
    )


# --- Taps ----------------------------------------------------------------------------------


_LISTS: dict[tuple[Filters, date], list[Session]] = {}


def _listed(consultation: Consultation, filters: Filters, day: date) -> list[Session]:
    """A day's list under `filters` (remembered: the search below asks for each many times)."""
    found = _LISTS.get((filters, day))
    if found is None:
        found = _LISTS[filters, day] = filters.apply(consultation.sessions_on(day))
    return found


def _landing(consultation: Consultation, day: date, filters: Filters) -> date:
    """`landing_day`, through the remembered lists."""
    if _listed(consultation, filters, day):
        return day
    found = next((d for d in consultation.days() if _listed(consultation, filters, d)), day)
    assert found == landing_day(consultation, day, filters)
    return found


def _value_taps(
    consultation: Consultation, facets: Facets, filters: Filters, dimension: str, key: str
) -> int:
    """Taps to choose a value: 🔎 Filter, the dimension, ▶ through the value menu, the value."""
    shown = _MENUS.get((filters, dimension))
    if shown is None:
        found = counts(consultation.sessions, filters, dimension)
        facet = facets.facet(dimension)
        assert facet is not None
        shown = [k for k in facet.keys if found[k] or k == filters.get(dimension)]
        _MENUS[filters, dimension] = shown
    return 3 + shown.index(key) // VALUES_PER_PAGE


_MENUS: dict[tuple[Filters, str], list[str]] = {}


def _day_taps(consultation: Consultation, day: date, target: date) -> int:
    """Taps from one day's list to another's, through the day buttons under the list."""
    taps = 0
    while day != target:
        nearer = other_days(consultation, day)
        day = min(nearer, key=lambda d: abs((target - d).days))
        taps += 1
    return taps


def _to_session(
    consultation: Consultation,
    session: Session,
    day: date,
    page: int,
    filters: Filters,
    now: datetime,
) -> int:
    """Taps from a list (day, page, filters) to the session's card: « day » to its day (each
    lands on page 1), then ▶ or ⏱ Now and ▶ ◀, then the session."""
    target = consultation.day_of(session.start)
    wanted = _listed(consultation, filters, target).index(session) // PAGE_SIZE
    moves = _day_taps(consultation, day, target)
    best = abs(wanted - page) if moves == 0 else moves + wanted
    today = consultation.day_of(now)
    now_page = page_at(_listed(consultation, filters, today), now, PAGE_SIZE)
    if today == target and now_page is not None:
        best = min(best, 1 + abs(wanted - now_page))
    return best + 1


def taps(consultation: Consultation, now: datetime, *, use_filters: bool) -> list[int]:
    """For each session (breaks have no button), the fewest taps from /agenda to its card."""
    facets = facets_of(consultation.sessions)
    start_day = consultation.day_of(now)
    if start_day not in consultation.days():
        start_day = consultation.start
    found = []
    for session in consultation.sessions:
        if session.kind == "break":
            continue
        target = consultation.day_of(session.start)
        day_moves = _day_taps(consultation, start_day, target)
        best = _to_session(consultation, session, start_day, 0, NO_FILTERS, now)
        if use_filters:
            choices = [(d, k) for d in DIMENSIONS for k in keys_of(session, d)]
            for size in (1, 2):
                for chosen in itertools.combinations(choices, size):
                    if len({d for d, _k in chosen}) < size:
                        continue
                    for order in itertools.permutations(chosen):
                        # Filter from the day shown, or go to the session's day first.
                        for first_moves, from_day in ((0, start_day), (day_moves, target)):
                            cost, day, filters = first_moves, from_day, NO_FILTERS
                            for dimension, key in order:
                                cost += _value_taps(consultation, facets, filters, dimension, key)
                                filters = filters.with_value(dimension, key)
                                day = _landing(consultation, day, filters)
                            cost += _to_session(consultation, session, day, 0, filters, now)
                            best = min(best, cost)
        found.append(best)
    return found


# --- Search --------------------------------------------------------------------------------


def search_figures(consultation: Consultation, seed: int = 17) -> dict[str, Any]:
    rng = random.Random(seed)
    began = time.perf_counter()
    index = SessionIndex(consultation)
    built = time.perf_counter() - began
    latencies: list[float] = []
    found: dict[str, list[bool]] = {"title": [], "two title words": [], "speaker": []}
    talks = [s for s in consultation.sessions if s.kind != "break"]
    for session in talks:
        title = session.title.get("en")
        words = [w for w in title.replace(":", " ").split() if len(w) > 3]
        queries = {"title": title}
        if len(words) >= 2:
            queries["two title words"] = " ".join(rng.sample(words, 2))
        if session.speakers:
            queries["speaker"] = session.speakers[0].name
        for kind, query in queries.items():
            began = time.perf_counter()
            result = index.search(query)
            latencies.append((time.perf_counter() - began) * 1000)
            found[kind].append(session in result.sessions[:PAGE_SIZE])
    ordered = sorted(latencies)
    return {
        "build_ms": built * 1000,
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "n": len(ordered),
        "found": {k: (sum(v), len(v)) for k, v in found.items()},
    }


# --- Pages -----------------------------------------------------------------------------------


def page_figures(consultation: Consultation) -> dict[str, list[int]]:
    facets = facets_of(consultation.sessions)
    figures: dict[str, list[int]] = {
        "no filter": [
            pages(len(consultation.sessions_on(d)), PAGE_SIZE) for d in consultation.days()
        ]
    }
    for dimension in facets.dimensions:
        facet = facets.facet(dimension)
        assert facet is not None
        figures[dimension] = [
            pages(len(listed), PAGE_SIZE)
            for key in facet.keys
            for day in consultation.days()
            if (
                listed := NO_FILTERS.with_value(dimension, key).apply(
                    consultation.sessions_on(day)
                )
            )
        ]
    return figures


# --- Through the bot -------------------------------------------------------------------------


async def through_bot(
    consultation: Consultation, now: datetime, queries: Iterable[str]
) -> dict[str, list[float]]:
    clock = ManualClock(now)
    api = FakeBotApi(clock=clock.now)
    with tempfile.TemporaryDirectory(prefix="find-bench-") as scratch:
        app = bench_application(consultation, Path(scratch), api, clock)
        timings: dict[str, list[float]] = {"/search": [], "filter value": [], "/agenda": []}
        facets = facets_of(consultation.sessions)

        async def feed(kind: str, data: dict[str, Any]) -> None:
            clock.set(clock.now() + timedelta(seconds=2))
            began = time.perf_counter()
            await app.process_update(Update.de_json(data, app.bot))
            timings[kind].append((time.perf_counter() - began) * 1000)

        async with running(app):
            for number, query in enumerate(queries):
                user = 3000 + number % 20
                await app.bot_data["services"].people.profile(user, "Delegate")
                await app.bot_data["services"].people.set_consultation(user, consultation.id)
                await feed("/search", api.make_message(user, f"/search {query}"))
                await feed("/agenda", api.make_message(user, "/agenda"))
                message = api.last_bot_message(user)
                facet = facets.facet("track")
                assert facet is not None
                key = facet.keys[number % len(facet.keys)]
                token = encode(NO_FILTERS.with_value("track", key), facets)
                day = landing_day(
                    consultation,
                    consultation.day_of(clock.now()),
                    NO_FILTERS.with_value("track", key),
                )
                await feed(
                    "filter value",
                    api.make_callback(
                        user, message.message_id, f"ag:d:{day}:0:{token}", check_button=False
                    ),
                )
        failures = [c for c in api.calls if not c.ok]
        if failures:
            raise SystemExit(f"rejected Bot API calls: {failures[:3]}")
        return timings


def _summary(values: list[int]) -> str:
    ordered = sorted(values)
    share = sum(1 for v in ordered if v <= 3) / len(ordered)
    within4 = sum(1 for v in ordered if v <= 4) / len(ordered)
    return (
        f"max {ordered[-1]}, median {statistics.median(ordered):g}, "
        f"≤3 taps {share:.0%}, ≤4 taps {within4:.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=60)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--sample", type=Path, help="a frab/pretalx export to measure instead")
    parser.add_argument("--bot-queries", type=int, default=60, help="/search through the bot")
    args = parser.parse_args()
    consultation = (
        imported(args.sample) if args.sample else generated(args.sessions, args.rooms, args.days)
    )
    facets = facets_of(consultation.sessions)
    sizes = {d: len(f.keys) for d, f in facets.by_dimension.items()}
    print(
        f"programme: {len(consultation.sessions)} sessions over {len(consultation.days())} days; "
        f"values per filter {sizes}"
    )
    now = datetime.combine(consultation.start, datetime.min.time(), ZONE) + timedelta(hours=OPENS)
    plain = taps(consultation, now, use_filters=False)
    filtered = taps(consultation, now, use_filters=True)
    print("taps from /agenda to a session's card (the last tap opens it):")
    print(f"  days and pages only:  {_summary(plain)}")
    print(f"  with the filters:     {_summary(filtered)}")
    listed = [t - 1 for t in filtered]
    print(f"  until it is listed on screen, with the filters: {_summary(listed)}")
    search = search_figures(consultation)
    print(
        f"search: index built in {search['build_ms']:.0f} ms; latency p50 {search['p50']:.2f} ms, "
        f"p99 {search['p99']:.2f} ms ({search['n']} searches)"
    )
    for kind, (hits, total) in search["found"].items():
        print(
            f"  found on the first page of results by one search of its {kind}: "
            f"{hits}/{total} ({hits / total:.0%})"
        )
    print(f"pages per day ({PAGE_SIZE} sessions a page):")
    for name, values in page_figures(consultation).items():
        print(
            f"  {name:10} median {statistics.median(values):g}, max {max(values)} "
            f"({len(values)} day lists)"
        )
    queries = [s.title.get("en").split(":")[0] for s in consultation.sessions[: args.bot_queries]]
    timings = asyncio.run(through_bot(consultation, now, queries))
    print("through the bot (ms): median / p95 / max (n)")
    for kind, values in timings.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        print(
            f"  {kind:13} {statistics.median(ordered):6.1f} / {p95:6.1f} / "
            f"{ordered[-1]:6.1f}  ({len(ordered)})"
        )


if __name__ == "__main__":
    main()
