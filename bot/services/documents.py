"""Documents of a consultation and of its sessions (a concept note, slides, a recording…):
finding and listing them, and sending a file once uploaded by the file_id Telegram gave it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.services.event_data import Consultation, Document, Session

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
