"""Documents: on a session's card, /documents, a document found by a question; a file document
is sent from the chat (uploaded once, then by its file_id), an address opens in the browser."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext
from bot.handlers.agenda import card_part
from bot.handlers.common import callback_parts, out_of_date, page_buttons, show
from bot.handlers.consultation import open_consultation, open_page
from bot.handlers.formatting import clock_time, esc, session_line, shorten, when
from bot.handlers.uploads import send_file
from bot.i18n import N_, _, current_language
from bot.services.documents import (
    Placed,
    find_document,
    sessions_with_documents,
)
from bot.services.event_data import Consultation, Document, Session

logger = logging.getLogger(__name__)

PREFIX = "dc:"
PRIVATE = filters.ChatType.PRIVATE
PAGE_SIZE = 8

# Each kind's icon and name, as the card and the lists show them.
KINDS = {
    "concept-note": ("📝", N_("Concept note")),
    "slides": ("📊", N_("Slides")),
    "recording": ("🎬", N_("Recording")),
    "report": ("📑", N_("Report")),
    "other": ("📄", N_("Document")),
}


def _icon(document: Document) -> str:
    return KINDS.get(document.kind, KINDS["other"])[0]


def document_line(document: Document, *, bold: bool = False) -> str:
    """📊 Slides: climate mobility in figures; with its kind when the title does not say it:
    📄 Background paper: pooled funds… (Document)"""
    icon, kind = KINDS.get(document.kind, KINDS["other"])
    title = document.title.get(current_language())
    shown = f"<b>{esc(title)}</b>" if bold else esc(title)
    if _(kind).casefold() in title.casefold():
        return f"{icon} {shown}"
    return f"{icon} {shown} <i>({esc(_(kind))})</i>"


def document_button(document: Document, limit: int = 60) -> InlineKeyboardButton:
    """A file is sent in the chat; an address opens in the browser."""
    title = shorten(document.title.get(current_language()), limit)
    if document.url is not None:
        return InlineKeyboardButton(f"🔗 {title}", url=document.url)
    return InlineKeyboardButton(f"📥 {title}", callback_data=f"{PREFIX}f:{document.id}")


# --- on the session card -------------------------------------------------------------------------


@card_part
async def documents_part(
    context: BotContext, consultation: Consultation, session: Session
) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """The card's 📄 Documents: one line and one button each."""
    if not session.documents:
        return [], []
    lines = ["", "📄 <b>" + _("Documents") + "</b>"]
    lines += [document_line(d) for d in session.documents]
    return lines, [[document_button(d)] for d in session.documents]


# --- a document found by a question --------------------------------------------------------------


def document_answer(
    placed: Placed, consultation: Consultation
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """The answer to "where is the concept note": the document, where it belongs, its button."""
    lang = current_language()
    lines = [document_line(placed.document, bold=True)]
    rows = [[document_button(placed.document)]]
    # Where it belongs: a session (and when), or the consultation.
    session = placed.session
    if session is not None:
        lines.append(f"🗓 <b>{esc(session.title.get(lang))}</b>")
        lines.append(f"🕘 {esc(when(session, consultation))}")
        rows.append(
            [
                InlineKeyboardButton(
                    "📄 " + _("Go to the session"), callback_data=f"ag:s:{session.id}"
                )
            ]
        )
    else:
        lines.append(esc(consultation.name.get(lang)))
    lines += ["", _("All documents: /documents")]
    return "\n".join(lines), rows


# --- sending a file ------------------------------------------------------------------------------


async def send_button(update: Update, context: BotContext) -> None:
    """dc:f:<document>: send the document's file, by its file_id once uploaded."""
    query = update.callback_query
    chat = update.effective_chat
    parts = callback_parts(update, 3)
    if query is None or chat is None:
        return
    if parts is None:
        await out_of_date(update)
        return
    consultation = context.consultation
    placed = find_document(consultation, parts[2]) if consultation else None
    if consultation is None or placed is None or placed.document.file is None:
        await query.answer(_("This document is no longer available."), show_alert=True)
        return
    document, file = placed.document, placed.document.file
    if not file.is_file():
        logger.warning("Document %s of %s: its file is missing", document.id, consultation.id)
        await query.answer(
            _("Sorry, this document cannot be sent right now. Please try again later."),
            show_alert=True,
        )
        return
    await query.answer()
    await send_file(context, chat.id, file, "document", _caption(placed))


def _caption(placed: Placed) -> str:
    lang = current_language()
    caption = f"{_icon(placed.document)} <b>{esc(placed.document.title.get(lang))}</b>"
    if placed.session is not None:
        caption += "\n" + esc(placed.session.title.get(lang))
    return caption


# --- /documents ----------------------------------------------------------------------------------


async def _page(
    update: Update, context: BotContext, consultation: Consultation, page: int
) -> None:
    lang = current_language()
    items: list[Document | Session] = [
        *consultation.documents,
        *sessions_with_documents(consultation),
    ]
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = ["📄 <b>" + _("Documents") + "</b> — " + esc(consultation.name.get(lang))]
    rows: list[list[InlineKeyboardButton]] = []
    if not items:
        lines += ["", _("No documents have been published for this consultation yet.")]
    in_sessions = False
    for item in shown:
        if isinstance(item, Document):
            lines.append(document_line(item))
            rows.append([document_button(item)])
            continue
        if not in_sessions:
            lines += ["", "<b>" + _("Sessions") + "</b>"]
            in_sessions = True
        lines.append(session_line(item, consultation))
        lines += ["    " + document_line(d) for d in item.documents]
        start = clock_time(item.start, consultation.timezone)
        label = f"{start} · {shorten(item.title.get(lang))}"
        rows.append([InlineKeyboardButton(label, callback_data=f"ag:s:{item.id}")])
    if pages > 1:
        lines += ["", _("Page {page} of {pages}").format(page=page + 1, pages=pages)]
        rows.append(page_buttons(page, pages, lambda n: f"{PREFIX}p:{n}"))
    if any(isinstance(item, Session) for item in shown):
        lines += ["", _("Tap a session to open it and its documents.")]
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


async def show_documents(update: Update, context: BotContext) -> None:
    """/documents: the consultation's documents, then the sessions that have some."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    await _page(update, context, consultation, 0)


async def page_button(update: Update, context: BotContext) -> None:
    """dc:p:<page>"""
    opened = await open_page(update, context)
    if opened is not None:
        await _page(update, context, *opened)


# --- wiring --------------------------------------------------------------------------------------


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("documents", show_documents, filters=PRIVATE))
    application.add_handler(CallbackQueryHandler(send_button, pattern=rf"^{PREFIX}f:"))
    application.add_handler(CallbackQueryHandler(page_button, pattern=rf"^{PREFIX}p:"))
