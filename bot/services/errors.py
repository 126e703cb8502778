"""Domain errors raised by services and turned into translated replies by handlers."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of errors a user can be told about."""


class ConsultationNotFound(DomainError):
    def __init__(self, consultation_id: str) -> None:
        super().__init__(consultation_id)
        self.consultation_id = consultation_id


class SessionNotFound(DomainError):
    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id


class TopicNotFound(DomainError):
    def __init__(self, topic_id: str) -> None:
        super().__init__(topic_id)
        self.topic_id = topic_id


class NotAllowed(DomainError):
    """The user's role does not allow the action."""
