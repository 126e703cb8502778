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
from tests.test_event_data import CONSULTATION, FAQ, SESSIONS, write

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


# --- 2. A problem in consultation.yaml hides nothing else --------------------------------


def test_a_bad_time_zone_and_a_bad_session_time_are_both_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        consultation_yaml=CONSULTATION.replace("Europe/Zurich", "Mars/Olympus"),
        sessions_yaml=SESSIONS.replace("start: 2026-12-09T17:00", "start: tomorrow"),
    )
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert (
        "test-2026/consultation.yaml:6 [timezone]: 'Mars/Olympus' is not an IANA time zone "
        "such as Europe/Zurich" in err
    )
    assert (
        "test-2026/sessions.yaml:12 [sessions #2 id=late]: 'start' must be a local time like "
        "2026-12-08T09:00, not 'tomorrow'" in err
    )
    # Said: the other files were checked with what consultation.yaml could not tell assumed.
    assert "test-2026/consultation.yaml: the other files were checked all the same" in err
    assert "the time zone as UTC" in err


def test_every_file_is_checked_when_consultation_yaml_is_not_even_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = FAQ.replace("answer: {en: Consult2026, fr: Consult2026}", "answer: {fr: ''}")
    # Its French-only titles are not refused: the default language is not known.
    sessions = SESSIONS.replace("{en: Opening, fr: Ouverture}", "{fr: Ouverture}")
    write(tmp_path, consultation_yaml="id: [test-2026\n", faq_yaml=faq, sessions_yaml=sessions)
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "consultation.yaml:2: YAML syntax error" in err
    assert "faq.yaml:5 [entry #1 id=wifi-password]: 'answer.fr' is empty" in err
    assert "sessions.yaml" not in err
    assert err.count("\n  ") == 3  # the syntax error, the note, the empty answer


def test_a_session_outside_the_dates_says_when_it_may_only_follow_from_the_time_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = (
        SESSIONS.replace("2026-12-08T09:00", "2026-12-07T23:00+00:00")
        .replace("2026-12-08T10:00", "2026-12-07T23:30+00:00")
        .replace("2026-12-09T17:00", "2026-12-19T17:00")
        .replace("2026-12-09T18:00", "2026-12-19T18:00")
    )
    consultation = CONSULTATION.replace("Europe/Zurich", "Mars/Olympus")
    write(tmp_path, consultation_yaml=consultation, sessions_yaml=sessions)
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    # 23:00 UTC is on the 8th in a zone east of it: perhaps only the time zone's fault.
    assert (
        "sessions.yaml:4 [sessions #1 id=opening]: starts on 2026-12-07, outside the "
        "consultation (2026-12-08 to 2026-12-09) (this may only follow from consultation.yaml, "
        "whose time zone could not be read: the time was read as UTC)" in err
    )
    # Ten days out is out whatever the zone.
    assert (
        "sessions.yaml:12 [sessions #2 id=late]: starts on 2026-12-19, outside the consultation "
        "(2026-12-08 to 2026-12-09)\n" in err
    )
    # With the time zone mended, the first is in, and the second still out.
    write(tmp_path, sessions_yaml=sessions)
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "id=opening" not in err
    assert "[sessions #2 id=late]: starts on 2026-12-19" in err
