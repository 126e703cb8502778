"""The pages kept as rendered (bot/web/cache.py): the same page again without a render, and
never a page of an older programme after a reload."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.i18n import compile_catalogs
from bot.services.event_data import EventData
from bot.web.serving import site_for
from bot.web.site import SITE_KEY, Page, build_site, mount, standalone
from bot.web.warming import WARMER_KEY
from tests.conftest import Harness, sample_events

GENEVA = "/c/geneva-2026/"
DAY_ONE = GENEVA + "2026-12-08/"
SESSION = "principles-partnership"


def _moved(events: EventData, session_id: str, by: timedelta) -> EventData:
    consultation = events.consultations["geneva-2026"]
    sessions = tuple(
        replace(s, start=s.start + by, end=s.end + by) if s.id == session_id else s
        for s in consultation.sessions
    )
    changed = replace(consultation, sessions=sessions)
    return replace(events, consultations={**events.consultations, changed.id: changed})


class Programme:
    """The programme in use, as the reloader swaps it."""

    def __init__(self) -> None:
        self.current = sample_events()


@pytest.fixture
def programme() -> Programme:
    return Programme()


@pytest.fixture
async def client(programme: Programme) -> AsyncIterator[TestClient]:
    compile_catalogs()
    site = build_site(lambda: programme.current)
    client = TestClient(TestServer(standalone(site), host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()


def _session_entry(text: str, session_id: str) -> str | None:
    found = re.search(rf'<li[^>]*id="session-{session_id}".*?</li>', text, re.S)
    return found.group(0) if found else None


async def test_a_reload_shows_a_moved_session_moved(
    client: TestClient, programme: Programme
) -> None:
    before = await (await client.get(DAY_ONE)).text()
    entry = _session_entry(before, SESSION)
    assert entry is not None
    assert "11:00" in entry
    # Asked again: the same page (kept).
    assert await (await client.get(DAY_ONE)).text() == before

    programme.current = _moved(programme.current, SESSION, timedelta(hours=3))
    after = await (await client.get(DAY_ONE)).text()
    entry = _session_entry(after, SESSION)
    assert entry is not None
    assert "14:00" in entry
    assert "11:00" not in entry

    # Moved to the next day: gone from this day's page, on the next one's.
    programme.current = _moved(programme.current, SESSION, timedelta(days=1))
    assert _session_entry(await (await client.get(DAY_ONE)).text(), SESSION) is None
    next_day = await (await client.get(GENEVA + "2026-12-09/")).text()
    assert _session_entry(next_day, SESSION) is not None


async def test_a_kept_page_is_the_same_page_gzipped_or_not(client: TestClient) -> None:
    first = await client.get(DAY_ONE + "?lang=ar", headers={"Accept-Encoding": "gzip"})
    text = await first.text()
    assert first.headers["Content-Encoding"] == "gzip"
    kept = await client.get(
        DAY_ONE + "?lang=ar", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    )
    assert kept.headers["Content-Encoding"] == "gzip"
    assert kept.headers["Content-Language"] == "ar"
    assert "default-src 'self'" in kept.headers["Content-Security-Policy"]
    assert gzip.decompress(await kept.read()).decode() == text
    plain = await client.get(DAY_ONE + "?lang=ar", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert await plain.text() == text


async def test_each_language_and_filter_is_its_own_page(client: TestClient) -> None:
    english = await (await client.get(DAY_ONE)).text()
    french = await (await client.get(DAY_ONE, headers={"Accept-Language": "fr"})).text()
    assert '<html lang="en"' in english
    assert '<html lang="fr"' in french
    filtered = await (await client.get(DAY_ONE + "?kind=plenary")).text()
    assert filtered != english


async def test_what_is_kept_is_bounded(client: TestClient) -> None:
    kept = client.server.app._subapps[0][SITE_KEY].pages  # type: ignore[attr-defined]
    kept.max_pages = 3
    for number in range(10):
        assert (await client.get(f"{DAY_ONE}?junk={number}")).status == 200
    assert len(kept) == 3


# --- warmed after a reload (bot/web/warming.py) ---------------------------------------------


async def test_after_a_reload_the_day_page_is_kept_before_anyone_asks(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A delegate reads French; nobody reads Spanish.
    await harness.services.people.profile(2001, "Delegate", "fr")
    site = site_for(harness.app)
    assert site is not None
    root = web.Application()
    mount(root, site)
    client = TestClient(TestServer(root, host="127.0.0.1"))
    await client.start_server()
    try:
        assert (await client.get(DAY_ONE)).status == 200  # kept before the reload
        moved = _moved(harness.services.events, SESSION, timedelta(hours=3))
        await harness.services.reloader.apply(moved, "test")
        await site[WARMER_KEY].wait()

        renders: list[str] = []
        rendering = Page.render

        def counted(page: Page, template: str, status: int = 200, **values: Any) -> Any:
            renders.append(f"{template} {page.lang}")
            return rendering(page, template, status, **values)

        monkeypatch.setattr(Page, "render", counted)
        english = await (await client.get(DAY_ONE)).text()
        french = await (await client.get(DAY_ONE, headers={"Accept-Language": "fr-CH"})).text()
        programme = await (await client.get(GENEVA, headers={"Accept-Language": "fr"})).text()
        chosen = await (await client.get(DAY_ONE + "?lang=fr")).text()
        # The chat's menu button opens the Mini App in the delegate's language.
        assert (await client.get("/app/geneva-2026/?lang=fr")).status == 200
        # The first readers after the reload wait for no render, and read the new programme.
        assert renders == []
        for page in (english, french, chosen):
            entry = _session_entry(page, SESSION)
            assert entry is not None
            assert "14:00" in entry
        assert '<html lang="fr"' in french
        assert '<html lang="fr"' in chosen
        assert '<html lang="fr"' in programme
        # Only the languages read are warmed: a Spanish reader's page is rendered when asked.
        await client.get(DAY_ONE, headers={"Accept-Language": "es"})
        assert renders == ["day.html es"]
    finally:
        await client.close()


async def test_warming_keeps_to_half_of_what_the_cache_holds(harness: Harness) -> None:
    site = site_for(harness.app)
    assert site is not None
    kept = site[SITE_KEY].pages
    kept.max_pages = 8
    root = web.Application()
    mount(root, site)
    client = TestClient(TestServer(root, host="127.0.0.1"))
    await client.start_server()
    try:
        for user, language in enumerate(("fr", "es", "ar"), 2001):  # more pages than 4
            await harness.services.people.profile(user, "Delegate", language)
        moved = _moved(harness.services.events, SESSION, timedelta(hours=1))
        await harness.services.reloader.apply(moved, "test")
        assert await site[WARMER_KEY].wait() == 4
        assert len(kept) == 4
    finally:
        await client.close()
