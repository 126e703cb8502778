"""The wiring: the commands, the organiser's typed input and every button, routed to their step."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.handlers.broadcast.access import organiser_only
from bot.handlers.broadcast.audience import audience_menu
from bot.handlers.broadcast.card import PREFIX
from bot.handlers.broadcast.draft import discard, show_card, start_again, start_broadcast
from bot.handlers.broadcast.preview import preview, send_now
from bot.handlers.broadcast.report import ask_cancel, cancel, list_broadcasts, show_report
from bot.handlers.broadcast.schedule import ask_time, receive_time
from bot.handlers.broadcast.text import ask_text, cycle_fallback, receive_text, remove_media
from bot.handlers.common import ExpectedInput, out_of_date, parse_id, reply
from bot.i18n import _, current_language
from bot.services.broadcasts import BroadcastNotFound, NotADraft
from bot.storage.broadcasts import BroadcastRecord

PRIVATE = filters.ChatType.PRIVATE


async def receive_input(update: Update, context: BotContext) -> None:
    """The organiser's text (or photo, or document) for the draft, or the time to send it."""
    message = update.effective_message
    profile = context.profile
    if message is None or profile is None or not profile.is_organiser:
        return
    broadcasts = context.services.broadcasts
    awaited = broadcasts.expected(profile.user_id)
    if awaited is None:
        return
    try:
        record = await broadcasts.draft(profile.user_id, awaited.broadcast_id)
    except (BroadcastNotFound, NotADraft):
        await broadcasts.stop_expecting(profile.user_id)
        await reply(update, context, _("That announcement is no longer a draft."))
        return
    if awaited.what == "time":
        await receive_time(update, context, record, message)
        return
    language = awaited.language or current_language()
    await receive_text(update, context, record, message, language)


async def _pressed_draft(
    update: Update, context: BotContext, broadcast_id: int
) -> BroadcastRecord | None:
    """The organiser's draft a button is about, or None after saying why not."""
    assert context.profile is not None
    try:
        return await context.services.broadcasts.draft(context.profile.user_id, broadcast_id)
    except BroadcastNotFound:
        await out_of_date(update)
    except NotADraft:
        assert update.callback_query is not None
        await update.callback_query.answer(_("This announcement was already sent or scheduled."))
    return None


async def broadcast_button(update: Update, context: BotContext) -> None:
    """bc:<id>:<action>[:<argument>…] — every button of the broadcast screens."""
    query = update.callback_query
    if query is None or query.data is None or not await organiser_only(update, context):
        return
    parts = query.data.split(":")
    broadcast_id = parse_id(parts[1]) if len(parts) >= 3 else None
    if broadcast_id is None:
        await out_of_date(update)
        return
    action, args = parts[2], parts[3:]
    handler = _DRAFT_ACTIONS.get(action)
    if handler is not None:
        record = await _pressed_draft(update, context, broadcast_id)
        if record is not None:
            await handler(update, context, record, args)
        return
    handler = _SENT_ACTIONS.get(action)
    if handler is None:
        await out_of_date(update)
        return
    found = await context.services.broadcasts.get(broadcast_id)
    if found is None or found.state == "draft":
        await out_of_date(update)
        return
    await handler(update, context, found, args)


_DRAFT_ACTIONS = {
    "c": show_card,
    "t": ask_text,
    "f": cycle_fallback,
    "m": remove_media,
    "x": discard,
    "n": start_again,
    "a": audience_menu,
    "p": preview,
    "go": send_now,
    "w": ask_time,
}

_SENT_ACTIONS = {"k": ask_cancel, "K": cancel, "v": show_report}


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("broadcast", start_broadcast, filters=PRIVATE))
    application.add_handler(CommandHandler("broadcasts", list_broadcasts, filters=PRIVATE))
    content = filters.TEXT | filters.PHOTO | filters.Document.ALL
    # Messages from an organiser whose draft waits for a text, a file or a time.
    awaiting = ExpectedInput(
        application, "broadcast_awaiting", lambda s, user: s.broadcasts.expected(user)
    )
    application.add_handler(
        MessageHandler(PRIVATE & ~filters.COMMAND & content & awaiting, receive_input)
    )
    application.add_handler(CallbackQueryHandler(broadcast_button, pattern=rf"^{PREFIX}\d+:"))
