"""Personal agendas: the sessions each delegate starred."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.database import to_iso

_ADD = """
INSERT OR IGNORE INTO bookmarks (user_id, consultation_id, session_id, created_at)
VALUES (?, ?, ?, ?)
"""
_REMOVE = "DELETE FROM bookmarks WHERE user_id = ? AND consultation_id = ? AND session_id = ?"
_LIST = "SELECT session_id FROM bookmarks WHERE user_id = ? AND consultation_id = ?"
_HAS = "SELECT 1 FROM bookmarks WHERE user_id = ? AND consultation_id = ? AND session_id = ?"
# Those who starred a session and still use the bot (of Telegram's, or of the console chat's).
_STARRED_BY = """
SELECT b.user_id FROM bookmarks b JOIN users u ON u.user_id = b.user_id
WHERE b.consultation_id = ? AND b.session_id = ? AND u.active = 1 AND u.console = ?
ORDER BY b.user_id
"""


class BookmarkStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add(
        self, user_id: int, consultation_id: str, session_id: str, now: datetime
    ) -> bool:
        cursor = await self._db.execute(_ADD, (user_id, consultation_id, session_id, to_iso(now)))
        return cursor.rowcount > 0

    async def remove(self, user_id: int, consultation_id: str, session_id: str) -> bool:
        cursor = await self._db.execute(_REMOVE, (user_id, consultation_id, session_id))
        return cursor.rowcount > 0

    async def has(self, user_id: int, consultation_id: str, session_id: str) -> bool:
        async with self._db.execute(_HAS, (user_id, consultation_id, session_id)) as cursor:
            return await cursor.fetchone() is not None

    async def session_ids(self, user_id: int, consultation_id: str) -> set[str]:
        async with self._db.execute(_LIST, (user_id, consultation_id)) as cursor:
            rows = await cursor.fetchall()
        return {row["session_id"] for row in rows}

    async def starred_by(
        self, consultation_id: str, session_id: str, *, console: bool = False
    ) -> list[int]:
        """The delegates (still reachable) who starred the session."""
        params = (consultation_id, session_id, int(console))
        async with self._db.execute(_STARRED_BY, params) as cursor:
            return [row[0] for row in await cursor.fetchall()]
