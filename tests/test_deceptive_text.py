"""Delegates' text that could deceive its reader: NUL, ESC (terminal colours) and bidirectional
overrides never reach organisers, moderators or exports, and delegates' words are isolated so
that nothing in them reorders the message around them."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import load_workbook

from bot.services.exports import render
from bot.services.sanitise import clean
from bot.storage.feedback import FeedbackStore
from bot.storage.helpdesk import HelpdeskStore
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    HELPDESK,
    MODERATOR_ID,
    ORGANISER_ID,
    Chat,
    Harness,
    sample_events,
)

FSI, PDI = "\u2068", "\u2069"
# A NUL, a terminal colour, and a right-to-left override that would show "free at noon" as
# "noon ta eerf" (and everything after it on the line reversed).
QUESTION = "Is the \x00shuttle\x1b[31m \u202enoon ta eerf\u202c to the venue?"
SHOWN = "Is the shuttle[31m noon ta eerf to the venue?"
COMMENT = "Great\x00 panel\x1b[0m \u202edetide sdrawkcab\u202c, \u2066thanks\u2069\r\nSee you"
COMMENT_SHOWN = "Great panel[0m detide sdrawkcab, thanks\nSee you"
UNSAFE = {"\x00", "\x1b", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"}


def deceptive(text: str) -> set[str]:
    return {c for c in text if c in UNSAFE or c in "\u2066\u2067\u200e\u200f"}


def sent_to(harness: Harness, chat_id: int) -> list[str]:
    """The texts (with their HTML) the bot sent or edited in a chat, as Telegram received them."""
    return [
        str(c.params.get("text") or c.params.get("caption") or "")
        for c in harness.api.calls
        if c.method in ("sendMessage", "editMessageText") and c.params.get("chat_id") == chat_id
    ]


async def joined(harness: Harness, user_id: int, name: str) -> Chat:
    chat = harness.chat(user_id, "en", first_name=name)
    await chat.send("/start")
    await chat.press(sample_events().consultations[GENEVA_ID].name.get("en"))
    return chat


def test_clean_keeps_words_lines_and_scripts_and_drops_controls_and_overrides() -> None:
    assert clean("Où est\tla salle ?\nقاعة ١ 👩🏽‍💻") == "Où est\tla salle ?\nقاعة ١ 👩🏽‍💻"
    assert clean("a\x00b\x1b[1mc\x7f\x85d\u202ee\u2067f\u200fg\u061ch") == "ab[1mcdefgh"
    assert clean("one\r\ntwo\u2028three") == "one\ntwo\nthree"
    assert clean("Amina\n\u202eBen\t", multiline=False) == "Amina Ben "


async def test_questions_reach_organisers_cleaned_and_isolated(desk: Harness) -> None:
    amina = await joined(desk, 1001, "Amina\u202e\x1b[2J")
    await amina.send(QUESTION)  # a gap: the bot cannot answer it
    await amina.send(f"/ask_organisers {QUESTION}")
    await amina.press("Show my name")
    # A question stored before questions were cleaned.
    store = HelpdeskStore(desk.services.db.connection)
    now = datetime(2026, 12, 8, 9, 0, tzinfo=GENEVA)
    await store.add_question(
        1001, GENEVA_ID, "en", "Old \u202eeman\x1b[31m", None, "none", 0.0, now, key="old"
    )

    org = await joined(desk, ORGANISER_ID, "Olga")
    await org.send("/gaps")
    await org.send("/helpdesk")
    await desk.feed(
        desk.api.make_message(ORGANISER_ID, "/gaps", chat_id=HELPDESK, chat_type="supergroup")
    )
    await desk.feed(
        desk.api.make_message(ORGANISER_ID, "/helpdesk", chat_id=HELPDESK, chat_type="supergroup")
    )

    ticket, *group_views = sent_to(desk, HELPDESK)
    private_views = sent_to(desk, ORGANISER_ID)
    assert f"{FSI}{SHOWN}{PDI}" in ticket
    assert "From: Amina" in ticket
    gaps = [t for t in private_views + group_views if "FAQ gaps" in t]
    listings = [t for t in private_views + group_views if "open ticket" in t]
    assert len(gaps) == 2
    assert len(listings) == 2
    for view in gaps:
        assert f"{FSI}{SHOWN}{PDI}" in view
        assert f"{FSI}Old eman[31m{PDI}" in view
    for view in listings:
        assert f"{FSI}{SHOWN}{PDI}" in view
        assert "Amina[2J" in view
    for view in [ticket, *group_views, *private_views]:
        assert deceptive(view) == set(), view


async def test_comments_reach_moderators_and_exports_cleaned_and_isolated(
    desk: Harness,
) -> None:
    feedback = desk.services.feedback
    desk.clock.set(datetime(2026, 12, 8, 10, 40, tzinfo=GENEVA))
    geneva = sample_events().consultations[GENEVA_ID]
    await desk.services.people.profile(2001, "Lina")
    await feedback.rate(2001, geneva, "opening", 4)
    record = await feedback.comment(2001, geneva, "opening", COMMENT)
    await feedback.sign(2001, record.id, "\u202eLina\x00")
    assert (await feedback.get(record.id)).comment == COMMENT_SHOWN
    # A comment stored before comments were cleaned.
    await desk.services.people.profile(2002, "Ben")
    await FeedbackStore(desk.services.db.connection).comment(
        2002, GENEVA_ID, "opening", "Old\x00 \u202ekrow\x1b[31m", desk.clock.now()
    )

    mod = await joined(desk, MODERATOR_ID, "Mo")
    await mod.send("/reviews")
    desk.clock.advance(seconds=3)
    await mod.press("★ ·")
    views = sent_to(desk, MODERATOR_ID)
    comments = views[-1]
    assert f"{FSI}{COMMENT_SHOWN}{PDI}" in comments
    assert f"{FSI}Old krow[31m{PDI}" in comments
    assert "signed: Lina" in comments
    for view in views:
        assert deceptive(view) == set(), view

    table = await feedback.table("feedback", geneva)
    content = render(table, "csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [r["Comment"] for r in rows] == [COMMENT_SHOWN, "Old krow[31m"]
    assert deceptive(content) == set()
    sheet = load_workbook(io.BytesIO(render(table, "xlsx"))).active
    assert sheet is not None
    cells = [str(c.value or "") for row in sheet.iter_rows() for c in row]
    assert "Old krow[31m" in cells
    assert deceptive("".join(cells)) == set()
