"""The venue's rooms (rooms.yaml): a session's room as a reader reads it, what is on in a room,
and the room's map, uploaded to Telegram once and then sent by its file_id."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.clock import Clock
from bot.services.event_data import Consultation, NowNext, Picture, Session, now_and_next
from bot.storage.photos import PhotoStore

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


class RoomPhotos:
    """A room's map as Telegram is sent it: the file's bytes the first time, then the file_id
    Telegram gave it, remembered (by the picture's content) across restarts."""

    def __init__(self, store: PhotoStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def file_id(self, picture: Picture) -> str | None:
        """The file_id of this picture when Telegram already has it."""
        return await self._store.file_id(picture.digest)

    async def content(self, picture: Picture) -> bytes:
        """The picture's bytes, read off the event loop (up to 10 MB)."""
        return await asyncio.to_thread(picture.path.read_bytes)

    async def uploaded(self, picture: Picture, file_id: str) -> None:
        await self._store.remember(picture.digest, file_id, self._clock.now())
        logger.info("Room picture %s uploaded; sent by file_id from now on", picture.digest[:12])

    async def refused(self, picture: Picture, file_id: str) -> None:
        """Telegram refused the remembered file_id: the picture is uploaded again next time."""
        await self._store.forget(picture.digest, file_id)
        logger.warning("Telegram refused the file_id of room picture %s", picture.digest[:12])
