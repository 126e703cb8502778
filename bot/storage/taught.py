"""Phrasings organisers taught the bot: a delegate's question, now one more way of asking for an
entry."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import from_iso, in_transaction, to_iso


@dataclass(frozen=True)
class TaughtRecord:
    id: int
    consultation_id: str
    answer_ref: str
    language: str
    text: str
    question_key: str
    question_id: int
    taught_by: int
    taught_at: datetime


_COLUMNS = """
SELECT id, consultation_id, answer_ref, language, text, question_key, question_id, taught_by,
       taught_at
FROM taught_phrasings
"""
_ADD = """
INSERT INTO taught_phrasings
    (consultation_id, answer_ref, language, text, question_key, question_id, taught_by,
     taught_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(consultation_id, answer_ref, question_key) DO NOTHING
"""
_GET = _COLUMNS + "WHERE id = ?"
_SAME = _COLUMNS + "WHERE consultation_id = ? AND answer_ref = ? AND question_key = ?"
_FOR_CONSULTATION = _COLUMNS + "WHERE consultation_id = ? ORDER BY id"
_REMOVE = "DELETE FROM taught_phrasings WHERE id = ?"
# A wording answers one entry: taught to another, it leaves the one it was taught to before.
_MOVED = """
DELETE FROM taught_phrasings WHERE consultation_id = ? AND question_key = ? AND answer_ref != ?
"""


def _record(row: aiosqlite.Row) -> TaughtRecord:
    return TaughtRecord(
        id=row["id"],
        consultation_id=row["consultation_id"],
        answer_ref=row["answer_ref"],
        language=row["language"],
        text=row["text"],
        question_key=row["question_key"],
        question_id=row["question_id"],
        taught_by=row["taught_by"],
        taught_at=from_iso(row["taught_at"]),
    )


class TaughtStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add(
        self,
        consultation_id: str,
        answer_ref: str,
        language: str,
        text: str,
        question_key: str,
        question_id: int,
        taught_by: int,
        now: datetime,
    ) -> tuple[TaughtRecord, bool]:
        """The phrasing as stored, and False when this wording was already taught for the entry.
        Taught before to another entry, it is taken from that one."""
        row = (
            consultation_id,
            answer_ref,
            language,
            text,
            question_key,
            question_id,
            taught_by,
            to_iso(now),
        )

        def work(db: sqlite3.Connection) -> bool:
            db.execute(_MOVED, (consultation_id, question_key, answer_ref))
            return db.execute(_ADD, row).rowcount > 0

        added = await in_transaction(self._db, work)
        found = await self._one(_SAME, (consultation_id, answer_ref, question_key))
        assert found is not None
        return found, added

    async def _one(self, sql: str, params: tuple[object, ...]) -> TaughtRecord | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return _record(row) if row else None

    async def get(self, taught_id: int) -> TaughtRecord | None:
        return await self._one(_GET, (taught_id,))

    async def for_consultation(self, consultation_id: str) -> list[TaughtRecord]:
        """The consultation's taught phrasings, oldest first."""
        async with self._db.execute(_FOR_CONSULTATION, (consultation_id,)) as cursor:
            return [_record(row) for row in await cursor.fetchall()]

    async def remove(self, taught_id: int) -> bool:
        cursor = await self._db.execute(_REMOVE, (taught_id,))
        return cursor.rowcount > 0
