"""Speakers as delegates look them up: by name in a question ("who is X"), in alphabetical
order (/speakers), and their photos, sent to Telegram once and then by its file_id."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from bot.services.event_data import Consultation, Speaker

# "Who is X" in the four languages, written without accents as `fold` leaves them ("quien",
# "¿quién es X?"), with the spoken Arabic "مين".
_WHO_IS = re.compile(
    r"^(?:who\s*is|who\s*s|whos|qui\s+est|c\s*est\s+qui|quien\s+es|"
    r"من\s+(?:هو|هي)|مين(?:\s+(?:هو|هي))?)\s+(.+)$"
)
# Titles before a name say nothing of who it is ("who is Dr Haddad", "qui est Mme Laurent").
_TITLES = (
    *("mr", "mrs", "ms", "miss", "dr", "doctor", "prof", "professor", "sir", "madam"),
    *("m", "mme", "mlle", "madame", "monsieur", "docteur", "docteure"),
    *("sr", "sra", "srta", "señor", "señora", "señorita", "doctora", "profesor"),
    *("profesora", "don", "doña"),
    *("السيد", "السيدة", "الدكتور", "الدكتورة", "الأستاذ", "الأستاذة"),
)
_SHORT = 3  # a name part shorter than this ("el", "ha") never names anyone alone
FUZZY_FROM = 4  # letters from which a name part may have one typo
FUZZY_TWO_FROM = 8  # and from which two


def fold(text: str) -> str:
    """Lower case without accents or Arabic vowel marks: how names are compared."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _parts(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


_FOLDED_TITLES = frozenset(fold(title) for title in _TITLES)


def asked_name(question: str) -> str | None:
    """X in "who is X", "qui est X", "¿quién es X?", "من هو X" / "من هي X"; None otherwise."""
    text = " ".join(_parts(question.replace("'", " ").replace("’", " ")))
    found = _WHO_IS.match(text)
    return found.group(1) if found else None


@dataclass(frozen=True)
class _Named:
    speaker: Speaker
    parts: tuple[str, ...]


class SpeakerNames:
    """The speakers with a card of one consultation, found by name: tolerant of accents and of
    small typos, and by first or last name alone when only one speaker has it."""

    def __init__(self, speakers: Iterable[Speaker]) -> None:
        self._named: list[_Named] = []
        for speaker in speakers:
            parts = _parts(speaker.name)
            # A hyphenated name is also typed whole: "Asante-Mensah", "asantemensah".
            joined = ["".join(_parts(w)) for w in speaker.name.split() if "-" in w]
            self._named.append(_Named(speaker, tuple(parts + [j for j in joined if j])))
        self._parts = frozenset(part for named in self._named for part in named.parts)

    def __bool__(self) -> bool:
        return bool(self._named)

    def asked(self, question: str) -> tuple[Speaker, ...]:
        """The speakers a question asks about: "who is X" (with typos), or a question that is
        only a speaker's name (exactly); the nearest first, several when the name is shared."""
        if not self._named:
            return ()
        name = asked_name(question)
        if name is not None:
            return self.find(name)
        return self.find(question, typos=False)

    def find(self, name: str, *, typos: bool = True) -> tuple[Speaker, ...]:
        """The speakers `name` names: each of its parts is one part of theirs."""
        wanted = [p for p in _parts(name) if p not in _FOLDED_TITLES]
        if not wanted or (len(wanted) == 1 and len(wanted[0]) < _SHORT):
            return ()
        if not typos and not self._parts.issuperset(wanted):
            return ()  # most questions: a word that is nobody's name
        scored: list[tuple[int, Speaker]] = []
        for named in self._named:
            score = _fits(wanted, named.parts, typos=typos)
            if score is not None:
                scored.append((score, named.speaker))
        if not scored:
            return ()
        best = min(score for score, _speaker in scored)
        return tuple(speaker for score, speaker in scored if score == best)


def _fits(wanted: Sequence[str], parts: Sequence[str], *, typos: bool) -> int | None:
    """The typos it takes for each wanted part to be a distinct part of the name; None: it
    is not their name."""
    free = list(parts)
    total = 0
    for word in wanted:
        best: tuple[int, str] | None = None
        for part in free:
            if word == part:
                best = (0, part)
                break
            if typos and best is None and len(word) >= FUZZY_FROM and word[0] == part[0]:
                allowed = 2 if len(word) >= FUZZY_TWO_FROM else 1
                distance = OSA.distance(word, part, score_cutoff=allowed)
                if distance <= allowed:
                    best = (distance, part)
        if best is None:
            return None
        total += best[0]
        free.remove(best[1])
    return total


def alphabetical(consultation: Consultation) -> list[Speaker]:
    """The speakers on the programme (with a card), by name (accents aside). Those of
    speakers.yaml who speak at no session are left out: their card says so when asked."""
    named = {p.id for session in consultation.sessions for p in session.speakers}
    return sorted(
        (s for s in consultation.speakers if s.id in named),
        key=lambda s: (fold(s.name), s.id or ""),
    )


def spans_days(consultation: Consultation, speaker: Speaker) -> bool:
    """Whether the speaker's sessions fall on more than one day of the consultation."""
    return len({consultation.day_of(s.start) for s in consultation.sessions_of(speaker)}) > 1
