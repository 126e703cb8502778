"""The room screen in a real browser (headless Chromium through Selenium, as test_web_browser.py):
a vote cast through the chat's service shows on the open screen within 2 seconds, without a
reload; the Arabic screen reads and lays out right to left.

With WEB_SCREENSHOTS set to a directory, the screen (sample questions and a poll) is saved there
in English and Arabic at a projector's size (docs/web-wall-en.png and -ar.png were made so).

The server runs on the test's event loop (the harness's services live there); the browser's
driver blocks, so it is driven from a thread.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from bot.clock import ManualClock
from bot.services.event_data import Consultation
from bot.web.serving import site_for
from bot.web.site import WALLS_APP_KEY, mount
from bot.web.wall import HUB_KEY, WallHub
from tests.browser_support import start_chromium
from tests.conftest import GENEVA_ID, ORGANISER_ID, Harness, build_harness, make_config, started

LIVE = "opening"  # 09:00-10:30; the harness's clock reads 10:15
FIRST = ".question:first-child .votes"


@pytest.fixture(scope="module")
def chromium() -> Iterator[WebDriver]:
    driver = start_chromium()
    driver.set_window_size(1280, 720)  # a projector's
    yield driver
    driver.quit()


@pytest.fixture
async def harness(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    config = make_config(tmp_path, bot_username="iom_ngo_bot", web_base_url="https://example.org")
    async with started(build_harness(config, clock)) as running:
        yield running


@pytest.fixture
async def served(harness: Harness) -> AsyncIterator[tuple[TestServer, WallHub]]:
    site = site_for(harness.app)
    assert site is not None
    root = web.Application()
    mount(root, site)
    server = TestServer(root, host="127.0.0.1")
    await server.start_server()
    yield server, site[WALLS_APP_KEY][HUB_KEY]
    await server.close()


def geneva(harness: Harness) -> Consultation:
    return harness.services.events.consultations[GENEVA_ID]


async def audience(harness: Harness, *people: tuple[int, str]) -> None:
    for user_id, name in people:
        chat = harness.chat(user_id, "en", first_name=name)
        await chat.send("/start")
        await chat.press(geneva(harness).name.get("en"))


async def approved(harness: Harness, user_id: int, text: str, name: str | None = None) -> int:
    panel = harness.services.panel
    question = await panel.ask(user_id, geneva(harness), LIVE, text, name=name, language="en")
    await panel.moderate(ORGANISER_ID, geneva(harness), question.id, "approve")
    return question.id


async def following(hub: WallHub) -> None:
    """Until the screen's script follows the wall's stream (its watcher has a client)."""
    for _ in range(400):
        if any(watcher.clients for watcher in hub.watchers.values()):
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the page never opened its event stream")


def open_screen(driver: WebDriver, address: str) -> str:
    driver.get(address)
    driver.execute_script("window.notReloaded = true")
    return votes(driver)


def votes(driver: WebDriver) -> str:
    """The first question's votes as the screen shows them now (read in one step: the live
    part may be replaced between finding an element and reading it)."""
    return str(driver.execute_script(f"return document.querySelector('{FIRST}').textContent"))


def shows_within(driver: WebDriver, text: str, seconds: float) -> tuple[float, bool]:
    """How long until the first question's votes read `text`, and whether the page is the same
    one (not reloaded)."""
    started_at = time.monotonic()
    WebDriverWait(driver, seconds, poll_frequency=0.05).until(lambda d: votes(d) == text)
    return time.monotonic() - started_at, bool(driver.execute_script("return window.notReloaded"))


async def test_a_vote_shows_on_the_open_screen_within_two_seconds_without_a_reload(
    harness: Harness, served: tuple[TestServer, WallHub], chromium: WebDriver
) -> None:
    server, hub = served
    await audience(harness, (1001, "Amina"), (1002, "Bruno"))
    question = await approved(harness, 1001, "How will local partners be funded?")
    secret = await harness.services.walls.issue(ORGANISER_ID, geneva(harness), "session", LIVE)
    address = str(server.make_url(f"/wall/{secret}?lang=en"))
    assert await asyncio.to_thread(open_screen, chromium, address) == "▲ 0 votes"
    await following(hub)
    await harness.services.panel.vote(1002, geneva(harness), question)
    took, same_page = await asyncio.to_thread(shows_within, chromium, "▲ 1 vote", 2.0)
    assert same_page, "the page reloaded"
    assert took < 2.0


def read_arabic(driver: WebDriver, address: str) -> dict[str, object]:
    driver.get(address)
    WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".question"))
    questions = driver.find_element(By.CSS_SELECTOR, "section.questions")
    aside = driver.find_element(By.CSS_SELECTOR, "aside")
    text = driver.find_element(By.CSS_SELECTOR, ".question .text")
    return {
        "dir": driver.find_element(By.TAG_NAME, "html").get_attribute("dir"),
        "direction": text.value_of_css_property("direction"),
        "questions_right_of_aside": questions.rect["x"] > aside.rect["x"],
        "heading": driver.find_element(By.TAG_NAME, "h1").text,
        "font_size": driver.find_element(By.TAG_NAME, "h1").value_of_css_property("font-size"),
    }


async def test_the_arabic_screen_reads_right_to_left(
    harness: Harness, served: tuple[TestServer, WallHub], chromium: WebDriver
) -> None:
    server, _hub = served
    await audience(harness, (1001, "Amina"), (1002, "Bruno"), (1003, "Carla"))
    first = await approved(harness, 1001, "كيف سيتم تمويل الشركاء المحليين؟")
    await approved(harness, 1002, "Who sets the priorities for 2027?", name="Bruno K.")
    await approved(harness, 1003, "Comment les ONG locales seront-elles associées ?")
    await harness.services.panel.vote(1002, geneva(harness), first)
    await harness.services.panel.vote(1003, geneva(harness), first)
    consultation = geneva(harness)
    session = consultation.session(LIVE)
    assert session is not None
    for user in (1001, 1002, 1003):
        await harness.services.panel.record_visit(user, consultation, session)
    polls = harness.services.polls
    draft = await polls.new_draft(ORGANISER_ID, GENEVA_ID, LIVE, "single", "en")
    draft = await polls.set_text(
        draft, "en", "Where should funding go first?\nLocal NGOs\nPooled funds\nUN agencies"
    )
    draft = await polls.set_text(
        draft,
        "ar",
        "إلى أين يجب أن يذهب التمويل أولًا؟\nالمنظمات غير الحكومية المحلية\n"
        "الصناديق المشتركة\nوكالات الأمم المتحدة",
    )
    poll, _reached = await polls.open(draft)
    for user, option in ((1001, 0), (1002, 0), (1003, 1)):
        await polls.answer(poll.id, user, option)
    secret = await harness.services.walls.issue(ORGANISER_ID, consultation, "session", LIVE)
    seen = await asyncio.to_thread(
        read_arabic, chromium, str(server.make_url(f"/wall/{secret}?lang=ar"))
    )
    assert seen["dir"] == "rtl"
    assert seen["direction"] == "rtl"
    assert seen["heading"] == "الجلسة العامة الافتتاحية: الشراكة في ظل مشهد إنساني متغيّر"
    # The columns are laid out from the right: the questions first, on the right.
    assert seen["questions_right_of_aside"]
    # Large type: the title over twice the size of a page's (16 px).
    assert float(str(seen["font_size"]).removesuffix("px")) >= 36
    screenshots = os.environ.get("WEB_SCREENSHOTS")
    if screenshots:
        await asyncio.to_thread(
            chromium.save_screenshot, str(Path(screenshots) / "web-wall-ar.png")
        )
        address = str(server.make_url(f"/wall/{secret}?lang=en"))
        await asyncio.to_thread(chromium.get, address)
        await asyncio.to_thread(
            chromium.save_screenshot, str(Path(screenshots) / "web-wall-en.png")
        )
