"""`python -m bot import`: dry runs, re-imports of an edited export, failures changing nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.services.changes import ADDED, CANCELLED, MOVED, ROOM
from bot.services.event_data import load_event_data
from bot.services.importing import plan_import
from tests.import_support import CONGRESS, PRETALX, make_consultation


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    make_consultation(root, "democon", "Europe/Berlin", date(2020, 12, 14), date(2020, 12, 16))
    return root


def run(*args: str | Path) -> int:
    return main(["import", *map(str, args)])


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_dry_run_lists_the_changes_and_writes_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(data_dir / "democon")
    code = run(PRETALX, "--consultation", "democon", "--data", data_dir, "--dry-run")
    out = capsys.readouterr().out
    assert code == 0
    assert snapshot(data_dir / "democon") == before
    assert "36 sessions in 2 rooms, 2020-12-14 to 2020-12-16" in out
    assert "'democon' would change: 36 added, 0 changed, 1 removed." in out
    assert (
        "  + e-25  Mon 2020-12-14 09:00–09:30 · Gray Room · Focused 5thgeneration hardware" in out
    )
    assert "  - old-opening  Mon 2020-12-14 09:00–10:00 · Opening" in out
    assert out.rstrip().endswith("Dry run: nothing was changed.")


def test_import_writes_a_programme_that_loads_back(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(PRETALX, "--consultation", "democon", "--data", data_dir) == 0
    out = capsys.readouterr().out
    assert "'democon' change: 36 added, 0 changed, 1 removed." in out
    consultation = load_event_data(data_dir).consultations["democon"]
    assert len(consultation.sessions) == 36
    again = run(PRETALX, "--consultation", "democon", "--data", data_dir)
    assert again == 0
    assert "No change to 'democon'" in capsys.readouterr().out


def _edited_export(tmp_path: Path) -> Path:
    data: dict[str, Any] = json.loads(PRETALX.read_text(encoding="utf-8"))
    days = data["schedule"]["conference"]["days"]
    gray = days[0]["rooms"]["Gray Room"]
    moved = next(e for e in gray if e["id"] == 25)
    moved.update(date="2020-12-14T16:00:00+01:00", start="16:00")
    rooms = next(e for e in gray if e["id"] == 26)
    rooms["room"] = "Tan Room"
    gray.remove(next(e for e in gray if e["id"] == 33))
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_reimporting_an_edited_export_reports_exactly_what_changed(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(PRETALX, "--consultation", "democon", "--data", data_dir) == 0
    capsys.readouterr()
    edited = _edited_export(tmp_path)
    plan = plan_import(data_dir, "democon", edited)
    assert {c.session_id: set(c.kinds) for c in plan.changes} == {
        "e-25": {MOVED},
        "e-26": {ROOM},
        "e-33": {CANCELLED},
    }
    assert not [c for c in plan.changes if ADDED in c.kinds]
    assert run(edited, "--consultation", "democon", "--data", data_dir, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would change: 0 added, 2 changed, 1 removed." in out
    assert "  ~ e-25  moved Mon 2020-12-14 09:00–09:30 → Mon 2020-12-14 16:00–16:30" in out
    assert "  ~ e-26  room Gray Room → Tan Room" in out
    assert "  - e-33  Mon 2020-12-14 10:00–10:30 · Gray Room · Secured mobile concept" in out
    assert run(edited, "--consultation", "democon", "--data", data_dir) == 0
    consultation = load_event_data(data_dir).consultations["democon"]
    assert len(consultation.sessions) == 35
    moved = consultation.session("e-25")
    assert moved is not None
    assert moved.title.get("en") == "Focused 5thgeneration hardware"  # same id, same talk
    assert moved.start.isoformat() == "2020-12-14T16:00:00+01:00"


def test_a_broken_file_changes_nothing_and_says_where(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(PRETALX, "--consultation", "democon", "--data", data_dir) == 0
    capsys.readouterr()
    before = snapshot(data_dir / "democon")
    broken = tmp_path / "broken.json"
    broken.write_text(PRETALX.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    assert run(broken, "--consultation", "democon", "--data", data_dir) == 1
    err = capsys.readouterr().err
    assert "Import failed; nothing was changed:" in err
    assert f"{broken}: line 115, column 13: JSON: Expecting property name" in err
    assert snapshot(data_dir / "democon") == before


def test_a_programme_outside_the_consultation_dates_is_refused_unless_adjusted(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(data_dir / "democon")
    assert run(CONGRESS, "--consultation", "democon", "--data", data_dir) == 1
    err = capsys.readouterr().err
    assert (
        "the programme runs from 2014-12-27 to 2014-12-30, outside the consultation 'democon' "
        "(2020-12-14 to 2020-12-16)" in err
    )
    assert "--adjust-dates" in err
    assert snapshot(data_dir / "democon") == before
    assert run(CONGRESS, "--consultation", "democon", "--data", data_dir, "--adjust-dates") == 0
    out = capsys.readouterr().out
    assert "dates 2020-12-14 to 2020-12-16 → 2014-12-27 to 2014-12-30" in out
    consultation = load_event_data(data_dir).consultations["democon"]
    assert (consultation.start, consultation.end) == (date(2014, 12, 27), date(2014, 12, 30))
    assert len(consultation.sessions) == 138


def test_unknown_consultation_and_unknown_format(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(PRETALX, "--consultation", "nope", "--data", data_dir) == 1
    assert "no consultation 'nope' here (known: democon)" in capsys.readouterr().err
    odd = tmp_path / "notes.txt"
    odd.write_text("hello", encoding="utf-8")
    assert run(odd, "--consultation", "democon", "--data", data_dir) == 1
    assert "cannot tell the format of this file; the importer reads" in capsys.readouterr().err


def test_importing_into_the_bot_s_data_asks_the_running_bot_to_reload(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "var" / "bot.sqlite3"))
    assert run(PRETALX, "--consultation", "democon", "--wait", "0.2") == 0
    out = capsys.readouterr().out
    assert "Asking the running bot to reload" in out
    assert "a reload is requested in" in out
    assert (tmp_path / "var" / "reload-request").is_file()
    # Preparing files for later: --no-reload writes them and leaves the bot alone.
    (tmp_path / "var" / "reload-request").unlink()
    assert run(CONGRESS, "--consultation", "democon", "--adjust-dates", "--no-reload") == 0
    assert "picks the new programme up on its next reload" in capsys.readouterr().out
    assert not (tmp_path / "var" / "reload-request").exists()


def test_reimporting_keeps_what_organisers_added_to_sessions(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Documents, seats and sign-ups are not in a pretalx export: an organiser adds them to
    sessions.yaml, and importing the export again must not drop them."""
    assert run(PRETALX, "--consultation", "democon", "--data", data_dir) == 0
    directory = data_dir / "democon"
    (directory / "agenda.pdf").write_bytes(b"%PDF-1.4 agenda")
    path = directory / "sessions.yaml"
    text = path.read_text(encoding="utf-8")
    first = "- id: e-25\n"
    assert first in text
    text = text.replace(
        first,
        first
        + "  capacity: 30\n  signup: true\n  documents:\n"
        + "  - {id: e25-slides, title: Slides, kind: slides, url: https://example.org/s}\n"
        + "  - {id: e25-agenda, title: Agenda, file: agenda.pdf}\n",
    )
    path.write_text(text, encoding="utf-8")
    assert run(PRETALX, "--consultation", "democon", "--data", data_dir) == 0
    capsys.readouterr()
    session = load_event_data(data_dir).consultations["democon"].session("e-25")
    assert session is not None
    assert (session.capacity, session.signup) == (30, True)
    assert [d.id for d in session.documents] == ["e25-slides", "e25-agenda"]
    assert session.documents[1].file == directory / "agenda.pdf"
