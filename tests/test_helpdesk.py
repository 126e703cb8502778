"""Free-text questions answered from the organisers' text, and the helpdesk group behind them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.services.matcher import FAQ, GREETING, NONE, SESSIONS, THANKS_KIND, Matcher, words
from bot.storage.database import Database
from bot.storage.helpdesk import HelpdeskStore
from tests.conftest import (
    GENEVA,
    ORGANISER_ID,
    Chat,
    Harness,
    build_harness,
    make_config,
    sample_events,
    started,
)

HELPDESK = -1001234567
GENEVA_ID = "geneva-2026"
NOW = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)


def matcher() -> Matcher:
    return Matcher(sample_events().consultations[GENEVA_ID])


# --- The matcher, without Telegram --------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("where is lunch?", "lunch-location"),
        ("mot de passe wifi", "wifi-password"),
        ("¿a qué hora empieza la plenaria?", "plenary-start-time"),
        ("أين مكتب التسجيل؟", "registration-desk"),
        ("wats the wifi pasword", "wifi-password"),  # typos
        ("ou est le dejeuner", "lunch-location"),  # no accents
        ("where is le déjeuner", "lunch-location"),  # mixed languages
        ("ضاعت شارتي", "badge-lost"),  # colloquial Arabic
    ],
)
def test_questions_in_any_language_find_the_organisers_entry(question: str, expected: str) -> None:
    match = matcher().match(question, NOW)
    assert match.kind == FAQ
    assert match.answer_id == expected


def test_the_answer_is_the_organisers_text_in_the_delegates_language() -> None:
    match = matcher().match("wifi password?", NOW)
    entry = next(
        e for e in sample_events().consultations[GENEVA_ID].faq if e.id == "wifi-password"
    )
    assert match.text("ar") == entry.answer.get("ar")
    assert match.text("fr") == entry.answer.get("fr")


@pytest.mark.parametrize(
    "question",
    ["what's the capital of australia", "tell me a joke", "me puedes escribir un poema"],
)
def test_out_of_scope_questions_are_refused(question: str) -> None:
    match = matcher().match(question, NOW)
    assert match.kind == NONE
    assert match.answer_id is None


def test_greetings_and_thanks_are_not_answered_from_the_faq() -> None:
    assert matcher().match("Bonjour !", NOW).kind == GREETING
    assert matcher().match("شكرا جزيلا", NOW).kind == THANKS_KIND
    assert matcher().match("hello, where is lunch?", NOW).kind == FAQ


def test_arabic_normalisation_unifies_letter_forms_diacritics_and_tatweel() -> None:
    assert words("أَيْنَ الغـــداء") == words("اين الغداء")
    assert words("إستراحة") == words("استراحة")
    assert words("Où est l'ÉTAGE") == ["ou", "est", "l", "etage"]


def test_sessions_by_topic_speaker_and_room_now() -> None:
    found = matcher().match("when is the session on localization", NOW)
    assert found.kind == SESSIONS
    assert found.sessions[0].id == "localization-funding"
    speaker = matcher().match("who speaks at the opening?", NOW)
    assert speaker.sessions[0].id == "opening"
    later = NOW.replace(hour=14, minute=30)
    room = matcher().match("what is on in Room 2 now?", later)
    assert [s.id for s in room.sessions] == ["internal-displacement"]
    assert room.when == "now"


# --- Delegates in the chat ----------------------------------------------------------------


@pytest.fixture
async def desk(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """The application with a helpdesk group configured."""
    harness = build_harness(make_config(tmp_path, helpdesk_chat_id=HELPDESK), clock)
    harness.api.add_chat(HELPDESK, type="supergroup", title="Organisers")
    async with started(harness):
        yield harness


async def joined(harness: Harness, language_code: str = "en", user_id: int = 1001) -> Chat:
    chat = harness.chat(user_id, language_code, first_name="Amina")
    await chat.send("/start")
    await chat.press(sample_events().consultations[GENEVA_ID].name.get(language_code))
    return chat


def group_messages(harness: Harness) -> list[str]:
    return [m.plain_text() or "" for m in harness.api.bot_messages(HELPDESK)]


async def organiser_says(
    harness: Harness, text: str, reply_to: int | None = None
) -> dict[str, Any]:
    data = harness.api.make_message(
        ORGANISER_ID,
        text,
        chat_id=HELPDESK,
        chat_type="supergroup",
        reply_to_message_id=reply_to,
        first_name="Olga",
    )
    await harness.feed(data)
    return data


async def test_free_text_is_answered_with_votes_stored(desk: Harness) -> None:
    chat = await joined(desk)
    await chat.send("where can i eat at noon?")
    assert "free buffet" in chat.text()
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert "👍" in labels
    assert "👎" in labels
    await chat.press("👎")
    assert "ask the organisers" in chat.text().lower()
    gaps = await HelpdeskStore(desk.services.db.connection).downvoted(GENEVA_ID, 10)
    assert [(g.question, g.answer_id) for g in gaps] == [
        ("where can i eat at noon?", "lunch-location")
    ]


async def test_answer_comes_in_the_delegates_language_whatever_the_question_language(
    desk: Harness,
) -> None:
    chat = await joined(desk, "fr")
    await chat.send("what is the wifi password?")
    assert "Connectez-vous au réseau" in chat.text()
    await chat.send("quelle est la capitale du canada")
    assert "Je ne suis pas sûr de connaître la réponse" in chat.text()
    assert any(
        "Demander aux organisateurs" in b["text"] for row in chat.last.buttons() for b in row
    )


async def test_session_questions_get_session_cards(desk: Harness) -> None:
    chat = await joined(desk)
    await chat.send("who speaks at the opening?")
    assert "Ingrid Solberg" in chat.text()
    assert "Opening plenary" in chat.text()


async def test_unknown_question_goes_to_the_helpdesk_and_the_reply_comes_back(
    desk: Harness,
) -> None:
    chat = await joined(desk)
    await chat.send("can i bring my dog to the venue")
    assert "rather not guess" in chat.text()
    await chat.press("Ask the organisers")
    await chat.press("Stay anonymous")
    assert "ticket #1" in chat.text()
    posted = desk.api.bot_messages(HELPDESK)
    assert len(posted) == 1
    ticket_text = posted[0].plain_text() or ""
    assert "can i bring my dog" in ticket_text
    assert "English" in ticket_text
    assert "Amina" not in ticket_text
    assert "anonymous" in ticket_text

    update = await organiser_says(desk, "Only assistance dogs, sorry.", posted[0].message_id)
    assert "Only assistance dogs, sorry." in chat.text()
    assert "organisers answered" in chat.text()
    assert "Sent to the delegate" in group_messages(desk)[-1]
    ticket = await HelpdeskStore(desk.services.db.connection).ticket(1)
    assert ticket is not None
    assert ticket.status == "answered"
    assert ticket.answered_by_name == "Olga"

    # The same update delivered again (a retry after a restart) is not relayed twice.
    before = len(chat.messages)
    await desk.feed(update)
    assert len(chat.messages) == before

    await organiser_says(desk, "They must stay on a lead.", posted[0].message_id)
    assert "follow-up" in chat.text()
    assert "They must stay on a lead." in chat.text()


async def test_a_named_question_shows_the_name_and_answer_command_works(desk: Harness) -> None:
    chat = await joined(desk)
    await chat.send("/ask_organisers Is there a vegan option at the reception?")
    await chat.press("Show my name")
    assert "Amina" in group_messages(desk)[-1]
    organiser = desk.chat(ORGANISER_ID, "en")
    await organiser.send("/helpdesk")
    assert "#1" in organiser.text()
    assert "vegan option" in organiser.text()
    await organiser.send("/answer 1 Yes, at the buffet.")
    assert "Yes, at the buffet." in chat.text()
    await organiser.send("/helpdesk")
    assert "No open tickets" in organiser.text()


async def test_open_tickets_are_listed_oldest_first(desk: Harness) -> None:
    first = await joined(desk, user_id=1001)
    second = await joined(desk, user_id=1002)
    await second.send("/ask_organisers second question")
    await second.press("Stay anonymous")
    desk.clock.set(NOW + timedelta(minutes=5))
    await first.send("/ask_organisers first question")
    await first.press("Stay anonymous")
    organiser = desk.chat(ORGANISER_ID, "en")
    await organiser.send("/helpdesk")
    text = organiser.text()
    assert "2 open tickets" in text
    assert text.index("second question") < text.index("first question")


async def test_gaps_list_unanswered_questions_for_organisers(desk: Harness) -> None:
    chat = await joined(desk)
    await chat.send("can i bring my dog to the venue")
    await chat.send("can i bring my dog to the venue")
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    assert "can i bring my dog to the venue (×2)" in organiser.text()


@pytest.mark.parametrize("command", ["/helpdesk", "/answer 1 hello", "/gaps"])
async def test_delegates_cannot_use_organiser_commands(desk: Harness, command: str) -> None:
    chat = await joined(desk)
    await chat.send("/ask_organisers a question")
    await chat.press("Stay anonymous")
    await chat.send(command)
    assert chat.text() == "Only organisers can use this command."
    ticket = await HelpdeskStore(desk.services.db.connection).ticket(1)
    assert ticket is not None
    assert ticket.status == "open"


async def test_non_organiser_replies_in_the_group_are_not_relayed(desk: Harness) -> None:
    chat = await joined(desk)
    await chat.send("/ask_organisers a question")
    await chat.press("Stay anonymous")
    posted = desk.api.bot_messages(HELPDESK)[0]
    before = len(chat.messages)
    data = desk.api.make_message(
        4242,
        "random chatter",
        chat_id=HELPDESK,
        chat_type="supergroup",
        reply_to_message_id=posted.message_id,
    )
    await desk.feed(data)
    assert len(chat.messages) == before


async def test_tickets_and_relayed_replies_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    database = await Database.open(path)
    store = HelpdeskStore(database.connection)
    await database.connection.execute(
        "INSERT INTO users (user_id, created_at, updated_at) VALUES (1, 'x', 'x')"
    )
    question_id = await store.add_question(1, GENEVA_ID, "en", "q?", None, "none", 0.0, NOW)
    question = await store.question(question_id)
    assert question is not None
    ticket = await store.add_ticket(question, None, NOW)
    await store.posted(ticket.id, HELPDESK, 77)
    assert await store.add_reply(ticket.id, HELPDESK, 78, ORGANISER_ID, "Olga", "a", NOW) == 1
    await database.close()

    database = await Database.open(path)
    store = HelpdeskStore(database.connection)
    found = await store.ticket_for_message(HELPDESK, 77)
    assert found is not None
    assert found.status == "answered"
    # The reply's own message leads back to the ticket, and is never recorded twice.
    assert await store.ticket_for_message(HELPDESK, 78) == found
    assert await store.add_reply(ticket.id, HELPDESK, 78, ORGANISER_ID, "Olga", "a", NOW) is None
    await database.close()
