"""Anonymous rows name nobody in the database or a backup; /forget blanks the helpdesk group."""

from __future__ import annotations

import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Config, ConfigError
from bot.fakeapi import FakeBotApi
from bot.services.privacy import AnonymityKeyError, load_anonymity, open_anonymity
from bot.storage import database as database_module
from bot.storage.database import Database
from tests.conftest import (
    GENEVA,
    GENEVA_ID,
    HELPDESK,
    ORGANISER_ID,
    ROOT,
    Harness,
    bot_on,
    build_harness,
    joined,
    make_config,
    started,
)

NOW = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)
AMINA = 1001
# A delegate whose id the old database holds in their anonymous rows only (no users row): any
# trace of it left anywhere in the file after the upgrade is a leak.
HIDDEN = 2052865681
# As SQLite stores the integer, and as text (in a key or a JSON payload).
HIDDEN_TRACES = (HIDDEN.to_bytes(4, "big"), str(HIDDEN).encode())
ANONYMOUS_TABLES = ("session_feedback", "recommendations", "helpdesk_questions")


def _database_at_011(path: Path) -> None:
    """A database as the bot left it before anonymous rows lost their delegate's id."""
    connection = sqlite3.connect(path)
    for script in sorted((ROOT / "bot" / "storage" / "migrations").glob("0*.sql")):
        if int(script.name[:3]) <= 11:
            connection.executescript(script.read_text(encoding="utf-8"))
    stamp = "2026-12-08T08:10:00+00:00"
    connection.executescript(
        f"""
        PRAGMA user_version = 11;
        INSERT INTO users (user_id, language, consultation_id, first_name, created_at, updated_at)
        VALUES ({AMINA}, 'en', '{GENEVA_ID}', 'Amina', '{stamp}', '{stamp}');
        INSERT INTO session_feedback (id, user_id, consultation_id, session_id, rating, comment,
                                      created_at, updated_at)
        VALUES (1, {AMINA}, '{GENEVA_ID}', 'opening', 4, 'Too long by half', '{stamp}', '{stamp}'),
               (2, {HIDDEN}, '{GENEVA_ID}', 'opening', 2, 'Hard to follow', '{stamp}', '{stamp}');
        INSERT INTO recommendations (id, user_id, consultation_id, theme_id, text, created_at)
        VALUES (1, {AMINA}, '{GENEVA_ID}', 'other', 'More coffee, please', '{stamp}'),
               (2, {HIDDEN}, '{GENEVA_ID}', 'other', 'Shorter speeches', '{stamp}');
        INSERT INTO helpdesk_questions (id, user_id, consultation_id, language, question, kind,
                                        created_at, question_key)
        VALUES (1, {AMINA}, '{GENEVA_ID}', 'en', 'Is there a prayer room?', 'direct',
                '{stamp}', 'is there a prayer room'),
               (2, {HIDDEN}, '{GENEVA_ID}', 'en', 'Can I leave early?', 'direct',
                '{stamp}', 'can i leave early'),
               (3, {AMINA}, '{GENEVA_ID}', 'en', 'May I bring my partner?', 'direct',
                '{stamp}', 'may i bring my partner');
        INSERT INTO helpdesk_tickets (id, question_id, user_id, consultation_id, language,
                                      question, display_name, created_at)
        VALUES (1, 1, {AMINA}, '{GENEVA_ID}', 'en', 'Is there a prayer room?', NULL, '{stamp}'),
               (2, 2, {HIDDEN}, '{GENEVA_ID}', 'en', 'Can I leave early?', NULL, '{stamp}'),
               (3, 3, {AMINA}, '{GENEVA_ID}', 'en', 'May I bring my partner?', 'Amina D.',
                '{stamp}');
        -- Rows that refer to the questions and tickets, which the upgrade rebuilds.
        INSERT INTO helpdesk_votes VALUES (2, 0, '{stamp}');
        INSERT INTO helpdesk_replies (group_chat_id, group_message_id, ticket_id, organiser_id,
                                      text, created_at)
        VALUES ({HELPDESK}, 90, 3, {ORGANISER_ID}, 'We will check.', '{stamp}');
        INSERT INTO taught_phrasings (consultation_id, answer_ref, language, text, question_key,
                                      question_id, taught_by, taught_at)
        VALUES ('{GENEVA_ID}', 'prayer-room', 'en', 'Is there a prayer room?',
                'is there a prayer room', 1, {ORGANISER_ID}, '{stamp}');
        """
    )
    connection.commit()
    connection.close()


def _anonymous_rows(path: Path) -> list[tuple[object, ...]]:
    """Every anonymous row of the file, whole; and no table of them has a user_id column."""
    connection = sqlite3.connect(path)
    try:
        rows: list[tuple[object, ...]] = []
        for table in ANONYMOUS_TABLES:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            assert "author" in columns
            assert "user_id" not in columns, table
            rows += connection.execute(f"SELECT * FROM {table}").fetchall()
        rows += connection.execute(
            "SELECT * FROM helpdesk_tickets WHERE display_name IS NULL"
        ).fetchall()
        return rows
    finally:
        connection.close()


def _file_bytes(path: Path) -> bytes:
    """The database and whatever it left beside it (the write-ahead log)."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_an_upgraded_database_and_its_backup_name_nobody(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.sqlite3"
    _database_at_011(path)
    assert HIDDEN.to_bytes(4, "big") in path.read_bytes()  # the test can see it
    config = make_config(tmp_path, helpdesk_chat_id=HELPDESK)
    harness = build_harness(config, clock)
    harness.api.add_chat(HELPDESK, type="supergroup", title="Organisers")
    async with started(harness):
        database = harness.services.db
        geneva = harness.services.events.consultations[GENEVA_ID]
        amina = harness.chat(AMINA, first_name="Amina")

        # /myfeedback still finds her anonymous comment and recommendation...
        await amina.send("/myfeedback")
        assert "Too long by half" in amina.text()
        assert "More coffee, please" in amina.text()
        assert "Hard to follow" not in amina.text()
        # ...and rating again changes her rating: one per delegate and session.
        await harness.services.feedback.rate(AMINA, geneva, "opening", 5)
        async with database.connection.execute(
            "SELECT id, rating FROM session_feedback WHERE session_id = 'opening' ORDER BY id"
        ) as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [(1, 5), (2, 2)]

        # The answer to her anonymous ticket still reaches her; her named one keeps her id.
        organiser = harness.chat(ORGANISER_ID, first_name="Olga")
        await organiser.send("/answer 1 Yes, on the second floor.")
        assert "Yes, on the second floor." in amina.text()
        assert "Is there a prayer room?" in amina.text()
        # Nobody the bot knows asked ticket 2: the organiser is told, the ticket stays open.
        await organiser.send("/answer 2 Of course.")
        assert "can no longer find the delegate" in organiser.text()
        async with database.connection.execute(
            "SELECT id, user_id, status FROM helpdesk_tickets ORDER BY id"
        ) as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [
                (1, None, "answered"),
                (2, None, "open"),
                (3, AMINA, "open"),
            ]
        async with database.connection.execute(
            "SELECT (SELECT COUNT(*) FROM anonymise_pending),"
            " (SELECT COUNT(*) FROM helpdesk_votes), (SELECT COUNT(*) FROM helpdesk_replies),"
            " (SELECT COUNT(*) FROM taught_phrasings)"
        ) as cursor:
            # Nothing left to convert; what referred to the rebuilt tables is all there.
            assert tuple(await cursor.fetchone() or ()) == (0, 1, 3, 1)

    rows = _anonymous_rows(path)
    assert len(rows) == 2 + 2 + 3 + 2  # every anonymous row is kept, content and all
    assert not [row for row in rows if AMINA in row or HIDDEN in row]
    # Not in any page of the file either (free pages, the log), nor in a backup.
    assert not [trace for trace in HIDDEN_TRACES if trace in _file_bytes(path)]
    from bot.__main__ import main

    backup = tmp_path / "backups" / "copy.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    assert main(["backup", str(backup)]) == 0
    rows = _anonymous_rows(backup)
    assert len(rows) == 9
    assert not [row for row in rows if AMINA in row or HIDDEN in row]
    copy = backup.read_bytes()
    assert not [trace for trace in HIDDEN_TRACES if trace in copy]
    key = config.anonymity_key_file.read_text(encoding="utf-8").strip()
    assert key.encode() not in copy


async def test_new_anonymous_rows_hold_no_delegate_id(harness: Harness) -> None:
    chat = await joined(harness)
    geneva = harness.services.events.consultations[GENEVA_ID]
    await harness.services.feedback.rate(chat.user_id, geneva, "opening", 3)
    await harness.services.feedback.comment(chat.user_id, geneva, "opening", "Good pace")
    await harness.services.feedback.recommend(chat.user_id, geneva, "other", "Subtitles")
    await chat.send("/ask_organisers Is the venue step-free?")
    await chat.press("Stay anonymous")
    rows = _anonymous_rows(harness.services.config.database_path)
    assert len(rows) == 4
    assert not [row for row in rows if chat.user_id in row]


async def test_a_migration_leaving_rows_that_refer_to_nothing_is_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.sqlite3"
    database = await Database.open(path)
    version = await database.schema_version()
    await database.close()
    dangling = (
        "INSERT INTO bookmarks (user_id, consultation_id, session_id, created_at) "
        "VALUES (404, 'geneva-2026', 'opening', 'x');"
    )
    monkeypatch.setattr(database_module, "_migrations", lambda: [(version + 1, dangling)])
    with pytest.raises(sqlite3.IntegrityError, match=f"migration {version + 1:03d}"):
        await Database.open(path)
    monkeypatch.undo()
    database = await Database.open(path)
    try:
        assert await database.schema_version() == version
        async with database.connection.execute("SELECT COUNT(*) FROM bookmarks") as cursor:
            assert tuple(await cursor.fetchone() or ()) == (0,)
    finally:
        await database.close()


# --- /forget and the helpdesk group --------------------------------------------------------


async def test_forget_blanks_each_of_the_delegates_tickets_in_the_group_once(
    tmp_path: Path, clock: ManualClock
) -> None:
    api = FakeBotApi(clock=clock.now)
    api.add_chat(HELPDESK, type="supergroup", title="Organisers")
    async with bot_on(tmp_path, clock, api, helpdesk_chat_id=HELPDESK) as first:
        amina = await joined(first)
        await amina.send("/ask_organisers Can I bring my partner to the reception?")
        await amina.press("Show my name")
        named = api.bot_messages(HELPDESK)[-1]
        assert "Amina" in (named.plain_text() or "")
        await amina.send("/ask_organisers Is there a quiet room for prayer?")
        await amina.press("Stay anonymous")
        anonymous = api.bot_messages(HELPDESK)[-1]
        other = await joined(first, user_id=1002)
        await other.send("/ask_organisers Where do I collect my badge?")
        await other.press("Stay anonymous")
        kept = api.bot_messages(HELPDESK)[-1]
        await amina.send("/forget")
        await amina.press("Yes, delete my data")
        assert "deleted" in amina.text()
    # The edits wait in the outbox through a restart, and are made once however often it runs.
    for _restart in range(3):
        async with bot_on(tmp_path, clock, api, helpdesk_chat_id=HELPDESK) as again:
            for _tick in range(3):
                await again.services.delivery.process_due(clock.now())
                clock.advance(seconds=2)
    edits = [c for c in api.calls_to("editMessageText") if c.params.get("chat_id") == HELPDESK]
    assert sorted(c.params["message_id"] for c in edits) == sorted(
        [named.message_id, anonymous.message_id]
    )
    group = {m.message_id: m.plain_text() or "" for m in api.bot_messages(HELPDESK)}
    for message_id in (named.message_id, anonymous.message_id):
        text = group[message_id]
        assert "A delegate deleted their data; this question was removed." in text
        for gone in ("partner", "prayer", "Amina"):
            assert gone not in text
    assert "Where do I collect my badge?" in group[kept.message_id]


async def test_a_ticket_message_deleted_in_the_group_is_left_alone(
    desk: Harness, clock: ManualClock
) -> None:
    harness = desk
    amina = await joined(harness)
    await amina.send("/ask_organisers Is there a cloakroom?")
    await amina.press("Stay anonymous")
    posted = harness.api.bot_messages(HELPDESK)[-1]
    await harness.app.bot.delete_message(HELPDESK, posted.message_id)  # an organiser did
    await amina.send("/forget")
    await amina.press("Yes, delete my data")
    clock.advance(seconds=2)  # the group's own pace: a message a second
    await harness.services.delivery.process_due(clock.now())
    row = await harness.services.delivery.store.get(
        f"ticket_forgotten:{HELPDESK}:{posted.message_id}"
    )
    assert row is not None
    assert row.state == "skipped"
    # The fake refused the edit, as Telegram would: that refusal is the expected one.
    refused = [c for c in harness.api.calls if not c.ok]
    assert [c.method for c in refused] == ["editMessageText"]
    harness.api.calls[:] = [c for c in harness.api.calls if c.ok]


async def test_a_ticket_forgotten_while_it_is_posted_is_blanked_too(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = make_config(tmp_path, helpdesk_chat_id=HELPDESK)
    async with started(build_harness(config, clock)) as harness:
        await joined(harness)
        helpdesk = harness.services.helpdesk
        geneva = harness.services.events.consultations[GENEVA_ID]
        question_id = await helpdesk.ask_directly(AMINA, geneva, "en", "Is lunch halal?")
        ticket, _new = await helpdesk.open_ticket(AMINA, question_id, None)
        await harness.services.people.forget(AMINA)  # while the ticket is on its way
        assert not await helpdesk.posted(ticket, HELPDESK, 555)
        row = await harness.services.delivery.store.get(f"ticket_forgotten:{HELPDESK}:555")
        assert row is not None
        assert row.state == "pending"
        assert row.payload == {"ticket": ticket.id, "message_id": 555}


# --- The key ---------------------------------------------------------------------------------


def key_config(tmp_path: Path, **changes: object) -> Config:
    return Config(
        database_path=tmp_path / "db" / "bot.sqlite3",
        anonymity_key_file=tmp_path / "keys" / "anonymity.key",
    ).with_overrides(**changes)


async def test_the_key_is_made_once_kept_apart_and_never_silently_replaced(
    tmp_path: Path,
) -> None:
    config = key_config(tmp_path)
    key_file = config.anonymity_key_file
    database = await Database.open(config.database_path)
    try:
        first = await open_anonymity(database, config, NOW)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert len(key_file.read_text(encoding="utf-8").strip()) == 64
        again = await open_anonymity(database, config, NOW)
        assert again.author(AMINA) == first.author(AMINA)
        assert first.author(AMINA) != first.author(AMINA + 1)

        other = config.with_overrides(anonymity_key="another key, at least 32 characters")
        with pytest.raises(AnonymityKeyError, match="not the key this database was written"):
            await open_anonymity(database, other, NOW)
        # A key file gone missing is not made up again: the database has a key.
        key_file.rename(tmp_path / "safe-place.key")
        with pytest.raises(AnonymityKeyError, match="missing"):
            await open_anonymity(database, config, NOW)
        assert not key_file.exists()
        # Lost for good: the operator says so, once; then the new key is the database's.
        replaced = await open_anonymity(
            database, other.with_overrides(anonymity_key_lost=True), NOW
        )
        assert replaced.author(AMINA) != first.author(AMINA)
        await open_anonymity(database, other, NOW)
    finally:
        await database.close()


def test_a_key_file_with_the_database_is_refused(tmp_path: Path) -> None:
    beside = key_config(tmp_path, anonymity_key_file=tmp_path / "db" / "anonymity.key")
    with pytest.raises(AnonymityKeyError, match="database's directory"):
        load_anonymity(beside)
    below = key_config(tmp_path, anonymity_key_file=tmp_path / "db" / "keys" / "anonymity.key")
    with pytest.raises(AnonymityKeyError, match="database's directory"):
        load_anonymity(below)
    assert not (tmp_path / "db").exists()


def test_the_anonymity_settings_are_read_and_the_key_never_shown() -> None:
    env_file = Path("/nonexistent/.env")
    with pytest.raises(ConfigError, match="ANONYMITY_KEY: at least 32 characters"):
        Config.from_env({"ANONYMITY_KEY": "too short"}, env_file)
    with pytest.raises(ConfigError, match="ANONYMITY_KEY_LOST"):
        Config.from_env({"ANONYMITY_KEY_LOST": "perhaps"}, env_file)
    key = "a-key-of-forty-characters-0123456789abcd"
    config = Config.from_env(
        {"ANONYMITY_KEY": key, "ANONYMITY_KEY_FILE": "/srv/keys/k", "ANONYMITY_KEY_LOST": "yes"},
        env_file,
    )
    assert config.anonymity_key == key
    assert config.anonymity_key_file == Path("/srv/keys/k")
    assert config.anonymity_key_lost
    assert key not in repr(config)
    assert not Config.from_env({}, env_file).anonymity_key_lost
