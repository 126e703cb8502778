"""Narrowing the programme: by track, kind, room and interpretation language, combinable.

The filters a list shows travel in its buttons' data, not in storage: each chosen value is its
index among the consultation's values of that dimension (in a fixed order), behind a two-letter
fingerprint of those values, so "t3r12" fits Telegram's 64 bytes beside a day and a page. A
message's buttons then keep meaning what the message shows, across restarts, with nothing to
write per tap, no migration and nothing more to erase at /forget; a button from before a reload
that changed the values is out of date rather than silently meaning another value.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.services.data_reading import Text
from bot.services.event_data import Consultation, Session

TRACK = "track"
KIND = "kind"
ROOM = "room"
LANGUAGE = "language"  # interpretation into a language
DIMENSIONS = (TRACK, KIND, ROOM, LANGUAGE)  # the order of the menu and of the filters line
CODES = {TRACK: "t", KIND: "k", ROOM: "r", LANGUAGE: "l"}
_DIMENSION_OF = {code: dimension for dimension, code in CODES.items()}
_FINGERPRINT = 2
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_ENCODED = re.compile(r"([a-z])([0-9]{1,4})")


def _key(text: Text | None) -> str | None:
    """A name as filters compare it: its default-language spelling, case and spaces aside."""
    if text is None:
        return None
    return " ".join(text.get(text.default).casefold().split()) or None


def room_key(session: Session) -> str | None:
    """The room a session is in, as the room filter compares it (None: no room): its id in
    rooms.yaml, else (a consultation without rooms.yaml) its name."""
    return session.room_id if session.room_id is not None else _key(session.room)


def track_key(session: Session) -> str | None:
    return _key(session.track)


def track_label(session: Session, lang: str) -> str | None:
    return session.track.get(lang) if session.track else None


def keys_of(session: Session, dimension: str) -> tuple[str, ...]:
    """The values a session has in a dimension (interpretation: every language it offers)."""
    if dimension == TRACK:
        found = track_key(session)
    elif dimension == ROOM:
        found = room_key(session)
    elif dimension == KIND:
        found = session.kind
    elif dimension == LANGUAGE:
        return session.interpretation
    else:
        raise ValueError(dimension)
    return (found,) if found else ()


@dataclass(frozen=True)
class Facet:
    """The values one dimension takes in a consultation, in a fixed order, each with a
    session that has it (to name it in the reader's language)."""

    dimension: str
    keys: tuple[str, ...]
    samples: Mapping[str, Session]

    def index(self, key: str) -> int:
        return self.keys.index(key)


@dataclass(frozen=True)
class Facets:
    """The dimensions present in a consultation's data (those with at least one value)."""

    by_dimension: Mapping[str, Facet]
    fingerprint: str

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(d for d in DIMENSIONS if d in self.by_dimension)

    def facet(self, dimension: str) -> Facet | None:
        return self.by_dimension.get(dimension)


def facets_of(sessions: Iterable[Session]) -> Facets:
    """The values each dimension takes among `sessions`, in the order filters encode them."""
    samples: dict[str, dict[str, Session]] = {d: {} for d in DIMENSIONS}
    for session in sessions:
        for dimension in DIMENSIONS:
            for key in keys_of(session, dimension):
                samples[dimension].setdefault(key, session)
    by_dimension = {
        d: Facet(d, tuple(sorted(found)), found) for d, found in samples.items() if found
    }
    digest = hashlib.blake2b(
        repr([(d, f.keys) for d, f in by_dimension.items()]).encode(), digest_size=4
    ).digest()
    number = int.from_bytes(digest, "big")
    fingerprint = ""
    for _ in range(_FINGERPRINT):
        number, rest = divmod(number, len(_ALPHABET))
        fingerprint += _ALPHABET[rest]
    return Facets(by_dimension, fingerprint)


@dataclass(frozen=True)
class Filters:
    """The chosen value of each filtered dimension; empty: the whole programme."""

    chosen: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.chosen)

    def get(self, dimension: str) -> str | None:
        return next((key for d, key in self.chosen if d == dimension), None)

    def with_value(self, dimension: str, key: str | None) -> Filters:
        """These filters with `dimension` set to `key` (None: that filter removed)."""
        values = dict(self.chosen)
        values.pop(dimension, None)
        if key is not None:
            values[dimension] = key
        return Filters(tuple((d, values[d]) for d in DIMENSIONS if d in values))

    def without(self, dimension: str) -> Filters:
        return self.with_value(dimension, None)

    def matches(self, session: Session) -> bool:
        return all(key in keys_of(session, dimension) for dimension, key in self.chosen)

    def apply(self, sessions: Iterable[Session]) -> list[Session]:
        return [s for s in sessions if self.matches(s)]


NO_FILTERS = Filters()


def encode(filters: Filters, facets: Facets) -> str:
    """The filters as a short token for a button's data ("" when there are none)."""
    if not filters:
        return ""
    parts = [facets.fingerprint]
    for dimension, key in filters.chosen:
        facet = facets.facet(dimension)
        if facet is None:
            raise ValueError(dimension)
        parts.append(f"{CODES[dimension]}{facet.index(key)}")
    return "".join(parts)


def decode(token: str, facets: Facets) -> Filters:
    """The filters a token stands for; ValueError when it is malformed or from other data."""
    if not token:
        return NO_FILTERS
    if token[:_FINGERPRINT] != facets.fingerprint:
        raise ValueError(token)
    rest = token[_FINGERPRINT:]
    found = _ENCODED.findall(rest)
    if not found or "".join(code + index for code, index in found) != rest:
        raise ValueError(token)
    filters = NO_FILTERS
    for code, index in found:
        dimension = _DIMENSION_OF.get(code)
        facet = facets.facet(dimension) if dimension else None
        if dimension is None or facet is None or int(index) >= len(facet.keys):
            raise ValueError(token)
        if filters.get(dimension) is not None:
            raise ValueError(token)
        filters = filters.with_value(dimension, facet.keys[int(index)])
    return filters


def counts(sessions: Iterable[Session], filters: Filters, dimension: str) -> Counter[str]:
    """How many of `sessions` each value of `dimension` would leave, the other filters kept."""
    others = filters.without(dimension)
    found: Counter[str] = Counter()
    for session in sessions:
        if others.matches(session):
            found.update(keys_of(session, dimension))
    return found


def pages(count: int, size: int) -> int:
    """How many pages of `size` a list of `count` takes (one, when empty)."""
    return max(1, -(-count // size))


def landing_day(consultation: Consultation, day: date, filters: Filters) -> date:
    """The day a list opens on once `filters` are chosen from `day`: that day if anything on it
    matches, else the first day something does (else `day`, to say nothing matches)."""
    if filters.apply(consultation.sessions_on(day)):
        return day
    for other in consultation.days():
        if filters.apply(consultation.sessions_on(other)):
            return other
    return day


def page_at(sessions: Sequence[Session], moment: datetime, size: int) -> int | None:
    """The page holding `moment`: the first session still on or yet to start (None: all are
    over)."""
    for index, session in enumerate(sessions):
        if session.end > moment:
            return index // size
    return None


@dataclass
class FacetCache:
    """Each consultation's facets, computed once per programme (a reload gives a new one)."""

    _kept: dict[str, tuple[Consultation, Facets]] = field(default_factory=dict)

    def of(self, consultation: Consultation) -> Facets:
        kept = self._kept.get(consultation.id)
        if kept is None or kept[0] is not consultation:
            kept = (consultation, facets_of(consultation.sessions))
            self._kept[consultation.id] = kept
        return kept[1]
