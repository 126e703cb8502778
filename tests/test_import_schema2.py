"""The c3voc schedule JSON, second version: 38C3's hub export imports like the first schema."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main
from bot.services.event_data import Consultation, Session, load_event_data
from bot.services.importers import ImportFailed, ImportOptions, read
from bot.services.importing import apply_import, describe, plan_import
from tests.import_support import HUB, make_consultation

BERLIN = ZoneInfo("Europe/Berlin")
FIRST, LAST = date(2024, 12, 27), date(2024, 12, 30)


def local(session: Session, zone: ZoneInfo = BERLIN) -> tuple[str, str]:
    return (
        session.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        session.end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
    )


def by_title(consultation: Consultation, start: str) -> Session:
    return next(s for s in consultation.sessions if s.title.get("en").startswith(start))


def hub() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(HUB.read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: dict[str, Any], name: str = "hub.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def congress(tmp_path: Path) -> Consultation:
    make_consultation(tmp_path, "congress", "Europe/Berlin", FIRST, LAST)
    apply_import(plan_import(tmp_path, "congress", HUB))
    return load_event_data(tmp_path).consultations["congress"]


def test_the_hub_export_gives_its_sessions_rooms_tracks_and_times(
    congress: Consultation,
) -> None:
    assert [s.title.get("en") for s in congress.sessions] == [
        "38C3: Opening Ceremony",
        "A Competitive Time-Trial AI for Need for Speed:",
    ]
    opening = by_title(congress, "38C3: Opening")
    assert local(opening) == ("2024-12-27 10:30", "2024-12-27 11:00")
    assert opening.room is not None
    assert opening.room.get("en") == "Saal 1"
    assert opening.track is not None
    assert opening.track.get("en") == "CCC"  # the track's name, found by its slug 'ccc'
    assert opening.description is not None
    assert opening.description.get("en").startswith("Glad you could make it!")
    talk = by_title(congress, "A Competitive")
    assert talk.room is not None
    assert talk.room.get("en") == "Saal ZIGZAG"
    assert talk.track is not None
    assert talk.track.get("en") == "Hardware & Making"
    assert talk.description is not None
    assert talk.description.get("en").startswith(
        "Most Wanted Using Deep Reinforcement Learning\n\nAll challenges"
    )
    # Ids come from the events' guids: the same on every import of the export.
    assert all(s.id.startswith("g-") and len(s.id) == 12 for s in congress.sessions)


def test_a_talk_after_midnight_stays_on_the_congress_day_it_belongs_to(
    congress: Consultation,
) -> None:
    talk = by_title(congress, "A Competitive")
    # 00:15 on the 28th, before the first day ends at 06:00: still the 27th's programme.
    assert local(talk) == ("2024-12-28 00:15", "2024-12-28 00:55")
    assert congress.day_change == timedelta(hours=1)
    assert [s.title.get("en")[:13] for s in congress.sessions_on(FIRST)] == [
        "38C3: Opening",
        "A Competitive",
    ]
    assert congress.sessions_on(date(2024, 12, 28)) == []


def test_the_hub_persons_fill_speakers_yaml_with_bios_and_links(congress: Consultation) -> None:
    opening = by_title(congress, "38C3: Opening")
    assert [(s.id, s.name) for s in opening.speakers] == [
        ("gabriela-bogk", "Gabriela Bogk"),
        ("aline-blankertz", "Aline Blankertz"),
        ("senficon", "Senficon"),
    ]
    assert [s.id for s in congress.speakers] == [
        "gabriela-bogk",
        "aline-blankertz",
        "senficon",
        "sebastian-schwarz",
    ]
    gabriela = congress.speaker("gabriela-bogk")
    assert gabriela is not None
    assert gabriela.bio is not None
    assert gabriela.bio.get("en").startswith("Gabriela, the hacker formerly known as Andreas")
    assert gabriela.links == ("https://example.net/@handle/123456",)
    sebastian = congress.speaker("sebastian-schwarz")
    assert sebastian is not None
    assert sebastian.bio is not None
    assert "\n\nEver since reinforcement learning" in sebastian.bio.get("en")
    assert [s.title.get("en")[:13] for s in congress.sessions_of(sebastian)] == ["A Competitive"]
    assert congress.speaker("senficon") is not None


def test_import_then_check_passes_and_a_second_import_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    make_consultation(data, "congress", "Europe/Berlin", FIRST, LAST)
    assert main(["import", str(HUB), "--consultation", "congress", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert (
        "(frab/pretalx schedule JSON, c3voc schema 2): 2 sessions in 2 rooms, "
        "2024-12-27 to 2024-12-27" in out
    )
    assert "2 new rooms (rooms.yaml): saal-1 (Saal 1), saal-zigzag (Saal ZIGZAG)" in out
    assert "speakers.yaml now holds 4 speakers (4 new)." in out
    assert main(["check", str(data)]) == 0
    checked = capsys.readouterr().out
    assert "congress: 2 sessions, 0 logistics topics, 0 FAQ entries, 4 speakers" in checked
    assert checked.rstrip().endswith("OK")
    congress = load_event_data(data).consultations["congress"]
    # The export's rooms, as described in its conference's list, sessions naming them by id.
    assert [(r.id, r.capacity) for r in congress.rooms] == [
        ("saal-1", 3025),
        ("saal-zigzag", 965),
    ]
    saal = congress.rooms[0]
    assert saal.directions is not None
    assert saal.directions.get("en") == "Lecture hall in CCH central, Level +2 to +4"
    assert [s.room_id for s in congress.sessions] == ["saal-1", "saal-zigzag"]
    assert main(["import", str(HUB), "--consultation", "congress", "--data", str(data)]) == 0
    assert "No change to 'congress'" in capsys.readouterr().out


def test_times_keep_their_moment_in_another_zone() -> None:
    programme = read(HUB, ImportOptions(ZoneInfo("UTC")))
    starts = sorted(s.session.start for s in programme.sessions)
    assert starts == [
        datetime(2024, 12, 27, 9, 30, tzinfo=ZoneInfo("UTC")),
        datetime(2024, 12, 27, 23, 15, tzinfo=ZoneInfo("UTC")),
    ]
    # The conference day is the export's, whatever the consultation's zone.
    assert {s.day for s in programme.sessions} == {FIRST}


# --- What schema 2 allows beyond the sample -------------------------------------------------


def _variant() -> dict[str, Any]:
    """The sample with what the schema allows and the sample does not show."""
    data = hub()
    schedule = data["schedule"]
    opening, talk = schedule["events"]
    # A room named only by its guid; translated texts; a duration instead of an end.
    talk["room"] = {"guid": "62251a07-13e4-5a72-bb3c-8528416ee0f2"}
    opening["title"] = {"de": "Eröffnung", "en": "Opening Ceremony"}
    opening["abstract"] = {"de": "Schön, dass ihr da seid.", "en": "Glad you could make it."}
    opening["description"] = None
    del talk["end"]
    talk["duration"] = "PT1H10M"
    # A break without a guid, on the second day; a cancelled talk; an unknown track.
    schedule["events"].append(
        {
            "type": "BREAK",
            "title": "Lunch",
            "start": "2024-12-28T13:00:00+01:00",
            "end": "2024-12-28T14:00:00+01:00",
            "room": {"guid": "ba692ba3-421b-5371-8309-60acc34a3c05"},
        }
    )
    cancelled = copy.deepcopy(talk)
    cancelled.update(guid="00000000-0000-4000-8000-000000000001", state="CANCELED")
    cancelled["title"] = "Called off"
    schedule["events"].append(cancelled)
    odd = copy.deepcopy(talk)
    odd.update(guid="00000000-0000-4000-8000-000000000002", title="Odd track")
    odd["start"] = "2024-12-29T11:00:00+01:00"
    odd["track"] = {"slug": "lightning"}
    schedule["events"].append(odd)
    # A person's links: only web addresses go on the card.
    schedule["persons"][3]["links"] = [
        {"url": "https://example.org/sebastian", "service": "MASTODON"},
        {"url": "ftp://example.org/files"},
        {"url": "not a link"},
    ]
    return data


def test_references_translations_durations_breaks_and_cancellations(tmp_path: Path) -> None:
    make_consultation(tmp_path, "congress", "Europe/Berlin", FIRST, LAST)
    plan = plan_import(tmp_path, "congress", write(tmp_path, _variant()))
    assert plan.warnings == [
        "$.schedule.events[3]: 'Called off' is cancelled; left out",
        "$.schedule.events[4].track: 'lightning' is not one of the conference's tracks; "
        "shown as the track's name",
    ]
    apply_import(plan)
    congress = load_event_data(tmp_path).consultations["congress"]
    assert [s.title.get("en") for s in congress.sessions] == [
        "Opening Ceremony",
        "A Competitive Time-Trial AI for Need for Speed:",
        "Lunch",
        "Odd track",
    ]
    opening = by_title(congress, "Opening")
    assert opening.description is not None
    assert opening.description.get("en") == "Glad you could make it."
    talk = by_title(congress, "A Competitive")
    assert talk.room is not None
    assert talk.room.get("en") == "Saal ZIGZAG"
    assert local(talk) == ("2024-12-28 00:15", "2024-12-28 01:25")
    lunch = by_title(congress, "Lunch")
    assert lunch.kind == "break"
    assert lunch.room is not None
    assert lunch.room.get("en") == "Saal 1"
    assert lunch in congress.sessions_on(date(2024, 12, 28))
    odd = by_title(congress, "Odd track")
    assert odd.track is not None
    assert odd.track.get("en") == "lightning"
    sebastian = congress.speaker("sebastian-schwarz")
    assert sebastian is not None
    assert sebastian.links == ("https://example.org/sebastian",)
    # The break's id is made from its title and day: the same on the next import.
    again = plan_import(tmp_path, "congress", write(tmp_path, _variant(), "again.json"))
    assert again.is_noop
    assert "No change to 'congress'" in describe(again, dry_run=True)


def test_a_french_consultation_takes_the_french_text_when_there_is_one(tmp_path: Path) -> None:
    data = hub()
    opening = data["schedule"]["events"][0]
    opening["title"] = {"en": "Opening Ceremony", "fr": "Cérémonie d'ouverture"}
    programme = read(write(tmp_path, data), ImportOptions(BERLIN, language="fr"))
    titles = {s.session.title.get("fr") for s in programme.sessions}
    assert "Cérémonie d'ouverture" in titles


def test_a_bad_value_is_named_by_its_json_path(tmp_path: Path) -> None:
    data = hub()
    data["schedule"]["events"][1]["start"] = "tomorrow night"
    data["schedule"]["events"][0]["start"] = "2024-12-27"
    path = write(tmp_path, data)
    with pytest.raises(ImportFailed) as failed:
        read(path, ImportOptions(BERLIN))
    assert [str(p) for p in failed.value.problems] == [
        f"{path}: $.schedule.events[0].start: '2024-12-27' is not a date and time like "
        "2020-12-14T09:00:00+01:00",
        f"{path}: $.schedule.events[1].start: 'tomorrow night' is not a date and time like "
        "2020-12-14T09:00:00+01:00",
    ]
