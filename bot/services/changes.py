"""What changed in a consultation's programme between two versions of the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.event_data import Consultation, Session

ADDED = "added"
CANCELLED = "cancelled"
MOVED = "moved"  # start or end changed
ROOM = "room"  # room changed
RETITLED = "retitled"


@dataclass(frozen=True)
class SessionChange:
    """One session's change; `old` is None for a new session, `new` None for a cancelled one."""

    session_id: str
    old: Session | None
    new: Session | None
    kinds: frozenset[str]

    @property
    def old_start(self) -> datetime | None:
        return self.old.start if self.old else None


def _moved_room(before: Session, after: Session) -> bool:
    """Whether the session changed rooms: another room of rooms.yaml (renaming a room, or adding
    its translation, moves no session), else another room name."""
    if before.room_id is not None and after.room_id is not None:
        return before.room_id != after.room_id
    return _names(before) != _names(after)


def _names(session: Session) -> dict[str, str]:
    return dict(session.room.values) if session.room else {}


def diff_sessions(old: Consultation, new: Consultation) -> list[SessionChange]:
    """Added, cancelled, moved, re-roomed and retitled sessions, in the new programme's order."""
    changes: list[SessionChange] = []
    for session in new.sessions:
        before = old.session(session.id)
        if before is None:
            changes.append(SessionChange(session.id, None, session, frozenset({ADDED})))
            continue
        kinds = set()
        if (before.start, before.end) != (session.start, session.end):
            kinds.add(MOVED)
        if _moved_room(before, session):
            kinds.add(ROOM)
        if dict(before.title.values) != dict(session.title.values):
            kinds.add(RETITLED)
        if kinds:
            changes.append(SessionChange(session.id, before, session, frozenset(kinds)))
    for session in old.sessions:
        if new.session(session.id) is None:
            changes.append(SessionChange(session.id, session, None, frozenset({CANCELLED})))
    return changes
