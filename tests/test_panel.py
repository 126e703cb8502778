"""Live sessions: delegates' questions to a session's panel (anonymous or named, in any language),
votes and ranking, the chairs' approval, pin and "answered", their live message kept up to date
through the outbox, limits, forged buttons, exports that name no anonymous asker, /forget."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.__main__ import main
from bot.clock import ManualClock
from bot.fakeapi import FakeMessage
from bot.services.data_reading import EventDataError
from bot.services.event_data import load_event_data
from bot.services.panel import BOARD, SHOWN_NOTICE
from bot.storage.panel import PanelQuestion
from tests.conftest import (
    GENEVA_ID,
    MODERATOR_ID,
    ORGANISER_ID,
    ROOT,
    Chat,
    Harness,
    copied_data,
    on_data,
)

LIVE = "opening"  # 09:00-10:30; the harness's clock reads 10:15
LATER = "principles-partnership"  # 11:00: its questions open at 10:45
EARLIER = "registration-d1"  # 08:30-09:00: over
AMINA, BRUNO, CARLA, CHAIR = 1001, 1002, 1003, 2001
NAMES = {AMINA: "Amina", BRUNO: "Bruno", CARLA: "Carla", CHAIR: "Chiara", ORGANISER_ID: "Olga"}


async def delegate(harness: Harness, user_id: int, language: str = "en") -> Chat:
    chat = harness.chat(user_id, language, first_name=NAMES.get(user_id, f"D{user_id}"))
    await chat.send("/start")
    geneva = harness.services.events.consultations[GENEVA_ID]
    await chat.press(geneva.name.get(language))
    return chat


def button(chat: Chat, data: str) -> FakeMessage:
    """The newest message of the chat with a button carrying `data`."""
    for message in reversed(chat.messages):
        if data in message.callback_data():
            return message
    raise AssertionError(f"no button {data!r}; last: {seen(chat)!r}")


async def tap(chat: Chat, data: str) -> str:
    """Press the button with this data (it must be on a message); the pop-up's text."""
    chat.harness.clock.advance(seconds=1)
    await chat.press_data(button(chat, data).message_id, data)
    return popup(chat.harness)


async def forge(chat: Chat, data: str) -> str:
    """Press data that is on no button (forged, or of another user's screen)."""
    chat.harness.clock.advance(seconds=1)
    await chat.press_data(chat.last.message_id, data, check=False)
    return popup(chat.harness)


ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")


def seen(chat: Chat) -> str:
    """The bot's last message as the delegate reads it (without the invisible bidi isolates)."""
    return chat.text().translate(ISOLATES)


def popup(harness: Harness) -> str:
    return str(harness.api.calls_to("answerCallbackQuery")[-1].params.get("text"))


async def ask(chat: Chat, text: str, *, session: str = LIVE, named: bool = False) -> str:
    """Ask the panel from the session's questions (/q), as a delegate would; the bot's reply."""
    chat.harness.clock.advance(seconds=1)
    await chat.send("/q")
    if f"pq:a:{session}" not in chat.last.callback_data():
        await tap(chat, f"pq:l:{session}:0")
    await tap(chat, f"pq:a:{session}")
    if named and f"pq:n:{session}:1" in chat.last.callback_data():
        await tap(chat, f"pq:n:{session}:1")
    if not named and f"pq:n:{session}:0" in chat.last.callback_data():
        await tap(chat, f"pq:n:{session}:0")
    await chat.send(text)
    return seen(chat)


async def questions(harness: Harness, session: str = LIVE) -> list[PanelQuestion]:
    store = harness.services.panel.store
    return await store.of_session(GENEVA_ID, session, ("waiting", "shown", "answered", "hidden"))


async def question_id(harness: Harness, text: str) -> int:
    return next(q.id for q in await questions(harness) if q.text == text)


async def listing(chat: Chat, session: str = LIVE) -> str:
    """The session's questions as the delegate sees them."""
    chat.harness.clock.advance(seconds=1)
    await chat.send("/q")
    if f"pq:l:{session}:0" in chat.last.callback_data() and "💬" not in seen(chat)[:2]:
        await tap(chat, f"pq:l:{session}:0")
    return seen(chat)


async def deliver(harness: Harness, rounds: int = 3) -> None:
    for _ in range(rounds):
        harness.clock.advance(seconds=11)
        await harness.services.delivery.process_due(harness.clock.now())


async def approve(harness: Harness, chair: Chat, *texts: str) -> None:
    """The chair approves the waiting questions `texts` from the live session's chair view."""
    await chair.send("/q")
    await tap(chair, f"pc:b:{LIVE}")
    await tap(chair, f"pc:w:{LIVE}:0")
    for text in texts:
        await tap(chair, f"pc:o:{await question_id(harness, text)}:w:0")


async def chair_of(harness: Harness, session: str = LIVE) -> Chat:
    chat = await delegate(harness, CHAIR)
    geneva = harness.services.events.consultations[GENEVA_ID]
    await harness.services.panel.add_chair(geneva, session, CHAIR)
    return chat


# --- asking -------------------------------------------------------------------------------------


async def test_delegates_ask_anonymously_or_by_name_in_their_language(harness: Harness) -> None:
    amina = await delegate(harness, AMINA, "fr")
    bruno = await delegate(harness, BRUNO, "ar")
    answer = await ask(amina, "Comment financer les organisations locales ?")
    assert "anonyme" in answer  # in French
    answer = await ask(bruno, "ما هي خطة التمويل للمنظمات المحلية؟", named=True)
    assert "Bruno" in answer
    stored = {q.text: q for q in await questions(harness)}
    french = stored["Comment financer les organisations locales ?"]
    arabic = stored["ما هي خطة التمويل للمنظمات المحلية؟"]
    assert (french.language, french.display_name, french.user_id) == ("fr", None, None)
    assert (arabic.language, arabic.display_name, arabic.user_id) == ("ar", "Bruno", BRUNO)
    # Written in English by a delegate reading French: stored as English.
    await ask(amina, "What is the plan for the funding of local organisations?")
    english = next(q for q in await questions(harness) if q.text.startswith("What is the plan"))
    assert english.language == "en"
    # The choice is remembered: Bruno's next prompt offers "anonymously", his default is his name.
    await bruno.send("/q")
    await tap(bruno, f"pq:a:{LIVE}")
    assert f"pq:n:{LIVE}:0" in bruno.last.callback_data()
    assert "Bruno" in seen(bruno)


async def test_questions_wait_for_a_chair_and_named_askers_are_told(harness: Harness) -> None:
    amina = await delegate(harness, AMINA, "fr")
    bruno = await delegate(harness, BRUNO, "ar")
    carla = await delegate(harness, CARLA)
    chair = await chair_of(harness)
    await ask(amina, "Question anonyme sur le financement")
    await ask(bruno, "سؤال باسمي عن التنسيق", named=True)
    # Before approval: nobody else sees them; their authors see them waiting.
    assert "Question anonyme" not in await listing(carla)
    assert "No questions yet." in seen(carla)
    await tap(amina, f"pq:m:{LIVE}")
    assert "Question anonyme sur le financement" in seen(amina)
    assert "en attente" in seen(amina)
    # The chair sees both waiting, approves them from the card's chair button.
    await chair.send("/q")
    await tap(chair, f"pc:b:{LIVE}")
    assert "To approve: 2" in seen(chair)
    await tap(chair, f"pc:w:{LIVE}:0")
    for text in ("Question anonyme sur le financement", "سؤال باسمي عن التنسيق"):
        assert text in seen(chair)
        assert await tap(chair, f"pc:o:{await question_id(harness, text)}:w:0") == (
            "Approved: everyone sees it now."
        )
    shown = await listing(carla)
    assert "[fr] Question anonyme sur le financement — anonymous" in shown
    assert "[ar] سؤال باسمي عن التنسيق — Bruno" in shown
    # Bruno asked under his name: he is told, once, in Arabic, through the outbox. Amina asked
    # anonymously: no row names her, so nothing is sent to her.
    await deliver(harness)
    rows = await harness.services.delivery.store.for_user(BRUNO)
    assert [(r.kind, r.state) for r in rows if r.kind == SHOWN_NOTICE] == [(SHOWN_NOTICE, "sent")]
    told = [
        m.plain_text() or ""
        for m in bruno.messages
        if "سؤال باسمي عن التنسيق" in (m.plain_text() or "")
    ]
    assert len(told) == 1
    assert "سؤال باسمي عن التنسيق" in told[0]
    assert "Your question" not in told[0]
    amina_rows = await harness.services.delivery.store.for_user(AMINA)
    assert [r for r in amina_rows if r.kind == SHOWN_NOTICE] == []


async def test_votes_rank_the_questions_and_a_second_tap_takes_the_vote_back(
    harness: Harness,
) -> None:
    amina = await delegate(harness, AMINA, "fr")
    bruno = await delegate(harness, BRUNO, "ar")
    carla = await delegate(harness, CARLA)
    chair = await chair_of(harness)
    for text in ("First question", "Second question", "Third question"):
        await ask(carla, text)
        harness.clock.advance(seconds=30)
    await approve(harness, chair, "First question", "Second question", "Third question")
    first = await question_id(harness, "First question")
    second = await question_id(harness, "Second question")
    await listing(amina)
    assert await tap(amina, f"pq:v:{second}:0") == "Votre vote est compté."
    await listing(bruno)
    await tap(bruno, f"pq:v:{second}:0")
    await tap(bruno, f"pq:v:{first}:0")
    text = await listing(carla)
    assert text.index("Second question") < text.index("First question") < text.index("Third")
    assert "Second question — anonymous · 👍 2" in text
    # One vote per delegate: a second tap takes Bruno's back.
    await listing(bruno)
    assert "✅ 👍 2" in str(bruno.last.buttons())
    await tap(bruno, f"pq:v:{second}:0")
    await tap(bruno, f"pq:v:{first}:0")
    await tap(bruno, f"pq:v:{first}:0")  # and votes again
    text = await listing(carla)
    assert "Second question — anonymous · 👍 1" in text
    assert "First question — anonymous · 👍 1" in text
    assert text.index("First question") < text.index("Second question")  # oldest first on a tie


async def test_a_tap_handled_again_after_a_restart_does_not_take_the_vote_back(
    harness: Harness,
) -> None:
    """A vote is a toggle. A process killed after the vote was written, before its update was
    marked as being answered, handles that update again after the restart: the same tap must
    give the same answer, not toggle the vote back (found by tests/test_live_process.py)."""
    carla = await delegate(harness, CARLA)
    chair = await chair_of(harness)
    await ask(carla, "First question")
    await approve(harness, chair, "First question")
    first = await question_id(harness, "First question")
    geneva = harness.services.events.consultations[GENEVA_ID]
    panel = harness.services.panel
    assert await panel.vote(AMINA, geneva, first, tap=501) is True
    assert await panel.vote(AMINA, geneva, first, tap=501) is True  # the same tap again
    assert "First question — anonymous · 👍 1" in await listing(carla)
    assert await panel.vote(AMINA, geneva, first, tap=502) is False  # a new tap: taken back
    assert await panel.vote(AMINA, geneva, first, tap=502) is False
    assert "First question — anonymous · 👍 0" in await listing(carla)
    # Kept a day: older taps are pruned as new ones come.
    await harness.services.db.connection.execute(
        "UPDATE panel_vote_taps SET tapped_at = '2000-01-01T00:00:00+00:00'"
    )
    await panel.vote(BRUNO, geneva, first, tap=503)
    kept = await harness.services.db.connection.execute_fetchall(
        "SELECT update_id FROM panel_vote_taps ORDER BY update_id"
    )
    assert [row[0] for row in kept] == [503]


async def test_the_chair_pins_the_question_being_asked_then_marks_it_answered(
    harness: Harness,
) -> None:
    amina = await delegate(harness, AMINA, "ar")
    chair = await chair_of(harness)
    await ask(amina, "A question about climate")
    await ask(amina, "A question about displacement")
    await chair.send("/q")
    await tap(chair, f"pc:b:{LIVE}")
    await tap(chair, f"pc:w:{LIVE}:0")
    climate = await question_id(harness, "A question about climate")
    displacement = await question_id(harness, "A question about displacement")
    await tap(chair, f"pc:o:{climate}:w:0")
    await tap(chair, f"pc:o:{displacement}:w:0")
    await tap(chair, f"pc:r:{LIVE}:0")
    assert await tap(chair, f"pc:p:{displacement}:r:0") == "Pinned: shown at the top for everyone."
    text = await listing(amina)
    pinned_line = next(line for line in text.splitlines() if line.startswith("📌"))
    assert "A question about displacement" in pinned_line
    assert text.index("displacement") < text.index("climate")
    # Answered, the question being asked is no longer pinned: the chair is told so.
    answered = await tap(chair, f"pc:d:{displacement}:r:0")
    assert answered == "Marked answered: no longer pinned, nor shown at the top."
    assert await tap(chair, f"pc:d:{climate}:r:0") == "Marked answered."  # was not pinned
    text = await listing(amina)
    assert not any(line.startswith("📌") for line in text.splitlines())
    assert "✔️" in next(line for line in text.splitlines() if "displacement" in line)
    # An answered question goes after those still to be asked.
    assert text.index("climate") < text.index("displacement")
    await tap(amina, f"pq:m:{LIVE}")
    assert "تمت الإجابة" in seen(amina)  # "answered", in Arabic


# --- limits -------------------------------------------------------------------------------------


async def test_limits_each_have_a_clear_translated_answer(harness: Harness) -> None:
    amina = await delegate(harness, AMINA, "fr")
    chair = await chair_of(harness)
    answer = await ask(amina, "x" * 501)
    assert "501" in answer
    assert "500" in answer
    assert await questions(harness) == []
    # At most three questions a minute to a panel.
    for number in range(3):
        await ask(amina, f"Question {number}")
    assert "3 questions par minute" in await ask(amina, "Question 3")
    assert len(await questions(harness)) == 3
    harness.clock.advance(seconds=61)
    await amina.send("Question 3")  # the same prompt still waits for it
    assert len(await questions(harness)) == 4
    # Too early, and over: told when, in French.
    geneva = harness.services.events.consultations[GENEVA_ID]
    earlier = next(s for s in geneva.sessions if s.id == EARLIER)
    assert await forge(amina, f"pq:a:{LATER}") == (
        "Les questions pour cette session ouvrent le mardi 8 décembre 2026 · 10:45."
    )
    assert "pq:x" not in amina.last.callback_data()
    assert "terminée" in await forge(amina, f"pq:a:{EARLIER}")
    assert earlier.title.get("fr") not in seen(amina)  # no prompt for it
    # Voting on a hidden question (an old list's button).
    await chair.send("/q")
    await tap(chair, f"pc:b:{LIVE}")
    await tap(chair, f"pc:w:{LIVE}:0")
    hidden = await question_id(harness, "Question 0")
    assert await tap(chair, f"pc:h:{hidden}:w:0") == "Hidden: nobody but its author sees it."
    assert "masquée" in await forge(amina, f"pq:v:{hidden}:0")
    assert [q.votes for q in await questions(harness) if q.id == hidden] == [0]
    # Once the session is over, no more questions.
    harness.clock.advance(minutes=30)
    assert "terminée" in await forge(amina, f"pq:a:{LIVE}")


# --- the chairs' side ---------------------------------------------------------------------------


async def test_delegates_never_reach_the_chairs_actions(harness: Harness) -> None:
    amina = await delegate(harness, AMINA)
    bruno = await delegate(harness, BRUNO)
    await ask(amina, "Waiting question")
    waiting = await question_id(harness, "Waiting question")
    refusal = "Sorry, this is only for the session's chairs and moderators."
    for data in (
        f"pc:o:{waiting}:w:0",
        f"pc:h:{waiting}:w:0",
        f"pc:p:{waiting}:r:0",
        f"pc:d:{waiting}:r:0",
        f"pc:b:{LIVE}",
        f"pc:w:{LIVE}:0",
        f"pc:r:{LIVE}:0",
    ):
        assert await forge(bruno, data) == refusal, data
    assert [(q.status, q.pinned) for q in await questions(harness)] == [("waiting", False)]
    assert await harness.services.panel.board(GENEVA_ID, LIVE, BRUNO) is None
    assert "Waiting question" not in " ".join(m.plain_text() or "" for m in bruno.messages)
    # Nor do they see the chair's button on the card.
    await bruno.send("/agenda")
    await bruno.press_data(bruno.last.message_id, f"ag:s:{LIVE}", check=False)
    assert f"pq:a:{LIVE}" in bruno.last.callback_data()
    assert f"pc:b:{LIVE}" not in bruno.last.callback_data()
    # A chair of another session is no chair of this one.
    geneva = harness.services.events.consultations[GENEVA_ID]
    await harness.services.panel.add_chair(geneva, LATER, BRUNO)
    assert await forge(bruno, f"pc:o:{waiting}:w:0") == refusal
    assert not await harness.services.panel.is_chair(BRUNO, GENEVA_ID, LIVE)
    assert await harness.services.panel.is_chair(ORGANISER_ID, GENEVA_ID, LIVE)


async def test_the_chairs_live_message_is_edited_through_the_outbox_without_flooding(
    harness: Harness,
) -> None:
    amina = await delegate(harness, AMINA, "fr")
    chair = await chair_of(harness)
    await chair.send("/agenda")
    await chair.press_data(chair.last.message_id, f"ag:s:{LIVE}", check=False)
    await tap(chair, f"pc:b:{LIVE}")
    board = chair.last
    assert "To approve: 0" in (board.plain_text() or "")
    harness.api.calls.clear()
    # Three questions within a few seconds: one edit owed to the chair, not three messages.
    for number in range(3):
        await amina.send("/q")
        await tap(amina, f"pq:a:{LIVE}")
        await amina.send(f"Question {number}")
    rows = [r for r in await harness.services.delivery.store.for_user(CHAIR) if r.kind == BOARD]
    assert len(rows) == 1
    await deliver(harness)
    edits = harness.api.calls_to("editMessageText")
    chair_edits = [c for c in edits if c.params.get("message_id") == board.message_id]
    assert len(chair_edits) == 1
    assert "To approve: 3" in (_message(harness, CHAIR, board.message_id).plain_text() or "")
    sent = harness.api.calls_to("sendMessage")
    assert [c for c in sent if c.params["chat_id"] == CHAIR] == []  # no new message
    # A vote later: one more edit, after the debounce.
    await tap(chair, f"pc:w:{LIVE}:0")
    for number in range(3):
        await tap(chair, f"pc:o:{await question_id(harness, f'Question {number}')}:w:0")
    await listing(amina)
    await tap(amina, f"pq:v:{await question_id(harness, 'Question 2')}:0")
    await deliver(harness)
    text = (_message(harness, CHAIR, board.message_id).plain_text() or "").translate(ISOLATES)
    assert "Shown: 3" in text
    assert "Question 2 — anonymous · 👍 1" in text


def _message(harness: Harness, chat_id: int, message_id: int) -> FakeMessage:
    return next(m for m in harness.api.bot_messages(chat_id) if m.message_id == message_id)


# --- data files, /chairs, the command line, the door QR code ------------------------------------


def with_chairs(tmp_path: Path, chairs: list[Any], questions_need_approval: str) -> Path:
    """A copy of the sample data whose live session has `chairs`, and whose consultation says
    `questions_need_approval` as written; its folder."""
    data = copied_data(tmp_path)
    sessions = data / GENEVA_ID / "sessions.yaml"
    raw = yaml.safe_load(sessions.read_text(encoding="utf-8"))
    next(s for s in raw["sessions"] if s["id"] == LIVE)["chairs"] = chairs
    sessions.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    consultation = data / GENEVA_ID / "consultation.yaml"
    consultation.write_text(
        consultation.read_text(encoding="utf-8")
        + f"\nquestions_need_approval: {questions_need_approval}\n",
        "utf-8",
    )
    return data


@pytest.fixture
async def no_approval(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """The sample event with `chairs: [2001]` on the opening and no approval needed."""
    data = with_chairs(tmp_path, [CHAIR], questions_need_approval="false")
    async with on_data(tmp_path, clock, data) as harness:
        yield harness


async def test_chairs_of_the_data_files_and_questions_shown_at_once(no_approval: Harness) -> None:
    harness = no_approval
    amina = await delegate(harness, AMINA, "ar")
    carla = await delegate(harness, CARLA)
    chair = await delegate(harness, CHAIR)
    answer = await ask(amina, "سؤال يظهر فوراً")
    assert "يمكن للجميع الآن رؤيته والتصويت له." in answer  # no chair's approval needed
    assert "[ar] سؤال يظهر فوراً — anonymous" in await listing(carla)
    assert await harness.services.panel.is_chair(CHAIR, GENEVA_ID, LIVE)
    await chair.send("/q")
    assert f"pc:b:{LIVE}" in chair.last.callback_data()
    assert not await harness.services.panel.is_chair(CHAIR, GENEVA_ID, LATER)


async def test_organisers_name_chairs_with_the_chairs_command(harness: Harness) -> None:
    organiser = await delegate(harness, ORGANISER_ID)
    bruno = await delegate(harness, BRUNO)
    await organiser.send(f"/chairs {LIVE} add {BRUNO}")
    assert f"{BRUNO} is now a chair of this session." in seen(organiser)
    assert f"{BRUNO} Bruno" in seen(organiser)
    assert await harness.services.panel.is_chair(BRUNO, GENEVA_ID, LIVE)
    await bruno.send("/q")
    assert f"pc:b:{LIVE}" in bruno.last.callback_data()
    await organiser.send(f"/chairs {LIVE} remove {BRUNO}")
    assert "no longer a chair" in seen(organiser)
    assert not await harness.services.panel.is_chair(BRUNO, GENEVA_ID, LIVE)
    await organiser.send("/chairs nowhere add 5")
    assert "No session has the id nowhere." in seen(organiser)
    # Delegates cannot.
    await bruno.send(f"/chairs {LIVE} add {BRUNO}")
    assert seen(bruno) == "Sorry, this is only for the organisers."
    assert not await harness.services.panel.is_chair(BRUNO, GENEVA_ID, LIVE)


def test_the_command_line_names_chairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    monkeypatch.setenv("DATA_DIR", str(ROOT / "data"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["chairs", LIVE, "add", "4242"]) == 0
    assert main(["chairs", LIVE, "list"]) == 0
    assert "4242\t(database)" in capsys.readouterr().out
    assert main(["chairs", LIVE, "remove", "4242"]) == 0
    assert main(["chairs", LIVE, "remove", "4242"]) == 1
    assert main(["chairs", "nowhere", "list"]) == 2


async def test_the_door_qr_codes_lead_to_the_questions(harness: Harness) -> None:
    amina = harness.chat(AMINA, "fr", first_name="Amina")
    await amina.send(f"/start q_{LIVE}")
    assert "Questions au panel" in seen(amina)
    assert f"pq:a:{LIVE}" in amina.last.callback_data()
    # The feedback QR code offers it too while the session runs.
    await amina.send(f"/start fb_{LIVE}")
    assert f"fb:r:{LIVE}:5" in amina.last.callback_data()
    assert f"pq:a:{LIVE}" in amina.last.callback_data()
    await amina.send(f"/start fb_{EARLIER}")
    assert f"pq:a:{EARLIER}" not in amina.last.callback_data()
    # Those who opened the session's door code or card lately are its audience.
    bruno = await delegate(harness, BRUNO)
    await bruno.send("/agenda")
    await bruno.press_data(bruno.last.message_id, f"ag:s:{LIVE}", check=False)
    since = harness.clock.now()
    harness.clock.advance(minutes=5)
    audience = harness.services.panel.audience
    assert await audience(GENEVA_ID, LIVE, since - _minutes(60)) == [AMINA, BRUNO]
    assert await audience(GENEVA_ID, LIVE, since + _minutes(1)) == []
    assert await audience(GENEVA_ID, EARLIER, since - _minutes(60)) == [AMINA]


def _minutes(count: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=count)


# --- exports and forgetting ---------------------------------------------------------------------


async def test_exports_name_no_anonymous_asker_nor_does_the_database(
    harness: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    amina = await delegate(harness, AMINA, "fr")
    bruno = await delegate(harness, BRUNO, "ar")
    await ask(amina, "Une question anonyme")
    await ask(bruno, "سؤال باسمي", named=True)
    await listing(amina)
    moderator = await delegate(harness, MODERATOR_ID, "fr")
    await moderator.send("/reviews")
    await tap(moderator, "mv:x:q:csv")
    document = moderator.last.document
    assert document is not None
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0][:7] == [
        "Identifiant de la session",
        "Session",
        "Question",
        "Langue",
        "Votes",
        "Statut",
        "Posée par",
    ]
    by_text = {row[2]: row for row in rows[1:]}
    assert by_text["Une question anonyme"][3:7] == [
        "fr",
        "0",
        "en attente d'approbation",
        "anonyme",
    ]
    assert by_text["سؤال باسمي"][6] == "Bruno"
    assert "Amina" not in document.content.decode("utf-8-sig")
    assert str(AMINA) not in document.content.decode("utf-8-sig")
    # The SQLite file itself: the anonymous question holds neither the id, the name, nor the
    # hash the other anonymous tables use for Amina (a named ticket sits beside that one).
    anonymity = harness.services.feedback._anonymity
    assert anonymity is not None
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT * FROM panel_questions WHERE text = ?", ("Une question anonyme",)
        ).fetchone()
        values = [str(v) for v in dict(row).values()]
        assert row["user_id"] is None
        assert row["display_name"] is None
        assert str(AMINA) not in values
        assert "Amina" not in values
        assert anonymity.author(AMINA) not in values
        for table in ("panel_questions", "panel_votes", "panel_pins"):
            for stored in db.execute(f"SELECT * FROM {table}"):
                assert "Amina" not in " ".join(str(v) for v in tuple(stored))
                assert str(AMINA) not in [str(v) for v in tuple(stored)]
    # The command line's export says the same.
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    monkeypatch.setenv("DATA_DIR", str(ROOT / "data"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    out = tmp_path / "questions.csv"
    code = await asyncio.to_thread(
        main, ["export", "questions", "--consultation", GENEVA_ID, "--out", str(out)]
    )
    assert code == 0
    exported = out.read_text(encoding="utf-8-sig")
    assert "Une question anonyme" in exported
    assert "Amina" not in exported
    assert "سؤال باسمي" in exported


async def test_forget_deletes_the_delegates_questions_and_votes(harness: Harness) -> None:
    amina = await delegate(harness, AMINA, "fr")
    carla = await delegate(harness, CARLA)
    chair = await chair_of(harness)
    await ask(amina, "Anonyme d'Amina")
    await ask(amina, "Nommée d'Amina", named=True)
    await ask(carla, "Carla's question")
    await approve(harness, chair, "Anonyme d'Amina", "Nommée d'Amina", "Carla's question")
    carlas = await question_id(harness, "Carla's question")
    await listing(amina)
    await tap(amina, f"pq:v:{carlas}:0")
    assert [q.votes for q in await questions(harness) if q.id == carlas] == [1]
    await amina.send("/forget")
    await amina.press("Oui")
    assert [q.text for q in await questions(harness)] == ["Carla's question"]
    assert [q.votes for q in await questions(harness)] == [0]
    text = await listing(carla)
    assert "Amina" not in text
    assert "Anonyme" not in text


def test_the_data_files_refuse_chairs_that_are_no_user_ids(tmp_path: Path) -> None:
    data = with_chairs(tmp_path, ["@chiara"], questions_need_approval="maybe")
    with pytest.raises(EventDataError) as raised:
        load_event_data(data)
    problems = "\n".join(str(p) for p in raised.value.problems)
    assert "'chairs' must be a list of Telegram user ids" in problems
    assert "'questions_need_approval' must be true or false, not 'maybe'" in problems
