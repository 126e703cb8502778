"""The preview exactly as recipients will see it, with their count, and sending now."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.context import BotContext
from bot.handlers.broadcast.card import button_data
from bot.handlers.broadcast.labels import audience_label, delegate_count, number
from bot.handlers.broadcast.message import message_for
from bot.handlers.broadcast.report import report_markup, report_text
from bot.handlers.common import reply, show
from bot.handlers.formatting import language_name
from bot.handlers.outbox import send_rendered
from bot.i18n import SUPPORTED, _, current_language
from bot.services.broadcasts import AudienceNotValid, NothingToSend
from bot.storage.broadcasts import BroadcastRecord

logger = logging.getLogger(__name__)


async def preview(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    assert update.effective_chat is not None
    services = context.services
    if not record.texts and record.media_kind is None:
        await update.callback_query.answer(_("Write the text first."), show_alert=True)
        return
    await update.callback_query.answer()
    chat_id = update.effective_chat.id
    readers = await services.broadcasts.readers(record)
    shown = [code for code in SUPPORTED if code in record.texts] or [current_language()]
    for code in shown:
        rendered = message_for(services.events, record, code)
        await send_rendered(context.bot, chat_id, rendered)
    total = sum(readers.values())
    lines = ["👆 " + _("This is what they will receive.")]
    if total == 0:
        lines.append(_("Nobody is in this audience yet: choose another one."))
    else:
        lines.append(
            _("To {people} ({audience}):").format(
                people=delegate_count(total), audience=audience_label(services, record)
            )
        )
        for code in SUPPORTED:
            if readers.get(code):
                lines.append(
                    "• "
                    + _("{count} in {language}").format(
                        count=number(readers[code]), language=language_name(code)
                    )
                )
    rows = []
    if total:
        rows.append(
            [
                InlineKeyboardButton(
                    "🚀 " + _("Send now to {people}").format(people=delegate_count(total)),
                    callback_data=button_data(record, "go"),
                )
            ]
        )
        rows.append(
            [InlineKeyboardButton("🕘 " + _("Schedule"), callback_data=button_data(record, "w"))]
        )
    rows.append(
        [
            InlineKeyboardButton("✏️ " + _("Edit"), callback_data=button_data(record, "c")),
            InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=button_data(record, "x")),
        ]
    )
    await reply(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def send_now(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    query = update.callback_query
    assert query is not None
    message = query.message
    progress = (message.chat.id, message.message_id) if isinstance(message, Message) else None
    try:
        count = await context.services.broadcasts.send_now(record, progress)
    except (NothingToSend, AudienceNotValid):
        await query.answer(_("The draft is not complete yet."), show_alert=True)
        return
    await query.answer(_("Sending."))
    fresh = await context.services.broadcasts.get(record.id)
    if fresh is not None:
        report = await context.services.broadcasts.report(fresh)
        await show(update, context, report_text(context.services, report), report_markup(fresh))
    logger.info("Broadcast %d started to %d recipients", record.id, count)
