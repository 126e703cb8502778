"""The personal agenda as an iCalendar (RFC 5545) file that phone calendars import."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import icalendar

from bot.services.event_data import Consultation, Session
from bot.services.rooms import room_label

PRODID = "-//IOM-NGO Consultations bot//EN"


def _description(session: Session, lang: str) -> str:
    parts = []
    if session.description:
        parts.append(session.description.get(lang))
    if session.speakers:
        parts.append(", ".join(sp.name for sp in session.speakers))
    return "\n\n".join(parts)


def location(session: Session, consultation: Consultation, lang: str) -> str:
    """Where the session is, in `lang`: its room, the room's building and floor, then the venue,
    each once (a venue named after a room does not repeat it)."""
    room = consultation.room(session.room_id)
    parts: list[str] = []
    for part in (
        room_label(session, lang),
        room.location.get(lang) if room is not None and room.location else None,
        consultation.venue.name.get(lang),
    ):
        if part and part.casefold() not in (p.casefold() for p in parts):
            parts.append(part)
    return ", ".join(parts)


def _alarm(session: Session, lang: str, before: timedelta) -> icalendar.Alarm:
    """A reminder `before` the session starts, as the delegate's own reminders come."""
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", session.title.get(lang))
    alarm.add("trigger", -before)
    return alarm


def build_ics(
    consultation: Consultation,
    sessions: Iterable[Session],
    lang: str,
    stamp: datetime,
    *,
    alarm: timedelta | None = None,
) -> bytes:
    """An .ics calendar of `sessions`, texts in `lang`, times in the consultation's zone; with a
    reminder `alarm` before each session when given (the delegate's reminder lead)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", consultation.name.get(lang))
    calendar.add("x-wr-timezone", consultation.timezone.key)
    for session in sessions:
        event = icalendar.Event()
        # Stable UIDs let a re-import update events instead of duplicating them.
        event.add("uid", f"{session.id}@{consultation.id}.consultations-bot")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.start.astimezone(consultation.timezone))
        event.add("dtend", session.end.astimezone(consultation.timezone))
        event.add("summary", session.title.get(lang))
        event.add("location", location(session, consultation, lang))
        description = _description(session, lang)
        if description:
            event.add("description", description)
        if session.track:
            event.add("categories", [session.track.get(lang)])
        if alarm:
            event.add_component(_alarm(session, lang, alarm))
        calendar.add_component(event)
    first = consultation.start - timedelta(days=1)
    last = consultation.end + timedelta(days=2)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return bytes(calendar.to_ical())


def ics_filename(consultation: Consultation) -> str:
    return f"{consultation.id}-my-agenda.ics"


__all__ = ["build_ics", "ics_filename", "location"]
