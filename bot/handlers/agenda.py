"""The programme: days, session cards, now/next, the personal agenda and its calendar file."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update

from bot.context import BotContext
from bot.handlers.common import (
    out_of_date,
    page_buttons,
    reply,
    required_id,
    show,
)
from bot.handlers.consultation import open_consultation, pressed_in_consultation
from bot.handlers.formatting import (
    clock_time,
    day_long,
    day_short,
    esc,
    filters_line,
    join_list,
    session_card,
    session_line,
    shorten,
    spans_days,
    start_day,
    zone_note,
)
from bot.handlers.speakers import speaker_rows
from bot.i18n import RTL, _, current_language, ngettext
from bot.services.calendar import build_ics, ics_filename
from bot.services.calendar_feeds import addresses
from bot.services.event_data import Consultation, Session
from bot.services.programme_filters import NO_FILTERS, Filters, decode, encode, page_at, pages

PAGE_SIZE = 8
DAYS_LISTED = 7  # a week's days fit under a list, each a tap away

# What other features add to a session card (sign-ups): lines under it, rows of buttons above
# the way back. Registered with @card_part by their modules.
CardPart = Callable[
    [BotContext, Consultation, Session],
    Awaitable[tuple[list[str], list[list[InlineKeyboardButton]]]],
]
CARD_PARTS: list[CardPart] = []


def card_part(part: CardPart) -> CardPart:
    CARD_PARTS.append(part)
    return part


def _button_label(
    session: Session, consultation: Consultation, starred: bool, with_day: bool = False
) -> str:
    start = clock_time(session.start, consultation.timezone)
    if with_day:
        start = f"{day_short(start_day(session, consultation))} · {start}"
    title = shorten(session.title.get(current_language()))
    return f"{'⭐ ' if starred else ''}{start} · {title}"


def session_buttons(
    sessions: list[Session], consultation: Consultation, starred: set[str]
) -> list[list[InlineKeyboardButton]]:
    """A button opening each session's card (breaks have none); with the day when the list
    spans days."""
    with_day = spans_days(sessions, consultation)
    return [
        [
            InlineKeyboardButton(
                _button_label(s, consultation, s.id in starred, with_day),
                callback_data=f"ag:s:{s.id}",
            )
        ]
        for s in sessions
        if s.kind != "break"
    ]


def day_data(day: date, page: int, token: str = "") -> str:
    """ag:d:<date>:<page>[:<filters>]: a page of a day's list."""
    return f"ag:d:{day}:{page}" + (f":{token}" if token else "")


def now_data(include_now: bool, page: int, token: str = "") -> str:
    """ag:n:<1 with what is on now | 0 next only>:<page>[:<filters>]"""
    return f"ag:n:{'1' if include_now else '0'}:{page}" + (f":{token}" if token else "")


def filter_button(where: str, token: str) -> InlineKeyboardButton:
    """🔎 Filter: the menu of what a list can be narrowed by (`where`: a day, or n1/n0 for
    /now and /next)."""
    return InlineKeyboardButton("🔎 " + _("Filter"), callback_data=f"ag:f:{where}:{token}")


def clear_button(data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton("✖ " + _("Clear filters"), callback_data=data)


def read_filters(context: BotContext, consultation: Consultation, token: str) -> Filters:
    """The filters a button's token stands for; ValueError when it is out of date."""
    return decode(token, context.services.agenda.facets(consultation))


def _filter_row(
    context: BotContext, consultation: Consultation, where: str, token: str, clear: str
) -> list[InlineKeyboardButton]:
    if not context.services.agenda.facets(consultation).dimensions:
        return []
    row = [filter_button(where, token)]
    if token:
        row.append(clear_button(clear))
    return row


async def _starred(context: BotContext, consultation: Consultation) -> set[str]:
    if context.profile is None:
        return set()
    return await context.services.agenda.starred_ids(context.profile.user_id, consultation)


def now_page(context: BotContext, consultation: Consultation, filters: Filters) -> int | None:
    """The page of today's list holding the current time (None: the consultation is not on
    today, or today's sessions are over)."""
    moment = context.services.clock.now()
    today = consultation.day_of(moment)
    if today not in consultation.days():
        return None
    return page_at(filters.apply(consultation.sessions_on(today)), moment, PAGE_SIZE)


async def day_page(
    update: Update,
    context: BotContext,
    consultation: Consultation,
    day: date,
    page: int,
    filters: Filters = NO_FILTERS,
) -> None:
    """A page of a day's programme, narrowed by `filters`."""
    token = encode(filters, context.services.agenda.facets(consultation))
    sessions = filters.apply(consultation.sessions_on(day))
    count = pages(len(sessions), PAGE_SIZE)
    page = min(max(page, 0), count - 1)
    shown = sessions[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    starred = await _starred(context, consultation)
    lang = current_language()
    lines = [
        "📅 <b>" + esc(day_long(day)) + "</b>",
        "<i>" + esc(consultation.name.get(lang)) + "</i>",
        "",
    ]
    if filters:
        lines.append("🔎 " + filters_line(context.services.agenda.facets(consultation), filters))
        lines.append("")
    if not sessions:
        lines.append(
            _("No session on this day matches these filters.")
            if filters
            else _("No sessions on this day.")
        )
    lines.extend(session_line(s, consultation, starred=s.id in starred) for s in shown)
    if count > 1:
        lines.append("")
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=count))
    lines.append("")
    lines.append("<i>" + esc(zone_note(consultation)) + "</i>")
    lines.append(_("Tap a session to open it, then ⭐ to add it to your agenda."))
    rows = session_buttons(shown, consultation, starred)
    if count > 1:
        rows.append(page_buttons(page, count, lambda n: day_data(day, n, token)))
    tools = _filter_row(context, consultation, str(day), token, day_data(day, 0))
    now = now_page(context, consultation, filters)
    today = consultation.day_of(context.services.clock.now())
    if now is not None and (today, now) != (day, page):
        tools.insert(1, InlineKeyboardButton("⏱ " + _("Now"), callback_data=f"ag:w:{token}"))
    if tools:
        rows.append(tools)
    rows += _day_rows(consultation, day, token)
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


def other_days(consultation: Consultation, day: date) -> list[date]:
    """The days a day list leads to in one tap: every other one in a consultation of up to
    `DAYS_LISTED` days, else the day before and the day after."""
    days = consultation.days()
    index = days.index(day)
    if len(days) <= DAYS_LISTED:
        return [d for d in days if d != day]
    return [d for d in days[max(0, index - 1) : index + 2] if d != day]


def _day_rows(
    consultation: Consultation, day: date, token: str
) -> list[list[InlineKeyboardButton]]:
    buttons = [
        InlineKeyboardButton(
            "« " + day_short(other) if other < day else day_short(other) + " »",
            callback_data=day_data(other, 0, token),
        )
        for other in other_days(consultation, day)
    ]
    # Telegram lays rows out left to right: in a right-to-left language the later days go left.
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return [row[::-1] for row in rows] if current_language() in RTL else rows


async def show_agenda(update: Update, context: BotContext) -> None:
    """/agenda: today's programme (or the first day's), paged."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    await day_page(
        update, context, consultation, context.services.agenda.default_day(consultation), 0
    )


async def agenda_day_button(update: Update, context: BotContext) -> None:
    """ag:d:<date>:<page>[:<filters>]"""
    pressed = await pressed_in_consultation(update, context)
    if pressed is None:
        return
    query, data, consultation = pressed
    try:
        _prefix, _kind, day_text, page_text, *rest = data.split(":")
        day = date.fromisoformat(day_text)
        page = required_id(page_text)
        if len(rest) > 1:
            raise ValueError(data)
        filters = read_filters(context, consultation, rest[0] if rest else "")
    except ValueError:
        await out_of_date(update)
        return
    if day not in consultation.days():
        await out_of_date(update)
        return
    await query.answer()
    await day_page(update, context, consultation, day, page, filters)


async def now_jump_button(update: Update, context: BotContext) -> None:
    """ag:w:<filters>: today's list, at the page holding the current time."""
    pressed = await pressed_in_consultation(update, context)
    if pressed is None:
        return
    query, data, consultation = pressed
    try:
        filters = read_filters(context, consultation, data.split(":", 2)[2])
    except (ValueError, IndexError):
        await out_of_date(update)
        return
    await query.answer()
    page = now_page(context, consultation, filters)
    day = context.services.agenda.default_day(consultation)
    await day_page(update, context, consultation, day, page or 0, filters)


def _card_keyboard(
    session: Session,
    consultation: Consultation,
    starred: bool,
    more: list[list[InlineKeyboardButton]],
) -> InlineKeyboardMarkup:
    star = (
        InlineKeyboardButton(
            "★ " + _("Remove from my agenda"), callback_data=f"ag:t:{session.id}:0"
        )
        if starred
        else InlineKeyboardButton(
            "⭐ " + _("Add to my agenda"), callback_data=f"ag:t:{session.id}:1"
        )
    )
    day = consultation.day_of(session.start)
    index = consultation.sessions_on(day).index(session)
    back = InlineKeyboardButton(
        "« " + _("Back to {day}").format(day=day_short(day)),
        callback_data=f"ag:d:{day}:{index // PAGE_SIZE}",
    )
    rows = [[star], *speaker_rows(session), *more, [back]]
    room = consultation.room(session.room_id)
    if room is not None:
        # The room of rooms.yaml: where it is and how to get there, one tap away.
        name = shorten(room.name.get(current_language()))
        label = "📍 " + _("How to get to {room}").format(room=name)
        rows.insert(-1, [InlineKeyboardButton(label, callback_data=f"rm:c:{room.id}")])
    return InlineKeyboardMarkup(rows)


async def show_card(
    update: Update, context: BotContext, consultation: Consultation, session: Session
) -> None:
    """Show a session's card, with what other features add to it."""
    starred = False
    if context.profile is not None:
        starred = await context.services.agenda.is_starred(
            context.profile.user_id, consultation, session.id
        )
    text = session_card(session, consultation, starred=starred)
    rows: list[list[InlineKeyboardButton]] = []
    for part in CARD_PARTS:
        lines, buttons = await part(context, consultation, session)
        text += "".join("\n" + line for line in lines)
        rows += buttons
    markup = _card_keyboard(session, consultation, starred, rows)
    query = update.callback_query
    if query is not None and query.message is not None:
        # Opened from a filtered list: its way back leads to that list, at the session's page.
        markup = _back_with_filters(context, markup, consultation, session, query.message)
    await show(update, context, text, markup)


async def _session_from_query(
    update: Update, context: BotContext
) -> tuple[Consultation, Session] | None:
    query = update.callback_query
    if query is None or query.data is None:
        return None
    consultation = context.consultation
    # ag:s:<session> or ag:t:<session>:<1 to add | 0 to remove>; ids hold no ':'.
    session_id = query.data.split(":")[2] if query.data.count(":") >= 2 else ""
    session = consultation.session(session_id) if consultation else None
    if consultation is None or session is None:
        await query.answer(_("This session is no longer in the programme."), show_alert=True)
        return None
    return consultation, session


def _list_token(message: object) -> str:
    """The filters of the list (or of the card opened from it) a button was pressed on."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return ""
    for row in message.reply_markup.inline_keyboard:
        for button in row:
            parts = str(button.callback_data or "").split(":")
            if parts[:2] == ["ag", "f"] and len(parts) == 4:
                return parts[3]
            if parts[:2] == ["ag", "d"] and len(parts) == 5:
                return parts[4]
    return ""


def _back_with_filters(
    context: BotContext,
    markup: InlineKeyboardMarkup,
    consultation: Consultation,
    session: Session,
    previous: object,
) -> InlineKeyboardMarkup:
    """The card's buttons, its way back leading to the filtered list it was opened from, at
    the page holding the session."""
    token = _list_token(previous)
    try:
        filters = read_filters(context, consultation, token)
    except ValueError:
        return markup
    day = consultation.day_of(session.start)
    listed = filters.apply(consultation.sessions_on(day))
    if not filters or session not in listed:
        return markup
    back = day_data(day, listed.index(session) // PAGE_SIZE, token)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.text, callback_data=back)
                if str(button.callback_data or "").startswith("ag:d:")
                else button
                for button in row
            ]
            for row in markup.inline_keyboard
        ]
    )


async def session_button(update: Update, context: BotContext) -> None:
    """ag:s:<session>: open a session card."""
    found = await _session_from_query(update, context)
    if found is None or update.callback_query is None or context.profile is None:
        return
    consultation, session = found
    await update.callback_query.answer()
    # Opening a card while the session is on counts as attending: it gets the feedback prompt.
    await context.services.feedback.record_card_open(
        context.profile.user_id, consultation, session
    )
    await show_card(update, context, consultation, session)


async def star_button(update: Update, context: BotContext) -> None:
    """ag:t:<session>:<1|0>: add to or remove from the personal agenda.

    The wanted state travels in the button, so a double tap or an old card cannot undo it.
    """
    found = await _session_from_query(update, context)
    query = update.callback_query
    if found is None or query is None or query.data is None or context.profile is None:
        return
    consultation, session = found
    starred = query.data.endswith(":1")
    await context.services.agenda.set_star(
        context.profile.user_id, consultation, session.id, starred
    )
    await query.answer(_("Added to your agenda.") if starred else _("Removed from your agenda."))
    await show_card(update, context, consultation, session)


NOW_PAGE_SIZE = 10


async def now_next(
    update: Update,
    context: BotContext,
    *,
    include_now: bool,
    page: int = 0,
    filters: Filters = NO_FILTERS,
) -> None:
    """/now and /next (`include_now` False), narrowed by `filters`: what is on now, coffee
    breaks too, and the next real sessions."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    facets = context.services.agenda.facets(consultation)
    token = encode(filters, facets)
    result = context.services.agenda.now_and_next(consultation, filters)
    starred = await _starred(context, consultation)
    moment = context.services.clock.now()
    running = result.now if include_now else []
    # A large programme (dozens of rooms) is paged like the agenda.
    items = running + result.next
    count = pages(len(items), NOW_PAGE_SIZE)
    page = min(max(page, 0), count - 1)
    shown = items[page * NOW_PAGE_SIZE : (page + 1) * NOW_PAGE_SIZE]
    shown_now = [s for s in shown if s in running]
    shown_next = [s for s in shown if s not in running]
    lines: list[str] = []
    if filters:
        lines.append("🔎 " + filters_line(facets, filters))
        lines.append("")
    if include_now and (page == 0 or shown_now):
        lines.append("🔴 <b>" + _("On now") + "</b>")
        if running:
            lines.extend(session_line(s, consultation, starred=s.id in starred) for s in shown_now)
        else:
            lines.append(_("Nothing is on right now."))
        lines.append("")
    if shown_next or page == count - 1:
        lines.append("⏭ <b>" + _("Next") + "</b>")
    if shown_next:
        day = shown_next[0].start.astimezone(consultation.timezone).date()
        if day != moment.astimezone(consultation.timezone).date():
            lines.append(esc(day_long(day)))
        lines.extend(session_line(s, consultation, starred=s.id in starred) for s in shown_next)
    elif page == count - 1 and not result.next:
        if moment.astimezone(consultation.timezone).date() > consultation.end:
            lines.append(_("The consultation is over. Thank you for taking part!"))
        else:
            lines.append(_("No more sessions today."))
    if count > 1:
        lines.append("")
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=count))
    lines.append("")
    lines.append("<i>" + esc(zone_note(consultation)) + "</i>")
    rows = session_buttons(shown, consultation, starred)
    if count > 1:
        rows.append(page_buttons(page, count, lambda n: now_data(include_now, n, token)))
    where = "n1" if include_now else "n0"
    tools = _filter_row(context, consultation, where, token, now_data(include_now, 0))
    if tools:
        rows.append(tools)
    markup = InlineKeyboardMarkup(rows) if rows else None
    query_data = update.callback_query.data if update.callback_query else None
    if (query_data or "").startswith(("ag:n:", "ag:v:", "ag:f:")):
        await show(update, context, "\n".join(lines), markup)
    else:
        await reply(update, context, "\n".join(lines), markup)


async def now_page_button(update: Update, context: BotContext) -> None:
    """ag:n:<1 with what is on now | 0 next only>:<page>[:<filters>]"""
    pressed = await pressed_in_consultation(update, context)
    if pressed is None:
        return
    _query, data, consultation = pressed
    try:
        _prefix, _kind, flag, page_text, *rest = data.split(":")
        page = required_id(page_text)
        if len(rest) > 1 or flag not in ("0", "1"):
            raise ValueError(data)
        filters = read_filters(context, consultation, rest[0] if rest else "")
    except ValueError:
        await out_of_date(update)
        return
    await now_next(update, context, include_now=flag == "1", page=page, filters=filters)


async def show_now(update: Update, context: BotContext) -> None:
    """/now: what is on now, and what comes next."""
    await now_next(update, context, include_now=True)


async def show_next(update: Update, context: BotContext) -> None:
    """/next: the next sessions."""
    await now_next(update, context, include_now=False)


async def show_my_agenda(update: Update, context: BotContext) -> None:
    """/my: the personal agenda, with clashes flagged."""
    consultation = await open_consultation(update, context)
    if consultation is None or context.profile is None:
        return
    items = await context.services.agenda.personal(context.profile.user_id, consultation)
    if not items:
        await reply(
            update,
            context,
            _(
                "Your agenda is empty. Open a session in /agenda and tap ⭐ "
                "to add it to your agenda."
            ),
        )
        return
    lang = current_language()
    lines = [
        "⭐ <b>" + _("My agenda") + "</b> — " + esc(consultation.name.get(lang)),
        ngettext("{count} session", "{count} sessions", len(items)).format(count=len(items)),
    ]
    current_day: date | None = None
    clashes = 0
    for item in items:
        day = item.session.start.astimezone(consultation.timezone).date()
        if day != current_day:
            lines.append("")
            lines.append("<b>" + esc(day_long(day)) + "</b>")
            current_day = day
        lines.append(session_line(item.session, consultation, starred=True))
        if item.clashes_with:
            clashes += 1
            others = join_list([esc(o.title.get(lang)) for o in item.clashes_with])
            lines.append("   ⚠️ " + _("Overlaps with: {sessions}").format(sessions=others))
    if clashes:
        lines.append("")
        lines.append(
            ngettext(
                "⚠️ {count} session overlaps another one you picked.",
                "⚠️ {count} sessions overlap others you picked.",
                clashes,
            ).format(count=clashes)
        )
    lines.append("")
    lines.append("<i>" + esc(zone_note(consultation)) + "</i>")
    rows = session_buttons([i.session for i in items], consultation, {i.session.id for i in items})
    rows.append(
        [InlineKeyboardButton("📆 " + _("Add to my phone's calendar"), callback_data="my:ics")]
    )
    await reply(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def send_calendar(update: Update, context: BotContext) -> None:
    """/calendar: the personal agenda as an .ics file."""
    consultation = await open_consultation(update, context)
    chat = update.effective_chat
    if consultation is None or context.profile is None or chat is None:
        return
    items = await context.services.agenda.personal(context.profile.user_id, consultation)
    # Without a web address, the file is all there is: said with it, in the same message.
    unavailable = "" if context.services.config.web_base_url else "\n\n" + _not_enabled()
    if not items:
        await reply(
            update,
            context,
            _(
                "Your agenda is empty, so there is nothing to put in a calendar yet. "
                "Open a session in /agenda and tap ⭐ to add it."
            )
            + unavailable,
        )
        await offer_subscription(update, context, consultation)
        return
    lang = current_language()
    # The phone reminds the delegate as the bot does: at their lead time, or not at all.
    reminders = await context.services.reminders.settings(context.profile.user_id)
    content = build_ics(
        consultation,
        [i.session for i in items],
        lang,
        context.services.clock.now(),
        alarm=timedelta(minutes=reminders.lead) if reminders.reminders_on else None,
    )
    caption = ngettext(
        "Your agenda: {count} session. Open the file to add it to your calendar.",
        "Your agenda: {count} sessions. Open the file to add them to your calendar.",
        len(items),
    ).format(count=len(items))
    await context.bot.send_document(
        chat.id,
        InputFile(content, filename=ics_filename(consultation), attach=True),
        caption=caption + unavailable,
    )
    await offer_subscription(update, context, consultation)


RENEW = "cal:renew"


def _renew_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("🔄 " + _("Renew the address"), callback_data=RENEW)]]
    )


def _not_enabled() -> str:
    return _(
        "A calendar address that follows changes to your agenda is not available: the "
        "organisers have not enabled it. Send /calendar again after a change for a new file."
    )


def _address_text(base_url: str, secret: str) -> str:
    webcal, https = addresses(base_url, secret)
    return _(
        "📆 <b>Your calendar address</b>\n"
        "Add it to your phone's calendar as a subscription: it will always show your agenda "
        "as it is now, with the sessions you star, sessions that move or are cancelled, and "
        "reminders at your reminder time.\n\n"
        "{webcal}\n\n"
        "For a calendar that asks for a web address:\n{https}\n\n"
        "Keep it to yourself: anyone who has it can see your agenda. If it was shared by "
        "mistake, renew it and the old one stops working at once."
    ).format(
        webcal=f"<code>{html.escape(webcal)}</code>", https=f"<code>{html.escape(https)}</code>"
    )


async def offer_subscription(
    update: Update, context: BotContext, consultation: Consultation
) -> None:
    """After the calendar file: the personal address that phone calendars follow (when the
    organisers set WEB_BASE_URL)."""
    if context.profile is None:
        return
    base_url = context.services.config.web_base_url
    if not base_url:
        return  # said in the file's caption
    feeds = context.services.calendar_feeds
    user_id = context.profile.user_id
    if await feeds.issued_at(user_id, consultation.id) is not None:
        # Only a hash of it is kept: the address itself cannot be shown again.
        text = _(
            "📆 You already have a calendar address, sent earlier in this chat; your phone's "
            "calendar keeps following it. To get a new one, renew it: the old address stops "
            "working at once."
        )
    else:
        text = _address_text(base_url, await feeds.issue(user_id, consultation.id))
    await reply(update, context, text, _renew_markup())


async def renew_calendar_address(update: Update, context: BotContext) -> None:
    """The "Renew the address" button: a new secret; the old address stops at once."""
    consultation = await open_consultation(update, context)
    base_url = context.services.config.web_base_url
    if consultation is None or context.profile is None or not base_url:
        return
    secret = await context.services.calendar_feeds.issue(context.profile.user_id, consultation.id)
    await show(update, context, _address_text(base_url, secret), _renew_markup())
