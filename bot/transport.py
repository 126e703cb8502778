"""The Bot API connection, telling a failed call that delivered nothing from one that may have.

A message is sent again only when its first attempt certainly delivered nothing: the connection
was never made (refused, or no connection in time), or Telegram answered with an error. A
connection that broke after the request left, and a timeout, may have delivered it; sending it
again could make a double, so those stay what PTB raises (`NetworkError`, `TimedOut`).
"""

from __future__ import annotations

import json
from http import HTTPStatus

import httpx
from telegram._utils.types import ODVInput
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

# httpx errors raised before any byte of the request left: nothing can have arrived.
_BEFORE_SENDING = (
    httpx.ConnectError,  # refused, unreachable, no such host, TLS handshake failed
    httpx.ConnectTimeout,
    httpx.PoolTimeout,  # no free connection in the pool
    httpx.ProxyError,  # the proxy would not open the tunnel
    httpx.UnsupportedProtocol,
)
# Answers PTB turns into errors of their own (BadRequest, Forbidden, InvalidToken, Conflict).
_OWN_ERRORS = frozenset({400, 401, 403, 404, 409})


class NotDelivered(NetworkError):
    """The call delivered nothing: it never reached Telegram, or Telegram answered with an
    error (a 5xx, a 429 without retry_after). Sending it again cannot make a double."""


def never_sent(error: NetworkError) -> bool:
    """Whether PTB's error wraps an httpx error raised before the request left."""
    return isinstance(error.__cause__, _BEFORE_SENDING)


def may_have_arrived(error: BaseException) -> bool:
    """Whether a failed call may nonetheless have reached Telegram: the connection broke after
    the request left, the answer timed out, or it came and could not be read (PTB raises the bare
    TelegramError for that). Telegram's own error answers and `NotDelivered` are certain."""
    if isinstance(error, NetworkError):
        return not isinstance(error, NotDelivered | BadRequest)
    return type(error) is TelegramError


def error_answer(status: int, payload: bytes) -> str | None:
    """What an HTTP answer that delivered nothing says, or None when PTB has a better error.

    None for a success, for the statuses PTB raises its own errors for, and for answers with
    `retry_after` or `migrate_to_chat_id` (PTB raises RetryAfter or ChatMigrated).
    """
    if 200 <= status <= 299 or status in _OWN_ERRORS:
        return None
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"HTTP error ({status})"
    try:
        answer = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        return message
    if not isinstance(answer, dict):
        return message
    parameters = answer.get("parameters")
    if isinstance(parameters, dict) and (
        parameters.get("retry_after") or parameters.get("migrate_to_chat_id")
    ):
        return None
    description = answer.get("description")
    return description if isinstance(description, str) and description else message


class DeliveryAwareRequest(BaseRequest):
    """Wraps the Bot API request (HTTPXRequest, or the fake in tests): a call that certainly
    delivered nothing raises `NotDelivered`; any other failure is raised as PTB raises it."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            status, payload = await self.inner.do_request(
                url,
                method,
                request_data=request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except NetworkError as exc:
            if never_sent(exc):
                raise NotDelivered(exc.message) from exc
            raise
        refusal = error_answer(status, payload)
        if refusal is not None:
            raise NotDelivered(refusal)
        return status, payload


class SpreadRequest(BaseRequest):
    """Bot API calls spread over a few small connection pools, each call to the least busy.

    httpcore's pool looks at each of its connections (a system call or two each) every time a
    call starts or ends: in a burst of button taps, with the ~100 connections the bot keeps
    (bot.app.BOT_API_CONNECTIONS), that was a third of the bot's time. Pools of a dozen cost a
    fraction of it, and together they hold as many connections.
    """

    def __init__(self, connections: int, pools: int = 32) -> None:
        size = max(1, -(-connections // pools))
        self.pools = [HTTPXRequest(connection_pool_size=size) for _ in range(pools)]
        self._busy = [0] * pools

    @property
    def read_timeout(self) -> float | None:
        return self.pools[0].read_timeout

    async def initialize(self) -> None:
        for pool in self.pools:
            await pool.initialize()

    async def shutdown(self) -> None:
        for pool in self.pools:
            await pool.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        index = min(range(len(self.pools)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            return await self.pools[index].do_request(
                url,
                method,
                request_data=request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        finally:
            self._busy[index] -= 1
