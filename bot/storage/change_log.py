"""The programme's change history (one batch per reload that changed a consultation), and the
programme as delegates were last told of it, which each reload and each start compares with."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import from_iso, in_transaction, to_iso
from bot.storage.outbox import Planned, add_rows, note_planned


@dataclass(frozen=True)
class SessionSnapshot:
    """What a delegate needs to see of a session in a change message."""

    start: datetime
    end: datetime
    title: dict[str, str]
    room: dict[str, str] | None
    default_language: str
    room_id: str | None = None  # the room in rooms.yaml (None: text only, or kept before it)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "start": to_iso(self.start),
            "end": to_iso(self.end),
            "title": self.title,
            "room": self.room,
            "default": self.default_language,
        }
        if self.room_id is not None:
            data["room_id"] = self.room_id
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionSnapshot:
        return cls(
            from_iso(data["start"]),
            from_iso(data["end"]),
            dict(data["title"]),
            dict(data["room"]) if data.get("room") else None,
            data.get("default", "en"),
            data.get("room_id"),
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
_WITH_CHANGES = """
SELECT b.id, b.consultation_id, b.source, b.created_at, c.session_id, c.kinds, c.old, c.new
FROM ({batches}) b LEFT JOIN session_changes c ON c.batch_id = b.id
ORDER BY b.id DESC, c.rowid
"""
_ANNOUNCED = "SELECT consultation_id, sessions FROM announced_programmes"
_SET_ANNOUNCED = """
INSERT INTO announced_programmes (consultation_id, sessions, updated_at) VALUES (?, ?, ?)
ON CONFLICT(consultation_id) DO UPDATE SET
    sessions = excluded.sessions, updated_at = excluded.updated_at
"""
_RECENT = _WITH_CHANGES.format(
    batches="SELECT * FROM change_batches WHERE consultation_id = ? ORDER BY id DESC LIMIT ?"
)
_BATCH = _WITH_CHANGES.format(batches="SELECT * FROM change_batches WHERE id = ?")

# Given the new batch's id, the messages that tell delegates about it.
Notices = Callable[[int], Sequence[Planned]]


# A consultation's sessions as announced: session id -> snapshot, in programme order.
AnnouncedSessions = Mapping[str, SessionSnapshot]


@dataclass(frozen=True)
class Announcement:
    """A consultation's programme as delegates are now told it, with the changes that tell them
    and the messages about these (no changes: the programme is taken silently)."""

    consultation_id: str
    sessions: AnnouncedSessions
    changes: Sequence[ChangeRecord] = ()
    notices: Notices | None = None


@dataclass(frozen=True)
class Recorded:
    batch_id: int
    notices: int  # messages planned about it


def _programme_json(sessions: AnnouncedSessions) -> str:
    return json.dumps([{"id": ident, **snap.to_json()} for ident, snap in sessions.items()])


def _programme(text: str) -> dict[str, SessionSnapshot]:
    return {entry["id"]: SessionSnapshot.from_json(entry) for entry in json.loads(text)}


def _snapshot(text: str | None) -> SessionSnapshot | None:
    return SessionSnapshot.from_json(json.loads(text)) if text else None


def _batches(rows: Iterable[aiosqlite.Row]) -> list[ChangeBatch]:
    """Rows of batches joined to their changes (newest batch first) as batches."""
    found: dict[int, tuple[aiosqlite.Row, list[ChangeRecord]]] = {}
    for r in rows:
        _first, changes = found.setdefault(r["id"], (r, []))
        if r["session_id"] is not None:
            changes.append(
                ChangeRecord(
                    r["session_id"],
                    frozenset(r["kinds"].split(",")),
                    _snapshot(r["old"]),
                    _snapshot(r["new"]),
                )
            )
    return [
        ChangeBatch(
            row["id"],
            row["consultation_id"],
            row["source"],
            from_iso(row["created_at"]),
            tuple(changes),
        )
        for row, changes in found.values()
    ]


class ChangeLogStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def announced(self) -> dict[str, dict[str, SessionSnapshot]]:
        """Per consultation, its programme as delegates were last told of it."""
        async with self._db.execute(_ANNOUNCED) as cursor:
            rows = await cursor.fetchall()
        return {row["consultation_id"]: _programme(row["sessions"]) for row in rows}

    async def announce(
        self, announcements: Sequence[Announcement], source: str, now: datetime
    ) -> list[Recorded | None]:
        """Record each consultation's changes, the messages about them and its programme as now
        announced, all in one transaction: after a crash, either all of it is there or none
        is (and the next start compares again). None for those without changes."""
        stamp = to_iso(now)
        prepared = [
            (
                item,
                [
                    (
                        c.session_id,
                        ",".join(sorted(c.kinds)),
                        json.dumps(c.old.to_json()) if c.old else None,
                        json.dumps(c.new.to_json()) if c.new else None,
                    )
                    for c in item.changes
                ],
                _programme_json(item.sessions),
            )
            for item in announcements
        ]

        def write(connection: sqlite3.Connection) -> list[Recorded | None]:
            recorded: list[Recorded | None] = []
            for item, values, sessions in prepared:
                connection.execute(_SET_ANNOUNCED, (item.consultation_id, sessions, stamp))
                if not values:
                    recorded.append(None)
                    continue
                cursor = connection.execute(_ADD_BATCH, (item.consultation_id, source, stamp))
                batch_id = cursor.lastrowid
                assert batch_id is not None
                connection.executemany(_ADD_CHANGE, [(batch_id, *v) for v in values])
                rows = item.notices(batch_id) if item.notices else ()
                add_rows(connection, rows, now)
                recorded.append(Recorded(batch_id, len(rows)))
            return recorded

        if not prepared:
            return []
        recorded = await in_transaction(self._db, write)
        if any(r is not None and r.notices for r in recorded):
            note_planned(self._db)
        return recorded

    async def batch(self, batch_id: int) -> ChangeBatch | None:
        async with self._db.execute(_BATCH, (batch_id,)) as cursor:
            found = _batches(await cursor.fetchall())
        return found[0] if found else None

    async def recent(self, consultation_id: str, limit: int = 5) -> list[ChangeBatch]:
        """The newest batches first (one query)."""
        async with self._db.execute(_RECENT, (consultation_id, limit)) as cursor:
            return _batches(await cursor.fetchall())
