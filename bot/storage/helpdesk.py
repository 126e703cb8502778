"""Questions asked in free text, votes on answers, helpdesk tickets and relayed replies.

Questions and tickets are stored by `author`, the delegate's keyed hash (bot/services/privacy.py);
only a ticket filed under the delegate's name also keeps their id."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import from_iso, in_transaction, to_iso
from bot.storage.outbox import Planned, add_rows, note_planned


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    author: str
    consultation_id: str
    language: str
    question: str
    answer_id: str | None
    kind: str


@dataclass(frozen=True)
class TicketRecord:
    id: int
    question_id: int
    author: str
    user_id: int | None  # only on a ticket filed under the delegate's name
    consultation_id: str
    language: str
    question: str
    display_name: str | None
    status: str
    group_chat_id: int | None
    group_message_id: int | None
    created_at: datetime
    answered_at: datetime | None
    answered_by_name: str | None


@dataclass(frozen=True)
class GapRecord:
    """A question the bot could not answer, or whose answer was voted unhelpful."""

    question: str
    answer_id: str | None
    count: int
    last_asked: datetime
    # The newest question of the group: the number organisers teach it by (unanswered only).
    question_id: int | None = None


_ADD_QUESTION = """
INSERT INTO helpdesk_questions
    (author, consultation_id, language, question, question_key, answer_id, kind, score,
     created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_GET_QUESTION = """
SELECT id, author, consultation_id, language, question, answer_id, kind
FROM helpdesk_questions WHERE id = ?
"""
_VOTE = """
INSERT INTO helpdesk_votes (question_id, helpful, voted_at) VALUES (?, ?, ?)
ON CONFLICT(question_id) DO UPDATE SET helpful = excluded.helpful, voted_at = excluded.voted_at
"""
_TICKET_COLUMNS = """
SELECT id, question_id, author, user_id, consultation_id, language, question, display_name,
       status, group_chat_id, group_message_id, created_at, answered_at, answered_by_name
FROM helpdesk_tickets
"""
_ADD_TICKET = """
INSERT INTO helpdesk_tickets
    (question_id, author, user_id, consultation_id, language, question, display_name, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(question_id) DO NOTHING
"""
_TICKET = _TICKET_COLUMNS + "WHERE id = ?"
_TICKET_FOR_QUESTION = _TICKET_COLUMNS + "WHERE question_id = ?"
_TICKET_FOR_MESSAGE = _TICKET_COLUMNS + "WHERE group_chat_id = ? AND group_message_id = ?"
_TICKET_FOR_REPLY = (
    _TICKET_COLUMNS
    + "WHERE id = (SELECT ticket_id FROM helpdesk_replies"
    + " WHERE group_chat_id = ? AND group_message_id = ?)"
)
_OPEN_TICKETS = _TICKET_COLUMNS + "WHERE status = 'open' ORDER BY created_at, id LIMIT ?"
_COUNT_OPEN = "SELECT COUNT(*) FROM helpdesk_tickets WHERE status = 'open'"
_POSTED = "UPDATE helpdesk_tickets SET group_chat_id = ?, group_message_id = ? WHERE id = ?"
_ADD_REPLY = """
INSERT INTO helpdesk_replies
    (group_chat_id, group_message_id, ticket_id, organiser_id, organiser_name, text, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(group_chat_id, group_message_id) DO NOTHING
"""
_ANSWERED = """
UPDATE helpdesk_tickets SET status = 'answered', answered_at = ?, answered_by = ?,
    answered_by_name = ?
WHERE id = ? AND status = 'open'
"""
_COUNT_REPLIES = "SELECT COUNT(*) FROM helpdesk_replies WHERE ticket_id = ? AND delivered = 1"
_UNDELIVERED = """
UPDATE helpdesk_replies SET delivered = 0 WHERE group_chat_id = ? AND group_message_id = ?
RETURNING ticket_id
"""
# The ticket is open again unless an earlier answer did reach the delegate.
_REOPEN = """
UPDATE helpdesk_tickets SET status = 'open', answered_at = NULL, answered_by = NULL,
    answered_by_name = NULL
WHERE id = ? AND NOT EXISTS (
    SELECT 1 FROM helpdesk_replies WHERE ticket_id = helpdesk_tickets.id AND delivered = 1
)
"""
# A question the bot could not answer stays a gap when the delegate then chose one of its
# suggestions; the entry chosen is shown beside it (the wording to add to that entry).
_CHOSEN = "UPDATE helpdesk_questions SET answer_id = ? WHERE id = ? AND kind = 'none'"
# A question taught to an entry (taught_phrasings) is answered now: no longer a gap.
_UNANSWERED = """
SELECT q.question, g.answer_id, g.n, g.last_asked, g.question_id
FROM (
    SELECT MAX(id) AS question_id, MAX(answer_id) AS answer_id, COUNT(*) AS n,
           MAX(created_at) AS last_asked
    FROM helpdesk_questions
    WHERE consultation_id = ? AND kind IN ('none', 'direct')
      AND question_key NOT IN (
          SELECT question_key FROM taught_phrasings WHERE consultation_id = ?
      )
    GROUP BY question_key
) AS g JOIN helpdesk_questions AS q ON q.id = g.question_id
ORDER BY g.n DESC, g.last_asked DESC LIMIT ?
"""
_DOWNVOTED = """
SELECT q.question, q.answer_id, COUNT(*) AS n, MAX(q.created_at) AS last_asked
FROM helpdesk_votes v JOIN helpdesk_questions q ON q.id = v.question_id
WHERE q.consultation_id = ? AND v.helpful = 0
GROUP BY q.answer_id, q.question_key ORDER BY n DESC, last_asked DESC LIMIT ?
"""


def _ticket(row: aiosqlite.Row) -> TicketRecord:
    return TicketRecord(
        id=row["id"],
        question_id=row["question_id"],
        author=row["author"],
        user_id=row["user_id"],
        consultation_id=row["consultation_id"],
        language=row["language"],
        question=row["question"],
        display_name=row["display_name"],
        status=row["status"],
        group_chat_id=row["group_chat_id"],
        group_message_id=row["group_message_id"],
        created_at=from_iso(row["created_at"]),
        answered_at=from_iso(row["answered_at"]) if row["answered_at"] else None,
        answered_by_name=row["answered_by_name"],
    )


def _gap(row: aiosqlite.Row) -> GapRecord:
    return GapRecord(row["question"], row["answer_id"], row["n"], from_iso(row["last_asked"]))


def _unanswered_gap(row: aiosqlite.Row) -> GapRecord:
    return GapRecord(
        row["question"],
        row["answer_id"],
        row["n"],
        from_iso(row["last_asked"]),
        row["question_id"],
    )


class HelpdeskStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add_question(
        self,
        author: str,
        consultation_id: str,
        language: str,
        question: str,
        answer_id: str | None,
        kind: str,
        score: float,
        now: datetime,
        *,
        key: str,
    ) -> int:
        """Store a question; `key` is its normalised form, by which the FAQ gaps are grouped."""
        cursor = await self._db.execute(
            _ADD_QUESTION,
            (
                author,
                consultation_id,
                language,
                question,
                key,
                answer_id,
                kind,
                score,
                to_iso(now),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def question(self, question_id: int) -> QuestionRecord | None:
        async with self._db.execute(_GET_QUESTION, (question_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return QuestionRecord(
            row["id"],
            row["author"],
            row["consultation_id"],
            row["language"],
            row["question"],
            row["answer_id"],
            row["kind"],
        )

    async def chose(self, question_id: int, answer_id: str) -> None:
        """The delegate chose `answer_id` among the suggestions for an unanswered question."""
        await self._db.execute(_CHOSEN, (answer_id, question_id))

    async def vote(self, question_id: int, helpful: bool, now: datetime) -> None:
        await self._db.execute(_VOTE, (question_id, int(helpful), to_iso(now)))

    async def add_ticket(
        self,
        question: QuestionRecord,
        display_name: str | None,
        user_id: int | None,
        now: datetime,
    ) -> TicketRecord:
        """The question's ticket, created once: asking twice gives the same ticket. `user_id`
        only with a `display_name`: an anonymous ticket does not name its delegate."""
        if display_name is None and user_id is not None:
            raise ValueError("an anonymous ticket keeps no user id")
        await self._db.execute(
            _ADD_TICKET,
            (
                question.id,
                question.author,
                user_id,
                question.consultation_id,
                question.language,
                question.question,
                display_name,
                to_iso(now),
            ),
        )
        ticket = await self._one(_TICKET_FOR_QUESTION, (question.id,))
        assert ticket is not None
        return ticket

    async def _one(self, sql: str, params: tuple[object, ...]) -> TicketRecord | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return _ticket(row) if row else None

    async def ticket_for_question(self, question_id: int) -> TicketRecord | None:
        return await self._one(_TICKET_FOR_QUESTION, (question_id,))

    async def ticket(self, ticket_id: int) -> TicketRecord | None:
        return await self._one(_TICKET, (ticket_id,))

    async def ticket_for_message(self, chat_id: int, message_id: int) -> TicketRecord | None:
        """The ticket posted as this group message, or answered by it."""
        found = await self._one(_TICKET_FOR_MESSAGE, (chat_id, message_id))
        return found or await self._one(_TICKET_FOR_REPLY, (chat_id, message_id))

    async def posted(
        self, ticket_id: int, chat_id: int, message_id: int, if_gone: Planned, now: datetime
    ) -> bool:
        """Remember the ticket's group message; when the ticket was deleted meanwhile (its
        delegate's /forget), plan `if_gone` instead, which blanks the message. False then."""

        def work(db: sqlite3.Connection) -> bool:
            if db.execute(_POSTED, (chat_id, message_id, ticket_id)).rowcount:
                return True
            add_rows(db, [if_gone], now)
            return False

        found = await in_transaction(self._db, work)
        if not found:
            note_planned(self._db)
        return found

    async def open_tickets(self, limit: int) -> list[TicketRecord]:
        async with self._db.execute(_OPEN_TICKETS, (limit,)) as cursor:
            rows = await cursor.fetchall()
        return [_ticket(row) for row in rows]

    async def count_open(self) -> int:
        async with self._db.execute(_COUNT_OPEN) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def add_reply(
        self,
        ticket_id: int,
        chat_id: int,
        message_id: int,
        organiser_id: int,
        organiser_name: str,
        text: str,
        now: datetime,
    ) -> int | None:
        """Record a reply once and mark the ticket answered, in one transaction.

        Returns how many delivered replies the ticket now has (this one included), None when
        this group message was recorded before.
        """
        stamp = to_iso(now)

        def work(db: sqlite3.Connection) -> int | None:
            added = db.execute(
                _ADD_REPLY,
                (chat_id, message_id, ticket_id, organiser_id, organiser_name, text, stamp),
            )
            if added.rowcount == 0:
                return None
            db.execute(_ANSWERED, (stamp, organiser_id, organiser_name, ticket_id))
            row = db.execute(_COUNT_REPLIES, (ticket_id,)).fetchone()
            return int(row[0]) if row else 1

        return await in_transaction(self._db, work)

    async def undelivered(self, chat_id: int, message_id: int) -> None:
        """The reply never reached the delegate: keep it, but reopen a ticket left unanswered."""

        def work(db: sqlite3.Connection) -> None:
            for row in db.execute(_UNDELIVERED, (chat_id, message_id)).fetchall():
                db.execute(_REOPEN, (row[0],))

        await in_transaction(self._db, work)

    async def unanswered(self, consultation_id: str, limit: int) -> list[GapRecord]:
        params = (consultation_id, consultation_id, limit)
        async with self._db.execute(_UNANSWERED, params) as cursor:
            return [_unanswered_gap(row) for row in await cursor.fetchall()]

    async def downvoted(self, consultation_id: str, limit: int) -> list[GapRecord]:
        async with self._db.execute(_DOWNVOTED, (consultation_id, limit)) as cursor:
            return [_gap(row) for row in await cursor.fetchall()]
