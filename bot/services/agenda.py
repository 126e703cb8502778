"""The programme as a delegate browses it, and their personal agenda."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.services.errors import SessionNotFound
from bot.services.event_data import Consultation, NowNext, Session, now_and_next
from bot.services.programme_filters import NO_FILTERS, FacetCache, Facets, Filters
from bot.services.session_search import SearchResult, SessionSearch
from bot.storage.bookmarks import BookmarkStore


@dataclass(frozen=True)
class PersonalItem:
    session: Session
    clashes_with: tuple[Session, ...]


class Agenda:
    def __init__(self, bookmarks: BookmarkStore, clock: Clock) -> None:
        self._bookmarks = bookmarks
        self._clock = clock
        # Called with the user id after their agenda changed (reminders are re-planned).
        self.on_change: list[Callable[[int], Awaitable[None]]] = []
        self._facets = FacetCache()
        self._search = SessionSearch()

    def now(self) -> datetime:
        return self._clock.now()

    def session(self, consultation: Consultation, session_id: str) -> Session:
        found = consultation.session(session_id)
        if found is None:
            raise SessionNotFound(session_id)
        return found

    def default_day(self, consultation: Consultation) -> date:
        """Today when the consultation is on, else its first (or last, once over) day."""
        today = consultation.day_of(self._clock.now())
        if today < consultation.start:
            return consultation.start
        if today > consultation.end:
            return consultation.end
        return today

    def now_and_next(self, consultation: Consultation, filters: Filters = NO_FILTERS) -> NowNext:
        """What is on now (a coffee break too) and the next real sessions, among those the
        filters leave."""
        sessions = filters.apply(consultation.sessions)
        return now_and_next(sessions, self._clock.now(), skip_breaks=True)

    def facets(self, consultation: Consultation) -> Facets:
        """The tracks, kinds, rooms and interpretation languages the programme can be
        filtered by."""
        return self._facets.of(consultation)

    async def search(self, consultation: Consultation, text: str) -> SearchResult:
        """The sessions whose title, description, speakers or track meet the words of `text`."""
        return await self._search.search(consultation, text)

    async def is_starred(self, user_id: int, consultation: Consultation, session_id: str) -> bool:
        return await self._bookmarks.has(user_id, consultation.id, session_id)

    async def set_star(
        self, user_id: int, consultation: Consultation, session_id: str, starred: bool
    ) -> None:
        """Add a session to the personal agenda or remove it; doing it twice changes nothing."""
        self.session(consultation, session_id)
        if starred:
            changed = await self._bookmarks.add(
                user_id, consultation.id, session_id, self._clock.now()
            )
        else:
            changed = await self._bookmarks.remove(user_id, consultation.id, session_id)
        if changed:
            for listener in self.on_change:
                await listener(user_id)

    async def starred_ids(self, user_id: int, consultation: Consultation) -> set[str]:
        return await self._bookmarks.session_ids(user_id, consultation.id)

    async def personal(self, user_id: int, consultation: Consultation) -> list[PersonalItem]:
        """The starred sessions in time order, each with the starred sessions it overlaps."""
        ids = await self._bookmarks.session_ids(user_id, consultation.id)
        picked = [s for s in consultation.sessions if s.id in ids]
        return [
            PersonalItem(s, tuple(o for o in picked if o is not s and o.overlaps(s)))
            for s in picked
        ]
