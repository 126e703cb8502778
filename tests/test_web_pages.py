"""The programme's web pages (bot/web) through aiohttp's test client: what a reader gets."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Config, ConfigError
from bot.i18n import compile_catalogs
from bot.services.event_data import EventData
from bot.web.site import build_site, standalone
from tests.conftest import sample_events

GENEVA = "/c/geneva-2026/"
DAY_ONE = GENEVA + "2026-12-08/"


def _with_title(events: EventData, session_id: str, title: str) -> EventData:
    consultation = events.consultations["geneva-2026"]
    sessions = tuple(
        replace(s, title=replace(s.title, values={"en": title})) if s.id == session_id else s
        for s in consultation.sessions
    )
    changed = replace(consultation, sessions=sessions)
    return replace(events, consultations={**events.consultations, changed.id: changed})


async def _client(events: EventData, username: str | None = "HCBot") -> TestClient:
    compile_catalogs()
    site = build_site(lambda: events, bot_username=lambda: username)
    client = TestClient(TestServer(standalone(site)))
    await client.start_server()
    return client


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    client = await _client(sample_events())
    yield client
    await client.close()


async def page(client: TestClient, path: str, **headers: str) -> str:
    response = await client.get(path, headers=headers)
    assert response.status == 200, path
    return await response.text()


@pytest.mark.parametrize(
    ("lang", "heading", "direction"),
    [
        ("en", "Programme by day", "ltr"),
        ("fr", "Programme jour par jour", "ltr"),
        ("es", "Programa por día", "ltr"),
        ("ar", "البرنامج حسب اليوم", "rtl"),
    ],
)
async def test_the_programme_reads_in_four_languages(
    client: TestClient, lang: str, heading: str, direction: str
) -> None:
    text = await page(client, f"{GENEVA}?lang={lang}")
    assert f'<html lang="{lang}" dir="{direction}">' in text
    assert heading in text
    # The links keep the language the address chose.
    assert f"{GENEVA}2026-12-08/?lang={lang}" in text


async def test_without_lang_the_browsers_language_is_taken(client: TestClient) -> None:
    text = await page(client, GENEVA, **{"Accept-Language": "de-CH, ar;q=0.8, fr;q=0.5"})
    assert '<html lang="ar" dir="rtl">' in text
    # Links do not fix a language the reader did not choose; the switch links do.
    assert f'href="{DAY_ONE}"' in text
    assert f'href="{GENEVA}?lang=fr"' in text


async def test_the_day_page_shows_times_in_the_consultations_zone_for_the_reader(
    client: TestClient,
) -> None:
    english = await page(client, DAY_ONE + "?lang=en")
    # The opening: 09:00 Geneva time, as the data says.
    assert "Opening plenary" in english
    assert "09:00" in english
    assert "10:30" in english
    assert "Tuesday, December 8, 2026" in english
    arabic = await page(client, DAY_ONE + "?lang=ar")
    assert "الثلاثاء، 8 ديسمبر 2026" in arabic
    assert "Main Hall" not in arabic
    assert "القاعة الرئيسية" in arabic


async def test_a_filter_narrows_the_day(client: TestClient) -> None:
    whole = await page(client, DAY_ONE)
    workshops = await page(client, DAY_ONE + "?kind=workshop")
    assert "Opening plenary" in whole
    assert "Opening plenary" not in workshops
    assert workshops.count('class="session kind-workshop"') >= 1
    assert 'class="session kind-' not in workshops.replace('class="session kind-workshop"', "")
    # The form shows the chosen filter, and a way to clear it.
    assert '<option value="workshop" selected>' in workshops
    assert "Clear filters" in workshops
    french = await page(client, DAY_ONE + "?interpretation=ar&lang=fr")
    assert "Localisation" not in french.split("<ol", 1)[1]


async def test_an_unknown_filter_value_is_ignored(client: TestClient) -> None:
    text = await page(client, DAY_ONE + "?track=%3Cscript%3E")
    assert "Opening plenary" in text
    assert "<script>" not in text


async def test_search_finds_a_session_and_keeps_the_filters(client: TestClient) -> None:
    text = await page(client, GENEVA + "?q=climate")
    results = text.split("<ol", 1)[1]
    first = results.split("</li>", 1)[0]
    assert "Workshop: climate mobility" in first
    assert "Opening plenary" not in results
    narrowed = await page(client, GENEVA + "?q=climate&kind=break")
    assert "No session matches." in narrowed
    arabic = await page(client, GENEVA + "?q=climate&lang=ar")
    assert "المناخ" in arabic.split("<ol", 1)[1]


async def test_session_speaker_and_rooms_pages(client: TestClient) -> None:
    session = await page(client, GENEVA + "s/opening?lang=fr")
    assert "Séance plénière d'ouverture" in session or "ouverture" in session
    assert "https://t.me/HCBot?start=s_opening" in session
    speaker = await page(client, GENEVA + "speakers/adwoa-mensimah-boateng")
    assert "Adwoa Mensimah Boateng" in speaker
    assert "Chief Technology Officer" in speaker
    assert 'class="session' in speaker  # the sessions she speaks at
    rooms = await page(client, GENEVA + "rooms/?lang=es")
    assert "Sala principal" in rooms
    assert "Cómo llegar" in rooms
    assert "Rue de Varembé" in rooms


@pytest.mark.parametrize(
    "path",
    [
        "/c/nowhere/",
        GENEVA + "2031-01-01/",
        GENEVA + "2026-13-45/",
        GENEVA + "s/no-such-session",
        GENEVA + "speakers/nobody",
    ],
)
async def test_what_does_not_exist_is_a_translated_404(client: TestClient, path: str) -> None:
    response = await client.get(path + "?lang=ar")
    assert response.status == 404
    text = await response.text()
    assert 'dir="rtl"' in text
    assert "الصفحة غير موجودة" in text


async def test_every_page_has_the_security_headers_and_is_compressed(
    client: TestClient,
) -> None:
    for path in (GENEVA, DAY_ONE, "/c/site.css", "/c/nowhere/"):
        response = await client.get(path, headers={"Accept-Encoding": "gzip"})
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Encoding"] == "gzip"


async def test_no_external_resource_and_no_script(client: TestClient) -> None:
    text = await page(client, DAY_ONE)
    assert "<script" not in text
    assert 'href="http' not in text.replace('href="https://t.me/HCBot', "")
    assert "src=" not in text


async def test_a_title_holding_html_is_shown_as_text() -> None:
    events = _with_title(sample_events(), "opening", '<script>alert("x")</script> & <b>Hi</b>')
    client = await _client(events)
    try:
        for path in (DAY_ONE, GENEVA + "s/opening", GENEVA + "?q=alert"):
            text = await page(client, path)
            assert "<script>" not in text
            assert "<b>Hi</b>" not in text
            assert (
                "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Hi&lt;/b&gt;"
                in (text)
            )
    finally:
        await client.close()


async def test_without_a_username_there_is_no_telegram_link() -> None:
    client = await _client(sample_events(), username=None)
    try:
        text = await page(client, GENEVA + "s/opening")
        assert "t.me" not in text
    finally:
        await client.close()


async def test_a_big_day_page_stays_small_compressed() -> None:
    """A FOSDEM-size day (≈ 900 sessions) under 100 KB once gzipped."""
    events = sample_events()
    consultation = events.consultations["geneva-2026"]
    template = consultation.session("opening")
    assert template is not None
    start = datetime(2026, 12, 8, 7, 0, tzinfo=UTC)
    sessions = tuple(
        replace(template, id=f"talk-{n}", start=start, end=start.replace(hour=8))
        for n in range(900)
    )
    big = replace(consultation, sessions=sessions)
    client = await _client(replace(events, consultations={big.id: big}))
    try:
        response = await client.get(DAY_ONE, headers={"Accept-Encoding": "gzip"})
        assert response.status == 200
        raw = await response.content.read()  # decompressed by the client
        assert raw.count(b'class="session ') == 900
        assert len(gzip.compress(raw)) < 100_000
    finally:
        await client.close()


def test_web_settings_are_read_and_checked(tmp_path: Path) -> None:
    config = Config.from_env(
        {"WEB_BASE_URL": "https://hc.example.org/", "WEB_PORT": "9000", "BOT_USERNAME": "@HCBot"},
        env_file=tmp_path / ".env",
    )
    assert config.web_base_url == "https://hc.example.org"
    assert config.web_port == 9000
    assert config.bot_username == "HCBot"
    with pytest.raises(ConfigError, match="WEB_PORT"):
        Config.from_env({"WEB_PORT": "0"}, env_file=tmp_path / ".env")
    with pytest.raises(ConfigError, match="BOT_USERNAME"):
        Config.from_env({"BOT_USERNAME": "not a name"}, env_file=tmp_path / ".env")


async def test_a_post_to_a_page_is_answered_in_the_readers_language(client: TestClient) -> None:
    response = await client.post(GENEVA + "?lang=ar")
    assert response.status == 405
    assert response.headers["Allow"] == "GET,HEAD"
    text = await response.text()
    assert 'dir="rtl"' in text
    assert "الصفحة غير موجودة" in text
