"""Speakers: their cards (who they are, their photo, links and every session they speak at),
the buttons to them under a session card, and /speakers, alphabetical and paged."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext
from bot.handlers.common import callback_parts, out_of_date, page_buttons, reply, show
from bot.handlers.consultation import need_consultation, open_consultation, open_page
from bot.handlers.formatting import (
    clock_time,
    day_short,
    esc,
    shorten,
    time_range,
    zone_note,
)
from bot.handlers.uploads import send_file
from bot.i18n import _, current_language, isolate
from bot.services.event_data import Consultation, Session, Speaker
from bot.services.speakers import alphabetical, spans_days

logger = logging.getLogger(__name__)

PREFIX = "sp:"
PAGE_SIZE = 10
NAMES_PER_ROW = 2  # speakers' buttons under a session card

Rows = Sequence[Sequence[InlineKeyboardButton]]


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(
        CommandHandler("speakers", show_speakers, filters=filters.ChatType.PRIVATE)
    )
    application.add_handler(CallbackQueryHandler(speaker_button, pattern=r"^sp:c:"))
    application.add_handler(CallbackQueryHandler(speakers_page_button, pattern=r"^sp:l:"))


def _card_button(speaker: Speaker) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        "🎤 " + shorten(speaker.name), callback_data=f"{PREFIX}c:{speaker.id}"
    )


def speaker_rows(session: Session) -> list[list[InlineKeyboardButton]]:
    """The buttons to the cards of a session's speakers (those of speakers.yaml), for the
    session card's keyboard; none when no speaker has a card."""
    buttons = [_card_button(s) for s in session.speakers if s.id is not None]
    return [buttons[i : i + NAMES_PER_ROW] for i in range(0, len(buttons), NAMES_PER_ROW)]


def _who(speaker: Speaker, lang: str) -> str:
    """Role and organisation in the reader's language, as far as they are known."""
    parts = [t.get(lang) for t in (speaker.role, speaker.affiliation) if t is not None]
    return " · ".join(esc(part) for part in parts)


def _session_label(session: Session, consultation: Consultation, with_day: bool) -> str:
    start = clock_time(session.start, consultation.timezone)
    day = f"{day_short(consultation.day_of(session.start))} " if with_day else ""
    return f"{day}{start} · {shorten(session.title.get(current_language()))}"


def speaker_card(speaker: Speaker, consultation: Consultation) -> tuple[str, list[Any]]:
    """The card's text and its buttons: one per session the speaker speaks at."""
    lang = current_language()
    lines = [f"🎤 <b>{esc(isolate(speaker.name))}</b>"]
    who = _who(speaker, lang)
    if who:
        lines.append(f"<i>{who}</i>")
    if speaker.bio:
        lines += ["", esc(speaker.bio.get(lang))]
    if speaker.links:
        lines.append("")
        lines += [f"🔗 {esc(link)}" for link in speaker.links]
    sessions = consultation.sessions_of(speaker)
    lines.append("")
    if sessions:
        lines.append("📅 <b>" + _("Speaks at:") + "</b>")
        for session in sessions:
            day = day_short(consultation.day_of(session.start))
            lines.append(
                f"• {esc(day)} · <code>{time_range(session, consultation)}</code> "
                f"{esc(session.title.get(lang))}"
            )
        lines += ["", f"<i>{esc(zone_note(consultation))}</i>"]
    else:
        lines.append(_("Not on the programme at the moment."))
    with_day = spans_days(consultation, speaker)
    rows = [
        [
            InlineKeyboardButton(
                _session_label(s, consultation, with_day), callback_data=f"ag:s:{s.id}"
            )
        ]
        for s in sessions
    ]
    rows.append([InlineKeyboardButton("👥 " + _("All speakers"), callback_data=f"{PREFIX}l:0")])
    return "\n".join(lines), rows


async def send_speaker(
    update: Update,
    context: BotContext,
    consultation: Consultation,
    speaker: Speaker,
    below: Rows = (),
) -> None:
    """The speaker's card, after their photo if they have one; `below`: more buttons under it.

    Without a photo a pressed button's message becomes the card; with one, photo and card
    come as new messages below it."""
    text, rows = speaker_card(speaker, consultation)
    markup = InlineKeyboardMarkup([*rows, *below])
    if speaker.photo is not None and await _send_photo(update, context, speaker):
        await reply(update, context, text, markup)
        return
    await show(update, context, text, markup)


async def _send_photo(update: Update, context: BotContext, speaker: Speaker) -> bool:
    """Send the speaker's photo (uploaded once, then by file_id); False when it cannot be read."""
    chat = update.effective_chat
    if chat is None or speaker.photo is None:
        return False
    caption = f"<b>{esc(isolate(speaker.name))}</b>"
    return await send_file(context, chat.id, speaker.photo, "photo", caption)


async def answer_with_speakers(
    update: Update,
    context: BotContext,
    consultation: Consultation,
    speakers: Sequence[Speaker],
    below: Rows = (),
) -> None:
    """A question about a speaker ("who is X"): their card, or when several share the name
    asked, the choice between them."""
    if len(speakers) == 1:
        await send_speaker(update, context, consultation, speakers[0], below)
        return
    lang = current_language()
    lines = [_("Several speakers have that name. Which one?"), ""]
    for speaker in speakers:
        who = _who(speaker, lang)
        lines.append(f"• <b>{esc(isolate(speaker.name))}</b>" + (f" — {who}" if who else ""))
    rows = [[_card_button(s)] for s in speakers]
    await reply(update, context, "\n".join(lines), InlineKeyboardMarkup([*rows, *below]))


async def speaker_button(update: Update, context: BotContext) -> None:
    """sp:c:<speaker>: open a speaker's card."""
    query = update.callback_query
    parts = callback_parts(update, 3)
    if query is None or parts is None:
        await out_of_date(update)
        return
    consultation = await need_consultation(update, context)
    if consultation is None:
        return
    speaker = consultation.speaker(parts[2])
    if speaker is None:
        await query.answer(_("This speaker is no longer in the programme."), show_alert=True)
        return
    await query.answer()
    await send_speaker(update, context, consultation, speaker)


async def _speakers_page(
    update: Update, context: BotContext, consultation: Consultation, page: int
) -> None:
    speakers = alphabetical(consultation)
    pages = max(1, -(-len(speakers) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = speakers[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lang = current_language()
    lines = [
        "👥 <b>" + _("Speakers") + "</b>",
        "<i>" + esc(consultation.name.get(lang)) + "</i>",
        "",
    ]
    if not speakers:
        lines.append(_("No speakers are listed for this consultation yet."))
    for speaker in shown:
        who = _who(speaker, lang)
        lines.append(f"• <b>{esc(isolate(speaker.name))}</b>" + (f" — {who}" if who else ""))
    if pages > 1:
        lines += ["", _("Page {page} of {pages}").format(page=page + 1, pages=pages)]
    if speakers:
        lines += ["", _("Tap a name to see who they are and when they speak.")]
    rows = [
        [_card_button(s) for s in shown[i : i + NAMES_PER_ROW]]
        for i in range(0, len(shown), NAMES_PER_ROW)
    ]
    paging = page_buttons(page, pages, lambda n: f"{PREFIX}l:{n}")
    if paging:
        rows.append(paging)
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


async def show_speakers(update: Update, context: BotContext) -> None:
    """/speakers: the consultation's speakers, alphabetical, paged."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    await _speakers_page(update, context, consultation, 0)


async def speakers_page_button(update: Update, context: BotContext) -> None:
    """sp:l:<page>: a page of the list of speakers."""
    opened = await open_page(update, context)
    if opened is not None:
        await _speakers_page(update, context, *opened)
