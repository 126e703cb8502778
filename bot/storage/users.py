"""Delegates: language, consultation, roles; deleting a delegate and all they left."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import in_transaction, to_iso
from bot.storage.outbox import Planned, add_rows, note_planned

# Characters of a first name kept.
NAME_LIMIT = 128


@dataclass(frozen=True)
class PostedTicket:
    """A ticket's message in the helpdesk group."""

    id: int
    consultation_id: str
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class UserRecord:
    user_id: int
    language: str | None
    consultation_id: str | None
    first_name: str
    active: bool
    client_language: str | None = None
    # Created by the console chat: no one on Telegram (migration 018).
    console: bool = False

    @property
    def reading_language(self) -> str | None:
        """The language chosen with /language, else the client's."""
        return self.language or self.client_language

    def is_current(
        self, first_name: str, client_language: str | None, *, console: bool = False
    ) -> bool:
        """Active, with this name and client language stored, and of the same world (Telegram
        or the console chat): a visit has nothing to write."""
        return (
            self.active
            and self.console == console
            and self.first_name == first_name[:NAME_LIMIT]
            and (client_language is None or self.client_language == client_language)
        )


_GET = """
SELECT user_id, language, consultation_id, first_name, active, client_language, console
FROM users WHERE user_id = ?
"""
# A visit from Telegram makes a console delegate's row a real delegate's; a visit from the
# console never makes a real delegate a console one (the console refuses to be them anyway).
_UPSERT = """
INSERT INTO users (user_id, first_name, client_language, console, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT(user_id) DO UPDATE SET first_name = excluded.first_name,
    client_language = COALESCE(excluded.client_language, users.client_language),
    console = MIN(users.console, excluded.console),
    active = 1, updated_at = excluded.updated_at
"""
_SET_LANGUAGE = "UPDATE users SET language = ?, updated_at = ? WHERE user_id = ?"
_SET_CONSULTATION = "UPDATE users SET consultation_id = ?, updated_at = ? WHERE user_id = ?"
_SET_ACTIVE = "UPDATE users SET active = ?, updated_at = ? WHERE user_id = ?"
_DELETE = "DELETE FROM users WHERE user_id = ?"
_IDS = "SELECT user_id FROM users WHERE console = ?"
# The languages active delegates read (chosen, else their client's), the most read first.
_READING_LANGUAGES = """
SELECT COALESCE(language, client_language) AS reading, COUNT(*) AS readers FROM users
WHERE active = 1 AND console = 0 AND COALESCE(language, client_language) IS NOT NULL
GROUP BY reading ORDER BY readers DESC, reading
"""
# Forgetting a delegate: their rows that name them go with their users row (ON DELETE CASCADE);
# their anonymous rows, by author. A question takes its ticket, vote, relayed replies and the
# phrasings taught from it along.
_POSTED_TICKETS = """
SELECT id, consultation_id, group_chat_id, group_message_id FROM helpdesk_tickets
WHERE author = ? AND group_chat_id IS NOT NULL AND group_message_id IS NOT NULL
"""
_FORGET_ANONYMOUS = (
    "DELETE FROM helpdesk_questions WHERE author = ?",
    "DELETE FROM session_feedback WHERE author = ?",
    "DELETE FROM recommendations WHERE author = ?",
)
_ROLES = "SELECT role FROM roles WHERE user_id = ?"
_ADD_ROLE = "INSERT OR IGNORE INTO roles (user_id, role, granted_at) VALUES (?, ?, ?)"
_REMOVE_ROLE = "DELETE FROM roles WHERE user_id = ? AND role = ?"
_LIST_ROLES = "SELECT user_id, role FROM roles ORDER BY role, user_id"
_COUNT = "SELECT COUNT(*) FROM users"


def _record(row: aiosqlite.Row) -> UserRecord:
    return UserRecord(
        user_id=row["user_id"],
        language=row["language"],
        consultation_id=row["consultation_id"],
        first_name=row["first_name"],
        active=bool(row["active"]),
        client_language=row["client_language"],
        console=bool(row["console"]),
    )


class UserStore:
    def __init__(self, connection: aiosqlite.Connection, *, console: bool = False) -> None:
        """`console`: the delegates this store creates are the console chat's (no one on
        Telegram); else they are Telegram's, and a console delegate who visits becomes one."""
        self._db = connection
        self.console = console

    async def get(self, user_id: int) -> UserRecord | None:
        async with self._db.execute(_GET, (user_id,)) as cursor:
            row = await cursor.fetchone()
        return _record(row) if row else None

    async def touch(
        self, user_id: int, first_name: str, now: datetime, client_language: str | None = None
    ) -> UserRecord:
        """Create the user on first contact; keep name and client language fresh, mark active.

        Runs on every update, so it only writes when something changed.
        """
        record, _arrived = await self.visit(user_id, first_name, now, client_language)
        return record

    async def visit(
        self, user_id: int, first_name: str, now: datetime, client_language: str | None = None
    ) -> tuple[UserRecord, bool]:
        """As `touch`; also whether the user arrived: new, or back after being inactive."""
        name = first_name[:NAME_LIMIT]
        record = await self.get(user_id)
        if record is not None and record.is_current(name, client_language, console=self.console):
            return record, False
        arrived = record is None or not record.active
        stamp = to_iso(now)
        await self._db.execute(
            _UPSERT, (user_id, name, client_language, int(self.console), stamp, stamp)
        )
        record = await self.get(user_id)
        assert record is not None
        return record, arrived

    async def set_language(self, user_id: int, language: str, now: datetime) -> None:
        await self._db.execute(_SET_LANGUAGE, (language, to_iso(now), user_id))

    async def set_consultation(self, user_id: int, consultation_id: str, now: datetime) -> None:
        await self._db.execute(_SET_CONSULTATION, (consultation_id, to_iso(now), user_id))

    async def set_active(self, user_id: int, active: bool, now: datetime) -> None:
        await self._db.execute(_SET_ACTIVE, (int(active), to_iso(now), user_id))

    async def delete(self, user_id: int) -> bool:
        cursor = await self._db.execute(_DELETE, (user_id,))
        return cursor.rowcount > 0

    async def forget(
        self,
        user_id: int,
        author: str,
        blank: Callable[[PostedTicket], Planned],
        now: datetime,
    ) -> bool:
        """Delete the delegate, their anonymous rows (by `author`) and their tickets, planning
        `blank(ticket)` for each ticket posted in the helpdesk group: one transaction."""

        def work(db: sqlite3.Connection) -> bool:
            posted = [
                PostedTicket(row[0], row[1], row[2], row[3])
                for row in db.execute(_POSTED_TICKETS, (author,)).fetchall()
            ]
            add_rows(db, [blank(ticket) for ticket in posted], now)
            for sql in _FORGET_ANONYMOUS:
                db.execute(sql, (author,))
            return db.execute(_DELETE, (user_id,)).rowcount > 0

        deleted = await in_transaction(self._db, work)
        note_planned(self._db)
        return deleted

    async def ids(self) -> list[int]:
        """Every delegate's id (to find an anonymous ticket's delegate again with the key): of
        Telegram's, or of the console chat's with `console`."""
        async with self._db.execute(_IDS, (int(self.console),)) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def reading_languages(self) -> list[str]:
        """The language codes active delegates read, the most read first."""
        async with self._db.execute(_READING_LANGUAGES) as cursor:
            return [str(row["reading"]) for row in await cursor.fetchall()]

    async def count(self) -> int:
        async with self._db.execute(_COUNT) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def roles(self, user_id: int) -> frozenset[str]:
        async with self._db.execute(_ROLES, (user_id,)) as cursor:
            rows = await cursor.fetchall()
        return frozenset(row["role"] for row in rows)

    async def add_role(self, user_id: int, role: str, now: datetime) -> None:
        await self._db.execute(_ADD_ROLE, (user_id, role, to_iso(now)))

    async def remove_role(self, user_id: int, role: str) -> bool:
        cursor = await self._db.execute(_REMOVE_ROLE, (user_id, role))
        return cursor.rowcount > 0

    async def all_roles(self) -> list[tuple[int, str]]:
        async with self._db.execute(_LIST_ROLES) as cursor:
            rows = await cursor.fetchall()
        return [(row["user_id"], row["role"]) for row in rows]
