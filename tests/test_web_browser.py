"""The programme's pages in a real browser: the system's headless Chromium, driven by Selenium
through the distribution's chromedriver (.ci/browser installs both where they are missing).

With WEB_SCREENSHOTS set to a directory, the programme page is saved there in English and
Arabic (docs/web-programme-en.png and -ar.png were made so).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.i18n import compile_catalogs
from bot.web.site import build_site, standalone
from tests.browser_support import start_chromium
from tests.conftest import sample_events

DAY_ONE = "/c/geneva-2026/2026-12-08/"


class Served:
    """The pages on 127.0.0.1 (a free port), served by an event loop in a thread of its own:
    the browser's driver blocks the test's thread."""

    def __init__(self, app: web.Application) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner = web.AppRunner(app, access_log=None)
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> int:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port: int = self._runner.addresses[0][1]
        return port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    compile_catalogs()
    events = sample_events()
    server = Served(standalone(build_site(lambda: events, bot_username=lambda: "HCBot")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = start_chromium()
    yield driver
    driver.quit()


def titles(browser: WebDriver) -> list[str]:
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".sessions h3")]


def test_arabic_reads_right_to_left(served: Served, browser: WebDriver) -> None:
    browser.get(served.url("/c/geneva-2026/?lang=ar"))
    root = browser.find_element(By.TAG_NAME, "html")
    assert root.get_attribute("dir") == "rtl"
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert heading.value_of_css_property("direction") == "rtl"
    # Laid out from the right: the first language link stands right of the second.
    links = browser.find_elements(By.CSS_SELECTOR, ".languages a, .languages strong")
    assert links[0].rect["x"] > links[1].rect["x"]
    # The stylesheet loaded under the Content-Security-Policy (it sets the page's width).
    body = browser.find_element(By.TAG_NAME, "body")
    assert body.value_of_css_property("max-width") == "736px"
    screenshots = os.environ.get("WEB_SCREENSHOTS")
    if screenshots:
        browser.save_screenshot(str(Path(screenshots) / "web-programme-ar.png"))
        browser.get(served.url("/c/geneva-2026/?lang=en"))
        browser.save_screenshot(str(Path(screenshots) / "web-programme-en.png"))


def test_switching_language_by_its_link(served: Served, browser: WebDriver) -> None:
    browser.get(served.url(DAY_ONE + "?lang=en"))
    browser.find_element(By.LINK_TEXT, "Français").click()
    arrived(browser, "lang=fr")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    assert browser.find_element(By.TAG_NAME, "h1").text == "mardi 8 décembre 2026"


def arrived(browser: WebDriver, fragment: str) -> None:
    """Wait for the page a click leads to (a click returns before the next page loads)."""
    WebDriverWait(browser, 10).until(expected_conditions.url_contains(fragment))


def test_a_filter_narrows_the_list(served: Served, browser: WebDriver) -> None:
    browser.get(served.url(DAY_ONE))
    everything = titles(browser)
    Select(browser.find_element(By.NAME, "kind")).select_by_value("workshop")
    browser.find_element(By.ID, "apply-filters").click()
    arrived(browser, "kind=workshop")
    narrowed = titles(browser)
    assert 0 < len(narrowed) < len(everything)
    kinds = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".sessions .kind")}
    assert kinds == {"Workshops"}
    # The next day keeps the filter.
    before = browser.current_url
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_changes(before))
    assert "kind=workshop" in browser.current_url


def test_search_finds_a_session(served: Served, browser: WebDriver) -> None:
    browser.get(served.url("/c/geneva-2026/?lang=es"))
    box = browser.find_element(By.ID, "q")
    box.send_keys("movilidad climática")
    browser.find_element(By.ID, "search").click()
    arrived(browser, "q=")
    found = titles(browser)
    assert found
    assert "movilidad climática" in found[0].casefold()
    browser.find_element(By.CSS_SELECTOR, ".sessions h3 a").click()
    arrived(browser, "/s/climate-mobility")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
