"""The c3voc schedule JSON, second version ("schema2"), as the 38C3 hub exports it.

The conference lists its rooms and tracks once, with guids; the events are one list beside the
days, each naming its room and track by reference and its participants by guid; the persons,
with their biographies and links, are listed once beside the events. Each event becomes the same
`RawEvent` the first schema gives, so sessions, speakers and warnings come out alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from bot.services.importers import (
    ImportFailed,
    ImportOptions,
    Programme,
    SourceProblem,
    SourceRoom,
)
from bot.services.importers.frab import (
    FrabBuilder,
    RawEvent,
    RawPerson,
    parse_datetime,
    parse_day,
    parse_duration,
    read_person,
    source_zone,
)
from bot.services.importers.plain_text import to_plain_text

# Events that will not take place: left out, with a warning each.
_GONE = {
    "CANCELED": "cancelled",
    "WITHDRAWN": "withdrawn",
    "DELETED": "deleted",
    "REJECTED": "rejected",
}
_EXAMPLE = "2020-12-14T09:00:00+01:00"


@dataclass(frozen=True)
class _Day:
    date: date
    start: datetime
    end: datetime


class ExportRooms:
    """The conference's rooms: found by an event's room reference (guid, slug or name), and
    described for rooms.yaml as the first schema's pretalx rooms are."""

    def __init__(self, rooms: Any, languages: Sequence[str]) -> None:
        self._names: dict[str, str] = {}
        described: list[SourceRoom] = []
        for room in rooms if isinstance(rooms, list) else []:
            name = room.get("name") if isinstance(room, dict) else None
            if not isinstance(name, str) or not name.strip():
                continue
            for key in ("guid", "slug"):
                if isinstance(room.get(key), str):
                    self._names.setdefault(room[key], name.strip())
            capacity = room.get("capacity")
            description = to_plain_text(localised(room.get("description"), languages))
            described.append(
                SourceRoom(
                    name.strip(),
                    capacity
                    if isinstance(capacity, int) and not isinstance(capacity, bool)
                    else None,
                    description or None,
                )
            )
        self.described = tuple(described)

    def name_of(self, reference: Any) -> str | None:
        """The room's name, as the first schema gives it per event ("" for none; None for a
        reference to no room of the conference)."""
        if reference is None:
            return ""
        if isinstance(reference, str):
            return reference.strip()
        if not isinstance(reference, dict):
            return None
        for key in ("guid", "slug"):
            value = reference.get(key)
            if isinstance(value, str) and value in self._names:
                return self._names[value]
        name = reference.get("name")
        return name.strip() if isinstance(name, str) and name.strip() else None


def parse(path: Path, schedule: dict[str, Any], options: ImportOptions) -> Programme:
    """Read the `schedule` object of a schema2 export."""
    conference = schedule.get("conference")
    if not isinstance(conference, dict):
        raise ImportFailed(
            [SourceProblem(path, "$.schedule.conference", "expected a 'conference' object")]
        )
    zone_name = conference.get("time_zone_name")
    zone, warning = source_zone(str(zone_name) if zone_name else None, options)
    builder = FrabBuilder(path, options, "frab-json2", zone)
    timeslot = parse_duration(str(conference.get("timeslot_duration") or ""))
    if timeslot:
        builder.timeslot = timeslot
    if warning:
        builder.warnings.append(warning)
    defaults = conference.get("defaults")
    default_language = defaults.get("language") if isinstance(defaults, dict) else None
    language = default_language if isinstance(default_language, str) else ""
    rooms = ExportRooms(conference.get("rooms"), [options.language, language])
    reader = _EventReader(
        builder,
        rooms=rooms,
        tracks=_tracks(conference.get("tracks")),
        days=_days(builder, conference.get("days"), zone),
        persons=_persons(schedule.get("persons")),
        language=language,
    )
    events = schedule.get("events", [])
    if not isinstance(events, list):
        builder.problem("$.schedule.events", "expected a list of events")
        events = []
    for index, event in enumerate(events):
        place = f"$.schedule.events[{index}]"
        if not isinstance(event, dict):
            builder.problem(place, "expected an event object")
            continue
        raw = reader.event(event, place)
        if raw is not None:
            builder.add(raw)
    title = conference.get("title")
    programme = builder.finish(
        str(title) if isinstance(title, str) and title else None,
        str(zone_name) if zone_name else None,
    )
    return replace(programme, source_rooms=rooms.described)


def localised(value: Any, languages: Sequence[str]) -> str:
    """A LocalizableString: a string, or a map from language to string (the first of
    `languages` it has, else its first); null is no text."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    texts = {str(k): v for k, v in value.items() if isinstance(v, str) and v.strip()}
    for language in languages:
        if language in texts:
            return texts[language]
    return next(iter(texts.values()), "")


def _tracks(tracks: Any) -> dict[str, str]:
    """Track names by slug, guid and name (their colours have no place in the bot)."""
    names: dict[str, str] = {}
    for track in tracks if isinstance(tracks, list) else []:
        name = track.get("name") if isinstance(track, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        for key in ("slug", "guid", "name"):
            if isinstance(track.get(key), str):
                names.setdefault(track[key], name.strip())
    return names


def _days(builder: FrabBuilder, days: Any, zone: tzinfo) -> list[_Day]:
    """The conference days with their first and last moment: a day may run past midnight."""
    base = "$.schedule.conference.days"
    if days is None:
        return []
    if not isinstance(days, list):
        builder.problem(base, "expected a list of days")
        return []
    found: list[_Day] = []
    for index, day in enumerate(days):
        place = f"{base}[{index}]"
        if not isinstance(day, dict):
            builder.problem(place, "expected a day object")
            continue
        day_date = parse_day(str(day.get("date") or ""))
        if day_date is None:
            builder.problem(f"{place}.date", f"'{day.get('date')}' is not a date")
            continue
        moments: list[datetime] = []
        for key in ("start", "end"):
            text = str(day.get(key) or "")
            moment = parse_datetime(text) if len(text) > 10 else None
            if moment is None:
                builder.problem(
                    f"{place}.{key}", f"'{text}' is not a date and time like {_EXAMPLE}"
                )
                break
            moments.append(moment if moment.tzinfo else moment.replace(tzinfo=zone))
        if len(moments) == 2:
            found.append(_Day(day_date, moments[0], moments[1]))
    return found


def _persons(persons: Any) -> dict[str, dict[str, Any]]:
    """The export's persons by guid: their biographies and links, named by the events."""
    return {
        person["guid"]: person
        for person in (persons if isinstance(persons, list) else [])
        if isinstance(person, dict) and isinstance(person.get("guid"), str)
    }


@dataclass
class _EventReader:
    builder: FrabBuilder
    rooms: ExportRooms
    tracks: dict[str, str]
    days: list[_Day]
    persons: dict[str, dict[str, Any]]
    language: str  # the conference's default language, for texts in several languages

    def __post_init__(self) -> None:
        self._unknown_tracks: set[str] = set()
        self._made_keys: set[str] = set()

    def event(self, event: dict[str, Any], place: str) -> RawEvent | None:
        """The event as the frab readers give it to the builder, or None when it is left out
        (cancelled, or without a start: said)."""
        event_language = event.get("language")
        languages = [self.builder.options.language]
        languages += [event_language] if isinstance(event_language, str) else []
        languages += [self.language] if self.language else []
        title = localised(event.get("title"), languages).strip()
        state = str(event.get("state") or "").upper()
        if state in _GONE:
            self.builder.warnings.append(f"{place}: '{title}' is {_GONE[state]}; left out")
            return None
        stamp = event.get("start")
        text = stamp.strip() if isinstance(stamp, str) else ""
        if len(text) <= 10:  # none, or a date without its time
            self.builder.problem(
                f"{place}.start", f"'{text}' is not a date and time like {_EXAMPLE}"
            )
            return None
        moment = parse_datetime(text)
        values: dict[str, Any] = {
            "guid": event.get("guid"),
            "code": event.get("code"),
            "title": title,
            "date": text,
            "end": event.get("end"),
            "duration": event.get("duration"),
            "type": event.get("type"),
            "track": self._track(event.get("track"), place),
        }
        for key in ("subtitle", "abstract", "description"):
            values[key] = localised(event.get(key), languages)
        if not values["guid"] and not values["code"]:
            # A break or another meta event may have no guid: its title and day make one.
            values["code"] = self._made_key(f"{title}@{text[:10]}")
        day = self._day(moment, title, place)
        return RawEvent(
            place=place,
            where=lambda key: f"{place}.{'start' if key == 'date' else key}",
            day=day.date if day else self._calendar_day(moment, text),
            day_start=day.start if day else None,
            room=self._room(event.get("room"), place),
            values={k: v for k, v in values.items() if v is not None},
            persons=self._participants(event),
        )

    def _room(self, reference: Any, place: str) -> str:
        """The room as a name per session, as the first schema gives it."""
        name = self.rooms.name_of(reference)
        if name is None:
            self.builder.warnings.append(
                f"{place}.room: not one of the conference's rooms; the session has no room"
            )
            return ""
        return name

    def _track(self, reference: Any, place: str) -> str:
        if isinstance(reference, dict):
            key = next(
                (
                    reference[k]
                    for k in ("slug", "guid", "name")
                    if isinstance(reference.get(k), str)
                ),
                "",
            )
        else:
            key = reference if isinstance(reference, str) else ""
        if not key or key in self.tracks:
            return self.tracks.get(key, "")
        if key not in self._unknown_tracks:
            self._unknown_tracks.add(key)
            self.builder.warnings.append(
                f"{place}.track: '{key}' is not one of the conference's tracks; "
                "shown as the track's name"
            )
        return key

    def _participants(self, event: dict[str, Any]) -> list[RawPerson]:
        """Every participant, whatever their role, with what the persons list says of them."""
        found: list[RawPerson] = []
        listed = event.get("participants") or event.get("persons") or []
        for participant in listed if isinstance(listed, list) else []:
            if isinstance(participant, dict):
                known = self.persons.get(str(participant.get("guid")), {})
                given = {k: v for k, v in participant.items() if v not in (None, "")}
                participant = {**known, **given}
            person = read_person(participant)
            if person is not None:
                found.append(person)
        return found

    def _day(self, moment: datetime | None, title: str, place: str) -> _Day | None:
        """The conference day an event starts in (a talk at 00:15 is still the evening's)."""
        if moment is None:
            return None  # the builder says what is wrong with the start
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.builder.zone)
        for day in self.days:
            if day.start <= moment < day.end:
                return day
        if self.days:
            self.builder.warnings.append(
                f"{place}: '{title}' starts outside the conference's days; listed under "
                f"{self._calendar_day(moment, '')}"
            )
        return None

    def _calendar_day(self, moment: datetime | None, text: str) -> date:
        if moment is None:
            return parse_day(text) or date.min
        if moment.tzinfo is None:
            return moment.date()
        return moment.astimezone(self.builder.zone).date()

    def _made_key(self, base: str) -> str:
        key, number = base, 1
        while key in self._made_keys:
            number += 1
            key = f"{base}#{number}"
        self._made_keys.add(key)
        return key
