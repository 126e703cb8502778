"""Session feedback, the survey and recommendations, as delegates and moderators use them."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from bot.clock import ManualClock
from bot.fakeapi import FakeBotApi, FakeFile, FakeMessage
from bot.services.data_reading import EventDataError
from bot.services.event_data import load_consultation
from bot.services.exports import to_csv
from bot.services.feedback import Feedback, FeedbackNotOpen, Table
from bot.services.privacy import Anonymity
from bot.storage.database import Database
from bot.storage.feedback import FeedbackStore
from bot.storage.outbox import OutboxItem
from bot.storage.users import UserStore
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    MODERATOR_ID,
    ORGANISER_ID,
    ROOT,
    Chat,
    Harness,
    bot_on,
    copied_data,
    geneva,
    on_data,
    sample_events,
)


async def step(harness: Harness) -> None:
    """A few seconds between taps, as a person would take (and the flood guard expects)."""
    harness.clock.advance(seconds=3)


async def joined(harness: Harness, user_id: int = 1001, language_code: str = "en") -> Chat:
    chat = harness.chat(user_id, language_code, first_name=f"Delegate{user_id}")
    await chat.send("/start")
    await step(harness)
    lang = language_code if language_code in ("en", "fr", "es", "ar") else "en"
    await chat.press(geneva().name.get(lang))
    await step(harness)
    return chat


async def star(harness: Harness, chat: Chat, session_id: str) -> None:
    """Star a session through the programme, as a delegate does."""
    await harness.services.agenda.set_star(chat.user_id, geneva(), session_id, starred=True)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=GENEVA)


async def dispatch(harness: Harness) -> int:
    """One tick of the outbox (which sends prompts with everything else); how many went."""
    return await harness.services.delivery.process_due(harness.clock.now())


async def prompt_rows(harness: Harness, user_id: int) -> list[OutboxItem]:
    rows = await harness.services.delivery.store.for_user(user_id)
    return [r for r in rows if r.kind in ("fb_prompt", "survey_prompt")]


def prompts_to(chat: Chat) -> list[FakeMessage]:
    return [m for m in chat.messages if "🔔" in (m.plain_text() or "")]


# --- prompts after a session --------------------------------------------------------------


async def test_a_delegate_who_starred_a_session_is_prompted_once_when_it_ends(
    harness: Harness,
) -> None:
    chat = await joined(harness)
    await star(harness, chat, "principles-partnership")
    bystander = await joined(harness, 1002)
    harness.clock.set(at(8, 12, 29))
    await dispatch(harness)
    assert prompts_to(chat) == []  # not before the end
    harness.clock.set(at(8, 12, 31))
    assert await dispatch(harness) == 1
    assert await dispatch(harness) == 0  # exactly once
    prompt = prompts_to(chat)[-1]
    assert "How was this session?" in (prompt.plain_text() or "")
    assert geneva().session("principles-partnership").title.get("en") in (
        prompt.plain_text() or ""
    )
    assert prompts_to(bystander) == []
    # One tap rates it.
    await chat.press("4★")
    record = await harness.services.feedback.own(1001, geneva(), "principles-partnership")
    assert record is not None
    assert record.rating == 4
    assert "Your rating: ★★★★☆ (4/5)" in chat.text()
    # ...and can be changed.
    await step(harness)
    await chat.press("2★")
    record = await harness.services.feedback.own(1001, geneva(), "principles-partnership")
    assert record is not None
    assert record.rating == 2


async def test_opening_a_card_during_the_session_counts_and_before_it_does_not(
    harness: Harness,
) -> None:
    during = await joined(harness, 1001)
    before = await joined(harness, 1002)
    await before.send("/agenda")
    await step(harness)
    await before.press("11:00")  # principles-partnership card, before it starts at 11:00
    harness.clock.set(at(8, 11, 30))
    await during.send("/now")
    await step(harness)
    await during.press("Principles")
    harness.clock.set(at(8, 12, 45))
    await dispatch(harness)
    assert len(prompts_to(during)) == 1
    assert prompts_to(before) == []


async def test_the_prompt_comes_in_the_recipients_language(harness: Harness) -> None:
    chat = await joined(harness, 1003, "fr")
    await star(harness, chat, "opening")
    harness.clock.set(at(8, 10, 31))
    await dispatch(harness)
    text = prompts_to(chat)[-1].plain_text() or ""
    assert "Comment s'est passée cette session ?" in text
    assert geneva().session("opening").title.get("fr") in text


async def test_blocked_delegates_are_marked_and_not_retried(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, "opening")
    harness.api.block_user(chat.user_id)
    harness.clock.set(at(8, 10, 31))
    assert await dispatch(harness) == 0
    harness.clock.advance(minutes=5)
    assert await dispatch(harness) == 0
    refused = [c for c in harness.api.calls_to("sendMessage") if not c.ok]
    assert len(refused) == 1  # tried once, never again
    record = await UserStore(harness.services.db.connection).get(chat.user_id)
    assert record is not None
    assert not record.active
    harness.api.calls.clear()  # the 403 was expected, not a bug


async def test_a_prompt_refused_with_429_is_sent_after_the_pause(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, "opening")
    harness.api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 5",
        retry_after=5,
    )
    harness.clock.set(at(8, 10, 31))
    assert await dispatch(harness) == 0
    assert prompts_to(chat) == []
    harness.clock.advance(seconds=6)
    assert await dispatch(harness) == 1
    harness.clock.advance(seconds=6)
    assert await dispatch(harness) == 0
    assert len(prompts_to(chat)) == 1
    harness.api.calls.clear()  # the 429 was expected, not a bug


async def test_a_prompt_lost_to_a_network_error_is_retried(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, "opening")
    harness.api.fail_next("sendMessage", error_code=502, description="Bad Gateway")
    harness.clock.set(at(8, 10, 31))
    assert await dispatch(harness) == 0
    harness.clock.advance(minutes=1)
    assert await dispatch(harness) == 1
    assert len(prompts_to(chat)) == 1
    harness.api.calls.clear()  # the 502 was expected, not a bug


async def test_no_prompt_once_rated_and_none_after_unstarring(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, "opening")
    await star(harness, chat, "principles-partnership")
    harness.clock.set(at(8, 11, 40))  # feedback opens with the session: rated before it ends
    await harness.services.feedback.rate(chat.user_id, geneva(), "principles-partnership", 5)
    await harness.services.agenda.set_star(chat.user_id, geneva(), "opening", starred=False)
    harness.clock.set(at(8, 12, 45))
    await dispatch(harness)
    assert prompts_to(chat) == []
    states = {r.key: r.state for r in await prompt_rows(harness, chat.user_id)}
    assert states[f"fb_prompt:{GENEVA_ID}:opening:{chat.user_id}"] == "cancelled"
    rated = states[f"fb_prompt:{GENEVA_ID}:principles-partnership:{chat.user_id}"]
    assert rated in ("cancelled", "skipped")  # dropped when its time came


async def test_a_moved_session_moves_its_prompt(tmp_path: Path, clock: ManualClock) -> None:
    data = copied_data(tmp_path)
    async with on_data(tmp_path, clock, data) as harness:
        chat = await joined(harness)
        await star(harness, chat, "principles-partnership")  # 11:00-12:30
        path = data / GENEVA_ID / "sessions.yaml"
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in raw["sessions"]:
            if entry["id"] == "principles-partnership":
                entry.update(start="2026-12-08T13:00", end="2026-12-08T14:00")
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
        boss = await joined(harness, ORGANISER_ID)
        await boss.send("/reload")
        assert "Programme reloaded." in boss.text()
        harness.clock.set(at(8, 12, 35))
        await dispatch(harness)
        assert prompts_to(chat) == []
        harness.clock.set(at(8, 14, 1))
        await dispatch(harness)
        assert len(prompts_to(chat)) == 1


async def test_a_card_opened_during_the_session_plans_its_prompt_at_once(
    harness: Harness,
) -> None:
    chat = await joined(harness)
    await star(harness, chat, "principles-partnership")
    await harness.services.agenda.set_star(
        chat.user_id, geneva(), "principles-partnership", starred=False
    )  # its prompt is cancelled...
    harness.clock.set(at(8, 11, 30))
    await chat.send("/now")
    await step(harness)
    await chat.press("Principles")  # ...and comes back: they were there
    (row,) = [r for r in await prompt_rows(harness, chat.user_id) if r.kind == "fb_prompt"]
    assert row.state == "pending"
    assert row.due_at == geneva().session("principles-partnership").end


async def test_comment_is_anonymous_by_default_and_can_be_signed(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, "opening")
    harness.clock.set(at(8, 10, 31))
    await dispatch(harness)
    await chat.press("5★")
    await step(harness)
    await chat.press("Add a comment")
    assert "anonymous" in chat.text()
    await step(harness)
    await chat.send("Great panel, <b>too short</b>")
    assert "saved, anonymously" in chat.text()
    record = await harness.services.feedback.own(1001, geneva(), "opening")
    assert record is not None
    assert record.comment == "Great panel, <b>too short</b>"
    assert not record.signed
    await step(harness)
    await chat.press("Sign with my name")
    assert "signed Delegate1001" in chat.text()
    # The next text is ordinary chat again, not a second comment.
    await step(harness)
    await chat.send("hello")
    record = await harness.services.feedback.own(1001, geneva(), "opening")
    assert record is not None
    assert record.comment == "Great panel, <b>too short</b>"


async def test_sending_survey_again_keeps_the_written_answer(harness: Harness) -> None:
    chat = await joined(harness)
    harness.clock.set(at(9, 17, 50))
    await chat.send("/survey")
    await step(harness)
    await chat.press("4★")
    await step(harness)
    await chat.press("Workshops")
    assert "Type your answer" in chat.text()
    await step(harness)
    await chat.send("/survey")  # lost the message, or came back later
    assert "Type your answer" in chat.text()
    await step(harness)
    await chat.send("More time for questions")
    assert "Thank you for answering the survey" in chat.text()
    answers = await harness.services.feedback.my_answers(chat.user_id, geneva())
    assert {a.question_id: a.answer for a in answers}["improve"] == "More time for questions"


async def test_a_command_cancels_a_comment_in_progress(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, "opening")
    harness.clock.set(at(8, 10, 31))
    await dispatch(harness)
    await chat.press("Add a comment")
    await step(harness)
    await chat.send("/now")
    await step(harness)
    await chat.send("what time is lunch?")
    assert await harness.services.feedback.own(1001, geneva(), "opening") is None


async def test_i_did_not_attend(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, "opening")
    harness.clock.set(at(8, 10, 31))
    await dispatch(harness)
    await chat.press("I did not attend")
    record = await harness.services.feedback.own(1001, geneva(), "opening")
    assert record is not None
    assert record.rating is None
    assert not record.attended
    assert "did not attend" in chat.text()


async def test_the_window_closes_at_the_end_of_the_next_day(harness: Harness) -> None:
    chat = await joined(harness)
    await star(harness, chat, "opening")
    harness.clock.set(at(8, 10, 31))
    await dispatch(harness)
    harness.clock.set(at(9, 23, 59))
    await chat.press("3★")
    assert "Your rating" in chat.text()
    harness.clock.set(at(10, 0, 1))
    changed = await chat.press("4★")  # (the survey invitation may arrive meanwhile)
    assert any("closed" in (m.plain_text() or "") for m in changed)
    record = await harness.services.feedback.own(1001, geneva(), "opening")
    assert record is not None
    assert record.rating == 3
    await chat.send("/feedback")
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert not any("Opening" in label for label in labels)


async def test_feedback_lists_open_sessions(harness: Harness) -> None:
    chat = await joined(harness)
    harness.clock.set(at(8, 12, 40))
    await chat.send("/feedback")
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert any("Principles" in label for label in labels)
    assert not any("Coffee" in label for label in labels)  # breaks are not rated
    await step(harness)
    await chat.press("Principles")
    await step(harness)
    await chat.press("5★")
    await step(harness)
    await chat.send("/feedback")
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert any(label.startswith("✅") and "Principles" in label for label in labels)


# --- deep link ----------------------------------------------------------------------------


async def test_deep_link_opens_the_sessions_feedback_even_for_a_new_delegate(
    harness: Harness,
) -> None:
    chat = harness.chat(1010, "es")
    await chat.send("/start fb_opening")
    assert geneva().session("opening").title.get("es") in chat.text()
    await step(harness)
    await chat.press("4★")
    record = await harness.services.feedback.own(1010, geneva(), "opening")
    assert record is not None
    assert record.rating == 4
    profile = await harness.services.people.profile(1010)
    assert profile.consultation_id == GENEVA_ID


async def test_deep_link_before_the_session_and_unknown_session(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/start fb_closing")
    assert "opens when the session starts" in chat.text()
    assert chat.last.buttons() == []
    await step(harness)
    await chat.send("/start fb_no-such-session")
    assert "could not find that session" in chat.text()


def test_deep_links_fit_telegrams_limits() -> None:
    for consultation in sample_events().consultations.values():
        for session in consultation.sessions:
            payload = f"fb_{session.id}"
            assert len(payload) <= 64
            assert all(c.isalnum() or c in "_-" for c in payload)
            assert len(f"fb:r:{session.id}:5".encode()) <= 64


# --- survey and recommendations -----------------------------------------------------------


async def test_survey_is_sent_once_when_the_consultation_ends_and_can_be_answered(
    harness: Harness,
) -> None:
    chat = await joined(harness)
    await chat.send("/survey")
    assert "opens when the consultation ends" in chat.text()
    harness.clock.set(at(9, 17, 50))
    await dispatch(harness)
    await dispatch(harness)
    surveys = [m for m in chat.messages if "Start the survey" in str(m.buttons())]
    assert len(surveys) == 1
    await chat.press("Start the survey")
    assert "Question 1 of 3" in chat.text()
    await step(harness)
    await chat.press("4★")
    assert "Which format" in chat.text()
    await step(harness)
    await chat.press("Workshops")
    assert "Type your answer" in chat.text()
    await step(harness)
    await chat.send("More time for questions")
    assert "Thank you for answering the survey" in chat.text()
    table = await harness.services.feedback.survey_table(geneva())
    assert table.header == (
        "Respondent",
        "Overall, how useful was this consultation for your organisation?",
        "Which format worked best for you?",
        "What one thing should we change next time?",
    )
    assert table.rows == [(1, 4, "Workshops", "More time for questions")]
    harness.clock.set(at(17, 18))
    await chat.send("/survey")
    assert "survey is closed" in chat.text()


async def test_recommendation_by_theme(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/recommend")
    await step(harness)
    await chat.press("Localization")
    assert "Write your recommendation" in chat.text()
    await step(harness)
    await chat.send("Pool funds for local NGOs")
    assert "saved, anonymously" in chat.text()
    table = await harness.services.feedback.recommendation_table(geneva())
    assert table.rows[0][:4] == (
        "localization",
        "Localization and funding",
        "Pool funds for local NGOs",
        "",
    )
    await step(harness)
    await chat.press("Sign with my name")
    table = await harness.services.feedback.recommendation_table(geneva())
    assert table.rows[0][3] == "Delegate1001"


async def test_myfeedback_shows_and_deletes_own_feedback(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/myfeedback")
    assert "not given any feedback" in chat.text()
    await harness.services.feedback.rate(1001, geneva(), "opening", 5)
    await harness.services.feedback.recommend(1001, geneva(), "other", "Shorter speeches")
    other = await joined(harness, 1002)
    await harness.services.feedback.rate(1002, geneva(), "opening", 1)
    await step(harness)
    await chat.send("/myfeedback")
    assert "★★★★★" in chat.text()
    assert "Shorter speeches" in chat.text()
    assert "★☆☆☆☆" not in chat.text()  # only one's own
    await step(harness)
    await chat.press("🗑 " + geneva().session("opening").title.get("en")[:20])
    assert await harness.services.feedback.own(1001, geneva(), "opening") is None
    assert await harness.services.feedback.own(1002, geneva(), "opening") is not None
    await step(harness)
    await chat.press("🗑 Shorter")
    assert "not given any feedback" in chat.text()
    # Someone else's item cannot be deleted with forged data.
    mine = await harness.services.feedback.own(1002, geneva(), "opening")
    assert mine is not None
    await step(harness)
    await chat.press_data(chat.last.message_id, f"fb:del:{mine.id}", check=False)
    assert await harness.services.feedback.own(1002, geneva(), "opening") is not None
    assert other.user_id == 1002


# --- moderators ---------------------------------------------------------------------------


async def rated_session(harness: Harness) -> None:
    """Three delegates rated the opening: one signed comment, one abusive, one anonymous."""
    feedback = harness.services.feedback
    harness.clock.set(at(8, 10, 40))
    for user_id, rating, comment in (
        (2001, 5, "Inspiring opening"),
        (2002, 1, "ABUSIVE words"),
        (2003, 4, "Good, but the room was cold"),
    ):
        await harness.services.people.profile(user_id, f"Name{user_id}")
        await feedback.rate(user_id, geneva(), "opening", rating)
        await feedback.comment(user_id, geneva(), "opening", comment)
    record = await feedback.own(2001, geneva(), "opening")
    assert record is not None
    await feedback.sign(2001, record.id, "Amina")


async def test_moderator_reviews_histogram_comments_hide_and_export(harness: Harness) -> None:
    await rated_session(harness)
    mod = await joined(harness, MODERATOR_ID)
    await mod.send("/reviews")
    assert "opening" not in mod.text()
    assert "3.3★" in mod.text()
    assert "3 ratings · 3 comments" in mod.text()
    await step(harness)
    await mod.press("3.3★")
    photos = [m for m in mod.messages if m.kind == "photo"]
    assert len(photos) == 1
    assert "Average: 3.3★" in (photos[0].plain_text() or photos[0].caption or "")
    assert "Inspiring opening" in mod.text()
    assert "signed: Amina" in mod.text()
    assert "Name2002" not in mod.text()  # anonymous comments never show who wrote them
    # Hide the abusive comment: kept and marked, left out of the export.
    record = await harness.services.feedback.own(2002, geneva(), "opening")
    assert record is not None
    await step(harness)
    message, button = next(
        (m, b)
        for m in reversed(mod.messages)
        for row in m.buttons()
        for b in row
        if b.get("callback_data", "").startswith(f"mv:h:{record.id}:")
    )
    await mod.press_data(message.message_id, button["callback_data"])
    assert "Hidden by a moderator" in mod.text()
    assert "ABUSIVE words" in mod.text()
    await step(harness)
    await mod.press("Export CSV")
    document = mod.last.document
    assert document is not None
    assert document.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert [(r["Rating"], r["Comment"], r["Signed by"]) for r in rows] == [
        ("5", "Inspiring opening", "Amina"),
        ("1", "", ""),
        ("4", "Good, but the room was cold", ""),
    ]
    content = document.content.decode("utf-8-sig")
    assert "ABUSIVE" not in content
    for user_id in ("2001", "2002", "2003", "Name2002", "Name2003"):
        assert user_id not in content


async def test_moderator_pages_through_comments(harness: Harness) -> None:
    feedback = harness.services.feedback
    harness.clock.set(at(8, 10, 40))
    for user_id in range(3000, 3012):
        await harness.services.people.profile(user_id, "x")
        await feedback.comment(user_id, geneva(), "opening", f"comment number {user_id}")
    mod = await joined(harness, MODERATOR_ID)
    await mod.send("/reviews")
    await step(harness)
    await mod.press("Sort by time")
    await step(harness)
    await mod.press(geneva().session("opening").title.get("en")[:20])
    assert "Page 1 of 3" in mod.text()
    assert "#1" in mod.text()
    await step(harness)
    await mod.press("▶")
    assert "Page 2 of 3" in mod.text()
    assert "#6" in mod.text()
    assert "#1 " not in mod.text()


async def review_export(harness: Harness, language: str, label: str) -> FakeFile:
    """The file a moderator reading `language` gets from /reviews' button `label`."""
    mod = await joined(harness, MODERATOR_ID, language)
    await mod.send("/reviews")
    await step(harness)
    await mod.press(label)
    document = mod.last.document
    assert document is not None
    return document


async def test_xlsx_export_and_survey_export_buttons(harness: Harness) -> None:
    await rated_session(harness)
    mod = await joined(harness, MODERATOR_ID)
    await mod.send("/reviews")
    await step(harness)
    await mod.press("Feedback XLSX")
    document = mod.last.document
    assert document is not None
    sheet = load_workbook(io.BytesIO(document.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][3] == "Rating"
    assert len(values) == 4
    await step(harness)
    await mod.press("Recommendations CSV")
    assert mod.last.document is not None


async def test_a_french_moderators_export_reads_in_french_with_its_time_zone(
    harness: Harness,
) -> None:
    await rated_session(harness)
    document = await review_export(harness, "fr", "Avis (CSV)")
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Identifiant de la session",
        "Session",
        "Début de la session (Europe/Zurich)",
        "Note",
        "Présence",
        "Commentaire",
        "Signé par",
        "Date d'envoi (Europe/Zurich)",
    ]
    title = geneva().session("opening").title.get("fr")  # type: ignore[union-attr]
    # CSV keeps times as ISO text, in the zone the header names.
    assert rows[1] == [
        "opening",
        title,
        "2026-12-08 09:00",
        "5",
        "oui",
        "Inspiring opening",
        "Amina",
        "2026-12-08 10:40",
    ]


async def test_xlsx_times_are_date_cells_in_the_consultations_zone(harness: Harness) -> None:
    await rated_session(harness)
    document = await review_export(harness, "es", "Opiniones (XLSX)")
    book = load_workbook(io.BytesIO(document.content))
    assert book.sheetnames == ["Opiniones sobre las sesiones"]
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[2] == "Inicio de la sesión (Europe/Zurich)"
    assert header[7] == "Fecha de envío (Europe/Zurich)"
    start, submitted = sheet.cell(2, 3), sheet.cell(2, 8)
    # Real dates a spreadsheet can sort and compute with, shown as dates and times.
    # The local time the header names (a spreadsheet has no time zones).
    assert start.value == at(8, 9).replace(tzinfo=None)
    assert submitted.value == at(8, 10, 40).replace(tzinfo=None)
    assert start.is_date
    assert submitted.number_format == "yyyy-mm-dd hh:mm"
    assert sheet.cell(2, 5).value == "sí"


async def test_survey_and_recommendation_exports_in_arabic(harness: Harness) -> None:
    harness.clock.set(at(8, 10, 40))
    feedback = harness.services.feedback
    await feedback.recommend(2001, geneva(), "localization", "Pool funds")
    await feedback.recommend(2002, geneva(), "other", "Shorter speeches")
    table = await feedback.table("recommendations", geneva(), "ar")
    assert table.title == "التوصيات"
    assert table.header == (
        "معرّف المحور",
        "المحور",
        "التوصية",
        "التوقيع",
        "تاريخ الإرسال (Europe/Zurich)",
    )
    themes = [row[1] for row in table.rows]
    assert themes == [geneva().survey.themes[1].title.get("ar"), "أخرى"]  # type: ignore[union-attr]
    assert table.rows[0][4] == at(8, 10, 40)
    survey = await feedback.table("survey", geneva(), "ar")
    assert survey.header[0] == "الشخص"
    assert survey.header[1] == "بشكل عام، ما مدى فائدة هذه المشاورات لمنظمتك؟"


async def test_organiser_has_moderator_rights_and_role_from_database(harness: Harness) -> None:
    await UserStore(harness.services.db.connection).add_role(4242, "moderator", at(8, 9))
    chat = await joined(harness, 4242)
    await chat.send("/reviews")
    assert "Session feedback" in chat.text()


MODERATOR_CALLBACKS = (
    "mv:l:w:0",
    "mv:l:t:1",
    "mv:s:opening",
    "mv:c:opening:0",
    "mv:h:1:0",
    "mv:u:1:0",
    "mv:x:f:csv",
    "mv:x:f:xlsx",
    "mv:x:s:csv",
    "mv:x:r:csv",
)


async def test_delegates_are_refused_every_moderator_command_and_button(
    harness: Harness,
) -> None:
    await rated_session(harness)
    chat = await joined(harness)
    before = len(chat.messages)
    await chat.send("/reviews")
    assert "only for the consultation's moderators" in chat.text()
    assert len(chat.messages) == before + 1
    for data in MODERATOR_CALLBACKS:
        await step(harness)
        count = len(chat.messages)
        await chat.press_data(chat.last.message_id, data, check=False)
        assert len(chat.messages) == count, data  # nothing shown
        answer = harness.api.calls_to("answerCallbackQuery")[-1]
        assert "only for the consultation's moderators" in str(answer.params.get("text")), data
    record = await harness.services.feedback.own(2002, geneva(), "opening")
    assert record is not None
    assert not record.hidden
    assert not [m for m in chat.messages if m.kind in ("photo", "document")]


async def test_refusal_in_french(harness: Harness) -> None:
    chat = await joined(harness, 1005, "fr")
    await chat.send("/reviews")
    assert "réservé aux modérateurs" in chat.text()


# --- services without Telegram ------------------------------------------------------------


async def feedback_service(tmp_path: Path, clock: ManualClock) -> tuple[Feedback, Database]:
    database = await Database.open(tmp_path / "f.sqlite3")
    store = FeedbackStore(database.connection)
    users = UserStore(database.connection)
    return Feedback(store, users, sample_events(), clock, Anonymity("k" * 32)), database


async def test_each_prompt_is_sent_once_across_restarts_in_the_readers_language(
    tmp_path: Path, clock: ManualClock
) -> None:
    api = FakeBotApi(clock=clock.now)
    api.make_message(1001, "/start")  # the delegate has a chat with the bot
    async with bot_on(tmp_path, clock, api) as harness:
        await harness.services.people.profile(1001, "Delegate")
        await harness.services.people.set_language(1001, "fr")
        await harness.services.people.set_consultation(1001, GENEVA_ID)
        await harness.services.agenda.set_star(1001, geneva(), "opening", starred=True)
    clock.set(at(8, 10, 31))
    for _ in range(3):  # restart again and again
        async with bot_on(tmp_path, clock, api) as harness:
            await harness.services.delivery.process_due(clock.now())
            clock.advance(seconds=2)
            await harness.services.delivery.process_due(clock.now())
    prompts = [m for m in api.bot_messages(1001) if "🔔" in (m.plain_text() or "")]
    assert len(prompts) == 1
    assert "Comment s'est passée cette session ?" in (prompts[0].plain_text() or "")


def _database_before_007(path: Path) -> None:
    """A database as the bot left it before prompts moved to the outbox."""
    connection = sqlite3.connect(path)
    for script in sorted((ROOT / "bot" / "storage" / "migrations").glob("00[1-6]_*.sql")):
        connection.executescript(script.read_text(encoding="utf-8"))
    stamp = "2026-12-08T09:31:00+00:00"
    connection.executescript(
        f"""
        PRAGMA user_version = 6;
        INSERT INTO users (user_id, created_at, updated_at) VALUES
            (1, '{stamp}', '{stamp}'), (2, '{stamp}', '{stamp}'), (3, '{stamp}', '{stamp}');
        INSERT INTO feedback_prompts VALUES
            ('session', '{GENEVA_ID}', 'opening', 1, '{stamp}', '{stamp}', 'sent'),
            ('session', '{GENEVA_ID}', 'opening', 2, '{stamp}', '{stamp}', 'blocked'),
            ('session', '{GENEVA_ID}', 'opening', 3, '{stamp}', NULL, NULL),
            ('session', '{GENEVA_ID}', 'opening', 99, '{stamp}', '{stamp}', 'sent'),
            ('survey', '{GENEVA_ID}', '', 1, '{stamp}', '{stamp}', 'sent');
        INSERT INTO feedback_dispatched VALUES ('session', '{GENEVA_ID}', 'opening', '{stamp}');
        """
    )
    connection.commit()
    connection.close()


async def test_migration_carries_sent_prompts_into_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _database_before_007(path)
    database = await Database.open(path)
    async with database.connection.execute(
        "SELECT key, state, payload, sent_at IS NOT NULL AS sent FROM outbox ORDER BY key"
    ) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    async with database.connection.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE 'feedback_%'"
    ) as cursor:
        tables = {row[0] for row in await cursor.fetchall()}
    await database.close()
    assert rows == [
        (f"fb_prompt:{GENEVA_ID}:opening:1", "sent", '{"session": "opening"}', 1),
        (f"fb_prompt:{GENEVA_ID}:opening:2", "failed", '{"session": "opening"}', 0),
        (f"fb_prompt:{GENEVA_ID}:opening:3", "unknown", '{"session": "opening"}', 0),
        (f"survey_prompt:{GENEVA_ID}:1", "sent", "{}", 1),
    ]  # user 99 forgot themselves: nothing to keep
    assert "feedback_prompts" not in tables
    assert "feedback_dispatched" not in tables
    assert "feedback_awaiting" in tables


async def test_due_prompts_are_dropped_when_no_longer_useful(
    tmp_path: Path, clock: ManualClock
) -> None:
    feedback, database = await feedback_service(tmp_path, clock)
    await UserStore(database.connection).touch(1, "x", clock.now())
    consultation = geneva()
    assert await feedback.session_to_prompt(1, consultation, "opening") is None  # not over
    clock.set(at(8, 10, 31))
    assert await feedback.session_to_prompt(1, consultation, "opening") is not None
    assert await feedback.session_to_prompt(1, consultation, "no-such-session") is None
    coffee = next(s for s in consultation.sessions if s.kind == "break")
    clock.set(coffee.end + timedelta(minutes=1))
    assert await feedback.session_to_prompt(1, consultation, coffee.id) is None  # not rated
    clock.set(at(8, 10, 31))
    await feedback.rate(1, consultation, "opening", None)  # "I did not attend" is an answer
    assert await feedback.session_to_prompt(1, consultation, "opening") is None
    window = feedback.survey_window(consultation)
    assert window is not None
    assert await feedback.survey_to_prompt(1, consultation) is None  # not open yet
    clock.set(window[0])
    assert await feedback.survey_to_prompt(1, consultation) is not None
    await feedback.answer(1, consultation, "overall", "4")
    assert await feedback.survey_to_prompt(1, consultation) is None  # already started it
    assert await feedback.survey_to_prompt(2, consultation) is not None
    clock.set(window[1])
    assert await feedback.survey_to_prompt(2, consultation) is None  # closed
    await database.close()


async def test_window_setting_from_consultation(tmp_path: Path, clock: ManualClock) -> None:
    source = ROOT / "data" / GENEVA_ID
    target = tmp_path / GENEVA_ID
    target.mkdir()
    for file in source.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    text = (target / "consultation.yaml").read_text(encoding="utf-8")
    (target / "consultation.yaml").write_text(text + "\nfeedback_window: 2h\n", encoding="utf-8")
    consultation = load_consultation(target)
    assert consultation.feedback_window == timedelta(hours=2)
    feedback, database = await feedback_service(tmp_path, clock)
    session = consultation.session("opening")
    assert session is not None
    assert feedback.window(consultation, session)[1] == at(8, 12, 30)
    clock.set(at(8, 12, 31))
    with pytest.raises(FeedbackNotOpen):
        await feedback.rate(1, consultation, "opening", 3)
    default = geneva().session("opening")
    assert default is not None
    assert feedback.window(geneva(), default)[1] == at(10, 0)
    await database.close()


def test_survey_errors_name_file_line_and_place(tmp_path: Path) -> None:
    source = ROOT / "data" / GENEVA_ID
    target = tmp_path / GENEVA_ID
    target.mkdir()
    for file in source.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    (target / "survey.yaml").write_text(
        "questions:\n"
        "  - id: q1\n"
        "    type: stars\n"
        "    text: {en: How?}\n"
        "  - id: q2\n"
        "    type: choice\n"
        "    text: {en: Which?}\n"
        "    options:\n"
        "      - {id: a, text: {en: A}}\n"
        "open_for: soon\n",
        encoding="utf-8",
    )
    with pytest.raises(EventDataError) as raised:
        load_consultation(target)
    messages = [str(p) for p in raised.value.problems]
    assert any(
        "survey.yaml:3" in m and "questions #1 id=q1" in m and "type" in m for m in messages
    )
    assert any("survey.yaml:8" in m and "at least two" in m for m in messages)
    assert any("survey.yaml:10" in m and "open_for" in m for m in messages)


def test_csv_keeps_formulas_inert_and_reads_in_excel() -> None:
    content = to_csv(Table(("a",), [("=HYPERLINK(1)",), ("ok",)]))
    assert content.startswith("\ufeff".encode())
    assert b"'=HYPERLINK" in content


# --- command line -------------------------------------------------------------------------


def test_cli_export_role_and_qr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    from bot.__main__ import main

    database_path = tmp_path / "cli.sqlite3"

    async def given() -> None:
        database = await Database.open(database_path)
        await UserStore(database.connection).touch(7, "Zed", clock.now())
        store = FeedbackStore(database.connection)
        author = Anonymity("k" * 32).author(7)
        await store.rate(author, GENEVA_ID, "opening", 2, clock.now())
        await store.comment(author, GENEVA_ID, "opening", "Too long", clock.now())
        await database.close()

    async def roles(user_id: int) -> frozenset[str]:
        database = await Database.open(database_path)
        try:
            return await UserStore(database.connection).roles(user_id)
        finally:
            await database.close()

    asyncio.run(given())
    monkeypatch.setenv("DATABASE_PATH", str(database_path))
    monkeypatch.setenv("DATA_DIR", str(ROOT / "data"))
    out = tmp_path / "feedback.csv"
    assert main(["export", "feedback", "--consultation", GENEVA_ID, "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["Session id"], r["Rating"], r["Comment"], r["Signed by"]) for r in rows] == [
        ("opening", "2", "Too long", "")
    ]
    assert "Zed" not in out.read_text(encoding="utf-8-sig")
    xlsx = tmp_path / "survey.xlsx"
    assert main(["export", "survey", "--consultation", GENEVA_ID, "--out", str(xlsx)]) == 0
    assert load_workbook(xlsx).sheetnames == ["Survey answers"]
    french = tmp_path / "feedback-fr.xlsx"
    command = ["export", "feedback", "--consultation", GENEVA_ID, "--out", str(french)]
    assert main([*command, "--lang", "fr"]) == 0
    sheet = load_workbook(french)["Avis sur les sessions"]
    assert [c.value for c in sheet[1]][2] == "Début de la session (Europe/Zurich)"
    assert isinstance(sheet.cell(2, 3).value, datetime)
    assert main(["role", "add", "77", "moderator"]) == 0
    assert main(["role", "list"]) == 0
    assert "moderator" in asyncio.run(roles(77))
    assert main(["role", "remove", "77", "moderator"]) == 0
    qr_dir = tmp_path / "qr"
    assert main(["qr", "--out", str(qr_dir), "--consultation", GENEVA_ID, "--bot", "iom_bot"]) == 0
    pngs = sorted(qr_dir.glob("*.png"))
    assert len(pngs) == len([s for s in geneva().sessions if s.kind != "break"])
    assert pngs[0].read_bytes().startswith(b"\x89PNG")
    assert main(["qr", "--out", str(qr_dir), "--format", "svg", "--bot", "iom_bot"]) == 0
    svg = (qr_dir / f"{GENEVA_ID}-opening.svg").read_text(encoding="utf-8")
    assert "<text" in svg
    assert "Opening" in svg


async def test_a_recommendation_for_a_theme_that_closed_meanwhile_says_so(
    harness: Harness,
) -> None:
    chat = await joined(harness, language_code="fr")
    # The delegate chose a theme that a reload has since removed.
    await harness.services.feedback.expect(1001, "recommendation", geneva(), "no-such-theme")
    await chat.send("Des fonds pour les ONG locales")
    assert chat.text().startswith("Ce thème n'est plus ouvert")
    assert (await harness.services.feedback.recommendation_table(geneva())).rows == []
