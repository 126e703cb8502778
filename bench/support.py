"""What the benches share: the bot built over a generated programme or in process over the
fake Bot API, and percentiles."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram import Update

from bot.app import build_application
from bot.clock import ManualClock
from bot.config import Config
from bot.context import BotApplication, Services
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.services.encoder import Encoder
from bot.services.event_data import Consultation, EventData, load_event_data
from bot.services.flood import UNLIMITED, FloodControl
from bot.storage import users as users_sql
from bot.storage.database import to_iso

SUBSCRIBER = 4242


def days_before(consultation: Consultation, days: int) -> ManualClock:
    """A clock at midnight (the consultation's time zone) `days` days before it starts."""
    start = datetime.combine(consultation.start, datetime.min.time(), consultation.timezone)
    return ManualClock((start - timedelta(days=days)).astimezone(UTC))


async def subscriber(
    app: BotApplication, consultation: Consultation, starred: Iterable[str]
) -> str:
    """A French-speaking delegate (SUBSCRIBER) who starred these sessions and asked for the
    calendar address: its secret."""
    services: Services = app.bot_data["services"]
    await services.people.profile(SUBSCRIBER, "Bench", "fr")
    for session_id in starred:
        await services.agenda.set_star(SUBSCRIBER, consultation, session_id, starred=True)
    return await services.calendar_feeds.issue(SUBSCRIBER, consultation.id)


def percentile(values: list[float], q: float) -> float:
    """The value at rank q (0 to 1) of the sorted values, the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_application(
    consultation: Consultation,
    scratch: Path,
    api: FakeBotApi,
    clock: ManualClock,
    *,
    web_base_url: str | None = None,
) -> BotApplication:
    """The bot over one consultation, its database in `scratch`, the Bot API in-process."""
    config = Config(
        token=None,
        database_path=scratch / "db" / "bench.sqlite3",
        data_dir=scratch,
        organisers=frozenset(),
        moderators=frozenset(),
        anonymity_key_file=scratch / "keys" / "anonymity.key",
        web_base_url=web_base_url,
    )
    return build_application(
        config,
        EventData({consultation.id: consultation}),
        request=api.request(),
        get_updates_request=api.request(),
        clock=clock,
    )


LANGUAGES = ("en", "fr", "es", "ar")


def no_encoder() -> Encoder | None:
    """The bot without the multilingual encoder (the matcher alone)."""
    return None


class InProcessBot:
    """The real application over the fake Bot API, in this process, at a fixed moment: updates
    are handed to it directly, and the moment each chat's first reply reached the API is kept."""

    def __init__(
        self, config: Config, at: datetime, encoder: Callable[[], Encoder | None] = no_encoder
    ) -> None:
        self.clock = ManualClock(at)
        self.api = FakeBotApi(clock=self.clock.now)
        self.config = config
        self.events = load_event_data(config.data_dir)
        self.app: BotApplication = build_application(
            config,
            self.events,
            request=self.api.request(),
            get_updates_request=self.api.request(),
            clock=self.clock,
            encoder=encoder,
        )
        self.replied: dict[int, float] = {}
        self.api.on_bot_message.append(self._seen)

    def _seen(self, message: FakeMessage, event: str) -> None:
        if event == "new":
            self.replied.setdefault(message.chat_id, time.perf_counter())

    @property
    def services(self) -> Services:
        services: Services = self.app.bot_data["services"]
        return services

    async def register(self, users: range, consultation_id: str) -> None:
        """Delegates of the consultation in four languages, written in one go (the statements
        UserStore runs), each with a chat with the bot; no flood limit (many messages from the
        same delegates at the same fixed moment)."""
        stamp = to_iso(self.clock.now())
        language = {user: LANGUAGES[user % 4] for user in users}
        for user in users:
            self.api.add_chat(user, first_name="Delegate")

        def write(connection: sqlite3.Connection) -> None:
            rows = [(u, "Delegate", lang, 0, stamp, stamp) for u, lang in language.items()]
            connection.executemany(users_sql._UPSERT, rows)
            connection.executemany(
                users_sql._SET_LANGUAGE, [(lang, stamp, u) for u, lang in language.items()]
            )
            connection.executemany(
                users_sql._SET_CONSULTATION, [(consultation_id, stamp, u) for u in language]
            )

        await self.services.db.transaction(write)
        self.services.flood = FloodControl(self.clock, messages=UNLIMITED, buttons=UNLIMITED)

    def update(self, user: int, text: str) -> Update:
        data = self.api.make_message(user, text, language_code=LANGUAGES[user % 4])
        return Update.de_json(data, self.app.bot)


async def timed_now(
    bot: InProcessBot,
    rng: random.Random,
    end: float,
    first_user: int,
    users: int,
    rate: float = 20.0,
) -> tuple[list[float], int]:
    """/now from `users` delegates in turn, `rate` a second (Poisson) until `end`
    (time.perf_counter), each timed from the update queued to its reply reaching the Bot API;
    the latencies in seconds, and how many were still unanswered 2 s after the end."""
    queue = bot.app.update_queue
    asked: dict[int, float] = {}
    latencies: list[float] = []

    async def send() -> None:
        turn = 0
        while True:
            await asyncio.sleep(rng.expovariate(rate))
            if time.perf_counter() >= end:
                return
            user = first_user + turn % users
            turn += 1
            bot.replied.pop(user, None)
            asked[user] = time.perf_counter()
            await queue.put(bot.update(user, "/now"))

    async def watch() -> None:
        while time.perf_counter() < end + 2 and (time.perf_counter() < end or asked):
            for user, moment in list(asked.items()):
                reply = bot.replied.get(user)
                if reply is not None and reply >= moment:
                    latencies.append(reply - moment)
                    del asked[user]
            await asyncio.sleep(0.002)

    await asyncio.gather(send(), watch())
    return latencies, len(asked)
