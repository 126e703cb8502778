"""The calendar subscription: /calendar offers a personal address (webcal:// and https://) that
phone calendars follow: the delegate's agenda as it is now, alarms at their lead time, moved
sessions moved (same UID, higher SEQUENCE), removed ones cancelled; renewing or /forget kills
the address; an unknown or another delegate's address is a bare 404."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.clock import ManualClock
from bot.services.event_data import EventData
from tests.conftest import Chat, Harness, build_harness, make_config, started

GENEVA = "geneva-2026"
BASE = "https://hc.example.org/consult"
ADDRESS = re.compile(r"webcal://hc\.example\.org/consult/cal/([A-Za-z0-9_-]+)\.ics")


@pytest.fixture
def config_changes() -> dict[str, Any]:
    return {"web_base_url": BASE}


async def delegate(harness: Harness, user_id: int, language: str, *stars: str) -> Chat:
    chat = harness.chat(user_id, language)
    await chat.send("/start")
    consultation = harness.services.events.consultations[GENEVA]
    await chat.press(consultation.name.get(language))
    for session_id in stars:
        await harness.services.agenda.set_star(user_id, consultation, session_id, starred=True)
    return chat


async def subscribe(chat: Chat) -> str:
    """/calendar; the secret of the address the bot gives."""
    await chat.send("/calendar")
    found = ADDRESS.search(chat.last.text or "")
    assert found is not None, chat.last.text
    assert f"{BASE}/cal/{found.group(1)}.ics" in (chat.last.text or "")
    return found.group(1)


async def fetch(
    client: TestClient[web.Request, web.Application], secret: str
) -> icalendar.Calendar:
    answer = await client.get(f"/cal/{secret}.ics")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "max-age" in answer.headers["Cache-Control"]
    return icalendar.Calendar.from_ical(await answer.read())


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["uid"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def alarms(event: icalendar.Event) -> list[tuple[timedelta, str]]:
    return [(a.decoded("trigger"), str(a["description"])) for a in event.walk("VALARM")]


def with_sessions(events: EventData, change: dict[str, object]) -> EventData:
    """The programme with sessions moved (id -> hours) or removed (id -> None)."""
    geneva = events.consultations[GENEVA]
    sessions = []
    for session in geneva.sessions:
        if session.id not in change:
            sessions.append(session)
        elif change[session.id] is not None:
            hours = timedelta(hours=int(str(change[session.id])))
            sessions.append(replace(session, start=session.start + hours, end=session.end + hours))
    moved = replace(geneva, sessions=tuple(sessions))
    return replace(events, consultations={**events.consultations, GENEVA: moved})


@pytest.mark.parametrize("language", ["fr", "ar"])
async def test_the_feed_lists_the_starred_sessions_with_alarms_in_the_delegates_language(
    harness: Harness, client: TestClient[web.Request, web.Application], language: str
) -> None:
    chat = await delegate(harness, 1001, language, "opening", "climate-mobility")
    secret = await subscribe(chat)
    geneva = harness.services.events.consultations[GENEVA]
    events = by_uid(await fetch(client, secret))
    assert set(events) == {"opening", "climate-mobility"}
    for session_id, event in events.items():
        title = geneva.session(session_id).title.get(language)  # type: ignore[union-attr]
        assert str(event["summary"]) == title
        assert alarms(event) == [(timedelta(minutes=-10), title)]
        assert str(event["status"]) == "CONFIRMED"
    # Starred later: the same address shows it, at the delegate's new lead.
    await harness.services.agenda.set_star(1001, geneva, "opening", starred=False)
    await harness.services.reminders.set_lead(1001, 30)
    events = by_uid(await fetch(client, secret))
    assert set(events) == {"climate-mobility"}
    assert [a for a, _t in alarms(events["climate-mobility"])] == [timedelta(minutes=-30)]
    # Reminders off: no alarms.
    await harness.services.reminders.set_lead(1001, 0)
    events = by_uid(await fetch(client, secret))
    assert alarms(events["climate-mobility"]) == []


async def test_a_moved_session_moves_and_a_removed_one_is_cancelled(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    chat = await delegate(harness, 1001, "es", "opening", "climate-mobility")
    secret = await subscribe(chat)
    before = by_uid(await fetch(client, secret))
    original = harness.services.events
    harness.clock.advance(seconds=60)
    result = await harness.services.reloader.apply(
        with_sessions(original, {"opening": 2, "climate-mobility": None}), "test"
    )
    assert result.ok
    after = by_uid(await fetch(client, secret))
    assert set(after) == {"opening", "climate-mobility"}
    moved = after["opening"]
    assert moved["uid"] == before["opening"]["uid"]
    assert moved.decoded("dtstart") == before["opening"].decoded("dtstart") + timedelta(hours=2)
    assert int(moved["sequence"]) > int(before["opening"]["sequence"])
    assert "last-modified" in moved
    cancelled = after["climate-mobility"]
    assert str(cancelled["status"]) == "CANCELLED"
    assert cancelled["uid"] == before["climate-mobility"]["uid"]
    assert int(cancelled["sequence"]) > int(before["climate-mobility"]["sequence"])
    assert str(cancelled["summary"]).startswith("Cancelada: ")
    assert alarms(cancelled) == []


async def test_an_unchanged_feed_answers_not_modified(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    chat = await delegate(harness, 1001, "en", "opening")
    secret = await subscribe(chat)
    first = await client.get(f"/cal/{secret}.ics")
    etag = first.headers["ETag"]
    again = await client.get(f"/cal/{secret}.ics", headers={"If-None-Match": etag})
    assert again.status == 304


async def test_renewing_and_forgetting_kill_the_address(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    chat = await delegate(harness, 1001, "en", "opening")
    old = await subscribe(chat)
    # Asked again: the address is not shown twice (only its hash is kept), renewing is offered.
    await chat.send("/calendar")
    assert ADDRESS.search(chat.last.text or "") is None
    assert "already have a calendar address" in chat.text()
    assert (await client.get(f"/cal/{old}.ics")).status == 200
    await chat.press("Renew the address")
    found = ADDRESS.search(chat.last.text or "")
    assert found is not None
    new = found.group(1)
    assert new != old
    assert (await client.get(f"/cal/{old}.ics")).status == 404
    assert (await client.get(f"/cal/{new}.ics")).status == 200
    await chat.send("/forget")
    await chat.press("Yes, delete my data")
    assert (await client.get(f"/cal/{new}.ics")).status == 404


async def test_unknown_and_other_delegates_addresses_reveal_nothing(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    alice = await delegate(harness, 1001, "en", "opening")
    bob = await delegate(harness, 1002, "fr", "climate-mobility")
    alice_secret = await subscribe(alice)
    bob_secret = await subscribe(bob)
    assert set(by_uid(await fetch(client, alice_secret))) == {"opening"}
    assert set(by_uid(await fetch(client, bob_secret))) == {"climate-mobility"}
    for wrong in (alice_secret[:-1] + ("A" if alice_secret[-1] != "A" else "B"), "x" * 43, "a"):
        answer = await client.get(f"/cal/{wrong}.ics")
        assert answer.status == 404
        body = await answer.text()
        assert "VCALENDAR" not in body
        assert "Opening" not in body


async def test_too_many_requests_for_one_address_are_refused_for_a_while(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    chat = await delegate(harness, 1001, "en", "opening")
    secret = await subscribe(chat)
    statuses = [(await client.get(f"/cal/{secret}.ics")).status for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    harness.clock.advance(seconds=61)
    assert (await client.get(f"/cal/{secret}.ics")).status == 200


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "organisers have not enabled"),
        ("fr", "ne l'a pas activée"),
        ("ar", "لم يفعّله فريق التنظيم"),
    ],
)
async def test_without_a_web_address_the_delegate_is_told_so(
    tmp_path: Path, clock: ManualClock, language: str, words: str
) -> None:
    async with started(build_harness(make_config(tmp_path), clock)) as harness:
        chat = await delegate(harness, 1001, language, "opening")
        await chat.send("/calendar")
        # Said with the file, which still comes.
        assert chat.last.document is not None
        assert words in (chat.last.caption or "")
        assert not any("webcal://" in (m.text or "") for m in chat.messages)
