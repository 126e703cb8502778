"""Organisers' broadcasts: drafts, schedules, and their recipients written to the outbox."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import from_iso, in_transaction, to_iso
from bot.storage.outbox import note_planned

DRAFT = "draft"
SCHEDULED = "scheduled"
SENDING = "sending"
DONE = "done"
CANCELLED = "cancelled"

KIND = "broadcast"  # the outbox rows' kind


def subject_of(broadcast_id: int) -> str:
    """The outbox subject that groups one broadcast's rows."""
    return f"{KIND}:{broadcast_id}"


@dataclass(frozen=True)
class BroadcastRecord:
    id: int
    created_by: int | None
    origin: str
    consultation_id: str | None
    texts: dict[str, str]
    fallback: str | None
    media_kind: str | None
    media_file_id: str | None
    audience: dict[str, Any]
    state: str
    awaiting: str | None
    awaiting_until: datetime | None
    scheduled_at: datetime | None
    recipients: int | None
    progress_chat_id: int | None
    progress_message_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    console_user: int | None = None  # composed in this delegate's console chat


@dataclass(frozen=True)
class AudienceQuery:
    """Which delegates a broadcast reaches, as the parameters of one of the WHERE clauses."""

    kind: str  # all, consultation, language, session, role
    consultation_id: str | None = None
    unset_in: bool = False  # delegates who never chose a consultation belong to this one
    language: str | None = None
    session_id: str | None = None
    role: str | None = None
    role_ids: tuple[int, ...] = ()

    def params(self) -> dict[str, Any]:
        return {
            "consultation": self.consultation_id,
            "unset_in": int(self.unset_in),
            "lang": self.language,
            "session": self.session_id,
            "role": self.role,
            "role_ids": json.dumps(list(self.role_ids)),
        }


_COLUMNS = (
    "id, created_by, origin, consultation_id, texts, fallback, media_kind, media_file_id, "
    "audience, state, awaiting, awaiting_until, scheduled_at, recipients, progress_chat_id, "
    "progress_message_id, created_at, started_at, finished_at, console_user"
)
_IN_CONSULTATION = (
    "(u.consultation_id = :consultation OR (u.consultation_id IS NULL AND :unset_in = 1))"
)
# The delegates each kind of audience reaches; inactive ones (who blocked the bot) never, nor
# those of the other world: the console chat's delegates are no one on Telegram (migration 018),
# and a broadcast composed in the console reaches them only.
_REACHABLE = "u.active = 1 AND u.console = :console"
_WHERE = {
    "all": _REACHABLE,
    "consultation": f"{_REACHABLE} AND {_IN_CONSULTATION}",
    "language": (
        f"{_REACHABLE} AND {_IN_CONSULTATION} AND COALESCE(u.language, u.client_language) = :lang"
    ),
    "session": (
        f"{_REACHABLE} AND u.user_id IN (SELECT user_id FROM bookmarks "
        "WHERE consultation_id = :consultation AND session_id = :session)"
    ),
    "role": (
        f"{_REACHABLE} AND (u.user_id IN (SELECT user_id FROM roles WHERE role = :role) "
        "OR u.user_id IN (SELECT value FROM json_each(:role_ids)))"
    ),
}
AUDIENCE_KINDS = tuple(_WHERE)
_COUNT_BY_LANGUAGE = {
    kind: f"SELECT COALESCE(u.language, u.client_language) AS lang, COUNT(*) AS n "
    f"FROM users u WHERE {where} GROUP BY lang"
    for kind, where in _WHERE.items()
}
# One outbox row per recipient; a key already there (a restart half-way) is left alone.
_FILL = {
    kind: "INSERT OR IGNORE INTO outbox (kind, key, user_id, consultation_id, subject, payload, "
    "due_at, not_before, created_at, updated_at) "
    f"SELECT '{KIND}', :subject || ':' || u.user_id, u.user_id, :consultation, :subject, "
    f":payload, :now, :now, :now, :now FROM users u WHERE {where}"
    for kind, where in _WHERE.items()
}
_COUNT_ROWS = "SELECT COUNT(*) FROM outbox WHERE subject = ?"

_CREATE = """
INSERT INTO broadcasts (id, created_by, origin, consultation_id, texts, fallback, media_kind,
                        media_file_id, audience, state, awaiting, awaiting_until, scheduled_at,
                        created_at, updated_at, console_user)
VALUES (MAX((SELECT COALESCE(MAX(id), 0) FROM broadcasts), (SELECT id FROM broadcast_last_id)) + 1,
        ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_GET = f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?"
_DRAFT_OF = f"""
SELECT {_COLUMNS} FROM broadcasts WHERE created_by = ? AND state = 'draft'
ORDER BY id DESC LIMIT 1
"""
# A process starts, follows, lists and stops the broadcasts of its own world only: the real
# bot those composed in Telegram or queued from the command line (console_user NULL), a console
# chat those composed in it (`console_user IS ?` matches NULL with NULL).
_AWAITING = f"""
SELECT {_COLUMNS} FROM broadcasts
WHERE state = 'draft' AND awaiting IS NOT NULL AND created_by IS NOT NULL AND console_user IS ?
"""
_DISCARD_OTHER_DRAFTS = "DELETE FROM broadcasts WHERE created_by = ? AND state = 'draft'"
_SET_CONTENT = """
UPDATE broadcasts SET texts = ?, fallback = ?, media_kind = ?, media_file_id = ?,
    awaiting = NULL, awaiting_until = NULL, updated_at = ?
WHERE id = ? AND state = 'draft'
"""
_SET_AUDIENCE = """
UPDATE broadcasts SET audience = ?, consultation_id = ?, updated_at = ?
WHERE id = ? AND state = 'draft'
"""
_SET_AWAITING = """
UPDATE broadcasts SET awaiting = ?, awaiting_until = ?, updated_at = ?
WHERE id = ? AND state = 'draft'
"""
_DELETE_DRAFT = "DELETE FROM broadcasts WHERE id = ? AND state = 'draft'"
_SCHEDULE = """
UPDATE broadcasts SET state = 'scheduled', scheduled_at = ?, awaiting = NULL,
    awaiting_until = NULL, progress_chat_id = ?, progress_message_id = ?, updated_at = ?
WHERE id = ? AND state = 'draft'
"""
_SET_PROGRESS = """
UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ?, updated_at = ? WHERE id = ?
"""
_DUE = f"""
SELECT {_COLUMNS} FROM broadcasts
WHERE state = 'scheduled' AND scheduled_at <= ? AND console_user IS ?
ORDER BY scheduled_at, id
"""
_STATE = "SELECT state FROM broadcasts WHERE id = ?"
_START = """
UPDATE broadcasts SET state = 'sending', recipients = ?, started_at = ?, updated_at = ?
WHERE id = ? AND state = 'scheduled'
"""
_SENDING = (
    f"SELECT {_COLUMNS} FROM broadcasts WHERE state = 'sending' AND console_user IS ? ORDER BY id"
)
_OPEN_ROWS = """
SELECT COUNT(*) FROM outbox WHERE subject = ? AND state IN ('pending', 'sending')
"""
_FINISH = """
UPDATE broadcasts SET state = 'done', finished_at = ?, updated_at = ?
WHERE id = ? AND state = 'sending'
"""
_CANCEL = """
UPDATE broadcasts SET state = 'cancelled', finished_at = ?, awaiting = NULL, updated_at = ?
WHERE id = ? AND state IN ('scheduled', 'sending') AND console_user IS ?
"""
_CANCEL_ROWS = """
UPDATE outbox SET state = 'cancelled', reason = 'broadcast cancelled', updated_at = ?
WHERE subject = ? AND state = 'pending'
"""
_RECENT = f"""
SELECT {_COLUMNS} FROM broadcasts WHERE state != 'draft' AND console_user IS ?
  AND (? IS NULL OR consultation_id IS NULL OR consultation_id = ?)
ORDER BY CASE state WHEN 'scheduled' THEN 0 WHEN 'sending' THEN 0 ELSE 1 END,
         COALESCE(started_at, scheduled_at, created_at) DESC, id DESC
LIMIT ?
"""
_FAILURES = """
SELECT state, IFNULL(reason, '') AS reason, COUNT(*) AS n FROM outbox
WHERE subject = ? AND state IN ('failed', 'skipped', 'expired') GROUP BY state, reason
ORDER BY n DESC
"""
_UNKNOWN = """
SELECT o.user_id, IFNULL(u.first_name, '') AS first_name FROM outbox o
LEFT JOIN users u ON u.user_id = o.user_id
WHERE o.subject = ? AND o.state = 'unknown' ORDER BY o.user_id LIMIT ?
"""


def _record(row: aiosqlite.Row | sqlite3.Row) -> BroadcastRecord:
    def moment(name: str) -> datetime | None:
        value = row[name]
        return from_iso(value) if value else None

    return BroadcastRecord(
        id=row["id"],
        created_by=row["created_by"],
        origin=row["origin"],
        consultation_id=row["consultation_id"],
        texts=json.loads(row["texts"]),
        fallback=row["fallback"],
        media_kind=row["media_kind"],
        media_file_id=row["media_file_id"],
        audience=json.loads(row["audience"]),
        state=row["state"],
        awaiting=row["awaiting"],
        awaiting_until=moment("awaiting_until"),
        scheduled_at=moment("scheduled_at"),
        recipients=row["recipients"],
        progress_chat_id=row["progress_chat_id"],
        progress_message_id=row["progress_message_id"],
        created_at=from_iso(row["created_at"]),
        started_at=moment("started_at"),
        finished_at=moment("finished_at"),
        console_user=row["console_user"],
    )


class BroadcastStore:
    def __init__(
        self, connection: aiosqlite.Connection, *, console_user: int | None = None
    ) -> None:
        """`console_user`: the console chat's delegate, whose broadcasts (composed in that
        console, to console delegates) are the only ones this store starts, follows and lists;
        None: the real bot's and the command line's, to delegates on Telegram."""
        self._db = connection
        self._console_user = console_user

    async def create(
        self,
        *,
        created_by: int | None,
        origin: str,
        consultation_id: str | None,
        audience: dict[str, Any],
        now: datetime,
        texts: dict[str, str] | None = None,
        fallback: str | None = None,
        state: str = DRAFT,
        awaiting: str | None = None,
        awaiting_until: datetime | None = None,
        scheduled_at: datetime | None = None,
    ) -> BroadcastRecord:
        """A new broadcast; an organiser's other drafts are discarded (one draft at a time)."""
        stamp = to_iso(now)
        values = (
            created_by,
            origin,
            consultation_id,
            json.dumps(texts or {}, ensure_ascii=False, sort_keys=True),
            fallback,
            None,
            None,
            json.dumps(audience, sort_keys=True),
            state,
            awaiting,
            to_iso(awaiting_until) if awaiting_until else None,
            to_iso(scheduled_at) if scheduled_at else None,
            stamp,
            stamp,
            self._console_user,
        )

        def write(connection: sqlite3.Connection) -> int:
            if created_by is not None:
                connection.execute(_DISCARD_OTHER_DRAFTS, (created_by,))
            cursor = connection.execute(_CREATE, values)
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        ident = await in_transaction(self._db, write)
        record = await self.get(ident)
        assert record is not None
        return record

    async def get(self, broadcast_id: int) -> BroadcastRecord | None:
        async with self._db.execute(_GET, (broadcast_id,)) as cursor:
            row = await cursor.fetchone()
        return _record(row) if row else None

    async def draft_of(self, user_id: int) -> BroadcastRecord | None:
        async with self._db.execute(_DRAFT_OF, (user_id,)) as cursor:
            row = await cursor.fetchone()
        return _record(row) if row else None

    async def awaiting(self) -> list[BroadcastRecord]:
        """Drafts whose organiser is expected to type something (loaded at start)."""
        async with self._db.execute(_AWAITING, (self._console_user,)) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def set_content(
        self,
        broadcast_id: int,
        texts: dict[str, str],
        fallback: str | None,
        media: tuple[str, str] | None,
        now: datetime,
    ) -> None:
        kind, file_id = media if media else (None, None)
        await self._db.execute(
            _SET_CONTENT,
            (
                json.dumps(texts, ensure_ascii=False, sort_keys=True),
                fallback,
                kind,
                file_id,
                to_iso(now),
                broadcast_id,
            ),
        )

    async def set_audience(
        self,
        broadcast_id: int,
        audience: dict[str, Any],
        consultation_id: str | None,
        now: datetime,
    ) -> None:
        await self._db.execute(
            _SET_AUDIENCE,
            (json.dumps(audience, sort_keys=True), consultation_id, to_iso(now), broadcast_id),
        )

    async def set_awaiting(
        self, broadcast_id: int, awaiting: str | None, until: datetime | None, now: datetime
    ) -> None:
        await self._db.execute(
            _SET_AWAITING,
            (awaiting, to_iso(until) if until else None, to_iso(now), broadcast_id),
        )

    async def discard(self, broadcast_id: int) -> bool:
        cursor = await self._db.execute(_DELETE_DRAFT, (broadcast_id,))
        return cursor.rowcount > 0

    async def schedule(
        self,
        broadcast_id: int,
        at: datetime,
        progress: tuple[int, int] | None,
        now: datetime,
    ) -> bool:
        chat, message = progress if progress else (None, None)
        cursor = await self._db.execute(
            _SCHEDULE, (to_iso(at), chat, message, to_iso(now), broadcast_id)
        )
        return cursor.rowcount > 0

    async def set_progress_message(
        self, broadcast_id: int, chat_id: int, message_id: int, now: datetime
    ) -> None:
        await self._db.execute(_SET_PROGRESS, (chat_id, message_id, to_iso(now), broadcast_id))

    async def due(self, now: datetime) -> list[BroadcastRecord]:
        async with self._db.execute(_DUE, (to_iso(now), self._console_user)) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def start(self, broadcast_id: int, audience: AudienceQuery, now: datetime) -> int | None:
        """Write one outbox row per recipient and mark the broadcast sending, in one transaction.

        Returns the number of recipients, or None when it was no longer scheduled.
        """
        stamp = to_iso(now)
        subject = subject_of(broadcast_id)
        params = {
            **self._audience_params(audience),
            "subject": subject,
            "payload": json.dumps({"broadcast": broadcast_id}),
            "now": stamp,
        }

        def write(connection: sqlite3.Connection) -> int | None:
            row = connection.execute(_STATE, (broadcast_id,)).fetchone()
            if row is None or row[0] != SCHEDULED:
                return None
            connection.execute(_FILL[audience.kind], params)
            count = int(connection.execute(_COUNT_ROWS, (subject,)).fetchone()[0])
            connection.execute(_START, (count, stamp, stamp, broadcast_id))
            return count

        count = await in_transaction(self._db, write)
        if count is not None:
            note_planned(self._db)
        return count

    def _audience_params(self, audience: AudienceQuery) -> dict[str, Any]:
        return {**audience.params(), "console": int(self._console_user is not None)}

    async def count_by_language(self, audience: AudienceQuery) -> dict[str | None, int]:
        """How many delegates the audience reaches now, by the language they read."""
        sql, params = _COUNT_BY_LANGUAGE[audience.kind], self._audience_params(audience)
        async with self._db.execute(sql, params) as cur:
            rows = await cur.fetchall()
        return {row["lang"]: row["n"] for row in rows}

    async def sending(self) -> list[BroadcastRecord]:
        async with self._db.execute(_SENDING, (self._console_user,)) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def open_rows(self, broadcast_id: int) -> int:
        """Recipients not yet settled (pending, or being sent)."""
        async with self._db.execute(_OPEN_ROWS, (subject_of(broadcast_id),)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def finish(self, broadcast_id: int, now: datetime) -> bool:
        stamp = to_iso(now)
        cursor = await self._db.execute(_FINISH, (stamp, stamp, broadcast_id))
        return cursor.rowcount > 0

    async def cancel(self, broadcast_id: int, now: datetime) -> bool:
        """Stop a scheduled or running broadcast: rows not yet sent are cancelled with it."""
        stamp = to_iso(now)
        subject = subject_of(broadcast_id)

        def write(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(_CANCEL, (stamp, stamp, broadcast_id, self._console_user))
            if cursor.rowcount == 0:
                return False
            connection.execute(_CANCEL_ROWS, (stamp, subject))
            return True

        return await in_transaction(self._db, write)

    async def recent(self, consultation_id: str | None, limit: int) -> list[BroadcastRecord]:
        """Scheduled and running first, then the latest; of one consultation (and global ones)."""
        params = (self._console_user, consultation_id, consultation_id, limit)
        async with self._db.execute(_RECENT, params) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def failures(self, broadcast_id: int) -> list[tuple[str, str, int]]:
        """(state, reason, count) of the recipients it did not reach, most frequent first."""
        async with self._db.execute(_FAILURES, (subject_of(broadcast_id),)) as cursor:
            rows = await cursor.fetchall()
        return [(row["state"], row["reason"], row["n"]) for row in rows]

    async def unknown(self, broadcast_id: int, limit: int) -> list[tuple[int, str]]:
        """Recipients it may or may not have reached (never resent on their own)."""
        async with self._db.execute(_UNKNOWN, (subject_of(broadcast_id), limit)) as cursor:
            rows = await cursor.fetchall()
        return [(row["user_id"], row["first_name"]) for row in rows]
