"""Who opened the Mini App: Telegram's `initData`, checked as the Bot API documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app:
secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token); the data-check-string is every
received field but `hash`, sorted by key, as `key=value` lines; `hash` is the hex HMAC_SHA256 of
that string under secret_key. Compared in constant time; `auth_date` older than the freshness
limit (or from the future beyond a little clock skew) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

FRESHNESS = timedelta(hours=24)
# A phone's clock a little ahead of ours is no forgery.
SKEW = timedelta(minutes=5)
MAX_LENGTH = 4096


class InitDataRefused(Exception):
    """The initData is missing, malformed, forged or stale (the reason is for logs only)."""


@dataclass(frozen=True)
class WebAppUser:
    """The Telegram user the initData vouches for."""

    id: int
    language_code: str | None
    auth_date: datetime


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash").encode()


def validate_init_data(
    init_data: str, bot_token: str, now: datetime, *, freshness: timedelta = FRESHNESS
) -> WebAppUser:
    """The user of a genuine, fresh initData; raises InitDataRefused otherwise."""
    if not init_data or len(init_data) > MAX_LENGTH:
        raise InitDataRefused("missing or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRefused("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataRefused("a field twice")
    received = fields.get("hash", "")
    if not received:
        raise InitDataRefused("no hash")
    expected = hmac.new(_secret_key(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.lower().encode()):
        raise InitDataRefused("wrong hash")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        raise InitDataRefused("no auth_date") from None
    if not now - freshness <= auth_date <= now + SKEW:
        raise InitDataRefused("stale")
    try:
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError):
        raise InitDataRefused("no user") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise InitDataRefused("no user")
    language = user.get("language_code")
    return WebAppUser(user_id, language if isinstance(language, str) else None, auth_date)


def sign_init_data(bot_token: str, fields: dict[str, str]) -> str:
    """initData as Telegram would send it for `fields` (for tests and trying the Mini App)."""
    signed = dict(fields)
    signed["hash"] = hmac.new(
        _secret_key(bot_token), _check_string(signed), hashlib.sha256
    ).hexdigest()
    return urlencode(signed)
