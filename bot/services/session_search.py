"""Searching the programme: titles, descriptions, speakers' names and tracks, in every language.

Words are compared as the free-text matcher compares them (bot/services/matcher.py): case,
accents and Arabic letter forms aside, by their Snowball stems in each language, a typo mended
against the programme's own words. A session ranks by how many of the searched words it meets,
then by how many of them its title or a speaker's name holds, then by where it meets them (a
title or a speaker counts most, a description least) and how rare each word is in the
programme, then by time.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from bot.services.event_data import Consultation, Session
from bot.services.matcher import (
    asked_search,
    closest_spelling,
    is_stop_word,
    spellings,
    stems,
    words,
)

TITLE_WEIGHT = 3.0
SPEAKER_WEIGHT = 3.0
TRACK_WEIGHT = 2.0
DESCRIPTION_WEIGHT = 1.0
# A session scoring under this share of the best one meets the words only through a common
# stem or in passing ("local" for "localization"): left out.
SCORE_SHARE = 0.25


@dataclass(frozen=True)
class SearchResult:
    words: tuple[str, ...]  # the words searched for, normalised (none: nothing to search)
    sessions: tuple[Session, ...]  # best first


def _fields(session: Session) -> Iterator[tuple[str, float]]:
    for title in session.title.all():
        yield title, TITLE_WEIGHT
    for speaker in session.speakers:
        yield speaker.name, SPEAKER_WEIGHT
    if session.track is not None:
        for track in session.track.all():
            yield track, TRACK_WEIGHT
    if session.description is not None:
        for description in session.description.all():
            yield description, DESCRIPTION_WEIGHT


def search_words(text: str) -> tuple[str, ...]:
    """The words of a search worth looking for: the subject of "sessions on X", its words
    but for stop-words ("the", "of"), unless it holds only those."""
    subject = asked_search(text) or text
    found = words(subject)
    wanted = [w for w in found if not is_stop_word(w)]
    return tuple(dict.fromkeys(wanted or found))


class SessionIndex:
    """The words of one consultation's sessions, for searching."""

    def __init__(self, consultation: Consultation) -> None:
        self.consultation = consultation
        self._sessions = consultation.sessions
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for index, session in enumerate(self._sessions):
            for text, weight in _fields(session):
                for word in words(text):
                    for form in stems(word):
                        found = postings[form]
                        if found.get(index, 0.0) < weight:
                            found[index] = weight
        self._postings = dict(postings)
        count = len(self._sessions)
        self._idf = {form: math.log(1 + count / len(found)) for form, found in postings.items()}
        self._spellings = spellings(self._postings)

    def search(self, text: str) -> SearchResult:
        """The sessions meeting the words of `text`, best first."""
        wanted = search_words(text)
        scores: dict[int, float] = defaultdict(float)
        met: dict[int, int] = defaultdict(int)
        # Words met in a title or a speaker's name: the session is named, not mentioned.
        named: dict[int, int] = defaultdict(int)
        for word in wanted:
            forms = stems(word)
            if not any(form in self._postings for form in forms):
                mended = closest_spelling(word, self._spellings)
                forms = stems(mended) if mended is not None else forms
            best: dict[int, float] = {}
            strongest: dict[int, float] = {}
            for form in forms:
                idf = self._idf.get(form, 0.0)
                for index, weight in self._postings.get(form, {}).items():
                    best[index] = max(best.get(index, 0.0), weight * idf)
                    strongest[index] = max(strongest.get(index, 0.0), weight)
            for index, value in best.items():
                scores[index] += value
                met[index] += 1
                named[index] += strongest[index] >= TITLE_WEIGHT
        if not scores:
            return SearchResult(wanted, ())
        most = max(met.values())
        top = max(score for index, score in scores.items() if met[index] == most)
        kept = [i for i in scores if scores[i] >= SCORE_SHARE * top]
        kept.sort(key=lambda i: (-met[i], -named[i], -scores[i], self._sessions[i].start, i))
        return SearchResult(wanted, tuple(self._sessions[i] for i in kept))


class SessionSearch:
    """One index per consultation, built off the event loop on its first search and again
    when the programme is reloaded."""

    def __init__(self) -> None:
        self._built: dict[str, SessionIndex] = {}
        self._lock = asyncio.Lock()

    async def index(self, consultation: Consultation) -> SessionIndex:
        found = self._built.get(consultation.id)
        if found is not None and found.consultation is consultation:
            return found
        async with self._lock:
            found = self._built.get(consultation.id)
            if found is None or found.consultation is not consultation:
                found = await asyncio.to_thread(SessionIndex, consultation)
                self._built[consultation.id] = found
        return found

    async def search(self, consultation: Consultation, text: str) -> SearchResult:
        return (await self.index(consultation)).search(text)
