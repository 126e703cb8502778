"""Logging for every command: one format, and neither the token nor delegates' messages in it."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Config


class RedactToken(logging.Filter):
    """Keeps the bot token out of every log line, whoever logs it (httpx logs request URLs)."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self._token:
            message = record.getMessage()
            if self._token in message:
                record.msg = message.replace(self._token, "<token>")
                record.args = None
        return True


class RedactUpdates(logging.Filter):
    """An update (or any Telegram object) given to a log call shows as its type and update id:
    python-telegram-bot logs whole updates in a few error messages, names and texts included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(map(_telegram_object, record.args)):
            record.args = tuple(
                _summary(arg) if _telegram_object(arg) else arg for arg in record.args
            )
        return True


def _telegram_object(value: object) -> bool:
    return type(value).__module__.startswith("telegram.") and hasattr(value, "to_dict")


def _summary(value: object) -> str:
    kind = type(value).__name__
    ident = getattr(value, "update_id", None)
    return f"<{kind} {ident}>" if ident is not None else f"<{kind}>"


def configure_logging(
    token: str | None, level: int = logging.INFO, *, file: Path | None = None
) -> None:
    """Log lines to stderr, or appended to `file` (the console chat's)."""
    handler: logging.Handler
    if file is None:
        handler = logging.StreamHandler()
    else:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactUpdates())
    handler.addFilter(RedactToken(token))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def console_log(config: Config) -> Path:
    """Where the console chat logs, so that its log lines stay out of the conversation."""
    return config.database_path.parent / "console.log"
