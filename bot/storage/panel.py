"""Live sessions: the audience's questions to a panel, votes, pins, chairs, the chairs' live
messages and a session's recent audience.

A change that the chairs' live messages should show (a question, a vote, a chair's decision)
plans their edits through the outbox in the same transaction: the edit is owed once written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import aiosqlite

from bot.storage.database import from_iso, in_transaction, to_iso
from bot.storage.outbox import Planned, add_rows, note_planned

WAITING = "waiting"
SHOWN = "shown"
ANSWERED = "answered"
HIDDEN = "hidden"
STATUSES = (WAITING, SHOWN, ANSWERED, HIDDEN)

T = TypeVar("T")


@dataclass(frozen=True)
class PanelQuestion:
    id: int
    consultation_id: str
    session_id: str
    user_id: int | None  # only on a question asked under a name
    display_name: str | None  # None: anonymous
    language: str
    text: str
    status: str
    votes: int
    pinned: bool
    created_at: datetime

    @property
    def named(self) -> bool:
        return self.display_name is not None


@dataclass(frozen=True)
class Board:
    """A chair's live message for a session."""

    consultation_id: str
    session_id: str
    user_id: int
    chat_id: int
    message_id: int
    shown: str | None = None  # a digest of what it shows


# The edits of the session's chairs' live messages: chairs' ids -> outbox rows.
BoardEdits = Callable[[str, str, Sequence[int]], list[Planned]]


class TooMany(Exception):
    """The delegate asked the limit of questions in the period already."""


_COLUMNS = """
q.id, q.consultation_id, q.session_id, q.user_id, q.display_name, q.language, q.text, q.status,
q.created_at,
(SELECT COUNT(*) FROM panel_votes v WHERE v.question_id = q.id) AS votes,
EXISTS (SELECT 1 FROM panel_pins p WHERE p.question_id = q.id) AS pinned
"""
_RECENT = """
SELECT COUNT(*) FROM panel_questions
WHERE consultation_id = ? AND session_id = ? AND created_at >= ?
  AND (author = ? OR user_id = ?)
"""
_INSERT = """
INSERT INTO panel_questions (consultation_id, session_id, author, user_id, display_name,
                             language, text, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_GET = f"SELECT {_COLUMNS} FROM panel_questions q WHERE q.id = ?"
_OF_SESSION = f"""
SELECT {_COLUMNS} FROM panel_questions q
WHERE q.consultation_id = ? AND q.session_id = ? AND q.status IN (SELECT value FROM json_each(?))
"""
_OWN = f"""
SELECT {_COLUMNS} FROM panel_questions q
WHERE q.consultation_id = ? AND q.session_id = ? AND (q.author = ? OR q.user_id = ?)
ORDER BY q.id DESC
"""
_OF_CONSULTATION = f"""
SELECT {_COLUMNS} FROM panel_questions q WHERE q.consultation_id = ? ORDER BY q.id
"""
_COUNTS = """
SELECT status, COUNT(*) AS n FROM panel_questions
WHERE consultation_id = ? AND session_id = ? GROUP BY status
"""
_VOTED = """
SELECT question_id FROM panel_votes
WHERE voter = ? AND question_id IN (SELECT value FROM json_each(?))
"""
_UNVOTE = "DELETE FROM panel_votes WHERE question_id = ? AND voter = ?"
_VOTE = "INSERT OR IGNORE INTO panel_votes (question_id, voter) VALUES (?, ?)"
_SET_STATUS = "UPDATE panel_questions SET status = ?, updated_at = ? WHERE id = ?"
_UNPIN_QUESTION = "DELETE FROM panel_pins WHERE question_id = ?"
_PIN = """
INSERT INTO panel_pins (consultation_id, session_id, question_id, pinned_at) VALUES (?, ?, ?, ?)
ON CONFLICT (consultation_id, session_id) DO UPDATE SET
    question_id = excluded.question_id, pinned_at = excluded.pinned_at
"""
_BOARD_CHAIRS = "SELECT user_id FROM panel_boards WHERE consultation_id = ? AND session_id = ?"
_SET_BOARD = """
INSERT INTO panel_boards (consultation_id, session_id, user_id, chat_id, message_id, shown,
                          opened_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (consultation_id, session_id, user_id) DO UPDATE SET
    chat_id = excluded.chat_id, message_id = excluded.message_id, shown = excluded.shown,
    opened_at = excluded.opened_at
"""
_BOARD = """
SELECT consultation_id, session_id, user_id, chat_id, message_id, shown FROM panel_boards
WHERE consultation_id = ? AND session_id = ? AND user_id = ?
"""
_SET_SHOWN = """
UPDATE panel_boards SET shown = ?
WHERE consultation_id = ? AND session_id = ? AND user_id = ? AND message_id = ?
"""
_PREFERENCE = "SELECT named FROM panel_preferences WHERE user_id = ?"
_SET_PREFERENCE = """
INSERT INTO panel_preferences (user_id, named) VALUES (?, ?)
ON CONFLICT (user_id) DO UPDATE SET named = excluded.named
"""
_CHAIRS = """
SELECT user_id FROM session_chairs WHERE consultation_id = ? AND session_id = ? ORDER BY added_at
"""
_IS_CHAIR = """
SELECT 1 FROM session_chairs WHERE consultation_id = ? AND session_id = ? AND user_id = ?
"""
_CHAIRS_ANY = "SELECT 1 FROM session_chairs WHERE consultation_id = ? AND user_id = ? LIMIT 1"
_ADD_CHAIR = """
INSERT OR IGNORE INTO session_chairs (consultation_id, session_id, user_id, added_at)
VALUES (?, ?, ?, ?)
"""
_REMOVE_CHAIR = """
DELETE FROM session_chairs WHERE consultation_id = ? AND session_id = ? AND user_id = ?
"""
_IS_ORGANISER = "SELECT 1 FROM roles WHERE user_id = ? AND role = 'organiser'"
_VISIT = """
INSERT INTO session_visits (user_id, consultation_id, session_id, at) VALUES (?, ?, ?, ?)
ON CONFLICT (consultation_id, session_id, user_id) DO UPDATE SET at = excluded.at
"""
_AUDIENCE = """
SELECT user_id FROM session_visits WHERE consultation_id = ? AND session_id = ? AND at >= ?
ORDER BY at, user_id
"""
# Forgetting a delegate: the sessions their pseudonymous rows may be in (each session has its
# own pseudonym of them), then the rows.
_SCOPES = """
SELECT DISTINCT consultation_id, session_id FROM panel_questions
UNION SELECT DISTINCT q.consultation_id, q.session_id
FROM panel_votes v JOIN panel_questions q ON q.id = v.question_id
"""
_SESSIONS_OF_USER = """
SELECT DISTINCT consultation_id, session_id FROM panel_questions WHERE user_id = ?
"""
_SESSIONS_OF_AUTHORS = """
SELECT DISTINCT q.consultation_id, q.session_id FROM panel_questions q
WHERE q.author IN (SELECT value FROM json_each(?1))
   OR q.id IN (SELECT question_id FROM panel_votes
               WHERE voter IN (SELECT value FROM json_each(?1)))
"""
_FORGET = (
    "DELETE FROM panel_votes WHERE voter IN (SELECT value FROM json_each(?))",
    "DELETE FROM panel_questions WHERE author IN (SELECT value FROM json_each(?))",
)
_FORGET_NAMED = (
    "DELETE FROM panel_questions WHERE user_id = ?",
    "DELETE FROM panel_preferences WHERE user_id = ?",
    "DELETE FROM panel_boards WHERE user_id = ?",
    "DELETE FROM session_visits WHERE user_id = ?",
)


def _question(row: sqlite3.Row | aiosqlite.Row) -> PanelQuestion:
    return PanelQuestion(
        id=row[0],
        consultation_id=row[1],
        session_id=row[2],
        user_id=row[3],
        display_name=row[4],
        language=row[5],
        text=row[6],
        status=row[7],
        created_at=from_iso(row[8]),
        votes=int(row[9]),
        pinned=bool(row[10]),
    )


def _plan_edits(
    db: sqlite3.Connection, consultation_id: str, session_id: str, edits: BoardEdits, now: datetime
) -> bool:
    chairs = [row[0] for row in db.execute(_BOARD_CHAIRS, (consultation_id, session_id))]
    rows = edits(consultation_id, session_id, chairs) if chairs else []
    add_rows(db, rows, now)
    return bool(rows)


# The taps' updates, kept long enough for any restart to find them (migration 036).
TAPS_KEPT = timedelta(days=1)
_TAP_DONE = "SELECT voted FROM panel_vote_taps WHERE update_id = ?"
_TAP = "INSERT INTO panel_vote_taps (update_id, voted, tapped_at) VALUES (?, ?, ?)"
_PRUNE_TAPS = "DELETE FROM panel_vote_taps WHERE tapped_at < ?"


class PanelStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def _write(self, work: Callable[[sqlite3.Connection], tuple[T, bool]]) -> T:
        result, planned = await in_transaction(self._db, work)
        if planned:
            note_planned(self._db)
        return result

    # --- questions --------------------------------------------------------------------------

    async def add(
        self,
        consultation_id: str,
        session_id: str,
        *,
        author: str | None,
        user_id: int | None,
        display_name: str | None,
        language: str,
        text: str,
        status: str,
        limit: int,
        since: datetime,
        edits: BoardEdits,
        now: datetime,
    ) -> PanelQuestion:
        """Store a question, unless its delegate (`author` or `user_id`: the one that is not
        None) asked `limit` questions in the session since `since` (TooMany)."""
        stamp = to_iso(now)
        # The delegate's rows of both kinds: a pseudonym never equals an id, nor an id NULL.
        mine = (consultation_id, session_id, to_iso(since), author or "", user_id or -1)

        def work(db: sqlite3.Connection) -> tuple[PanelQuestion, bool]:
            if int(db.execute(_RECENT, mine).fetchone()[0]) >= limit:
                raise TooMany()
            cursor = db.execute(
                _INSERT,
                (
                    consultation_id,
                    session_id,
                    author,
                    user_id,
                    display_name,
                    language,
                    text,
                    status,
                    stamp,
                    stamp,
                ),
            )
            row = db.execute(_GET, (cursor.lastrowid,)).fetchone()
            return _question(row), _plan_edits(db, consultation_id, session_id, edits, now)

        question = await self._write(work)
        return question

    async def get(self, question_id: int) -> PanelQuestion | None:
        async with self._db.execute(_GET, (question_id,)) as cursor:
            row = await cursor.fetchone()
        return _question(row) if row else None

    async def of_session(
        self, consultation_id: str, session_id: str, statuses: Sequence[str]
    ) -> list[PanelQuestion]:
        """The session's questions in these statuses, in no particular order."""
        params = (consultation_id, session_id, json.dumps(list(statuses)))
        async with self._db.execute(_OF_SESSION, params) as cursor:
            return [_question(row) for row in await cursor.fetchall()]

    async def own(
        self, consultation_id: str, session_id: str, author: str, user_id: int
    ) -> list[PanelQuestion]:
        """The delegate's questions in the session (anonymous by `author`, named by id)."""
        params = (consultation_id, session_id, author, user_id)
        async with self._db.execute(_OWN, params) as cursor:
            return [_question(row) for row in await cursor.fetchall()]

    async def of_consultation(self, consultation_id: str) -> list[PanelQuestion]:
        async with self._db.execute(_OF_CONSULTATION, (consultation_id,)) as cursor:
            return [_question(row) for row in await cursor.fetchall()]

    async def counts(self, consultation_id: str, session_id: str) -> dict[str, int]:
        async with self._db.execute(_COUNTS, (consultation_id, session_id)) as cursor:
            rows = await cursor.fetchall()
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({row["status"]: row["n"] for row in rows})
        return counts

    async def voted(self, voter: str, question_ids: Sequence[int]) -> set[int]:
        async with self._db.execute(_VOTED, (voter, json.dumps(list(question_ids)))) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def toggle_vote(
        self,
        question: PanelQuestion,
        voter: str,
        edits: BoardEdits,
        now: datetime,
        tap: int | None = None,
    ) -> bool:
        """Vote for the question, or take the vote back; True when the delegate now votes.
        `tap`, the update of the button press: applied once (handled again after a restart,
        it gives the answer it gave, and toggles nothing)."""

        def work(db: sqlite3.Connection) -> tuple[bool, bool]:
            if tap is not None:
                done = db.execute(_TAP_DONE, (tap,)).fetchone()
                if done is not None:
                    return bool(done[0]), False
            voted = db.execute(_UNVOTE, (question.id, voter)).rowcount == 0
            if voted:
                db.execute(_VOTE, (question.id, voter))
            if tap is not None:
                db.execute(_PRUNE_TAPS, (to_iso(now - TAPS_KEPT),))
                db.execute(_TAP, (tap, int(voted), to_iso(now)))
            planned = _plan_edits(db, question.consultation_id, question.session_id, edits, now)
            return voted, planned

        return await self._write(work)

    async def set_status(
        self,
        question: PanelQuestion,
        status: str,
        notice: Planned | None,
        edits: BoardEdits,
        now: datetime,
    ) -> None:
        """A chair's decision; a hidden or answered question is no longer pinned."""

        def work(db: sqlite3.Connection) -> tuple[None, bool]:
            db.execute(_SET_STATUS, (status, to_iso(now), question.id))
            if status in (HIDDEN, ANSWERED):
                db.execute(_UNPIN_QUESTION, (question.id,))
            if notice is not None:
                add_rows(db, [notice], now)
            planned = _plan_edits(db, question.consultation_id, question.session_id, edits, now)
            return None, planned or notice is not None

        await self._write(work)

    async def set_pin(
        self, question: PanelQuestion, pinned: bool, edits: BoardEdits, now: datetime
    ) -> None:
        """Pin the question (in place of the session's pinned one), or unpin it."""

        def work(db: sqlite3.Connection) -> tuple[None, bool]:
            if pinned:
                db.execute(
                    _PIN,
                    (question.consultation_id, question.session_id, question.id, to_iso(now)),
                )
            else:
                db.execute(_UNPIN_QUESTION, (question.id,))
            planned = _plan_edits(db, question.consultation_id, question.session_id, edits, now)
            return None, planned

        await self._write(work)

    # --- preferences, chairs, boards, visits ------------------------------------------------

    async def named_by_default(self, user_id: int) -> bool:
        async with self._db.execute(_PREFERENCE, (user_id,)) as cursor:
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def set_named_by_default(self, user_id: int, named: bool) -> None:
        await self._db.execute(_SET_PREFERENCE, (user_id, int(named)))

    async def chairs(self, consultation_id: str, session_id: str) -> list[int]:
        async with self._db.execute(_CHAIRS, (consultation_id, session_id)) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def is_chair(self, consultation_id: str, session_id: str, user_id: int) -> bool:
        params = (consultation_id, session_id, user_id)
        async with self._db.execute(_IS_CHAIR, params) as cursor:
            return await cursor.fetchone() is not None

    async def chairs_any(self, consultation_id: str, user_id: int) -> bool:
        async with self._db.execute(_CHAIRS_ANY, (consultation_id, user_id)) as cursor:
            return await cursor.fetchone() is not None

    async def is_organiser(self, user_id: int) -> bool:
        """An organiser by the roles table (`python -m bot role add … organiser`)."""
        async with self._db.execute(_IS_ORGANISER, (user_id,)) as cursor:
            return await cursor.fetchone() is not None

    async def add_chair(
        self, consultation_id: str, session_id: str, user_id: int, now: datetime
    ) -> bool:
        params = (consultation_id, session_id, user_id, to_iso(now))
        cursor = await self._db.execute(_ADD_CHAIR, params)
        return cursor.rowcount > 0

    async def remove_chair(self, consultation_id: str, session_id: str, user_id: int) -> bool:
        cursor = await self._db.execute(_REMOVE_CHAIR, (consultation_id, session_id, user_id))
        return cursor.rowcount > 0

    async def set_board(self, board: Board, now: datetime) -> None:
        await self._db.execute(
            _SET_BOARD,
            (
                board.consultation_id,
                board.session_id,
                board.user_id,
                board.chat_id,
                board.message_id,
                board.shown,
                to_iso(now),
            ),
        )

    async def set_shown(self, board: Board, shown: str) -> None:
        """What the live message shows now (unless it was replaced meanwhile)."""
        await self._db.execute(
            _SET_SHOWN,
            (shown, board.consultation_id, board.session_id, board.user_id, board.message_id),
        )

    async def board(self, consultation_id: str, session_id: str, user_id: int) -> Board | None:
        params = (consultation_id, session_id, user_id)
        async with self._db.execute(_BOARD, params) as cursor:
            row = await cursor.fetchone()
        return Board(row[0], row[1], row[2], row[3], row[4], row[5]) if row else None

    async def record_visit(
        self, user_id: int, consultation_id: str, session_id: str, now: datetime
    ) -> None:
        await self._db.execute(_VISIT, (user_id, consultation_id, session_id, to_iso(now)))

    async def audience(self, consultation_id: str, session_id: str, since: datetime) -> list[int]:
        params = (consultation_id, session_id, to_iso(since))
        async with self._db.execute(_AUDIENCE, params) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    # --- forgetting -------------------------------------------------------------------------

    async def scopes(self) -> list[tuple[str, str]]:
        """Every session with questions or votes (where a delegate may have a pseudonym)."""
        async with self._db.execute(_SCOPES) as cursor:
            return [(row[0], row[1]) for row in await cursor.fetchall()]

    async def forget(
        self, user_id: int, pseudonyms: Sequence[str], edits: BoardEdits, now: datetime
    ) -> int:
        """Delete the delegate's questions (named, and anonymous by their `pseudonyms`), votes,
        preference, live messages and visits; the chairs' live messages of the sessions they
        were in are brought up to date. Returns how many sessions changed."""
        listed = json.dumps(list(pseudonyms))

        def work(db: sqlite3.Connection) -> tuple[int, bool]:
            touched = {tuple(r) for r in db.execute(_SESSIONS_OF_USER, (user_id,))}
            touched |= {tuple(r) for r in db.execute(_SESSIONS_OF_AUTHORS, (listed,))}
            for sql in _FORGET:
                db.execute(sql, (listed,))
            for sql in _FORGET_NAMED:
                db.execute(sql, (user_id,))
            planned = False
            for consultation_id, session_id in sorted(touched):
                planned |= _plan_edits(db, consultation_id, session_id, edits, now)
            return len(touched), planned

        changed = await self._write(work)
        return changed
