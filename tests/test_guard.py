"""Re-delivered updates, floods, repeated and stale button presses: no second effect, no noise."""

from __future__ import annotations

import pytest

from bot.services.event_data import Consultation, Session
from tests.conftest import Chat, Harness, sample_events

GENEVA_ID = "geneva-2026"
SLOW_DOWN = "You are sending messages very fast; I will answer again in a few seconds."
SLOW_DOWN_FR = (
    "Vous envoyez des messages très rapidement ; je vous répondrai à nouveau dans quelques "
    "secondes."
)


def geneva() -> Consultation:
    return sample_events().consultations[GENEVA_ID]


def first_talk() -> Session:
    return next(s for s in geneva().sessions if s.kind != "break")


async def joined(harness: Harness, user_id: int = 1001, language_code: str = "en") -> Chat:
    chat = harness.chat(user_id, language_code)
    await chat.send("/start")
    await chat.press(geneva().name.get(language_code))
    return chat


# --- re-delivered updates ------------------------------------------------------------------


async def test_a_redelivered_start_is_answered_once(harness: Harness) -> None:
    update = harness.api.make_message(1001, "/start", language_code="en")
    first = await harness.feed(update)
    assert first
    again = await harness.feed(update)
    assert again == []
    assert len(harness.api.bot_messages(1001)) == len(first)


async def test_a_redelivered_star_press_leaves_the_session_starred(harness: Harness) -> None:
    chat = await joined(harness)
    talk = first_talk()
    await chat.send("/agenda")
    await chat.press(talk.title.get("en")[:20])
    message, button = chat.find_button("Add to my agenda")
    update = harness.api.make_callback(1001, message.message_id, button["callback_data"])
    await harness.feed(update)
    await harness.feed(update)  # Telegram delivers it again after a crash
    assert await harness.services.agenda.is_starred(1001, geneva(), talk.id)
    assert "Remove from my agenda" in str(chat.last.buttons())


async def test_processed_ids_are_forgotten_after_two_days(harness: Harness) -> None:
    ledger = harness.services.updates
    assert await ledger.first_delivery(10**9)
    assert not await ledger.first_delivery(10**9)
    harness.clock.advance(hours=49)
    await ledger.first_delivery(10**9 + 1)  # prunes on the way
    assert await ledger.count() == 1
    assert await ledger.first_delivery(10**9)


# --- flood control -------------------------------------------------------------------------


async def test_a_flooding_delegate_is_told_once_and_others_are_not_slowed(
    harness: Harness,
) -> None:
    flooder = await joined(harness, 1001)
    other = await joined(harness, 1002)
    harness.clock.advance(seconds=60)  # both buckets full again after joining
    answered = [bool(await flooder.send("/now")) for _ in range(8)]
    assert all(answered)
    notice = await flooder.send("/now")
    assert [m.plain_text() for m in notice] == [SLOW_DOWN]
    for turn in range(20):
        assert await flooder.send("/now") == []  # told once, then silence
        if turn % 4 == 0:
            assert await other.send("/now")  # the other delegate is answered throughout
    harness.clock.advance(seconds=5)
    assert await flooder.send("/now")
    assert SLOW_DOWN not in flooder.text()


async def test_a_new_flood_is_told_again_after_calming_down(harness: Harness) -> None:
    chat = await joined(harness)
    harness.clock.advance(seconds=60)
    for _ in range(9):
        await chat.send("/now")
    assert chat.text() == SLOW_DOWN
    harness.clock.advance(seconds=30)
    for _ in range(9):
        await chat.send("/now")
    notices = [m for m in chat.messages if m.plain_text() == SLOW_DOWN]
    assert len(notices) == 2


async def test_the_flood_notice_is_in_the_delegates_language(harness: Harness) -> None:
    chat = await joined(harness, 1003, "fr")
    harness.clock.advance(seconds=60)
    for _ in range(9):
        await chat.send("/now")
    assert chat.text() == SLOW_DOWN_FR


async def test_hammered_buttons_are_slowed_with_one_alert(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/agenda")
    harness.clock.advance(seconds=60)
    message, button = chat.find_button(first_talk().title.get("en")[:20])
    # A double tap of one button, a dozen times: the message shows the card after the first.
    for _ in range(12):
        await chat.press_data(message.message_id, button["callback_data"], check=False)
    before = len(harness.api.calls_to("answerCallbackQuery"))
    for _ in range(5):
        await chat.press_data(message.message_id, button["callback_data"], check=False)
    answers = harness.api.calls_to("answerCallbackQuery")[before:]
    # Every press stops its spinner; only the first one dropped says why.
    assert len(answers) == 5
    assert [a.params.get("text") for a in answers] == [SLOW_DOWN, None, None, None, None]
    assert answers[0].params.get("show_alert") is True


# --- repeated and stale buttons ------------------------------------------------------------


async def test_pressing_the_same_button_twice_is_quiet(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/agenda")
    message, button = chat.find_button(first_talk().title.get("en")[:20])
    await chat.press_data(message.message_id, button["callback_data"])
    card = chat.text()
    count = len(chat.messages)
    # A double tap: the second press asks for the card the message already shows.
    await chat.press_data(message.message_id, button["callback_data"], check=False)
    assert chat.text() == card
    assert len(chat.messages) == count
    assert harness.api.calls_to("answerCallbackQuery")[-1].ok
    assert [c for c in harness.api.calls if not c.ok] == []


@pytest.mark.parametrize("data", ["ag:s:no-such-session", "ag:t:no-such-session", "zz:forged"])
async def test_stale_or_forged_buttons_get_a_short_answer(harness: Harness, data: str) -> None:
    chat = await joined(harness)
    await chat.send("/agenda")
    before = len(chat.messages)
    await chat.press_data(chat.last.message_id, data, check=False)
    answers = harness.api.calls_to("answerCallbackQuery")
    assert answers
    assert len(chat.messages) == before
    assert not await harness.services.agenda.personal(1001, geneva())
