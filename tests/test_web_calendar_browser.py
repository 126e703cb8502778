"""The calendar address in a real browser (headless Chromium, as test_web_browser.py): the
delegate's own address opens their calendar; another delegate's address, altered by one
character, an old address after renewing, or a made-up one show nothing of anybody's agenda.

The server runs on the test's event loop (the harness's services live there); the browser's
driver blocks, so it is driven from a thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import Harness
from tests.test_calendar_feed import BASE, delegate, subscribe


@pytest.fixture
def config_changes() -> dict[str, Any]:
    return {"web_base_url": BASE}


FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {cache: "no-store"})
  .then(async (r) => done(r.status + "\\n" + await r.text()));
"""


def shown(server: TestServer, chromium: WebDriver, secret: str) -> str:
    """What the browser gets at the address: its status, a line break, its text (a calendar
    is a download for Chromium, not a page, so it is fetched from the site's own page; past
    the browser's cache, which may keep the copy it was given for its max-age)."""
    chromium.get(str(server.make_url("/c/")))
    assert chromium.find_element(By.TAG_NAME, "h1").text
    answer: str = chromium.execute_async_script(FETCH, f"/cal/{secret}.ics")
    return answer


def altered(secret: str) -> str:
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


async def test_only_the_exact_address_opens_a_calendar(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    alice = await delegate(harness, 1001, "en", "opening")
    bob = await delegate(harness, 1002, "fr", "climate-mobility")
    alice_secret = await subscribe(alice)
    bob_secret = await subscribe(bob)

    own = await asyncio.to_thread(shown, served, chromium, alice_secret)
    assert own.startswith("200\n")
    assert "BEGIN:VCALENDAR" in own
    assert "UID:opening@" in own
    assert "climate-mobility" not in own

    # Bob's address with one character changed, and addresses nobody was given.
    for wrong in (altered(bob_secret), "x" * 43, "a"):
        text = await asyncio.to_thread(shown, served, chromium, wrong)
        assert text.startswith("404\n")
        assert "VCALENDAR" not in text
        assert "climate-mobility" not in text
        assert "opening" not in text


async def test_a_renewed_address_no_longer_opens(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    alice = await delegate(harness, 1001, "en", "opening")
    old = await subscribe(alice)
    assert "BEGIN:VCALENDAR" in await asyncio.to_thread(shown, served, chromium, old)
    await alice.send("/calendar")
    await alice.press("Renew the address")
    text = await asyncio.to_thread(shown, served, chromium, old)
    assert text.startswith("404\n")
    assert "VCALENDAR" not in text
