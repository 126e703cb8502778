"""Export tables as CSV (UTF-8 with BOM, so spreadsheets read accents and Arabic) or XLSX.

Times are in the consultation's zone, which the headers name: ISO text in CSV, date cells in XLSX
(a spreadsheet has no time zones, so the cells hold the local time the header names).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from bot.services.feedback import Cell, Table
from bot.services.sanitise import clean

FORMATS = ("csv", "xlsx")
CSV_TIME = "%Y-%m-%d %H:%M"
XLSX_TIME = "yyyy-mm-dd hh:mm"


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([_safe(cell) for cell in table.header])
    for row in table.rows:
        writer.writerow([_text(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    # Imported here: openpyxl costs ~18 MB at start-up, for a rare organiser export.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    page = book.active
    assert page is not None
    page.title = _sheet_title(table.title)
    page.append([_safe(cell) for cell in table.header])
    for cell in page[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        page.append([_xlsx_value(cell) for cell in row])
    for column in page.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, datetime):
                cell.number_format = XLSX_TIME
    for index, column in enumerate(page.iter_cols(), 1):
        width = max((_width(c.value) for c in column), default=8)
        page.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    page.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    raise ValueError(f"unknown format {fmt!r} (csv or xlsx)")


def format_for(path: Path) -> str:
    """The format a file name asks for: .xlsx, else CSV."""
    return "xlsx" if path.suffix.lower() == ".xlsx" else "csv"


def _text(cell: Cell) -> str | int | float:
    """A cell as CSV holds it: a time as ISO text (local, the header names the zone)."""
    return cell.strftime(CSV_TIME) if isinstance(cell, datetime) else _safe(cell)


def _xlsx_value(cell: Cell) -> str | int | float | datetime:
    """A cell as XLSX holds it: a time as a date cell (Excel has no time zones: the local time,
    as the header names its zone)."""
    return cell.replace(tzinfo=None) if isinstance(cell, datetime) else _safe(cell)


def _width(value: object) -> int:
    if isinstance(value, datetime):
        return len(XLSX_TIME)
    return len(str(value or ""))


def _sheet_title(title: str) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of []:*?/\\."""
    kept = "".join(" " if char in "[]:*?/\\" else char for char in title).strip(" '")
    return kept[:31] or "export"


def _safe(cell: str | int | float) -> str | int | float:
    """Keep delegates' text from running as a spreadsheet formula (CSV/formula injection), and
    from carrying control or bidi-override characters (stored before they were cleaned)."""
    if not isinstance(cell, str):
        return cell
    cell = clean(cell)
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
