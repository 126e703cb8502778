"""A live session's burst: 500 delegates voting on 30 questions and answering a quick poll
within 10 seconds.

The bot runs as its own process (`python -m bot run`) against the fake Bot API over HTTP (served
here, in this process), which enforces Telegram's limits: 30 messages a second overall and one a
second per chat, answering 429 beyond them. Before the bot starts, N delegates of the Geneva
consultation (en/fr/es/ar) are registered with the opening session starred (its audience until
session chairs exist), and a single-choice poll written in English and French is opened to them
through the service (its outbox rows are in the database). The opening session is moved to the
moment of the run (a copy of the data directory), so that it takes questions and votes; 30
questions are asked by 30 delegates under their names and approved by the chair, through the
service. The bot delivers the poll, and each delegate opens the session's questions (`/q`); the
chair opens the session's live message. Once every delegate has both, in the same 10-second
window each delegate votes for 1-5 questions (the
first questions more popular than the last), 15% of them take one vote back a moment later, and
each answers the poll with one tap at a random moment; some tap twice (the same option again: a
double tap) and some change their answer a moment later.

Printed: votes stored per question against the taps sent (each counted exactly once), the
chair's ranked list (as the chair's live message orders it) against the ranking expected from
the taps; poll answers counted against taps sent (each delegate counted once, on their last
choice), the results at the end against those expected; the reply latency during the burst
(from the tap queued to the bot's answerCallbackQuery, which stops the button's spinner),
p50/p95/max over all taps, votes and poll answers apart, and the edit showing the poll's results;
the lists drawn again (a moment after the taps, at a pace: the bench waits until none has been
edited for 3 s), and whether each delegate's list then shows their own final votes; the chair's
live message's edits (one per BOARD_EVERY seconds at most); and the number of 429 answers.

    .venv/bin/python bench/live_burst.py [--delegates 500] [--window 10] [--seed 18]
        [--max-votes 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import SystemClock
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.fakeapi.http import FakeApiHttpServer
from bot.services.event_data import load_event_data
from bot.services.panel import APPROVE, BOARD_EVERY, PanelQuestions
from bot.services.polls import Polls
from bot.storage.database import Database, to_iso
from bot.storage.panel import PanelStore
from bot.storage.polls import PollStore

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424242:live-burst-token"
CONSULTATION = "geneva-2026"
SESSION = "opening"
FIRST = 600_000
ORGANISER = 9001
LANGUAGES = ("en", "fr", "es", "ar")
OPTIONS = 4
QUESTIONS = 30
TEXTS = {
    "en": "Which priority first?\nFunding\nAccess\nProtection\nData",
    "fr": "Quelle priorité d'abord ?\nFinancement\nAccès\nProtection\nDonnées",
}


class Everyone:
    """The bench's SessionRoles: the organiser chairs; the audience is the registered range."""

    def __init__(self, users: list[int]) -> None:
        self.users = users

    async def is_chair(self, user_id: int, consultation_id: str, session_id: str) -> bool:
        return user_id == ORGANISER

    async def recent_audience(
        self, consultation_id: str, session_id: str, since: datetime
    ) -> list[int]:
        return self.users


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def live_data(folder: Path) -> Path:
    """A copy of the data directory whose opening session (and consultation) runs now."""
    data = folder / "data"
    shutil.copytree(ROOT / "data", data)
    here = datetime.now(ZoneInfo("Europe/Zurich")).replace(second=0, microsecond=0)
    start, end = here - timedelta(minutes=30), here + timedelta(minutes=60)
    sessions = data / CONSULTATION / "sessions.yaml"
    text = sessions.read_text(encoding="utf-8")
    old = "    start: 2026-12-08T09:00\n    end: 2026-12-08T10:30\n"
    if text.count(old) != 1:
        raise SystemExit("data/geneva-2026/sessions.yaml: the opening session's times moved")
    new = f"    start: {start:%Y-%m-%dT%H:%M}\n    end: {end:%Y-%m-%dT%H:%M}\n"
    sessions.write_text(text.replace(old, new), encoding="utf-8")
    consultation = data / CONSULTATION / "consultation.yaml"
    text = consultation.read_text(encoding="utf-8")
    first = min(start.date(), date(2026, 12, 8))
    consultation.write_text(
        re.sub(r"(?m)^start: .*$", f"start: {first.isoformat()}", text), encoding="utf-8"
    )
    return data


async def prepare(path: Path, data: Path, delegates: int) -> list[int]:
    """The delegates (with the session starred); the poll, opened: its rows in the outbox; the
    questions, asked under the names of the first delegates and approved. Their ids."""
    database = await Database.open(path)
    stamp = to_iso(datetime.now(UTC))
    users = list(range(FIRST, FIRST + delegates))
    await database.connection.executemany(
        "INSERT INTO users (user_id, language, consultation_id, first_name, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(u, LANGUAGES[u % 4], CONSULTATION, f"D{u}", stamp, stamp) for u in users],
    )
    await database.connection.executemany(
        "INSERT INTO bookmarks (user_id, consultation_id, session_id, created_at) "
        "VALUES (?, ?, ?, ?)",
        [(u, CONSULTATION, SESSION, stamp) for u in users],
    )
    events = load_event_data(data)
    polls = Polls(PollStore(database.connection), Everyone(users), SystemClock(), lambda: events)
    poll = await polls.new_draft(ORGANISER, CONSULTATION, SESSION, "single", "en")
    for language, text in TEXTS.items():
        poll = await polls.set_text(poll, language, text)
    await polls.open(poll)
    panel = PanelQuestions(
        PanelStore(database.connection),
        SystemClock(),
        lambda: events,
        None,
        organisers=frozenset({ORGANISER}),
    )
    consultation = events.consultations[CONSULTATION]
    questions = []
    for number, user in enumerate(users[:QUESTIONS], 1):
        language = LANGUAGES[user % 4]
        question = await panel.ask(
            user,
            consultation,
            SESSION,
            f"Question {number}: how will partnership work on point {number}?",
            name=f"D{user}",
            language=language,
        )
        await panel.moderate(ORGANISER, consultation, question.id, APPROVE)
        questions.append(question.id)
    await database.close()
    return questions


def environment(server: FakeApiHttpServer, folder: Path, data: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=server.root_url,
        DATABASE_PATH=str(folder / "bot.sqlite3"),
        DATA_DIR=str(data),
        DEFAULT_CONSULTATION=CONSULTATION,
        ANONYMITY_KEY_FILE=str(folder.parent / f"{folder.name}-keys" / "anonymity.key"),
        ORGANISER_IDS=str(ORGANISER),
        SENTENCE_ENCODER="off",
        PYTHONPATH=str(ROOT),
    )
    for name in ("ANONYMITY_KEY", "WEBHOOK_URL", "MODERATOR_IDS", "HELPDESK_CHAT_ID"):
        env.pop(name, None)
    return env


async def wait_for(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def tally(values: Any) -> dict[int, int]:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def latency_line(what: str, values: list[float]) -> str:
    if not values:
        return f"{what}: none"
    return (
        f"{what}, {len(values)} taps: p50 {statistics.median(values) * 1000:.0f} ms, "
        f"p95 {percentile(values, 0.95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
    )


async def run(delegates: int, window: float, seed: int, max_votes: int) -> None:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="bench-live-burst-"))
    path = folder / "bot.sqlite3"
    data = live_data(folder)
    questions = await prepare(path, data, delegates)
    users = list(range(FIRST, FIRST + delegates))

    api = FakeBotApi(rate_limit=(30, 1.0), per_chat_limit=(1, 1.0))
    for user in users:
        api.add_chat(user)
    poll_message: dict[int, int] = {}
    list_message: dict[int, int] = {}
    edited_at: dict[int, float] = {}

    def on_message(message: FakeMessage, event: str) -> None:
        if message.chat_id < FIRST:
            return
        text = message.text or ""
        if event == "new" and "📊" in text:
            poll_message.setdefault(message.chat_id, message.message_id)
        elif event == "new" and text.startswith("💬"):
            list_message.setdefault(message.chat_id, message.message_id)
        elif event == "edited" and message.message_id == poll_message.get(message.chat_id):
            edited_at[message.chat_id] = time.perf_counter()

    list_edited_at: list[float] = []
    live_board: dict[str, int] = {}
    board_edits: list[float] = []

    def on_chair_message(message: FakeMessage, event: str) -> None:
        if message.chat_id != ORGANISER:
            return
        if event == "new" and (message.text or "").startswith("🎙"):
            live_board.setdefault("message", message.message_id)
        elif event == "edited" and message.message_id == live_board.get("message"):
            board_edits.append(time.perf_counter())

    def on_list_edit(message: FakeMessage, event: str) -> None:
        if event == "edited" and message.message_id == list_message.get(message.chat_id):
            list_edited_at.append(time.perf_counter())

    api.on_bot_message += [on_message, on_chair_message, on_list_edit]
    api.add_chat(ORGANISER)
    answered_at: dict[str, float] = {}
    with_results: set[str] = set()  # pop-ups that showed the results so far
    answer = api._handlers["answerCallbackQuery"]

    def timed_answer(params: Any) -> Any:
        answered_at[str(params["callback_query_id"])] = time.perf_counter()
        if "%" in str(params.get("text", "")):
            with_results.add(str(params["callback_query_id"]))
        return answer(params)

    api._handlers["answerCallbackQuery"] = timed_answer
    server = FakeApiHttpServer(api, token=TOKEN)
    await server.start()
    log = (folder / "bot.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=environment(server, folder, data),
        stdout=log,
        stderr=log,
    )
    try:
        started = time.perf_counter()
        await wait_for(lambda: len(poll_message) == delegates, delegates / 30 * 3 + 60, "delivery")
        delivered_in = time.perf_counter() - started
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        before = os.getloadavg()
        print(f"load average before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}")
        print(
            f"poll delivered to {len(poll_message)} of {delegates} delegates in "
            f"{delivered_in:.1f} s from the bot's start (Telegram's 30 msg/s: "
            f"{delegates / 30:.1f} s at the least); 429s meanwhile: {api.throttled}"
        )
        await asyncio.sleep(2.0)  # the notices "your question is shown" to the 30 askers
        # Every delegate opens the session's questions (/q), 25 a second (under the 30 msg/s).
        opened = time.perf_counter()
        for number, user in enumerate(users):
            delay = opened + number / 25 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            api.queue_update(
                api.make_message(
                    user, "/q", language_code=LANGUAGES[user % 4], first_name=f"D{user}"
                )
            )
        await wait_for(lambda: len(list_message) == delegates, delegates / 25 + 60, "/q lists")
        print(
            f"questions listed ({QUESTIONS} approved) to {len(list_message)} delegates in "
            f"{time.perf_counter() - opened:.1f} s; 429s so far: {api.throttled}"
        )
        # The chair opens the session's live message (from /q's "Chair: questions").
        api.queue_update(api.make_message(ORGANISER, "/q", first_name="Chair"))
        await wait_for(lambda: bool(api.bot_messages(ORGANISER)), 30, "the chair's /q")
        await asyncio.sleep(1.1)
        chair_list = api.bot_messages(ORGANISER)[-1]
        api.queue_update(
            api.make_callback(ORGANISER, chair_list.message_id, f"pc:b:{SESSION}", first_name="C")
        )
        await wait_for(lambda: "message" in live_board, 30, "the chair's live message")
        await asyncio.sleep(1.5)  # the last deliveries' per-chat second passes
        throttled_before = api.throttled

        # The burst, in one window. Votes: each delegate votes for 1-5 (--max-votes) questions, the
        # first questions more popular than the last; 15% take one of their votes back 0.5-2 s
        # later. Poll: every delegate taps once at a random moment; 10% tap the same option
        # again 0.1-0.5 s later (a double tap); 10% change their mind 1-3 s later.
        taps: list[tuple[float, int, str]] = []
        expected: dict[int, int] = {}
        votes: dict[int, int] = dict.fromkeys(questions, 0)
        weights = [1.0 / (1 + number / 4) for number in range(len(questions))]
        for user in users:
            chosen: set[int] = set()
            wanted_votes = rng.randint(1, max_votes)
            while len(chosen) < wanted_votes:
                chosen.add(rng.choices(questions, weights)[0])
            moments = []
            for question in sorted(chosen):
                at = rng.uniform(0.0, window * 0.8)
                moments.append((at, question))
                taps.append((at, user, f"pq:v:{question}:0"))
                votes[question] += 1
            if rng.random() < 0.15:
                at, question = rng.choice(moments)
                taps.append((min(at + rng.uniform(0.5, 2.0), window), user, f"pq:v:{question}:0"))
                votes[question] -= 1
            at = rng.uniform(0.0, window)
            choice = rng.randrange(OPTIONS)
            taps.append((at, user, f"pa:1:{choice}"))
            expected[user] = choice
            roll = rng.random()
            if roll < 0.1:
                taps.append((at + rng.uniform(0.1, 0.5), user, f"pa:1:{choice}"))
            elif roll < 0.2:
                other = (choice + 1 + rng.randrange(OPTIONS - 1)) % OPTIONS
                taps.append((min(at + rng.uniform(1.0, 3.0), window), user, f"pa:1:{other}"))
                expected[user] = other
        taps.sort()
        final: dict[int, set[int]] = {user: set() for user in users}
        for _at, user, data_ in taps:
            if data_.startswith("pq:"):
                final[user] ^= {int(data_.split(":")[2])}
        queued_at: dict[str, tuple[float, int, str]] = {}
        begin = time.perf_counter()
        for at, user, data_ in taps:
            delay = begin + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            vote = data_.startswith("pq:")
            update = api.make_callback(
                user,
                list_message[user] if vote else poll_message[user],
                data_,
                language_code=LANGUAGES[user % 4],
                first_name=f"D{user}",
                # A vote names its question by id, as the button of any page of the list does
                # (the list's order, and so its pages, change with every vote).
                check_button=not vote,
            )
            queued_at[update["callback_query"]["id"]] = (time.perf_counter(), user, data_)
            api.queue_update(update)
        sent_in = time.perf_counter() - begin
        await wait_for(lambda: len(answered_at) >= len(taps), 120, "the answers")
        await asyncio.sleep(1.0)
        load = os.getloadavg()
        last_tap = max(t for t, _u, _d in queued_at.values())
        # The lists are drawn again a moment after the taps (at a pace): wait until none has
        # been edited for 3 seconds.
        await wait_for(
            lambda: time.perf_counter() - max(list_edited_at, default=0.0) > 3.0,
            120,
            "the lists drawn again",
        )
        settled = max(list_edited_at, default=last_tap) - last_tap
        lists_now = {
            user: next(m for m in api.bot_messages(user) if m.message_id == list_message[user])
            for user in users
        }
        chair_edits = [t for t in board_edits if t >= begin]
        latencies = {
            q: answered_at[q] - t for q, (t, _u, _d) in queued_at.items() if q in answered_at
        }
        vote_latencies = [v for q, v in latencies.items() if queued_at[q][2].startswith("pq:")]
        poll_taps_answered = [q for q in latencies if queued_at[q][2].startswith("pa:")]
        poll_latencies = [latencies[q] for q in poll_taps_answered]
        poll_pop_ups = sum(q in with_results for q in poll_taps_answered)
        # Results shown: the edit of the message of a delegate who tapped the poll once.
        tapped: dict[int, list[float]] = {}
        for moment, user, data_ in queued_at.values():
            if data_.startswith("pa:"):
                tapped.setdefault(user, []).append(moment)
        shown = [
            edited_at[u] - moments[0]
            for u, moments in tapped.items()
            if len(moments) == 1 and u in edited_at
        ]
        chair_messages = api.bot_messages(ORGANISER)
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
        log.close()
        await server.stop()

    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT user_id, option FROM poll_answers WHERE poll_id = 1").fetchall()
        counts = dict(
            db.execute(
                "SELECT option, COUNT(*) FROM poll_answers WHERE poll_id = 1 GROUP BY option"
            ).fetchall()
        )
        respondents = db.execute(
            "SELECT COUNT(*) FROM poll_recipients WHERE poll_id = 1 AND answered = 1"
        ).fetchone()[0]
        stored = dict.fromkeys(questions, 0)
        stored.update(
            db.execute("SELECT question_id, COUNT(*) FROM panel_votes GROUP BY question_id")
        )
    # The chair's ranked list, as the service gives it to the chair's live message.
    database = await Database.open(path)
    events = load_event_data(data)
    panel = PanelQuestions(
        PanelStore(database.connection),
        SystemClock(),
        lambda: events,
        None,
        organisers=frozenset({ORGANISER}),
    )
    consultation = events.consultations[CONSULTATION]
    session = panel.session(consultation, SESSION)
    board = await panel.board_state(ORGANISER, consultation, session)
    await database.close()
    chair_list = [(q.id, q.votes) for q in board.ranked]
    expected_list = sorted(((q, n) for q, n in votes.items()), key=lambda p: (-p[1], p[0]))
    by_user = {user: option for user, option in rows}
    # Each delegate's list as it shows now: ✅ on exactly their own final votes among the
    # questions it shows (the counts and order are those of its last redraw: a list is drawn
    # again after its own delegate's taps, not after everyone's).
    wrong_lists = current_lists = 0
    top = [q for q, _n in expected_list[:5]]
    for user, message in lists_now.items():
        shown_votes = [
            (int(str(b["callback_data"]).split(":")[2]), str(b["text"]))
            for row in message.buttons()
            for b in row
            if str(b.get("callback_data", "")).startswith("pq:v:")
        ]
        wrong_lists += any(text.startswith("✅ ") != (q in final[user]) for q, text in shown_votes)
        current_lists += [q for q, _t in shown_votes] == top and all(
            f"👍 {votes[q]} ·" in text for q, text in shown_votes
        )
    vote_taps = sum(1 for _a, _u, d in taps if d.startswith("pq:"))
    poll_taps = len(taps) - vote_taps
    print(
        f"taps sent: {len(taps)} in {sent_in:.1f} s by {delegates} delegates: {vote_taps} on "
        f"questions ({(vote_taps - sum(votes.values())) // 2} of them taking a vote back), "
        f"{poll_taps} on the poll ({poll_taps - delegates} second taps: double taps and "
        f"changed answers)"
    )
    print(
        f"votes stored: {sum(stored.values())} for {sum(votes.values())} expected; "
        f"each question's count equal to the taps: {stored == votes}"
    )
    print(
        f"chair's ranked list equal to the expected ranking: {chair_list == expected_list} "
        f"(top 5: {chair_list[:5]}; last: {chair_list[-1]})"
    )
    print(
        f"lists drawn again: {len(list_edited_at)} edits of {len(lists_now)} list messages for "
        f"{vote_taps} vote taps, the last {settled:.1f} s after the last tap; each delegate's "
        f"list shows their own final votes: {wrong_lists == 0} "
        f"({len(lists_now) - wrong_lists} of {len(lists_now)}); lists showing the final "
        f"ranking and counts too (drawn after the last vote of all): {current_lists}"
    )
    print(
        f"chair's live message: {len(chair_edits)} edits from the burst's start to the end "
        f"(one per {BOARD_EVERY} s at most); messages sent to the chair meanwhile: "
        f"{sum(1 for m in chair_messages if m.message_id > live_board['message'])}"
    )
    print(
        f"answers counted: {len(rows)} rows for {respondents} respondents; "
        f"exactly once per delegate: {len(rows) == delegates == respondents}"
    )
    print(
        f"results at the end: {dict(sorted(counts.items()))}; "
        f"expected {dict(sorted(tally(expected.values()).items()))}; "
        f"each delegate's last choice kept: {by_user == expected}"
    )
    print(
        latency_line(
            "reply latency (tap queued -> answerCallbackQuery), all", list(latencies.values())
        )
    )
    print(latency_line("  votes", vote_latencies))
    print(latency_line("  poll answers", poll_latencies))
    print(
        f"  poll answers whose pop-up showed the results so far (at the tap's answer): "
        f"{poll_pop_ups} of {len(poll_latencies)}"
    )
    if shown:
        print(
            f"poll results shown (tap -> the message edited, delegates who tapped the poll "
            f"once), {len(shown)}: p50 {statistics.median(shown) * 1000:.0f} ms, "
            f"p95 {percentile(shown, 0.95) * 1000:.0f} ms"
        )
    print(
        f"429 answers during the burst: {api.throttled - throttled_before}; in all {api.throttled}"
    )
    print(f"load average after the burst: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(folder.parent / f"{folder.name}-keys", ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=500)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--max-votes", type=int, default=5, help="votes per delegate: 1 to this")
    args = parser.parse_args()
    asyncio.run(run(args.delegates, args.window, args.seed, args.max_votes))
