"""The Mini App over HTTP: a star sent with Telegram's initData is the chat's star (/my);
without genuine, fresh initData, or from another site, nothing changes."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.clock import ManualClock
from bot.services.event_data import EventData
from bot.services.webapp_auth import sign_init_data
from tests.conftest import (
    GENEVA_ID,
    Harness,
    build_harness,
    client_for,
    joined,
    make_config,
    started,
)

SESSION = "climate-mobility"
STAR = f"/app/{GENEVA_ID}/star"


def init_data(harness: Harness, user_id: int = 1001, *, age: timedelta = timedelta()) -> str:
    auth_date = harness.clock.now() - age
    return sign_init_data(
        harness.app.bot.token,
        {
            "user": json.dumps({"id": user_id, "first_name": "Amina"}),
            "auth_date": str(int(auth_date.timestamp())),
        },
    )


def origin(client: TestClient) -> dict[str, str]:
    return {"Origin": str(client.make_url("")).rstrip("/")}


async def post(
    client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    response = await client.post(
        path, json=body, headers=origin(client) if headers is None else headers
    )
    return response.status, await response.json()


async def starred(harness: Harness) -> set[str]:
    geneva = harness.services.events.consultations[GENEVA_ID]
    return await harness.services.agenda.starred_ids(1001, geneva)


async def test_a_star_from_the_mini_app_is_listed_by_my(
    harness: Harness, client: TestClient
) -> None:
    chat = await joined(harness)
    page = await client.get(f"/app/{GENEVA_ID}/")
    assert page.status == 200
    html = await page.text()
    assert f'data-session="{SESSION}"' in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]

    status, answer = await post(
        client, STAR, {"initData": init_data(harness), "session": SESSION, "starred": True}
    )
    assert (status, answer["starred"]) == (200, True)
    await chat.send("/my")
    assert "Workshop: climate mobility" in chat.text()
    status, answer = await post(
        client, f"/app/{GENEVA_ID}/stars", {"initData": init_data(harness)}
    )
    assert answer == {"starred": [SESSION]}

    # And unstarred there, gone from /my.
    status, answer = await post(
        client, STAR, {"initData": init_data(harness), "session": SESSION, "starred": False}
    )
    assert (status, answer["starred"]) == (200, False)
    await chat.send("/my")
    assert "Workshop: climate mobility" not in chat.text()


async def test_a_star_from_the_chat_shows_in_the_mini_app(
    harness: Harness, client: TestClient
) -> None:
    await joined(harness)
    geneva = harness.services.events.consultations[GENEVA_ID]
    await harness.services.agenda.set_star(1001, geneva, SESSION, True)
    status, answer = await post(
        client, f"/app/{GENEVA_ID}/stars", {"initData": init_data(harness)}
    )
    assert (status, answer) == (200, {"starred": [SESSION]})
    # Another delegate's initData sees only their own; one the chat does not know, nothing.
    await joined(harness, user_id=1002)
    status, answer = await post(
        client, f"/app/{GENEVA_ID}/stars", {"initData": init_data(harness, 1002)}
    )
    assert answer == {"starred": []}


async def test_forged_stale_or_missing_init_data_changes_nothing(
    harness: Harness, client: TestClient
) -> None:
    await joined(harness)
    await joined(harness, user_id=1002)
    genuine = init_data(harness)
    forged = genuine.replace("1001", "1002")
    stale = init_data(harness, age=timedelta(hours=25))
    other_bot = sign_init_data(
        "999:another-bot",
        {
            "user": json.dumps({"id": 1001}),
            "auth_date": genuine.split("auth_date=")[1].split("&")[0],
        },
    )
    for refused in (forged, stale, other_bot, "", None):
        body: dict[str, Any] = {"session": SESSION, "starred": True}
        if refused is not None:
            body["initData"] = refused
        status, _answer = await post(client, STAR, body)
        assert status == 401, refused
    assert await starred(harness) == set()


async def test_a_post_from_another_site_is_refused(harness: Harness, client: TestClient) -> None:
    await joined(harness)
    body = {"initData": init_data(harness), "session": SESSION, "starred": True}
    for headers in ({"Origin": "https://evil.example"}, {}):
        status, _answer = await post(client, STAR, body, headers)
        assert status == 403
    # A form post (a "simple" cross-site request) is no JSON: refused too.
    response = await client.post(STAR, data={"initData": body["initData"]}, headers=origin(client))
    assert response.status == 415
    assert await starred(harness) == set()


async def test_an_unknown_session_is_refused(harness: Harness, client: TestClient) -> None:
    await joined(harness)
    status, _answer = await post(
        client, STAR, {"initData": init_data(harness), "session": "nope", "starred": True}
    )
    assert status == 404


async def test_the_menu_button_opens_the_mini_app(tmp_path: Path, clock: ManualClock) -> None:
    config = make_config(tmp_path, web_base_url="https://hc.example.org")
    async with started(build_harness(config, clock)) as harness:
        calls = harness.api.calls_to("setChatMenuButton")
        assert len(calls) == 1
        button = calls[0].params["menu_button"]
        button = json.loads(button) if isinstance(button, str) else button
        assert button["type"] == "web_app"
        assert button["web_app"] == {"url": "https://hc.example.org/app/"}
        assert button["text"] == "Programme"


async def test_without_web_base_url_no_menu_button(harness: Harness) -> None:
    assert harness.api.calls_to("setChatMenuButton") == []


async def test_a_user_the_chat_does_not_know_is_refused(
    harness: Harness, client: TestClient
) -> None:
    body = {"initData": init_data(harness, 4242), "session": SESSION, "starred": True}
    status, _answer = await post(client, STAR, body)
    assert status == 403


async def test_an_http_address_sets_no_menu_button(tmp_path: Path, clock: ManualClock) -> None:
    config = make_config(tmp_path, web_base_url="http://127.0.0.1:8081")
    async with started(build_harness(config, clock)) as harness:
        assert harness.api.calls_to("setChatMenuButton") == []


async def test_a_refused_menu_button_does_not_stop_the_bot(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Telegram refusing setChatMenuButton costs the button, not the bot: it starts and answers."""
    config = make_config(tmp_path, web_base_url="https://hc.example.org")
    harness = build_harness(config, clock)
    harness.api.fail_next(
        "setChatMenuButton", error_code=400, description="Bad Request: WEB_APP_URL_INVALID"
    )
    async with started(harness) as running:
        chat = running.chat(1001)
        await chat.send("/start")
        assert chat.text() == "Which consultation are you attending?"
        refused = [c for c in running.api.calls if not c.ok]
        assert [c.method for c in refused] == ["setChatMenuButton"]
        running.api.calls[:] = [c for c in running.api.calls if c.ok]  # refused on purpose


@pytest.mark.parametrize(
    ("language", "label"), [("Français", "Programme"), ("العربية", "البرنامج")]
)
async def test_the_menu_button_speaks_the_delegates_language(
    tmp_path: Path, clock: ManualClock, language: str, label: str
) -> None:
    """The menu button's label and the Mini App's pages follow the language the delegate chose
    (the bot-wide button is in the default language)."""
    config = make_config(tmp_path, web_base_url="https://hc.example.org")
    async with started(build_harness(config, clock)) as harness:
        chat = harness.chat(1001, "en")
        await chat.send("/start")
        await chat.press(language)
        calls = [c for c in harness.api.calls_to("setChatMenuButton") if "chat_id" in c.params]
        assert calls, "no button set for the delegate's chat"
        button = calls[-1].params["menu_button"]
        button = json.loads(button) if isinstance(button, str) else button
        code = "fr" if language == "Français" else "ar"
        assert int(calls[-1].params["chat_id"]) == 1001
        assert button["text"] == label
        assert button["web_app"] == {"url": f"https://hc.example.org/app/?lang={code}"}


# --- A day at a time ---------------------------------------------------------------------------

DAY_TWO_SESSION = "protection"


async def test_the_mini_app_shows_a_day_at_a_time_today_first(
    harness: Harness, client: TestClient
) -> None:
    html = await (await client.get(f"/app/{GENEVA_ID}/")).text()
    # The clock is on the first day: its sessions, not the second day's; a link to the second.
    assert f'data-session="{SESSION}"' in html
    assert f'data-session="{DAY_TWO_SESSION}"' not in html
    assert f'href="/app/{GENEVA_ID}/2026-12-09/"' in html
    second = await (await client.get(f"/app/{GENEVA_ID}/2026-12-09/")).text()
    assert f'data-session="{DAY_TWO_SESSION}"' in second
    assert f'data-session="{SESSION}"' not in second
    # On the second day, /app/<consultation>/ opens on it.
    harness.clock.set(harness.clock.now() + timedelta(days=1))
    today = await (await client.get(f"/app/{GENEVA_ID}/")).text()
    assert f'data-session="{DAY_TWO_SESSION}"' in today
    assert f'data-session="{SESSION}"' not in today
    assert (await client.get(f"/app/{GENEVA_ID}/2031-01-01/")).status == 404


async def test_stars_are_the_consultations_whichever_day_shows_them(
    harness: Harness, client: TestClient
) -> None:
    await joined(harness)
    for session in (SESSION, DAY_TWO_SESSION):
        body = {"initData": init_data(harness), "session": session, "starred": True}
        assert (await post(client, STAR, body))[0] == 200
    status, answer = await post(
        client, f"/app/{GENEVA_ID}/stars", {"initData": init_data(harness)}
    )
    assert status == 200
    assert {SESSION, DAY_TWO_SESSION} <= set(answer["starred"])
    assert await starred(harness) >= {SESSION, DAY_TWO_SESSION}


async def test_a_thousand_session_programme_is_sent_a_day_at_a_time(
    tmp_path: Path, clock: ManualClock
) -> None:
    from bench.find_session import generated

    big = generated(1000, 60, 2)
    events = EventData({big.id: big})
    async with started(build_harness(make_config(tmp_path), clock, events)) as harness:
        client = await client_for(harness)
        try:
            answer = await client.get(
                f"/app/{big.id}/", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
            )
            compressed = await answer.read()
        finally:
            await client.close()
    html = gzip.decompress(compressed).decode()
    first_day = big.sessions_on(big.days()[0])
    assert html.count('class="star"') == len(first_day) < len(big.sessions)
    assert len(html) < 220_000
    assert len(compressed) < 20_000


async def test_an_unknown_address_is_a_page_for_the_reader_and_json_for_the_script(
    client: TestClient,
) -> None:
    page = await client.get("/app/nowhere/", headers={"Accept-Language": "fr"})
    assert page.status == 404
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Content-Language"] == "fr"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    posted = await client.post("/app/nowhere/star", json={}, headers=origin(client))
    assert posted.status == 404
    assert await posted.json() == {"error": "not_found"}
