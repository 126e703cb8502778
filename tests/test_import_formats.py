"""A file in a format the importer does not read gets one line saying what it looks like and
what is read, not a cascade of field errors."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.import_support import CONGRESS, PRETALX, make_consultation

READ = (
    "the importer reads pretalx/frab JSON (c3voc schemas 1 and 2), frab XML, "
    "and CSV/XLSX spreadsheets (see docs/import.md)"
)

XCAL = """<?xml version="1.0" encoding="UTF-8"?>
<iCalendar xmlns:xCal="urn:ietf:params:xml:ns:xcal" xmlns:pentabarf="http://pentabarf.org">
  <vcalendar>
    <version>2.0</version>
    <prodid>-//Pentabarf//Schedule 1.0//EN</prodid>
    <vevent>
      <pentabarf:event-id>6561</pentabarf:event-id>
      <dtstart>20261208T090000</dtstart>
      <summary>Opening plenary</summary>
      <location>Main Hall</location>
    </vevent>
  </vcalendar>
</iCalendar>
"""

ICALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pretalx//democon//EN\r\nBEGIN:VEVENT\r\n"
    "DTSTART:20261208T090000Z\r\nDTEND:20261208T100000Z\r\nSUMMARY:Opening plenary\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)

WEB_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Schedule - DemoCon</title></head>
<body><h1>Schedule</h1><table><tr><td>09:00</td><td>Opening</td></tr></table></body></html>
"""

# Column headings as Whova's agenda template and Sched's export write them.
WHOVA = (
    "Date,Time Start,Time End,Tracks (Optional),Session Title,Room/Location,"
    "Description (Optional),Speakers (Optional)\n"
    "12/08/2026,09:00 AM,10:30 AM,Partnership,Opening plenary,Main Hall,Welcome,Amina Yusuf\n"
)
SCHED = (
    "Session Title,Session Start,Session End,Session Type,Description,Venue,Speakers\n"
    "Opening plenary,2026-12-08 09:00,2026-12-08 10:30,Plenary,Welcome,Main Hall,Amina Yusuf\n"
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    make_consultation(root, "geneva", "Europe/Zurich", date(2026, 12, 8), date(2026, 12, 9))
    return root


def refused(data_dir: Path, path: Path, capsys: pytest.CaptureFixture[str], *more: str) -> str:
    """Import `path`: refused, nothing changed, and the one line said about it."""
    before = {p.name: p.read_bytes() for p in (data_dir / "geneva").iterdir()}
    code = main(["import", str(path), "--consultation", "geneva", "--data", str(data_dir), *more])
    assert code == 1
    assert {p.name: p.read_bytes() for p in (data_dir / "geneva").iterdir()} == before
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "Import failed; nothing was changed:"
    assert len(lines) == 2, lines
    assert lines[1].startswith(f"  {path}: ")
    return lines[1].removeprefix(f"  {path}: ")


def test_a_pentabarf_xcal_export(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "schedule.xml"
    path.write_text(XCAL, encoding="utf-8")
    assert refused(data_dir, path, capsys) == (
        f"this looks like an xCal calendar (iCalendar in XML, as Pentabarf's .xcal); {READ}"
    )


def test_an_icalendar_file_by_its_content_or_its_name(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("agenda.ics", "agenda.txt"):
        path = tmp_path / name
        path.write_text(ICALENDAR, encoding="utf-8")
        assert (
            refused(data_dir, path, capsys) == f"this looks like an iCalendar file (.ics); {READ}"
        )
    # Even when told it is frab XML: no reader reads it.
    assert refused(data_dir, path, capsys, "--format", "frab-xml").startswith(
        "this looks like an iCalendar file (.ics); "
    )


def test_a_spreadsheet_made_for_whova_or_sched(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whova = tmp_path / "whova-agenda.csv"
    whova.write_text(WHOVA, encoding="utf-8")
    assert refused(data_dir, whova, capsys) == (
        "this looks like a spreadsheet made for another tool (columns 'Date', 'Time Start', "
        f"'Time End', 'Tracks (Optional)', 'Session Title', …); {READ}; a spreadsheet needs the "
        "columns title, start and end"
    )
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in SCHED.splitlines():
        sheet.append(line.split(","))
    sched = tmp_path / "sched-export.xlsx"
    book.save(sched)
    assert refused(data_dir, sched, capsys).startswith(
        "this looks like a spreadsheet made for another tool (columns 'Session Title', "
        "'Session Start', 'Session End', 'Session Type', 'Description', …); "
    )


def test_our_own_spreadsheet_with_a_column_missing_still_names_it(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "programme.csv"
    path.write_text("day,start,title,room\n2026-12-08,09:00,Opening,Hall\n", encoding="utf-8")
    assert refused(data_dir, path, capsys) == "row 1: the header has no 'end' column"


def test_json_in_neither_schema(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "talks.json"
    other.write_text(json.dumps({"talks": [{"title": "Opening"}], "speakers": []}), "utf-8")
    assert refused(data_dir, other, capsys) == (
        "this looks like a JSON file, but not a schedule export: it has no 'schedule', only "
        f"'talks', 'speakers'; {READ}"
    )
    listing = tmp_path / "sessions.json"
    listing.write_text(json.dumps([{"name": "Opening", "event_start": "2026-12-08"}]), "utf-8")
    assert refused(data_dir, listing, capsys) == (
        f"this looks like a JSON list, not a schedule export; {READ}"
    )
    api = tmp_path / "api.json"
    api.write_text(
        json.dumps({"count": 1, "next": None, "previous": None, "results": []}), "utf-8"
    )
    assert refused(data_dir, api, capsys) == (
        f"this looks like a pretalx API listing, not a schedule export; {READ}; download the "
        "event's …/schedule/export/schedule.json instead"
    )


def test_a_web_page_even_saved_under_a_json_name(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("schedule.html", "schedule.json"):
        path = tmp_path / name
        path.write_text(WEB_PAGE, encoding="utf-8")
        assert refused(data_dir, path, capsys) == (
            f"this looks like a web page (HTML); {READ}; download the schedule's JSON or XML "
            "export instead"
        )


def test_an_empty_file(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, content in (("schedule.json", ""), ("programme.csv", "\ufeff\n \n")):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert refused(data_dir, path, capsys) == f"the file is empty; {READ}"


def test_other_documents_organisers_may_have_at_hand(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "programme.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert refused(data_dir, pdf, capsys) == f"this looks like a PDF document; {READ}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    ods = tmp_path / "programme.xlsx"  # misnamed: the content tells
    ods.write_bytes(buffer.getvalue())
    assert refused(data_dir, ods, capsys) == (
        f"this looks like an OpenDocument spreadsheet (.ods); {READ}; save it as .xlsx or as "
        "CSV UTF-8"
    )
    xml = tmp_path / "feed.xml"
    xml.write_text('<?xml version="1.0"?>\n<!-- programme -->\n<sessions><s/></sessions>', "utf-8")
    assert refused(data_dir, xml, capsys) == (
        f"this looks like an XML file with a <sessions> root, not frab's <schedule>; {READ}"
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("Opening plenary at nine\n", encoding="utf-8")
    assert refused(data_dir, notes, capsys) == (
        f"cannot tell the format of this file; {READ}; pass --format "
        "frab-json|frab-xml|csv|xlsx if it is one of these"
    )


def test_the_formats_read_are_still_recognised(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Files without an extension: a BOM and blank lines before the JSON; an XML prolog and a
    # comment before the <schedule>.
    json_export = tmp_path / "export-1"
    json_export.write_bytes(b"\xef\xbb\xbf\n\n" + PRETALX.read_bytes())
    xml_export = tmp_path / "export-2"
    xml_export.write_text(
        CONGRESS.read_text(encoding="utf-8").replace(
            "<schedule>", "<!-- 31C3, as exported -->\n<schedule>", 1
        ),
        encoding="utf-8",
    )
    for path, said in (
        (json_export, "(frab/pretalx schedule JSON): 36 sessions in 2 rooms"),
        (xml_export, "(frab/pretalx schedule XML): 138 sessions in 4 rooms"),
    ):
        code = main(
            ["import", str(path), "--consultation", "geneva", "--data", str(data_dir),
             "--dry-run", "--adjust-dates"]
        )  # fmt: skip
        assert code == 0
        assert said in capsys.readouterr().out
