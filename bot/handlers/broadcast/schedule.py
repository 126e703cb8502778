"""Sending later: the time asked for, read in the consultation's time zone."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.context import BotContext
from bot.handlers.broadcast.card import back_button, button_data, draft_card
from bot.handlers.broadcast.labels import delegate_count, zone_consultation
from bot.handlers.common import reply, show
from bot.handlers.formatting import esc, moment
from bot.i18n import _, isolate
from bot.services.broadcasts import (
    Audience,
    AudienceNotValid,
    NothingToSend,
    TimeInPast,
    TimeNotUnderstood,
    parse_local_time,
)
from bot.storage.broadcasts import BroadcastRecord


async def ask_time(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    consultation = zone_consultation(context.services, record)
    await context.services.broadcasts.expect(record, "time")
    await update.callback_query.answer()
    zone = isolate(str(consultation.timezone)) if consultation else "UTC"
    text = "🕘 " + _(
        "When should it go? Send the time in {zone} time: 18:00 (the next 18:00), "
        "or a date and time like 2026-12-09 08:30."
    ).format(zone=esc(zone))
    await show(update, context, text, InlineKeyboardMarkup([[back_button(record)]]))


async def receive_time(
    update: Update, context: BotContext, record: BroadcastRecord, message: Message
) -> None:
    services = context.services
    consultation = zone_consultation(services, record)
    if consultation is None:
        return
    zone = consultation.timezone
    try:
        at = parse_local_time(message.text or "", zone, services.clock.now())
        await services.broadcasts.schedule(record, at)
    except TimeNotUnderstood:
        await reply(
            update,
            context,
            _("I could not read that time. Send it like 18:00, or 2026-12-09 08:30."),
        )
        return
    except TimeInPast:
        await reply(update, context, _("That time has passed. Please send a later one."))
        return
    except (NothingToSend, AudienceNotValid):
        text, markup = await draft_card(services, record)
        await reply(update, context, _("The draft is not complete yet.") + "\n\n" + text, markup)
        return
    count = await services.broadcasts.count(
        Audience.from_json(record.audience), record.consultation_id
    )
    text = "🕘 " + _("Scheduled for {when} ({zone} time), to {people} as of now.").format(
        when=esc(moment(at, consultation)),
        zone=esc(isolate(str(zone))),
        people=delegate_count(count),
    )
    text += "\n" + _("You will get its progress and report here. /broadcasts lists it.")
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("✖️ " + _("Cancel it"), callback_data=button_data(record, "k"))]]
    )
    await reply(update, context, text, markup)
