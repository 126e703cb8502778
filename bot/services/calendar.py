"""The personal agenda as an iCalendar (RFC 5545) file that phone calendars import."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import icalendar

from bot.i18n import _
from bot.services.event_data import Consultation, Session
from bot.services.rooms import room_label
from bot.storage.change_log import SessionSnapshot

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


def _add_session(
    event: icalendar.Event,
    consultation: Consultation,
    session: Session,
    lang: str,
    alarm: timedelta | None,
) -> None:
    """The session's times, texts and place on `event`, with a reminder `alarm` when given."""
    zone = consultation.timezone
    event.add("dtstart", session.start.astimezone(zone))
    event.add("dtend", session.end.astimezone(zone))
    event.add("summary", session.title.get(lang))
    event.add("location", location(session, consultation, lang))
    description = _description(session, lang)
    if description:
        event.add("description", description)
    if session.track:
        event.add("categories", [session.track.get(lang)])
    if alarm:
        event.add_component(_alarm(session, lang, alarm))


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
    calendar = _calendar(consultation, lang)
    for session in sessions:
        event = icalendar.Event()
        event.add("uid", uid(consultation, session.id))
        event.add("dtstamp", stamp)
        _add_session(event, consultation, session, lang, alarm)
        calendar.add_component(event)
    first = consultation.start - timedelta(days=1)
    last = consultation.end + timedelta(days=2)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return bytes(calendar.to_ical())


@dataclass(frozen=True)
class FeedEvent:
    """One event of a subscribed calendar: a starred session as it is now, or (`session` None)
    one a reload removed, as it was (`removed`); `sequence` counts its recorded changes, so a
    calendar replaces its copy when the session moves."""

    session_id: str
    session: Session | None
    removed: SessionSnapshot | None
    sequence: int
    modified: datetime | None


def _text(values: dict[str, str] | None, lang: str, default: str) -> str:
    if not values:
        return ""
    return values.get(lang) or values.get(default) or next(iter(values.values()), "")


def uid(consultation: Consultation, session_id: str) -> str:
    # Stable UIDs let a calendar update its events instead of duplicating them.
    return f"{session_id}@{consultation.id}.consultations-bot"


def _calendar(consultation: Consultation, lang: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", consultation.name.get(lang))
    calendar.add("x-wr-timezone", consultation.timezone.key)
    return calendar


def _feed_event(
    consultation: Consultation,
    item: FeedEvent,
    lang: str,
    stamp: datetime,
    alarm: timedelta | None,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid(consultation, item.session_id))
    event.add("dtstamp", item.modified or stamp)
    if item.modified is not None:
        event.add("last-modified", item.modified)
    event.add("sequence", item.sequence)
    zone = consultation.timezone
    session = item.session
    if session is not None:
        _add_session(event, consultation, session, lang, alarm)
        event.add("status", "CONFIRMED")
        return event
    old = item.removed
    assert old is not None
    title = _text(old.title, lang, old.default_language)
    event.add("dtstart", old.start.astimezone(zone))
    event.add("dtend", old.end.astimezone(zone))
    event.add("summary", _("Cancelled: {title}").format(title=title))
    room = _text(old.room, lang, old.default_language)
    if room:
        event.add("location", room)
    event.add("status", "CANCELLED")
    return event


_END = b"END:VCALENDAR\r\n"


class _Served:
    """What the renderer keeps of one programme of a consultation."""

    def __init__(self, consultation: Consultation, stamp: datetime) -> None:
        self.consultation = consultation
        self.stamp = stamp
        self.heads: dict[str, bytes] = {}
        self.events: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        first = consultation.start - timedelta(days=1)
        last = consultation.end + timedelta(days=2)
        probe = icalendar.Calendar()
        event = icalendar.Event()
        event.add("dtstart", datetime.combine(consultation.start, time(9), consultation.timezone))
        probe.add_component(event)
        probe.add_missing_timezones(first_date=first, last_date=last)
        self.zones = b"".join(bytes(z.to_ical()) for z in probe.walk("VTIMEZONE"))


class FeedRenderer:
    """Subscribed calendars of delegates' agendas, each event rendered once per programme,
    language and reminder lead and shared by every delegate who starred it (a feed is then
    mostly a join: see bench/calendar_feed.py)."""

    def __init__(self, keep: int = 20_000) -> None:
        self._keep = keep
        self._served: dict[str, _Served] = {}

    def render(
        self,
        consultation: Consultation,
        events: Iterable[FeedEvent],
        lang: str,
        now: datetime,
        *,
        alarm: timedelta | None = None,
    ) -> bytes:
        """The calendar: the starred sessions as they are now (with the reminder `alarm` when
        given), removed ones marked cancelled. Call within `use_language(lang)`. Unchanged
        sessions are stamped with the time this programme was first served (`now` then)."""
        served = self._served.get(consultation.id)
        if served is None or served.consultation is not consultation:
            # Another programme (a reload): what was rendered of the old one is dropped.
            served = self._served[consultation.id] = _Served(consultation, now)
        head = served.heads.get(lang)
        if head is None:
            calendar = _calendar(consultation, lang)
            # Subscribed calendars look again this often (those that honour it).
            calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
            calendar.add("x-published-ttl", "PT1H")
            whole = bytes(calendar.to_ical())
            head = served.heads[lang] = whole[: whole.rindex(_END)] + served.zones
        parts = [head]
        cache = served.events
        for item in events:
            key = (
                item.session_id,
                item.session is None,
                lang,
                alarm,
                item.sequence,
                item.modified,
            )
            found = cache.get(key)
            if found is None:
                event = _feed_event(consultation, item, lang, served.stamp, alarm)
                found = cache[key] = bytes(event.to_ical())
                if len(cache) > self._keep:
                    cache.popitem(last=False)
            parts.append(found)
        parts.append(_END)
        return b"".join(parts)


def ics_filename(consultation: Consultation) -> str:
    return f"{consultation.id}-my-agenda.ics"


__all__ = ["FeedEvent", "FeedRenderer", "build_ics", "ics_filename", "location", "uid"]
