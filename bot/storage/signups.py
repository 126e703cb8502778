"""Sign-ups for sessions with limited seats: seats, the waiting list, and the seats it is given.

Every change that may free a seat gives it, in the same transaction, to the first delegate on the
waiting list, and writes the outbox row that tells them: after a crash, either both are there or
neither is, and the row (one key per sign-up) is sent once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import from_iso, in_transaction, to_iso
from bot.storage.outbox import Planned, add_rows, note_planned


@dataclass(frozen=True)
class Standing:
    """A delegate's sign-up: a seat, or a place on the waiting list (from 1)."""

    signup_id: int
    seated: bool
    position: int  # 0 with a seat


@dataclass(frozen=True)
class Counts:
    seated: int
    waiting: int


@dataclass(frozen=True)
class SignupEntry:
    """One line of a session's list, with the name the delegate gave Telegram."""

    id: int
    user_id: int
    name: str
    seated: bool
    created_at: datetime


@dataclass(frozen=True)
class Promotion:
    """A seat just given to the first on a waiting list."""

    signup_id: int
    user_id: int
    consultation_id: str
    session_id: str


# How many seats a session gives out now; None: it gives none (gone, closed, no sign-ups).
Seats = Callable[[str, str], int | None]
# The outbox row that tells a delegate about the seat they were given.
SeatNotice = Callable[[Promotion], Planned]

_SEATED_COUNT = """
SELECT COUNT(*) FROM signups WHERE consultation_id = ? AND session_id = ? AND seated = 1
"""
# One statement decides the seat: nothing can come between the count and the insert, so of
# many sign-ups for the last seat exactly one gets it. A newcomer never passes anyone waiting.
_SIGN_UP = """
INSERT INTO signups (user_id, consultation_id, session_id, seated, created_at, seated_at)
SELECT ?1, ?2, ?3, decided.seated, ?5, CASE WHEN decided.seated THEN ?5 END
FROM (
    SELECT (SELECT COUNT(*) FROM signups
            WHERE consultation_id = ?2 AND session_id = ?3 AND seated = 1) < ?4
       AND NOT EXISTS (SELECT 1 FROM signups
                       WHERE consultation_id = ?2 AND session_id = ?3 AND seated = 0) AS seated
) AS decided
WHERE true
ON CONFLICT (user_id, consultation_id, session_id) DO NOTHING
"""
_STANDING = """
SELECT s.id, s.seated,
       CASE WHEN s.seated THEN 0 ELSE (
           SELECT COUNT(*) FROM signups w
           WHERE w.consultation_id = s.consultation_id AND w.session_id = s.session_id
             AND w.seated = 0 AND w.id <= s.id)
       END AS position
FROM signups s WHERE s.user_id = ? AND s.consultation_id = ? AND s.session_id = ?
"""
_CANCEL = "DELETE FROM signups WHERE user_id = ? AND consultation_id = ? AND session_id = ?"
_PROMOTE = """
UPDATE signups SET seated = 1, seated_at = ?
WHERE id IN (SELECT id FROM signups
             WHERE consultation_id = ? AND session_id = ? AND seated = 0 ORDER BY id LIMIT ?)
RETURNING id, user_id
"""
_COUNTS = """
SELECT session_id, SUM(seated) AS seated, SUM(1 - seated) AS waiting FROM signups
WHERE consultation_id = ? GROUP BY session_id
"""
_SESSION_COUNTS = """
SELECT COALESCE(SUM(seated), 0) AS seated, COALESCE(SUM(1 - seated), 0) AS waiting FROM signups
WHERE consultation_id = ? AND session_id = ?
"""
_ENTRIES = """
SELECT s.id, s.user_id, u.first_name, s.seated, s.created_at
FROM signups s JOIN users u ON u.user_id = s.user_id
WHERE s.consultation_id = ? AND s.session_id = ?
ORDER BY s.seated DESC, s.id
"""
_IS_SEATED = "SELECT seated FROM signups WHERE id = ?"
_SESSIONS = "SELECT DISTINCT consultation_id, session_id FROM signups"
_WAITING_SESSIONS = "SELECT DISTINCT consultation_id, session_id FROM signups WHERE seated = 0"
_DROP = "DELETE FROM signups WHERE consultation_id = ? AND session_id = ?"
_OF_USER = "SELECT DISTINCT consultation_id, session_id FROM signups WHERE user_id = ?"
_FORGET = "DELETE FROM signups WHERE user_id = ?"


def _promote(
    db: sqlite3.Connection,
    consultation_id: str,
    session_id: str,
    capacity: int | None,
    stamp: str,
) -> list[Promotion]:
    """Give the session's free seats to the first on its waiting list (inside a transaction)."""
    if capacity is None:
        return []
    seated = int(db.execute(_SEATED_COUNT, (consultation_id, session_id)).fetchone()[0])
    free = capacity - seated
    if free <= 0:
        return []
    rows = db.execute(_PROMOTE, (stamp, consultation_id, session_id, free)).fetchall()
    # RETURNING gives no order: the notices go out in waiting-list order.
    return [
        Promotion(row[0], row[1], consultation_id, session_id)
        for row in sorted(rows, key=lambda row: int(row[0]))
    ]


class SignupStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def _changing(
        self,
        work: Callable[[sqlite3.Connection, str], list[Promotion]],
        notice: SeatNotice,
        now: datetime,
    ) -> list[Promotion]:
        """Run `work` and write the notices of the seats it gave, in one transaction."""
        stamp = to_iso(now)

        def run(db: sqlite3.Connection) -> list[Promotion]:
            promoted = work(db, stamp)
            add_rows(db, [notice(p) for p in promoted], now)
            return promoted

        promoted = await in_transaction(self._db, run)
        if promoted:
            note_planned(self._db)
        return promoted

    async def sign_up(
        self, user_id: int, consultation_id: str, session_id: str, capacity: int, now: datetime
    ) -> Standing:
        """A seat if one is free and nobody waits, else a place on the waiting list; signing up
        again changes nothing."""
        stamp = to_iso(now)

        def run(db: sqlite3.Connection) -> Standing:
            db.execute(_SIGN_UP, (user_id, consultation_id, session_id, capacity, stamp))
            row = db.execute(_STANDING, (user_id, consultation_id, session_id)).fetchone()
            return Standing(row[0], bool(row[1]), row[2])

        return await in_transaction(self._db, run)

    async def cancel(
        self,
        user_id: int,
        consultation_id: str,
        session_id: str,
        capacity: int | None,
        notice: SeatNotice,
        now: datetime,
    ) -> tuple[bool, list[Promotion]]:
        """Remove the delegate's sign-up; a seat it frees goes to the first waiting."""
        cancelled = False

        def work(db: sqlite3.Connection, stamp: str) -> list[Promotion]:
            nonlocal cancelled
            cancelled = db.execute(_CANCEL, (user_id, consultation_id, session_id)).rowcount > 0
            return _promote(db, consultation_id, session_id, capacity, stamp)

        promoted = await self._changing(work, notice, now)
        return cancelled, promoted

    async def forget(
        self, user_id: int, seats: Seats, notice: SeatNotice, now: datetime
    ) -> list[Promotion]:
        """Remove every sign-up of the delegate; the seats go to those waiting."""

        def work(db: sqlite3.Connection, stamp: str) -> list[Promotion]:
            sessions = db.execute(_OF_USER, (user_id,)).fetchall()
            db.execute(_FORGET, (user_id,))
            return [
                promotion
                for consultation_id, session_id in sessions
                for promotion in _promote(
                    db, consultation_id, session_id, seats(consultation_id, session_id), stamp
                )
            ]

        return await self._changing(work, notice, now)

    async def settle(
        self,
        keep: Callable[[str, str], bool],
        seats: Seats,
        notice: SeatNotice,
        now: datetime,
    ) -> tuple[int, list[Promotion]]:
        """After the programme changed: drop the sign-ups of sessions that no longer take them
        (`keep` says which do), and give the seats a larger capacity frees. Returns how many
        sessions lost their sign-ups, and the seats given."""
        dropped = 0

        def work(db: sqlite3.Connection, stamp: str) -> list[Promotion]:
            nonlocal dropped
            gone = [tuple(r) for r in db.execute(_SESSIONS) if not keep(r[0], r[1])]
            db.executemany(_DROP, gone)
            dropped = len(gone)
            return [
                promotion
                for consultation_id, session_id in db.execute(_WAITING_SESSIONS).fetchall()
                for promotion in _promote(
                    db, consultation_id, session_id, seats(consultation_id, session_id), stamp
                )
            ]

        promoted = await self._changing(work, notice, now)
        return dropped, promoted

    async def standing(
        self, user_id: int, consultation_id: str, session_id: str
    ) -> Standing | None:
        async with self._db.execute(_STANDING, (user_id, consultation_id, session_id)) as cursor:
            row = await cursor.fetchone()
        return Standing(row[0], bool(row[1]), row[2]) if row else None

    async def counts(self, consultation_id: str) -> dict[str, Counts]:
        """Per session of the consultation with sign-ups: seats taken and waiting."""
        async with self._db.execute(_COUNTS, (consultation_id,)) as cursor:
            rows = await cursor.fetchall()
        return {row["session_id"]: Counts(row["seated"], row["waiting"]) for row in rows}

    async def session_counts(self, consultation_id: str, session_id: str) -> Counts:
        """One session's seats taken and waiting (its card: no other session's rows read)."""
        async with self._db.execute(_SESSION_COUNTS, (consultation_id, session_id)) as cursor:
            row = await cursor.fetchone()
        return Counts(row["seated"], row["waiting"]) if row else Counts(0, 0)

    async def entries(self, consultation_id: str, session_id: str) -> list[SignupEntry]:
        """The seats, then the waiting list, each in order of sign-up."""
        async with self._db.execute(_ENTRIES, (consultation_id, session_id)) as cursor:
            rows = await cursor.fetchall()
        return [SignupEntry(r[0], r[1], r[2], bool(r[3]), from_iso(r[4])) for r in rows]

    async def is_seated(self, signup_id: int) -> bool:
        """Whether this sign-up (still there) holds a seat."""
        async with self._db.execute(_IS_SEATED, (signup_id,)) as cursor:
            row = await cursor.fetchone()
        return bool(row and row[0])
