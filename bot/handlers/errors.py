"""The last resort: log the error, then answer the user politely in their language."""

from __future__ import annotations

import logging
from contextlib import suppress

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.context import BotContext
from bot.i18n import _
from bot.transport import NotDelivered

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    # The update's id, never the update: it holds names and texts.
    if isinstance(update, Update):
        logger.error("Error while handling update %d", update.update_id, exc_info=context.error)
    else:
        logger.error("Error outside an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    if update.callback_query:
        # Most handlers answered the press before failing; a second answer is refused.
        with suppress(TelegramError):
            await update.callback_query.answer()
    if isinstance(context.error, NetworkError) and not isinstance(
        context.error, NotDelivered | BadRequest
    ):
        # The reply may well have arrived (the connection broke after it left, or timed out):
        # "something went wrong, try again" would follow the answer and ask for a repeat.
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            _("Sorry, something went wrong on my side. Please try again in a moment."),
        )
    except TelegramError:
        logger.warning("Could not tell the user about the error", exc_info=True)
