"""Room screens (migration 034): the hash of each session's or room's secret screen address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import from_iso, to_iso

SESSION = "session"
ROOM = "room"
KINDS = (SESSION, ROOM)

_SET = """
INSERT INTO walls (consultation_id, kind, target, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (consultation_id, kind, target) DO UPDATE SET
    secret_hash = excluded.secret_hash, created_at = excluded.created_at
"""
_FIND = """
SELECT consultation_id, kind, target, secret_hash, created_at FROM walls WHERE secret_hash = ?
"""
_CREATED = "SELECT created_at FROM walls WHERE consultation_id = ? AND kind = ? AND target = ?"


@dataclass(frozen=True)
class WallRecord:
    consultation_id: str
    kind: str  # SESSION or ROOM
    target: str  # the session's or the room's id
    secret_hash: str
    created_at: datetime


class WallStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def set(
        self, consultation_id: str, kind: str, target: str, secret_hash: str, now: datetime
    ) -> None:
        """The screen's address is now this one (the old one is gone)."""
        await self._db.execute(_SET, (consultation_id, kind, target, secret_hash, to_iso(now)))

    async def find(self, secret_hash: str) -> WallRecord | None:
        async with self._db.execute(_FIND, (secret_hash,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return WallRecord(row[0], row[1], row[2], row[3], from_iso(row[4]))

    async def created(self, consultation_id: str, kind: str, target: str) -> datetime | None:
        """When the screen's current address was made (None: it has none)."""
        async with self._db.execute(_CREATED, (consultation_id, kind, target)) as cursor:
            row = await cursor.fetchone()
        return from_iso(row[0]) if row else None
