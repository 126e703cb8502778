"""The moderators' view in a real browser (headless Chromium through Selenium, as
test_web_browser.py): without the link every page is refused; the link from /dashboard, its
Continue button, then the ratings, a session's chart and comments, and a comment hidden with
the page's own form, which the chat's /reviews then shows hidden.

The server runs on the test's event loop (the harness's services live there); the browser's
driver blocks, so it is driven from a thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from bot.clock import ManualClock
from bot.web.serving import site_for
from bot.web.site import mount
from tests.browser_support import start_chromium
from tests.conftest import (
    GENEVA_ID,
    MODERATOR_ID,
    Harness,
    build_harness,
    joined,
    make_config,
    started,
)

TITLE = "Opening plenary"
ABUSE = "<script>alert('x')</script> ABUSIVE words"


@pytest.fixture(scope="module")
def chromium() -> Iterator[WebDriver]:
    driver = start_chromium()
    driver.set_window_size(1280, 900)  # moderators read feedback on a laptop
    yield driver
    driver.quit()


@pytest.fixture
async def harness(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    config = make_config(tmp_path, web_base_url="http://consult.example.org")
    async with started(build_harness(config, clock)) as running:
        yield running


@pytest.fixture
async def served(harness: Harness) -> AsyncIterator[TestServer]:
    site = site_for(harness.app)
    assert site is not None
    root = web.Application()
    mount(root, site)
    server = TestServer(root, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def refused_pages(driver: WebDriver, base: str) -> list[str]:
    driver.delete_all_cookies()
    found = []
    for path in ("/mod/", "/mod/s/opening", "/mod/recommendations"):
        driver.get(base + path)
        found.append(driver.find_element(By.TAG_NAME, "main").text)
    return found


async def test_a_moderator_page_without_the_link_is_refused(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    base = str(served.make_url("")).rstrip("/")
    for text in await asyncio.to_thread(refused_pages, chromium, base):
        assert "Send /dashboard to the bot" in text
        assert TITLE not in text


def enter_and_hide(driver: WebDriver, address: str) -> dict[str, object]:
    driver.delete_all_cookies()
    wait = WebDriverWait(driver, 10)
    driver.get(address)
    driver.find_element(By.ID, "continue").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.ratings"))
    seen: dict[str, object] = {
        "heading": driver.find_element(By.TAG_NAME, "h1").text,
        "ratings": driver.find_element(By.CSS_SELECTOR, "table.ratings").text,
    }
    driver.find_element(By.PARTIAL_LINK_TEXT, TITLE).click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "ol.comments"))
    # The chart is served behind the same session, and the page's policy lets it show.
    chart = driver.find_element(By.CSS_SELECTOR, "img.chart")
    wait.until(lambda d: d.execute_script("return arguments[0].complete", chart))
    seen["chart_width"] = driver.execute_script("return arguments[0].naturalWidth", chart)
    seen["comments"] = driver.find_element(By.CSS_SELECTOR, "ol.comments").text
    try:
        driver.switch_to.alert.dismiss()
        seen["alert"] = True
    except NoAlertPresentException:
        seen["alert"] = False
    comment = next(
        li for li in driver.find_elements(By.CSS_SELECTOR, "li.comment") if "ABUSIVE" in li.text
    )
    comment.find_element(By.CSS_SELECTOR, "button.hide").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.comment.hidden"))
    seen["hidden"] = driver.find_element(By.CSS_SELECTOR, "li.comment.hidden").text
    return seen


async def test_the_link_opens_the_view_and_a_comment_is_hidden_in_the_browser(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    feedback = harness.services.feedback
    geneva = harness.services.events.consultations[GENEVA_ID]
    await harness.services.people.profile(2001, "Amina")
    await feedback.rate(2001, geneva, "opening", 1)
    abusive = await feedback.comment(2001, geneva, "opening", ABUSE)
    await feedback.rate(2002, geneva, "opening", 4)
    await feedback.comment(2002, geneva, "opening", "Inspiring opening")
    moderator = await joined(harness, user_id=MODERATOR_ID)
    await moderator.send("/dashboard")
    found = re.search(r"/mod/enter/[A-Za-z0-9_-]{43}", moderator.text())
    assert found is not None
    seen = await asyncio.to_thread(enter_and_hide, chromium, str(served.make_url(found.group())))
    assert seen["heading"] == "Ratings by session"
    assert TITLE in str(seen["ratings"])
    assert "2.5★" in str(seen["ratings"])
    assert int(str(seen["chart_width"])) > 0
    # The delegate's text is shown as text: the script in it does not run.
    assert ABUSE in str(seen["comments"])
    assert seen["alert"] is False
    assert "Amina" not in str(seen["comments"])
    assert "anonymous" in str(seen["comments"])
    assert "ABUSIVE" in str(seen["hidden"])
    assert "Unhide" in str(seen["hidden"])
    assert (await feedback.get(abusive.id)).hidden
    await moderator.send("/reviews")
    await moderator.press(TITLE[:20])
    assert "Hidden by a moderator" in moderator.text()
