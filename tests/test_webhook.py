"""Webhook mode on a real HTTP server, /healthz, draining on stop, the watchdog, backups."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Update

from bot.clock import ManualClock
from bot.config import Config, ConfigError
from bot.storage.backup import backup_database
from bot.webhook import SECRET_HEADER, PollingWatchdog, WebhookServer, drain, health
from tests.conftest import Harness, build_harness, make_config, sample_events

SECRET = "s3cret-Token_for-tests"


async def until(condition: Any, seconds: float = 5.0) -> None:
    """Wait for the application to get round to an update put in its queue."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


@pytest.fixture
async def server(harness: Harness) -> Any:
    server = WebhookServer(harness.app, secret=SECRET, path="/telegram")
    port = await server.start("127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}"
    await server.stop()


async def test_a_forged_request_is_refused_and_never_processed(
    harness: Harness, server: str
) -> None:
    update = harness.api.make_message(1001, "/start")
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: SECRET + "x"}):
            async with http.post(f"{server}/telegram", json=update, headers=headers) as answer:
                assert answer.status == 403
    await asyncio.sleep(0.2)
    assert harness.api.bot_messages(1001) == []
    assert await harness.services.updates.count() == 0


async def test_a_genuine_request_is_processed(harness: Harness, server: str) -> None:
    update = harness.api.make_message(1001, "/start")
    async with aiohttp.ClientSession() as http:
        headers = {SECRET_HEADER: SECRET}
        async with http.post(f"{server}/telegram", json=update, headers=headers) as answer:
            assert answer.status == 200
        await until(lambda: len(harness.api.bot_messages(1001)) >= 2)
        assert (harness.api.bot_messages(1001)[0].plain_text() or "").startswith("Welcome")
        # Telegram re-sends it (it did not see our 200): no second greeting.
        async with http.post(f"{server}/telegram", json=update, headers=headers) as answer:
            assert answer.status == 200
        count = len(harness.api.bot_messages(1001))
        await asyncio.sleep(0.2)
        assert len(harness.api.bot_messages(1001)) == count
        async with http.post(f"{server}/telegram", data=b"{not json", headers=headers) as answer:
            assert answer.status == 400


async def test_healthz_reports_database_and_scheduler(harness: Harness, server: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{server}/healthz") as answer:
        assert answer.status == 200
        assert await answer.json() == {
            "database": "ok",
            "schema": "ok",
            "scheduler": "ok",
            "status": "ok",
        }
    await harness.services.db.close()
    healthy, report = await health(harness.app)
    assert not healthy
    assert report["database"] == "down"
    services = harness.app.bot_data.pop("services")  # the fixture must not close it again
    await services.understanding.close()  # what the fixture closes besides: its worker thread


async def test_stopping_processes_every_update_in_hand(tmp_path: Path) -> None:
    clock = ManualClock(sample_events().consultations["geneva-2026"].sessions[0].start)
    config = make_config(tmp_path)
    built = build_harness(config, clock)
    api, app = built.api, built.app
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    users = range(2001, 2021)
    for user in users:
        data = api.make_message(user, "/start")
        await app.update_queue.put(Update.de_json(data, app.bot))
    await drain(app)  # what SIGTERM does after the server stopped accepting
    assert all(api.bot_messages(user) for user in users)
    # The database was closed cleanly and holds every delegate.
    with sqlite3.connect(config.database_path) as db:
        assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == len(users)
        assert db.execute("SELECT COUNT(*) FROM processed_updates").fetchone()[0] == len(users)


async def test_the_watchdog_restarts_stalled_polling() -> None:
    now = [0.0]
    watchdog = PollingWatchdog(timeout=10, factor=6, monotonic=lambda: now[0])
    now[0] = 59
    assert not watchdog.stalled()
    watchdog.round_trip()
    now[0] = 59 + 61
    assert watchdog.stalled()
    watchdog.round_trip()
    assert not watchdog.stalled()


async def test_backup_is_a_complete_copy_while_the_bot_runs(
    harness: Harness, tmp_path: Path
) -> None:
    chat = harness.chat(1001)
    await chat.send("/start")
    source = harness.services.config.database_path
    target = tmp_path / "backups" / "copy.sqlite3"
    backup_database(source, target)
    await chat.send("/help")  # the bot goes on writing
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT user_id FROM users").fetchall() == [(1001,)]
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not target.with_name("copy.sqlite3-wal").exists()


def test_backup_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from bot.cli.backup import run

    db = tmp_path / "bot.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (42)")
    config = Config(database_path=db)
    assert run(argparse.Namespace(file=str(tmp_path / "b.sqlite3")), config) == 0
    with sqlite3.connect(tmp_path / "b.sqlite3") as copy:
        assert copy.execute("SELECT x FROM t").fetchall() == [(42,)]
    missing = Config(database_path=tmp_path / "none.sqlite3")
    assert run(argparse.Namespace(file=str(tmp_path / "c.sqlite3")), missing) == 1
    assert "Backup failed" in capsys.readouterr().err


def test_webhook_settings_from_the_environment() -> None:
    config = Config.from_env(
        {"WEBHOOK_URL": "https://bot.example.org/tg", "WEBHOOK_SECRET": "abc", "PORT": "9000"},
        env_file=Path("/nonexistent"),
    )
    assert (config.webhook_url, config.webhook_secret, config.port) == (
        "https://bot.example.org/tg",
        "abc",
        9000,
    )
    assert "abc" not in repr(config)
    with pytest.raises(ConfigError, match="PORT"):
        Config.from_env({"PORT": "http"}, env_file=Path("/nonexistent"))


@pytest.mark.parametrize(
    "secret", ["s3cret with spaces", "pass/word", "clé", "x" * 257, "abc\x00", "a+b=c"]
)
def test_a_webhook_secret_telegram_would_refuse_stops_the_start(secret: str) -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_env({"WEBHOOK_SECRET": secret}, env_file=Path("/nonexistent"))
    message = str(error.value)
    assert message.startswith("WEBHOOK_SECRET: Telegram accepts 1 to 256 characters")
    assert "A-Z a-z 0-9 _ -" in message
    assert secret not in message  # the secret itself never reaches a log or a terminal


def test_a_webhook_secret_by_telegrams_rule_is_taken() -> None:
    for secret in ("a", "x" * 256, "Az09_-"):
        assert Config.from_env({"WEBHOOK_SECRET": secret}, Path("/nonexistent")).webhook_secret
