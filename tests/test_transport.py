"""Bot API calls spread over small connection pools (`SpreadRequest`), over real connections to
a local server: each call goes to the least busy pool, so calls beyond one pool's size go on at
once over the others; stopping closes every pool's connections; and a failed call is still told
apart: one that failed before leaving is sent again, one that may have arrived is not."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.handlers.outbox import outcome_of
from bot.services.delivery import TRANSIENT, UNKNOWN_OUTCOME
from bot.transport import DeliveryAwareRequest, NotDelivered, SpreadRequest, may_have_arrived

WAIT = 5.0  # seconds: longest wait for something that should happen at once


@dataclass
class Arrival:
    port: int  # the client's port: one per connection
    answer: asyncio.Event = field(default_factory=asyncio.Event)


class HeldApi:
    """A Bot API on 127.0.0.1 that answers each call (`ok`, true) only once the test lets it;
    a call named `cut…` has its connection broken once it arrived, without an answer."""

    def __init__(self) -> None:
        self.arrivals: dict[str, Arrival] = {}
        self.transports: list[asyncio.Transport] = []
        self._arrived = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/bot1:test/{method}", self._handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)

    def url(self, method: str) -> str:
        return str(self.server.make_url(f"/bot1:test/{method}"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        transport = request.transport
        assert transport is not None
        if transport not in self.transports:
            self.transports.append(transport)  # type: ignore[arg-type]
        arrival = self.arrivals.setdefault(method, Arrival(0))
        arrival.port = transport.get_extra_info("peername")[1]
        async with self._arrived:
            self._arrived.notify_all()
        if method.startswith("cut"):
            transport.abort()
            raise asyncio.CancelledError  # nothing more to say on a broken connection
        await arrival.answer.wait()
        return web.json_response({"ok": True, "result": True})

    def answer(self, *methods: str) -> None:
        """Let these calls be answered (now, or as soon as they arrive)."""
        for method in methods:
            self.arrivals.setdefault(method, Arrival(0)).answer.set()

    def in_flight(self) -> list[str]:
        return [m for m, a in self.arrivals.items() if a.port and not a.answer.is_set()]

    async def arrived(self, *methods: str) -> None:
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(
                    lambda: all(self.arrivals.get(m, Arrival(0)).port for m in methods)
                ),
                WAIT,
            )


@pytest.fixture
async def api() -> AsyncIterator[HeldApi]:
    held = HeldApi()
    await held.server.start_server()
    yield held
    held.answer(*held.arrivals)
    await held.server.close()


@pytest.fixture
async def spread() -> AsyncIterator[Callable[..., Awaitable[SpreadRequest]]]:
    """SpreadRequest(connections, pools), initialised; shut down after the test."""
    made: list[SpreadRequest] = []

    async def make(connections: int, pools: int) -> SpreadRequest:
        request = SpreadRequest(connections, pools)
        await request.initialize()
        made.append(request)
        return request

    yield make
    for request in made:
        await request.shutdown()


def pools_used(request: SpreadRequest, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pool each call went to, in the order the calls started."""
    used: list[int] = []
    for index, pool in enumerate(request.pools):

        def recording(inner: Any, index: int = index) -> Any:
            async def do_request(*args: Any, **kwargs: Any) -> tuple[int, bytes]:
                used.append(index)
                return await inner(*args, **kwargs)  # type: ignore[no-any-return]

            return do_request

        monkeypatch.setattr(pool, "do_request", recording(pool.do_request))
    return used


def call(request: BaseRequest, api: HeldApi, method: str, **timeouts: float) -> asyncio.Task[Any]:
    return asyncio.create_task(request.post(api.url(method), RequestData(), **timeouts))


async def test_concurrent_calls_beyond_one_pools_size_go_on_at_once_over_the_others(
    api: HeldApi, spread: Any
) -> None:
    request = await spread(6, 3)  # three pools of two connections
    names = [f"call{n}" for n in range(6)]
    calls = [call(request, api, name) for name in names]
    # All six reach Telegram before any is answered: none waits for a connection.
    await api.arrived(*names)
    assert sorted(api.in_flight()) == names
    assert len({api.arrivals[name].port for name in names}) == 6  # six connections
    api.answer(*names)
    assert await asyncio.gather(*calls) == [True] * 6


async def test_each_call_goes_to_the_least_busy_pool(
    api: HeldApi, spread: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = await spread(6, 3)
    used = pools_used(request, monkeypatch)
    first = [call(request, api, f"first{n}") for n in range(3)]
    await api.arrived("first0", "first1", "first2")
    assert used == [0, 1, 2]  # one call in each pool, not two in the first
    # The second pool's call is answered: the next call goes there, the only one now idle.
    api.answer("first1")
    await first[1]
    second = call(request, api, "second")
    await api.arrived("second")
    assert used == [0, 1, 2, 1]
    # Over the connection the answered call left open.
    assert api.arrivals["second"].port == api.arrivals["first1"].port
    # Then the pools that are busy the least, the first of equals first.
    more = [call(request, api, f"more{n}") for n in range(2)]
    await api.arrived("more0", "more1")
    assert used == [0, 1, 2, 1, 0, 1]
    api.answer(*api.arrivals)
    assert await asyncio.gather(*first, second, *more) == [True] * 6


async def test_stopping_closes_the_connections_of_every_pool(api: HeldApi, spread: Any) -> None:
    request = await spread(4, 4)  # four pools of one connection
    names = [f"call{n}" for n in range(4)]
    calls = [call(request, api, name) for name in names]
    await api.arrived(*names)
    api.answer(*names)
    await asyncio.gather(*calls)
    assert len(api.transports) == 4  # one connection a pool
    assert not any(t.is_closing() for t in api.transports)
    await request.shutdown()
    # The server sees each of the four connections closed by the bot.
    deadline = asyncio.get_running_loop().time() + WAIT
    while not all(t.is_closing() for t in api.transports):
        assert asyncio.get_running_loop().time() < deadline, "a pool's connection stayed open"
        await asyncio.sleep(0.01)
    for pool in request.pools:
        with pytest.raises(NetworkError, match="not initialized"):
            await pool.post(api.url("after"), RequestData())


# --- a failed call, through the pools as the bot makes it --------------------------------------


def certainly_not_delivered(error: TelegramError) -> None:
    assert isinstance(error, NotDelivered)
    assert not may_have_arrived(error)
    assert outcome_of(error).status == TRANSIENT  # sent again


def may_have_been_delivered(error: TelegramError) -> None:
    assert not isinstance(error, NotDelivered)
    assert may_have_arrived(error)
    assert outcome_of(error).status == UNKNOWN_OUTCOME  # never sent again


async def test_a_refused_connection_delivered_nothing(spread: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens there any more: the operating system refuses the connection.
    request = DeliveryAwareRequest(await spread(4, 2))
    with pytest.raises(TelegramError) as caught:
        await request.post(f"http://127.0.0.1:{port}/bot1:test/sendMessage", RequestData())
    certainly_not_delivered(caught.value)


async def test_a_call_that_found_no_free_connection_delivered_nothing(
    api: HeldApi, spread: Any
) -> None:
    request = DeliveryAwareRequest(await spread(2, 2))  # two pools of one connection
    busy = [call(request, api, f"busy{n}") for n in range(2)]
    await api.arrived("busy0", "busy1")
    with pytest.raises(TelegramError) as caught:
        await request.post(api.url("waiting"), RequestData(), pool_timeout=0.1)
    certainly_not_delivered(caught.value)
    assert "waiting" not in api.arrivals  # it never reached Telegram
    api.answer("busy0", "busy1")
    assert await asyncio.gather(*busy) == [True, True]


async def test_a_connection_broken_after_the_call_arrived_may_have_delivered_it(
    api: HeldApi, spread: Any
) -> None:
    request = DeliveryAwareRequest(await spread(4, 2))
    with pytest.raises(NetworkError) as caught:
        await request.post(api.url("cutOff"), RequestData())
    assert api.arrivals["cutOff"].port  # it reached the server
    may_have_been_delivered(caught.value)


async def test_an_answer_that_timed_out_may_have_delivered_it(api: HeldApi, spread: Any) -> None:
    request = DeliveryAwareRequest(await spread(4, 2))
    with pytest.raises(TimedOut) as caught:
        await request.post(api.url("slow"), RequestData(), read_timeout=0.1)
    assert api.arrivals["slow"].port
    may_have_been_delivered(caught.value)
