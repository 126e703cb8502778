"""frab/pretalx exports: the real sample files import with the right sessions, rooms and times."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.services.event_data import Consultation, Session, load_event_data
from bot.services.importers import ImportFailed, ImportOptions, read
from bot.services.importers.plain_text import to_plain_text
from bot.services.importing import apply_import, describe, plan_import
from tests.import_support import CONGRESS, PRETALX, make_consultation

BERLIN = ZoneInfo("Europe/Berlin")


def local(session: Session, zone: ZoneInfo = BERLIN) -> tuple[str, str]:
    return (
        session.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        session.end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
    )


def speakers(session: Session) -> list[str]:
    return [s.name for s in session.speakers]


def room(session: Session) -> str | None:
    return session.room.get("en") if session.room else None


def imported(tmp_path: Path, source: Path, ident: str, start: date, end: date) -> Consultation:
    make_consultation(tmp_path, ident, "Europe/Berlin", start, end)
    apply_import(plan_import(tmp_path, ident, source))
    return load_event_data(tmp_path).consultations[ident]


# --- 31C3 (frab XML) ----------------------------------------------------------------------


@pytest.fixture
def congress(tmp_path: Path) -> Consultation:
    return imported(tmp_path, CONGRESS, "congress", date(2014, 12, 27), date(2014, 12, 30))


def test_31c3_sessions_rooms_and_speakers(congress: Consultation) -> None:
    assert len(congress.sessions) == 138
    assert sorted({room(s) for s in congress.sessions}) == ["Saal 1", "Saal 2", "Saal 6", "Saal G"]
    opening = congress.session("e-6561")
    assert opening is not None
    assert opening.title.get("en") == "31C3 Opening Event"
    assert local(opening) == ("2014-12-27 11:00", "2014-12-27 11:30")
    assert room(opening) == "Saal 1"
    assert speakers(opening) == ["erdgeist", "Geraldine de Bastion"]
    keynote = congress.session("e-6571")
    assert keynote is not None
    assert keynote.description is not None
    assert keynote.description.get("en") == "A New Dawn\n\nThe 31C3 Keynote"
    agenda = congress.session("e-6264")
    assert agenda is not None
    assert agenda.track is not None
    assert agenda.track.get("en") == "Ethics, Society & Politics"  # &amp; unescaped
    assert local(agenda) == ("2014-12-27 12:45", "2014-12-27 13:45")


def test_31c3_talks_after_midnight_stay_on_the_evening_s_day(congress: Consultation) -> None:
    citizenfour = congress.session("e-6581")
    assert citizenfour is not None
    assert local(citizenfour) == ("2014-12-28 00:00", "2014-12-28 02:15")
    assert speakers(citizenfour) == ["Laura Poitras"]
    fnord = congress.session("e-6109")
    assert fnord is not None
    assert local(fnord) == ("2014-12-29 00:15", "2014-12-29 01:45")
    # The congress day runs past midnight: these belong to the 27th and the 28th.
    assert congress.day_change == timedelta(hours=1)
    assert citizenfour in congress.sessions_on(date(2014, 12, 27))
    assert citizenfour not in congress.sessions_on(date(2014, 12, 28))
    assert fnord in congress.sessions_on(date(2014, 12, 28))
    assert congress.sessions_on(date(2014, 12, 28))[0].id != "e-6581"
    per_day = [len(congress.sessions_on(d)) for d in congress.days()]
    assert sum(per_day) == 138
    assert all(per_day)


def test_31c3_import_keeps_the_consultation_file_s_comments(tmp_path: Path) -> None:
    imported(tmp_path, CONGRESS, "congress", date(2014, 12, 27), date(2014, 12, 30))
    text = (tmp_path / "congress" / "consultation.yaml").read_text(encoding="utf-8")
    assert text.startswith("# A consultation for import tests; this comment must survive")
    assert 'day_change: "01:00"' in text


# --- pretalx DemoCon (frab JSON) ----------------------------------------------------------


@pytest.fixture
def democon(tmp_path: Path) -> Consultation:
    return imported(tmp_path, PRETALX, "democon", date(2020, 12, 14), date(2020, 12, 16))


def test_pretalx_sessions_rooms_speakers_and_times(democon: Consultation) -> None:
    assert len(democon.sessions) == 36
    assert [len(democon.sessions_on(d)) for d in democon.days()] == [12, 12, 12]
    talk = democon.session("e-25")
    assert talk is not None
    assert talk.title.get("en") == "Focused 5thgeneration hardware"
    assert local(talk) == ("2020-12-14 09:00", "2020-12-14 09:30")
    assert room(talk) == "Gray Room"
    assert speakers(talk) == ["Brian Robinson"]
    assert talk.track is not None
    assert talk.track.get("en") == "Phased"
    workshop = democon.session("e-14")
    assert workshop is not None
    assert workshop.kind == "workshop"
    assert local(workshop) == ("2020-12-14 09:00", "2020-12-14 10:30")
    assert room(workshop) == "Tan Room"
    pair = democon.session("e-16")
    assert pair is not None
    assert speakers(pair) == ["Maria Williams", "Mariah Estrada"]
    assert local(pair) == ("2020-12-14 15:00", "2020-12-14 15:30")
    last = democon.session("e-50")
    assert last is not None
    assert local(last) == ("2020-12-16 14:00", "2020-12-16 15:30")
    assert democon.day_change == timedelta(0)


def test_times_follow_the_file_s_offsets_into_the_consultation_s_zone() -> None:
    programme = read(PRETALX, ImportOptions(ZoneInfo("UTC")))
    talk = next(s.session for s in programme.sessions if s.session.id == "e-25")
    assert talk.start == datetime(2020, 12, 14, 8, 0, tzinfo=ZoneInfo("UTC"))


def _pretalx() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PRETALX.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: dict[str, Any], name: str = "schedule.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_older_start_duration_fields_and_newer_end_guid_fields(tmp_path: Path) -> None:
    older = _pretalx()
    conference = older["schedule"]["conference"]
    conference["time_zone_name"] = "Europe/Berlin"
    late = dict(conference["days"][0]["rooms"]["Gray Room"][0], id=999, guid="x-999")
    late.update(start="01:30", duration="01:00", title="Late show")
    conference["days"][0]["rooms"]["Gray Room"].append(late)
    for day in conference["days"]:
        for events in day["rooms"].values():
            for event in events:
                del event["date"]
    programme = read(_write(tmp_path, older), ImportOptions(BERLIN))
    by_id = {s.session.id: s for s in programme.sessions}
    assert local(by_id["e-25"].session) == ("2020-12-14 09:00", "2020-12-14 09:30")
    # 01:30 is before the day's 04:00 start: the night after the 14th, still the 14th's day.
    assert local(by_id["e-999"].session) == ("2020-12-15 01:30", "2020-12-15 02:30")
    assert by_id["e-999"].day == date(2020, 12, 14)

    newer = _pretalx()
    for day in newer["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            for event in events:
                del event["id"], event["start"], event["duration"]
                begin = datetime.fromisoformat(event["date"])
                event["end"] = (begin + timedelta(minutes=45)).isoformat()
    first = read(_write(tmp_path, newer), ImportOptions(BERLIN))
    again = read(_write(tmp_path, newer, "again.json"), ImportOptions(BERLIN))
    ids = [s.session.id for s in first.sessions]
    assert ids == [s.session.id for s in again.sessions]
    assert all(i.startswith("g-") and len(i) == 12 for i in ids)
    guid_talk = next(s.session for s in first.sessions if s.place.endswith('["Gray Room"][0]'))
    assert guid_talk.title.get("en") == "Focused 5thgeneration hardware"
    assert local(guid_talk) == ("2020-12-14 09:00", "2020-12-14 09:45")


# --- Time zones ---------------------------------------------------------------------------


def _without_dates(data: dict[str, Any], keep: int = 0) -> dict[str, Any]:
    """The export with its events' dates (and offsets) dropped, but for the first `keep`: the
    older start-and-duration form, whose times carry no offset."""
    events = [
        event
        for day in data["schedule"]["conference"]["days"]
        for listed in day["rooms"].values()
        for event in listed
    ]
    for event in events[keep:]:
        del event["date"]
    return data


def _zone_warnings(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    make_consultation(tmp_path, "democon", "Europe/Berlin", date(2020, 12, 14), date(2020, 12, 16))
    plan = plan_import(tmp_path, "democon", _write(tmp_path, data))
    return [w for w in plan.warnings if "time zone" in w]


def test_times_with_offsets_are_said_to_be_converted_by_them(tmp_path: Path) -> None:
    # The sample names UTC but gives every time with its +01:00 offset.
    assert _zone_warnings(tmp_path, _pretalx()) == [
        "the export's time zone is UTC, the consultation's Europe/Berlin: times are converted "
        "using the offsets in the file"
    ]


def test_times_without_offsets_are_said_to_be_read_in_the_exports_zone(tmp_path: Path) -> None:
    assert _zone_warnings(tmp_path, _without_dates(_pretalx())) == [
        "the export's time zone is UTC, the consultation's Europe/Berlin: the file's times "
        "carry no offset, so they are read as UTC time and converted to Europe/Berlin"
    ]


def test_some_times_with_offsets_and_some_without(tmp_path: Path) -> None:
    assert _zone_warnings(tmp_path, _without_dates(_pretalx(), keep=35)) == [
        "the export's time zone is UTC, the consultation's Europe/Berlin: times with an offset "
        "are converted using it, and those without one (1 time) are read as UTC time and "
        "converted to Europe/Berlin"
    ]


def test_an_unknown_zone_is_warned_of_once_with_the_zone_assumed(tmp_path: Path) -> None:
    data = _without_dates(_pretalx())
    data["schedule"]["conference"]["time_zone_name"] = "Mars/Olympus_Mons"
    assert _zone_warnings(tmp_path, data) == [
        "unknown time zone 'Mars/Olympus_Mons': times without an offset are read in Europe/Berlin"
    ]


def test_the_summary_counts_in_singular_and_plural(tmp_path: Path) -> None:
    data = _pretalx()
    days = data["schedule"]["conference"]["days"]
    first = days[0]["rooms"]["Gray Room"][0]
    data["schedule"]["conference"]["days"] = [dict(days[0], rooms={"Gray Room": [first]})]
    make_consultation(tmp_path, "democon", "Europe/Berlin", date(2020, 12, 14), date(2020, 12, 16))
    plan = plan_import(tmp_path, "democon", _write(tmp_path, data))
    assert "1 session in 1 room, 2020-12-14 to 2020-12-14" in describe(plan, dry_run=True)


# --- Broken files -------------------------------------------------------------------------


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    text = PRETALX.read_text(encoding="utf-8").replace('"acronym": "democon",', '"acronym" "x",')
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        read(path, ImportOptions(BERLIN))
    assert str(failed.value) == f"{path}: line 7, column 17: JSON: Expecting ':' delimiter"


def test_json_bad_value_names_its_path(tmp_path: Path) -> None:
    data = _pretalx()
    data["schedule"]["conference"]["days"][1]["rooms"]["Gray Room"][3]["date"] = "tomorrow"
    path = _write(tmp_path, data)
    with pytest.raises(ImportFailed) as failed:
        read(path, ImportOptions(BERLIN))
    assert [str(p) for p in failed.value.problems] == [
        f'{path}: $.schedule.conference.days[1].rooms["Gray Room"][3].date: '
        "'tomorrow' is not a date and time like 2020-12-14T09:00:00+01:00"
    ]


def test_xml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    lines = CONGRESS.read_text(encoding="utf-8").splitlines()
    lines[17] = lines[17].replace("</room>", "</rom>")
    path = tmp_path / "broken.xml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        read(path, ImportOptions(BERLIN))
    assert str(failed.value) == f"{path}: line 18, column 15: XML: mismatched tag"


def test_xml_bad_duration_names_the_event(tmp_path: Path) -> None:
    text = CONGRESS.read_text(encoding="utf-8").replace(
        "<duration>00:30</duration>", "<duration>half an hour</duration>", 1
    )
    path = tmp_path / "bad.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        read(path, ImportOptions(BERLIN))
    assert str(failed.value) == (
        f"{path}: /schedule/day[1]/room[@name='Saal 1']/event[@id='6561']/duration: "
        "'half an hour' is not a duration like 00:45"
    )


def test_xml_entity_expansion_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><schedule>&b;</schedule>',
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed, match="XML refused"):
        read(path, ImportOptions(BERLIN))


# --- Abstracts to plain text --------------------------------------------------------------


def test_html_abstract_becomes_plain_text_with_paragraphs_and_bullets() -> None:
    html = (
        "<p>Intro &amp; <b>welcome</b>.</p><p>We cover:</p>"
        "<ul><li>funding</li><li>access&nbsp;rules</li></ul>"
        '<p>See <a href="https://example.org/x">the notes</a>.<br>Thanks<script>x()</script></p>'
    )
    assert to_plain_text(html) == (
        "Intro & welcome.\n\nWe cover:\n• funding\n• access rules\n\n"
        "See the notes (https://example.org/x).\nThanks"
    )


def test_markdown_abstract_becomes_plain_text() -> None:
    markdown = (
        "## Goals\n\nA **bold** and *calm* talk on `code`.\n\n"
        "- first point\n* second point\n\nMore at [our site](https://example.org)."
    )
    assert to_plain_text(markdown) == (
        "Goals\n\nA bold and calm talk on code.\n• first point\n• second point\n\n"
        "More at our site (https://example.org)."
    )
