"""The fake Bot API over HTTP, spoken to by an ordinary python-telegram-bot `Bot`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken, NetworkError

from bot.config import Config, ConfigError
from bot.fakeapi import FakeBotApi
from bot.fakeapi.http import FakeApiHttpServer

TOKEN = "123456:TEST-token"


@pytest.fixture
async def served() -> AsyncIterator[FakeApiHttpServer]:
    server = FakeApiHttpServer(FakeBotApi(), token=TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def bot_for(server: FakeApiHttpServer, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=server.base_url, base_file_url=server.base_file_url)


async def test_a_bot_sends_messages_with_buttons_over_http(served: FakeApiHttpServer) -> None:
    served.api.make_message(42, "/start")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Agenda", callback_data="ag:d:1")]])
    async with bot_for(served) as bot:
        me = await bot.get_me()
        sent = await bot.send_message(
            42, "<b>Hello</b> 123", parse_mode="HTML", reply_markup=markup
        )
    assert me.username == served.api.bot_username
    message = served.api.last_bot_message(42)
    assert sent.message_id == message.message_id
    assert message.plain_text() == "Hello 123"
    assert message.callback_data() == ["ag:d:1"]


async def test_files_go_up_as_multipart_and_come_back_by_download(
    served: FakeApiHttpServer,
) -> None:
    served.api.make_message(42, "/start")
    async with bot_for(served) as bot:
        await bot.send_document(42, b"BEGIN:VCALENDAR", filename="agenda.ics", caption="Yours")
        document = served.api.last_bot_message(42).document
        assert document is not None
        assert (document.filename, document.content) == ("agenda.ics", b"BEGIN:VCALENDAR")
        file = await bot.get_file(document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"BEGIN:VCALENDAR"


async def test_calls_are_checked_as_telegram_does(served: FakeApiHttpServer) -> None:
    served.api.make_message(42, "/start")
    async with bot_for(served) as bot:
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(42, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(InvalidToken):
        async with bot_for(served, "999:wrong") as bot:
            await bot.get_me()


async def test_injected_faults_then_recovery(served: FakeApiHttpServer) -> None:
    served.api.make_message(42, "/start")
    served.fail_next(1, method="sendMessage", status=502)
    served.fail_next(1, method="sendMessage", drop=True)
    async with bot_for(served) as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(42, "one")
        with pytest.raises(NetworkError):
            await bot.send_message(42, "two")
        await bot.send_message(42, "three")
    assert [m.text for m in served.api.bot_messages(42)] == ["three"]
    assert served.faults_injected == 2


async def test_get_updates_long_polls_and_counts_deliveries(served: FakeApiHttpServer) -> None:
    async with bot_for(served) as bot:
        waiting = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        update = served.api.make_message(7, "hi")
        served.api.queue_update(update)
        got = await asyncio.wait_for(waiting, 5)
        assert [u.update_id for u in got] == [update["update_id"]]
        # Unconfirmed: handed out again; confirmed by the offset: gone.
        assert len(await bot.get_updates()) == 1
        assert await bot.get_updates(offset=update["update_id"] + 1) == ()
    assert served.deliveries[update["update_id"]] == 2


def test_runs_in_a_thread_of_its_own() -> None:
    server = FakeApiHttpServer(FakeBotApi())
    server.start_in_thread()
    try:
        assert server.port != 0

        async def call() -> str | None:
            async with bot_for(server) as bot:
                return (await bot.get_me()).username

        assert asyncio.run(call()) == server.api.bot_username
    finally:
        server.stop_thread()


def test_the_base_url_is_configurable(tmp_path: Path) -> None:
    none = tmp_path / ".env"
    config = Config.from_env({"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot/"}, none)
    assert config.api_base_url == "http://127.0.0.1:8081"
    assert Config.from_env({}, none).api_base_url is None
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
        Config.from_env({"TELEGRAM_API_BASE_URL": "127.0.0.1:8081"}, none)

