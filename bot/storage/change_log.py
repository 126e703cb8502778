"""The programme's change history: one batch per reload that changed a consultation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import from_iso, to_iso
from bot.storage.outbox import transaction


@dataclass(frozen=True)
class SessionSnapshot:
    """What a delegate needs to see of a session in a change message."""

    start: datetime
    end: datetime
    title: dict[str, str]
    room: dict[str, str] | None
    default_language: str

    def to_json(self) -> dict[str, Any]:
        return {
            "start": to_iso(self.start),
            "end": to_iso(self.end),
            "title": self.title,
            "room": self.room,
            "default": self.default_language,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionSnapshot:
        return cls(
            from_iso(data["start"]),
            from_iso(data["end"]),
            dict(data["title"]),
            dict(data["room"]) if data.get("room") else None,
            data.get("default", "en"),
        )


@dataclass(frozen=True)
class ChangeRecord:
    session_id: str
    kinds: frozenset[str]
    old: SessionSnapshot | None
    new: SessionSnapshot | None


@dataclass(frozen=True)
class ChangeBatch:
    id: int
    consultation_id: str
    source: str
    created_at: datetime
    changes: tuple[ChangeRecord, ...]


_ADD_BATCH = "INSERT INTO change_batches (consultation_id, source, created_at) VALUES (?, ?, ?)"
_ADD_CHANGE = """
INSERT INTO session_changes (batch_id, session_id, kinds, old, new) VALUES (?, ?, ?, ?, ?)
"""
_RECENT = """
SELECT id, consultation_id, source, created_at FROM change_batches
WHERE consultation_id = ? ORDER BY id DESC LIMIT ?
"""
_BATCH = "SELECT id, consultation_id, source, created_at FROM change_batches WHERE id = ?"
_CHANGES = """
SELECT session_id, kinds, old, new FROM session_changes WHERE batch_id = ? ORDER BY rowid
"""


def _snapshot(text: str | None) -> SessionSnapshot | None:
    return SessionSnapshot.from_json(json.loads(text)) if text else None


class ChangeLogStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add(
        self, consultation_id: str, source: str, changes: Sequence[ChangeRecord], now: datetime
    ) -> int:
        """Record one batch of changes; returns its id."""
        async with transaction(self._db):
            cursor = await self._db.execute(_ADD_BATCH, (consultation_id, source, to_iso(now)))
            batch_id = cursor.lastrowid
            assert batch_id is not None
            await self._db.executemany(
                _ADD_CHANGE,
                [
                    (
                        batch_id,
                        c.session_id,
                        ",".join(sorted(c.kinds)),
                        json.dumps(c.old.to_json()) if c.old else None,
                        json.dumps(c.new.to_json()) if c.new else None,
                    )
                    for c in changes
                ],
            )
        return batch_id

    async def _changes(self, batch_id: int) -> tuple[ChangeRecord, ...]:
        async with self._db.execute(_CHANGES, (batch_id,)) as cursor:
            rows = await cursor.fetchall()
        return tuple(
            ChangeRecord(
                r["session_id"],
                frozenset(r["kinds"].split(",")),
                _snapshot(r["old"]),
                _snapshot(r["new"]),
            )
            for r in rows
        )

    async def _batch(self, row: aiosqlite.Row) -> ChangeBatch:
        return ChangeBatch(
            row["id"],
            row["consultation_id"],
            row["source"],
            from_iso(row["created_at"]),
            await self._changes(row["id"]),
        )

    async def batch(self, batch_id: int) -> ChangeBatch | None:
        async with self._db.execute(_BATCH, (batch_id,)) as cursor:
            row = await cursor.fetchone()
        return await self._batch(row) if row else None

    async def recent(self, consultation_id: str, limit: int = 5) -> list[ChangeBatch]:
        """The newest batches first."""
        async with self._db.execute(_RECENT, (consultation_id, limit)) as cursor:
            rows = await cursor.fetchall()
        return [await self._batch(row) for row in rows]
