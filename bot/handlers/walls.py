"""Room screens: organisers, and a session's chairs, get the secret address of a projector's page
(/wall/<secret>) of a session or a room with /wall or 📺 on the session card; they can renew it
(the old address stops at once). Delegates never get one: every button is checked again."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext
from bot.handlers.agenda import card_part
from bot.handlers.common import out_of_date, page_buttons, reply, show
from bot.handlers.consultation import need_consultation, open_page
from bot.handlers.formatting import esc, moment, shorten, time_range
from bot.i18n import _, current_language
from bot.services.errors import NotAllowed, SessionNotFound
from bot.services.event_data import Consultation, Room, Session
from bot.services.walls import RoomNotFound, address
from bot.storage.walls import ROOM, SESSION

logger = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
PREFIX = "wl:"
PAGE_SIZE = 8
# In a button's data: a screen of a session, or of a room.
KIND_CODES = {"s": SESSION, "r": ROOM}
_CODE_OF = {kind: code for code, kind in KIND_CODES.items()}

Choice = tuple[str, Session | Room]


def _refusal() -> str:
    return _("Sorry, room screens are only for the organisers and the session's chairs.")


async def _choices(context: BotContext, consultation: Consultation) -> list[Choice]:
    """The screens the user may have: every room for organisers, then the sessions they chair
    (all of them for organisers), in programme order."""
    profile = context.profile
    if profile is None:
        return []
    walls = context.services.walls
    found: list[Choice] = []
    if consultation.rooms and await walls.may_have(
        profile.user_id, consultation, ROOM, consultation.rooms[0].id
    ):
        found += [(ROOM, room) for room in consultation.rooms]
    for session in consultation.sessions:
        if session.kind != "break" and await walls.may_have(
            profile.user_id, consultation, SESSION, session.id
        ):
            found.append((SESSION, session))
    return found


def _label(consultation: Consultation, kind: str, target: Session | Room) -> str:
    lang = current_language()
    if isinstance(target, Room):
        return "🚪 " + shorten(target.name.get(lang), 56)
    return shorten(f"{time_range(target, consultation)} · {target.title.get(lang)}", 60)


def _list_text() -> str:
    return (
        "📺 <b>"
        + _("Room screen")
        + "</b>\n"
        + _(
            "A page for the room's projector: the session on now, the audience's top "
            "questions and the open poll's results, as they change, and a QR code to join. "
            "Choose a room (its screen follows the programme) or a session."
        )
    )


async def _show_list(
    update: Update, context: BotContext, consultation: Consultation, page: int
) -> None:
    choices = await _choices(context, consultation)
    if not choices:
        await reply(update, context, _refusal())
        return
    count = max(1, -(-len(choices) // PAGE_SIZE))
    page = min(max(page, 0), count - 1)
    rows = [
        [
            InlineKeyboardButton(
                _label(consultation, kind, target),
                callback_data=f"{PREFIX}{_CODE_OF[kind]}:{target.id}",
            )
        ]
        for kind, target in choices[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    nav = page_buttons(page, count, lambda n: f"{PREFIX}p:{n}")
    if nav:
        rows.append(nav)
    await show(update, context, _list_text(), InlineKeyboardMarkup(rows))


async def show_walls(update: Update, context: BotContext) -> None:
    """/wall: the rooms and sessions whose screen the user may have, paged."""
    if context.profile is None:
        return
    consultation = await need_consultation(update, context)
    if consultation is None:
        return
    await _show_list(update, context, consultation, 0)


async def list_page_button(update: Update, context: BotContext) -> None:
    """wl:p:<page>"""
    opened = await open_page(update, context)
    if opened is not None:
        await _show_list(update, context, *opened)


def _title(consultation: Consultation, target: Session | Room) -> str:
    lang = current_language()
    if isinstance(target, Room):
        return target.name.get(lang)
    return target.title.get(lang)


def _markup(kind: str, target_id: str) -> InlineKeyboardMarkup:
    code = _CODE_OF[kind]
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "🔄 " + _("Renew the address"), callback_data=f"{PREFIX}n:{code}:{target_id}"
                )
            ],
            [InlineKeyboardButton("« " + _("Room screens"), callback_data=f"{PREFIX}p:0")],
        ]
    )


def _address_text(title: str, url: str) -> str:
    return (
        "📺 <b>"
        + _("Room screen")
        + "</b> — "
        + esc(title)
        + "\n\n"
        + f"<code>{html.escape(url)}</code>\n\n"
        + _(
            "Open it in the browser of the room's computer and show it full screen; it updates "
            "itself. Add ?lang=fr, ?lang=es or ?lang=ar to the address for another language.\n\n"
            "Anyone with the address can see the screen (questions and poll results, never the "
            "name of an anonymous asker): give it only to whoever runs the projector. Renew it "
            "if it went further, and the old address stops at once."
        )
    )


async def _pressed(
    update: Update, context: BotContext, code: str, target_id: str
) -> tuple[Consultation, str, Session | Room] | None:
    """The screen a button names, if the user may have it (else refused)."""
    query = update.callback_query
    profile = context.profile
    kind = KIND_CODES.get(code)
    if query is None or profile is None or kind is None:
        await out_of_date(update)
        return None
    consultation = await need_consultation(update, context)
    if consultation is None:
        return None
    walls = context.services.walls
    try:
        target = walls.target(consultation, kind, target_id)
    except (SessionNotFound, RoomNotFound):
        await out_of_date(update)
        return None
    if not await walls.may_have(profile.user_id, consultation, kind, target_id):
        await query.answer(_refusal(), show_alert=True)
        return None
    return consultation, kind, target


async def screen_button(update: Update, context: BotContext) -> None:
    """wl:s:<session>, wl:r:<room>: the screen's address (a new one the first time)."""
    query = update.callback_query
    parts = (query.data or "").split(":", 2) if query else []
    if len(parts) != 3:
        await out_of_date(update)
        return
    found = await _pressed(update, context, parts[1], parts[2])
    if found is None or context.profile is None or query is None:
        return
    consultation, kind, target = found
    base_url = context.services.config.web_base_url
    if not base_url:
        await query.answer(
            _("Room screens need the web pages: the organisers set WEB_BASE_URL."),
            show_alert=True,
        )
        return
    await query.answer()
    walls = context.services.walls
    issued = await walls.issued_at(consultation, kind, target.id)
    if issued is not None:
        # Only a hash of it is kept: the address itself cannot be shown again.
        text = (
            "📺 <b>"
            + _("Room screen")
            + "</b> — "
            + esc(_title(consultation, target))
            + "\n\n"
            + _(
                "This screen has had an address since {time}; it keeps working. Only a "
                "fingerprint of it is kept, so it cannot be shown again: renew it to get a new "
                "one (the old one stops at once, on the projector too)."
            ).format(time=moment(issued, consultation))
        )
        await show(update, context, text, _markup(kind, target.id))
        return
    await _issue(update, context, consultation, kind, target, base_url)


async def renew_button(update: Update, context: BotContext) -> None:
    """wl:n:<s|r>:<id>: a new address; the old one stops at once."""
    query = update.callback_query
    parts = (query.data or "").split(":", 3) if query else []
    if len(parts) != 4:
        await out_of_date(update)
        return
    found = await _pressed(update, context, parts[2], parts[3])
    if found is None or query is None:
        return
    await query.answer()
    base_url = context.services.config.web_base_url
    if base_url:
        await _issue(update, context, *found, base_url)


async def _issue(
    update: Update,
    context: BotContext,
    consultation: Consultation,
    kind: str,
    target: Session | Room,
    base_url: str,
) -> None:
    assert context.profile is not None
    try:
        secret = await context.services.walls.issue(
            context.profile.user_id, consultation, kind, target.id
        )
    except NotAllowed:
        await reply(update, context, _refusal())
        return
    logger.info(
        "Room screen of %s %s/%s issued by %d",
        kind,
        consultation.id,
        target.id,
        context.profile.user_id,
    )
    url = address(base_url, secret)
    await show(
        update,
        context,
        _address_text(_title(consultation, target), url),
        _markup(kind, target.id),
    )


@card_part
async def wall_part(
    context: BotContext, consultation: Consultation, session: Session
) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """📺 Room screen, for the session's chairs and the organisers (with the web pages)."""
    profile = context.profile
    if profile is None or session.kind == "break" or not context.services.config.web_base_url:
        return [], []
    if not await context.services.walls.may_have(
        profile.user_id, consultation, SESSION, session.id
    ):
        return [], []
    label = "📺 " + _("Room screen")
    return [], [[InlineKeyboardButton(label, callback_data=f"{PREFIX}s:{session.id}")]]


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("wall", show_walls, filters=PRIVATE))
    application.add_handler(CallbackQueryHandler(list_page_button, pattern=rf"^{PREFIX}p:"))
    application.add_handler(CallbackQueryHandler(screen_button, pattern=rf"^{PREFIX}[sr]:"))
    application.add_handler(CallbackQueryHandler(renew_button, pattern=rf"^{PREFIX}n:"))
