"""Quick polls during a live session: a chair's short wizard (/poll, or 📊 on the session card),
the poll as delegates get it and answer it, the results, the chart and closing.

Polls are our own inline buttons, not Telegram's native sendPoll: a native poll has one text for
everyone (ours is in each reader's language, and its results too), counts on Telegram's side
(ours are counted here, exactly once per delegate and option, exportable and deleted by /forget),
and cannot be limited to the session's audience or edited into its results in each language.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from babel.numbers import format_percent
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.context import BotContext, Services
from bot.handlers.agenda import card_part
from bot.handlers.common import (
    edit_shown,
    expected_text,
    message_key,
    on_the_clock,
    out_of_date,
    parse_id,
    refuse,
    reply,
    show,
)
from bot.handlers.consultation import need_consultation
from bot.handlers.formatting import esc, join_list, language_name, shorten, time_range
from bot.handlers.outbox import Rendered, after_sent, group_action, renderer
from bot.i18n import (
    DEFAULT,
    LANGUAGE_NAMES,
    SUPPORTED,
    _,
    current_language,
    ngettext,
    use_language,
)
from bot.services.charts import poll_bars
from bot.services.delivery import Outcome
from bot.services.errors import NotAllowed, SessionNotFound
from bot.services.event_data import Consultation, Session
from bot.services.polls import (
    CLOSE_CHOICES,
    COUNT_DIFFERS,
    EMPTY,
    MAX_OPTIONS,
    MIN_OPTIONS,
    POLL,
    POLL_FINAL,
    POLL_REPORT,
    TOO_FEW,
    TOO_LONG,
    TOO_MANY,
    NotADraft,
    NothingToOpen,
    NotSentTo,
    PollClosed,
    PollNotFound,
    PollTextInvalid,
    Standing,
    option_labels,
    text_for,
)
from bot.storage.outbox import OutboxItem
from bot.storage.polls import CLOSED, DRAFT, MULTIPLE, OPEN, SCALE, SINGLE, PollRecord, Tally

logger = logging.getLogger(__name__)

PREFIX = "pl:"  # the chair's screens
ANSWER = "pa:"  # delegates' answers
PRIVATE = filters.ChatType.PRIVATE
KIND_CODES = {"s": SINGLE, "m": MULTIPLE, "r": SCALE}
BAR_WIDTH = 10


def _data(poll: PollRecord, action: str) -> str:
    return f"{PREFIX}{poll.id}:{action}"


def _kind_label(kind: str) -> str:
    return {
        SINGLE: "🔘 " + _("Single choice"),
        MULTIPLE: "☑️ " + _("Multiple choice"),
        SCALE: "🔢 " + _("Scale 1–5"),
    }[kind]


def _session_of(services: Services, poll: PollRecord) -> tuple[Consultation, Session] | None:
    consultation = services.events.get(poll.consultation_id)
    session = consultation.session(poll.session_id) if consultation else None
    if consultation is None or session is None:
        return None
    return consultation, session


def _session_title(services: Services, poll: PollRecord, language: str) -> str:
    found = _session_of(services, poll)
    return found[1].title.get(language) if found else poll.session_id


async def _refuse(update: Update, context: BotContext) -> None:
    await refuse(update, context, _("Sorry, only the session's chairs can run polls."))


# --- results, as chairs and delegates read them ------------------------------------------


def results_lines(
    poll: PollRecord, tally: Tally, language: str, chosen: frozenset[int] = frozenset()
) -> list[str]:
    """Each option with a bar, its share of those who answered and its count."""
    _lang, text = text_for(poll, language)
    lines = []
    for index, label in enumerate(option_labels(poll, text)):
        count = tally.counts.get(index, 0)
        share = count / tally.respondents if tally.respondents else 0.0
        filled = round(share * BAR_WIDTH)
        bar = "▓" * filled + "░" * (BAR_WIDTH - filled)
        mark = "✅ " if index in chosen else ""
        percent = format_percent(share, locale=current_language())
        lines.append(f"{mark}<b>{esc(label)}</b>\n{bar} {percent} ({count})")
    lines.append(
        "👥 "
        + ngettext("{count} answer", "{count} answers", tally.respondents).format(
            count=tally.respondents
        )
    )
    return lines


# Telegram shows at most 200 characters of a button's pop-up.
POP_UP_LIMIT = 200


def results_pop_up(thanks: str, poll: PollRecord, tally: Tally, language: str) -> str:
    """The thank-you pop-up with the results so far, one short line per option ("Local NGOs
    42 %"), cut to what Telegram shows: seen the moment the tap is answered, while the message
    itself is drawn again a moment later (in a burst of taps, after the others' answers)."""
    _lang, text = text_for(poll, language)
    lines = [thanks]
    for index, label in enumerate(option_labels(poll, text)):
        count = tally.counts.get(index, 0)
        share = count / tally.respondents if tally.respondents else 0.0
        line = f"{shorten(label, 40)} {format_percent(share, locale=current_language())}"
        # Telegram counts UTF-16 code units (an emoji in a label counts two).
        if len("\n".join([*lines, line]).encode("utf-16-le")) // 2 > POP_UP_LIMIT:
            break
        lines.append(line)
    return "\n".join(lines)


def _hint(poll: PollRecord) -> str:
    if poll.kind == MULTIPLE:
        return _("Choose all that apply, then tap Done.")
    if poll.kind == SCALE:
        return _("From 1 (not at all) to 5 (very much).")
    return _("One answer; you may change it until the poll closes.")


def _answer_rows(poll: PollRecord, chosen: frozenset[int]) -> list[list[InlineKeyboardButton]]:
    _lang, text = text_for(poll, current_language())
    labels = option_labels(poll, text)
    if poll.kind == SCALE:
        return [
            [
                InlineKeyboardButton(
                    ("✅" if index in chosen else "") + label,
                    callback_data=f"{ANSWER}{poll.id}:{index}",
                )
                for index, label in enumerate(labels)
            ]
        ]
    if poll.kind == SINGLE:
        return [
            [
                InlineKeyboardButton(
                    ("✅ " if index in chosen else "") + shorten(label, 60),
                    callback_data=f"{ANSWER}{poll.id}:{index}",
                )
            ]
            for index, label in enumerate(labels)
        ]
    rows = [
        [
            InlineKeyboardButton(
                ("☑️ " if index in chosen else "⬜ ") + shorten(label, 60),
                callback_data=f"{ANSWER}{poll.id}:{index}:{0 if index in chosen else 1}",
            )
        ]
        for index, label in enumerate(labels)
    ]
    rows.append([InlineKeyboardButton("✔️ " + _("Done"), callback_data=f"{ANSWER}{poll.id}:d")])
    return rows


async def poll_message(
    services: Services, poll: PollRecord, standing: Standing, reader: str
) -> Rendered:
    """The poll as a delegate sees it, all in the language of the text they get: the question
    and buttons; the results once they answered or it closed."""
    language, text = text_for(poll, reader)
    with use_language(language):
        lines = [
            "📊 <b>" + _("Quick poll") + "</b> — " + esc(_session_title(services, poll, language)),
            "",
            "<b>" + esc(text.question) + "</b>",
        ]
        closed = poll.state == CLOSED
        if standing.answered or closed:
            tally = await services.polls.tally(poll.id)
            lines.append("")
            lines += results_lines(poll, tally, language, standing.chosen)
        lines.append("")
        if closed:
            lines.append("🔒 " + _("This poll is closed. These are the final results."))
            return Rendered("\n".join(lines))
        if standing.answered:
            lines.append(
                "✅ "
                + _("Thank you: your answer is counted.")
                + " "
                + (
                    _("You may change it until the poll closes.")
                    if poll.kind != MULTIPLE
                    else _("You may change your choices until the poll closes.")
                )
            )
        else:
            lines.append("<i>" + _hint(poll) + "</i>")
        return Rendered(
            "\n".join(lines), InlineKeyboardMarkup(_answer_rows(poll, standing.chosen))
        )


def chair_card(
    services: Services, poll: PollRecord, tally: Tally
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The results for the chair, in the chair's language, with the poll's buttons."""
    lang = current_language()
    _text_lang, text = text_for(poll, lang)
    state = {
        OPEN: "🟢 " + _("Open"),
        CLOSED: "🔒 " + _("Closed"),
    }.get(poll.state, "")
    lines = [
        "📊 <b>"
        + _("Poll #{number}").format(number=poll.id)
        + "</b> — "
        + esc(_session_title(services, poll, lang)),
        f"{state} · {_kind_label(poll.kind)}",
        "",
        "<b>" + esc(text.question) + "</b>",
        "",
        *results_lines(poll, tally, lang),
        "📤 "
        + ngettext(
            "Sent to {count} delegate", "Sent to {count} delegates", tally.recipients
        ).format(count=tally.recipients),
    ]
    if poll.state == OPEN and poll.close_at is not None:
        found = _session_of(services, poll)
        zone = found[0].timezone if found else None
        at = poll.close_at.astimezone(zone) if zone else poll.close_at
        lines.append("⏱ " + _("Closes on its own at {time}.").format(time=f"{at:%H:%M}"))
    rows = [
        [
            InlineKeyboardButton("🔄 " + _("Refresh"), callback_data=_data(poll, "r")),
            InlineKeyboardButton("📈 " + _("Chart"), callback_data=_data(poll, "g")),
        ]
    ]
    if poll.state == OPEN:
        rows.append(
            [InlineKeyboardButton("⏹ " + _("Close the poll"), callback_data=_data(poll, "z"))]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


# --- the session card and /poll ----------------------------------------------------------------


@card_part
async def poll_part(
    context: BotContext, consultation: Consultation, session: Session
) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """📊 Poll, for the session's chairs."""
    profile = context.profile
    if profile is None or session.kind == "break":
        return [], []
    if not await context.services.polls.may_chair(profile.user_id, consultation.id, session.id):
        return [], []
    return [], [[InlineKeyboardButton("📊 " + _("Poll"), callback_data=f"{PREFIX}n:{session.id}")]]


def _running(consultation: Consultation, services: Services) -> list[Session]:
    now = services.clock.now()
    return [s for s in consultation.sessions if s.kind != "break" and s.start <= now < s.end]


async def start_poll(update: Update, context: BotContext) -> None:
    """/poll: a poll on the session running now, or a choice of today's sessions."""
    profile = context.profile
    if profile is None:
        return
    consultation = await need_consultation(update, context)
    if consultation is None:
        return
    services = context.services
    polls = services.polls
    running = [
        s
        for s in _running(consultation, services)
        if await polls.may_chair(profile.user_id, consultation.id, s.id)
    ]
    # A poll still open in a session they chair: its results and buttons again, for a chair
    # who lost them (another device, the message scrolled away).
    for session in running:
        for poll in await polls.of_session(consultation.id, session.id):
            if poll.state == OPEN:
                await _show_results(update, context, poll)
    if len(running) == 1:
        await _kind_menu(update, context, running[0])
        return
    today = consultation.day_of(services.clock.now())
    chaired = [
        s
        for s in consultation.sessions_on(today)
        if s.kind != "break" and await polls.may_chair(profile.user_id, consultation.id, s.id)
    ]
    if not chaired:
        if not await polls.chairs_any(profile.user_id, consultation.id):
            await _refuse(update, context)
            return
        await reply(
            update,
            context,
            _("No session is on today. For another day's session, open its card and tap 📊 Poll."),
        )
        return
    choices = running or chaired
    lang = current_language()
    rows = [
        [
            InlineKeyboardButton(
                shorten(f"{time_range(s, consultation)} · {s.title.get(lang)}", 60),
                callback_data=f"{PREFIX}n:{s.id}",
            )
        ]
        for s in choices
    ]
    await reply(
        update,
        context,
        "📊 <b>" + _("New poll") + "</b>\n" + _("Which session is it for?"),
        InlineKeyboardMarkup(rows),
    )


async def _kind_menu(update: Update, context: BotContext, session: Session) -> None:
    title = esc(session.title.get(current_language()))
    rows = [
        [InlineKeyboardButton(_kind_label(kind), callback_data=f"{PREFIX}k:{code}:{session.id}")]
        for code, kind in KIND_CODES.items()
    ]
    text = "📊 <b>" + _("New poll") + "</b> — " + title + "\n" + _("What kind of poll?")
    await show(update, context, text, InlineKeyboardMarkup(rows))


async def _pressed_session(update: Update, context: BotContext, session_id: str) -> Session | None:
    consultation = context.consultation
    session = consultation.session(session_id) if consultation else None
    if session is None:
        assert update.callback_query is not None
        await update.callback_query.answer(
            _("This session is no longer in the programme."), show_alert=True
        )
    return session


async def new_poll_button(update: Update, context: BotContext) -> None:
    """pl:n:<session> — the kind; pl:k:<kind>:<session> — the draft, asking for its text."""
    query = update.callback_query
    profile = context.profile
    if query is None or query.data is None or profile is None:
        return
    parts = query.data.split(":")
    consultation = context.consultation
    if parts[1] == "n" and len(parts) == 3:
        session_id, kind = parts[2], None
    elif parts[1] == "k" and len(parts) == 4 and parts[2] in KIND_CODES:
        session_id, kind = parts[3], KIND_CODES[parts[2]]
    else:
        await out_of_date(update)
        return
    if consultation is None or not await context.services.polls.may_chair(
        profile.user_id, consultation.id, session_id
    ):
        await _refuse(update, context)
        return
    session = await _pressed_session(update, context, session_id)
    if session is None:
        return
    if kind is None:
        await query.answer()
        await _kind_menu(update, context, session)
        return
    try:
        poll = await context.services.polls.new_draft(
            profile.user_id, consultation.id, session.id, kind, current_language()
        )
    except (NotAllowed, SessionNotFound):
        await _refuse(update, context)
        return
    await context.services.feedback.stop_expecting(profile.user_id)
    await context.services.broadcasts.stop_expecting(profile.user_id)
    await query.answer()
    text, markup = _text_prompt(poll, current_language())
    await show(update, context, text, markup)


def _text_prompt(poll: PollRecord, language: str) -> tuple[str, InlineKeyboardMarkup]:
    name = "<b>" + language_name(language) + "</b>"
    if poll.kind == SCALE:
        ask = _("Send the question in {language}. Delegates answer from 1 to 5.")
    else:
        ask = _(
            "Send the question in {language} on the first line, then each option on a line of "
            "its own ({low} to {high} options)."
        )
    lines = ["📊 " + ask.format(language=name, low=MIN_OPTIONS, high=MAX_OPTIONS)]
    rows: list[list[InlineKeyboardButton]] = []
    if not poll.texts:
        lines.append(_("Writing in another language? Choose it:"))
        rows.append(
            [
                InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=_data(poll, f"t:{code}"))
                for code in SUPPORTED
                if code != language
            ]
        )
    else:
        rows.append(
            [InlineKeyboardButton("⬅️ " + _("Back to the poll"), callback_data=_data(poll, "c"))]
        )
    rows.append([InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=_data(poll, "x"))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def draft_card(services: Services, poll: PollRecord) -> tuple[str, InlineKeyboardMarkup]:
    """The draft: its text in the poll's language, the languages written, closing, audience."""
    lang = current_language()
    lines = [
        "📊 <b>" + _("Poll draft") + "</b> — " + esc(_session_title(services, poll, lang)),
        _kind_label(poll.kind),
        "",
    ]
    if poll.texts:
        _shown, text = text_for(poll, lang)
        lines.append("<b>" + esc(text.question) + "</b>")
        lines += [f"{n}. {esc(label)}" for n, label in enumerate(option_labels(poll, text), 1)]
        lines.append("")
        names = [
            language_name(code) + (" ⭐" if code == poll.language else "")
            for code in SUPPORTED
            if code in poll.texts
        ]
        lines.append("📝 " + _("Written in: {languages}").format(languages=join_list(names)))
        if len(poll.texts) < len(SUPPORTED):
            lines.append(
                "   "
                + _("Delegates who read another language get the {language} text (⭐).").format(
                    language=language_name(poll.language)
                )
            )
    closing = (
        ngettext(
            "Closes {count} minute after it opens.",
            "Closes {count} minutes after it opens.",
            poll.close_after_minutes,
        ).format(count=poll.close_after_minutes)
        if poll.close_after_minutes
        else _("Stays open until you close it.")
    )
    lines.append("⏱ " + closing)
    count = len(await services.polls.audience(poll))
    lines.append(
        "👥 "
        + ngettext(
            "Goes to {count} delegate of the session's audience.",
            "Goes to {count} delegates of the session's audience.",
            count,
        ).format(count=count)
    )
    rows = []
    language_buttons = [
        InlineKeyboardButton(
            ("✏️ " if code in poll.texts else "➕ ") + LANGUAGE_NAMES[code],
            callback_data=_data(poll, f"t:{code}"),
        )
        for code in SUPPORTED
    ]
    rows += [language_buttons[:2], language_buttons[2:]]
    current = poll.close_after_minutes or 0
    rows.append(
        [
            InlineKeyboardButton(
                ("• " if minutes == current else "") + ("✋" if minutes == 0 else f"{minutes}′"),
                callback_data=_data(poll, f"m:{minutes}"),
            )
            for minutes in (0, *CLOSE_CHOICES)
        ]
    )
    bottom = [InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=_data(poll, "x"))]
    if poll.texts:
        bottom.insert(
            0, InlineKeyboardButton("▶️ " + _("Open the poll"), callback_data=_data(poll, "go"))
        )
    rows.append(bottom)
    lines += ["", _("Add a language, choose when it closes (✋: by hand), then open it.")]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


# --- the chair's typed text and buttons ----------------------------------------------------------


async def receive_text(update: Update, context: BotContext) -> None:
    """The question and options the chair was asked for, in the language asked."""
    message = update.effective_message
    profile = context.profile
    if message is None or profile is None or message.text is None:
        return
    polls = context.services.polls
    awaited = polls.expected(profile.user_id)
    if awaited is None:
        return
    try:
        poll = await polls.draft(profile.user_id, awaited.poll_id)
    except (PollNotFound, NotADraft):
        await polls.stop_expecting(profile.user_id)
        await reply(update, context, _("That poll is no longer a draft."))
        return
    try:
        poll = await polls.set_text(poll, awaited.language, message.text)
    except PollTextInvalid as error:
        await reply(update, context, "⚠️ " + _invalid_text(error))
        return
    text, markup = await draft_card(context.services, poll)
    await reply(update, context, text, markup)


def _invalid_text(error: PollTextInvalid) -> str:
    if error.reason == TOO_FEW:
        return _(
            "A poll needs at least {low} options, one on each line after the question."
        ).format(low=MIN_OPTIONS)
    if error.reason == TOO_MANY and error.expected == 0:
        return _("A 1–5 scale takes only the question: please send it alone.")
    if error.reason == TOO_MANY:
        return _("A poll takes at most {high} options.").format(high=MAX_OPTIONS)
    if error.reason == TOO_LONG:
        return _("That is too long: keep the question short and each option to a short line.")
    if error.reason == COUNT_DIFFERS:
        return ngettext(
            "This translation must have {count} option, like the first text.",
            "This translation must have {count} options, like the first text.",
            error.expected,
        ).format(count=error.expected)
    assert error.reason == EMPTY
    return _("Please send the question as text.")


async def chair_button(update: Update, context: BotContext) -> None:
    """pl:<poll>:<action>[:<argument>] — every button of a chair's poll screens."""
    query = update.callback_query
    profile = context.profile
    if query is None or query.data is None or profile is None:
        return
    parts = query.data.split(":")
    poll_id = parse_id(parts[1]) if len(parts) >= 3 else None
    if poll_id is None:
        await out_of_date(update)
        return
    try:
        poll = await context.services.polls.chaired(profile.user_id, poll_id)
    except PollNotFound:
        if not await _chairs_anything(context):
            await _refuse(update, context)
        else:
            await out_of_date(update)
        return
    action, args = parts[2], parts[3:]
    handler = _DRAFT_ACTIONS.get(action)
    if handler is not None:
        if poll.state != DRAFT:
            await query.answer(_("This poll was opened already."))
            return
        await handler(update, context, poll, args)
        return
    live = _LIVE_ACTIONS.get(action)
    if live is None or poll.state == DRAFT or args:
        await out_of_date(update)
        return
    await live(update, context, poll, args)


async def _chairs_anything(context: BotContext) -> bool:
    profile, consultation = context.profile, context.consultation
    if profile is None or consultation is None:
        return False
    return await context.services.polls.chairs_any(profile.user_id, consultation.id)


async def _ask_text(
    update: Update, context: BotContext, poll: PollRecord, args: list[str]
) -> None:
    assert update.callback_query is not None
    if len(args) != 1 or args[0] not in SUPPORTED:
        await out_of_date(update)
        return
    await context.services.polls.expect(poll, args[0])
    await update.callback_query.answer()
    text, markup = _text_prompt(poll, args[0])
    await show(update, context, text, markup)


async def _show_draft(
    update: Update, context: BotContext, poll: PollRecord, args: list[str]
) -> None:
    assert update.callback_query is not None
    if poll.created_by is not None:
        await context.services.polls.stop_expecting(poll.created_by)
    await update.callback_query.answer()
    text, markup = await draft_card(context.services, poll)
    await show(update, context, text, markup)


async def _close_after(
    update: Update, context: BotContext, poll: PollRecord, args: list[str]
) -> None:
    assert update.callback_query is not None
    minutes = parse_id(args[0]) if len(args) == 1 else None
    if minutes is None or (minutes and minutes not in CLOSE_CHOICES):
        await out_of_date(update)
        return
    poll = await context.services.polls.set_close_after(poll, minutes or None)
    await update.callback_query.answer()
    text, markup = await draft_card(context.services, poll)
    await show(update, context, text, markup)


async def _discard(update: Update, context: BotContext, poll: PollRecord, args: list[str]) -> None:
    assert update.callback_query is not None
    await context.services.polls.discard(poll)
    await update.callback_query.answer()
    await show(update, context, "✖️ " + _("Poll cancelled. Nothing was sent."))


async def _open(update: Update, context: BotContext, poll: PollRecord, args: list[str]) -> None:
    assert update.callback_query is not None
    try:
        poll, count = await context.services.polls.open(poll)
    except NothingToOpen as error:
        await update.callback_query.answer(
            _("Nobody is in the session's audience yet: nobody would get it.")
            if error.no_audience
            else _("Write the question first."),
            show_alert=True,
        )
        return
    except NotADraft:
        await update.callback_query.answer(_("This poll was opened already."))
        return
    await update.callback_query.answer(
        ngettext("Sent to {count} delegate.", "Sent to {count} delegates.", count).format(
            count=count
        )
    )
    await _show_results(update, context, poll)


async def _show_results(update: Update, context: BotContext, poll: PollRecord) -> None:
    tally = await context.services.polls.tally(poll.id)
    text, markup = chair_card(context.services, poll, tally)
    await show(update, context, text, markup)


async def _refresh(update: Update, context: BotContext, poll: PollRecord, args: list[str]) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _show_results(update, context, poll)


async def _close(update: Update, context: BotContext, poll: PollRecord, args: list[str]) -> None:
    assert update.callback_query is not None
    closed = await context.services.polls.close(poll.id)
    await update.callback_query.answer(
        _("Poll closed: delegates now see the final results.")
        if closed
        else _("This poll is closed already.")
    )
    fresh = await context.services.polls.store.get(poll.id) or poll
    await _show_results(update, context, fresh)


async def _chart(update: Update, context: BotContext, poll: PollRecord, args: list[str]) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None
    if chat is None:
        return
    await query.answer()
    tally = await context.services.polls.tally(poll.id)
    _lang, text = text_for(poll, current_language())
    labels = option_labels(poll, text)
    counts = [tally.counts.get(index, 0) for index in range(len(labels))]
    # Drawing takes a good part of a second: off the event loop.
    image = await asyncio.to_thread(poll_bars, counts, tally.respondents)
    caption = "\n".join(
        [f"📊 {shorten(text.question, 200)}"]
        + [f"{n}. {shorten(label, 60)}" for n, label in enumerate(labels, 1)]
    )
    await context.bot.send_photo(
        chat.id, InputFile(image, filename=f"poll-{poll.id}.png"), caption=caption[:1000]
    )


_DRAFT_ACTIONS = {
    "t": _ask_text,
    "c": _show_draft,
    "m": _close_after,
    "x": _discard,
    "go": _open,
}
_LIVE_ACTIONS = {"r": _refresh, "z": _close, "g": _chart}


# --- delegates' answers --------------------------------------------------------------------------


async def answer_button(update: Update, context: BotContext) -> None:
    """pa:<poll>:<option> (single, scale), pa:<poll>:<option>:<1|0> (multiple: tick or not),
    pa:<poll>:d (multiple: done)."""
    query = update.callback_query
    profile = context.profile
    if query is None or query.data is None or profile is None:
        return
    parts = query.data.split(":")
    poll_id = parse_id(parts[1]) if len(parts) >= 3 else None
    polls = context.services.polls
    try:
        if poll_id is None or len(parts) > 4:
            raise NotSentTo("")
        if parts[2] == "d" and len(parts) == 3:
            poll, changed = await polls.submit(poll_id, profile.user_id)
            thanks = _("Thank you: your answer is counted.")
        else:
            option = parse_id(parts[2])
            ticked = None if len(parts) == 3 else {"1": True, "0": False}.get(parts[3])
            if option is None or (len(parts) == 4 and ticked is None):
                raise NotSentTo("")
            poll, changed, _standing = await polls.answer(poll_id, profile.user_id, option, ticked)
            thanks = "" if ticked is not None else _("Thank you: your answer is counted.")
    except PollClosed:
        await query.answer(
            _("This poll is closed: answers are no longer counted."), show_alert=True
        )
        if poll_id is not None:
            await _show_to_delegate(update, context, poll_id)
        return
    except NotSentTo:
        await out_of_date(update)
        return
    # Stored first, then answered: the spinner stops now, with the results so far. The message
    # shows them as soon as redraws allow: in a burst of taps, answers go first.
    if thanks:
        thanks = results_pop_up(thanks, poll, await polls.tally(poll.id), current_language())
    await query.answer(thanks)
    message = query.message
    if changed and isinstance(message, Message):  # a repeated tap shows nothing new
        draw = _redraw_for_delegate(context, poll.id, message)
        context.services.redraws.schedule(message_key(message), draw, at_once=True)


def _redraw_for_delegate(
    context: BotContext, poll_id: int, message: Message
) -> Callable[[], Awaitable[None]]:
    """Draw a delegate's poll message again, as it stands then, in their language."""
    assert context.profile is not None
    user_id, language = context.profile.user_id, current_language()

    async def draw() -> None:
        services = context.services
        poll = await services.polls.get(poll_id)
        if poll is None:
            return
        standing = await services.polls.standing(poll_id, user_id)
        rendered = await poll_message(services, poll, standing, language)
        await edit_shown(message, rendered.text, rendered.markup, as_pressed=False)

    return draw


async def _show_to_delegate(
    update: Update, context: BotContext, poll_id: int, standing: Standing | None = None
) -> None:
    assert context.profile is not None
    services = context.services
    poll = await services.polls.get(poll_id)
    if poll is None:
        return
    if standing is None:
        standing = await services.polls.standing(poll_id, context.profile.user_id)
    rendered = await poll_message(services, poll, standing, current_language())
    await show(update, context, rendered.text, rendered.markup)


# --- what the outbox sends -----------------------------------------------------------------------


@renderer(POLL)
async def render_poll(services: Services, item: OutboxItem) -> Rendered | None:
    poll = await services.polls.for_delivery(int(item.payload["poll"]))
    if poll is None:
        return None  # closed before it reached them
    return await poll_message(
        services, poll, Standing(True, False, frozenset()), current_language()
    )


@after_sent(POLL)
async def remember_poll_message(services: Services, item: OutboxItem, message: Message) -> None:
    await services.polls.delivered(int(item.payload["poll"]), item.delegate, message.message_id)


@group_action(POLL_FINAL)
async def show_final_results(services: Services, bot: Bot, item: OutboxItem) -> Outcome:
    """The poll closed: the delegate's message shows the final results, in their language."""
    poll_id, user_id = int(item.payload["poll"]), int(item.payload["user"])
    poll = await services.polls.get(poll_id)
    standing = await services.polls.standing(poll_id, user_id)
    user = await services.people.get(user_id)
    if poll is None or user is None or not standing.sent:
        return Outcome.skipped("forgotten")
    reader = user.reading_language or DEFAULT
    rendered = await poll_message(services, poll, standing, reader)
    try:
        await bot.edit_message_text(
            rendered.text,
            chat_id=item.chat,
            message_id=int(item.payload["message"]),
            parse_mode=ParseMode.HTML,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
    return Outcome.sent()


@renderer(POLL_REPORT)
async def render_report(services: Services, item: OutboxItem) -> Rendered | None:
    """To the chair, when the poll closed on its own: the final results."""
    poll = await services.polls.store.get(int(item.payload["poll"]))
    if poll is None:
        return None
    tally = await services.polls.tally(poll.id)
    text, markup = chair_card(services, poll, tally)
    return Rendered("⏱ " + _("The poll closed on its own.") + "\n\n" + text, markup)


# --- closing after N minutes -------------------------------------------------------------------


def job_name(poll_id: int) -> str:
    return f"poll:close:{poll_id}"


def schedule_close(
    application: Application[Any, Any, Any, Any, Any, Any], poll: PollRecord
) -> None:
    """The job closing the poll at its time (named after it: rescheduling replaces it)."""
    jobs = application.job_queue
    if jobs is None or poll.close_at is None:
        return
    services: Services = application.bot_data["services"]
    for job in jobs.get_jobs_by_name(job_name(poll.id)):
        job.schedule_removal()
    delay = max((poll.close_at - services.clock.now()).total_seconds(), 0.0)
    jobs.run_once(close_job, when=delay, data=poll.id, name=job_name(poll.id))


@on_the_clock
async def close_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's, on real time (a poll past its time when scheduled, at a restart say, is
    closed at once); tests call `close_if_due`."""
    job = context.job
    if job is None or not isinstance(job.data, int):
        return
    await close_if_due(context.application, job.data)


async def close_if_due(
    application: Application[Any, Any, Any, Any, Any, Any], poll_id: int
) -> bool:
    """Close the poll if its time has come on the application's clock (its chair is told)."""
    services: Services = application.bot_data["services"]
    if await services.polls.close_due(poll_id):
        return True
    poll = await services.polls.store.get(poll_id)
    if poll is not None and poll.state == OPEN and services.clock.ticking:
        schedule_close(application, poll)  # woke a little early: again at its time
    return False


async def start_polls(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After the services exist: drafts awaiting a text and the closing jobs, from the database."""
    services: Services = application.bot_data["services"]
    await services.polls.load()
    services.polls.on_open.append(lambda poll: schedule_close(application, poll))
    await reschedule_closing(application)


async def reschedule_closing(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Each open poll's closing job, at its time on the application's clock (at start, and when
    the console chat's `/wait` moved its clock ahead: the jobs wait on real time)."""
    services: Services = application.bot_data["services"]
    for poll in await services.polls.closing():
        schedule_close(application, poll)


# --- wiring ------------------------------------------------------------------------------------


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("poll", start_poll, filters=PRIVATE))
    awaited = expected_text(
        application, "poll_awaiting", lambda s, user: s.polls.expected(user), receive_text
    )
    application.add_handler(awaited)
    application.add_handler(CallbackQueryHandler(new_poll_button, pattern=rf"^{PREFIX}[nk]:"))
    application.add_handler(CallbackQueryHandler(chair_button, pattern=rf"^{PREFIX}\d+:"))
    application.add_handler(CallbackQueryHandler(answer_button, pattern=rf"^{ANSWER}"))
