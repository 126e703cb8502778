"""Organisers' announcements, driven through whole conversations: compose, preview, send,
schedule, stop, and the delivery report; delegates get them in their own language."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import running
from bot.clock import ManualClock, SystemClock
from bot.fakeapi.server import ApiCall
from bot.services.broadcasts import (
    Audience,
    TimeNotUnderstood,
    parse_local_time,
)
from bot.services.delivery import SendMeter
from bot.storage.bookmarks import BookmarkStore
from bot.storage.broadcasts import subject_of
from tests.conftest import (
    GENEVA,
    ORGANISER_ID,
    Chat,
    Harness,
    build_harness,
    make_config,
    started,
)

SESSION = "principles-partnership"
CONSULTATION = "geneva-2026"
EVERYONE = (
    "👥 everyone in IOM–NGO Humanitarian Consultations 2026 (Global) · "
    "IOM–NGO Humanitarian Consultations 2026 (Global)"
)
BUSES = "Buses to the reception leave at 18:00 from the ma…"  # as a report quotes it


async def delegate(
    harness: Harness,
    user_id: int,
    language: str,
    *,
    name: str = "Delegate",
    starred: bool = True,
    consultation: str = CONSULTATION,
) -> Chat:
    """A delegate who opened a chat with the bot, reads `language`, and maybe starred SESSION."""
    services = harness.services
    harness.api.add_chat(user_id, first_name=name)
    await services.people.profile(user_id, name, language)
    await services.people.set_consultation(user_id, consultation)
    if starred:
        await BookmarkStore(services.db.connection).add(
            user_id, consultation, SESSION, harness.clock.now()
        )
    return harness.chat(user_id, language, first_name=name)


async def organiser(harness: Harness, language: str = "en") -> Chat:
    await harness.services.people.profile(ORGANISER_ID, "Olga", language)
    await harness.services.people.set_consultation(ORGANISER_ID, CONSULTATION)
    return harness.chat(ORGANISER_ID, language, first_name="Olga")


def announced(call: ApiCall, words: str) -> bool:
    """Whether a call delivered the announcement with these words (not a report quoting it)."""
    text = str(call.params.get("text", ""))
    return text.startswith("📢 <b>Announcement from") and words in text


def report_of(chat: Chat, number: int = 1) -> str:
    """The organiser's progress message of broadcast `number`, as it reads now."""
    for message in reversed(chat.messages):
        text = message.plain_text() or ""
        if f" #{number}" in text.splitlines()[0]:
            return text
    raise AssertionError(f"no report of #{number}")


async def deliver(harness: Harness, rounds: int = 20) -> None:
    """Let the outbox send what is due, a second at a time, then the progress job report."""
    for _ in range(rounds):
        await harness.services.delivery.process_due()
        harness.clock.advance(seconds=1)
    board = harness.app.bot_data["broadcast_board"]
    await board.tick(harness.app)


async def compose_for_session(org: Chat) -> None:
    """The organiser writes English and French texts for the audience of one session."""
    await org.send("/broadcast")
    assert "Send the announcement's text in English" in org.text()
    await org.send("The Principles of Partnership session moves to <Room A> at 14:00.")
    assert "Announcement draft" in org.text()
    await org.press("Français")
    assert "Send the announcement's text in French" in org.text()
    await org.send("La séance sur les Principes de partenariat a lieu en salle A à 14 h.")
    assert "Written in: English ⭐ and French" in org.text()
    await org.press("Audience")
    await org.press("Those who starred a session")
    await org.press("Principles of Partnership")
    assert "those who starred “The Principles of Partnership in practice”" in org.text()


async def test_an_organiser_sends_a_two_language_announcement_to_a_sessions_audience(
    harness: Harness,
) -> None:
    english = await delegate(harness, 2001, "en")
    french = await delegate(harness, 2002, "fr")
    arabic = await delegate(harness, 2003, "ar")
    spanish = await delegate(harness, 2004, "es")
    elsewhere = await delegate(harness, 2005, "fr", starred=False)
    org = await organiser(harness)
    await compose_for_session(org)
    assert "4 delegates" in org.text()

    await org.press("Preview")
    previews = org.messages[-3:]
    assert previews[0].plain_text() == (
        "📢 Announcement from the organisers — IOM–NGO Humanitarian Consultations 2026 "
        "(Global)\n\nThe Principles of Partnership session moves to <Room A> at 14:00."
    )
    assert "Annonce des organisateurs" in (previews[1].plain_text() or "")
    summary = org.text()
    assert "To 4 delegates" in summary
    assert "3 in English" in summary  # English, and Arabic and Spanish readers (the fallback)
    assert "1 in French" in summary
    assert not english.messages  # a preview goes to nobody else

    await org.press("Send now to 4 delegates")
    progress = org.last
    assert "Sending the announcement" in org.text()
    await deliver(harness)

    assert english.text().endswith("moves to <Room A> at 14:00.")
    assert french.text().startswith("📢 Annonce des organisateurs")
    assert french.text().endswith("en salle A à 14 h.")
    assert arabic.text().endswith("moves to <Room A> at 14:00.")  # no Arabic text: the fallback
    assert spanish.text().endswith("moves to <Room A> at 14:00.")
    assert not elsewhere.messages
    for chat in (english, french, arabic, spanish):
        assert len(chat.messages) == 1
    report = harness.api.last_bot_message(ORGANISER_ID)
    assert report.message_id == progress.message_id  # the progress message became the report
    assert "Announcement sent" in (report.plain_text() or "")
    assert "Sent to 4 of 4 delegates." in (report.plain_text() or "")

    await org.send("/broadcasts")
    assert "Announcement sent #1" in org.text()
    assert "Sent to 4 of 4 delegates." in org.text()


async def test_the_organisers_french_screens_and_reports(harness: Harness) -> None:
    await delegate(harness, 2001, "fr")
    org = await organiser(harness, "fr")
    await org.send("/broadcast")
    assert "Envoyez le texte de l'annonce en français" in org.text()
    await org.send("Les bus partent à 18 h.")
    await org.press("Aperçu")
    await org.press("Envoyer maintenant")
    await deliver(harness)
    assert "Envoyé à 2 sur 2 personnes déléguées." in report_of(
        org
    )  # the organiser is in the audience


async def test_a_delegate_cannot_reach_any_of_it(harness: Harness) -> None:
    await delegate(harness, 2001, "en")
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("Buses leave at 18:00.")
    card = org.last
    mallory = await delegate(harness, 2666, "en", name="Mallory")

    await mallory.send("/broadcast")
    assert "only the consultation's organisers" in mallory.text()
    await mallory.send("/broadcasts")
    assert "only the consultation's organisers" in mallory.text()
    for action in ("go", "p", "a:all", "t:fr", "x", "k", "K", "w"):
        await mallory.press_data(card.message_id, f"bc:1:{action}", check=False)
        answer = list(harness.api.callback_answers.values())[-1]
        assert "only the consultation's organisers" in answer.get("text", "")
    # Mallory's text is not taken for the organiser's draft either.
    await mallory.send("Free pizza in room B!")
    record = await harness.services.broadcasts.get(1)
    assert record is not None
    assert record.state == "draft"
    assert "pizza" not in str(record.texts)
    assert await harness.services.delivery.store.progress(subject_of(1)) == dict.fromkeys(
        ("pending", "sending", "sent", "failed", "expired", "cancelled", "skipped", "unknown"), 0
    )
    assert "/broadcast" not in (await mallory.send("/help"))[-1].plain_text()  # type: ignore[operator]


async def test_an_announcement_scheduled_for_later_goes_out_then(harness: Harness) -> None:
    people = [await delegate(harness, 2100 + i, "en", starred=False) for i in range(3)]
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("Buses to the reception leave at 18:00 from the main entrance.")
    await org.press("Preview")
    await org.press("Schedule")
    assert "Europe/Zurich" in org.text()
    await org.send("25:00")
    assert "could not read that time" in org.text()
    await org.send("2026-12-01 10:00")
    assert "That time has passed" in org.text()
    await org.send("09:00")  # the next 09:00 is tomorrow
    assert "Scheduled for" in org.text()
    assert "Wednesday, December 9, 2026 · 09:00 (Europe/Zurich time)" in org.text()
    await org.send("/broadcasts")
    assert "Scheduled announcement #1" in org.text()

    await deliver(harness, rounds=3)
    assert not any(p.messages for p in people)
    harness.clock.set(datetime(2026, 12, 9, 9, 0, tzinfo=GENEVA))
    await harness.app.bot_data["broadcast_board"].tick(harness.app)
    assert report_of(org) == (
        f"📤 Sending the announcement #1 — “{BUSES}”\n{EVERYONE}\n"
        "Sent to 0 of 4 delegates.\n"  # the organiser is in the audience
        "⏳ Still to send: 4\n"
        "🕘 Started Wednesday, December 9, 2026 · 09:00"
    )
    assert not any(p.messages for p in people)  # the outbox has not sent yet
    await deliver(harness, rounds=3)
    assert all(p.text().endswith("from the main entrance.") for p in people)
    assert report_of(org) == (
        f"✅ Announcement sent #1 — “{BUSES}”\n{EVERYONE}\n"
        "Sent to 4 of 4 delegates.\n"
        "🕘 Started Wednesday, December 9, 2026 · 09:00 · ended 09:00"
    )


async def test_the_progress_job_leaves_the_organisers_report_to_the_tests_clock(
    harness: Harness,
) -> None:
    """The JobQueue runs the broadcasts' job on real time, whatever the test's clock says: on the
    test's clock it does nothing, or when an announcement starts and what its report shows in a
    test would depend on how fast the machine runs. The report's edits are paced on the clock."""
    for i in range(40):
        await delegate(harness, 2100 + i, "en", starred=False)
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("Buses to the reception leave at 18:00 from the main entrance.")
    await org.press("Preview")
    await org.press("Schedule")
    await org.send("09:00")  # tomorrow
    scheduled = org.last
    assert (scheduled.plain_text() or "").startswith("🕘 Scheduled for Wednesday")
    harness.clock.set(datetime(2026, 12, 9, 9, 0, tzinfo=GENEVA))  # its time has come
    assert harness.app.job_queue is not None
    (job,) = harness.app.job_queue.get_jobs_by_name("broadcasts:progress")
    await job.run(harness.app)  # as the JobQueue runs it, at some real moment
    assert org.last.message_id == scheduled.message_id  # not started: no progress message
    record = await harness.services.broadcasts.get(1)
    assert record is not None
    assert record.state == "scheduled"

    board = harness.app.bot_data["broadcast_board"]
    await board.tick(harness.app)  # the test's own tick starts it
    started = (
        f"📤 Sending the announcement #1 — “{BUSES}”\n{EVERYONE}\n"
        "Sent to 0 of 41 delegates.\n"  # the organiser is in the audience
        "⏳ Still to send: 41\n"
        "🕘 Started Wednesday, December 9, 2026 · 09:00"
    )
    assert report_of(org) == started
    sent = await harness.services.delivery.process_due()  # one second's worth
    assert 0 < sent < 41
    harness.clock.advance(seconds=1)
    await job.run(harness.app)
    assert report_of(org) == started  # the job did not edit it
    await board.tick(harness.app)
    assert report_of(org) == started  # shown a second ago: the next edit waits
    harness.clock.advance(seconds=2)
    await board.tick(harness.app)
    assert report_of(org) == (
        f"📤 Sending the announcement #1 — “{BUSES}”\n{EVERYONE}\n"
        f"Sent to {sent} of 41 delegates.\n"
        f"⏳ Still to send: {41 - sent}\n"
        "🕘 Started Wednesday, December 9, 2026 · 09:00"
    )


async def test_stopping_a_running_announcement_sends_no_more(harness: Harness) -> None:
    for i in range(60):
        await delegate(harness, 3000 + i, "en", starred=False)
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("Lunch is served on the terrace.")
    await org.press("Preview")
    await org.press("Send now to 61 delegates")  # and the organiser
    sent = await harness.services.delivery.process_due()  # one second's worth: 29 at most
    assert 0 < sent < 61
    await org.send("/broadcasts")
    await org.press("Stop #1")
    assert "Those not reached yet will not get it" in org.text()
    await org.press("Yes, stop it")
    await deliver(harness, rounds=5)
    counts = await harness.services.delivery.store.progress(subject_of(1))
    assert (counts["sent"], counts["cancelled"], counts["skipped"]) == (sent, 61 - sent, 0)
    received = [call for call in harness.api.calls_to("sendMessage") if announced(call, "terrace")]
    assert len(received) == sent + 1  # and the organiser's preview
    stopped = (
        "✖️ Announcement stopped #1 — “Lunch is served on the terrace.”\n"
        f"{EVERYONE}\n"
        f"Sent to {sent} of 61 delegates.\n"
        f"Not sent, as it was stopped: {61 - sent}\n"
        "🕘 Started Tuesday, December 8, 2026 · 10:15 · ended 10:15"
    )
    assert report_of(org) == stopped
    await org.send("/broadcasts")
    assert org.text() == "📢 Announcements\n\n" + stopped


async def test_a_photo_goes_with_its_caption_and_too_long_texts_are_refused(
    harness: Harness,
) -> None:
    french = await delegate(harness, 2002, "fr", starred=False)
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("x" * 4000)
    assert "too long: 4,000 characters" in org.text()
    photo = harness.api.make_photo_message(
        ORGANISER_ID, b"\x89PNG map", caption="The map of the venue.", first_name="Olga"
    )
    await harness.feed(photo)
    assert "With a photo" in org.text()
    await org.press("Français")
    await org.send("y" * 1000)
    assert "With a photo or a document, Telegram allows 900 characters." in org.text()
    await org.send("Le plan du lieu.")
    await org.press("Preview")
    await org.press("Send now")
    await deliver(harness)
    received = french.last
    assert received.kind == "photo"
    assert received.photo is not None
    assert received.photo.content == b"\x89PNG map"
    assert (received.caption or "").endswith("Le plan du lieu.")


async def test_audiences_by_language_role_and_consultation(harness: Harness) -> None:
    await delegate(harness, 2001, "en", starred=False)
    await delegate(harness, 2002, "fr", starred=False)
    await delegate(harness, 2003, "fr", starred=False, consultation="nairobi-2027")
    await organiser(harness)
    broadcasts = harness.services.broadcasts
    assert await broadcasts.count(Audience("consultation"), CONSULTATION) == 3  # + organiser
    assert await broadcasts.count(Audience("language", language="fr"), CONSULTATION) == 1
    assert await broadcasts.count(Audience("all"), None) == 4
    assert await broadcasts.count(Audience("role", role="organiser"), None) == 1
    await harness.services.people.mark_inactive(2002)
    assert await broadcasts.count(Audience("language", language="fr"), CONSULTATION) == 0


async def test_a_crash_while_sending_resumes_and_never_sends_twice(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = make_config(tmp_path)
    first = build_harness(config, clock)
    async with started(first) as harness:
        chats = [await delegate(harness, 4000 + i, "en", starred=False) for i in range(40)]
        org = await organiser(harness)
        await org.send("/broadcast")
        await org.send("Registration desk closes at 17:00.")
        await org.press("Preview")
        assert harness.app.job_queue is not None
        for job in harness.app.job_queue.jobs():
            job.enabled = False  # the test sends, and crashes, by itself
        await org.press("Send now to 41 delegates")
        await harness.services.delivery.process_due()
        store = harness.services.delivery.store
        # Two rows were handed to Telegram when the process died: their fate is unknown.
        waiting = await store.candidates(harness.clock.now(), 2)
        await store.claim([row.id for row in waiting], harness.clock.now())
        sent_before = (await store.progress(subject_of(1)))["sent"]
        assert 0 < sent_before < 41
    second = build_harness(config, clock)
    for chat in chats:
        second.api.add_chat(chat.user_id)
    second.api.add_chat(ORGANISER_ID)
    async with running(second.app):
        harness = second
        await deliver(harness)
        counts = await harness.services.delivery.store.progress(subject_of(1))
        assert counts["unknown"] == 2
        assert counts["sent"] == 39
        resent = [
            call
            for call in harness.api.calls_to("sendMessage")
            if announced(call, "Registration desk")
        ]
        assert len(resent) == 39 - sent_before  # those sent before the crash are not sent again
        record = await harness.services.broadcasts.get(1)
        assert record is not None
        assert record.state == "done"
        report = await harness.services.broadcasts.report(record)
        assert len(report.unknown) == 2
    # Only the progress message of the first run is unknown to this fresh fake server.
    assert {e.split(":")[0] for e in second.errors()} <= {"editMessageText"}


def test_times_are_read_in_the_consultations_zone() -> None:
    now = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)
    assert parse_local_time("18:00", GENEVA, now) == datetime(2026, 12, 8, 18, 0, tzinfo=GENEVA)
    assert parse_local_time("18h30", GENEVA, now) == datetime(2026, 12, 8, 18, 30, tzinfo=GENEVA)
    assert parse_local_time("09:00", GENEVA, now) == datetime(2026, 12, 9, 9, 0, tzinfo=GENEVA)
    assert parse_local_time("2026-12-10 08:30", GENEVA, now) == datetime(
        2026, 12, 10, 8, 30, tzinfo=GENEVA
    )
    for bad in ("25:00", "tomorrow", "2026-02-30 10:00", ""):
        with pytest.raises(TimeNotUnderstood):
            parse_local_time(bad, GENEVA, now)


# --- the pace: replies to delegates before the outbox ------------------------------------------


async def test_a_reply_over_the_limit_waits_for_the_next_slot_and_the_outbox_yields() -> None:
    meter = SendMeter(SystemClock(), window=0.3, limit=3)
    for chat in (1, 2, 3):
        meter.record(chat)
    reply = asyncio.create_task(meter.wait_for_slot())
    await asyncio.sleep(0.05)
    assert not reply.done()  # the window is full: the reply waits…
    assert meter.waiting == 1  # …and while it does, the outbox gets no slot
    await asyncio.wait_for(reply, 1.0)
    assert meter.waiting == 0
    assert meter.used(SystemClock().now()) < 3


def test_slots_held_for_sends_in_flight_count_until_telegram_answers() -> None:
    clock = ManualClock(datetime(2026, 12, 8, 10, 0, tzinfo=GENEVA))
    meter = SendMeter(clock, limit=3)
    meter.hold(2)
    meter.record(7)
    assert meter.used(clock.now()) == 3
    assert meter.until_below(clock.now(), 3) > 0  # full: a reply would wait
    meter.record(8, held=True)  # answered: the held slot becomes a sent message
    assert meter.used(clock.now()) == 3
    clock.advance(seconds=1)
    assert meter.used(clock.now()) == 1  # the sent ones left the window; one is still held


async def test_the_report_counts_those_who_blocked_the_bot_and_they_are_not_retried(
    tmp_path: Path, clock: ManualClock
) -> None:
    harness = build_harness(make_config(tmp_path), clock)
    async with running(harness.app):
        reached = await delegate(harness, 2001, "en", starred=False)
        gone = await delegate(harness, 2002, "fr", starred=False)
        harness.api.block_user(gone.user_id)
        org = await organiser(harness)
        await org.send("/broadcast")
        await org.send("Dinner is at 19:30.")
        await org.press("Preview")
        await org.press("Send now to 3 delegates")
        await deliver(harness)
        report = report_of(org)
        assert "Sent to 2 of 3 delegates." in report
        assert "Not delivered: 1" in report
        assert "blocked the bot: 1" in report
        assert reached.text().endswith("Dinner is at 19:30.")
        user = await harness.services.people.get(gone.user_id)
        assert user is not None
        assert not user.active  # marked inactive: later broadcasts leave them out
        assert await harness.services.broadcasts.count(Audience("all"), None) == 2
    assert [e for e in harness.errors() if "blocked" not in e] == []


async def test_a_reply_lost_to_a_network_error_is_sent_again(harness: Harness) -> None:
    chat = await delegate(harness, 2001, "en", starred=False)
    harness.api.fail_next("sendMessage", error_code=502, description="Bad Gateway")
    await chat.send("/now")
    assert "Next" in chat.text()
    sends = harness.api.calls_to("sendMessage")
    assert [call.ok for call in sends] == [False, True]  # the 502, then the reply
    harness.api.calls.clear()  # the 502 was expected, not a bug


async def test_after_a_restart_a_report_not_yet_shown_is_shown(harness: Harness) -> None:
    from bot.handlers.broadcast import ProgressBoard

    assert harness.app.job_queue is not None
    for job in harness.app.job_queue.jobs():
        job.enabled = False  # the test plays the jobs itself
    await delegate(harness, 2001, "en", starred=False)
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("The cloakroom closes at 19:00.")
    await org.press("Preview")
    await org.press("Send now to 2 delegates")
    for _ in range(3):
        await harness.services.delivery.process_due()
        harness.clock.advance(seconds=1)
    # Marked done, then the process died before editing the organiser's message.
    assert [r.id for r in await harness.services.broadcasts.settle()] == [1]
    assert "Sending the announcement" in report_of(org)
    await ProgressBoard().tick(harness.app)  # the first tick after the restart
    assert "Sent to 2 of 2 delegates." in report_of(org)


async def test_a_command_leaves_the_draft_and_free_text_is_answered_again(
    harness: Harness,
) -> None:
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("/agenda")  # the organiser moves on
    await org.send("where is lunch?")
    record = await harness.services.broadcasts.store.draft_of(ORGANISER_ID)
    assert record is not None
    assert record.texts == {}  # the question was not taken for the announcement
    assert "Announcement draft" not in org.text()
    await org.press("Français")  # the draft's buttons still work
    await org.send("Le déjeuner est servi sur la terrasse.")
    assert "Written in: French" in org.text()


async def test_an_announcement_to_everyone_names_no_consultation(harness: Harness) -> None:
    nairobi = await delegate(harness, 2010, "en", starred=False, consultation="nairobi-2027")
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("The bot will be down for ten minutes tonight.")
    await org.press("Audience")
    await org.press("Everyone, all consultations")
    assert "everyone, in all consultations" in org.text()
    assert "— all consultations" in org.text()
    await org.press("Preview")
    await org.press("Send now")
    await deliver(harness)
    assert nairobi.text() == (
        "📢 Announcement from the organisers\n\nThe bot will be down for ten minutes tonight."
    )
