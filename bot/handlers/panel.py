"""Live sessions: delegates' questions to the panel (asked from the session's card, its door QR
code or /q; listed most voted first, voted on in one tap) and the chairs' side (approve or hide,
pin the one being asked, mark answered, a live message the outbox keeps up to date); organisers
name the chairs with /chairs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext, Services
from bot.handlers.agenda import card_part
from bot.handlers.common import (
    callback_parts,
    edit_shown,
    expected_text,
    message_key,
    out_of_date,
    page_buttons,
    parse_id,
    refuse,
    reply,
    show,
)
from bot.handlers.consultation import need_consultation, open_consultation
from bot.handlers.formatting import clock_time, esc, moment, person, quote, shorten, time_range
from bot.handlers.outbox import Rendered, delegate_action, renderer
from bot.i18n import (
    _,
    current_language,
    isolate,
    ngettext,
    pick_language,
    set_language,
    use_language,
)
from bot.services.delivery import Outcome
from bot.services.errors import NotAllowed, SessionNotFound
from bot.services.event_data import Consultation, Session
from bot.services.panel import (
    ANSWER,
    APPROVE,
    BOARD,
    HIDE,
    LINK_PREFIX,
    PIN,
    RATE_LIMIT,
    SHOWN_NOTICE,
    TEXT_LIMIT,
    UNPIN,
    BoardState,
    EmptyQuestion,
    NotVotable,
    QuestionNotFound,
    QuestionsClosed,
    QuestionTooLong,
    TooManyQuestions,
)
from bot.storage.outbox import OutboxItem
from bot.storage.panel import ANSWERED, HIDDEN, SHOWN, WAITING, PanelQuestion

logger = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
PAGE_SIZE = 5
BOARD_TOP = 5  # questions on a chair's live message
ASKER = "pq:"  # delegates' buttons
CHAIR = "pc:"  # chairs' buttons (each checked again in the service)
# A chair's action buttons: their letter in the data -> the service's action.
CHAIR_ACTIONS = {"o": APPROVE, "h": HIDE, "d": ANSWER, "p": PIN, "u": UNPIN}
VIEWS = ("w", "r")  # the chair's list a button was on: waiting, or ranked


def _title(session: Session) -> str:
    return session.title.get(current_language())


def _question_line(question: PanelQuestion, *, votes: bool = True) -> str:
    """[ar] the text — the name (or anonymous) · 👍 3"""
    who = person(question.display_name) if question.display_name else _("anonymous")
    line = isolate(f"[{question.language}]") + " " + quote(question.text) + " — " + who
    if votes:
        line += " · 👍 " + isolate(str(question.votes))
    return line


def _status_text(status: str) -> str:
    return {
        WAITING: "⏳ " + _("waiting for approval"),
        SHOWN: "✅ " + _("shown"),
        ANSWERED: "✔️ " + _("answered"),
        HIDDEN: "🙈 " + _("hidden"),
    }.get(status, status)


def _closed_text(error: QuestionsClosed, consultation: Consultation) -> str:
    title = "<b>" + esc(_title(error.session)) + "</b>"
    if error.not_yet:
        return _("Questions to the panel of {title} open at {time}.").format(
            title=title, time=esc(moment(error.opens_at, consultation))
        )
    return _("{title} has ended: its panel no longer takes questions.").format(title=title)


def ask_rows(
    context: BotContext, consultation: Consultation, session: Session
) -> list[list[InlineKeyboardButton]]:
    """ "Ask the panel" and the questions, while the session takes them (the card, the door QR
    code's rating card)."""
    if not context.services.panel.is_live(session):
        return []
    return [
        [
            InlineKeyboardButton(
                "❓ " + _("Ask the panel"), callback_data=f"{ASKER}a:{session.id}"
            ),
            InlineKeyboardButton("💬 " + _("Questions"), callback_data=f"{ASKER}l:{session.id}:0"),
        ]
    ]


async def _chair_row(
    context: BotContext, consultation: Consultation, session: Session
) -> list[list[InlineKeyboardButton]]:
    profile = context.profile
    if profile is None or not await context.services.panel.is_chair(
        profile.user_id, consultation.id, session.id
    ):
        return []
    label = "🎙 " + _("Chair: questions")
    return [[InlineKeyboardButton(label, callback_data=f"{CHAIR}b:{session.id}")]]


@card_part
async def panel_part(
    context: BotContext, consultation: Consultation, session: Session
) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """The card's way to the panel while the session runs, and the chairs' button."""
    if session.kind == "break":
        return [], []
    panel = context.services.panel
    if context.profile is not None:
        # Opening the card makes the delegate part of the session's recent audience.
        await panel.record_visit(context.profile.user_id, consultation, session)
    rows = ask_rows(context, consultation, session)
    if rows or await panel.count_visible(consultation, session):
        rows += await _chair_row(context, consultation, session)
    return [], rows


# --- the delegates' list ---------------------------------------------------------------------


async def _listing(
    update: Update,
    context: BotContext,
    consultation: Consultation,
    session: Session,
    page: int,
    *,
    new_message: bool = False,
) -> None:
    """A page of the session's questions, the pinned one first, then most voted."""
    assert context.profile is not None
    await context.services.panel.record_visit(context.profile.user_id, consultation, session)
    text, markup = await _listing_view(context, consultation, session, page)
    if new_message:
        await reply(update, context, text, markup)
    else:
        await show(update, context, text, markup)


async def _listing_view(
    context: BotContext, consultation: Consultation, session: Session, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of a page of the session's questions."""
    assert context.profile is not None
    panel = context.services.panel
    listing = await panel.listing(context.profile.user_id, consultation, session)
    pinned = [q for q in listing.questions if q.pinned]
    others = [q for q in listing.questions if not q.pinned]
    count = max(1, -(-len(others) // PAGE_SIZE))
    page = min(max(page, 0), count - 1)
    shown = others[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    live = panel.is_live(session)
    lines = [
        "💬 <b>" + _("Questions to the panel") + "</b> — " + esc(_title(session)),
        "🕘 " + esc(time_range(session, consultation)),
        "",
    ]
    for question in pinned:
        lines.append("📌 <b>" + _("Being asked now:") + "</b> " + _question_line(question))
        lines.append("")
    if not listing.questions:
        lines.append(_("No questions yet."))
    for rank, question in enumerate(shown, page * PAGE_SIZE + 1):
        mark = "✔️ " if question.status == ANSWERED else ""
        lines.append(f"{rank}. {mark}{_question_line(question)}")
    if count > 1:
        lines += ["", _("Page {page} of {pages}").format(page=page + 1, pages=count)]
    lines.append("")
    opens, _closes = panel.window(session)
    if live:
        lines.append(
            "<i>" + _("Tap 👍 to vote for a question; tap again to take it back.") + "</i>"
        )
    elif context.services.clock.now() < opens:
        lines.append(
            "<i>"
            + _("Questions open at {time}.").format(time=esc(moment(opens, consultation)))
            + "</i>"
        )
    else:
        lines.append("<i>" + _("The session has ended: questions are closed.") + "</i>")
    rows: list[list[InlineKeyboardButton]] = []
    if live:
        votable = [*pinned, *shown]
        buttons = [
            InlineKeyboardButton(
                ("✅ " if q.id in listing.voted else "")
                + "👍 "
                + str(q.votes)
                + " · "
                + ("📌" if q.pinned else f"#{page * PAGE_SIZE + shown.index(q) + 1}"),
                callback_data=f"{ASKER}v:{q.id}:{page}",
            )
            for q in votable
        ]
        rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if count > 1:
        rows.append(page_buttons(page, count, lambda n: f"{ASKER}l:{session.id}:{n}"))
    tools = [
        InlineKeyboardButton("🙋 " + _("My questions"), callback_data=f"{ASKER}m:{session.id}")
    ]
    if live:
        tools.insert(
            0,
            InlineKeyboardButton(
                "❓ " + _("Ask the panel"), callback_data=f"{ASKER}a:{session.id}"
            ),
        )
    rows.append(tools)
    rows += await _chair_row(context, consultation, session)
    rows.append(
        [
            InlineKeyboardButton(
                "« " + shorten(_title(session), 30), callback_data=f"ag:s:{session.id}"
            )
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _pressed_session(
    update: Update, context: BotContext, count: int
) -> tuple[Consultation, Session, list[str]] | None:
    """<ns>:<kind>:<session>[:…]: the delegate's consultation and the session named."""
    query = update.callback_query
    parts = callback_parts(update, count)
    if query is None or context.profile is None:
        return None
    if parts is None:
        await out_of_date(update)
        return None
    consultation = await need_consultation(update, context)
    if consultation is None:
        return None
    try:
        session = context.services.panel.session(consultation, parts[2])
    except SessionNotFound:
        await query.answer(_("This session is no longer in the programme."), show_alert=True)
        return None
    return consultation, session, parts


async def _session_page(
    update: Update, found: tuple[Consultation, Session, list[str]] | None
) -> tuple[Consultation, Session, str, int] | None:
    """A session list's ◀ ▶ press (`<ns>:<kind>:<session>:<page>`), found by `_pressed_session`
    or `_chair_session`: its consultation, session, kind and page, the press answered."""
    if found is None or update.callback_query is None:
        return None
    consultation, session, parts = found
    page = parse_id(parts[3])
    if page is None:
        await out_of_date(update)
        return None
    await update.callback_query.answer()
    return consultation, session, parts[1], page


async def list_button(update: Update, context: BotContext) -> None:
    """pq:l:<session>:<page>"""
    opened = await _session_page(update, await _pressed_session(update, context, 4))
    if opened is not None:
        consultation, session, _kind, page = opened
        await _listing(update, context, consultation, session, page)


async def vote_button(update: Update, context: BotContext) -> None:
    """pq:v:<question>:<page>: vote, or take the vote back."""
    query = update.callback_query
    parts = callback_parts(update, 4)
    question_id = parse_id(parts[2]) if parts else None
    page = parse_id(parts[3]) if parts else None
    if query is None or context.profile is None:
        return
    if question_id is None or page is None:
        await out_of_date(update)
        return
    consultation = await need_consultation(update, context)
    if consultation is None:
        return
    panel = context.services.panel
    try:
        voted = await panel.vote(
            context.profile.user_id, consultation, question_id, tap=update.update_id
        )
    except (QuestionNotFound, SessionNotFound):
        await out_of_date(update)
        return
    except NotVotable as error:
        text = (
            _("This question was hidden by the chair: it takes no votes.")
            if error.status == HIDDEN
            else _("This question is waiting for a chair's approval: it takes no votes yet.")
        )
        await query.answer(text, show_alert=True)
        return
    except QuestionsClosed as error:
        await query.answer(_closed_plain(error, consultation), show_alert=True)
        return
    # Stored first, then answered: the spinner stops now; the list shows the vote a moment
    # later, drawn again at most once a second however fast the delegate taps.
    await query.answer(_("Your vote is counted.") if voted else _("Your vote is taken back."))
    message = query.message
    if isinstance(message, Message):
        draw = _redraw_listing(context, consultation, question_id, page, message)
        context.services.redraws.schedule(message_key(message), draw)


def _redraw_listing(
    context: BotContext,
    consultation: Consultation,
    question_id: int,
    page: int,
    message: Message,
) -> Callable[[], Awaitable[None]]:
    """Draw the list a vote was given on again, as it stands then, in the delegate's language."""
    language = current_language()

    async def draw() -> None:
        panel = context.services.panel
        with use_language(language):
            try:
                question = await panel.question(consultation, question_id)
                session = panel.session(consultation, question.session_id)
            except (QuestionNotFound, SessionNotFound):
                return
            text, markup = await _listing_view(context, consultation, session, page)
            await edit_shown(message, text, markup, as_pressed=False)

    return draw


def _closed_plain(error: QuestionsClosed, consultation: Consultation) -> str:
    """The same as _closed_text, for a pop-up (no HTML)."""
    if error.not_yet:
        return _("Questions to this session open at {time}.").format(
            time=moment(error.opens_at, consultation)
        )
    return _("The session has ended: questions are closed.")


async def mine_button(update: Update, context: BotContext) -> None:
    """pq:m:<session>: the delegate's own questions and their status."""
    found = await _pressed_session(update, context, 3)
    if found is None or update.callback_query is None or context.profile is None:
        return
    consultation, session, _parts = found
    await update.callback_query.answer()
    mine = await context.services.panel.mine(context.profile.user_id, consultation, session)
    lines = ["🙋 <b>" + _("My questions") + "</b> — " + esc(_title(session)), ""]
    if not mine:
        lines.append(_("You have not asked this panel anything yet."))
    for question in mine:
        lines.append(_question_line(question))
        lines.append("   " + _status_text(question.status))
    back = InlineKeyboardButton(
        "« " + _("Questions to the panel"), callback_data=f"{ASKER}l:{session.id}:0"
    )
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup([[back]]))


# --- asking ------------------------------------------------------------------------------------


async def _prompt(
    update: Update, context: BotContext, consultation: Consultation, session: Session
) -> None:
    """Ask for the question's text; say how it will be signed, with the button to change it."""
    assert context.profile is not None
    panel = context.services.panel
    try:
        panel.begin(context.profile.user_id, consultation, session)
    except QuestionsClosed as error:
        if update.callback_query is not None:
            await update.callback_query.answer(_closed_plain(error, consultation), show_alert=True)
        else:
            await reply(update, context, _closed_text(error, consultation))
        return
    # A comment being typed would take the question's text: the last thing asked for wins.
    await context.services.feedback.stop_expecting(context.profile.user_id)
    named = await panel.named_by_default(context.profile.user_id)
    name = context.profile.first_name or str(context.profile.user_id)
    lines = [
        "❓ <b>" + _("Ask the panel") + "</b> — " + esc(_title(session)),
        "",
        _(
            "Write your question in one message, in any language (at most {limit} characters)."
        ).format(limit=TEXT_LIMIT),
        (
            _("It will be sent with your name: {name}.").format(name=person(name))
            if named
            else _("It will be sent anonymously: nobody will know it is yours.")
        ),
    ]
    if consultation.questions_need_approval:
        lines.append(_("A chair approves each question before the audience sees it."))
    toggle = (
        InlineKeyboardButton(
            "👤 " + _("Ask anonymously"), callback_data=f"{ASKER}n:{session.id}:0"
        )
        if named
        else InlineKeyboardButton(
            "✒️ " + _("Ask with my name"), callback_data=f"{ASKER}n:{session.id}:1"
        )
    )
    cancel = InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=f"{ASKER}x")
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup([[toggle], [cancel]]))


async def ask_button(update: Update, context: BotContext) -> None:
    """pq:a:<session>: the next text message is a question to the panel."""
    found = await _pressed_session(update, context, 3)
    if found is None or update.callback_query is None:
        return
    consultation, session, _parts = found
    if context.services.panel.is_live(session):
        await update.callback_query.answer()
    await _prompt(update, context, consultation, session)


async def named_button(update: Update, context: BotContext) -> None:
    """pq:n:<session>:<1 with my name | 0 anonymously>: the wanted choice travels in the
    button, and becomes the delegate's default."""
    found = await _pressed_session(update, context, 4)
    if found is None or update.callback_query is None or context.profile is None:
        return
    consultation, session, parts = found
    if parts[3] not in ("0", "1"):
        await out_of_date(update)
        return
    await context.services.panel.set_named_by_default(context.profile.user_id, parts[3] == "1")
    if context.services.panel.is_live(session):
        await update.callback_query.answer()
    await _prompt(update, context, consultation, session)


async def cancel_button(update: Update, context: BotContext) -> None:
    """pq:x"""
    query = update.callback_query
    if query is None or context.profile is None:
        return
    context.services.panel.stop_drafting(context.profile.user_id)
    await query.answer()
    await show(update, context, _("Cancelled."))


async def capture_question(update: Update, context: BotContext) -> None:
    """The text of a question the delegate was asked for."""
    message = update.effective_message
    profile = context.profile
    if message is None or message.text is None or profile is None:
        return
    panel = context.services.panel
    drafting = panel.drafting(profile.user_id)
    consultation = context.services.events.get(drafting[0]) if drafting else None
    if drafting is None or consultation is None:
        return
    named = await panel.named_by_default(profile.user_id)
    name = (profile.first_name or str(profile.user_id)) if named else None
    try:
        question = await panel.ask(
            profile.user_id,
            consultation,
            drafting[1],
            message.text,
            name=name,
            language=current_language(),
        )
    except SessionNotFound:
        panel.stop_drafting(profile.user_id)
        await reply(update, context, _("This session is no longer in the programme."))
        return
    except QuestionsClosed as error:
        panel.stop_drafting(profile.user_id)
        await reply(update, context, _closed_text(error, consultation))
        return
    except QuestionTooLong as error:
        await reply(
            update,
            context,
            _(
                "Your question is {length} characters long; the panel takes at most {limit}. "
                "Please send it again, shorter."
            ).format(length=error.length, limit=TEXT_LIMIT),
        )
        return
    except TooManyQuestions:
        await reply(
            update,
            context,
            ngettext(
                "You can send at most {count} question a minute to this panel. Please wait a "
                "moment, then send it again.",
                "You can send at most {count} questions a minute to this panel. Please wait a "
                "moment, then send it again.",
                RATE_LIMIT,
            ).format(count=RATE_LIMIT),
        )
        return
    except EmptyQuestion:
        await reply(update, context, _("Your question is empty. Please write it in one message."))
        return
    session = panel.session(consultation, question.session_id)
    sent = (
        _("Your question is sent, with your name: {name}.").format(
            name=person(question.display_name)
        )
        if question.display_name
        else _("Your question is sent, anonymously.")
    )
    after = (
        _("A chair will approve it before the audience sees it.")
        if question.status == WAITING
        else _("Everyone can see it and vote for it now.")
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "💬 " + _("Questions"), callback_data=f"{ASKER}l:{session.id}:0"
                ),
                InlineKeyboardButton(
                    "🙋 " + _("My questions"), callback_data=f"{ASKER}m:{session.id}"
                ),
            ]
        ]
    )
    await reply(update, context, "✅ " + sent + "\n" + after, keyboard)


# --- /q and the door QR code --------------------------------------------------------------------


async def show_questions(update: Update, context: BotContext) -> None:
    """/q: the questions of the session taking them now (a choice when several do)."""
    consultation = await open_consultation(update, context)
    if consultation is None or context.profile is None:
        return
    live = context.services.panel.live_sessions(consultation)
    if not live:
        await reply(
            update,
            context,
            _(
                "No session is taking questions right now. A session's panel takes questions "
                "from 15 minutes before it starts until it ends."
            ),
        )
        return
    if len(live) == 1:
        await _listing(update, context, consultation, live[0], 0, new_message=True)
        return
    rows = [
        [
            InlineKeyboardButton(
                f"{time_range(s, consultation)} · {shorten(_title(s), 30)}",
                callback_data=f"{ASKER}l:{s.id}:0",
            )
        ]
        for s in live
    ]
    await reply(
        update,
        context,
        _("Several sessions are taking questions now. Which one are you in?"),
        InlineKeyboardMarkup(rows),
    )


async def open_question_link(update: Update, context: BotContext, payload: str) -> None:
    """/start q_<session>: the door QR code of a session's questions."""
    user = update.effective_user
    profile = context.profile
    if user is None or profile is None:
        return
    if profile.language is None:
        language = pick_language(user.language_code)
        await context.services.people.set_language(user.id, language)
        set_language(language)
    try:
        consultation, session = context.services.panel.find_linked(payload, context.consultation)
    except SessionNotFound:
        await reply(update, context, _("I could not find that session. Send /q instead."))
        return
    if context.consultation is None or context.consultation.id != consultation.id:
        await context.services.people.set_consultation(user.id, consultation.id)
        context.profile = await context.services.people.profile(user.id, user.first_name)
    await _listing(update, context, consultation, session, 0, new_message=True)


def is_question_link(payload: str) -> bool:
    return payload.startswith(LINK_PREFIX)


# --- the chairs' side ---------------------------------------------------------------------------


async def _refuse(update: Update, context: BotContext) -> None:
    refusal = _("Sorry, this is only for the session's chairs and moderators.")
    await refuse(update, context, refusal)


def board_text(
    state: BoardState, consultation: Consultation, session: Session, now_text: str
) -> str:
    """A chair's live message: the counts, the question being asked, the most voted."""
    counts = state.counts
    lines = [
        "🎙 <b>" + _("Questions to the panel") + "</b> — " + esc(_title(session)),
        "🕘 " + esc(time_range(session, consultation)),
        "⏳ "
        + _("To approve: {count}").format(count=counts[WAITING])
        + " · ✅ "
        + _("Shown: {count}").format(count=counts[SHOWN])
        + " · ✔️ "
        + _("Answered: {count}").format(count=counts[ANSWERED])
        + " · 🙈 "
        + _("Hidden: {count}").format(count=counts[HIDDEN]),
        "",
    ]
    pinned = [q for q in state.ranked if q.pinned]
    for question in pinned:
        lines.append("📌 <b>" + _("Being asked now:") + "</b> " + _question_line(question))
    top = [q for q in state.ranked if not q.pinned and q.status != ANSWERED][:BOARD_TOP]
    if top:
        lines.append("<b>" + _("Most voted:") + "</b>")
        lines += [f"{n}. {_question_line(q)}" for n, q in enumerate(top, 1)]
    elif not pinned:
        lines.append(_("No questions shown yet."))
    lines.append("")
    lines.append(
        "<i>"
        + _("As of {time}. This message updates itself as questions and votes arrive.").format(
            time=isolate(now_text)
        )
        + "</i>"
    )
    return "\n".join(lines)


def board_markup(state: BoardState, session: Session) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "⏳ " + _("To approve ({count})").format(count=state.counts[WAITING]),
                    callback_data=f"{CHAIR}w:{session.id}:0",
                ),
                InlineKeyboardButton(
                    "📊 " + _("All questions"), callback_data=f"{CHAIR}r:{session.id}:0"
                ),
            ]
        ]
    )


async def _chair_session(
    update: Update, context: BotContext, count: int
) -> tuple[Consultation, Session, list[str]] | None:
    """pc:<kind>:<session>[:…] pressed by one of the session's chairs (else refused)."""
    found = await _pressed_session(update, context, count)
    if found is None or context.profile is None:
        return None
    consultation, session, _parts = found
    if not await context.services.panel.is_chair(
        context.profile.user_id, consultation.id, session.id
    ):
        await _refuse(update, context)
        return None
    return found


async def board_button(update: Update, context: BotContext) -> None:
    """pc:b:<session>: a new live message for the chair, which the bot keeps up to date."""
    found = await _chair_session(update, context, 3)
    query = update.callback_query
    chat = update.effective_chat
    if found is None or query is None or chat is None or context.profile is None:
        return
    consultation, session, _parts = found
    panel = context.services.panel
    await query.answer()
    state = await panel.board_state(context.profile.user_id, consultation, session)
    now = clock_time(context.services.clock.now(), consultation.timezone)
    text, markup = board_text(state, consultation, session, now), board_markup(state, session)
    sent = await reply(update, context, text, markup)
    if sent is not None:
        await panel.open_board(
            context.profile.user_id,
            consultation,
            session,
            chat.id,
            sent.message_id,
            _shown(text, markup),
        )


def _shown(text: str, markup: InlineKeyboardMarkup) -> str:
    """A live message's text and buttons, to tell whether an edit would change anything."""
    return text + "\n" + repr(markup.to_dict())


async def _on_board(
    context: BotContext, consultation: Consultation, session: Session, query: Any
) -> bool:
    """Whether the press came from the chair's live message (which must stay what it is)."""
    message = query.message
    if context.profile is None or not isinstance(message, Message):
        return False
    board = await context.services.panel.board(
        consultation.id, session.id, context.profile.user_id
    )
    return board is not None and board.message_id == message.message_id


async def _chair_view(
    update: Update,
    context: BotContext,
    consultation: Consultation,
    session: Session,
    view: str,
    page: int,
) -> None:
    """The questions waiting for approval (`w`), or all the others most voted first (`r`),
    with the chair's buttons."""
    assert context.profile is not None
    state = await context.services.panel.board_state(
        context.profile.user_id, consultation, session
    )
    questions = state.waiting if view == "w" else state.ranked
    count = max(1, -(-len(questions) // PAGE_SIZE))
    page = min(max(page, 0), count - 1)
    shown = questions[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    heading = _("To approve") if view == "w" else _("All questions, most voted first")
    lines = ["🎙 <b>" + heading + "</b> — " + esc(_title(session)), ""]
    if not questions:
        lines.append(
            _("No question is waiting for approval.") if view == "w" else _("No questions yet.")
        )
    rows: list[list[InlineKeyboardButton]] = []
    for number, question in enumerate(shown, page * PAGE_SIZE + 1):
        mark = "📌 " if question.pinned else "✔️ " if question.status == ANSWERED else ""
        lines.append(f"{number}. {mark}{_question_line(question, votes=view == 'r')}")
        tail = f"{question.id}:{view}:{page}"
        if view == "w":
            row = [
                InlineKeyboardButton(
                    "✅ " + _("Approve {number}").format(number=number),
                    callback_data=f"{CHAIR}o:{tail}",
                ),
            ]
        else:
            row = [
                InlineKeyboardButton(
                    "📌 " + _("Unpin {number}").format(number=number),
                    callback_data=f"{CHAIR}u:{tail}",
                )
                if question.pinned
                else InlineKeyboardButton(
                    "📌 " + _("Pin {number}").format(number=number),
                    callback_data=f"{CHAIR}p:{tail}",
                )
            ]
            if question.status != ANSWERED:
                row.append(
                    InlineKeyboardButton(
                        "✔️ " + _("Answered {number}").format(number=number),
                        callback_data=f"{CHAIR}d:{tail}",
                    )
                )
        row.append(
            InlineKeyboardButton(
                "🙈 " + _("Hide {number}").format(number=number),
                callback_data=f"{CHAIR}h:{tail}",
            )
        )
        rows.append(row)
    if count > 1:
        lines += ["", _("Page {page} of {pages}").format(page=page + 1, pages=count)]
        rows.append(page_buttons(page, count, lambda n: f"{CHAIR}{view}:{session.id}:{n}"))
    other = (
        InlineKeyboardButton("📊 " + _("All questions"), callback_data=f"{CHAIR}r:{session.id}:0")
        if view == "w"
        else InlineKeyboardButton(
            "⏳ " + _("To approve ({count})").format(count=len(state.waiting)),
            callback_data=f"{CHAIR}w:{session.id}:0",
        )
    )
    refresh = InlineKeyboardButton(
        "🔄 " + _("Refresh"), callback_data=f"{CHAIR}{view}:{session.id}:{page}"
    )
    rows.append([other, refresh])
    markup = InlineKeyboardMarkup(rows)
    query = update.callback_query
    if query is not None and await _on_board(context, consultation, session, query):
        await reply(update, context, "\n".join(lines), markup)
    else:
        await show(update, context, "\n".join(lines), markup)


async def view_button(update: Update, context: BotContext) -> None:
    """pc:w:<session>:<page> (waiting) or pc:r:<session>:<page> (all, most voted first)."""
    opened = await _session_page(update, await _chair_session(update, context, 4))
    if opened is not None:
        await _chair_view(update, context, *opened)


async def action_button(update: Update, context: BotContext) -> None:
    """pc:<o approve | h hide | d answered | p pin | u unpin>:<question>:<w|r>:<page>"""
    query = update.callback_query
    parts = callback_parts(update, 5)
    if query is None or context.profile is None:
        return
    question_id = parse_id(parts[2]) if parts else None
    page = parse_id(parts[4]) if parts else None
    if parts is None or question_id is None or page is None or parts[3] not in VIEWS:
        await out_of_date(update)
        return
    action = CHAIR_ACTIONS.get(parts[1])
    consultation = await need_consultation(update, context)
    if consultation is None or action is None:
        return
    panel = context.services.panel
    try:
        # The question being asked (pinned), once answered, is no longer pinned: say so.
        was_pinned = action == ANSWER and (await panel.question(consultation, question_id)).pinned
        question = await panel.moderate(context.profile.user_id, consultation, question_id, action)
    except NotAllowed:
        await _refuse(update, context)
        return
    except (QuestionNotFound, SessionNotFound):
        await out_of_date(update)
        return
    except NotVotable:
        await query.answer(_("Only a question shown to everyone can be pinned."), show_alert=True)
        return
    done = {
        APPROVE: _("Approved: everyone sees it now."),
        HIDE: _("Hidden: nobody but its author sees it."),
        ANSWER: _("Marked answered."),
        PIN: _("Pinned: shown at the top for everyone."),
        UNPIN: _("Unpinned."),
    }
    text = done[action]
    if was_pinned:
        text = _("Marked answered: no longer pinned, nor shown at the top.")
    await query.answer(text)
    session = panel.session(consultation, question.session_id)
    await _chair_view(update, context, consultation, session, parts[3], page)


# --- what the outbox sends --------------------------------------------------------------------


@delegate_action(BOARD)
async def edit_board(services: Services, bot: Bot, item: OutboxItem) -> Outcome:
    """A chair's live message brought up to date, in their language."""
    consultation = services.events.get(item.consultation_id or "")
    session = consultation.session(str(item.payload.get("session"))) if consultation else None
    chair = item.delegate
    if consultation is None or session is None:
        return Outcome.skipped("session gone")
    board = await services.panel.board(consultation.id, session.id, chair)
    if board is None:
        return Outcome.skipped("no live message")
    try:
        state = await services.panel.board_state(chair, consultation, session)
    except NotAllowed:
        return Outcome.skipped("no longer a chair")
    now = clock_time(services.clock.now(), consultation.timezone)
    text, markup = board_text(state, consultation, session, now), board_markup(state, session)
    if services.panel.already_shows(board, _shown(text, markup)):
        return Outcome.skipped("unchanged")
    try:
        await bot.edit_message_text(
            text,
            chat_id=board.chat_id,
            message_id=board.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
    await services.panel.now_shows(board, _shown(text, markup))
    return Outcome.sent()


@renderer(SHOWN_NOTICE)
async def render_shown(services: Services, item: OutboxItem) -> Rendered | None:
    """To a delegate who asked under their name: a chair approved their question."""
    consultation = services.events.get(item.consultation_id or "")
    if consultation is None:
        return None
    try:
        question = await services.panel.question(consultation, int(item.payload["question"]))
    except QuestionNotFound:
        return None  # deleted meanwhile
    session = consultation.session(question.session_id)
    if session is None or question.status not in (SHOWN, ANSWERED):
        return None
    text = "\n".join(
        [
            "✅ "
            + _("Your question to the panel of {title} is now shown to everyone:").format(
                title="<b>" + esc(_title(session)) + "</b>"
            ),
            "<i>" + quote(question.text) + "</i>",
        ]
    )
    button = InlineKeyboardButton("💬 " + _("Questions"), callback_data=f"{ASKER}l:{session.id}:0")
    return Rendered(text, InlineKeyboardMarkup([[button]]))


# --- organisers: /chairs -------------------------------------------------------------------------


def _chairs_usage() -> str:
    """How /chairs is used (plain text: escape it for HTML)."""
    return _(
        "Name a session's chairs and moderators by their Telegram user id:\n"
        "/chairs {session} — the session's chairs\n"
        "/chairs {session} add {user}\n"
        "/chairs {session} remove {user}"
    ).format(session="<" + _("session id") + ">", user="<" + _("user id") + ">")


async def manage_chairs(update: Update, context: BotContext) -> None:
    """/chairs <session> [add|remove <user id>]: organisers name a session's chairs."""
    profile = context.profile
    if profile is None or not profile.is_organiser:
        await reply(update, context, _("Sorry, this is only for the organisers."))
        return
    consultation = await need_consultation(update, context)
    if consultation is None:
        return
    args = list(context.args or [])
    if (
        not args
        or len(args) not in (1, 3)
        or (len(args) == 3 and args[1] not in ("add", "remove"))
    ):
        await reply(update, context, esc(_chairs_usage()))
        return
    panel = context.services.panel
    try:
        session = panel.session(consultation, args[0])
    except SessionNotFound:
        await reply(
            update,
            context,
            _("No session has the id {session}.").format(session=f"<code>{esc(args[0])}</code>"),
        )
        return
    note = ""
    if len(args) == 3:
        user_id = parse_id(args[2])
        if user_id is None or user_id == 0:
            await reply(update, context, esc(_chairs_usage()))
            return
        if args[1] == "add":
            await panel.add_chair(consultation, session.id, user_id)
            note = _("{user} is now a chair of this session.").format(user=user_id)
        elif user_id in session.chairs:
            note = _("{user} is named in sessions.yaml: remove them there, then /reload.").format(
                user=user_id
            )
        elif await panel.remove_chair(consultation, session.id, user_id):
            note = _("{user} is no longer a chair of this session.").format(user=user_id)
        else:
            note = _("{user} was not a chair of this session.").format(user=user_id)
        logger.info("Chairs of %s/%s: %s %d", consultation.id, session.id, args[1], user_id)
    lines = [note, ""] if note else []
    lines.append("🎙 <b>" + _("Chairs and moderators") + "</b> — " + esc(_title(session)))
    chairs = await panel.chairs(consultation, session)
    if not chairs:
        lines.append(_("None yet (organisers can always chair)."))
    for user_id, listed in chairs:
        record = await context.services.people.get(user_id)
        name = person(record.first_name) if record and record.first_name else ""
        entry = f"• <code>{user_id}</code> {name}".rstrip()
        if listed:
            entry += " — " + _("in sessions.yaml")
        lines.append(entry)
    await reply(update, context, "\n".join(lines))


# --- wiring --------------------------------------------------------------------------------------

CALLBACKS = {
    rf"^{ASKER}l:": list_button,
    rf"^{ASKER}v:": vote_button,
    rf"^{ASKER}m:": mine_button,
    rf"^{ASKER}a:": ask_button,
    rf"^{ASKER}n:": named_button,
    rf"^{ASKER}x$": cancel_button,
    rf"^{CHAIR}b:": board_button,
    rf"^{CHAIR}[wr]:": view_button,
    rf"^{CHAIR}[ohdpu]:": action_button,
}


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Call before the free-text handlers: a typed question must reach us first."""
    # The sender's next text is a question to a panel.
    drafting = expected_text(
        application, "DraftingQuestion", lambda s, user: s.panel.drafting(user), capture_question
    )
    application.add_handler(drafting)
    application.add_handler(CommandHandler("q", show_questions, filters=PRIVATE))
    application.add_handler(CommandHandler("chairs", manage_chairs, filters=PRIVATE))
    for pattern, button in CALLBACKS.items():
        application.add_handler(CallbackQueryHandler(button, pattern=pattern))
