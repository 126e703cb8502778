"""Anonymous rows and the key that links them to their delegate; forgetting a delegate.

An anonymous comment, rating, recommendation, question or ticket is stored with its `author`: a
keyed hash (HMAC-SHA256) of the delegate's id. The key comes from the configuration
(`ANONYMITY_KEY`, or a key file kept apart from the database), never from the database: the bot
can tell a delegate's own rows (one rating per session, /myfeedback, /forget), and the database
or a backup of it alone names nobody.

Losing the key loses those links, not the rows: delegates could no longer see or delete their
earlier anonymous feedback, could rate those sessions again, and answers to their open anonymous
tickets could not reach them. Hence the fingerprint kept in the database (a keyed hash of a
constant): a bot started with another key refuses to go on unless told the old one is lost.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from bot.config import ANONYMITY_KEY_MIN_LENGTH, Config, ConfigError
from bot.storage.anonymity import key_fingerprint, set_key_fingerprint, write_pending_authors
from bot.storage.database import Database
from bot.storage.outbox import Planned

logger = logging.getLogger(__name__)

AUTHOR_LENGTH = 32  # hex digits kept of the hash: 128 bits
_AUTHOR_DOMAIN = b"consultations-bot/anon/v1:"
_FINGERPRINT_DOMAIN = b"consultations-bot/anon/v1/fingerprint"
_PSEUDONYM_DOMAIN = b"consultations-bot/anon/v1/scoped:"

# Outbox kind: the helpdesk group's message of a ticket whose delegate deleted their data is
# edited to say so, once (the question, and the name if they showed it, leave the group).
TICKET_FORGOTTEN = "ticket_forgotten"


class AnonymityKeyError(ConfigError):
    """The key is missing, unreadable, kept beside the database, or not the database's key."""


class Anonymity:
    """Keyed hashes of delegates' ids: `author(user_id)` is the same for the same key only."""

    def __init__(self, key: str) -> None:
        if len(key) < ANONYMITY_KEY_MIN_LENGTH:
            raise AnonymityKeyError(
                f"the anonymity key must be at least {ANONYMITY_KEY_MIN_LENGTH} characters long"
            )
        secret = key.encode("utf-8")
        self._authors = hmac.new(secret, _AUTHOR_DOMAIN, hashlib.sha256)
        self._fingerprint = hmac.new(secret, _FINGERPRINT_DOMAIN, hashlib.sha256).hexdigest()
        self._pseudonyms = hmac.new(secret, _PSEUDONYM_DOMAIN, hashlib.sha256)

    def author(self, user_id: int) -> str:
        """HMAC-SHA256(key, "consultations-bot/anon/v1:" + str(user_id)), truncated."""
        mac = self._authors.copy()
        mac.update(str(user_id).encode("ascii"))
        return mac.hexdigest()[:AUTHOR_LENGTH]

    def pseudonym(self, scope: str, user_id: int) -> str:
        """A keyed hash of the delegate's id within `scope` (one session's questions and votes):
        unlike `author`, rows of two scopes, or of a scope and the other anonymous tables (where
        a named ticket sits beside its author), cannot be linked without the key."""
        mac = self._pseudonyms.copy()
        mac.update(scope.encode("utf-8") + b"\x00" + str(user_id).encode("ascii"))
        return mac.hexdigest()[:AUTHOR_LENGTH]

    @property
    def fingerprint(self) -> str:
        """Tells keys apart without revealing them (stored in the database)."""
        return self._fingerprint[:AUTHOR_LENGTH]

    def find(self, author: str, user_ids: Iterable[int]) -> int | None:
        """The delegate among `user_ids` whose author this is (some 20 ms per 10,000 ids)."""
        for user_id in user_ids:
            if hmac.compare_digest(self.author(user_id), author):
                return user_id
        return None


async def open_anonymity(database: Database, config: Config, now: datetime) -> Anonymity:
    """The configured key, checked against the database's; rows written before authors get
    theirs. Raises AnonymityKeyError when the key is not the database's (see key_mismatch)."""
    stored = await key_fingerprint(database)
    # A key file is only created for a database that has no key yet (or whose key is lost).
    anonymity = load_anonymity(config, create=stored is None or config.anonymity_key_lost)
    if stored != anonymity.fingerprint:
        if stored is not None and not config.anonymity_key_lost:
            raise key_mismatch(config)
        if stored is not None:
            logger.warning(
                "ANONYMITY_KEY_LOST: a new anonymity key replaces the lost one; earlier anonymous "
                "rows can no longer be linked to their delegates"
            )
        await set_key_fingerprint(database, anonymity.fingerprint, now)
    await write_pending_authors(database, anonymity.author)
    return anonymity


def load_anonymity(config: Config, *, create: bool = True) -> Anonymity:
    """The key from ANONYMITY_KEY, else from the key file (created with a fresh key if missing
    and `create`)."""
    if config.anonymity_key:
        return Anonymity(config.anonymity_key)
    path = config.anonymity_key_file
    database_dir = config.database_path.resolve().parent
    if database_dir == path.resolve().parent or database_dir in path.resolve().parents:
        raise AnonymityKeyError(
            f"ANONYMITY_KEY_FILE ({path}) is in the database's directory ({database_dir}): a "
            "copy of that directory would then name the delegates of anonymous feedback. Keep "
            "the key elsewhere, or set ANONYMITY_KEY."
        )
    try:
        return Anonymity(_read_or_create(path, create))
    except OSError as exc:
        raise AnonymityKeyError(f"cannot read or create the anonymity key {path}: {exc}") from None


def _read_or_create(path: Path, create: bool) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if not create:
            raise AnonymityKeyError(
                f"the anonymity key file {path} is missing, and the database was written with a "
                "key: restore the file from where you keep it (or set ANONYMITY_KEY), or see "
                "ANONYMITY_KEY_LOST in .env.example"
            ) from None
    else:
        if len(key) < ANONYMITY_KEY_MIN_LENGTH:
            raise AnonymityKeyError(
                f"the anonymity key file {path} is empty or too short: restore it from where "
                "you keep it, or see ANONYMITY_KEY_LOST in .env.example"
            )
        return key
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting at once do not each write a key of their own.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key + "\n")
        file.flush()
        os.fsync(file.fileno())
    logger.warning(
        "Created a new anonymity key in %s. Keep a copy apart from the database and its "
        "backups: without it, delegates' earlier anonymous feedback can no longer be told apart",
        path,
    )
    return key


def key_mismatch(config: Config) -> AnonymityKeyError:
    where = "ANONYMITY_KEY" if config.anonymity_key else str(config.anonymity_key_file)
    return AnonymityKeyError(
        f"the anonymity key ({where}) is not the key this database was written with. Restore "
        "the original key. Only if it is lost for good, start once with ANONYMITY_KEY_LOST=yes: "
        "delegates' earlier anonymous feedback, recommendations and questions then stay, but "
        "they can no longer see or delete them, may rate those sessions again, and answers to "
        "their open anonymous tickets cannot reach them."
    )


def ticket_forgotten(
    ticket_id: int, consultation_id: str, chat_id: int, message_id: int, now: datetime
) -> Planned:
    """The outbox row that blanks a forgotten delegate's ticket message in the helpdesk group."""
    return Planned(
        kind=TICKET_FORGOTTEN,
        key=f"{TICKET_FORGOTTEN}:{chat_id}:{message_id}",
        user_id=None,
        chat_id=chat_id,
        due_at=now,
        not_before=now,
        consultation_id=consultation_id,
        payload={"ticket": ticket_id, "message_id": message_id},
    )
