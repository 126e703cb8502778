"""Quick polls: drafts, their texts per language, recipients, answers (migration 031)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.storage.database import from_iso, in_transaction, to_iso
from bot.storage.outbox import Planned, add_rows, note_planned

SINGLE = "single"
MULTIPLE = "multiple"
SCALE = "scale"
KINDS = (SINGLE, MULTIPLE, SCALE)
SCALE_POINTS = 5

DRAFT = "draft"
OPEN = "open"
CLOSED = "closed"

# What answering did (or why nothing was counted).
COUNTED = "counted"
UNCHANGED = "unchanged"  # the same tap again: nothing to count, nothing to show anew
POLL_CLOSED = "closed"
NOT_SENT = "not_sent"  # the delegate is not among those the poll was sent to
NO_SUCH_OPTION = "no_such_option"


@dataclass(frozen=True)
class PollText:
    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class PollRecord:
    id: int
    consultation_id: str
    session_id: str
    created_by: int | None
    kind: str
    language: str
    state: str
    awaiting: str | None
    awaiting_until: datetime | None
    close_after_minutes: int | None
    close_at: datetime | None
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    texts: dict[str, PollText] = field(default_factory=dict)

    @property
    def option_count(self) -> int:
        if self.kind == SCALE:
            return SCALE_POINTS
        first = self.texts.get(self.language)
        return len(first.options) if first else 0


@dataclass(frozen=True)
class Tally:
    """Answers per option (index -> count) of those who answered, and how many did."""

    counts: dict[int, int]
    respondents: int
    recipients: int


_COLUMNS = (
    "id, consultation_id, session_id, created_by, kind, language, state, awaiting, "
    "awaiting_until, close_after_minutes, close_at, created_at, opened_at, closed_at"
)
_CREATE = """
INSERT INTO polls (consultation_id, session_id, created_by, kind, language, created_at)
VALUES (?, ?, ?, ?, ?, ?)
"""
_GET = f"SELECT {_COLUMNS} FROM polls WHERE id = ?"
_TEXTS = "SELECT language, question, options FROM poll_texts WHERE poll_id = ?"
_SET_TEXT = """
INSERT INTO poll_texts (poll_id, language, question, options) VALUES (?, ?, ?, ?)
ON CONFLICT (poll_id, language) DO UPDATE SET
    question = excluded.question, options = excluded.options
"""
_SET_LANGUAGE = "UPDATE polls SET language = ? WHERE id = ? AND state = 'draft'"
_SET_AWAITING = "UPDATE polls SET awaiting = ?, awaiting_until = ? WHERE id = ?"
_AWAITING = f"""
SELECT {_COLUMNS} FROM polls WHERE state = 'draft' AND awaiting IS NOT NULL
AND created_by IS NOT NULL
"""
_SET_CLOSE_AFTER = "UPDATE polls SET close_after_minutes = ? WHERE id = ? AND state = 'draft'"
_DISCARD = "DELETE FROM polls WHERE id = ? AND state = 'draft'"
_DISCARD_DRAFTS_OF = "DELETE FROM polls WHERE created_by = ? AND state = 'draft'"
_OPEN = """
UPDATE polls SET state = 'open', opened_at = ?, close_at = ?, awaiting = NULL,
    awaiting_until = NULL
WHERE id = ? AND state = 'draft'
"""
_ADD_RECIPIENT = "INSERT OR IGNORE INTO poll_recipients (poll_id, user_id) VALUES (?, ?)"
_CLOSE = "UPDATE polls SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'"
_CLOSING = f"SELECT {_COLUMNS} FROM polls WHERE state = 'open' AND close_at IS NOT NULL"
_STATE = "SELECT state, kind FROM polls WHERE id = ?"
_IS_RECIPIENT = "SELECT answered FROM poll_recipients WHERE poll_id = ? AND user_id = ?"
_CLEAR_OTHERS = "DELETE FROM poll_answers WHERE poll_id = ? AND user_id = ? AND option != ?"
_CHOOSE = """
INSERT INTO poll_answers (poll_id, user_id, option, answered_at) VALUES (?, ?, ?, ?)
ON CONFLICT (poll_id, user_id, option) DO NOTHING
"""
_UNCHOOSE = "DELETE FROM poll_answers WHERE poll_id = ? AND user_id = ? AND option = ?"
_MARK_ANSWERED = "UPDATE poll_recipients SET answered = 1 WHERE poll_id = ? AND user_id = ?"
_SUBMIT = """
UPDATE poll_recipients SET answered = 1 WHERE poll_id = ? AND user_id = ? AND answered = 0
"""
_CHOICES = "SELECT option FROM poll_answers WHERE poll_id = ? AND user_id = ? ORDER BY option"
# One statement (read on every answer of a burst): the recipients and respondents first, as
# option -1, then the count of each option among those who answered.
_TALLY = """
SELECT -1, COUNT(*), COALESCE(SUM(answered), 0) FROM poll_recipients WHERE poll_id = ?1
UNION ALL
SELECT a.option, COUNT(*), 0 FROM poll_answers a
JOIN poll_recipients r ON r.poll_id = a.poll_id AND r.user_id = a.user_id
WHERE a.poll_id = ?1 AND r.answered = 1 GROUP BY a.option
"""
_SET_MESSAGE = "UPDATE poll_recipients SET message_id = ? WHERE poll_id = ? AND user_id = ?"
_MESSAGES = """
SELECT user_id, message_id FROM poll_recipients WHERE poll_id = ? AND message_id IS NOT NULL
"""
_OF_SESSION = f"""
SELECT {_COLUMNS} FROM polls WHERE consultation_id = ? AND session_id = ? AND state != 'draft'
ORDER BY id DESC LIMIT ?
"""
_OF_CONSULTATION = f"""
SELECT {_COLUMNS} FROM polls WHERE consultation_id = ? AND state != 'draft' ORDER BY id
"""
_FORGET = (
    "DELETE FROM poll_answers WHERE user_id = ?",
    "DELETE FROM poll_recipients WHERE user_id = ?",
    "UPDATE polls SET created_by = NULL WHERE created_by = ?",
)


def _stamp(value: str | None) -> datetime | None:
    return from_iso(value) if value else None


def _record(row: aiosqlite.Row | sqlite3.Row, texts: dict[str, PollText]) -> PollRecord:
    return PollRecord(
        id=row[0],
        consultation_id=row[1],
        session_id=row[2],
        created_by=row[3],
        kind=row[4],
        language=row[5],
        state=row[6],
        awaiting=row[7],
        awaiting_until=_stamp(row[8]),
        close_after_minutes=row[9],
        close_at=_stamp(row[10]),
        created_at=from_iso(row[11]),
        opened_at=_stamp(row[12]),
        closed_at=_stamp(row[13]),
        texts=texts,
    )


class PollStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def create(
        self,
        consultation_id: str,
        session_id: str,
        created_by: int,
        kind: str,
        language: str,
        now: datetime,
    ) -> int:
        """A new draft; the chair's other drafts are dropped (one wizard at a time)."""

        def work(db: sqlite3.Connection) -> int:
            db.execute(_DISCARD_DRAFTS_OF, (created_by,))
            cursor = db.execute(
                _CREATE, (consultation_id, session_id, created_by, kind, language, to_iso(now))
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        return await in_transaction(self._db, work)

    async def get(self, poll_id: int) -> PollRecord | None:
        async with self._db.execute(_GET, (poll_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return _record(row, await self._texts(poll_id))

    async def _texts(self, poll_id: int) -> dict[str, PollText]:
        async with self._db.execute(_TEXTS, (poll_id,)) as cursor:
            rows = await cursor.fetchall()
        return {
            row["language"]: PollText(row["question"], tuple(json.loads(row["options"])))
            for row in rows
        }

    async def _many(self, sql: str, parameters: Sequence[object]) -> list[PollRecord]:
        async with self._db.execute(sql, parameters) as cursor:
            rows = await cursor.fetchall()
        return [_record(row, await self._texts(row["id"])) for row in rows]

    async def set_text(
        self, poll_id: int, language: str, text: PollText, *, first: bool = False
    ) -> None:
        """The text in one language; `first`: it becomes the poll's language too."""
        options = json.dumps(list(text.options), ensure_ascii=False)

        def work(db: sqlite3.Connection) -> None:
            db.execute(_SET_TEXT, (poll_id, language, text.question, options))
            if first:
                db.execute(_SET_LANGUAGE, (language, poll_id))

        await in_transaction(self._db, work)

    async def set_awaiting(
        self, poll_id: int, language: str | None, until: datetime | None
    ) -> None:
        await self._db.execute(
            _SET_AWAITING, (language, to_iso(until) if until else None, poll_id)
        )

    async def awaiting(self) -> list[PollRecord]:
        return await self._many(_AWAITING, ())

    async def set_close_after(self, poll_id: int, minutes: int | None) -> None:
        await self._db.execute(_SET_CLOSE_AFTER, (minutes, poll_id))

    async def discard(self, poll_id: int) -> bool:
        cursor = await self._db.execute(_DISCARD, (poll_id,))
        return cursor.rowcount > 0

    async def open(
        self,
        poll_id: int,
        recipients: Sequence[int],
        rows: Sequence[Planned],
        close_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Open a draft: its recipients and their outbox rows, in one transaction (or nothing,
        when it is no longer a draft)."""

        def work(db: sqlite3.Connection) -> bool:
            stamp = to_iso(close_at) if close_at else None
            if db.execute(_OPEN, (to_iso(now), stamp, poll_id)).rowcount == 0:
                return False
            db.executemany(_ADD_RECIPIENT, [(poll_id, user) for user in recipients])
            add_rows(db, rows, now)
            return True

        opened = await in_transaction(self._db, work)
        note_planned(self._db)
        return opened

    async def close(self, poll_id: int, rows: Sequence[Planned], now: datetime) -> bool:
        """Close an open poll and plan `rows` (its messages showing the results) at once."""

        def work(db: sqlite3.Connection) -> bool:
            if db.execute(_CLOSE, (to_iso(now), poll_id)).rowcount == 0:
                return False
            add_rows(db, rows, now)
            return True

        closed = await in_transaction(self._db, work)
        note_planned(self._db)
        return closed

    async def closing(self) -> list[PollRecord]:
        """Open polls that close on their own at a set time."""
        return await self._many(_CLOSING, ())

    async def answer(
        self, poll_id: int, user_id: int, option: int, chosen: bool, now: datetime
    ) -> tuple[str, bool, frozenset[int]]:
        """Choose (or, multiple choice, unchoose) one option, in one transaction: a single
        choice or a scale keeps only the latest option; the key counts each option once.
        Returns what it did, and whether the delegate has answered and their options now."""

        def work(db: sqlite3.Connection) -> str:
            poll = db.execute(_STATE, (poll_id,)).fetchone()
            if poll is None or poll[0] != OPEN:
                return POLL_CLOSED
            if db.execute(_IS_RECIPIENT, (poll_id, user_id)).fetchone() is None:
                return NOT_SENT
            if poll[1] == MULTIPLE:
                if chosen:
                    changed = db.execute(_CHOOSE, (poll_id, user_id, option, to_iso(now)))
                else:
                    changed = db.execute(_UNCHOOSE, (poll_id, user_id, option))
                return COUNTED if changed.rowcount else UNCHANGED
            cleared = db.execute(_CLEAR_OTHERS, (poll_id, user_id, option)).rowcount
            added = db.execute(_CHOOSE, (poll_id, user_id, option, to_iso(now))).rowcount
            db.execute(_MARK_ANSWERED, (poll_id, user_id))
            return COUNTED if cleared or added else UNCHANGED

        def answered(db: sqlite3.Connection) -> tuple[str, bool, frozenset[int]]:
            outcome = work(db)
            if outcome not in (COUNTED, UNCHANGED):
                return outcome, False, frozenset()
            row = db.execute(_IS_RECIPIENT, (poll_id, user_id)).fetchone()
            chosen = frozenset(r[0] for r in db.execute(_CHOICES, (poll_id, user_id)))
            return outcome, bool(row and row[0]), chosen

        return await in_transaction(self._db, answered)

    async def submit(self, poll_id: int, user_id: int) -> str:
        """Multiple choice: the delegate is done (their choices count from now)."""

        def work(db: sqlite3.Connection) -> str:
            poll = db.execute(_STATE, (poll_id,)).fetchone()
            if poll is None or poll[0] != OPEN:
                return POLL_CLOSED
            if db.execute(_SUBMIT, (poll_id, user_id)).rowcount:
                return COUNTED
            sent = db.execute(_IS_RECIPIENT, (poll_id, user_id)).fetchone() is not None
            return UNCHANGED if sent else NOT_SENT

        return await in_transaction(self._db, work)

    async def standing(self, poll_id: int, user_id: int) -> tuple[bool, bool, frozenset[int]]:
        """Whether the delegate was sent the poll, has answered, and their options."""
        async with self._db.execute(_IS_RECIPIENT, (poll_id, user_id)) as cursor:
            row = await cursor.fetchone()
        async with self._db.execute(_CHOICES, (poll_id, user_id)) as cursor:
            chosen = frozenset(r[0] for r in await cursor.fetchall())
        return row is not None, bool(row and row[0]), chosen

    async def tally(self, poll_id: int) -> Tally:
        async with self._db.execute(_TALLY, (poll_id,)) as cursor:
            rows = await cursor.fetchall()
        counts = {row[0]: row[1] for row in rows if row[0] >= 0}
        totals = [(row[1], row[2]) for row in rows if row[0] < 0]
        recipients, respondents = totals[0] if totals else (0, 0)
        return Tally(counts, respondents, recipients)

    async def set_message(self, poll_id: int, user_id: int, message_id: int) -> None:
        await self._db.execute(_SET_MESSAGE, (message_id, poll_id, user_id))

    async def messages(self, poll_id: int) -> list[tuple[int, int]]:
        """(user, message) of every recipient whose poll message was delivered."""
        async with self._db.execute(_MESSAGES, (poll_id,)) as cursor:
            return [(row[0], row[1]) for row in await cursor.fetchall()]

    async def of_session(
        self, consultation_id: str, session_id: str, limit: int
    ) -> list[PollRecord]:
        return await self._many(_OF_SESSION, (consultation_id, session_id, limit))

    async def of_consultation(self, consultation_id: str) -> list[PollRecord]:
        return await self._many(_OF_CONSULTATION, (consultation_id,))

    async def forget(self, user_id: int) -> None:
        """The delegate's answers and their place among recipients; polls they ran stay."""

        def work(db: sqlite3.Connection) -> None:
            for sql in _FORGET:
                db.execute(sql, (user_id,))

        await in_transaction(self._db, work)
