"""The Mini App in a real browser (headless Chromium through Selenium, as test_web_browser.py):
opened as Telegram opens it, initData in the address's fragment, a click on ⭐ stars the session
that /my in the chat then lists; without initData the page says where to open it.

The server runs on the test's event loop (the harness's services live there); the browser's
driver blocks, so it is driven from a thread.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import quote

from aiohttp.test_utils import TestServer
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from bot.services.webapp_auth import sign_init_data
from tests.conftest import GENEVA_ID, Harness, joined

SESSION = "climate-mobility"
BUTTON = f'button.star[data-session="{SESSION}"]'


def telegram_address(
    harness: Harness, server: TestServer, user_id: int = 1001, *, age: timedelta = timedelta(0)
) -> str:
    """/app/ as Telegram opens it: tgWebAppData (signed `age` ago) and the client's other values
    in the fragment."""
    init_data = sign_init_data(
        harness.app.bot.token,
        {
            "user": json.dumps({"id": user_id, "first_name": "Amina", "language_code": "en"}),
            "auth_date": str(int((harness.clock.now() - age).timestamp())),
        },
    )
    fragment = f"tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=ios"
    return str(server.make_url("/app/")) + "#" + fragment


def star_in_browser(driver: WebDriver, address: str) -> tuple[str, str]:
    driver.get(address)
    wait = WebDriverWait(driver, 10)
    # /app/ lists the consultations; a link loses the fragment, the page kept initData.
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "ul.consultations a"))
    driver.find_element(By.CSS_SELECTOR, f'ul.consultations a[href^="/app/{GENEVA_ID}/"]').click()
    button = wait.until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, BUTTON).is_displayed()
            and d.find_element(By.CSS_SELECTOR, BUTTON)
        )
    )
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    wait.until(
        lambda d: d.find_element(By.CSS_SELECTOR, BUTTON).get_attribute("aria-pressed") == "true"
    )
    label = driver.find_element(By.CSS_SELECTOR, BUTTON).text
    status = driver.find_element(By.ID, "miniapp-status").text
    return label, status


async def test_starring_in_the_mini_app_shows_in_my(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    chat = await joined(harness)
    address = telegram_address(harness, served)
    label, status = await asyncio.to_thread(star_in_browser, chromium, address)
    assert label == "⭐ Remove the star"
    assert "/my" in status
    await chat.send("/my")
    assert "Workshop: climate mobility" in chat.text()


def open_without_init_data(driver: WebDriver, address: str) -> tuple[str, list[bool]]:
    driver.get(address)
    driver.execute_script("window.sessionStorage.clear()")
    driver.get(address)
    status = WebDriverWait(driver, 10).until(
        lambda d: (
            (text := d.find_element(By.ID, "miniapp-status").text) != "Loading your stars…"
            and text
        )
    )
    shown = [b.is_displayed() for b in driver.find_elements(By.CSS_SELECTOR, "button.star")]
    return status, shown


async def test_outside_telegram_there_is_no_star_button(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    address = str(served.make_url(f"/app/{GENEVA_ID}/"))
    status, shown = await asyncio.to_thread(open_without_init_data, chromium, address)
    assert "menu button" in status
    assert shown
    assert not any(shown)


def open_with_forged(driver: WebDriver, address: str) -> str:
    driver.execute_script("window.sessionStorage.clear()")
    driver.get(address)
    status: str = WebDriverWait(driver, 10).until(
        lambda d: (
            (text := d.find_element(By.ID, "miniapp-status").text) != "Loading your stars…"
            and text
        )
    )
    return status


async def test_forged_init_data_is_refused_in_the_page(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    await joined(harness)
    address = telegram_address(harness, served).replace("/app/#", f"/app/{GENEVA_ID}/#")
    forged = address.replace("Amina", "Amino")
    status = await asyncio.to_thread(open_with_forged, chromium, forged)
    assert "did not confirm who you are" in status


async def test_stale_init_data_is_refused_in_the_page(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    """Genuine, but signed more than a day ago (a copied address kept too long): refused, and
    nothing is starred."""
    chat = await joined(harness)
    address = telegram_address(harness, served, age=timedelta(hours=25)).replace(
        "/app/#", f"/app/{GENEVA_ID}/#"
    )
    status = await asyncio.to_thread(open_with_forged, chromium, address)
    assert "did not confirm who you are" in status
    await chat.send("/my")
    assert "Workshop: climate mobility" not in chat.text()


def themed(driver: WebDriver, address: str) -> dict[str, object]:
    driver.get("about:blank")
    driver.get(address)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "miniapp-status"))
    found: dict[str, object] = driver.execute_script(
        """
        var body = getComputedStyle(document.body);
        var link = getComputedStyle(document.querySelector("main a"));
        return {
          background: body.backgroundColor,
          text: body.color,
          link: link.color,
          checks: ["#12abEF", "#fff", "red", "#1234567", "#123456;x", "url(x)", 7, null]
            .map(window.miniAppColour)
        };
        """
    )
    return found


async def test_telegrams_theme_colours_are_taken_and_only_colours(
    harness: Harness, served: TestServer, chromium: WebDriver
) -> None:
    theme = {
        "bg_color": "#123456",
        "link_color": "#ff0000",
        # Not a colour: an attempt to slip other CSS in; the page keeps its own.
        "text_color": "#000000; background-image: url(https://evil.example/x)",
    }
    address = (
        str(served.make_url(f"/app/{GENEVA_ID}/"))
        + "#"
        + "tgWebAppThemeParams="
        + quote(json.dumps(theme), safe="")
    )
    found = await asyncio.to_thread(themed, chromium, address)
    assert found["background"] == "rgb(18, 52, 86)"
    assert found["link"] == "rgb(255, 0, 0)"
    assert found["text"] == "rgb(27, 27, 27)"  # the stylesheet's own
    assert found["checks"] == ["#12abEF", None, None, None, None, None, None, None]
