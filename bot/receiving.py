"""Receiving updates: refuse malformed ones at the door, keep the others until answered.

Long polling and the webhook both hand what Telegram sent to `receive`, which stores it in the
inbox before they confirm it (the next getUpdates' offset, the webhook's 200 OK). Just before
handling an update first sends Telegram something that changes (a reply, a button answered), its
row is marked as answering; the update leaves the inbox when that call returns or when handling
ends. At start, `take_over` queues what a killed process left unmarked.

So a kill before an update's first reply has it handled again after the restart (nothing lost);
a kill once that reply went out leaves it marked: it may or may not have been answered, and is
recorded as unknown instead of being handled again (nothing twice). A reply Telegram refused
(a 429, a Bad Request: certainly not delivered) takes the mark back, unless another call of the
update may have reached Telegram or is on its way: a kill while it waits to be tried again has
the update handled again, not lost as unknown. A reply that fails once it left (the connection
broke, the answer timed out: Telegram may have it) is not sent again either, and its update is
recorded as unknown at once, not counted as answered. Left open: a kill between two replies to
one update loses the second.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from telegram import Bot, TelegramObject, Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseRateLimiter, ExtBot

from bot.context import BotContext, Services
from bot.services.inbox import Inbox, Refusal
from bot.transport import may_have_arrived

logger = logging.getLogger(__name__)


class Malformed(Exception):
    """An update python-telegram-bot cannot read, or one lacking what the Bot API requires."""

    def __init__(self, update_id: int | None, reason: str) -> None:
        super().__init__(reason)
        self.refusal = Refusal(update_id, reason)


def update_id_of(data: object) -> int | None:
    if isinstance(data, dict):
        ident = data.get("update_id")
        if isinstance(ident, int) and not isinstance(ident, bool):
            return ident
    return None


def read_update(data: object, bot: Bot) -> Update:
    """The Update in Telegram's JSON; Malformed (naming a field, never a value) if it is not."""
    if not isinstance(data, dict):
        raise Malformed(None, f"not an object but {type(data).__name__}")
    ident = update_id_of(data)
    if ident is None:
        raise Malformed(None, "update_id is missing or not an integer")
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # whatever the library trips on; its message may quote the content
        raise Malformed(ident, f"unreadable ({type(exc).__name__})") from None
    problem = next(_problems(update, "update"), None)
    if problem is not None:
        raise Malformed(ident, problem)
    return update


# The plain types a required field is checked against (annotations may be strings).
_PLAIN: dict[object, tuple[type, str]] = {
    int: (int, "an integer"),
    "int": (int, "an integer"),
    str: (str, "a string"),
    "str": (str, "a string"),
}


_Field = tuple[str, bool, tuple[type, str] | None]  # name, required, plain type to check
_FIELDS: dict[type, tuple[_Field, ...]] = {}


def _fields(kind: type) -> tuple[_Field, ...]:
    """The fields the class takes (read once per class)."""
    known = _FIELDS.get(kind)
    if known is None:
        known = _FIELDS[kind] = tuple(_read_fields(kind))
    return known


def _read_fields(kind: type) -> Iterator[_Field]:
    for name, parameter in inspect.signature(kind).parameters.items():
        if name == "api_kwargs" or parameter.kind in (
            parameter.VAR_POSITIONAL,
            parameter.VAR_KEYWORD,
        ):
            continue
        required = parameter.default is inspect.Parameter.empty
        annotation = parameter.annotation
        plain = _PLAIN.get(annotation) if isinstance(annotation, type | str) else None
        yield name, required, plain if required else None


def _problems(item: TelegramObject, path: str) -> Iterator[str]:
    """Required fields missing or of the wrong kind, in the object and those it holds."""
    for name, required, plain in _fields(type(item)):
        value = getattr(item, name, None)
        if value is None:
            if required:
                yield f"{path}.{name} is missing"
            continue
        if plain is not None and (not isinstance(value, plain[0]) or isinstance(value, bool)):
            yield f"{path}.{name} is not {plain[1]}"
        if isinstance(value, TelegramObject):
            yield from _problems(value, f"{path}.{name}")
        elif isinstance(value, tuple):
            for index, part in enumerate(value):
                if isinstance(part, TelegramObject):
                    yield from _problems(part, f"{path}.{name}[{index}]")


@dataclass(frozen=True)
class Received:
    """What one delivery from Telegram held."""

    highest: int | None  # the highest update_id in it, refused ones included
    queued: int  # updates new to the inbox, now on the update queue
    refused: tuple[Refusal, ...]


def _inbox(application: Application[Any, Any, Any, Any, Any, Any]) -> Inbox:
    services: Services | None = application.bot_data.get("services")
    if services is None:
        raise RuntimeError("the bot is not started")
    return services.inbox


async def receive(
    application: Application[Any, Any, Any, Any, Any, Any], items: Sequence[object]
) -> Received:
    """Store what Telegram sent (one transaction), then queue the updates new to the inbox."""
    accepted: list[tuple[Update, dict[str, Any]]] = []
    refused: list[Refusal] = []
    highest: int | None = None
    for item in items:
        ident = update_id_of(item)
        if ident is not None:
            highest = ident if highest is None else max(highest, ident)
        try:
            accepted.append((read_update(item, application.bot), cast(dict[str, Any], item)))
        except Malformed as exc:
            refused.append(exc.refusal)
    accepted.sort(key=lambda pair: pair[0].update_id)
    bodies = [(update.update_id, body) for update, body in accepted]
    new = await _inbox(application).receive(bodies, refused)
    queued = 0
    for update, _ in accepted:
        if update.update_id in new:
            await application.update_queue.put(update)
            queued += 1
    return Received(highest, queued, tuple(refused))


async def take_over(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Queue, oldest first, the updates a previous process received and did not answer."""
    inbox = _inbox(application)
    queued = 0
    for _, body in await inbox.take_over():
        try:
            update = read_update(body, application.bot)
        except Malformed as exc:  # stored by an older version that read it differently
            await inbox.drop(exc.refusal)
            continue
        await application.update_queue.put(update)
        queued += 1
    return queued


class _Handling:
    """The update being handled, while it is in the inbox."""

    def __init__(self, update_id: int, inbox: Inbox) -> None:
        self.update_id = update_id
        self._inbox = inbox
        self._marked = False
        self._answered = False
        self._unsure = False
        # Calls being marked for or on their way to Telegram, and whether one of its calls may
        # have reached Telegram (it went through, or failed in a way that cannot tell).
        self._calls = 0
        self._arrived = False
        # Marking and unmarking in turn, so that no call leaves while its mark is being taken
        # back by a refused one.
        self._marking = asyncio.Lock()

    async def answering(self) -> None:
        """A call is about to leave: mark the update (once) first. A failure is raised, and
        that call not sent: sent unmarked, a restart could send it a second time."""
        self._calls += 1
        try:
            if self._answered or (self._marked and not self._marking.locked()):
                return  # the usual case: no wait, no write
            async with self._marking:
                if not (self._marked or self._answered):
                    await self._inbox.answering(self.update_id)
                    self._marked = True
        except BaseException:
            self._calls -= 1
            raise

    def went_through(self) -> None:
        """The call reached Telegram: the update stays marked."""
        self._calls -= 1
        self._arrived = True

    async def failed(self, error: BaseException) -> None:
        """The call failed: if Telegram certainly did not take it (a 429, a Bad Request,
        `NotDelivered`), nor any other call of this update, and none is on its way, the mark
        is taken back, so that a process killed now (waiting to retry, say) has the update
        handled again instead of recorded as unknown."""
        self._calls -= 1
        if not isinstance(error, TelegramError) or may_have_arrived(error):
            self._arrived = True
            return
        if not self._marked or self._answered or self._arrived or self._calls:
            return
        async with self._marking:
            if not self._marked or self._answered or self._arrived or self._calls:
                return
            try:
                await self._inbox.not_answering(self.update_id)
            except Exception:  # left marked: at worst unknown after a restart, never twice
                logger.warning(
                    "Update %d stays marked as answering", self.update_id, exc_info=True
                )
                return
            self._marked = False

    async def unsure(self) -> None:
        """A call of its handling failed after it left: record the update as unknown (once), so
        it is reported and neither answered again nor counted as answered."""
        if self._unsure:
            return
        try:
            await self._inbox.unsure(self.update_id)
        except Exception:  # the call's own error matters more; it leaves the inbox at the end
            logger.warning("Update %d not recorded as unknown", self.update_id, exc_info=True)
            return
        self._unsure = self._answered = True

    async def answered(self) -> None:
        """Take the update out of the inbox (once); a failure is retried when handling ends."""
        if self._answered:
            return
        try:
            await self._inbox.answered(self.update_id)
        except Exception:  # never fail a reply over it; at worst a restart handles it again
            logger.warning("Update %d stays in the inbox for now", self.update_id, exc_info=True)
            return
        self._answered = True


_HANDLING: ContextVar[_Handling | None] = ContextVar("handling", default=None)


# Event loop turns `stop` gives the update fetcher to take what is queued (it takes all of it in
# one turn; more turns only if it is slow to wake).
_HAND_OVER_TURNS = 100


class InboxApplication(
    Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[str, Any], Any]
):
    """Takes an update out of the inbox once handling it is over (or answered it earlier)."""

    async def stop(self) -> None:
        """Stop after handling every update queued (as python-telegram-bot's), without a word.

        python-telegram-bot marks itself stopped before its fetcher takes the updates still
        queued; with updates processed concurrently (bot/updates.py), each taken then would be
        a task it warns it will not wait for (it does wait, through the queue). So the fetcher
        takes them first, while the application runs.
        """
        for _ in range(_HAND_OVER_TURNS):
            if not self.running or self.update_queue.empty():
                break
            await asyncio.sleep(0)
        await super().stop()

    async def process_update(self, update: object) -> None:
        services: Services | None = self.bot_data.get("services")
        if (
            not isinstance(update, Update)
            or services is None
            or not services.inbox.holds(update.update_id)
        ):
            await super().process_update(update)
            return
        handling = _Handling(update.update_id, services.inbox)
        token = _HANDLING.set(handling)
        try:
            await super().process_update(update)
        finally:
            _HANDLING.reset(token)
            await handling.answered()


class AnswerWatch(BaseRateLimiter[None]):
    """Around every Bot API call: the first one that changes something at Telegram while an
    update is handled marks that update as answering just before it leaves (after the limiter's
    wait) and takes it out of the inbox when it returns, so a restart never repeats it. A call
    that fails after it left (Telegram may have it) records the update as unknown.

    (The rate limiter is python-telegram-bot's one hook around every call; this one wraps the
    limiter that meters the sends.)
    """

    def __init__(self, limiter: BaseRateLimiter[None]) -> None:
        self._limiter = limiter

    async def initialize(self) -> None:
        await self._limiter.initialize()

    async def shutdown(self) -> None:
        await self._limiter.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        handling = _HANDLING.get()
        if handling is None or endpoint.startswith("get"):
            return await self._limiter.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

        left = False

        async def marked(
            *call_args: Any, **call_kwargs: Any
        ) -> bool | dict[str, Any] | list[dict[str, Any]]:
            # Called by the limiter once the call may go: a reply still waiting for a slot when
            # the process dies has sent nothing, and its update is handled again.
            nonlocal left
            await handling.answering()
            left = True
            try:
                result = await callback(*call_args, **call_kwargs)
            except BaseException as exc:
                await handling.failed(exc)
                raise
            handling.went_through()
            return result

        try:
            result = await self._limiter.process_request(
                marked, args, kwargs, endpoint, data, rate_limit_args
            )
        except Exception as exc:
            # Not sent again (the limiter retries only what certainly delivered nothing): the
            # delegate may or may not have it, which is known, not "answered".
            if left and may_have_arrived(exc):
                await handling.unsure()
            raise
        await handling.answered()
        return result
