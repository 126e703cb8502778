"""What the benches share: the bot built over a generated programme, and percentiles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_application
from bot.clock import ManualClock
from bot.config import Config
from bot.context import BotApplication, Services
from bot.fakeapi import FakeBotApi
from bot.services.event_data import Consultation, EventData

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
