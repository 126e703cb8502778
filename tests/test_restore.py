"""`python -m bot restore`: a backup put back after a SIGKILL is the backup, exactly.

After a SIGKILL the database's -wal and -shm stay beside it. The README's old restore (stop the
bot, copy the backup over the database) leaves them, and SQLite applies that WAL to the copied
file at the next open: the "restored" database is malformed, or silently holds the newer state.
The command refuses while the bot runs, sets the current files aside and checks what it puts in.
"""

from __future__ import annotations

import fcntl
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.fakeapi import FakeBotApi
from bot.fakeapi.http import FakeApiHttpServer
from bot.storage.database import Database
from tests.process_support import BotProcess, wait_until

FIRST = range(7001, 7006)  # delegates before the backup
SECOND = range(7101, 7106)  # and after it
ASIDE_FOLDER = "before-restore"  # beside the database: where a restore puts what it replaced


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The commands run in-process on tmp_path/bot.sqlite3, like BotProcess's bot."""
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return tmp_path


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def users_in(path: Path) -> set[int]:
    """The delegates the database knows (none while it is still being made)."""
    if not path.exists():
        return set()
    with closing(read_only(path)) as db:
        try:
            return {row[0] for row in db.execute("SELECT user_id FROM users")}
        except sqlite3.OperationalError:  # the bot has not migrated it yet
            return set()


def state_of(path: Path) -> list[str]:
    """Everything in the database, as SQL; or why it cannot be read."""
    db = sqlite3.connect(path)  # read-write, as the bot opens it
    try:
        check = db.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            return [f"integrity check: {check}"]
        return list(db.iterdump())
    except sqlite3.DatabaseError as exc:
        return [f"unreadable: {exc}"]
    finally:
        db.close()


def start_all(api: FakeBotApi, users: range) -> None:
    for user in users:
        api.queue_update(api.make_message(user, "/start", language_code="en"))


async def test_restore_after_a_sigkill_gives_the_backup_exactly(
    server: FakeApiHttpServer, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = server.api
    database = here / "bot.sqlite3"
    backup = here / "backups" / "before.sqlite3"
    bot = BotProcess(server, here)
    await bot.start()
    try:
        start_all(api, FIRST)
        await wait_until(lambda: users_in(database) == set(FIRST), 30, f"users\n{bot.log()}")
        assert main(["backup", str(backup)]) == 0
        start_all(api, SECOND)
        await wait_until(
            lambda: users_in(database) == {*FIRST, *SECOND}, 30, f"more users\n{bot.log()}"
        )
        capsys.readouterr()

        # While the bot runs: refused, and nothing touched.
        assert main(["restore", str(backup)]) == 1
        err = capsys.readouterr().err
        assert f"Nothing restored. The database {database} is in use" in err
        assert "Stop the bot first" in err
        assert users_in(database) == {*FIRST, *SECOND}
        assert not (here / ASIDE_FOLDER).exists()
    finally:
        await bot.kill()  # SIGKILL: no clean close, the WAL stays
    wal = database.with_name("bot.sqlite3-wal")
    assert wal.exists()
    assert wal.stat().st_size > 0
    assert database.with_name("bot.sqlite3-shm").exists()
    wanted = state_of(backup)
    assert any('INSERT INTO "users"' in line for line in wanted)

    # The old README steps, on a copy of what the SIGKILL left: copy the backup over the
    # database. SQLite applies the stale WAL to it; what opens is not the backup.
    plain = here / "plain-copy"
    plain.mkdir()
    for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"):
        shutil.copyfile(here / name, plain / name)
    shutil.copyfile(backup, plain / "bot.sqlite3")
    assert state_of(plain / "bot.sqlite3") != wanted

    assert main(["restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert state_of(database) == wanted
    assert users_in(database) == set(FIRST)
    assert not wal.exists()
    (aside,) = (here / ASIDE_FOLDER).iterdir()
    assert sorted(p.name for p in aside.iterdir()) == [
        "bot.sqlite3",
        "bot.sqlite3-shm",
        "bot.sqlite3-wal",
    ]
    assert f"Restored {backup} into {database} (integrity check: ok)." in out
    assert f"are in {aside}/" in out
    assert f"python -m bot restore {aside / 'bot.sqlite3'}" in out
    # What was set aside still opens to the newest state: the undo the command prints works.
    assert main(["restore", str(aside / "bot.sqlite3")]) == 0
    assert users_in(database) == {*FIRST, *SECOND}
    assert state_of(database)[0] != "unreadable"

    # And the bot starts on a restored database and goes on answering.
    assert main(["restore", str(backup)]) == 0
    again = BotProcess(server, here)
    await again.start()
    try:
        api.queue_update(api.make_message(7201, "/start", language_code="en"))
        await wait_until(lambda: 7201 in users_in(database), 30, f"restart\n{again.log()}")
        assert users_in(database) == {*FIRST, 7201}
    finally:
        await again.kill()


async def test_the_bot_does_not_start_while_a_restore_runs(
    server: FakeApiHttpServer, tmp_path: Path
) -> None:
    # What `python -m bot restore` holds while it swaps the files: the lock file, exclusively.
    with (tmp_path / "bot.sqlite3.lock").open("wb") as restoring:
        fcntl.flock(restoring, fcntl.LOCK_EX)
        bot = BotProcess(server, tmp_path)
        try:
            await bot.start()
            code = await bot.exit_code(within=30)
        finally:
            await bot.kill()
    assert code == 1
    assert f"The database {tmp_path / 'bot.sqlite3'} is being restored" in bot.log()
    assert not (tmp_path / "bot.sqlite3").exists()


async def make_bot_database(path: Path, users: list[int]) -> None:
    """A database of this bot's schema (the bot's own migrations) with these users."""
    database = await Database.open(path)
    for user in users:
        await database.connection.execute(
            "INSERT INTO users (user_id, first_name, language, created_at, updated_at) "
            "VALUES (?, 'x', 'en', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
            (user,),
        )
    await database.close()


def not_sqlite(path: Path, bot_database: Path) -> None:
    path.write_text("delegates,agenda\n1,opening\n", encoding="utf-8")


def another_application(path: Path, bot_database: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE notes (text)")
        db.execute("PRAGMA user_version = 3")
        db.commit()


def newer_bot(path: Path, bot_database: Path) -> None:
    shutil.copyfile(bot_database, path)
    with closing(sqlite3.connect(path)) as db:
        latest = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute(f"PRAGMA user_version = {latest + 1}")


def damaged(path: Path, bot_database: Path) -> None:
    shutil.copyfile(bot_database, path)
    with closing(sqlite3.connect(path)) as db:
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'users'").fetchone()[0]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as raw:  # scribble over the users table's root page
        raw.seek((root - 1) * page_size + 8)
        raw.write(b"\xff" * 64)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (not_sqlite, "is not a readable SQLite database"),
        (another_application, "is an SQLite database, but not this bot's"),
        (newer_bot, "comes from a newer version of the bot"),
        (damaged, "database disk image is malformed"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
async def test_a_backup_that_is_not_sound_is_refused_and_nothing_is_touched(
    here: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path, Path], None],
    said: str,
) -> None:
    database = here / "bot.sqlite3"
    await make_bot_database(database, [42])
    before = state_of(database)
    sound = here / "sound.sqlite3"
    await make_bot_database(sound, list(range(1, 400)))
    backup = here / "backup.sqlite3"
    make(backup, sound)
    assert main(["restore", str(backup)]) == 1
    err = capsys.readouterr().err
    assert "Nothing restored. " in err
    assert said in err
    assert state_of(database) == before
    assert not (here / ASIDE_FOLDER).exists()


async def test_restore_refuses_while_a_command_has_the_database_open(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = here / "backup.sqlite3"
    await make_bot_database(backup, [1])
    database = await Database.open(here / "bot.sqlite3")  # as `role add` or an export would
    try:
        assert main(["restore", str(backup)]) == 1
    finally:
        await database.close()
    assert "is in use" in capsys.readouterr().err
    assert main(["restore", str(backup)]) == 0
    assert users_in(here / "bot.sqlite3") == {1}


async def test_restore_onto_no_database_says_nothing_was_set_aside(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = here / "backup.sqlite3"
    await make_bot_database(backup, [5, 6])
    assert main(["restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert f"There was no database at {here / 'bot.sqlite3'}; nothing was set aside." in out
    assert users_in(here / "bot.sqlite3") == {5, 6}
    assert state_of(here / "bot.sqlite3") == state_of(backup)
