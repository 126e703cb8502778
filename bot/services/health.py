"""Whether the running bot is healthy: its heartbeat, and the verdict of `python -m bot health`.

The running bot keeps a heartbeat in a small file beside the database (`bot.sqlite3.heartbeat`):
how it receives updates, when it started, and when it last received successfully (a getUpdates
answered and its batch stored in the inbox, or a webhook delivery stored). The file is rewritten
at most every few seconds, so receiving pays for it with a comparison.

In long polling an idle bot still finishes a getUpdates every few seconds (Telegram answers an
empty list when its long poll times out), so a heartbeat older than the threshold means that
polling is stuck: no network, Telegram refusing the token, or a database that refuses to store
the batch. A webhook hears from Telegram only when someone writes, so silence says nothing
there: the verdict asks the webhook server's own GET /healthz instead.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import Clock
from bot.storage.database import from_iso, latest_schema_version
from bot.storage.health import schema_version_of

logger = logging.getLogger(__name__)

POLLING = "polling"
WEBHOOK = "webhook"
STALE_AFTER = 180.0  # seconds without a successful getUpdates before polling counts as stuck
BEAT_EVERY = 15.0  # seconds between two writes of the heartbeat, at most this
DATABASE_TIMEOUT = 5.0  # seconds the verdict waits for a locked database
WEBHOOK_TIMEOUT = 5.0  # seconds it waits for /healthz


def heartbeat_path(database: Path) -> Path:
    """The heartbeat of a database's bot: `bot.sqlite3.heartbeat` beside `bot.sqlite3`."""
    return database.with_name(database.name + ".heartbeat")


def beat_every(stale_after: float) -> float:
    """How often the heartbeat is written: well within the threshold."""
    return min(BEAT_EVERY, stale_after / 6)


def poll_timeout(stale_after: float, longest: int) -> int:
    """getUpdates' long-poll timeout: at most `longest`, and short enough that an idle bot's
    empty answers come several times within the threshold."""
    return max(1, min(longest, int(stale_after / 4)))


def webhook_address(listen: str, port: int) -> str:
    """Where this machine reaches a webhook server listening on `listen`:`port`."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(listen, listen)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


@dataclass(frozen=True)
class Pulse:
    """What the heartbeat file says."""

    mode: str  # POLLING or WEBHOOK
    started: datetime
    received: datetime | None  # the last successful reception; None: none since the start
    stopped: datetime | None = None  # the bot stopped cleanly then
    address: str | None = None  # webhook mode: host:port of its /healthz


class Heartbeat:
    """Written by the running bot: `start`, `received` after every successful reception (cheap:
    the file is rewritten at most every `every` seconds), `stop` when it stops cleanly."""

    def __init__(
        self,
        path: Path,
        mode: str,
        clock: Clock,
        *,
        every: float = BEAT_EVERY,
        address: str | None = None,
    ) -> None:
        self.path = path
        self._mode = mode
        self._clock = clock
        self._every = every
        self._address = address
        self._started: datetime | None = None
        self._received: datetime | None = None
        self._stopped: datetime | None = None
        self._written: datetime | None = None
        self._failing = False

    def start(self) -> None:
        self._started = self._clock.now()
        self._received = self._stopped = None
        self._write(self._started)

    def received(self) -> None:
        now = self._clock.now()
        first, self._received = self._received is None, now
        if (
            first
            or self._written is None
            or not 0 <= (now - self._written).total_seconds() < self._every
        ):
            self._write(now)

    def stop(self) -> None:
        self._stopped = self._clock.now()
        self._write(self._stopped)

    def _write(self, now: datetime) -> None:
        body = {
            "mode": self._mode,
            "started": _iso(self._started or now),
            "received": _iso(self._received) if self._received else None,
            "stopped": _iso(self._stopped) if self._stopped else None,
            "address": self._address,
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(body), encoding="utf-8")
            temporary.replace(self.path)
        except OSError as exc:
            if not self._failing:  # once, not at every poll; the health check says the rest
                logger.warning("Could not write the heartbeat %s: %s", self.path, exc)
            self._failing = True
            return
        self._failing = False
        self._written = now


def _iso(moment: datetime) -> str:
    # To the microsecond: with a threshold of a few seconds (tests), whole seconds would blur it.
    return moment.astimezone(UTC).isoformat()


def read_pulse(path: Path) -> Pulse | None:
    """The heartbeat in `path`; None when there is none; ValueError when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(str(exc)) from None
    try:
        body = json.loads(text)
        mode = body["mode"]
        if mode not in (POLLING, WEBHOOK):
            raise ValueError(f"unknown mode {mode!r}")
        return Pulse(
            mode=mode,
            started=from_iso(body["started"]),
            received=from_iso(body["received"]) if body.get("received") else None,
            stopped=from_iso(body["stopped"]) if body.get("stopped") else None,
            address=body.get("address"),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"not a heartbeat ({type(exc).__name__})") from None


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    reason: str  # one line

    def line(self) -> str:
        return ("healthy: " if self.healthy else "unhealthy: ") + self.reason


def span(seconds: float) -> str:
    """A duration as a person reads it: 45 s, 3 min 20 s, 2 h 5 min."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def schema_verdict(version: int, expected: int) -> Verdict:
    if version < expected:
        return Verdict(
            False,
            f"the database is at schema {version}, this version of the bot needs {expected} "
            "(its migrations were not applied)",
        )
    if version > expected:
        return Verdict(
            False,
            f"the database is at schema {version}, newer than this version of the bot "
            f"({expected})",
        )
    return Verdict(True, f"database at schema {version}")


def polling_verdict(pulse: Pulse, now: datetime, stale_after: float) -> Verdict:
    """Fresh while a getUpdates succeeded (or the bot started) less than `stale_after` ago."""
    limit = span(stale_after)
    if pulse.received is None:
        age = (now - pulse.started).total_seconds()
        if age > stale_after:
            return Verdict(
                False,
                f"no getUpdates succeeded since the bot started {span(age)} ago "
                f"(more than {limit})",
            )
        return Verdict(True, f"long polling, started {span(age)} ago")
    age = (now - pulse.received).total_seconds()
    if age > stale_after:
        return Verdict(False, f"no getUpdates succeeded for {span(age)} (more than {limit})")
    return Verdict(True, f"long polling, last getUpdates {span(age)} ago")


def webhook_verdict(pulse: Pulse, now: datetime, *, timeout: float = WEBHOOK_TIMEOUT) -> Verdict:
    """What the webhook server's GET /healthz says (a blocking request)."""
    where = pulse.address or "an unknown address"
    url = f"http://{pulse.address}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            report = json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        try:
            report = json.loads(exc.read())
        except ValueError:
            report = {}
        down = sorted(key for key, value in report.items() if value not in ("ok", "unhealthy"))
        what = ", ".join(f"{key} {report[key]}" for key in down) or f"HTTP {exc.code}"
        return Verdict(False, f"the webhook server on {where} reports {what}")
    except (OSError, ValueError) as exc:
        return Verdict(False, f"the webhook server on {where} does not answer ({exc})")
    if not isinstance(report, dict) or report.get("status") != "ok":
        return Verdict(False, f"the webhook server on {where} answers {report!r}")
    if pulse.received is None:
        last = f"no delivery since the start {span((now - pulse.started).total_seconds())} ago"
    else:
        last = f"last delivery {span((now - pulse.received).total_seconds())} ago"
    return Verdict(True, f"webhook server on {where} answers, {last}")


def diagnose(
    database: Path,
    *,
    stale_after: float,
    now: datetime,
    ask_webhook: Callable[[Pulse, datetime], Verdict] = webhook_verdict,
    database_timeout: float = DATABASE_TIMEOUT,
) -> Verdict:
    """The running bot's health: the database readable at this version's schema, and updates
    arriving (long polling: a recent getUpdates; webhook: its /healthz)."""
    if not database.is_file():
        return Verdict(False, f"no database at {database}")
    try:
        version = schema_version_of(database, timeout=database_timeout)
    except sqlite3.Error as exc:
        return Verdict(False, f"the database {database} cannot be read: {exc}")
    schema = schema_verdict(version, latest_schema_version())
    if not schema.healthy:
        return schema
    path = heartbeat_path(database)
    try:
        pulse = read_pulse(path)
    except ValueError as exc:
        return Verdict(False, f"the heartbeat {path} cannot be read: {exc}")
    if pulse is None:
        return Verdict(False, f"no heartbeat at {path}: the bot has not started receiving")
    if pulse.stopped is not None:
        return Verdict(False, f"the bot stopped {span((now - pulse.stopped).total_seconds())} ago")
    if pulse.mode == WEBHOOK:
        receiving = ask_webhook(pulse, now)
    else:
        receiving = polling_verdict(pulse, now, stale_after)
    if not receiving.healthy:
        return receiving
    return Verdict(True, f"{receiving.reason}; {schema.reason}")
