"""Updates per second and CPU per update: a bare PTB echo bot and this bot, side by side.

One command, one run. Each bot runs in a fresh child process (so each has its own peak RSS)
over the in-process fake Bot API (`FakeBotApi.request()`), fed with `app.process_update`:

1. this bot, with 10,000 delegates registered beforehand (through `services.people`), gets a
   realistic mix from delegates writing in en/fr/es/ar: /agenda, /now, /my, day and session
   buttons and stars (the callback data is taken from the bot's previous reply), free-text
   questions, and /feedback → session → rating (a feedback write). The updates it got are
   recorded to a file;
2. the echo bot (one MessageHandler echoing text, one CallbackQueryHandler answering the query)
   replays exactly the same updates (same texts, same callback data);
3. `python -m bot chat` is started cold and timed until its first console prompt.

CPU is `time.process_time()` (all threads: aiosqlite's worker thread is counted) summed over
`Update.de_json` + `process_update` of each measured update, jobs that ran meanwhile included.
The fake Bot API answers inside that time; its own share (the fake's `do_request`: validating
the call against the Bot API spec, storing the message, encoding the answer) is measured
separately and printed, with the ratio without it. Building the updates is not counted.

    .venv/bin/python bench/throughput.py [--updates 6000] [--delegates 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Message, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.clock import ManualClock
from bot.fakeapi import FakeBotApi, FakeRequest

ROOT = Path(__file__).resolve().parent.parent
CONSULTATION = "geneva-2026"
# Afternoon of the first day: sessions under way and sessions whose feedback is open.
AT = datetime(2026, 12, 8, 15, 10, tzinfo=ZoneInfo("Europe/Zurich"))
LANGUAGES = ("en", "fr", "es", "ar")
FIRST_USER = 100_000
WARM_UP = 300
QUESTIONS = {
    "en": [
        "what's the wifi password?",
        "where can I get lunch",
        "where is room 3?",
        "is there a prayer room",
        "when does the closing plenary start?",
        "how do I get to the venue from the airport?",
        "can I get a certificate of attendance",
    ],
    "fr": [
        "c'est quoi le mot de passe wifi ?",
        "où est-ce qu'on mange à midi",
        "où se trouve la salle 3 ?",
        "y a-t-il une salle de prière",
        "comment aller au CICG depuis l'aéroport ?",
        "puis-je avoir une attestation de participation",
    ],
    "es": [
        "¿cuál es la clave del wifi?",
        "dónde se almuerza",
        "¿dónde está la sala 3?",
        "¿hay una sala de oración?",
        "¿cómo llego a la sede desde el aeropuerto?",
    ],
    "ar": [
        "ما هي كلمة مرور الواي فاي؟",
        "أين الغداء",
        "أين القاعة 3؟",
        "هل توجد غرفة للصلاة؟",
        "كيف أصل إلى مكان المؤتمر من المطار؟",
    ],
}
# (weight, steps): a text, or a press of a button whose data starts with the prefix.
SCENARIOS: list[tuple[int, list[str]]] = [
    (30, ["/agenda", "press:ag:d:", "press:ag:s:", "press:ag:t:"]),
    (20, ["/now", "press:ag:s:"]),
    (10, ["/my"]),
    (25, ["?"]),
    (15, ["/feedback", "press:fb:o:", "press:fb:r:"]),
]


@dataclass
class Meter:
    """CPU spent inside the fake Bot API, and how many calls it answered."""

    api: FakeBotApi
    cpu: float = 0.0
    calls: int = 0
    rejected: int = 0
    by_method: dict[str, int] = field(default_factory=dict)


class MeteredRequest(FakeRequest):
    def __init__(self, api: FakeBotApi, meter: Meter) -> None:
        super().__init__(api)
        self.meter = meter

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return await super().do_request(url, method, *args, **kwargs)
        finally:
            self.meter.cpu += time.process_time() - started
            self.meter.calls += 1
            name = url.rsplit("/", 1)[-1]
            self.meter.by_method[name] = self.meter.by_method.get(name, 0) + 1


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def feed(
    app: Application[Any, Any, Any, Any, Any, Any],
    updates: list[dict[str, Any]],
    meter: Meter,
    make: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None,
    profiler: Any = None,
    calls_out: TextIO | None = None,
) -> dict[str, Any]:
    """Process the updates; returns CPU and wall seconds of the measured ones (after warm-up)."""
    cpu = wall = 0.0
    fake_cpu_at_start = 0.0
    walls: list[float] = []
    for index, step in enumerate(updates):
        data = make(index, step) if make else step
        if index == WARM_UP:
            fake_cpu_at_start = meter.cpu
            if profiler is not None:
                profiler.enable()
        first_call = len(meter.api.calls)
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        await app.process_update(Update.de_json(data, app.bot))
        cpu_spent = time.process_time() - cpu_start
        wall_spent = time.perf_counter() - wall_start
        walls.append(wall_spent)
        if calls_out is not None:
            # Written out as they come: kept in memory, they would swell the bot's peak RSS.
            made = [(c.method, c.params) for c in meter.api.calls[first_call:] if c.ok]
            calls_out.write(json.dumps([m for m in made if _replayable(*m)]) + "\n")
        if index % 100 == 99:
            # The fake records every call for tests to inspect; kept, they would be counted
            # in the bot's peak RSS. Rejected calls are counted first.
            meter.rejected += sum(not call.ok for call in meter.api.calls)
            meter.api.calls.clear()
        if index >= WARM_UP:
            cpu += cpu_spent
            wall += wall_spent
    if profiler is not None:
        profiler.disable()
    measured = sorted(walls[WARM_UP:])
    return {
        "cpu": cpu,
        "wall": wall,
        "fake_cpu": meter.cpu - fake_cpu_at_start,
        "first_s": walls[0],
        "p50_ms": measured[len(measured) // 2] * 1000,
        "p99_ms": measured[int(len(measured) * 0.99)] * 1000,
        "walls": walls,
    }


# -- this bot ---------------------------------------------------------------------------------


async def run_this_bot(
    count: int, delegates: int, calls_path: Path, profiler: Any = None
) -> dict[str, Any]:
    from bot.app import build_application, running
    from bot.config import Config
    from bot.services.event_data import load_event_data
    from bot.storage import users as users_sql
    from bot.storage.database import to_iso

    events = load_event_data(ROOT / "data")
    clock = ManualClock(AT)
    api = FakeBotApi(clock=clock.now)
    meter = Meter(api)
    folder = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    config = Config(database_path=folder / "bot.sqlite3", data_dir=ROOT / "data")
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    app = build_application(
        config,
        events,
        request=MeteredRequest(api, meter),
        get_updates_request=MeteredRequest(api, meter),
        clock=clock,
    )
    result: dict[str, Any] = {}
    async with running(app):
        result["startup_s"] = time.perf_counter() - started
        services = app.bot_data["services"]
        started = time.perf_counter()
        rng = random.Random(8)
        language_of: dict[int, str] = {}
        for user in range(FIRST_USER, FIRST_USER + delegates):
            language_of[user] = LANGUAGES[user % len(LANGUAGES)]
            api.add_chat(user, first_name="Delegate")  # each delegate has a chat with the bot
        stamp = to_iso(clock.now())

        def register(connection: sqlite3.Connection) -> None:
            # The statements UserStore.visit, set_language and set_consultation run, in bulk.
            rows = [(u, "Delegate", lang, 0, stamp, stamp) for u, lang in language_of.items()]
            connection.executemany(users_sql._UPSERT, rows)
            connection.executemany(
                users_sql._SET_LANGUAGE, [(lang, stamp, u) for u, lang in language_of.items()]
            )
            connection.executemany(
                users_sql._SET_CONSULTATION, [(CONSULTATION, stamp, u) for u in language_of]
            )

        await services.db.transaction(register)
        result["setup_s"] = time.perf_counter() - started
        result["rss_after_setup_mb"] = peak_rss_mb()

        weights = [weight for weight, _ in SCENARIOS]
        plans = [steps for _, steps in SCENARIOS]
        sent: list[dict[str, Any]] = []

        def next_update(index: int, _: dict[str, Any]) -> dict[str, Any]:
            while True:
                if not pending:
                    pending.extend(
                        (user, step)
                        for user in [rng.randrange(FIRST_USER, FIRST_USER + delegates)]
                        for step in rng.choices(plans, weights)[0]
                    )
                user, step = pending.pop(0)
                language = language_of[user]
                if step.startswith("press:"):
                    data = _press(api, rng, user, step.removeprefix("press:"), language)
                    if data is None:  # no such button in the last reply: the scenario ends
                        pending.clear()
                        continue
                    sent.append({"user": user, "lang": language, "data": data_of(data)})
                else:
                    text = rng.choice(QUESTIONS[language]) if step == "?" else step
                    data = api.make_message(user, text, language_code=language)
                    sent.append({"user": user, "lang": language, "text": text})
                return data

        pending: list[tuple[int, str]] = []
        with calls_path.open("w", encoding="utf-8") as calls:
            figures = await feed(app, [{}] * count, meter, next_update, profiler, calls)
        walls = figures.pop("walls")
        result.update(figures)
        # The first free-text question builds the question matcher (lazily, in warm-up).
        first = next(i for i, step in enumerate(sent) if step.get("text", "/")[0] != "/")
        result["first_question_s"] = walls[first]
        result["sent"] = sent
        kinds: dict[str, int] = {}
        for step in sent[WARM_UP:]:
            if "data" in step:
                key = "press " + ":".join(step["data"].split(":")[:2])
            else:
                text = step["text"]
                key = text if text.startswith("/") else "free-text question"
            kinds[key] = kinds.get(key, 0) + 1
        result["mix"] = dict(sorted(kinds.items(), key=lambda item: -item[1]))
        async with services.db.connection.execute("SELECT count(*) FROM users") as cursor:
            row = await cursor.fetchone()
        result["users_in_db"] = row[0] if row else 0
        result["feedback_rows"] = await _count(services, "session_feedback")
    result["rejected_calls"] = meter.rejected + sum(not call.ok for call in api.calls)
    result["api_calls"] = meter.calls
    result["by_method"] = meter.by_method
    result["rss_before_mb"] = rss_before
    result["peak_rss_mb"] = peak_rss_mb()
    shutil.rmtree(folder, ignore_errors=True)
    return result


async def _count(services: Any, table: str) -> int | None:
    try:
        async with services.db.connection.execute(f"SELECT count(*) FROM {table}") as cursor:
            row = await cursor.fetchone()
    except Exception:  # the table may be named otherwise; the figure is informative only
        return None
    return int(row[0]) if row else None


def data_of(update: dict[str, Any]) -> str:
    return str(update["callback_query"]["data"])


def _press(
    api: FakeBotApi, rng: random.Random, user: int, prefix: str, language: str
) -> dict[str, Any] | None:
    """A press of a button of the bot's last message to `user` whose data starts with prefix."""
    messages = [m for m in api.bot_messages(user) if not m.deleted and m.callback_data()]
    if not messages:
        return None
    message = messages[-1]
    choices = [data for data in message.callback_data() if data.startswith(prefix)]
    if not choices:
        return None
    return api.make_callback(user, message.message_id, rng.choice(choices), language_code=language)


# -- the echo bot -----------------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message and update.message.text:
        await update.message.reply_text(update.message.text)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query:
        await update.callback_query.answer()


async def run_plain_bot(
    recorded: list[dict[str, Any]],
    handlers: Callable[[FakeBotApi, dict[str, int]], list[BaseHandler[Any, Any, Any]]],
) -> dict[str, Any]:
    """A bare Application with `handlers`, fed the recorded updates (same users, texts and
    callback data); `handlers` gets the fake API and {"index": the update's number}."""
    api = FakeBotApi(clock=ManualClock(AT).now)
    meter = Meter(api)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    app = (
        Application.builder()
        .token("1:plain")
        .request(MeteredRequest(api, meter))
        .get_updates_request(MeteredRequest(api, meter))
        .build()
    )
    position = {"index": 0}
    app.add_handlers(handlers(api, position))
    await app.initialize()
    await app.start()
    result: dict[str, Any] = {"startup_s": time.perf_counter() - started}

    def same_update(index: int, step: dict[str, Any]) -> dict[str, Any]:
        # The same text or callback data from the same user; a press is under the bot's last
        # message in that chat (these bots show no buttons of their own: data is not checked).
        position["index"] = index
        if "text" in step:
            return api.make_message(step["user"], step["text"], language_code=step["lang"])
        mine = api.bot_messages(step["user"])
        return api.make_callback(
            step["user"],
            mine[-1].message_id if mine else 1,
            step["data"],
            language_code=step["lang"],
            check_button=False,
        )

    try:
        figures = await feed(app, recorded, meter, same_update)
        figures.pop("walls")
        result.update(figures)
    finally:
        await app.stop()
        await app.shutdown()
    result["rejected_calls"] = meter.rejected + sum(not call.ok for call in api.calls)
    result["api_calls"] = meter.calls
    result["by_method"] = meter.by_method
    result["rss_before_mb"] = rss_before
    result["peak_rss_mb"] = peak_rss_mb()
    return result


async def run_echo_bot(recorded: list[dict[str, Any]]) -> dict[str, Any]:
    return await run_plain_bot(
        recorded,
        lambda _api, _position: [
            MessageHandler(filters.TEXT, echo),
            CallbackQueryHandler(answer),
        ],
    )


# -- the same answers, without the bot's logic: the floor -------------------------------------

REPLAYED = ("sendMessage", "editMessageText", "answerCallbackQuery")


def _replayable(method: str, params: dict[str, Any]) -> bool:
    return method in REPLAYED and all(
        isinstance(v, str | int | float | bool | dict | list) for v in params.values()
    )


async def run_replay_bot(recorded: list[dict[str, Any]], made: list[str]) -> dict[str, Any]:
    """A PTB bot that answers each update with exactly the Bot API calls this bot made for it
    (same texts, HTML and keyboards), with no database, no i18n and no logic: what answering
    costs in python-telegram-bot and the fake Bot API alone."""

    def handlers(api: FakeBotApi, position: dict[str, int]) -> list[BaseHandler[Any, Any, Any]]:
        async def replay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            for method, params in json.loads(made[position["index"]]):
                params = dict(params)
                if method == "answerCallbackQuery":
                    if update.callback_query is None:
                        continue
                    params["callback_query_id"] = update.callback_query.id
                    await context.bot.do_api_request(method, api_kwargs=params)
                    continue
                if method == "editMessageText":
                    mine = api.bot_messages(int(params["chat_id"]))
                    if not mine:
                        continue
                    params["message_id"] = mine[-1].message_id
                await context.bot.do_api_request(method, api_kwargs=params, return_type=Message)

        return [TypeHandler(Update, replay)]

    return await run_plain_bot(recorded, handlers)


# -- cold start -------------------------------------------------------------------------------


def cold_start() -> float:
    """Seconds from spawning `python -m bot chat` to its greeting (ready to read a line)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-coldstart-"))
    env = dict(os.environ, DATABASE_PATH=str(folder / "console.sqlite3"))
    env.pop("TELEGRAM_BOT_TOKEN", None)
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--consultation", CONSULTATION],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    seen = b""
    while b"Console chat with the bot" not in seen:
        chunk = child.stdout.read1(4096)  # type: ignore[attr-defined]
        if not chunk:
            raise RuntimeError("the console chat ended before its greeting")
        seen += chunk
    elapsed = time.perf_counter() - started
    child.stdin.close()
    child.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)
    return elapsed


# -- the run ----------------------------------------------------------------------------------


def child(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one bot in a fresh interpreter; its figures come back as JSON on stdout."""
    command = [sys.executable, __file__, "--child", kind, "--updates", str(args.updates)]
    command += ["--delegates", str(args.delegates), "--record", str(args.record)]
    if args.profile:
        command += ["--profile", args.profile]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def per_update(figures: dict[str, Any], measured: int) -> dict[str, float]:
    return {
        "cpu_us": figures["cpu"] / measured * 1e6,
        "fake_us": figures["fake_cpu"] / measured * 1e6,
        "rate": measured / figures["wall"],
    }


def report(args: argparse.Namespace, bot: dict[str, Any], echo_bot: dict[str, Any]) -> None:
    measured = args.updates - WARM_UP
    ours, theirs = per_update(bot, measured), per_update(echo_bot, measured)
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
        f"{measured} measured updates each (after {WARM_UP} warm-up), "
        f"{bot['users_in_db']} delegates in the database"
    )
    print("mix: " + ", ".join(f"{kind} {n}" for kind, n in bot["mix"].items()))
    print(f"Bot API calls: this bot {bot['api_calls']}, echo {echo_bot['api_calls']}")
    print(
        f"rejected Bot API calls: this bot {bot['rejected_calls']}, echo "
        f"{echo_bot['rejected_calls']}"
    )
    header = f"{'':24}{'echo bot':>14}{'this bot':>14}{'ratio':>10}"
    print(header)
    rows = [
        ("updates/s", theirs["rate"], ours["rate"], "{:.0f}"),
        ("CPU µs/update", theirs["cpu_us"], ours["cpu_us"], "{:.0f}"),
        ("  of which fake API", theirs["fake_us"], ours["fake_us"], "{:.0f}"),
        (
            "  without fake API",
            theirs["cpu_us"] - theirs["fake_us"],
            ours["cpu_us"] - ours["fake_us"],
            "{:.0f}",
        ),
        ("peak RSS MB", echo_bot["peak_rss_mb"], bot["peak_rss_mb"], "{:.1f}"),
        ("latency p50 ms", echo_bot["p50_ms"], bot["p50_ms"], "{:.2f}"),
        ("latency p99 ms", echo_bot["p99_ms"], bot["p99_ms"], "{:.2f}"),
        ("start-up s", echo_bot["startup_s"], bot["startup_s"], "{:.3f}"),
    ]
    for label, echo_value, bot_value, fmt in rows:
        ratio = bot_value / echo_value if echo_value else float("nan")
        print(f"{label:24}{fmt.format(echo_value):>14}{fmt.format(bot_value):>14}{ratio:>9.2f}×")
    print(
        f"this bot: set-up of {bot['users_in_db']} delegates {bot['setup_s']:.1f} s "
        f"(not counted); RSS after set-up {bot['rss_after_setup_mb']:.1f} MB"
    )
    print(
        f"this bot: first free-text question after start {bot['first_question_s']:.2f} s "
        "(builds the question matcher; in the warm-up, not counted above)"
    )
    print(f"cold start `python -m bot chat` to its greeting: {args.cold_start:.2f} s")
    ratio = ours["cpu_us"] / theirs["cpu_us"]
    print(
        f"targets: cost ≤ 2× echo: {'met' if ratio <= 2 else 'MISSED'} ({ratio:.2f}×); "
        f"peak RSS < 150 MB: {'met' if bot['peak_rss_mb'] < 150 else 'MISSED'}; "
        f"start-up < 2 s: {'met' if max(bot['startup_s'], args.cold_start) < 2 else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=6000)
    parser.add_argument("--delegates", type=int, default=10_000)
    parser.add_argument("--child", choices=["bot", "echo", "replay"], help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile", metavar="FILE", help="cProfile this bot into FILE")
    args = parser.parse_args()
    if args.child == "bot":
        # --profile: cProfile of the measured updates only (not the set-up nor the warm-up).
        profiler = cProfile.Profile() if args.profile else None
        result = asyncio.run(
            run_this_bot(
                args.updates, args.delegates, args.record.with_name("calls.jsonl"), profiler
            )
        )
        if profiler is not None:
            profiler.dump_stats(args.profile)
        args.record.write_text(json.dumps(result.pop("sent")), encoding="utf-8")
        print(json.dumps(result))
        return
    if args.child in ("echo", "replay"):
        recorded = json.loads(args.record.read_text(encoding="utf-8"))
        if args.child == "echo":
            figures = asyncio.run(run_echo_bot(recorded))
        else:
            made = args.record.with_name("calls.jsonl").read_text(encoding="utf-8")
            figures = asyncio.run(run_replay_bot(recorded, made.splitlines()))
        print(json.dumps(figures))
        return
    args.record = Path(tempfile.mkdtemp(prefix="bench-throughput-")) / "updates.json"
    try:
        bot = child("bot", args)
        echo_bot = child("echo", args)
        replay_bot = child("replay", args)
    finally:
        shutil.rmtree(args.record.parent, ignore_errors=True)
    args.cold_start = cold_start()
    report(args, bot, echo_bot)
    measured = args.updates - WARM_UP
    floor, theirs = per_update(replay_bot, measured), per_update(echo_bot, measured)
    print(
        f"floor: a PTB bot replaying this bot's {replay_bot['api_calls']} Bot API calls "
        f"(same texts, HTML, keyboards; no logic, no database): {floor['cpu_us']:.0f} CPU µs "
        f"per update = {floor['cpu_us'] / theirs['cpu_us']:.2f}× echo "
        f"(of which fake API {floor['fake_us']:.0f} µs; rejected calls "
        f"{replay_bot['rejected_calls']})"
    )


if __name__ == "__main__":
    main()
