"""Serving the bot: webhook mode on our own aiohttp server, long polling with a watchdog.

Both store what Telegram sends in the inbox before confirming it (bot.receiving), so a killed
process loses no update. Both stop cleanly on SIGTERM: stop taking updates, process those in
hand, let the sends finish, close the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ContextTypes
from telegram.request import HTTPXRequest

from bot.context import BotApplication, Services
from bot.receiving import Received, receive
from bot.services.health import (
    POLLING,
    WEBHOOK,
    Heartbeat,
    beat_every,
    heartbeat_path,
    poll_timeout,
    webhook_address,
)
from bot.storage.database import latest_schema_version
from bot.web.serving import site_for, start_beside_polling
from bot.web.site import mount

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT = 10  # seconds a getUpdates call waits for updates
POLL_READ_MARGIN = 5.0  # seconds the answer may take beyond that
# Repeated getUpdates failures wait longer each time: from the first delay up to the last.
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
# Polling counts as stalled when no getUpdates round-trip finished for this many timeouts.
STALL_FACTOR = 6
WATCHDOG_EVERY = 30.0
MAX_BODY = 1 << 20


async def health(application: BotApplication) -> tuple[bool, dict[str, Any]]:
    """Whether the database answers at this version's schema and the scheduler runs, as a
    JSON-able report (`python -m bot health` checks the same schema from outside)."""
    report: dict[str, Any] = {"database": "down", "schema": "unknown", "scheduler": "down"}
    services: Services | None = application.bot_data.get("services")
    if services is not None:
        try:
            async with services.db.connection.execute("SELECT 1") as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] == 1:
                report["database"] = "ok"
            version, expected = await services.db.schema_version(), latest_schema_version()
            report["schema"] = (
                "ok" if version == expected else "behind" if version < expected else "ahead"
            )
        except Exception:  # any failure means "down"; the reason goes to the log
            logger.warning("Health check: the database did not answer", exc_info=True)
    job_queue = application.job_queue
    if job_queue is not None and job_queue.scheduler.running:
        report["scheduler"] = "ok"
    healthy = all(report[part] == "ok" for part in ("database", "schema", "scheduler"))
    report["status"] = "ok" if healthy else "unhealthy"
    return healthy, report


class WebhookServer:
    """Receives Telegram's POSTs, checks the secret token, queues the updates; GET /healthz."""

    def __init__(
        self,
        application: BotApplication,
        *,
        secret: str,
        path: str = "/",
        site: web.Application | None = None,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self._application = application
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None
        self.accepting = False
        self.heartbeat: Heartbeat | None = None  # told of every delivery stored
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(path or "/", self._receive)
        app.router.add_get("/healthz", self._health)
        if site is not None:  # the programme's web pages (bot/web), under /c
            mount(app, site)
        self._web = app
        self.port: int | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: any free port); returns the port."""
        self._runner = web.AppRunner(self._web, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        self.accepting = True
        logger.info("Webhook server listening on %s:%s", host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop accepting requests (those in progress finish)."""
        self.accepting = False
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.warning("Rejected a webhook request without the right secret token")
            return web.Response(status=403, text="forbidden")
        if not self.accepting:
            # Shutting down: Telegram retries later, and the next process gets it.
            return web.Response(status=503, text="shutting down")
        try:
            data = json.loads(await request.read())
        except ValueError:
            logger.warning("Refused a webhook request whose body is not JSON")
            return web.Response(status=400, text="malformed update")
        try:
            received = await receive(self._application, [data])
        except Exception:
            # Not stored, so not confirmed: Telegram sends it again.
            logger.exception("Could not store an update from the webhook")
            return web.Response(status=500, text="not stored")
        if self.heartbeat is not None:
            self.heartbeat.received()
        if received.refused:
            return web.Response(status=400, text="malformed update")
        return web.Response(text="ok")

    async def _health(self, request: web.Request) -> web.Response:
        healthy, report = await health(self._application)
        return web.json_response(report, status=200 if healthy else 503)


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


def heartbeat_for(
    application: BotApplication, mode: str, address: str | None = None
) -> Heartbeat | None:
    """The heartbeat beside the bot's database (none for a database in memory)."""
    services: Services | None = application.bot_data.get("services")
    if services is None or str(services.config.database_path) == ":memory:":
        return None
    config = services.config
    return Heartbeat(
        heartbeat_path(config.database_path),
        mode,
        services.clock,
        every=beat_every(config.health_stale_after),
        address=address,
    )


def poll_timeout_for(application: BotApplication) -> int:
    """POLL_TIMEOUT, or less when the health check's threshold is short (see services.health)."""
    services: Services | None = application.bot_data.get("services")
    if services is None:
        return POLL_TIMEOUT
    return poll_timeout(services.config.health_stale_after, POLL_TIMEOUT)


async def serve_webhook(
    application: BotApplication,
    *,
    url: str,
    secret: str,
    listen: str,
    port: int,
    stop: asyncio.Event,
) -> None:
    """Run in webhook mode until `stop` is set, then shut down without losing updates."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    server = WebhookServer(
        application, secret=secret, path=webhook_path(url), site=site_for(application)
    )
    try:
        bound = await server.start(listen, port)
        server.heartbeat = heartbeat_for(application, WEBHOOK, webhook_address(listen, bound))
        if server.heartbeat is not None:
            server.heartbeat.start()
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, max_connections=20
        )
        logger.info("Webhook registered; waiting for updates")
        await stop.wait()
        logger.info("Stopping: no new updates; finishing those in hand")
    finally:
        await server.stop()
        if server.heartbeat is not None:
            server.heartbeat.stop()
        await drain(application)


async def drain(application: BotApplication) -> None:
    """Process the queued updates, wait for the handlers and jobs, close the database."""
    if application.running:
        # Application.stop() handles every update already queued before it returns.
        await application.stop()
    if application.post_shutdown:
        await application.post_shutdown(application)
    await application.shutdown()


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# A stop asked for while the bot is still loading (data, database, application): kept until the
# event loop can take it, so `docker stop` at that moment stops the bot cleanly (exit 0) instead
# of killing it half-started with the signal's default action.
_stop_asked_early = threading.Event()


def catch_early_stop() -> None:
    """From now on SIGTERM and SIGINT stop the bot as soon as it has started."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, lambda *_: _stop_asked_early.set())


def _stop_event() -> asyncio.Event:
    """Set on SIGTERM or SIGINT, or already set when one came while the bot was loading."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    if _stop_asked_early.is_set():
        logger.info("A stop was asked while starting: stopping once started")
        stop.set()
    return stop


def run_webhook(
    application: BotApplication, *, url: str, secret: str, listen: str, port: int
) -> None:
    """Blocking: serve the webhook until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = _stop_event()
        await serve_webhook(
            application, url=url, secret=secret, listen=listen, port=port, stop=stop
        )

    asyncio.run(main())


class Backoff:
    """Delays between attempts that keep failing: doubling from `first`, at most `most`."""

    def __init__(self, first: float = BACKOFF_FIRST, most: float = BACKOFF_MAX) -> None:
        self._first = first
        self._most = most
        self._next = first

    def failed(self) -> float:
        """The delay before the next attempt."""
        delay = self._next
        self._next = min(self._most, delay * 2)
        return delay

    def succeeded(self) -> None:
        self._next = self._first


class Poller:
    """Long polling that confirms an update to Telegram only once the inbox holds it.

    getUpdates' offset confirms every update below it. python-telegram-bot's Updater sends the
    next offset as soon as it has a batch in memory; here the offset moves past a batch only
    after the batch is stored, and past the malformed updates in it too (recorded and skipped:
    otherwise Telegram would send them again forever).
    """

    def __init__(
        self,
        application: BotApplication,
        *,
        timeout: int = POLL_TIMEOUT,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self._application = application
        self._heartbeat = heartbeat  # told of every getUpdates answered and stored
        self._timeout = timeout
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._storing: asyncio.Task[Received] | None = None
        self.offset: int | None = None  # None: from the oldest update Telegram holds

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="long-polling")

    async def stop(self) -> None:
        """Stop polling; a batch being stored is stored and queued first."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        storing, self._storing = self._storing, None
        if storing is not None:
            with contextlib.suppress(Exception):  # logged by the loop; Telegram sends it again
                await storing

    async def poll(self) -> Received:
        """One getUpdates round-trip: store what came, queue it, move the offset past it."""
        bot = self._application.bot
        # The raw JSON, not Bot.get_updates: that parses the whole batch at once, so one update
        # it cannot read loses the batch (and logs it, names and texts included).
        items = await bot._post(
            "getUpdates",
            {"offset": self.offset, "timeout": self._timeout, "allowed_updates": ALLOWED_UPDATES},
            read_timeout=self._timeout + POLL_READ_MARGIN,
        )
        if not isinstance(items, list):
            raise TelegramError("getUpdates answered something else than a list")
        # Stopping waits for the batch (see stop): a cancelled store could leave it unqueued.
        self._storing = asyncio.ensure_future(receive(self._application, items))
        received = await asyncio.shield(self._storing)
        self._storing = None
        if received.highest is not None:
            self.offset = received.highest + 1
        elif items:
            raise TelegramError("getUpdates answered updates without an update_id")
        if self._heartbeat is not None:
            self._heartbeat.received()
        return received

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except RetryAfter as exc:
                wait = exc.retry_after
                delay = float(wait if isinstance(wait, int | float) else wait.total_seconds())
                logger.warning("Long polling: Telegram asks to wait %.0f s", delay)
            except TelegramError as exc:
                delay = self._backoff.failed()
                logger.warning("Long polling: %s (retrying in %.1f s)", exc.message, delay)
            except Exception:  # the inbox could not store the batch: it comes again
                delay = self._backoff.failed()
                logger.exception("Long polling failed (retrying in %.1f s)", delay)
            else:
                self._backoff.succeeded()
                continue
            await self._sleep(delay)

    async def restart(self) -> None:
        await self.stop()
        self.start()


class PollingWatchdog:
    """Notices long polling that has stalled (no getUpdates round-trip for a while)."""

    def __init__(
        self,
        *,
        timeout: float = POLL_TIMEOUT,
        factor: float = STALL_FACTOR,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = timeout * factor
        self._monotonic = monotonic
        self.last_round_trip = monotonic()
        self.restarts = 0

    def round_trip(self) -> None:
        """Called after every getUpdates answer, empty or not."""
        self.last_round_trip = self._monotonic()

    def stalled(self) -> bool:
        return self._monotonic() - self.last_round_trip > self._limit

    async def check(self, poller: Poller) -> bool:
        """Restart long polling when it has stalled; True if it did."""
        if not poller.running or not self.stalled():
            return False
        logger.warning("Long polling stalled; restarting it")
        self.restarts += 1
        await poller.restart()
        self.round_trip()
        return True


def run_polling(application: BotApplication, watchdog: PollingWatchdog) -> None:
    """Blocking: long polling until SIGTERM or SIGINT, with the watchdog job."""

    async def main() -> None:
        stop = _stop_event()
        await application.initialize()
        if application.post_init:
            await application.post_init(application)  # queues what the last process left
        heartbeat = heartbeat_for(application, POLLING)
        poller = Poller(application, timeout=poll_timeout_for(application), heartbeat=heartbeat)
        pages = None
        try:
            pages = await start_beside_polling(application)
            await application.bot.delete_webhook()
            await application.start()
            if heartbeat is not None:
                heartbeat.start()
            poller.start()
            if application.job_queue is not None:
                application.job_queue.run_repeating(
                    _watch, WATCHDOG_EVERY, name="polling-watchdog", data=(watchdog, poller)
                )
            await stop.wait()
            logger.info("Stopping: no new updates; finishing those in hand")
        finally:
            await poller.stop()
            if pages is not None:
                await pages.cleanup()
            if heartbeat is not None:
                heartbeat.stop()
            await drain(application)

    asyncio.run(main())


async def _watch(context: ContextTypes.DEFAULT_TYPE) -> None:
    data = context.job.data if context.job else None
    if isinstance(data, tuple):
        watchdog, poller = data
        await watchdog.check(poller)


class WatchedRequest(HTTPXRequest):
    """The getUpdates connection: tells the watchdog of every round-trip."""

    def __init__(self, watchdog: PollingWatchdog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._watchdog = watchdog

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        result = await super().do_request(*args, **kwargs)
        self._watchdog.round_trip()
        return result
