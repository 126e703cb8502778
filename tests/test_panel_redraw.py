"""Live sessions in a burst: a vote's tap is answered at once and its list of questions is drawn
again a moment later, once for several fast taps, showing the last state; another button of the
message drops the redraw owed to it; a vote whose redraw is still owed when the bot stops is
counted all the same; the chair's live message is not flooded meanwhile, and in tests it follows
the test's clock, not real time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.clock import ManualClock
from bot.fakeapi import FakeMessage
from bot.services.panel import APPROVE, BOARD, BOARD_EVERY
from tests.conftest import GENEVA_ID, ORGANISER_ID, Harness, build_harness, make_config, started
from tests.test_panel import (
    AMINA,
    BRUNO,
    CARLA,
    CHAIR,
    ISOLATES,
    LIVE,
    chair_of,
    delegate,
    deliver,
    listing,
    tap,
)


async def shown_questions(harness: Harness, count: int) -> list[int]:
    """`count` questions asked (by Carla, through the service, 21 s apart: under the limit) and
    approved: their ids."""
    panel = harness.services.panel
    geneva = harness.services.events.consultations[GENEVA_ID]
    await delegate(harness, CARLA)
    ids = []
    for number in range(1, count + 1):
        harness.clock.advance(seconds=21)
        question = await panel.ask(
            CARLA, geneva, LIVE, f"Question number {number}", name=None, language="en"
        )
        await panel.moderate(ORGANISER_ID, geneva, question.id, APPROVE)
        ids.append(question.id)
    return ids


def edits_of(harness: Harness, message: FakeMessage) -> int:
    return sum(
        1
        for call in harness.api.calls_to("editMessageText")
        if call.params.get("chat_id") == message.chat_id
        and call.params.get("message_id") == message.message_id
    )


def now_showing(harness: Harness, message: FakeMessage) -> FakeMessage:
    return next(
        m for m in harness.api.bot_messages(message.chat_id) if m.message_id == message.message_id
    )


def vote_buttons(message: FakeMessage) -> list[str]:
    return [
        str(b["text"])
        for row in message.buttons()
        for b in row
        if str(b.get("callback_data", "")).startswith("pq:v:")
    ]


def popups(harness: Harness) -> list[str]:
    return [str(c.params.get("text")) for c in harness.api.calls_to("answerCallbackQuery")]


async def test_fast_votes_are_answered_at_once_and_drawn_in_one_edit_with_the_last_state(
    harness: Harness,
) -> None:
    amina = await delegate(harness, AMINA, "fr")
    first, second, third = await shown_questions(harness, 3)
    await listing(amina)
    listed = amina.last
    harness.api.calls.clear()
    # Three taps within the same second: each answered at once, the list not yet edited.
    for question in (first, second, third):
        await amina.press_data(listed.message_id, f"pq:v:{question}:0")
    assert popups(harness) == ["Votre vote est compté."] * 3
    assert edits_of(harness, listed) == 0
    harness.clock.advance(seconds=1)
    await harness.services.redraws.run_due()
    assert edits_of(harness, listed) == 1
    shown = now_showing(harness, listed)
    assert vote_buttons(shown) == ["✅ 👍 1 · #1", "✅ 👍 1 · #2", "✅ 👍 1 · #3"]
    assert (shown.plain_text() or "").translate(ISOLATES).count("· 👍 1") == 3
    # A tap within a second of that edit waits for the second to pass: one edit a second.
    harness.clock.advance(seconds=0.5)
    await amina.press_data(listed.message_id, f"pq:v:{second}:0")  # taken back
    harness.clock.advance(seconds=0.6)
    await harness.services.redraws.run_due()
    assert edits_of(harness, listed) == 1
    harness.clock.advance(seconds=0.5)
    await harness.services.redraws.run_due()
    assert edits_of(harness, listed) == 2
    assert vote_buttons(now_showing(harness, listed)) == [
        "✅ 👍 1 · #1",
        "✅ 👍 1 · #2",  # the third question: the second now has no vote and goes last
        "👍 0 · #3",
    ]
    # A vote, then another button of the message: what that button shows stays.
    harness.clock.advance(seconds=5)
    await amina.press_data(listed.message_id, f"pq:v:{first}:0")
    await amina.press_data(listed.message_id, f"pq:m:{LIVE}")
    assert "Mes questions" in (now_showing(harness, listed).plain_text() or "")
    harness.clock.advance(seconds=2)
    assert await harness.services.redraws.run_due() == 0
    assert "Mes questions" in (now_showing(harness, listed).plain_text() or "")
    assert harness.errors() == []


async def test_a_vote_whose_redraw_is_owed_when_the_bot_stops_is_counted(
    tmp_path: Path, clock: ManualClock
) -> None:
    harness = build_harness(make_config(tmp_path), clock)
    async with started(harness):
        bruno = await delegate(harness, BRUNO, "ar")
        (question,) = await shown_questions(harness, 1)
        await listing(bruno)
        listed = bruno.last
        harness.api.calls.clear()
        await bruno.press_data(listed.message_id, f"pq:v:{question}:0")
        assert popups(harness) == ["تم احتساب تصويتك."]
        assert edits_of(harness, listed) == 0  # still owed
    # Stopped (gracefully): the vote is stored, and the list shows it.
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        votes = db.execute(
            "SELECT COUNT(*) FROM panel_votes WHERE question_id = ?", (question,)
        ).fetchone()[0]
    assert votes == 1
    assert edits_of(harness, listed) == 1
    assert vote_buttons(now_showing(harness, listed)) == ["✅ 👍 1 · #1"]


async def test_a_burst_of_votes_floods_neither_the_lists_nor_the_chairs_live_message(
    harness: Harness,
) -> None:
    chair = await chair_of(harness)
    await chair.send("/q")
    await tap(chair, f"pc:b:{LIVE}")
    board = chair.last
    ids = await shown_questions(harness, 4)
    voters = [await delegate(harness, user, "en") for user in (AMINA, BRUNO, 1004, 1005)]
    lists = []
    for voter in voters:
        await listing(voter)
        lists.append(voter.last)
    harness.api.calls.clear()
    await deliver(harness, rounds=4)  # what the questions and the listing owed the board
    assert await harness.services.delivery.store.pending_keys(BOARD, CHAIR) == {}
    board_edits = edits_of(harness, board)
    # The burst begins with one of the live message's periods (BOARD_EVERY).
    harness.clock.advance(seconds=BOARD_EVERY - harness.clock.now().timestamp() % BOARD_EVERY)
    # Four delegates each vote for every question within two seconds, the outbox sending what
    # is due meanwhile, as the running bot's tick does.
    for step in range(4):
        for voter, listed in zip(voters, lists, strict=True):
            await voter.press_data(listed.message_id, f"pq:v:{ids[step]}:0")
        harness.clock.advance(seconds=0.5)
        await harness.services.delivery.process_due()
    assert popups(harness) == ["Your vote is counted."] * 16
    # Each list drawn once after its first second (by the redraws the harness runs after each
    # update), not once per tap; then once more with the last state.
    assert [edits_of(harness, listed) for listed in lists] == [1, 1, 1, 1]
    harness.clock.advance(seconds=1)
    await harness.services.redraws.run_due()
    for listed in lists:
        assert edits_of(harness, listed) == 2
        assert vote_buttons(now_showing(harness, listed)) == [
            "✅ 👍 4 · #1",
            "✅ 👍 4 · #2",
            "✅ 👍 4 · #3",
            "✅ 👍 4 · #4",
        ]
    assert edits_of(harness, board) == board_edits  # the period is not over
    # The half-minute after, the outbox ticking every half second: the chair's live message is
    # edited once for the whole burst, showing its last state.
    for _ in range(60):
        harness.clock.advance(seconds=0.5)
        await harness.services.delivery.process_due()
    assert edits_of(harness, board) == board_edits + 1
    text = (now_showing(harness, board).plain_text() or "").translate(ISOLATES)
    assert "Question number 1 — anonymous · 👍 4" in text
    assert "Question number 4 — anonymous · 👍 4" in text
    assert [m for m in harness.api.bot_messages(CHAIR) if m.message_id > board.message_id] == []
    assert harness.errors() == []


async def test_the_outbox_job_leaves_the_chairs_live_message_to_the_tests_clock(
    harness: Harness,
) -> None:
    """The JobQueue runs the outbox's tick on real time, whatever the test's clock says: on the
    test's clock it sends nothing, or how often the chair's message is edited in a test would
    depend on how fast the machine runs."""
    chair = await chair_of(harness)
    await chair.send("/q")
    await tap(chair, f"pc:b:{LIVE}")
    board = chair.last
    (question,) = await shown_questions(harness, 1)
    await deliver(harness)
    assert await harness.services.delivery.store.pending_keys(BOARD, CHAIR) == {}
    board_edits = edits_of(harness, board)
    amina = await delegate(harness, AMINA, "en")
    await listing(amina)
    await amina.press_data(amina.last.message_id, f"pq:v:{question}:0")
    harness.clock.advance(seconds=BOARD_EVERY)  # the edit the vote owes the board is due
    assert harness.app.job_queue is not None
    (tick,) = harness.app.job_queue.get_jobs_by_name("delivery:tick")
    await tick.run(harness.app)  # as the JobQueue runs it, at some real moment
    assert edits_of(harness, board) == board_edits
    await harness.services.delivery.process_due()
    assert edits_of(harness, board) == board_edits + 1
    text = (now_showing(harness, board).plain_text() or "").translate(ISOLATES)
    assert "Question number 1 — anonymous · 👍 1" in text
