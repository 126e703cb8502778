"""Loading and validating the organisers' data files, and `python -m bot check`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.services.data_reading import EventDataError
from bot.services.event_data import load_event_data

CONSULTATION = """\
id: test-2026
kind: global
default_language: en
languages: [en, fr]
name: {en: Test consultation, fr: Consultation test}
timezone: Europe/Zurich
start: 2026-12-08
end: 2026-12-09
venue:
  name: CICG
  address: Rue de Varembé 17, Genève
  latitude: 46.22
  longitude: 6.13
reminders: [2d, 30m]
"""

SESSIONS = """\
sessions:
  - id: opening
    title: {en: Opening, fr: Ouverture}
    start: 2026-12-08T09:00
    end: 2026-12-08T10:00
    room: Main Hall
    speakers:
      - name: Amina Yusuf
        affiliation: {en: Local NGO}
  - id: late
    title: {en: Late}
    start: 2026-12-09T17:00
    end: 2026-12-09T18:00
"""

LOGISTICS = """\
topics:
  - id: wifi
    title: {en: Wi-Fi, fr: Wi-Fi}
    text: {en: Network IOM-Guest, fr: Réseau IOM-Guest}
"""

FAQ = """\
- id: wifi-password
  questions:
    en: ["What is the Wi-Fi password?"]
    fr: ["Quel est le mot de passe wifi ?"]
  answer: {en: Consult2026, fr: Consult2026}
  keywords: {en: [wifi]}
"""


def write(root: Path, **files: str) -> Path:
    directory = root / "test-2026"
    directory.mkdir(parents=True, exist_ok=True)
    contents = {
        "consultation.yaml": CONSULTATION,
        "sessions.yaml": SESSIONS,
        "logistics.yaml": LOGISTICS,
        "faq.yaml": FAQ,
    }
    contents.update({name.replace("_", "."): text for name, text in files.items()})
    for name, text in contents.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def problems_of(root: Path) -> list[str]:
    with pytest.raises(EventDataError) as caught:
        load_event_data(root)
    return [str(p) for p in caught.value.problems]


def test_valid_data_loads_with_times_in_the_consultations_zone(tmp_path: Path) -> None:
    write(tmp_path)
    events = load_event_data(tmp_path)
    consultation = events.consultations["test-2026"]
    opening = consultation.session("opening")
    assert opening is not None
    assert opening.start.utcoffset() == timedelta(hours=1)  # CET in December
    assert opening.title.get("fr") == "Ouverture"
    assert opening.speakers[0].affiliation is not None
    assert consultation.reminders == (timedelta(days=2), timedelta(minutes=30))
    assert consultation.faq[0].questions["fr"] == ("Quel est le mot de passe wifi ?",)


def test_missing_language_falls_back_to_the_default_language(tmp_path: Path) -> None:
    write(tmp_path)
    late = load_event_data(tmp_path).consultations["test-2026"].session("late")
    assert late is not None
    assert late.title.get("ar") == "Late"
    assert late.title.get("fr") == "Late"


def test_a_yaml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    write(tmp_path, sessions_yaml="sessions:\n  - id: a\n    title: [unclosed\n")
    (problem,) = problems_of(tmp_path)
    assert "sessions.yaml:" in problem
    assert "column" in problem


def test_a_bad_session_names_the_entry_field_and_line(tmp_path: Path) -> None:
    broken = SESSIONS.replace("end: 2026-12-08T10:00", "end: 2026-12-08T08:00")
    write(tmp_path, sessions_yaml=broken)
    (problem,) = problems_of(tmp_path)
    assert "sessions.yaml:5" in problem
    assert "id=opening" in problem
    assert "'end' must be after 'start'" in problem


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    sessions = SESSIONS.replace("start: 2026-12-09T17:00", "start: tomorrow").replace(
        "title: {en: Late}", "title: {fr: Tard}"
    )
    faq = FAQ.replace("answer: {en: Consult2026, fr: Consult2026}", "answer: {fr: x}")
    consultation = CONSULTATION.replace("Europe/Zurich", "Mars/Olympus")
    write(tmp_path, sessions_yaml=sessions, faq_yaml=faq, consultation_yaml=consultation)
    problems = problems_of(tmp_path)
    assert any("Mars/Olympus" in p and "consultation.yaml:6" in p for p in problems)
    # The consultation could not load; the other files are checked all the same.
    assert any("id=late" in p and "'start'" in p and "tomorrow" in p for p in problems)
    write(tmp_path, sessions_yaml=sessions, faq_yaml=faq)
    problems = problems_of(tmp_path)
    assert any("id=late" in p and "'start'" in p and "tomorrow" in p for p in problems)
    assert any("id=late" in p and "default language 'en'" in p for p in problems)
    assert any("faq.yaml" in p and "id=wifi-password" in p and "'answer'" in p for p in problems)


def test_duplicate_ids_and_sessions_outside_the_dates_are_refused(tmp_path: Path) -> None:
    sessions = SESSIONS.replace("id: late", "id: opening").replace(
        "2026-12-09T17", "2026-12-19T17"
    )
    sessions = sessions.replace("end: 2026-12-09T18:00", "end: 2026-12-19T18:00")
    write(tmp_path, sessions_yaml=sessions)
    problems = problems_of(tmp_path)
    assert any("id 'opening' is used twice" in p for p in problems)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    directory = write(tmp_path)
    (directory / "faq.yaml").unlink()
    (problem,) = problems_of(tmp_path)
    assert problem.endswith("faq.yaml: file is missing")


def test_check_command_prints_the_place_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, logistics_yaml="topics:\n  - id: wifi\n    title: {en: Wi-Fi}\n")
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "logistics.yaml:2 [topics #1 id=wifi]: 'text' is required" in err


def test_check_command_accepts_valid_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path)
    assert main(["check", str(tmp_path)]) == 0
    assert "test-2026: 2 sessions, 1 logistics topics, 1 FAQ entries" in capsys.readouterr().out


def test_the_bundled_sample_data_is_valid() -> None:
    events = load_event_data(Path(__file__).resolve().parent.parent / "data")
    assert len(events.consultations) >= 2
    for consultation in events.consultations.values():
        assert consultation.sample
        assert 15 <= len(consultation.sessions) <= 25
        assert len(consultation.faq) >= 25
        for session in consultation.sessions:
            for lang in ("en", "fr", "es", "ar"):
                assert lang in session.title.values, (consultation.id, session.id, lang)


def test_every_sample_consultation_has_a_survey_in_all_its_languages() -> None:
    events = load_event_data(Path(__file__).resolve().parent.parent / "data")
    for consultation in events.consultations.values():
        survey = consultation.survey
        assert survey is not None, consultation.id
        assert 3 <= len(survey.questions) <= 6
        assert {q.kind for q in survey.questions} == {"rating", "choice", "text"}
        texts = [survey.intro] if survey.intro else []
        texts += [q.text for q in survey.questions]
        texts += [o.text for q in survey.questions for o in q.options]
        texts += [t.title for t in survey.themes]
        for text in texts:
            assert set(text.values) == set(consultation.languages), (consultation.id, text)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["chat"], 1),
        (["run"], 1),
        (["ask", "where is lunch?"], 1),
        (["qr", "--out", "qr", "--bot", "consult_bot"], 1),
        (["export", "feedback", "--consultation", "test-2026", "--out", "x.csv"], 1),
        (["broadcast", "--consultation", "test-2026", "--text-file", "note.txt"], 2),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else str(value),
)
def test_every_command_that_reads_the_data_names_the_bad_place(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
) -> None:
    write(tmp_path / "data", logistics_yaml="topics:\n  - id: wifi\n    title: {en: Wi-Fi}\n")
    (tmp_path / "note.txt").write_text("The plenary moves to Room A.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    assert main(argv) == code
    err = capsys.readouterr().err
    assert f"The event data in {tmp_path / 'data'} is invalid:" in err
    assert "logistics.yaml:2 [topics #1 id=wifi]: 'text' is required" in err
    assert not (tmp_path / "qr").exists()


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["chat", "--consultation", "atlantis"], 2),
        (["ask", "--consultation", "atlantis", "where is lunch?"], 2),
        (["qr", "--out", "qr", "--bot", "consult_bot", "--consultation", "atlantis"], 2),
        (["export", "feedback", "--consultation", "atlantis", "--out", "x.csv"], 2),
        (["broadcast", "--consultation", "atlantis", "--text-file", "note.txt"], 2),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else str(value),
)
def test_every_command_names_the_consultations_it_knows(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
) -> None:
    write(tmp_path / "data")
    (tmp_path / "note.txt").write_text("The plenary moves to Room A.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    assert main(argv) == code
    assert "Unknown consultation 'atlantis' (known: test-2026)" in capsys.readouterr().err
    assert not (tmp_path / "qr").exists()
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    "faq", ["", "# The FAQ comes later.\n", "[]\n"], ids=["empty", "comment", "list"]
)
def test_check_warns_of_an_faq_without_entries_and_says_what_the_bot_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], faq: str
) -> None:
    directory = write(tmp_path, faq_yaml=faq)
    assert main(["check", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "test-2026: 2 sessions, 1 logistics topics, 0 FAQ entries" in captured.out
    assert (
        f"Warning: {directory.name}/faq.yaml: no FAQ entries: the bot answers delegates' "
        "questions from the logistics topics and the programme only" in captured.err
    )
    assert "logistics.yaml" not in captured.err


def test_check_warns_of_an_empty_programme_and_empty_logistics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = write(tmp_path, sessions_yaml="sessions: []\n", logistics_yaml="")
    assert main(["check", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"Warning: {directory.name}/sessions.yaml: no sessions: /agenda and /now" in err
    assert (
        f"Warning: {directory.name}/logistics.yaml: no topics: /info shows only the venue" in err
    )


def test_a_programme_far_over_the_limit_is_refused_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["sessions:"] + [
        f"  - {{id: s{n}, title: Talk {n}, start: 2026-12-08T09:00, end: 2026-12-08T10:00}}"
        for n in range(20_000)
    ]
    directory = write(tmp_path, sessions_yaml="\n".join(lines) + "\n")
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{directory.name}/sessions.yaml:1 [sessions]: 20,000 sessions; at most 5,000 allowed "
        "per consultation" in err
    )
    assert err.count("\n  ") == 1  # that one problem, not one per session


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        (
            "faq.yaml",
            FAQ.replace(
                "answer: {en: Consult2026, fr: Consult2026}", "answer: {en: " + "a" * 3501 + "}"
            ),
            "faq.yaml:5 [entry #1 id=wifi-password]: 'answer.en' is 3,501 characters long; at "
            "most 3,500 allowed",
        ),
        (
            "faq.yaml",
            FAQ.replace(
                'en: ["What is the Wi-Fi password?"]', "en: [" + ", ".join(["wifi?"] * 101) + "]"
            ),
            "faq.yaml:3 [entry #1 id=wifi-password]: 'questions.en' has 101 entries; at most "
            "100 allowed",
        ),
        (
            "faq.yaml",
            "\n".join(
                f"- {{id: q{n}, questions: {{en: [Q{n}?]}}, answer: A{n}}}" for n in range(1001)
            ),
            "faq.yaml:1: 1,001 entries; at most 1,000 allowed per consultation",
        ),
        (
            "sessions.yaml",
            SESSIONS.replace("title: {en: Late}", "title: " + "Late " * 61),
            "sessions.yaml:11 [sessions #2 id=late]: 'title' is 304 characters long; at most "
            "300 allowed",
        ),
        (
            "logistics.yaml",
            "topics:\n"
            + "".join(f"  - {{id: t{n}, title: T{n}, text: Text {n}}}\n" for n in range(51)),
            "logistics.yaml:1 [topics]: 51 topics; at most 50 allowed per consultation",
        ),
    ],
    ids=["answer", "phrasings", "faq-entries", "title", "topics"],
)
def test_a_text_or_a_list_over_its_limit_is_refused_naming_the_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, said: str
) -> None:
    write(tmp_path, **{name.replace(".", "_"): content})
    assert main(["check", str(tmp_path)]) == 1
    assert said in capsys.readouterr().err
