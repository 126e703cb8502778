"""What the sentence encoder costs the chat: per question, at start and reload, in memory, and
in the replies to other commands meanwhile.

Each part runs in a fresh child process (its own peak RSS, its own imports), over the in-process
fake Bot API, with the sample data (two consultations, about 930 texts each):

- latency: pinned to one core (--cpu, default 1). Both indexes built (from the cache), then every
  question of bench/eval asked of its own consultation through `Understanding.nearest` (the
  question encoded on the worker thread, then ranked over the index): p50, p99, max. The encoder
  alone (`E5Encoder.queries` of one question, same thread) is shown beside it;
- start: `build_application` → post_init done (the bot takes updates) → first /now answered →
  both indexes ready; cold (an empty folder: nothing cached) then warm (the same folder, a new
  process). Also counted from the child's spawn (interpreter and imports included);
- reload: the bot started warm; a reload with one FAQ answer edited (only it is encoded), then a
  reload with every answer of one consultation edited (all of them encoded: the worst a reload
  does); time until the reload returns and /now is answered, and until the indexes are ready;
- memory: the bot with 10,000 delegates registered, the encoder loaded, both indexes ready and
  300 free-text questions asked (each through `nearest` too): peak RSS; the same without the
  encoder beside it;
- now: /now replies timed from the update entering the application's update queue (as polling
  or the webhook puts it there) to the reply reaching the Bot API, 20 a second for --seconds;
  alone, then with 20 free-text questions a second from other delegates (their answers weigh
  the encoder's nearest answers: each awaits `nearest`, the question encoded on the worker
  thread). The bot as it is (`PerChatUpdates`, bot/updates.py: each chat's updates in order,
  other chats' meanwhile), then the same with python-telegram-bot's default, one update at a
  time, as before it: an update that awaits the encoder held up every update behind it.

The machine is shared: run it when it is quiet, and read the figures as what they are.

    .venv/bin/python bench/encoder_cost.py [--part latency|start|reload|memory|now|all]
        [--cpu 1] [--seconds 20] [--questions 0] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram.ext import SimpleUpdateProcessor

from bench.support import InProcessBot, no_encoder, timed_now
from bot.app import running
from bot.config import Config
from bot.services.encoder import E5Encoder, Encoder, load_encoder
from bot.services.event_data import load_event_data
from bot.services.understanding import Understanding
from bot.storage.vectors import FILE_NAME

ROOT = Path(__file__).resolve().parent.parent
GENEVA = "geneva-2026"
# Afternoon of the first day: sessions under way, so /now lists some.
AT = datetime(2026, 12, 8, 15, 10, tzinfo=ZoneInfo("Europe/Zurich"))
LANGUAGES = ("en", "fr", "es", "ar")
FIRST_USER = 100_000
ASKERS = 2_000  # delegates who write free text in the `now` part
NOW_USERS = 500  # delegates who send /now, in turn
EVAL = ROOT / "bench" / "eval"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def eval_questions() -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(EVAL.glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    ]


class Bot(InProcessBot):
    """The real application over the fake Bot API, in `folder` (database and vector cache)."""

    def __init__(
        self,
        folder: Path,
        data: Path = ROOT / "data",
        encoder: Callable[[], Encoder | None] = load_encoder,
    ) -> None:
        super().__init__(Config(database_path=folder / "bot.sqlite3", data_dir=data), AT, encoder)

    async def register(self, users: range, consultation_id: str = GENEVA) -> None:
        await super().register(users, consultation_id)

    async def now_reply_seconds(self, user: int) -> float:
        """/now processed in place: seconds until its reply reached the Bot API."""
        self.replied.pop(user, None)
        asked = time.perf_counter()
        await self.app.process_update(self.update(user, "/now"))
        return self.replied[user] - asked


# --- latency ---------------------------------------------------------------------------------


async def part_latency(folder: Path, limit: int) -> dict[str, Any]:

    events = load_event_data(ROOT / "data")
    encoder = E5Encoder()
    understanding = Understanding(lambda: encoder, folder / FILE_NAME)
    started = time.perf_counter()
    for consultation in events.consultations.values():
        await understanding.index(consultation)
    indexes_s = time.perf_counter() - started
    questions = eval_questions()
    if limit:
        questions = random.Random(3).sample(questions, min(limit, len(questions)))
    for item in questions[:20]:  # warm-up
        await understanding.nearest(events.consultations[item["consultation"]], item["text"])
    service: list[float] = []
    alone: list[float] = []
    empty = 0
    for item in questions:
        consultation = events.consultations[item["consultation"]]
        began = time.perf_counter()
        found = await understanding.nearest(consultation, item["text"])
        service.append(time.perf_counter() - began)
        empty += found is None
        began = time.perf_counter()
        encoder.queries([item["text"]])
        alone.append(time.perf_counter() - began)
    await understanding.close()
    return {
        "questions": len(questions),
        "none_answers": empty,
        "indexes_s": indexes_s,
        "p50_ms": percentile(service, 0.5) * 1000,
        "p99_ms": percentile(service, 0.99) * 1000,
        "max_ms": max(service) * 1000,
        "encode_p50_ms": percentile(alone, 0.5) * 1000,
        "encode_p99_ms": percentile(alone, 0.99) * 1000,
        "affinity": sorted(os.sched_getaffinity(0)),
    }


# --- start -----------------------------------------------------------------------------------


async def part_start(folder: Path, spawned: float) -> dict[str, Any]:
    began = time.perf_counter()
    since_spawn = time.time() - spawned
    bot = Bot(folder)
    async with running(bot.app):
        taking = time.perf_counter()
        await bot.register(range(FIRST_USER, FIRST_USER + 1))
        now_s = await bot.now_reply_seconds(FIRST_USER)
        answered = time.perf_counter()
        understanding = bot.services.understanding
        await understanding.settled()
        ready = time.perf_counter()
        built = [understanding.ready(c) for c in bot.services.events.consultations.values()]
        near = await understanding.nearest(
            bot.services.events.consultations[GENEVA], "où est-ce qu'on mange à midi ?"
        )
    return {
        "spawn_to_script_s": since_spawn,
        "takes_updates_s": taking - began,
        "first_now_s": now_s,
        "answers_s": answered - began,
        "indexes_ready_s": ready - began,
        "all_ready": all(built),
        "nearest_works": bool(near),
        "peak_rss_mb": peak_rss_mb(),
    }


# --- reload ----------------------------------------------------------------------------------


def edit_answers(data: Path, every: bool, mark: str) -> int:
    """Rewrite the English answer of the first FAQ entry of Geneva, or of every entry."""
    import yaml

    path = data / GENEVA / "faq.yaml"
    faq = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in faq if every else faq[:1]:
        entry["answer"]["en"] = f"{entry['answer']['en']} ({mark})"
    path.write_text(yaml.safe_dump(faq, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return len(faq) if every else 1


async def part_reload(folder: Path) -> dict[str, Any]:
    data = folder / "data"
    shutil.copytree(ROOT / "data", data, dirs_exist_ok=True)
    bot = Bot(folder, data)
    result: dict[str, Any] = {}
    async with running(bot.app):
        await bot.register(range(FIRST_USER, FIRST_USER + 1))
        understanding = bot.services.understanding
        await understanding.settled()
        for label, every in (("one_answer", False), ("every_answer", True)):
            edited = edit_answers(data, every, f"edited {label}")
            began = time.perf_counter()
            reloaded = await bot.services.reloader.reload("bench")
            returned = time.perf_counter()
            now_s = await bot.now_reply_seconds(FIRST_USER)
            answered = time.perf_counter()
            near = await understanding.nearest(
                bot.services.events.consultations[GENEVA], "where is lunch?"
            )
            await understanding.settled()
            ready = time.perf_counter()
            result[label] = {
                "answers_edited": edited,
                "ok": reloaded.ok,
                "reload_s": returned - began,
                "first_now_s": now_s,
                "answers_s": answered - began,
                "indexes_ready_s": ready - began,
                "nearest_meanwhile": near is not None,
            }
    return result


# --- memory ----------------------------------------------------------------------------------


async def part_memory(folder: Path, delegates: int, with_encoder: bool) -> dict[str, Any]:
    bot = Bot(folder, encoder=load_encoder if with_encoder else no_encoder)
    rng = random.Random(5)
    questions = [q for q in eval_questions() if q["consultation"] == GENEVA]
    async with running(bot.app):
        await bot.register(range(FIRST_USER, FIRST_USER + delegates))
        understanding = bot.services.understanding
        await understanding.settled()
        geneva = bot.services.events.consultations[GENEVA]
        for n in range(300):
            user = FIRST_USER + rng.randrange(delegates)
            text = rng.choice(questions)["text"]
            await understanding.nearest(geneva, text)
            await bot.app.process_update(bot.update(user, text))
            if n % 100 == 99:
                bot.api.calls.clear()  # the fake's record of calls is not the bot's memory
        for user in range(FIRST_USER, FIRST_USER + 50):
            await bot.now_reply_seconds(user)
    return {
        "delegates": delegates,
        "encoder": understanding.available,
        "peak_rss_mb": peak_rss_mb(),
    }


# --- /now while questions arrive -----------------------------------------------------------------


async def part_now(folder: Path, seconds: float, rate: float) -> dict[str, Any]:
    questions = [q["text"] for q in eval_questions() if q["consultation"] == GENEVA]
    result: dict[str, Any] = {"seconds": seconds, "rate": rate}
    for one_at_a_time in (False, True):
        bot = Bot(folder)
        processor = type(bot.app.update_processor).__name__
        if one_at_a_time:
            # python-telegram-bot's default, as the bot was before bot/updates.py.
            bot.app._update_processor = SimpleUpdateProcessor(1)
        async with running(bot.app):
            await bot.register(range(FIRST_USER, FIRST_USER + NOW_USERS + ASKERS))
            understanding = bot.services.understanding
            await understanding.settled()
            encoded = count_questions_encoded(understanding)
            for label, per_second in (("alone", 0.0), ("questions", rate)):
                encoded.clear()
                figures = await now_under_load(bot, questions, per_second, seconds)
                figures["processor"] = "SimpleUpdateProcessor(1)" if one_at_a_time else processor
                figures["encoder_waits_ms"] = {
                    "count": len(encoded),
                    "p50": percentile(encoded, 0.5) * 1000 if encoded else 0.0,
                    "p99": percentile(encoded, 0.99) * 1000 if encoded else 0.0,
                }
                result[f"{label}_one_at_a_time" if one_at_a_time else label] = figures
                bot.api.calls.clear()
    return result


def count_questions_encoded(understanding: Understanding) -> list[float]:
    """Each free-text question's wait in `nearest` (the encoder's thread), when it had one."""
    waits: list[float] = []
    nearest = understanding.nearest

    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        found = await nearest(*args, **kwargs)
        if found is not None:
            waits.append(time.perf_counter() - started)
        return found

    understanding.nearest = timed  # type: ignore[method-assign]
    return waits


async def now_under_load(
    bot: Bot, questions: list[str], per_second: float, seconds: float
) -> dict[str, Any]:
    """/now `rate` a second for `seconds`, timed from the update queue to the reply; free-text
    questions from other delegates meanwhile. Arrivals are random (Poisson)."""
    rng = random.Random(11)
    queue = bot.app.update_queue
    asked_questions = [0]
    end = time.perf_counter() + seconds

    async def send_questions() -> None:
        if not per_second:
            return
        while True:
            await asyncio.sleep(rng.expovariate(per_second))
            if time.perf_counter() >= end:
                return
            user = FIRST_USER + NOW_USERS + rng.randrange(ASKERS)
            await queue.put(bot.update(user, rng.choice(questions)))
            asked_questions[0] += 1

    (latencies, unanswered), _ = await asyncio.gather(
        timed_now(bot, rng, end, FIRST_USER, NOW_USERS), send_questions()
    )
    for _ in range(200):  # let the questions still queued be answered before the next run
        if not queue.qsize():
            break
        await asyncio.sleep(0.05)
    return {
        "questions": asked_questions[0],
        "now_replies": len(latencies),
        "unanswered": unanswered,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
    }


# --- the run -----------------------------------------------------------------------------------


def child(part: str, args: argparse.Namespace, *extra: str, cpu: int | None = None) -> Any:
    command = [sys.executable, __file__, "--child", part, "--folder", str(args.folder)]
    command += ["--seconds", str(args.seconds), "--questions", str(args.questions), *extra]
    command += ["--spawned", repr(time.time())]
    if cpu is not None:
        command += ["--pin", str(cpu)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child(args: argparse.Namespace) -> Any:
    folder = Path(args.folder)
    if args.pin is not None:
        # Before any thread starts: the encoder's worker thread inherits the affinity.
        os.sched_setaffinity(0, {args.pin})
    if args.child == "latency":
        return asyncio.run(part_latency(folder, args.questions))
    if args.child == "start":
        return asyncio.run(part_start(folder, args.spawned))
    if args.child == "reload":
        return asyncio.run(part_reload(folder))
    if args.child == "memory":
        return asyncio.run(part_memory(folder, args.delegates, args.with_encoder))
    if args.child == "now":
        return asyncio.run(part_now(folder, args.seconds, 20.0))
    raise SystemExit(f"unknown part {args.child}")


def show_start(label: str, figures: dict[str, Any]) -> None:
    print(
        f"  {label}: takes updates after {figures['takes_updates_s']:.2f} s, first /now "
        f"answered after {figures['answers_s']:.2f} s (that reply "
        f"{figures['first_now_s'] * 1000:.0f} ms), indexes ready after "
        f"{figures['indexes_ready_s']:.2f} s "
        f"(all ready: {figures['all_ready']}; nearest works: {figures['nearest_works']}); "
        f"process spawn to script {figures['spawn_to_script_s']:.2f} s; peak RSS "
        f"{figures['peak_rss_mb']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=["latency", "start", "reload", "memory", "now", "all"], default="all"
    )
    parser.add_argument("--cpu", type=int, default=1, help="the core the latency part runs on")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--questions", type=int, default=0, help="0: every eval question")
    parser.add_argument("--delegates", type=int, default=10_000)
    parser.add_argument(
        "--workspace",
        type=Path,
        help="keep the warm cache in this folder across runs (skips the cold start next time)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--spawned", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--with-encoder", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pin", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    print(
        f"machine: {os.cpu_count()} cores shared with other work (load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}), Python {sys.version.split()[0]}"
    )
    parts = ("start", "latency", "reload", "memory", "now") if args.part == "all" else (args.part,)
    workspace = args.workspace or Path(tempfile.mkdtemp(prefix="bench-encoder-"))
    warm = workspace / "warm"
    warm.mkdir(parents=True, exist_ok=True)
    try:
        args.folder = warm
        if "start" in parts or not (warm / FILE_NAME).exists():
            print("start (the two sample consultations):")
            for name in (FILE_NAME, "bot.sqlite3"):
                for suffix in ("", "-wal", "-shm"):
                    (warm / f"{name}{suffix}").unlink(missing_ok=True)
            show_start("cold (no cache)", child("start", args))
            (warm / "bot.sqlite3").unlink()  # a new database, the same cache
            show_start("warm (cached)  ", child("start", args))
        if "latency" in parts:
            figures = child("latency", args, cpu=args.cpu)
            print(
                f"latency per question, one core (CPU {figures['affinity']}), "
                f"{figures['questions']} questions of bench/eval, encoder included: "
                f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, max "
                f"{figures['max_ms']:.1f} ms ({figures['none_answers']} answered None); the "
                f"encoder alone p50 {figures['encode_p50_ms']:.1f} ms, p99 "
                f"{figures['encode_p99_ms']:.1f} ms; indexes from the cache in "
                f"{figures['indexes_s']:.2f} s"
            )
        if "reload" in parts:
            args.folder = workspace / "reload"
            shutil.rmtree(args.folder, ignore_errors=True)
            shutil.copytree(warm, args.folder)
            (args.folder / "bot.sqlite3").unlink(missing_ok=True)
            figures = child("reload", args)
            print("reload (the bot started warm):")
            for label, item in figures.items():
                print(
                    f"  {label.replace('_', ' ')} edited ({item['answers_edited']} answers): "
                    f"reload returned after {item['reload_s']:.2f} s, /now answered after "
                    f"{item['answers_s']:.2f} s, indexes ready after "
                    f"{item['indexes_ready_s']:.2f} s (nearest answered meanwhile: "
                    f"{item['nearest_meanwhile']})"
                )
            args.folder = warm
        if "memory" in parts:
            for with_encoder in (False, True):
                args.folder = workspace / f"memory-{with_encoder}"
                shutil.rmtree(args.folder, ignore_errors=True)
                shutil.copytree(warm, args.folder)
                (args.folder / "bot.sqlite3").unlink(missing_ok=True)
                extra = ["--delegates", str(args.delegates)]
                extra += ["--with-encoder"] if with_encoder else []
                figures = child("memory", args, *extra)
                print(
                    f"peak RSS with {figures['delegates']} delegates, "
                    f"{'with' if figures['encoder'] else 'without'} the encoder: "
                    f"{figures['peak_rss_mb']:.1f} MB"
                )
            args.folder = warm
        if "now" in parts:
            args.folder = workspace / "now"
            shutil.rmtree(args.folder, ignore_errors=True)
            shutil.copytree(warm, args.folder)
            (args.folder / "bot.sqlite3").unlink(missing_ok=True)
            figures = child("now", args)
            print(
                f"/now reply latency, update queue to reply, 20 /now a second for "
                f"{figures['seconds']:.0f} s (both cores):"
            )
            for label, title in (
                ("alone", "alone"),
                ("questions", "+ 20 free-text questions/s"),
                ("alone_one_at_a_time", "alone, one update at a time (as before)"),
                ("questions_one_at_a_time", "+ 20 free-text questions/s, one update at a time"),
            ):
                item = figures[label]
                waits = item["encoder_waits_ms"]
                print(
                    f"  {title} ({item['processor']}): p50 {item['p50_ms']:.1f} ms, "
                    f"p99 {item['p99_ms']:.1f} ms, max {item['max_ms']:.1f} ms "
                    f"({item['now_replies']} replies, {item['unanswered']} unanswered; "
                    f"{item['questions']} questions, {waits['count']} through the encoder, "
                    f"waiting p50 {waits['p50']:.1f} / p99 {waits['p99']:.1f} ms)"
                )
    finally:
        for folder in workspace.iterdir():
            if folder != warm:
                shutil.rmtree(folder, ignore_errors=True)
        if args.workspace is None:
            shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
