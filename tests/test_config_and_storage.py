"""Configuration, the token kept out of logs, and the database surviving restarts."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.logs import RedactToken
from bot.config import Config, ConfigError
from bot.storage.bookmarks import BookmarkStore
from bot.storage.database import Database, in_transaction
from bot.storage.outbox import OutboxStore, Planned
from bot.storage.users import UserStore

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
TOKEN = "123456789:AAH-secret-token-value"


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nTELEGRAM_BOT_TOKEN='from-file'\nORGANISER_IDS=1, 2\nDATA_DIR=elsewhere\n",
        encoding="utf-8",
    )
    config = Config.from_env({"TELEGRAM_BOT_TOKEN": "from-env"}, env_file)
    assert config.token == "from-env"
    assert config.organisers == frozenset({1, 2})
    assert config.data_dir == Path("elsewhere")
    assert "from-env" not in repr(config)


def test_a_malformed_id_list_is_named() -> None:
    with pytest.raises(ConfigError, match="MODERATOR_IDS: 'alice'"):
        Config.from_env({"MODERATOR_IDS": "12,alice"}, Path("/nonexistent/.env"))


def test_the_sentence_encoder_is_on_unless_switched_off() -> None:
    nowhere = Path("/nonexistent/.env")
    assert Config.from_env({}, nowhere).sentence_encoder
    assert not Config.from_env({"SENTENCE_ENCODER": "off"}, nowhere).sentence_encoder
    with pytest.raises(ConfigError, match="SENTENCE_ENCODER: expected on or off, not 'maybe'"):
        Config.from_env({"SENTENCE_ENCODER": "maybe"}, nowhere)


def test_the_token_never_reaches_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactToken(TOKEN))
    with caplog.at_level(logging.INFO):
        logger.info("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
    assert TOKEN not in caplog.text
    assert "bot<token>/getMe" in caplog.text


async def test_data_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    database = await Database.open(path)
    users = UserStore(database.connection)
    await users.touch(42, "Amina", NOW)
    await users.set_language(42, "ar", NOW)
    await BookmarkStore(database.connection).add(42, "geneva-2026", "opening", NOW)
    await database.close()

    database = await Database.open(path)
    record = await UserStore(database.connection).get(42)
    assert record is not None
    assert record.language == "ar"
    assert await BookmarkStore(database.connection).session_ids(42, "geneva-2026") == {"opening"}
    async with database.connection.execute("PRAGMA journal_mode") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    assert row[0] == "wal"
    assert await database.schema_version() >= 1
    await database.close()


async def test_deleting_a_user_removes_their_agenda(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "bot.sqlite3")
    users = UserStore(database.connection)
    bookmarks = BookmarkStore(database.connection)
    await users.touch(7, "Ravi", NOW)
    await bookmarks.add(7, "geneva-2026", "opening", NOW)
    assert await users.delete(7)
    assert await bookmarks.session_ids(7, "geneva-2026") == set()
    await database.close()


async def test_touching_an_unchanged_user_writes_nothing(tmp_path: Path) -> None:
    """The profile middleware touches the user on every update: only changes may cost a write."""
    database = await Database.open(tmp_path / "bot.sqlite3")
    users = UserStore(database.connection)
    await users.touch(9, "Lina", NOW, "fr")
    before = database.connection.total_changes
    record = await users.touch(9, "Lina", NOW)
    assert database.connection.total_changes == before
    assert record.client_language == "fr"
    await users.touch(9, "Lina B.", NOW, "ar")
    record = await users.touch(9, "Lina B.", NOW)
    assert (record.first_name, record.client_language) == ("Lina B.", "ar")
    assert database.connection.total_changes == before + 1
    await database.close()


async def test_a_commit_that_fails_leaves_no_transaction_open(tmp_path: Path) -> None:
    """Another caller's write still in progress makes COMMIT fail: later writes still commit."""
    database = await Database.open(tmp_path / "bot.sqlite3")
    connection = database.connection
    await connection.execute("CREATE TABLE t (n INTEGER)")
    await connection.execute("INSERT INTO t VALUES (1), (2)")
    # A write with RETURNING, read in two calls: its write stays open between them.
    cursor = await connection.execute("UPDATE t SET n = n + 10 RETURNING n")
    with pytest.raises(sqlite3.OperationalError):
        await in_transaction(connection, lambda raw: raw.execute("INSERT INTO t VALUES (3)"))
    await cursor.fetchall()
    await cursor.close()
    assert not connection.in_transaction
    await in_transaction(connection, lambda raw: raw.execute("INSERT INTO t VALUES (4)"))
    await database.close()
    reopened = sqlite3.connect(tmp_path / "bot.sqlite3")
    # The later write is in the file; the failed transaction's is not (nor the write it met,
    # rolled back with it: storage reads such a write's rows in one call, write_returning).
    assert sorted(n for (n,) in reopened.execute("SELECT n FROM t")) == [1, 2, 4]
    reopened.close()


async def test_claiming_outbox_rows_beside_a_transaction_never_breaks_it(tmp_path: Path) -> None:
    """The outbox's claim (a write with RETURNING) and another caller's transaction, at once:
    both take effect (the claim used to leave its write open between two calls)."""
    database = await Database.open(tmp_path / "bot.sqlite3")
    connection = database.connection
    store = OutboxStore(connection)
    now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    await connection.execute(
        "INSERT INTO users (user_id, created_at, updated_at) VALUES (1, ?, ?)",
        (now.isoformat(), now.isoformat()),
    )
    await connection.execute("CREATE TABLE marks (n INTEGER)")
    planned = [
        Planned(kind="test", key=f"k{n}", user_id=1, due_at=now, not_before=now) for n in range(5)
    ]
    await store.add(planned, now)
    for number, item in enumerate(await store.candidates(now, 5)):
        claimed, _ = await asyncio.gather(
            store.claim([item.id], now),
            in_transaction(
                connection, lambda raw, n=number: raw.execute("INSERT INTO marks VALUES (?)", (n,))
            ),
        )
        assert claimed == {item.id}
    assert not connection.in_transaction
    await database.close()
    reopened = sqlite3.connect(tmp_path / "bot.sqlite3")
    assert [n for (n,) in reopened.execute("SELECT n FROM marks ORDER BY n")] == [0, 1, 2, 3, 4]
    states = {state for (state,) in reopened.execute("SELECT state FROM outbox")}
    reopened.close()
    assert states == {"sending"}
