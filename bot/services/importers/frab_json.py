"""The frab/pretalx schedule JSON (c3voc schema), older and newer field sets; files in the
second schema are handed to `frab_schema2`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.services.importers import (
    ImportFailed,
    ImportOptions,
    Programme,
    SourceProblem,
    SourceRoom,
)
from bot.services.importers.formats import schedule_schema
from bot.services.importers.frab import (
    FrabBuilder,
    RawEvent,
    parse_datetime,
    parse_day,
    parse_duration,
    read_person,
    source_zone,
)
from bot.services.importers.plain_text import to_plain_text


def _key(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _decode(path: Path, data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            [SourceProblem(path, f"byte {exc.start}", "the file is not UTF-8 text")]
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            [SourceProblem(path, f"line {exc.lineno}, column {exc.colno}", f"JSON: {exc.msg}")]
        ) from None


def _need(value: Any, kind: type, place: str, path: Path, what: str) -> Any:
    if not isinstance(value, kind):
        raise ImportFailed([SourceProblem(path, place, f"expected {what}")])
    return value


def parse(path: Path, data: bytes, options: ImportOptions) -> Programme:
    """Read a frab/pretalx schedule.json, in either c3voc schema."""
    document = _decode(path, data)
    if schedule_schema(path, document) == 2:
        from bot.services.importers import frab_schema2

        return frab_schema2.parse(path, document["schedule"], options)
    schedule = _need(document.get("schedule"), dict, "$.schedule", path, "a 'schedule' object")
    conference = _need(
        schedule.get("conference"),
        dict,
        "$.schedule.conference",
        path,
        "a 'conference' object",
    )
    zone_name = conference.get("time_zone_name")
    zone, warning = source_zone(str(zone_name) if zone_name else None, options)
    timeslot = parse_duration(str(conference.get("timeslot_duration") or ""))
    builder = FrabBuilder(path, options, "frab-json", zone)
    if timeslot:
        builder.timeslot = timeslot
    if warning:
        builder.warnings.append(warning)
    base = "$.schedule.conference.days"
    days = _need(conference.get("days"), list, base, path, "a list of days")
    for index, day in enumerate(days):
        day_place = f"{base}[{index}]"
        if not isinstance(day, dict):
            builder.problem(day_place, "expected a day object")
            continue
        day_date = parse_day(str(day.get("date") or ""))
        if day_date is None:
            builder.problem(f"{day_place}.date", f"'{day.get('date')}' is not a date")
            continue
        day_start = parse_datetime(str(day.get("day_start") or ""))
        rooms = day.get("rooms")
        if not isinstance(rooms, dict):
            builder.problem(f"{day_place}.rooms", "expected an object of rooms")
            continue
        for room_name, events in rooms.items():
            room_place = _key(f"{day_place}.rooms", str(room_name))
            if not isinstance(events, list):
                builder.problem(room_place, "expected a list of events")
                continue
            for number, event in enumerate(events):
                place = f"{room_place}[{number}]"
                if not isinstance(event, dict):
                    builder.problem(place, "expected an event object")
                    continue
                builder.add(_raw_event(event, place, day_date, day_start, str(room_name)))
    title = conference.get("title")
    programme = builder.finish(
        str(title) if title else None, str(zone_name) if zone_name else None
    )
    return replace(programme, source_rooms=_rooms(conference.get("rooms")))


def _rooms(listed: Any) -> tuple[SourceRoom, ...]:
    """pretalx's list of rooms: each one's capacity and description (directions), when given."""
    rooms = []
    for item in listed if isinstance(listed, list) else ():
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            continue
        capacity = item.get("capacity")
        description = to_plain_text(str(item.get("description") or ""))
        rooms.append(
            SourceRoom(
                str(item["name"]).strip(),
                capacity if isinstance(capacity, int) and not isinstance(capacity, bool) else None,
                description or None,
            )
        )
    return tuple(rooms)


def _raw_event(
    event: dict[str, Any], place: str, day: date, day_start: datetime | None, room: str
) -> RawEvent:
    persons = [p for p in map(read_person, event.get("persons") or []) if p is not None]
    values = {key: value for key, value in event.items() if not isinstance(value, dict | list)}
    return RawEvent(
        place=place,
        where=lambda key: f"{place}.{key}",
        day=day,
        day_start=day_start,
        room=str(event.get("room") or room),
        values=values,
        persons=persons,
    )


# Where exports keep a person's organisation, when they do (the c3voc schemas do not).
