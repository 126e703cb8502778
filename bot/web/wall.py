"""Room screens served: /wall/<secret>, a projector's page of a session (or of whatever is on in a
room): the audience's top questions, the open poll's results and a QR code to join, in large type.

The page works without JavaScript (it refreshes itself every few seconds); with it, wall.js
follows /wall/<secret>/events (server-sent events) and replaces the live part as it changes.

However many screens and phones follow one wall, ONE watcher reads it (`WallWatcher`): at most
every MIN_GAP seconds when the bot's services say something changed (a vote, a question, a
poll's answer: `WallHub.wake`, when the bot runs in this process), and every POLL_EVERY seconds
regardless (`python -m bot web` may serve the screens from another process on the same
database). It renders the live part once per language and hands the same bytes to every
client; it stops when the last client leaves. A renewed address closes its screens' streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import segno
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.handlers.formatting import clock_time, day_short, language_name, time_range
from bot.i18n import LANGUAGE_NAMES, RTL, SUPPORTED, _, ngettext, use_language
from bot.services.panel import LINK_PREFIX
from bot.services.polls import option_labels, text_for
from bot.services.rooms import room_label
from bot.services.secret_links import secret_hash
from bot.services.walls import Walls, WallSnapshot
from bot.storage.panel import ANSWERED
from bot.web.site import HERE, START_PARAMETER, not_allowed, reader_language, static_files
from bot.web.texts import labels

logger = logging.getLogger(__name__)

PREFIX = "/wall"
# What token_urlsafe(32) makes (43 characters); anything else is not looked up.
_SECRET = re.compile(r"[A-Za-z0-9_-]{20,128}")
POLL_EVERY = 1.0  # seconds: the longest a change made by another process takes to show
MIN_GAP = 0.5  # seconds: the shortest time between two reads of one wall, however busy
HEARTBEAT = 15.0  # seconds: a comment line keeps proxies from closing a quiet stream
MAX_CLIENTS = 2000  # per wall
REFRESH = 10  # seconds: the page's own refresh without JavaScript

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # The address is the key to the screen: never sent on to another site.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

GONE = b"event: gone\ndata: {}\n\n"
PING = b": ping\n\n"


# --- rendering ----------------------------------------------------------------------------------


def wall_templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=256)
def qr_svg(link: str) -> Markup:
    """The QR code of `link` as inline SVG (made by segno from a link we build: no user text)."""
    return Markup(segno.make(link, error="m").svg_inline(omitsize=True, border=2))


def join_link(bot_username: str | None, session_id: str) -> str | None:
    """The bot's deep link that opens the session's questions (as the door QR codes do)."""
    payload = LINK_PREFIX + session_id
    if not bot_username or not START_PARAMETER.fullmatch(payload):
        return None
    return f"https://t.me/{bot_username}?start={payload}"


def wall_texts() -> dict[str, str]:
    """The screen's fixed words, in the current language."""
    return {
        "now": _("Now"),
        # TRANSLATORS: on a room screen, before the time of the session coming next.
        "next": _("Next"),
        "questions": _("Questions from the audience"),
        "no_questions": _("No questions yet. Scan the code to ask one."),
        "pinned": _("Being asked now"),
        "answered": _("Answered"),
        "anonymous": _("Anonymous"),
        "poll": _("Poll"),
        "join": _("Scan to ask a question and vote"),
        "nothing": _("Nothing more is planned here."),
        "room_screen": _("Room screen"),
    }


@dataclass
class WallRenderer:
    """The live part of a screen (an HTML fragment), and the whole page around it."""

    templates: Environment
    bot_username: Callable[[], str | None]

    def values(self, snapshot: WallSnapshot, lang: str) -> dict[str, Any]:
        """What the templates show; call inside `use_language(lang)`."""
        consultation = snapshot.consultation
        zone = consultation.timezone
        session = snapshot.session
        values: dict[str, Any] = {
            "w": wall_texts(),
            "consultation_name": consultation.name.get(lang),
            "room": snapshot.room.name.get(lang) if snapshot.room else None,
            "session": None,
            "questions": [],
            "poll": None,
            "qr": None,
            "join": None,
        }
        if session is None:
            return values
        starts = session.start.astimezone(zone)
        today = snapshot.now.astimezone(zone).date()
        when = time_range(session, consultation)
        if not snapshot.running:
            when = clock_time(session.start, zone)
            if starts.date() != today:
                when = day_short(starts.date()) + " · " + when
        values["session"] = {
            "id": session.id,
            "title": session.title.get(lang),
            "room": room_label(session, lang),
            "running": snapshot.running,
            "when": when,
        }
        values["questions"] = [
            {
                "text": q.text,
                "language": q.language,
                "language_name": language_name(q.language),
                "dir": "rtl" if q.language in RTL else "auto",
                "name": q.display_name,
                "votes": q.votes,
                "votes_text": ngettext("{count} vote", "{count} votes", q.votes).format(
                    count=q.votes
                ),
                "pinned": q.pinned,
                "answered": q.status == ANSWERED,
            }
            for q in snapshot.questions
        ]
        if snapshot.poll is not None:
            poll, tally = snapshot.poll.poll, snapshot.poll.tally
            language, text = text_for(poll, lang)
            respondents = tally.respondents
            values["poll"] = {
                "question": text.question,
                "language": language,
                "respondents": ngettext("{count} answer", "{count} answers", respondents).format(
                    count=respondents
                ),
                "options": [
                    {
                        "label": label,
                        "count": tally.counts.get(index, 0),
                        "percent": round(100 * tally.counts.get(index, 0) / respondents)
                        if respondents
                        else 0,
                    }
                    for index, label in enumerate(option_labels(poll, text))
                ],
            }
        link = join_link(self.bot_username(), session.id)
        if link is not None:
            values["qr"] = qr_svg(link)
            values["join"] = link
        return values

    def live(self, snapshot: WallSnapshot, lang: str) -> str:
        with use_language(lang):
            return self.templates.get_template("wall_live.html").render(
                self.values(snapshot, lang)
            )

    def page(
        self, snapshot: WallSnapshot, lang: str, events: str, languages: list[dict[str, Any]]
    ) -> str:
        with use_language(lang):
            values = self.values(snapshot, lang)
            return self.templates.get_template("wall.html").render(
                values,
                lang=lang,
                dir="rtl" if lang in RTL else "ltr",
                live=Markup(self.templates.get_template("wall_live.html").render(values)),
                events=events,
                refresh=REFRESH,
                languages=languages,
                stylesheet=f"{PREFIX}/wall.css",
                script=f"{PREFIX}/wall.js",
            )

    def not_found(self, lang: str) -> str:
        with use_language(lang):
            return self.templates.get_template("not_found.html").render(
                t=labels(),
                lang=lang,
                dir="rtl" if lang in RTL else "ltr",
                languages=[],
                stylesheet="/c/site.css",
            )


# --- one watcher per wall, many clients ---------------------------------------------------------


@dataclass(eq=False)
class WallClient:
    """One connected screen: the newest message for it, not yet written (older ones are
    dropped: a slow screen skips to the present instead of falling behind)."""

    lang: str
    pending: bytes | None = None
    ping: bool = False
    gone: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, message: bytes) -> None:
        self.pending = message
        self.ready.set()

    async def next(self) -> bytes | None:
        """The next message to write; None when the stream ends (address renewed, shutdown)."""
        while True:
            await self.ready.wait()
            self.ready.clear()
            if self.gone:
                return None
            if self.pending is not None:
                message, self.pending = self.pending, None
                self.ping = False
                return message
            if self.ping:
                self.ping = False
                return PING


Reader = Callable[[str], Awaitable[WallSnapshot | None]]


class WallWatcher:
    """Reads one wall for all its clients, renders each language once, fans the bytes out."""

    def __init__(
        self,
        key: str,
        read: Reader,
        render: Callable[[WallSnapshot, str], str],
        *,
        poll_every: float,
        min_gap: float,
        heartbeat: float,
        on_empty: Callable[[WallWatcher], None],
    ) -> None:
        self.key = key
        self.clients: set[WallClient] = set()
        self.reads = 0
        self._read = read
        self._render = render
        self._poll_every = poll_every
        self._min_gap = min_gap
        self._heartbeat = heartbeat
        self._on_empty = on_empty
        self._wake = asyncio.Event()
        self._last: dict[str, bytes] = {}  # language -> the newest message in it
        self._task: asyncio.Task[None] | None = None

    def join(self, client: WallClient) -> None:
        self.clients.add(client)
        known = self._last.get(client.lang)
        if known is not None:
            client.offer(known)
        else:
            self.wake()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def leave(self, client: WallClient) -> None:
        self.clients.discard(client)

    def wake(self) -> None:
        self._wake.set()

    def end(self) -> None:
        for client in self.clients:
            client.gone = True
            client.ready.set()
        self.clients.clear()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last_read = -self._min_gap
        last_sent = loop.time()
        try:
            while self.clients:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_every)
                gap = last_read + self._min_gap - loop.time()
                if gap > 0:
                    await asyncio.sleep(gap)  # coalesce a burst of votes into one read
                self._wake.clear()
                if not self.clients:
                    break
                last_read = loop.time()
                self.reads += 1
                snapshot = await self._read(self.key)
                if snapshot is None:
                    self.end()  # renewed, or its session or room left the programme
                    break
                sent = self._publish(snapshot)
                if sent:
                    last_sent = loop.time()
                elif loop.time() - last_sent >= self._heartbeat:
                    last_sent = loop.time()
                    for client in self.clients:
                        client.ping = True
                        client.ready.set()
        except Exception:
            logger.exception("Room screen watcher failed")
            self.end()
        finally:
            self._task = None
            self._on_empty(self)

    def _publish(self, snapshot: WallSnapshot) -> bool:
        """Render for each language a client reads; offer what changed. True if any did."""
        languages = {client.lang for client in self.clients}
        fresh: dict[str, bytes] = {}
        for lang in languages:
            body = json.dumps({"html": self._render(snapshot, lang)}, ensure_ascii=False)
            message = b"data: " + body.encode("utf-8") + b"\n\n"
            if self._last.get(lang) != message:
                fresh[lang] = message
            self._last[lang] = message
        for client in self.clients:
            changed = fresh.get(client.lang)
            if changed is not None:
                client.offer(changed)
        return bool(fresh)

    async def stop(self) -> None:
        self.end()
        self._wake.set()
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class TooManyClients(Exception):
    pass


class WallHub:
    """The watchers of the walls followed now, by the hash of their secret."""

    def __init__(
        self,
        walls: Callable[[], Walls],
        renderer: WallRenderer,
        *,
        poll_every: float = POLL_EVERY,
        min_gap: float = MIN_GAP,
        heartbeat: float = HEARTBEAT,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self._walls = walls
        self.renderer = renderer
        self.watchers: dict[str, WallWatcher] = {}
        self._poll_every = poll_every
        self._min_gap = min_gap
        self._heartbeat = heartbeat
        self._max_clients = max_clients

    @property
    def walls(self) -> Walls:
        """The service (read when asked: `python -m bot web` opens the database on start)."""
        return self._walls()

    async def read(self, key: str) -> WallSnapshot | None:
        record = await self.walls.find_hash(key)
        return await self.walls.snapshot(record) if record is not None else None

    def join(self, key: str, lang: str) -> WallClient:
        watcher = self.watchers.get(key)
        if watcher is None:
            watcher = WallWatcher(
                key,
                self.read,
                self.renderer.live,
                poll_every=self._poll_every,
                min_gap=self._min_gap,
                heartbeat=self._heartbeat,
                on_empty=self._forget,
            )
            self.watchers[key] = watcher
        if len(watcher.clients) >= self._max_clients:
            raise TooManyClients()
        client = WallClient(lang)
        watcher.join(client)
        return client

    def leave(self, key: str, client: WallClient) -> None:
        watcher = self.watchers.get(key)
        if watcher is not None:
            watcher.leave(client)

    def wake(self, _consultation_id: str = "", _session_id: str = "") -> None:
        """Something a screen may show changed (a listener of the panel's and polls' services):
        every watcher reads soon (a few walls at most; a read is cheap)."""
        for watcher in self.watchers.values():
            watcher.wake()

    def _forget(self, watcher: WallWatcher) -> None:
        if self.watchers.get(watcher.key) is watcher and not watcher.clients:
            del self.watchers[watcher.key]

    async def close(self) -> None:
        for watcher in list(self.watchers.values()):
            await watcher.stop()
        self.watchers.clear()


# --- handlers -----------------------------------------------------------------------------------

HUB_KEY = web.AppKey("wall_hub", WallHub)


def _hub(request: web.Request) -> WallHub:
    return request.app[HUB_KEY]


def _not_found(request: web.Request) -> web.Response:
    lang, _chosen = reader_language(request)
    text = _hub(request).renderer.not_found(lang)
    response = web.Response(text=text, status=404, content_type="text/html")
    response.headers["Content-Language"] = lang
    return response


def _languages(request: web.Request, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "href": request.path + "?" + urlencode({"lang": code}),
            "current": code == lang,
        }
        for code in SUPPORTED
    ]


async def wall_page(request: web.Request) -> web.Response:
    secret = request.match_info["secret"]
    if not _SECRET.fullmatch(secret):
        return _not_found(request)
    hub = _hub(request)
    snapshot = await hub.read(secret_hash(secret))
    if snapshot is None:
        return _not_found(request)
    lang, _chosen = reader_language(request)
    events = f"{PREFIX}/{secret}/events?" + urlencode({"lang": lang})
    text = hub.renderer.page(snapshot, lang, events, _languages(request, lang))
    response = web.Response(text=text, content_type="text/html")
    response.headers["Content-Language"] = lang
    response.enable_compression()
    return response


async def wall_events(request: web.Request) -> web.StreamResponse:
    """The live part of the screen as server-sent events, each a JSON {"html": …}."""
    secret = request.match_info["secret"]
    if not _SECRET.fullmatch(secret):
        return _not_found(request)
    hub = _hub(request)
    key = secret_hash(secret)
    if await hub.walls.find_hash(key) is None:
        return _not_found(request)
    lang, _chosen = reader_language(request)
    try:
        client = hub.join(key, lang)
    except TooManyClients:
        return web.Response(status=503, text="Too many screens", headers={"Retry-After": "30"})
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
    )
    try:
        await response.prepare(request)
        await response.write(b"retry: 2000\n\n")
        while (message := await client.next()) is not None:
            await response.write(message)
        await response.write(GONE)
    except (ConnectionResetError, ConnectionError):
        pass  # the screen went away
    finally:
        hub.leave(key, client)
    return response


def _static(name: str, content_type: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def serve(request: web.Request) -> web.Response:
        response = static_files(content_type, name)
        response.enable_compression()
        return response

    return serve


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def wall_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A translated 404, or 405 for a method the address does not take (the security headers
    are set as any answer is prepared)."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return _not_found(request)
    except web.HTTPMethodNotAllowed as refused:
        return not_allowed(_not_found(request), refused)


def build_walls(hub: WallHub) -> web.Application:
    """The room screens, to mount at /wall."""
    app = web.Application(middlewares=[wall_headers])
    app[HUB_KEY] = hub

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        # A stream's headers go out before the middleware sees it: set them here.
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)

    async def closing(app: web.Application) -> None:
        await hub.close()

    app.on_response_prepare.append(on_prepare)
    app.on_shutdown.append(closing)
    app.router.add_get("/wall.css", _static("wall.css", "text/css"))
    app.router.add_get("/wall.js", _static("wall.js", "text/javascript"))
    app.router.add_get("/{secret}", wall_page)
    app.router.add_get("/{secret}/events", wall_events)
    return app
