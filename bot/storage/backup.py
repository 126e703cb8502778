"""A consistent copy of the live database, with SQLite's online backup API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

_CHECK = "PRAGMA integrity_check"


def backup_database(source: Path, target: Path, *, pages_per_step: int = 1024) -> None:
    """Copy `source` to `target` page by page; safe while the bot writes (WAL, busy timeout)."""
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=10) as live:
        copy = sqlite3.connect(partial)
        try:
            live.backup(copy, pages=pages_per_step)
            row = copy.execute(_CHECK).fetchone()
            if row is None or row[0] != "ok":
                raise sqlite3.DatabaseError(f"the copy failed its integrity check: {row}")
            # A self-contained file: no -wal beside it to lose.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    partial.replace(target)
