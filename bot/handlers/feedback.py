"""Delegates' feedback: session ratings and comments, the survey, recommendations, /myfeedback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot.context import BotContext, Services
from bot.handlers.common import callback_parts, expected_text, out_of_date, parse_id, reply, show
from bot.handlers.consultation import need_consultation, open_consultation
from bot.handlers.formatting import (
    day_and_time,
    esc,
    moment,
    shorten,
    spans_days,
    time_range,
)
from bot.handlers.outbox import Rendered, renderer
from bot.handlers.panel import ask_rows
from bot.i18n import _, current_language, ngettext, pick_language, set_language
from bot.services.errors import SessionNotFound
from bot.services.event_data import Consultation, Session
from bot.services.feedback import (
    COMMENT,
    LINK_PREFIX,
    OTHER_THEME,
    RECOMMENDATION,
    SESSION_PROMPT,
    SURVEY_PROMPT,
    SURVEY_TEXT,
    FeedbackNotFound,
    FeedbackNotOpen,
    SurveyNotOpen,
)
from bot.services.survey_data import Question
from bot.storage.feedback import FeedbackRecord
from bot.storage.outbox import OutboxItem

logger = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE


def _title(session: Session) -> str:
    return session.title.get(current_language())


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


# --- the rating card ----------------------------------------------------------------------


def rating_keyboard(session: Session, record: FeedbackRecord | None) -> InlineKeyboardMarkup:
    current = record.rating if record else None
    row = [
        InlineKeyboardButton(
            ("✅ " if n == current else "") + f"{n}★", callback_data=f"fb:r:{session.id}:{n}"
        )
        for n in range(1, 6)
    ]
    extra = [InlineKeyboardButton("✍️ " + _("Add a comment"), callback_data=f"fb:c:{session.id}")]
    if record is None or record.attended:
        extra.append(
            InlineKeyboardButton("🚫 " + _("I did not attend"), callback_data=f"fb:x:{session.id}")
        )
    return InlineKeyboardMarkup([row, extra])


def rating_text(
    services: Services,
    consultation: Consultation,
    session: Session,
    record: FeedbackRecord | None,
) -> str:
    lines = [
        "⭐ <b>" + esc(_title(session)) + "</b>",
        esc(time_range(session, consultation)),
        "",
    ]
    if record is None or (record.rating is None and record.attended):
        lines.append(_("How was this session? Tap 1 (poor) to 5 (excellent)."))
    elif not record.attended:
        lines.append(_("You told us you did not attend. Tap a rating if you did after all."))
    else:
        assert record.rating is not None
        lines.append(
            _("Your rating: {stars} ({rating}/5). Tap another number to change it.").format(
                stars=stars(record.rating), rating=record.rating
            )
        )
    if record is not None and record.comment:
        lines.append("")
        lines.append(_("Your comment:") + " <i>" + esc(record.comment) + "</i>")
    # "Until 23:59" reads better than "until 00:00" of the day after.
    closes = services.feedback.window(consultation, session)[1] - timedelta(minutes=1)
    lines.append("")
    lines.append(
        "<i>"
        + _("Anonymous unless you sign. Open until {time}.").format(
            time=esc(moment(closes, consultation))
        )
        + "</i>"
    )
    return "\n".join(lines)


async def _show_rating(
    update: Update, context: BotContext, consultation: Consultation, session: Session
) -> None:
    assert context.profile is not None
    record = await context.services.feedback.own(context.profile.user_id, consultation, session.id)
    services = context.services
    # While the session runs, its door QR code also leads to its panel's questions.
    panel = ask_rows(context, consultation, session)
    if not services.feedback.is_open(consultation, session):
        markup = InlineKeyboardMarkup(panel) if panel else None
        await show(update, context, _closed_text(services, consultation, session), markup)
        return
    keyboard = rating_keyboard(session, record)
    await show(
        update,
        context,
        rating_text(services, consultation, session, record),
        InlineKeyboardMarkup([*keyboard.inline_keyboard, *panel]),
    )


def _closed_text(services: Services, consultation: Consultation, session: Session) -> str:
    opens, closes = services.feedback.window(consultation, session)
    title = "<b>" + esc(_title(session)) + "</b>"
    if services.clock.now() < opens:
        return _("Feedback on {title} opens when the session starts ({time}).").format(
            title=title, time=esc(moment(opens, consultation))
        )
    return _("Feedback on {title} closed on {time}. Thank you!").format(
        title=title, time=esc(moment(closes, consultation))
    )


async def _session_for(
    update: Update, context: BotContext, session_id: str
) -> tuple[Consultation, Session] | None:
    consultation = context.consultation
    try:
        if consultation is None:
            raise SessionNotFound(session_id)
        session = context.services.feedback.session(consultation, session_id)
    except SessionNotFound:
        if update.callback_query:
            await update.callback_query.answer(
                _("This session is no longer in the programme."), show_alert=True
            )
        return None
    return consultation, session


async def show_feedback(update: Update, context: BotContext) -> None:
    """/feedback: the sessions open for rating, with the delegate's own ratings."""
    consultation = await open_consultation(update, context)
    if consultation is None or context.profile is None:
        return
    items = await context.services.feedback.open_sessions(context.profile.user_id, consultation)
    if not items:
        await reply(
            update,
            context,
            _(
                "No session is open for feedback right now. After each session you attend, "
                "I will ask you how it was."
            ),
        )
        return
    rows = []
    # Yesterday's sessions are still open beside today's: the list then says which day.
    with_day = spans_days([session for session, _record in items], consultation)
    for session, record in items:
        mark = "✅ " if record is not None else ""
        times = (
            day_and_time(session, consultation) if with_day else time_range(session, consultation)
        )
        label = f"{mark}{times} · {shorten(_title(session), 32)}"
        rows.append([InlineKeyboardButton(label, callback_data=f"fb:o:{session.id}")])
    text = (
        "⭐ <b>"
        + _("Rate a session")
        + "</b>\n\n"
        + _("Tap a session to rate it. ✅ marks those you already rated.")
    )
    await reply(update, context, text, InlineKeyboardMarkup(rows))


async def open_button(update: Update, context: BotContext) -> None:
    """fb:o:<session>"""
    parts = callback_parts(update, 3)
    if parts is None:
        return await out_of_date(update)
    found = await _session_for(update, context, parts[2])
    if found is None or update.callback_query is None:
        return
    await update.callback_query.answer()
    await _show_rating(update, context, *found)


async def open_feedback_link(update: Update, context: BotContext, payload: str) -> None:
    """/start fb_<session>: the deep link (or room-door QR code) of a session."""
    user = update.effective_user
    profile = context.profile
    if user is None or profile is None:
        return
    if profile.language is None:
        language = pick_language(user.language_code)
        await context.services.people.set_language(user.id, language)
        set_language(language)
    try:
        consultation, session = context.services.feedback.find_linked(
            payload, context.consultation
        )
    except SessionNotFound:
        await reply(update, context, _("I could not find that session. Send /feedback instead."))
        return
    if context.consultation is None or context.consultation.id != consultation.id:
        await context.services.people.set_consultation(user.id, consultation.id)
        context.profile = await context.services.people.profile(user.id, user.first_name)
    await context.services.panel.record_visit(user.id, consultation, session)
    await _show_rating(update, context, consultation, session)


def is_feedback_link(payload: str) -> bool:
    return payload.startswith(LINK_PREFIX)


async def rate_button(update: Update, context: BotContext) -> None:
    """fb:r:<session>:<n> — one tap."""
    parts = callback_parts(update, 4)
    rating = parse_id(parts[3]) if parts else None
    if parts is None or update.callback_query is None or rating is None or not 1 <= rating <= 5:
        return await out_of_date(update)
    await _rate(update, context, parts[2], rating)


async def not_attended_button(update: Update, context: BotContext) -> None:
    """fb:x:<session>"""
    parts = callback_parts(update, 3)
    if parts is None:
        return await out_of_date(update)
    await _rate(update, context, parts[2], None)


async def _rate(update: Update, context: BotContext, session_id: str, rating: int | None) -> None:
    query = update.callback_query
    found = await _session_for(update, context, session_id)
    if found is None or query is None or context.profile is None:
        return
    consultation, session = found
    try:
        await context.services.feedback.rate(
            context.profile.user_id, consultation, session.id, rating
        )
    except FeedbackNotOpen:
        await query.answer(_("Feedback on this session is closed."), show_alert=True)
        await show(update, context, _closed_text(context.services, consultation, session))
        return
    await query.answer(_("Thank you!") if rating else _("Noted: you did not attend."))
    await _show_rating(update, context, consultation, session)


async def comment_button(update: Update, context: BotContext) -> None:
    """fb:c:<session>: the next text message is the comment."""
    parts = callback_parts(update, 3)
    if parts is None:
        return await out_of_date(update)
    found = await _session_for(update, context, parts[2])
    query = update.callback_query
    if found is None or query is None or context.profile is None:
        return
    consultation, session = found
    if not context.services.feedback.is_open(consultation, session):
        await query.answer(_("Feedback on this session is closed."), show_alert=True)
        return
    await query.answer()
    await context.services.feedback.expect(
        context.profile.user_id, COMMENT, consultation, session.id
    )
    await reply(
        update,
        context,
        _(
            "Write your comment on <b>{title}</b> in one message. It stays anonymous unless you "
            "choose to sign it."
        ).format(title=esc(_title(session))),
        _cancel_keyboard(),
    )


def _cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("✖️ " + _("Cancel"), callback_data="fb:cancel")]]
    )


async def cancel_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or context.profile is None:
        return
    await context.services.feedback.stop_expecting(context.profile.user_id)
    await query.answer()
    await show(update, context, _("Cancelled."))


def _comment_keyboard(record: FeedbackRecord) -> InlineKeyboardMarkup:
    sign = (
        InlineKeyboardButton("👤 " + _("Make it anonymous"), callback_data=f"fb:us:{record.id}")
        if record.signed
        else InlineKeyboardButton(
            "✒️ " + _("Sign with my name"), callback_data=f"fb:sg:{record.id}"
        )
    )
    return InlineKeyboardMarkup(
        [
            [sign],
            [
                InlineKeyboardButton(
                    "🗑 " + _("Delete my feedback"), callback_data=f"fb:del:{record.id}"
                )
            ],
        ]
    )


def _comment_saved_text(record: FeedbackRecord) -> str:
    if record.signed:
        return _("Your comment is saved, signed {name}. Thank you!").format(
            name=esc(record.signer_name or "")
        )
    return _("Your comment is saved, anonymously. Thank you!")


_Signed = TypeVar("_Signed")


async def _sign(
    update: Update,
    context: BotContext,
    sign: Callable[[int, int, str | None], Awaitable[_Signed]],
) -> _Signed | None:
    """<ns>:sg:<id> signs the delegate's item with their name, <ns>:us:<id> unsigns it."""
    parts = callback_parts(update, 3)
    query = update.callback_query
    item_id = parse_id(parts[2]) if parts else None
    if parts is None or query is None or item_id is None or context.profile is None:
        await out_of_date(update)
        return None
    name = context.profile.first_name or str(context.profile.user_id)
    try:
        record = await sign(context.profile.user_id, item_id, name if parts[1] == "sg" else None)
    except FeedbackNotFound:
        await out_of_date(update)
        return None
    await query.answer()
    return record


async def sign_button(update: Update, context: BotContext) -> None:
    """fb:sg:<id> signs a comment, fb:us:<id> makes it anonymous again."""
    record = await _sign(update, context, context.services.feedback.sign)
    if record is not None:
        await show(update, context, _comment_saved_text(record), _comment_keyboard(record))


async def delete_button(update: Update, context: BotContext) -> None:
    """fb:del:<id>: delete one's rating and comment on a session."""
    parts = callback_parts(update, 3)
    query = update.callback_query
    feedback_id = parse_id(parts[2]) if parts else None
    if query is None or feedback_id is None or context.profile is None:
        return await out_of_date(update)
    try:
        await context.services.feedback.delete(context.profile.user_id, feedback_id)
    except FeedbackNotFound:
        return await out_of_date(update)
    await query.answer(_("Deleted."))
    await show_my_feedback(update, context)


# --- typed text: comment, survey answer, recommendation -----------------------------------


async def capture_text(update: Update, context: BotContext) -> None:
    """The text a delegate was asked for: their comment, survey answer or recommendation."""
    message = update.effective_message
    profile = context.profile
    if message is None or message.text is None or profile is None:
        return
    feedback = context.services.feedback
    awaiting = feedback.expected(profile.user_id)
    consultation = context.services.events.get(awaiting.consultation_id) if awaiting else None
    if awaiting is None or consultation is None:
        return
    await feedback.stop_expecting(profile.user_id)
    text = message.text
    if awaiting.kind == COMMENT:
        try:
            record = await feedback.comment(profile.user_id, consultation, awaiting.target, text)
        except (FeedbackNotOpen, SessionNotFound):
            await reply(update, context, _("Feedback on this session is closed."))
            return
        await reply(update, context, _comment_saved_text(record), _comment_keyboard(record))
    elif awaiting.kind == SURVEY_TEXT:
        try:
            question = await feedback.answer(profile.user_id, consultation, awaiting.target, text)
        except (SurveyNotOpen, FeedbackNotFound):
            await reply(update, context, _("The survey is closed."))
            return
        await _ask_next(update, context, consultation, question.id)
    elif awaiting.kind == RECOMMENDATION:
        try:
            saved = await feedback.recommend(profile.user_id, consultation, awaiting.target, text)
        except FeedbackNotFound:
            await reply(
                update,
                context,
                _("This theme is no longer open. Send /recommend to choose another one."),
            )
            return
        await reply(
            update,
            context,
            _("Your recommendation is saved, anonymously. Thank you!"),
            _recommendation_keyboard(saved.id, signed=False),
        )


# --- the survey ---------------------------------------------------------------------------


def _survey_closed(consultation: Consultation, error: SurveyNotOpen) -> str:
    if consultation.survey is None or not consultation.survey.questions:
        return _("There is no survey for this consultation.")
    if error.not_yet:
        return _("The survey opens when the consultation ends.")
    return _("The survey is closed. Thank you!")


async def show_survey(update: Update, context: BotContext) -> None:
    """/survey (and the prompt's button): start or continue the survey."""
    consultation = await open_consultation(update, context)
    if consultation is None or context.profile is None:
        return
    try:
        question = await context.services.feedback.next_question(
            context.profile.user_id, consultation
        )
    except SurveyNotOpen as error:
        await reply(update, context, _survey_closed(consultation, error))
        return
    if question is None:
        await reply(
            update,
            context,
            _("You have answered every question. Thank you! See /myfeedback to review them."),
        )
        return
    await _ask(update, context, consultation, question)


async def _ask(
    update: Update, context: BotContext, consultation: Consultation, question: Question
) -> None:
    assert consultation.survey is not None
    assert context.profile is not None
    questions = consultation.survey.questions
    index = questions.index(question)
    lines = [
        "📝 " + _("Question {number} of {total}").format(number=index + 1, total=len(questions)),
        "<b>" + esc(question.text.get(current_language())) + "</b>",
    ]
    rows: list[list[InlineKeyboardButton]] = []
    if question.kind == "rating":
        rows.append(
            [InlineKeyboardButton(f"{n}★", callback_data=f"sv:a:{index}:{n}") for n in range(1, 6)]
        )
    elif question.kind == "choice":
        rows.extend(
            [
                InlineKeyboardButton(
                    shorten(option.text.get(current_language())),
                    callback_data=f"sv:a:{index}:{number}",
                )
            ]
            for number, option in enumerate(question.options)
        )
    else:
        lines.append(_("Type your answer in one message."))
        await context.services.feedback.expect(
            context.profile.user_id, SURVEY_TEXT, consultation, question.id
        )
    rows.append([InlineKeyboardButton(_("Skip") + " ⏭", callback_data=f"sv:k:{index}")])
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def _ask_next(
    update: Update, context: BotContext, consultation: Consultation, after: str
) -> None:
    assert context.profile is not None
    try:
        question = await context.services.feedback.next_question(
            context.profile.user_id, consultation, after
        )
    except SurveyNotOpen as error:
        await show(update, context, _survey_closed(consultation, error))
        return
    if question is None:
        await show(
            update,
            context,
            _("Thank you for answering the survey! You can also send recommendations: /recommend"),
        )
        return
    await _ask(update, context, consultation, question)


async def survey_button(update: Update, context: BotContext) -> None:
    """sv:a:<question #>:<value #> answers; sv:k:<question #> skips."""
    query = update.callback_query
    data = query.data if query else None
    consultation = context.consultation
    if query is None or data is None or consultation is None or context.profile is None:
        return await out_of_date(update)
    parts = data.split(":")
    survey = consultation.survey
    answering = parts[1] == "a"
    index = parse_id(parts[2]) if len(parts) == (4 if answering else 3) else None
    if survey is None or index is None or index >= len(survey.questions):
        return await out_of_date(update)
    question = survey.questions[index]
    value = ""
    if answering:
        number = parse_id(parts[3])
        if number is None or (question.kind == "choice" and number >= len(question.options)):
            return await out_of_date(update)
        value = question.options[number].id if question.kind == "choice" else str(number)
    feedback = context.services.feedback
    await feedback.stop_expecting(context.profile.user_id)
    try:
        if answering:
            await feedback.answer(context.profile.user_id, consultation, question.id, value)
        else:
            await feedback.next_question(context.profile.user_id, consultation, question.id)
    except SurveyNotOpen as error:
        await query.answer(_survey_closed(consultation, error), show_alert=True)
        return
    except ValueError:
        return await out_of_date(update)
    await query.answer()
    await _ask_next(update, context, consultation, question.id)


async def delete_answers_button(update: Update, context: BotContext) -> None:
    """sv:del: delete one's survey answers."""
    query = update.callback_query
    consultation = context.consultation
    if query is None or consultation is None or context.profile is None:
        return
    try:
        await context.services.feedback.delete_answers(context.profile.user_id, consultation)
    except FeedbackNotFound:
        return await out_of_date(update)
    await query.answer(_("Deleted."))
    await show_my_feedback(update, context)


# --- recommendations ----------------------------------------------------------------------


async def show_recommend(update: Update, context: BotContext) -> None:
    """/recommend: choose a theme, then write the recommendation."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    lang = current_language()
    rows = [
        [InlineKeyboardButton(shorten(t.title.get(lang)), callback_data=f"rc:t:{t.id}")]
        for t in context.services.feedback.themes(consultation)
    ]
    rows.append([InlineKeyboardButton(_("Other"), callback_data=f"rc:t:{OTHER_THEME}")])
    await reply(
        update,
        context,
        "💡 <b>"
        + _("Recommendations")
        + "</b>\n\n"
        + _(
            "The consultations exist to produce key recommendations. Choose a theme, then "
            "write your recommendation. It stays anonymous unless you sign it."
        ),
        InlineKeyboardMarkup(rows),
    )


async def theme_button(update: Update, context: BotContext) -> None:
    """rc:t:<theme>"""
    parts = callback_parts(update, 3)
    query = update.callback_query
    consultation = context.consultation
    if parts is None or query is None or consultation is None or context.profile is None:
        return await out_of_date(update)
    theme_id = parts[2]
    theme = context.services.feedback.theme(consultation, theme_id)
    if theme is None and theme_id != OTHER_THEME:
        return await out_of_date(update)
    await query.answer()
    await context.services.feedback.expect(
        context.profile.user_id, RECOMMENDATION, consultation, theme_id
    )
    name = theme.title.get(current_language()) if theme else _("Other")
    await show(
        update,
        context,
        _("Theme: <b>{theme}</b>\nWrite your recommendation in one message.").format(
            theme=esc(name)
        ),
        _cancel_keyboard(),
    )


def _recommendation_keyboard(recommendation_id: int, *, signed: bool) -> InlineKeyboardMarkup:
    sign = (
        InlineKeyboardButton(
            "👤 " + _("Make it anonymous"), callback_data=f"rc:us:{recommendation_id}"
        )
        if signed
        else InlineKeyboardButton(
            "✒️ " + _("Sign with my name"), callback_data=f"rc:sg:{recommendation_id}"
        )
    )
    return InlineKeyboardMarkup(
        [
            [sign],
            [
                InlineKeyboardButton(
                    "🗑 " + _("Delete"), callback_data=f"rc:del:{recommendation_id}"
                ),
                InlineKeyboardButton("💡 " + _("Another one"), callback_data="rc:new"),
            ],
        ]
    )


async def sign_recommendation_button(update: Update, context: BotContext) -> None:
    """rc:sg:<id> / rc:us:<id>"""
    record = await _sign(update, context, context.services.feedback.sign_recommendation)
    if record is None:
        return
    text = (
        _("Your recommendation is saved, signed {name}. Thank you!").format(
            name=esc(record.signer_name or "")
        )
        if record.signed
        else _("Your recommendation is saved, anonymously. Thank you!")
    )
    await show(update, context, text, _recommendation_keyboard(record.id, signed=record.signed))


async def delete_recommendation_button(update: Update, context: BotContext) -> None:
    """rc:del:<id>"""
    parts = callback_parts(update, 3)
    query = update.callback_query
    recommendation_id = parse_id(parts[2]) if parts else None
    if query is None or recommendation_id is None or context.profile is None:
        return await out_of_date(update)
    try:
        await context.services.feedback.delete_recommendation(
            context.profile.user_id, recommendation_id
        )
    except FeedbackNotFound:
        return await out_of_date(update)
    await query.answer(_("Deleted."))
    await show_my_feedback(update, context)


# --- /myfeedback --------------------------------------------------------------------------


async def show_my_feedback(update: Update, context: BotContext) -> None:
    """/myfeedback: everything the delegate gave, each with a delete button."""
    consultation = await need_consultation(update, context)
    if consultation is None or context.profile is None:
        return
    if update.callback_query and update.callback_query.data == "fb:mine":
        await update.callback_query.answer()
    feedback = context.services.feedback
    user_id = context.profile.user_id
    records = await feedback.mine(user_id, consultation)
    answers = await feedback.my_answers(user_id, consultation)
    recommendations = await feedback.my_recommendations(user_id, consultation)
    if not (records or answers or recommendations):
        await show(
            update,
            context,
            _("You have not given any feedback yet. Send /feedback to rate a session."),
        )
        return
    lang = current_language()
    lines = ["🗂 <b>" + _("My feedback") + "</b>"]
    rows: list[list[InlineKeyboardButton]] = []
    if records:
        lines.append("")
        for record in records:
            session = consultation.session(record.session_id)
            title = session.title.get(lang) if session else record.session_id
            if record.rating is not None:
                verdict = stars(record.rating)
            elif not record.attended:
                verdict = _("did not attend")
            else:
                verdict = "—"
            lines.append(f"• <b>{esc(title)}</b>: {verdict}")
            if record.comment:
                note = _("signed") if record.signed else _("anonymous")
                lines.append(f"   <i>{esc(record.comment)}</i> ({note})")
            rows.append(
                [
                    InlineKeyboardButton(
                        "🗑 " + shorten(title, 40), callback_data=f"fb:del:{record.id}"
                    )
                ]
            )
    if answers:
        lines.append("")
        lines.append(
            ngettext(
                "Survey: {count} answer given.", "Survey: {count} answers given.", len(answers)
            ).format(count=len(answers))
        )
        rows.append([InlineKeyboardButton("🗑 " + _("My survey answers"), callback_data="sv:del")])
    if recommendations:
        lines.append("")
        lines.append("💡 <b>" + _("Recommendations") + "</b>")
        for item in recommendations:
            theme = feedback.theme(consultation, item.theme_id)
            name = theme.title.get(lang) if theme else _("Other")
            lines.append(f"• <b>{esc(name)}</b>: <i>{esc(item.text)}</i>")
            rows.append(
                [
                    InlineKeyboardButton(
                        "🗑 " + shorten(item.text, 40), callback_data=f"rc:del:{item.id}"
                    )
                ]
            )
    lines.append("")
    lines.append(_("Tap 🗑 to delete an item."))
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


# --- prompts after sessions and at the end of the consultation ----------------------------


@renderer(SESSION_PROMPT)
async def render_session_prompt(services: Services, item: OutboxItem) -> Rendered | None:
    """After a session: rate it in one tap (none if it is gone, closed or already rated)."""
    consultation = services.events.get(item.consultation_id)
    if consultation is None:
        return None
    session = await services.feedback.session_to_prompt(
        item.delegate, consultation, str(item.payload.get("session", ""))
    )
    if session is None:
        return None
    return Rendered(
        "🔔 " + rating_text(services, consultation, session, None),
        rating_keyboard(session, None),
    )


@renderer(SURVEY_PROMPT)
async def render_survey_prompt(services: Services, item: OutboxItem) -> Rendered | None:
    """When the consultation ends: the invitation to the survey (none once it is closed)."""
    consultation = services.events.get(item.consultation_id)
    if consultation is None:
        return None
    survey = await services.feedback.survey_to_prompt(item.delegate, consultation)
    if survey is None:
        return None
    intro = survey.intro.get(current_language()) if survey.intro else ""
    text = (
        "📝 <b>"
        + _("The consultation is over: thank you for taking part!")
        + "</b>\n\n"
        + (esc(intro) + "\n\n" if intro else "")
        + _("Would you answer a few short questions? It takes a minute.")
    )
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("📝 " + _("Start the survey"), callback_data="sv:go")]]
    )
    return Rendered(text, markup)


# --- registration -------------------------------------------------------------------------

COMMANDS = {
    "feedback": show_feedback,
    "myfeedback": show_my_feedback,
    "survey": show_survey,
    "recommend": show_recommend,
}

CALLBACKS = {
    r"^fb:o:": open_button,
    r"^fb:r:": rate_button,
    r"^fb:x:": not_attended_button,
    r"^fb:c:": comment_button,
    r"^fb:cancel$": cancel_button,
    r"^fb:(sg|us):": sign_button,
    r"^fb:del:": delete_button,
    r"^fb:mine$": show_my_feedback,
    r"^sv:go$": show_survey,
    r"^sv:(a|k):": survey_button,
    r"^sv:del$": delete_answers_button,
    r"^rc:t:": theme_button,
    r"^rc:(sg|us):": sign_recommendation_button,
    r"^rc:del:": delete_recommendation_button,
    r"^rc:new$": show_recommend,
}


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Call before the fallback and free-text handlers: typed comments must reach us first."""
    # The sender's next text was asked for (a comment, a survey answer, a recommendation).
    awaited = expected_text(
        application, "AwaitingText", lambda s, user: s.feedback.expected(user), capture_text
    )
    application.add_handler(awaited)
    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    for pattern, button in CALLBACKS.items():
        application.add_handler(CallbackQueryHandler(button, pattern=pattern))
