"""Reply helpers shared by the handlers: long texts split cleanly, edits that may be no-ops."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, MessageHandler, filters

from bot.context import BotContext, Services
from bot.handlers.formatting import split_message
from bot.i18n import RTL, _, current_language

logger = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]*>")


def in_reading_order(
    previous: InlineKeyboardButton | None, following: InlineKeyboardButton | None
) -> list[InlineKeyboardButton]:
    """A row of "back" and "on" buttons as the reader reads: in a right-to-left language the
    next page or day is on the left. (Telegram lays a row out left to right in any language.)"""
    row = [button for button in (previous, following) if button is not None]
    return row[::-1] if current_language() in RTL else row


def page_buttons(page: int, pages: int, data: Callable[[int], str]) -> list[InlineKeyboardButton]:
    """◀ ▶ between pages, pointing the way the reader's language reads: in Arabic, "next" is ◀
    on the left. `data(n)` is the callback data that opens page n."""
    back, on = ("▶", "◀") if current_language() in RTL else ("◀", "▶")
    return in_reading_order(
        InlineKeyboardButton(back, callback_data=data(page - 1)) if page > 0 else None,
        InlineKeyboardButton(on, callback_data=data(page + 1)) if page < pages - 1 else None,
    )


async def reply(
    update: Update,
    context: BotContext,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send `text` to the update's chat, split at Telegram's limit; buttons go on the last part."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = split_message(text)
    sent: Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await context.bot.send_message(
            chat.id,
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if last else None,
        )
    return sent


async def show(
    update: Update,
    context: BotContext,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Edit the message whose button was pressed, or send a new one for a command."""
    query = update.callback_query
    message = query.message if query else None
    parts = split_message(text)
    if query is None or not isinstance(message, Message) or len(parts) > 1:
        await reply(update, context, text, markup)
        return
    # The message shows something new now: a redraw owed to it (after a vote) must not land
    # on top of it.
    await context.services.redraws.settle(message_key(message))
    await edit_shown(message, text, markup)


def message_key(message: Message) -> tuple[int, int]:
    """A message of the bot, as redraws know it."""
    return message.chat_id, message.message_id


async def edit_shown(
    message: Message,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    as_pressed: bool = True,
) -> None:
    """Edit the message to show `text` (HTML, one message's worth) and `markup`, unless it shows
    them already as it was when pressed (`as_pressed`; a later redraw cannot tell)."""
    if as_pressed and _shows_already(message, text, markup):
        # A double tap, or a repeat of the same button: the message is already right.
        return
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        # Pressing the same button twice asks for the same text: nothing to do.
        if "not modified" not in exc.message.lower():
            raise


def _shows_already(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    """Whether the message already has this visible text and these buttons."""
    visible = html.unescape(_TAG.sub("", text)).strip()
    if (message.text or "").strip() != visible:
        return False
    current = message.reply_markup
    if markup is None or current is None:
        return markup is None and current is None
    return current.inline_keyboard == markup.inline_keyboard


def callback_parts(update: Update, count: int) -> list[str] | None:
    """The pressed button's data split at ':', when it has exactly `count` parts."""
    query = update.callback_query
    if query is None or query.data is None:
        return None
    parts = query.data.split(":")
    return parts if len(parts) == count else None


# SQLite's integers are signed 64-bit: a larger number is no row's id, and binding it raises.
LARGEST_ID = 2**63 - 1
_NUMBER = re.compile(r"[0-9]{1,19}")


def parse_id(text: str) -> int | None:
    """A number read from a button's data or a command (an id, a page, a choice): ASCII digits
    within SQLite's range, else None. int() alone takes "²"-like digits it then refuses, signs,
    spaces and numbers no SQLite row can have; such data is forged or mangled."""
    if _NUMBER.fullmatch(text) is None:
        return None
    number = int(text)
    return number if number <= LARGEST_ID else None


def required_id(text: str) -> int:
    """As `parse_id`, raising ValueError (the press is out of date) instead of returning None."""
    number = parse_id(text)
    if number is None:
        raise ValueError(text)
    return number


async def out_of_date(update: Update) -> None:
    """Answer a press whose button no longer fits what the bot knows (old message, forged data)."""
    if update.callback_query:
        await update.callback_query.answer(_("This button is out of date."))


async def refuse(update: Update, context: BotContext, refusal: str) -> None:
    """Tell someone a screen is not theirs: an alert on a press, a reply to a command."""
    if update.callback_query is not None:
        await update.callback_query.answer(refusal, show_alert=True)
    else:
        await reply(update, context, refusal)


class ExpectedInput(filters.MessageFilter):
    """Matches only messages a feature asked the sender for (a comment, a draft's text…).

    `expected(services, user_id)` says, synchronously, whether the sender's next message is
    awaited; a message filter cannot await.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        name: str,
        expected: Callable[[Services, int], object | None],
    ) -> None:
        super().__init__(name=name)
        self._application = application
        self._expected = expected

    def filter(self, message: Message) -> bool:
        services: Services | None = self._application.bot_data.get("services")
        user = message.from_user
        if services is None or user is None:
            return False
        return self._expected(services, user.id) is not None


JobCallback = Callable[[Any], Coroutine[Any, Any, None]]


def on_the_clock(callback: JobCallback) -> JobCallback:
    """A JobQueue callback that acts only when the application's clock moves on its own.

    The JobQueue fires on real time; on a clock that does not tick (the tests' ManualClock)
    what such a job did would depend on how fast the machine runs, so it does nothing there:
    tests move their clock and call the work itself (the outbox's `process_due`, the progress
    board's `tick`, `close_if_due`)."""

    async def job(context: Any) -> None:
        services: Services = context.application.bot_data["services"]
        if services.clock.ticking:
            await callback(context)

    job.__name__ = getattr(callback, "__name__", "job")
    job.__doc__ = callback.__doc__
    return job


def expected_text(
    application: Application[Any, Any, Any, Any, Any, Any],
    name: str,
    expected: Callable[[Services, int], object | None],
    callback: Callable[[Update, BotContext], Coroutine[Any, Any, None]],
) -> MessageHandler[Any, None]:
    """The handler of a private text (not a command) a feature asked the sender for; register it
    before the free-text handlers so the typed answer reaches the feature first."""
    awaited = ExpectedInput(application, name, expected)
    return MessageHandler(
        filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & awaited, callback
    )
