"""The file_ids Telegram gave the speakers' photos, by the photo's content."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.database import to_iso

_GET = "SELECT file_id FROM speaker_photos WHERE digest = ?"
_PUT = """
INSERT INTO speaker_photos (digest, file_id, stored_at) VALUES (?, ?, ?)
ON CONFLICT (digest) DO UPDATE SET file_id = excluded.file_id, stored_at = excluded.stored_at
"""
_FORGET = "DELETE FROM speaker_photos WHERE digest = ? AND file_id = ?"


class SpeakerPhotoStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def file_id(self, digest: str) -> str | None:
        async with self._db.execute(_GET, (digest,)) as cursor:
            row = await cursor.fetchone()
        return str(row["file_id"]) if row is not None else None

    async def remember(self, digest: str, file_id: str, now: datetime) -> None:
        await self._db.execute(_PUT, (digest, file_id, to_iso(now)))

    async def forget(self, digest: str, file_id: str) -> None:
        await self._db.execute(_FORGET, (digest, file_id))
