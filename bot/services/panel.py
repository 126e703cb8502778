"""Live sessions: the audience's questions to a session's panel, voted on, approved, pinned and
marked answered by the session's chairs; chairs and moderators; the session's recent audience.

Anonymous questions store no user id: they and every vote carry a pseudonym of the delegate
scoped to the session (Anonymity.pseudonym), so "my questions", the rate limit, one vote per
delegate and /forget work, and the database alone names nobody.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.i18n import DEFAULT, SUPPORTED, _, use_language
from bot.services.errors import DomainError, NotAllowed
from bot.services.event_data import Consultation, EventData, Session
from bot.services.feedback import Cell, Table
from bot.services.privacy import Anonymity
from bot.services.sanitise import clean
from bot.storage.outbox import Planned
from bot.storage.panel import (
    ANSWERED,
    HIDDEN,
    SHOWN,
    WAITING,
    Board,
    PanelQuestion,
    PanelStore,
    TooMany,
)

logger = logging.getLogger(__name__)

# Questions are taken from this long before a session starts until its end.
OPENS_BEFORE = timedelta(minutes=15)
TEXT_LIMIT = 500
# At most this many questions per delegate and session in RATE_PERIOD.
RATE_LIMIT = 3
RATE_PERIOD = timedelta(minutes=1)
# A chair's live message is edited at most this often.
BOARD_EVERY = 10
# Outbox kinds: a chair's live message brought up to date; "your question is shown" to a
# delegate who asked under their name (an anonymous asker cannot be reached: no id is stored).
BOARD = "panel_board"
SHOWN_NOTICE = "panel_shown"
LINK_PREFIX = "q_"

# Actions a chair takes on a question.
APPROVE = "approve"
HIDE = "hide"
ANSWER = "answer"
PIN = "pin"
UNPIN = "unpin"
ACTIONS = (APPROVE, HIDE, ANSWER, PIN, UNPIN)


class QuestionsClosed(DomainError):
    """The session takes no questions now: not yet (`opens_at`), or no longer."""

    def __init__(self, session: Session, opens_at: datetime, *, not_yet: bool) -> None:
        super().__init__(session.id)
        self.session = session
        self.opens_at = opens_at
        self.not_yet = not_yet


class QuestionTooLong(DomainError):
    def __init__(self, length: int) -> None:
        super().__init__(str(length))
        self.length = length


class EmptyQuestion(DomainError):
    pass


class TooManyQuestions(DomainError):
    pass


class QuestionNotFound(DomainError):
    """No such question (any more), or not in the delegate's consultation."""


class NotVotable(DomainError):
    """The question is hidden, or waits for a chair's approval: it takes no votes."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Listing:
    """A session's questions as a delegate sees them: the pinned one first, then most voted."""

    questions: list[PanelQuestion]
    voted: set[int]


@dataclass(frozen=True)
class BoardState:
    """What a chair's live message shows."""

    counts: dict[str, int]
    ranked: list[PanelQuestion]  # shown and answered, pinned first, most voted next
    waiting: list[PanelQuestion]  # oldest first


_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_WORD = re.compile(r"[^\W\d_]+")
# A few words frequent in each language and rare in the others: enough to tell a question in
# French from one in Spanish or English, when it is not in the delegate's language.
_MARKERS = {
    "en": {"the", "and", "what", "how", "why", "is", "are", "you", "your", "of", "this", "does"},
    "fr": {"le", "les", "et", "est", "des", "vous", "votre", "comment", "pourquoi", "quel",
           "quelle", "quels", "nous", "pour", "une", "du", "au", "aux", "sur", "avec"},
    "es": {"el", "los", "las", "y", "es", "qué", "cómo", "por", "usted", "ustedes", "su", "una",
           "del", "para", "cuál", "cuáles", "con", "sobre", "nosotros", "muy"},
}  # fmt: skip


def written_in(text: str, fallback: str) -> str:
    """The language a question is written in, guessed simply: Arabic script is Arabic; else the
    language most of its frequent words belong to; else the delegate's language."""
    if _ARABIC.search(text):
        return "ar"
    words = [w.lower() for w in _WORD.findall(text)]
    scores = {lang: sum(w in markers for w in words) for lang, markers in _MARKERS.items()}
    best = max(scores.values())
    leaders = [lang for lang, score in scores.items() if score == best]
    if best and fallback in leaders:
        return fallback
    if best and len(leaders) == 1:
        return leaders[0]
    # Latin letters and no telling word: the delegate's language, unless that is Arabic.
    return fallback if fallback in SUPPORTED and fallback != "ar" else DEFAULT


def ranked(questions: Sequence[PanelQuestion]) -> list[PanelQuestion]:
    """The pinned question first, then those not yet answered, most voted (then oldest) first."""
    return sorted(questions, key=lambda q: (not q.pinned, q.status == ANSWERED, -q.votes, q.id))


def digest(shown: str) -> str:
    """What a live message shows, in short (its text and buttons, as the handler renders them)."""
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()[:32]


def board_key(consultation_id: str, session_id: str, chair: int, bucket: int) -> str:
    return f"{BOARD}:{consultation_id}:{session_id}:{chair}:{bucket}"


class PanelQuestions:
    def __init__(
        self,
        store: PanelStore,
        clock: Clock,
        events: Callable[[], EventData],
        anonymity: Anonymity | None,
        *,
        organisers: frozenset[int] = frozenset(),
    ) -> None:
        """`anonymity` tells a delegate's own questions and votes; without it (exports) nothing
        is read or written for a delegate."""
        self._store = store
        self._clock = clock
        self._events = events
        self._anonymity = anonymity
        self._organisers = organisers
        # The question a delegate is about to type: user id -> (consultation, session, until).
        # Kept in memory on purpose: a stored draft would tie the delegate to the anonymous
        # question that follows it.
        self._drafts: dict[int, tuple[str, str, datetime]] = {}
        # Called with (consultation, session) when what a room screen shows may have changed:
        # a question, a vote, a chair's decision (bot/web/wall.py wakes its screens).
        self.on_change: list[Callable[[str, str], None]] = []

    @property
    def store(self) -> PanelStore:
        return self._store

    def _changed(self, consultation_id: str, session_id: str) -> None:
        for listener in self.on_change:
            listener(consultation_id, session_id)

    def _pseudonym(self, consultation_id: str, session_id: str, user_id: int) -> str:
        if self._anonymity is None:
            raise RuntimeError("PanelQuestions without the anonymity key can only export")
        return self._anonymity.pseudonym(f"panel:{consultation_id}:{session_id}", user_id)

    # --- when questions are taken ----------------------------------------------------------

    def window(self, session: Session) -> tuple[datetime, datetime]:
        return session.start - OPENS_BEFORE, session.end

    def is_live(self, session: Session) -> bool:
        opens, closes = self.window(session)
        return session.kind != "break" and opens <= self._clock.now() < closes

    def live_sessions(self, consultation: Consultation) -> list[Session]:
        """The consultation's sessions taking questions now, in programme order."""
        return [s for s in consultation.sessions if self.is_live(s)]

    def _check_live(self, session: Session) -> None:
        opens, _closes = self.window(session)
        if not self.is_live(session):
            raise QuestionsClosed(session, opens, not_yet=self._clock.now() < opens)

    def session(self, consultation: Consultation, session_id: str) -> Session:
        return consultation.delegate_session(session_id)

    def find_linked(
        self, payload: str, preferred: Consultation | None
    ) -> tuple[Consultation, Session]:
        """The session a door QR code (`q_<session>`) names, in the user's consultation first."""
        return self._events().linked_session(payload.removeprefix(LINK_PREFIX), preferred)

    # --- a delegate's side ------------------------------------------------------------------

    def begin(self, user_id: int, consultation: Consultation, session: Session) -> None:
        """The delegate's next text is their question to the session's panel."""
        self._check_live(session)
        until = self._clock.now() + timedelta(minutes=30)
        self._drafts[user_id] = (consultation.id, session.id, until)

    def drafting(self, user_id: int) -> tuple[str, str] | None:
        """The consultation and session the delegate's next text is a question to
        (synchronous: used by a message filter)."""
        draft = self._drafts.get(user_id)
        if draft is None or draft[2] <= self._clock.now():
            return None
        return draft[0], draft[1]

    def stop_drafting(self, user_id: int) -> None:
        self._drafts.pop(user_id, None)

    async def named_by_default(self, user_id: int) -> bool:
        return await self._store.named_by_default(user_id)

    async def set_named_by_default(self, user_id: int, named: bool) -> None:
        await self._store.set_named_by_default(user_id, named)

    async def ask(
        self,
        user_id: int,
        consultation: Consultation,
        session_id: str,
        text: str,
        *,
        name: str | None,
        language: str,
    ) -> PanelQuestion:
        """Send a question to the panel, under `name` or anonymously (None); the choice becomes
        the delegate's default. `language`: the delegate's, when the text does not say."""
        session = self.session(consultation, session_id)
        self._check_live(session)
        body = clean(text).strip()
        if not body:
            raise EmptyQuestion()
        if len(body) > TEXT_LIMIT:
            raise QuestionTooLong(len(body))
        named = name is not None
        display = (clean(name, multiline=False).strip()[:64] or "?") if name is not None else None
        now = self._clock.now()
        try:
            question = await self._store.add(
                consultation.id,
                session.id,
                author=None if named else self._pseudonym(consultation.id, session.id, user_id),
                user_id=user_id if named else None,
                display_name=display,
                language=written_in(body, language),
                text=body,
                status=WAITING if consultation.questions_need_approval else SHOWN,
                limit=RATE_LIMIT,
                since=now - RATE_PERIOD,
                edits=self._board_edits,
                now=now,
            )
        except TooMany:
            raise TooManyQuestions() from None
        await self._store.set_named_by_default(user_id, named)
        self.stop_drafting(user_id)
        self._changed(consultation.id, session.id)
        logger.info(
            "Question %d to %s/%s (%s)", question.id, consultation.id, session.id, question.status
        )
        return question

    async def listing(self, user_id: int, consultation: Consultation, session: Session) -> Listing:
        """The questions others can see (shown and answered), with the delegate's votes."""
        questions = ranked(
            await self._store.of_session(consultation.id, session.id, (SHOWN, ANSWERED))
        )
        voter = self._pseudonym(consultation.id, session.id, user_id)
        voted = await self._store.voted(voter, [q.id for q in questions])
        return Listing(questions, voted)

    async def mine(
        self, user_id: int, consultation: Consultation, session: Session
    ) -> list[PanelQuestion]:
        """The delegate's questions to the session, newest first, whatever their status."""
        author = self._pseudonym(consultation.id, session.id, user_id)
        return await self._store.own(consultation.id, session.id, author, user_id)

    async def question(self, consultation: Consultation, question_id: int) -> PanelQuestion:
        """A question of the consultation's sessions still in the programme."""
        found = await self._store.get(question_id)
        if (
            found is None
            or found.consultation_id != consultation.id
            or consultation.session(found.session_id) is None
        ):
            raise QuestionNotFound(str(question_id))
        return found

    async def vote(
        self, user_id: int, consultation: Consultation, question_id: int, tap: int | None = None
    ) -> bool:
        """Vote for a question shown to all, or take the vote back: True when now voted.
        `tap`: the button press's update, applied once however often it is handled."""
        question = await self.question(consultation, question_id)
        session = self.session(consultation, question.session_id)
        if question.status not in (SHOWN, ANSWERED):
            raise NotVotable(question.status)
        self._check_live(session)
        voter = self._pseudonym(consultation.id, session.id, user_id)
        voted = await self._store.toggle_vote(
            question, voter, self._board_edits, self._clock.now(), tap
        )
        self._changed(consultation.id, session.id)
        return voted

    async def record_visit(
        self, user_id: int, consultation: Consultation, session: Session
    ) -> None:
        """The delegate opened the session's card, door QR code or questions."""
        await self._store.record_visit(user_id, consultation.id, session.id, self._clock.now())

    async def audience(self, consultation_id: str, session_id: str, since: datetime) -> list[int]:
        """The delegates who opened the session's card, door QR code or questions since
        `since` (polls are offered to them)."""
        return await self._store.audience(consultation_id, session_id, since)

    async def count_visible(self, consultation: Consultation, session: Session) -> int:
        counts = await self._store.counts(consultation.id, session.id)
        return counts[SHOWN] + counts[ANSWERED]

    # --- chairs -------------------------------------------------------------------------------

    def _session_of(self, consultation_id: str, session_id: str) -> Session | None:
        consultation = self._events().get(consultation_id)
        return consultation.session(session_id) if consultation else None

    async def is_chair(self, user_id: int, consultation_id: str, session_id: str) -> bool:
        """Whether the user runs the session's questions (and polls): one of its chairs or
        moderators (sessions.yaml's `chairs`, /chairs, `python -m bot chairs`), or an
        organiser."""
        session = self._session_of(consultation_id, session_id)
        if session is None:
            return False
        if user_id in session.chairs or user_id in self._organisers:
            return True
        if await self._store.is_chair(consultation_id, session_id, user_id):
            return True
        return await self._store.is_organiser(user_id)

    async def is_organiser(self, user_id: int) -> bool:
        """An organiser (ORGANISERS, or given the role in the database)."""
        return user_id in self._organisers or await self._store.is_organiser(user_id)

    async def chairs_any(self, user_id: int, consultation_id: str) -> bool:
        """Whether the user chairs any session of the consultation (or is an organiser)."""
        consultation = self._events().get(consultation_id)
        if consultation is None:
            return False
        if user_id in self._organisers or any(user_id in s.chairs for s in consultation.sessions):
            return True
        if await self._store.chairs_any(consultation_id, user_id):
            return True
        return await self._store.is_organiser(user_id)

    async def chairs(self, consultation: Consultation, session: Session) -> list[tuple[int, bool]]:
        """The session's chairs: (user id, named in the data files)."""
        stored = await self._store.chairs(consultation.id, session.id)
        listed = [(user, True) for user in session.chairs]
        return listed + [(user, False) for user in stored if user not in session.chairs]

    async def add_chair(self, consultation: Consultation, session_id: str, user_id: int) -> bool:
        session = self.session(consultation, session_id)
        return await self._store.add_chair(consultation.id, session.id, user_id, self._clock.now())

    async def remove_chair(
        self, consultation: Consultation, session_id: str, user_id: int
    ) -> bool:
        session = self.session(consultation, session_id)
        return await self._store.remove_chair(consultation.id, session.id, user_id)

    async def _require_chair(
        self, user_id: int, consultation: Consultation, session: Session
    ) -> None:
        if not await self.is_chair(user_id, consultation.id, session.id):
            raise NotAllowed()

    async def board_state(
        self, chair: int, consultation: Consultation, session: Session
    ) -> BoardState:
        """What the session's chairs see: counts, the ranked list, the questions waiting."""
        await self._require_chair(chair, consultation, session)
        questions = await self._store.of_session(
            consultation.id, session.id, (WAITING, SHOWN, ANSWERED)
        )
        counts = await self._store.counts(consultation.id, session.id)
        waiting = sorted((q for q in questions if q.status == WAITING), key=lambda q: q.id)
        shown = ranked([q for q in questions if q.status != WAITING])
        return BoardState(counts, shown, waiting)

    async def open_board(
        self,
        chair: int,
        consultation: Consultation,
        session: Session,
        chat_id: int,
        message_id: int,
        shown: str,
    ) -> None:
        """The chair's live message for the session is this one (the outbox edits it);
        `shown`: what it shows (see `shows`)."""
        await self._require_chair(chair, consultation, session)
        board = Board(consultation.id, session.id, chair, chat_id, message_id, digest(shown))
        await self._store.set_board(board, self._clock.now())

    async def board(self, consultation_id: str, session_id: str, chair: int) -> Board | None:
        return await self._store.board(consultation_id, session_id, chair)

    @staticmethod
    def already_shows(board: Board, shown: str) -> bool:
        """Whether the live message shows this already (an edit would change nothing)."""
        return board.shown == digest(shown)

    async def now_shows(self, board: Board, shown: str) -> None:
        """The live message was edited to show this."""
        await self._store.set_shown(board, digest(shown))

    async def moderate(
        self, chair: int, consultation: Consultation, question_id: int, action: str
    ) -> PanelQuestion:
        """A chair approves, hides, marks answered, pins or unpins a question."""
        if action not in ACTIONS:
            raise ValueError(action)
        question = await self.question(consultation, question_id)
        session = self.session(consultation, question.session_id)
        await self._require_chair(chair, consultation, session)
        now = self._clock.now()
        if action in (PIN, UNPIN):
            if question.status in (WAITING, HIDDEN):
                raise NotVotable(question.status)
            await self._store.set_pin(question, action == PIN, self._board_edits, now)
        else:
            status = {APPROVE: SHOWN, HIDE: HIDDEN, ANSWER: ANSWERED}[action]
            notice = None
            if action == APPROVE and question.status == WAITING and question.user_id is not None:
                notice = self._shown_notice(question, session, now)
            await self._store.set_status(question, status, notice, self._board_edits, now)
        logger.info("Question %d: %s by chair %d", question.id, action, chair)
        self._changed(consultation.id, session.id)
        return await self.question(consultation, question_id)

    def _shown_notice(self, question: PanelQuestion, session: Session, now: datetime) -> Planned:
        assert question.user_id is not None
        return Planned(
            kind=SHOWN_NOTICE,
            key=f"{SHOWN_NOTICE}:{question.id}",
            user_id=question.user_id,
            due_at=now,
            not_before=now,
            expires_at=session.end,
            consultation_id=question.consultation_id,
            payload={"question": question.id, "session": question.session_id},
        )

    def _board_edits(
        self, consultation_id: str, session_id: str, chairs: Sequence[int]
    ) -> list[Planned]:
        """Edits of the chairs' live messages: at most one per chair every BOARD_EVERY seconds,
        however many questions and votes come meanwhile (one key per period)."""
        now = self._clock.now()
        bucket = int(now.timestamp()) // BOARD_EVERY
        due = datetime.fromtimestamp((bucket + 1) * BOARD_EVERY, now.tzinfo)
        session = self._session_of(consultation_id, session_id)
        expires = (session.end if session else now) + timedelta(hours=1)
        return [
            Planned(
                kind=BOARD,
                key=board_key(consultation_id, session_id, chair, bucket),
                user_id=chair,
                due_at=due,
                not_before=due,
                expires_at=max(expires, due + timedelta(minutes=1)),
                consultation_id=consultation_id,
                payload={"session": session_id},
            )
            for chair in chairs
        ]

    # --- forgetting, exports -----------------------------------------------------------------

    async def forget(self, user_id: int) -> None:
        """The delegate deletes their data: their questions, named and anonymous, and votes."""
        pseudonyms = [
            self._pseudonym(consultation_id, session_id, user_id)
            for consultation_id, session_id in await self._store.scopes()
        ]
        self.stop_drafting(user_id)
        await self._store.forget(user_id, pseudonyms, self._board_edits, self._clock.now())

    async def of_consultation(self, consultation: Consultation) -> list[PanelQuestion]:
        """Every question of the consultation, in programme order then most voted."""
        questions = await self._store.of_consultation(consultation.id)
        order = {s.id: i for i, s in enumerate(consultation.sessions)}
        questions.sort(key=lambda q: (order.get(q.session_id, len(order)), -q.votes, q.id))
        return questions

    async def table(self, consultation: Consultation, lang: str = DEFAULT) -> Table:
        """Every question of the consultation, in programme order then most voted: a hidden
        one's text and name are left out; an anonymous one names nobody."""
        questions = await self._store.of_consultation(consultation.id)
        order = {s.id: i for i, s in enumerate(consultation.sessions)}
        questions.sort(key=lambda q: (order.get(q.session_id, len(order)), -q.votes, q.id))
        zone = consultation.timezone
        with use_language(lang):
            statuses = {
                WAITING: _("waiting for approval"),
                SHOWN: _("shown"),
                ANSWERED: _("answered"),
                HIDDEN: _("hidden"),
            }
            anonymous = _("anonymous")
            header = (
                _("Session id"),
                _("Session"),
                _("Question"),
                _("Language"),
                _("Votes"),
                _("Status"),
                _("Asked by"),
                # TRANSLATORS: a column of an export; {zone} is a time zone such as Europe/Zurich.
                _("Asked at ({zone})").format(zone=zone.key),
            )
            title = _("Questions to the panels")
        rows: list[tuple[Cell, ...]] = []
        for question in questions:
            session = consultation.session(question.session_id)
            hidden = question.status == HIDDEN
            rows.append(
                (
                    question.session_id,
                    session.title.get(lang) if session else "",
                    "" if hidden else question.text,
                    question.language,
                    question.votes,
                    statuses.get(question.status, question.status),
                    "" if hidden else (question.display_name or anonymous),
                    question.created_at.astimezone(zone),
                )
            )
        return Table(header, rows, title)
