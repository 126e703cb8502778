"""A programme filled in as a spreadsheet (CSV or XLSX), one row per session, and its template."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.services.data_reading import SUPPORTED_LANGUAGES, Text
from bot.services.event_data import SESSION_KINDS, Session, Speaker
from bot.services.importers import (
    MAX_ID,
    ImportedSession,
    ImportFailed,
    ImportOptions,
    People,
    Programme,
    SourceProblem,
    slug,
)
from bot.services.importers.formats import other_tools_sheet
from bot.services.importers.plain_text import to_plain_text

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$")
_TIME_RE = re.compile(r"^(\d{1,2})[:h.](\d{2})(?::\d{2})?$")
_SPEAKER_RE = re.compile(r"^(.*?)\s*\(([^()]*)\)$")
_TEXT_COLUMNS = ("title", "description", "room", "track")

# Column name → what it holds, in the order the template lists them.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "optional", "stable id: letters, digits, '-' and '_' (default: title + date)"),
    ("day", "with times", "the conference day, 2026-12-08"),
    ("start", "required", "09:00 with 'day', or 2026-12-08T09:00"),
    ("end", "required", "10:30 with 'day' (earlier than start: after midnight), or ISO"),
    ("title", "required", "title in the consultation's default language"),
    ("title_fr", "optional", "title in French (also title_en, title_es, title_ar)"),
    ("title_es", "optional", "title in Spanish"),
    ("title_ar", "optional", "title in Arabic"),
    ("description", "optional", "description in the default language (plain text)"),
    ("description_fr", "optional", "also description_en, description_es, description_ar"),
    ("description_es", "optional", "description in Spanish"),
    ("description_ar", "optional", "description in Arabic"),
    ("room", "optional", "room name (room_fr, room_es, room_ar for translations)"),
    ("track", "optional", "track or theme (track_fr, track_es, track_ar)"),
    ("kind", "optional", "plenary, panel, workshop, side-event, break or other"),
    (
        "speakers",
        "optional",
        "names separated by ';', organisation in brackets (or ids of speakers.yaml)",
    ),
    ("interpretation", "optional", "languages interpreted in the room: en, fr, es, ar"),
)
TEMPLATE_HEADER = tuple(name for name, _, _ in COLUMNS)


def _example_rows(first_day: date) -> list[dict[str, str]]:
    day = first_day.isoformat()
    return [
        {
            "id": "opening",
            "day": day,
            "start": "09:00",
            "end": "10:30",
            "title": "Opening plenary",
            "title_fr": "Séance plénière d'ouverture",
            "title_es": "Sesión plenaria de apertura",
            "title_ar": "الجلسة العامة الافتتاحية",
            "description": "Welcome and objectives of the consultations.",
            "room": "Main Hall",
            "track": "Partnership",
            "kind": "plenary",
            "speakers": "Amina Yusuf (IOM); Kwame Mensah (ICVA)",
            "interpretation": "en, fr, es, ar",
        },
        {
            "id": "coffee-1",
            "day": day,
            "start": "10:30",
            "end": "11:00",
            "title": "Coffee break",
            "title_fr": "Pause-café",
            "kind": "break",
        },
    ]


def write_template(path: Path, first_day: date) -> None:
    """Write an empty programme to fill in: the documented columns and two example rows."""
    rows = _example_rows(first_day)
    if path.suffix.lower() == ".xlsx":
        _write_xlsx_template(path, rows)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TEMPLATE_HEADER)
        writer.writeheader()
        writer.writerows(rows)


def _write_xlsx_template(path: Path, rows: list[dict[str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sessions"
    sheet.append(list(TEMPLATE_HEADER))
    for row in rows:
        sheet.append([row.get(name, "") for name in TEMPLATE_HEADER])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(TEMPLATE_HEADER, 1):
        widest = max(len(name), *(len(row.get(name, "")) for row in rows))
        sheet.column_dimensions[get_column_letter(index)].width = min(widest + 2, 45)
    help_sheet = book.create_sheet("Columns")
    help_sheet.append(["column", "", "what to write"])
    for name, need, meaning in COLUMNS:
        help_sheet.append([name, need, meaning])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 12
    help_sheet.column_dimensions["C"].width = 70
    book.save(path)


# --- Reading ------------------------------------------------------------------------------


def _csv_rows(path: Path, data: bytes) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(
            [
                SourceProblem(
                    path, "", "the file is not UTF-8 text: save it as 'CSV UTF-8' and try again"
                )
            ]
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise ImportFailed([SourceProblem(path, "", f"CSV: {exc}")]) from None


def _xlsx_rows(path: Path, data: bytes) -> Iterator[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFailed(
            [SourceProblem(path, "", f"not a readable .xlsx file ({exc})")]
        ) from None
    sheet = book["Sessions"] if "Sessions" in book.sheetnames else book.worksheets[0]
    try:
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Reader:
    def __init__(self, path: Path, options: ImportOptions, fmt: str) -> None:
        self.path = path
        self.options = options
        self.fmt = fmt
        self.problems: list[SourceProblem] = []
        self.warnings: list[str] = []
        self.people = People(options.language)

    def problem(self, row: int, column: str | None, message: str) -> None:
        place = f"row {row}" + (f", column '{column}'" if column else "")
        self.problems.append(SourceProblem(self.path, place, message))

    def header(self, cells: list[Any]) -> list[str]:
        names = [re.sub(r"[\s-]+", "_", _cell_text(c).lower()) for c in cells]
        known = set(TEMPLATE_HEADER) | {
            f"{column}_{lang}" for column in _TEXT_COLUMNS for lang in SUPPORTED_LANGUAGES
        }
        elsewhere = other_tools_sheet(self.path, [_cell_text(c) for c in cells], known)
        if elsewhere is not None:
            raise elsewhere
        for name in names:
            if name and name not in known:
                self.warnings.append(f"{self.path}: column '{name}' is not used")
        for required in ("title", "start", "end"):
            if required not in names and not (
                required == "title" and f"title_{self.options.language}" in names
            ):
                self.problems.append(
                    SourceProblem(self.path, "row 1", f"the header has no '{required}' column")
                )
        return names

    def text(self, row: dict[str, str], column: str, *, plain: bool = False) -> Text | None:
        values: dict[str, str] = {}
        default = self.options.language
        for lang in SUPPORTED_LANGUAGES:
            value = row.get(f"{column}_{lang}", "")
            if value:
                values[lang] = to_plain_text(value) if plain else " ".join(value.split())
        base = row.get(column, "")
        if base:
            values[default] = to_plain_text(base) if plain else " ".join(base.split())
        values = {k: v for k, v in values.items() if v}
        if not values:
            return None
        if default not in values:
            return None
        return Text(values, default)

    def when(
        self, row: dict[str, str], number: int, raw: dict[str, Any]
    ) -> tuple[date, datetime, datetime] | None:
        zone = self.options.zone
        day: date | None = None
        if row.get("day"):
            day = _as_date(raw.get("day"))
            if day is None:
                self.problem(number, "day", f"'{row['day']}' is not a date like 2026-12-08")
                return None
        moments: list[datetime] = []
        for column in ("start", "end"):
            value = raw.get(column)
            text = row.get(column, "")
            if not text:
                self.problem(number, column, f"'{column}' is empty")
                return None
            full = _as_datetime(value)
            if full is not None:
                moments.append(full if full.tzinfo else full.replace(tzinfo=zone))
                continue
            clock = _as_time(value)
            if clock is None or day is None:
                hint = "09:30 with a 'day' column" if day is None else "09:30"
                self.problem(number, column, f"'{text}' is not a time like {hint}")
                return None
            moments.append(datetime.combine(day, clock, zone))
        start, end = moments
        if end <= start and row.get("day") and _as_datetime(raw.get("end")) is None:
            end = datetime.combine(end.date() + timedelta(days=1), end.time(), zone)
        if end <= start:
            self.problem(number, "end", "the session ends before it starts")
            return None
        return day or start.astimezone(zone).date(), start, end


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_cell_text(value)[:10])
    except ValueError:
        return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    text = _cell_text(value)
    if len(text) < 12:
        return None
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None


def _as_time(value: Any) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, float) and 0 <= value < 1:  # a spreadsheet time as a fraction of a day
        minutes = round(value * 24 * 60)
        return time(minutes // 60, minutes % 60)
    match = _TIME_RE.match(_cell_text(value))
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def parse(path: Path, data: bytes, options: ImportOptions, fmt: str) -> Programme:
    """Read a CSV or XLSX programme: the first row names the columns."""
    reader = _Reader(path, options, fmt)
    rows = _xlsx_rows(path, data) if fmt == "xlsx" else _csv_rows(path, data)
    names: list[str] | None = None
    sessions: list[ImportedSession] = []
    explicit: dict[str, int] = {}
    generated: dict[str, int] = {}
    for number, cells in enumerate(rows, 1):
        if names is None:
            if not any(_cell_text(c) for c in cells):
                continue
            names = reader.header(cells)
            if reader.problems:
                raise ImportFailed(reader.problems)
            continue
        raw = {name: cells[i] for i, name in enumerate(names) if name and i < len(cells)}
        row = {name: _cell_text(value) for name, value in raw.items()}
        if not any(row.values()):
            continue
        item = _session(reader, row, raw, number, explicit, generated)
        if item is not None:
            sessions.append(item)
    if names is None:
        reader.problems.append(SourceProblem(path, "", "the spreadsheet is empty"))
    elif not sessions and not reader.problems:
        reader.problems.append(SourceProblem(path, "", "the spreadsheet has no session rows"))
    if reader.problems:
        raise ImportFailed(reader.problems)
    completed, speakers, cut = reader.people.complete(sessions)
    completed.sort(key=lambda s: (s.session.start, s.session.id))
    return Programme(
        path, fmt, tuple(completed), warnings=tuple(reader.warnings + cut), speakers=speakers
    )


def _session(
    reader: _Reader,
    row: dict[str, str],
    raw: dict[str, Any],
    number: int,
    explicit: dict[str, int],
    generated: dict[str, int],
) -> ImportedSession | None:
    before = len(reader.problems)
    title = reader.text(row, "title")
    if title is None:
        reader.problem(number, "title", "the title (in the default language) is empty")
    timing = reader.when(row, number, raw)
    kind = (row.get("kind") or "other").lower()
    if kind not in SESSION_KINDS:
        reader.problem(number, "kind", f"'{kind}' is not one of {', '.join(SESSION_KINDS)}")
    interpretation: list[str] = []
    for code in re.split(r"[\s,;/]+", row.get("interpretation", "").lower()):
        if code and code not in SUPPORTED_LANGUAGES:
            reader.problem(number, "interpretation", f"'{code}' is not one of en, fr, es, ar")
        elif code and code not in interpretation:
            interpretation.append(code)
    speakers: list[Speaker] = []
    for part in row.get("speakers", "").split(";"):
        name = " ".join(part.split())
        if not name:
            continue
        match = _SPEAKER_RE.match(name)
        organisation = ""
        if match and match.group(1):
            name, organisation = match.group(1), match.group(2).strip()
        speaker = reader.people.speaker(name, organisation=organisation)
        if speaker not in speakers:
            speakers.append(speaker)
    if len(reader.problems) > before or title is None or timing is None:
        return None
    day, start, end = timing
    ident = row.get("id", "")
    if ident:
        if not _ID_RE.match(ident):
            reader.problem(number, "id", f"'{ident}' must be 1-48 letters, digits, '-' or '_'")
            return None
        if ident in explicit:
            reader.problem(number, "id", f"'{ident}' is already used on row {explicit[ident]}")
            return None
        explicit[ident] = number
    else:
        base = f"{slug(title.get(title.default), MAX_ID - 11)}-{day.isoformat()}"
        ident = base
        count = 1
        while ident in generated or ident in explicit:
            count += 1
            ident = f"{base[: MAX_ID - 3]}-{count}"
        if count > 1:
            reader.warnings.append(
                f"{reader.path}: row {number}: '{title.get(title.default)}' is on {day} twice; "
                f"it gets the id '{ident}' (fill in the 'id' column to choose ids)"
            )
        generated[ident] = number
    session = Session(
        id=ident,
        title=title,
        start=start.astimezone(reader.options.zone),
        end=end.astimezone(reader.options.zone),
        description=reader.text(row, "description", plain=True),
        room=reader.text(row, "room"),
        track=reader.text(row, "track"),
        kind=kind,
        speakers=tuple(speakers),
        interpretation=tuple(interpretation),
    )
    return ImportedSession(session, day, f"row {number}")
