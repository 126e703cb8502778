"""The ids of processed updates (dedupe of Telegram's re-deliveries)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.database import to_iso

_RECORD = "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)"
_PRUNE = "DELETE FROM processed_updates WHERE processed_at < ?"
_COUNT = "SELECT COUNT(*) FROM processed_updates"


class UpdateLog:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def record(self, update_id: int, now: datetime) -> bool:
        """Remember the update; False if it had been recorded before (a repeat)."""
        cursor = await self._db.execute(_RECORD, (update_id, to_iso(now)))
        return cursor.rowcount > 0

    async def prune(self, before: datetime) -> int:
        cursor = await self._db.execute(_PRUNE, (to_iso(before),))
        return cursor.rowcount

    async def count(self) -> int:
        async with self._db.execute(_COUNT) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0
