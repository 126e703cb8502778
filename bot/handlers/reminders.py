"""Reminders, the countdown, the morning digest and agenda changes: what delegates receive,
/settings to choose, /changes to read the history, and the organisers' /reload."""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_interval, format_time
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.clock import Clock
from bot.config import Config
from bot.context import BotContext, Services
from bot.handlers.common import on_the_clock, out_of_date, reply, required_id, show
from bot.handlers.consultation import need_consultation
from bot.handlers.formatting import day_long, esc, moment, session_line, when, zone_note
from bot.handlers.outbox import Rendered, make_sender, renderer
from bot.i18n import N_, _, current_language, isolate, ngettext
from bot.services.changes import ADDED, CANCELLED, MOVED, RETITLED, ROOM
from bot.services.delivery import Delivery, SendMeter
from bot.services.event_data import Consultation, EventData
from bot.services.people import People
from bot.services.programme import (
    ChangeHistory,
    Programme,
    Reloader,
    ReloadRequests,
    ReloadResult,
    summary_lines,
)
from bot.services.reminders import (
    CHANGE,
    COUNTDOWN,
    DIGEST,
    LEAD_CHOICES,
    REMINDER,
    Reminders,
    reminder_key,
)
from bot.services.rooms import room_label
from bot.storage.change_log import ChangeBatch, ChangeLogStore, ChangeRecord, SessionSnapshot
from bot.storage.database import Database
from bot.storage.outbox import OutboxItem, OutboxStore
from bot.storage.settings import SettingsStore

logger = logging.getLogger(__name__)

SETTINGS_PREFIX = "set:"
CHANGE_KINDS = {
    # TRANSLATORS: what changed about a session, listed after its title.
    ADDED: N_("new"),
    CANCELLED: N_("cancelled"),
    MOVED: N_("time"),
    ROOM: N_("room"),
    RETITLED: N_("title"),
}
MAX_PROBLEMS_SHOWN = 25


# --- what delegates receive -----------------------------------------------------------------


def _minutes_until(start: datetime, now: datetime) -> int:
    return max(1, math.ceil((start - now).total_seconds() / 60))


def _open_button(session_id: str) -> InlineKeyboardButton:
    return InlineKeyboardButton("📄 " + _("Open the session"), callback_data=f"ag:s:{session_id}")


@renderer(REMINDER)
async def render_reminder(services: Services, item: OutboxItem) -> Rendered | None:
    consultation = services.events.get(item.consultation_id)
    session = consultation.session(item.payload["session"]) if consultation else None
    now = services.clock.now()
    if consultation is None or session is None or session.start <= now:
        return None
    if reminder_key(consultation.id, session.id, session.start, item.delegate) != item.key:
        return None  # moved since it was planned: the row for the new time will go instead
    lang = current_language()
    minutes = _minutes_until(session.start, now)
    lines = [
        "⏰ "
        + ngettext(
            "Starting in {minutes} minute:", "Starting in {minutes} minutes:", minutes
        ).format(minutes=minutes),
        f"<b>{esc(session.title.get(lang))}</b>",
        f"🕘 {esc(when(session, consultation))}",
    ]
    label = room_label(session, lang)
    if label:
        lines.append("📍 " + _("Room: {room}").format(room=esc(isolate(label))))
    lines.append("")
    lines.append("<i>" + _("Change or turn off reminders with /settings.") + "</i>")
    return Rendered("\n".join(lines), InlineKeyboardMarkup([[_open_button(session.id)]]))


def _relative(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds >= 23.5 * 3600:
        days = round(seconds / 86400)
        return ngettext("in {count} day", "in {count} days", days).format(count=days)
    if seconds >= 59.5 * 60:
        hours = round(seconds / 3600)
        return ngettext("in {count} hour", "in {count} hours", hours).format(count=hours)
    minutes = max(1, round(seconds / 60))
    return ngettext("in {count} minute", "in {count} minutes", minutes).format(count=minutes)


@renderer(COUNTDOWN)
async def render_countdown(services: Services, item: OutboxItem) -> Rendered | None:
    consultation = services.events.get(item.consultation_id)
    now = services.clock.now()
    if consultation is None or consultation.starts_at() <= now:
        return None
    lang = current_language()
    starts = consultation.starts_at()
    venue = consultation.venue
    lines = [
        "📣 "
        + _("<b>{name}</b> starts {when}.").format(
            name=esc(consultation.name.get(lang)), when=_relative(starts - now)
        ),
        "",
        "🕘 " + esc(moment(starts, consultation)),
        "📍 " + esc(venue.name.get(lang)) + "\n    " + esc(venue.address.get(lang)),
        "",
        _(
            "Bring your ID and your registration confirmation. The programme, your agenda and "
            "practical information are one tap away:"
        ),
    ]
    rows = [
        [
            InlineKeyboardButton("📅 " + _("Programme"), callback_data="menu:agenda"),
            InlineKeyboardButton("📍 " + _("Venue"), callback_data="menu:venue"),
        ]
    ]
    registration = consultation.topic("registration")
    if registration is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    "🪪 " + registration.title.get(lang), callback_data="info:registration"
                )
            ]
        )
    return Rendered("\n".join(lines), InlineKeyboardMarkup(rows))


@renderer(DIGEST)
async def render_digest(services: Services, item: OutboxItem) -> Rendered | None:
    consultation = services.events.get(item.consultation_id)
    if consultation is None:
        return None
    day = date.fromisoformat(item.payload["day"])
    sessions = consultation.sessions_on(day)
    if not sessions:
        return None
    items = await services.agenda.personal(item.delegate, consultation)
    mine = {i.session.id for i in items}
    lang = current_language()
    lines = [
        "☀️ " + _("Good morning! Today at {name}:").format(name=esc(consultation.name.get(lang))),
        "<b>" + esc(day_long(day)) + "</b>",
        "",
    ]
    lines.extend(session_line(s, consultation, starred=s.id in mine) for s in sessions)
    lines.append("")
    picked = [s for s in sessions if s.id in mine]
    if picked:
        lines.append(
            "⭐ "
            + ngettext(
                "{count} session in your agenda today.",
                "{count} sessions in your agenda today.",
                len(picked),
            ).format(count=len(picked))
        )
    else:
        lines.append(_("Nothing in your agenda today: tap ⭐ on a session to add it."))
    lines.append("<i>" + esc(zone_note(consultation)) + "</i>")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("⭐ " + _("My agenda"), callback_data="menu:my"),
                InlineKeyboardButton("📅 " + _("Programme"), callback_data="menu:agenda"),
            ]
        ]
    )
    return Rendered("\n".join(lines), markup)


def _text(values: dict[str, str] | None, default: str, lang: str) -> str:
    if not values:
        return "—"
    return values.get(lang) or values.get(default) or next(iter(values.values()))


def _room_named(snap: SessionSnapshot, consultation: Consultation, lang: str) -> str:
    """A room in a change message: the room of rooms.yaml by its current name in `lang` (an
    added translation shows), else the name the session gave when it changed."""
    room = consultation.room(snap.room_id)
    if room is not None:
        return room.name.get(lang)
    return _text(snap.room, snap.default_language, lang)


def _when_snapshot(snap: SessionSnapshot, consultation: Consultation) -> str:
    local = snap.start.astimezone(consultation.timezone)
    times = format_interval(
        snap.start, snap.end, "Hm", tzinfo=consultation.timezone, locale=current_language()
    )
    return f"{day_long(local.date())} · {isolate(times)}"


def change_lines(record: ChangeRecord, consultation: Consultation) -> list[str]:
    """One session's change, old → new, in the reader's language."""
    lang = current_language()
    shown = record.new or record.old
    if shown is None:
        return []
    title = esc(_text(shown.title, shown.default_language, lang))
    lines = [f"<b>{title}</b>"]
    if CANCELLED in record.kinds and record.old:
        lines.append(
            "❌ "
            + _("Cancelled (was {when}).").format(
                when=esc(_when_snapshot(record.old, consultation))
            )
        )
        return lines
    if ADDED in record.kinds and record.new:
        lines.append(
            "🆕 "
            + _("New session: {when}").format(when=esc(_when_snapshot(record.new, consultation)))
        )
        if record.new.room:
            room = _room_named(record.new, consultation, lang)
            lines.append("📍 " + _("Room: {room}").format(room=esc(isolate(room))))
        return lines
    old, new = record.old, record.new
    if old is None or new is None:
        return lines
    if MOVED in record.kinds:
        lines.append(
            "🕘 "
            + _("Time: {old} → {new}").format(
                old=esc(_when_snapshot(old, consultation)),
                new="<b>" + esc(_when_snapshot(new, consultation)) + "</b>",
            )
        )
    if ROOM in record.kinds:
        lines.append(
            "📍 "
            + _("Room: {old} → {new}").format(
                old=esc(isolate(_room_named(old, consultation, lang))),
                new="<b>" + esc(isolate(_room_named(new, consultation, lang))) + "</b>",
            )
        )
    if RETITLED in record.kinds:
        lines.append(
            "✏️ "
            + _("New title (was: {old})").format(
                old=esc(_text(old.title, old.default_language, lang))
            )
        )
    return lines


@renderer(CHANGE)
async def render_change(services: Services, item: OutboxItem) -> Rendered | None:
    consultation = services.events.get(item.consultation_id)
    batch = await services.reloader.history.batch(int(item.payload["batch"]))
    if consultation is None or batch is None:
        return None
    wanted = set(item.payload.get("sessions", []))
    records = [c for c in batch.changes if c.session_id in wanted]
    if not records:
        return None
    lang = current_language()
    lines = [
        "📢 <b>" + _("Programme change") + "</b> — " + esc(consultation.name.get(lang)),
        ngettext(
            "A session in your agenda has changed:",
            "Sessions in your agenda have changed:",
            len(records),
        ),
    ]
    buttons = []
    for record in records:
        lines.append("")
        lines.extend(change_lines(record, consultation))
        if CANCELLED not in record.kinds and consultation.session(record.session_id):
            buttons.append([_open_button(record.session_id)])
    lines.append("")
    lines.append("<i>" + _("Your reminders follow the new programme.") + "</i>")
    return Rendered("\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None)


# --- /settings ------------------------------------------------------------------------------


def _lead_label(minutes: int) -> str:
    if minutes == 0:
        return _("Off")
    return ngettext("{count} min", "{count} min", minutes).format(count=minutes)


async def _settings_view(context: BotContext, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    settings = await context.services.reminders.settings(user_id)
    consultation = context.consultation
    digest_at = ""
    if consultation is not None:
        digest_at = format_time(consultation.digest_time, "HH:mm", locale=current_language())
    if settings.lead:
        lead_text = ngettext(
            "{count} minute before each session in your agenda",
            "{count} minutes before each session in your agenda",
            settings.lead,
        ).format(count=settings.lead)
    else:
        lead_text = _("off")
    lines = [
        "⚙️ <b>" + _("Settings") + "</b>",
        "",
        "⏰ " + _("Reminders: {value}").format(value=lead_text),
        "☀️ "
        + (
            _("Morning digest: on, at {time}").format(time=isolate(digest_at))
            if settings.digest
            else _("Morning digest: off")
        ),
        "",
        _("Tap to change:"),
    ]
    lead_row = [
        InlineKeyboardButton(
            ("✅ " if minutes == settings.lead else "") + _lead_label(minutes),
            callback_data=f"{SETTINGS_PREFIX}lead:{minutes}",
        )
        for minutes in LEAD_CHOICES
    ]
    digest_button = InlineKeyboardButton(
        "☀️ "
        + (
            _("Turn the morning digest off")
            if settings.digest
            else _("Turn the morning digest on")
        ),
        callback_data=f"{SETTINGS_PREFIX}digest:{0 if settings.digest else 1}",
    )
    return "\n".join(lines), InlineKeyboardMarkup([lead_row[:3], lead_row[3:], [digest_button]])


async def show_settings(update: Update, context: BotContext) -> None:
    """/settings: reminder lead time and the morning digest."""
    if context.profile is None:
        return
    text, markup = await _settings_view(context, context.profile.user_id)
    await show(update, context, text, markup)


async def settings_button(update: Update, context: BotContext) -> None:
    """set:lead:<minutes> or set:digest:<0|1>"""
    query = update.callback_query
    if query is None or query.data is None or context.profile is None:
        return
    reminders = context.services.reminders
    user_id = context.profile.user_id
    try:
        _prefix, what, value = query.data.split(":")
        number = required_id(value)
        if what == "lead" and number in LEAD_CHOICES:
            await reminders.set_lead(user_id, number)
        elif what == "digest" and number in (0, 1):
            await reminders.set_digest(user_id, bool(number))
        else:
            raise ValueError(query.data)
    except ValueError:
        await out_of_date(update)
        return
    await query.answer(_("Saved."))
    text, markup = await _settings_view(context, user_id)
    await show(update, context, text, markup)


# --- /changes -------------------------------------------------------------------------------


def _batch_text(batch: ChangeBatch, consultation: Consultation) -> list[str]:
    lines = ["🗓 <i>" + esc(moment(batch.created_at, consultation)) + "</i>"]
    for record in batch.changes:
        lines.extend(change_lines(record, consultation))
    return lines


async def show_changes(update: Update, context: BotContext) -> None:
    """/changes: the consultation's recent programme changes."""
    consultation = await need_consultation(update, context)
    if consultation is None:
        return
    batches = await context.services.reloader.history.recent(consultation.id)
    lang = current_language()
    lines = ["📢 <b>" + _("Programme changes") + "</b> — " + esc(consultation.name.get(lang))]
    if not batches:
        lines.append("")
        lines.append(_("No changes to the programme so far."))
    for batch in batches:
        lines.append("")
        lines.extend(_batch_text(batch, consultation))
    lines.append("")
    lines.append("<i>" + esc(zone_note(consultation)) + "</i>")
    await reply(update, context, "\n".join(lines))


# --- /reload (organisers) -------------------------------------------------------------------


def reload_report(result: ReloadResult, services: Services) -> str:
    """What an organiser reads after a reload, in their language."""
    if not result.ok:
        lines = [
            "⚠️ <b>" + _("The data has problems, so nothing was changed.") + "</b>",
            _("The bot keeps running on the programme it had. Fix these and reload again:"),
            "",
        ]
        shown = result.problems[:MAX_PROBLEMS_SHOWN]
        lang = current_language()
        lines.extend(f"• <code>{esc(problem.render(lang))}</code>" for problem in shown)
        hidden = len(result.problems) - len(shown)
        if hidden:
            lines.append(
                ngettext("… and {count} more.", "… and {count} more.", hidden).format(count=hidden)
            )
        return "\n".join(lines)
    lines = ["✅ <b>" + _("Programme reloaded.") + "</b>"]
    if not result.changed:
        lines.append(_("No session changed."))
    lang = current_language()
    for item in result.changed:
        consultation = services.events.get(item.consultation_id)
        if consultation is None:
            continue
        lines.append("")
        lines.append("<b>" + esc(consultation.name.get(lang)) + "</b>")
        lines.append(
            ngettext(
                "{count} session changed;", "{count} sessions changed;", len(item.changes)
            ).format(count=len(item.changes))
            + " "
            + ngettext(
                "{count} delegate will be told.", "{count} delegates will be told.", item.notified
            ).format(count=item.notified)
        )
        for change in item.changes:
            session = change.new or change.old
            if session is None:
                continue
            kinds = ", ".join(
                _(CHANGE_KINDS[k]) for k in sorted(change.kinds) if k in CHANGE_KINDS
            )
            lines.append(f"• {esc(session.title.get(lang))} <i>({esc(kinds)})</i>")
    return "\n".join(lines)


async def reload_programme(update: Update, context: BotContext) -> None:
    """/reload: organisers reload the event data; everyone affected is told."""
    if context.profile is None:
        return
    if not context.profile.is_organiser:
        await reply(update, context, _("Only organisers can reload the programme."))
        return
    user = context.profile.user_id
    result = await context.services.reloader.reload(f"/reload by {user}")
    await reply(update, context, reload_report(result, context.services))


# --- wiring ---------------------------------------------------------------------------------

COMMANDS = {
    "settings": show_settings,
    "changes": show_changes,
    "reload": reload_programme,
}


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(settings_button, pattern=f"^{SETTINGS_PREFIX}"))


# --- start-up and the repeating jobs --------------------------------------------------------

TICK_SECONDS = 0.1
# Stars, settings, consultation choices, delegates arriving or leaving and reloads re-plan at
# once; this full re-plan is only a safety net (it takes about a second per 50,000 delegates).
REPLAN_SECONDS = 3600.0
RELOAD_POLL_SECONDS = 2.0


def build_delivery(
    config: Config,
    programme: Programme,
    people: People,
    database: Database,
    clock: Clock,
    meter: SendMeter,
) -> tuple[Reminders, Delivery, Reloader]:
    """The reminder planner, the outbox sender and the reloader, wired to one another."""
    # The console chat plans, sends, expires and recovers its own delegate's rows only.
    outbox = OutboxStore(database.connection, reach=config.console_user)
    reminders = Reminders(
        outbox,
        SettingsStore(database.connection),
        programme,
        clock,
        default_consultation=config.default_consultation,
        only=config.console_user,
    )
    delivery = Delivery(outbox, people, clock, meter)
    history = ChangeHistory(ChangeLogStore(database.connection))
    reloader = Reloader(programme, config.data_dir, history, clock, announce=not config.console)

    async def replan(_events: EventData) -> None:
        await reminders.plan()

    reloader.after_swap.append(replan)
    reloader.notices.append(reminders.change_notices)
    return reminders, delivery, reloader


async def start_delivery(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After the services exist: recover a crash's leftovers, plan, and start the jobs."""
    services: Services = application.bot_data["services"]
    services.delivery.send = make_sender(application)
    await services.delivery.recover()
    # `python -m bot reload` asks the real bot, which the console chat must not answer for.
    requests = (
        None if services.config.console else ReloadRequests(services.config.database_path.parent)
    )
    if requests is not None:
        application.bot_data["reload_requests"] = requests
        await _announce_at_start(services, requests)
    await services.reminders.plan()

    async def replan_user(user_id: int) -> None:
        await services.reminders.plan(user_id)

    services.agenda.on_change.append(replan_user)
    services.people.on_consultation_change.append(replan_user)
    services.people.on_active_change.append(replan_user)
    jobs = application.job_queue
    if jobs is None:  # pragma: no cover - the job-queue extra is a dependency
        logger.error("No JobQueue: reminders will not be sent")
        return
    jobs.run_repeating(
        _tick,
        interval=TICK_SECONDS,
        first=TICK_SECONDS,
        name="delivery:tick",
        job_kwargs={"max_instances": 2, "coalesce": True},
    )
    jobs.run_repeating(
        _replan, interval=REPLAN_SECONDS, first=REPLAN_SECONDS, name="delivery:plan"
    )
    if requests is not None:
        jobs.run_repeating(
            _watch_reload_requests,
            interval=RELOAD_POLL_SECONDS,
            first=RELOAD_POLL_SECONDS,
            name="programme:reload-requests",
        )


async def _announce_at_start(services: Services, requests: ReloadRequests) -> None:
    """Before anything is planned or answered: tell delegates what the programme loaded changes
    from the one they were last told of, and answer a `python -m bot reload` that a bot which
    stopped never answered (the command may still be waiting)."""
    token = requests.pending()
    if token is not None:
        result = await services.reloader.reload("command line, served at start")
        _answer(requests, token, result, "Reloaded when the bot started again.")
        if result.ok:
            return
    result = await services.reloader.catch_up("start")
    if result.changed:
        heading = "Changed since the programme last announced:"
        for line in summary_lines(result, heading):
            logger.info("%s", line)


def _answer(requests: ReloadRequests, token: str, result: ReloadResult, heading: str) -> None:
    lines = summary_lines(result, heading)
    requests.answer(token, result.ok, lines)
    for line in lines:
        logger.info("%s", line)


@on_the_clock
async def _tick(context: BotContext) -> None:
    await context.services.delivery.tick()


async def _replan(context: BotContext) -> None:
    """A safety net: consultation choices, returning delegates, anything not hooked."""
    await context.services.reminders.plan()


async def _watch_reload_requests(context: BotContext) -> None:
    """`python -m bot reload` leaves a request next to the database; serve it."""
    requests: ReloadRequests | None = context.bot_data.get("reload_requests")
    token = requests.pending() if requests else None
    if requests is None or token is None:
        return
    result = await context.services.reloader.reload("command line")
    _answer(requests, token, result, "Reloaded.")
