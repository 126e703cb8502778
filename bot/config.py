"""Configuration from the environment and an optional .env file."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


ANONYMITY_KEY_MIN_LENGTH = 32


class ConfigError(ValueError):
    """A setting is malformed; the message names it."""


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; blank lines and # comments are skipped, quotes are stripped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _ids(name: str, raw: str) -> frozenset[int]:
    result = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            result.add(int(part))
        except ValueError:
            raise ConfigError(f"{name}: '{part}' is not a Telegram user id") from None
    return frozenset(result)


def _chat_id(name: str, raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: '{raw}' is not a Telegram chat id") from None


def _port(raw: str, name: str = "PORT", default: int = 8080) -> int:
    if not raw.strip():
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: '{raw}' is not a port number") from None
    if not 0 < port < 65536:
        raise ConfigError(f"{name}: {port} is not between 1 and 65535")
    return port


def _web_base_url(raw: str) -> str | None:
    url = raw.strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"WEB_BASE_URL: '{raw}' is not an http(s) URL")
    return url or None


def _trusted_proxies(raw: str) -> tuple[str, ...]:
    found = tuple(part.strip() for part in raw.split(",") if part.strip())
    for part in found:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ConfigError(
                f"WEB_TRUSTED_PROXY: '{part}' is not an IP address or network"
            ) from None
    return found


_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


def _bot_username(raw: str) -> str | None:
    name = raw.strip().removeprefix("@")
    if name and _USERNAME.fullmatch(name) is None:
        raise ConfigError(f"BOT_USERNAME: '{raw}' is not a Telegram username")
    return name or None


def _yes(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("", "0", "no", "false", "off"):
        return False
    if value in ("1", "yes", "true", "on"):
        return True
    raise ConfigError(f"{name}: '{raw}' is neither yes nor no")


def _anonymity_key(raw: str) -> str | None:
    key = raw.strip()
    if key and len(key) < ANONYMITY_KEY_MIN_LENGTH:
        raise ConfigError(
            f"ANONYMITY_KEY: at least {ANONYMITY_KEY_MIN_LENGTH} characters (it is {len(key)})"
        )
    return key or None


def _base_url(raw: str) -> str | None:
    """`http://host:port` (a trailing /bot is dropped: PTB appends it, and the token)."""
    url = raw.strip().rstrip("/").removesuffix("/bot")
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"TELEGRAM_API_BASE_URL: '{raw}' is not an http(s) URL")
    return url


# Telegram's rule for a webhook's secret_token: setWebhook refuses anything else, only once the
# bot has started; checked at start instead, naming the rule (never the secret).
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
SECRET_RULE = "1 to 256 characters, each one of A-Z a-z 0-9 _ -"


def _webhook_secret(raw: str) -> str | None:
    secret = raw.strip()
    if not secret:
        return None
    if _SECRET.fullmatch(secret) is None:
        raise ConfigError(
            f"WEBHOOK_SECRET: Telegram accepts {SECRET_RULE}; this one has {len(secret)} "
            "characters" + ("" if len(secret) > 256 else ", not all of them allowed")
        )
    return secret


def _seconds(name: str, raw: str, default: float) -> float:
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: '{raw}' is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name}: {raw.strip()} is not a positive number of seconds")
    return value


def _switch(name: str, raw: str) -> bool:
    """On unless set to off (empty: on)."""
    value = raw.strip().casefold()
    if value in ("", "on", "1", "yes", "true"):
        return True
    if value in ("off", "0", "no", "false"):
        return False
    raise ConfigError(f"{name}: expected on or off, not {raw.strip()!r}")


@dataclass(frozen=True)
class Config:
    token: str | None = field(default=None, repr=False)
    database_path: Path = ROOT / "var" / "bot.sqlite3"
    data_dir: Path = ROOT / "data"
    organisers: frozenset[int] = frozenset()
    moderators: frozenset[int] = frozenset()
    default_consultation: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "0.0.0.0"
    port: int = 8080
    helpdesk_chat_id: int | None = None
    # Another Bot API server (a local telegram-bot-api, or the tests' fake): scheme://host:port
    api_base_url: str | None = None
    # The key linking anonymous rows to their delegate (bot/services/privacy.py): never in the
    # database. Without ANONYMITY_KEY, the key file (created on first start, kept apart from the
    # database's directory so that a copy of it does not carry the key).
    anonymity_key: str | None = field(default=None, repr=False)
    anonymity_key_file: Path = ROOT / "keys" / "anonymity.key"
    # The database was written with a key that is lost for good: accept this one (one start).
    anonymity_key_lost: bool = False
    # The sentence encoder beside the word matcher (off: the matcher answers alone).
    sentence_encoder: bool = True
    # `python -m bot health` fails when no getUpdates succeeded for this long (long polling).
    health_stale_after: float = 180.0
    # The programme's web pages (bot/web): their public address; in polling mode they are
    # served on web_port only when it is set (in webhook mode, beside the webhook).
    web_base_url: str | None = None
    web_port: int = 8081
    # The reverse proxies in front of the pages (addresses or networks): only requests from
    # them are taken at their X-Forwarded-For word for the rate limits (bot/web/limits.py).
    web_trusted_proxies: tuple[str, ...] = ()
    # For "Open in Telegram" links on the pages (in webhook or polling mode, the bot's own).
    bot_username: str | None = None

    # Not from the environment: set by the console chat (`python -m bot chat`) to its delegate,
    # the only one this process reaches; it then leaves the real bot's delegates, updates,
    # reload requests and announcements alone (same database, other world).
    console_user: int | None = None

    @property
    def console(self) -> bool:
        """Whether this process is the console chat, not the bot on Telegram."""
        return self.console_user is not None

    def with_overrides(self, **changes: object) -> Config:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Config:
        """Environment variables win over the .env file."""
        values = read_env_file(env_file if env_file is not None else Path.cwd() / ".env")
        values.update(env if env is not None else os.environ)
        token = values.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        return cls(
            token=token,
            database_path=Path(values.get("DATABASE_PATH") or cls.database_path),
            data_dir=Path(values.get("DATA_DIR") or cls.data_dir),
            organisers=_ids("ORGANISER_IDS", values.get("ORGANISER_IDS", "")),
            moderators=_ids("MODERATOR_IDS", values.get("MODERATOR_IDS", "")),
            default_consultation=values.get("DEFAULT_CONSULTATION") or None,
            webhook_url=values.get("WEBHOOK_URL", "").strip() or None,
            webhook_secret=_webhook_secret(values.get("WEBHOOK_SECRET", "")),
            webhook_listen=values.get("WEBHOOK_LISTEN") or "0.0.0.0",
            port=_port(values.get("PORT", "")),
            helpdesk_chat_id=_chat_id("HELPDESK_CHAT_ID", values.get("HELPDESK_CHAT_ID", "")),
            api_base_url=_base_url(values.get("TELEGRAM_API_BASE_URL", "")),
            anonymity_key=_anonymity_key(values.get("ANONYMITY_KEY", "")),
            anonymity_key_file=Path(values.get("ANONYMITY_KEY_FILE") or cls.anonymity_key_file),
            anonymity_key_lost=_yes("ANONYMITY_KEY_LOST", values.get("ANONYMITY_KEY_LOST", "")),
            sentence_encoder=_switch("SENTENCE_ENCODER", values.get("SENTENCE_ENCODER", "")),
            health_stale_after=_seconds(
                "HEALTH_STALE_SECONDS", values.get("HEALTH_STALE_SECONDS", ""), 180.0
            ),
            web_base_url=_web_base_url(values.get("WEB_BASE_URL", "")),
            web_port=_port(values.get("WEB_PORT", ""), "WEB_PORT", 8081),
            web_trusted_proxies=_trusted_proxies(values.get("WEB_TRUSTED_PROXY", "")),
            bot_username=_bot_username(values.get("BOT_USERNAME", "")),
        )
