"""The event data in use, and reloading it: validate, diff, record, notify, swap.

Delegates are told how the programme differs from the one they were last told of, which is kept
in SQLite: at every reload and at every start, so that a change made while the bot was down, or
a reload it never served, is announced all the same, and once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from bot.clock import Clock
from bot.i18n import counted
from bot.services.changes import ADDED, SessionChange, diff_sessions
from bot.services.data_reading import DataProblem, EventDataError, Text
from bot.services.event_data import Consultation, EventData, Session, load_event_data
from bot.storage.change_log import (
    Announcement,
    ChangeBatch,
    ChangeLogStore,
    ChangeRecord,
    Notices,
    Recorded,
    SessionSnapshot,
)
from bot.storage.outbox import Planned

logger = logging.getLogger(__name__)


class Programme:
    """Holds the current EventData; every service and handler reads `.current`, so a reload
    swaps the programme for everyone at once."""

    def __init__(self, current: EventData) -> None:
        self._current = current

    @property
    def current(self) -> EventData:
        return self._current

    def replace(self, events: EventData) -> None:
        self._current = events


@dataclass(frozen=True)
class ConsultationChanges:
    consultation_id: str
    batch_id: int
    changes: tuple[SessionChange, ...]
    notified: int = 0


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: the problems found (nothing changed then), or the changes."""

    problems: tuple[DataProblem, ...] = ()
    changed: tuple[ConsultationChanges, ...] = ()
    added_consultations: tuple[str, ...] = ()
    removed_consultations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def notified(self) -> int:
        return sum(c.notified for c in self.changed)


# Called before a consultation's changes are recorded: prepares the messages about them, as a
# function of the batch id, so that the batch and its messages are written together.
PrepareNotices = Callable[[Consultation, tuple[SessionChange, ...]], Awaitable[Notices]]


class ChangeHistory:
    """The programme's change history. A batch never changes once written, so the latest ones
    are kept in memory: a change message to 2,000 delegates reads its batch once."""

    def __init__(self, store: ChangeLogStore, *, keep: int = 32) -> None:
        self._store = store
        self._keep = keep
        self._batches: OrderedDict[int, ChangeBatch] = OrderedDict()

    async def announced(self) -> dict[str, dict[str, SessionSnapshot]]:
        """Per consultation, its programme as delegates were last told of it."""
        return await self._store.announced()

    async def announce(
        self, announcements: list[Announcement], source: str, now: datetime
    ) -> list[Recorded | None]:
        """Write the batches, the messages about them and the programmes now announced, all
        or nothing."""
        return await self._store.announce(announcements, source, now)

    async def batch(self, batch_id: int) -> ChangeBatch | None:
        found = self._batches.get(batch_id)
        if found is None:
            found = await self._store.batch(batch_id)
            if found is None:
                return None
            self._remember(found)
        self._batches.move_to_end(batch_id)
        return found

    async def recent(self, consultation_id: str, limit: int = 5) -> list[ChangeBatch]:
        """The consultation's newest batches first."""
        return await self._store.recent(consultation_id, limit)

    def _remember(self, batch: ChangeBatch) -> None:
        self._batches[batch.id] = batch
        while len(self._batches) > self._keep:
            self._batches.popitem(last=False)


def snapshot(session: Session, consultation: Consultation) -> SessionSnapshot:
    return SessionSnapshot(
        start=session.start,
        end=session.end,
        title=dict(session.title.values),
        room=dict(session.room.values) if session.room else None,
        default_language=consultation.default_language,
        room_id=session.room_id,
    )


def programme_of(consultation: Consultation) -> dict[str, SessionSnapshot]:
    """The consultation's sessions as delegates would be told of them, in programme order."""
    return {s.id: snapshot(s, consultation) for s in consultation.sessions}


def as_announced(
    consultation: Consultation, announced: Mapping[str, SessionSnapshot]
) -> Consultation:
    """The consultation with its sessions as last announced (what a diff starts from)."""
    sessions = tuple(
        Session(
            id=ident,
            title=Text(snap.title, snap.default_language),
            start=snap.start,
            end=snap.end,
            room=Text(snap.room, snap.default_language) if snap.room else None,
            room_id=snap.room_id,
        )
        for ident, snap in announced.items()
    )
    return replace(consultation, sessions=sessions)


@dataclass
class Reloader:
    """Reloads the data directory; on invalid data it changes nothing and says what is wrong.

    What delegates are told is the difference between the data and the programme last announced
    (kept in SQLite), never the programme in memory: a crash at any moment loses no change and
    tells none twice. Reloads run one at a time.
    """

    programme: Programme
    data_dir: Path
    history: ChangeHistory
    clock: Clock
    notices: list[PrepareNotices] = field(default_factory=list)
    after_swap: list[Callable[[EventData], Awaitable[None]]] = field(default_factory=list)
    # Off in the console chat: its reloads swap its own programme and tell nobody; what
    # delegates were told, and are to be told, is the real bot's to decide.
    announce: bool = True
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    async def reload(self, source: str) -> ReloadResult:
        try:
            new = load_event_data(self.data_dir)
        except EventDataError as exc:
            logger.warning("Reload refused: %d problems in %s", len(exc.problems), self.data_dir)
            # Paths relative to the data directory: an organiser need not see the server's.
            return ReloadResult(problems=tuple(p.relative_to(self.data_dir) for p in exc.problems))
        return await self.apply(new, source)

    async def apply(self, new: EventData, source: str) -> ReloadResult:
        """Swap in already-validated data (a reload, or an import)."""
        async with self._lock:
            old = self.programme.current
            changed = await self._announce(new, source)
            self.programme.replace(new)
            for callback in self.after_swap:
                await callback(new)
        result = ReloadResult(
            changed=changed,
            added_consultations=tuple(c for c in new.consultations if old.get(c) is None),
            removed_consultations=tuple(c for c in old.consultations if new.get(c) is None),
        )
        logger.info(
            "Programme reloaded (%s): %d consultations changed, %d delegates to notify",
            source,
            len(changed),
            result.notified,
        )
        return result

    async def catch_up(self, source: str) -> ReloadResult:
        """At start, before anything is planned or answered: announce how the programme loaded
        differs from the one delegates were last told of (edited while the bot was down, or
        reloaded by a process that died before it told anyone)."""
        async with self._lock:
            changed = await self._announce(self.programme.current, source)
        result = ReloadResult(changed=changed)
        logger.info(
            "Programme compared with the one last announced (%s): %d consultations changed, "
            "%d delegates to notify",
            source,
            len(changed),
            result.notified,
        )
        return result

    async def _announce(self, new: EventData, source: str) -> tuple[ConsultationChanges, ...]:
        """Record, with their messages, the changes from the programme last announced to `new`,
        and `new` as the programme now announced; a consultation seen for the first time (a new
        database, a new consultation) is taken silently."""
        if not self.announce:
            return ()
        announced = await self.history.announced()
        now = self.clock.now()
        writes: list[Announcement] = []
        diffs: list[tuple[SessionChange, ...]] = []
        for consultation in new.consultations.values():
            sessions = programme_of(consultation)
            before = announced.get(consultation.id)
            if before == sessions:
                continue
            changes: tuple[SessionChange, ...] = ()
            if before is not None:
                changes = tuple(diff_sessions(as_announced(consultation, before), consultation))
            if before is None or not changes:
                # Seen for the first time, or only a detail no delegate is told of changed.
                writes.append(Announcement(consultation.id, sessions))
                diffs.append(())
                continue
            records = [
                ChangeRecord(
                    c.session_id,
                    c.kinds,
                    before[c.session_id] if c.old else None,
                    sessions[c.session_id] if c.new else None,
                )
                for c in changes
            ]
            prepared = [await prepare(consultation, changes) for prepare in self.notices]
            writes.append(Announcement(consultation.id, sessions, records, _together(prepared)))
            diffs.append(changes)
        recorded = await self.history.announce(writes, source, now)
        return tuple(
            ConsultationChanges(item.consultation_id, done.batch_id, changes, done.notices)
            for item, changes, done in zip(writes, diffs, recorded, strict=True)
            if done is not None
        )


def _together(parts: list[Notices]) -> Notices:
    def rows(batch_id: int) -> list[Planned]:
        return [row for part in parts for row in part(batch_id)]

    return rows


def notable(changes: tuple[SessionChange, ...]) -> tuple[SessionChange, ...]:
    """Changes that affect delegates who starred the session (a new session has none yet)."""
    return tuple(c for c in changes if ADDED not in c.kinds)


class ReloadRequests:
    """`python -m bot reload` asks the running bot through two small files next to the database:
    the request (a token), and the bot's answer for that token. A request without an answer is
    pending, also across a restart: the bot serves it when it starts again."""

    def __init__(self, folder: Path) -> None:
        self.request_file = folder / "reload-request"
        self.answer_file = folder / "reload-answer"
        self._seen: str | None = None

    def ask(self, token: str) -> None:
        self.request_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.request_file.with_suffix(".tmp")
        temporary.write_text(token, encoding="utf-8")
        temporary.replace(self.request_file)

    def pending(self) -> str | None:
        """A request token not answered yet (by this process or an earlier one)."""
        token = self._read(self.request_file)
        if not token or token == self._seen:
            return None
        answered = (self._read(self.answer_file) or "").split("\n", 1)[0]
        if answered == token:
            self._seen = token
            return None
        return token

    def answer(self, token: str, ok: bool, lines: list[str]) -> None:
        self._seen = token
        temporary = self.answer_file.with_suffix(".tmp")
        status = "ok" if ok else "failed"
        temporary.write_text("\n".join([token, status, *lines]), encoding="utf-8")
        temporary.replace(self.answer_file)

    def answer_for(self, token: str) -> tuple[bool, list[str]] | None:
        """Whether the reload for `token` succeeded, and its account; None before it is served."""
        text = self._read(self.answer_file)
        if not text:
            return None
        lines = text.split("\n")
        if len(lines) < 2 or lines[0] != token:
            return None
        return lines[1] == "ok", lines[2:]

    @staticmethod
    def _read(path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None


def summary_lines(result: ReloadResult, heading: str = "Reloaded.") -> list[str]:
    """A plain-text account of a reload, for the command line and the log."""
    if not result.ok:
        return [
            "The event data is invalid; nothing was changed and the bot keeps the programme "
            "it had:",
            *(f"  {p}" for p in result.problems),
        ]
    lines = [heading]
    for item in result.changed:
        lines.append(
            f"{item.consultation_id}: "
            f"{counted(len(item.changes), 'session change', 'session changes')}, "
            f"{counted(item.notified, 'delegate', 'delegates')} notified"
        )
        for change in item.changes:
            lines.append(f"  {change.session_id}: {', '.join(sorted(change.kinds))}")
    for ident in result.added_consultations:
        lines.append(f"{ident}: new consultation")
    for ident in result.removed_consultations:
        lines.append(f"{ident}: no longer in the data")
    if len(lines) == 1:
        lines.append("Nothing changed since the programme delegates were last told of.")
    return lines
