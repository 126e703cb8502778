"""Crash trials: the real bot process, killed with SIGKILL at random moments while everything that
sends or receives is under way at once, restarted, and checked against what Telegram recorded.

Each trial builds a small consultation whose sessions start a few seconds after the lead time of
the reminders, so reminders fall due during the trial; registers delegates who starred them
(through the real handlers), and queues, before the bot starts:
- an announcement to the consultation (`python -m bot broadcast`);
- messages from other delegates (askers), more of them arriving while the bot runs;
then starts `python -m bot run` against the fake Bot API over HTTP (in this process, so its
record of deliveries outlives the bot), and at random moments: edits sessions.yaml (a starred
session moves) and asks for `python -m bot reload`; makes the fake drop the connection after it
answered the next few sends (the bot never hears back; most were delivered, some refused by the
fake's per-chat limit (429); the bot cannot tell the two apart, so both must end `unknown`, never
sent again; the report counts each); kills the bot with SIGKILL. Then it starts the bot
again, lets it finish, stops it with SIGTERM and counts, from the fake's side:
- duplicates: an announcement, reminder or change notice delivered twice to one delegate, or a
  message answered twice;
- losses: one never delivered, unless the outbox says `unknown` (a send that may or may not have
  reached Telegram is never repeated: at most once, reported; likewise a message whose answer
  left just before the kill, or whose answer's connection dropped, recorded in
  `unknown_updates`);
- changes untold: a delegate who starred the moved session and was never told;
- updates unhandled: a message from a delegate that got no answer.

    .venv/bin/python bench/crash_trials.py [--trials 30] [--delegates 60] [--askers 40] [--seed 14]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update

from bot.app import build_application, running
from bot.clock import ManualClock
from bot.config import Config
from bot.context import Services
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.fakeapi.http import FakeApiHttpServer
from bot.services.event_data import load_event_data
from bot.services.reminders import DEFAULT_LEAD

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "777001:crash-trial-token"
TRIAL, OTHER = "trial", "trial-other"
FIRST_DELEGATE, FIRST_ASKER = 300_000, 400_000
LANGUAGES = ("en", "fr", "es", "ar")
ANNOUNCEMENT = "TRIAL-ANNOUNCEMENT"
# Session titles the notices and reminders quote: how a message's kind is told on the fake's side.
REMINDED = ("ALPHA-SESSION", "BETA-SESSION")
MOVED = "GAMMA-SESSION"
# Reminders fall due this many seconds after the data is written.
DUE_AFTER = (6.0, 10.0)


@dataclass
class Received:
    """What the fake recorded, per chat; filled from the server's thread."""

    messages: dict[int, list[str]] = field(default_factory=dict)
    last_at: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_message(self, message: FakeMessage, event: str) -> None:
        if event != "new":
            return
        with self.lock:
            self.messages.setdefault(message.chat_id, []).append(message.plain_text() or "")
            self.last_at = time.monotonic()

    def tracked(self, delegates: range, askers: range) -> int:
        """The messages the trial checks: delegates' announcements, reminders and change
        notices, and the askers' answers (not the countdowns and digests the bot also sends)."""
        markers = (ANNOUNCEMENT, *REMINDED, MOVED)
        with self.lock:
            told = sum(
                1
                for user in delegates
                for t in self.messages.get(user, [])
                if any(m in t for m in markers) and not t.startswith("☀️")
            )
            return told + sum(len(self.messages.get(user, [])) for user in askers)

    def count(self, chat_id: int, marker: str | None = None) -> int:
        with self.lock:
            texts = self.messages.get(chat_id, [])
            if marker is None:
                return len(texts)
            # A morning digest lists the agenda's titles too: it is not a reminder.
            return sum(1 for t in texts if marker in t and not t.startswith("☀️"))


# --- the trial's data ------------------------------------------------------------------------


def consultation_yaml(consultation_id: str, first: str, last: str) -> str:
    return f"""id: {consultation_id}
kind: regional
default_language: en
languages: [en, fr, es, ar]
name: {{en: "Crash trial {consultation_id}", fr: "Essai {consultation_id}"}}
timezone: UTC
start: {first}
end: {last}
venue:
  name: {{en: Trial venue}}
  address: {{en: 1 Trial street}}
  latitude: 46.2
  longitude: 6.1
"""


def session_yaml(session_id: str, title: str, start: datetime, minutes: int = 30) -> str:
    end = start + timedelta(minutes=minutes)
    return f"""  - id: {session_id}
    title: {{en: "{title}", fr: "{title} (fr)", es: "{title} (es)", ar: "{title} (ar)"}}
    start: {start.strftime("%Y-%m-%dT%H:%M:%S")}
    end: {end.strftime("%Y-%m-%dT%H:%M:%S")}
    room: {{en: Room 1}}
    kind: plenary
"""


FAQ = """- id: wifi
  questions: {en: ["What is the Wi-Fi password?"]}
  answer: {en: "The Wi-Fi is TrialNet, password trial2026."}
"""


@dataclass
class Plan:
    folder: Path
    data: Path
    database: Path
    sessions: dict[str, datetime]

    @property
    def key_file(self) -> Path:
        """The anonymity key: beside the trial's folder, never with its database."""
        return self.folder.parent / f"{self.folder.name}-key" / "anonymity.key"

    @property
    def sessions_file(self) -> Path:
        return self.data / TRIAL / "sessions.yaml"


TITLES = {"alpha": REMINDED[0], "beta": REMINDED[1], "gamma": MOVED}


def write_sessions(plan: Plan) -> None:
    """The trial consultation's programme; written whole and renamed, as an editor saves."""
    body = "sessions:\n" + "".join(
        session_yaml(sid, TITLES[sid], start) for sid, start in plan.sessions.items()
    )
    draft = plan.sessions_file.with_suffix(".tmp")
    draft.write_text(body)
    draft.replace(plan.sessions_file)


def write_data(folder: Path, now: datetime) -> Plan:
    """Two consultations; in the first, two sessions whose reminders fall due within seconds and
    one later session (the one a reload moves)."""
    data = folder / "data"
    lead = timedelta(minutes=DEFAULT_LEAD)
    sessions = {
        "alpha": now + lead + timedelta(seconds=DUE_AFTER[0]),
        "beta": now + lead + timedelta(seconds=DUE_AFTER[1]),
        "gamma": now.replace(microsecond=0) + timedelta(hours=3),
    }
    # The consultation lasts three days around today, so no session falls outside it.
    first, last = (now - timedelta(days=1)).date(), (now + timedelta(days=1)).date()
    for consultation_id in (TRIAL, OTHER):
        folder_of = data / consultation_id
        folder_of.mkdir(parents=True, exist_ok=True)
        (folder_of / "consultation.yaml").write_text(
            consultation_yaml(consultation_id, first.isoformat(), last.isoformat())
        )
        (folder_of / "logistics.yaml").write_text("topics: []\n")
        (folder_of / "faq.yaml").write_text(FAQ)
    other = "sessions:\n" + session_yaml("other", "Other session", now + timedelta(hours=2))
    (data / OTHER / "sessions.yaml").write_text(other)
    plan = Plan(folder, data, folder / "bot.sqlite3", sessions)
    write_sessions(plan)
    return plan


def move_gamma(plan: Plan) -> None:
    """What an organiser does: the later session moves by half an hour."""
    plan.sessions["gamma"] += timedelta(minutes=30)
    write_sessions(plan)


# --- registering delegates through the real handlers -----------------------------------------


async def register(plan: Plan, delegates: range, askers: range) -> None:
    """Each delegate opens a private chat (/start), chooses the consultation and stars the three
    sessions; askers choose the other consultation and star nothing."""
    api = FakeBotApi()
    config = Config(
        database_path=plan.database, data_dir=plan.data, anonymity_key_file=plan.key_file
    )
    events = load_event_data(plan.data)
    # An hour earlier: nothing falls due while they register; the trial's bot sends it all.
    clock = ManualClock(datetime.now(UTC) - timedelta(hours=1))
    app = build_application(config, events, request=api.request(), clock=clock)
    async with running(app):
        services: Services = app.bot_data["services"]
        consultation = events.consultations[TRIAL]
        for user in [*delegates, *askers]:
            language = LANGUAGES[user % len(LANGUAGES)]
            data = api.make_message(user, "/start", language_code=language, first_name="D")
            await app.process_update(Update.de_json(data, app.bot))
            await services.people.set_language(user, language)
            if user in delegates:
                await services.people.set_consultation(user, TRIAL)
                for session_id in plan.sessions:
                    await services.agenda.set_star(user, consultation, session_id, True)
            else:
                await services.people.set_consultation(user, OTHER)


# --- the bot as a process --------------------------------------------------------------------


def environment(plan: Plan, server: FakeApiHttpServer) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("WEBHOOK_URL", "ORGANISER_IDS", "MODERATOR_IDS", "HELPDESK_CHAT_ID"):
        env.pop(name, None)
    env.pop("DEFAULT_CONSULTATION", None)
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=server.root_url,
        DATABASE_PATH=str(plan.database),
        DATA_DIR=str(plan.data),
        ANONYMITY_KEY_FILE=str(plan.key_file),
        PYTHONPATH=str(ROOT),
    )
    return env


def command(
    plan: Plan, server: FakeApiHttpServer, *args: str, log_name: str = "commands.log"
) -> subprocess.Popen[bytes]:
    """`python -m bot <args>` in the trial's folder, its output appended to `log_name`."""
    log = (plan.folder / log_name).open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=plan.folder,
            env=environment(plan, server),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    finally:
        log.close()


def start_bot(plan: Plan, server: FakeApiHttpServer) -> subprocess.Popen[bytes]:
    return command(plan, server, "run", log_name="bot.log")


def wait_for(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# --- one trial -------------------------------------------------------------------------------


@dataclass
class Outcome:
    killed_at: float
    events_before_kill: list[str]
    duplicates: int = 0
    losses: int = 0
    unknown: int = 0
    untold: int = 0
    unhandled: int = 0
    # The sends whose connection the trial dropped: delivered, and refused (429) by the fake.
    dropped_delivered: int = 0
    dropped_refused: int = 0
    details: list[str] = field(default_factory=list)


def outbox_states(plan: Plan) -> dict[tuple[int, str], str]:
    """(user, kind of message) -> outbox state, for the rows that may be `unknown`."""
    with sqlite3.connect(plan.database) as db:
        rows = db.execute("SELECT user_id, subject, state FROM outbox").fetchall()
    return {(int(user), str(subject)): str(state) for user, subject, state in rows}


def unknown_updates(plan: Plan) -> set[int]:
    """Updates whose first reply left before a kill: the bot never answers them again."""
    with sqlite3.connect(plan.database) as db:
        return {int(ident) for (ident,) in db.execute("SELECT update_id FROM unknown_updates")}


def unknown_for(states: dict[tuple[int, str], str], user: int, hint: str) -> bool:
    return any(
        state == "unknown" and u == user and hint in subject
        for (u, subject), state in states.items()
    )


def trial(
    number: int,
    rng: random.Random,
    delegates: range,
    askers: range,
    resets: int,
    keep: bool,
) -> Outcome:
    folder = Path(tempfile.mkdtemp(prefix=f"crash-trial-{number}-"))
    now = datetime.now(UTC)
    plan = write_data(folder, now)
    asyncio.run(register(plan, delegates, askers))

    api = FakeBotApi(rate_limit=(30, 1.0), per_chat_limit=(1, 1.0))
    received = Received()
    api.on_bot_message.append(received.on_message)
    for user in [*delegates, *askers]:
        api.add_chat(user)
    server = FakeApiHttpServer(api, token=TOKEN)
    server.start_in_thread()
    asked: Counter[int] = Counter()
    update_ids: dict[int, set[int]] = {}

    def ask(users: list[int]) -> None:
        for user in users:
            language = LANGUAGES[user % len(LANGUAGES)]
            update = api.make_message(user, "/now", language_code=language)
            api.queue_update(update)
            asked[user] += 1
            update_ids.setdefault(user, set()).add(update["update_id"])

    try:
        text = folder / "announcement.txt"
        text.write_text(f"{ANNOUNCEMENT}: the plenary moves to Room 2.\n")
        queued = command(
            plan, server, "broadcast", "--consultation", TRIAL, "--text-file", str(text), "--yes"
        )
        assert queued.wait(60) == 0, (folder / "commands.log").read_text()
        ask(list(askers))

        # Moments, in seconds after the start: more questions, the reload, the resets, the kill.
        ask_again = sorted(rng.uniform(0.5, 8.0) for _ in range(2))
        reload_at = rng.uniform(0.0, 8.0)
        reset_at = rng.uniform(0.0, 6.0)
        kill_at = rng.uniform(0.5, 14.0)
        events: list[tuple[float, str]] = [(t, "ask") for t in ask_again]
        events += [(reload_at, "reload"), (reset_at, "reset"), (kill_at, "kill")]
        events.sort()

        bot = start_bot(plan, server)
        started = time.monotonic()
        done: list[str] = []
        reload: subprocess.Popen[bytes] | None = None
        for moment, what in events:
            delay = started + moment - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if what == "ask":
                ask(rng.sample(list(askers), len(askers) // 2))
            elif what == "reload":
                move_gamma(plan)
                reload = command(plan, server, "reload", "--wait", "20")
            elif what == "reset":
                inject_resets(server, resets)
            elif what == "kill":
                bot.send_signal(signal.SIGKILL)
                bot.wait()
                break
            done.append(what)
        outcome = Outcome(killed_at=kill_at, events_before_kill=done)
        if "reload" not in done:
            # The organiser edits and asks for a reload while the bot is down (it answers later).
            move_gamma(plan)
            reload = command(plan, server, "reload", "--wait", "20")

        bot = start_bot(plan, server)
        expected_messages = len(delegates) * (1 + len(REMINDED) + 1) + sum(asked.values())

        def settled() -> bool:
            # Counted among the messages checked only: a countdown (also sent, not checked) must
            # not make the trial stop before every change notice had its chance.
            total = received.tracked(delegates, askers)
            with received.lock:
                quiet = time.monotonic() - received.last_at
            return total >= expected_messages and quiet > 2.0

        # Everything due must be out well within a minute at 30 messages a second.
        wait_for(settled, 90)
        time.sleep(1.0)
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(30)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot.wait()
            outcome.details.append("no exit 30 s after SIGTERM")
        if reload is not None:
            try:
                reload.wait(30)
            except subprocess.TimeoutExpired:
                reload.kill()

        outcome.dropped_delivered = server.dropped_after[200]
        outcome.dropped_refused = sum(
            count for status, count in server.dropped_after.items() if status != 200
        )
        states = outbox_states(plan)
        for user in delegates:
            for marker, hint in (
                (ANNOUNCEMENT, "broadcast"),
                (REMINDED[0], "alpha"),
                (REMINDED[1], "beta"),
                (MOVED, "change"),
            ):
                got = received.count(user, marker)
                unknown = unknown_for(states, user, hint)
                if got > 1:
                    outcome.duplicates += 1
                    outcome.details.append(f"{marker} x{got} to {user}")
                elif got == 0 and unknown:
                    outcome.unknown += 1
                elif got == 0 and marker == MOVED:
                    outcome.untold += 1
                    outcome.details.append(f"change untold to {user}")
                elif got == 0:
                    outcome.losses += 1
                    outcome.details.append(f"{marker} lost for {user}")
                elif unknown:
                    outcome.unknown += 1
        unanswerable = unknown_updates(plan)
        for user in askers:
            got = received.count(user)
            # Updates whose reply left before the kill, or whose reply's connection dropped:
            # unknown, never answered again (delivered or not, as the outbox's `unknown`).
            unknown = len(update_ids[user] & unanswerable)
            outcome.unknown += unknown
            if got > asked[user]:
                outcome.duplicates += got - asked[user]
                outcome.details.append(f"asker {user}: {got} answers to {asked[user]} messages")
            elif asked[user] - got > unknown:
                outcome.unhandled += asked[user] - got - unknown
                outcome.details.append(f"asker {user}: {got} answers to {asked[user]} messages")
        return outcome
    finally:
        server.stop_thread()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(plan.key_file.parent, ignore_errors=True)


def inject_resets(server: FakeApiHttpServer, count: int) -> None:
    """The next `count` sendMessage calls are delivered, then the connection drops unanswered."""
    if count <= 0:
        return
    server.fail_next(count, method="sendMessage", drop=True, carried_out=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--delegates", type=int, default=60)
    parser.add_argument("--askers", type=int, default=40)
    parser.add_argument("--resets", type=int, default=5, help="sends dropped after delivery")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", action="store_true", help="keep each trial's folder")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    delegates = range(FIRST_DELEGATE, FIRST_DELEGATE + args.delegates)
    askers = range(FIRST_ASKER, FIRST_ASKER + args.askers)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"{args.trials} trials; {args.delegates} delegates (an announcement, two reminders and a "
        f"change notice each), {args.askers} askers, {args.resets} connection resets after "
        f"delivery; Bot API limit 30 msg/s; seed {args.seed}",
        flush=True,
    )
    totals = Counter[str]()
    for number in range(1, args.trials + 1):
        outcome = trial(number, rng, delegates, askers, args.resets, args.keep)
        names = ("duplicates", "losses", "unknown", "untold", "unhandled")
        for name in (*names, "dropped_delivered", "dropped_refused"):
            totals[name] += getattr(outcome, name)
        print(
            f"trial {number:2}: killed at {outcome.killed_at:5.2f} s "
            f"(after: {', '.join(outcome.events_before_kill) or 'nothing'}); "
            f"duplicates {outcome.duplicates}, losses {outcome.losses}, "
            f"unknown {outcome.unknown}, changes untold {outcome.untold}, "
            f"updates unhandled {outcome.unhandled}; dropped after delivery "
            f"{outcome.dropped_delivered}, after a refusal {outcome.dropped_refused}"
            + (f" — {'; '.join(outcome.details[:4])}" if outcome.details else ""),
            flush=True,
        )
    print(
        f"in all: duplicates {totals['duplicates']}, losses {totals['losses']} (outside the "
        f"unknown state), unknown {totals['unknown']}, changes untold {totals['untold']}, "
        f"updates unhandled {totals['unhandled']}; sends dropped after delivery "
        f"{totals['dropped_delivered']}, after a 429 refusal {totals['dropped_refused']}"
    )


if __name__ == "__main__":
    main()
