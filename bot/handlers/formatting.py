"""How sessions, days and times look in a message, in the reader's language."""

from __future__ import annotations

import html
from datetime import date, datetime, tzinfo
from functools import lru_cache

from babel import Locale
from babel.core import get_global
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    get_timezone_location,
)
from babel.lists import format_list

from bot.i18n import N_, _, current_language, isolate, isolated
from bot.services.event_data import Consultation, Session
from bot.services.programme_filters import (
    KIND,
    LANGUAGE,
    ROOM,
    TRACK,
    Facets,
    Filters,
    track_label,
)
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


# A kind of session as a filter names it: the sessions of that kind.
KIND_NAMES = {
    "plenary": N_("Plenaries"),
    "panel": N_("Panels"),
    "workshop": N_("Workshops"),
    "side-event": N_("Side events"),
    "break": N_("Breaks"),
    "other": N_("Other sessions"),
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
def zone_place(zone: tzinfo, lang: str) -> str:
    """Where the zone's clocks are, in `lang`: its country when the country has that one zone
    ("Suisse"), else its city ("New York").

    Babel's location names wrap the place in CLDR's own pattern ("heure : Suisse"), which reads
    oddly inside a sentence; the sentence around the place is the catalogs' to word.
    """
    key = str(getattr(zone, "key", zone))
    key = get_global("zone_aliases").get(key, key)
    territory = get_global("zone_territories").get(key)
    names = Locale.parse(lang).territories
    if territory in names and len(get_global("territory_zones").get(str(territory), ())) == 1:
        return str(names[territory])
    return get_timezone_location(zone, locale=lang, return_city=True)


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


def start_day(session: Session, consultation: Consultation) -> date:
    """The calendar day a session starts on, in the consultation's time zone."""
    return session.start.astimezone(consultation.timezone).date()


def spans_days(sessions: list[Session], consultation: Consultation) -> bool:
    """Whether a list holds sessions of more than one day: its lines then say the day."""
    return len({start_day(s, consultation) for s in sessions}) > 1


def day_and_time(session: Session, consultation: Consultation) -> str:
    """Tue, Dec 8 09:00 – 10:30: the day and the times, for a list that spans days."""
    day = day_short(start_day(session, consultation))
    times = _interval(session.start, session.end, "Hm", consultation.timezone, current_language())
    return isolate(f"{day} {times}")


def zone_note(consultation: Consultation) -> str:
    place = zone_place(consultation.timezone, current_language())
    # TRANSLATORS: {place} is a country ("Switzerland") or, where a country has several time
    # zones, a city ("New York"); word the sentence so that any place name fits.
    return _("All times are local: {place} time.").format(place=isolate(place))


def when(session: Session, consultation: Consultation) -> str:
    """Tuesday, December 8, 2026 · 09:00 – 10:30"""
    day = session.start.astimezone(consultation.timezone).date()
    return f"{day_long(day)} · {time_range(session, consultation)}"


def session_line(
    session: Session,
    consultation: Consultation,
    *,
    starred: bool = False,
    number: int = 0,
    with_day: bool = False,
) -> str:
    """One line of a list: time (with the day in a list that spans days), title, room."""
    lang = current_language()
    icon = "⭐" if starred else KIND_ICONS.get(session.kind, "📌")
    prefix = f"<b>{number}.</b> " if number else ""
    label = room_label(session, lang)
    room = f" · {esc(isolate(label))}" if label else ""
    times = day_and_time(session, consultation) if with_day else time_range(session, consultation)
    return f"{prefix}{icon} <code>{esc(times)}</code> {esc(session.title.get(lang))}{room}"


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


# --- Filters ---------------------------------------------------------------------------------


def dimension_name(dimension: str) -> str:
    """What a filter narrows by, as its button in the filter menu says."""
    names = {
        TRACK: "🧭 " + _("Track"),
        KIND: "🏷 " + _("Kind of session"),
        ROOM: "📍 " + _("Room"),
        LANGUAGE: "🎧 " + _("Interpretation"),
    }
    return names[dimension]


def filter_value(facets: Facets, dimension: str, key: str) -> str:
    """A value of a filter, named in the reader's language (a track, a room, a kind of session,
    a language)."""
    lang = current_language()
    facet = facets.facet(dimension)
    sample = facet.samples.get(key) if facet else None
    if dimension == TRACK and sample is not None:
        return track_label(sample, lang) or key
    if dimension == ROOM and sample is not None:
        return room_label(sample, lang) or key
    if dimension == KIND:
        return _(KIND_NAMES[key]) if key in KIND_NAMES else key
    if dimension == LANGUAGE:
        return language_name(key)
    return key


def filter_label(facets: Facets, dimension: str, key: str) -> str:
    """One chosen filter, as the filters line names it (HTML): "Track Localization", "Room 2",
    "Arabic interpretation", "Workshops"."""
    value = esc(isolate(filter_value(facets, dimension, key)))
    if dimension == TRACK:
        return _("Track {track}").format(track=value)
    if dimension == LANGUAGE:
        # TRANSLATORS: sessions interpreted into this language, e.g. "Arabic interpretation".
        return _("{language} interpretation").format(language=value)
    return value


def filters_line(facets: Facets, filters: Filters) -> str:
    """The filters a list shows, on one line (HTML): "Filters: Track Localization · Room 2"."""
    labels = " · ".join(filter_label(facets, d, key) for d, key in filters.chosen)
    return _("Filters: {filters}").format(filters=labels)
