"""The web pages beside the bot: on the webhook's server, and on WEB_PORT in polling mode."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import aiohttp

from bot.clock import ManualClock
from bot.web.serving import site_for, start_beside_polling
from bot.webhook import SECRET_HEADER, WebhookServer
from tests.conftest import Harness, build_harness, joined, make_config, started

SECRET = "s3cret-Token_for-tests"


async def test_the_webhooks_server_serves_the_pages_on_the_bots_programme(
    harness: Harness,
) -> None:
    server = WebhookServer(
        harness.app, secret=SECRET, path="/telegram", site=site_for(harness.app)
    )
    port = await server.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/c/geneva-2026/?q=climate") as answer:
                assert answer.status == 200
                text = await answer.text()
            assert "Workshop: climate mobility" in text
            # "Open in Telegram" leads to this bot (its username, from getMe).
            username = harness.app.bot.username
            assert f"https://t.me/{username}" in text
            # A reload shows on the pages at once.
            services = harness.services
            events = services.programme.current
            geneva = events.consultations["geneva-2026"]
            renamed = replace(
                geneva, name=replace(geneva.name, values={"en": "Renamed consultation"})
            )
            services.programme.replace(
                replace(events, consultations={**events.consultations, "geneva-2026": renamed})
            )
            async with http.get(f"{base}/c/geneva-2026/") as answer:
                assert "Renamed consultation" in await answer.text()
            # The webhook still takes updates.
            update = harness.api.make_message(1001, "/start")
            headers = {SECRET_HEADER: SECRET}
            async with http.post(f"{base}/telegram", json=update, headers=headers) as answer:
                assert answer.status == 200
    finally:
        await server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_in_polling_mode_the_pages_need_web_base_url(
    tmp_path: Path, clock: ManualClock
) -> None:
    port = free_port()
    config = make_config(
        tmp_path,
        web_base_url="https://hc.example.org",
        web_port=port,
        webhook_listen="127.0.0.1",
    )
    async with started(build_harness(config, clock)) as harness:
        runner = await start_beside_polling(harness.app)
        assert runner is not None
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/c/geneva-2026/?lang=ar") as answer,
            ):
                assert answer.status == 200
                assert 'dir="rtl"' in await answer.text()
        finally:
            await runner.cleanup()


async def test_in_polling_mode_without_web_base_url_no_page_is_served(harness: Harness) -> None:
    assert await start_beside_polling(harness.app) is None


async def test_open_in_telegram_shows_the_sessions_card_to_star_it(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/start s_opening")
    assert "Opening plenary" in chat.text()
    await chat.press("Add to my agenda")
    await chat.send("/my")
    assert "Opening plenary" in chat.text()


async def test_a_link_to_no_session_greets_as_start_does(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("/start s_no-such-session")
    assert "Welcome back" in chat.text()
