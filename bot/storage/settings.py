"""Each delegate's reminder settings, and who should get which reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import to_iso


@dataclass(frozen=True)
class UserSettings:
    reminder_lead: int | None  # minutes; 0 is off; None is the default
    digest: bool


@dataclass(frozen=True)
class Bookmarked:
    """A starred session of an active delegate, with their reminder lead."""

    user_id: int
    consultation_id: str
    session_id: str
    reminder_lead: int | None


@dataclass(frozen=True)
class Attending:
    """A session an active delegate starred, or whose card they opened while it was on."""

    user_id: int
    consultation_id: str
    session_id: str


@dataclass(frozen=True)
class Registration:
    """An active delegate, the consultation they chose (None: not chosen) and their digest."""

    user_id: int
    consultation_id: str | None
    digest: bool


_GET = "SELECT reminder_lead, digest FROM user_settings WHERE user_id = ?"
_SET_LEAD = """
INSERT INTO user_settings (user_id, reminder_lead, updated_at) VALUES (?, ?, ?)
ON CONFLICT(user_id) DO UPDATE SET reminder_lead = excluded.reminder_lead,
    updated_at = excluded.updated_at
"""
_SET_DIGEST = """
INSERT INTO user_settings (user_id, digest, updated_at) VALUES (?, ?, ?)
ON CONFLICT(user_id) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at
"""
# Each query comes for everyone and for one delegate: `(? IS NULL OR user_id = ?)` would keep
# SQLite from using the index for the one delegate.
_BOOKMARKED = """
SELECT b.user_id, b.consultation_id, b.session_id, s.reminder_lead
FROM bookmarks b JOIN users u ON u.user_id = b.user_id
LEFT JOIN user_settings s ON s.user_id = b.user_id
WHERE u.active = 1
"""
_BOOKMARKED_BY = _BOOKMARKED + "AND b.user_id = ?\n"
_ATTENDING = """
SELECT b.user_id, b.consultation_id, b.session_id
FROM bookmarks b JOIN users u ON u.user_id = b.user_id
WHERE u.active = 1
UNION
SELECT c.user_id, c.consultation_id, c.session_id
FROM card_opens c JOIN users u ON u.user_id = c.user_id
WHERE u.active = 1
"""
_ATTENDING_BY = """
SELECT b.user_id, b.consultation_id, b.session_id
FROM bookmarks b JOIN users u ON u.user_id = b.user_id
WHERE u.active = 1 AND b.user_id = ?
UNION
SELECT c.user_id, c.consultation_id, c.session_id
FROM card_opens c JOIN users u ON u.user_id = c.user_id
WHERE u.active = 1 AND c.user_id = ?
"""
_REGISTERED = """
SELECT u.user_id, u.consultation_id, IFNULL(s.digest, 0) AS digest
FROM users u LEFT JOIN user_settings s ON s.user_id = u.user_id
WHERE u.active = 1
"""
_REGISTERED_BY = _REGISTERED + "AND u.user_id = ?\n"
_HOLDERS = """
SELECT b.user_id, b.session_id FROM bookmarks b JOIN users u ON u.user_id = b.user_id
WHERE u.active = 1 AND b.consultation_id = ?
"""


class SettingsStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def get(self, user_id: int) -> UserSettings:
        async with self._db.execute(_GET, (user_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return UserSettings(None, False)
        return UserSettings(row["reminder_lead"], bool(row["digest"]))

    async def set_reminder_lead(self, user_id: int, minutes: int, now: datetime) -> None:
        await self._db.execute(_SET_LEAD, (user_id, minutes, to_iso(now)))

    async def set_digest(self, user_id: int, enabled: bool, now: datetime) -> None:
        await self._db.execute(_SET_DIGEST, (user_id, int(enabled), to_iso(now)))

    async def bookmarked(self, user_id: int | None = None) -> list[Bookmarked]:
        """Starred sessions of active delegates (of one delegate when given)."""
        if user_id is None:
            cursor = await self._db.execute(_BOOKMARKED)
        else:
            cursor = await self._db.execute(_BOOKMARKED_BY, (user_id,))
        async with cursor:
            rows = await cursor.fetchall()
        return [
            Bookmarked(r["user_id"], r["consultation_id"], r["session_id"], r["reminder_lead"])
            for r in rows
        ]

    async def attending(self, user_id: int | None = None) -> list[Attending]:
        """Who is asked for feedback on which session: starred it, or opened it while on."""
        if user_id is None:
            cursor = await self._db.execute(_ATTENDING)
        else:
            cursor = await self._db.execute(_ATTENDING_BY, (user_id, user_id))
        async with cursor:
            rows = await cursor.fetchall()
        return [Attending(r["user_id"], r["consultation_id"], r["session_id"]) for r in rows]

    async def registered(self, user_id: int | None = None) -> list[Registration]:
        """Active delegates (one delegate when given)."""
        if user_id is None:
            cursor = await self._db.execute(_REGISTERED)
        else:
            cursor = await self._db.execute(_REGISTERED_BY, (user_id,))
        async with cursor:
            rows = await cursor.fetchall()
        return [Registration(r["user_id"], r["consultation_id"], bool(r["digest"])) for r in rows]

    async def holders(self, consultation_id: str) -> dict[str, set[int]]:
        """session id -> the active delegates who starred it."""
        result: dict[str, set[int]] = {}
        async with self._db.execute(_HOLDERS, (consultation_id,)) as cursor:
            async for row in cursor:
                result.setdefault(row["session_id"], set()).add(row["user_id"])
        return result
