"""Headless Chromium from the distribution (installed by .ci/browser), for the web tests;
conftest.py registers this module, so its `chromium` fixture serves every test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


def start_chromium() -> WebDriver:
    """A headless Chromium at a phone's width, English by default."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    # Not a skip: CI runs .ci/browser first, so a missing browser is a broken setup.
    assert not missing, f"{', '.join(missing)} missing: run .ci/browser (apt-get install chromium)"
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=420,900",  # a phone's width
        "--lang=en-US",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="module")
def chromium() -> Iterator[WebDriver]:
    """One headless Chromium (start_chromium) for a module's tests."""
    driver = start_chromium()
    yield driver
    driver.quit()
