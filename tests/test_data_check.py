"""`python -m bot check` and the loader: warnings for texts missing a language the consultation
offers, every file checked even when consultation.yaml is wrong, problems in the organiser's
language."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.cli import run as run_command
from bot.services.event_data import load_event_data
from tests.conftest import make_config
from tests.test_event_data import CONSULTATION, write

THREE_LANGUAGES = CONSULTATION.replace("languages: [en, fr]", "languages: [en, fr, ar]")


def many_sessions(count: int) -> str:
    """A programme whose titles are in English only."""
    return "sessions:\n" + "".join(
        f"  - {{id: s{n}, title: Talk {n}, start: 2026-12-08T09:00, end: 2026-12-08T10:00}}\n"
        for n in range(count)
    )


# --- 1. Missing translations are warnings -------------------------------------------------


def test_a_text_without_a_language_the_consultation_offers_is_a_warning_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, consultation_yaml=THREE_LANGUAGES)
    assert main(["check", str(tmp_path)]) == 0  # a warning, not an error
    captured = capsys.readouterr()
    assert "OK" in captured.out
    assert (
        "Warning: test-2026/sessions.yaml:11 [sessions #2 id=late]: title: no 'fr', 'ar' text; "
        "readers in French and Arabic see the English text" in captured.err
    )
    # Only the missing language is named: the opening's title has its French.
    assert (
        "Warning: test-2026/sessions.yaml:3 [sessions #1 id=opening]: title: no 'ar' text; "
        "readers in Arabic see the English text" in captured.err
    )
    assert (
        "Warning: test-2026/sessions.yaml:9 [sessions #1 id=opening speaker #1]: affiliation: "
        "no 'fr', 'ar' text" in captured.err
    )
    # Readers of a missing language read the default one.
    late = load_event_data(tmp_path).consultations["test-2026"].session("late")
    assert late is not None
    assert late.title.get("ar") == "Late"


def test_a_language_the_consultation_does_not_offer_is_not_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path)  # languages: [en, fr]
    assert main(["check", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "title: no 'fr' text; readers in French see the English text" in err
    assert "'ar'" not in err


def test_many_missing_translations_are_counted_per_file_not_all_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, sessions_yaml=many_sessions(40))
    assert main(["check", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    listed = [line for line in err.splitlines() if "]: title: " in line]
    assert len(listed) == 10
    assert (
        "Warning: test-2026/sessions.yaml: 30 more warnings for this file, like those above "
        "(python -m bot check --all lists them all)" in err
    )
    # The other files' warnings are not lost among them.
    assert "Warning: test-2026/logistics.yaml" not in err  # its texts are translated
    assert "consultation.yaml:10 [venue]: name: no 'fr' text" in err

    assert main(["check", "--all", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if "]: title: " in line]) == 40
    assert "more warnings" not in err


def test_the_bot_logs_the_warnings_when_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "data", sessions_yaml=many_sessions(40))
    events = load_event_data(tmp_path / "data")
    served: list[Any] = []
    monkeypatch.setattr("bot.app.build_application", lambda *args, **kwargs: object())
    monkeypatch.setattr("bot.webhook.run_polling", lambda *args: served.append(args))
    config = make_config(tmp_path, data_dir=tmp_path / "data", token="1:x")
    with caplog.at_level(logging.WARNING):
        assert run_command.serve(argparse.Namespace(), config, events) == 0
    assert served
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Event data:")]
    assert any("[sessions #1 id=s0]: title: no 'fr' text" in line for line in logged)
    assert any("30 more warnings for this file" in line for line in logged)
    assert len(logged) < 20


def test_the_sample_data_has_every_text_in_every_language_it_offers() -> None:
    events = load_event_data(Path(__file__).resolve().parent.parent / "data")
    assert [str(w) for w in events.warnings if "text; readers in" in str(w)] == []
