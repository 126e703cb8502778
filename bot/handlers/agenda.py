"""The programme: days, session cards, now/next, the personal agenda and its calendar file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.context import BotContext
from bot.handlers.common import (
    in_reading_order,
    out_of_date,
    page_buttons,
    reply,
    required_id,
    show,
)
from bot.handlers.consultation import need_consultation, open_consultation
from bot.handlers.formatting import (
    clock_time,
    day_long,
    day_short,
    esc,
    join_list,
    session_card,
    session_line,
    shorten,
    zone_note,
)
from bot.i18n import _, current_language, ngettext
from bot.services.calendar import build_ics, ics_filename
from bot.services.event_data import Consultation, Session

PAGE_SIZE = 8

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


def _button_label(session: Session, consultation: Consultation, starred: bool) -> str:
    start = clock_time(session.start, consultation.timezone)
    title = shorten(session.title.get(current_language()))
    return f"{'⭐ ' if starred else ''}{start} · {title}"


def _session_buttons(
    sessions: list[Session], consultation: Consultation, starred: set[str]
) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                _button_label(s, consultation, s.id in starred), callback_data=f"ag:s:{s.id}"
            )
        ]
        for s in sessions
        if s.kind != "break"
    ]


async def _starred(context: BotContext, consultation: Consultation) -> set[str]:
    if context.profile is None:
        return set()
    return await context.services.agenda.starred_ids(context.profile.user_id, consultation)


async def _day_page(
    update: Update, context: BotContext, consultation: Consultation, day: date, page: int
) -> None:
    sessions = consultation.sessions_on(day)
    pages = max(1, -(-len(sessions) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = sessions[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    starred = await _starred(context, consultation)
    lang = current_language()
    lines = [
        "📅 <b>" + esc(day_long(day)) + "</b>",
        "<i>" + esc(consultation.name.get(lang)) + "</i>",
        "",
    ]
    if not sessions:
        lines.append(_("No sessions on this day."))
    lines.extend(session_line(s, consultation, starred=s.id in starred) for s in shown)
    if pages > 1:
        lines.append("")
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
    lines.append("")
    lines.append("<i>" + esc(zone_note(consultation)) + "</i>")
    lines.append(_("Tap a session to open it, then ⭐ to add it to your agenda."))
    rows = _session_buttons(shown, consultation, starred)
    if pages > 1:
        rows.append(page_buttons(page, pages, lambda n: f"ag:d:{day}:{n}"))
    days = consultation.days()
    index = days.index(day)
    earlier = days[index - 1] if index > 0 else None
    later = days[index + 1] if index < len(days) - 1 else None
    # « and » are mirrored in right-to-left text: they point the right way in any language.
    nav = in_reading_order(
        InlineKeyboardButton("« " + day_short(earlier), callback_data=f"ag:d:{earlier}:0")
        if earlier
        else None,
        InlineKeyboardButton(day_short(later) + " »", callback_data=f"ag:d:{later}:0")
        if later
        else None,
    )
    if nav:
        rows.append(nav)
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def show_agenda(update: Update, context: BotContext) -> None:
    """/agenda: today's programme (or the first day's), paged."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    await _day_page(
        update, context, consultation, context.services.agenda.default_day(consultation), 0
    )


async def agenda_day_button(update: Update, context: BotContext) -> None:
    """ag:d:<date>:<page>"""
    query = update.callback_query
    if query is None or query.data is None:
        return
    consultation = await need_consultation(update, context)
    if consultation is None:
        return
    try:
        _prefix, _kind, day_text, page_text = query.data.split(":")
        day = date.fromisoformat(day_text)
        page = required_id(page_text)
    except ValueError:
        await out_of_date(update)
        return
    if day not in consultation.days():
        await out_of_date(update)
        return
    await query.answer()
    await _day_page(update, context, consultation, day, page)


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
    return InlineKeyboardMarkup([[star], *more, [back]])


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
    await show(update, context, text, _card_keyboard(session, consultation, starred, rows))


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


async def _now_next(
    update: Update, context: BotContext, *, include_now: bool, page: int = 0
) -> None:
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    result = context.services.agenda.now_and_next(consultation)
    starred = await _starred(context, consultation)
    moment = context.services.clock.now()
    running = result.now if include_now else []
    # A large programme (dozens of rooms) is paged like the agenda.
    items = running + result.next
    pages = max(1, -(-len(items) // NOW_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = items[page * NOW_PAGE_SIZE : (page + 1) * NOW_PAGE_SIZE]
    shown_now = [s for s in shown if s in running]
    shown_next = [s for s in shown if s not in running]
    lines: list[str] = []
    if include_now and (page == 0 or shown_now):
        lines.append("🔴 <b>" + _("On now") + "</b>")
        if running:
            lines.extend(session_line(s, consultation, starred=s.id in starred) for s in shown_now)
        else:
            lines.append(_("Nothing is on right now."))
        lines.append("")
    if shown_next or page == pages - 1:
        lines.append("⏭ <b>" + _("Next") + "</b>")
    if shown_next:
        day = shown_next[0].start.astimezone(consultation.timezone).date()
        if day != moment.astimezone(consultation.timezone).date():
            lines.append(esc(day_long(day)))
        lines.extend(session_line(s, consultation, starred=s.id in starred) for s in shown_next)
    elif page == pages - 1 and not result.next:
        if moment.astimezone(consultation.timezone).date() > consultation.end:
            lines.append(_("The consultation is over. Thank you for taking part!"))
        else:
            lines.append(_("No more sessions today."))
    if pages > 1:
        lines.append("")
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
    lines.append("")
    lines.append("<i>" + esc(zone_note(consultation)) + "</i>")
    rows = _session_buttons(shown, consultation, starred)
    if pages > 1:
        flag = "1" if include_now else "0"
        rows.append(page_buttons(page, pages, lambda n: f"ag:n:{flag}:{n}"))
    markup = InlineKeyboardMarkup(rows) if rows else None
    query_data = update.callback_query.data if update.callback_query else None
    if (query_data or "").startswith("ag:n:"):
        await show(update, context, "\n".join(lines), markup)
    else:
        await reply(update, context, "\n".join(lines), markup)


async def now_page_button(update: Update, context: BotContext) -> None:
    """ag:n:<1 with what is on now | 0 next only>:<page>"""
    query = update.callback_query
    if query is None or query.data is None:
        return
    try:
        _prefix, _kind, flag, page_text = query.data.split(":")
        page = required_id(page_text)
    except ValueError:
        await out_of_date(update)
        return
    await _now_next(update, context, include_now=flag == "1", page=page)


async def show_now(update: Update, context: BotContext) -> None:
    """/now: what is on now, and what comes next."""
    await _now_next(update, context, include_now=True)


async def show_next(update: Update, context: BotContext) -> None:
    """/next: the next sessions."""
    await _now_next(update, context, include_now=False)


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
    rows = _session_buttons(
        [i.session for i in items], consultation, {i.session.id for i in items}
    )
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
    if not items:
        await reply(
            update,
            context,
            _(
                "Your agenda is empty, so there is nothing to put in a calendar yet. "
                "Open a session in /agenda and tap ⭐ to add it."
            ),
        )
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
        caption=caption,
    )
