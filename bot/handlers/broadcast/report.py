"""Progress and final reports, /broadcasts, and stopping one scheduled or being sent."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext, Services
from bot.handlers.broadcast.access import organiser_only
from bot.handlers.broadcast.card import button_data
from bot.handlers.broadcast.labels import (
    audience_label,
    delegate_count,
    end_moment,
    local_moment,
    number,
    quoted_excerpt,
    scope_name,
)
from bot.handlers.common import reply, show
from bot.handlers.formatting import esc, person, shorten
from bot.i18n import _, isolate, ngettext
from bot.services.broadcasts import Report
from bot.storage.broadcasts import CANCELLED, DONE, SCHEDULED, SENDING, BroadcastRecord

LISTED = 10


def _reason_label(state: str, reason: str) -> str:
    if state == "skipped":
        return _("deleted their data") if reason == "user gone" else _("not sent")
    if state == "expired":
        return _("too late")
    if reason == "blocked":
        return _("blocked the bot")
    if reason == "chat not found":
        return _("never opened a chat with the bot")
    return _("Telegram refused it ({reason})").format(reason=esc(shorten(reason, 60)))


def report_text(services: Services, report: Report) -> str:
    """The progress or the final report of a broadcast, in the reader's language."""
    record = report.record
    excerpt = quoted_excerpt(record)
    title = {
        SCHEDULED: "🕘 <b>" + _("Scheduled announcement") + "</b>",
        SENDING: "📤 <b>" + _("Sending the announcement") + "</b>",
        DONE: "✅ <b>" + _("Announcement sent") + "</b>",
        CANCELLED: "✖️ <b>" + _("Announcement stopped") + "</b>",
    }.get(record.state, "📢")
    lines = [f"{title} #{record.id}" + (f" — {excerpt}" if excerpt else "")]
    lines.append(
        "👥 " + audience_label(services, record) + " · " + esc(scope_name(services, record))
    )
    if record.state == SCHEDULED:
        lines.append(
            _("Goes out {when}.").format(
                when=esc(local_moment(services, record, record.scheduled_at))
            )
        )
        return "\n".join(lines)
    total = record.recipients or report.total
    lines.append(
        _("Sent to {sent} of {people}.").format(
            sent=number(report.sent), people=delegate_count(total)
        )
    )
    if report.failed:
        reasons = " · ".join(
            f"{_reason_label(state, reason)}: {number(count)}"
            for state, reason, count in report.failures
        )
        lines.append("❌ " + _("Not delivered: {count}").format(count=number(report.failed)))
        lines.append("   " + reasons)
    if report.unknown_count:
        names = ", ".join(
            f"{person(name or '?')} ({isolate(str(user_id))})" for user_id, name in report.unknown
        )
        more = report.unknown_count - len(report.unknown)
        if more > 0:
            names += " " + ngettext("and {count} more", "and {count} more", more).format(
                count=number(more)
            )
        lines.append(
            "❓ "
            + _(
                "Unknown: {count} — the connection broke while sending; they may or may not "
                "have it, and it is not resent on its own: {names}"
            ).format(count=number(report.unknown_count), names=names)
        )
    if record.state == SENDING and report.open:
        lines.append("⏳ " + _("Still to send: {count}").format(count=number(report.open)))
    if record.state == CANCELLED and report.cancelled:
        lines.append(
            _("Not sent, as it was stopped: {count}").format(count=number(report.cancelled))
        )
    if record.started_at is not None:
        span = _("Started {when}").format(
            when=esc(local_moment(services, record, record.started_at))
        )
        if record.finished_at is not None:
            span += " · " + _("ended {when}").format(
                when=esc(end_moment(services, record, record.started_at, record.finished_at))
            )
        lines.append("🕘 " + span)
    return "\n".join(lines)


def report_markup(record: BroadcastRecord) -> InlineKeyboardMarkup | None:
    if record.state in (SCHEDULED, SENDING):
        label = _("Cancel it") if record.state == SCHEDULED else _("Stop sending")
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton("✖️ " + label, callback_data=button_data(record, "k"))]]
        )
    return None


async def list_broadcasts(update: Update, context: BotContext) -> None:
    """/broadcasts: scheduled and running ones first, then the latest, with their state."""
    if not await organiser_only(update, context):
        return
    services = context.services
    consultation = context.consultation
    records = await services.broadcasts.recent(consultation.id if consultation else None, LISTED)
    if not records:
        await reply(update, context, _("No announcements yet. /broadcast writes one."), None)
        return
    lines = ["📢 <b>" + _("Announcements") + "</b>", ""]
    rows = []
    for record in records:
        report = await services.broadcasts.report(record)
        lines.append(report_text(services, report))
        lines.append("")
        if record.state in (SCHEDULED, SENDING):
            rows.append(
                [
                    InlineKeyboardButton(
                        "✖️ " + _("Stop #{number}").format(number=record.id),
                        callback_data=button_data(record, "k"),
                    )
                ]
            )
    await reply(
        update, context, "\n".join(lines).strip(), InlineKeyboardMarkup(rows) if rows else None
    )


async def ask_cancel(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    if record.state not in (SCHEDULED, SENDING):
        await update.callback_query.answer(_("It has already ended."))
        return
    await update.callback_query.answer()
    question = (
        _("Cancel the scheduled announcement #{number}?")
        if record.state == SCHEDULED
        else _("Stop announcement #{number}? Those not reached yet will not get it.")
    ).format(number=record.id)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✖️ " + _("Yes, stop it"), callback_data=button_data(record, "K")
                ),
                InlineKeyboardButton(_("No, let it go"), callback_data=button_data(record, "v")),
            ]
        ]
    )
    await reply(update, context, question, markup)


async def cancel(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    services = context.services
    if not await services.broadcasts.cancel(record.id):
        await update.callback_query.answer(_("It has already ended."))
    else:
        await update.callback_query.answer(_("Stopped."))
    await _render_report(update, context, record)


async def show_report(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _render_report(update, context, record)


async def _render_report(update: Update, context: BotContext, record: BroadcastRecord) -> None:
    services = context.services
    fresh = await services.broadcasts.get(record.id) or record
    report = await services.broadcasts.report(fresh)
    await show(update, context, report_text(services, report), report_markup(fresh))
