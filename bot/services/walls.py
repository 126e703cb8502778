"""Room screens: a projector's page (/wall/<secret>) of one session, or of whatever is on in one
room, with the audience's top questions, the open poll's results and a QR code to join.

Organisers get a screen's address for any session or room, a session's chairs for their session
(`/wall` in the chat). The secret (`secrets.token_urlsafe(32)`) is shown once; only its SHA-256
is stored, and a request's secret is hashed and compared in constant time. Renewing replaces it:
the old address stops at once, screens showing it included.

What a screen shows is read here (`snapshot`), never a delegate's name unless they asked under
it: anonymous questions carry none, and poll results are counts only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.services.errors import DomainError, NotAllowed
from bot.services.event_data import Consultation, EventData, Room, Session
from bot.services.panel import ranked
from bot.services.rooms import on_in
from bot.services.secret_links import new_secret, same_hash, secret_hash
from bot.storage.panel import ANSWERED, SHOWN, PanelQuestion, PanelStore
from bot.storage.polls import OPEN, PollRecord, PollStore, Tally
from bot.storage.walls import KINDS, ROOM, SESSION, WallRecord, WallStore

WALL_PATH = "/wall/{secret}"
TOP_QUESTIONS = 5  # on the screen at once: readable from the back of the room


class RoomNotFound(DomainError):
    """No room with this id in the consultation's rooms.yaml."""


class Roles(Protocol):
    """Who may have a session's screen: its chairs and the organisers."""

    async def is_chair(self, user_id: int, consultation_id: str, session_id: str) -> bool: ...

    async def is_organiser(self, user_id: int) -> bool: ...


def address(base_url: str, secret: str) -> str:
    return base_url.rstrip("/") + WALL_PATH.format(secret=secret)


@dataclass(frozen=True)
class OpenPoll:
    poll: PollRecord
    tally: Tally


@dataclass(frozen=True)
class WallSnapshot:
    """What a screen shows now, in no language yet."""

    consultation: Consultation
    room: Room | None  # a room's screen: the room
    session: Session | None  # the session now (or next, `running` False); None: nothing left
    running: bool
    questions: list[PanelQuestion]  # shown and answered, pinned first, then most voted
    poll: OpenPoll | None
    now: datetime


class Walls:
    """Issue, renew and find room screens' addresses; read what a screen shows."""

    def __init__(
        self,
        store: WallStore,
        questions: PanelStore,
        polls: PollStore,
        events: Callable[[], EventData],
        clock: Clock,
        roles: Roles | None = None,
    ) -> None:
        """`roles`: who may issue addresses (None: none may, as in the web server alone)."""
        self._store = store
        self._questions = questions
        self._polls = polls
        self._events = events
        self._clock = clock
        self._roles = roles

    # --- addresses ---------------------------------------------------------------------------

    def target(self, consultation: Consultation, kind: str, target: str) -> Session | Room:
        """The session or room a screen would show (SessionNotFound, RoomNotFound)."""
        if kind == SESSION:
            return consultation.delegate_session(target)
        if kind == ROOM:
            room = consultation.room(target)
            if room is None:
                raise RoomNotFound(target)
            return room
        raise ValueError(kind)

    async def may_have(
        self, user_id: int, consultation: Consultation, kind: str, target: str
    ) -> bool:
        """Organisers may have any screen; a session's chairs their session's."""
        if self._roles is None:
            return False
        if await self._roles.is_organiser(user_id):
            return True
        return kind == SESSION and await self._roles.is_chair(user_id, consultation.id, target)

    async def issued_at(
        self, consultation: Consultation, kind: str, target: str
    ) -> datetime | None:
        """When the screen's current address was made (None: it has none)."""
        return await self._store.created(consultation.id, kind, target)

    async def issue(self, user_id: int, consultation: Consultation, kind: str, target: str) -> str:
        """A new secret address of the screen; any older one stops at once."""
        self.target(consultation, kind, target)
        if not await self.may_have(user_id, consultation, kind, target):
            raise NotAllowed()
        secret = new_secret()
        await self._store.set(
            consultation.id, kind, target, secret_hash(secret), self._clock.now()
        )
        return secret

    async def find(self, secret: str) -> WallRecord | None:
        """The screen of this address, or None: unknown secrets and renewed ones alike."""
        return await self.find_hash(secret_hash(secret))

    async def find_hash(self, wanted: str) -> WallRecord | None:
        found = await self._store.find(wanted)
        if found is None or not same_hash(found.secret_hash, wanted):
            return None
        return found

    # --- what a screen shows ------------------------------------------------------------------

    async def snapshot(self, record: WallRecord) -> WallSnapshot | None:
        """What the screen shows now (None: its session or room is no longer in the programme)."""
        consultation = self._events().get(record.consultation_id)
        if consultation is None or record.kind not in KINDS:
            return None
        now = self._clock.now()
        room: Room | None = None
        session: Session | None
        if record.kind == ROOM:
            room = consultation.room(record.target)
            if room is None:
                return None
            found = on_in(consultation, room.id, now)
            on = found.now or found.next
            session = on[0] if on else None
        else:
            session = consultation.session(record.target)
            if session is None:
                return None
        if session is None:
            return WallSnapshot(consultation, room, None, False, [], None, now)
        running = session.start <= now < session.end
        questions = await self._questions.of_session(
            consultation.id, session.id, (SHOWN, ANSWERED)
        )
        return WallSnapshot(
            consultation,
            room,
            session,
            running,
            ranked(questions)[:TOP_QUESTIONS],
            await self._open_poll(consultation.id, session.id),
            now,
        )

    async def _open_poll(self, consultation_id: str, session_id: str) -> OpenPoll | None:
        for poll in await self._polls.of_session(consultation_id, session_id, 3):
            if poll.state == OPEN:
                return OpenPoll(poll, await self._polls.tally(poll.id))
        return None
