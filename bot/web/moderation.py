"""The moderators' view (/mod/): what /reviews shows in the chat, on a laptop's screen.

Entered through the one-time link /dashboard sends (GET shows a button; only its POST uses the
link, so a link preview that fetches the address does not spend it), then a session cookie
(HttpOnly, SameSite=Strict, Path=/mod, Secure over https). Every request looks the session up
and asks whether its owner is a moderator now. Forms post a token bound to the session, and a
post from another origin is refused. Anonymous feedback names nobody here either: the same
records and export tables as the chat, in the moderator's language, escaped by Jinja2.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.clock import Clock
from bot.handlers.formatting import day_long, day_short, moment, time_range
from bot.i18n import SUPPORTED, _, ngettext, pick_language, use_language
from bot.services.charts import rating_histogram
from bot.services.errors import NotAllowed, SessionNotFound
from bot.services.event_data import Consultation, EventData
from bot.services.exports import FORMATS, render
from bot.services.feedback import (
    OTHER_THEME,
    SORT_TIME,
    SORT_WORST,
    Feedback,
    FeedbackNotFound,
    SessionReview,
    Table,
)
from bot.services.moderator_web import (
    SESSION_VALID,
    ModeratorWeb,
    Visitor,
    form_token,
    form_token_matches,
)
from bot.services.panel import PanelQuestions
from bot.storage.panel import HIDDEN, PanelQuestion
from bot.web.site import finishing, reader_language, render_page, stylesheets

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
PREFIX = "/mod"
COOKIE = "mod_session"
FORM_FIELD = "form_token"
COMMENTS_PER_PAGE = 20
# What token_urlsafe(32) makes (43 characters); anything else is not looked up.
_SECRET = re.compile(r"[A-Za-z0-9_-]{20,128}")
_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")
# The exports the chat offers (bot/handlers/moderation.py), each in CSV and XLSX.
EXPORTS = ("feedback", "survey", "recommendations", "polls", "questions")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: with it, a browser sends `Origin: null` on the pages' own forms.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Feedback is not for a shared cache, nor for the back button after signing out.
    "Cache-Control": "no-store",
}

# An export's table, its headers in the given language.
TableOf = Callable[[str, Consultation, str], Awaitable[Table]]
QuestionsOf = Callable[[Consultation], Awaitable[list[PanelQuestion]]]
LanguageOf = Callable[[int], Awaitable[str | None]]


@dataclass
class Desk:
    """What the moderators' pages need: the chat's own services."""

    logins: ModeratorWeb
    events: Callable[[], EventData]
    feedback: Feedback
    questions: QuestionsOf
    table: TableOf
    language_of: LanguageOf
    now_stamp: Callable[[Consultation], str]
    base_url: str | None
    templates: Environment


DESK_KEY = web.AppKey("moderators_desk", Desk)


def labels() -> dict[str, str]:
    """The view's fixed texts, in the current language."""
    return {
        "view": _("Moderators' view"),
        "language": _("Language"),
        "ratings": _("Ratings by session"),
        "recommendations": _("Recommendations"),
        "questions": _("Questions to the panels"),
        "exports": _("Exports"),
        "sign_out": _("Sign out"),
        "session": _("Session"),
        "average": _("Average"),
        "ratings_count": _("Ratings"),
        "comments": _("Comments"),
        "not_attended": _("Did not attend"),
        "sort_time": _("Sort by time"),
        "sort_worst": _("Sort worst first"),
        "worst_first": _("worst rated first"),
        "in_order": _("in programme order"),
        "all_sessions": _("All sessions"),
        "chart": _("Ratings from 1 to 5 stars: how many delegates gave each"),
        "no_comments": _("No comments yet."),
        "hide": _("Hide"),
        "unhide": _("Unhide"),
        "hidden": _("Hidden by a moderator: kept, but left out of exports."),
        "anonymous": _("anonymous"),
        "previous": _("Previous page"),
        "next": _("Next page"),
        "nothing": _("Nothing yet."),
        "votes": _("Votes"),
        "status": _("Status"),
        "withheld": _("Hidden by the session's chairs."),
        "exports_note": _(
            "Hidden comments are left out; names appear only where delegates signed."
        ),
        "polls_note": _("Counts per option only: no delegate is named."),
        "continue": _("Continue"),
        "enter_title": _("Open the moderators' view"),
        "enter_text": _(
            "This link opens the moderators' view in this browser, once. Press Continue."
        ),
        "refused_text": _(
            "This page is for the consultation's moderators and organisers. Send /dashboard "
            "to the bot for a link that opens it (the link works once, for 10 minutes)."
        ),
        "link_used": _(
            "This link has been used already, or has expired. Send /dashboard to the bot for "
            "a new one."
        ),
        "cross_site": _("This form was sent from another site: nothing was changed."),
        "signed_out": _("You are signed out. Send /dashboard to the bot to come back."),
        "not_found_text": _("There is no such page in this programme."),
    }


# --- the request's reader ------------------------------------------------------------------


def _desk(request: web.Request) -> Desk:
    return request.app[DESK_KEY]


def _chosen_language(request: web.Request) -> str | None:
    asked = request.query.get("lang", "")
    return asked if asked in SUPPORTED else None


class View:
    """One request's page: its language, its visitor (None on the pages for anyone)."""

    def __init__(self, request: web.Request, lang: str, visitor: Visitor | None = None) -> None:
        self.request = request
        self.desk = _desk(request)
        self.lang = lang
        self.chosen = _chosen_language(request) is not None
        self.visitor = visitor

    def link(self, path: str, **params: str) -> str:
        pairs = [(k, v) for k, v in params.items() if v]
        if self.chosen:
            pairs.append(("lang", self.lang))
        return path + ("?" + urlencode(pairs) if pairs else "")

    def render(self, template: str, status: int = 200, **values: Any) -> web.Response:
        context: dict[str, Any] = dict(values)
        if self.visitor is not None:
            consultation = self.desk.events().get(self.visitor.consultation_id)
            context["consultation_name"] = consultation.name.get(self.lang) if consultation else ""
            context["form_token"] = form_token(self.visitor.secret)
            context["nav"] = {
                "ratings": self.link(f"{PREFIX}/"),
                "recommendations": self.link(f"{PREFIX}/recommendations"),
                "questions": self.link(f"{PREFIX}/questions"),
                "exports": self.link(f"{PREFIX}/exports"),
                "sign_out": self.link(f"{PREFIX}/logout"),
            }
        return render_page(
            self.desk.templates,
            self.request,
            template,
            lang=self.lang,
            words=labels(),
            stylesheet=f"{PREFIX}/mod.css",
            values=context,
            status=status,
        )


def _refused(
    request: web.Request, text_key: str = "refused_text", status: int = 403
) -> web.Response:
    """A page for anyone: why they see nothing, in the language they asked for or read."""
    lang = reader_language(request)[0]
    with use_language(lang):
        view = View(request, lang)
        return view.render("mod_refused.html", status=status, text_key=text_key)


def _see_other(location: str) -> web.Response:
    """A redirection to a page of the view, after a post (returned: the headers apply)."""
    return web.Response(status=303, headers={"Location": location})


async def _visitor(request: web.Request) -> Visitor | None:
    secret = request.cookies.get(COOKIE, "")
    if not _SECRET.fullmatch(secret):
        return None
    return await _desk(request).logins.visitor(secret)


def _same_origin(request: web.Request) -> bool:
    """Whether a post comes from these pages: its Origin is this server's (as the browser
    reached it) or WEB_BASE_URL's; a post without one is refused."""
    origin = request.headers.get("Origin", "")
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.netloc and parts.netloc == request.host:
        return True
    base = _desk(request).base_url
    if base:
        configured = urlsplit(base)
        return (parts.scheme, parts.netloc) == (configured.scheme, configured.netloc)
    return False


Page = Callable[[web.Request, View, Consultation], Awaitable[web.StreamResponse]]


def signed_in(page: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The page for a moderator with a session, in their language; a refusal for anyone else.
    A post must also come from these pages and carry the session's form token."""

    async def handler(request: web.Request) -> web.StreamResponse:
        visitor = await _visitor(request)
        if visitor is None:
            response = _refused(request)
            if COOKIE in request.cookies:
                response.del_cookie(COOKIE, path=PREFIX)
            return response
        desk = _desk(request)
        lang = _chosen_language(request) or pick_language(
            await desk.language_of(visitor.profile.user_id)
        )
        with use_language(lang):
            view = View(request, lang, visitor)
            if request.method == "POST":
                form = await request.post()
                given = form.get(FORM_FIELD)
                if (
                    not _same_origin(request)
                    or not isinstance(given, str)
                    or not form_token_matches(visitor.secret, given)
                ):
                    return view.render("mod_refused.html", status=403, text_key="cross_site")
            consultation = desk.events().get(visitor.consultation_id)
            try:
                if consultation is None:
                    raise web.HTTPNotFound()
                return await page(request, view, consultation)
            except web.HTTPNotFound:
                # In the moderator's language, not the browser's as for anyone else.
                return view.render("mod_refused.html", status=404, text_key="not_found_text")

    return handler


# --- entering and leaving ------------------------------------------------------------------


async def enter_page(request: web.Request) -> web.Response:
    """The link's page: a button that posts, so that fetching the address spends nothing."""
    token = request.match_info["token"]
    desk = _desk(request)
    if not _SECRET.fullmatch(token) or not await desk.logins.link_valid(token):
        return _refused(request, "link_used")
    lang = reader_language(request)[0]
    with use_language(lang):
        view = View(request, lang)
        return view.render("mod_enter.html", action=request.path)


async def enter(request: web.Request) -> web.StreamResponse:
    """The button: the link is used, a session begins (its cookie), on to the view."""
    token = request.match_info["token"]
    if not _same_origin(request):
        return _refused(request, "cross_site")
    desk = _desk(request)
    entered = await desk.logins.enter(token) if _SECRET.fullmatch(token) else None
    if entered is None:
        return _refused(request, "link_used")
    secret, _session = entered
    lang = _chosen_language(request)
    response = _see_other(f"{PREFIX}/" + (f"?lang={lang}" if lang else ""))
    response.set_cookie(
        COOKIE,
        secret,
        path=PREFIX,
        max_age=int(SESSION_VALID.total_seconds()),
        httponly=True,
        secure=bool(desk.base_url and desk.base_url.startswith("https://")),
        samesite="Strict",
    )
    return response


async def _sign_out(request: web.Request, view: View, consultation: Consultation) -> web.Response:
    assert view.visitor is not None
    await view.desk.logins.end(view.visitor.secret)
    view.visitor = None
    response = view.render("mod_refused.html", status=200, text_key="signed_out")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


# --- the pages -----------------------------------------------------------------------------


def _average(review: SessionReview, lang: str) -> str:
    if review.stats.average is None:
        return "—"
    return format_decimal(review.stats.average, "0.0", locale=lang) + "★"


async def _ratings(request: web.Request, view: View, consultation: Consultation) -> web.Response:
    sort = SORT_TIME if request.query.get("sort") == SORT_TIME else SORT_WORST
    reviews = await view.desk.feedback.reviews(consultation, sort)
    rows = [
        {
            "number": number,
            "title": review.session.title.get(view.lang),
            "href": view.link(f"{PREFIX}/s/{review.session.id}"),
            "times": time_range(review.session, consultation),
            "day": day_short(consultation.day_of(review.session.start)),
            "average": _average(review, view.lang),
            "count": review.stats.count,
            "comments": review.stats.comments,
            "not_attended": review.stats.not_attended,
        }
        for number, review in enumerate(reviews, 1)
    ]
    other = SORT_WORST if sort == SORT_TIME else SORT_TIME
    return view.render(
        "mod_ratings.html",
        rows=rows,
        worst=sort == SORT_WORST,
        sort_href=view.link(f"{PREFIX}/", sort=other if other == SORT_TIME else ""),
    )


def _page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


async def _review(request: web.Request, view: View, consultation: Consultation) -> SessionReview:
    """The session the address names, with its figures; 404 when the programme has none."""
    try:
        return await view.desk.feedback.review(consultation, request.match_info["session"])
    except SessionNotFound:
        raise web.HTTPNotFound() from None


async def _session(request: web.Request, view: View, consultation: Consultation) -> web.Response:
    feedback = view.desk.feedback
    review = await _review(request, view, consultation)
    session = review.session
    comments = await feedback.comments(consultation, session.id)
    pages = max(1, -(-len(comments) // COMMENTS_PER_PAGE))
    page = min(_page_number(request), pages)
    first = (page - 1) * COMMENTS_PER_PAGE
    base = f"{PREFIX}/s/{session.id}"
    shown = [
        {
            "id": record.id,
            "number": number,
            "rating": "★" * record.rating + "☆" * (5 - record.rating)
            if record.rating is not None
            else "—",
            # An anonymous comment names nobody; a signed one, the name its author gave.
            "author": record.signer_name or "?" if record.signed else None,
            "when": moment(record.updated_at, consultation),
            "text": record.comment or "",
            "hidden": record.hidden,
        }
        for number, record in enumerate(comments[first : first + COMMENTS_PER_PAGE], first + 1)
    ]
    stats = review.stats
    return view.render(
        "mod_session.html",
        title=session.title.get(view.lang),
        times=day_long(consultation.day_of(session.start))
        + " · "
        + time_range(session, consultation),
        average=_average(review, view.lang),
        figures=ngettext("{count} rating", "{count} ratings", stats.count).format(
            count=stats.count
        )
        + " · "
        + ngettext("{count} comment", "{count} comments", stats.comments).format(
            count=stats.comments
        ),
        not_attended=ngettext(
            "{count} delegate said they did not attend.",
            "{count} delegates said they did not attend.",
            stats.not_attended,
        ).format(count=stats.not_attended)
        if stats.not_attended
        else None,
        chart=view.link(f"{base}/chart.png") if stats.count else None,
        comments=shown,
        action=view.link(f"{base}/comments", page=str(page) if page > 1 else ""),
        page_note=_("Page {page} of {pages}").format(page=page, pages=pages)
        if pages > 1
        else None,
        previous=view.link(base, page=str(page - 1)) if page > 1 else None,
        next=view.link(base, page=str(page + 1)) if page < pages else None,
        back=view.link(f"{PREFIX}/"),
    )


async def _chart(request: web.Request, view: View, consultation: Consultation) -> web.Response:
    review = await _review(request, view, consultation)
    counts = await view.desk.feedback.histogram(consultation, review.session.id)
    image = await asyncio.to_thread(rating_histogram, counts, review.stats.average)
    return web.Response(body=image, content_type="image/png")


async def _hide(request: web.Request, view: View, consultation: Consultation) -> web.Response:
    """Hide a comment, or show it again (the form's `action`), then back to its page."""
    assert view.visitor is not None
    form = await request.post()
    raw = form.get("comment")
    action = form.get("action")
    feedback = view.desk.feedback
    session_id = request.match_info["session"]
    if not isinstance(raw, str) or not raw.isdigit() or action not in ("hide", "unhide"):
        return web.Response(status=400, text="Bad request")
    try:
        record = await feedback.get(int(raw))
        if (
            record.consultation_id != consultation.id
            or record.session_id != session_id
            or record.comment is None
        ):
            raise web.HTTPNotFound()
        profile = view.visitor.profile
        await feedback.set_hidden(
            profile.user_id, profile.is_moderator, record.id, action == "hide"
        )
    except NotAllowed:
        return view.render("mod_refused.html", status=403, text_key="refused_text")
    except FeedbackNotFound:
        raise web.HTTPNotFound() from None
    page = request.query.get("page", "")
    return _see_other(view.link(f"{PREFIX}/s/{session_id}", page=page if page.isdigit() else ""))


async def _recommendations(
    request: web.Request, view: View, consultation: Consultation
) -> web.Response:
    feedback = view.desk.feedback
    records = await feedback.recommendations(consultation)
    themes = [(t.id, t.title.get(view.lang)) for t in feedback.themes(consultation)]
    themes.append((OTHER_THEME, _("Other")))
    known = {theme_id for theme_id, _title in themes}
    groups = []
    for theme_id, title in themes:
        items = [
            {
                "text": r.text,
                "author": r.signer_name or "?" if r.signed else None,
                "when": moment(r.created_at, consultation),
            }
            for r in records
            if r.theme_id == theme_id or (theme_id == OTHER_THEME and r.theme_id not in known)
        ]
        groups.append({"title": title, "entries": items})
    return view.render("mod_recommendations.html", groups=groups)


async def _questions(request: web.Request, view: View, consultation: Consultation) -> web.Response:
    questions = await view.desk.questions(consultation)
    statuses = {
        "waiting": _("waiting for approval"),
        "shown": _("shown"),
        "answered": _("answered"),
        HIDDEN: _("hidden"),
    }
    groups: list[dict[str, Any]] = []
    for question in questions:
        if not groups or groups[-1]["id"] != question.session_id:
            session = consultation.session(question.session_id)
            groups.append(
                {
                    "id": question.session_id,
                    "title": session.title.get(view.lang) if session else question.session_id,
                    "entries": [],
                }
            )
        hidden = question.status == HIDDEN
        groups[-1]["entries"].append(
            {
                "text": None if hidden else question.text,
                "author": None if hidden else question.display_name,
                "hidden": hidden,
                "votes": question.votes,
                "status": statuses.get(question.status, question.status),
                "pinned": question.pinned,
            }
        )
    return view.render("mod_questions.html", groups=groups)


async def _exports(request: web.Request, view: View, consultation: Consultation) -> web.Response:
    names = {
        "feedback": _("Session feedback"),
        "survey": _("Survey answers"),
        "recommendations": _("Recommendations"),
        "polls": _("Poll results"),
        "questions": _("Questions to the panels"),
    }
    items = [
        {
            "name": names[kind],
            "files": [
                {"label": fmt.upper(), "href": view.link(f"{PREFIX}/export/{kind}.{fmt}")}
                for fmt in FORMATS
            ],
        }
        for kind in EXPORTS
    ]
    return view.render("mod_exports.html", items=items)


async def _export(request: web.Request, view: View, consultation: Consultation) -> web.Response:
    kind, fmt = request.match_info["kind"], request.match_info["format"]
    if kind not in EXPORTS or fmt not in FORMATS:
        raise web.HTTPNotFound()
    desk = view.desk
    table = await desk.table(kind, consultation, view.lang)
    content = await asyncio.to_thread(render, table, fmt)
    name = _FILE_NAME.sub("_", f"{consultation.id}-{kind}-{desk.now_stamp(consultation)}.{fmt}")
    types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    return web.Response(
        body=content,
        headers={
            "Content-Type": types[fmt],
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


async def stylesheet(request: web.Request) -> web.Response:
    """The pages' stylesheet, then the view's own."""
    return stylesheets("site.css", "mod.css")


# Security headers on every answer, gzip where the browser takes it, a translated 404.
view_headers = finishing(
    SECURITY_HEADERS, lambda request: _refused(request, "not_found_text", status=404)
)


def make_desk(
    logins: ModeratorWeb,
    events: Callable[[], EventData],
    feedback: Feedback,
    panel: PanelQuestions,
    polls_table: Callable[[str, str], Awaitable[Table]],
    language_of: LanguageOf,
    clock: Clock,
    base_url: str | None,
) -> Desk:
    """The view on the chat's services (`feedback` with the panel's questions among its
    tables, as the bot builds it; `polls_table` is Polls.table)."""

    async def table(kind: str, consultation: Consultation, lang: str) -> Table:
        if kind == "polls":
            return await polls_table(consultation.id, lang)
        return await feedback.table(kind, consultation, lang)

    def now_stamp(consultation: Consultation) -> str:
        return clock.now().astimezone(consultation.timezone).strftime("%Y%m%d-%H%M")

    return Desk(
        logins=logins,
        events=events,
        feedback=feedback,
        questions=panel.of_consultation,
        table=table,
        language_of=language_of,
        now_stamp=now_stamp,
        base_url=base_url,
        templates=Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        ),
    )


def build_moderation(desk: Desk) -> web.Application:
    """The moderators' view, to mount at /mod."""
    app = web.Application(middlewares=[view_headers])
    app[DESK_KEY] = desk
    app.router.add_get("/mod.css", stylesheet)
    app.router.add_get("/enter/{token}", enter_page)
    app.router.add_post("/enter/{token}", enter)
    app.router.add_get("/", signed_in(_ratings))
    app.router.add_get("/s/{session}", signed_in(_session))
    app.router.add_get("/s/{session}/chart.png", signed_in(_chart))
    app.router.add_post("/s/{session}/comments", signed_in(_hide))
    app.router.add_get("/recommendations", signed_in(_recommendations))
    app.router.add_get("/questions", signed_in(_questions))
    app.router.add_get("/exports", signed_in(_exports))
    app.router.add_get("/export/{kind}.{format}", signed_in(_export))
    app.router.add_post("/logout", signed_in(_sign_out))
    return app
