"""Finding a session: filters on the day lists and /now, ⏱ Now, /search and "sessions on …",
the day beside each time in lists that span days, /next past a coffee break."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_skeleton

from bot.clock import ManualClock
from bot.fakeapi import FakeBotApi
from bot.services.data_reading import Text
from bot.services.event_data import Consultation
from tests.conftest import (
    GENEVA,
    Chat,
    Harness,
    bot_on,
    geneva,
    joined,
)

TUESDAY = date(2026, 12, 8)
WEDNESDAY = date(2026, 12, 9)


def titles(lang: str, *ids: str) -> list[str]:
    found = {s.id: s for s in geneva().sessions}
    return [found[i].title.get(lang) for i in ids]


def listed(chat: Chat) -> list[str]:
    """The sessions the last message's buttons open."""
    return [d.removeprefix("ag:s:") for d in chat.last.callback_data() if d.startswith("ag:s:")]


def short_day(day: date, lang: str) -> str:
    return format_skeleton("MMMEd", day, locale=lang)


def change_programme(harness: Harness, consultation: Consultation) -> None:
    current = harness.services.events
    harness.services.programme.replace(
        replace(current, consultations={**current.consultations, consultation.id: consultation})
    )


# --- Filters -------------------------------------------------------------------------------


async def test_a_track_is_chosen_in_three_taps_and_cleared_in_one(harness: Harness) -> None:
    chat = await joined(harness, "en")
    await chat.send("/agenda")
    everything = listed(chat)
    await chat.press("🔎 Filter")
    menu = chat.last.buttons()
    assert [b["text"] for row in menu for b in row][:4] == [
        "🧭 Track",
        "🏷 Kind of session",
        "📍 Room",
        "🎧 Interpretation",
    ]
    await chat.press("Track")
    assert "Localization and funding (3)" in str(chat.last.buttons())
    await chat.press("Localization and funding")
    text = chat.text()
    assert "Filters: Track Localization and funding" in text
    assert listed(chat) == ["side-event-d1", "localization-funding"]
    for title in titles("en", "opening", "principles-partnership"):
        assert title not in text
    await chat.press("✖ Clear filters")
    assert "Filters:" not in chat.text()
    assert listed(chat) == everything


async def test_filters_combine_on_one_line_in_french(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    await chat.send("/agenda")
    await chat.press("Filtrer")
    await chat.press("Thème")
    await chat.press("Partenariat (3)")
    await chat.press("Filtrer")
    await chat.press("Interprétation")
    await chat.press("arabe")
    assert "Filtres : Thème Partenariat · interprétation en arabe" in chat.text()
    assert listed(chat) == ["opening", "principles-partnership"]
    # Tapping the chosen value again undoes it, the other filter kept.
    await chat.press("Filtrer")
    assert "Interprétation ✓" in str(chat.last.buttons())
    await chat.press("Interprétation")
    await chat.press("✓ arabe")
    assert "Filtres : Thème Partenariat\n" in chat.text() + "\n"
    assert "arabe" not in chat.text().split("\n\n")[1]


async def test_a_value_opens_the_first_day_it_has_sessions_on_in_spanish(
    harness: Harness,
) -> None:
    chat = await joined(harness, "es")
    await chat.send("/agenda")
    assert "martes, 8 de diciembre" in chat.text()
    await chat.press("Filtrar")
    await chat.press("Eje temático")
    await chat.press("Protección (1)")
    assert "miércoles, 9 de diciembre" in chat.text()
    assert "Filtros: Eje temático Protección" in chat.text()
    assert listed(chat) == ["protection"]
    # The day buttons keep the filter.
    await chat.press("mar, 8 dic")
    assert "Ninguna sesión de este día coincide con estos filtros." in chat.text()


async def test_the_card_leads_back_to_the_filtered_list_in_arabic(harness: Harness) -> None:
    chat = await joined(harness, "ar")
    await chat.send("/agenda")
    await chat.press("تصفية")
    await chat.press("القاعة")
    await chat.press("القاعة 3")
    filtered = chat.text()
    assert "عوامل التصفية:" in filtered
    await chat.press(titles("ar", "climate-mobility")[0][:20])
    await chat.press("⭐")  # added to the agenda: the card is drawn again
    await chat.press("«")
    assert chat.text() == filtered.replace("🛠", "⭐", 1)
    assert listed(chat) == ["side-event-d1", "climate-mobility"]


async def test_filters_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    api = FakeBotApi(clock=clock.now)
    async with bot_on(tmp_path, clock, api) as first:
        chat = await joined(first, "en")
        await chat.send("/agenda")
        await chat.press("Filter")
        await chat.press("Kind of session")
        await chat.press("Workshops")
        message = chat.last
        data = next(d for d in message.callback_data() if d.startswith(f"ag:d:{WEDNESDAY}"))
    async with bot_on(tmp_path, clock, api) as second:
        chat = second.chat(1001)
        await chat.press_data(message.message_id, data)
        assert "Filters: Workshops" in chat.text()
        assert listed(chat) == ["accountability", "data-responsibility", "regional-dialogues"]


async def test_an_out_of_date_filter_button_says_so(harness: Harness) -> None:
    chat = await joined(harness, "en")
    await chat.send("/agenda")
    await chat.press("Filter")
    await chat.press("Track")
    message = chat.last
    data = next(d for d in message.callback_data() if "ag:d:" in d)
    # A reload renames a track: the button's index now points elsewhere.
    renamed = tuple(
        replace(s, track=Text({"en": "Answerability"}, "en"))
        if s.track and s.track.get("en") == "Accountability"
        else s
        for s in geneva().sessions
    )
    change_programme(harness, replace(geneva(), sessions=renamed))
    await chat.press_data(message.message_id, data)
    answers = harness.api.calls_to("answerCallbackQuery")
    assert answers[-1].params.get("text") == "This button is out of date."
    await chat.press_data(message.message_id, f"ag:d:{TUESDAY}:0:forged", check=False)
    assert harness.api.calls_to("answerCallbackQuery")[-1].params.get("text") == (
        "This button is out of date."
    )


async def test_a_filter_naming_html_is_shown_as_text(harness: Harness) -> None:
    arts = tuple(
        replace(s, track=Text({"en": "Art & <Culture>"}, "en")) if s.id == "opening" else s
        for s in geneva().sessions
    )
    change_programme(harness, replace(geneva(), sessions=arts))
    chat = await joined(harness, "en")
    await chat.send("/agenda")
    await chat.press("Filter")
    await chat.press("Track")
    await chat.press("Art & <Culture>")
    assert "Filters: Track Art & <Culture>" in chat.text()


async def test_now_jumps_to_the_page_holding_the_current_time(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 12, 8, 16, 10, tzinfo=GENEVA))
    chat = await joined(harness, "en")
    await chat.send("/agenda")
    assert "Page 1 of 2" in chat.text()
    await chat.press("⏱ Now")
    assert "Page 2 of 2" in chat.text()
    assert "coordination-crises" in listed(chat)
    assert "⏱ Now" not in str(chat.last.buttons())


async def test_now_and_next_are_filtered_too_in_spanish(harness: Harness) -> None:
    chat = await joined(harness, "es")
    await chat.send("/next")
    assert listed(chat) == ["principles-partnership"]
    await chat.press("Filtrar")
    await chat.press("Tipo de sesión")
    await chat.press("Talleres")
    assert "Filtros: Talleres" in chat.text()
    # The next workshops are after lunch, not the 11:00 panel.
    assert listed(chat) == ["climate-mobility", "internal-displacement", "localization-funding"]
    await chat.press("✖")
    assert listed(chat) == ["principles-partnership"]


# --- /next ---------------------------------------------------------------------------------


async def test_next_at_10_15_skips_the_coffee_break_in_french(harness: Harness) -> None:
    chat = await joined(harness, "fr")  # the clock says 10:15 on Tuesday
    await chat.send("/next")
    text = chat.text()
    assert titles("fr", "principles-partnership")[0] in text
    assert "Pause-café" not in text
    await chat.send("/agenda")
    assert "Pause-café" in chat.text()
    await chat.send("quelle est la prochaine session ?")
    assert titles("fr", "principles-partnership")[0] in chat.text()


# --- Search --------------------------------------------------------------------------------


async def test_search_lists_each_session_with_its_day_and_time(harness: Harness) -> None:
    chat = await joined(harness, "en")
    await chat.send("/search localization")
    text = chat.text()
    assert "Search results for “\u2068localization\u2069”" in text
    assert "4 sessions found" in text
    assert listed(chat)[0] == "localization-funding"
    assert f"{short_day(TUESDAY, 'en')} 14:00" in text
    assert f"{short_day(WEDNESDAY, 'en')} 13:00" in text


async def test_sessions_on_a_subject_in_four_languages(harness: Harness) -> None:
    questions = {
        "en": "any sessions on localization?",
        "fr": "sessions sur la localisation",
        "es": "sesiones sobre localización",
        "ar": "جلسات عن التوطين",
    }
    for number, (lang, question) in enumerate(questions.items()):
        chat = await joined(harness, lang, user_id=2000 + number)
        await chat.send(question)
        assert listed(chat)[0] == "localization-funding", lang
        assert titles(lang, "localization-funding")[0] in chat.text()
        assert short_day(WEDNESDAY, lang) in chat.text(), lang
        assert "👍" in str(chat.last.buttons())


async def test_a_search_with_no_result_says_so_with_a_hint_in_spanish(harness: Harness) -> None:
    chat = await joined(harness, "es")
    await chat.send("/search física cuántica")
    text = chat.text()
    assert "Ninguna sesión del programa coincide con estas palabras." in text
    assert "/agenda" in text
    await chat.send("/search")
    assert "/search localización" in chat.text()


async def test_search_results_are_paged(harness: Harness) -> None:
    chat = await joined(harness, "en")
    await chat.send("/search IOM")
    assert "Page 1 of 2" in chat.text()
    first = listed(chat)
    await chat.press("▶")
    assert "Page 2 of 2" in chat.text()
    assert set(listed(chat)).isdisjoint(first)
    # Asked in words, the pages keep the 👍 👎 under them.
    await chat.send("sessions about IOM")
    await chat.press("▶")
    assert "Page 2 of 2" in chat.text()
    assert "👍" in str(chat.last.buttons())


# --- The day in lists that span days -------------------------------------------------------


async def test_a_speakers_sessions_on_two_days_say_which_day(harness: Harness) -> None:
    chat = await joined(harness, "en")
    await chat.send("who is Samira Haddad")
    lines = chat.text().splitlines()
    # Each session's line names its day before its time (the speaker's card lists them).
    assert any(short_day(TUESDAY, "en") in line and "14:00" in line for line in lines)
    assert any(short_day(WEDNESDAY, "en") in line and "09:00" in line for line in lines)


async def test_my_agenda_over_two_days_names_the_day_on_its_buttons(harness: Harness) -> None:
    chat = await joined(harness, "ar")
    for session_id in ("opening", "protection"):
        await harness.services.agenda.set_star(1001, geneva(), session_id, starred=True)
    await chat.send("/my")
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert any(short_day(TUESDAY, "ar") in label for label in labels)
    assert any(short_day(WEDNESDAY, "ar") in label for label in labels)


async def test_every_day_of_a_longer_consultation_is_one_tap_away(harness: Harness) -> None:
    four_days = replace(geneva(), end=date(2026, 12, 11))
    change_programme(harness, four_days)
    chat = await joined(harness, "en")
    await chat.send("/agenda")
    await chat.press("Fri, Dec 11")
    assert "Friday, December 11, 2026" in chat.text()
    assert "« Tue, Dec 8" in str(chat.last.buttons())
