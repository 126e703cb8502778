"""The first middleware: skip re-delivered updates, slow down delegates who flood the bot."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from bot.i18n import _, pick_language, use_language
from bot.services.flood import Verdict

logger = logging.getLogger(__name__)

# Before the profile middleware (-1): a skipped update costs no profile write.
GUARD_GROUP = -2


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, guard_update), group=GUARD_GROUP)


async def guard_update(update: Update, context: BotContext) -> None:
    """Stop the update here if it is a repeat or part of a flood."""
    services = context.services
    if not await services.updates.first_delivery(update.update_id):
        logger.info("Skipping update %d: it was processed before", update.update_id)
        raise ApplicationHandlerStop
    if update.edited_message is not None or update.edited_channel_post is not None:
        # An edit is not a new question: answering it again would repeat replies and tickets.
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None or user.is_bot:
        return
    if update.callback_query is not None:
        kind = "button"
    elif update.message is not None:
        kind = "message"
    else:
        return
    verdict = services.flood.check(user.id, kind)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.DROP_AND_WARN:
        logger.info("Slowing down user %d (%s flood)", user.id, kind)
        await _warn(update, context)
    elif update.callback_query is not None:
        await _answer_quietly(update)
    raise ApplicationHandlerStop


async def _warn(update: Update, context: BotContext) -> None:
    """Tell the delegate once, in their language, that they are going too fast."""
    user = update.effective_user
    assert user is not None
    # Read only: a flood in a group must not make its sender a delegate.
    profile = await context.services.people.group_profile(user.id)
    with use_language(profile.language or pick_language(user.language_code)):
        text = _("You are sending messages very fast; I will answer again in a few seconds.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
            return
        chat = update.effective_chat
        if chat is not None and chat.type == "private":
            await context.bot.send_message(chat.id, text)
    except TelegramError:
        logger.warning("Could not tell user %d to slow down", user.id, exc_info=True)


async def _answer_quietly(update: Update) -> None:
    """Stop the button's spinner without a word."""
    assert update.callback_query is not None
    try:
        await update.callback_query.answer()
    except TelegramError:
        logger.debug("Could not answer a dropped button press", exc_info=True)
