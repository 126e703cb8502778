"""Whole conversations through Application.process_update, as delegates would have them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import icalendar
import pytest

from bot.services.event_data import Consultation, Session
from bot.storage.users import UserStore
from tests.conftest import GENEVA, Chat, Harness, sample_events

GENEVA_ID = "geneva-2026"


def geneva() -> Consultation:
    return sample_events().consultations[GENEVA_ID]


def first_talk(consultation: Consultation) -> Session:
    return next(s for s in consultation.sessions if s.kind != "break")


def overlapping_pair(consultation: Consultation) -> tuple[Session, Session]:
    talks = [s for s in consultation.sessions if s.kind != "break"]
    for a in talks:
        for b in talks:
            if a is not b and a.overlaps(b):
                return a, b
    raise AssertionError("the sample data has no parallel sessions")


async def joined(harness: Harness, language_code: str = "en", user_id: int = 1001) -> Chat:
    """A delegate who has sent /start and chosen Geneva."""
    chat = harness.chat(user_id, language_code)
    await chat.send("/start")
    await chat.press(geneva().name.get(chat_language(language_code)))
    return chat


def chat_language(code: str) -> str:
    return code if code in ("en", "fr", "es", "ar") else "en"


# --- /start, language, consultation -------------------------------------------------------


async def test_start_greets_in_the_client_language_and_asks_for_the_consultation(
    harness: Harness,
) -> None:
    chat = harness.chat(language_code="fr-CA")
    replies = await chat.send("/start")
    texts = [m.plain_text() or "" for m in replies]
    assert texts[0].startswith("Bienvenue")
    assert any("Appuyez sur une autre langue" in t for t in texts)
    assert "Quelle consultation" in texts[-1]
    labels = [b["text"] for row in replies[-1].buttons() for b in row]
    assert any(geneva().name.get("fr") in label for label in labels)
    assert (await harness.services.people.profile(1001)).language == "fr"


async def test_unsupported_client_language_falls_back_to_english(harness: Harness) -> None:
    chat = harness.chat(language_code="de")
    replies = await chat.send("/start")
    assert (replies[0].plain_text() or "").startswith("Welcome")


async def test_arabic_greeting_and_choice_are_stored(harness: Harness) -> None:
    chat = await joined(harness, "ar")
    assert "تم" in chat.text() or "أنت" in chat.text()
    profile = await harness.services.people.profile(1001)
    assert profile.language == "ar"
    assert profile.consultation_id == GENEVA_ID
    # A returning delegate is welcomed back, not onboarded again.
    replies = await chat.send("/start")
    assert len(replies) == 1


async def test_language_picker_switches_language_and_the_chat_menu(harness: Harness) -> None:
    chat = await joined(harness, "en")
    await chat.send("/language")
    await chat.press("Español")
    assert "español" in chat.text().lower()
    scoped = [c for c in harness.api.calls_to("setMyCommands") if "scope" in c.params]
    assert scoped, "the chat's command menu was not set"
    await chat.send("/help")
    assert "Lo que puedo hacer" in chat.text()


async def test_command_menu_is_published_in_every_language(harness: Harness) -> None:
    by_language = {
        call.params.get("language_code"): call.params["commands"]
        for call in harness.api.calls_to("setMyCommands")
        if "scope" not in call.params
    }
    assert set(by_language) == {None, "en", "fr", "es", "ar"}
    descriptions = {lang: str(cmds) for lang, cmds in by_language.items()}
    assert descriptions["fr"] != descriptions["en"]
    assert descriptions["ar"] != descriptions["en"]


async def test_consultation_can_be_changed(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/consultation")
    nairobi = sample_events().consultations["nairobi-2027"]
    await chat.press(nairobi.name.get("en"))
    assert (await harness.services.people.profile(1001)).consultation_id == "nairobi-2027"
    await chat.send("/agenda")
    assert nairobi.name.get("en") in chat.text()


async def test_commands_before_choosing_a_consultation_ask_for_it(harness: Harness) -> None:
    chat = harness.chat()
    replies = await chat.send("/agenda")
    assert "which consultation" in (replies[0].plain_text() or "").lower()


# --- the agenda ---------------------------------------------------------------------------


async def test_agenda_shows_today_with_times_in_the_consultations_zone(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/agenda")
    text = chat.text()
    assert "Tuesday, December 8, 2026" in text
    talk = first_talk(geneva())
    assert talk.start.astimezone(GENEVA).strftime("%H:%M") in text
    assert "All times are local: Switzerland time." in text


@pytest.mark.parametrize(
    ("lang", "note"),
    [
        ("fr", "Tous les horaires sont en heure locale (Suisse)."),
        ("es", "Todos los horarios están en hora local de Suiza."),
        ("ar", "جميع الأوقات بتوقيت \u2068سويسرا\u2069 المحلي."),
    ],
)
async def test_the_time_zone_is_named_as_each_language_says_it(
    harness: Harness, lang: str, note: str
) -> None:
    chat = await joined(harness, lang)
    await chat.send("/agenda")
    assert note in chat.text()
    # Not CLDR's bare pattern glued into the sentence ("(heure : Suisse)").
    assert "heure :" not in chat.text()


def test_a_country_with_several_time_zones_is_named_by_its_city() -> None:
    from zoneinfo import ZoneInfo

    from bot.handlers.formatting import zone_place

    assert zone_place(ZoneInfo("America/New_York"), "es") == "Nueva York"
    assert zone_place(ZoneInfo("Africa/Nairobi"), "fr") == "Kenya"
    assert zone_place(ZoneInfo("Asia/Calcutta"), "fr") == "Inde"  # an old name of the zone
    assert zone_place(ZoneInfo("UTC"), "ar") == "UTC"


async def test_agenda_pages_through_days(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/agenda")
    await chat.press("Wed, Dec 9")
    assert "Wednesday, December 9, 2026" in chat.text()
    await chat.press("Tue, Dec 8")
    assert "Tuesday, December 8, 2026" in chat.text()


@pytest.mark.parametrize(
    ("lang", "day", "room_word"),
    [
        ("en", "Tuesday, December 8, 2026", "Room"),
        ("fr", "mardi 8 décembre 2026", "Salle"),
        ("es", "martes, 8 de diciembre de 2026", "Sala"),
        ("ar", "الثلاثاء، 8 ديسمبر 2026", "القاعة"),
    ],
)
async def test_session_card_in_each_language(
    harness: Harness, lang: str, day: str, room_word: str
) -> None:
    chat = await joined(harness, lang)
    talk = first_talk(geneva())
    await chat.send("/agenda")
    await chat.press(talk.title.get(lang)[:20])
    card = chat.text()
    assert talk.title.get(lang) in card
    assert day in card
    assert talk.start.astimezone(GENEVA).strftime("%H:%M").lstrip("0") in card
    assert room_word in card
    if talk.speakers:
        assert talk.speakers[0].name in card


async def test_arabic_card_isolates_latin_names_and_times(harness: Harness) -> None:
    chat = await joined(harness, "ar")
    talk = next(s for s in geneva().sessions if s.speakers)
    await chat.send("/agenda")
    day = talk.start.astimezone(GENEVA).date()
    if day != date(2026, 12, 8):
        await chat.press("9")
    await chat.press(talk.title.get("ar")[:20])
    assert f"\u2068{talk.speakers[0].name}\u2069" in chat.text()


async def test_star_adds_to_my_agenda_and_my_lists_it(harness: Harness) -> None:
    chat = await joined(harness)
    talk = first_talk(geneva())
    await chat.send("/agenda")
    await chat.press(talk.title.get("en")[:20])
    await chat.press("Add to my agenda")
    assert "Remove from my agenda" in str(chat.last.buttons())
    await chat.send("/my")
    assert talk.title.get("en") in chat.text()
    assert "1 session" in chat.text()
    # Pressing again removes it.
    await chat.press(talk.title.get("en")[:20])
    await chat.press("Remove from my agenda")
    await chat.send("/my")
    assert "Your agenda is empty" in chat.text()


async def test_overlapping_picks_are_flagged(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    a, b = overlapping_pair(geneva())
    for session in (a, b):
        await harness.services.agenda.set_star(1001, geneva(), session.id, starred=True)
    await chat.send("/my")
    text = chat.text()
    assert "Chevauche" in text
    assert a.title.get("fr") in text
    assert b.title.get("fr") in text


async def test_calendar_file_has_each_session_in_the_consultations_zone(harness: Harness) -> None:
    chat = await joined(harness, "es")
    a, b = overlapping_pair(geneva())
    for session in (a, b):
        await harness.services.agenda.set_star(1001, geneva(), session.id, starred=True)
    await chat.send("/calendar")
    document = chat.last.document
    assert document is not None
    assert document.filename.endswith(".ics")
    calendar = icalendar.Calendar.from_ical(document.content)
    events = list(calendar.walk("VEVENT"))
    assert {str(e["summary"]) for e in events} == {a.title.get("es"), b.title.get("es")}
    first = next(e for e in events if str(e["summary"]) == a.title.get("es"))
    start = first.decoded("dtstart")
    assert start == a.start
    assert str(start.tzinfo) == "Europe/Zurich"
    assert next(iter(calendar.walk("VTIMEZONE")))["tzid"] == "Europe/Zurich"
    assert "2 sesiones" in (chat.last.caption or "")


async def test_calendar_with_an_empty_agenda_says_so(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/calendar")
    assert chat.last.document is None
    assert "empty" in chat.text()


async def test_now_and_next_follow_the_clock(harness: Harness) -> None:
    chat = await joined(harness)
    consultation = geneva()
    talk = first_talk(consultation)
    harness.clock.set(talk.start + timedelta(minutes=5))
    await chat.send("/now")
    text = chat.text()
    assert "On now" in text
    assert talk.title.get("en") in text
    following = [s for s in consultation.sessions if s.start >= talk.end]
    await chat.send("/next")
    assert following[0].title.get("en") in chat.text()
    # After the consultation.
    harness.clock.set(consultation.sessions[-1].end + timedelta(days=1))
    await chat.send("/next")
    assert "The consultation is over" in chat.text()


async def test_now_in_arabic(harness: Harness) -> None:
    chat = await joined(harness, "ar")
    talk = first_talk(geneva())
    harness.clock.set(talk.start + timedelta(minutes=1))
    await chat.send("/now")
    assert talk.title.get("ar") in chat.text()


# --- logistics ----------------------------------------------------------------------------


async def test_venue_is_a_map_pin_with_directions(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    replies = await chat.send("/venue")
    venue = replies[0].venue
    assert venue is not None
    assert venue["location"]["latitude"] == pytest.approx(geneva().venue.latitude)
    assert geneva().venue.name.get("fr") in str(venue)
    assert "Comment s'y rendre" in chat.text() or "Comment venir" in chat.text()


async def test_info_menu_opens_each_topic(harness: Harness) -> None:
    chat = await joined(harness, "ar")
    await chat.send("/info")
    topic = geneva().topics[0]
    await chat.press(topic.title.get("ar"))
    assert topic.text.get("ar")[:30] in chat.text()
    await chat.press("«")
    assert len(chat.last.buttons()) > 1


async def test_help_lists_the_commands(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/help")
    for command in ("/agenda", "/now", "/my", "/calendar", "/venue", "/info", "/forget"):
        assert command in chat.text()


# --- bad input and privacy ----------------------------------------------------------------


async def test_unknown_command_and_stickers_get_a_translated_answer(harness: Harness) -> None:
    chat = await joined(harness, "es")
    await chat.send("/frobnicate")
    assert "/help" in chat.text()
    assert "No conozco" in chat.text()


async def test_stale_or_forged_buttons_are_answered_not_crashed(harness: Harness) -> None:
    chat = await joined(harness)
    message = chat.last
    await chat.press_data(message.message_id, "ag:s:no-such-session", check=False)
    await chat.press_data(message.message_id, "ag:d:1999-01-01:0", check=False)
    await chat.press_data(message.message_id, "ag:d:garbage", check=False)
    await chat.press_data(message.message_id, "zz:unknown", check=False)
    answers = harness.api.calls_to("answerCallbackQuery")[-4:]
    assert all(a.params.get("text") for a in answers)


async def test_forget_deletes_the_delegates_data(harness: Harness) -> None:
    chat = await joined(harness)
    await harness.services.agenda.set_star(1001, geneva(), first_talk(geneva()).id, starred=True)
    await chat.send("/forget")
    await chat.press("Yes, delete my data")
    assert "deleted" in chat.text()
    items = await harness.services.agenda.personal(1001, geneva())
    assert items == []


async def test_a_delegate_never_sees_another_delegates_agenda(harness: Harness) -> None:
    alice = await joined(harness, user_id=2001)
    bob = await joined(harness, user_id=2002)
    await harness.services.agenda.set_star(2001, geneva(), first_talk(geneva()).id, starred=True)
    await bob.send("/my")
    assert "Your agenda is empty" in bob.text()
    await alice.send("/my")
    assert first_talk(geneva()).title.get("en") in alice.text()


async def test_long_text_is_split_below_telegrams_limit(harness: Harness) -> None:
    from bot.handlers.formatting import split_message

    lines = [f"<b>{i}</b> " + "x" * 90 for i in range(120)]
    parts = split_message("\n".join(lines))
    assert len(parts) >= 3
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == "\n".join(lines)


async def test_an_error_gets_a_polite_answer_in_the_users_language(harness: Harness) -> None:
    chat = await joined(harness, "ar")
    await harness.services.agenda.set_star(1001, geneva(), first_talk(geneva()).id, starred=True)
    harness.api.fail_next("sendDocument", error_code=400, description="Bad Request: boom")
    await chat.send("/calendar")
    assert chat.text().startswith("عذرًا")
    harness.api.calls[:] = [c for c in harness.api.calls if c.method != "sendDocument"]


async def test_now_is_paged_on_a_large_programme(harness: Harness) -> None:
    """Forty rooms at once: /now shows a page at a time, with ▶ to the rest."""
    from bot.services.data_reading import Text
    from bot.services.event_data import Session

    current = harness.services.events
    geneva = current.consultations["geneva-2026"]
    start = harness.clock.now()
    parallel = tuple(
        Session(
            id=f"room-{n}",
            title=Text({"en": f"Parallel talk {n}"}, "en"),
            start=start - timedelta(minutes=5),
            end=start + timedelta(minutes=55),
            room=Text({"en": f"Room {n}"}, "en"),
        )
        for n in range(40)
    )
    bigger = replace(
        geneva, sessions=tuple(sorted(geneva.sessions + parallel, key=lambda s: s.start))
    )
    harness.services.programme.replace(
        replace(current, consultations={**current.consultations, "geneva-2026": bigger})
    )
    chat = harness.chat(4242)
    await harness.services.people.profile(4242, "Delegate")
    await harness.services.people.set_consultation(4242, "geneva-2026")
    await chat.send("/now")
    first = chat.text()
    assert "Page 1 of" in first
    # Ten sessions, ◀ ▶ and the 🔎 Filter row.
    assert len(chat.last.buttons()) <= 12
    await chat.press("▶")
    assert "Page 2 of" in chat.text()
    assert chat.text() != first


async def test_an_edited_message_gets_no_second_answer(harness: Harness) -> None:
    chat = await joined(harness)
    data = harness.api.make_message(1001, "/help")
    message = data.pop("message")
    message["edit_date"] = message["date"] + 5
    before = len(chat.messages)
    await harness.feed({**data, "edited_message": message})
    assert len(chat.messages) == before


def membership_update(harness: Harness, user_id: int, old: str, new: str) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Delegate"}
    bot_user = harness.api.bot_user()
    date = int(harness.clock.now().timestamp())
    return {
        "update_id": 900_000 + user_id * 10 + ("kicked", "member").index(new),
        "my_chat_member": {
            "chat": {"id": user_id, "type": "private", "first_name": "Delegate"},
            "from": user,
            "date": date,
            "old_chat_member": {"status": old, "user": bot_user, "until_date": 0},
            "new_chat_member": {"status": new, "user": bot_user, "until_date": 0},
        },
    }


async def test_blocking_the_bot_marks_the_delegate_inactive_until_they_return(
    harness: Harness,
) -> None:
    await joined(harness)
    store = UserStore(harness.services.db.connection)
    await harness.feed(membership_update(harness, 1001, "member", "kicked"))
    record = await store.get(1001)
    assert record is not None
    assert not record.active
    await harness.feed(membership_update(harness, 1001, "kicked", "member"))
    record = await store.get(1001)
    assert record is not None
    assert record.active


async def test_a_failing_button_still_gets_an_apology(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    await chat.send("/agenda")
    harness.api.fail_next("editMessageText", error_code=400, description="Bad Request: boom")
    await chat.press(first_talk(geneva()).title.get("fr")[:20])
    assert chat.text().startswith("Toutes mes excuses")
    harness.api.calls[:] = [c for c in harness.api.calls if c.ok]


async def test_tapping_add_twice_keeps_the_session_in_the_agenda(harness: Harness) -> None:
    chat = await joined(harness)
    talk = first_talk(geneva())
    await chat.send("/agenda")
    await chat.press(talk.title.get("en")[:20])
    card = chat.last
    await chat.press_data(card.message_id, f"ag:t:{talk.id}:1")
    # The same (old) button pressed again, as a double tap would.
    await chat.press_data(card.message_id, f"ag:t:{talk.id}:1", check=False)
    assert await harness.services.agenda.starred_ids(1001, geneva()) == {talk.id}


async def test_after_the_consultation_the_agenda_opens_on_its_last_day(harness: Harness) -> None:
    chat = await joined(harness)
    harness.clock.set(harness.clock.now() + timedelta(days=30))
    await chat.send("/agenda")
    assert "Wednesday, December 9, 2026" in chat.text()


async def test_help_and_the_command_menu_list_the_same_commands(harness: Harness) -> None:
    from bot.handlers.start import command_menu

    chat = await joined(harness, "es")
    await chat.send("/help")
    listed = {line.split(" ")[0] for line in chat.text().splitlines() if line.startswith("/")}
    assert listed == {f"/{c.command}" for c in command_menu()} - {"/help"}


async def test_a_menu_button_before_choosing_a_consultation_is_answered(harness: Harness) -> None:
    chat = harness.chat(language_code="fr")
    replies = await chat.send("/start")
    menu = next(m for m in replies if "menu:now" in m.callback_data())
    answered = len(harness.api.calls_to("answerCallbackQuery"))
    await chat.press_data(menu.message_id, "menu:now")
    assert len(harness.api.calls_to("answerCallbackQuery")) == answered + 1
    assert "Quelle consultation" in chat.text()


async def test_asking_what_is_on_now_agrees_with_the_now_command(harness: Harness) -> None:
    chat = await joined(harness)
    coffee = next(s for s in geneva().sessions if s.kind == "break")
    harness.clock.set(coffee.start + timedelta(minutes=5))
    await chat.send("what is on now?")
    asked = chat.text()
    await chat.send("/now")
    assert coffee.title.get("en") in asked
    assert coffee.title.get("en") in chat.text()
