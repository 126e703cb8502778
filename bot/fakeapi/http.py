"""The fake Bot API over real HTTP, for tests that run the bot as a separate process.

`FakeApiHttpServer(api)` serves `POST/GET /bot<token>/<method>` (a JSON body, a form, or
multipart/form-data with files, as python-telegram-bot sends them) by calling
`FakeBotApi.dispatch`, and `GET /file/bot<token>/<file_path>` through `FakeBotApi.download`.
Point the bot at it with `TELEGRAM_API_BASE_URL=<server.root_url>`.

It runs in the caller's event loop (`await server.start()`) or in a thread of its own
(`server.start_in_thread()`). `fail_next` injects network faults: a 502 answer or a dropped
connection for the next N calls (of one method, or any); a connection dropped either before the
call is carried out, or after (Telegram did it, and its answer never comes back). `hold_next`
keeps a call unanswered and not carried out, the moment to kill the bot with a send in flight.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.fakeapi.server import FakeBotApi, _attach_references
from bot.fakeapi.spec import ApiError, MethodSpec, Upload

__all__ = ["FakeApiHttpServer"]

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]
_UNAUTHORIZED = ApiError(401, "Unauthorized")
_NOT_FOUND = ApiError(404, "Not Found")
# Field types a form value may be JSON for (anything but a plain string or a file).
_JSON_TYPES = frozenset({"Integer", "Float", "Boolean"})


@dataclass
class _NetworkFault:
    method: str | None  # None: any method
    remaining: int
    drop: bool  # drop the connection; otherwise answer with `status`
    status: int
    carried_out: bool = False  # drop it only after carrying the call out
    hold: bool = False  # no answer until the server stops; the call is not carried out


class FakeApiHttpServer:
    """A `FakeBotApi` behind an aiohttp server on 127.0.0.1 (any free port by default)."""

    def __init__(
        self,
        api: FakeBotApi,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api = api
        self.token = token  # None: any token is accepted
        self.host = host
        self.port = port
        self.requests = 0  # requests received, faults included
        self.faults_injected = 0
        # Calls carried out and then dropped (`carried_out`), by the status they were answered:
        # 200 delivered, 429 refused by a limit (delivered nothing; the client cannot tell).
        self.dropped_after: Counter[int] = Counter()
        self.held = 0  # calls held so far (hold_next)
        self._release = asyncio.Event()
        # How often getUpdates handed out each update id (Telegram re-delivers until confirmed).
        self.deliveries: Counter[int] = Counter()
        self._faults: deque[_NetworkFault] = deque()
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        app = web.Application(client_max_size=64 << 20)
        app.router.add_route("*", "/bot{token}/{method}", self._call)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._web = app

    # -- addresses ---------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        """The value for TELEGRAM_API_BASE_URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    # -- running -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen in the running event loop; `port` is set to the one bound."""
        self._runner = web.AppRunner(self._web, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start_in_thread(self) -> None:
        """Serve from a daemon thread with its own event loop (for synchronous callers).

        The `FakeBotApi` then changes on that thread: read it, don't drive it, meanwhile.
        """
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the caller below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-bot-api", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]

    def stop_thread(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    # -- fault injection ---------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        method: str | None = None,
        drop: bool = False,
        status: int = 502,
        carried_out: bool = False,
    ) -> None:
        """The next `count` calls (of `method`, or any) get `status`, or a dropped connection;
        `carried_out`: the connection drops after the call was carried out (it took effect)."""
        with self._lock:
            self._faults.append(
                _NetworkFault(method, count, drop or carried_out, status, carried_out)
            )

    def hold_next(self, method: str) -> None:
        """The next call of `method` gets no answer until the server stops, and is not done."""
        with self._lock:
            self._faults.append(_NetworkFault(method, 1, drop=False, status=502, hold=True))

    def _take_fault(self, method: str | None) -> _NetworkFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method is None or (
                    method is not None and fault.method.lower() == method.lower()
                ):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    self.faults_injected += 1
                    return fault
        return None

    # -- requests ----------------------------------------------------------------------------

    async def _call(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        name = request.match_info["method"]
        fault = self._take_fault(name)
        if fault is not None and fault.hold:
            self.held += 1
            await self._release.wait()
            return web.Response(status=fault.status, text="Bad Gateway", content_type="text/html")
        if fault is not None and not fault.carried_out:
            return await _faulty(request, fault)
        if self.token is not None and request.match_info["token"] != self.token:
            return _answer(_UNAUTHORIZED.error_code, _UNAUTHORIZED.to_json())
        spec = self.api.spec.method(name)
        try:
            params = await _read_params(request, spec)
        except ValueError as exc:
            error = ApiError(400, f"Bad Request: {exc}")
            return _answer(error.error_code, error.to_json())
        status, body = await self.api.dispatch(name, params)
        if fault is not None:  # carried out: now the answer is lost
            self.dropped_after[status] += 1
            return await _faulty(request, fault)
        if status == 200 and spec is not None and spec.name == "getUpdates":
            self.deliveries.update(update["update_id"] for update in body["result"])
        return _answer(status, body)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        fault = self._take_fault(None)
        if fault is not None:
            return await _faulty(request, fault)
        if self.token is not None and request.match_info["token"] != self.token:
            return _answer(_NOT_FOUND.error_code, _NOT_FOUND.to_json())
        status, content = self.api.download(str(request.url))
        if status != 200:
            return web.Response(status=status, body=content, content_type="application/json")
        return web.Response(body=content, content_type="application/octet-stream")


def _answer(status: int, body: Mapping[str, Any]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


async def _faulty(request: web.Request, fault: _NetworkFault) -> web.StreamResponse:
    if fault.drop:
        # Close the socket without an answer: the client sees the connection reset.
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    return web.Response(status=fault.status, text="Bad Gateway", content_type="text/html")


async def _read_params(request: web.Request, spec: MethodSpec | None) -> JSONDict:
    """The call's parameters as `FakeBotApi.dispatch` takes them (files as `Upload`)."""
    values: JSONDict = {}
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        values.update(body)
    else:
        for key, text in request.query.items():
            values[key] = _decode(spec, key, text)
        if request.method == "POST" and request.body_exists:
            form = await request.post()
            for key, item in form.items():
                if isinstance(item, web.FileField):
                    mime = item.content_type or "application/octet-stream"
                    uploads[key] = Upload(item.filename, mime, item.file.read())
                else:
                    values[key] = _decode(spec, key, str(item))
    if uploads:
        referenced = set(_attach_references(values.values()))
        for name, value in list(values.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                part = value.removeprefix("attach://")
                if part in uploads:
                    values[name] = uploads[part]
        for part, upload in uploads.items():
            if part not in referenced and part not in values:
                values[part] = upload  # a direct upload travels under the parameter's own name
    return values


def _decode(spec: MethodSpec | None, key: str, raw: str) -> Any:
    """A form value as Telegram reads it: JSON where the field is not a plain string."""
    field = spec.fields.get(key) if spec is not None else None
    if field is not None and set(field.types) <= {"String", "InputFile"}:
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(value, str):
        return raw
    # "123" for a chat_id is a number; for a field that takes no numbers it stays text.
    scalar = isinstance(value, int | float | bool)
    if field is not None and scalar and not set(field.types) & _JSON_TYPES:
        return raw
    return value
