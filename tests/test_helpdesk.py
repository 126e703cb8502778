"""Free-text questions answered from the organisers' text, and the helpdesk group behind them."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file

from bot.clock import ManualClock
from bot.handlers.ask import IDENTITY_QUESTION
from bot.services.helpdesk import question_key
from bot.services.matcher import FAQ, GREETING, NONE, SESSIONS, THANKS_KIND, Matcher, words
from bot.services.privacy import ticket_forgotten
from bot.storage.database import Database
from bot.storage.helpdesk import HelpdeskStore
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    HELPDESK,
    ORGANISER_ID,
    Chat,
    Harness,
    joined,
    sample_events,
)

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
    assert "Je n'ai pas de réponse sûre à cette question" in chat.text()
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
    assert "\u2068can i bring my dog to the venue\u2069 (×2)" in organiser.text()


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
    question_id = await store.add_question(
        "author-1", GENEVA_ID, "en", "q?", None, "none", 0.0, NOW, key="q"
    )
    question = await store.question(question_id)
    assert question is not None
    ticket = await store.add_ticket(question, None, None, NOW)
    blank = ticket_forgotten(ticket.id, GENEVA_ID, HELPDESK, 77, NOW)
    assert await store.posted(ticket.id, HELPDESK, 77, blank, NOW)
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


# --- Review mends -------------------------------------------------------------------------

OTHER_GROUP = -1009999


def relay_failures_seen(harness: Harness, method: str = "sendMessage") -> None:
    """Forget the deliveries a test made fail on purpose (the fixture rejects any failed call)."""
    harness.api.calls[:] = [c for c in harness.api.calls if c.ok or c.method != method]


async def filed(harness: Harness, chat: Chat, question: str) -> int:
    """File a question with the helpdesk; returns the id of its message in the group."""
    await chat.send(f"/ask_organisers {question}")
    await chat.press("🕶")  # "Stay anonymous", in any language
    return harness.api.bot_messages(HELPDESK)[-1].message_id


async def in_group(harness: Harness, user_id: int, text: str, chat_id: int = HELPDESK) -> None:
    data = harness.api.make_message(
        user_id, text, chat_id=chat_id, chat_type="supergroup", first_name="Olga"
    )
    await harness.feed(data)


def test_the_identity_question_is_extracted_for_translation() -> None:
    found = {
        message
        for _line, message, _comments, _context in extract_from_file(
            "python", "bot/handlers/ask.py", keywords={"_": None, "N_": None}
        )
    }
    assert IDENTITY_QUESTION in found


async def test_the_identity_question_is_asked_in_the_delegates_language(desk: Harness) -> None:
    chat = await joined(desk, "fr")
    await chat.send("/ask_organisers Puis-je venir avec un collègue ?")
    assert chat.text() == (
        "Les organisateurs verront votre question. Peuvent-ils aussi voir votre nom, "
        "ou préférez-vous rester anonyme ?"
    )


async def test_an_answer_to_a_delegate_who_blocked_the_bot_leaves_the_ticket_open(
    desk: Harness,
) -> None:
    chat = await joined(desk)
    posted = await filed(desk, chat, "is there parking")
    desk.api.block_user(1001)
    before = len(chat.messages)
    await organiser_says(desk, "Yes, level -2.", posted)
    relay_failures_seen(desk)
    assert "blocked the bot" in group_messages(desk)[-1]
    assert "Sent to the delegate" not in group_messages(desk)[-1]
    assert len(chat.messages) == before
    ticket = await HelpdeskStore(desk.services.db.connection).ticket(1)
    assert ticket is not None
    assert ticket.status == "open"

    # Once the delegate is back, /answer delivers it, as the answer and not a follow-up.
    desk.api.unblock_user(1001)
    organiser = desk.chat(ORGANISER_ID, "en")
    await organiser.send("/answer 1 Yes, level -2.")
    assert "Sent to the delegate" in organiser.text()
    assert "organisers answered" in chat.text()
    assert "Yes, level -2." in chat.text()
    ticket = await HelpdeskStore(desk.services.db.connection).ticket(1)
    assert ticket is not None
    assert ticket.status == "answered"


async def test_any_delivery_failure_is_reported_to_the_group(desk: Harness) -> None:
    chat = await joined(desk)
    posted = await filed(desk, chat, "is there parking")
    desk.api.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    await organiser_says(desk, "Yes, level -2.", posted)
    relay_failures_seen(desk)
    report = group_messages(desk)[-1]
    assert "could not be delivered" in report
    assert "not found" in report.lower()
    assert "/answer 1" in report
    organiser = desk.chat(ORGANISER_ID, "en")
    await organiser.send("/helpdesk")
    assert "is there parking" in organiser.text()


async def test_a_failed_follow_up_leaves_the_answered_ticket_answered(desk: Harness) -> None:
    chat = await joined(desk)
    posted = await filed(desk, chat, "is there parking")
    await organiser_says(desk, "Yes, level -2.", posted)
    desk.api.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    await organiser_says(desk, "It closes at 20:00.", posted)
    relay_failures_seen(desk)
    assert "could not be delivered" in group_messages(desk)[-1]
    ticket = await HelpdeskStore(desk.services.db.connection).ticket(1)
    assert ticket is not None
    assert ticket.status == "answered"
    # The retry is the first follow-up the delegate sees.
    await organiser_says(desk, "It closes at 20:00.", posted)
    assert "follow-up" in chat.text()


async def test_a_non_text_reply_to_a_ticket_is_not_silently_dropped(desk: Harness) -> None:
    chat = await joined(desk)
    posted = await filed(desk, chat, "where do i park")
    before = len(chat.messages)
    data = desk.api.make_message(
        ORGANISER_ID,
        "placeholder",
        chat_id=HELPDESK,
        chat_type="supergroup",
        reply_to_message_id=posted,
    )
    del data["message"]["text"]
    data["message"]["location"] = {"latitude": 46.2227, "longitude": 6.1372}
    await desk.feed(data)
    assert "only text replies are relayed" in group_messages(desk)[-1]
    assert len(chat.messages) == before
    ticket = await HelpdeskStore(desk.services.db.connection).ticket(1)
    assert ticket is not None
    assert ticket.status == "open"


async def test_replies_are_counted_and_a_half_recorded_reply_is_impossible(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "bot.sqlite3")
    connection = database.connection
    store = HelpdeskStore(connection)
    await connection.execute(
        "INSERT INTO users (user_id, created_at, updated_at) VALUES (1, 'x', 'x')"
    )
    question_id = await store.add_question(
        "author-1", GENEVA_ID, "en", "q?", None, "none", 0.0, NOW, key="q"
    )
    question = await store.question(question_id)
    assert question is not None
    ticket = await store.add_ticket(question, None, None, NOW)

    # The ticket cannot be marked answered: the reply must not be kept either.
    await connection.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON helpdesk_tickets "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        await store.add_reply(ticket.id, HELPDESK, 10, ORGANISER_ID, "Olga", "a", NOW)
    assert not connection.in_transaction
    await connection.execute("DROP TRIGGER refuse")
    reopened = await store.ticket(ticket.id)
    assert reopened is not None
    assert reopened.status == "open"

    # The same group message is relayed when it comes again, and counted once.
    assert await store.add_reply(ticket.id, HELPDESK, 10, ORGANISER_ID, "Olga", "a", NOW) == 1
    assert await store.add_reply(ticket.id, HELPDESK, 11, ORGANISER_ID, "Olga", "b", NOW) == 2
    assert await store.add_reply(ticket.id, HELPDESK, 11, ORGANISER_ID, "Olga", "b", NOW) is None
    answered = await store.ticket(ticket.id)
    assert answered is not None
    assert answered.status == "answered"
    assert answered.answered_by_name == "Olga"

    # An undelivered follow-up does not count and does not reopen the ticket...
    await store.undelivered(HELPDESK, 11)
    assert await store.add_reply(ticket.id, HELPDESK, 12, ORGANISER_ID, "Olga", "b", NOW) == 2
    still = await store.ticket(ticket.id)
    assert still is not None
    assert still.status == "answered"
    # ...but with nothing delivered at all, the ticket is open again.
    for message_id in (10, 12):
        await store.undelivered(HELPDESK, message_id)
    reopened = await store.ticket(ticket.id)
    assert reopened is not None
    assert reopened.status == "open"
    assert reopened.answered_by_name is None
    assert not connection.in_transaction
    await database.close()


def test_questions_are_grouped_by_the_matchers_normalisation() -> None:
    assert question_key("Où est le déjeuner ?") == question_key("OÙ EST LE DEJEUNER")
    assert question_key("أَيْنَ الغـــداء؟") == question_key("اين الغداء")
    assert question_key("🙂") == "🙂"


async def test_gaps_count_a_question_once_whatever_its_accents_and_case(desk: Harness) -> None:
    chat = await joined(desk, "fr")
    await chat.send("/ask_organisers Où est le déjeuner ?")
    await chat.send("/ask_organisers OÙ EST LE DEJEUNER")
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    text = organiser.text()
    assert "(×2)" in text
    assert text.lower().count("le dejeuner") + text.lower().count("le déjeuner") == 1


async def test_downvoted_answers_are_grouped_the_same_way(desk: Harness) -> None:
    chat = await joined(desk)
    for question in ("Où est le déjeuner ?", "OÙ EST LE DEJEUNER"):
        await chat.send(question)
        await chat.press("👎")
    gaps = await HelpdeskStore(desk.services.db.connection).downvoted(GENEVA_ID, 10)
    assert [(g.answer_id, g.count) for g in gaps] == [("lunch-location", 2)]


@pytest.mark.parametrize("command", ["/helpdesk", "/answer 1 hello", "/gaps"])
async def test_organiser_commands_are_silent_in_other_groups(desk: Harness, command: str) -> None:
    chat = await joined(desk)
    await filed(desk, chat, "a question")
    desk.api.add_chat(OTHER_GROUP, type="supergroup", title="Delegates' lounge")
    await in_group(desk, 1001, command, OTHER_GROUP)
    await in_group(desk, ORGANISER_ID, command, OTHER_GROUP)
    await in_group(desk, 4242, command)  # not an organiser, in the helpdesk group
    assert desk.api.bot_messages(OTHER_GROUP) == []
    assert len(desk.api.bot_messages(HELPDESK)) == 1  # the ticket only
    ticket = await HelpdeskStore(desk.services.db.connection).ticket(1)
    assert ticket is not None
    assert ticket.status == "open"


async def test_organiser_commands_work_in_the_helpdesk_group(desk: Harness) -> None:
    chat = await joined(desk, "fr")
    await filed(desk, chat, "Puis-je venir avec un collègue ?")
    await in_group(desk, ORGANISER_ID, "/helpdesk")
    listing = group_messages(desk)[-1]
    assert "Puis-je venir" in listing
    assert "French" in listing
    assert "· fr ·" not in listing

    # No consultation picker posted into the group.
    await in_group(desk, ORGANISER_ID, "/gaps")
    last = desk.api.bot_messages(HELPDESK)[-1]
    assert "private chat" in (last.plain_text() or "")
    assert last.buttons() == []
    await joined(desk, user_id=ORGANISER_ID)
    await in_group(desk, ORGANISER_ID, "/gaps")
    assert "\u2068Puis-je venir avec un collègue ?\u2069 (×1)" in group_messages(desk)[-1]

    await in_group(desk, ORGANISER_ID, "/answer 1 Oui, inscrivez-le à l'accueil.")
    assert "Sent to the delegate" in group_messages(desk)[-1]
    assert "Oui, inscrivez-le" in chat.text()


async def test_an_answered_ticket_says_so_in_the_group_with_who_and_when(
    desk: Harness, clock: ManualClock
) -> None:
    chat = await joined(desk, "fr")
    posted = await filed(desk, chat, "Puis-je venir avec mon chien ?")
    ticket_message = desk.api.bot_messages(HELPDESK)[0]
    assert ticket_message.message_id == posted
    assert "Answered by" not in (ticket_message.plain_text() or "")

    clock.set(datetime(2026, 12, 8, 10, 42, tzinfo=GENEVA))
    await organiser_says(desk, "Seulement les chiens d'assistance.", posted)
    assert "Seulement les chiens d'assistance." in chat.text()
    assert "Les organisateurs ont répondu à votre question" in chat.text()
    ticket_message = desk.api.bot_messages(HELPDESK)[0]
    assert ticket_message.edited
    shown = ticket_message.plain_text() or ""
    # In the group's language and the consultation's time zone, whatever the delegate's.
    assert "✅ Ticket #1" in shown
    assert "Answered by Olga, Tuesday, December 8, 2026 · 10:42" in shown
    assert "Puis-je venir avec mon chien ?" in shown
    assert "follow-up" in shown
    assert "/answer 1" not in shown


async def test_a_ticket_answered_with_the_command_is_marked_in_the_group(desk: Harness) -> None:
    chat = await joined(desk)
    posted = await filed(desk, chat, "is there parking")
    organiser = desk.chat(ORGANISER_ID, "en")
    await organiser.send("/answer 1 No, take tram 15.")
    assert "No, take tram 15." in chat.text()
    shown = desk.api.bot_messages(HELPDESK)[0]
    assert shown.message_id == posted
    assert "Answered by" in (shown.plain_text() or "")


async def test_an_undelivered_answer_does_not_mark_the_ticket_answered(desk: Harness) -> None:
    chat = await joined(desk)
    posted = await filed(desk, chat, "is there parking")
    desk.api.block_user(1001)
    await organiser_says(desk, "Yes, level -2.", posted)
    relay_failures_seen(desk)
    shown = desk.api.bot_messages(HELPDESK)[0]
    assert not shown.edited
    assert "Answered by" not in (shown.plain_text() or "")


# --- Suggestions when the bot is not sure ---------------------------------------------------

SUITCASE = "can i leave my suitcase somewhere overnight with a padlock"


def test_an_abstention_names_the_nearest_entries_but_never_answers_with_them() -> None:
    match = matcher().match(SUITCASE, NOW)
    assert match.kind == NONE
    assert match.answer_id is None
    assert [e.id for e in match.suggestions] == ["cloakroom"]
    # Nothing is suggested for what the organisers' text cannot answer, nor beside an answer.
    assert matcher().match("book me a taxi to the airport please", NOW).suggestions == ()
    assert matcher().match("where is lunch?", NOW).suggestions == ()


async def test_a_delegate_picks_a_suggested_answer_and_organisers_see_the_gap(
    desk: Harness,
) -> None:
    chat = await joined(desk)
    await chat.send(SUITCASE)
    assert "Perhaps one of these answers it" in chat.text()
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert labels == ["💡 Is there a cloakroom?", "🙋 Ask the organisers"]
    await chat.press("cloakroom")
    assert "The free cloakroom is on the ground floor" in chat.text()
    assert "Perhaps one of these" not in chat.text()  # the same message, now the answer
    await chat.press("👎")
    assert "ask the organisers" in chat.text().lower()
    store = HelpdeskStore(desk.services.db.connection)
    assert [(g.question, g.answer_id) for g in await store.downvoted(GENEVA_ID, 10)] == [
        (SUITCASE, "cloakroom")
    ]
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    assert f"\u2068{SUITCASE}\u2069 (×1) → 💡 cloakroom" in organiser.text()
    assert "tap ✅ Teach and I will answer their wording with it" in organiser.text()


async def test_suggestions_in_french_and_forged_presses(desk: Harness) -> None:
    chat = await joined(desk, "fr")
    await chat.send(SUITCASE)
    assert "Peut-être l'une de ces réponses" in chat.text()
    message, button = chat.find_button("vestiaire")
    assert button["text"] == "💡 Y a-t-il un vestiaire ?"
    data = button["callback_data"]
    # Another delegate forging it, an entry that does not exist, and broken data: refused.
    other = await joined(desk, user_id=1002)
    await other.press_data(other.last.message_id, data, check=False)
    refusal = desk.api.calls_to("answerCallbackQuery")[-1].params["text"]
    assert refusal == "This button is out of date."  # the other delegate reads English
    for forged in (data.rsplit(":", 1)[0] + ":no-such-entry", "ask:s:x", "ask:s:99:cloakroom"):
        await chat.press_data(message.message_id, forged, check=False)
        assert "Ce bouton n'est plus à jour" in str(
            desk.api.calls_to("answerCallbackQuery")[-1].params.get("text")
        )
    assert "Peut-être l'une de ces réponses" in chat.text()  # nothing changed
    await chat.press("vestiaire")
    assert "Le vestiaire gratuit" in chat.text()


async def test_choosing_anonymity_again_from_an_old_client_files_one_ticket_quietly(
    desk: Harness,
) -> None:
    chat = await joined(desk)
    await chat.send("/ask_organisers Is there a vegan option at the reception?")
    message, button = chat.find_button("Stay anonymous")
    await chat.press_data(message.message_id, button["callback_data"])
    # The buttons are gone; a client that still shows them sends the press again.
    await chat.press_data(message.message_id, button["callback_data"], check=False)
    assert len(desk.api.bot_messages(HELPDESK)) == 1
    assert [f"{c.method}: {c.error}" for c in desk.api.calls if not c.ok] == []
