"""A consistent copy of the live database (SQLite's online backup API), and putting one back."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.storage.database import latest_schema_version
from bot.storage.lock import DatabaseLock

_CHECK = "PRAGMA integrity_check"
# What SQLite keeps beside a database. In WAL mode the -wal holds committed pages not yet in the
# file, and SQLite applies it to whatever file bears the database's name at the next open: copy
# a backup over the database and leave these, and the backup is "restored" with newer or
# foreign pages in it.
_COMPANIONS = ("-wal", "-shm", "-journal")
# Tables every version of this bot's schema has (migration 001).
_OWN_TABLES = frozenset({"users", "bookmarks", "roles"})
ASIDE_FOLDER = "before-restore"


class RestoreError(Exception):
    """The restore did not happen, or went wrong; the message says why and where the files are."""


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    backup: Path
    database: Path
    schema: int  # the restored database's user_version
    aside: Path | None  # the folder holding the files it replaced; None when there were none
    moved: tuple[str, ...]  # their names


def backup_database(source: Path, target: Path, *, pages_per_step: int = 1024) -> None:
    """Copy `source` to `target` page by page; safe while the bot writes (WAL, busy timeout)."""
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # A shared hold, like the bot's: not while a restore swaps the files.
    with (
        _holding(DatabaseLock(source), exclusive=False),
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=10)) as live,
        closing(sqlite3.connect(partial)) as copy,
    ):
        live.backup(copy, pages=pages_per_step)
        row = copy.execute(_CHECK).fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its integrity check: {row}")
        # A self-contained file: no -wal beside it to lose.
        copy.execute("PRAGMA journal_mode=DELETE")
    partial.replace(target)


def check_backup(backup: Path) -> int:
    """The backup's schema version, once it is known to be a sound database of this bot."""
    if not backup.is_file():
        raise RestoreError(f"There is no file at {backup}.")
    try:
        # Read-only: checking a backup must not change it.
        with closing(_read_only(backup)) as copy:
            _require_sound(copy, str(backup))
            version = int(copy.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"{backup} is not a readable SQLite database ({exc}).") from None
    latest = latest_schema_version()
    missing = sorted(_OWN_TABLES - tables)
    if version == 0 or missing:
        lacks = (
            f"no {', '.join(missing)} table{'s' * (len(missing) > 1)}"
            if missing
            else "no schema version"
        )
        raise RestoreError(f"{backup} is an SQLite database, but not this bot's ({lacks}).")
    if version > latest:
        raise RestoreError(
            f"{backup} comes from a newer version of the bot (schema {version}; this one knows "
            f"up to {latest}). Restore it with that version."
        )
    return version


def restore_database(backup: Path, database: Path, *, now: datetime) -> Restored:
    """Put `backup` in place of `database`, its current files set aside; nothing may use it.

    Refuses (DatabaseBusy) while a bot or a command has the database open, and (RestoreError)
    when the backup is not a sound database of this bot; in both cases nothing is touched.
    """
    if backup.resolve() == database.resolve():
        raise RestoreError(f"{backup} is the database itself; name a backup file.")
    folder = database.parent
    folder.mkdir(parents=True, exist_ok=True)
    with _holding(DatabaseLock(database), exclusive=True):
        schema = check_backup(backup)
        # The copy is made and checked beside the database first, so that the files are only
        # swapped (a few renames) once it is known good.
        partial = database.with_name(database.name + ".restoring")
        try:
            _copy_into(backup, partial)
        except BaseException as exc:
            partial.unlink(missing_ok=True)
            raise RestoreError(f"The restore failed ({exc}); {database} is as it was.") from exc
        # Renames within the database's folder, never copies: the -wal goes with the file it
        # belongs to, so the set-aside database still opens to its latest state.
        present = tuple(
            name
            for name in (database.name, *(database.name + s for s in _COMPANIONS))
            if (folder / name).exists()
        )
        aside: Path | None = None
        try:
            if present:
                aside = _new_folder(folder / ASIDE_FOLDER, now.strftime("%Y%m%dT%H%M%SZ"))
                for name in present:
                    os.replace(folder / name, aside / name)
            os.replace(partial, database)
        except BaseException as exc:
            partial.unlink(missing_ok=True)
            left = _put_back(aside, folder, present) if aside is not None else []
            where = f"the previous files are in {aside}" if left else f"{database} is as it was"
            raise RestoreError(f"The restore failed ({exc}); {where}.") from exc
        _sync_folder(folder)
        try:
            with closing(sqlite3.connect(database)) as restored:
                _require_sound(restored, f"the restored {database}")
        except (RestoreError, sqlite3.DatabaseError) as exc:
            kept = f"; the previous files are in {aside}" if aside else ""
            raise RestoreError(f"{exc}{kept}") from exc
    return Restored(backup, database, schema, aside, present)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def _copy_into(backup: Path, target: Path) -> None:
    """Copy through SQLite, not the bytes: a -wal beside the backup is taken in, consistently."""
    with closing(_read_only(backup)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        _require_sound(copy, "the copy of the backup")
    with target.open("rb") as handle:
        os.fsync(handle.fileno())


def _put_back(aside: Path, folder: Path, names: tuple[str, ...]) -> list[str]:
    """Undo the setting aside (the backup was not put in place); the names left aside."""
    left = []
    for name in names:
        if not (aside / name).exists():
            continue
        if (folder / name).exists():
            left.append(name)
        else:
            os.replace(aside / name, folder / name)
    if not left:
        aside.rmdir()
    return left


def _require_sound(connection: sqlite3.Connection, what: str) -> None:
    rows = [row[0] for row in connection.execute(_CHECK).fetchall()]
    if rows != ["ok"]:
        raise RestoreError(f"{what} fails SQLite's integrity check: {'; '.join(rows[:5])}")


def _new_folder(parent: Path, name: str) -> Path:
    """A new folder under `parent`: `name`, else `name-2`, `name-3`…"""
    parent.mkdir(parents=True, exist_ok=True)
    for number in range(1, 100):
        folder = parent / (name if number == 1 else f"{name}-{number}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise RestoreError(f"could not make a new folder under {parent}")


def _sync_folder(folder: Path) -> None:
    """Make the renames in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _holding(lock: DatabaseLock, *, exclusive: bool) -> Iterator[None]:
    if exclusive:
        lock.take()
    else:
        lock.share()
    try:
        yield
    finally:
        lock.release()
