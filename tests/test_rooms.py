"""Rooms as data (issue 17): rooms.yaml checked with the nearest room suggested, a room's card
asked in words in four languages, its map uploaded once then sent by file_id, room names in the
reader's language (/now, change notices, the calendar file), and imports that write rooms.yaml."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from bot.__main__ import main
from bot.clock import ManualClock
from bot.fakeapi import FakeBotApi
from bot.fakeapi.server import Upload
from bot.services.data_reading import EventDataError
from bot.services.event_data import Channel, load_event_data
from bot.services.importing import apply_import, describe, plan_import
from bot.services.matcher import ROOM, SESSIONS, Matcher
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    ROOT,
    Harness,
    build_harness,
    edit_sessions_file,
    joined,
    make_config,
    sample_events,
    started,
)
from tests.import_support import PRETALX, make_consultation
from tests.test_event_data import write

NOW = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)  # the opening plenary is on

ROOMS = """\
rooms:
  - id: main-hall
    name: {en: Main Hall, fr: Grande salle}
    capacity: 300
    interpretation: {1: en, 2: fr}
  - id: room-1
    name: {en: Room 1, fr: Salle 1}
    location: {en: Level 1, fr: Niveau 1}
    interpretation: [en, fr]
"""

ONE_SESSION = """\
sessions:
  - id: opening
    title: {en: Opening}
    start: 2026-12-08T09:00
    end: 2026-12-08T10:00
    room: ROOM
"""


def naming(room: str) -> str:
    """sessions.yaml with one session in `room`."""
    return ONE_SESSION.replace("ROOM", room)


# --- The data: rooms.yaml and the sessions naming its rooms -----------------------------------


def test_sessions_name_a_room_by_id_and_get_its_name_in_every_language(tmp_path: Path) -> None:
    write(tmp_path, rooms_yaml=ROOMS, sessions_yaml=naming("room-1"))
    consultation = load_event_data(tmp_path).consultations["test-2026"]
    opening = consultation.session("opening")
    assert opening is not None
    assert opening.room_id == "room-1"
    assert opening.room is not None
    assert (opening.room.get("en"), opening.room.get("fr")) == ("Room 1", "Salle 1")
    hall = consultation.room("main-hall")
    assert hall is not None
    assert hall.capacity == 300
    assert hall.interpretation == (Channel("en", "1"), Channel("fr", "2"))
    assert consultation.room("nowhere") is None


def test_without_rooms_yaml_a_room_is_text_as_before(tmp_path: Path) -> None:
    write(tmp_path)  # sessions.yaml says `room: Main Hall`
    consultation = load_event_data(tmp_path).consultations["test-2026"]
    opening = consultation.session("opening")
    assert opening is not None
    assert opening.room is not None
    assert opening.room.get("fr") == "Main Hall"
    assert (opening.room_id, consultation.rooms) == (None, ())


@pytest.mark.parametrize(
    ("named", "suggested"),
    [
        ("rom-1", "room-1"),  # a typo
        ("Rom 1", "room-1"),
        ("Grande salle", "main-hall"),  # its name (in any language) instead of its id
    ],
)
def test_check_refuses_an_unknown_room_and_suggests_the_nearest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], named: str, suggested: str
) -> None:
    write(tmp_path, rooms_yaml=ROOMS, sessions_yaml=naming(f"'{named}'"))
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert (
        f"sessions.yaml:6 [sessions #1 id=opening]: room '{named}' is not in rooms.yaml; "
        f"did you mean '{suggested}'?"
    ) in err


def test_a_room_nothing_like_any_other_lists_the_rooms_there_are(tmp_path: Path) -> None:
    write(tmp_path, rooms_yaml=ROOMS, sessions_yaml=naming("terrace"))
    with pytest.raises(EventDataError) as caught:
        load_event_data(tmp_path)
    (problem,) = caught.value.problems
    assert "room 'terrace' is not in rooms.yaml (its rooms: main-hall, room-1)" in str(problem)


def test_with_rooms_yaml_a_room_in_text_per_language_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        rooms_yaml=ROOMS,
        sessions_yaml=naming("{en: Room 1, fr: Salle 1}"),
    )
    with pytest.raises(EventDataError) as caught:
        load_event_data(tmp_path)
    assert "'room' must be the id of a room in rooms.yaml, such as 'main-hall'" in str(
        caught.value
    )


def _map_problem(tmp_path: Path, value: str) -> str:
    rooms = ROOMS + f"    map: {value}\n"
    write(tmp_path, rooms_yaml=rooms, sessions_yaml=naming("room-1"))
    with pytest.raises(EventDataError) as caught:
        load_event_data(tmp_path)
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        f"{tmp_path / 'test-2026' / 'rooms.yaml'}:10 [rooms #2 id=room-1]"
    )
    return str(problem)


def test_a_rooms_map_must_be_there(tmp_path: Path) -> None:
    assert "'map': there is no file maps/room-1.png in test-2026/" in _map_problem(
        tmp_path, "maps/room-1.png"
    )


def test_a_rooms_map_must_be_a_jpeg_or_png_image(tmp_path: Path) -> None:
    (tmp_path / "test-2026").mkdir()
    (tmp_path / "test-2026" / "plan.png").write_text("not a picture", encoding="utf-8")
    assert "'map': plan.png is not a JPEG or PNG image" in _map_problem(tmp_path, "plan.png")


def test_a_rooms_map_must_be_small_enough_for_a_telegram_photo(tmp_path: Path) -> None:
    (tmp_path / "test-2026").mkdir()
    with (tmp_path / "test-2026" / "plan.png").open("wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(11 * 1024 * 1024)  # sparse: nothing written to disk
    problem = _map_problem(tmp_path, "plan.png")
    assert "'map': plan.png is 11.0 MB; it must hold from 1 byte to 10 MB" in problem


def test_a_rooms_map_must_be_in_the_consultations_directory(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    problem = _map_problem(tmp_path, "../secret.png")
    assert (
        "'map' must name a file inside test-2026/ (no '..', no absolute path), not '../secret.png'"
        in problem
    )


def test_the_sample_consultations_have_their_rooms_as_data() -> None:
    for consultation in sample_events().consultations.values():
        assert consultation.rooms
        for session in consultation.sessions:
            assert consultation.room(session.room_id) is not None, session.id
        for room in consultation.rooms:
            for text in (room.name, room.location, room.directions, room.accessibility):
                assert text is not None
                assert set(text.values) == {"en", "fr", "es", "ar"}, room.id
    room_2 = sample_events().consultations[GENEVA_ID].room("room-2")
    assert room_2 is not None
    assert room_2.map is not None
    assert room_2.map.mime_type == "image/png"
    assert room_2.map.path.stat().st_size < 60_000


# --- The matcher: "where is room 2" is a room's card -----------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "where is Room 2?",
        "how do I get to room 2",
        "où est la salle 2 ?",
        "où se trouve la salle 2",
        "¿dónde está la sala 2?",
        "¿cómo llego a la sala 2?",
        "أين القاعة 2؟",
        "وين القاعة 2",
    ],
)
def test_where_a_room_is_asks_for_its_card(question: str) -> None:
    found = Matcher(sample_events().consultations[GENEVA_ID]).match(question, NOW)
    assert (found.kind, found.room_id, found.answer_id) == (ROOM, "room-2", "room:room-2")


@pytest.mark.parametrize(
    ("question", "room"),
    [
        ("where is the main hall", "main-hall"),
        ("comment aller à la grande salle", "main-hall"),
        ("where is the foyer", "main-hall-foyer"),
    ],
)
def test_the_room_whose_name_fits_best_is_shown(question: str, room: str) -> None:
    found = Matcher(sample_events().consultations[GENEVA_ID]).match(question, NOW)
    assert (found.kind, found.room_id) == (ROOM, room)


@pytest.mark.parametrize(
    "question",
    [
        "is there wifi in room 2?",  # about something in the room
        "where is room 1 and room 2",  # two rooms
        "what is on now in room 2",  # the programme
        "what is in room 2 after lunch",
    ],
)
def test_other_questions_naming_a_room_are_no_room_card(question: str) -> None:
    found = Matcher(sample_events().consultations[GENEVA_ID]).match(question, NOW)
    assert found.kind != ROOM


def test_without_rooms_yaml_where_a_room_is_gets_its_sessions() -> None:
    geneva = sample_events().consultations[GENEVA_ID]
    # The sample programme as it was before rooms.yaml: room names as text in each session.
    before = replace(
        geneva, rooms=(), sessions=tuple(replace(s, room_id=None) for s in geneva.sessions)
    )
    found = Matcher(before).match("where is room 2 located?", NOW)
    assert found.kind == SESSIONS
    assert "internal-displacement" in [s.id for s in found.sessions]


# --- In the chat: the room's card, its map, its sessions --------------------------------------

CARDS = {
    # language: the question, then what the card says in that language
    "en": (
        "where is Room 2?",
        ["Room 2", "CICG, level 1 (first floor)", "Take the lifts or the stairs", "Accessibility"],
    ),
    "fr": (
        "où est la salle 2 ?",
        ["Salle 2", "CICG, niveau 1 (1er étage)", "Prenez les ascenseurs", "Accessibilité"],
    ),
    "es": (
        "¿dónde está la sala 2?",
        ["Sala 2", "CICG, nivel 1 (primera planta)", "Suba al nivel 1", "Accesibilidad"],
    ),
    "ar": (
        "أين القاعة 2؟",
        ["القاعة 2", "مركز CICG، المستوى 1", "اصعد إلى المستوى 1", "إمكانية الوصول"],
    ),
}
# What is on in Room 2 next (at 10:15 on the first day): its afternoon workshop.
WORKSHOP = {
    "en": "Workshop: internal displacement and durable solutions",
    "fr": "Atelier : déplacements internes et solutions durables",
    "es": "Taller: desplazamiento interno y soluciones duraderas",
    "ar": "ورشة عمل: النزوح الداخلي والحلول الدائمة",
}


@pytest.mark.parametrize("language", ["en", "fr", "es", "ar"])
async def test_where_is_room_2_gets_its_map_and_card_in_the_readers_language(
    harness: Harness, language: str
) -> None:
    chat = await joined(harness, language)
    question, expected = CARDS[language]
    await chat.send(question)
    photo, card = chat.messages[-2:]
    assert photo.kind == "photo"
    assert photo.photo is not None
    assert photo.photo.content == (ROOT / "data/geneva-2026/room-2.png").read_bytes()
    text = card.plain_text() or ""
    for part in expected:
        assert part in text
    assert WORKSHOP[language] in text
    assert "👍" in str(card.buttons())  # an answer like any other: it can be voted on


def _photo_calls(harness: Harness) -> list[Upload | str]:
    return [c.params["photo"] for c in harness.api.calls_to("sendPhoto") if c.ok]


async def test_the_map_is_uploaded_once_then_sent_by_file_id_even_after_a_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    api = FakeBotApi(clock=clock.now)
    config = make_config(tmp_path)
    async with started(build_harness(config, clock, api=api)) as harness:
        english = await joined(harness, "en", 1001)
        await english.send("where is room 2")
        (upload,) = _photo_calls(harness)
        assert isinstance(upload, Upload)
        file_id = english.messages[-2].photo.file_id  # type: ignore[union-attr]
        french = await joined(harness, "fr", 1002)
        await french.send("où se trouve la salle 2 ?")
        assert _photo_calls(harness)[1:] == [file_id]
        assert "🗺 Salle 2" in (french.messages[-2].plain_text() or "")
    calls = len(api.calls_to("sendPhoto"))
    async with started(build_harness(config, clock, api=api)) as harness:
        spanish = await joined(harness, "es", 1003)
        await spanish.send("¿dónde está la sala 2?")
        assert _photo_calls(harness)[calls:] == [file_id]


async def test_a_file_id_telegram_refuses_is_forgotten_and_the_map_uploaded_again(
    harness: Harness,
) -> None:
    chat = await joined(harness, "fr")
    await chat.send("où est la salle 2 ?")
    harness.api.files.clear()  # Telegram no longer knows the file (another bot token, say)
    await chat.send("où est la salle 2 ?")
    refused = [c for c in harness.api.calls if not c.ok]
    assert [c.method for c in refused] == ["sendPhoto"]
    harness.api.calls.remove(refused[0])  # expected: the harness checks no other was refused
    assert chat.messages[-2].kind == "photo"
    assert isinstance(_photo_calls(harness)[-1], Upload)
    await chat.send("où est la salle 2 ?")
    assert _photo_calls(harness)[-1] == chat.messages[-4].photo.file_id  # type: ignore[union-attr]


async def test_rooms_lists_the_rooms_each_a_button_to_its_card_and_sessions(
    harness: Harness,
) -> None:
    chat = await joined(harness, "es")
    await chat.send("/rooms")
    names = [b["text"] for row in chat.last.buttons() for b in row]
    assert names == [
        "Sala principal",
        "Vestíbulo de la Sala principal",
        "Restaurante (planta baja)",
        "Sala 1",
        "Sala 2",
        "Sala 3",
    ]
    await chat.press("Sala 3")  # no map: the card alone
    assert "Sala 3" in chat.text()
    assert "CICG, nivel 2 (segunda planta)" in chat.text()
    assert "Interpretación: inglés, francés y español" in chat.text()
    await chat.press("Sesiones en esta sala")
    text = chat.text()
    assert "Sesiones en Sala 3" in text
    for session in ("side-event-d1", "climate-mobility", "regional-dialogues", "side-event-d2"):
        found = sample_events().consultations[GENEVA_ID].session(session)
        assert found is not None
        assert found.title.get("es") in text
    await chat.press("Sala 3")  # back to the card, in place
    assert "Cómo llegar" in chat.text()


async def test_a_room_card_gives_its_seats_and_interpretation_channels(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    await chat.send("/rooms")
    await chat.press("Grande salle")
    text = chat.text()
    assert "700 places" in text
    assert (
        "Interprétation : anglais (canal 1), français (canal 2), espagnol (canal 3) et "
        "arabe (canal 4)"
    ) in text
    assert "Séance plénière d'ouverture" in text  # on now, 10:15


async def test_a_session_card_opens_its_rooms_card(harness: Harness) -> None:
    chat = await joined(harness, "ar")
    await chat.send("/agenda")
    await chat.press_data(chat.last.message_id, "ag:s:internal-displacement", check=False)
    await chat.press("كيفية الوصول: القاعة 2")
    assert chat.messages[-2].kind == "photo"
    assert "اصعد إلى المستوى 1" in chat.text()


# --- Room names in the reader's language -------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "name"),
    [("fr", "Grande salle"), ("es", "Sala principal"), ("ar", "القاعة الرئيسية")],
)
async def test_now_names_the_room_in_the_readers_language(
    harness: Harness, language: str, name: str
) -> None:
    chat = await joined(harness, language)
    await chat.send("/now")
    assert name in chat.text()
    assert "main-hall" not in chat.text()


@pytest.mark.parametrize(
    ("language", "question", "title"),
    [
        ("fr", "qu'est-ce qui se passe maintenant dans la salle 1 ?", "En ce moment : Salle 1"),
        ("es", "¿qué hay ahora en la sala 1?", "Ahora en Sala 1"),
        ("ar", "شو في الآن بالقاعة 1؟", "الآن في القاعة 1"),
    ],
)
async def test_nothing_on_now_in_a_room_names_it_in_the_readers_language(
    harness: Harness, language: str, question: str, title: str
) -> None:
    chat = await joined(harness, language)
    await chat.send(question)  # 10:15: nothing is on in Room 1 until 14:00
    text = chat.text().replace("\u2068", "").replace("\u2069", "")  # bidi isolation marks
    assert text.startswith(title)
    assert "Room 1" not in text


def _edit(data: Path, name: str, edit: str, into: str) -> None:
    path = data / GENEVA_ID / name
    text = path.read_text(encoding="utf-8")
    assert edit in text
    path.write_text(text.replace(edit, into, 1), encoding="utf-8")


async def _star(chat_harness: Harness, language: str, user_id: int, session_id: str) -> None:
    chat = await joined(chat_harness, language, user_id)
    await chat.send("/agenda")
    await chat.press_data(chat.last.message_id, f"ag:s:{session_id}", check=False)
    await chat.press("⭐")


async def test_a_change_notice_names_both_rooms_in_the_readers_language(
    editable: Harness,
) -> None:
    harness = editable
    await _star(harness, "es", 1001, "principles-partnership")
    await _star(harness, "ar", 1002, "principles-partnership")
    edit_sessions_file(harness.services.config.data_dir, "principles-partnership", room="room-2")
    result = await harness.services.reloader.reload("test")
    assert result.ok
    harness.clock.advance(seconds=1)
    await harness.services.delivery.process_due(harness.clock.now())
    spanish = harness.api.last_bot_message(1001).plain_text() or ""
    arabic = harness.api.last_bot_message(1002).plain_text() or ""
    arabic = arabic.replace("\u2068", "").replace("\u2069", "")  # bidi isolation marks
    assert "Sala: Sala principal → Sala 2" in spanish
    assert "القاعة: القاعة الرئيسية ← القاعة 2" in arabic


async def test_renaming_a_room_moves_no_session_and_shows_its_new_name(
    editable: Harness,
) -> None:
    harness = editable
    await _star(harness, "fr", 1001, "internal-displacement")
    _edit(
        harness.services.config.data_dir,
        "rooms.yaml",
        "name: {en: Room 2, fr: Salle 2,",
        "name: {en: Room 2, fr: Salle 2 (côté parc),",
    )
    result = await harness.services.reloader.reload("test")
    assert result.ok
    assert [c for r in result.changed for c in r.changes] == []  # nobody is told of a change
    chat = await joined(harness, "fr", 1002)
    await chat.send("/agenda")
    assert "Salle 2 (côté parc)" in chat.text()


async def test_the_calendar_file_places_a_session_in_its_room_and_floor(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    await chat.send("/agenda")
    await chat.press_data(chat.last.message_id, "ag:s:internal-displacement", check=False)
    await chat.press("⭐")
    await chat.send("/calendar")
    ics = chat.last.document.content.decode()  # type: ignore[union-attr]
    unfolded = ics.replace("\r\n ", "")
    assert (
        "LOCATION:Salle 2\\, CICG\\, niveau 1 (1er étage)\\, Centre International de "
        "Conférences Genève (CICG)"
    ) in unfolded


# --- Imports write rooms.yaml ----------------------------------------------------------------


def test_an_import_writes_the_exports_rooms_and_sessions_name_them(tmp_path: Path) -> None:
    make_consultation(tmp_path, "democon", "Europe/Berlin", date(2020, 12, 14), date(2020, 12, 16))
    plan = plan_import(tmp_path, "democon", PRETALX)
    assert "2 new rooms (rooms.yaml): gray-room (Gray Room), tan-room (Tan Room)" in describe(
        plan, dry_run=True
    )
    apply_import(plan)
    rooms = yaml.safe_load((tmp_path / "democon" / "rooms.yaml").read_text(encoding="utf-8"))
    assert rooms == {
        "rooms": [{"id": "gray-room", "name": "Gray Room"}, {"id": "tan-room", "name": "Tan Room"}]
    }
    sessions = yaml.safe_load((tmp_path / "democon" / "sessions.yaml").read_text("utf-8"))
    assert {s["room"] for s in sessions["sessions"]} == {"gray-room", "tan-room"}
    consultation = load_event_data(tmp_path).consultations["democon"]
    assert [r.id for r in consultation.rooms] == ["gray-room", "tan-room"]
    assert all(s.room_id in ("gray-room", "tan-room") for s in consultation.sessions)
    assert plan_import(tmp_path, "democon", PRETALX).is_noop  # imported again: nothing to do


def test_an_import_keeps_the_rooms_organisers_wrote_and_adds_the_new_ones(tmp_path: Path) -> None:
    directory = make_consultation(
        tmp_path, "democon", "Europe/Berlin", date(2020, 12, 14), date(2020, 12, 16)
    )
    written = (
        "# Our rooms; this comment must survive an import.\n"
        "rooms:\n"
        "  - id: grey\n"
        "    name: {en: gray room, fr: Salle grise}\n"
        '    directions: {en: "Second floor, on the left."}\n'
    )
    (directory / "rooms.yaml").write_text(written, encoding="utf-8")
    apply_import(plan_import(tmp_path, "democon", PRETALX))
    text = (directory / "rooms.yaml").read_text(encoding="utf-8")
    assert text.startswith(written)  # untouched, comment and all; the new room after it
    consultation = load_event_data(tmp_path).consultations["democon"]
    assert [r.id for r in consultation.rooms] == ["grey", "tan-room"]
    gray = [s for s in consultation.sessions if s.room_id == "grey"]
    assert gray
    assert gray[0].room is not None
    assert gray[0].room.get("fr") == "Salle grise"


def test_a_spreadsheets_room_translations_and_clashing_names_make_distinct_rooms(
    tmp_path: Path,
) -> None:
    make_consultation(tmp_path, "sheet", "Europe/Zurich", date(2026, 12, 8), date(2026, 12, 9))
    path = tmp_path / "programme.csv"
    rows = [
        ("a", "2026-12-08", "09:00", "10:00", "Opening", "Room 1", "Salle 1"),
        ("b", "2026-12-08", "10:00", "11:00", "Panel", "Room-1", ""),
        ("c", "2026-12-08", "11:00", "12:00", "Talk", "room 1", ""),
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("id", "day", "start", "end", "title", "room", "room_fr"))
        writer.writerows(rows)
    apply_import(plan_import(tmp_path, "sheet", path))
    consultation = load_event_data(tmp_path).consultations["sheet"]
    rooms = {r.id: r for r in consultation.rooms}
    assert list(rooms) == ["room-1", "room-1-2"]
    assert rooms["room-1"].name.get("fr") == "Salle 1"
    by_session = {s.id: s.room_id for s in consultation.sessions}
    # "room 1" is Room 1 by its name (case aside), "Room-1" another room with the same slug.
    assert by_session == {"a": "room-1", "b": "room-1-2", "c": "room-1"}
