"""Sign-ups: on a session's card, a seat or the waiting list, and cancelling; the message a
delegate gets when a freed seat becomes theirs; organisers' /signups, the list and its export."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext, Services
from bot.handlers.agenda import card_part, show_card
from bot.handlers.common import callback_parts, out_of_date, refuse, show
from bot.handlers.consultation import need_consultation
from bot.handlers.formatting import esc, person, shorten, time_range, when
from bot.handlers.outbox import Rendered, renderer
from bot.i18n import _, current_language, isolate, ngettext
from bot.services.errors import NotAllowed, SessionNotFound
from bot.services.event_data import Consultation, Session
from bot.services.exports import FORMATS, render
from bot.services.feedback import Cell, Table
from bot.services.signups import (
    SEAT,
    Occupancy,
    Roster,
    SignupsClosed,
    takes_signups,
)
from bot.storage.outbox import OutboxItem
from bot.storage.signups import Standing

PREFIX = "su:"
PRIVATE = filters.ChatType.PRIVATE

# --- on the session card -------------------------------------------------------------------------


def occupancy_line(occupancy: Occupancy) -> str:
    """Full, a few seats left, or how many seats there are."""
    if occupancy.full:
        return _("Full — waiting list: {count}").format(count=occupancy.waiting)
    if occupancy.few_left:
        return ngettext(
            "Sign-up needed: only {count} seat left",
            "Sign-up needed: only {count} seats left",
            occupancy.left,
        ).format(count=occupancy.left)
    return ngettext(
        "Sign-up needed: {count} seat", "Sign-up needed: {count} seats", occupancy.capacity
    ).format(count=occupancy.capacity)


def standing_text(standing: Standing) -> str:
    if standing.seated:
        return _("You have a seat.")
    return _("You are number {position} on the waiting list.").format(position=standing.position)


@card_part
async def signup_part(
    context: BotContext, consultation: Consultation, session: Session
) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """The card's sign-up line, the delegate's seat or place, and their button."""
    if not takes_signups(session):
        return [], []
    signups = context.services.signups
    profile = context.profile
    occupancy = await signups.occupancy(consultation, session)
    standing = await signups.standing(profile.user_id, consultation, session) if profile else None
    lines = ["", "🎟 " + esc(occupancy_line(occupancy))]
    if standing is not None:
        lines.append(("✅ " if standing.seated else "⏳ ") + esc(standing_text(standing)))
    rows: list[list[InlineKeyboardButton]] = []
    if not signups.is_open(session):
        lines.append(_("Sign-ups are closed: the session has started."))
    elif standing is None:
        label = ("⏳ " + _("Join the waiting list")) if occupancy.full else ("🎟 " + _("Sign up"))
        rows.append([InlineKeyboardButton(label, callback_data=f"{PREFIX}j:{session.id}")])
    else:
        label = "✖ " + (_("Cancel my seat") if standing.seated else _("Leave the waiting list"))
        rows.append([InlineKeyboardButton(label, callback_data=f"{PREFIX}c:{session.id}")])
    if profile is not None and profile.is_organiser:
        rows.append(
            [
                InlineKeyboardButton(
                    "📋 " + _("Sign-up list"), callback_data=f"{PREFIX}l:{session.id}"
                )
            ]
        )
    return lines, rows


async def _pressed_session(
    update: Update, context: BotContext
) -> tuple[Consultation, Session, int] | None:
    """su:<action>:<session>: the delegate's consultation, the session and who pressed."""
    query = update.callback_query
    parts = callback_parts(update, 3)
    if query is None or context.profile is None:
        return None
    if parts is None:
        await out_of_date(update)
        return None
    consultation = context.consultation
    session = consultation.session(parts[2]) if consultation else None
    if consultation is None or session is None:
        await query.answer(_("This session is no longer in the programme."), show_alert=True)
        return None
    return consultation, session, context.profile.user_id


def _closed_text(error: SignupsClosed) -> str:
    if error.started:
        return _("Sign-ups are closed: the session has started.")
    return _("This session takes no sign-ups.")


async def sign_up_button(update: Update, context: BotContext) -> None:
    """su:j:<session>: a seat, or the waiting list; the session joins the delegate's agenda."""
    found = await _pressed_session(update, context)
    query = update.callback_query
    if found is None or query is None:
        return
    consultation, session, user_id = found
    try:
        standing = await context.services.signups.sign_up(user_id, consultation, session.id)
    except SignupsClosed as error:
        await query.answer(_closed_text(error), show_alert=True)
        await show_card(update, context, consultation, session)
        return
    await context.services.agenda.set_star(user_id, consultation, session.id, True)
    await query.answer(standing_text(standing))
    await show_card(update, context, consultation, session)


async def cancel_button(update: Update, context: BotContext) -> None:
    """su:c:<session> asks before a seat is given up (a place on the waiting list goes at once);
    su:y:<session> gives it up."""
    found = await _pressed_session(update, context)
    query = update.callback_query
    if found is None or query is None or query.data is None:
        return
    consultation, session, user_id = found
    signups = context.services.signups
    standing = await signups.standing(user_id, consultation, session)
    if standing is None:
        await query.answer(_("You are not signed up for this session."))
        await show_card(update, context, consultation, session)
        return
    confirmed = query.data.startswith(f"{PREFIX}y:")
    if standing.seated and not confirmed and signups.is_open(session):
        await query.answer()
        await _ask_to_cancel(update, context, consultation, session)
        return
    try:
        await signups.cancel(user_id, consultation, session.id)
    except SignupsClosed as error:
        await query.answer(_closed_text(error), show_alert=True)
    else:
        await query.answer(
            _("Your seat is cancelled.") if standing.seated else _("You left the waiting list.")
        )
    await show_card(update, context, consultation, session)


async def _ask_to_cancel(
    update: Update, context: BotContext, consultation: Consultation, session: Session
) -> None:
    title = esc(session.title.get(current_language()))
    text = "\n".join(
        [
            _("Give up your seat at {session}?").format(session=f"<b>{title}</b>"),
            esc(when(session, consultation)),
            "",
            _(
                "The first person on the waiting list will get it; you would have to sign up "
                "again, after everyone waiting."
            ),
        ]
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✖ " + _("Yes, give up my seat"), callback_data=f"{PREFIX}y:{session.id}"
                ),
                InlineKeyboardButton(_("No, keep it"), callback_data=f"ag:s:{session.id}"),
            ]
        ]
    )
    await show(update, context, text, keyboard)


# --- the seat a delegate is given ----------------------------------------------------------------


@renderer(SEAT)
async def render_seat(services: Services, item: OutboxItem) -> Rendered | None:
    """To the first on the waiting list, when a seat freed up: in their language."""
    consultation = services.events.get(item.consultation_id)
    session = consultation.session(item.payload["session"]) if consultation else None
    if consultation is None or session is None or not takes_signups(session):
        return None
    if not await services.signups.holds_seat(int(item.payload["signup"])):
        return None  # cancelled meanwhile
    lang = current_language()
    lines = [
        "🎟 <b>" + _("You have a seat!") + "</b>",
        _("A seat freed up, and you were next on the waiting list for:"),
        f"<b>{esc(session.title.get(lang))}</b>",
        f"🕘 {esc(when(session, consultation))}",
    ]
    if session.room:
        lines.append("📍 " + _("Room: {room}").format(room=esc(isolate(session.room.get(lang)))))
    lines.append("")
    lines.append(
        "<i>"
        + _(
            "If you can no longer come, please cancel on the session's card, so that the next "
            "person gets the seat."
        )
        + "</i>"
    )
    button = InlineKeyboardButton(
        "📄 " + _("Open the session"), callback_data=f"ag:s:{session.id}"
    )
    return Rendered("\n".join(lines), InlineKeyboardMarkup([[button]]))


# --- organisers: /signups, the list, its export --------------------------------------------------


async def _organisers_consultation(update: Update, context: BotContext) -> Consultation | None:
    """Organisers only; anyone else is told so and sees nothing."""
    if context.profile is None or not context.profile.is_organiser:
        await refuse(update, context, _("Sorry, sign-up lists are only for the organisers."))
        return None
    return await need_consultation(update, context)


def _seats_summary(occupancy: Occupancy) -> str:
    return (
        ngettext(
            "{taken} of {count} seat taken", "{taken} of {count} seats taken", occupancy.capacity
        ).format(taken=occupancy.seated, count=occupancy.capacity)
        + " · "
        + _("waiting list: {count}").format(count=occupancy.waiting)
    )


async def _overview(
    update: Update, context: BotContext, consultation: Consultation, *, note: str = ""
) -> None:
    lang = current_language()
    listed = await context.services.signups.overview(consultation)
    lines = [note, ""] if note else []
    lines.append(
        "📋 <b>" + _("Sessions with sign-ups") + "</b> — " + esc(consultation.name.get(lang))
    )
    if not listed:
        lines.append("")
        lines.append(
            _(
                "No session takes sign-ups. To open them for one, give it a capacity and "
                "signup: true in sessions.yaml, then /reload."
            )
        )
    rows: list[list[InlineKeyboardButton]] = []
    for session, occupancy in listed:
        lines.append("")
        lines.append(f"<b>{esc(session.title.get(lang))}</b> <code>{session.id}</code>")
        lines.append(esc(when(session, consultation)) + " · " + esc(_seats_summary(occupancy)))
        label = f"{time_range(session, consultation)} · {shorten(session.title.get(lang), 30)}"
        rows.append([InlineKeyboardButton(label, callback_data=f"{PREFIX}l:{session.id}")])
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


def _roster_text(roster: Roster, consultation: Consultation) -> str:
    lang = current_language()
    session = roster.session
    lines = [
        "📋 <b>" + _("Sign-ups") + "</b> — " + esc(session.title.get(lang)),
        "🕘 " + esc(when(session, consultation)),
        esc(_seats_summary(roster.occupancy)),
    ]
    if not roster.seated and not roster.waiting:
        lines += ["", _("Nobody has signed up yet.")]
    for heading, entries in ((_("Seats"), roster.seated), (_("Waiting list"), roster.waiting)):
        if entries:
            lines += ["", f"<b>{heading}</b>"]
            unnamed = _("(no name)")
            lines += [
                f"{number}. {person(entry.name) or unnamed}"
                for number, entry in enumerate(entries, 1)
            ]
    return "\n".join(lines)


async def _roster(
    update: Update, context: BotContext, consultation: Consultation, session_id: str
) -> None:
    organiser = context.profile is not None and context.profile.is_organiser
    try:
        roster = await context.services.signups.roster(
            consultation, session_id, organiser=organiser
        )
    except SessionNotFound:
        note = _("No session with sign-ups has the id {session}.").format(
            session=f"<code>{esc(session_id)}</code>"
        )
        await _overview(update, context, consultation, note=note)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "⬇️ " + _("Export CSV"), callback_data=f"{PREFIX}x:{session_id}:csv"
                ),
                InlineKeyboardButton(
                    "⬇️ " + _("Export XLSX"), callback_data=f"{PREFIX}x:{session_id}:xlsx"
                ),
            ],
            [InlineKeyboardButton("« " + _("Sessions with sign-ups"), callback_data=f"{PREFIX}o")],
        ]
    )
    await show(update, context, _roster_text(roster, consultation), keyboard)


async def show_signups(update: Update, context: BotContext) -> None:
    """/signups [session id]: the sessions with sign-ups, or one session's list."""
    consultation = await _organisers_consultation(update, context)
    if consultation is None:
        return
    if context.args:
        await _roster(update, context, consultation, context.args[0])
    else:
        await _overview(update, context, consultation)


async def overview_button(update: Update, context: BotContext) -> None:
    """su:o: the sessions with sign-ups."""
    consultation = await _organisers_consultation(update, context)
    if consultation is None or update.callback_query is None:
        return
    await update.callback_query.answer()
    await _overview(update, context, consultation)


async def roster_button(update: Update, context: BotContext) -> None:
    """su:l:<session>: the session's list."""
    consultation = await _organisers_consultation(update, context)
    parts = callback_parts(update, 3)
    if consultation is None or update.callback_query is None:
        return
    if parts is None:
        await out_of_date(update)
        return
    await update.callback_query.answer()
    await _roster(update, context, consultation, parts[2])


def signup_table(roster: Roster, consultation: Consultation) -> Table:
    """The list as a spreadsheet, headed in the reader's language: seats, then the waiting
    list, each numbered; the time a real date cell in the consultation's zone, named."""
    zone = consultation.timezone
    header = (
        _("Status"),
        _("Number"),
        _("Name"),
        # TRANSLATORS: a column of an export; {zone} is a time zone such as Europe/Zurich.
        _("Signed up at ({zone})").format(zone=zone.key),
    )
    rows: list[tuple[Cell, ...]] = []
    for status, entries in ((_("Seat"), roster.seated), (_("Waiting list"), roster.waiting)):
        rows += [
            (status, number, entry.name, entry.created_at.astimezone(zone))
            for number, entry in enumerate(entries, 1)
        ]
    return Table(header, rows, _("Sign-ups"))


async def export_button(update: Update, context: BotContext) -> None:
    """su:x:<session>:<csv|xlsx>: the list as a document."""
    consultation = await _organisers_consultation(update, context)
    query = update.callback_query
    chat = update.effective_chat
    parts = callback_parts(update, 4)
    if consultation is None or query is None or chat is None or context.profile is None:
        return
    if parts is None or parts[3] not in FORMATS:
        await out_of_date(update)
        return
    try:
        roster = await context.services.signups.roster(
            consultation, parts[2], organiser=context.profile.is_organiser
        )
    except (SessionNotFound, NotAllowed):
        await query.answer(_("This session is no longer in the programme."), show_alert=True)
        return
    await query.answer()
    table = signup_table(roster, consultation)
    content = await asyncio.to_thread(render, table, parts[3])
    stamp = context.services.clock.now().astimezone(consultation.timezone).strftime("%Y%m%d-%H%M")
    name = f"{consultation.id}-signups-{roster.session.id}-{stamp}.{parts[3]}"
    caption = (
        _("Sign-ups: {session}").format(session=roster.session.title.get(current_language()))
        + " — "
        + ngettext("{count} row", "{count} rows", len(table.rows)).format(count=len(table.rows))
    )
    await context.bot.send_document(
        chat.id, InputFile(content, filename=name, attach=True), caption=caption
    )


# --- wiring --------------------------------------------------------------------------------------

CALLBACKS = {
    rf"^{PREFIX}j:": sign_up_button,
    rf"^{PREFIX}[cy]:": cancel_button,
    rf"^{PREFIX}o$": overview_button,
    rf"^{PREFIX}l:": roster_button,
    rf"^{PREFIX}x:": export_button,
}


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("signups", show_signups, filters=PRIVATE))
    for pattern, button in CALLBACKS.items():
        application.add_handler(CallbackQueryHandler(button, pattern=pattern))
