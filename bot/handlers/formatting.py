"""How sessions, days and times look in a message, in the reader's language."""

from __future__ import annotations

import html
from datetime import date, datetime, tzinfo
from functools import lru_cache

from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    get_timezone_location,
)
from babel.lists import format_list

from bot.i18n import _, current_language, isolate, isolated
from bot.services.event_data import Consultation, Session
from bot.services.rooms import room_label
from bot.services.sanitise import clean

MESSAGE_LIMIT = 4096

KIND_ICONS = {
    "plenary": "🏛",
    "panel": "🎙",
    "workshop": "🛠",
    "side-event": "🤝",
    "break": "☕",
    "other": "📌",
}


BUTTON_TEXT = 40


def shorten(text: str, limit: int = BUTTON_TEXT) -> str:
    """Fit a title on a phone button: cut at `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def quote(text: str) -> str:
    """A delegate's text shown to others: cleaned of controls and bidi overrides, isolated in
    either direction (it may be Arabic inside English or English inside Arabic), escaped."""
    return esc(isolated(clean(text)))


def person(name: str) -> str:
    """A delegate's name shown to others: cleaned, on one line, isolated as names are, escaped."""
    return esc(isolate(clean(name, multiline=False)))


# Babel's formatting, remembered: a programme has a few dozen days and times, and every agenda,
# card and button shows them again. The results depend only on the arguments (an instant, the
# zone it is shown in, the pattern and the language), all hashable.
FORMATS_KEPT = 4096


@lru_cache(maxsize=FORMATS_KEPT)
def _date(day: date, pattern: str, lang: str) -> str:
    return format_date(day, pattern, locale=lang)


@lru_cache(maxsize=FORMATS_KEPT)
def _skeleton(skeleton: str, day: date, lang: str) -> str:
    return format_skeleton(skeleton, day, locale=lang)


@lru_cache(maxsize=FORMATS_KEPT)
def _interval(start: datetime, end: datetime, skeleton: str, zone: tzinfo, lang: str) -> str:
    return format_interval(start, end, skeleton, tzinfo=zone, locale=lang)


@lru_cache(maxsize=FORMATS_KEPT)
def _time(value: datetime, pattern: str, zone: tzinfo, lang: str) -> str:
    return format_time(value, pattern, tzinfo=zone, locale=lang)


@lru_cache(maxsize=64)
def _zone_location(zone: tzinfo, lang: str) -> str:
    return get_timezone_location(zone, locale=lang)


def day_long(day: date) -> str:
    return _date(day, "full", current_language())


def day_short(day: date) -> str:
    return _skeleton("MMMEd", day, current_language())


def clock_time(value: datetime, zone: tzinfo) -> str:
    """09:00: the time of `value` in `zone` (not isolated)."""
    return _time(value, "HH:mm", zone, current_language())


def time_range(session: Session, consultation: Consultation) -> str:
    """09:00 – 10:30 in the consultation's time zone."""
    text = _interval(session.start, session.end, "Hm", consultation.timezone, current_language())
    return isolate(text)


def zone_note(consultation: Consultation) -> str:
    location = _zone_location(consultation.timezone, current_language())
    return _("All times are local: {zone}.").format(zone=location)


def when(session: Session, consultation: Consultation) -> str:
    """Tuesday, December 8, 2026 · 09:00 – 10:30"""
    day = session.start.astimezone(consultation.timezone).date()
    return f"{day_long(day)} · {time_range(session, consultation)}"


def session_line(
    session: Session, consultation: Consultation, *, starred: bool = False, number: int = 0
) -> str:
    """One line of a list: time, title, room."""
    lang = current_language()
    icon = "⭐" if starred else KIND_ICONS.get(session.kind, "📌")
    prefix = f"<b>{number}.</b> " if number else ""
    label = room_label(session, lang)
    room = f" · {esc(isolate(label))}" if label else ""
    return (
        f"{prefix}{icon} <code>{time_range(session, consultation)}</code> "
        f"{esc(session.title.get(lang))}{room}"
    )


def session_card(session: Session, consultation: Consultation, *, starred: bool) -> str:
    """The full card of one session."""
    lang = current_language()
    lines = [f"<b>{esc(session.title.get(lang))}</b>"]
    if starred:
        lines[0] = f"⭐ {lines[0]}"
    lines.append(f"🕘 {esc(when(session, consultation))}")
    label = room_label(session, lang)
    if label:
        lines.append("📍 " + _("Room: {room}").format(room=esc(isolate(label))))
    if session.track:
        lines.append("🧭 " + _("Track: {track}").format(track=esc(session.track.get(lang))))
    if session.speakers:
        lines.append("🎤 " + _("Speakers:"))
        for speaker in session.speakers:
            name = esc(isolate(speaker.name))
            if speaker.affiliation:
                lines.append(f"  • {name} — {esc(speaker.affiliation.get(lang))}")
            else:
                lines.append(f"  • {name}")
    if session.interpretation:
        names = join_list([language_name(code) for code in session.interpretation])
        lines.append("🎧 " + _("Interpretation: {languages}").format(languages=esc(names)))
    if session.description:
        lines.append("")
        lines.append(esc(session.description.get(lang)))
    lines.append("")
    lines.append(f"<i>{esc(zone_note(consultation))}</i>")
    return "\n".join(lines)


def join_list(items: list[str]) -> str:
    """ "a, b and c" with the reader's language's separators."""
    return format_list(items, locale=current_language()) if items else ""


def language_name(code: str) -> str:
    """The name of a language in the reader's language."""
    from babel import Locale

    return Locale.parse(code).get_display_name(current_language()) or code


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks (each line holds balanced tags) so no part passes Telegram's limit."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            # A single huge line: cut at the last space before the limit.
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return parts or [text[:limit]]


def moment(value: datetime, consultation: Consultation) -> str:
    """A date and time in the consultation's zone."""
    local = value.astimezone(consultation.timezone)
    clock = clock_time(value, consultation.timezone)
    return f"{day_long(local.date())} · {isolate(clock)}"
