"""The announcement's text in each language, with a photo or a document if wanted."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.context import BotContext
from bot.handlers.broadcast.card import back_button, button_data, draft_card
from bot.handlers.broadcast.labels import number
from bot.handlers.common import out_of_date, reply, show
from bot.handlers.formatting import language_name
from bot.i18n import LANGUAGE_NAMES, SUPPORTED, _, ngettext
from bot.services.broadcasts import CAPTION_LIMIT, NothingToSend, TextTooLong
from bot.storage.broadcasts import BroadcastRecord


def text_prompt(language: str, record: BroadcastRecord) -> tuple[str, InlineKeyboardMarkup]:
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
                LANGUAGE_NAMES[code], callback_data=button_data(record, f"t:{code}")
            )
            for code in SUPPORTED
            if code != language
        ]
        rows = [others]
    else:
        rows = [[back_button(record)]]
    rows.append([InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=button_data(record, "x"))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _media_of(message: Message) -> tuple[str, str] | None:
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document is not None:
        return "document", message.document.file_id
    return None


async def receive_text(
    update: Update, context: BotContext, record: BroadcastRecord, message: Message, language: str
) -> None:
    """The draft's text in `language` (or a photo, or a document, with or without it)."""
    broadcasts = context.services.broadcasts
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
            ngettext(
                "This text is too long: {length} character.",
                "This text is too long: {length} characters.",
                exc.length,
            ).format(length=number(exc.length))
            + " "
            + limit_note.format(limit=number(exc.limit))
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
    text, markup = await draft_card(context.services, record)
    await reply(update, context, text, markup)


async def ask_text(
    update: Update, context: BotContext, record: BroadcastRecord, args: list[str]
) -> None:
    assert update.callback_query is not None
    if len(args) != 1 or args[0] not in SUPPORTED:
        await out_of_date(update)
        return
    await context.services.feedback.stop_expecting(record.created_by or 0)
    await context.services.broadcasts.expect(record, f"text:{args[0]}")
    await update.callback_query.answer()
    text, markup = text_prompt(args[0], record)
    await show(update, context, text, markup)


async def cycle_fallback(
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
    text, markup = await draft_card(context.services, record)
    await show(update, context, text, markup)


async def remove_media(
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
    text, markup = await draft_card(context.services, record)
    await show(update, context, text, markup)
