"""Reading the database from outside the bot, for `python -m bot health`: nothing is written."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote


def schema_version_of(database: Path, *, timeout: float) -> int:
    """The database's `user_version`, read-only; sqlite3.Error when it cannot be read within
    `timeout` seconds (locked, damaged, not a database)."""
    uri = f"file:{quote(str(database))}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=timeout)) as connection:
        # Reads the first page: a file that is not a database fails here.
        row = connection.execute("PRAGMA user_version").fetchone()
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return int(row[0]) if row else 0
