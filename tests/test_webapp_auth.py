"""Telegram's initData, checked as the Bot API documents it: genuine and fresh, or refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from bot.services.webapp_auth import InitDataRefused, sign_init_data, validate_init_data

TOKEN = "123456:test-token-for-the-mini-app"
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def fields(auth_date: datetime = NOW, user_id: int = 1001) -> dict[str, str]:
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Amina", "language_code": "fr"}),
        "auth_date": str(int(auth_date.timestamp())),
    }


def test_genuine_init_data_names_its_user() -> None:
    user = validate_init_data(sign_init_data(TOKEN, fields()), TOKEN, NOW)
    assert user.id == 1001
    assert user.language_code == "fr"


def test_the_documented_algorithm_by_hand() -> None:
    """Independent of sign_init_data: the hash as the Bot API's page describes it."""
    data = fields()
    check = "\n".join(f"{k}={data[k]}" for k in sorted(data)).encode()
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    data["hash"] = hmac.new(secret, check, hashlib.sha256).hexdigest()
    raw = "&".join(f"{k}={quote(v, safe='')}" for k, v in data.items())
    assert validate_init_data(raw, TOKEN, NOW).id == 1001


def test_a_changed_field_breaks_the_hash() -> None:
    genuine = sign_init_data(TOKEN, fields())
    forged = genuine.replace("1001", "1002")
    assert forged != genuine
    with pytest.raises(InitDataRefused):
        validate_init_data(forged, TOKEN, NOW)


def test_a_wrong_hash_is_refused() -> None:
    genuine = sign_init_data(TOKEN, fields())
    head, _sep, digest = genuine.rpartition("hash=")
    wrong = head + "hash=" + ("0" if digest[0] != "0" else "1") + digest[1:]
    with pytest.raises(InitDataRefused):
        validate_init_data(wrong, TOKEN, NOW)


def test_without_a_hash_it_is_refused() -> None:
    unsigned = "&".join(
        part for part in sign_init_data(TOKEN, fields()).split("&") if not part.startswith("hash=")
    )
    with pytest.raises(InitDataRefused):
        validate_init_data(unsigned, TOKEN, NOW)


@pytest.mark.parametrize("raw", ["", "hash=", "garbage", "user=1&user=2&hash=00"])
def test_missing_or_malformed_is_refused(raw: str) -> None:
    with pytest.raises(InitDataRefused):
        validate_init_data(raw, TOKEN, NOW)


def test_signed_with_another_bots_token_is_refused() -> None:
    other = sign_init_data("654321:another-bots-token", fields())
    with pytest.raises(InitDataRefused):
        validate_init_data(other, TOKEN, NOW)


def test_stale_init_data_is_refused() -> None:
    day_old = sign_init_data(TOKEN, fields(NOW - timedelta(hours=24, seconds=1)))
    with pytest.raises(InitDataRefused):
        validate_init_data(day_old, TOKEN, NOW)
    # Within the day it still stands.
    recent = sign_init_data(TOKEN, fields(NOW - timedelta(hours=23)))
    assert validate_init_data(recent, TOKEN, NOW).id == 1001


def test_init_data_from_the_future_is_refused() -> None:
    ahead = sign_init_data(TOKEN, fields(NOW + timedelta(hours=1)))
    with pytest.raises(InitDataRefused):
        validate_init_data(ahead, TOKEN, NOW)
