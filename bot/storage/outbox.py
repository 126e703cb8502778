"""The outbox: every message the bot sends on its own, one row per recipient, with its state."""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import from_iso, to_iso

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
EXPIRED = "expired"
CANCELLED = "cancelled"
UNKNOWN = "unknown"
STATES = (PENDING, SENDING, SENT, FAILED, EXPIRED, CANCELLED, UNKNOWN)


@dataclass(frozen=True)
class Planned:
    """A row to plan; planning the same key again updates a pending row, never a sent one."""

    kind: str
    key: str
    user_id: int
    due_at: datetime
    not_before: datetime
    expires_at: datetime | None = None
    consultation_id: str | None = None
    subject: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    key: str
    user_id: int
    consultation_id: str | None
    subject: str | None
    payload: dict[str, Any]
    due_at: datetime
    not_before: datetime
    expires_at: datetime | None
    state: str
    attempts: int
    reason: str | None
    sent_at: datetime | None


_COLUMNS = (
    "id, kind, key, user_id, consultation_id, subject, payload, due_at, not_before, expires_at, "
    "state, attempts, reason, sent_at"
)
# A pending or cancelled row takes the new plan; a row being sent or done keeps its state.
_UPSERT = """
INSERT INTO outbox (kind, key, user_id, consultation_id, subject, payload, due_at, not_before,
                    expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET
    payload = excluded.payload, due_at = excluded.due_at, not_before = excluded.not_before,
    expires_at = excluded.expires_at, state = 'pending', reason = NULL,
    updated_at = excluded.updated_at
WHERE outbox.state IN ('pending', 'cancelled')
  AND (outbox.state = 'cancelled' OR outbox.due_at != excluded.due_at
       OR outbox.payload != excluded.payload
       OR IFNULL(outbox.expires_at, '') != IFNULL(excluded.expires_at, ''))
"""
_INSERT_NEW = """
INSERT OR IGNORE INTO outbox (kind, key, user_id, consultation_id, subject, payload, due_at,
                              not_before, expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_RETIME_PENDING = """
UPDATE outbox SET due_at = ?, not_before = ?, expires_at = ?, payload = ?, updated_at = ?
WHERE key = ? AND state = 'pending' AND (due_at != ? OR payload != ?)
"""
_PENDING_KEYS = "SELECT id, key FROM outbox WHERE kind = ? AND state = 'pending'"
_PENDING_KEYS_FOR_USER = (
    "SELECT id, key FROM outbox WHERE kind = ? AND state = 'pending' AND user_id = ?"
)
_CANCEL = """
UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ?
WHERE id = ? AND state = 'pending'
"""
_RECOVER = """
UPDATE outbox SET state = 'unknown', reason = 'interrupted while sending', updated_at = ?
WHERE state = 'sending'
"""
_EXPIRE = """
UPDATE outbox SET state = 'expired', reason = 'too late to be useful', updated_at = ?
WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?
"""
_CANDIDATES = f"""
SELECT {_COLUMNS} FROM outbox
WHERE state = 'pending' AND not_before <= ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
ORDER BY due_at, id LIMIT ?
"""
_UPCOMING_DUES = """
SELECT due_at FROM outbox
WHERE state = 'pending' AND not_before <= ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
ORDER BY due_at LIMIT ?
"""
_CLAIM = """
UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?
WHERE id = ? AND state = 'pending'
"""
_FINISH = """
UPDATE outbox SET state = ?, reason = ?, sent_at = ?, updated_at = ?
WHERE id = ? AND state = 'sending'
"""
_RETRY = """
UPDATE outbox SET state = 'pending', reason = ?, next_attempt_at = ?, updated_at = ?,
    attempts = attempts - ?
WHERE id = ? AND state = 'sending'
"""
_GET = f"SELECT {_COLUMNS} FROM outbox WHERE key = ?"
_BY_USER = f"SELECT {_COLUMNS} FROM outbox WHERE user_id = ? ORDER BY due_at, id"
_BY_KIND = f"SELECT {_COLUMNS} FROM outbox WHERE kind = ? ORDER BY due_at, id"
_COUNT_SUBJECT = "SELECT state, COUNT(*) AS n FROM outbox WHERE subject = ? GROUP BY state"
_REASONS_SUBJECT = """
SELECT reason, COUNT(*) AS n FROM outbox WHERE subject = ? AND state = ? GROUP BY reason
"""


_LOCKS: weakref.WeakKeyDictionary[aiosqlite.Connection, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def transaction(connection: aiosqlite.Connection) -> AsyncIterator[None]:
    """One write transaction at a time on the shared connection (others' statements autocommit)."""
    lock = _LOCKS.setdefault(connection, asyncio.Lock())
    async with lock:
        await connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")


def _item(row: aiosqlite.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        user_id=row["user_id"],
        consultation_id=row["consultation_id"],
        subject=row["subject"],
        payload=json.loads(row["payload"]),
        due_at=from_iso(row["due_at"]),
        not_before=from_iso(row["not_before"]),
        expires_at=from_iso(row["expires_at"]) if row["expires_at"] else None,
        state=row["state"],
        attempts=row["attempts"],
        reason=row["reason"],
        sent_at=from_iso(row["sent_at"]) if row["sent_at"] else None,
    )


def _values(row: Planned, stamp: str) -> tuple[Any, ...]:
    return (
        row.kind,
        row.key,
        row.user_id,
        row.consultation_id,
        row.subject,
        json.dumps(row.payload, sort_keys=True),
        to_iso(row.due_at),
        to_iso(row.not_before),
        to_iso(row.expires_at) if row.expires_at else None,
        stamp,
        stamp,
    )


class OutboxStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def plan(self, rows: Sequence[Planned], now: datetime) -> None:
        """Create or re-time rows (one transaction); a cancelled row comes back when planned."""
        stamp = to_iso(now)
        await self._write_many(_UPSERT, [_values(r, stamp) for r in rows])

    async def add(self, rows: Sequence[Planned], now: datetime) -> None:
        """Insert rows whose key is new, in one transaction (broadcasts, change messages)."""
        stamp = to_iso(now)
        await self._write_many(_INSERT_NEW, [_values(r, stamp) for r in rows])

    async def retime_pending(self, rows: Sequence[Planned], now: datetime) -> None:
        """Update rows still pending, without creating missing ones (a plan already past due)."""
        stamp = to_iso(now)
        values = []
        for r in rows:
            payload = json.dumps(r.payload, sort_keys=True)
            due = to_iso(r.due_at)
            expires = to_iso(r.expires_at) if r.expires_at else None
            values.append(
                (due, to_iso(r.not_before), expires, payload, stamp, r.key, due, payload)
            )
        await self._write_many(_RETIME_PENDING, values)

    async def _write_many(self, sql: str, values: list[tuple[Any, ...]]) -> None:
        if not values:
            return
        async with transaction(self._db):
            await self._db.executemany(sql, values)

    async def pending_keys(self, kind: str, user_id: int | None = None) -> dict[str, int]:
        """key -> id of the kind's pending rows (for one user when given)."""
        if user_id is None:
            cursor = await self._db.execute(_PENDING_KEYS, (kind,))
        else:
            cursor = await self._db.execute(_PENDING_KEYS_FOR_USER, (kind, user_id))
        async with cursor:
            rows = await cursor.fetchall()
        return {row["key"]: row["id"] for row in rows}

    async def cancel(self, ids: Iterable[int], reason: str, now: datetime) -> None:
        stamp = to_iso(now)
        await self._write_many(_CANCEL, [(reason, stamp, i) for i in ids])

    async def recover(self, now: datetime) -> int:
        """Rows a crash left in `sending` become unknown: they may or may not have arrived."""
        cursor = await self._db.execute(_RECOVER, (to_iso(now),))
        return cursor.rowcount

    async def expire(self, now: datetime) -> int:
        stamp = to_iso(now)
        cursor = await self._db.execute(_EXPIRE, (stamp, stamp))
        return cursor.rowcount

    async def candidates(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Pending rows that may be sent now, earliest due first."""
        stamp = to_iso(now)
        async with self._db.execute(_CANDIDATES, (stamp, stamp, limit)) as cursor:
            rows = await cursor.fetchall()
        return [_item(row) for row in rows]

    async def upcoming_dues(self, now: datetime, limit: int) -> list[datetime]:
        """Due times of the rows that may be sent now, earliest first."""
        stamp = to_iso(now)
        async with self._db.execute(_UPCOMING_DUES, (stamp, stamp, limit)) as cursor:
            rows = await cursor.fetchall()
        return [from_iso(row["due_at"]) for row in rows]

    async def claim(self, ids: Sequence[int], now: datetime) -> set[int]:
        """Mark rows as being sent, committed before any is sent; returns those claimed."""
        stamp = to_iso(now)
        claimed: set[int] = set()
        async with transaction(self._db):
            for ident in ids:
                cursor = await self._db.execute(_CLAIM, (stamp, ident))
                if cursor.rowcount:
                    claimed.add(ident)
        return claimed

    async def finish(self, ident: int, state: str, reason: str | None, now: datetime) -> None:
        sent_at = to_iso(now) if state == SENT else None
        await self._db.execute(_FINISH, (state, reason, sent_at, to_iso(now), ident))

    async def retry(
        self, ident: int, reason: str, at: datetime, now: datetime, *, counts: bool = True
    ) -> None:
        """Back to pending, not before `at`; a retry that does not count gives the attempt back."""
        await self._db.execute(
            _RETRY, (reason, to_iso(at), to_iso(now), 0 if counts else 1, ident)
        )

    async def get(self, key: str) -> OutboxItem | None:
        async with self._db.execute(_GET, (key,)) as cursor:
            row = await cursor.fetchone()
        return _item(row) if row else None

    async def for_user(self, user_id: int) -> list[OutboxItem]:
        async with self._db.execute(_BY_USER, (user_id,)) as cursor:
            rows = await cursor.fetchall()
        return [_item(row) for row in rows]

    async def of_kind(self, kind: str) -> list[OutboxItem]:
        async with self._db.execute(_BY_KIND, (kind,)) as cursor:
            rows = await cursor.fetchall()
        return [_item(row) for row in rows]

    async def progress(self, subject: str) -> dict[str, int]:
        """How many rows of a subject (e.g. broadcast:12) are in each state."""
        async with self._db.execute(_COUNT_SUBJECT, (subject,)) as cursor:
            rows = await cursor.fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update({row["state"]: row["n"] for row in rows})
        return counts

    async def reasons(self, subject: str, state: str = FAILED) -> dict[str, int]:
        async with self._db.execute(_REASONS_SUBJECT, (subject, state)) as cursor:
            rows = await cursor.fetchall()
        return {row["reason"] or "": row["n"] for row in rows}
