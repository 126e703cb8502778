"""Export tables as CSV (UTF-8 with BOM, so spreadsheets read accents and Arabic) or XLSX."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.services.feedback import Table
from bot.services.sanitise import clean

FORMATS = ("csv", "xlsx")


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([_safe(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table, sheet: str = "export") -> bytes:
    # Imported here: openpyxl costs ~18 MB at start-up, for a rare organiser export.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    page = book.active
    assert page is not None
    page.title = sheet[:31]
    page.append(list(table.header))
    for cell in page[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        page.append([_safe(cell) for cell in row])
    for index, column in enumerate(page.iter_cols(), 1):
        width = max((len(str(c.value or "")) for c in column), default=8)
        page.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    page.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: str, sheet: str = "export") -> bytes:
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table, sheet)
    raise ValueError(f"unknown format {fmt!r} (csv or xlsx)")


def format_for(path: Path) -> str:
    """The format a file name asks for: .xlsx, else CSV."""
    return "xlsx" if path.suffix.lower() == ".xlsx" else "csv"


def _safe(cell: str | int | float) -> str | int | float:
    """Keep delegates' text from running as a spreadsheet formula (CSV/formula injection), and
    from carrying control or bidi-override characters (stored before they were cleaned)."""
    if not isinstance(cell, str):
        return cell
    cell = clean(cell)
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
