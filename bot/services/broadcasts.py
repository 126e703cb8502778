"""Organisers' announcements: compose a draft, choose who gets it, send now or at a time.

Recipients are fixed when sending starts: one outbox row each, written in the same transaction
that marks the broadcast as sending, so a crash can neither lose nor double them. The delivery
service then sends them at Telegram's pace; `settle` notices when a broadcast is done.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.i18n import SUPPORTED
from bot.services.errors import DomainError
from bot.services.event_data import Consultation, EventData
from bot.services.people import MODERATOR, ORGANISER
from bot.storage.broadcasts import (
    AUDIENCE_KINDS,
    DRAFT,
    SCHEDULED,
    SENDING,
    AudienceQuery,
    BroadcastRecord,
    BroadcastStore,
    subject_of,
)
from bot.storage.outbox import OutboxStore

# Telegram allows 4,096 characters in a message and 1,024 in a caption; the header the
# recipients see above the text takes the rest.
TEXT_LIMIT = 3800
CAPTION_LIMIT = 900
AWAIT_FOR = timedelta(minutes=30)
ROLES = (ORGANISER, MODERATOR)
UNKNOWN_LISTED = 20


class BroadcastNotFound(DomainError):
    pass


class NotADraft(DomainError):
    """The broadcast was already sent, scheduled or cancelled (an old button)."""


class NothingToSend(DomainError):
    pass


class TextTooLong(DomainError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(length, limit)
        self.length = length
        self.limit = limit


class TimeNotUnderstood(DomainError):
    pass


class TimeInPast(DomainError):
    pass


class AudienceNotValid(DomainError):
    pass


@dataclass(frozen=True)
class Audience:
    """Who gets a broadcast: everyone, a consultation, a language, a session's audience, a role."""

    kind: str = "consultation"
    language: str | None = None
    session_id: str | None = None
    role: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for name in ("language", "session_id", "role"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            kind=str(data.get("kind", "consultation")),
            language=data.get("language"),
            session_id=data.get("session_id"),
            role=data.get("role"),
        )

    @property
    def needs_consultation(self) -> bool:
        return self.kind in ("consultation", "language", "session")


@dataclass(frozen=True)
class Awaited:
    """What an organiser's next message is for: a language's text, or the time to send."""

    broadcast_id: int
    what: str  # "text:<lang>" or "time"
    until: datetime

    @property
    def language(self) -> str | None:
        return self.what.split(":", 1)[1] if self.what.startswith("text:") else None


@dataclass(frozen=True)
class Report:
    """How a broadcast fared: counts by outbox state, reasons of failures, the unknown ones."""

    record: BroadcastRecord
    counts: dict[str, int]
    failures: list[tuple[str, str, int]] = field(default_factory=list)
    unknown: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0)

    @property
    def failed(self) -> int:
        return sum(n for _state, _reason, n in self.failures)

    @property
    def unknown_count(self) -> int:
        return self.counts.get("unknown", 0)

    @property
    def open(self) -> int:
        return self.counts.get("pending", 0) + self.counts.get("sending", 0)

    @property
    def cancelled(self) -> int:
        return self.counts.get("cancelled", 0)


def text_length(visible: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(visible.encode("utf-16-le")) // 2


_CLOCK = re.compile(r"^(\d{1,2})\s*[:hH.]\s*(\d{2})$")
_DATE_CLOCK = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})\s*[:hH.]\s*(\d{2})$")


def parse_local_time(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """ "18:00" (today, or tomorrow once past), "18h00", or "2026-12-08 18:00", in `zone`."""
    cleaned = " ".join(text.strip().split())
    try:
        if match := _CLOCK.match(cleaned):
            clock = time(int(match.group(1)), int(match.group(2)))
            today = now.astimezone(zone).date()
            moment = datetime.combine(today, clock, tzinfo=zone)
            if moment <= now:
                moment = datetime.combine(today + timedelta(days=1), clock, tzinfo=zone)
            return moment
        if match := _DATE_CLOCK.match(cleaned):
            year, month, day, hour, minute = (int(g) for g in match.groups())
            return datetime.combine(date(year, month, day), time(hour, minute), tzinfo=zone)
    except ValueError as exc:  # 25:00, 2026-02-30
        raise TimeNotUnderstood(text) from exc
    raise TimeNotUnderstood(text)


class Broadcasts:
    def __init__(
        self,
        store: BroadcastStore,
        outbox: OutboxStore,
        events: Callable[[], EventData],
        clock: Clock,
        *,
        organisers: frozenset[int] = frozenset(),
        moderators: frozenset[int] = frozenset(),
        default_consultation: str | None = None,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._events = events
        self._clock = clock
        self._role_ids = {ORGANISER: organisers, MODERATOR: moderators}
        self._default_consultation = default_consultation
        self._awaiting: dict[int, Awaited] = {}
        # Broadcasts being sent, read once for all their recipients' messages.
        self._sending: dict[int, BroadcastRecord] = {}

    @property
    def store(self) -> BroadcastStore:
        return self._store

    async def load(self) -> None:
        """At start: the drafts whose organisers were about to type something."""
        for record in await self._store.awaiting():
            if record.created_by is not None and record.awaiting and record.awaiting_until:
                self._awaiting[record.created_by] = Awaited(
                    record.id, record.awaiting, record.awaiting_until
                )

    # --- composing --------------------------------------------------------------------------

    def expected(self, user_id: int) -> Awaited | None:
        """What the organiser's next message is for (synchronous: used by a message filter)."""
        awaited = self._awaiting.get(user_id)
        if awaited is None or awaited.until <= self._clock.now():
            return None
        return awaited

    async def new_draft(
        self, user_id: int, consultation_id: str | None, language: str
    ) -> BroadcastRecord:
        """A fresh draft for the organiser's consultation, waiting for its first text."""
        now = self._clock.now()
        record = await self._store.create(
            created_by=user_id,
            origin="chat",
            consultation_id=consultation_id,
            audience=Audience("consultation" if consultation_id else "all").to_json(),
            now=now,
            awaiting=f"text:{language}",
            awaiting_until=now + AWAIT_FOR,
        )
        self._awaiting[user_id] = Awaited(record.id, f"text:{language}", now + AWAIT_FOR)
        return record

    async def draft(self, user_id: int, broadcast_id: int | None = None) -> BroadcastRecord:
        """The organiser's draft (the given one, if it still is theirs and a draft)."""
        record = (
            await self._store.get(broadcast_id)
            if broadcast_id is not None
            else await self._store.draft_of(user_id)
        )
        if record is None or record.created_by != user_id:
            raise BroadcastNotFound(broadcast_id)
        if record.state != DRAFT:
            raise NotADraft(record.id)
        return record

    async def expect(self, record: BroadcastRecord, what: str) -> None:
        assert record.created_by is not None
        now = self._clock.now()
        await self._store.set_awaiting(record.id, what, now + AWAIT_FOR, now)
        self._awaiting[record.created_by] = Awaited(record.id, what, now + AWAIT_FOR)

    async def stop_expecting(self, user_id: int) -> None:
        awaited = self._awaiting.pop(user_id, None)
        if awaited is not None:
            await self._store.set_awaiting(awaited.broadcast_id, None, None, self._clock.now())

    async def set_text(
        self,
        record: BroadcastRecord,
        language: str,
        html: str,
        visible: str,
        media: tuple[str, str] | None = None,
    ) -> BroadcastRecord:
        """The text in one language (Telegram HTML; `visible` is what it shows, for its length).

        A photo or document comes with it, or stays from before.
        """
        if language not in SUPPORTED:
            raise AudienceNotValid(language)
        media = media or _media(record)
        if not visible.strip() and media is None:
            raise NothingToSend(record.id)
        limit = CAPTION_LIMIT if media else TEXT_LIMIT
        if text_length(visible) > limit:
            raise TextTooLong(text_length(visible), limit)
        texts = dict(record.texts)
        if media and record.media_kind is None:
            # An attachment added now: the texts written before become captions and must fit.
            # (Their HTML is measured, tags included: a little strict, never too lax.)
            for other in texts.values():
                if text_length(other) > limit:
                    raise TextTooLong(text_length(other), limit)
        if html.strip():
            texts[language] = html
        fallback = record.fallback if record.fallback in texts else None
        fallback = fallback or (language if language in texts else None)
        await self._store.set_content(record.id, texts, fallback, media, self._clock.now())
        if record.created_by is not None:
            self._awaiting.pop(record.created_by, None)
        return await self._fresh(record.id)

    async def remove_media(self, record: BroadcastRecord) -> BroadcastRecord:
        if not record.texts:
            raise NothingToSend(record.id)
        await self._store.set_content(
            record.id, record.texts, record.fallback, None, self._clock.now()
        )
        return await self._fresh(record.id)

    async def set_fallback(self, record: BroadcastRecord, language: str) -> BroadcastRecord:
        if language not in record.texts:
            raise AudienceNotValid(language)
        await self._store.set_content(
            record.id, record.texts, language, _media(record), self._clock.now()
        )
        return await self._fresh(record.id)

    async def set_audience(
        self, record: BroadcastRecord, audience: Audience, consultation_id: str | None
    ) -> BroadcastRecord:
        """`consultation_id`: the organiser's; kept only for an audience within it (everyone
        and the roles span all consultations, and their message names none)."""
        self.check_audience(audience, consultation_id)
        scope = consultation_id if audience.needs_consultation else None
        await self._store.set_audience(record.id, audience.to_json(), scope, self._clock.now())
        return await self._fresh(record.id)

    def check_audience(self, audience: Audience, consultation_id: str | None) -> None:
        if audience.kind not in AUDIENCE_KINDS:
            raise AudienceNotValid(audience.kind)
        consultation = self._events().get(consultation_id)
        if audience.needs_consultation and consultation is None:
            raise AudienceNotValid(audience.kind)
        if audience.kind == "language" and audience.language not in SUPPORTED:
            raise AudienceNotValid(audience.language)
        if audience.kind == "session" and (
            consultation is None or consultation.session(audience.session_id or "") is None
        ):
            raise AudienceNotValid(audience.session_id)
        if audience.kind == "role" and audience.role not in ROLES:
            raise AudienceNotValid(audience.role)

    async def discard(self, user_id: int, broadcast_id: int) -> bool:
        record = await self._store.get(broadcast_id)
        if record is None or record.created_by != user_id:
            return False
        self._awaiting.pop(user_id, None)
        return await self._store.discard(broadcast_id)

    async def _fresh(self, broadcast_id: int) -> BroadcastRecord:
        record = await self._store.get(broadcast_id)
        if record is None:
            raise BroadcastNotFound(broadcast_id)
        return record

    # --- who gets it --------------------------------------------------------------------------

    def query(self, audience: Audience, consultation_id: str | None) -> AudienceQuery:
        events = self._events()
        default = events.resolve(None, self._default_consultation)
        return AudienceQuery(
            kind=audience.kind,
            consultation_id=consultation_id,
            unset_in=default is not None and default.id == consultation_id,
            language=audience.language,
            session_id=audience.session_id,
            role=audience.role,
            role_ids=tuple(sorted(self._role_ids.get(audience.role or "", frozenset()))),
        )

    async def readers(self, record: BroadcastRecord) -> dict[str, int]:
        """How many recipients would read each text now (language of the text -> count)."""
        return await self.preview(
            record.texts,
            record.fallback,
            Audience.from_json(record.audience),
            record.consultation_id,
        )

    async def preview(
        self,
        texts: dict[str, str],
        fallback: str | None,
        audience: Audience,
        consultation_id: str | None,
    ) -> dict[str, int]:
        """How many of the audience would read each text now (language of the text -> count)."""
        counts = await self._store.count_by_language(self.query(audience, consultation_id))
        result: dict[str, int] = {}
        for language, count in counts.items():
            shown = text_language(texts, fallback, language)
            result[shown] = result.get(shown, 0) + count
        return result

    async def count(self, audience: Audience, consultation_id: str | None) -> int:
        return sum((await self.by_language(audience, consultation_id)).values())

    async def by_language(
        self, audience: Audience, consultation_id: str | None
    ) -> dict[str | None, int]:
        """The audience now, by the language its delegates read (None: not known). For a
        consultation's audience these are also the counts of its language audiences."""
        return await self._store.count_by_language(self.query(audience, consultation_id))

    # --- sending ------------------------------------------------------------------------------

    def _ready(self, record: BroadcastRecord) -> None:
        if not record.texts and record.media_kind is None:
            raise NothingToSend(record.id)
        self.check_audience(Audience.from_json(record.audience), record.consultation_id)

    async def send_now(
        self, record: BroadcastRecord, progress: tuple[int, int] | None = None
    ) -> int:
        """Start sending at once; returns the number of recipients."""
        self._ready(record)
        now = self._clock.now()
        if not await self._store.schedule(record.id, now, progress, now):
            raise NotADraft(record.id)
        self._forget_awaiting(record)
        count = await self._start(record.id, now)
        return count or 0

    async def schedule(
        self, record: BroadcastRecord, at: datetime, progress: tuple[int, int] | None = None
    ) -> None:
        self._ready(record)
        now = self._clock.now()
        if at <= now:
            raise TimeInPast(at)
        if not await self._store.schedule(record.id, at, progress, now):
            raise NotADraft(record.id)
        self._forget_awaiting(record)

    def _forget_awaiting(self, record: BroadcastRecord) -> None:
        if record.created_by is not None:
            self._awaiting.pop(record.created_by, None)

    async def create_scheduled(
        self,
        *,
        consultation_id: str | None,
        texts: dict[str, str],
        fallback: str,
        audience: Audience,
        at: datetime,
    ) -> BroadcastRecord:
        """A broadcast from the command line: scheduled at `at` (now: the bot starts it)."""
        self.check_audience(audience, consultation_id)
        if not texts:
            raise NothingToSend(None)
        for text in texts.values():
            if text_length(text) > TEXT_LIMIT:
                raise TextTooLong(text_length(text), TEXT_LIMIT)
        return await self._store.create(
            created_by=None,
            origin="cli",
            consultation_id=consultation_id,
            audience=audience.to_json(),
            now=self._clock.now(),
            texts=texts,
            fallback=fallback,
            state=SCHEDULED,
            scheduled_at=at,
        )

    async def _start(self, broadcast_id: int, now: datetime) -> int | None:
        record = await self._store.get(broadcast_id)
        if record is None:
            return None
        query = self.query(Audience.from_json(record.audience), record.consultation_id)
        return await self._store.start(broadcast_id, query, now)

    async def start_due(self) -> list[BroadcastRecord]:
        """Start the scheduled broadcasts whose time has come; returns those started."""
        now = self._clock.now()
        started = []
        for record in await self._store.due(now):
            if await self._start(record.id, now) is not None:
                started.append(await self._fresh(record.id))
        return started

    async def for_delivery(self, broadcast_id: int) -> BroadcastRecord | None:
        """The broadcast an outbox row belongs to, while it is being sent (None: stopped)."""
        record = self._sending.get(broadcast_id)
        if record is None:
            record = await self._store.get(broadcast_id)
            if record is None or record.state != SENDING:
                return None
            self._sending[broadcast_id] = record
        return record

    async def settle(self) -> list[BroadcastRecord]:
        """Mark done the sending broadcasts with no recipient left to send to."""
        done = []
        sending = await self._store.sending()
        # Those stopped meanwhile, here or from the command line, are read no more.
        current = {record.id for record in sending}
        self._sending = {k: v for k, v in self._sending.items() if k in current}
        for record in sending:
            if await self._store.open_rows(record.id) == 0 and await self._store.finish(
                record.id, self._clock.now()
            ):
                done.append(await self._fresh(record.id))
        return done

    async def sending(self) -> list[BroadcastRecord]:
        return await self._store.sending()

    async def cancel(self, broadcast_id: int) -> bool:
        """Stop a scheduled or running broadcast (organisers: checked by the caller)."""
        self._sending.pop(broadcast_id, None)
        return await self._store.cancel(broadcast_id, self._clock.now())

    async def get(self, broadcast_id: int) -> BroadcastRecord | None:
        return await self._store.get(broadcast_id)

    async def recent(self, consultation_id: str | None, limit: int = 10) -> list[BroadcastRecord]:
        return await self._store.recent(consultation_id, limit)

    async def report(self, record: BroadcastRecord) -> Report:
        subject = subject_of(record.id)
        counts = {k: v for k, v in (await self._outbox.progress(subject)).items() if v}
        return Report(
            record=record,
            counts=counts,
            failures=await self._store.failures(record.id),
            unknown=await self._store.unknown(record.id, UNKNOWN_LISTED),
        )

    def consultation(self, record: BroadcastRecord) -> Consultation | None:
        return self._events().get(record.consultation_id)


def text_language(texts: dict[str, str], fallback: str | None, reader: str | None) -> str:
    """The language of the text a reader gets: theirs if written, else the fallback."""
    if reader in texts:
        return str(reader)
    if fallback in texts:
        return str(fallback)
    return next(iter(sorted(texts)), reader or "en")


def _media(record: BroadcastRecord) -> tuple[str, str] | None:
    if record.media_kind and record.media_file_id:
        return record.media_kind, record.media_file_id
    return None
