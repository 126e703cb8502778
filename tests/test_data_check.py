"""`python -m bot check` and the loader: warnings for texts missing a language the consultation
offers, every file checked even when consultation.yaml is wrong, problems in the organiser's
language."""

from __future__ import annotations

import argparse
import ast
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.__main__ import main
from bot.cli import run as run_command
from bot.services.data_reading import DataProblem, EventDataError
from bot.services.event_data import load_event_data
from bot.services.programme import summary_lines
from tests.conftest import (
    GENEVA_ID,
    ORGANISER_ID,
    ROOT,
    Harness,
    edit_sessions_file,
    joined,
    make_config,
)
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


def test_rooms_and_documents_lacking_a_language_are_warnings_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rooms = """\
rooms:
  - id: main-hall
    name: {en: Main Hall, fr: Grande salle}
    directions: {en: "Ground floor, on the left"}
"""
    sessions = SESSIONS.replace("room: Main Hall", "room: main-hall").replace(
        "  - id: late\n",
        "    documents:\n"
        "      - {id: note, title: Concept note, url: 'https://example.org/note.pdf'}\n"
        "  - id: late\n",
    )
    write(tmp_path, rooms_yaml=rooms, sessions_yaml=sessions)
    assert main(["check", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert (
        "Warning: test-2026/rooms.yaml:4 [rooms #1 id=main-hall]: directions: no 'fr' text; "
        "readers in French see the English text" in err
    )
    assert "rooms.yaml:3 [rooms #1 id=main-hall]: name" not in err  # translated
    assert (
        "Warning: test-2026/sessions.yaml:11 [sessions #1 id=opening document #1 id=note]: "
        "title: no 'fr' text" in err
    )


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


# --- 3. Problems in the organiser's language ---------------------------------------------

TALK = "principles-partnership"


def break_the_data(data: Path) -> None:
    """A session ending before it starts, and a time zone that does not exist."""
    edit_sessions_file(data, TALK, end="2026-12-08T10:00")
    consultation = data / GENEVA_ID / "consultation.yaml"
    text = consultation.read_text(encoding="utf-8")
    consultation.write_text(text.replace("Europe/Zurich", "Europe/Genève"), encoding="utf-8")


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("fr", ["'end' doit être après 'start'", "n'est pas un fuseau horaire IANA"]),
        ("es", ["'end' debe ser posterior a 'start'", "no es una zona horaria IANA"]),
        ("ar", ["يجب أن يكون 'end' بعد 'start'", "ليست منطقة زمنية من IANA"]),
    ],
)
async def test_reload_quotes_the_problems_in_the_organisers_language(
    editable: Harness, lang: str, said: list[str]
) -> None:
    harness = editable
    boss = await joined(harness, lang, ORGANISER_ID)
    break_the_data(harness.services.config.data_dir)
    await boss.send("/reload")
    text = boss.text()
    for words in said:
        assert words in text
    assert f"{GENEVA_ID}/sessions.yaml:" in text
    assert f"id={TALK}" in text
    assert "must be after" not in text
    assert "is not an IANA time zone" not in text
    # The command line's answer (python -m bot reload) stays English.
    answer = "\n".join(summary_lines(await harness.services.reloader.reload("command line")))
    assert "'end' must be after 'start'" in answer
    assert "'Europe/Genève' is not an IANA time zone such as Europe/Zurich" in answer


async def test_check_stays_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    break_the_data(tmp_path / "data")
    assert main(["check", str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    assert "'end' must be after 'start'" in err
    assert "'Europe/Genève' is not an IANA time zone such as Europe/Zurich" in err


def test_a_problem_names_numbers_and_languages_as_its_reader_writes_them(tmp_path: Path) -> None:
    lines = ["sessions:"] + [
        f"  - {{id: s{n}, title: Talk {n}, start: 2026-12-08T09:00, end: 2026-12-08T10:00}}"
        for n in range(5001)
    ]
    write(tmp_path, sessions_yaml="\n".join(lines) + "\n")
    with pytest.raises(EventDataError) as caught:
        load_event_data(tmp_path)
    (problem,) = caught.value.problems
    assert problem.message == "5,001 sessions; at most 5,000 allowed per consultation"
    assert problem.message_in("fr") == "5\u202f001 sessions ; 5\u202f000 au plus par consultation"
    assert problem.message_in("es") == "5.001 sessions; como máximo 5.000 por consulta"

    write(tmp_path, sessions_yaml=SESSIONS, consultation_yaml=THREE_LANGUAGES)
    warning = next(w for w in load_event_data(tmp_path).warnings if "id=late" in w.place)
    assert warning.message_in("fr") == (
        "title : pas de texte 'fr', 'ar' ; les personnes qui lisent en français et arabe "
        "voient le texte en anglais"
    )


# Broken files reaching (nearly) every check: each problem must read in every language.
BROKEN = {
    "consultation.yaml": """\
id: elsewhere
kind: national
default_language: en
languages: [en, fr, xx]
name: {en: Test, de: Test}
timezone: Mars/Olympus
start: 2026-12-08
end: 2026-12-01
venue: {name: CICG, address: '', latitude: 95, longitude: 6.1, map_url: ftp://x}
reminders: [2d, soon]
digest_time: "7h30"
day_change: "13:00"
feedback_window: a while
documents: {note: x}
""",
    "sessions.yaml": """\
sessions:
  - id: opening
    title: {en: Opening}
    start: tomorrow
    end: 2026-12-08T10:00
    kind: party
    speakers: [nobody, {affiliation: x}]
    capacity: -3
    signup: maybe
    room: [hall]
    documents:
      - just a line
      - {id: d1, title: x, kind: poster, url: "https://example.org", file: a.pdf}
      - {id: d2, title: x, url: "ftp://example.org/x"}
      - {id: d3, title: x, file: ../x.pdf}
      - {id: d4, title: x, file: missing.pdf}
      - {id: d5, title: x, file: empty.txt}
  - id: opening
    title: {fr: Ouverture}
    start: 2026-12-08T11:00
    end: 2026-12-08T10:00
    interpretation: fr
    room: hal
    documents: not a list
  - id: "bad id!"
    title: x
    start: 2026-13-01T09:00
    end: 2026-12-08T10:00
    signup: true
    room: terrace
    documents: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
  - just a line
  - title: {en: No id}
    start: 2026-12-08T09:00
    end: 2026-12-08T10:00
    speakers: alice
""",
    "speakers.yaml": """\
speakers:
  - id: alice
    name: {en: Alice}
    photo: ../secret.jpg
    links: [ftp://x, "https://example.org/a b"]
  - id: bob
    photo: photos/
  - id: carol
    name: Carol
    photo: missing.jpg
    links: not a list
""",
    "rooms.yaml": """\
rooms:
  - id: hall
    name: {en: Hall}
    capacity: 0
    interpretation: {1: en, 2: xx, 12345678901: fr}
    map: ../x.png
  - id: room-2
    name: Room 2
    interpretation: not a list
    map: missing.png
  - id: room-3
    name: Room 3
    map: plan.png
""",
    "plan.png": "not an image",
    "empty.txt": "",
    "logistics.yaml": "topics: {wifi: x}\n",
    "faq.yaml": """\
- id: wifi
  questions: {fr: [Wifi ?], xx: [x]}
  answer: {en: '', fr: x}
  keywords: [wifi]
- id: lunch
  answer: x
""",
    "survey.yaml": """\
open_for: a week
questions:
  - {id: q1, type: stars, text: x}
  - {id: q2, type: choice, text: x, options: [{id: a, text: A}]}
  - {id: q3, type: text, text: x, options: [{id: a, text: A}]}
  - id: q4
    type: choice
    text: x
    options: [{id: a, text: A}, plain]
themes: not a list
""",
}


def unisolated(text: str) -> str:
    """Without the marks that keep names in order in right-to-left text."""
    return text.replace("\u2068", "").replace("\u2069", "")


def broken_problems(tmp_path: Path) -> list[DataProblem]:
    directory = tmp_path / "test-2026"
    directory.mkdir()
    (directory / "photos").mkdir()
    for name, text in BROKEN.items():
        (directory / name).write_text(text, encoding="utf-8")
    with pytest.raises(EventDataError) as caught:
        load_event_data(tmp_path)
    return caught.value.problems


@pytest.mark.parametrize("lang", ["fr", "es", "ar"])
def test_every_problem_reads_in_every_language(tmp_path: Path, lang: str) -> None:
    problems = broken_problems(tmp_path)
    templates = {p.template for p in problems}
    assert len(templates) >= 40  # the fixtures reach most checks
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [p.template for p in problems if p.template not in catalog]
    assert untranslated == []
    same = [str(p) for p in problems if unisolated(p.message_in(lang)) == p.message_in("en")]
    assert same == []
    # Every placeholder is filled: no '{name}' left in what the organiser reads (a YAML
    # example such as {1: en} is no placeholder).
    assert [p.render(lang) for p in problems if re.search(r"\{\w*\}", p.render(lang))] == []


def test_a_problem_message_is_never_a_plain_string() -> None:
    """Every problem is made from a template marked with N_(), so that it can be translated:
    an f-string or a plain string would reach organisers in English only."""
    found: list[str] = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "DataProblem" not in source and "Checker" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "problem":
                message = node.args[2] if len(node.args) > 2 else None
            elif isinstance(func, ast.Name) and func.id == "DataProblem":
                message = node.args[3] if len(node.args) > 3 else None
                for keyword in node.keywords:
                    if keyword.arg == "template":
                        message = keyword.value
            else:
                continue
            marked = isinstance(message, ast.Call) and getattr(message.func, "id", "") == "N_"
            # A variable holds a template chosen above (itself marked), never a text.
            if not marked and not isinstance(message, ast.Name):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
