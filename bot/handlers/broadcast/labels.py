"""How a broadcast's parts read on the organiser's screens: counts, audience, scope, times."""

from __future__ import annotations

import html
import re
from typing import Any

from babel.dates import format_time
from babel.numbers import format_decimal

from bot.context import Services
from bot.handlers.formatting import esc, language_name, moment, shorten
from bot.i18n import _, current_language, isolate, ngettext
from bot.services.broadcasts import Audience
from bot.services.event_data import Consultation
from bot.services.people import ORGANISER
from bot.storage.broadcasts import BroadcastRecord

_TAG = re.compile(r"<[^>]*>")


def number(value: int) -> str:
    return isolate(format_decimal(value, locale=current_language()))


def delegate_count(count: int) -> str:
    return ngettext("{count} delegate", "{count} delegates", count).format(count=number(count))


def quoted_excerpt(record: BroadcastRecord) -> str:
    text = record.texts.get(record.fallback or "", "") or next(iter(record.texts.values()), "")
    plain = " ".join(_strip_tags(text).split())
    return "“" + esc(shorten(plain, 50)) + "”" if plain else ""


def _strip_tags(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def scope_name(services: Services, record: BroadcastRecord) -> str:
    consultation = services.events.get(record.consultation_id)
    if consultation is None:
        return _("all consultations")
    return consultation.name.get(current_language())


def audience_label(services: Services, record: BroadcastRecord) -> str:
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
    return _("everyone in {consultation}").format(consultation=esc(scope_name(services, record)))


def zone_consultation(services: Services, record: BroadcastRecord) -> Consultation | None:
    """The consultation whose time zone shows the broadcast's times."""
    events = services.events
    return (
        events.get(record.consultation_id)
        or events.resolve(None, services.config.default_consultation)
        or next(iter(events.consultations.values()), None)
    )


def local_moment(services: Services, record: BroadcastRecord, value: Any) -> str:
    consultation = zone_consultation(services, record)
    if consultation is None or value is None:
        return ""
    return moment(value, consultation)


def end_moment(services: Services, record: BroadcastRecord, started: Any, ended: Any) -> str:
    """The end, as a time only when it is the same day as the start."""
    consultation = zone_consultation(services, record)
    if consultation is None:
        return ""
    zone = consultation.timezone
    if started.astimezone(zone).date() == ended.astimezone(zone).date():
        return isolate(format_time(ended.astimezone(zone), "HH:mm", locale=current_language()))
    return moment(ended, consultation)
