"""Who may: organisers only, on every screen of the broadcasts."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import refuse
from bot.i18n import _


async def organiser_only(update: Update, context: BotContext) -> bool:
    """Organisers only; anyone else is told so and sees nothing of it."""
    if context.profile is not None and context.profile.is_organiser:
        return True
    await refuse(
        update, context, _("Sorry, only the consultation's organisers can send announcements.")
    )
    return False
