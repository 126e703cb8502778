"""`python -m bot health` (Docker's HEALTHCHECK): the heartbeat the running bot keeps beside its
database, and the command's verdicts on it and on the database."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.clock import ManualClock
from bot.config import Config, ConfigError
from bot.services.health import (
    POLLING,
    Heartbeat,
    diagnose,
    heartbeat_path,
    poll_timeout,
    read_pulse,
)
from bot.storage.database import Database, latest_schema_version
from bot.webhook import Poller, heartbeat_for, serve_webhook
from tests.conftest import Harness, build_harness, make_config

# --- The heartbeat ----------------------------------------------------------------------------


async def test_a_getupdates_answered_and_stored_beats_and_a_failed_one_does_not(
    harness: Harness, clock: ManualClock
) -> None:
    api = harness.api
    heartbeat = heartbeat_for(harness.app, POLLING)
    assert heartbeat is not None
    path = heartbeat_path(harness.services.config.database_path)
    assert heartbeat.path == path
    poller = Poller(harness.app, timeout=0, heartbeat=heartbeat)
    heartbeat.start()
    started = clock.now()
    pulse = read_pulse(path)
    assert pulse is not None
    assert (pulse.mode, pulse.started, pulse.received) == (POLLING, started, None)

    # Telegram does not answer: no beat.
    clock.advance(seconds=20)
    api.fail_next("getUpdates", error_code=502, description="Bad Gateway")
    with pytest.raises(Exception, match="Bad Gateway"):
        await poller.poll()
    assert read_pulse(path) == pulse

    # Telegram answers, but the batch cannot be stored: no beat either.
    api.queue_update(api.make_message(1001, "/help"))
    db = harness.services.db.connection
    await db.execute("ALTER TABLE inbox RENAME TO inbox_away")
    with pytest.raises(sqlite3.OperationalError):
        await poller.poll()
    assert read_pulse(path) == pulse
    await db.execute("ALTER TABLE inbox_away RENAME TO inbox")

    # Answered and stored: the beat.
    await poller.poll()
    first = clock.now()
    pulse = read_pulse(path)
    assert pulse is not None
    assert pulse.received == first
    # Written at most every 15 s: polls in between cost no write.
    clock.advance(seconds=10)
    await poller.poll()
    assert read_pulse(path) == pulse
    clock.advance(seconds=6)
    await poller.poll()
    pulse = read_pulse(path)
    assert pulse is not None
    assert pulse.received == clock.now()
    await until(lambda: bool(api.bot_messages(1001)))
    api.calls[:] = [c for c in api.calls if c.ok]  # the 502 was on purpose


async def until(condition: object, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_a_short_threshold_shortens_the_long_poll() -> None:
    # An idle bot's empty getUpdates answers must come well within the threshold.
    assert poll_timeout(180, 10) == 10
    assert poll_timeout(20, 10) == 5
    assert poll_timeout(3, 10) == 1


def test_the_threshold_comes_from_the_environment(tmp_path: Path) -> None:
    assert Config.from_env({}, tmp_path).health_stale_after == 180
    assert Config.from_env({"HEALTH_STALE_SECONDS": "45"}, tmp_path).health_stale_after == 45
    for wrong in ("soon", "0", "-5", "nan"):
        with pytest.raises(ConfigError, match="HEALTH_STALE_SECONDS"):
            Config.from_env({"HEALTH_STALE_SECONDS": wrong}, tmp_path)


# --- The command's verdicts -------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the command looks (DATABASE_PATH); created by the tests that need it."""
    monkeypatch.chdir(tmp_path)  # no .env
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.delenv("HEALTH_STALE_SECONDS", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return path


async def migrated(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def polled(database: Path, *, started_ago: float, received_ago: float | None) -> None:
    """A heartbeat as a polling bot leaves it, at real times in the past."""
    now = datetime.now(UTC)
    clock = ManualClock(now - timedelta(seconds=started_ago))
    heartbeat = Heartbeat(heartbeat_path(database), POLLING, clock)
    heartbeat.start()
    if received_ago is not None:
        clock.set(now - timedelta(seconds=received_ago))
        heartbeat.received()


def health(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["health"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # one line
    return code, out.strip()


async def test_healthy_while_getupdates_succeeds(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await migrated(database)
    polled(database, started_ago=3600, received_ago=7)
    code, line = health(capsys)
    assert code == 0
    # (Real time: a second may pass meanwhile, and the heartbeat keeps whole seconds.)
    assert re.fullmatch(
        rf"healthy: long polling, last getUpdates [789] s ago; "
        rf"database at schema {latest_schema_version()}",
        line,
    ), line


async def test_unhealthy_once_getupdates_is_stale(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrated(database)
    polled(database, started_ago=3600, received_ago=200)
    code, line = health(capsys)
    assert code == 1
    assert re.fullmatch(
        r"unhealthy: no getUpdates succeeded for 3 min 2[012] s \(more than 3 min\)", line
    ), line
    monkeypatch.setenv("HEALTH_STALE_SECONDS", "600")
    assert health(capsys)[0] == 0


async def test_a_bot_that_never_polled_is_healthy_only_while_it_starts(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await migrated(database)
    polled(database, started_ago=30, received_ago=None)
    assert health(capsys)[0] == 0
    polled(database, started_ago=600, received_ago=None)
    code, line = health(capsys)
    assert code == 1
    assert re.fullmatch(
        r"unhealthy: no getUpdates succeeded since the bot started 10 min( [12] s)? ago "
        r"\(more than 3 min\)",
        line,
    ), line


def test_unhealthy_without_a_database(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    polled(database, started_ago=60, received_ago=1)
    assert health(capsys) == (1, f"unhealthy: no database at {database}")
    assert not database.exists()  # the check created nothing


def test_unhealthy_when_the_database_cannot_be_read(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database.write_bytes(b"not a database " * 100)
    polled(database, started_ago=60, received_ago=1)
    code, line = health(capsys)
    assert code == 1
    assert line.startswith(f"unhealthy: the database {database} cannot be read")


async def test_unhealthy_when_migrations_are_behind(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await migrated(database)
    polled(database, started_ago=60, received_ago=1)
    latest = latest_schema_version()
    with sqlite3.connect(database) as db:
        db.execute(f"PRAGMA user_version = {latest - 1}")
    code, line = health(capsys)
    assert code == 1
    assert line == (
        f"unhealthy: the database is at schema {latest - 1}, this version of the bot needs "
        f"{latest} (its migrations were not applied)"
    )


async def test_unhealthy_before_the_bot_ever_received(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await migrated(database)
    code, line = health(capsys)
    assert code == 1
    assert line.startswith("unhealthy: no heartbeat at ")


# --- Webhook mode: the command asks the server's /healthz ---------------------------------------


async def test_webhook_mode_answers_through_healthz(tmp_path: Path, clock: ManualClock) -> None:
    config = make_config(tmp_path, webhook_secret="s3cret")
    built = build_harness(config, clock)
    stop = asyncio.Event()
    serving = asyncio.create_task(
        serve_webhook(
            built.app,
            url="https://bot.example.org/telegram",
            secret="s3cret",
            listen="127.0.0.1",
            port=0,
            stop=stop,
        )
    )
    path = heartbeat_path(config.database_path)

    def verdict() -> str:
        return diagnose(config.database_path, stale_after=180, now=clock.now()).line()

    try:
        await until(path.exists, 10)
        pulse = read_pulse(path)
        assert pulse is not None
        assert pulse.mode == "webhook"
        assert pulse.address is not None
        assert pulse.address.startswith("127.0.0.1:")
        # Hours without a delivery are no fault in webhook mode.
        clock.advance(hours=5)
        line = await asyncio.to_thread(verdict)
        assert line.startswith(
            f"healthy: webhook server on {pulse.address} answers, no delivery since the "
            "start 5 h ago;"
        )
        # /healthz says what is down, and the command with it.
        job_queue = built.app.job_queue
        assert job_queue is not None
        await job_queue.stop()
        try:
            line = await asyncio.to_thread(verdict)
        finally:
            await job_queue.start()
        assert line == f"unhealthy: the webhook server on {pulse.address} reports scheduler down"
    finally:
        stop.set()
        await serving
    assert verdict() == "unhealthy: the bot stopped 0 s ago"
