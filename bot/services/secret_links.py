"""The secrets behind the addresses the bot gives one person (a calendar feed, a room's screen,
a moderator's link and session): drawn from `secrets`, shown once, kept only as their SHA-256,
compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32


def new_secret() -> str:
    """An unguessable secret for an address (43 URL-safe characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    """What is stored of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_hash(stored: str, wanted: str) -> bool:
    """Whether a stored hash is the one wanted, in constant time."""
    return hmac.compare_digest(stored.encode("ascii"), wanted.encode("ascii"))
