"""Calendar subscriptions: a personal, secret address of a delegate's agenda that phone
calendars follow (the web app serves it at /cal/<secret>.ics).

The secret (`secrets.token_urlsafe(32)`) is shown to the delegate once; only its SHA-256 is
stored, and a request's secret is hashed and compared in constant time. Renewing replaces it (the
old address stops at once); /forget deletes it. The feed is always the agenda as it is now: the
starred sessions, each under a stable UID whose SEQUENCE counts its recorded changes (so a
calendar moves it), and starred sessions a reload removed, marked cancelled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.i18n import pick_language, use_language
from bot.services.calendar import FeedEvent, FeedRenderer
from bot.services.changes import CANCELLED
from bot.services.event_data import EventData
from bot.services.secret_links import new_secret, same_hash, secret_hash
from bot.storage.bookmarks import BookmarkStore
from bot.storage.calendar_feeds import CalendarFeedStore, FeedRecord

FEED_PATH = "/cal/{secret}.ics"

# The delegate's reading language, and their reminder lead in minutes (0: reminders off).
LanguageOf = Callable[[int], Awaitable[str | None]]
LeadOf = Callable[[int], Awaitable[int]]


def addresses(base_url: str, secret: str) -> tuple[str, str]:
    """The webcal:// address (calendars subscribe to it) and the https:// one."""
    web = base_url.rstrip("/") + FEED_PATH.format(secret=secret)
    _scheme, _sep, rest = web.partition("://")
    return "webcal://" + rest, web


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str


class CalendarFeeds:
    """Issue, renew, forget and serve delegates' calendar addresses."""

    def __init__(
        self,
        store: CalendarFeedStore,
        bookmarks: BookmarkStore,
        events: Callable[[], EventData],
        clock: Clock,
        *,
        language_of: LanguageOf,
        lead_of: LeadOf,
    ) -> None:
        self._store = store
        self._bookmarks = bookmarks
        self._events = events
        self._clock = clock
        self._language_of = language_of
        self._lead_of = lead_of
        self._renderer = FeedRenderer()

    async def issue(self, user_id: int, consultation_id: str) -> str:
        """A new secret for the delegate's agenda of the consultation; any older one stops."""
        secret = new_secret()
        await self._store.set(user_id, consultation_id, secret_hash(secret), self._clock.now())
        return secret

    async def issued_at(self, user_id: int, consultation_id: str) -> datetime | None:
        """When the delegate's current address was made (None: they have none)."""
        return await self._store.created(user_id, consultation_id)

    async def forget(self, user_id: int) -> None:
        await self._store.forget(user_id)

    async def find(self, secret: str) -> FeedRecord | None:
        """The address's owner, or None: unknown secrets and renewed ones alike."""
        wanted = secret_hash(secret)
        found = await self._store.find(wanted)
        if found is None or not same_hash(found.secret_hash, wanted):
            return None
        return found

    async def feed(self, secret: str) -> Feed | None:
        """The calendar at this address now, or None when there is no such address."""
        record = await self.find(secret)
        if record is None:
            return None
        consultation = self._events().get(record.consultation_id)
        if consultation is None:
            return None
        user_id = record.user_id
        starred = await self._bookmarks.session_ids(user_id, consultation.id)
        history = await self._store.starred_changes(user_id, consultation.id)
        sequence: dict[str, int] = {}
        modified: dict[str, datetime] = {}
        removed = {}
        for change in history:
            sequence[change.session_id] = sequence.get(change.session_id, 0) + 1
            modified[change.session_id] = change.at
            if CANCELLED in change.kinds and change.old is not None:
                removed[change.session_id] = change.old
        items = [
            FeedEvent(s.id, s, None, sequence.get(s.id, 0), modified.get(s.id))
            for s in consultation.sessions
            if s.id in starred
        ]
        present = {item.session_id for item in items}
        for session_id in sorted(starred - present, key=lambda i: (removed.get(i) is None, i)):
            old = removed.get(session_id)
            if old is None:
                continue  # never part of this programme as announced: nothing to show
            items.append(
                FeedEvent(
                    session_id, None, old, sequence.get(session_id, 0), modified.get(session_id)
                )
            )
        lang = pick_language(await self._language_of(user_id))
        lead = await self._lead_of(user_id)
        with use_language(lang):
            body = self._renderer.render(
                consultation,
                items,
                lang,
                self._clock.now(),
                alarm=timedelta(minutes=lead) if lead > 0 else None,
            )
        etag = hashlib.sha256(body).hexdigest()[:32]
        return Feed(body, etag)
