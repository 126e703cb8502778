"""Delegates browse an imported programme: the 31C3 congress, late-night talks included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.services.event_data import load_event_data
from bot.services.importing import apply_import, plan_import
from tests.conftest import ORGANISER_ID, Chat, Harness, build_harness, make_config, started
from tests.import_support import CONGRESS, make_consultation

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def congress(tmp_path: Path) -> AsyncIterator[Harness]:
    data = tmp_path / "data"
    make_consultation(data, "congress", "Europe/Berlin", date(2014, 12, 27), date(2014, 12, 30))
    apply_import(plan_import(data, "congress", CONGRESS))
    clock = ManualClock(datetime(2014, 12, 27, 23, 50, tzinfo=BERLIN))
    config = make_config(tmp_path, data_dir=data)
    async with started(build_harness(config, clock, load_event_data(data))) as harness:
        yield harness


async def test_agenda_pages_through_a_congress_day_with_its_late_night_talks(
    congress: Harness,
) -> None:
    chat = congress.chat(1001, "en")
    await chat.send("/agenda")
    first = chat.text()
    assert "Saturday, December 27, 2014" in first
    assert "Page 1 of 5" in first
    assert "31C3 Opening Event" in first
    for _page in range(4):
        await chat.press("▶")
    last = chat.text()
    assert "Page 5 of 5" in last
    # Citizenfour starts at midnight on the 28th yet belongs to the 27th's evening.
    assert "00:00" in last
    assert "Citizenfour" in last
    await chat.press("Citizenfour")
    card = chat.text()
    assert "Laura Poitras" in card
    assert "Saal 1" in card
    await chat.press("Back to")
    assert "Page 5 of 5" in chat.text()  # back on the page the talk was listed on
    await chat.press(" »")
    assert "Sunday, December 28, 2014" in chat.text()
    assert "Citizenfour" not in chat.text()


async def test_now_during_the_late_night_talk(congress: Harness) -> None:
    congress.clock.set(datetime(2014, 12, 28, 0, 30, tzinfo=BERLIN))
    chat = congress.chat(1002, "en")
    await chat.send("/now")
    assert "Citizenfour" in chat.text()
    await chat.send("/agenda")
    assert "Saturday, December 27, 2014" in chat.text()  # still the congress's first day


async def test_agenda_in_french_on_the_imported_programme(congress: Harness) -> None:
    chat = congress.chat(1003, "fr")
    await chat.send("/agenda")
    text = chat.text()
    assert "samedi 27 décembre 2014" in text
    assert "Page 1 sur 5" in text
    assert "31C3 Opening Event" in text


def _row_with(chat: Chat, data: str) -> list[tuple[str, str]]:
    """The keyboard row holding the button whose callback data is `data`: (text, data) each."""
    for row in chat.last.buttons():
        if any(b["callback_data"] == data for b in row):
            return [(b["text"], b["callback_data"]) for b in row]
    raise AssertionError(f"no button {data!r}")


async def test_in_arabic_next_points_left_and_sits_on_the_left(congress: Harness) -> None:
    arabic = congress.chat(1004, "ar")
    english = congress.chat(1005, "en")
    for chat in (arabic, english):
        await chat.send("/agenda")
    assert _row_with(arabic, "ag:d:2014-12-27:1") == [("◀", "ag:d:2014-12-27:1")]
    assert _row_with(english, "ag:d:2014-12-27:1") == [("▶", "ag:d:2014-12-27:1")]
    await arabic.press("◀")
    await english.press("▶")
    # Read right to left: back (▶) on the right, on (◀) on the left.
    assert _row_with(arabic, "ag:d:2014-12-27:2") == [
        ("◀", "ag:d:2014-12-27:2"),
        ("▶", "ag:d:2014-12-27:0"),
    ]
    assert _row_with(english, "ag:d:2014-12-27:2") == [
        ("◀", "ag:d:2014-12-27:0"),
        ("▶", "ag:d:2014-12-27:2"),
    ]
    # The days too: the next day on the left in Arabic, where « » turn round on their own.
    await arabic.press_data(arabic.last.message_id, "ag:d:2014-12-28:0")
    await english.press_data(english.last.message_id, "ag:d:2014-12-28:0")
    days = [data for _text, data in _row_with(arabic, "ag:d:2014-12-29:0")]
    assert days == ["ag:d:2014-12-30:0", "ag:d:2014-12-29:0", "ag:d:2014-12-27:0"]
    days = [data for _text, data in _row_with(english, "ag:d:2014-12-29:0")]
    assert days == ["ag:d:2014-12-27:0", "ag:d:2014-12-29:0", "ag:d:2014-12-30:0"]


def _moved_export(tmp_path: Path) -> Path:
    """The 31C3 export after the content team moved the opening event and re-roomed a talk."""
    text = CONGRESS.read_text(encoding="utf-8")
    opening = text.index("<event guid='29aecfd7-2e44-4f49-ab86-29b5e0877325' id='6561'>")
    text = text[:opening] + text[opening:].replace(
        "<date>2014-12-27T11:00:00+01:00</date>\n<start>11:00</start>",
        "<date>2014-12-27T11:15:00+01:00</date>\n<start>11:15</start>",
        1,
    )
    path = tmp_path / "31c3-edited.xml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_reimport_then_reload_tells_only_the_delegates_whose_session_moved(
    congress: Harness, tmp_path: Path
) -> None:
    opening = congress.services.events.get("congress")
    assert opening is not None
    affected = congress.chat(1001, "en")
    french = congress.chat(1002, "fr")
    unaffected = congress.chat(1003, "en")
    for chat, session_id in ((affected, "e-6561"), (french, "e-6561"), (unaffected, "e-6571")):
        await chat.send("/start")
        await chat.send("/agenda")
        await chat.press_data(chat.messages[-1].message_id, f"ag:s:{session_id}", check=False)
        await chat.press("⭐")
    data = congress.services.config.data_dir
    plan = plan_import(data, "congress", _moved_export(tmp_path))
    assert [(c.session_id, sorted(c.kinds)) for c in plan.changes] == [("e-6561", ["moved"])]
    apply_import(plan)
    boss = congress.chat(ORGANISER_ID, "en")
    await boss.send("/reload")
    assert "1 session changed; 2 delegates will be told." in boss.text()
    congress.clock.advance(seconds=1)
    await congress.services.delivery.process_due(congress.clock.now())
    assert "Programme change" in affected.text()
    assert "11:15" in affected.text()
    # In the French delegate's language (dates by babel in their locale).
    assert "samedi 27 décembre 2014" in french.text()
    assert "11:15" in french.text()
    assert "Programme change" not in unaffected.text()


def _paging_row(chat: Chat) -> list[tuple[str, str]]:
    """The keyboard row of ◀ ▶ buttons: (text, data) each."""
    for row in chat.last.buttons():
        if row and all(b["text"] in ("◀", "▶") for b in row):
            return [(b["text"], b["callback_data"]) for b in row]
    raise AssertionError("no ◀ ▶ row")


async def test_every_paged_list_points_next_the_way_arabic_reads(congress: Harness) -> None:
    """Speakers, search results (and the rooms' and filters' lists, which use the same
    buttons): in Arabic the next page is ◀ on the left, the previous ▶ on the right."""
    arabic = congress.chat(1006, "ar")
    english = congress.chat(1007, "en")
    for command, first in (("/speakers", "sp:l:1"), ("/search the", None)):
        for chat in (arabic, english):
            await chat.send(command)
        ar_next, en_next = _paging_row(arabic), _paging_row(english)
        assert ar_next[0][0] == "◀"
        assert en_next[0][0] == "▶"
        assert ar_next[0][1] == en_next[0][1]
        if first is not None:
            assert ar_next == [("◀", first)]
        await arabic.press_data(arabic.last.message_id, ar_next[0][1])
        both = _paging_row(arabic)
        assert [text for text, _data in both] == ["◀", "▶"]
        assert both[1][1] != ar_next[0][1]  # ▶ on the right goes back
