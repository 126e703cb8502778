"""The one SQLite connection: WAL, foreign keys, numbered migrations tracked by user_version."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from bot.storage.lock import DatabaseLock

logger = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

T = TypeVar("T")


def to_iso(moment: datetime) -> str:
    """Store times as UTC ISO-8601."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("bot.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


async def in_transaction(
    connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """Run `work` (plain sqlite3 calls, no awaiting) as one write transaction of its own.

    The connection is shared by every handler and job. aiosqlite runs the calls it is given one
    at a time on its own thread; a transaction made of several awaited calls would take in the
    statements other coroutines issue meanwhile, and its ROLLBACK would undo them. So the whole
    transaction is handed over as one call: nothing can slip in between its statements.
    """

    def run() -> T:
        raw = connection._conn  # the sqlite3 connection, used only on aiosqlite's thread
        raw.execute("BEGIN IMMEDIATE")
        try:
            result = work(raw)
            raw.execute("COMMIT")
        except BaseException:
            # A COMMIT can fail too (a write statement of another caller still in progress):
            # the transaction must not stay open, or every later write would join it and none
            # would ever be committed.
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        return result

    # aiosqlite's queue of calls for its thread; it has no public way to run a function there.
    submit = cast(Callable[[Callable[[], T]], Awaitable[T]], connection._execute)
    return await submit(run)


async def write_returning(
    connection: aiosqlite.Connection, sql: str, parameters: Sequence[Any]
) -> list[sqlite3.Row]:
    """Run a write with RETURNING and read all its rows in one call on aiosqlite's thread.

    Such a statement holds its write open until its last row is read: run as `execute`, then
    `fetchall`, another caller's transaction could run in between and fail to commit.
    """
    rows = await connection.execute_fetchall(sql, parameters)
    return list(rows)


def latest_schema_version() -> int:
    """The `user_version` of a database with every migration applied."""
    return max(number for number, _ in _migrations())


class Database:
    """Owns the aiosqlite connection; repositories borrow it."""

    def __init__(self, connection: aiosqlite.Connection, lock: DatabaseLock | None = None) -> None:
        self.connection = connection
        self._lock = lock

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating and migrating) the database; DatabaseBusy while a restore runs."""
        lock: DatabaseLock | None = None
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Held until close(): `python -m bot restore` refuses while it is (see lock.py).
            lock = DatabaseLock(Path(path))
            lock.share()
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        database = cls(connection, lock)
        try:
            connection.row_factory = aiosqlite.Row
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA busy_timeout=5000")
            # What is deleted is overwritten, not left in free space: what /forget deletes, or
            # the ids taken out of anonymous rows, cannot be read back from the file or a copy.
            await connection.execute("PRAGMA secure_delete=ON")
            await database.migrate()
        except BaseException:
            await database.close()
            raise
        return database

    async def migrate(self) -> None:
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        pending = [(number, script) for number, script in _migrations() if number > current]
        if not pending:
            return
        # A migration may rebuild a table others refer to (create, copy, drop, rename): with
        # foreign keys on, dropping the old one would delete the rows referring to it. They are
        # off while migrating (the pragma has no effect inside a transaction), and each
        # migration is checked before it commits.
        await self.connection.execute("PRAGMA foreign_keys=OFF")
        try:
            for number, script in pending:
                logger.info("Applying database migration %03d", number)
                await self._apply(number, script)
        finally:
            await self.connection.execute("PRAGMA foreign_keys=ON")

    async def _dangling(self) -> set[tuple[object, ...]]:
        async with self.connection.execute("PRAGMA foreign_key_check") as cursor:
            return {tuple(row) for row in await cursor.fetchall()}

    async def _apply(self, number: int, script: str) -> None:
        # Only what the migration breaks counts: a reference an older version already left
        # dangling is not this migration's doing, and refusing to upgrade would not mend it.
        before = await self._dangling()
        try:
            await self.connection.executescript(
                f"BEGIN;\n{script}\nPRAGMA user_version = {number};"
            )
            broken = sorted(await self._dangling() - before, key=str)
            if broken:
                raise sqlite3.IntegrityError(
                    f"migration {number:03d} leaves rows referring to nothing: "
                    + ", ".join(f"{row[0]} row {row[1]} -> {row[2]}" for row in broken[:5])
                )
        except BaseException:
            if self.connection.in_transaction:
                await self.connection.execute("ROLLBACK")
            raise
        await self.connection.execute("COMMIT")

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` as one write transaction that no other statement joins (see in_transaction)."""
        return await in_transaction(self.connection, work)

    async def schema_version(self) -> int:
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        try:
            await self.connection.close()
        finally:
            if self._lock is not None:
                self._lock.release()
