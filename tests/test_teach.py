"""Organisers teach the bot delegates' own wordings from /gaps, in one tap or with /teach."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.fakeapi import FakeBotApi
from bot.services.event_data import load_event_data
from bot.services.helpdesk import question_key
from bot.services.matcher import FAQ, NONE, TOPIC, Matcher, Matchers
from bot.storage.database import Database
from bot.storage.helpdesk import HelpdeskStore
from bot.storage.taught import TaughtStore
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    HELPDESK,
    ORGANISER_ID,
    ROOT,
    Chat,
    Harness,
    bot_on,
    joined,
    sample_events,
)

NOW = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)
SUITCASE = "can i leave my suitcase somewhere overnight with a padlock"
DOG = "can i bring my dog to the venue"
CLOAKROOM_ANSWER = "The free cloakroom is on the ground floor"
REFUSED = "I am not sure I know the answer"


def isolated(text: str) -> str:
    """A delegate's words as organisers see them: isolated (FSI…PDI) in any language."""
    return f"\u2068{text}\u2069"


def geneva_matcher(taught: list[tuple[str, str, str]] | None = None) -> Matcher:
    return Matcher(sample_events().consultations[GENEVA_ID], taught=taught or ())


# --- The matcher, without Telegram --------------------------------------------------------


def test_a_taught_phrasing_answers_its_question_and_near_paraphrases() -> None:
    assert geneva_matcher().match(SUITCASE, NOW).kind == NONE
    taught = geneva_matcher([("cloakroom", "en", SUITCASE)])
    for question in (
        SUITCASE,
        "CAN I LEAVE MY SUITCASE SOMEWHERE OVERNIGHT WITH A PADLOCK?",
        "Càn I léave my suitcase somewhere overnight with a pádlock",
        "can I leave my suitcase overnight with a padlock?",
    ):
        match = taught.match(question, NOW)
        assert (match.kind, match.answer_id) == (FAQ, "cloakroom"), question
    # Everything else is answered as before.
    assert taught.match("where is lunch?", NOW).answer_id == "lunch-location"
    assert taught.match("tell me a joke", NOW).kind == NONE


def test_a_phrasing_taught_to_a_topic_answers_with_the_topic() -> None:
    assert geneva_matcher().match(DOG, NOW).kind == NONE
    match = geneva_matcher([("topic:accessibility", "en", DOG)]).match(DOG, NOW)
    assert (match.kind, match.answer_id) == (TOPIC, "topic:accessibility")


def test_a_phrasing_taught_to_an_unknown_entry_is_ignored() -> None:
    matcher = geneva_matcher([("no-such-entry", "en", DOG), ("topic:nope", "en", DOG)])
    assert matcher.match(DOG, NOW).kind == NONE


def test_matchers_rebuild_when_the_taught_phrasings_or_the_data_change() -> None:
    consultation = sample_events().consultations[GENEVA_ID]
    matchers = Matchers()
    plain = matchers.for_consultation(consultation)
    assert matchers.for_consultation(consultation) is plain
    taught = [("cloakroom", "en", SUITCASE)]
    learned = matchers.for_consultation(consultation, taught)
    assert learned is not plain
    assert matchers.for_consultation(consultation, list(taught)) is learned
    assert learned.match(SUITCASE, NOW).answer_id == "cloakroom"
    reloaded = load_event_data(ROOT / "data").consultations[GENEVA_ID]
    rebuilt = matchers.for_consultation(reloaded, taught)
    assert rebuilt is not learned
    assert rebuilt.match(SUITCASE, NOW).answer_id == "cloakroom"
    assert matchers.for_consultation(reloaded).match(SUITCASE, NOW).kind == NONE


# --- In the chat --------------------------------------------------------------------------


async def asked_and_chose(harness: Harness, user_id: int = 1001) -> Chat:
    """A delegate asks what the bot cannot answer, and picks the cloakroom it suggests."""
    chat = await joined(harness, user_id=user_id)
    await chat.send(SUITCASE)
    assert "Perhaps one of these answers it" in chat.text()
    await chat.press("cloakroom")
    assert CLOAKROOM_ANSWER in chat.text()
    return chat


def gap_number(text: str, question: str) -> int:
    found = re.search(r"#(\d+) " + re.escape(isolated(question)), text)
    assert found is not None, text
    return int(found.group(1))


async def taught_rows(harness: Harness) -> list[tuple[str, str, str]]:
    store = TaughtStore(harness.services.db.connection)
    return [(r.answer_ref, r.language, r.text) for r in await store.for_consultation(GENEVA_ID)]


def last_toast(harness: Harness) -> str:
    return str(harness.api.calls_to("answerCallbackQuery")[-1].params.get("text"))


async def test_an_organiser_teaches_a_gap_in_one_tap_and_can_undo_it(desk: Harness) -> None:
    await asked_and_chose(desk)
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    gaps = organiser.text()
    number = gap_number(gaps, SUITCASE)
    assert f"#{number} {isolated(SUITCASE)} (×1) → 💡 cloakroom" in gaps
    _message, button = organiser.find_button("Teach")
    assert (
        button["text"] == f"✅ Teach: {isolated('can i leave my suitcase somewhe…')} → cloakroom"
    )
    assert button["callback_data"] == f"ask:k:{number}:cloakroom"

    await organiser.press("Teach")
    assert organiser.text() == (
        f"✅ Taught: from now on «{isolated(SUITCASE)}» gets the answer cloakroom "
        "(💡 Is there a cloakroom?)."
    )
    assert await taught_rows(desk) == [("cloakroom", "en", SUITCASE)]

    # The next delegates get the answer straight away, however they type it.
    second = await joined(desk, user_id=1002)
    await second.send(SUITCASE)
    assert CLOAKROOM_ANSWER in second.text()
    await second.send("CAN I LEAVE MY SUITCASE SOMEWHERE OVERNIGHT WITH A PÁDLOCK?")
    assert CLOAKROOM_ANSWER in second.text()
    assert [b["text"] for row in second.last.buttons() for b in row] == ["👍", "👎"]

    # Answered now: no longer a gap.
    await organiser.send("/gaps")
    assert SUITCASE not in organiser.text()
    assert "None so far." in organiser.text()

    (undone,) = await organiser.press("Undo")
    assert undone.plain_text() == (
        f"↩️ Undone: «{isolated(SUITCASE)}» no longer gets the answer cloakroom; it is a gap again."
    )
    assert await taught_rows(desk) == []
    await second.send(SUITCASE)
    assert "Perhaps one of these answers it" in second.text()
    await organiser.send("/gaps")
    assert f"{isolated(SUITCASE)} (×2) → 💡 cloakroom" in organiser.text()


async def test_teaching_the_same_question_twice_stores_it_once(desk: Harness) -> None:
    await asked_and_chose(desk)
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    number = gap_number(organiser.text(), SUITCASE)
    message, button = organiser.find_button("Teach")
    await organiser.press("Teach")
    await organiser.press_data(message.message_id, button["callback_data"])
    assert organiser.text() == (
        f"Already taught: «{isolated(SUITCASE)}» gets the answer cloakroom "
        "(💡 Is there a cloakroom?)."
    )
    await organiser.send(f"/teach {number} cloakroom")
    assert organiser.text().startswith("Already taught:")
    assert await taught_rows(desk) == [("cloakroom", "en", SUITCASE)]


async def test_teaching_a_question_to_another_entry_moves_it(desk: Harness) -> None:
    await asked_and_chose(desk)
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    number = gap_number(organiser.text(), SUITCASE)
    await organiser.press("Teach")
    await organiser.send(f"/teach {number} topic:facilities")
    assert organiser.text().startswith("✅ Taught:")
    # A wording answers one entry: the cloakroom has it no longer.
    assert await taught_rows(desk) == [("topic:facilities", "en", SUITCASE)]


async def test_teach_command_for_a_gap_without_a_chosen_answer(desk: Harness) -> None:
    delegate = await joined(desk)
    await delegate.send(DOG)
    assert "Perhaps one of these answers it" in delegate.text()
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    gaps = organiser.text()
    number = gap_number(gaps, DOG)
    assert "→ 💡" not in gaps
    assert not any("Teach" in b["text"] for row in organiser.last.buttons() for b in row)
    assert "tap ✅ Teach" not in gaps  # no button to tap: only the command is offered
    # The example is the first gap's own number, with the consultation's first FAQ entry.
    assert f"/teach {number} wifi-password" in gaps

    await organiser.send(f"/teach #{number} topic:accessibility")
    assert organiser.text().startswith(
        f"✅ Taught: from now on «{isolated(DOG)}» gets the answer topic:accessibility ("
    )
    await delegate.send("Can I bring my dog to the venue?")
    assert "Accessibility" in delegate.text()
    await organiser.send("/gaps")
    assert DOG not in organiser.text()


async def test_teach_command_names_an_unknown_entry_and_explains_its_usage(
    desk: Harness,
) -> None:
    delegate = await joined(desk)
    await delegate.send(DOG)
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    number = gap_number(organiser.text(), DOG)
    await organiser.send(f"/teach {number} dog-policy")
    assert organiser.text().startswith("There is no entry dog-policy in ")
    await organiser.send(f"/teach {number} topic:pets")
    assert organiser.text().startswith("There is no entry topic:pets in ")
    await organiser.send("/teach 9999 cloakroom")
    assert organiser.text() == "There is no question #9999. Send /gaps to see their numbers."
    for wrong in ("/teach", "/teach 12", "/teach twelve cloakroom", f"/teach {number} a b"):
        desk.clock.advance(seconds=5)  # not flooding
        await organiser.send(wrong)
        assert organiser.text().startswith("Usage: /teach 12 cloakroom: "), wrong
    assert await taught_rows(desk) == []


async def test_delegates_cannot_teach_nor_undo(desk: Harness) -> None:
    delegate = await asked_and_chose(desk)
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    number = gap_number(organiser.text(), SUITCASE)
    _message, button = organiser.find_button("Teach")

    # A delegate forging the organiser's button, or sending the command: refused, nothing kept.
    await delegate.press_data(delegate.last.message_id, button["callback_data"], check=False)
    assert last_toast(desk) == "Only organisers can teach me answers."
    await delegate.send(f"/teach {number} cloakroom")
    assert delegate.text() == "Only organisers can use this command."
    assert await taught_rows(desk) == []

    # A forged press by an organiser: out of date, nothing kept.
    for forged in (f"ask:k:{number}:no-such-entry", "ask:k:99999:cloakroom", "ask:k:x"):
        await organiser.press_data(organiser.last.message_id, forged, check=False)
        assert last_toast(desk) == "This button is out of date."
    assert await taught_rows(desk) == []

    await organiser.press("Teach")
    undo_message, undo = organiser.find_button("Undo")
    await delegate.press_data(delegate.last.message_id, undo["callback_data"], check=False)
    assert last_toast(desk) == "Only organisers can teach me answers."
    assert len(await taught_rows(desk)) == 1
    await organiser.press("Undo")
    await organiser.press_data(undo_message.message_id, undo["callback_data"], check=False)
    assert last_toast(desk) == "This button is out of date."


async def test_a_delegate_who_forgets_their_data_takes_the_phrasing_with_them(
    desk: Harness,
) -> None:
    delegate = await asked_and_chose(desk)
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    await organiser.press("Teach")
    other = await joined(desk, user_id=1002)
    await other.send(SUITCASE)
    assert CLOAKROOM_ANSWER in other.text()

    await delegate.send("/forget")
    await delegate.press("Yes, delete my data")
    assert await taught_rows(desk) == []
    # At once, not after a restart: the wording was theirs.
    await other.send(SUITCASE)
    assert "Perhaps one of these answers it" in other.text()


async def test_taught_phrasings_survive_a_data_reload(desk: Harness) -> None:
    await asked_and_chose(desk)
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    await organiser.press("Teach")
    before = desk.services.events.get(GENEVA_ID)
    await desk.services.reloader.apply(load_event_data(ROOT / "data"), "test")
    assert desk.services.events.get(GENEVA_ID) is not before
    other = await joined(desk, user_id=1002)
    await other.send(SUITCASE)
    assert CLOAKROOM_ANSWER in other.text()


async def test_taught_phrasings_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    api = FakeBotApi(clock=clock.now)
    async with bot_on(tmp_path, clock, api, helpdesk_chat_id=HELPDESK) as first:
        await asked_and_chose(first)
        organiser = await joined(first, user_id=ORGANISER_ID)
        await organiser.send("/gaps")
        await organiser.press("Teach")
    # A restart: the same database, the same Telegram.
    async with bot_on(tmp_path, clock, api, helpdesk_chat_id=HELPDESK) as second:
        other = await joined(second, user_id=1002)
        await other.send(SUITCASE)
        assert CLOAKROOM_ANSWER in other.text()


async def test_the_store_keeps_one_phrasing_per_entry_and_wording(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "bot.sqlite3")
    await database.connection.execute(
        "INSERT INTO users (user_id, created_at, updated_at) VALUES (1, 'x', 'x')"
    )
    questions = HelpdeskStore(database.connection)
    question_id = await questions.add_question(
        "author-1", GENEVA_ID, "fr", SUITCASE, None, "none", 0.0, NOW, key=question_key(SUITCASE)
    )
    store = TaughtStore(database.connection)
    key = question_key(SUITCASE)
    first, new = await store.add(GENEVA_ID, "cloakroom", "fr", SUITCASE, key, question_id, 9, NOW)
    again, new_again = await store.add(
        GENEVA_ID, "cloakroom", "fr", SUITCASE.upper(), key, question_id, 9, NOW
    )
    assert (new, new_again) == (True, False)
    assert again == first
    assert first.taught_at == NOW
    assert await questions.unanswered(GENEVA_ID, 10) == []
    await database.close()

    database = await Database.open(tmp_path / "bot.sqlite3")
    store = TaughtStore(database.connection)
    assert [r.text for r in await store.for_consultation(GENEVA_ID)] == [SUITCASE]
    await database.connection.execute("DELETE FROM helpdesk_questions WHERE author = 'author-1'")
    assert await store.for_consultation(GENEVA_ID) == []
    await database.close()


# --- In French (translation-dependent: see the report) -------------------------------------


async def test_an_organiser_teaches_in_french(desk: Harness) -> None:
    await asked_and_chose(desk)
    organiser = await joined(desk, "fr", user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    assert "touchez ✅ Enseigner" in organiser.text()
    _message, button = organiser.find_button("Enseigner")
    assert button["text"] == (
        f"✅ Enseigner : {isolated('can i leave my suitcase somewhe…')} → cloakroom"
    )
    await organiser.press("Enseigner")
    assert organiser.text().startswith(
        f"✅ Appris : désormais « {isolated(SUITCASE)} » reçoit la réponse cloakroom ("
    )
    (undone,) = await organiser.press("Annuler")
    assert undone.plain_text() == (
        f"↩️ Annulé : « {isolated(SUITCASE)} » ne reçoit plus la réponse cloakroom ; "
        "c'est de nouveau une lacune."
    )
    await organiser.send("/teach")
    assert organiser.text().startswith("Utilisation : /teach 12 cloakroom")


async def test_help_lists_teach_for_organisers_only(desk: Harness) -> None:
    organiser = await joined(desk, user_id=ORGANISER_ID)
    await organiser.send("/help")
    assert "/teach — organisers: teach me a delegate's wording" in organiser.text()
    assert "/gaps — organisers:" in organiser.text()
    delegate = await joined(desk)
    await delegate.send("/help")
    assert "/teach" not in delegate.text()
