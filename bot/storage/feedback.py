"""Feedback: session ratings and comments, card opens, survey answers, recommendations.

Ratings, comments and recommendations are anonymous: stored by `author`, the delegate's keyed
hash (bot/services/privacy.py), never by their id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import from_iso, to_iso
from bot.storage.outbox import OutboxStore, Planned


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    author: str
    consultation_id: str
    session_id: str
    rating: int | None
    attended: bool
    comment: str | None
    signed: bool
    signer_name: str | None
    hidden: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SessionStats:
    session_id: str
    count: int
    average: float | None
    comments: int
    not_attended: int


@dataclass(frozen=True)
class Awaiting:
    user_id: int
    kind: str
    consultation_id: str
    target: str
    expires_at: datetime


@dataclass(frozen=True)
class SurveyAnswer:
    user_id: int
    question_id: str
    answer: str
    answered_at: datetime


@dataclass(frozen=True)
class RecommendationRecord:
    id: int
    author: str
    consultation_id: str
    theme_id: str
    text: str
    signed: bool
    signer_name: str | None
    created_at: datetime


_FEEDBACK_COLUMNS = """
id, author, consultation_id, session_id, rating, attended, comment, signed, signer_name, hidden,
created_at, updated_at
"""
_RATE = """
INSERT INTO session_feedback
    (author, consultation_id, session_id, rating, attended, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(author, consultation_id, session_id) DO UPDATE SET
    rating = excluded.rating, attended = excluded.attended, updated_at = excluded.updated_at
"""
_COMMENT = """
INSERT INTO session_feedback
    (author, consultation_id, session_id, comment, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT(author, consultation_id, session_id) DO UPDATE SET
    comment = excluded.comment, signed = 0, signer_name = NULL, hidden = 0, hidden_by = NULL,
    hidden_at = NULL, attended = 1, updated_at = excluded.updated_at
"""
_GET_OWN = f"""
SELECT {_FEEDBACK_COLUMNS} FROM session_feedback
WHERE author = ? AND consultation_id = ? AND session_id = ?
"""
_GET_BY_ID = f"SELECT {_FEEDBACK_COLUMNS} FROM session_feedback WHERE id = ?"
_OWN = f"""
SELECT {_FEEDBACK_COLUMNS} FROM session_feedback WHERE author = ? AND consultation_id = ?
ORDER BY created_at, id
"""
_FOR_SESSION_COMMENTS = f"""
SELECT {_FEEDBACK_COLUMNS} FROM session_feedback
WHERE consultation_id = ? AND session_id = ? AND comment IS NOT NULL
ORDER BY updated_at DESC, id DESC
"""
_FOR_CONSULTATION = f"""
SELECT {_FEEDBACK_COLUMNS} FROM session_feedback WHERE consultation_id = ?
ORDER BY session_id, created_at, id
"""
_SIGN = "UPDATE session_feedback SET signed = ?, signer_name = ? WHERE id = ? AND author = ?"
_HIDE = "UPDATE session_feedback SET hidden = ?, hidden_by = ?, hidden_at = ? WHERE id = ?"
_DELETE_OWN = "DELETE FROM session_feedback WHERE id = ? AND author = ?"
_STATS = """
SELECT session_id,
       COUNT(rating) AS count,
       AVG(rating) AS average,
       SUM(CASE WHEN comment IS NOT NULL THEN 1 ELSE 0 END) AS comments,
       SUM(CASE WHEN attended = 0 THEN 1 ELSE 0 END) AS not_attended
FROM session_feedback WHERE consultation_id = ? GROUP BY session_id
"""
_HISTOGRAM = """
SELECT rating, COUNT(*) AS n FROM session_feedback
WHERE consultation_id = ? AND session_id = ? AND rating IS NOT NULL GROUP BY rating
"""

_OPEN_CARD = """
INSERT OR IGNORE INTO card_opens (user_id, consultation_id, session_id, opened_at)
VALUES (?, ?, ?, ?)
"""

_AWAIT = """
INSERT INTO feedback_awaiting (user_id, kind, consultation_id, target, expires_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT(user_id) DO UPDATE SET kind = excluded.kind,
    consultation_id = excluded.consultation_id, target = excluded.target,
    expires_at = excluded.expires_at
"""
_AWAITING = """
SELECT user_id, kind, consultation_id, target, expires_at FROM feedback_awaiting
WHERE expires_at > ?
"""
_STOP_AWAITING = "DELETE FROM feedback_awaiting WHERE user_id = ?"

_ANSWER = """
INSERT INTO survey_answers (user_id, consultation_id, question_id, answer, answered_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT(user_id, consultation_id, question_id) DO UPDATE SET
    answer = excluded.answer, answered_at = excluded.answered_at
"""
_OWN_ANSWERS = """
SELECT user_id, question_id, answer, answered_at FROM survey_answers
WHERE user_id = ? AND consultation_id = ?
"""
_ALL_ANSWERS = """
SELECT user_id, question_id, answer, answered_at FROM survey_answers
WHERE consultation_id = ? ORDER BY answered_at, user_id
"""
_DELETE_ANSWERS = "DELETE FROM survey_answers WHERE user_id = ? AND consultation_id = ?"

_RECOMMENDATION_COLUMNS = """
id, author, consultation_id, theme_id, text, signed, signer_name, created_at
"""
_RECOMMEND = """
INSERT INTO recommendations (author, consultation_id, theme_id, text, created_at)
VALUES (?, ?, ?, ?, ?)
"""
_RECOMMENDATION = f"SELECT {_RECOMMENDATION_COLUMNS} FROM recommendations WHERE id = ?"
_OWN_RECOMMENDATIONS = f"""
SELECT {_RECOMMENDATION_COLUMNS} FROM recommendations WHERE author = ? AND consultation_id = ?
ORDER BY created_at, id
"""
_ALL_RECOMMENDATIONS = f"""
SELECT {_RECOMMENDATION_COLUMNS} FROM recommendations WHERE consultation_id = ? AND hidden = 0
ORDER BY theme_id, created_at, id
"""
_SIGN_RECOMMENDATION = """
UPDATE recommendations SET signed = ?, signer_name = ? WHERE id = ? AND author = ?
"""
_DELETE_RECOMMENDATION = "DELETE FROM recommendations WHERE id = ? AND author = ?"


def _feedback(row: aiosqlite.Row) -> FeedbackRecord:
    return FeedbackRecord(
        id=row["id"],
        author=row["author"],
        consultation_id=row["consultation_id"],
        session_id=row["session_id"],
        rating=row["rating"],
        attended=bool(row["attended"]),
        comment=row["comment"],
        signed=bool(row["signed"]),
        signer_name=row["signer_name"],
        hidden=bool(row["hidden"]),
        created_at=from_iso(row["created_at"]),
        updated_at=from_iso(row["updated_at"]),
    )


def _recommendation(row: aiosqlite.Row) -> RecommendationRecord:
    return RecommendationRecord(
        id=row["id"],
        author=row["author"],
        consultation_id=row["consultation_id"],
        theme_id=row["theme_id"],
        text=row["text"],
        signed=bool(row["signed"]),
        signer_name=row["signer_name"],
        created_at=from_iso(row["created_at"]),
    )


class FeedbackStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def _one(self, sql: str, params: tuple[object, ...]) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params: tuple[object, ...]) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    # --- ratings and comments -------------------------------------------------------------

    async def rate(
        self,
        author: str,
        consultation_id: str,
        session_id: str,
        rating: int | None,
        now: datetime,
    ) -> FeedbackRecord:
        """Record a rating (None: did not attend); one row per delegate and session."""
        stamp = to_iso(now)
        attended = 0 if rating is None else 1
        await self._db.execute(
            _RATE, (author, consultation_id, session_id, rating, attended, stamp, stamp)
        )
        found = await self.own(author, consultation_id, session_id)
        assert found is not None
        return found

    async def comment(
        self, author: str, consultation_id: str, session_id: str, text: str, now: datetime
    ) -> FeedbackRecord:
        stamp = to_iso(now)
        await self._db.execute(_COMMENT, (author, consultation_id, session_id, text, stamp, stamp))
        found = await self.own(author, consultation_id, session_id)
        assert found is not None
        return found

    async def own(
        self, author: str, consultation_id: str, session_id: str
    ) -> FeedbackRecord | None:
        row = await self._one(_GET_OWN, (author, consultation_id, session_id))
        return _feedback(row) if row else None

    async def get(self, feedback_id: int) -> FeedbackRecord | None:
        row = await self._one(_GET_BY_ID, (feedback_id,))
        return _feedback(row) if row else None

    async def all_own(self, author: str, consultation_id: str) -> list[FeedbackRecord]:
        return [_feedback(r) for r in await self._all(_OWN, (author, consultation_id))]

    async def comments(self, consultation_id: str, session_id: str) -> list[FeedbackRecord]:
        rows = await self._all(_FOR_SESSION_COMMENTS, (consultation_id, session_id))
        return [_feedback(r) for r in rows]

    async def for_consultation(self, consultation_id: str) -> list[FeedbackRecord]:
        return [_feedback(r) for r in await self._all(_FOR_CONSULTATION, (consultation_id,))]

    async def sign(self, feedback_id: int, author: str, signer_name: str | None) -> bool:
        signed = 1 if signer_name is not None else 0
        cursor = await self._db.execute(_SIGN, (signed, signer_name, feedback_id, author))
        return cursor.rowcount > 0

    async def set_hidden(
        self, feedback_id: int, hidden: bool, by_user: int, now: datetime
    ) -> bool:
        params = (1, by_user, to_iso(now)) if hidden else (0, None, None)
        cursor = await self._db.execute(_HIDE, (*params, feedback_id))
        return cursor.rowcount > 0

    async def delete_own(self, feedback_id: int, author: str) -> bool:
        cursor = await self._db.execute(_DELETE_OWN, (feedback_id, author))
        return cursor.rowcount > 0

    async def stats(self, consultation_id: str) -> dict[str, SessionStats]:
        rows = await self._all(_STATS, (consultation_id,))
        return {
            row["session_id"]: SessionStats(
                session_id=row["session_id"],
                count=int(row["count"] or 0),
                average=float(row["average"]) if row["average"] is not None else None,
                comments=int(row["comments"] or 0),
                not_attended=int(row["not_attended"] or 0),
            )
            for row in rows
        }

    async def histogram(self, consultation_id: str, session_id: str) -> dict[int, int]:
        rows = await self._all(_HISTOGRAM, (consultation_id, session_id))
        counts = {n: 0 for n in range(1, 6)}
        for row in rows:
            counts[int(row["rating"])] = int(row["n"])
        return counts

    # --- who is asked after a session ---------------------------------------------------

    async def record_card_open(
        self,
        user_id: int,
        consultation_id: str,
        session_id: str,
        prompt: Planned,
        now: datetime,
    ) -> None:
        """Log the card open and plan its prompt now, not at the next re-plan: one cancelled by
        unstarring comes back; one already sent stays sent."""
        await self._db.execute(_OPEN_CARD, (user_id, consultation_id, session_id, to_iso(now)))
        await OutboxStore(self._db).plan([prompt], now)

    # --- typed input ----------------------------------------------------------------------

    async def set_awaiting(self, awaiting: Awaiting) -> None:
        await self._db.execute(
            _AWAIT,
            (
                awaiting.user_id,
                awaiting.kind,
                awaiting.consultation_id,
                awaiting.target,
                to_iso(awaiting.expires_at),
            ),
        )

    async def awaiting(self, now: datetime) -> list[Awaiting]:
        rows = await self._all(_AWAITING, (to_iso(now),))
        return [
            Awaiting(
                row["user_id"],
                row["kind"],
                row["consultation_id"],
                row["target"],
                from_iso(row["expires_at"]),
            )
            for row in rows
        ]

    async def stop_awaiting(self, user_id: int) -> None:
        await self._db.execute(_STOP_AWAITING, (user_id,))

    # --- survey ---------------------------------------------------------------------------

    async def answer(
        self, user_id: int, consultation_id: str, question_id: str, answer: str, now: datetime
    ) -> None:
        await self._db.execute(
            _ANSWER, (user_id, consultation_id, question_id, answer, to_iso(now))
        )

    async def own_answers(self, user_id: int, consultation_id: str) -> list[SurveyAnswer]:
        rows = await self._all(_OWN_ANSWERS, (user_id, consultation_id))
        return [_answer(row) for row in rows]

    async def all_answers(self, consultation_id: str) -> list[SurveyAnswer]:
        return [_answer(row) for row in await self._all(_ALL_ANSWERS, (consultation_id,))]

    async def delete_answers(self, user_id: int, consultation_id: str) -> bool:
        cursor = await self._db.execute(_DELETE_ANSWERS, (user_id, consultation_id))
        return cursor.rowcount > 0

    # --- recommendations ------------------------------------------------------------------

    async def recommend(
        self, author: str, consultation_id: str, theme_id: str, text: str, now: datetime
    ) -> RecommendationRecord:
        cursor = await self._db.execute(
            _RECOMMEND, (author, consultation_id, theme_id, text, to_iso(now))
        )
        found = await self.recommendation(int(cursor.lastrowid or 0))
        assert found is not None
        return found

    async def recommendation(self, recommendation_id: int) -> RecommendationRecord | None:
        row = await self._one(_RECOMMENDATION, (recommendation_id,))
        return _recommendation(row) if row else None

    async def own_recommendations(
        self, author: str, consultation_id: str
    ) -> list[RecommendationRecord]:
        rows = await self._all(_OWN_RECOMMENDATIONS, (author, consultation_id))
        return [_recommendation(row) for row in rows]

    async def all_recommendations(self, consultation_id: str) -> list[RecommendationRecord]:
        rows = await self._all(_ALL_RECOMMENDATIONS, (consultation_id,))
        return [_recommendation(row) for row in rows]

    async def sign_recommendation(
        self, recommendation_id: int, author: str, signer_name: str | None
    ) -> bool:
        signed = 1 if signer_name is not None else 0
        cursor = await self._db.execute(
            _SIGN_RECOMMENDATION, (signed, signer_name, recommendation_id, author)
        )
        return cursor.rowcount > 0

    async def delete_recommendation(self, recommendation_id: int, author: str) -> bool:
        cursor = await self._db.execute(_DELETE_RECOMMENDATION, (recommendation_id, author))
        return cursor.rowcount > 0


def _answer(row: aiosqlite.Row) -> SurveyAnswer:
    return SurveyAnswer(
        row["user_id"], row["question_id"], row["answer"], from_iso(row["answered_at"])
    )
