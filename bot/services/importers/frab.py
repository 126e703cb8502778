"""What the frab JSON and XML readers share: turning one frab event into a session."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.services.data_reading import Text
from bot.services.event_data import Session, Speaker
from bot.services.importers import (
    ImportedSession,
    ImportFailed,
    ImportOptions,
    People,
    Programme,
    SourceProblem,
    session_kind,
    stable_id,
)
from bot.services.importers.plain_text import to_plain_text

_DURATION_RE = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{2})(?::(\d{2}))?$")
# ISO 8601, as the c3voc schema 2 writes durations: PT45M, PT1H30M, P1DT2H.
_ISO_DURATION_RE = re.compile(
    r"^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.\d+)?S)?)?$"
)
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class RawPerson:
    """One person of an event: the export's name and identifier, and a bio, organisation and
    web links where it has them (its avatar is left out: no picture is downloaded)."""

    name: str
    key: str = ""  # "frab:1544", "pretalx:NQTF8Y": the same person in every event
    bio: str = ""
    organisation: str = ""
    links: tuple[str, ...] = ()


@dataclass
class RawEvent:
    """One event as found in the file, whatever its syntax."""

    place: str
    where: Callable[[str], str]  # the place of one of its fields
    day: date
    day_start: datetime | None
    room: str
    values: dict[str, Any]
    persons: list[RawPerson]


def parse_duration(text: str) -> timedelta | None:
    """frab durations: '00:30', '1:30', '01:30:00', or '1:02:00' with days first; or ISO 8601
    ('PT1H30M')."""
    iso = _ISO_DURATION_RE.match(text.strip().upper())
    if iso:
        parts = [int(part or 0) for part in iso.groups()]
        return timedelta(
            weeks=parts[0], days=parts[1], hours=parts[2], minutes=parts[3], seconds=parts[4]
        )
    match = _DURATION_RE.match(text.strip())
    if not match:
        return None
    first, hours, minutes, seconds = match.groups()
    if seconds is not None and first is None:
        # HH:MM:SS
        return timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds))
    days = int(first) if first else 0
    return timedelta(days=days, hours=int(hours), minutes=int(minutes))


def parse_datetime(text: str) -> datetime | None:
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def source_zone(name: str | None, options: ImportOptions) -> tuple[tzinfo, str | None]:
    """The conference's IANA zone when the export names one, else the consultation's."""
    if name:
        try:
            return ZoneInfo(name), None
        except (ZoneInfoNotFoundError, ValueError):
            return options.zone, (
                f"unknown time zone '{name}': times without an offset are read in {options.zone}"
            )
    return options.zone, None


@dataclass
class FrabBuilder:
    path: Path
    options: ImportOptions
    fmt: str
    zone: tzinfo
    timeslot: timedelta = timedelta(minutes=5)
    problems: list[SourceProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sessions: list[ImportedSession] = field(default_factory=list)
    with_offset: int = 0
    without_offset: int = 0
    _ids: dict[str, str] = field(default_factory=dict)
    people: People = field(init=False)

    def __post_init__(self) -> None:
        self.people = People(self.options.language)

    def problem(self, place: str, message: str) -> None:
        self.problems.append(SourceProblem(self.path, place, message))

    def text(self, value: str) -> Text:
        return Text({self.options.language: value}, self.options.language)

    def add(self, raw: RawEvent) -> None:
        values = raw.values
        ident = self._ident(raw)
        title = str(values.get("title") or "").strip()
        if not title:
            self.problem(raw.where("title"), "the event has no title")
        start = self._start(raw)
        end = self._end(raw, start)
        if ident is None or start is None or end is None or not title:
            return
        if end <= start:
            self.warnings.append(
                f"{raw.place}: '{title}' has no duration; shown as {self.timeslot} long"
            )
            end = start + self.timeslot
        description = self._description(values)
        track = str(values.get("track") or "").strip()
        session = Session(
            id=ident,
            title=self.text(title),
            start=start.astimezone(self.options.zone),
            end=end.astimezone(self.options.zone),
            description=self.text(description) if description else None,
            room=self.text(raw.room) if raw.room.strip() else None,
            track=self.text(track) if track else None,
            kind=session_kind(str(values.get("type") or "")),
            speakers=self._speakers(raw.persons),
        )
        self.sessions.append(ImportedSession(session, raw.day, raw.place))

    def _speakers(self, persons: list[RawPerson]) -> tuple[Speaker, ...]:
        found: list[Speaker] = []
        for person in persons:
            name = " ".join(person.name.split())
            if not name:
                continue
            speaker = self.people.speaker(
                name,
                person.key,
                bio=person.bio,
                organisation=person.organisation,
                links=person.links,
            )
            if speaker not in found:
                found.append(speaker)
        return tuple(found)

    def _ident(self, raw: RawEvent) -> str | None:
        values = raw.values
        number = str(values.get("id") or "").strip()
        guid = str(values.get("guid") or "").strip()
        code = str(values.get("code") or "").strip()
        if number.isdigit():
            ident = f"e-{number}"
        elif guid:
            ident = stable_id("g", guid)
        elif code:
            ident = stable_id("c", code)
        else:
            self.problem(raw.place, "the event has neither a guid nor an id")
            return None
        if ident in self._ids:
            self.problem(
                raw.place, f"the same event ({ident}) is listed twice, first at {self._ids[ident]}"
            )
            return None
        self._ids[ident] = raw.place
        return ident

    def _start(self, raw: RawEvent) -> datetime | None:
        values = raw.values
        stamp = str(values.get("date") or "").strip()
        if stamp and not _DATE_ONLY_RE.match(stamp):
            parsed = parse_datetime(stamp)
            if parsed is None:
                self.problem(
                    raw.where("date"),
                    f"'{stamp}' is not a date and time like 2020-12-14T09:00:00+01:00",
                )
                return None
            return self._zoned(parsed)
        clock = str(values.get("start") or "").strip()
        match = _CLOCK_RE.match(clock)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            self.problem(raw.where("start"), f"'{clock}' is not a time like 09:30")
            return None
        hour, minute = int(match.group(1)), int(match.group(2))
        self.without_offset += 1
        start = datetime.combine(raw.day, datetime.min.time(), self.zone).replace(
            hour=hour, minute=minute
        )
        if raw.day_start is not None:
            first = raw.day_start.astimezone(self.zone)
            if (hour, minute) < (first.hour, first.minute):
                # Before the day's first slot: after midnight, still the same conference day.
                start = (start + timedelta(days=1)).replace(tzinfo=self.zone)
        return start

    def _end(self, raw: RawEvent, start: datetime | None) -> datetime | None:
        values = raw.values
        end_text = str(values.get("end") or "").strip()
        if end_text:
            parsed = parse_datetime(end_text)
            if parsed is None:
                self.problem(
                    raw.where("end"),
                    f"'{end_text}' is not a date and time like 2020-12-14T09:30:00+01:00",
                )
                return None
            return self._zoned(parsed)
        duration_text = str(values.get("duration") or "").strip()
        duration = parse_duration(duration_text)
        if duration is None:
            self.problem(raw.where("duration"), f"'{duration_text}' is not a duration like 00:45")
            return None
        return start + duration if start else None

    def _zoned(self, moment: datetime) -> datetime:
        """A time from the file: by its own offset, or else read in the file's zone."""
        if moment.tzinfo is None:
            self.without_offset += 1
            return moment.replace(tzinfo=self.zone)
        self.with_offset += 1
        return moment

    def _description(self, values: dict[str, Any]) -> str:
        parts: list[str] = []
        for key in ("subtitle", "abstract", "description"):
            text = to_plain_text(str(values.get(key) or ""))
            if text and text not in parts:
                parts.append(text)
        return "\n\n".join(parts)

    def finish(self, title: str | None, zone_name: str | None) -> Programme:
        if not self.sessions and not self.problems:
            self.problem("", "the file holds no events")
        if self.problems:
            raise ImportFailed(self.problems)
        completed, speakers, cut = self.people.complete(self.sessions)
        ordered = sorted(completed, key=lambda s: (s.session.start, s.session.id))
        return Programme(
            source=self.path,
            format=self.fmt,
            sessions=tuple(ordered),
            title=title,
            time_zone_name=zone_name,
            warnings=tuple(self.warnings + cut),
            with_offset=self.with_offset,
            without_offset=self.without_offset,
            read_in=str(self.zone),
            speakers=speakers,
        )


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


_ORGANISATION_KEYS = ("organisation", "organization", "affiliation", "company")


def read_person(person: Any) -> RawPerson | None:
    """A person of an event: a name (older exports), or an object with the name, the export's
    identifier (pretalx code, frab id, guid), a biography, perhaps an organisation, and web
    links (schema 2: their profiles elsewhere). An avatar is left out: the bot downloads no
    pictures."""
    if isinstance(person, str):
        return RawPerson(person)
    if not isinstance(person, dict):
        return None
    name = person.get("public_name") or person.get("name") or person.get("full_public_name")
    if not isinstance(name, str) or not name.strip():
        return None
    key = ""
    for name_of_id, prefix in (("code", "pretalx"), ("guid", "guid"), ("id", "frab")):
        value = person.get(name_of_id)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            key = f"{prefix}:{value}"
            break
    biography = person.get("biography")
    organisation = next(
        (
            str(person[k]).strip()
            for k in _ORGANISATION_KEYS
            if isinstance(person.get(k), str) and person[k].strip()
        ),
        "",
    )
    links = person.get("links")
    return RawPerson(
        name,
        key,
        bio=to_plain_text(biography) if isinstance(biography, str) else "",
        organisation=organisation,
        links=tuple(_link_urls(links)) if isinstance(links, list) else (),
    )


def _link_urls(links: list[Any]) -> list[str]:
    """The addresses of a list of links: strings, or objects with a `url` (c3voc schema 2)."""
    urls: list[str] = []
    for link in links:
        url = link.get("url") if isinstance(link, dict) else link
        if isinstance(url, str):
            urls.append(url)
    return urls
