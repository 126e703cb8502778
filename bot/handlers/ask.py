"""Free-text questions, 👍/👎 votes, and the organisers' helpdesk group behind the bot."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.ask_texts import (
    not_sure_answer,
    not_sure_with_suggestions,
    small_talk_answer,
    suggestion_label,
)
from bot.context import BotContext, Services
from bot.handlers.common import out_of_date, parse_id, reply, required_id, show
from bot.handlers.consultation import need_consultation
from bot.handlers.documents import document_answer
from bot.handlers.formatting import (
    esc,
    language_name,
    moment,
    person,
    quote,
    session_card,
    session_line,
    shorten,
    spans_days,
)
from bot.handlers.outbox import group_action
from bot.handlers.rooms import room_rows, send_room
from bot.handlers.search import results_text
from bot.handlers.speakers import answer_with_speakers, speaker_rows
from bot.i18n import DEFAULT, N_, _, current_language, isolate, isolated, ngettext, use_language
from bot.services.delivery import Outcome
from bot.services.documents import find_document
from bot.services.event_data import Consultation, FaqEntry, Topic
from bot.services.helpdesk import (
    HelpdeskError,
    NotOrganiser,
    Relay,
    Taught,
    UnknownEntry,
    UnknownQuestion,
    find_entry,
)
from bot.services.matcher import ROOM, SESSIONS, SPEAKER, Match, answer_ref, asked_search
from bot.services.people import Profile
from bot.services.privacy import TICKET_FORGOTTEN
from bot.services.sanitise import clean
from bot.storage.helpdesk import GapRecord, QuestionRecord, TicketRecord
from bot.storage.outbox import OutboxItem

logger = logging.getLogger(__name__)

PREFIX = "ask:"
MAX_CALLBACK_BYTES = 64  # Telegram's limit on a button's data
PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS
# The only buttons the bot puts under its messages in a group: ✅ Teach (/gaps) and ↩️ Undo.
GROUP_BUTTONS = (f"{PREFIX}k:", f"{PREFIX}u:")


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Commands and buttons; the free-text handler is `answer_question`, registered last."""
    application.add_handler(CommandHandler("ask_organisers", ask_organisers, filters=PRIVATE))
    application.add_handler(CommandHandler("helpdesk", show_helpdesk))
    application.add_handler(CommandHandler("answer", answer_ticket))
    application.add_handler(CommandHandler("gaps", show_gaps))
    application.add_handler(CommandHandler("teach", teach_command))
    application.add_handler(CallbackQueryHandler(teach_button, pattern=r"^ask:k:"))
    application.add_handler(CallbackQueryHandler(untaught_button, pattern=r"^ask:u:"))
    application.add_handler(CallbackQueryHandler(vote_button, pattern=r"^ask:v:"))
    application.add_handler(CallbackQueryHandler(ask_button, pattern=r"^ask:t:"))
    application.add_handler(CallbackQueryHandler(suggestion_button, pattern=r"^ask:s:"))
    application.add_handler(CallbackQueryHandler(identity_button, pattern=r"^ask:[na]:"))
    application.add_handler(CallbackQueryHandler(search_page_button, pattern=r"^se:q:"))
    application.add_handler(
        MessageHandler(
            GROUPS & filters.REPLY & ~filters.COMMAND & ~filters.StatusUpdate.ALL, group_reply
        )
    )


# --- Delegates ----------------------------------------------------------------------------


def _ask_button(question_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        "🙋 " + _("Ask the organisers"), callback_data=f"{PREFIX}t:{question_id}"
    )


def _answer_keyboard(
    question_id: int, extra: list[list[InlineKeyboardButton]] | None = None
) -> InlineKeyboardMarkup:
    rows = list(extra or [])
    rows.append(
        [
            InlineKeyboardButton("👍", callback_data=f"{PREFIX}v:{question_id}:1"),
            InlineKeyboardButton("👎", callback_data=f"{PREFIX}v:{question_id}:0"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def render_sessions(match: Match, consultation: Consultation) -> tuple[str, list[Any]]:
    """Session answers: one full card, or a list whose buttons open the cards."""
    lang = current_language()
    sessions = list(match.sessions)
    lines: list[str] = []
    if match.when == "then":
        # A day, a part of the day or after a session, with nothing on the programme.
        return _("Nothing is on the programme then."), []
    if match.when is not None:
        # The room asked about, named in the reader's language (nothing on there now included).
        room = esc(isolate(match.room.get(lang))) if match.room else None
        if match.when == "now":
            title = _("On now in {room}").format(room=room) if room else _("On now")
        else:
            title = _("Next in {room}").format(room=room) if room else _("Next")
        lines.append(f"<b>{title}</b>")
        if not sessions:
            lines.append(
                _("Nothing is on right now.") if match.when == "now" else _("No more sessions.")
            )
    elif len(sessions) == 1:
        return session_card(sessions[0], consultation, starred=False), speaker_rows(sessions[0])
    # "Who is Samira Haddad": her sessions on two days say which day each is on.
    with_day = spans_days(sessions, consultation)
    lines.extend(session_line(s, consultation, with_day=with_day) for s in sessions)
    buttons = [
        [InlineKeyboardButton(shorten(s.title.get(lang), 60), callback_data=f"ag:s:{s.id}")]
        for s in sessions
    ]
    return "\n".join(lines), buttons


async def answer_question(update: Update, context: BotContext) -> None:
    """Any text that is not a command: the organisers' answer, or an honest "I don't know"."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or not message.text:
        return
    consultation = await need_consultation(update, context)
    if consultation is None:
        return
    lang = current_language()
    asked = await context.services.helpdesk.ask(user.id, consultation, lang, message.text)
    match = asked.match
    small_talk = small_talk_answer(match.kind)
    if small_talk is not None:
        await reply(update, context, small_talk)
        return
    question_id = asked.question_id
    assert question_id is not None
    if match.kind == SESSIONS and match.search is not None:
        text, buttons = await _search_answer(context, consultation, match.search, question_id, 0)
        await reply(update, context, text, _answer_keyboard(question_id, buttons))
        return
    if match.kind == SESSIONS:
        text, buttons = render_sessions(match, consultation)
        await reply(update, context, text, _answer_keyboard(question_id, buttons))
        return
    if match.kind == SPEAKER:
        votes = _answer_keyboard(question_id).inline_keyboard
        await answer_with_speakers(update, context, consultation, match.speakers, votes)
        return
    room = consultation.room(match.room_id) if match.kind == ROOM else None
    if room is not None:
        # "Where is room 2": the room's map, then its card (how to get there, what is on).
        markup = _answer_keyboard(question_id, room_rows(room))
        await send_room(update, context, consultation, room, markup)
        return
    placed = find_document(consultation, match.document.id) if match.document else None
    if placed is not None:
        text, buttons = document_answer(placed, consultation)
        await reply(update, context, text, _answer_keyboard(question_id, buttons))
        return
    entry = match.faq or match.topic
    if entry is not None:
        await reply(update, context, _entry_answer(entry, lang), _answer_keyboard(question_id))
        return
    rows = _suggestion_rows(question_id, match.suggestions, consultation, lang)
    text = not_sure_with_suggestions() if rows else not_sure_answer()
    rows.append([_ask_button(question_id)])
    await reply(update, context, text, InlineKeyboardMarkup(rows))


async def _search_answer(
    context: BotContext, consultation: Consultation, subject: str, question_id: int, page: int
) -> tuple[str, list[Any]]:
    """The sessions on the subject of "sessions on …", paged by the question's number."""
    result = await context.services.agenda.search(consultation, subject)
    starred: set[str] = set()
    if context.profile is not None:
        starred = await context.services.agenda.starred_ids(context.profile.user_id, consultation)
    return results_text(
        consultation,
        subject,
        result,
        page,
        lambda number: f"se:q:{question_id}:{number}",
        starred,
    )


async def _pressed_question(
    update: Update, context: BotContext
) -> tuple[CallbackQuery, int, Consultation, QuestionRecord, str] | None:
    """`<prefix>:<kind>:<question>:<rest>`: the press, its sender, the consultation, the
    sender's question in it and the rest of the data; None when the button is out of date
    (said)."""
    query = update.callback_query
    user = update.effective_user
    consultation = context.consultation
    if query is None or query.data is None or user is None or consultation is None:
        await out_of_date(update)
        return None
    try:
        _prefix, _kind, raw_id, rest = query.data.split(":", 3)
        question = await context.services.helpdesk.question(user.id, required_id(raw_id))
    except (ValueError, HelpdeskError):
        await out_of_date(update)
        return None
    if question.consultation_id != consultation.id:
        await out_of_date(update)
        return None
    return query, user.id, consultation, question, rest


async def search_page_button(update: Update, context: BotContext) -> None:
    """se:q:<question>:<page>: another page of the sessions a question asked for."""
    pressed = await _pressed_question(update, context)
    if pressed is None:
        return
    query, _user_id, consultation, question, raw_page = pressed
    page = parse_id(raw_page)
    subject = asked_search(question.question)
    if page is None or subject is None:
        await out_of_date(update)
        return
    await query.answer()
    text, buttons = await _search_answer(context, consultation, subject, question.id, page)
    await show(update, context, text, _answer_keyboard(question.id, buttons))


def _entry_answer(entry: FaqEntry | Topic, lang: str) -> str:
    """The organisers' answer as the delegate reads it: a topic under its title."""
    if isinstance(entry, Topic):
        title = esc(isolate(entry.title.get(lang)))
        return f"💡 {esc(entry.icon)} <b>{title}</b>\n\n{esc(entry.text.get(lang))}"
    return "💡 " + esc(entry.answer.get(lang))


def _suggestion_rows(
    question_id: int,
    suggestions: Sequence[FaqEntry | Topic],
    consultation: Consultation,
    lang: str,
) -> list[list[InlineKeyboardButton]]:
    """One button per suggested entry (an id too long for a button's data is left out)."""
    rows = []
    for entry in suggestions:
        data = f"{PREFIX}s:{question_id}:{answer_ref(entry)}"
        if len(data.encode()) <= MAX_CALLBACK_BYTES:
            label = suggestion_label(entry, lang, consultation.default_language)
            rows.append([InlineKeyboardButton(shorten(label, 60), callback_data=data)])
    return rows


async def suggestion_button(update: Update, context: BotContext) -> None:
    """ask:s:<question>:<entry>: the delegate chose one of the suggested answers."""
    pressed = await _pressed_question(update, context)
    if pressed is None:
        return
    query, user_id, consultation, question, ref = pressed
    kind, _sep, entry_id = ref.rpartition(":")
    entry: FaqEntry | Topic | None = (
        consultation.topic(entry_id)
        if kind == "topic"
        else next((e for e in consultation.faq if e.id == ref), None)
    )
    if entry is None:
        await out_of_date(update)
        return
    await context.services.helpdesk.chose(user_id, question.id, ref)
    await query.answer()
    lang = current_language()
    await show(update, context, _entry_answer(entry, lang), _answer_keyboard(question.id))


async def vote_button(update: Update, context: BotContext) -> None:
    """ask:v:<question>:<1|0>: store the vote; after 👎 offer a person."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    try:
        _prefix, _v, raw_id, raw_vote = query.data.split(":")
        question_id = required_id(raw_id)
        if raw_vote not in ("0", "1"):
            raise ValueError(raw_vote)
        await context.services.helpdesk.vote(user.id, question_id, raw_vote == "1")
    except (ValueError, HelpdeskError):
        await out_of_date(update)
        return
    if raw_vote == "1":
        await query.answer(_("Thank you for your feedback!"))
        return
    await query.answer()
    await reply(
        update,
        context,
        _("Sorry that did not help. Shall I ask the organisers? A person will answer you here."),
        InlineKeyboardMarkup([[_ask_button(question_id)]]),
    )


def _identity_keyboard(question_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "👤 " + _("Show my name"), callback_data=f"{PREFIX}n:{question_id}"
                ),
                InlineKeyboardButton(
                    "🕶 " + _("Stay anonymous"), callback_data=f"{PREFIX}a:{question_id}"
                ),
            ]
        ]
    )


IDENTITY_QUESTION = N_(
    "The organisers will see your question. May they also see your name, or would you rather "
    "stay anonymous?"
)


async def ask_button(update: Update, context: BotContext) -> None:
    """ask:t:<question>: before filing, ask how far the delegate may be identified."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    try:
        question_id = required_id(query.data.removeprefix(f"{PREFIX}t:"))
        await context.services.helpdesk.question(user.id, question_id)
    except (ValueError, HelpdeskError):
        await out_of_date(update)
        return
    await query.answer()
    await reply(update, context, _(IDENTITY_QUESTION), _identity_keyboard(question_id))


async def ask_organisers(update: Update, context: BotContext) -> None:
    """/ask_organisers <question>: straight to the helpdesk."""
    user = update.effective_user
    consultation = await need_consultation(update, context)
    if consultation is None or user is None:
        return
    question = " ".join(context.args or []).strip()
    if not question:
        await reply(
            update,
            context,
            _(
                "Write your question after the command, for example:\n"
                "<code>/ask_organisers Can I bring a colleague to the reception?</code>"
            ),
        )
        return
    question_id = await context.services.helpdesk.ask_directly(
        user.id, consultation, current_language(), question
    )
    await reply(update, context, _(IDENTITY_QUESTION), _identity_keyboard(question_id))


async def identity_button(update: Update, context: BotContext) -> None:
    """ask:n:<question> (show my name) or ask:a:<question> (anonymous): file the ticket."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    try:
        _prefix, choice, raw_id = query.data.split(":")
        name = (user.full_name or user.first_name) if choice == "n" else None
        ticket, new = await context.services.helpdesk.open_ticket(
            user.id, required_id(raw_id), name
        )
    except (ValueError, HelpdeskError):
        await out_of_date(update)
        return
    await query.answer()
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        # The choice is made: take the buttons away so the question is not filed twice (a
        # message that has none left, pressed again from an old client, is left as it is).
        with contextlib.suppress(TelegramError):
            await message.edit_reply_markup(None)
    if new:
        await _post_ticket(context, ticket)
    await reply(
        update,
        context,
        _(
            "Your question is with the organisers (ticket #{number}). "
            "Their answer will come to you here."
        ).format(number=ticket.id),
    )


def _ticket_text(ticket: TicketRecord, context: BotContext) -> str:
    """The ticket as the helpdesk group sees it; once answered it says by whom and when."""
    consultation = context.services.events.get(ticket.consultation_id)
    who = person(ticket.display_name) if ticket.display_name else _("an anonymous delegate")
    where = esc(consultation.name.get(DEFAULT)) if consultation else esc(ticket.consultation_id)
    lines = [
        ("✅" if ticket.status == "answered" else "🙋")
        + " <b>"
        + _("Ticket #{number}").format(number=ticket.id)
        + "</b>",
        _("From: {who}").format(who=who),
        _("Language: {language}").format(language=esc(language_name(ticket.language))),
        _("Consultation: {name}").format(name=where),
        "",
        quote(ticket.question),
        "",
    ]
    if ticket.status == "answered" and ticket.answered_at is not None:
        when = moment(ticket.answered_at, consultation) if consultation else ""
        lines.append(
            "<b>"
            + _("Answered by {name}, {when}").format(
                name=person(ticket.answered_by_name or "?"), when=esc(when)
            )
            + "</b>"
        )
        hint = _("Reply to this message to send the delegate a follow-up.")
    else:
        hint = _(
            "Reply to this message to answer, or send /answer {number} followed by the text."
        ).format(number=ticket.id)
    lines.append(f"<i>{hint}</i>")
    return "\n".join(lines)


async def _mark_answered(context: BotContext, ticket_id: int) -> None:
    """Edit the ticket's message in the helpdesk group: answered, by whom, when."""
    ticket = await context.services.helpdesk.ticket_record(ticket_id)
    if ticket is None or ticket.group_chat_id is None or ticket.group_message_id is None:
        return
    with use_language(DEFAULT):
        text = _ticket_text(ticket, context)
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=ticket.group_chat_id,
            message_id=ticket.group_message_id,
            parse_mode=ParseMode.HTML,
        )
    except TelegramError as exc:
        # The message was deleted in the group: nothing left to mark.
        logger.info("Could not mark ticket %d answered in the group: %s", ticket.id, exc)


async def _post_ticket(context: BotContext, ticket: TicketRecord) -> None:
    chat_id = context.services.config.helpdesk_chat_id
    if chat_id is None:
        logger.warning("Ticket %d filed but HELPDESK_CHAT_ID is not set", ticket.id)
        return
    with use_language(DEFAULT):
        text = _ticket_text(ticket, context)
    try:
        sent = await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except TelegramError:
        logger.exception("Could not post ticket %d to the helpdesk chat", ticket.id)
        return
    if not await context.services.helpdesk.posted(ticket, chat_id, sent.message_id):
        logger.info("Ticket %d was deleted while being posted; its message is blanked", ticket.id)


@group_action(TICKET_FORGOTTEN)
async def blank_forgotten_ticket(services: Services, bot: Bot, item: OutboxItem) -> Outcome:
    """The delegate deleted their data: their ticket's message in the helpdesk group keeps
    neither the question nor their name. In the group's language, as tickets are posted."""
    with use_language(DEFAULT):
        text = "\n".join(
            [
                "🗑 <b>"
                + _("Ticket #{number}").format(number=item.payload.get("ticket", "?"))
                + "</b>",
                _("A delegate deleted their data; this question was removed."),
            ]
        )
    try:
        await bot.edit_message_text(
            text,
            chat_id=item.chat,
            message_id=int(item.payload["message_id"]),
            parse_mode=ParseMode.HTML,
        )
    except BadRequest as exc:
        reason = exc.message.lower()
        if "not modified" in reason:
            return Outcome.sent()  # an earlier attempt did it (its answer was lost)
        if "not found" in reason:
            return Outcome.skipped("the ticket's message was deleted in the group")
        raise
    return Outcome.sent()


# --- Organisers ---------------------------------------------------------------------------


async def _refuse(update: Update, context: BotContext) -> None:
    await reply(update, context, _("Only organisers can use this command."))


async def _organiser_here(update: Update, context: BotContext) -> bool:
    """Organisers' commands work in a private chat or in the helpdesk group.

    Anywhere else they are ignored, and in a group a non-organiser gets no public refusal.
    """
    chat = update.effective_chat
    profile = context.profile
    if chat is None or profile is None:
        return False
    private = chat.type == ChatType.PRIVATE
    if not private and chat.id != context.services.config.helpdesk_chat_id:
        return False
    if not profile.is_organiser:
        if private:
            await _refuse(update, context)
        return False
    return True


async def _relay(update: Update, context: BotContext, relay: Relay) -> None:
    """Send an organiser's reply to the delegate, in the delegate's language."""
    ticket = relay.ticket
    if relay.delegate is None:
        # No delegate of the bot has this ticket's author: not with the key in use.
        logger.warning("No delegate found for ticket %d; the answer was not relayed", ticket.id)
        await context.services.helpdesk.undelivered(relay)
        await reply(
            update,
            context,
            "⚠️ "
            + _(
                "Ticket #{number}: I can no longer find the delegate who asked; the answer was "
                "not delivered."
            ).format(number=ticket.id),
        )
        return
    with use_language(ticket.language):
        if relay.number == 1:
            head = _("💬 The organisers answered your question:")
        else:
            head = _("💬 A follow-up from the organisers on your question:")
        text = f"{head}\n<i>{quote(ticket.question)}</i>\n\n{esc(relay.text)}"
    try:
        await context.bot.send_message(relay.delegate, text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        # Tell the organisers, or they would believe the delegate has the answer.
        logger.warning("Could not relay the answer to ticket %d: %s", ticket.id, exc)
        await context.services.helpdesk.undelivered(relay)
        if isinstance(exc, Forbidden):
            failure = _(
                "Ticket #{number}: the delegate has blocked the bot; the answer was not delivered."
            ).format(number=ticket.id)
        else:
            failure = _(
                "Ticket #{number}: the answer could not be delivered ({reason}). "
                "Send /answer {number} followed by the text to try again."
            ).format(number=ticket.id, reason=esc(exc.message))
        await reply(update, context, "⚠️ " + failure)
        return
    await reply(
        update,
        context,
        _("✅ Sent to the delegate (ticket #{number}).").format(number=ticket.id),
    )
    if relay.number == 1:
        # Follow-ups change nothing the group's view shows.
        await _mark_answered(context, ticket.id)


async def group_reply(update: Update, context: BotContext) -> None:
    """An organiser replying to a ticket (or to an earlier answer) in the helpdesk group."""
    message = update.effective_message
    chat = update.effective_chat
    profile = context.profile
    if message is None or chat is None or profile is None or message.reply_to_message is None:
        return
    if chat.id != context.services.config.helpdesk_chat_id or not profile.is_organiser:
        return
    helpdesk = context.services.helpdesk
    ticket = await helpdesk.ticket_for_message(chat.id, message.reply_to_message.message_id)
    if ticket is None:
        return
    if not message.text:
        await reply(
            update,
            context,
            _(
                "Ticket #{number}: only text replies are relayed to the delegate; "
                "this message was not sent."
            ).format(number=ticket.id),
        )
        return
    relay = await helpdesk.reply(profile, ticket, chat.id, message.message_id, message.text)
    if relay is not None:
        await _relay(update, context, relay)


async def answer_ticket(update: Update, context: BotContext) -> None:
    """/answer <ticket> <text>: answer a ticket without replying to its message."""
    message = update.effective_message
    chat = update.effective_chat
    profile = context.profile
    if message is None or chat is None or profile is None:
        return
    if not await _organiser_here(update, context):
        return
    args = context.args or []
    number = args[0].lstrip("#") if args else ""
    ticket_id = parse_id(number)
    text = " ".join(args[1:]).strip()
    if ticket_id is None or not text:
        await reply(
            update, context, _("Usage: <code>/answer 12 The shuttle leaves at 08:00.</code>")
        )
        return
    helpdesk = context.services.helpdesk
    try:
        ticket = await helpdesk.ticket(profile, ticket_id)
        relay = await helpdesk.reply(profile, ticket, chat.id, message.message_id, text)
    except NotOrganiser:
        await _refuse(update, context)
        return
    except HelpdeskError:
        await reply(update, context, _("There is no ticket #{number}.").format(number=number))
        return
    if relay is not None:
        await _relay(update, context, relay)


async def show_helpdesk(update: Update, context: BotContext) -> None:
    """/helpdesk: open tickets, oldest first."""
    profile = context.profile
    if profile is None or not await _organiser_here(update, context):
        return
    tickets, total = await context.services.helpdesk.open_tickets(profile)
    if not tickets:
        await reply(update, context, _("No open tickets. 🎉"))
        return
    lines = [
        "<b>"
        + ngettext("{count} open ticket", "{count} open tickets", total).format(count=total)
        + "</b>",
        "",
    ]
    for ticket in tickets:
        consultation = context.services.events.get(ticket.consultation_id)
        asked = moment(ticket.created_at, consultation) if consultation else ""
        who = person(ticket.display_name) if ticket.display_name else _("anonymous")
        question = quote(shorten(ticket.question, 200))
        number = isolate(f"#{ticket.id}")
        language = esc(language_name(ticket.language))
        lines.append(f"<b>{number}</b> · {esc(asked)} · {language} · {who}\n{question}")
    lines.append("")
    lines.append(
        "<i>" + _("Answer with /answer followed by the ticket number and your text.") + "</i>"
    )
    await reply(update, context, "\n".join(lines))


def _teach_example(unanswered: Sequence[GapRecord], consultation: Consultation) -> str:
    """A /teach line for the first gap listed: its number, and the entry its delegate chose (or
    the consultation's first FAQ entry)."""
    first = unanswered[0]
    entry = first.answer_id or (consultation.faq[0].id if consultation.faq else "cloakroom")
    return f"{first.question_id or 12} {entry}"


async def show_gaps(update: Update, context: BotContext) -> None:
    """/gaps: questions the bot could not answer and answers voted 👎, to improve the FAQ."""
    profile = context.profile
    chat = update.effective_chat
    if profile is None or chat is None or not await _organiser_here(update, context):
        return
    if chat.type == ChatType.PRIVATE:
        consultation = await need_consultation(update, context)
    else:
        # No consultation picker in the group: it is chosen in the private chat.
        consultation = context.consultation
        if consultation is None:
            await reply(
                update,
                context,
                _("Choose your consultation in a private chat with me, then send /gaps again."),
            )
    if consultation is None:
        return
    gaps = await context.services.helpdesk.gaps(profile, consultation)
    lines = ["<b>" + _("FAQ gaps") + "</b>", ""]
    lines.append("<b>" + _("Questions I could not answer") + "</b>")
    rows: list[list[InlineKeyboardButton]] = []
    if gaps.unanswered:
        for g in gaps.unanswered:
            number = f"<b>{isolate(f'#{g.question_id}')}</b> " if g.question_id else ""
            lines.append(
                f"• {number}{quote(g.question)} <i>(×{g.count})</i>"
                + (f" → 💡 <code>{esc(g.answer_id)}</code>" if g.answer_id else "")
            )
            proposed = gaps.proposals.get(g.question_id) if g.question_id else None
            button = _teach_button(g, proposed, consultation)
            if button is not None:
                rows.append([button])
        if rows:
            lines.append(
                "<i>"
                + _(
                    "💡 The entry the delegate then chose among my suggestions: tap ✅ Teach and "
                    "I will answer their wording with it from now on."
                )
                + "</i>"
            )
        if any(
            g.question_id in gaps.proposals and gaps.proposals[g.question_id] != g.answer_id
            for g in gaps.unanswered
        ):
            lines.append(
                "<i>"
                + _(
                    "Where the delegate chose none, ✅ Teach proposes the entry nearest in "
                    "meaning: check it before you tap."
                )
                + "</i>"
            )
        example = f"<code>/teach {esc(_teach_example(gaps.unanswered, consultation))}</code>"
        lines.append(
            "<i>"
            + _(
                "To teach me any question above, send /teach with its number and an entry's "
                "id, for example: {example}"
            ).format(example=example)
            + "</i>"
        )
    else:
        lines.append(_("None so far."))
    lines.append("")
    lines.append("<b>" + _("Answers voted 👎") + "</b>")
    if gaps.downvoted:
        lines.extend(
            f"• {quote(g.question)} → <code>{esc(g.answer_id or '')}</code> <i>(×{g.count})</i>"
            for g in gaps.downvoted
        )
    else:
        lines.append(_("None so far."))
    await reply(update, context, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


# --- Organisers teach the bot delegates' wordings ------------------------------------------


def _teach_button(
    gap: GapRecord, proposed: str | None, consultation: Consultation
) -> InlineKeyboardButton | None:
    """✅ Teach a gap the entry proposed for it (the one its delegate chose, else the nearest
    in meaning), when that entry still exists; None otherwise."""
    if gap.question_id is None or not proposed:
        return None
    if find_entry(consultation, proposed) is None:
        return None
    data = f"{PREFIX}k:{gap.question_id}:{proposed}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    # TRANSLATORS: a button; {question} is a delegate's question, {entry} a FAQ entry's id.
    label = _("Teach: {question} → {entry}").format(
        question=isolated(shorten(clean(gap.question, multiline=False), 32)), entry=proposed
    )
    return InlineKeyboardButton(shorten("✅ " + label, 64), callback_data=data)


def _entry_named(taught: Taught, consultation: Consultation) -> str:
    """The entry as organisers know it: its id, and its question or title in their language."""
    label = suggestion_label(taught.entry, current_language(), consultation.default_language)
    return f"<code>{esc(taught.record.answer_ref)}</code> ({esc(label)})"


async def _show_taught(update: Update, context: BotContext, taught: Taught) -> None:
    consultation = context.services.events.get(taught.record.consultation_id)
    entry = (
        _entry_named(taught, consultation)
        if consultation is not None
        else f"<code>{esc(taught.record.answer_ref)}</code>"
    )
    question = quote(taught.record.text)
    if not taught.new:
        await reply(
            update,
            context,
            _("Already taught: «{question}» gets the answer {entry}.").format(
                question=question, entry=entry
            ),
        )
        return
    undo = InlineKeyboardButton("↩️ " + _("Undo"), callback_data=f"{PREFIX}u:{taught.record.id}")
    await reply(
        update,
        context,
        "✅ "
        + _("Taught: from now on «{question}» gets the answer {entry}.").format(
            question=question, entry=entry
        ),
        InlineKeyboardMarkup([[undo]]),
    )


async def _organiser_press(
    update: Update, context: BotContext
) -> tuple[CallbackQuery, str, Profile] | None:
    """The data of a teaching button and who pressed it, when an organiser did; a delegate's
    press is told so and comes to nothing."""
    query = update.callback_query
    profile = context.profile
    if query is None or query.data is None or profile is None:
        return None
    if not profile.is_organiser:
        await query.answer(_("Only organisers can teach me answers."))
        return None
    return query, query.data, profile


async def teach_button(update: Update, context: BotContext) -> None:
    """ask:k:<question>:<entry>: teach a gap's wording the entry its delegate chose."""
    pressed = await _organiser_press(update, context)
    if pressed is None:
        return
    query, data, profile = pressed
    try:
        _prefix, _k, raw_id, ref = data.split(":", 3)
        question, consultation = await _gap_to_teach(context, profile, required_id(raw_id))
        taught = await context.services.helpdesk.teach(profile, consultation, question, ref)
    except (ValueError, HelpdeskError):
        await out_of_date(update)
        return
    await query.answer()
    await _show_taught(update, context, taught)


async def _gap_to_teach(
    context: BotContext, profile: Profile, number: int
) -> tuple[QuestionRecord, Consultation]:
    """The delegate's question /gaps numbers `number`, and its consultation (UnknownQuestion when
    either is gone)."""
    question = await context.services.helpdesk.gap_question(profile, number)
    consultation = context.services.events.get(question.consultation_id)
    if consultation is None:
        raise UnknownQuestion(str(number))
    return question, consultation


def _teach_usage() -> str:
    return _(
        "Usage: <code>/teach 12 cloakroom</code>: the question's number in /gaps, then the "
        "id of the entry that answers it (a FAQ id, or topic: followed by a topic's id)."
    )


async def teach_command(update: Update, context: BotContext) -> None:
    """/teach <question number> <entry id>: a delegate's wording becomes a phrasing of an entry."""
    profile = context.profile
    if profile is None or not await _organiser_here(update, context):
        return
    args = context.args or []
    number = args[0].lstrip("#") if args else ""
    question_id = parse_id(number)
    if len(args) != 2 or question_id is None:
        await reply(update, context, _teach_usage())
        return
    ref = args[1]
    helpdesk = context.services.helpdesk
    try:
        question, consultation = await _gap_to_teach(context, profile, question_id)
    except NotOrganiser:
        await _refuse(update, context)
        return
    except HelpdeskError:
        await reply(
            update,
            context,
            _("There is no question #{number}. Send /gaps to see their numbers.").format(
                number=number
            ),
        )
        return
    try:
        taught = await helpdesk.teach(profile, consultation, question, ref)
    except UnknownEntry:
        await reply(
            update,
            context,
            _(
                "There is no entry {entry} in {consultation}: use a FAQ id, or topic: "
                "followed by a topic's id."
            ).format(
                entry=f"<code>{esc(ref)}</code>",
                consultation=esc(consultation.name.get(current_language())),
            ),
        )
        return
    except HelpdeskError:
        await _refuse(update, context)
        return
    await _show_taught(update, context, taught)


async def untaught_button(update: Update, context: BotContext) -> None:
    """ask:u:<taught>: undo a taught wording; the question is a gap again."""
    pressed = await _organiser_press(update, context)
    if pressed is None:
        return
    query, data, profile = pressed
    try:
        record = await context.services.helpdesk.untaught(
            profile, required_id(data.removeprefix(f"{PREFIX}u:"))
        )
    except (ValueError, HelpdeskError):
        await out_of_date(update)
        return
    await query.answer()
    await show(
        update,
        context,
        "↩️ "
        + _("Undone: «{question}» no longer gets the answer {entry}; it is a gap again.").format(
            question=quote(record.text), entry=f"<code>{esc(record.answer_ref)}</code>"
        ),
    )
