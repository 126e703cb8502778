"""Which consultation the delegate attends: asked once, needed by every programme screen."""

from __future__ import annotations

from babel.dates import format_interval
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.common import callback_parts, out_of_date, parse_id, reply
from bot.i18n import _, current_language
from bot.services.event_data import Consultation

CONSULTATION_PREFIX = "cons:"


def consultation_label(consultation: Consultation) -> str:
    lang = current_language()
    dates = format_interval(consultation.start, consultation.end, "MMMEd", locale=lang)
    return f"{consultation.name.get(lang)} ({dates})"


def consultation_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    chosen = context.profile.consultation_id if context.profile else None
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if c.id == chosen else "") + consultation_label(c),
                callback_data=f"{CONSULTATION_PREFIX}{c.id}",
            )
        ]
        for c in context.services.events.consultations.values()
    ]
    return InlineKeyboardMarkup(rows)


async def ask_consultation(update: Update, context: BotContext) -> None:
    await reply(
        update,
        context,
        _("Which consultation are you attending?"),
        consultation_keyboard(context),
    )


async def need_consultation(update: Update, context: BotContext) -> Consultation | None:
    """The user's consultation, or None after asking them to choose one."""
    consultation = context.consultation
    if consultation is None:
        if update.callback_query:
            # The press is answered here, so its spinner stops whichever button it was.
            await update.callback_query.answer()
        await reply(update, context, _("First, tell me which consultation you are attending."))
        await ask_consultation(update, context)
    return consultation


async def pressed_in_consultation(
    update: Update, context: BotContext
) -> tuple[CallbackQuery, str, Consultation] | None:
    """A press, its data and the user's consultation; None when the press has no data, or
    there is no consultation yet (asked, as by `need_consultation`)."""
    query = update.callback_query
    if query is None or query.data is None:
        return None
    consultation = await need_consultation(update, context)
    return None if consultation is None else (query, query.data, consultation)


async def open_consultation(update: Update, context: BotContext) -> Consultation | None:
    """`need_consultation` for a screen that opens at once: the press, if any, is answered."""
    consultation = await need_consultation(update, context)
    if consultation is not None and update.callback_query:
        await update.callback_query.answer()
    return consultation


async def open_page(update: Update, context: BotContext) -> tuple[Consultation, int] | None:
    """A list's ◀ ▶ press (`<prefix>:<kind>:<page>`): the consultation and the page asked for,
    the press answered; None when the button is out of date (said) or no consultation."""
    parts = callback_parts(update, 3)
    page = parse_id(parts[2]) if parts is not None else None
    if page is None:
        await out_of_date(update)
        return None
    consultation = await open_consultation(update, context)
    return None if consultation is None else (consultation, page)
