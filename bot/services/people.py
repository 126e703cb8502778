"""Delegates' profiles: language, consultation and roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.i18n import pick_language
from bot.services.errors import ConsultationNotFound
from bot.services.event_data import EventData
from bot.services.privacy import Anonymity, ticket_forgotten
from bot.services.programme import Programme
from bot.services.sanitise import clean
from bot.storage.outbox import Planned
from bot.storage.users import PostedTicket, UserRecord, UserStore

ORGANISER = "organiser"
MODERATOR = "moderator"
ROLES = (ORGANISER, MODERATOR)

# Roles granted or removed from the command line (another process) apply within this delay.
ROLES_REFRESH = timedelta(seconds=30)
# Delegates whose stored row is remembered, so that an update from them reads no row.
KNOWN_LIMIT = 50_000


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
        anonymity: Anonymity,
        organisers: frozenset[int] = frozenset(),
        moderators: frozenset[int] = frozenset(),
        default_consultation: str | None = None,
    ) -> None:
        self._store = store
        # A Programme follows reloads; plain EventData (tests) stays as given.
        self._programme = events if isinstance(events, Programme) else Programme(events)
        self._clock = clock
        self._anonymity = anonymity
        self._organisers = organisers
        self._moderators = moderators
        self._default_consultation = default_consultation
        # Called with the user id after they chose a consultation (reminders are re-planned).
        self.on_consultation_change: list[Callable[[int], Awaitable[None]]] = []
        # Called with the user id when a delegate arrives (new, or back after being marked
        # inactive) or is marked inactive: what the bot sends them on its own changes.
        self.on_active_change: list[Callable[[int], Awaitable[None]]] = []
        # Called with the user id before a delegate's data is deleted: what must be undone
        # first (their sign-ups' seats go to those waiting).
        self.before_forget: list[Callable[[int], Awaitable[None]]] = []
        # The row last stored for each delegate who wrote lately: only this process writes
        # the users table, and every write below drops the delegate from here.
        self._known: dict[int, UserRecord] = {}
        # Counts those writes: a row read while one was under way is not remembered.
        self._writes = 0
        # The roles table, read again at most every ROLES_REFRESH.
        self._stored_roles: dict[int, frozenset[str]] = {}
        self._roles_read_at: datetime | None = None

    @property
    def events(self) -> EventData:
        return self._programme.current

    async def profile(
        self, user_id: int, first_name: str = "", client_language: str | None = None
    ) -> Profile:
        """The delegate's profile, created on first contact; `client_language` is remembered.

        Only for someone in a private chat with the bot; in a group, `group_profile`.
        """
        first_name = clean(first_name, multiline=False)
        now = self._clock.now()
        record = self._known.get(user_id)
        if record is None or not record.is_current(
            first_name, client_language, console=self._store.console
        ):
            writes = self._writes
            record, arrived = await self._store.visit(user_id, first_name, now, client_language)
            if writes == self._writes:
                self._remember(record)
            if arrived:
                for listener in self.on_active_change:
                    await listener(user_id)
        return await self._profile(user_id, record, first_name, now)

    async def group_profile(self, user_id: int, first_name: str = "") -> Profile:
        """The profile of someone writing outside a private chat (a command in a group, a button
        on a group's message): their stored row if they are a delegate, else only their roles.

        Stores and changes nothing: only a private chat makes someone a delegate (a recipient),
        and a delegate who blocked the bot stays marked so.
        """
        record = self._known.get(user_id)
        if record is None:
            writes = self._writes
            record = await self._store.get(user_id)
            if record is not None and writes == self._writes:
                self._remember(record)
        return await self._profile(
            user_id, record, clean(first_name, multiline=False), self._clock.now()
        )

    async def profile_now(self, user_id: int) -> Profile:
        """`group_profile` with the roles read from the database now, not as remembered for
        up to ROLES_REFRESH: for the moderators' web view, where a demotion counts at once."""
        self._roles_read_at = None
        return await self.group_profile(user_id)

    async def _profile(
        self, user_id: int, record: UserRecord | None, first_name: str, now: datetime
    ) -> Profile:
        roles = set(await self._roles(user_id, now))
        if user_id in self._organisers:
            roles.add(ORGANISER)
        if user_id in self._moderators:
            roles.add(MODERATOR)
        chosen = record.consultation_id if record else None
        # With one consultation, or a configured default, nobody has to choose.
        consultation = self.events.resolve(chosen, self._default_consultation)
        consultation_id = consultation.id if consultation else None
        language = record.language if record else None
        return Profile(user_id, language, consultation_id, frozenset(roles), first_name)

    def _remember(self, record: UserRecord) -> None:
        self._known.pop(record.user_id, None)
        if len(self._known) >= KNOWN_LIMIT:
            # The delegate remembered longest ago goes first.
            del self._known[next(iter(self._known))]
        self._known[record.user_id] = record

    def _changed(self, user_id: int) -> None:
        """After a write to the delegate's row: read it again on their next update."""
        self._writes += 1
        self._known.pop(user_id, None)

    async def _roles(self, user_id: int, now: datetime) -> frozenset[str]:
        read_at = self._roles_read_at
        if read_at is None or not timedelta(0) <= now - read_at < ROLES_REFRESH:
            stored: dict[int, set[str]] = {}
            for holder, role in await self._store.all_roles():
                stored.setdefault(holder, set()).add(role)
            self._stored_roles = {holder: frozenset(roles) for holder, roles in stored.items()}
            self._roles_read_at = now
        return self._stored_roles.get(user_id, frozenset())

    async def set_language(self, user_id: int, language: str) -> None:
        await self._store.set_language(user_id, language, self._clock.now())
        self._changed(user_id)

    async def set_consultation(self, user_id: int, consultation_id: str) -> None:
        if self.events.get(consultation_id) is None:
            raise ConsultationNotFound(consultation_id)
        await self._store.set_consultation(user_id, consultation_id, self._clock.now())
        self._changed(user_id)
        for listener in self.on_consultation_change:
            await listener(user_id)

    async def get(self, user_id: int) -> UserRecord | None:
        """The stored delegate, without creating or touching anything (None: unknown)."""
        return await self._store.get(user_id)

    async def mark_inactive(self, user_id: int) -> None:
        await self._store.set_active(user_id, False, self._clock.now())
        self._changed(user_id)
        for listener in self.on_active_change:
            await listener(user_id)

    async def reading_language(self, user_id: int) -> str | None:
        """The language the delegate reads: chosen with /language, else their client's."""
        record = self._known.get(user_id) or await self._store.get(user_id)
        return record.reading_language if record else None

    async def languages_read(self) -> list[str]:
        """The supported languages active delegates read, the most read first."""
        found: list[str] = []
        for code in await self._store.reading_languages():
            language = pick_language(code)
            if language not in found:
                found.append(language)
        return found

    async def forget(self, user_id: int) -> bool:
        """Delete everything stored about the delegate, their anonymous rows too; the messages
        of their tickets in the helpdesk group are blanked (through the outbox, once each)."""
        for listener in self.before_forget:
            await listener(user_id)
        now = self._clock.now()

        def blank(ticket: PostedTicket) -> Planned:
            return ticket_forgotten(
                ticket.id, ticket.consultation_id, ticket.chat_id, ticket.message_id, now
            )

        deleted = await self._store.forget(user_id, self._anonymity.author(user_id), blank, now)
        self._changed(user_id)
        return deleted
