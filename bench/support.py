"""What the benches share: the bot built over a generated programme, and percentiles."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_application
from bot.clock import ManualClock
from bot.config import Config
from bot.context import BotApplication
from bot.fakeapi import FakeBotApi
from bot.services.event_data import Consultation, EventData


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
