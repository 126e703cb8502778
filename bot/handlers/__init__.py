"""The one place that orders handlers and groups."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotContext
from bot.handlers import (
    agenda,
    ask,
    broadcast,
    documents,
    fallback,
    feedback,
    filter_menu,
    guard,
    logistics,
    membership,
    moderation,
    panel,
    polls,
    reminders,
    rooms,
    search,
    signups,
    speakers,
    start,
    walls,
)
from bot.handlers.common import out_of_date
from bot.handlers.errors import on_error
from bot.handlers.profile import load_profile

MIDDLEWARE_GROUP = -1

PRIVATE = filters.ChatType.PRIVATE

COMMANDS = {
    "start": start.start,
    "help": start.show_help,
    "language": start.choose_language,
    "consultation": start.choose_consultation,
    "forget": start.forget,
    "agenda": agenda.show_agenda,
    "now": agenda.show_now,
    "next": agenda.show_next,
    "search": search.search_command,
    "my": agenda.show_my_agenda,
    "calendar": agenda.send_calendar,
    "venue": logistics.show_venue,
    "rooms": rooms.show_rooms,
    "info": logistics.show_info,
}

MENU = {
    "menu:agenda": agenda.show_agenda,
    "menu:now": agenda.show_now,
    "menu:my": agenda.show_my_agenda,
    "menu:info": logistics.show_info,
    "menu:venue": logistics.show_venue,
    "rm:l": rooms.show_rooms,
    "menu:language": start.choose_language,
    "my:ics": agenda.send_calendar,
    agenda.RENEW: agenda.renew_calendar_address,
}


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    guard.register(application)
    application.add_handler(TypeHandler(Update, load_profile), group=MIDDLEWARE_GROUP)
    membership.register(application)
    # Before any text handler: a comment being typed must not reach the free-text answers.
    feedback.register(application)
    panel.register(application)
    broadcast.register(application)
    polls.register(application)
    moderation.register(application)
    reminders.register(application)
    signups.register(application)
    documents.register(application)
    ask.register(application)
    speakers.register(application)
    walls.register(application)
    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    for data, callback in MENU.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=f"^{data}$"))
    application.add_handler(CallbackQueryHandler(start.set_language_button, pattern=r"^lang:"))
    application.add_handler(CallbackQueryHandler(start.set_consultation_button, pattern=r"^cons:"))
    application.add_handler(CallbackQueryHandler(start.forget_button, pattern=r"^forget:"))
    application.add_handler(CallbackQueryHandler(agenda.agenda_day_button, pattern=r"^ag:d:"))
    application.add_handler(CallbackQueryHandler(agenda.session_button, pattern=r"^ag:s:"))
    application.add_handler(CallbackQueryHandler(agenda.star_button, pattern=r"^ag:t:"))
    application.add_handler(CallbackQueryHandler(agenda.now_page_button, pattern=r"^ag:n:"))
    application.add_handler(CallbackQueryHandler(agenda.now_jump_button, pattern=r"^ag:w:"))
    application.add_handler(
        CallbackQueryHandler(filter_menu.filter_menu_button, pattern=r"^ag:f:")
    )
    application.add_handler(
        CallbackQueryHandler(filter_menu.filter_values_button, pattern=r"^ag:v:")
    )
    application.add_handler(CallbackQueryHandler(search.search_page_button, pattern=r"^se:s:"))
    application.add_handler(CallbackQueryHandler(logistics.topic_button, pattern=r"^info:"))
    application.add_handler(CallbackQueryHandler(rooms.room_button, pattern=r"^rm:c:"))
    application.add_handler(CallbackQueryHandler(rooms.room_back_button, pattern=r"^rm:b:"))
    application.add_handler(CallbackQueryHandler(rooms.room_sessions_button, pattern=r"^rm:s:"))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(MessageHandler(filters.COMMAND & PRIVATE, fallback.unknown_command))
    application.add_handler(MessageHandler(filters.TEXT & PRIVATE, ask.answer_question))
    application.add_handler(
        MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, fallback.unsupported_message)
    )
    application.add_error_handler(on_error)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button whose data no handler knows (an old message, or forged data)."""
    if update.callback_query:
        await out_of_date(update)
