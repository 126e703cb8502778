"""Helpers for the import tests: a scratch data directory with one consultation."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PRETALX = FIXTURES / "pretalx-democon.json"
CONGRESS = FIXTURES / "31c3.xml"
HUB = FIXTURES / "hub-schedule2.json"  # 38C3's hub export, c3voc schema 2

CONSULTATION = """\
# A consultation for import tests; this comment must survive an import.
id: {ident}
kind: global
default_language: en
languages: [en, fr]
name: {{en: Test consultation, fr: Consultation de test}}
timezone: {zone}
start: {start}
end: {end}
venue:
  name: Hall
  address: Street 1
  latitude: 46.2
  longitude: 6.1
"""

SESSIONS = """\
sessions:
  - id: old-opening
    title: Opening
    start: {start}T09:00
    end: {start}T10:00
"""


def make_consultation(
    root: Path, ident: str, zone: str, start: date, end: date, *, sessions: str | None = None
) -> Path:
    """Write data/<ident>/ with a consultation and (by default) one session on the first day."""
    directory = root / ident
    directory.mkdir(parents=True)
    (directory / "consultation.yaml").write_text(
        CONSULTATION.format(ident=ident, zone=zone, start=start, end=end), encoding="utf-8"
    )
    (directory / "sessions.yaml").write_text(
        sessions if sessions is not None else SESSIONS.format(start=start), encoding="utf-8"
    )
    (directory / "logistics.yaml").write_text("topics: []\n", encoding="utf-8")
    (directory / "faq.yaml").write_text("[]\n", encoding="utf-8")
    return directory


def copy_fixture(source: Path, target_dir: Path) -> Path:
    target = target_dir / source.name
    shutil.copyfile(source, target)
    return target
