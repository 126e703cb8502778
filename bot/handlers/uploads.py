"""Sending a file of the data directory: by the file_id Telegram gave it before, else uploaded
(its file_id then kept). One way for rooms' maps, speakers' photos and documents."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from telegram import InputFile, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest

from bot.context import BotContext

logger = logging.getLogger(__name__)

Kind = Literal["photo", "document"]


async def send_file(
    context: BotContext, chat_id: int, path: Path, kind: Kind, caption: str
) -> bool:
    """Send `path` as a photo or a document with an HTML `caption`; False when the file
    cannot be read any more (removed since the data was loaded)."""
    uploads = context.services.uploads
    try:
        key = await uploads.key_of(path)
    except OSError:
        logger.warning("%s cannot be read; not sent", path.name)
        return False
    known = await uploads.file_id(key)
    if known is not None:
        try:
            await _send(context, chat_id, kind, known, caption)
            return True
        except BadRequest:
            # Not a file_id this bot can send (the token changed, say): upload it again.
            logger.info("The kept file_id of %s was refused; uploading it again", key[:12])
            await uploads.refused(key, known)
    try:
        content = await uploads.content(path)
    except OSError:
        logger.warning("%s cannot be read; not sent", path.name)
        return False
    if kind == "document":
        await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    upload = InputFile(content, filename=path.name, attach=kind == "document")
    sent = await _send(context, chat_id, kind, upload, caption)
    if kind == "photo" and sent.photo:
        await uploads.uploaded(key, sent.photo[-1].file_id)
    elif kind == "document" and sent.document is not None:
        await uploads.uploaded(key, sent.document.file_id)
    return True


async def _send(
    context: BotContext, chat_id: int, kind: Kind, file: str | InputFile, caption: str
) -> Message:
    if kind == "photo":
        return await context.bot.send_photo(
            chat_id, file, caption=caption, parse_mode=ParseMode.HTML
        )
    return await context.bot.send_document(
        chat_id, file, caption=caption, parse_mode=ParseMode.HTML
    )
