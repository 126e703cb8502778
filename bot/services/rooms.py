"""The venue's rooms (rooms.yaml): a session's room as a reader reads it, what is on in a room,
and the room's map, uploaded to Telegram once and then sent by its file_id."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.services.event_data import Consultation, NowNext, Session, now_and_next

logger = logging.getLogger(__name__)


def room_label(session: Session, lang: str) -> str | None:
    """The session's room as a reader of `lang` reads it; None when it names no room."""
    return session.room.get(lang) if session.room else None


def sessions_in(consultation: Consultation, room_id: str) -> list[Session]:
    """The room's sessions, in programme order (breaks held there included)."""
    return [s for s in consultation.sessions if s.room_id == room_id]


def on_in(consultation: Consultation, room_id: str, moment: datetime) -> NowNext:
    """What is on in the room at `moment`, and what comes next there (on any later day)."""
    return now_and_next(sessions_in(consultation, room_id), moment)
