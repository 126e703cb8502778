"""Quick polls in a live session: the chair's wizard in one language and others added with a tap,
delivery through the outbox once per audience member in their language, answers of each kind
counted once, results after answering or closing, closing after N minutes, the chart, exports,
forged buttons and /forget."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.__main__ import main
from bot.clock import ManualClock
from bot.fakeapi import FakeMessage
from bot.handlers.polls import POP_UP_LIMIT, close_if_due, results_pop_up, start_polls
from bot.services.polls import POLL, RECENT, ChairsAndAudience, subject_of
from bot.storage.polls import OPEN, SINGLE, PollRecord, PollText, Tally
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    MODERATOR_ID,
    ORGANISER_ID,
    ROOT,
    Chat,
    Harness,
    build_harness,
    make_config,
    sample_events,
    started,
)
from tests.process_support import key_file

SESSION = "opening"  # on at the harness's time (10:15, first day)
FR, AR, ES, EN, LATE = 2001, 2002, 2003, 2004, 2005
LANGS = {FR: "fr", AR: "ar", ES: "es", EN: "en", LATE: "en"}

QUESTION_EN = "Which priority first?\nFunding\nAccess\nProtection"
QUESTION_FR = "Quelle priorité d'abord ?\n- Financement\n- Accès\n- Protection"
QUESTION_AR = "ما الأولوية الأولى؟\nالتمويل\nالوصول\nالحماية"


async def delegate(harness: Harness, user_id: int, *, star: bool = True) -> Chat:
    language = LANGS.get(user_id, "en")
    chat = harness.chat(user_id, language, first_name=f"D{user_id}")
    await chat.send("/start")
    await chat.press(sample_events().consultations[GENEVA_ID].name.get(language))
    if star:
        consultation = harness.services.events.consultations[GENEVA_ID]
        await harness.services.agenda.set_star(user_id, consultation, SESSION, True)
    return chat


async def chair(harness: Harness) -> Chat:
    chat = harness.chat(ORGANISER_ID, "en", first_name="Olga")
    await chat.send("/start")
    await chat.press(sample_events().consultations[GENEVA_ID].name.get("en"))
    return chat


async def deliver(harness: Harness) -> None:
    """What the outbox holds, once the second's replies have left room (Telegram's pace)."""
    harness.clock.advance(seconds=2)
    await harness.services.delivery.process_due()


def answer_text(harness: Harness) -> str:
    return str(harness.api.calls_to("answerCallbackQuery")[-1].params.get("text") or "")


def poll_messages(chat: Chat) -> list[FakeMessage]:
    return [m for m in chat.messages if "📊" in (m.plain_text() or "")]


async def compose(
    harness: Harness, olga: Chat, kind: str, first: str, *, others: dict[str, str] | None = None
) -> None:
    """/poll on the session running now, the kind, the first text, other languages."""
    await olga.send("/poll")
    assert "What kind of poll?" in olga.text()
    await olga.press(kind)
    await olga.send(first)
    for name, text in (others or {}).items():
        await olga.press(name)
        await olga.send(text)


async def audience(harness: Harness) -> dict[int, Chat]:
    return {user: await delegate(harness, user) for user in (FR, AR, ES, EN)}


async def open_single(harness: Harness) -> tuple[Chat, dict[int, Chat]]:
    chats = await audience(harness)
    olga = await chair(harness)
    await compose(
        harness,
        olga,
        "Single choice",
        QUESTION_EN,
        others={"Français": QUESTION_FR, "العربية": QUESTION_AR},
    )
    await olga.press("Open the poll")
    assert answer_text(harness) == "Sent to 4 delegates."
    await deliver(harness)
    return olga, chats


async def test_the_wizard_and_delivery_once_in_each_language(harness: Harness) -> None:
    olga = await chair(harness)
    chats = await audience(harness)
    outsider = await delegate(harness, LATE, star=False)
    await compose(harness, olga, "Single choice", QUESTION_EN)
    card = olga.text()
    assert "Poll draft" in card
    assert "1. Funding" in card
    assert "3. Protection" in card
    assert "Goes to 4 delegates of the session's audience." in card
    # A translation with another number of options is refused, with the reason.
    await olga.press("Français")
    await olga.send("Quelle priorité ?\nFinancement\nAccès")
    assert "must have 3 options" in olga.text()
    await olga.send(QUESTION_FR)
    await olga.press("العربية")
    await olga.send(QUESTION_AR)
    assert "Written in: English ⭐, French, and Arabic" in olga.text()
    await olga.press("Open the poll")
    assert answer_text(harness) == "Sent to 4 delegates."
    assert "Sent to 4 delegates" in olga.text()
    await deliver(harness)

    def got(user: int) -> list[str]:
        return [m.plain_text() or "" for m in poll_messages(chats[user])]

    assert len(got(FR)) == 1
    assert "Quelle priorité d'abord ?" in got(FR)[0]
    assert "Sondage express" in got(FR)[0]
    assert [b["text"] for row in poll_messages(chats[FR])[0].buttons() for b in row] == [
        "Financement",
        "Accès",
        "Protection",
    ]
    assert len(got(AR)) == 1
    assert "ما الأولوية الأولى؟" in got(AR)[0]
    # Spanish was not written: the poll's own language, all of the message in it.
    assert len(got(ES)) == 1
    assert "Which priority first?" in got(ES)[0]
    assert "Quick poll" in got(ES)[0]
    assert len(got(EN)) == 1
    assert poll_messages(outsider) == []
    progress = await harness.services.delivery.store.progress(subject_of(1))
    assert progress["sent"] == 4


async def test_answering_a_single_choice_changing_it_and_results_after(harness: Harness) -> None:
    olga, chats = await open_single(harness)
    fr = chats[FR]
    message = poll_messages(fr)[-1]
    assert "%" not in (message.plain_text() or "")  # no results before answering
    await fr.press("Accès")
    # The pop-up shows the results so far at once (the message is drawn again after).
    thanks, *results = answer_text(harness).split("\n")
    assert thanks == "Merci : votre réponse est comptée."
    assert results == ["Financement 0\xa0%", "Accès 100\xa0%", "Protection 0\xa0%"]
    shown = fr.last.plain_text() or ""
    assert fr.last.message_id == message.message_id  # the same message, edited
    assert "✅ Accès" in shown
    assert "100" in shown
    await fr.press("Financement")  # changed: still one answer
    tally = await harness.services.polls.tally(1)
    assert tally.counts == {0: 1}
    assert tally.respondents == 1
    # Concurrent taps from one delegate: counted once.
    ar = chats[AR]
    ar_message = poll_messages(ar)[-1]
    await asyncio.gather(
        *(ar.press_data(ar_message.message_id, "pa:1:2") for _ in range(5)),
    )
    tally = await harness.services.polls.tally(1)
    assert tally.counts == {0: 1, 2: 1}
    assert tally.respondents == 2
    assert "الحماية" in (ar.last.plain_text() or "")
    # The chair's results: counts and percentages.
    await olga.press("Refresh")
    results = olga.text()
    assert "2 answers" in results
    assert "50%" in results
    assert "Sent to 4 delegates" in results


async def test_multiple_choice_and_scale(harness: Harness) -> None:
    chats = await audience(harness)
    olga = await chair(harness)
    await compose(harness, olga, "Multiple choice", "Topics to follow up?\nCash\nShelter\nHealth")
    await olga.press("Open the poll")
    await deliver(harness)
    es = chats[ES]
    await es.press("Cash")
    await es.press("Health")
    assert "%" not in es.text()  # results once done
    await es.press("Cash")  # ticked off again
    await es.press("Done")
    tally = await harness.services.polls.tally(1)
    assert tally.counts == {2: 1}
    assert tally.respondents == 1
    assert "☑️ Health" in str(es.last.buttons())
    await olga.press("Close the poll")
    assert answer_text(harness) == "Poll closed: delegates now see the final results."

    await olga.send("/poll")
    await olga.press("Scale 1–5")
    await olga.send("How useful was this session?\nextra line")
    assert "takes only the question" in olga.text()
    await olga.send("How useful was this session?")
    await olga.press("Open the poll")
    await deliver(harness)  # the first poll's final results (one message a second per chat)
    await deliver(harness)
    fr = chats[FR]
    await fr.press_data(poll_messages(fr)[-1].message_id, "pa:2:3")
    await chats[EN].press_data(poll_messages(chats[EN])[-1].message_id, "pa:2:4")
    tally = await harness.services.polls.tally(2)
    assert tally.counts == {3: 1, 4: 1}
    assert "✅4" in str(fr.last.buttons())


async def test_closing_after_n_minutes_shows_everyone_the_final_results(
    harness: Harness,
) -> None:
    chats = await audience(harness)
    olga = await chair(harness)
    await compose(harness, olga, "Single choice", QUESTION_EN, others={"Français": QUESTION_FR})
    await olga.press("5′")
    assert "Closes 5 minutes after it opens." in olga.text()
    await olga.press("Open the poll")
    await deliver(harness)
    await chats[EN].press("Access")
    jobs = harness.app.job_queue
    assert jobs is not None
    assert len(jobs.get_jobs_by_name("poll:close:1")) == 1
    harness.clock.advance(minutes=4)
    assert not await close_if_due(harness.app, 1)  # what the job does, on the test's clock
    assert (await harness.services.polls.store.get(1)).state == OPEN  # type: ignore[union-attr]
    harness.clock.advance(minutes=1, seconds=1)
    assert await close_if_due(harness.app, 1)
    assert (await harness.services.polls.store.get(1)).state == "closed"  # type: ignore[union-attr]
    await deliver(harness)
    # Everyone's message now shows the final results, in their language, with no buttons.
    fr = poll_messages(chats[FR])[-1]
    assert "Ce sondage est clos" in (fr.plain_text() or "")
    assert fr.buttons() == []
    assert "(1)" in (poll_messages(chats[AR])[-1].plain_text() or "")
    # The chair is told (through the outbox).
    assert "The poll closed on its own." in olga.text()
    # A tap on the closed poll: a clear answer, nothing counted.
    await chats[FR].press_data(fr.message_id, "pa:1:0", check=False)
    assert answer_text(harness) == "Ce sondage est clos : les réponses ne sont plus comptées."
    tally = await harness.services.polls.tally(1)
    assert tally.counts == {1: 1}


async def test_close_jobs_are_rebuilt_at_start(harness: Harness) -> None:
    await audience(harness)
    olga = await chair(harness)
    await compose(harness, olga, "Single choice", QUESTION_EN)
    await olga.press("10′")
    await olga.press("Open the poll")
    jobs = harness.app.job_queue
    assert jobs is not None
    for job in jobs.get_jobs_by_name("poll:close:1"):
        job.schedule_removal()
    await start_polls(harness.app)
    assert len(jobs.get_jobs_by_name("poll:close:1")) == 1


async def test_the_close_job_leaves_the_poll_to_the_tests_clock(harness: Harness) -> None:
    """The JobQueue runs the closing job on real time; a poll already past its time when the job
    is scheduled (at a restart) would be closed at once, at a moment set by how fast the machine
    runs. On the test's clock the job closes nothing: the test closes it."""
    await audience(harness)
    olga = await chair(harness)
    await compose(harness, olga, "Single choice", QUESTION_EN)
    await olga.press("5′")
    await olga.press("Open the poll")
    await deliver(harness)
    told = len(olga.messages)
    harness.clock.advance(minutes=6)
    await start_polls(harness.app)  # a restart: the job is due at once
    jobs = harness.app.job_queue
    assert jobs is not None
    (job,) = jobs.get_jobs_by_name("poll:close:1")
    await job.run(harness.app)  # as the JobQueue runs it, at some real moment
    await deliver(harness)
    assert (await harness.services.polls.store.get(1)).state == OPEN  # type: ignore[union-attr]
    assert len(olga.messages) == told
    assert await close_if_due(harness.app, 1)
    await deliver(harness)
    assert "The poll closed on its own." in olga.text()


async def test_chart_and_exports_name_nobody(harness: Harness) -> None:
    olga, chats = await open_single(harness)
    await chats[FR].press("Accès")
    await chats[AR].press("الحماية")
    await olga.press("Refresh")
    await olga.press("Chart")
    photo = harness.api.calls_to("sendPhoto")[-1]
    assert photo.params["chat_id"] == ORGANISER_ID
    assert "1. Funding" in photo.params["caption"]
    moderator = harness.chat(MODERATOR_ID, "fr")
    await moderator.send("/start")
    await moderator.press(sample_events().consultations[GENEVA_ID].name.get("fr"))
    await moderator.send("/reviews")
    await moderator.press("Sondages CSV")
    document = moderator.last.document
    assert document is not None
    rows = list(csv.reader(io.StringIO(harness.api.files[document.file_id].content.decode())))
    assert rows[0][:6] == ["\ufeffSondage", "Session", "Question", "Type", "Option", "Réponses"]
    by_option = {row[4]: row[5] for row in rows[1:]}
    assert by_option == {"Financement": "0", "Accès": "1", "Protection": "1"}
    flat = str(rows)
    for user in (FR, AR, ES, EN):
        assert str(user) not in flat
        assert f"D{user}" not in flat


async def test_delegates_never_reach_the_chairs_actions(harness: Harness) -> None:
    olga, chats = await open_single(harness)
    fr = chats[FR]
    await fr.send("/poll")
    assert "seuls les responsables de la session" in fr.text()
    for forged in ("pl:1:z", "pl:1:g", "pl:1:r", "pl:n:opening", "pl:k:s:opening", "pl:1:go"):
        await fr.press_data(fr.last.message_id, forged, check=False)
        assert "seuls les responsables de la session" in answer_text(harness), forged
    assert (await harness.services.polls.store.get(1)).state == OPEN  # type: ignore[union-attr]
    assert harness.api.calls_to("sendPhoto") == []
    # Someone the poll was not sent to cannot answer it by forging the button.
    outsider = await delegate(harness, LATE, star=False)
    await outsider.press_data(outsider.last.message_id, "pa:1:0", check=False)
    assert answer_text(harness) == "This button is out of date."
    # Nor answer an option that does not exist.
    await fr.press_data(poll_messages(fr)[-1].message_id, "pa:1:7", check=False)
    assert answer_text(harness) == "Ce bouton n'est plus à jour."
    assert (await harness.services.polls.tally(1)).respondents == 0
    # The session card offers 📊 to chairs only.
    await fr.press_data(fr.last.message_id, f"ag:s:{SESSION}", check=False)
    assert "pl:n:" not in str(fr.last.buttons())
    await olga.press_data(olga.last.message_id, f"ag:s:{SESSION}", check=False)
    assert f"pl:n:{SESSION}" in str(olga.last.buttons())


async def test_forget_removes_poll_answers(harness: Harness) -> None:
    _olga, chats = await open_single(harness)
    await chats[EN].press("Access")
    await chats[FR].press("Accès")
    assert (await harness.services.polls.tally(1)).counts == {1: 2}
    en = chats[EN]
    await en.send("/forget")
    await en.press("Yes, delete my data")
    tally = await harness.services.polls.tally(1)
    assert tally.counts == {1: 1}
    assert tally.respondents == 1
    assert tally.recipients == 3


async def test_a_sessions_chairs_run_its_polls_for_who_opened_or_starred_it(
    harness: Harness,
) -> None:
    """The session's chairs (not only organisers) run its polls; the audience is whoever
    opened its card, QR code or questions in the last hour, and whoever starred it."""
    await audience(harness)  # four delegates who starred it
    roles = harness.services.polls.roles
    assert isinstance(roles, ChairsAndAudience)
    consultation = harness.services.events.consultations[GENEVA_ID]
    assert await roles.is_chair(ORGANISER_ID, GENEVA_ID, SESSION)
    assert not await roles.is_chair(LATE, GENEVA_ID, SESSION)
    await harness.services.panel.add_chair(consultation, SESSION, LATE)
    assert await roles.is_chair(LATE, GENEVA_ID, SESSION)
    assert not await roles.is_chair(FR, GENEVA_ID, SESSION)

    visitor = await delegate(harness, 4242, star=False)
    since = harness.clock.now()
    await visitor.send("/now")
    await visitor.press("Opening plenary")
    audience_now = await roles.recent_audience(GENEVA_ID, SESSION, since)
    assert sorted(audience_now) == sorted([FR, AR, ES, EN, 4242])
    later = harness.clock.now() + RECENT
    assert 4242 not in await roles.recent_audience(GENEVA_ID, SESSION, later)
    assert POLL == "poll"


def test_the_command_line_exports_counts_per_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bot export polls`: one row per option with its count, in XLSX, headed in the
    language asked; no delegate named."""
    clock = ManualClock(datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA))

    async def poll_answered() -> None:
        async with started(build_harness(make_config(tmp_path), clock)) as harness:
            chats = await audience(harness)
            olga = await chair(harness)
            await compose(harness, olga, "Scale 1–5", "How useful was this session?")
            await olga.press("Open the poll")
            await deliver(harness)
            for user, point in ((FR, 4), (AR, 4), (ES, 2)):
                chat = chats[user]
                await chat.press_data(poll_messages(chat)[-1].message_id, f"pa:1:{point}")

    asyncio.run(poll_answered())
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    monkeypatch.setenv("DATA_DIR", str(ROOT / "data"))
    monkeypatch.setenv("ANONYMITY_KEY_FILE", str(key_file(tmp_path)))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    out = tmp_path / "polls.xlsx"
    assert main(["export", "polls", "--consultation", GENEVA_ID, "--out", str(out)]) == 0
    assert "5 rows written" in capsys.readouterr().out
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["Poll", "Session", "Question", "Kind", "Option", "Answers"]
    assert [(row[4], row[5]) for row in rows[1:]] == [
        ("1", 0),
        ("2", 0),
        ("3", 1),
        ("4", 0),
        ("5", 2),
    ]
    assert all(row[7] == 3 and row[8] == 4 for row in rows[1:])  # respondents, sent to


async def test_a_chair_gets_an_open_polls_controls_back_with_the_poll_command(
    harness: Harness,
) -> None:
    olga, chats = await open_single(harness)
    await chats[FR].press("Accès")
    # Later, from another device: /poll shows the open poll's results and buttons again.
    before = olga.last.message_id
    await olga.send("/poll")
    sent = [m for m in olga.messages if m.message_id > before]
    shown = [m for m in sent if "pl:1:z" in m.callback_data()]
    assert len(shown) == 1, [m.plain_text() for m in sent]
    controls = shown[0]
    assert "1" in (controls.plain_text() or "")  # one answer so far
    await olga.press_data(controls.message_id, "pl:1:z")
    assert answer_text(harness) == "Poll closed: delegates now see the final results."


def test_the_pop_ups_results_stay_within_what_telegram_shows() -> None:
    """Ten long options: as many whole lines as fit in 200 characters, each option cut short."""
    options = tuple(f"Option {n}: " + "a long description of the choice " * 3 for n in range(9))
    options = ("🌍" * 39, *options)  # 78 UTF-16 code units
    poll = PollRecord(
        id=1,
        consultation_id="geneva-2026",
        session_id="opening",
        created_by=1,
        kind=SINGLE,
        language="en",
        state=OPEN,
        awaiting=None,
        awaiting_until=None,
        close_after_minutes=None,
        close_at=None,
        created_at=datetime(2026, 12, 8, tzinfo=UTC),
        opened_at=None,
        closed_at=None,
        texts={"en": PollText("Which?", options)},
    )
    shown = results_pop_up("Thank you.", poll, Tally({0: 3, 1: 1}, 4, 10), "en")
    lines = shown.split("\n")
    assert len(shown.encode("utf-16-le")) // 2 <= POP_UP_LIMIT
    assert lines[0] == "Thank you."
    assert lines[1] == "🌍" * 39 + " 75%"
    assert lines[2] == "Option 0: a long description of the cho… 25%"
    assert len(lines) == 4
