"""Serving the bot: webhook mode on our own aiohttp server, long polling with a watchdog.

Both stop cleanly on SIGTERM: stop taking updates, process those in hand, let the sends finish,
close the database.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes
from telegram.request import HTTPXRequest

from bot.context import BotApplication, Services

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT = 10  # seconds a getUpdates call waits for updates
# Polling counts as stalled when no getUpdates round-trip finished for this many timeouts.
STALL_FACTOR = 6
WATCHDOG_EVERY = 30.0
MAX_BODY = 1 << 20


async def health(application: BotApplication) -> tuple[bool, dict[str, Any]]:
    """Whether the database answers and the scheduler runs, as a JSON-able report."""
    report: dict[str, Any] = {"database": "down", "scheduler": "down"}
    services: Services | None = application.bot_data.get("services")
    if services is not None:
        try:
            async with services.db.connection.execute("SELECT 1") as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] == 1:
                report["database"] = "ok"
        except Exception:  # any failure means "down"; the reason goes to the log
            logger.warning("Health check: the database did not answer", exc_info=True)
    job_queue = application.job_queue
    if job_queue is not None and job_queue.scheduler.running:
        report["scheduler"] = "ok"
    healthy = report["database"] == "ok" and report["scheduler"] == "ok"
    report["status"] = "ok" if healthy else "unhealthy"
    return healthy, report


class WebhookServer:
    """Receives Telegram's POSTs, checks the secret token, queues the updates; GET /healthz."""

    def __init__(self, application: BotApplication, *, secret: str, path: str = "/") -> None:
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self._application = application
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None
        self.accepting = False
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(path or "/", self._receive)
        app.router.add_get("/healthz", self._health)
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
            update = Update.de_json(data, self._application.bot)
        except (ValueError, TypeError, KeyError):
            logger.warning("Rejected a webhook request with a malformed update")
            return web.Response(status=400, text="malformed update")
        if update is None:
            return web.Response(status=400, text="malformed update")
        await self._application.update_queue.put(update)
        return web.Response(text="ok")

    async def _health(self, request: web.Request) -> web.Response:
        healthy, report = await health(self._application)
        return web.json_response(report, status=200 if healthy else 503)


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


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
    server = WebhookServer(application, secret=secret, path=webhook_path(url))
    try:
        await server.start(listen, port)
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, max_connections=20
        )
        logger.info("Webhook registered; waiting for updates")
        await stop.wait()
        logger.info("Stopping: no new updates; finishing those in hand")
    finally:
        await server.stop()
        await drain(application)


async def drain(application: BotApplication) -> None:
    """Process the queued updates, wait for the handlers and jobs, close the database."""
    if application.running:
        # Application.stop() handles every update already queued before it returns.
        await application.stop()
    if application.post_shutdown:
        await application.post_shutdown(application)
    await application.shutdown()


def run_webhook(
    application: BotApplication, *, url: str, secret: str, listen: str, port: int
) -> None:
    """Blocking: serve the webhook until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve_webhook(
            application, url=url, secret=secret, listen=listen, port=port, stop=stop
        )

    asyncio.run(main())


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

    async def check(self, application: BotApplication) -> bool:
        """Restart the updater when polling has stalled; True if it did."""
        updater = application.updater
        if updater is None or not updater.running or not self.stalled():
            return False
        logger.warning("Long polling stalled; restarting it")
        self.restarts += 1
        try:
            await updater.stop()
            await start_polling(application, self)
        except TelegramError:
            logger.exception("Could not restart long polling; will try again")
            return False
        self.round_trip()
        return True


def _polling_error(error: TelegramError) -> None:
    # PTB retries with backoff by itself; this only keeps the log readable.
    logger.warning("Long polling: %s (retrying)", error)


async def start_polling(application: BotApplication, watchdog: PollingWatchdog) -> None:
    assert application.updater is not None
    await application.updater.start_polling(
        timeout=POLL_TIMEOUT,
        bootstrap_retries=-1,
        allowed_updates=ALLOWED_UPDATES,
        error_callback=_polling_error,
    )


def run_polling(application: BotApplication, watchdog: PollingWatchdog) -> None:
    """Blocking: long polling until SIGTERM or SIGINT, with the watchdog job."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        try:
            await application.bot.delete_webhook()
            await start_polling(application, watchdog)
            await application.start()
            if application.job_queue is not None:
                application.job_queue.run_repeating(
                    _watch, WATCHDOG_EVERY, name="polling-watchdog", data=watchdog
                )
            await stop.wait()
            logger.info("Stopping: no new updates; finishing those in hand")
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await drain(application)

    asyncio.run(main())


async def _watch(context: ContextTypes.DEFAULT_TYPE) -> None:
    watchdog = context.job.data if context.job else None
    if isinstance(watchdog, PollingWatchdog):
        await watchdog.check(context.application)  # type: ignore[arg-type]


class WatchedRequest(HTTPXRequest):
    """The getUpdates connection: tells the watchdog of every round-trip."""

    def __init__(self, watchdog: PollingWatchdog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._watchdog = watchdog

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        result = await super().do_request(*args, **kwargs)
        self._watchdog.round_trip()
        return result
