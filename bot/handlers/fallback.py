"""Messages no other handler took: unknown commands and, for now, free text."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import reply
from bot.i18n import _


async def unknown_command(update: Update, context: BotContext) -> None:
    await reply(update, context, _("I do not know that command. Send /help to see what I can do."))


async def unsupported_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes...: say what the bot understands instead of staying silent."""
    await reply(
        update,
        context,
        _("I can only read text messages. Send /help to see what I can do."),
    )
