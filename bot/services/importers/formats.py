"""What a file to import is: one of the formats the readers read, or, in one line, what else it
looks like (a calendar, a web page, another tool's spreadsheet…) and what is read instead.

Organisers pick the file they have at hand; a wrong one must get a sentence naming it, not a
cascade of field errors from a reader that took it for its own format.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from bot.services.importers import FORMATS, ImportFailed, SourceProblem

READ = (
    "the importer reads pretalx/frab JSON (c3voc schemas 1 and 2), frab XML, "
    "and CSV/XLSX spreadsheets (see docs/import.md)"
)
_HEAD = 64 * 1024  # enough for an XML prolog with comments and a DTD

_SAVE_AS = "save it as .xlsx or as CSV UTF-8"
_EXPORT = "download the schedule's JSON or XML export instead"
# What a file is, and what to do instead; by its first bytes, then by its extension.
_MAGIC = (
    (b"%PDF-", "a PDF document", ""),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Office file (.xls, .doc)", _SAVE_AS),
    (b"\x89PNG\r\n\x1a\n", "an image (PNG)", ""),
    (b"\xff\xd8\xff", "an image (JPEG)", ""),
    (b"GIF8", "an image (GIF)", ""),
)
_SUFFIXES = {
    ".json": "frab-json",
    ".xml": "frab-xml",
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
}
_ICALENDAR = "an iCalendar file (.ics)"
_XCAL = "an xCal calendar (iCalendar in XML, as Pentabarf's .xcal)"
_WEB_PAGE = "a web page (HTML)"
_ODS = "an OpenDocument spreadsheet (.ods)"
_OTHER_SUFFIXES = {
    ".ics": (_ICALENDAR, ""),
    ".ical": (_ICALENDAR, ""),
    ".xcal": (_XCAL, ""),
    ".html": (_WEB_PAGE, _EXPORT),
    ".htm": (_WEB_PAGE, _EXPORT),
    ".pdf": ("a PDF document", ""),
    ".xls": ("an Excel 97-2003 workbook (.xls)", _SAVE_AS),
    ".ods": (_ODS, _SAVE_AS),
    ".doc": ("a word-processor document", ""),
    ".docx": ("a word-processor document", ""),
    ".odt": ("a word-processor document", ""),
}
_PROLOG_RE = re.compile(
    rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE\s+([\w:.-]+)(?:[^\[>]|\[.*?\])*>)", re.S | re.I
)
_ROOT_RE = re.compile(rb"\s*<([A-Za-z_][\w.:-]*)")


def not_read(path: Path, what: str, then: str = "") -> ImportFailed:
    """The one line for a file no reader reads: what it is or looks like, what is read, and
    what to do instead when there is something to say."""
    return ImportFailed(
        [SourceProblem(path, "", f"{what}; {READ}" + (f"; {then}" if then else ""))]
    )


def looks_like(path: Path, kind: str, then: str = "") -> ImportFailed:
    return not_read(path, f"this looks like {kind}", then)


def detect(path: Path, data: bytes) -> str | None:
    """The reader's format for a file, from its first bytes, then its extension (None: cannot
    tell); ImportFailed, in one line, for a file in a format no reader reads."""
    head = data[:_HEAD]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise not_read(path, "the file is empty")
    for magic, kind, then in _MAGIC:
        if head.startswith(magic):
            raise looks_like(path, kind, then)
    if head.startswith(b"PK\x03\x04"):
        return _zipped(path, data)
    if text[:15].upper() == b"BEGIN:VCALENDAR":
        raise looks_like(path, _ICALENDAR)
    if text.startswith(b"{"):
        return "frab-json"
    if text.startswith(b"["):
        raise looks_like(path, "a JSON list, not a schedule export")
    if text.startswith(b"<"):
        return _markup(path, text)
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    if suffix in _OTHER_SUFFIXES:
        raise looks_like(path, *_OTHER_SUFFIXES[suffix])
    if b"\x00" in head:
        raise looks_like(path, "a binary file of a kind the importer does not know")
    first_line = text.split(b"\n", 1)[0]
    if any(mark in first_line for mark in (b",", b";", b"\t")):
        return "csv"
    return None


def cannot_tell(path: Path) -> ImportFailed:
    return not_read(
        path,
        "cannot tell the format of this file",
        f"pass --format {'|'.join(FORMATS)} if it is one of these",
    )


def _zipped(path: Path, data: bytes) -> str:
    """An .xlsx is a ZIP archive; so are OpenDocument and Word files, which are not read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(100)
    except (zipfile.BadZipFile, OSError, ValueError):
        return "xlsx"  # the spreadsheet reader says what is wrong with it
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    if b"opendocument.spreadsheet" in mimetype:
        raise looks_like(path, _ODS, _SAVE_AS)
    if "word/document.xml" in names or b"opendocument.text" in mimetype:
        raise looks_like(path, "a word-processor document (.docx, .odt)")
    if any(name.startswith("ppt/") for name in names) or b"presentation" in mimetype:
        raise looks_like(path, "a presentation (.pptx, .odp)")
    raise looks_like(path, "a ZIP archive")


def _markup(path: Path, text: bytes) -> str:
    """frab XML has a <schedule> root; other XML, and web pages, are named by what they are."""
    position = 0
    while (prolog := _PROLOG_RE.match(text, position)) is not None and prolog.end() > position:
        if (prolog.group(1) or b"").lower() == b"html":
            raise looks_like(path, _WEB_PAGE, _EXPORT)
        position = prolog.end()
    root = _ROOT_RE.match(text, position)
    if root is None:
        return "frab-xml"  # the XML reader names the line and column where it goes wrong
    name = root.group(1).decode("ascii")
    local = name.rsplit(":", 1)[-1].lower()
    if local == "schedule":
        return "frab-xml"
    if local in ("html", "head", "body"):
        raise looks_like(path, _WEB_PAGE, _EXPORT)
    if local in ("icalendar", "vcalendar"):
        raise looks_like(path, _XCAL)
    if local in ("rss", "feed", "rdf"):
        raise looks_like(path, "a news feed (RSS or Atom)")
    raise looks_like(path, f"an XML file with a <{name}> root, not frab's <schedule>")


# --- JSON ---------------------------------------------------------------------------------


def schedule_schema(path: Path, document: Any) -> int:
    """Which c3voc schedule schema a JSON document follows: 1 (events under each day's rooms)
    or 2 (one list of events beside the days); ImportFailed, in one line, for neither."""
    if isinstance(document, dict):
        schedule = document.get("schedule")
        if isinstance(schedule, dict):
            return 2 if _is_schema2(schedule) else 1
        if "schedule" in document:
            return 1  # its reader names the bad value
        keys = [str(k) for k in document]
        if {"count", "results"} <= set(keys):
            raise looks_like(
                path,
                "a pretalx API listing, not a schedule export",
                "download the event's …/schedule/export/schedule.json instead",
            )
        listed = ", ".join(f"'{k}'" for k in keys[:4]) + (", …" if len(keys) > 4 else "")
        held = f": it has no 'schedule', only {listed}" if keys else ""
        raise looks_like(path, f"a JSON file, but not a schedule export{held}")
    if isinstance(document, list):
        raise looks_like(path, "a JSON list, not a schedule export")
    raise looks_like(path, "a JSON value other than a schedule export")


def _is_schema2(schedule: dict[str, Any]) -> bool:
    conference = schedule.get("conference")
    days = conference.get("days") if isinstance(conference, dict) else None
    if isinstance(days, list) and any(isinstance(d, dict) and "rooms" in d for d in days):
        return False  # schema 1: events listed under each day's rooms
    if "events" in schedule:
        return True
    return bool(days) and isinstance(days, list) and all(isinstance(d, dict) for d in days)


# --- Spreadsheets -------------------------------------------------------------------------


def other_tools_sheet(path: Path, header: list[str], known: set[str]) -> ImportFailed | None:
    """A sheet made for another tool (Sched, Whova, a registration system…): it lacks columns
    the importer needs and most of its columns are not the importer's. `header`: the column
    names as written; `known`: those, normalised, the importer reads."""
    names = [h.strip() for h in header if h.strip()]
    normalised = [re.sub(r"[\s-]+", "_", h.lower()) for h in names]
    unknown = [h for h, n in zip(names, normalised, strict=True) if n not in known]
    has_title = any(n == "title" or n.startswith("title_") for n in normalised)
    missing = not has_title or "start" not in normalised or "end" not in normalised
    if not names or not missing or len(unknown) * 2 <= len(names):
        return None
    shown = ", ".join(f"'{h}'" for h in names[:5]) + (", …" if len(names) > 5 else "")
    return looks_like(
        path,
        f"a spreadsheet made for another tool (columns {shown})",
        "a spreadsheet needs the columns title, start and end",
    )
