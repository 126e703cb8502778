"""The profile read on every update: remembered rows and roles, and Babel's formats remembered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.handlers.formatting import clock_time, day_long, time_range
from bot.i18n import use_language
from bot.services.people import MODERATOR, ORGANISER, ROLES_REFRESH, People
from bot.services.privacy import Anonymity
from bot.storage.database import Database
from bot.storage.users import UserRecord, UserStore
from tests.conftest import sample_events

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


class CountingStore(UserStore):
    """Counts the visits (a row read, and written when something changed) and role reads."""

    def __init__(self, database: Database) -> None:
        super().__init__(database.connection)
        self.visits = 0
        self.role_reads = 0
        self.hold: asyncio.Event | None = None

    async def visit(
        self, user_id: int, first_name: str, now: datetime, client_language: str | None = None
    ) -> tuple[UserRecord, bool]:
        self.visits += 1
        answer = await super().visit(user_id, first_name, now, client_language)
        if self.hold is not None:
            await self.hold.wait()
        return answer

    async def all_roles(self) -> list[tuple[int, str]]:
        self.role_reads += 1
        return await super().all_roles()


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


def people_on(database: Database, clock: ManualClock) -> tuple[People, CountingStore, list[int]]:
    store = CountingStore(database)
    people = People(
        store, sample_events(), clock, anonymity=Anonymity("k" * 32), organisers=frozenset({1})
    )
    arrivals: list[int] = []

    async def arrived(user_id: int) -> None:
        arrivals.append(user_id)

    people.on_active_change.append(arrived)
    return people, store, arrivals


async def test_an_unchanged_delegate_costs_no_row_read(database: Database) -> None:
    people, store, arrivals = people_on(database, ManualClock(NOW))
    await people.profile(7, "Lina", "fr")
    for _ in range(5):
        profile = await people.profile(7, "Lina", "fr")
    assert store.visits == 1
    assert store.role_reads == 1
    assert arrivals == [7]
    assert profile.first_name == "Lina"
    # A new name or client language is stored, as before.
    await people.profile(7, "Lina B.", "ar")
    record = await people.get(7)
    assert record is not None
    assert (record.first_name, record.client_language) == ("Lina B.", "ar")
    await people.profile(7, "Lina B.")
    assert store.visits == 2


async def test_choices_show_on_the_next_update(database: Database) -> None:
    people, _store, _arrivals = people_on(database, ManualClock(NOW))
    await people.profile(7, "Lina", "fr")
    await people.set_language(7, "ar")
    await people.set_consultation(7, "nairobi-2027")
    profile = await people.profile(7, "Lina", "fr")
    assert (profile.language, profile.consultation_id) == ("ar", "nairobi-2027")


async def test_a_delegate_marked_inactive_who_writes_again_arrives(database: Database) -> None:
    people, _store, arrivals = people_on(database, ManualClock(NOW))
    await people.profile(7, "Lina", "fr")
    await people.mark_inactive(7)
    assert arrivals == [7, 7]
    record = await people.get(7)
    assert record is not None
    assert not record.active
    await people.profile(7, "Lina", "fr")
    assert arrivals == [7, 7, 7]
    record = await people.get(7)
    assert record is not None
    assert record.active
    await people.profile(7, "Lina", "fr")
    assert arrivals == [7, 7, 7]


async def test_a_forgotten_delegate_who_writes_again_is_new(database: Database) -> None:
    people, _store, arrivals = people_on(database, ManualClock(NOW))
    await people.profile(7, "Lina", "fr")
    await people.set_language(7, "ar")
    assert await people.forget(7)
    assert await people.get(7) is None
    profile = await people.profile(7, "Lina", "fr")
    assert profile.language is None
    assert await people.get(7) is not None
    assert arrivals == [7, 7]


async def test_a_choice_made_while_the_row_is_read_is_not_lost(database: Database) -> None:
    people, store, _arrivals = people_on(database, ManualClock(NOW))
    await people.profile(7, "Lina", "fr")
    await people.profile(7, "Lina B.", "fr")  # read again (new name): held below
    store.hold = asyncio.Event()
    reading = asyncio.create_task(people.profile(7, "Lina C.", "fr"))
    await asyncio.sleep(0.05)
    await people.set_language(7, "es")
    store.hold.set()
    await reading
    store.hold = None
    profile = await people.profile(7, "Lina C.", "fr")
    assert profile.language == "es"


async def test_roles_from_the_command_line_apply_within_the_refresh(database: Database) -> None:
    clock = ManualClock(NOW)
    people, store, _arrivals = people_on(database, clock)
    assert (await people.profile(1, "Org")).roles == frozenset({ORGANISER})  # configured
    assert (await people.profile(7, "Lina")).roles == frozenset()
    # `python -m bot role add 7 moderator`: another process, another connection.
    cli = UserStore(database.connection)
    await cli.add_role(7, MODERATOR, NOW)
    clock.set(NOW + ROLES_REFRESH)
    profile = await people.profile(7, "Lina")
    assert profile.roles == frozenset({MODERATOR})
    assert profile.is_moderator
    assert await cli.remove_role(7, MODERATOR)
    clock.set(NOW + ROLES_REFRESH + timedelta(seconds=1))
    assert (await people.profile(7, "Lina")).roles == frozenset({MODERATOR})  # not yet
    clock.set(NOW + 2 * ROLES_REFRESH)
    assert (await people.profile(7, "Lina")).roles == frozenset()
    assert store.role_reads == 3
    # A clock set back (the console's --at, tests) reads them again.
    clock.set(NOW)
    await people.profile(7, "Lina")
    assert store.role_reads == 4


def test_remembered_times_follow_the_zone_and_the_language() -> None:
    events = sample_events()
    geneva = events.get("geneva-2026")
    nairobi = events.get("nairobi-2027")
    assert geneva is not None
    assert nairobi is not None
    moment = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    with use_language("en"):
        assert clock_time(moment, ZoneInfo("Europe/Zurich")) == "09:00"
        # The same instant, written in another zone, is another time.
        assert clock_time(moment.astimezone(ZoneInfo("Asia/Tokyo")), ZoneInfo("UTC")) == "08:00"
        assert clock_time(moment, ZoneInfo("Africa/Nairobi")) == "11:00"
        session = geneva.sessions[0]
        english = time_range(session, geneva)
        assert english == time_range(session, geneva)
        assert day_long(moment.date()) == "Tuesday, December 8, 2026"
    with use_language("fr"):
        assert day_long(moment.date()) == "mardi 8 décembre 2026"
        assert clock_time(moment, nairobi.timezone) == "11:00"
