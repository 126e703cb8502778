"""Documents of a consultation and its sessions: checked when loaded, shown on the session's card
and by /documents, a file sent in the chat (uploaded once, then by its file_id), found by a
question in any language; and the console chat showing them."""

from __future__ import annotations

import io
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.__main__ import main
from bot.cli.console import run_console
from bot.clock import ManualClock
from bot.fakeapi.spec import Upload
from bot.services.data_reading import EventDataError
from bot.services.event_data import MAX_DOCUMENT_BYTES, load_event_data
from bot.services.matcher import DOCUMENT, Matcher
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    ROOT,
    Chat,
    Harness,
    build_harness,
    copied_data,
    geneva,
    joined,
    make_config,
    on_data,
    sample_events,
    started,
)

CONCEPT_NOTE = ROOT / "data" / GENEVA_ID / "concept-note.pdf"
SLIDES = "climate-mobility-slides"
SLIDES_URL = "https://example.org/consultations/geneva-2026/climate-mobility-slides.pdf"


def edit(data: Path, name: str, change: Any) -> None:
    """Edit a YAML file of the copy's Geneva directory as an organiser would."""
    path = data / GENEVA_ID / name
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def session_entry(raw: dict[str, Any], session_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(e for e in raw["sessions"] if e["id"] == session_id)
    return entry


def problems_of(data: Path) -> list[str]:
    with pytest.raises(EventDataError) as caught:
        load_event_data(data)
    return [str(p) for p in caught.value.problems]


def document_sends(harness: Harness) -> list[Any]:
    """What each sendDocument carried: an Upload (the file itself) or a file_id."""
    return [call.params["document"] for call in harness.api.calls_to("sendDocument")]


# --- the data ------------------------------------------------------------------------------------


def test_the_sample_consultation_and_its_sessions_have_documents() -> None:
    consultation = geneva()
    (note,) = consultation.documents
    assert note.kind == "concept-note"
    assert note.file == CONCEPT_NOTE
    assert note.url is None
    assert note.title.get("ar") == "المذكرة المفاهيمية"
    slides = next(d for s in consultation.sessions for d in s.documents if d.id == SLIDES)
    assert (slides.kind, slides.url, slides.file) == ("slides", SLIDES_URL, None)


def test_check_names_a_missing_file_with_its_file_line_and_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copied_data(tmp_path)

    def add(raw: dict[str, Any]) -> None:
        session_entry(raw, "opening")["documents"] = [
            {"id": "opening-speech", "title": {"en": "Opening speech"}, "file": "speech.pdf"}
        ]

    edit(data, "sessions.yaml", add)
    assert main(["check", str(data)]) == 1
    (problem,) = [line for line in capsys.readouterr().err.splitlines() if "speech" in line]
    assert "geneva-2026/sessions.yaml:" in problem
    assert "[sessions #2 id=opening document #1 id=opening-speech]" in problem
    assert "there is no file speech.pdf in" in problem
    line = int(problem.split("sessions.yaml:")[1].split(" ")[0])
    lines = (data / GENEVA_ID / "sessions.yaml").read_text(encoding="utf-8").splitlines()
    assert "file: speech.pdf" in lines[line - 1]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"url": "ftp://example.org/note.pdf"}, "'url' must be an http:// or https:// address"),
        ({"url": "https://example.org/a.pdf", "file": "concept-note.pdf"}, "not both"),
        ({}, "needs either a 'url' or a 'file'"),
        ({"file": "../nairobi-2027/consultation.yaml"}, "must name a file inside"),
        ({"file": "/etc/hostname"}, "must name a file inside"),
        ({"file": "concept-note.pdf", "kind": "minutes"}, "kind must be one of"),
        ({"file": "big.pdf"}, "it must hold from 1 byte to 50 MB"),
        ({"file": "empty.pdf"}, "it must hold from 1 byte to 50 MB"),
        (
            {"id": "concept-note", "url": "https://example.org/b.pdf"},
            "'concept-note' is used twice",
        ),
    ],
)
def test_documents_are_checked(tmp_path: Path, document: dict[str, Any], expected: str) -> None:
    data = copied_data(tmp_path)
    with (data / GENEVA_ID / "big.pdf").open("wb") as big:
        big.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: nothing written
    (data / GENEVA_ID / "empty.pdf").touch()

    def add(raw: dict[str, Any]) -> None:
        entry = {"id": "extra", "title": "Extra", **document}
        session_entry(raw, "climate-mobility")["documents"].append(entry)

    edit(data, "sessions.yaml", add)
    problems = problems_of(data)
    assert len(problems) == 1, problems
    assert expected in problems[0]
    assert "id=climate-mobility document #2" in problems[0]


def test_consultation_documents_are_checked_in_consultation_yaml(tmp_path: Path) -> None:
    data = copied_data(tmp_path)
    edit(data, "consultation.yaml", lambda raw: raw["documents"][0].update(file="note.pdf"))
    (problem,) = problems_of(data)
    assert "consultation.yaml:" in problem
    assert "[document #1 id=concept-note]" in problem
    assert "there is no file note.pdf" in problem


# --- on the session card -------------------------------------------------------------------------


async def open_card(chat: Chat, session_id: str) -> None:
    chat.harness.clock.advance(seconds=2)
    await chat.send("/agenda")
    await chat.press_data(chat.last.message_id, f"ag:s:{session_id}", check=False)


@pytest.mark.parametrize(
    ("language", "heading", "lines", "kind"),
    [
        (
            "en",
            "📄 Documents",
            [
                "📊 Slides: climate mobility in figures",
                "📄 Background paper: pooled funds, overheads and multi-year agreements "
                "(Document)",
            ],
            "🔗 Slides",
        ),
        (
            "fr",
            "📄 Documents",
            [
                "📊 Diapositives : la mobilité climatique en chiffres",
                "📄 Document de référence : fonds communs, frais généraux et accords pluriannuels",
            ],
            "🔗 Diapositives",
        ),
        (
            "ar",
            "📄 الوثائق",
            [
                "📊 شرائح العرض: التنقل المرتبط بالمناخ بالأرقام",
                "📄 ورقة معلومات أساسية: الصناديق المشتركة والتكاليف غير المباشرة والاتفاقات "
                "متعددة السنوات (وثيقة)",
            ],
            "🔗 شرائح",
        ),
    ],
)
async def test_a_session_card_shows_its_documents(
    harness: Harness, language: str, heading: str, lines: list[str], kind: str
) -> None:
    chat = await joined(harness, language)
    await open_card(chat, "climate-mobility")
    text = chat.text()
    assert f"\n{heading}\n{lines[0]}" in text
    (link,) = [b for row in chat.last.buttons() for b in row if b.get("url") == SLIDES_URL]
    assert link["text"].startswith(kind)
    await open_card(chat, "localization-funding")
    assert f"\n{heading}\n{lines[1]}" in chat.text()
    await open_card(chat, "internal-displacement")
    assert heading not in chat.text()


# --- sending a file ------------------------------------------------------------------------------


async def test_a_file_is_uploaded_once_then_sent_by_its_file_id(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = make_config(tmp_path)
    async with started(build_harness(config, clock)) as harness:
        amina = await joined(harness, "en", 1001)
        await amina.send("/documents")
        await amina.press("Concept note")
        first = amina.last.document
        assert first is not None
        assert first.filename == "concept-note.pdf"
        assert first.content == CONCEPT_NOTE.read_bytes()
        assert "Concept note" in (amina.last.caption or "")
        bruno = await joined(harness, "es", 1002)
        await bruno.send("/documents")
        await bruno.press("Nota conceptual")
        assert bruno.last.document is not None
        assert bruno.last.document.content == CONCEPT_NOTE.read_bytes()
        assert "Nota conceptual" in (bruno.last.caption or "")
        sends = document_sends(harness)
        assert isinstance(sends[0], Upload)
        assert sends[1] == first.file_id
    # Kept in SQLite: after a restart, still sent by its file_id (on the same Telegram).
    async with started(build_harness(config, clock, api=harness.api)) as again:
        carla = await joined(again, "fr", 1003)
        await carla.send("/documents")
        await carla.press("Note conceptuelle")
        assert document_sends(again)[-1] == first.file_id
        assert [isinstance(s, Upload) for s in document_sends(again)] == [True, False, False]


async def test_a_replaced_file_is_uploaded_again(tmp_path: Path, clock: ManualClock) -> None:
    data = copied_data(tmp_path)
    async with on_data(tmp_path, clock, data) as harness:
        chat = await joined(harness)
        await chat.send("/documents")
        await chat.press("Concept note")
        note = data / GENEVA_ID / "concept-note.pdf"
        note.write_bytes(note.read_bytes() + b"% revised\n")
        await chat.press("Concept note")
        assert chat.last.document is not None
        assert chat.last.document.content.endswith(b"% revised\n")
        assert [isinstance(s, Upload) for s in document_sends(harness)] == [True, True]


async def test_a_file_id_telegram_refuses_is_replaced_by_an_upload(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/documents")
    await chat.press("Concept note")
    harness.api.fail_next(
        "sendDocument", error_code=400, description="Bad Request: wrong file identifier"
    )
    await chat.press("Concept note")
    assert chat.last.document is not None
    assert chat.last.document.content == CONCEPT_NOTE.read_bytes()
    await chat.press("Concept note")
    sends = document_sends(harness)
    assert [isinstance(s, Upload) for s in sends] == [True, False, True, False]
    assert sends[3] == chat.last.document.file_id
    harness.api.calls = [c for c in harness.api.calls if c.ok]  # the refusal was on purpose


async def test_a_file_removed_since_loading_is_an_apology(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = copied_data(tmp_path)
    async with on_data(tmp_path, clock, data) as harness:
        chat = await joined(harness, "fr")
        await chat.send("/documents")
        (data / GENEVA_ID / "concept-note.pdf").unlink()
        await chat.press("Note conceptuelle")
        alert = harness.api.calls_to("answerCallbackQuery")[-1].params
        assert alert.get("show_alert") is True
        assert "ce document ne peut pas être envoyé" in str(alert.get("text"))
        assert document_sends(harness) == []


# --- /documents ----------------------------------------------------------------------------------


async def test_documents_lists_the_consultations_then_the_sessions_with_documents(
    harness: Harness,
) -> None:
    chat = await joined(harness, "es")
    await chat.send("/documents")
    text = chat.text()
    assert "📝 Nota conceptual\n" in text
    assert text.index("Nota conceptual") < text.index("Diapositivas: la movilidad")
    assert "Documento de referencia: fondos comunes" in text
    assert "Taller: movilidad climática" in text
    assert "Taller: desplazamiento interno" not in text  # no documents
    await chat.press("Taller: movilidad")
    assert "Diapositivas: la movilidad climática en cifras" in chat.text()


async def test_many_sessions_with_documents_are_paged(tmp_path: Path, clock: ManualClock) -> None:
    data = copied_data(tmp_path)

    def add(raw: dict[str, Any]) -> None:
        for entry in raw["sessions"]:
            entry.setdefault("documents", []).append(
                {
                    "id": f"{entry['id']}-recording",
                    "kind": "recording",
                    "title": {"en": f"Recording {entry['id']}", "fr": f"Vidéo {entry['id']}"},
                    "url": f"https://example.org/recordings/{entry['id']}",
                }
            )

    edit(data, "sessions.yaml", add)
    async with on_data(tmp_path, clock, data) as harness:
        chat = await joined(harness, "fr")
        await chat.send("/documents")
        assert "Page 1 sur 3" in chat.text()
        assert "Note conceptuelle" in chat.text()
        await chat.press("▶")
        assert "Page 2 sur 3" in chat.text()
        assert "Note conceptuelle" not in chat.text()
        assert "🎬 Vidéo" in chat.text()


async def test_documents_says_when_there_are_none(tmp_path: Path, clock: ManualClock) -> None:
    data = copied_data(tmp_path)
    edit(data, "consultation.yaml", lambda raw: raw.pop("documents"))

    def remove(raw: dict[str, Any]) -> None:
        for entry in raw["sessions"]:
            entry.pop("documents", None)

    edit(data, "sessions.yaml", remove)
    async with on_data(tmp_path, clock, data) as harness:
        chat = await joined(harness)
        await chat.send("/documents")
        assert "No documents have been published" in chat.text()


# --- found by a question -------------------------------------------------------------------------

QUESTIONS = {
    "en": "Where can I find the concept note?",
    "fr": "Où est la note conceptuelle ?",
    "es": "¿Dónde puedo encontrar la nota conceptual?",
    "ar": "أين أجد المذكرة المفاهيمية؟",
}


@pytest.mark.parametrize("language", list(QUESTIONS))
def test_the_matcher_finds_the_concept_note_in_every_language(language: str) -> None:
    now = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)
    match = Matcher(geneva()).match(QUESTIONS[language], now)
    assert match.kind == DOCUMENT
    assert match.answer_id == "doc:concept-note"


@pytest.mark.parametrize(
    ("language", "title", "button"),
    [
        ("en", "Concept note", "📥 Concept note"),
        ("fr", "Note conceptuelle", "📥 Note conceptuelle"),
        ("ar", "المذكرة المفاهيمية", "📥 المذكرة المفاهيمية"),
    ],
)
async def test_a_question_about_the_concept_note_is_answered_with_it(
    harness: Harness, language: str, title: str, button: str
) -> None:
    chat = await joined(harness, language)
    await chat.send(QUESTIONS[language])
    assert title in chat.text()
    assert "/documents" in chat.text()
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert button in labels
    assert "👍" in labels
    await chat.press(button)
    assert chat.last.document is not None
    assert chat.last.document.content == CONCEPT_NOTE.read_bytes()


async def test_a_question_about_session_slides_links_them_and_their_session(
    harness: Harness,
) -> None:
    chat = await joined(harness, "fr")
    await chat.send("les diapositives de l'atelier sur la mobilité climatique")
    text = chat.text()
    assert "Diapositives : la mobilité climatique en chiffres" in text
    assert "Atelier : mobilité climatique" in text
    buttons = [b for row in chat.last.buttons() for b in row]
    assert any(b.get("url") == SLIDES_URL for b in buttons)
    assert any(b.get("callback_data") == "ag:s:climate-mobility" for b in buttons)


# --- the console chat ----------------------------------------------------------------------------


async def test_the_console_chat_shows_and_saves_documents(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    out = io.StringIO()
    await run_console(
        config,
        sample_events(),
        lang="en",
        user_id=4242,
        first_name="Console",
        consultation_id=GENEVA_ID,
        at=datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA),
        stdin=io.StringIO("/documents\n!1\n!climate\n!Slides\n/documents\n!1\n"),
        out=out,
    )
    text = out.getvalue()
    saved = tmp_path / "console-downloads" / "concept-note.pdf"
    assert f"📎 concept-note.pdf ({len(CONCEPT_NOTE.read_bytes())} bytes) saved to" in text
    assert saved.read_bytes() == CONCEPT_NOTE.read_bytes()
    assert f"(opens {SLIDES_URL})" in text
    assert text.count("📎 concept-note.pdf") == 2
    # The console's Telegram is a fake: none of its file_ids is kept for the real bot.
    with sqlite3.connect(config.database_path) as db:
        assert db.execute("SELECT COUNT(*) FROM uploaded_files").fetchone() == (0,)
