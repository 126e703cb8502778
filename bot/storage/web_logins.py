"""The moderators' web view (migration 035): one-time links and browser sessions, each kept as
the SHA-256 of its secret with its owner, consultation and expiry."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import from_iso, to_iso, write_returning

_ADD_LINK = """
INSERT INTO moderator_web_links (token_hash, user_id, consultation_id, expires_at)
VALUES (?, ?, ?, ?)
"""
_FIND_LINK = """
SELECT token_hash, user_id, consultation_id, expires_at FROM moderator_web_links
WHERE token_hash = ? AND expires_at > ?
"""
# One statement: of two requests with the same link, only one gets its row.
_TAKE_LINK = """
DELETE FROM moderator_web_links WHERE token_hash = ? AND expires_at > ?
RETURNING token_hash, user_id, consultation_id, expires_at
"""
_ADD_SESSION = """
INSERT INTO moderator_web_sessions (session_hash, user_id, consultation_id, created_at, expires_at)
VALUES (?, ?, ?, ?, ?)
"""
_FIND_SESSION = """
SELECT session_hash, user_id, consultation_id, expires_at FROM moderator_web_sessions
WHERE session_hash = ? AND expires_at > ?
"""
_END_SESSION = "DELETE FROM moderator_web_sessions WHERE session_hash = ?"
_PURGE = (
    "DELETE FROM moderator_web_links WHERE expires_at <= ?",
    "DELETE FROM moderator_web_sessions WHERE expires_at <= ?",
)
_FORGET = (
    "DELETE FROM moderator_web_links WHERE user_id = ?",
    "DELETE FROM moderator_web_sessions WHERE user_id = ?",
)


@dataclass(frozen=True)
class WebGrant:
    """A link or a session: the hash of its secret, whose it is, for which consultation."""

    secret_hash: str
    user_id: int
    consultation_id: str
    expires_at: datetime


def _grant(row: sqlite3.Row | aiosqlite.Row) -> WebGrant:
    return WebGrant(row[0], row["user_id"], row["consultation_id"], from_iso(row["expires_at"]))


class WebLoginStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add_link(self, grant: WebGrant) -> None:
        params = (grant.secret_hash, grant.user_id, grant.consultation_id)
        await self._db.execute(_ADD_LINK, (*params, to_iso(grant.expires_at)))

    async def link(self, token_hash: str, now: datetime) -> WebGrant | None:
        """The link, unused and unexpired, without using it."""
        async with self._db.execute(_FIND_LINK, (token_hash, to_iso(now))) as cursor:
            row = await cursor.fetchone()
        return _grant(row) if row else None

    async def take_link(self, token_hash: str, now: datetime) -> WebGrant | None:
        """The link, unused and unexpired, used up by this call (None: no such link now)."""
        rows = await write_returning(self._db, _TAKE_LINK, (token_hash, to_iso(now)))
        return _grant(rows[0]) if rows else None

    async def add_session(self, grant: WebGrant, now: datetime) -> None:
        params = (grant.secret_hash, grant.user_id, grant.consultation_id, to_iso(now))
        await self._db.execute(_ADD_SESSION, (*params, to_iso(grant.expires_at)))

    async def session(self, session_hash: str, now: datetime) -> WebGrant | None:
        async with self._db.execute(_FIND_SESSION, (session_hash, to_iso(now))) as cursor:
            row = await cursor.fetchone()
        return _grant(row) if row else None

    async def end_session(self, session_hash: str) -> None:
        await self._db.execute(_END_SESSION, (session_hash,))

    async def purge(self, now: datetime) -> None:
        """Links and sessions past their time: nothing left to open."""
        for sql in _PURGE:
            await self._db.execute(sql, (to_iso(now),))

    async def forget(self, user_id: int) -> None:
        for sql in _FORGET:
            await self._db.execute(sql, (user_id,))
