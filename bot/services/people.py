"""Delegates' profiles: language, consultation and roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.services.errors import ConsultationNotFound
from bot.services.event_data import EventData
from bot.services.programme import Programme
from bot.storage.users import UserRecord, UserStore

ORGANISER = "organiser"
MODERATOR = "moderator"
ROLES = (ORGANISER, MODERATOR)


@dataclass(frozen=True)
class Profile:
    user_id: int
    language: str | None
    consultation_id: str | None
    roles: frozenset[str]
    first_name: str = ""

    @property
    def is_organiser(self) -> bool:
        return ORGANISER in self.roles

    @property
    def is_moderator(self) -> bool:
        return MODERATOR in self.roles or ORGANISER in self.roles


class People:
    """Finds and updates delegates; roles come from configuration and the database."""

    def __init__(
        self,
        store: UserStore,
        events: EventData | Programme,
        clock: Clock,
        *,
        organisers: frozenset[int] = frozenset(),
        moderators: frozenset[int] = frozenset(),
        default_consultation: str | None = None,
    ) -> None:
        self._store = store
        # A Programme follows reloads; plain EventData (tests) stays as given.
        self._programme = events if isinstance(events, Programme) else Programme(events)
        self._clock = clock
        self._organisers = organisers
        self._moderators = moderators
        self._default_consultation = default_consultation
        # Called with the user id after they chose a consultation (reminders are re-planned).
        self.on_consultation_change: list[Callable[[int], Awaitable[None]]] = []
        # Called with the user id when a delegate arrives (new, or back after being marked
        # inactive) or is marked inactive: what the bot sends them on its own changes.
        self.on_active_change: list[Callable[[int], Awaitable[None]]] = []

    @property
    def events(self) -> EventData:
        return self._programme.current

    async def profile(
        self, user_id: int, first_name: str = "", client_language: str | None = None
    ) -> Profile:
        """The delegate's profile, created on first contact; `client_language` is remembered."""
        record, arrived = await self._store.visit(
            user_id, first_name, self._clock.now(), client_language
        )
        if arrived:
            for listener in self.on_active_change:
                await listener(user_id)
        roles = set(await self._store.roles(user_id))
        if user_id in self._organisers:
            roles.add(ORGANISER)
        if user_id in self._moderators:
            roles.add(MODERATOR)
        # With one consultation, or a configured default, nobody has to choose.
        consultation = self.events.resolve(record.consultation_id, self._default_consultation)
        consultation_id = consultation.id if consultation else None
        return Profile(user_id, record.language, consultation_id, frozenset(roles), first_name)

    async def set_language(self, user_id: int, language: str) -> None:
        await self._store.set_language(user_id, language, self._clock.now())

    async def set_consultation(self, user_id: int, consultation_id: str) -> None:
        if self.events.get(consultation_id) is None:
            raise ConsultationNotFound(consultation_id)
        await self._store.set_consultation(user_id, consultation_id, self._clock.now())
        for listener in self.on_consultation_change:
            await listener(user_id)

    async def get(self, user_id: int) -> UserRecord | None:
        """The stored delegate, without creating or touching anything (None: unknown)."""
        return await self._store.get(user_id)

    async def mark_inactive(self, user_id: int) -> None:
        await self._store.set_active(user_id, False, self._clock.now())
        for listener in self.on_active_change:
            await listener(user_id)

    async def forget(self, user_id: int) -> bool:
        """Delete everything stored about the delegate."""
        return await self._store.delete(user_id)
