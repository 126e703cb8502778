"""Notice delegates who block or unblock the bot, so nothing is sent to them in vain."""

from __future__ import annotations

from typing import Any

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler

from bot.context import BotContext


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(ChatMemberHandler(track_membership, ChatMemberHandler.MY_CHAT_MEMBER))


async def track_membership(update: Update, context: BotContext) -> None:
    """my_chat_member in a private chat: 'kicked' means blocked, 'member' means back."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    user = change.from_user
    people = context.services.people
    if change.new_chat_member.status == ChatMember.BANNED:
        await people.mark_inactive(user.id)
    elif change.new_chat_member.status == ChatMember.MEMBER:
        await people.profile(user.id, user.first_name or "")
