"""Sending outbox rows through Telegram: render in the recipient's language, send, and turn
Telegram's answer into an Outcome. Also meters every message the bot sends, so the outbox
leaves room under Telegram's limits for replies to delegates."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, BaseRateLimiter

from bot.context import Services
from bot.i18n import DEFAULT, use_language
from bot.services.delivery import BLOCKED, Outcome, SendMeter, outbox_send
from bot.storage.outbox import OutboxItem
from bot.transport import NotDelivered

logger = logging.getLogger(__name__)

_DELIVERING = ("send", "copy", "forward")


@dataclass(frozen=True)
class Rendered:
    """A message as its recipient sees it: HTML text, or a photo or document with it as caption."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a file_id
    document: str | None = None  # a file_id


# kind -> renderer; returns None when the row is no longer worth sending (then cancelled).
Renderer = Callable[[Services, OutboxItem], Awaitable[Rendered | None]]
RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register how rows of a kind look (reminders here; broadcasts add theirs)."""

    def register(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return register


# kind -> what to remember of the message a row arrived as (its id, to edit it later); called
# after the send counted, and a failure here never makes the row be sent again.
AfterSent = Callable[[Services, OutboxItem, Message], Awaitable[None]]
AFTER_SENT: dict[str, AfterSent] = {}


def after_sent(kind: str) -> Callable[[AfterSent], AfterSent]:
    """Register what rows of a kind keep of their delivered message (polls: its id)."""

    def register(function: AfterSent) -> AfterSent:
        AFTER_SENT[kind] = function
        return function

    return register


# kind -> what a row for a group chat (not a delegate) does there, an edit say: its Outcome, or
# the TelegramError of its Bot API call.
GroupAction = Callable[[Services, Bot, OutboxItem], Awaitable[Outcome]]
GROUP_ACTIONS: dict[str, GroupAction] = {}


def group_action(kind: str) -> Callable[[GroupAction], GroupAction]:
    """Register what rows of a kind do in their group chat (the helpdesk's edits)."""

    def register(function: GroupAction) -> GroupAction:
        GROUP_ACTIONS[kind] = function
        return function

    return register


# kind -> what a delegate's row does instead of sending a new message (a chair's live message is
# edited, say), in the delegate's language: its Outcome, or the TelegramError of its call.
DELEGATE_ACTIONS: dict[str, GroupAction] = {}


def delegate_action(kind: str) -> Callable[[GroupAction], GroupAction]:
    """Register what rows of a kind do in their delegate's chat, when it is not a new message."""

    def register(function: GroupAction) -> GroupAction:
        DELEGATE_ACTIONS[kind] = function
        return function

    return register


class MeteredSends(BaseRateLimiter[None]):
    """Counts every message the bot sends (replies included) for the outbox's pacer.

    Replies to delegates go at once, unless the last second's messages reached Telegram's limit:
    then a reply waits for the next free slot, ahead of the outbox (which sends less).
    """

    def __init__(self, meter: SendMeter) -> None:
        self.meter = meter

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if not endpoint.startswith(_DELIVERING):
            if endpoint == "getUpdates":  # polling retries on its own
                return await callback(*args, **kwargs)
            return await _with_retries(callback, args, kwargs)
        chat = data.get("chat_id")
        calls = outbox_send.get()
        if calls is None:  # a reply to a delegate: first in line for the next free slot
            await self.meter.wait_for_slot()
            self.meter.hold(1)
            held = True
        else:  # the outbox held a slot for its row's (first) call
            held = calls[0] == 0
            calls[0] += 1
        try:
            if calls is None:
                return await _with_retries(callback, args, kwargs)
            return await callback(*args, **kwargs)
        finally:
            # Counted from its answer on: never earlier than Telegram counted it.
            self.meter.record(chat if isinstance(chat, int) else None, held=held)


REPLY_ATTEMPTS = 3
REPLY_LONGEST_WAIT = 5.0  # seconds: a longer retry_after is left to fail


async def _with_retries(
    callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
    args: Any,
    kwargs: dict[str, Any],
) -> bool | dict[str, Any] | list[dict[str, Any]]:
    """A reply to a delegate, tried again (0.5 s, then 1 s) when it certainly delivered nothing
    (no connection, or Telegram's 5xx), or after a short 429; never after a broken connection
    or a timeout, which may have delivered it (a second copy would be a double)."""
    for attempt in range(1, REPLY_ATTEMPTS + 1):
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
            if attempt == REPLY_ATTEMPTS or seconds > REPLY_LONGEST_WAIT:
                raise
            await asyncio.sleep(seconds)
        except NotDelivered as exc:
            if attempt == REPLY_ATTEMPTS:
                raise
            logger.warning("A reply was not delivered (%s); trying again", exc.message)
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


async def send_rendered(bot: Bot, chat_id: int, rendered: Rendered) -> Message:
    """Send a rendered message: as text, or as a photo or document with the text as caption."""
    if rendered.photo is not None:
        return await bot.send_photo(
            chat_id,
            rendered.photo,
            caption=rendered.text,
            parse_mode=ParseMode.HTML,
            reply_markup=rendered.markup,
        )
    if rendered.document is not None:
        return await bot.send_document(
            chat_id,
            rendered.document,
            caption=rendered.text,
            parse_mode=ParseMode.HTML,
            reply_markup=rendered.markup,
        )
    return await bot.send_message(
        chat_id, rendered.text, parse_mode=ParseMode.HTML, reply_markup=rendered.markup
    )


def outcome_of(error: TelegramError) -> Outcome:
    """How a failed send went; it is tried again only if it certainly delivered nothing."""
    if isinstance(error, Forbidden):
        return Outcome.blocked()
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        return Outcome.later(
            float(wait if isinstance(wait, int | float) else wait.total_seconds())
        )
    if isinstance(error, BadRequest):
        if "chat not found" in error.message.lower():
            return Outcome(BLOCKED, "chat not found")
        return Outcome.permanent(error.message[:200])
    if isinstance(error, NotDelivered):
        return Outcome.transient(error.message[:200])
    if isinstance(error, TimedOut):
        return Outcome.unknown("timed out")
    if isinstance(error, NetworkError) or type(error) is TelegramError:
        # The connection broke after the request left, or the answer could not be read (PTB
        # raises the bare TelegramError for that): it may have arrived, so it is not resent.
        return Outcome.unknown(error.message[:200])
    return Outcome.transient(error.message[:200])  # Telegram answered: nothing was delivered


def make_sender(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> Callable[[OutboxItem], Awaitable[Outcome]]:
    """The `send` callable the delivery service uses."""

    async def send(item: OutboxItem) -> Outcome:
        services: Services = application.bot_data["services"]
        if item.user_id is None:
            return await _act_in_group(services, application.bot, item)
        act = DELEGATE_ACTIONS.get(item.kind)
        render = RENDERERS.get(item.kind)
        if render is None and act is None:
            return Outcome.permanent(f"no renderer for {item.kind}")
        user = await services.people.get(item.user_id)
        if user is None:
            return Outcome.skipped("user gone")
        with use_language(user.reading_language or DEFAULT):
            if act is not None:
                try:
                    return await act(services, application.bot, item)
                except TelegramError as exc:
                    return outcome_of(exc)
            assert render is not None
            rendered = await render(services, item)
        if rendered is None:
            return Outcome.skipped("no longer relevant")
        try:
            message = await send_rendered(application.bot, item.user_id, rendered)
        except TelegramError as exc:
            return outcome_of(exc)
        keep = AFTER_SENT.get(item.kind)
        if keep is not None:
            try:
                await keep(services, item, message)
            except Exception:  # delivered all the same: it must not be sent again
                logger.exception("Could not record the message of outbox row %s", item.key)
        return Outcome.sent()

    return send


async def _act_in_group(services: Services, bot: Bot, item: OutboxItem) -> Outcome:
    """A row for a group chat: what its kind does there, and Telegram's refusal as an Outcome."""
    act = GROUP_ACTIONS.get(item.kind)
    if act is None:
        return Outcome.permanent(f"no group action for {item.kind}")
    try:
        return await act(services, bot, item)
    except RetryAfter as exc:
        seconds = exc.retry_after
        wait = seconds if isinstance(seconds, int | float) else seconds.total_seconds()
        return Outcome.later(float(wait))
    except TimedOut:
        # The request may have reached Telegram: it is not made again.
        return Outcome.unknown("timed out")
    except (Forbidden, BadRequest) as exc:  # the bot left the group, or refused for good
        return Outcome.permanent(exc.message[:200])
    except TelegramError as exc:
        return Outcome.transient(exc.message[:200])
