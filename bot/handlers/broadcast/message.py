"""What recipients see: the announcement in each reader's language, for the outbox."""

from __future__ import annotations

from bot.context import Services
from bot.handlers.formatting import esc
from bot.handlers.outbox import Rendered, renderer
from bot.i18n import _, current_language, use_language
from bot.services.broadcasts import text_language
from bot.services.event_data import Consultation, EventData
from bot.storage.broadcasts import KIND, BroadcastRecord
from bot.storage.outbox import OutboxItem


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
