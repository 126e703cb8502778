"""Session feedback, the end-of-consultation survey and recommendations; moderators' review."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.clock import Clock
from bot.i18n import DEFAULT, _, use_language
from bot.services.data_reading import Text
from bot.services.errors import DomainError, NotAllowed
from bot.services.event_data import Consultation, EventData, Session
from bot.services.privacy import Anonymity
from bot.services.sanitise import clean
from bot.services.survey_data import Question, Survey, Theme
from bot.storage.feedback import (
    Awaiting,
    FeedbackRecord,
    FeedbackStore,
    RecommendationRecord,
    SessionStats,
    SurveyAnswer,
)
from bot.storage.outbox import Planned
from bot.storage.users import UserStore

logger = logging.getLogger(__name__)

COMMENT = "comment"
SURVEY_TEXT = "survey_text"
RECOMMENDATION = "recommendation"
TEXT_LIMIT = 2000
AWAIT_FOR = timedelta(minutes=30)
LINK_PREFIX = "fb_"
OTHER_THEME = "other"
SORT_WORST = "w"
SORT_TIME = "t"

# Outbox kinds: "how was this session?" after each one a delegate starred or opened while it
# was on, and the survey when the consultation ends.
SESSION_PROMPT = "fb_prompt"
SURVEY_PROMPT = "survey_prompt"


class FeedbackNotOpen(DomainError):
    """The session's feedback window is not open: `opens_at` is in the future or it closed."""

    def __init__(self, session: Session, opens_at: datetime, closes_at: datetime, now: datetime):
        super().__init__(session.id)
        self.session = session
        self.opens_at = opens_at
        self.closes_at = closes_at
        self.not_yet = now < opens_at


class SurveyNotOpen(DomainError):
    def __init__(self, not_yet: bool) -> None:
        super().__init__("survey")
        self.not_yet = not_yet


class FeedbackNotFound(DomainError):
    """The feedback item does not exist (any more), or is not the user's."""


@dataclass(frozen=True)
class SessionReview:
    session: Session
    stats: SessionStats


# A cell of an export: text, a number, or a date and time (aware, in the consultation's zone).
Cell = str | int | float | datetime


@dataclass(frozen=True)
class Table:
    """Rows for an export: the header and the data; `title` names the sheet."""

    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    title: str = "export"


def feedback_link(bot_username: str, session: Session) -> str:
    """The deep link opening the session's feedback (payload within Telegram's 64 characters)."""
    return f"https://t.me/{bot_username}?start={LINK_PREFIX}{session.id}"


def feedback_window(consultation: Consultation, session: Session) -> tuple[datetime, datetime]:
    """When feedback on the session opens (its start) and closes."""
    if consultation.feedback_window is not None:
        return session.start, session.end + consultation.feedback_window
    local_end = session.end.astimezone(consultation.timezone)
    closes = datetime.combine(local_end.date() + timedelta(days=2), time(0), consultation.timezone)
    return session.start, closes


def survey_window(consultation: Consultation) -> tuple[datetime, datetime] | None:
    """From the end of the last session for the survey's `open_for`; None without a survey."""
    survey = consultation.survey
    if survey is None or not survey.questions:
        return None
    ends = max(
        (s.end for s in consultation.sessions),
        default=datetime.combine(consultation.end, time(18), consultation.timezone),
    )
    return ends, ends + survey.open_for


def session_prompt_key(consultation_id: str, session_id: str, user_id: int) -> str:
    return f"{SESSION_PROMPT}:{consultation_id}:{session_id}:{user_id}"


def session_prompt(consultation: Consultation, session: Session, user_id: int) -> Planned | None:
    """The outbox row asking one delegate how a session was, when it ends (none for breaks)."""
    if session.kind == "break":
        return None
    return Planned(
        kind=SESSION_PROMPT,
        key=session_prompt_key(consultation.id, session.id, user_id),
        user_id=user_id,
        due_at=session.end,
        not_before=session.end,
        expires_at=feedback_window(consultation, session)[1],
        consultation_id=consultation.id,
        subject=f"{SESSION_PROMPT}:{consultation.id}:{session.id}",
        payload={"session": session.id},
    )


def survey_prompt(consultation: Consultation, user_id: int) -> Planned | None:
    """The outbox row inviting one delegate to the survey when the consultation ends."""
    window = survey_window(consultation)
    if window is None:
        return None
    opens, closes = window
    return Planned(
        kind=SURVEY_PROMPT,
        key=f"{SURVEY_PROMPT}:{consultation.id}:{user_id}",
        user_id=user_id,
        due_at=opens,
        not_before=opens,
        expires_at=closes,
        consultation_id=consultation.id,
        subject=f"{SURVEY_PROMPT}:{consultation.id}",
    )


class Feedback:
    """Everything delegates give back after sessions, and what moderators read of it."""

    def __init__(
        self,
        store: FeedbackStore,
        users: UserStore,
        events: EventData | Callable[[], EventData],
        clock: Clock,
        anonymity: Anonymity | None = None,
        more_tables: Mapping[str, Callable[[Consultation, str], Awaitable[Table]]] | None = None,
    ) -> None:
        """`anonymity` tells a delegate's own ratings, comments and recommendations; without it
        (exports, which never say whose a row is) nothing is read or written for a delegate.
        `more_tables`: the exports other features add (the questions to the panels)."""
        self._store = store
        self._users = users
        self._events = events
        self._clock = clock
        self._anonymity = anonymity
        self._awaiting: dict[int, Awaiting] = {}
        self._more_tables = dict(more_tables or {})

    def _author(self, user_id: int) -> str:
        if self._anonymity is None:
            raise RuntimeError("Feedback without the anonymity key can only export")
        return self._anonymity.author(user_id)

    @property
    def events(self) -> EventData:
        """The programme in use now (a reload may swap it)."""
        return self._events() if callable(self._events) else self._events

    async def start(self) -> None:
        """Load what survives a restart: who is typing a comment."""
        self._awaiting = {a.user_id: a for a in await self._store.awaiting(self._clock.now())}

    # --- windows --------------------------------------------------------------------------

    def window(self, consultation: Consultation, session: Session) -> tuple[datetime, datetime]:
        """When feedback on the session opens (its start) and closes."""
        return feedback_window(consultation, session)

    def is_open(self, consultation: Consultation, session: Session) -> bool:
        opens, closes = self.window(consultation, session)
        return opens <= self._clock.now() < closes and session.kind != "break"

    def _check_open(self, consultation: Consultation, session: Session) -> None:
        opens, closes = self.window(consultation, session)
        now = self._clock.now()
        if not opens <= now < closes:
            raise FeedbackNotOpen(session, opens, closes, now)

    def session(self, consultation: Consultation, session_id: str) -> Session:
        return consultation.delegate_session(session_id)

    def find_linked(
        self, payload: str, preferred: Consultation | None
    ) -> tuple[Consultation, Session]:
        """The session a deep link names, in the user's consultation first."""
        return self.events.linked_session(payload.removeprefix(LINK_PREFIX), preferred)

    async def open_sessions(
        self, user_id: int, consultation: Consultation
    ) -> list[tuple[Session, FeedbackRecord | None]]:
        """Sessions open for rating now, most recent first, with the user's feedback."""
        own = {
            f.session_id: f
            for f in await self._store.all_own(self._author(user_id), consultation.id)
        }
        now = self._clock.now()
        sessions = [s for s in consultation.sessions if self.is_open(consultation, s)]
        sessions.sort(key=lambda s: (s.end > now, -s.end.timestamp()))
        return [(s, own.get(s.id)) for s in sessions]

    # --- a delegate's feedback ------------------------------------------------------------

    async def rate(
        self, user_id: int, consultation: Consultation, session_id: str, rating: int | None
    ) -> FeedbackRecord:
        """Rate 1-5, or None for "I did not attend"; rating again changes it."""
        session = self.session(consultation, session_id)
        if rating is not None and not 1 <= rating <= 5:
            raise ValueError(f"rating {rating} is not 1-5")
        self._check_open(consultation, session)
        return await self._store.rate(
            self._author(user_id), consultation.id, session.id, rating, self._clock.now()
        )

    async def own(
        self, user_id: int, consultation: Consultation, session_id: str
    ) -> FeedbackRecord | None:
        return await self._store.own(self._author(user_id), consultation.id, session_id)

    async def comment(
        self, user_id: int, consultation: Consultation, session_id: str, text: str
    ) -> FeedbackRecord:
        session = self.session(consultation, session_id)
        self._check_open(consultation, session)
        return await self._store.comment(
            self._author(user_id), consultation.id, session.id, _clean(text), self._clock.now()
        )

    async def sign(self, user_id: int, feedback_id: int, name: str | None) -> FeedbackRecord:
        """Sign a comment with `name`, or make it anonymous again with None."""
        if not await self._store.sign(feedback_id, self._author(user_id), _signature(name)):
            raise FeedbackNotFound(str(feedback_id))
        found = await self._store.get(feedback_id)
        assert found is not None
        return found

    async def delete(self, user_id: int, feedback_id: int) -> None:
        if not await self._store.delete_own(feedback_id, self._author(user_id)):
            raise FeedbackNotFound(str(feedback_id))

    async def mine(self, user_id: int, consultation: Consultation) -> list[FeedbackRecord]:
        return await self._store.all_own(self._author(user_id), consultation.id)

    async def record_card_open(
        self, user_id: int, consultation: Consultation, session: Session
    ) -> None:
        """Remember who opened a session's card while it was on: they get its prompt."""
        now = self._clock.now()
        prompt = session_prompt(consultation, session, user_id)
        if session.start <= now < session.end and prompt is not None:
            await self._store.record_card_open(user_id, consultation.id, session.id, prompt, now)

    # --- the next text message is... -------------------------------------------------------

    async def expect(
        self, user_id: int, kind: str, consultation: Consultation, target: str
    ) -> None:
        awaiting = Awaiting(user_id, kind, consultation.id, target, self._clock.now() + AWAIT_FOR)
        await self._store.set_awaiting(awaiting)
        self._awaiting[user_id] = awaiting

    def expected(self, user_id: int) -> Awaiting | None:
        """What the user's next text is (synchronous: used by a message filter)."""
        awaiting = self._awaiting.get(user_id)
        if awaiting is None or awaiting.expires_at <= self._clock.now():
            return None
        return awaiting

    async def stop_expecting(self, user_id: int) -> None:
        if self._awaiting.pop(user_id, None) is not None:
            await self._store.stop_awaiting(user_id)

    # --- prompts after sessions and at the end (sent through the outbox) -------------------

    def survey_window(self, consultation: Consultation) -> tuple[datetime, datetime] | None:
        return survey_window(consultation)

    async def session_to_prompt(
        self, user_id: int, consultation: Consultation, session_id: str
    ) -> Session | None:
        """The session a due prompt asks about, or None when the prompt is no longer worth
        sending: the session is gone, a break, not over or closed, or the delegate answered."""
        session = consultation.session(session_id)
        if session is None or session.kind == "break" or self._clock.now() < session.end:
            return None
        if not self.is_open(consultation, session):
            return None
        if await self._store.own(self._author(user_id), consultation.id, session.id) is not None:
            return None
        return session

    async def survey_to_prompt(self, user_id: int, consultation: Consultation) -> Survey | None:
        """The survey to invite the delegate to, or None: closed, or they already started it."""
        if consultation.survey is None or not self.survey_open(consultation):
            return None
        if await self._store.own_answers(user_id, consultation.id):
            return None
        return consultation.survey

    # --- survey ---------------------------------------------------------------------------

    def _survey(self, consultation: Consultation) -> Survey:
        window = self.survey_window(consultation)
        if window is None or consultation.survey is None:
            raise SurveyNotOpen(not_yet=False)
        now = self._clock.now()
        if not window[0] <= now < window[1]:
            raise SurveyNotOpen(not_yet=now < window[0])
        return consultation.survey

    def survey_open(self, consultation: Consultation) -> bool:
        window = self.survey_window(consultation)
        return window is not None and window[0] <= self._clock.now() < window[1]

    async def next_question(
        self, user_id: int, consultation: Consultation, after: str | None = None
    ) -> Question | None:
        """The first question after `after` (or the first unanswered one)."""
        survey = self._survey(consultation)
        if after is not None:
            ids = [q.id for q in survey.questions]
            index = ids.index(after) + 1 if after in ids else len(ids)
            return survey.questions[index] if index < len(ids) else None
        answered = {a.question_id for a in await self._store.own_answers(user_id, consultation.id)}
        return next((q for q in survey.questions if q.id not in answered), None)

    async def answer(
        self, user_id: int, consultation: Consultation, question_id: str, value: str
    ) -> Question:
        survey = self._survey(consultation)
        question = survey.question(question_id)
        if question is None:
            raise FeedbackNotFound(question_id)
        value = _clean(value)
        if question.kind == "rating" and value not in {"1", "2", "3", "4", "5"}:
            raise ValueError(f"rating {value!r} is not 1-5")
        if question.kind == "choice" and value not in {o.id for o in question.options}:
            raise ValueError(f"{value!r} is not an option of {question_id}")
        await self._store.answer(user_id, consultation.id, question.id, value, self._clock.now())
        return question

    async def my_answers(self, user_id: int, consultation: Consultation) -> list[SurveyAnswer]:
        return await self._store.own_answers(user_id, consultation.id)

    async def delete_answers(self, user_id: int, consultation: Consultation) -> None:
        if not await self._store.delete_answers(user_id, consultation.id):
            raise FeedbackNotFound("survey")

    # --- recommendations ------------------------------------------------------------------

    def themes(self, consultation: Consultation) -> list[Theme]:
        """The survey's themes, or else the programme's tracks (the handler adds "Other")."""
        if consultation.survey and consultation.survey.themes:
            return list(consultation.survey.themes)
        themes: list[Theme] = []
        seen: set[str] = set()
        for session in consultation.sessions:
            if session.track is None:
                continue
            key = session.track.get(consultation.default_language)
            if key not in seen:
                seen.add(key)
                themes.append(Theme(f"track-{len(themes) + 1}", session.track))
        return themes

    def theme(self, consultation: Consultation, theme_id: str) -> Theme | None:
        return next((t for t in self.themes(consultation) if t.id == theme_id), None)

    async def recommend(
        self, user_id: int, consultation: Consultation, theme_id: str, text: str
    ) -> RecommendationRecord:
        if theme_id != OTHER_THEME and self.theme(consultation, theme_id) is None:
            raise FeedbackNotFound(theme_id)
        return await self._store.recommend(
            self._author(user_id), consultation.id, theme_id, _clean(text), self._clock.now()
        )

    async def sign_recommendation(
        self, user_id: int, recommendation_id: int, name: str | None
    ) -> RecommendationRecord:
        author = self._author(user_id)
        if not await self._store.sign_recommendation(recommendation_id, author, _signature(name)):
            raise FeedbackNotFound(str(recommendation_id))
        found = await self._store.recommendation(recommendation_id)
        assert found is not None
        return found

    async def my_recommendations(
        self, user_id: int, consultation: Consultation
    ) -> list[RecommendationRecord]:
        return await self._store.own_recommendations(self._author(user_id), consultation.id)

    async def recommendations(self, consultation: Consultation) -> list[RecommendationRecord]:
        """Every recommendation of the consultation (moderators: the web view)."""
        return await self._store.all_recommendations(consultation.id)

    async def delete_recommendation(self, user_id: int, recommendation_id: int) -> None:
        if not await self._store.delete_recommendation(recommendation_id, self._author(user_id)):
            raise FeedbackNotFound(str(recommendation_id))

    # --- moderators -----------------------------------------------------------------------

    async def reviews(self, consultation: Consultation, sort: str) -> list[SessionReview]:
        """Every session with its figures, worst-rated first or in programme order."""
        stats = await self._store.stats(consultation.id)
        reviews = [
            SessionReview(s, stats.get(s.id) or SessionStats(s.id, 0, None, 0, 0))
            for s in consultation.sessions
            if s.kind != "break"
        ]
        if sort == SORT_WORST:
            reviews.sort(
                key=lambda r: (
                    r.stats.average is None,
                    r.stats.average or 0.0,
                    -r.stats.count,
                    r.session.start,
                )
            )
        return reviews

    async def review(self, consultation: Consultation, session_id: str) -> SessionReview:
        session = self.session(consultation, session_id)
        stats = await self._store.stats(consultation.id)
        return SessionReview(
            session, stats.get(session.id) or SessionStats(session.id, 0, None, 0, 0)
        )

    async def histogram(self, consultation: Consultation, session_id: str) -> dict[int, int]:
        return await self._store.histogram(consultation.id, session_id)

    async def comments(self, consultation: Consultation, session_id: str) -> list[FeedbackRecord]:
        return await self._store.comments(consultation.id, session_id)

    async def get(self, feedback_id: int) -> FeedbackRecord:
        found = await self._store.get(feedback_id)
        if found is None:
            raise FeedbackNotFound(str(feedback_id))
        return found

    async def set_hidden(
        self, moderator: int, is_moderator: bool, feedback_id: int, hidden: bool
    ) -> FeedbackRecord:
        """Hide an abusive comment (kept, marked, left out of exports), or show it again."""
        if not is_moderator:
            raise NotAllowed()
        if not await self._store.set_hidden(feedback_id, hidden, moderator, self._clock.now()):
            raise FeedbackNotFound(str(feedback_id))
        return await self.get(feedback_id)

    # --- exports (no delegate identity unless signed) -------------------------------------

    async def feedback_table(self, consultation: Consultation, lang: str = DEFAULT) -> Table:
        records = await self._store.for_consultation(consultation.id)
        order = {s.id: i for i, s in enumerate(consultation.sessions)}
        records.sort(key=lambda r: (order.get(r.session_id, len(order)), r.created_at, r.id))
        zone = consultation.timezone
        with use_language(lang):
            yes, no = _("yes"), _("no")
            header = (
                _("Session id"),
                _("Session"),
                # TRANSLATORS: a column of an export; {zone} is a time zone such as Europe/Zurich.
                _("Session start ({zone})").format(zone=zone.key),
                _("Rating"),
                _("Attended"),
                _("Comment"),
                _("Signed by"),
                # TRANSLATORS: a column of an export; {zone} is a time zone such as Europe/Zurich.
                _("Submitted ({zone})").format(zone=zone.key),
            )
            title = _("Session feedback")
        rows: list[tuple[Cell, ...]] = []
        for record in records:
            session = consultation.session(record.session_id)
            comment = "" if record.hidden else (record.comment or "")
            signed = record.signer_name or "" if record.signed and not record.hidden else ""
            rows.append(
                (
                    record.session_id,
                    session.title.get(lang) if session else "",
                    session.start.astimezone(zone) if session else "",
                    record.rating if record.rating is not None else "",
                    yes if record.attended else no,
                    comment,
                    signed,
                    record.updated_at.astimezone(zone),
                )
            )
        return Table(header, rows, title)

    async def survey_table(self, consultation: Consultation, lang: str = DEFAULT) -> Table:
        survey = consultation.survey
        questions = survey.questions if survey else ()
        answers = await self._store.all_answers(consultation.id)
        # Respondents are numbered in order of their first answer: no identity in the file.
        respondents: dict[int, dict[str, str]] = {}
        for answer in answers:
            respondents.setdefault(answer.user_id, {})[answer.question_id] = answer.answer
        with use_language(lang):
            header = (_("Respondent"), *(q.text.get(lang) for q in questions))
            title = _("Survey answers")
        rows: list[tuple[Cell, ...]] = []
        for number, given in enumerate(respondents.values(), 1):
            cells: list[Cell] = [number]
            for question in questions:
                value = given.get(question.id, "")
                if question.kind == "rating" and value:
                    cells.append(int(value))
                elif question.kind == "choice" and value:
                    option = next((o for o in question.options if o.id == value), None)
                    cells.append(option.text.get(lang) if option else value)
                else:
                    cells.append(value)
            rows.append(tuple(cells))
        return Table(header, rows, title)

    async def recommendation_table(self, consultation: Consultation, lang: str = DEFAULT) -> Table:
        titles: dict[str, Text] = {t.id: t.title for t in self.themes(consultation)}
        zone = consultation.timezone
        with use_language(lang):
            other = _("Other")
            header = (
                _("Theme id"),
                _("Theme"),
                _("Recommendation"),
                _("Signed by"),
                _("Submitted ({zone})").format(zone=zone.key),
            )
            title = _("Recommendations")
        rows: list[tuple[Cell, ...]] = []
        for record in await self._store.all_recommendations(consultation.id):
            theme = titles.get(record.theme_id)
            rows.append(
                (
                    record.theme_id,
                    theme.get(lang) if theme else other,
                    record.text,
                    record.signer_name or "" if record.signed else "",
                    record.created_at.astimezone(zone),
                )
            )
        return Table(header, rows, title)

    async def table(self, kind: str, consultation: Consultation, lang: str = DEFAULT) -> Table:
        """An export with its headers and sheet title in `lang`, its times in the consultation's
        zone (named in the headers)."""
        tables = {
            "feedback": self.feedback_table,
            "survey": self.survey_table,
            "recommendations": self.recommendation_table,
            **self._more_tables,
        }
        if kind not in tables:
            raise ValueError(f"unknown export {kind!r}")
        return await tables[kind](consultation, lang)


def _clean(text: str) -> str:
    return clean(text).strip()[:TEXT_LIMIT]


def _signature(name: str | None) -> str | None:
    if name is None:
        return None
    return clean(name, multiline=False).strip()[:128] or "?"
