"""Sign-ups for sessions with limited seats: a seat or the waiting list from the session's card,
a freed seat going to the first waiting (told once, in their language), organisers' lists."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from telegram import Update

from bot.__main__ import main
from bot.app import running
from bot.clock import ManualClock
from bot.context import Services
from bot.fakeapi import FakeBotApi
from bot.services.data_reading import EventDataError
from bot.services.event_data import Consultation, load_event_data
from bot.services.signups import SEAT
from bot.storage import signups as signup_storage
from tests.conftest import (
    GENEVA_ID,
    ORGANISER_ID,
    ROOT,
    Chat,
    Harness,
    build_harness,
    copied_data,
    edit_sessions_file,
    make_config,
    on_data,
    started,
)

SIDE = "side-event-d1"  # 13:00 on the harness's day (now 10:15), in Room 3
AMINA, BRUNO, CARLA, DANA = 1001, 1002, 1003, 1004
NAMES = {AMINA: "Amina", BRUNO: "Bruno", CARLA: "Carla", DANA: "Dana", ORGANISER_ID: "Olga"}


def data_with_seats(tmp_path: Path, capacity: int) -> Path:
    data = copied_data(tmp_path)
    edit_sessions_file(data, SIDE, capacity=capacity, signup=True)
    return data


@pytest.fixture
async def seats(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """The sample event (a copy the test may edit and reload) with two seats at SIDE."""
    data = data_with_seats(tmp_path, 2)
    async with on_data(tmp_path, clock, data) as harness:
        yield harness


def geneva(harness: Harness) -> Consultation:
    return harness.services.events.consultations[GENEVA_ID]


async def delegate(harness: Harness, user_id: int, language: str = "en") -> Chat:
    chat = harness.chat(user_id, language, first_name=NAMES.get(user_id, f"D{user_id}"))
    await chat.send("/start")
    await chat.press(geneva(harness).name.get(language))
    return chat


async def open_card(chat: Chat, session_id: str = SIDE) -> str:
    """Open the session's card as from /agenda; its visible text."""
    chat.harness.clock.advance(seconds=2)
    await chat.send("/agenda")
    await chat.press_data(chat.last.message_id, f"ag:s:{session_id}", check=False)
    return chat.text()


def answer(harness: Harness) -> str:
    """The pop-up the last button press showed."""
    return str(harness.api.calls_to("answerCallbackQuery")[-1].params.get("text"))


async def press(chat: Chat, label: str) -> str:
    chat.harness.clock.advance(seconds=2)
    await chat.press(label)
    return answer(chat.harness)


async def sign_up(chat: Chat, label: str) -> str:
    """Open the card and press its sign-up button (labelled in the delegate's language)."""
    await open_card(chat)
    return await press(chat, label)


async def deliver(harness: Harness, rounds: int = 3) -> None:
    for _ in range(rounds):
        harness.clock.advance(seconds=2)
        await harness.services.delivery.process_due(harness.clock.now())


def seat_messages(harness: Harness, user_id: int) -> list[str]:
    """What the delegate received about a seat freed for them."""
    return [
        m.plain_text() or ""
        for m in harness.api.bot_messages(user_id)
        if m.reply_markup
        and f"ag:s:{SIDE}" in str(m.reply_markup)
        and m.text
        and "🎟" in m.text.splitlines()[0]
    ]


async def standing(harness: Harness, user_id: int) -> tuple[bool, int] | None:
    session = geneva(harness).session(SIDE)
    assert session is not None
    found = await harness.services.signups.standing(user_id, geneva(harness), session)
    return (found.seated, found.position) if found else None


# --- signing up, full, the waiting list ----------------------------------------------------------


async def test_seats_then_the_waiting_list_in_each_delegates_language(seats: Harness) -> None:
    amina = await delegate(seats, AMINA, "en")
    card = await open_card(amina)
    assert "Sign-up needed: only 2 seats left" in card
    assert await press(amina, "Sign up") == "You have a seat."
    assert "✅ You have a seat." in amina.text()
    assert "Sign-up needed: only 1 seat left" in amina.text()
    # Signing up put the session in her agenda, as ⭐ does.
    assert "Remove from my agenda" in str(amina.last.buttons())
    assert "Cancel my seat" in str(amina.last.buttons())

    bruno = await delegate(seats, BRUNO, "fr")
    assert await sign_up(bruno, "S'inscrire") == "Vous avez une place."
    assert "Complet — liste d'attente : 0" in bruno.text()

    carla = await delegate(seats, CARLA, "es")
    card = await open_card(carla)
    assert "Completo — lista de espera: 0" in card
    assert await press(carla, "Apuntarse a la lista de espera") == (
        "Ocupa el puesto 1 en la lista de espera."
    )
    dana = await delegate(seats, DANA, "ar")
    assert await sign_up(dana, "الانضمام إلى قائمة الانتظار") == "ترتيبك في قائمة الانتظار: 2."
    assert "مكتمل — قائمة الانتظار: 2" in dana.text()
    assert "مغادرة قائمة الانتظار" in str(dana.last.buttons())
    # Everyone's card says where they stand.
    assert "⏳ Ocupa el puesto 1 en la lista de espera." in await open_card(carla)
    assert "Full — waiting list: 2" in await open_card(amina)
    # A second press (a double tap, an old card) changes nothing.
    await carla.press_data(carla.last.message_id, f"su:j:{SIDE}", check=False)
    assert answer(seats) == "Ocupa el puesto 1 en la lista de espera."
    assert await standing(seats, DANA) == (False, 2)


async def test_a_cancelled_seat_goes_to_the_first_waiting_who_is_told_once(
    seats: Harness,
) -> None:
    amina = await delegate(seats, AMINA)
    await sign_up(amina, "Sign up")
    bruno = await delegate(seats, BRUNO, "fr")
    await sign_up(bruno, "S'inscrire")
    carla = await delegate(seats, CARLA, "es")
    await sign_up(carla, "Apuntarse a la lista de espera")
    dana = await delegate(seats, DANA, "ar")
    await sign_up(dana, "الانضمام إلى قائمة الانتظار")

    # Bruno gives up his seat: the bot asks first.
    await press(bruno, "Annuler ma place")
    assert bruno.text().startswith("Renoncer à votre place pour")
    assert await press(bruno, "Oui, renoncer à ma place") == "Votre place est annulée."
    assert "S'inscrire sur la liste d'attente" in str(bruno.last.buttons())

    await deliver(seats)
    (told,) = seat_messages(seats, CARLA)
    assert told.startswith("🎟 ¡Tiene una plaza!")
    assert "Se ha liberado una plaza" in told
    assert "Sala 3" in told
    assert await standing(seats, CARLA) == (True, 0)
    assert "✅ Tiene una plaza." in await open_card(carla)
    assert await standing(seats, DANA) == (False, 1)
    assert "ترتيبك في قائمة الانتظار: 1." in await open_card(dana)
    # Exactly once, however often the outbox runs; nobody else is told anything.
    await deliver(seats, rounds=5)
    assert len(seat_messages(seats, CARLA)) == 1
    assert seat_messages(seats, DANA) == seat_messages(seats, AMINA) == []
    rows = [r for r in await seats.services.delivery.store.for_user(CARLA) if r.kind == SEAT]
    assert [r.state for r in rows] == ["sent"]


async def test_leaving_the_waiting_list_needs_no_confirmation_and_moves_others_up(
    seats: Harness,
) -> None:
    for user in (AMINA, BRUNO):
        await sign_up(await delegate(seats, user), "Sign up")
    carla = await delegate(seats, CARLA)
    await sign_up(carla, "Join the waiting list")
    dana = await delegate(seats, DANA)
    await sign_up(dana, "Join the waiting list")
    assert await press(carla, "Leave the waiting list") == "You left the waiting list."
    assert "Join the waiting list" in str(carla.last.buttons())
    assert "You are number 1 on the waiting list." in await open_card(dana)
    await deliver(seats)
    assert seat_messages(seats, DANA) == []


async def test_the_seat_and_its_message_are_written_together(
    seats: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while writing the message leaves the seat where it was: after a crash, the
    seat never moves without its message, nor the message without the seat."""
    amina = await delegate(seats, AMINA)
    await sign_up(amina, "Sign up")
    for user in (BRUNO, CARLA):
        await sign_up(await delegate(seats, user), "Sign up" if user == BRUNO else "Join")
    assert await standing(seats, CARLA) == (False, 1)

    def broken(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(signup_storage, "add_rows", broken)
    with pytest.raises(OSError, match="disk full"):
        await seats.services.signups.cancel(AMINA, geneva(seats), SIDE)
    assert await standing(seats, AMINA) == (True, 0)
    assert await standing(seats, CARLA) == (False, 1)
    assert [r for r in await seats.services.delivery.store.for_user(CARLA) if r.kind == SEAT] == []


async def test_a_restart_between_the_seat_and_its_message_sends_it_once(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = data_with_seats(tmp_path, 1)
    api = FakeBotApi(clock=clock.now)

    @asynccontextmanager
    async def bot() -> AsyncIterator[Services]:
        harness = build_harness(
            make_config(tmp_path, data_dir=data), clock, load_event_data(data), api=api
        )
        async with running(harness.app):
            yield harness.services

    for user in (AMINA, CARLA):
        api.make_message(user, "/start")  # each has a chat with the bot
    async with bot() as services:
        consultation = services.events.consultations[GENEVA_ID]
        await services.people.profile(CARLA, "Carla", "fr")
        await services.people.profile(AMINA, "Amina")
        await services.signups.sign_up(AMINA, consultation, SIDE)
        await services.signups.sign_up(CARLA, consultation, SIDE)
        services.delivery.send = None  # the process dies before sending anything
        await services.signups.cancel(AMINA, consultation, SIDE)
    for _ in range(3):  # started again, and again
        async with bot() as services:
            for _ in range(3):
                clock.advance(seconds=2)
                await services.delivery.process_due(clock.now())
    told = [m.plain_text() or "" for m in api.bot_messages(CARLA)]
    assert [t for t in told if "Vous avez une place" in t] == [told[-1]]
    assert told[-1].startswith("🎟 Vous avez une place !")


# --- the last seat, wanted by many at once -------------------------------------------------------


async def test_fifty_delegates_for_ten_seats_at_once(tmp_path: Path, clock: ManualClock) -> None:
    data = data_with_seats(tmp_path, 10)
    config = make_config(tmp_path, data_dir=data)
    async with started(build_harness(config, clock, load_event_data(data))) as harness:
        services = harness.services
        consultation = geneva(harness)
        users = list(range(5000, 5050))
        for user in users:
            await services.people.profile(user, f"D{user}")
        standings = await asyncio.gather(
            *(services.signups.sign_up(user, consultation, SIDE) for user in users)
        )
        seated = [u for u, s in zip(users, standings, strict=True) if s.seated]
        waiting = [(s.position, u) for u, s in zip(users, standings, strict=True) if not s.seated]
        assert len(seated) == 10
        assert [p for p, _u in waiting] == list(range(1, 41))
        # In order of arrival: the first ten got the seats, the others wait in turn.
        assert seated == users[:10]
        assert [u for _p, u in waiting] == users[10:]
        roster = await services.signups.roster(consultation, SIDE, organiser=True)
        assert (roster.occupancy.seated, roster.occupancy.waiting) == (10, 40)


async def test_delegates_pressing_sign_up_at_once_get_exactly_the_seats_there_are(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = data_with_seats(tmp_path, 4)
    config = make_config(tmp_path, data_dir=data)
    async with started(build_harness(config, clock, load_event_data(data))) as harness:
        chats = [await delegate(harness, user) for user in range(6000, 6012)]
        for chat in chats:
            await open_card(chat)
        presses = [
            harness.api.make_callback(
                chat.user_id, chat.last.message_id, f"su:j:{SIDE}", first_name="D"
            )
            for chat in chats
        ]
        await asyncio.gather(
            *(harness.app.process_update(Update.de_json(p, harness.app.bot)) for p in presses)
        )
        told = [str(c.params.get("text")) for c in harness.api.calls_to("answerCallbackQuery")]
        told = told[-len(chats) :]
        assert told.count("You have a seat.") == 4
        places = sorted(t for t in told if t != "You have a seat.")
        wanted = sorted(f"You are number {n} on the waiting list." for n in range(1, 9))
        assert places == wanted


# --- /forget, reloads ----------------------------------------------------------------------------


async def test_forget_frees_the_seat_for_the_first_waiting(seats: Harness) -> None:
    amina = await delegate(seats, AMINA)
    await sign_up(amina, "Sign up")
    await sign_up(await delegate(seats, BRUNO), "Sign up")
    carla = await delegate(seats, CARLA, "fr")
    await sign_up(carla, "S'inscrire sur la liste d'attente")
    await amina.send("/forget")
    await amina.press("Yes, delete my data")
    assert await standing(seats, AMINA) is None
    assert await standing(seats, CARLA) == (True, 0)
    await deliver(seats)
    (told,) = seat_messages(seats, CARLA)
    assert told.startswith("🎟 Vous avez une place !")
    roster = await seats.services.signups.roster(geneva(seats), SIDE, organiser=True)
    assert [e.name for e in roster.seated] == ["Bruno", "Carla"]


async def test_a_larger_capacity_seats_the_first_waiting_at_reload(seats: Harness) -> None:
    for user in (AMINA, BRUNO):
        await sign_up(await delegate(seats, user), "Sign up")
    carla = await delegate(seats, CARLA, "ar")
    await sign_up(carla, "الانضمام إلى قائمة الانتظار")
    dana = await delegate(seats, DANA)
    await sign_up(dana, "Join the waiting list")
    edit_sessions_file(seats.services.config.data_dir, SIDE, capacity=3)
    organiser = await delegate(seats, ORGANISER_ID)
    await organiser.send("/reload")
    assert "Programme reloaded." in organiser.text()
    assert await standing(seats, CARLA) == (True, 0)
    assert await standing(seats, DANA) == (False, 1)
    await deliver(seats)
    (told,) = seat_messages(seats, CARLA)
    assert told.startswith("🎟 لديك مقعد!")
    assert seat_messages(seats, DANA) == []
    assert "Full — waiting list: 1" in await open_card(dana)


async def test_a_session_removed_at_reload_keeps_no_sign_ups(seats: Harness) -> None:
    amina = await delegate(seats, AMINA)
    await sign_up(amina, "Sign up")
    edit_sessions_file(seats.services.config.data_dir, SIDE, remove=True)
    organiser = await delegate(seats, ORGANISER_ID)
    await organiser.send("/reload")
    assert "Programme reloaded." in organiser.text()
    async with seats.services.db.connection.execute("SELECT COUNT(*) FROM signups") as cursor:
        assert (await cursor.fetchone())[0] == 0
    # She starred it when she signed up, so she hears it was cancelled.
    await deliver(seats)
    assert any("Cancelled (was" in (m.plain_text() or "") for m in amina.messages)
    # Its old card's buttons answer that it is gone.
    await amina.press_data(amina.last.message_id, f"su:c:{SIDE}", check=False)
    assert answer(seats) == "This session is no longer in the programme."


async def test_sign_ups_close_when_the_session_starts(seats: Harness) -> None:
    amina = await delegate(seats, AMINA)
    await sign_up(amina, "Sign up")
    session = geneva(seats).session(SIDE)
    assert session is not None
    seats.clock.set(session.start)
    card = await open_card(amina)
    assert "Sign-ups are closed: the session has started." in card
    assert "Cancel my seat" not in str(amina.last.buttons())
    await amina.press_data(amina.last.message_id, f"su:y:{SIDE}", check=False)
    assert answer(seats) == "Sign-ups are closed: the session has started."
    assert await standing(seats, AMINA) == (True, 0)


# --- organisers ----------------------------------------------------------------------------------


async def full_session(harness: Harness) -> dict[int, Chat]:
    """Amina and Bruno have the two seats; Carla waits."""
    chats = {}
    for user, label in ((AMINA, "Sign up"), (BRUNO, "Sign up"), (CARLA, "Join the waiting list")):
        chats[user] = await delegate(harness, user)
        await sign_up(chats[user], label)
    return chats


async def test_organisers_see_the_list_and_export_it_in_their_language(seats: Harness) -> None:
    await full_session(seats)
    organiser = await delegate(seats, ORGANISER_ID)
    await organiser.send("/signups")
    overview = organiser.text()
    assert "Sessions with sign-ups" in overview
    assert "2 of 2 seats taken · waiting list: 1" in overview
    await press(organiser, "Side event: Who funds")
    listing = organiser.text()
    assert "2 of 2 seats taken · waiting list: 1" in listing
    seats_part, waiting_part = listing.split("Waiting list")
    assert "1. Amina" in seats_part
    assert "2. Bruno" in seats_part
    assert "1. Carla" in waiting_part

    await press(organiser, "Export CSV")
    document = organiser.last.document
    assert document is not None
    assert document.filename.startswith(f"{GENEVA_ID}-signups-{SIDE}-")
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0] == ["Status", "Number", "Name", "Signed up at (Europe/Zurich)"]
    assert [r[:3] for r in rows[1:]] == [
        ["Seat", "1", "Amina"],
        ["Seat", "2", "Bruno"],
        ["Waiting list", "1", "Carla"],
    ]

    # In French: the list by its id, and the spreadsheet's headers.
    await seats.services.people.set_language(ORGANISER_ID, "fr")
    organiser.language_code = "fr"
    await organiser.send(f"/signups {SIDE}")
    assert "Places occupées : 2 sur 2 · liste d'attente : 1" in organiser.text()
    await press(organiser, "Exporter en XLSX")
    document = organiser.last.document
    assert document is not None
    sheet = load_workbook(io.BytesIO(document.content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Statut", "Numéro", "Nom", "Date d'inscription (Europe/Zurich)"]
    assert [v[:3] for v in values[1:]] == [
        ["Place", 1, "Amina"],
        ["Place", 2, "Bruno"],
        ["Liste d'attente", 1, "Carla"],
    ]
    # The card shows organisers the way to the list.
    assert (
        "Liste des inscriptions" in (await open_card(organiser), str(organiser.last.buttons()))[1]
    )


async def test_an_unknown_session_shows_the_sessions_with_sign_ups(seats: Harness) -> None:
    organiser = await delegate(seats, ORGANISER_ID)
    await organiser.send("/signups opening")
    text = organiser.text()
    assert "No session with sign-ups has the id opening." in text
    assert "Sessions with sign-ups" in text
    assert f"su:l:{SIDE}" in organiser.last.callback_data()


async def test_delegates_cannot_reach_the_list_even_with_forged_buttons(seats: Harness) -> None:
    carla = (await full_session(seats))[CARLA]
    card = await open_card(carla)
    assert "Sign-up list" not in str(carla.last.buttons())
    assert "Amina" not in card
    await carla.send("/signups")
    assert carla.text() == "Sorry, sign-up lists are only for the organisers."
    await carla.send(f"/signups {SIDE}")
    assert carla.text() == "Sorry, sign-up lists are only for the organisers."
    for forged in (f"su:l:{SIDE}", f"su:x:{SIDE}:csv", f"su:x:{SIDE}:xlsx", "su:o"):
        seats.clock.advance(seconds=3)
        await carla.press_data(carla.last.message_id, forged, check=False)
        assert answer(seats) == "Sorry, sign-up lists are only for the organisers."
    assert not any(m.document for m in carla.messages)
    assert all("Amina" not in (m.plain_text() or "") for m in carla.messages)


def test_the_command_line_writes_the_list(
    tmp_path: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = data_with_seats(tmp_path, 1)

    async def sign_ups() -> None:
        harness = build_harness(make_config(tmp_path, data_dir=data), clock, load_event_data(data))
        async with running(harness.app):
            consultation = harness.services.events.consultations[GENEVA_ID]
            for user, name in ((AMINA, "=Amina"), (BRUNO, "Bruno")):
                await harness.services.people.profile(user, name)
                await harness.services.signups.sign_up(user, consultation, SIDE)

    asyncio.run(sign_ups())
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    out = tmp_path / "list.csv"
    assert main(["signups", SIDE, "--format", "csv", "--out", str(out), "--lang", "es"]) == 0
    assert "2 sign-ups written" in capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Estado", "Número", "Nombre", "Fecha de inscripción (Europe/Zurich)"]
    # A name cannot run as a formula in a spreadsheet.
    assert [r[:3] for r in rows[1:]] == [
        ["Plaza", "1", "'=Amina"],
        ["Lista de espera", "1", "Bruno"],
    ]
    assert main(["signups", "opening", "--format", "csv"]) == 2


# --- the data ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"signup": True}, "'signup: true' needs a 'capacity'"),
        ({"signup": True, "capacity": None}, "'signup: true' needs a 'capacity'"),
        ({"capacity": 0}, "'capacity' must be a whole number of seats from 1 to 100,000"),
        ({"capacity": -3}, "'capacity' must be a whole number of seats"),
        ({"capacity": "forty"}, "'capacity' must be a whole number of seats"),
        ({"capacity": 2.5}, "'capacity' must be a whole number of seats"),
        ({"capacity": True}, "'capacity' must be a whole number of seats"),
        ({"signup": "maybe", "capacity": 10}, "'signup' must be true or false"),
    ],
)
def test_sign_up_fields_are_checked_with_their_file_line_and_place(
    tmp_path: Path, changes: dict[str, Any], problem: str
) -> None:
    data = copied_data(tmp_path)
    edit_sessions_file(data, "localization-funding", **changes)
    with pytest.raises(EventDataError) as raised:
        load_event_data(data)
    (found,) = raised.value.problems
    assert problem in found.message
    assert found.file.name == "sessions.yaml"
    assert found.place.endswith("id=localization-funding")
    assert found.line is not None
    line = (
        (data / GENEVA_ID / "sessions.yaml")
        .read_text(encoding="utf-8")
        .splitlines()[found.line - 1]
    )
    key = "signup" if "signup" in problem.split("'")[1] else "capacity"
    assert line.strip().startswith(f"{key}:")


def test_the_sample_side_event_takes_sign_ups() -> None:
    session = load_event_data(ROOT / "data").consultations[GENEVA_ID].session(SIDE)
    assert session is not None
    assert (session.signup, session.capacity) == (True, 60)
