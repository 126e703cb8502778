"""The moderators' web view: one-time links from /dashboard, then a browser session.

A link's token (`secrets.token_urlsafe(32)`) opens the view once, within LINK_VALID; a session's
id (the same) lives in a cookie for SESSION_VALID. Only their SHA-256 is stored, and a request's
secret is hashed and compared in constant time. The role is not remembered: each request asks
`profile_now` whether its moderator still is one. Forms carry a token derived from the session's
secret (`form_token`), so another site cannot post them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.services.errors import NotAllowed
from bot.services.people import Profile
from bot.storage.web_logins import WebGrant, WebLoginStore

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
LINK_VALID = timedelta(minutes=10)
SESSION_VALID = timedelta(hours=12)
ENTER_PATH = "/mod/enter/{token}"

# The delegate's profile with their roles as stored now (not as remembered a while ago).
ProfileNow = Callable[[int], Awaitable[Profile]]


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def enter_address(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + ENTER_PATH.format(token=token)


@dataclass(frozen=True)
class Visitor:
    """Who a request of the view comes from: their session, profile and consultation."""

    session: WebGrant
    profile: Profile
    secret: str

    @property
    def consultation_id(self) -> str:
        return self.session.consultation_id


class ModeratorWeb:
    """Issues the one-time links, opens and ends sessions, and tells who is behind a cookie."""

    def __init__(self, store: WebLoginStore, clock: Clock, profile_now: ProfileNow) -> None:
        self._store = store
        self._clock = clock
        self._profile_now = profile_now

    async def issue_link(self, profile: Profile, consultation_id: str) -> str:
        """A new one-time token for a moderator or organiser; NotAllowed for anyone else."""
        if not profile.is_moderator:
            raise NotAllowed()
        now = self._clock.now()
        await self._store.purge(now)
        token = secrets.token_urlsafe(SECRET_BYTES)
        grant = WebGrant(secret_hash(token), profile.user_id, consultation_id, now + LINK_VALID)
        await self._store.add_link(grant)
        logger.info("Moderators' view: a link for user %s", profile.user_id)
        return token

    async def link_valid(self, token: str) -> bool:
        """Whether the token would open the view now (it is not used by asking)."""
        wanted = secret_hash(token)
        found = await self._store.link(wanted, self._clock.now())
        return found is not None and hmac.compare_digest(found.secret_hash, wanted)

    async def enter(self, token: str) -> tuple[str, WebGrant] | None:
        """Use the link: a new session's secret and its record, or None when the link is
        unknown, used or expired, or its owner is no longer a moderator."""
        wanted = secret_hash(token)
        now = self._clock.now()
        link = await self._store.take_link(wanted, now)
        if link is None or not hmac.compare_digest(link.secret_hash, wanted):
            return None
        if not (await self._profile_now(link.user_id)).is_moderator:
            return None
        secret = secrets.token_urlsafe(SECRET_BYTES)
        session = WebGrant(
            secret_hash(secret), link.user_id, link.consultation_id, now + SESSION_VALID
        )
        await self._store.add_session(session, now)
        logger.info("Moderators' view: user %s signed in", link.user_id)
        return secret, session

    async def visitor(self, secret: str) -> Visitor | None:
        """The moderator behind a session cookie, checked now: None when the session is
        unknown, ended or expired, or its owner is no longer a moderator."""
        wanted = secret_hash(secret)
        session = await self._store.session(wanted, self._clock.now())
        if session is None or not hmac.compare_digest(session.secret_hash, wanted):
            return None
        profile = await self._profile_now(session.user_id)
        if not profile.is_moderator:
            return None
        return Visitor(session, profile, secret)

    async def end(self, secret: str) -> None:
        await self._store.end_session(secret_hash(secret))

    async def forget(self, user_id: int) -> None:
        """The delegate's links and sessions end (/forget)."""
        await self._store.forget(user_id)


def form_token(secret: str) -> str:
    """The token of the session's forms: derived from its secret, which only its cookie holds."""
    return hmac.new(secret.encode("utf-8"), b"moderator-web-form", hashlib.sha256).hexdigest()


def form_token_matches(secret: str, given: str) -> bool:
    return hmac.compare_digest(form_token(secret).encode("ascii"), given.encode("utf-8"))
