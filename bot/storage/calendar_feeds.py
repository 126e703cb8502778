"""Calendar subscriptions (migration 033): the hash of each delegate's secret address, and what
a feed reads of the programme's change history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.change_log import SessionSnapshot
from bot.storage.database import from_iso, to_iso

_SET = """
INSERT INTO calendar_feeds (user_id, consultation_id, secret_hash, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT(user_id, consultation_id) DO UPDATE SET
    secret_hash = excluded.secret_hash, created_at = excluded.created_at
"""
_FIND = """
SELECT user_id, consultation_id, secret_hash, created_at FROM calendar_feeds
WHERE secret_hash = ?
"""
_OF = "SELECT created_at FROM calendar_feeds WHERE user_id = ? AND consultation_id = ?"
_FORGET = "DELETE FROM calendar_feeds WHERE user_id = ?"
# Every recorded change of the sessions the delegate starred, oldest first.
_CHANGES = """
SELECT c.session_id, c.kinds, c.old, b.created_at
FROM change_batches b JOIN session_changes c ON c.batch_id = b.id
WHERE b.consultation_id = ? AND c.session_id IN (
    SELECT session_id FROM bookmarks WHERE user_id = ? AND consultation_id = ?
)
ORDER BY b.id
"""


@dataclass(frozen=True)
class FeedRecord:
    user_id: int
    consultation_id: str
    secret_hash: str
    created_at: datetime


@dataclass(frozen=True)
class StarredChange:
    """One recorded change of a starred session: its kinds, and the session before it."""

    session_id: str
    kinds: frozenset[str]
    old: SessionSnapshot | None
    at: datetime


class CalendarFeedStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def set(
        self, user_id: int, consultation_id: str, secret_hash: str, now: datetime
    ) -> None:
        """The delegate's address for the consultation is now this one (the old one is gone)."""
        await self._db.execute(_SET, (user_id, consultation_id, secret_hash, to_iso(now)))

    async def find(self, secret_hash: str) -> FeedRecord | None:
        async with self._db.execute(_FIND, (secret_hash,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return FeedRecord(
            row["user_id"], row["consultation_id"], row["secret_hash"], from_iso(row["created_at"])
        )

    async def created(self, user_id: int, consultation_id: str) -> datetime | None:
        """When the delegate's current address was made (None: they have none)."""
        async with self._db.execute(_OF, (user_id, consultation_id)) as cursor:
            row = await cursor.fetchone()
        return from_iso(row["created_at"]) if row else None

    async def forget(self, user_id: int) -> None:
        await self._db.execute(_FORGET, (user_id,))

    async def starred_changes(self, user_id: int, consultation_id: str) -> list[StarredChange]:
        params = (consultation_id, user_id, consultation_id)
        async with self._db.execute(_CHANGES, params) as cursor:
            rows = await cursor.fetchall()
        return [
            StarredChange(
                row["session_id"],
                frozenset(row["kinds"].split(",")),
                SessionSnapshot.from_json(json.loads(row["old"])) if row["old"] else None,
                from_iso(row["created_at"]),
            )
            for row in rows
        ]
