"""The venue's rooms: /rooms, a room's card (where it is, how to get there, its map, what is on
there) and the room's sessions."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.common import out_of_date, page_buttons, reply, required_id, show
from bot.handlers.consultation import open_consultation, pressed_in_consultation
from bot.handlers.formatting import (
    day_long,
    esc,
    join_list,
    language_name,
    shorten,
    time_range,
    zone_note,
)
from bot.handlers.uploads import send_file
from bot.i18n import _, current_language, isolate, ngettext
from bot.services.event_data import Consultation, Room, Session
from bot.services.rooms import on_in, sessions_in

logger = logging.getLogger(__name__)

PREFIX = "rm:"
PAGE_SIZE = 8


def room_rows(room: Room) -> list[list[InlineKeyboardButton]]:
    """The buttons under a room's card: its sessions, and every room."""
    return [
        [
            InlineKeyboardButton(
                "📅 " + _("Sessions in this room"), callback_data=f"rm:s:{room.id}:0"
            )
        ],
        [InlineKeyboardButton("🏛 " + _("All rooms"), callback_data="rm:l")],
    ]


def _session_line(session: Session, consultation: Consultation, *, with_day: bool) -> str:
    """A session in a room's card or list: its time and title (the room goes without saying)."""
    lang = current_language()
    when = time_range(session, consultation)
    if with_day:
        day = consultation.day_of(session.start)
        when = f"{esc(day_long(day))} · {when}"
    return f"• <code>{when}</code> {esc(session.title.get(lang))}"


def _channels(room: Room) -> str:
    """English, French and Spanish; or channel 1: English, channel 2: French."""
    if any(c.channel is not None for c in room.interpretation):
        return join_list(
            [
                _("{language} (channel {channel})").format(
                    channel=esc(c.channel or ""), language=esc(language_name(c.language))
                )
                for c in room.interpretation
            ]
        )
    return esc(join_list([language_name(c.language) for c in room.interpretation]))


def room_card(room: Room, consultation: Consultation, now: datetime) -> str:
    """Where a room is and how to get there, then what is on there now and next."""
    lang = current_language()
    lines = ["📍 <b>" + esc(isolate(room.name.get(lang))) + "</b>"]
    if room.location:
        lines.append("🏢 " + esc(room.location.get(lang)))
    if room.capacity:
        lines.append(
            "👥 "
            + ngettext("{count} seat", "{count} seats", room.capacity).format(count=room.capacity)
        )
    if room.directions:
        lines += ["", "🧭 <b>" + _("How to get there") + "</b>", esc(room.directions.get(lang))]
    if room.accessibility:
        lines += ["", "♿ <b>" + _("Accessibility") + "</b>", esc(room.accessibility.get(lang))]
    if room.interpretation:
        lines += ["", "🎧 " + _("Interpretation: {languages}").format(languages=_channels(room))]
    found = on_in(consultation, room.id, now)
    today = consultation.day_of(now)
    lines += ["", "🔴 <b>" + _("On now") + "</b>"]
    if found.now:
        lines += [_session_line(s, consultation, with_day=False) for s in found.now]
    else:
        lines.append(_("Nothing is on here right now."))
    lines.append("⏭ <b>" + _("Next") + "</b>")
    if found.next:
        lines += [
            _session_line(s, consultation, with_day=consultation.day_of(s.start) != today)
            for s in found.next
        ]
    else:
        lines.append(_("Nothing more is planned here."))
    lines += ["", f"<i>{esc(zone_note(consultation))}</i>"]
    return "\n".join(lines)


async def send_room_map(context: BotContext, chat_id: int, room: Room) -> None:
    """The room's map as a photo (uploaded once, then sent by file_id); a map that cannot be
    read (removed since the data was loaded) is left out."""
    if room.map is None:
        return
    caption = "🗺 " + esc(isolate(room.name.get(current_language())))
    await send_file(context, chat_id, room.map.path, "photo", caption)


async def send_room(
    update: Update,
    context: BotContext,
    consultation: Consultation,
    room: Room,
    markup: InlineKeyboardMarkup,
) -> None:
    """A room's map (when it has one), then its card with `markup` under it."""
    chat = update.effective_chat
    if chat is None:
        return
    await send_room_map(context, chat.id, room)
    await reply(
        update, context, room_card(room, consultation, context.services.clock.now()), markup
    )


def _rooms_text_and_keyboard(
    consultation: Consultation,
) -> tuple[str, InlineKeyboardMarkup | None]:
    lang = current_language()
    title = "🏛 <b>" + _("Rooms") + "</b> — " + esc(consultation.name.get(lang))
    if not consultation.rooms:
        return title + "\n\n" + _("The organisers have not listed the rooms yet."), None
    text = title + "\n\n" + _("Tap a room to see where it is and how to get there.")
    buttons = [
        InlineKeyboardButton(shorten(room.name.get(lang)), callback_data=f"rm:c:{room.id}")
        for room in consultation.rooms
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return text, InlineKeyboardMarkup(rows)


async def show_rooms(update: Update, context: BotContext) -> None:
    """/rooms: the venue's rooms, each a button to its card."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    text, markup = _rooms_text_and_keyboard(consultation)
    await show(update, context, text, markup)


async def _room_from_query(
    update: Update, context: BotContext
) -> tuple[Consultation, Room] | None:
    """The consultation and the room a button names (rm:<kind>:<room>[:…]); None, the press
    answered, when the room is no longer listed."""
    pressed = await pressed_in_consultation(update, context)
    if pressed is None:
        return None
    query, data, consultation = pressed
    parts = data.split(":")
    room = consultation.room(parts[2]) if len(parts) >= 3 else None
    if room is None:
        await query.answer(_("This room is no longer listed."), show_alert=True)
        return None
    return consultation, room


async def room_button(update: Update, context: BotContext) -> None:
    """rm:c:<room>: the room's map and card, as new messages (the list stays to pick another)."""
    found = await _room_from_query(update, context)
    if found is None or update.callback_query is None:
        return
    consultation, room = found
    await update.callback_query.answer()
    await send_room(update, context, consultation, room, InlineKeyboardMarkup(room_rows(room)))


async def room_back_button(update: Update, context: BotContext) -> None:
    """rm:b:<room>: back from the room's sessions to its card, in place (no map again)."""
    found = await _room_from_query(update, context)
    if found is None or update.callback_query is None:
        return
    consultation, room = found
    await update.callback_query.answer()
    text = room_card(room, consultation, context.services.clock.now())
    await show(update, context, text, InlineKeyboardMarkup(room_rows(room)))


async def room_sessions_button(update: Update, context: BotContext) -> None:
    """rm:s:<room>:<page>: the room's sessions, day by day, each a button to its card."""
    found = await _room_from_query(update, context)
    query = update.callback_query
    if found is None or query is None or query.data is None:
        return
    consultation, room = found
    try:
        page = required_id(query.data.split(":")[3])
    except (IndexError, ValueError):
        await out_of_date(update)
        return
    await query.answer()
    lang = current_language()
    sessions = sessions_in(consultation, room.id)
    pages = max(1, -(-len(sessions) // PAGE_SIZE))
    page = min(page, pages - 1)
    shown = sessions[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [
        "📅 <b>" + _("Sessions in {room}").format(room=esc(isolate(room.name.get(lang)))) + "</b>",
    ]
    if not sessions:
        lines.append(_("No sessions in this room."))
    day = None
    for session in shown:
        if consultation.day_of(session.start) != day:
            day = consultation.day_of(session.start)
            lines += ["", "<b>" + esc(day_long(day)) + "</b>"]
        lines.append(_session_line(session, consultation, with_day=False))
    if pages > 1:
        lines += ["", _("Page {page} of {pages}").format(page=page + 1, pages=pages)]
    lines += ["", f"<i>{esc(zone_note(consultation))}</i>"]
    rows = [
        [InlineKeyboardButton(shorten(s.title.get(lang), 60), callback_data=f"ag:s:{s.id}")]
        for s in shown
        if s.kind != "break"
    ]
    paging = page_buttons(page, pages, lambda n: f"rm:s:{room.id}:{n}")
    if paging:
        rows.append(paging)
    rows.append(
        [
            InlineKeyboardButton(
                "« " + shorten(room.name.get(lang)), callback_data=f"rm:b:{room.id}"
            )
        ]
    )
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))
