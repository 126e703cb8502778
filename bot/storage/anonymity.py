"""Which key the anonymous rows were written with, and the rows written before there were
authors (migration 015 lists them in `anonymise_pending`, with their delegate's id)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime

from bot.storage.database import Database, to_iso

logger = logging.getLogger(__name__)

_FINGERPRINT = "SELECT fingerprint FROM anonymity_key WHERE id = 1"
_SET_FINGERPRINT = """
INSERT INTO anonymity_key (id, fingerprint, since) VALUES (1, ?, ?)
ON CONFLICT(id) DO UPDATE SET fingerprint = excluded.fingerprint, since = excluded.since
"""
_PENDING = "SELECT table_name, row_id, user_id FROM anonymise_pending"
# Each table's rows get their author; table names come from this list only.
_SET_AUTHOR = {
    table: f"UPDATE {table} SET author = ? WHERE id = ?"
    for table in ("session_feedback", "recommendations", "helpdesk_questions", "helpdesk_tickets")
}
_DONE = "DELETE FROM anonymise_pending"


async def key_fingerprint(database: Database) -> str | None:
    """The fingerprint of the key the database's authors were written with (None: no key yet)."""
    async with database.connection.execute(_FINGERPRINT) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def set_key_fingerprint(database: Database, fingerprint: str, now: datetime) -> None:
    await database.connection.execute(_SET_FINGERPRINT, (fingerprint, to_iso(now)))


async def write_pending_authors(database: Database, author: Callable[[int], str]) -> int:
    """Give each row written before authors its author, and forget the delegate's id it was
    listed with: one transaction, which does nothing the second time. Then the file is
    rewritten (VACUUM) and the write-ahead log emptied, so that the ids are in no free page or
    old log frame either. Returns how many rows were changed."""

    def work(db: sqlite3.Connection) -> int:
        pending = db.execute(_PENDING).fetchall()
        for table, row_id, user_id in pending:
            db.execute(_SET_AUTHOR[table], (author(user_id), row_id))
        db.execute(_DONE)
        return len(pending)

    changed = await database.transaction(work)
    if changed:
        logger.info("%d anonymous rows no longer name their delegate; compacting", changed)
        await database.connection.execute("VACUUM")
        await database.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return changed
