"""The Telegram Mini App (/app/): the programme with a star on each session, the chat's stars.

Telegram opens WEB_BASE_URL/app/ from the bot's menu button with the delegate's signed
`initData` in the address's fragment (`#tgWebAppData=…`). Our own small script (miniapp.js,
served from here: the Content-Security-Policy allows scripts from 'self' only, nothing from
telegram.org) reads it there and sends it with every POST; the server checks it
(bot/services/webapp_auth.py) and stars or unstars for that user through the chat's own agenda
service. initData is the only credential (no cookie), and a POST must come from our own origin
as JSON: another site can neither forge the signature nor make a browser send it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web

from bot.handlers.formatting import day_long, day_short, time_range
from bot.i18n import use_language
from bot.services.errors import SessionNotFound
from bot.services.event_data import Consultation
from bot.services.rooms import room_label
from bot.services.webapp_auth import InitDataRefused, WebAppUser, validate_init_data
from bot.web.site import (
    SITE_KEY,
    Page,
    Site,
    finishing,
    kept_page,
    not_found_page,
    static_files,
)

logger = logging.getLogger(__name__)

PREFIX = "/app"
MAX_BODY = 8192
# Telegram's web client shows a Mini App in a frame; the phone apps in a web view.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors https://web.telegram.org"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Stars(Protocol):
    """The chat's stars (bot.services.agenda.Agenda)."""

    async def starred_ids(self, user_id: int, consultation: Consultation) -> set[str]: ...

    async def set_star(
        self, user_id: int, consultation: Consultation, session_id: str, starred: bool
    ) -> None: ...


@dataclass
class MiniApp:
    site: Site
    stars: Stars
    bot_token: Callable[[], str]
    now: Callable[[], datetime]
    # Whether the chat knows this user (has started the bot and not asked to be forgotten).
    known: Callable[[int], Awaitable[bool]]
    # The pages' public address (WEB_BASE_URL); None: the address the request came to.
    base_url: str | None


MINI_KEY = web.AppKey("mini_app", MiniApp)


def _mini(request: web.Request) -> MiniApp:
    return request.app[MINI_KEY]


def _consultation(request: web.Request) -> Consultation:
    found = _mini(request).site.events().get(request.match_info["consultation"])
    if found is None:
        raise web.HTTPNotFound()
    return found


async def app_home(request: web.Request) -> web.Response:
    """The consultations; the fragment (initData) survives the redirect when there is one."""
    mini = _mini(request)
    consultations = list(mini.site.events().consultations.values())
    page = Page(mini.site, request, None)
    if len(consultations) == 1:
        raise web.HTTPFound(page.link(f"{PREFIX}/{consultations[0].id}/"))
    with use_language(page.lang):
        items = [
            {"name": c.name.get(page.lang), "href": page.link(f"{PREFIX}/{c.id}/")}
            for c in consultations
        ]
        return page.render("app_index.html", items=items, script=f"{PREFIX}/miniapp.js")


async def app_programme(request: web.Request) -> web.StreamResponse:
    """Today's sessions while the consultation runs, else its first day's."""
    mini = _mini(request)
    consultation = _consultation(request)
    days = consultation.days()
    today = consultation.day_of(mini.now())
    day = today if today in days else days[0]
    return await kept_page(request, day, lambda: _day(request, consultation, day))


async def app_day(request: web.Request) -> web.StreamResponse:
    """One day's sessions, each with a star button the script brings to life."""
    consultation = _consultation(request)
    try:
        day = date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if day not in consultation.days():
        raise web.HTTPNotFound()
    return await kept_page(request, None, lambda: _day(request, consultation, day))


async def _day(request: web.Request, consultation: Consultation, day: date) -> web.Response:
    """A day at a time: a FOSDEM-size programme is a thousand sessions, too many for one page
    on a phone. Stars are the consultation's, whichever day shows them."""
    mini = _mini(request)
    page = Page(mini.site, request, consultation)
    base = f"{PREFIX}/{consultation.id}/"
    with use_language(page.lang):
        days = [
            {
                "name": day_short(other),
                "href": page.link(f"{base}{other.isoformat()}/"),
                "current": other == day,
            }
            for other in consultation.days()
        ]
        sessions = [
            {
                "id": s.id,
                "title": s.title.get(page.lang),
                "href": page.link(f"{page.base()}s/{s.id}"),
                "times": time_range(s, consultation),
                "room": room_label(s, page.lang),
            }
            for s in consultation.sessions_on(day)
        ]
        return page.render(
            "app.html",
            day_name=day_long(day),
            days=days,
            sessions=sessions,
            script=f"{PREFIX}/miniapp.js",
            stars_url=base + "stars",
            star_url=base + "star",
        )


async def script(request: web.Request) -> web.Response:
    return static_files("text/javascript", "miniapp.js", kept=False)


def _allowed_origin(request: web.Request, base_url: str | None) -> str:
    if base_url:
        parts = urlsplit(base_url)
        return f"{parts.scheme}://{parts.netloc}"
    return f"{request.scheme}://{request.host}"


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


async def _delegate(request: web.Request) -> tuple[WebAppUser, dict[str, Any]] | web.Response:
    """The user vouched for by the POST's initData, and the POST's JSON; or the refusal."""
    mini = _mini(request)
    if request.headers.get("Origin") != _allowed_origin(request, mini.base_url):
        return _refuse(403, "origin")
    if request.content_type != "application/json":
        return _refuse(415, "json")
    if request.content_length is None or request.content_length > MAX_BODY:
        return _refuse(413, "size")
    try:
        body = json.loads(await request.read())
    except ValueError:
        return _refuse(400, "json")
    if not isinstance(body, dict):
        return _refuse(400, "json")
    init_data = body.get("initData")
    try:
        if not isinstance(init_data, str):
            raise InitDataRefused("missing")
        user = validate_init_data(init_data, mini.bot_token(), mini.now())
    except InitDataRefused as refused:
        logger.info("Mini App: initData refused (%s)", refused)
        return _refuse(401, "init_data")
    if not await mini.known(user.id):
        return _refuse(403, "unknown")
    return user, body


async def stars_of(request: web.Request) -> web.Response:
    """The sessions the delegate has starred in this consultation."""
    consultation = _consultation(request)
    found = await _delegate(request)
    if isinstance(found, web.Response):
        return found
    user, _body = found
    starred = await _mini(request).stars.starred_ids(user.id, consultation)
    return web.json_response({"starred": sorted(starred)})


async def set_star(request: web.Request) -> web.Response:
    """Star or unstar one session: {"initData", "session", "starred": true|false}."""
    consultation = _consultation(request)
    found = await _delegate(request)
    if isinstance(found, web.Response):
        return found
    user, body = found
    session_id, starred = body.get("session"), body.get("starred")
    if not isinstance(session_id, str) or not isinstance(starred, bool):
        return _refuse(400, "session")
    try:
        await _mini(request).stars.set_star(user.id, consultation, session_id, starred)
    except SessionNotFound:
        return _refuse(404, "session")
    logger.info(
        "Mini App: user %s %s %s", user.id, "starred" if starred else "unstarred", session_id
    )
    return web.json_response({"session": session_id, "starred": starred})


def _not_found(request: web.Request) -> web.Response:
    """JSON for the script's POSTs, else the pages' 404."""
    if request.method == "POST":
        return _refuse(404, "not_found")
    return not_found_page(_mini(request).site, request)


app_headers = finishing(HEADERS, _not_found)


def build_mini_app(
    site: web.Application,
    stars: Stars,
    *,
    bot_token: Callable[[], str],
    now: Callable[[], datetime],
    known: Callable[[int], Awaitable[bool]],
    base_url: str | None = None,
) -> web.Application:
    """The Mini App beside the pages of `site` (build_site's); `mount` serves it under /app."""
    app = web.Application(middlewares=[app_headers])
    shared = site[SITE_KEY]
    app[SITE_KEY] = shared
    app[MINI_KEY] = MiniApp(shared, stars, bot_token, now, known, base_url)
    app.router.add_get("/", app_home)
    app.router.add_get("/miniapp.js", script)
    app.router.add_get("/{consultation}/", app_programme)
    app.router.add_get("/{consultation}/{day:\\d{4}-\\d{2}-\\d{2}}/", app_day)
    app.router.add_post("/{consultation}/stars", stars_of)
    app.router.add_post("/{consultation}/star", set_star)
    return app
