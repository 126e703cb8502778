"""The moderators' view (/mod/): entered with the one-time link /dashboard sends, then a session
cookie; the role checked on every request; hiding through a form another site cannot post;
exports and pages that name no anonymous author; everything escaped.

The pages run on the harness's own services (site_for), served on 127.0.0.1 by aiohttp's test
server; time is the harness's ManualClock.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.cli.web import serve
from bot.clock import ManualClock
from bot.services.moderator_web import form_token
from bot.storage.users import UserStore
from tests.conftest import (
    GENEVA_ID,
    MODERATOR_ID,
    Chat,
    Harness,
    build_harness,
    client_for,
    joined,
    make_config,
    sample_events,
    started,
)

BASE_URL = "http://consult.example.org"
TOKEN = re.compile(r"/mod/enter/([A-Za-z0-9_-]{43})")
SESSION = "opening"
ABUSE = "<script>alert('x')</script> ABUSIVE words"


@pytest.fixture
def config_changes() -> dict[str, Any]:
    return {"web_base_url": BASE_URL}


def origin(client: TestClient[web.Request, web.Application]) -> dict[str, str]:
    """The Origin header the browser sends on the view's own forms."""
    return {"Origin": str(client.make_url("/")).rstrip("/")}


async def dashboard_link(chat: Chat) -> str:
    """The path of the link /dashboard sends to this chat."""
    await chat.send("/dashboard")
    found = TOKEN.search(chat.text())
    assert found, chat.text()
    return f"/mod/enter/{found.group(1)}"


async def sign_in(client: TestClient[web.Request, web.Application], path: str) -> None:
    async with client.get(path) as page:
        assert page.status == 200
        assert "Continue" in await page.text()
    async with client.post(path, headers=origin(client), allow_redirects=False) as answer:
        assert answer.status == 303
        assert answer.headers["Location"] == "/mod/"


async def moderator_in(
    harness: Harness, client: TestClient[web.Request, web.Application], language: str = "en"
) -> Chat:
    chat = await joined(harness, language, user_id=MODERATOR_ID)
    await sign_in(client, await dashboard_link(chat))
    return chat


async def comments(harness: Harness) -> tuple[int, int]:
    """An anonymous abusive comment from Amina, and one Chen signed: their ids."""
    feedback = harness.services.feedback
    geneva = harness.services.events.consultations[GENEVA_ID]
    await harness.services.people.profile(2001, "Amina")
    await harness.services.people.profile(2002, "Chen")
    await feedback.rate(2001, geneva, SESSION, 1)
    anonymous = await feedback.comment(2001, geneva, SESSION, ABUSE)
    await feedback.rate(2002, geneva, SESSION, 5)
    signed = await feedback.comment(2002, geneva, SESSION, "Inspiring opening")
    await feedback.sign(2002, signed.id, "Dr Chen Signed")
    return anonymous.id, signed.id


async def test_without_the_link_every_page_is_refused_in_the_readers_language(
    client: TestClient[web.Request, web.Application],
) -> None:
    for path in ("/mod/", f"/mod/s/{SESSION}", "/mod/exports", "/mod/export/feedback.csv"):
        async with client.get(path) as answer:
            assert answer.status == 403, path
            text = await answer.text()
            assert "Send /dashboard to the bot" in text
            assert "Inspiring" not in text
    async with client.get("/mod/", headers={"Accept-Language": "fr-CH, fr;q=0.9"}) as answer:
        assert answer.status == 403
        assert 'lang="fr"' in await answer.text()
    # A made-up cookie opens nothing either.
    client.session.cookie_jar.update_cookies({"mod_session": "x" * 43})
    async with client.get("/mod/") as answer:
        assert answer.status == 403


async def test_the_link_opens_the_view_once(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    chat = await joined(harness, user_id=MODERATOR_ID)
    path = await dashboard_link(chat)
    assert f"{BASE_URL}{path}" in chat.text()
    # The message shows no preview: Telegram would fetch the address to build one.
    sent = [c for c in harness.api.calls if c.method == "sendMessage"][-1]
    assert sent.params["link_preview_options"] == {"is_disabled": True}
    # Fetching the link (a preview, an unfurler) spends nothing: only its button does.
    for _ in range(2):
        async with client.get(path) as page:
            assert page.status == 200
    await sign_in(client, path)
    async with client.get("/mod/") as answer:
        assert answer.status == 200
        assert "Ratings by session" in await answer.text()
    # Used: refused, whether fetched or posted again (here from a fresh browser).
    other = await client_for(harness)
    try:
        async with other.get(path) as page:
            assert page.status == 403
            assert "used already" in await page.text()
        async with other.post(path, headers=origin(other), allow_redirects=False) as answer:
            assert answer.status == 403
            assert "used already" in await answer.text()
            assert "Set-Cookie" not in answer.headers
        async with other.get("/mod/") as answer:
            assert answer.status == 403
    finally:
        await other.close()


async def test_an_expired_link_is_refused(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    path = await dashboard_link(await joined(harness, user_id=MODERATOR_ID))
    harness.clock.advance(minutes=10, seconds=1)
    async with client.post(path, headers=origin(client), allow_redirects=False) as answer:
        assert answer.status == 403
        assert "expired" in await answer.text()
    async with client.get("/mod/") as answer:
        assert answer.status == 403


async def test_the_session_cookie_is_kept_from_scripts_and_other_sites(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = make_config(tmp_path, web_base_url="https://consult.example.org")
    async with started(build_harness(config, clock)) as harness:
        client = await client_for(harness)
        try:
            path = await dashboard_link(await joined(harness, user_id=MODERATOR_ID))
            headers = {"Origin": "https://consult.example.org"}
            async with client.post(path, headers=headers, allow_redirects=False) as answer:
                assert answer.status == 303
                cookie = answer.headers["Set-Cookie"]
        finally:
            await client.close()
    assert cookie.startswith("mod_session=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/mod"):
        assert attribute in cookie


async def test_a_delegate_gets_no_link(harness: Harness) -> None:
    delegate = await joined(harness)
    await delegate.send("/dashboard")
    assert "only for the consultation's moderators and organisers" in delegate.text()
    assert "/mod/" not in delegate.text()
    async with harness.services.db.connection.execute(
        "SELECT COUNT(*) FROM moderator_web_links"
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    assert row[0] == 0


async def test_without_web_base_url_the_command_says_so(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with started(build_harness(make_config(tmp_path), clock)) as harness:
        moderator = await joined(harness, "fr", user_id=MODERATOR_ID)
        await moderator.send("/dashboard")
        text = moderator.text()
    assert "WEB_BASE_URL" in text
    assert "/reviews" in text
    assert "/mod/" not in text
    assert "n’est pas" in text or "n'est pas" in text  # in the moderator's language


async def test_a_demoted_moderator_is_refused_at_the_next_request(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    users = UserStore(harness.services.db.connection)
    chat = await joined(harness, user_id=1001)
    await users.add_role(1001, "moderator", harness.clock.now())
    harness.clock.advance(minutes=1)  # the chat's roles are read again
    await sign_in(client, await dashboard_link(chat))
    async with client.get("/mod/") as answer:
        assert answer.status == 200
    await users.remove_role(1001, "moderator")
    # The very next request: not within the chat's 30 seconds of remembered roles.
    async with client.get("/mod/") as answer:
        assert answer.status == 403
    async with client.get("/mod/export/feedback.csv") as answer:
        assert answer.status == 403


async def test_hiding_needs_the_forms_token_and_shows_in_the_chat(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    abusive, _signed = await comments(harness)
    moderator = await moderator_in(harness, client)
    hide = {"comment": str(abusive), "action": "hide"}
    action = f"/mod/s/{SESSION}/comments"
    async with client.post(action, data=hide, headers=origin(client)) as answer:
        assert answer.status == 403
    async with client.post(
        action, data={**hide, "form_token": "0" * 64}, headers=origin(client)
    ) as answer:
        assert answer.status == 403
    assert not (await harness.services.feedback.get(abusive)).hidden
    # The page's own form: its token is in the page.
    async with client.get(f"/mod/s/{SESSION}") as page:
        text = await page.text()
    token = re.search(r'name="form_token" value="([0-9a-f]{64})"', text)
    assert token is not None
    async with client.post(
        action,
        data={**hide, "form_token": token.group(1)},
        headers=origin(client),
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303
    assert (await harness.services.feedback.get(abusive)).hidden
    async with client.get(f"/mod/s/{SESSION}") as page:
        assert "Unhide #" in await page.text()
    # The chat's /reviews shows it hidden.
    await moderator.send("/reviews")
    await moderator.press("Opening plenary")
    assert "Hidden by a moderator" in moderator.text()


async def test_a_post_from_another_site_is_refused(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    abusive, _signed = await comments(harness)
    moderator = await moderator_in(harness, client)
    secret = client.session.cookie_jar.filter_cookies(client.make_url("/mod/"))["mod_session"]
    data = {"comment": str(abusive), "action": "hide", "form_token": form_token(secret.value)}
    action = f"/mod/s/{SESSION}/comments"
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        async with client.post(action, data=data, headers=headers) as answer:
            assert answer.status == 403, headers
            assert "another site" in await answer.text()
    assert not (await harness.services.feedback.get(abusive)).hidden
    # And a link posted from elsewhere opens nothing.
    path = await dashboard_link(moderator)
    async with client.post(path, headers={"Origin": "https://evil.example"}) as answer:
        assert answer.status == 403
    async with client.get(path) as answer:
        assert answer.status == 200  # not spent by the refused post


async def test_pages_and_exports_name_no_anonymous_author_and_escape_everything(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    await comments(harness)
    geneva = harness.services.events.consultations[GENEVA_ID]
    await harness.services.panel.ask(
        2001, geneva, SESSION, "<b>Who funds</b> this?", name=None, language="en"
    )
    await harness.services.feedback.recommend(2001, geneva, "localization", "Pool <i>funds</i>")
    await moderator_in(harness, client)
    pages = {}
    for path in (f"/mod/s/{SESSION}", "/mod/questions", "/mod/recommendations", "/mod/"):
        async with client.get(path) as page:
            assert page.status == 200, path
            pages[path] = await page.text()
    session_page = pages[f"/mod/s/{SESSION}"]
    assert "&lt;script&gt;alert(" in session_page
    assert "<script>" not in session_page
    assert "Dr Chen Signed" in session_page
    assert "anonymous" in session_page
    assert "&lt;b&gt;Who funds&lt;/b&gt;" in pages["/mod/questions"]
    assert "Pool &lt;i&gt;funds&lt;/i&gt;" in pages["/mod/recommendations"]
    # Grouped by the survey's themes.
    localization = pages["/mod/recommendations"].split("Localization")[1]
    assert "Pool &lt;i&gt;funds" in localization.split("<h2>")[0]
    for text in pages.values():
        assert "Amina" not in text
        assert "2001" not in text
    async with client.get(f"/mod/s/{SESSION}/chart.png") as chart:
        assert chart.status == 200
        assert chart.headers["Content-Type"] == "image/png"
        assert (await chart.read()).startswith(b"\x89PNG")
    async with client.get("/mod/exports") as page:
        assert "/mod/export/questions.xlsx" in await page.text()
    for kind in ("feedback", "questions", "recommendations", "polls", "survey"):
        async with client.get(f"/mod/export/{kind}.csv") as answer:
            assert answer.status == 200, kind
            disposition = answer.headers["Content-Disposition"]
            assert disposition.startswith(f'attachment; filename="{GENEVA_ID}-{kind}-')
            content = (await answer.read()).decode("utf-8-sig")
        assert "Amina" not in content, kind
        assert "2001" not in content, kind
    async with client.get("/mod/export/feedback.csv") as answer:
        rows = list(csv.DictReader(io.StringIO((await answer.read()).decode("utf-8-sig"))))
    assert {(r["Comment"], r["Signed by"]) for r in rows} == {
        (ABUSE, ""),
        ("Inspiring opening", "Dr Chen Signed"),
    }
    async with client.get("/mod/export/questions.xlsx") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Disposition"].endswith('.xlsx"')
        assert (await answer.read()).startswith(b"PK")


async def test_arabic_reads_right_to_left(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    await moderator_in(harness, client, "ar")
    async with client.get("/mod/") as page:
        text = await page.text()
    assert '<html lang="ar" dir="rtl">' in text
    assert "Ratings by session" not in text
    async with client.get("/mod/?lang=es") as page:
        assert '<html lang="es" dir="ltr">' in await page.text()


async def test_signing_out_and_forget_end_the_session(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    chat = await moderator_in(harness, client)
    async with client.get("/mod/") as page:
        token = re.search(r'name="form_token" value="([0-9a-f]{64})"', await page.text())
    assert token is not None
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/mod/"))["mod_session"]
    async with client.post(
        "/mod/logout", data={"form_token": token.group(1)}, headers=origin(client)
    ) as answer:
        assert answer.status == 200
        assert "signed out" in await answer.text()
    async with client.get("/mod/") as answer:
        assert answer.status == 403
    # Ended on the server: the old cookie, kept and sent again, opens nothing.
    client.session.cookie_jar.update_cookies({"mod_session": cookie.value})
    async with client.get("/mod/") as answer:
        assert answer.status == 403
    # /forget: the moderator's sessions end with the rest of their data.
    other = await client_for(harness)
    try:
        await sign_in(other, await dashboard_link(chat))
        async with other.get("/mod/") as answer:
            assert answer.status == 200
        await chat.send("/forget")
        await chat.press("Yes, delete my data")
        async with other.get("/mod/") as answer:
            assert answer.status == 403
    finally:
        await other.close()


async def test_python_m_bot_web_serves_the_view_on_the_bots_database(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = make_config(tmp_path, web_base_url=BASE_URL)
    async with started(build_harness(config, clock)) as harness:
        path = await dashboard_link(await joined(harness, user_id=MODERATOR_ID))
    # The bot is stopped; `python -m bot web` serves its database.
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve(config, sample_events(), 0, clock=clock, ready=ready))
    try:
        port = await asyncio.wait_for(ready, 10)
        base = f"http://127.0.0.1:{port}"
        # Cookies by hand: a client's jar keeps none from an IP address.
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/mod/") as answer:
                assert answer.status == 403
            async with http.post(
                f"{base}{path}", headers={"Origin": base}, allow_redirects=False
            ) as answer:
                assert answer.status == 303
                cookie = answer.cookies["mod_session"].value
            async with http.get(f"{base}/mod/", cookies={"mod_session": cookie}) as answer:
                assert answer.status == 200
                assert "Ratings by session" in await answer.text()
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server


async def test_a_session_not_in_the_programme_is_a_page_not_found(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    await moderator_in(harness, client)
    for path in ("/mod/s/no-such-session", "/mod/s/no-such-session/chart.png"):
        async with client.get(path) as answer:
            assert answer.status == 404, path
            assert "There is no such page in this programme." in await answer.text()


async def test_a_post_to_a_page_of_the_view_is_answered_in_the_readers_language(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    await moderator_in(harness, client, "ar")
    headers = {**origin(client), "Accept-Language": "ar"}
    async with client.post("/mod/", headers=headers) as answer:
        assert answer.status == 405
        text = await answer.text()
    assert '<html lang="ar" dir="rtl">' in text
    assert "Method Not Allowed" not in text


async def test_a_page_not_found_reads_in_the_moderators_language(
    harness: Harness, client: TestClient[web.Request, web.Application]
) -> None:
    await moderator_in(harness, client, "ar")
    async with client.get("/mod/s/no-such-session", headers={"Accept-Language": "en"}) as answer:
        assert answer.status == 404
        text = await answer.text()
    assert '<html lang="ar" dir="rtl">' in text
    assert "There is no such page in this programme." not in text
