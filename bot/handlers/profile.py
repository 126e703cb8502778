"""Middleware: load the user's profile and set their language before any handler runs."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, filters

from bot.context import BotContext
from bot.handlers.ask import GROUP_BUTTONS
from bot.handlers.common import out_of_date
from bot.i18n import pick_language, set_language

_PRIVATE_COMMAND = filters.COMMAND & filters.ChatType.PRIVATE


async def load_profile(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None or user.is_bot or update.my_chat_member is not None:
        # Blocking the bot is not contact: it must not mark the delegate active again.
        return
    chat = update.effective_chat
    people = context.services.people
    if chat is None or chat.type != ChatType.PRIVATE:
        # Only a private chat with the bot makes someone a delegate: a command or a button in a
        # group stores nothing about its sender (organisers are known from configuration).
        context.profile = await people.group_profile(user.id, user.first_name or "")
        set_language(context.profile.language or pick_language(user.language_code))
        query = update.callback_query
        if query is not None and not (query.data or "").startswith(GROUP_BUTTONS):
            # A delegate's button pressed outside a private chat (forged data) would act for
            # someone the bot does not know.
            await out_of_date(update)
            raise ApplicationHandlerStop
        return
    client_language = pick_language(user.language_code) if user.language_code else None
    profile = await people.profile(user.id, user.first_name or "", client_language)
    context.profile = profile
    set_language(profile.language or pick_language(user.language_code))
    if _PRIVATE_COMMAND.check_update(update):
        # A command leaves the comment, answer or announcement being typed, before the command
        # runs: one that asks for text itself (/survey, /broadcast) then keeps its own.
        await context.services.feedback.stop_expecting(user.id)
        await context.services.broadcasts.stop_expecting(user.id)
        await context.services.polls.stop_expecting(user.id)
