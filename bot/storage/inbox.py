"""The inbox of received updates not yet answered; the record of malformed ones skipped and of
those a killed process may or may not have answered."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import in_transaction, to_iso

# An update already processed (Telegram sends it again) is not kept: only an update whose handling
# was cut short can be both in the inbox and in the ledger.
_KEEP = (
    "INSERT OR IGNORE INTO inbox (update_id, body, received_at) SELECT ?, ?, ?"
    " WHERE NOT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = ?)"
)
_SKIP = "INSERT OR IGNORE INTO skipped_updates (update_id, reason, skipped_at) VALUES (?, ?, ?)"
_REMOVE = "DELETE FROM inbox WHERE update_id = ?"
_MARK = "UPDATE inbox SET answering_since = ? WHERE update_id = ? AND answering_since IS NULL"
_UNMARK = "UPDATE inbox SET answering_since = NULL WHERE update_id = ?"
# Updates whose first reply went to Telegram and were not removed: maybe answered. Their ledger
# entries stay, so a re-delivery is skipped.
_ANSWERING = "SELECT update_id FROM inbox WHERE answering_since IS NOT NULL ORDER BY update_id"
_RECORD_UNKNOWN = (
    "INSERT OR IGNORE INTO unknown_updates (update_id, answering_since, recorded_at)"
    " SELECT update_id, answering_since, ? FROM inbox WHERE answering_since IS NOT NULL"
)
_DROP_ANSWERING = "DELETE FROM inbox WHERE answering_since IS NOT NULL"
# One update whose reply failed after it left (answer lost, timed out): maybe answered. Its mark
# is the moment, or `now` if an earlier reply of it had already taken it out of the inbox.
_RECORD_ONE_UNKNOWN = (
    "INSERT OR IGNORE INTO unknown_updates (update_id, answering_since, recorded_at) VALUES"
    " (?, COALESCE((SELECT answering_since FROM inbox WHERE update_id = ?), ?), ?)"
)
_LEFT = "SELECT update_id, body FROM inbox ORDER BY update_id"
# Updates whose handling started (the ledger has them) and was cut short before it answered.
_INTERRUPTED = (
    "UPDATE inbox SET interrupted = interrupted + 1"
    " WHERE update_id IN (SELECT update_id FROM processed_updates)"
)
_GIVEN_UP = "SELECT update_id FROM inbox WHERE interrupted >= ? ORDER BY update_id"
# The others are handled again: they must not count as processed.
_UNSTART = "DELETE FROM processed_updates WHERE update_id IN (SELECT update_id FROM inbox)"
_COUNT = "SELECT COUNT(*) FROM inbox"
_SKIPPED = "SELECT update_id, reason FROM skipped_updates ORDER BY update_id"
_UNKNOWN = "SELECT update_id FROM unknown_updates ORDER BY update_id"


@dataclass(frozen=True)
class Left:
    """What a previous process left: updates to handle again (oldest first), and the ids given up
    (handling cut short too often) or recorded as unknown (maybe answered)."""

    again: list[tuple[int, dict[str, Any]]]
    given_up: list[int]
    unknown: list[int]


@dataclass(frozen=True)
class Stored:
    """What one `keep` changed: the updates new to the inbox, the skips new to the record."""

    kept: frozenset[int]
    skipped: frozenset[int]


class InboxStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def keep(
        self,
        updates: Sequence[tuple[int, Mapping[str, Any]]],
        skipped: Sequence[tuple[int, str]],
        now: datetime,
    ) -> Stored:
        """Store a batch in one transaction; updates held, processed or skipped before are not."""
        stamp = to_iso(now)
        rows = [
            (ident, json.dumps(body, ensure_ascii=False), stamp, ident) for ident, body in updates
        ]

        def write(connection: sqlite3.Connection) -> Stored:
            kept: set[int] = set()
            for row in rows:
                if connection.execute(_KEEP, row).rowcount > 0:
                    kept.add(row[0])
            new_skips: set[int] = set()
            for ident, reason in skipped:
                if connection.execute(_SKIP, (ident, reason, stamp)).rowcount > 0:
                    new_skips.add(ident)
            return Stored(frozenset(kept), frozenset(new_skips))

        return await in_transaction(self._db, write)

    async def remove(self, update_id: int) -> None:
        await self._db.execute(_REMOVE, (update_id,))

    async def mark_answering(self, update_id: int, now: datetime) -> None:
        """Its first reply is about to go to Telegram (committed before it goes)."""
        await self._db.execute(_MARK, (to_iso(now), update_id))

    async def unmark_answering(self, update_id: int) -> None:
        """Nothing of its replies can have reached Telegram after all: handled again after a
        restart (committed before its next reply is tried)."""
        await self._db.execute(_UNMARK, (update_id,))

    async def record_unknown(self, update_id: int, now: datetime) -> None:
        """A reply of the update may or may not have reached Telegram: recorded as unknown, and
        out of the inbox (one transaction)."""
        stamp = to_iso(now)

        def write(connection: sqlite3.Connection) -> None:
            connection.execute(_RECORD_ONE_UNKNOWN, (update_id, update_id, stamp, stamp))
            connection.execute(_REMOVE, (update_id,))

        await in_transaction(self._db, write)

    async def skip(self, update_id: int, reason: str, now: datetime) -> bool:
        """Record a held update as malformed and drop it; False if it was recorded before."""

        def write(connection: sqlite3.Connection) -> bool:
            connection.execute(_REMOVE, (update_id,))
            return connection.execute(_SKIP, (update_id, reason, to_iso(now))).rowcount > 0

        return await in_transaction(self._db, write)

    async def take_over(self, give_up_after: int, now: datetime) -> Left:
        """What a previous process left: the updates to handle again, oldest first, none of them
        marked as started; the ones given up because their handling was cut short
        `give_up_after` times, and the ones whose first reply went out, recorded as unknown."""
        stamp = to_iso(now)

        def work(
            connection: sqlite3.Connection,
        ) -> tuple[list[tuple[int, str]], list[int], list[int]]:
            unknown = [int(row[0]) for row in connection.execute(_ANSWERING)]
            connection.execute(_RECORD_UNKNOWN, (stamp,))
            connection.execute(_DROP_ANSWERING)
            connection.execute(_INTERRUPTED)
            given_up = [int(row[0]) for row in connection.execute(_GIVEN_UP, (give_up_after,))]
            reason = f"its handling was cut short {give_up_after} times"
            for ident in given_up:  # their ledger entries stay: a re-delivery is skipped
                connection.execute(_REMOVE, (ident,))
                connection.execute(_SKIP, (ident, reason, stamp))
            connection.execute(_UNSTART)
            left = [(int(row[0]), str(row[1])) for row in connection.execute(_LEFT)]
            return left, given_up, unknown

        left, given_up, unknown = await in_transaction(self._db, work)
        return Left([(ident, json.loads(body)) for ident, body in left], given_up, unknown)

    async def count(self) -> int:
        async with self._db.execute(_COUNT) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def skipped(self) -> list[tuple[int, str]]:
        async with self._db.execute(_SKIPPED) as cursor:
            return [(int(row[0]), str(row[1])) for row in await cursor.fetchall()]

    async def unknown(self) -> list[int]:
        async with self._db.execute(_UNKNOWN) as cursor:
            return [int(row[0]) for row in await cursor.fetchall()]
