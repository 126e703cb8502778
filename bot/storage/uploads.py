"""Telegram's file_id for each file the bot uploaded from the data directory, by its content."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.database import to_iso

_GET = "SELECT file_id FROM uploaded_files WHERE digest = ?"
_SET = """
INSERT INTO uploaded_files (digest, file_id, uploaded_at) VALUES (?, ?, ?)
ON CONFLICT(digest) DO UPDATE SET file_id = excluded.file_id, uploaded_at = excluded.uploaded_at
"""
_FORGET = "DELETE FROM uploaded_files WHERE digest = ? AND file_id = ?"


class UploadStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def file_id(self, digest: str) -> str | None:
        async with self._db.execute(_GET, (digest,)) as cursor:
            row = await cursor.fetchone()
        return str(row["file_id"]) if row else None

    async def remember(self, digest: str, file_id: str, now: datetime) -> None:
        await self._db.execute(_SET, (digest, file_id, to_iso(now)))

    async def forget(self, digest: str, file_id: str) -> None:
        """Drop a file_id Telegram refused (another bot's token, a file it no longer has)."""
        await self._db.execute(_FORGET, (digest, file_id))
