"""The outbox: every message the bot sends on its own, one row per recipient, with its state."""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import from_iso, in_transaction, to_iso, write_returning

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
EXPIRED = "expired"
CANCELLED = "cancelled"
SKIPPED = "skipped"  # not worth sending when its time came; planning never revives it
UNKNOWN = "unknown"
STATES = (PENDING, SENDING, SENT, FAILED, EXPIRED, CANCELLED, SKIPPED, UNKNOWN)


@dataclass(frozen=True)
class Planned:
    """A row to plan; planning the same key again updates a pending row, never a sent one.

    It goes to a delegate (`user_id`), or else to a group chat (`chat_id`)."""

    kind: str
    key: str
    user_id: int | None
    due_at: datetime
    not_before: datetime
    expires_at: datetime | None = None
    consultation_id: str | None = None
    subject: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    chat_id: int | None = None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    key: str
    user_id: int | None
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
    chat_id: int | None = None

    @property
    def chat(self) -> int:
        """The chat the row goes to: the delegate's own, or the group's."""
        chat = self.user_id if self.user_id is not None else self.chat_id
        assert chat is not None  # the table's CHECK: one or the other
        return chat

    @property
    def delegate(self) -> int:
        """The delegate the row goes to (rows of a delegate's kind always have one)."""
        if self.user_id is None:
            raise ValueError(f"outbox row {self.key} goes to a group, not a delegate")
        return self.user_id


_COLUMNS = (
    "id, kind, key, user_id, chat_id, consultation_id, subject, payload, due_at, not_before, "
    "expires_at, state, attempts, reason, sent_at"
)
# A pending or cancelled row takes the new plan; a row being sent or done (skipped included)
# keeps its state.
_UPSERT = """
INSERT INTO outbox (kind, key, user_id, chat_id, consultation_id, subject, payload, due_at,
                    not_before, expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
INSERT OR IGNORE INTO outbox (kind, key, user_id, chat_id, consultation_id, subject, payload,
                              due_at, not_before, expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
# The rows a process sends (and expires, and after a crash recovers): the real bot's are all
# but those of the console chat's delegates (migration 018); a console's, its delegate's only.
_REAL_REACH = "(user_id IS NULL OR +user_id NOT IN (SELECT user_id FROM users WHERE console = 1))"
_CONSOLE_REACH = "user_id = :reach"
_RECOVER = """
UPDATE outbox SET state = 'unknown', reason = 'interrupted while sending', updated_at = :now
WHERE state = 'sending' AND {reach}
"""
_EXPIRE = """
UPDATE outbox SET state = 'expired', reason = 'too late to be useful', updated_at = :now
WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= :now AND {reach}
"""
# Rows past their expiry are left out here, so the expiry sweep need not run every tick.
_SENDABLE = """
state = 'pending' AND not_before <= :now AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
AND (expires_at IS NULL OR expires_at > :now) AND {reach}
"""
# Sendable rows come in two parts, each on the index that finds them without reading the rest:
# those already due in due order (a burst of 50,000 stops after the first few), then, when
# these are few, those allowed to leave early (by not_before: few, as the window is minutes).
_CANDIDATES_DUE = f"""
SELECT {_COLUMNS} FROM outbox
WHERE state = 'pending' AND due_at <= :now AND +not_before <= :now
  AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
  AND (expires_at IS NULL OR expires_at > :now) AND {{reach}}
ORDER BY due_at, id LIMIT :limit
"""
_CANDIDATES_EARLY = f"""
SELECT {_COLUMNS} FROM outbox WHERE {_SENDABLE} AND +due_at > :now ORDER BY due_at, id
LIMIT :limit
"""
_UPCOMING_DUES = f"SELECT due_at FROM outbox WHERE {_SENDABLE} ORDER BY due_at LIMIT :limit"
# When the next pending row may become sendable (both parts use an index).
_NEXT_WAKE = """
SELECT (SELECT MIN(not_before) FROM outbox
        WHERE state = 'pending' AND not_before > :now AND {reach}) AS planned,
       (SELECT MIN(next_attempt_at) FROM outbox
        WHERE state = 'pending' AND next_attempt_at > :now AND {reach}) AS retry
"""
_REACHED = {
    "recover": _RECOVER,
    "expire": _EXPIRE,
    "candidates_due": _CANDIDATES_DUE,
    "candidates_early": _CANDIDATES_EARLY,
    "upcoming_dues": _UPCOMING_DUES,
    "next_wake": _NEXT_WAKE,
}
# One statement: nothing else can interleave, and a row claimed twice is claimed once. The ids
# come as one JSON array; `+state` keeps SQLite on the primary key rather than a state index.
_CLAIM = """
UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?
WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'pending'
RETURNING id
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
_COUNT_SUBJECT = "SELECT state, COUNT(*) AS n FROM outbox WHERE subject = ? GROUP BY state"


# Counts, per connection, the writes that may make a row sendable sooner: the delivery service
# sleeps until the next row's time unless this count changed meanwhile.
_PLANS: weakref.WeakKeyDictionary[aiosqlite.Connection, int] = weakref.WeakKeyDictionary()


def note_planned(connection: aiosqlite.Connection) -> None:
    """Rows were written by other means (the change log's transaction): wake the sender."""
    _PLANS[connection] = _PLANS.get(connection, 0) + 1


def _item(row: aiosqlite.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
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
        row.chat_id,
        row.consultation_id,
        row.subject,
        json.dumps(row.payload, sort_keys=True),
        to_iso(row.due_at),
        to_iso(row.not_before),
        to_iso(row.expires_at) if row.expires_at else None,
        stamp,
        stamp,
    )


def add_rows(connection: sqlite3.Connection, rows: Sequence[Planned], now: datetime) -> None:
    """Insert rows whose key is new, inside a transaction the caller runs (in_transaction)."""
    stamp = to_iso(now)
    connection.executemany(_INSERT_NEW, [_values(r, stamp) for r in rows])


class OutboxStore:
    def __init__(self, connection: aiosqlite.Connection, *, reach: int | None = None) -> None:
        """`reach`: the console chat's delegate, the only one whose rows this store sends (and
        expires and recovers); None: the real bot, which sends every row but theirs."""
        self._db = connection
        self._reach = reach
        fragment = _REAL_REACH if reach is None else _CONSOLE_REACH
        self._sql = {name: sql.format(reach=fragment) for name, sql in _REACHED.items()}

    def _params(self, now: datetime, limit: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"now": to_iso(now), "reach": self._reach}
        if limit is not None:
            params["limit"] = limit
        return params

    @property
    def plans(self) -> int:
        """Grows with every write that may make a row sendable sooner (any store instance)."""
        return _PLANS.get(self._db, 0)

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

        def write(connection: sqlite3.Connection) -> None:
            connection.executemany(sql, values)

        await in_transaction(self._db, write)
        note_planned(self._db)

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
        cursor = await self._db.execute(self._sql["recover"], self._params(now))
        return cursor.rowcount

    async def expire(self, now: datetime) -> int:
        cursor = await self._db.execute(self._sql["expire"], self._params(now))
        return cursor.rowcount

    async def candidates(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Pending rows that may be sent now, earliest due first."""
        async with self._db.execute(
            self._sql["candidates_due"], self._params(now, limit)
        ) as cursor:
            rows = list(await cursor.fetchall())
        if len(rows) < limit:
            params = self._params(now, limit - len(rows))
            async with self._db.execute(self._sql["candidates_early"], params) as cursor:
                rows.extend(await cursor.fetchall())
        return [_item(row) for row in rows]

    async def upcoming_dues(self, now: datetime, limit: int) -> list[datetime]:
        """Due times of the rows that may be sent now, earliest first."""
        params = self._params(now, limit)
        async with self._db.execute(self._sql["upcoming_dues"], params) as cursor:
            rows = await cursor.fetchall()
        return [from_iso(row["due_at"]) for row in rows]

    async def next_wake(self, now: datetime) -> datetime | None:
        """The earliest moment after `now` a pending row may become sendable (None: none)."""
        async with self._db.execute(self._sql["next_wake"], self._params(now)) as cursor:
            row = await cursor.fetchone()
        moments = [from_iso(row[name]) for name in ("planned", "retry") if row and row[name]]
        return min(moments, default=None)

    async def claim(self, ids: Sequence[int], now: datetime) -> set[int]:
        """Mark rows as being sent, committed before any is sent; returns those claimed."""
        if not ids:
            return set()
        rows = await write_returning(self._db, _CLAIM, (to_iso(now), json.dumps(list(ids))))
        return {row["id"] for row in rows}

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
        note_planned(self._db)

    async def get(self, key: str) -> OutboxItem | None:
        async with self._db.execute(_GET, (key,)) as cursor:
            row = await cursor.fetchone()
        return _item(row) if row else None

    async def for_user(self, user_id: int) -> list[OutboxItem]:
        async with self._db.execute(_BY_USER, (user_id,)) as cursor:
            rows = await cursor.fetchall()
        return [_item(row) for row in rows]

    async def progress(self, subject: str) -> dict[str, int]:
        """How many rows of a subject (e.g. broadcast:12) are in each state."""
        async with self._db.execute(_COUNT_SUBJECT, (subject,)) as cursor:
            rows = await cursor.fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update({row["state"]: row["n"] for row in rows})
        return counts
