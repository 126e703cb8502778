"""The programme as web pages: days, sessions, speakers, rooms; the chat's filters and search.

Pages read the programme in use (`events()`, so a reload shows at once) and narrow and search it
with the chat's own services (bot/services/programme_filters.py, session_search.py); times and
days are formatted as the chat formats them. No JavaScript, no external resource: one small
stylesheet, gzip, and a Content-Security-Policy that allows nothing else.
"""

from __future__ import annotations

import functools
import mimetypes
import re
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from aiohttp.typedefs import Middleware
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.handlers.documents import KINDS as DOCUMENT_KINDS
from bot.handlers.formatting import (
    KIND_NAMES,
    day_long,
    day_short,
    dimension_name,
    filter_value,
    language_name,
    time_range,
    zone_note,
)
from bot.handlers.start import SESSION_LINK
from bot.i18n import LANGUAGE_NAMES, RTL, SUPPORTED, _, pick_language, use_language
from bot.services.documents import find_document, sessions_with_documents
from bot.services.event_data import Consultation, Document, EventData, Room, Session, Speaker
from bot.services.programme_filters import (
    DIMENSIONS,
    KIND,
    LANGUAGE,
    ROOM,
    TRACK,
    FacetCache,
    Facets,
    Filters,
    counts,
)
from bot.services.rooms import room_label, sessions_in
from bot.services.session_search import SearchResult, SessionSearch
from bot.web.cache import PageCache
from bot.web.feed import PREFIX as FEEDS_PREFIX
from bot.web.limits import MAX_BODY, Limits
from bot.web.texts import labels

HERE = Path(__file__).resolve().parent
PREFIX = "/c"
# The GET parameter of each filter (`lang` is the page's language, hence `interpretation`).
PARAMS = {TRACK: "track", KIND: "kind", ROOM: "room", LANGUAGE: "interpretation"}
SEARCH_LIMIT = 200
# Telegram's rule for a /start parameter: a deep link with anything else opens nothing.
START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass
class Site:
    """What the pages need: the programme in use, the bot's username, the shared services."""

    events: Callable[[], EventData]
    bot_username: Callable[[], str | None]
    facets: Callable[[Consultation], Facets]
    search: Callable[[Consultation, str], Awaitable[SearchResult]]
    templates: Environment
    # The busiest pages as rendered, for the programme in use (bot/web/cache.py).
    pages: PageCache = field(default_factory=PageCache)


SITE_KEY = web.AppKey("site", Site)
# The Telegram Mini App built beside these pages (bot/web/miniapp.py), served under /app.
MINI_APP_KEY = web.AppKey("mini_app_site", web.Application)
# The calendar addresses (bot/web/feed.py), mounted beside the pages at /cal when the bot runs.
FEEDS_APP_KEY = web.AppKey("feeds_app", web.Application)
# The moderators' view (bot/web/moderation.py), mounted beside the pages at /mod.
MODERATION_APP_KEY = web.AppKey("moderation_app", web.Application)
# The room screens (bot/web/wall.py), mounted beside the pages at /wall.
WALLS_APP_KEY = web.AppKey("walls_app", web.Application)
WALLS_PREFIX = "/wall"
# The requests' limits (bot/web/limits.py), shared by every page application `mount` serves.
LIMITS_KEY = web.AppKey("limits", Limits)


class _Templates(Environment):
    """Jinja2 reads `s.title` as an attribute first, and a dict's key only after the
    AttributeError: thousands on a FOSDEM-size day. The pages' items are dicts: keys first."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _environment() -> Environment:
    env = _Templates(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates are read and compiled once: they change with the code, not while it runs.
        auto_reload=False,
    )
    return env


def reader_language(request: web.Request) -> tuple[str, bool]:
    """The page's language and whether the address chose it (`?lang=`), else the browser's
    Accept-Language (the first supported language by preference)."""
    asked = request.query.get("lang", "")
    if asked in SUPPORTED:
        return asked, True
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        code, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if code and quality > 0:
            wanted.append((-quality, position, code))
    for _quality, _position, code in sorted(wanted):
        base = code.replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED:
            return pick_language(base), False
    return pick_language(None), False


def language_links(request: web.Request, lang: str) -> list[dict[str, Any]]:
    """The same page in each language: the address with `?lang=` set, the current one marked."""
    found = []
    for code in SUPPORTED:
        params = [(k, v) for k, v in request.query.items() if k != "lang"]
        params.append(("lang", code))
        found.append(
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "href": request.path + "?" + urlencode(params),
                "current": code == lang,
            }
        )
    return found


def render_page(
    templates: Environment,
    request: web.Request,
    template: str,
    *,
    lang: str,
    words: dict[str, str],
    stylesheet: str,
    values: dict[str, Any],
    status: int = 200,
) -> web.Response:
    """An HTML page in `lang`: its words, direction, stylesheet and language links, then
    `values`; the answer says its language (Content-Language)."""
    context: dict[str, Any] = {
        "t": words,
        "lang": lang,
        "dir": "rtl" if lang in RTL else "ltr",
        "languages": language_links(request, lang),
        "stylesheet": stylesheet,
        **values,
    }
    text = templates.get_template(template).render(context)
    response = web.Response(text=text, status=status, content_type="text/html")
    response.headers["Content-Language"] = lang
    return response


def read_filters(request: web.Request, facets: Facets) -> Filters:
    """The filters the address asks for; values this programme does not have are ignored."""
    filters = Filters()
    for dimension in DIMENSIONS:
        value = request.query.get(PARAMS[dimension], "")
        facet = facets.facet(dimension)
        if value and facet is not None and value in facet.keys:
            filters = filters.with_value(dimension, value)
    return filters


class Page:
    """One request's page: its language, its filters, and how its links are written."""

    def __init__(self, site: Site, request: web.Request, consultation: Consultation | None):
        self.site = site
        self.request = request
        self.consultation = consultation
        self.lang, self.chosen = reader_language(request)
        self.facets = site.facets(consultation) if consultation is not None else None
        self.filters = read_filters(request, self.facets) if self.facets else Filters()

    def query(self, *, filters: Filters | None = None, **extra: str) -> str:
        params: list[tuple[str, str]] = []
        for dimension, key in (filters if filters is not None else Filters()).chosen:
            params.append((PARAMS[dimension], key))
        params += [(k, v) for k, v in extra.items() if v]
        if self.chosen:
            params.append(("lang", self.lang))
        return "?" + urlencode(params) if params else ""

    def link(self, path: str, *, keep_filters: bool = False, **extra: str) -> str:
        return path + self.query(filters=self.filters if keep_filters else None, **extra)

    def base(self) -> str:
        assert self.consultation is not None
        return f"{PREFIX}/{self.consultation.id}/"

    def telegram(self, payload: str | None = None) -> str | None:
        """A deep link to the bot (None when no username is configured)."""
        username = self.site.bot_username()
        if not username:
            return None
        if payload and START_PARAMETER.fullmatch(payload):
            return f"https://t.me/{username}?start={payload}"
        return f"https://t.me/{username}"

    def render(self, template: str, status: int = 200, **values: Any) -> web.Response:
        context: dict[str, Any] = {"page": self, **values}
        if self.consultation is not None:
            context["consultation"] = self.consultation
            context["consultation_name"] = self.consultation.name.get(self.lang)
            context["home"] = self.link(self.base())
            context["speakers_href"] = self.link(self.base() + "speakers/")
            context["rooms_href"] = self.link(self.base() + "rooms/")
            if self.consultation.documents or sessions_with_documents(self.consultation):
                context["documents_href"] = self.link(self.base() + "documents/")
            context["bot_link"] = self.telegram()
        response = render_page(
            self.site.templates,
            self.request,
            template,
            lang=self.lang,
            words=labels(),
            stylesheet=f"{PREFIX}/site.css",
            values=context,
            status=status,
        )
        response.headers["Vary"] = "Accept-Language, Accept-Encoding"
        return response

    # --- what the templates show ------------------------------------------------------------

    def session_item(self, session: Session, *, with_day: bool = False) -> dict[str, Any]:
        """One session of a list, its texts in the page's language."""
        consultation = self.consultation
        assert consultation is not None
        lang = self.lang
        day = consultation.day_of(session.start)
        return {
            "id": session.id,
            "href": self.link(f"{self.base()}s/{session.id}"),
            "title": session.title.get(lang),
            "times": time_range(session, consultation),
            "day": day_short(day) if with_day else None,
            "room": room_label(session, lang),
            "room_href": (
                self.link(f"{self.base()}rooms/") + f"#room-{session.room_id}"
                if session.room_id
                else None
            ),
            "track": session.track.get(lang) if session.track else None,
            "kind": _(KIND_NAMES[session.kind]) if session.kind in KIND_NAMES else session.kind,
            "kind_key": session.kind,
            "speakers": [self.speaker_ref(s) for s in session.speakers],
            "interpretation": [language_name(code) for code in session.interpretation],
            "telegram": self.telegram(SESSION_LINK + session.id),
        }

    def speaker_ref(self, speaker: Speaker) -> dict[str, Any]:
        href = None
        if speaker.id is not None and self.consultation is not None:
            href = self.link(f"{self.base()}speakers/{speaker.id}")
        return {
            "name": speaker.name,
            "href": href,
            "affiliation": speaker.affiliation.get(self.lang) if speaker.affiliation else None,
        }

    def filter_form(self, sessions: list[Session]) -> list[dict[str, Any]]:
        """The filters' choices, each value with how many sessions it would leave."""
        facets = self.facets
        if facets is None:
            return []
        found = []
        for dimension in facets.dimensions:
            facet = facets.facet(dimension)
            assert facet is not None
            left = counts(sessions, self.filters, dimension)
            chosen = self.filters.get(dimension)
            options = [
                {
                    "value": key,
                    "label": filter_value(facets, dimension, key),
                    "count": left.get(key, 0),
                    "selected": key == chosen,
                }
                for key in facet.keys
            ]
            options.sort(key=lambda o: str(o["label"]).casefold())
            found.append(
                {
                    "name": PARAMS[dimension],
                    "label": dimension_name(dimension).split(" ", 1)[-1],
                    "options": options,
                }
            )
        return found


def _site(request: web.Request) -> Site:
    return request.app[SITE_KEY]


PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cached(handler: PageHandler) -> PageHandler:
    """The page as rendered before for the same address and reader, while the programme in use
    is the same (a reload renders it anew)."""

    async def serve(request: web.Request) -> web.StreamResponse:
        return await kept_page(request, (), lambda: handler(request))

    return serve


async def kept_page(
    request: web.Request, more: Hashable, render: Callable[[], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """The page kept for this address, reader and `more` (what else it shows), else `render`'s
    (then kept for the next reader)."""
    site = _site(request)
    version = site.events()
    key = (
        request.path,
        request.query_string,
        reader_language(request),
        site.bot_username(),
        more,
    )
    kept = site.pages.get(version, key)
    if kept is None:
        response = await render()
        if not isinstance(response, web.Response):
            return response
        kept = site.pages.put(version, key, response)
        if kept is None:
            return response
    return kept.response(request)


def _consultation(request: web.Request) -> Consultation:
    found = _site(request).events().get(request.match_info["consultation"])
    if found is None:
        raise web.HTTPNotFound()
    return found


async def consultations_page(request: web.Request) -> web.Response:
    site = _site(request)
    page = Page(site, request, None)
    with use_language(page.lang):
        items = [
            {"name": c.name.get(page.lang), "href": page.link(f"{PREFIX}/{c.id}/")}
            for c in site.events().consultations.values()
        ]
        return page.render("index.html", items=items)


@cached
async def programme_page(request: web.Request) -> web.Response:
    """The consultation's days, the filters and the search box; search results when asked."""
    site = _site(request)
    consultation = _consultation(request)
    page = Page(site, request, consultation)
    asked = request.query.get("q", "").strip()[:200]
    results: list[Session] | None = None
    if asked:
        found = await site.search(consultation, asked)
        results = page.filters.apply(found.sessions)[:SEARCH_LIMIT]
    with use_language(page.lang):
        days = []
        for day in consultation.days():
            matching = page.filters.apply(consultation.sessions_on(day))
            days.append(
                {
                    "name": day_long(day),
                    "href": page.link(f"{page.base()}{day.isoformat()}/", keep_filters=True),
                    "count": len(matching),
                }
            )
        return page.render(
            "programme.html",
            days=days,
            asked=asked,
            results=(
                [page.session_item(s, with_day=True) for s in results]
                if results is not None
                else None
            ),
            filters=page.filter_form(list(consultation.sessions)),
            filtered=bool(page.filters),
            clear_href=page.link(page.base()),
            form_action=page.base(),
            description=consultation.description.get(page.lang)
            if consultation.description
            else None,
            zone=zone_note(consultation),
            dates=_dates(consultation),
            venue=consultation.venue.name.get(page.lang),
        )


def _dates(consultation: Consultation) -> str:
    first, last = consultation.start, consultation.end
    return day_long(first) if first == last else f"{day_long(first)} – {day_long(last)}"


@cached
async def day_page(request: web.Request) -> web.Response:
    site = _site(request)
    consultation = _consultation(request)
    raw = request.match_info["day"]
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise web.HTTPNotFound() from None
    days = consultation.days()
    if day not in days:
        raise web.HTTPNotFound()
    page = Page(site, request, consultation)
    with use_language(page.lang):
        on_day = consultation.sessions_on(day)
        shown = page.filters.apply(on_day)
        index = days.index(day)

        def day_href(other: date) -> str:
            return page.link(f"{page.base()}{other.isoformat()}/", keep_filters=True)

        return page.render(
            "day.html",
            day_name=day_long(day),
            sessions=[page.session_item(s) for s in shown],
            previous=day_href(days[index - 1]) if index > 0 else None,
            next=day_href(days[index + 1]) if index + 1 < len(days) else None,
            filters=page.filter_form(on_day),
            filtered=bool(page.filters),
            clear_href=page.link(request.path),
            form_action=request.path,
            zone=zone_note(consultation),
        )


async def session_page(request: web.Request) -> web.Response:
    site = _site(request)
    consultation = _consultation(request)
    session = consultation.session(request.match_info["session"])
    if session is None:
        raise web.HTTPNotFound()
    page = Page(site, request, consultation)
    with use_language(page.lang):
        item = page.session_item(session)
        day = consultation.day_of(session.start)
        return page.render(
            "session.html",
            session=item,
            day_name=day_long(day),
            day_href=page.link(f"{page.base()}{day.isoformat()}/"),
            description=session.description.get(page.lang) if session.description else None,
            speakers=[
                {
                    **page.speaker_ref(s),
                    "role": s.role.get(page.lang) if s.role else None,
                }
                for s in session.speakers
            ],
            documents=[
                {"title": item["title"], "url": item["href"]}
                for item in (_document_item(page, d) for d in session.documents)
                if item["href"]
            ],
            zone=zone_note(consultation),
        )


@cached
async def speakers_page(request: web.Request) -> web.Response:
    site = _site(request)
    consultation = _consultation(request)
    page = Page(site, request, consultation)
    with use_language(page.lang):
        speakers = sorted(consultation.speakers, key=lambda s: s.name.casefold())
        return page.render("speakers.html", speakers=[page.speaker_ref(s) for s in speakers])


async def speaker_page(request: web.Request) -> web.Response:
    site = _site(request)
    consultation = _consultation(request)
    speaker = consultation.speaker(request.match_info["speaker"])
    if speaker is None:
        raise web.HTTPNotFound()
    page = Page(site, request, consultation)
    with use_language(page.lang):
        return page.render(
            "speaker.html",
            speaker={
                **page.speaker_ref(speaker),
                "role": speaker.role.get(page.lang) if speaker.role else None,
                "bio": speaker.bio.get(page.lang) if speaker.bio else None,
                "links": [u for u in speaker.links if u.startswith(("https://", "http://"))],
            },
            sessions=[
                page.session_item(s, with_day=True) for s in consultation.sessions_of(speaker)
            ],
        )


def _room_item(page: Page, consultation: Consultation, room: Room) -> dict[str, Any]:
    lang = page.lang
    return {
        "id": room.id,
        "name": room.name.get(lang),
        "location": room.location.get(lang) if room.location else None,
        "directions": room.directions.get(lang) if room.directions else None,
        "accessibility": room.accessibility.get(lang) if room.accessibility else None,
        "interpretation": [language_name(c.language) for c in room.interpretation],
        "sessions_href": page.base() + page.query(filters=Filters().with_value(ROOM, room.id)),
        "map": f"{page.base()}rooms/{quote(room.id, safe='')}/map" if room.map else None,
        "count": len(sessions_in(consultation, room.id)),
    }


@cached
async def rooms_page(request: web.Request) -> web.Response:
    site = _site(request)
    consultation = _consultation(request)
    page = Page(site, request, consultation)
    with use_language(page.lang):
        return page.render(
            "rooms.html",
            rooms=[_room_item(page, consultation, room) for room in consultation.rooms],
            venue=consultation.venue.name.get(page.lang),
            address=consultation.venue.address.get(page.lang),
            venue_directions=(
                consultation.venue.directions.get(page.lang)
                if consultation.venue.directions
                else None
            ),
        )


async def room_map(request: web.Request) -> web.StreamResponse:
    """A room's map: the image file the data names for it, nothing else."""
    consultation = _consultation(request)
    room = next((r for r in consultation.rooms if r.id == request.match_info["room"]), None)
    if room is None or room.map is None:
        raise web.HTTPNotFound()
    return _data_file(room.map.path, room.map.mime_type)


def _document_item(page: Page, document: Document) -> dict[str, Any]:
    icon, kind = DOCUMENT_KINDS.get(document.kind, DOCUMENT_KINDS["other"])
    href = (
        document.url if document.url and document.url.startswith(("https://", "http://")) else None
    )
    if document.file is not None:
        href = f"{page.base()}documents/{quote(document.id, safe='')}"
    return {
        "title": document.title.get(page.lang),
        "icon": icon,
        "kind": _(kind),
        "href": href,
        "download": document.file is not None,
    }


@cached
async def documents_page(request: web.Request) -> web.Response:
    """The consultation's documents, then each session's, as /documents lists them."""
    site = _site(request)
    consultation = _consultation(request)
    page = Page(site, request, consultation)
    with use_language(page.lang):
        own = [_document_item(page, d) for d in consultation.documents]
        sessions = [
            {
                **page.session_item(session, with_day=True),
                "documents": [_document_item(page, d) for d in session.documents],
            }
            for session in sessions_with_documents(consultation)
        ]
        return page.render("documents.html", own=own, sessions=sessions)


async def document_file(request: web.Request) -> web.StreamResponse:
    """A document's file: looked up by its id among those the data names, never by a path."""
    consultation = _consultation(request)
    placed = find_document(consultation, request.match_info["document"])
    if placed is None or placed.document.file is None:
        raise web.HTTPNotFound()
    path = placed.document.file
    return _data_file(path, mimetypes.guess_type(path.name)[0] or "application/octet-stream")


# Shown in the browser; anything else is downloaded, never opened as a page of this site.
_INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")


def _data_file(path: Path, content_type: str) -> web.StreamResponse:
    if not path.is_file():  # gone since the data was loaded
        raise web.HTTPNotFound()
    disposition = "inline" if content_type in _INLINE_TYPES else "attachment"
    response = web.FileResponse(
        path,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(path.name)}",
            "Cache-Control": "public, max-age=300",
        },
    )
    return response


@functools.cache
def _static(names: tuple[str, ...]) -> bytes:
    """These files of static/, one after the other: read once, not on every request (they do
    not change while the server runs)."""
    return b"".join((HERE / "static" / name).read_bytes() for name in names)


def static_files(content_type: str, *names: str, kept: bool = True) -> web.Response:
    """These files of static/, one after the other; the browser keeps them an hour if `kept`."""
    response = web.Response(body=_static(names), content_type=content_type)
    if kept:
        response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def stylesheets(*names: str) -> web.Response:
    """These stylesheets of static/, one after the other; the browser keeps them an hour."""
    return static_files("text/css", *names)


async def stylesheet(request: web.Request) -> web.Response:
    return stylesheets("site.css")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def finishing(
    headers: Mapping[str, str], not_found: Callable[[web.Request], web.StreamResponse]
) -> Middleware:
    """A middleware: `headers` on every answer that has not set them, gzip where the browser
    takes it (unless gzipped already: the cache keeps pages so), `not_found` for a 404 (and,
    as 405, for a method the address does not take)."""

    @web.middleware
    async def finish(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = not_found(request)
        except web.HTTPMethodNotAllowed as refused:
            response = not_allowed(not_found(request), refused)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        compressed = "Content-Encoding" in response.headers
        if isinstance(response, web.Response) and response.body is not None and not compressed:
            response.enable_compression()
        return response

    return finish


def not_allowed(page: web.StreamResponse, refused: web.HTTPMethodNotAllowed) -> web.StreamResponse:
    """A form posted to a page, or a form's address opened: to the reader there is no such page,
    so `page` is the translated 404, answered as 405 with the methods the address takes."""
    page.set_status(405)
    page.headers["Allow"] = refused.headers["Allow"]
    return page


def not_found_page(site: Site, request: web.Request) -> web.Response:
    """The pages' 404, in the reader's language."""
    page = Page(site, request, None)
    with use_language(page.lang):
        return page.render("not_found.html", status=404)


# Security headers on every answer, gzip where the browser takes it, a translated 404.
page_headers = finishing(SECURITY_HEADERS, lambda request: not_found_page(_site(request), request))


def build_site(
    events: Callable[[], EventData],
    *,
    bot_username: Callable[[], str | None] = lambda: None,
    facets: Callable[[Consultation], Facets] | None = None,
    search: Callable[[Consultation, str], Awaitable[SearchResult]] | None = None,
    feeds: web.Application | None = None,
    limits: Limits | None = None,
    walls: web.Application | None = None,
) -> web.Application:
    """The programme's pages, to mount at /c (see `mount`); `facets` and `search` are the
    chat's own (bot.services.agenda.Agenda's) where the bot runs; `feeds` the calendar
    addresses, mounted with them at /cal; `walls` the room screens, at /wall."""
    app = web.Application(middlewares=[page_headers])
    app[LIMITS_KEY] = limits or Limits()
    if feeds is not None:
        app[FEEDS_APP_KEY] = feeds
    if walls is not None:
        app[WALLS_APP_KEY] = walls
    app[SITE_KEY] = Site(
        events=events,
        bot_username=bot_username,
        facets=facets or FacetCache().of,
        search=search or SessionSearch().search,
        templates=_environment(),
    )
    app.router.add_get("/", consultations_page)
    app.router.add_get("/site.css", stylesheet)
    app.router.add_get("/{consultation}/", programme_page)
    app.router.add_get("/{consultation}/speakers/", speakers_page)
    app.router.add_get("/{consultation}/speakers/{speaker}", speaker_page)
    app.router.add_get("/{consultation}/rooms/", rooms_page)
    app.router.add_get("/{consultation}/rooms/{room}/map", room_map)
    app.router.add_get("/{consultation}/documents/", documents_page)
    app.router.add_get("/{consultation}/documents/{document}", document_file)
    app.router.add_get("/{consultation}/s/{session}", session_page)
    app.router.add_get("/{consultation}/{day:\\d{4}-\\d{2}-\\d{2}}/", day_page)
    return app


def mount(root: web.Application, site: web.Application) -> None:
    """Serve the pages under /c of `root` (the webhook's server, or one of their own), the
    Mini App under /app, the calendar addresses under /cal, the moderators' view under /mod and
    the room screens under /wall when the site has them; each within the site's limits (not
    `root`: the webhook's own path is not limited)."""
    limited = site[LIMITS_KEY].middleware(lambda request: reader_language(request)[0])
    mounted: list[tuple[str, web.Application | None]] = [
        (PREFIX, site),
        ("/app", site.get(MINI_APP_KEY)),
        (FEEDS_PREFIX, site.get(FEEDS_APP_KEY)),
        ("/mod", site.get(MODERATION_APP_KEY)),
        (WALLS_PREFIX, site.get(WALLS_APP_KEY)),
    ]
    for prefix, app in mounted:
        if app is None:
            continue
        if not app.middlewares.frozen:
            app.middlewares.insert(0, limited)
        root.add_subapp(prefix, app)


def standalone(site: web.Application) -> web.Application:
    """A server of the pages alone: / leads to the list of consultations."""
    root = web.Application(client_max_size=MAX_BODY)

    async def home(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{PREFIX}/" + (request.query_string and "?" + request.query_string))

    root.router.add_get("/", home)
    mount(root, site)
    return root
