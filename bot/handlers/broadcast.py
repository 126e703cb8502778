"""Organisers' announcements: /broadcast composes one step by step, /broadcasts follows them.

Composing: the text in one or more languages (a photo or a document may come with it), the
audience, a preview exactly as recipients will see it with their count, then send now, schedule
or cancel. The draft lives in SQLite, so a restart loses nothing. Sending goes through the
outbox; a repeating job starts scheduled broadcasts, keeps the organiser's progress message up to
date and ends it with the report.
"""

from __future__ import annotations

import html
import logging
import re
import time
from datetime import timedelta
from typing import Any

from babel.dates import format_time
from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.context import BotContext, Services
from bot.handlers.common import ExpectedInput, out_of_date, parse_id, reply, show
from bot.handlers.formatting import (
    day_short,
    esc,
    join_list,
    language_name,
    moment,
    person,
    shorten,
)
from bot.handlers.outbox import Rendered, renderer, send_rendered
from bot.i18n import (
    LANGUAGE_NAMES,
    SUPPORTED,
    _,
    current_language,
    isolate,
    ngettext,
    use_language,
)
from bot.services.broadcasts import (
    CAPTION_LIMIT,
    Audience,
    AudienceNotValid,
    BroadcastNotFound,
    NotADraft,
    NothingToSend,
    Report,
    TextTooLong,
    TimeInPast,
    TimeNotUnderstood,
    parse_local_time,
    text_language,
)
from bot.services.event_data import Consultation, EventData
from bot.services.people import MODERATOR, ORGANISER
from bot.storage.broadcasts import CANCELLED, DONE, KIND, SCHEDULED, SENDING, BroadcastRecord
from bot.storage.outbox import OutboxItem

logger = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
PREFIX = "bc:"
SESSIONS_PER_PAGE = 8
LISTED = 10
PROGRESS_SECONDS = 2.0
EDIT_EVERY = 3.0  # seconds between two edits of one progress message
CATCH_UP = timedelta(hours=1)  # after a restart, reports of broadcasts ended this recently
_TAG = re.compile(r"<[^>]*>")


# --- what recipients see ----------------------------------------------------------------------


def announcement(
    consultation: Consultation | None,
    texts: dict[str, str],
    fallback: str | None,
    reader: str | None,
) -> str:
    """The HTML a reader of `reader`'s language gets: their text, else the fallback.

    The whole message, header included, is in the language of the text they get.
    """
    language = text_language(texts, fallback, reader)
    with use_language(language):
        header = "📢 <b>" + _("Announcement from the organisers") + "</b>"
    if consultation is not None:
        header += " — " + esc(consultation.name.get(language))
    body = texts.get(language, "")
    return header + ("\n\n" + body if body else "")


def message_for(events: EventData, record: BroadcastRecord, reader: str | None) -> Rendered:
    """The broadcast as a reader of `reader`'s language receives it."""
    consultation = events.get(record.consultation_id)
    text = announcement(consultation, record.texts, record.fallback, reader)
    photo = record.media_file_id if record.media_kind == "photo" else None
    document = record.media_file_id if record.media_kind == "document" else None
    return Rendered(text, photo=photo, document=document)


@renderer(KIND)
async def render_broadcast(services: Services, item: OutboxItem) -> Rendered | None:
    record = await services.broadcasts.for_delivery(int(item.payload["broadcast"]))
    if record is None:
        return None  # stopped meanwhile
    return message_for(services.events, record, current_language())


# --- labels -----------------------------------------------------------------------------------


def _number(value: int) -> str:
    return isolate(format_decimal(value, locale=current_language()))


def _people(count: int) -> str:
    return ngettext("{count} delegate", "{count} delegates", count).format(count=_number(count))


def _excerpt(record: BroadcastRecord) -> str:
    text = record.texts.get(record.fallback or "", "") or next(iter(record.texts.values()), "")
    plain = " ".join(_strip_tags(text).split())
    return "“" + esc(shorten(plain, 50)) + "”" if plain else ""


def _strip_tags(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def _scope(services: Services, record: BroadcastRecord) -> str:
    consultation = services.events.get(record.consultation_id)
    if consultation is None:
        return _("all consultations")
    return consultation.name.get(current_language())


def _audience_label(services: Services, record: BroadcastRecord) -> str:
    audience = Audience.from_json(record.audience)
    consultation = services.events.get(record.consultation_id)
    lang = current_language()
    if audience.kind == "all":
        return _("everyone, in all consultations")
    if audience.kind == "language" and audience.language:
        return _("those who read {language}").format(language=language_name(audience.language))
    if audience.kind == "session" and consultation is not None:
        session = consultation.session(audience.session_id or "")
        title = session.title.get(lang) if session else audience.session_id or ""
        return _("those who starred “{title}”").format(title=esc(shorten(title, 60)))
    if audience.kind == "role":
        return _("organisers") if audience.role == ORGANISER else _("moderators")
    return _("everyone in {consultation}").format(consultation=esc(_scope(services, record)))


def _zone_consultation(services: Services, record: BroadcastRecord) -> Consultation | None:
    """The consultation whose time zone shows the broadcast's times."""
    events = services.events
    return (
        events.get(record.consultation_id)
        or events.resolve(None, services.config.default_consultation)
        or next(iter(events.consultations.values()), None)
    )


def _when(services: Services, record: BroadcastRecord, value: Any) -> str:
    consultation = _zone_consultation(services, record)
    if consultation is None or value is None:
        return ""
    return moment(value, consultation)


def _ended(services: Services, record: BroadcastRecord, started: Any, ended: Any) -> str:
    """The end, as a time only when it is the same day as the start."""
    consultation = _zone_consultation(services, record)
    if consultation is None:
        return ""
    zone = consultation.timezone
    if started.astimezone(zone).date() == ended.astimezone(zone).date():
        return isolate(format_time(ended.astimezone(zone), "HH:mm", locale=current_language()))
    return moment(ended, consultation)


# --- who may ----------------------------------------------------------------------------------


async def _organiser(update: Update, context: BotContext) -> bool:
    """Organisers only; anyone else is told so and sees nothing of it."""
    if context.profile is not None and context.profile.is_organiser:
        return True
    refusal = _("Sorry, only the consultation's organisers can send announcements.")
    if update.callback_query is not None:
        await update.callback_query.answer(refusal, show_alert=True)
    else:
        await reply(update, context, refusal)
    return False


# --- composing --------------------------------------------------------------------------------


def _text_prompt(language: str, record: BroadcastRecord) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        "📢 "
        + _("Send the announcement's text in {language}.").format(
            language="<b>" + language_name(language) + "</b>"
        ),
        _(
            "Bold, italics and links are kept. You may send a photo or a document with the text "
            "as its caption."
        ),
    ]
    if not record.texts:
        lines.append(_("Writing in another language? Choose it:"))
        others = [
            InlineKeyboardButton(
                LANGUAGE_NAMES[code], callback_data=f"{PREFIX}{record.id}:t:{code}"
            )
            for code in SUPPORTED
            if code != language
        ]
        rows = [others]
    else:
        rows = [[_back_button(record)]]
    rows.append([InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=_data(record, "x"))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _data(record: BroadcastRecord, action: str) -> str:
    return f"{PREFIX}{record.id}:{action}"


def _back_button(record: BroadcastRecord) -> InlineKeyboardButton:
    return InlineKeyboardButton("⬅️ " + _("Back to the draft"), callback_data=_data(record, "c"))


async def start_broadcast(update: Update, context: BotContext) -> None:
    """/broadcast: a new announcement, starting with its text; first, ask about one in progress."""
    if not await _organiser(update, context) or context.profile is None:
        return
    try:
        draft = await context.services.broadcasts.draft(context.profile.user_id)
    except BroadcastNotFound:
        draft = None
    # A new draft replaces the old one: one with something written is not dropped unasked.
    if draft is not None and (draft.texts or draft.media_kind):
        await _ask_about_draft(update, context, draft)
        return
    text, markup = await _new_draft(context)
    await reply(update, context, text, markup)


async def _new_draft(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    """A fresh draft (the organiser's other one is discarded), and the prompt for its text."""
    assert context.profile is not None
    services = context.services
    consultation = context.consultation
    language = current_language()
    record = await services.broadcasts.new_draft(
        context.profile.user_id, consultation.id if consultation else None, language
    )
    scope = esc(_scope(services, record))
    intro = "📢 <b>" + _("New announcement") + "</b> — " + scope
    text, markup = _text_prompt(language, record)
    return intro + "\n\n" + text, markup


async def _ask_about_draft(update: Update, context: BotContext, draft: BroadcastRecord) -> None:
    excerpt = _excerpt(draft)
    lines = [
        "📝 <b>"
        + _("You have a draft in progress")
        + "</b> — "
        + esc(_scope(context.services, draft))
    ]
    if excerpt:
        lines.append(excerpt)
    lines += ["", _("Continue it, or discard it and start again?")]
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("✏️ " + _("Continue it"), callback_data=_data(draft, "c"))],
            [
                InlineKeyboardButton(
                    "🗑 " + _("Discard it and start again"), callback_data=_data(draft, "n")
                )
            ],
        ]
    )
    await reply(update, context, "\n".join(lines), markup)


async def _start_again(
    update: Update, context: BotContext, _record: BroadcastRecord, _args: list[str]
) -> None:
    """The draft in progress is dropped for a new one (creating it discards the old)."""
    assert update.callback_query is not None
    await update.callback_query.answer(_("Draft discarded."))
    text, markup = await _new_draft(context)
    await show(update, context, text, markup)


async def _draft_card(services: Services, record: BroadcastRecord) -> tuple[str, Any]:
    lines = ["📢 <b>" + _("Announcement draft") + "</b> — " + esc(_scope(services, record)), ""]
    if record.texts:
        names = [
            language_name(code) + (" ⭐" if code == record.fallback else "")
            for code in SUPPORTED
            if code in record.texts
        ]
        lines.append("📝 " + _("Written in: {languages}").format(languages=join_list(names)))
        if len(record.texts) < len(SUPPORTED) and record.fallback:
            lines.append(
                "   "
                + _("Delegates who read another language get the {language} text (⭐).").format(
                    language=language_name(record.fallback)
                )
            )
    if record.media_kind == "photo":
        lines.append("🖼 " + _("With a photo"))
    elif record.media_kind == "document":
        lines.append("📎 " + _("With a document"))
    count = await services.broadcasts.count(
        Audience.from_json(record.audience), record.consultation_id
    )
    lines.append(
        "👥 "
        + _("Audience: {audience} — {people}").format(
            audience=_audience_label(services, record), people=_people(count)
        )
    )
    lines += ["", _("Add a language, choose the audience, then preview it before sending.")]
    language_buttons = [
        InlineKeyboardButton(
            ("✏️ " if code in record.texts else "➕ ") + LANGUAGE_NAMES[code],
            callback_data=_data(record, f"t:{code}"),
        )
        for code in SUPPORTED
    ]
    rows = [language_buttons[:2], language_buttons[2:]]
    options = [InlineKeyboardButton("👥 " + _("Audience"), callback_data=_data(record, "a"))]
    if len(record.texts) > 1:
        options.append(
            InlineKeyboardButton(
                "⭐ " + _("Other languages get…"), callback_data=_data(record, "f")
            )
        )
    rows.append(options)
    if record.media_kind:
        rows.append(
            [
                InlineKeyboardButton(
                    "🗑 " + _("Remove the attachment"), callback_data=_data(record, "m")
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton("👁 " + _("Preview"), callback_data=_data(record, "p")),
            InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=_data(record, "x")),
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _media_of(message: Message) -> tuple[str, str] | None:
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document is not None:
        return "document", message.document.file_id
    return None


async def receive_input(update: Update, context: BotContext) -> None:
    """The organiser's text (or photo, or document) for the draft, or the time to send it."""
    message = update.effective_message
    profile = context.profile
    if message is None or profile is None or not profile.is_organiser:
        return
    broadcasts = context.services.broadcasts
    awaited = broadcasts.expected(profile.user_id)
    if awaited is None:
        return
    try:
        record = await broadcasts.draft(profile.user_id, awaited.broadcast_id)
    except (BroadcastNotFound, NotADraft):
        await broadcasts.stop_expecting(profile.user_id)
        await reply(update, context, _("That announcement is no longer a draft."))
        return
    if awaited.what == "time":
        await _receive_time(update, context, record, message)
        return
    language = awaited.language or current_language()
    media = _media_of(message)
    if message.text is not None:
        html, visible = message.text_html, message.text
    elif message.caption is not None:
        html, visible = message.caption_html, message.caption
    elif media is not None:
        html, visible = "", ""
    else:
        await reply(update, context, _("Please send text, a photo or a document."))
        return
    try:
        record = await broadcasts.set_text(record, language, html, visible, media)
    except TextTooLong as exc:
        limit_note = (
            _("With a photo or a document, Telegram allows {limit} characters.")
            if exc.limit == CAPTION_LIMIT
            else _("Telegram allows {limit} characters in one message.")
        )
        await reply(
            update,
            context,
            _("This text is too long: {length} characters.").format(length=_number(exc.length))
            + " "
            + limit_note.format(limit=_number(exc.limit))
            + " "
            + _("Please send a shorter one."),
        )
        return
    except NothingToSend:
        await reply(update, context, _("Please send text, a photo or a document."))
        return
    if media is not None and not record.texts:
        await broadcasts.expect(record, f"text:{language}")
        await reply(
            update,
            context,
            _("Attachment kept. Now send the text in {language}.").format(
                language=language_name(language)
            ),
        )
        return
    text, markup = await _draft_card(context.services, record)
    await reply(update, context, text, markup)


async def _receive_time(
    update: Update, context: BotContext, record: BroadcastRecord, message: Message
) -> None:
    services = context.services
    consultation = _zone_consultation(services, record)
    if consultation is None:
        return
    zone = consultation.timezone
    try:
        at = parse_local_time(message.text or "", zone, services.clock.now())
        await services.broadcasts.schedule(record, at)
    except TimeNotUnderstood:
        await reply(
            update,
            context,
            _("I could not read that time. Send it like 18:00, or 2026-12-09 08:30."),
        )
        return
    except TimeInPast:
        await reply(update, context, _("That time has passed. Please send a later one."))
        return
    except (NothingToSend, AudienceNotValid):
        text, markup = await _draft_card(services, record)
        await reply(update, context, _("The draft is not complete yet.") + "\n\n" + text, markup)
        return
    count = await services.broadcasts.count(
        Audience.from_json(record.audience), record.consultation_id
    )
    text = "🕘 " + _("Scheduled for {when} ({zone} time), to {people} as of now.").format(
        when=esc(moment(at, consultation)), zone=esc(isolate(str(zone))), people=_people(count)
    )
    text += "\n" + _("You will get its progress and report here. /broadcasts lists it.")
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("✖️ " + _("Cancel it"), callback_data=_data(record, "k"))]]
    )
    await reply(update, context, text, markup)


async def _pressed_draft(
    update: Update, context: BotContext, broadcast_id: int
) -> BroadcastRecord | None:
    """The organiser's draft a button is about, or None after saying why not."""
    assert context.profile is not None
    try:
        return await context.services.broadcasts.draft(context.profile.user_id, broadcast_id)
    except BroadcastNotFound:
        await out_of_date(update)
    except NotADraft:
        assert update.callback_query is not None
        await update.callback_query.answer(_("This announcement was already sent or scheduled."))
    return None


async def broadcast_button(update: Update, context: BotContext) -> None:
    """bc:<id>:<action>[:<argument>…] — every button of the broadcast screens."""
    query = update.callback_query
    if query is None or query.data is None or not await _organiser(update, context):
        return
    parts = query.data.split(":")
    broadcast_id = parse_id(parts[1]) if len(parts) >= 3 else None
    if broadcast_id is None:
        await out_of_date(update)
        return
    action, args = parts[2], parts[3:]
    handler = _DRAFT_ACTIONS.get(action)
    if handler is not None:
        record = await _pressed_draft(update, context, broadcast_id)
        if record is not None:
            await handler(update, context, record, args)
        return
    handler = _SENT_ACTIONS.get(action)
    if handler is None:
        await out_of_date(update)
        return
    found = await context.services.broadcasts.get(broadcast_id)
    if found is None or found.state == "draft":
        await out_of_date(update)
        return
    await handler(update, context, found, args)


async def _show_card(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    await context.services.broadcasts.stop_expecting(record.created_by or 0)
    await update.callback_query.answer()
    text, markup = await _draft_card(context.services, record)
    await show(update, context, text, markup)


async def _ask_text(
    update: Update, context: BotContext, record: BroadcastRecord, args: list[str]
) -> None:
    assert update.callback_query is not None
    if len(args) != 1 or args[0] not in SUPPORTED:
        await out_of_date(update)
        return
    await context.services.feedback.stop_expecting(record.created_by or 0)
    await context.services.broadcasts.expect(record, f"text:{args[0]}")
    await update.callback_query.answer()
    text, markup = _text_prompt(args[0], record)
    await show(update, context, text, markup)


async def _cycle_fallback(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    written = [code for code in SUPPORTED if code in record.texts]
    if len(written) < 2:
        await out_of_date(update)
        return
    current = written.index(record.fallback) if record.fallback in written else -1
    following = written[(current + 1) % len(written)]
    record = await context.services.broadcasts.set_fallback(record, following)
    await update.callback_query.answer(
        _("Other languages get the {language} text.").format(language=language_name(following))
    )
    text, markup = await _draft_card(context.services, record)
    await show(update, context, text, markup)


async def _remove_media(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    try:
        record = await context.services.broadcasts.remove_media(record)
    except NothingToSend:
        await update.callback_query.answer(
            _("Write a text first: the announcement would be empty.")
        )
        return
    await update.callback_query.answer(_("Attachment removed."))
    text, markup = await _draft_card(context.services, record)
    await show(update, context, text, markup)


async def _discard(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    assert context.profile is not None
    await context.services.broadcasts.discard(context.profile.user_id, record.id)
    await update.callback_query.answer()
    await show(update, context, "✖️ " + _("Announcement cancelled. Nothing was sent."))


# --- the audience -----------------------------------------------------------------------------


async def _audience_menu(
    update: Update, context: BotContext, record: BroadcastRecord, args: list[str]
) -> None:
    """bc:<id>:a — choose; bc:<id>:a:<kind>[:<value>] — chosen."""
    assert update.callback_query is not None
    services = context.services
    consultation = context.consultation or services.events.get(record.consultation_id)
    if args:
        await _choose_audience(update, context, record, consultation, args)
        return
    broadcasts = services.broadcasts
    cid = consultation.id if consultation else None
    rows = [
        [
            InlineKeyboardButton(
                "🌍 "
                + _("Everyone, all consultations")
                + f" ({_number(await broadcasts.count(Audience('all'), None))})",
                callback_data=_data(record, "a:all"),
            )
        ]
    ]
    if consultation is not None:
        name = shorten(consultation.name.get(current_language()), 40)
        # One count: the consultation's delegates by language give the language audiences too.
        languages = await broadcasts.by_language(Audience("consultation"), cid)
        count = sum(languages.values())
        rows.append(
            [
                InlineKeyboardButton(
                    "🏛 "
                    + _("Everyone in {consultation}").format(consultation=name)
                    + f" ({_number(count)})",
                    callback_data=_data(record, "a:c"),
                )
            ]
        )
        language_buttons = []
        for code in SUPPORTED:
            language_buttons.append(
                InlineKeyboardButton(
                    f"🗣 {LANGUAGE_NAMES[code]} ({_number(languages.get(code, 0))})",
                    callback_data=_data(record, f"a:l:{code}"),
                )
            )
        rows += [language_buttons[:2], language_buttons[2:]]
        rows.append(
            [
                InlineKeyboardButton(
                    "⭐ " + _("Those who starred a session…"), callback_data=_data(record, "a:s:0")
                )
            ]
        )
    role_buttons = []
    for role, label in ((ORGANISER, _("Organisers")), (MODERATOR, _("Moderators"))):
        count = await broadcasts.count(Audience("role", role=role), None)
        role_buttons.append(
            InlineKeyboardButton(
                f"🛡 {label} ({_number(count)})", callback_data=_data(record, f"a:r:{role}")
            )
        )
    rows.append(role_buttons)
    title = "👥 <b>" + _("Who should get it?") + "</b>"
    hint = _("Counts are of the delegates who use the bot now.")
    await _menu(update, context, record, f"{title}\n{hint}", rows)


async def _choose_audience(
    update: Update,
    context: BotContext,
    record: BroadcastRecord,
    consultation: Consultation | None,
    args: list[str],
) -> None:
    assert update.callback_query is not None
    kind, value = args[0], ":".join(args[1:])
    cid = consultation.id if consultation else None
    if kind == "s":
        await _session_menu(update, context, record, consultation, value)
        return
    audience = {
        "all": Audience("all"),
        "c": Audience("consultation"),
        "l": Audience("language", language=value),
        "S": Audience("session", session_id=value),
        "i": Audience("session", session_id=_session_at(consultation, value)),
        "r": Audience("role", role=value),
    }.get(kind)
    if audience is None:
        await out_of_date(update)
        return
    try:
        record = await context.services.broadcasts.set_audience(record, audience, cid)
    except AudienceNotValid:
        await out_of_date(update)
        return
    await update.callback_query.answer()
    text, markup = await _draft_card(context.services, record)
    await show(update, context, text, markup)


def _session_at(consultation: Consultation | None, value: str) -> str | None:
    index = parse_id(value)
    if consultation is None or index is None:
        return None
    ordered = sorted(consultation.sessions, key=lambda s: (s.start, s.id))
    return ordered[index].id if index < len(ordered) else None


async def _session_menu(
    update: Update,
    context: BotContext,
    record: BroadcastRecord,
    consultation: Consultation | None,
    page_text: str,
) -> None:
    assert update.callback_query is not None
    wanted = parse_id(page_text)
    if consultation is None or wanted is None:
        await out_of_date(update)
        return
    ordered = sorted(consultation.sessions, key=lambda s: (s.start, s.id))
    pages = max(1, -(-len(ordered) // SESSIONS_PER_PAGE))
    page = min(wanted, pages - 1)
    lang = current_language()
    rows = []
    first = page * SESSIONS_PER_PAGE
    for index, session in enumerate(ordered[first : first + SESSIONS_PER_PAGE], start=first):
        local = session.start.astimezone(consultation.timezone)
        label = f"{day_short(local.date())} {local:%H:%M} · {session.title.get(lang)}"
        data = _data(record, f"a:S:{session.id}")
        if len(data.encode()) > 64:
            data = _data(record, f"a:i:{index}")
        rows.append([InlineKeyboardButton(shorten(label, 60), callback_data=data)])
    paging = []
    if page > 0:
        paging.append(InlineKeyboardButton("◀️", callback_data=_data(record, f"a:s:{page - 1}")))
    if page < pages - 1:
        paging.append(InlineKeyboardButton("▶️", callback_data=_data(record, f"a:s:{page + 1}")))
    if paging:
        rows.append(paging)
    title = "⭐ <b>" + _("Which session's audience?") + "</b>"
    hint = _("The announcement goes to the delegates who starred it.")
    await _menu(update, context, record, f"{title}\n{hint}", rows)


async def _menu(
    update: Update,
    context: BotContext,
    record: BroadcastRecord,
    text: str,
    rows: list[list[InlineKeyboardButton]],
) -> None:
    """One of the audience screens, in place of the pressed one, with a way back to the draft."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await show(update, context, text, InlineKeyboardMarkup([*rows, [_back_button(record)]]))


# --- preview, send, schedule ------------------------------------------------------------------


async def _preview(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    assert update.effective_chat is not None
    services = context.services
    if not record.texts and record.media_kind is None:
        await update.callback_query.answer(_("Write the text first."), show_alert=True)
        return
    await update.callback_query.answer()
    chat_id = update.effective_chat.id
    readers = await services.broadcasts.readers(record)
    shown = [code for code in SUPPORTED if code in record.texts] or [current_language()]
    for code in shown:
        rendered = message_for(services.events, record, code)
        await send_rendered(context.bot, chat_id, rendered)
    total = sum(readers.values())
    lines = ["👆 " + _("This is what they will receive.")]
    if total == 0:
        lines.append(_("Nobody is in this audience yet: choose another one."))
    else:
        lines.append(
            _("To {people} ({audience}):").format(
                people=_people(total), audience=_audience_label(services, record)
            )
        )
        for code in SUPPORTED:
            if readers.get(code):
                lines.append(
                    "• "
                    + _("{count} in {language}").format(
                        count=_number(readers[code]), language=language_name(code)
                    )
                )
    rows = []
    if total:
        rows.append(
            [
                InlineKeyboardButton(
                    "🚀 " + _("Send now to {people}").format(people=_people(total)),
                    callback_data=_data(record, "go"),
                )
            ]
        )
        rows.append(
            [InlineKeyboardButton("🕘 " + _("Schedule"), callback_data=_data(record, "w"))]
        )
    rows.append(
        [
            InlineKeyboardButton("✏️ " + _("Edit"), callback_data=_data(record, "c")),
            InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=_data(record, "x")),
        ]
    )
    await reply(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def _send_now(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    query = update.callback_query
    assert query is not None
    message = query.message
    progress = (message.chat.id, message.message_id) if isinstance(message, Message) else None
    try:
        count = await context.services.broadcasts.send_now(record, progress)
    except (NothingToSend, AudienceNotValid):
        await query.answer(_("The draft is not complete yet."), show_alert=True)
        return
    await query.answer(_("Sending."))
    fresh = await context.services.broadcasts.get(record.id)
    if fresh is not None:
        report = await context.services.broadcasts.report(fresh)
        await show(update, context, report_text(context.services, report), _report_markup(fresh))
    logger.info("Broadcast %d started to %d recipients", record.id, count)


async def _ask_time(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    consultation = _zone_consultation(context.services, record)
    await context.services.broadcasts.expect(record, "time")
    await update.callback_query.answer()
    zone = isolate(str(consultation.timezone)) if consultation else "UTC"
    text = "🕘 " + _(
        "When should it go? Send the time in {zone} time: 18:00 (the next 18:00), "
        "or a date and time like 2026-12-09 08:30."
    ).format(zone=esc(zone))
    await show(update, context, text, InlineKeyboardMarkup([[_back_button(record)]]))


_DRAFT_ACTIONS = {
    "c": _show_card,
    "t": _ask_text,
    "f": _cycle_fallback,
    "m": _remove_media,
    "x": _discard,
    "n": _start_again,
    "a": _audience_menu,
    "p": _preview,
    "go": _send_now,
    "w": _ask_time,
}


# --- reports, /broadcasts, cancelling ---------------------------------------------------------


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
    excerpt = _excerpt(record)
    title = {
        SCHEDULED: "🕘 <b>" + _("Scheduled announcement") + "</b>",
        SENDING: "📤 <b>" + _("Sending the announcement") + "</b>",
        DONE: "✅ <b>" + _("Announcement sent") + "</b>",
        CANCELLED: "✖️ <b>" + _("Announcement stopped") + "</b>",
    }.get(record.state, "📢")
    lines = [f"{title} #{record.id}" + (f" — {excerpt}" if excerpt else "")]
    lines.append("👥 " + _audience_label(services, record) + " · " + esc(_scope(services, record)))
    if record.state == SCHEDULED:
        lines.append(
            _("Goes out {when}.").format(when=esc(_when(services, record, record.scheduled_at)))
        )
        return "\n".join(lines)
    total = record.recipients or report.total
    lines.append(
        _("Sent to {sent} of {people}.").format(sent=_number(report.sent), people=_people(total))
    )
    if report.failed:
        reasons = " · ".join(
            f"{_reason_label(state, reason)}: {_number(count)}"
            for state, reason, count in report.failures
        )
        lines.append("❌ " + _("Not delivered: {count}").format(count=_number(report.failed)))
        lines.append("   " + reasons)
    if report.unknown_count:
        names = ", ".join(
            f"{person(name or '?')} ({isolate(str(user_id))})" for user_id, name in report.unknown
        )
        more = report.unknown_count - len(report.unknown)
        if more > 0:
            names += " " + _("and {count} more").format(count=_number(more))
        lines.append(
            "❓ "
            + _(
                "Unknown: {count} — the connection broke while sending; they may or may not "
                "have it, and it is not resent on its own: {names}"
            ).format(count=_number(report.unknown_count), names=names)
        )
    if record.state == SENDING and report.open:
        lines.append("⏳ " + _("Still to send: {count}").format(count=_number(report.open)))
    if record.state == CANCELLED and report.cancelled:
        lines.append(
            _("Not sent, as it was stopped: {count}").format(count=_number(report.cancelled))
        )
    if record.started_at is not None:
        span = _("Started {when}").format(when=esc(_when(services, record, record.started_at)))
        if record.finished_at is not None:
            span += " · " + _("ended {when}").format(
                when=esc(_ended(services, record, record.started_at, record.finished_at))
            )
        lines.append("🕘 " + span)
    return "\n".join(lines)


def _report_markup(record: BroadcastRecord) -> InlineKeyboardMarkup | None:
    if record.state in (SCHEDULED, SENDING):
        label = _("Cancel it") if record.state == SCHEDULED else _("Stop sending")
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton("✖️ " + label, callback_data=_data(record, "k"))]]
        )
    return None


async def list_broadcasts(update: Update, context: BotContext) -> None:
    """/broadcasts: scheduled and running ones first, then the latest, with their state."""
    if not await _organiser(update, context):
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
                        callback_data=_data(record, "k"),
                    )
                ]
            )
    await reply(
        update, context, "\n".join(lines).strip(), InlineKeyboardMarkup(rows) if rows else None
    )


async def _ask_cancel(
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
                InlineKeyboardButton("✖️ " + _("Yes, stop it"), callback_data=_data(record, "K")),
                InlineKeyboardButton(_("No, let it go"), callback_data=_data(record, "v")),
            ]
        ]
    )
    await reply(update, context, question, markup)


async def _cancel(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    services = context.services
    if not await services.broadcasts.cancel(record.id):
        await update.callback_query.answer(_("It has already ended."))
    else:
        await update.callback_query.answer(_("Stopped."))
    await _render_report(update, context, record)


async def _show_report(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _render_report(update, context, record)


async def _render_report(update: Update, context: BotContext, record: BroadcastRecord) -> None:
    services = context.services
    fresh = await services.broadcasts.get(record.id) or record
    report = await services.broadcasts.report(fresh)
    await show(update, context, report_text(services, report), _report_markup(fresh))


_SENT_ACTIONS = {"k": _ask_cancel, "K": _cancel, "v": _show_report}


# --- the repeating job: start scheduled ones, report progress ---------------------------------


class ProgressBoard:
    """Keeps each organiser's progress message up to date, editing it at most every few seconds."""

    def __init__(self) -> None:
        self.shown: dict[int, str] = {}
        self.edited_at: dict[int, float] = {}
        self._caught_up = False

    async def tick(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        services: Services = application.bot_data["services"]
        broadcasts = services.broadcasts
        loop_time = time.monotonic()
        if not self._caught_up:
            # After a restart: a broadcast that ended just before the stop may not have had its
            # report shown yet (its message would still say "Sending"). Show it once.
            self._caught_up = True
            since = services.clock.now() - CATCH_UP
            for record in await broadcasts.recent(None, LISTED):
                if record.state in (DONE, CANCELLED) and (record.finished_at or since) > since:
                    await self._update(application, services, record)
        for record in await broadcasts.start_due():
            await self._announce_start(application, services, record)
        for record in await broadcasts.sending():
            if loop_time - self.edited_at.get(record.id, 0.0) >= EDIT_EVERY:
                await self._update(application, services, record)
        for record in await broadcasts.settle():
            await self._update(application, services, record)
            self.shown.pop(record.id, None)
            self.edited_at.pop(record.id, None)
            logger.info("Broadcast %d finished", record.id)

    async def _announce_start(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        record: BroadcastRecord,
    ) -> None:
        """A scheduled broadcast started: its card becomes the progress message (or a new one)."""
        if record.created_by is None:
            return
        if record.progress_chat_id and record.progress_message_id:
            await self._update(application, services, record)
            return
        with use_language(await self._language(services, record.created_by)):
            text = await self._text(services, record)
            markup = _report_markup(record)
        try:
            sent = await application.bot.send_message(
                record.created_by, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except TelegramError as exc:
            logger.warning("Could not show broadcast %d's progress: %s", record.id, exc)
            return
        await services.broadcasts.store.set_progress_message(
            record.id, sent.chat.id, sent.message_id, services.clock.now()
        )
        self.shown[record.id] = text
        self.edited_at[record.id] = time.monotonic()

    async def _language(self, services: Services, user_id: int) -> str:
        user = await services.people.get(user_id)
        return (user.reading_language if user else None) or "en"

    async def _text(self, services: Services, record: BroadcastRecord) -> str:
        report = await services.broadcasts.report(record)
        return report_text(services, report)

    async def _update(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        record: BroadcastRecord,
    ) -> None:
        self.edited_at[record.id] = time.monotonic()
        if not (record.progress_chat_id and record.progress_message_id):
            return
        language = await self._language(services, record.created_by or record.progress_chat_id)
        with use_language(language):
            text = await self._text(services, record)
            markup = _report_markup(record)
        if self.shown.get(record.id) == text:
            return
        try:
            await application.bot.edit_message_text(
                text,
                chat_id=record.progress_chat_id,
                message_id=record.progress_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            self.shown[record.id] = text
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                self.shown[record.id] = text
            else:
                logger.warning("Could not update broadcast %d's progress: %s", record.id, exc)
        except TelegramError as exc:
            logger.warning("Could not update broadcast %d's progress: %s", record.id, exc)


async def _progress_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    board: ProgressBoard = context.application.bot_data.setdefault(
        "broadcast_board", ProgressBoard()
    )
    await board.tick(context.application)


async def start_broadcasts(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After the services exist: reload awaited drafts, then start the progress job."""
    services: Services = application.bot_data["services"]
    await services.broadcasts.load()
    application.bot_data["broadcast_board"] = ProgressBoard()
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _progress_job,
            interval=PROGRESS_SECONDS,
            first=PROGRESS_SECONDS,
            name="broadcasts:progress",
            job_kwargs={"max_instances": 1, "coalesce": True},
        )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("broadcast", start_broadcast, filters=PRIVATE))
    application.add_handler(CommandHandler("broadcasts", list_broadcasts, filters=PRIVATE))
    content = filters.TEXT | filters.PHOTO | filters.Document.ALL
    # Messages from an organiser whose draft waits for a text, a file or a time.
    awaiting = ExpectedInput(
        application, "broadcast_awaiting", lambda s, user: s.broadcasts.expected(user)
    )
    application.add_handler(
        MessageHandler(PRIVATE & ~filters.COMMAND & content & awaiting, receive_input)
    )
    application.add_handler(CallbackQueryHandler(broadcast_button, pattern=rf"^{PREFIX}\d+:"))
