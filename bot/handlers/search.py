"""/search: the sessions whose title, description, speakers or track meet some words, ranked and
paged, each with its day and time. Free text such as "sessions on localization" gets the same
answer (bot/handlers/ask.py)."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.agenda import session_buttons
from bot.handlers.common import out_of_date, page_buttons, reply, required_id, show
from bot.handlers.consultation import open_consultation, pressed_in_consultation
from bot.handlers.formatting import esc, quote, session_line, zone_note
from bot.i18n import _, ngettext
from bot.services.event_data import Consultation
from bot.services.sanitise import clean
from bot.services.session_search import SearchResult

RESULTS_PAGE = 8
MAX_CALLBACK_BYTES = 64
MAX_QUERY = 200
PREFIX = "se:s:"

Rows = list[list[InlineKeyboardButton]]


def results_text(
    consultation: Consultation,
    asked: str,
    result: SearchResult,
    page: int,
    page_data: Callable[[int], str] | None,
    starred: set[str],
) -> tuple[str, Rows]:
    """A page of search results: the text, and buttons opening each session (with ◀ ▶ when
    `page_data` gives each page's button data)."""
    sessions = list(result.sessions)
    count = max(1, -(-len(sessions) // RESULTS_PAGE))
    page = min(max(page, 0), count - 1)
    shown = sessions[page * RESULTS_PAGE : (page + 1) * RESULTS_PAGE]
    lines = [
        "🔎 <b>" + _("Search results for “{subject}”").format(subject=quote(asked)) + "</b>",
        "",
    ]
    if not sessions:
        lines.append(_("No session of the programme matches these words."))
        lines.append("")
        lines.append(
            _(
                "Try other or fewer words: a subject, a speaker's name or a track, in any "
                "language of the consultation. Or browse the days with /agenda and narrow "
                "them with 🔎 Filter."
            )
        )
        return "\n".join(lines), []
    lines.append(
        ngettext("{count} session found:", "{count} sessions found:", len(sessions)).format(
            count=len(sessions)
        )
    )
    lines.extend(
        session_line(s, consultation, starred=s.id in starred, with_day=True) for s in shown
    )
    if count > 1:
        lines.append("")
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=count))
    lines.append("")
    lines.append("<i>" + esc(zone_note(consultation)) + "</i>")
    rows = session_buttons(shown, consultation, starred)
    if count > 1 and page_data is not None:
        rows.append(page_buttons(page, count, page_data))
    return "\n".join(lines), rows


def _query_for_buttons(asked: str, result: SearchResult) -> str | None:
    """The search as paging buttons carry it (within Telegram's 64 bytes): as written, else
    the words searched for; None when even those do not fit (one page is then shown)."""
    room = MAX_CALLBACK_BYTES - len(f"{PREFIX}999:")
    for candidate in (asked, " ".join(result.words)):
        if candidate and len(candidate.encode()) <= room:
            return candidate
    return None


async def _starred(context: BotContext, consultation: Consultation) -> set[str]:
    if context.profile is None:
        return set()
    return await context.services.agenda.starred_ids(context.profile.user_id, consultation)


async def _search_page(
    update: Update, context: BotContext, consultation: Consultation, asked: str, page: int
) -> None:
    result = await context.services.agenda.search(consultation, asked)
    carried = _query_for_buttons(asked, result)

    def page_data(number: int) -> str:
        return f"{PREFIX}{number}:{carried}"

    text, rows = results_text(
        consultation,
        asked,
        result,
        page,
        page_data if carried is not None else None,
        await _starred(context, consultation),
    )
    markup = InlineKeyboardMarkup(rows) if rows else None
    if update.callback_query is not None:
        await show(update, context, text, markup)
    else:
        await reply(update, context, text, markup)


async def search_command(update: Update, context: BotContext) -> None:
    """/search words: the sessions on them."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    asked = clean(" ".join(context.args or ()), multiline=False).strip()[:MAX_QUERY]
    if not asked:
        await reply(
            update,
            context,
            _(
                "Send /search and some words to find the sessions on them, for example "
                "/search localization, or a speaker's name."
            ),
        )
        return
    await _search_page(update, context, consultation, asked, 0)


async def search_page_button(update: Update, context: BotContext) -> None:
    """se:s:<page>:<words>"""
    pressed = await pressed_in_consultation(update, context)
    if pressed is None:
        return
    query, data, consultation = pressed
    try:
        _prefix, _kind, page_text, asked = data.split(":", 3)
        page = required_id(page_text)
    except ValueError:
        await out_of_date(update)
        return
    await query.answer()
    await _search_page(update, context, consultation, asked, page)
