"""Documents of a consultation and of its sessions (a concept note, slides, a recording…):
finding and listing them, and sending a file once uploaded by the file_id Telegram gave it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock
from bot.services.event_data import Consultation, Document, Session
from bot.storage.document_files import DocumentFileStore

REF_PREFIX = "doc:"


@dataclass(frozen=True)
class Placed:
    """A document and the session it belongs to (None: the consultation's own)."""

    document: Document
    session: Session | None


def documents_of(consultation: Consultation) -> Iterator[Placed]:
    """The consultation's documents, then each session's in programme order."""
    for document in consultation.documents:
        yield Placed(document, None)
    for session in consultation.sessions:
        for document in session.documents:
            yield Placed(document, session)


def find_document(consultation: Consultation, document_id: str) -> Placed | None:
    """A document by its id (unique within the consultation)."""
    return next((p for p in documents_of(consultation) if p.document.id == document_id), None)


def sessions_with_documents(consultation: Consultation) -> list[Session]:
    return [s for s in consultation.sessions if s.documents]


class DocumentUnavailable(Exception):
    """The document's file is no longer where the data said (removed since the last load)."""


@dataclass(frozen=True)
class FileToSend:
    path: Path
    # The file as it is now: its name, size and modification time. Another fingerprint than
    # the one uploaded means the file was replaced: it is uploaded again.
    fingerprint: str
    file_id: str | None  # None: upload it


class Documents:
    """The file_ids of the document files the bot uploaded. `caching` off (the console chat,
    whose Bot API is a fake one): every file is uploaded, and nothing is read or kept."""

    def __init__(self, store: DocumentFileStore, clock: Clock, *, caching: bool = True) -> None:
        self._store = store
        self._clock = clock
        self._caching = caching

    async def file_to_send(self, consultation: Consultation, document: Document) -> FileToSend:
        """What to send for a file document: its file_id when uploaded as it is now."""
        if document.file is None:
            raise DocumentUnavailable(document.id)
        try:
            status = document.file.stat()
        except OSError as exc:
            raise DocumentUnavailable(document.id) from exc
        fingerprint = f"{document.file.name}:{status.st_size}:{status.st_mtime_ns}"
        file_id = None
        if self._caching:
            file_id = await self._store.file_id(consultation.id, document.id, fingerprint)
        return FileToSend(document.file, fingerprint, file_id)

    async def uploaded(
        self, consultation: Consultation, document: Document, sent: FileToSend, file_id: str
    ) -> None:
        """Telegram's file_id for the file just uploaded: the next delegate gets it by that."""
        if self._caching:
            await self._store.remember(
                consultation.id, document.id, sent.fingerprint, file_id, self._clock.now()
            )

    async def refused(self, consultation: Consultation, document: Document) -> None:
        """Telegram refused the file_id (another bot's, or expired): upload the file again."""
        if self._caching:
            await self._store.forget(consultation.id, document.id)
