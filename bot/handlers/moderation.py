"""Moderators and organisers: /reviews, a session's histogram and comments, hiding, exports."""

from __future__ import annotations

import asyncio
from typing import Any

from babel.numbers import format_decimal
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext
from bot.handlers.common import out_of_date, page_buttons, parse_id, refuse, reply, show
from bot.handlers.consultation import need_consultation
from bot.handlers.feedback import stars
from bot.handlers.formatting import esc, moment, person, quote, shorten, time_range
from bot.i18n import _, current_language, isolate, ngettext
from bot.services.charts import rating_histogram
from bot.services.errors import NotAllowed, SessionNotFound
from bot.services.event_data import Consultation
from bot.services.exports import render
from bot.services.feedback import SORT_TIME, SORT_WORST, FeedbackNotFound, SessionReview
from bot.services.moderator_web import LINK_VALID, enter_address
from bot.storage.feedback import FeedbackRecord

PRIVATE = filters.ChatType.PRIVATE
SESSIONS_PER_PAGE = 8
COMMENTS_PER_PAGE = 5
EXPORT_KINDS = {
    "f": "feedback",
    "s": "survey",
    "r": "recommendations",
    "p": "polls",
    "q": "questions",
}


def _refusal() -> str:
    return _("Sorry, this is only for the consultation's moderators and organisers.")


async def _allowed(update: Update, context: BotContext) -> bool:
    """Moderators and organisers only; anyone else gets a polite refusal and sees nothing."""
    if context.profile is not None and context.profile.is_moderator:
        return True
    await refuse(update, context, _refusal())
    return False


async def _moderated_consultation(update: Update, context: BotContext) -> Consultation | None:
    if not await _allowed(update, context):
        return None
    return await need_consultation(update, context)


def _average(review: SessionReview) -> str:
    if review.stats.average is None:
        return "—"
    average = format_decimal(review.stats.average, "0.0", locale=current_language())
    return f"{isolate(average)}★"


def _figures(review: SessionReview) -> str:
    stats = review.stats
    return (
        ngettext("{count} rating", "{count} ratings", stats.count).format(count=stats.count)
        + " · "
        + ngettext("{count} comment", "{count} comments", stats.comments).format(
            count=stats.comments
        )
    )


def _export_rows() -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton("⬇️ " + _("Feedback CSV"), callback_data="mv:x:f:csv"),
            InlineKeyboardButton("⬇️ " + _("Feedback XLSX"), callback_data="mv:x:f:xlsx"),
        ],
        [
            InlineKeyboardButton("⬇️ " + _("Survey CSV"), callback_data="mv:x:s:csv"),
            InlineKeyboardButton("⬇️ " + _("Recommendations CSV"), callback_data="mv:x:r:csv"),
        ],
        [
            InlineKeyboardButton("⬇️ " + _("Polls CSV"), callback_data="mv:x:p:csv"),
            InlineKeyboardButton("⬇️ " + _("Polls XLSX"), callback_data="mv:x:p:xlsx"),
        ],
        [
            InlineKeyboardButton("⬇️ " + _("Panel questions CSV"), callback_data="mv:x:q:csv"),
            InlineKeyboardButton("⬇️ " + _("Panel questions XLSX"), callback_data="mv:x:q:xlsx"),
        ],
    ]


async def show_reviews(update: Update, context: BotContext) -> None:
    """/reviews: every session with ratings count, average and comments; worst first."""
    consultation = await _moderated_consultation(update, context)
    if consultation is None:
        return
    if update.callback_query:
        await update.callback_query.answer()
    await _reviews_page(update, context, consultation, SORT_WORST, 0)


async def _reviews_page(
    update: Update, context: BotContext, consultation: Consultation, sort: str, page: int
) -> None:
    reviews = await context.services.feedback.reviews(consultation, sort)
    pages = max(1, -(-len(reviews) // SESSIONS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = reviews[page * SESSIONS_PER_PAGE : (page + 1) * SESSIONS_PER_PAGE]
    lang = current_language()
    order = _("worst rated first") if sort == SORT_WORST else _("in programme order")
    lines = [
        "📊 <b>" + _("Session feedback") + "</b> — " + esc(consultation.name.get(lang)),
        "<i>" + order + "</i>",
        "",
    ]
    rows: list[list[InlineKeyboardButton]] = []
    for number, review in enumerate(shown, page * SESSIONS_PER_PAGE + 1):
        title = review.session.title.get(lang)
        lines.append(f"{number}. <b>{esc(title)}</b>\n    {_average(review)} · {_figures(review)}")
        short = shorten(title, 30)
        rows.append(
            [
                InlineKeyboardButton(
                    f"{number}. {_average(review)} · {short}",
                    callback_data=f"mv:s:{review.session.id}",
                )
            ]
        )
    if pages > 1:
        lines.append("")
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
        rows.append(page_buttons(page, pages, lambda n: f"mv:l:{sort}:{n}"))
    other = SORT_TIME if sort == SORT_WORST else SORT_WORST
    label = _("Sort by time") if sort == SORT_WORST else _("Sort worst first")
    rows.append([InlineKeyboardButton("↕️ " + label, callback_data=f"mv:l:{other}:0")])
    rows.extend(_export_rows())
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def reviews_button(update: Update, context: BotContext) -> None:
    """mv:l:<sort>:<page>"""
    consultation = await _moderated_consultation(update, context)
    query = update.callback_query
    if consultation is None or query is None or query.data is None:
        return
    parts = query.data.split(":")
    page = parse_id(parts[3]) if len(parts) == 4 else None
    if page is None or parts[2] not in (SORT_WORST, SORT_TIME):
        await out_of_date(update)
        return
    await query.answer()
    await _reviews_page(update, context, consultation, parts[2], page)


async def session_review_button(update: Update, context: BotContext) -> None:
    """mv:s:<session>: the histogram as an image, then the comments."""
    consultation = await _moderated_consultation(update, context)
    query = update.callback_query
    chat = update.effective_chat
    if consultation is None or query is None or query.data is None or chat is None:
        return
    feedback = context.services.feedback
    try:
        review = await feedback.review(consultation, query.data.split(":", 2)[2])
    except SessionNotFound:
        await query.answer(_("This session is no longer in the programme."), show_alert=True)
        return
    await query.answer()
    counts = await feedback.histogram(consultation, review.session.id)
    lang = current_language()
    caption_lines = [
        "<b>" + esc(review.session.title.get(lang)) + "</b>",
        esc(time_range(review.session, consultation)),
        _("Average: {average}").format(average=_average(review)) + " · " + _figures(review),
    ]
    if review.stats.not_attended:
        caption_lines.append(
            ngettext(
                "{count} delegate said they did not attend.",
                "{count} delegates said they did not attend.",
                review.stats.not_attended,
            ).format(count=review.stats.not_attended)
        )
    image = rating_histogram(counts, review.stats.average)
    await context.bot.send_photo(
        chat.id,
        InputFile(image, filename=f"ratings-{review.session.id}.png"),
        caption="\n".join(caption_lines),
        parse_mode=ParseMode.HTML,
    )
    await _comments_page(update, context, consultation, review.session.id, 0, edit=False)


def _comment_lines(number: int, record: FeedbackRecord, consultation: Consultation) -> list[str]:
    rating = stars(record.rating) if record.rating is not None else "—"
    author = (
        _("signed: {name}").format(name=person(record.signer_name or ""))
        if record.signed
        else (_("anonymous"))
    )
    head = (
        f"<b>#{number}</b> · {rating} · {author} · {esc(moment(record.updated_at, consultation))}"
    )
    if record.hidden:
        return [
            head,
            "🚫 <i>"
            + _("Hidden by a moderator:")
            + "</i> <s>"
            + quote(record.comment or "")
            + "</s>",
        ]
    return [head, "<i>" + quote(record.comment or "") + "</i>"]


async def _comments_page(
    update: Update,
    context: BotContext,
    consultation: Consultation,
    session_id: str,
    page: int,
    *,
    edit: bool,
) -> None:
    feedback = context.services.feedback
    session = feedback.session(consultation, session_id)
    comments = await feedback.comments(consultation, session_id)
    pages = max(1, -(-len(comments) // COMMENTS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    first = page * COMMENTS_PER_PAGE
    shown = comments[first : first + COMMENTS_PER_PAGE]
    lines = ["💬 <b>" + esc(session.title.get(current_language())) + "</b>", ""]
    rows: list[list[InlineKeyboardButton]] = []
    if not comments:
        lines.append(_("No comments yet."))
    hide_row: list[InlineKeyboardButton] = []
    for number, record in enumerate(shown, first + 1):
        lines.extend(_comment_lines(number, record, consultation))
        lines.append("")
        if record.hidden:
            hide_row.append(
                InlineKeyboardButton(
                    "👁 " + _("Unhide #{number}").format(number=number),
                    callback_data=f"mv:u:{record.id}:{page}",
                )
            )
        else:
            hide_row.append(
                InlineKeyboardButton(
                    "🚫 " + _("Hide #{number}").format(number=number),
                    callback_data=f"mv:h:{record.id}:{page}",
                )
            )
    for start in range(0, len(hide_row), 3):
        rows.append(hide_row[start : start + 3])
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
        rows.append(page_buttons(page, pages, lambda n: f"mv:c:{session_id}:{n}"))
    rows.append(
        [
            InlineKeyboardButton("« " + _("All sessions"), callback_data=f"mv:l:{SORT_WORST}:0"),
            InlineKeyboardButton("⬇️ " + _("Export CSV"), callback_data="mv:x:f:csv"),
        ]
    )
    text = "\n".join(lines).rstrip()
    markup = InlineKeyboardMarkup(rows)
    if edit:
        await show(update, context, text, markup)
    else:
        await reply(update, context, text, markup)


async def comments_button(update: Update, context: BotContext) -> None:
    """mv:c:<session>:<page>"""
    consultation = await _moderated_consultation(update, context)
    query = update.callback_query
    if consultation is None or query is None or query.data is None:
        return
    parts = query.data.split(":")
    page = parse_id(parts[3]) if len(parts) == 4 else None
    if page is None:
        await out_of_date(update)
        return
    try:
        await query.answer()
        await _comments_page(update, context, consultation, parts[2], page, edit=True)
    except SessionNotFound:
        await show(update, context, _("This session is no longer in the programme."))


async def hide_button(update: Update, context: BotContext) -> None:
    """mv:h:<feedback>:<page> hides a comment, mv:u:... shows it again."""
    consultation = await _moderated_consultation(update, context)
    query = update.callback_query
    profile = context.profile
    if consultation is None or query is None or query.data is None or profile is None:
        return
    parts = query.data.split(":")
    feedback_id, page = (
        (parse_id(parts[2]), parse_id(parts[3])) if len(parts) == 4 else (None, None)
    )
    if feedback_id is None or page is None:
        await out_of_date(update)
        return
    hidden = parts[1] == "h"
    feedback = context.services.feedback
    try:
        record = await feedback.get(feedback_id)
        if record.consultation_id != consultation.id or record.comment is None:
            raise FeedbackNotFound(parts[2])
        await feedback.set_hidden(profile.user_id, profile.is_moderator, record.id, hidden)
    except FeedbackNotFound:
        await query.answer(_("This comment was deleted by its author."), show_alert=True)
        return
    except NotAllowed:
        await query.answer(_refusal(), show_alert=True)
        return
    await query.answer(
        _("Hidden: kept, but left out of exports.") if hidden else _("Shown again.")
    )
    await _comments_page(update, context, consultation, record.session_id, page, edit=True)


async def export_button(update: Update, context: BotContext) -> None:
    """mv:x:<f|s|r|q>:<csv|xlsx>: the export as a document."""
    consultation = await _moderated_consultation(update, context)
    query = update.callback_query
    chat = update.effective_chat
    if consultation is None or query is None or query.data is None or chat is None:
        return
    parts = query.data.split(":")
    if len(parts) != 4 or parts[2] not in EXPORT_KINDS or parts[3] not in ("csv", "xlsx"):
        await out_of_date(update)
        return
    await query.answer()
    kind, fmt = EXPORT_KINDS[parts[2]], parts[3]
    # The moderator's language for the headers and the sheet's title; times in the zone named.
    if kind == "polls":
        table = await context.services.polls.table(consultation.id, current_language())
    else:
        table = await context.services.feedback.table(kind, consultation, current_language())
    content = await asyncio.to_thread(render, table, fmt)
    stamp = context.services.clock.now().astimezone(consultation.timezone).strftime("%Y%m%d-%H%M")
    captions = {
        "feedback": _("Session feedback"),
        "survey": _("Survey answers"),
        "recommendations": _("Recommendations"),
        "polls": _("Poll results"),
        "questions": _("Questions to the panels"),
    }
    caption = (
        captions[kind]
        + " — "
        + ngettext("{count} row", "{count} rows", len(table.rows)).format(count=len(table.rows))
        + "\n"
        + (
            _("Counts per option only: no delegate is named.")
            if kind == "polls"
            else _("Hidden comments are left out; names appear only where delegates signed.")
        )
    )
    await context.bot.send_document(
        chat.id,
        InputFile(content, filename=f"{consultation.id}-{kind}-{stamp}.{fmt}", attach=True),
        caption=caption,
    )


async def send_dashboard_link(update: Update, context: BotContext) -> None:
    """/dashboard: a one-time link to the moderators' web view, valid LINK_VALID."""
    consultation = await _moderated_consultation(update, context)
    chat = update.effective_chat
    profile = context.profile
    if consultation is None or chat is None or profile is None:
        return
    base_url = context.services.config.web_base_url
    if not base_url:
        await reply(
            update,
            context,
            _(
                "The moderators' web view is not set up for this bot (WEB_BASE_URL is not "
                "configured). /reviews shows the same feedback here in the chat."
            ),
        )
        return
    try:
        token = await context.services.moderator_web.issue_link(profile, consultation.id)
    except NotAllowed:
        await reply(update, context, _refusal())
        return
    minutes = int(LINK_VALID.total_seconds() // 60)
    lines = [
        "🖥 <b>"
        + _("Moderators' view")
        + "</b> — "
        + esc(consultation.name.get(current_language())),
        "",
        ngettext(
            "Open this link on your computer within {minutes} minute. It works once, and only "
            "for you: do not forward it.",
            "Open this link on your computer within {minutes} minutes. It works once, and only "
            "for you: do not forward it.",
            minutes,
        ).format(minutes=minutes),
        "",
        esc(enter_address(base_url, token)),
    ]
    # No preview: Telegram would fetch the address to build one. Fetching it spends nothing
    # (only the page's button does), but a one-time secret has no business with a fetcher.
    await context.bot.send_message(
        chat.id,
        "\n".join(lines),
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


COMMANDS = {"reviews": show_reviews, "dashboard": send_dashboard_link}

CALLBACKS = {
    r"^mv:l:": reviews_button,
    r"^mv:s:": session_review_button,
    r"^mv:c:": comments_button,
    r"^mv:[hu]:": hide_button,
    r"^mv:x:": export_button,
}


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    for pattern, button in CALLBACKS.items():
        application.add_handler(CallbackQueryHandler(button, pattern=pattern))
