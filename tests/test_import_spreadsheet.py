"""Spreadsheets: the template round trip (write → fill → import), CSV and XLSX, row errors."""

from __future__ import annotations

import csv
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.__main__ import main
from bot.services.event_data import load_event_data
from bot.services.importers import ImportFailed, ImportOptions, read
from bot.services.importers.spreadsheet import TEMPLATE_HEADER
from tests.import_support import make_consultation

ZURICH = ZoneInfo("Europe/Zurich")
OPTIONS = ImportOptions(ZURICH, "en")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    make_consultation(root, "geneva", "Europe/Zurich", date(2026, 12, 8), date(2026, 12, 9))
    return root


def test_xlsx_template_filled_in_and_imported(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "programme.xlsx"
    assert main(["import", "--template", str(template), "--consultation", "geneva",
                 "--data", str(data_dir)]) == 0  # fmt: skip
    assert "Wrote" in capsys.readouterr().out
    book = load_workbook(template)
    sheet = book["Sessions"]
    header = [c.value for c in sheet[1]]
    assert tuple(header) == TEMPLATE_HEADER
    assert sheet["B2"].value == "2026-12-08"  # the example uses the consultation's first day
    assert [r[0].value for r in book["Columns"].iter_rows(min_row=2)] == list(TEMPLATE_HEADER)
    # The organiser keeps the examples and adds a late workshop with real spreadsheet cells.
    column = {name: index for index, name in enumerate(header)}
    row = [None] * len(header)
    row[column["day"]] = date(2026, 12, 9)  # a date cell
    row[column["start"]] = time(14, 0)
    row[column["end"]] = time(15, 30)
    row[column["title"]] = "Localization workshop"
    row[column["title_fr"]] = "Atelier sur la localisation"
    row[column["description"]] = "<p>Bring <b>your</b> questions.</p><ul><li>funding</li></ul>"
    row[column["room"]] = "Room 3"
    row[column["kind"]] = "Workshop"
    row[column["speakers"]] = "Lina Haddad (Amel); Ana Torres"
    row[column["interpretation"]] = "en, fr"
    sheet.append(row)
    book.save(template)

    assert (
        main(["import", str(template), "--consultation", "geneva", "--data", str(data_dir)]) == 0
    )
    consultation = load_event_data(data_dir).consultations["geneva"]
    assert [s.id for s in consultation.sessions] == [
        "opening",
        "coffee-1",
        "localization-workshop-2026-12-09",
    ]
    opening = consultation.session("opening")
    assert opening is not None
    assert opening.title.get("ar") == "الجلسة العامة الافتتاحية"
    assert opening.start == datetime(2026, 12, 8, 9, 0, tzinfo=ZURICH)
    assert [s.name for s in opening.speakers] == ["Amina Yusuf", "Kwame Mensah"]
    assert opening.speakers[0].affiliation is not None
    assert opening.speakers[0].affiliation.get("en") == "IOM"
    assert opening.interpretation == ("en", "fr", "es", "ar")
    workshop = consultation.session("localization-workshop-2026-12-09")
    assert workshop is not None
    assert workshop.title.get("fr") == "Atelier sur la localisation"
    assert workshop.kind == "workshop"
    assert (workshop.start, workshop.end) == (
        datetime(2026, 12, 9, 14, 0, tzinfo=ZURICH),
        datetime(2026, 12, 9, 15, 30, tzinfo=ZURICH),
    )
    assert workshop.description is not None
    assert workshop.description.get("en") == "Bring your questions.\n• funding"
    assert workshop.interpretation == ("en", "fr")


def _write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_csv_template_round_trip(data_dir: Path, tmp_path: Path) -> None:
    template = tmp_path / "programme.csv"
    assert main(["import", "--template", str(template)]) == 0
    with template.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["opening", "coffee-1"]
    rows[1]["start"], rows[1]["end"] = "10:45", "11:15"
    _write_csv(template, rows)
    assert (
        main(["import", str(template), "--consultation", "geneva", "--data", str(data_dir)]) == 0
    )
    coffee = load_event_data(data_dir).consultations["geneva"].session("coffee-1")
    assert coffee is not None
    assert coffee.kind == "break"
    assert coffee.start == datetime(2026, 12, 8, 10, 45, tzinfo=ZURICH)


def test_iso_times_past_midnight_semicolons_and_generated_ids(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "p.csv",
        [
            {"title": "Reception", "start": "2026-12-08T19:00", "end": "2026-12-08T21:00"},
            {"title": "Coffee break", "start": "2026-12-09 10:30", "end": "2026-12-09 11:00"},
            {"title": "Coffee break", "start": "2026-12-09 15:30", "end": "2026-12-09 16:00"},
        ],
        delimiter=";",
    )
    programme = read(path, OPTIONS)
    assert [s.session.id for s in programme.sessions] == [
        "reception-2026-12-08",
        "coffee-break-2026-12-09",
        "coffee-break-2026-12-09-2",
    ]
    assert any("'Coffee break' is on 2026-12-09 twice" in w for w in programme.warnings)
    late = _write_csv(
        tmp_path / "late.csv",
        [{"day": "2026-12-08", "start": "23:00", "end": "01:00", "title": "Night vigil"}],
    )
    vigil = read(late, OPTIONS).sessions[0]
    assert vigil.session.end == datetime(2026, 12, 9, 1, 0, tzinfo=ZURICH)
    assert vigil.day == date(2026, 12, 8)


def test_row_errors_name_the_row_and_column(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "bad.csv",
        [
            {"id": "a", "day": "2026-12-08", "start": "09:00", "end": "10:00", "title": "A",
             "kind": "talk"},
            {"id": "b", "day": "8 Dec", "start": "09:00", "end": "10:00", "title": "B",
             "kind": ""},
            {"id": "a", "day": "2026-12-08", "start": "11:00", "end": "25:00", "title": "C",
             "kind": ""},
            {"id": "d", "day": "2026-12-08", "start": "12:00", "end": "13:00", "title": "D",
             "kind": ""},
            {"id": "d", "day": "2026-12-08", "start": "12:00", "end": "13:00", "title": "D",
             "kind": ""},
        ],
    )  # fmt: skip
    with pytest.raises(ImportFailed) as failed:
        read(path, OPTIONS)
    assert [f"{p.place}: {p.message}" for p in failed.value.problems] == [
        "row 2, column 'kind': 'talk' is not one of plenary, panel, workshop, side-event, "
        "break, other",
        "row 3, column 'day': '8 Dec' is not a date like 2026-12-08",
        "row 4, column 'end': '25:00' is not a time like 09:30",
        "row 6, column 'id': 'd' is already used on row 5",
    ]


def test_a_sheet_without_the_needed_columns(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "x.csv", [{"day": "2026-12-08", "room": "Hall", "when": "9"}])
    with pytest.raises(ImportFailed) as failed:
        read(path, OPTIONS)
    assert [p.message for p in failed.value.problems] == [
        "the header has no 'title' column",
        "the header has no 'start' column",
        "the header has no 'end' column",
    ]
    # Mostly columns the importer does not know: a sheet made for something else, in one line.
    path = _write_csv(tmp_path / "y.csv", [{"name": "A", "when": "9"}])
    with pytest.raises(ImportFailed) as failed:
        read(path, OPTIONS)
    assert [p.message for p in failed.value.problems] == [
        "this looks like a spreadsheet made for another tool (columns 'name', 'when'); the "
        "importer reads pretalx/frab JSON (c3voc schemas 1 and 2), frab XML, and CSV/XLSX "
        "spreadsheets (see docs/import.md); a spreadsheet needs the columns title, start and end"
    ]
