"""The sentence encoder's vectors of the organisers' texts, kept across starts: a cache.

A file of its own next to the database (`vectors.sqlite3`), not a table in it: losing it costs
only the time to encode again, so it is not backed up, not restored and not migrated (a file of
another layout is thrown away and made again). A row is keyed by the model's name, the side the
text was encoded on (query or passage) and the SHA-256 of the text: the text itself is never
written. Only the texts a consultation's data holds go in; a delegate's question never does, nor
a phrasing taught from one (those are delegates' words, which /forget must be able to erase).

Plain sqlite3, used from the encoder's one worker thread only.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

FILE_NAME = "vectors.sqlite3"
_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('query', 'passage')),
    digest BLOB NOT NULL,   -- SHA-256 of the text (never the text)
    vector BLOB NOT NULL,   -- float32, little-endian
    PRIMARY KEY (model, side, digest)
) WITHOUT ROWID;
"""
_LOOKUP = "SELECT side, digest, vector FROM vectors WHERE model = ? AND digest IN ({marks})"
_STORE = "INSERT OR REPLACE INTO vectors (model, side, digest, vector) VALUES (?, ?, ?, ?)"
_OTHER_MODELS = "DELETE FROM vectors WHERE model != ?"
_KEEP_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS keep (side TEXT, digest BLOB, PRIMARY KEY (side, digest))
"""
_KEEP_CLEAR = "DELETE FROM keep"
_KEEP_ADD = "INSERT OR IGNORE INTO keep (side, digest) VALUES (?, ?)"
_NOT_KEPT = """
DELETE FROM vectors WHERE model = ? AND NOT EXISTS (
    SELECT 1 FROM keep WHERE keep.side = vectors.side AND keep.digest = vectors.digest
)
"""
_COUNT = "SELECT count(*) FROM vectors"
_DIGESTS = "SELECT digest FROM vectors"
# SQLite's default limit on parameters is 32,766 since 3.32; far fewer per query is plenty.
_PER_QUERY = 500

# A text as the encoder sees it: (encoded as a query, the text).
Key = tuple[bool, str]
Vector = npt.NDArray[np.float32]


def side_of(as_query: bool) -> str:
    return "query" if as_query else "passage"


def digest_of(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class VectorCache:
    """Vectors by (model, side, SHA-256 of the text), in a SQLite file of their own."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> VectorCache:
        """Open the cache, making it (again) where it is missing, unreadable or of another
        layout: it only costs encoding time."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return cls(_connect(path), path)
        except sqlite3.DatabaseError:
            logger.warning("The vector cache %s was unreadable: made anew", path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return cls(_connect(path), path)

    def close(self) -> None:
        self._db.close()

    def lookup(self, model: str, keys: Iterable[Key]) -> dict[Key, Vector]:
        """The vectors cached for these texts (the others are missing from the answer)."""
        wanted: dict[tuple[str, bytes], Key] = {
            (side_of(as_query), digest_of(text)): (as_query, text) for as_query, text in keys
        }
        digests = sorted({digest for _, digest in wanted})
        found: dict[Key, Vector] = {}
        for start in range(0, len(digests), _PER_QUERY):
            part = digests[start : start + _PER_QUERY]
            sql = _LOOKUP.format(marks=", ".join("?" * len(part)))
            for side, digest, blob in self._db.execute(sql, (model, *part)):
                key = wanted.get((side, bytes(digest)))
                if key is not None and len(blob) % 4 == 0 and blob:
                    found[key] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return found

    def store(self, model: str, items: Sequence[tuple[Key, Vector]]) -> None:
        rows = [
            (model, side_of(as_query), digest_of(text), _blob(vector))
            for (as_query, text), vector in items
        ]
        with self._db:
            self._db.executemany(_STORE, rows)

    def retain(self, model: str, keys: Iterable[Key]) -> int:
        """Forget every vector but these texts' under this model; how many were forgotten."""
        with self._db:
            removed = self._db.execute(_OTHER_MODELS, (model,)).rowcount
            self._db.execute(_KEEP_TABLE)
            self._db.execute(_KEEP_CLEAR)
            self._db.executemany(
                _KEEP_ADD, ((side_of(as_query), digest_of(text)) for as_query, text in keys)
            )
            removed += self._db.execute(_NOT_KEPT, (model,)).rowcount
            self._db.execute(_KEEP_CLEAR)
        return int(removed)

    def __len__(self) -> int:
        row = self._db.execute(_COUNT).fetchone()
        return int(row[0]) if row else 0


def _blob(vector: Vector) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, _VERSION):
            raise sqlite3.DatabaseError(f"layout {version}, not {_VERSION}")
        connection.execute("PRAGMA journal_mode=WAL")
        # A cache: a commit lost to a power cut costs an encoding, not data.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(_SCHEMA)
        connection.execute(f"PRAGMA user_version = {_VERSION}")
        checked = connection.execute("PRAGMA quick_check").fetchone()
        if checked is None or checked[0] != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {checked}")
    except sqlite3.DatabaseError:
        connection.close()
        raise
    # Back to Python's transactions for `with self._db:` (one commit per call).
    connection.isolation_level = "DEFERRED"
    return connection


def cached_digests(path: Path) -> set[bytes]:
    """What a cache file holds, read without the bot (for tests and checks)."""
    with closing(sqlite3.connect(path)) as connection:
        return {bytes(row[0]) for row in connection.execute(_DIGESTS)}
