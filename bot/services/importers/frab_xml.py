"""The frab schedule XML, as exported by frab, pretalx and FOSDEM's Pentabarf."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from bot.services.importers import ImportFailed, ImportOptions, Programme, SourceProblem
from bot.services.importers.frab import (
    FrabBuilder,
    RawEvent,
    RawPerson,
    parse_datetime,
    parse_day,
    parse_duration,
    source_zone,
)

_FIELDS = (
    "guid", "id", "date", "start", "duration", "end", "title", "subtitle",
    "track", "type", "abstract", "description",
)  # fmt: skip


def parse(path: Path, data: bytes, options: ImportOptions) -> Programme:
    """Read a frab schedule.xml; external entities and entity bombs are refused."""
    try:
        root = fromstring(data)  # entities and external references are refused
    except ParseError as exc:
        line, column = exc.position
        message = str(exc).split(":")[0]
        raise ImportFailed(
            [SourceProblem(path, f"line {line}, column {column + 1}", f"XML: {message}")]
        ) from None
    except DefusedXmlException as exc:
        raise ImportFailed([SourceProblem(path, "", f"XML refused: {exc}")]) from None
    if root.tag != "schedule":
        raise ImportFailed([SourceProblem(path, f"<{root.tag}>", "expected a <schedule>")])
    conference = root.find("conference")
    zone_name = _child(conference, "time_zone_name") if conference is not None else ""
    zone, warning = source_zone(zone_name or None, options)
    builder = FrabBuilder(path, options, "frab-xml", zone)
    timeslot = parse_duration(_child(conference, "timeslot_duration"))
    if timeslot:
        builder.timeslot = timeslot
    if warning:
        builder.warnings.append(warning)
    for day_number, day in enumerate(root.findall("day"), 1):
        day_place = f"/schedule/day[{day_number}]"
        day_date = parse_day(day.get("date") or "")
        if day_date is None:
            builder.problem(f"{day_place}/@date", f"'{day.get('date')}' is not a date")
            continue
        day_start = parse_datetime(day.get("start") or "")
        for room in day.findall("room"):
            room_name = room.get("name") or ""
            room_place = f"{day_place}/room[@name='{room_name}']"
            for number, event in enumerate(room.findall("event"), 1):
                key = event.get("id") or event.get("guid")
                place = (
                    f"{room_place}/event[@id='{key}']" if key else f"{room_place}/event[{number}]"
                )
                builder.add(_raw_event(event, place, day_date, day_start, room_name))
    title = _child(conference, "title") or None
    return builder.finish(title, zone_name or None)


def _child(element: Element | None, tag: str) -> str:
    if element is None:
        return ""
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _raw_event(
    event: Element, place: str, day: date, day_start: datetime | None, room_name: str
) -> RawEvent:
    values: dict[str, object] = {}
    for key in _FIELDS:
        found = event.find(key)
        if found is not None:
            values[key] = found.text or ""
        elif key in ("guid", "id") and event.get(key):
            values[key] = event.get(key)
    persons_element = event.find("persons")
    persons = (
        [
            RawPerson("".join(p.itertext()), f"frab:{p.get('id')}" if p.get("id") else "")
            for p in persons_element.findall("person")
        ]
        if persons_element is not None
        else []
    )

    def where(key: str) -> str:
        return f"{place}/{key}"

    return RawEvent(
        place=place,
        where=where,
        day=day,
        day_start=day_start,
        room=_child(event, "room") or room_name,
        values=values,
        persons=persons,
    )
