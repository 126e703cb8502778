"""Only people who opened a private chat with the bot are delegates: a command or a button in a
group stores nothing about its sender and never makes them a recipient of announcements."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services.broadcasts import Audience
from bot.storage.database import Database
from tests.conftest import (
    GENEVA_ID,
    HELPDESK,
    ORGANISER_ID,
    ROOT,
    Chat,
    Harness,
    build_harness,
    make_config,
    started,
)

STRANGER = 5555
LOUNGE = -1009876


@pytest.fixture
async def event(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """A helpdesk group, a delegates' lounge the bot is in, and a default consultation (so that
    nobody has to choose one: with it, any stored person was a recipient)."""
    config = make_config(tmp_path, helpdesk_chat_id=HELPDESK, default_consultation=GENEVA_ID)
    harness = build_harness(config, clock)
    harness.api.add_chat(HELPDESK, type="supergroup", title="Organisers")
    harness.api.add_chat(LOUNGE, type="supergroup", title="Delegates' lounge")
    async with started(harness):
        yield harness


async def joined(harness: Harness, user_id: int) -> Chat:
    """A delegate who sent /start in a private chat (the default consultation is theirs)."""
    chat = harness.chat(user_id, first_name="Amina")
    await chat.send("/start")
    return chat


async def in_group(harness: Harness, user_id: int, text: str, chat_id: int, name: str) -> None:
    await harness.feed(
        harness.api.make_message(
            user_id, text, chat_id=chat_id, chat_type="supergroup", first_name=name
        )
    )


async def recipients(harness: Harness) -> int:
    return await harness.services.broadcasts.count(Audience("consultation"), GENEVA_ID)


async def test_a_strangers_group_command_stores_nothing_and_reaches_no_preview(
    event: Harness,
) -> None:
    await joined(event, user_id=1001)
    await joined(event, user_id=1002)
    await in_group(event, STRANGER, "/agenda", LOUNGE, "Stranger")
    await in_group(event, STRANGER, "/helpdesk", HELPDESK, "Stranger")

    assert await event.services.people.get(STRANGER) is None
    assert await recipients(event) == 2

    # The organiser's preview counts the two delegates and the organiser (in a private chat).
    org = event.chat(ORGANISER_ID, first_name="Olga")
    await org.send("/broadcast")
    await org.send("The reception starts at 18:00.")
    assert "3 delegates" in org.text()
    assert await event.services.people.get(STRANGER) is None


async def test_an_organisers_helpdesk_in_the_group_works_without_making_them_a_recipient(
    event: Harness,
) -> None:
    await joined(event, user_id=1001)
    await in_group(event, ORGANISER_ID, "/helpdesk", HELPDESK, "Olga")

    assert "No open tickets" in (event.api.bot_messages(HELPDESK)[-1].plain_text() or "")
    assert await event.services.people.get(ORGANISER_ID) is None
    assert await recipients(event) == 1


async def test_a_strangers_flood_in_a_group_stores_nothing(event: Harness) -> None:
    for _ in range(20):  # past the burst allowed: the flood guard steps in
        await in_group(event, STRANGER, "hello everyone", LOUNGE, "Stranger")
    assert await event.services.people.get(STRANGER) is None
    assert event.api.bot_messages(LOUNGE) == []


async def test_a_group_command_does_not_undo_a_block(event: Harness) -> None:
    chat = await joined(event, user_id=1001)
    await event.services.people.mark_inactive(1001)
    await in_group(event, chat.user_id, "/agenda", LOUNGE, "Amina")
    record = await event.services.people.get(1001)
    assert record is not None
    assert not record.active
    assert await recipients(event) == 0


async def test_a_delegates_button_forged_in_a_group_is_out_of_date(event: Harness) -> None:
    chat = await joined(event, user_id=1001)
    await chat.send("/ask_organisers Is there a cloakroom?")
    await chat.press("🕶")
    ticket = event.api.bot_messages(HELPDESK)[-1]
    session = event.services.events.consultations[GENEVA_ID].sessions[0].id
    press = event.api.make_callback(
        STRANGER, ticket.message_id, f"ag:t:{session}", chat_id=HELPDESK, check_button=False
    )
    await event.feed(press)
    answers = [c for c in event.api.calls if c.method == "answerCallbackQuery"]
    assert answers[-1].params.get("text") == "This button is out of date."
    assert await event.services.people.get(STRANGER) is None


def _database_before_016(path: Path) -> None:
    """A database as earlier versions left it (before 015 made questions anonymous): a stranger
    stored by a group command beside delegates with every kind of trace of a private chat, and
    one with none."""
    connection = sqlite3.connect(path)
    folder = ROOT / "bot" / "storage" / "migrations"
    for script in sorted(folder.glob("*.sql")):
        if int(script.name[:3]) < 15:
            connection.executescript(script.read_text(encoding="utf-8"))
    stamp = "2026-12-08T09:31:00+00:00"
    connection.executescript(
        f"""
        PRAGMA user_version = 13;
        INSERT INTO users (user_id, first_name, language, consultation_id, created_at,
                           updated_at) VALUES
            (1, 'Stranger', NULL, NULL, '{stamp}', '{stamp}'),
            (2, 'Lina', 'fr', NULL, '{stamp}', '{stamp}'),
            (3, 'Omar', NULL, '{GENEVA_ID}', '{stamp}', '{stamp}'),
            (4, 'Sara', NULL, NULL, '{stamp}', '{stamp}'),
            (5, 'Ken', NULL, NULL, '{stamp}', '{stamp}'),
            (6, 'Ana', NULL, NULL, '{stamp}', '{stamp}');
        INSERT INTO bookmarks VALUES (4, '{GENEVA_ID}', 'opening', '{stamp}');
        INSERT INTO outbox (kind, key, user_id, payload, due_at, not_before, state, created_at,
                            updated_at)
        VALUES ('countdown', 'k5', 5, '{{}}', '{stamp}', '{stamp}', 'sent', '{stamp}', '{stamp}'),
               ('countdown', 'k1', 1, '{{}}', '{stamp}', '{stamp}', 'failed', '{stamp}',
                '{stamp}');
        INSERT INTO helpdesk_questions (user_id, consultation_id, language, question, kind,
                                        created_at)
        VALUES (6, '{GENEVA_ID}', 'en', 'Where?', 'none', '{stamp}');
        """
    )
    connection.commit()
    connection.close()


async def test_the_migration_keeps_every_row_and_drops_names_without_a_private_trace(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    _database_before_016(path)
    database = await Database.open(path)
    async with database.connection.execute(
        "SELECT user_id, first_name FROM users ORDER BY user_id"
    ) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    await database.close()
    # Nobody is deleted: the schema cannot tell a stranger from a delegate who only sent /start.
    assert rows == [(1, ""), (2, "Lina"), (3, "Omar"), (4, "Sara"), (5, "Ken"), (6, "Ana")]
