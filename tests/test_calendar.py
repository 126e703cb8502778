"""The personal agenda as a calendar file (/calendar): each session reminded at the delegate's
own reminder lead (none when they turned reminders off), and where it is: room, then venue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from bot.services.calendar import build_ics
from bot.services.event_data import Consultation
from tests.conftest import Chat, Harness, sample_events

GENEVA_ID = "geneva-2026"
NAIROBI_ID = "nairobi-2027"
STAMP = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def consultation(ident: str) -> Consultation:
    return sample_events().consultations[ident]


async def with_agenda(harness: Harness, language: str) -> Chat:
    """A delegate of Geneva with the opening and the climate workshop in their agenda."""
    chat = harness.chat(1001, language)
    await chat.send("/start")
    await chat.press(consultation(GENEVA_ID).name.get(language))
    for session_id in ("opening", "climate-mobility"):
        await harness.services.agenda.set_star(
            1001, consultation(GENEVA_ID), session_id, starred=True
        )
    return chat


async def calendar_events(chat: Chat) -> list[icalendar.Event]:
    chat.harness.clock.advance(seconds=2)
    await chat.send("/calendar")
    document = chat.last.document
    assert document is not None
    return list(icalendar.Calendar.from_ical(document.content).walk("VEVENT"))


def alarms(event: icalendar.Event) -> list[timedelta]:
    return [alarm.decoded("trigger") for alarm in event.walk("VALARM")]


@pytest.mark.parametrize("language", ["es", "ar"])
async def test_each_session_is_reminded_at_the_default_lead(
    harness: Harness, language: str
) -> None:
    chat = await with_agenda(harness, language)
    events = await calendar_events(chat)
    assert len(events) == 2
    for event in events:
        assert alarms(event) == [timedelta(minutes=-10)]
        (alarm,) = event.walk("VALARM")
        assert str(alarm["action"]) == "DISPLAY"
        assert str(alarm["description"]) == str(event["summary"])


async def test_the_reminder_follows_the_delegates_setting(harness: Harness) -> None:
    chat = await with_agenda(harness, "fr")
    await chat.send("/settings")
    await chat.press("30 min")
    events = await calendar_events(chat)
    assert [alarms(e) for e in events] == [[timedelta(minutes=-30)]] * 2
    await chat.send("/settings")
    await chat.press("Désactivés")
    events = await calendar_events(chat)
    assert [alarms(e) for e in events] == [[], []]
    assert all("VALARM" not in e.to_ical().decode() for e in events)


@pytest.mark.parametrize(
    ("language", "room", "venue"),
    [
        ("en", "Conference Room 2", "United Nations Office at Nairobi (UNON)"),
        ("fr", "Salle de conférence 2", "Office des Nations Unies à Nairobi (ONUN)"),
    ],
)
def test_the_location_names_the_room_then_the_venue_once_each(
    language: str, room: str, venue: str
) -> None:
    nairobi = consultation(NAIROBI_ID)
    content = build_ics(nairobi, nairobi.sessions, language, STAMP).decode()
    events = icalendar.Calendar.from_ical(content).walk("VEVENT")
    locations = {str(e["uid"]).split("@")[0]: str(e["location"]) for e in events}
    opening = nairobi.session("opening-plenary")
    assert opening is not None
    place = nairobi.room(opening.room_id)
    assert place is not None
    assert place.location is not None
    # The room, its building and floor (rooms.yaml), then the venue.
    assert locations["opening-plenary"] == f"{room}, {place.location.get(language)}, {venue}"
    for location in locations.values():
        assert location.count(venue) == 1
        assert location.count(room) <= 1


def test_a_room_named_like_the_venue_is_named_once() -> None:
    geneva = consultation(GENEVA_ID)
    opening = geneva.session("opening")
    assert opening is not None
    same = replace(opening, room=geneva.venue.name, room_id=None)
    without_room = replace(opening, id="no-room", room=None, room_id=None)
    content = build_ics(geneva, [same, without_room], "fr", STAMP).decode()
    locations = [str(e["location"]) for e in icalendar.Calendar.from_ical(content).walk("VEVENT")]
    assert locations == [geneva.venue.name.get("fr")] * 2
