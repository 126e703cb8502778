"""Sign-ups for sessions with limited seats: a seat or the waiting list, cancelling, the seat a
cancellation (or a larger capacity) frees going to the first waiting, and organisers' lists."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.services.errors import DomainError, NotAllowed, SessionNotFound
from bot.services.event_data import Consultation, EventData, Session
from bot.storage.outbox import Planned
from bot.storage.signups import Counts, Promotion, SignupEntry, SignupStore, Standing

logger = logging.getLogger(__name__)

# Outbox kind: "you have a seat", to the delegate a freed seat went to.
SEAT = "signup_seat"
# The card says how many seats are left once they are this few.
FEW_SEATS = 5


class SignupsClosed(DomainError):
    """The session takes no sign-ups (none in the data), or no longer (it has started)."""

    def __init__(self, session_id: str, *, started: bool) -> None:
        super().__init__(session_id)
        self.session_id = session_id
        self.started = started


@dataclass(frozen=True)
class Occupancy:
    capacity: int
    seated: int
    waiting: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.seated)

    @property
    def full(self) -> bool:
        return self.left == 0

    @property
    def few_left(self) -> bool:
        return 0 < self.left <= FEW_SEATS


@dataclass(frozen=True)
class Roster:
    """A session's sign-ups as organisers see them: the seats, then the waiting list."""

    session: Session
    occupancy: Occupancy
    seated: tuple[SignupEntry, ...]
    waiting: tuple[SignupEntry, ...]


def takes_signups(session: Session) -> bool:
    return session.signup and session.capacity is not None


class Signups:
    def __init__(self, store: SignupStore, clock: Clock, events: Callable[[], EventData]) -> None:
        self._store = store
        self._clock = clock
        self._events = events

    def is_open(self, session: Session) -> bool:
        """Whether delegates may sign up or cancel now: until the session starts."""
        return takes_signups(session) and self._clock.now() < session.start

    def _open_session(self, consultation: Consultation, session_id: str) -> Session:
        session = consultation.session(session_id)
        if session is None:
            raise SessionNotFound(session_id)
        if not self.is_open(session):
            raise SignupsClosed(session_id, started=takes_signups(session))
        return session

    async def sign_up(self, user_id: int, consultation: Consultation, session_id: str) -> Standing:
        """A seat if one is free, else the end of the waiting list (signing up twice: the same)."""
        session = self._open_session(consultation, session_id)
        assert session.capacity is not None  # takes_signups
        standing = await self._store.sign_up(
            user_id, consultation.id, session.id, session.capacity, self._clock.now()
        )
        logger.info(
            "Sign-up %d for %s/%s: %s",
            standing.signup_id,
            consultation.id,
            session.id,
            "seat" if standing.seated else f"waiting {standing.position}",
        )
        return standing

    async def cancel(self, user_id: int, consultation: Consultation, session_id: str) -> bool:
        """Give up a seat or a place on the waiting list; a freed seat goes to the first
        waiting, who is told. False when the delegate was not signed up."""
        session = self._open_session(consultation, session_id)
        now = self._clock.now()
        cancelled, promoted = await self._store.cancel(
            user_id, consultation.id, session.id, session.capacity, self._notice(), now
        )
        self._log(promoted)
        return cancelled

    async def standing(
        self, user_id: int, consultation: Consultation, session: Session
    ) -> Standing | None:
        return await self._store.standing(user_id, consultation.id, session.id)

    async def occupancy(self, consultation: Consultation, session: Session) -> Occupancy:
        counts = await self._store.session_counts(consultation.id, session.id)
        return Occupancy(session.capacity or 0, counts.seated, counts.waiting)

    async def overview(self, consultation: Consultation) -> list[tuple[Session, Occupancy]]:
        """The consultation's sessions that take sign-ups, in programme order, with their seats."""
        counts = await self._store.counts(consultation.id)
        return [
            (s, Occupancy(s.capacity or 0, *_pair(counts.get(s.id))))
            for s in consultation.sessions
            if takes_signups(s)
        ]

    async def roster(
        self, consultation: Consultation, session_id: str, *, organiser: bool
    ) -> Roster:
        """A session's list, for organisers only (names are personal data)."""
        if not organiser:
            raise NotAllowed()
        session = consultation.session(session_id)
        if session is None or not takes_signups(session):
            raise SessionNotFound(session_id)
        entries = await self._store.entries(consultation.id, session.id)
        seated = tuple(e for e in entries if e.seated)
        waiting = tuple(e for e in entries if not e.seated)
        occupancy = Occupancy(session.capacity or 0, len(seated), len(waiting))
        return Roster(session, occupancy, seated, waiting)

    async def holds_seat(self, signup_id: int) -> bool:
        return await self._store.is_seated(signup_id)

    async def forget(self, user_id: int) -> None:
        """The delegate deletes their data: their sign-ups go, their seats to those waiting."""
        events = self._events()
        promoted = await self._store.forget(
            user_id, self._seats(events), self._notice(events), self._clock.now()
        )
        self._log(promoted)

    async def settle(self, events: EventData) -> None:
        """After a reload (and at start): sessions that left the data or no longer take
        sign-ups keep none; seats a larger capacity adds go to those waiting."""

        def keep(consultation_id: str, session_id: str) -> bool:
            consultation = events.get(consultation_id)
            session = consultation.session(session_id) if consultation else None
            return session is not None and takes_signups(session)

        dropped, promoted = await self._store.settle(
            keep, self._seats(events), self._notice(events), self._clock.now()
        )
        if dropped:
            logger.info("Sign-ups dropped for %d sessions no longer taking them", dropped)
        self._log(promoted)

    def _seats(self, events: EventData) -> Callable[[str, str], int | None]:
        """Seats a session gives out now: none once it has started."""

        def seats(consultation_id: str, session_id: str) -> int | None:
            consultation = events.get(consultation_id)
            session = consultation.session(session_id) if consultation else None
            if session is None or not self.is_open(session):
                return None
            return session.capacity

        return seats

    def _notice(self, events: EventData | None = None) -> Callable[[Promotion], Planned]:
        now = self._clock.now()
        programme = events or self._events()

        def notice(promotion: Promotion) -> Planned:
            consultation = programme.get(promotion.consultation_id)
            session = consultation.session(promotion.session_id) if consultation else None
            return Planned(
                kind=SEAT,
                key=f"{SEAT}:{promotion.signup_id}",
                user_id=promotion.user_id,
                due_at=now,
                not_before=now,
                # Of no use once the session is over.
                expires_at=session.end if session else now,
                consultation_id=promotion.consultation_id,
                payload={"session": promotion.session_id, "signup": promotion.signup_id},
            )

        return notice

    @staticmethod
    def _log(promoted: list[Promotion]) -> None:
        for promotion in promoted:
            logger.info(
                "Sign-up %d given a freed seat for %s/%s",
                promotion.signup_id,
                promotion.consultation_id,
                promotion.session_id,
            )


def _pair(counts: Counts | None) -> tuple[int, int]:
    return (counts.seated, counts.waiting) if counts else (0, 0)
