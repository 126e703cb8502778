"""Telegram's file_id of each document file the bot has uploaded, to send it again without
uploading it."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.database import to_iso

_GET = """
SELECT file_id FROM document_files
WHERE consultation_id = ? AND document_id = ? AND fingerprint = ?
"""
_PUT = """
INSERT INTO document_files (consultation_id, document_id, fingerprint, file_id, uploaded_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (consultation_id, document_id) DO UPDATE SET
    fingerprint = excluded.fingerprint,
    file_id = excluded.file_id,
    uploaded_at = excluded.uploaded_at
"""
_FORGET = "DELETE FROM document_files WHERE consultation_id = ? AND document_id = ?"


class DocumentFileStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def file_id(
        self, consultation_id: str, document_id: str, fingerprint: str
    ) -> str | None:
        """The file_id of this document's file as it is now (same fingerprint), if uploaded."""
        async with self._db.execute(_GET, (consultation_id, document_id, fingerprint)) as cursor:
            row = await cursor.fetchone()
        return str(row["file_id"]) if row is not None else None

    async def remember(
        self,
        consultation_id: str,
        document_id: str,
        fingerprint: str,
        file_id: str,
        now: datetime,
    ) -> None:
        await self._db.execute(
            _PUT, (consultation_id, document_id, fingerprint, file_id, to_iso(now))
        )

    async def forget(self, consultation_id: str, document_id: str) -> None:
        """Telegram no longer knows the file_id (another bot, a file expired)."""
        await self._db.execute(_FORGET, (consultation_id, document_id))
