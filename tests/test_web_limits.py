"""The pages' limits (bot/web/limits.py): a client asking too fast is told to wait, in its
language; a body too large is refused; Telegram's webhook is never limited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Config, ConfigError
from bot.i18n import compile_catalogs
from bot.web.limits import Buckets, Limits, Rate, trusted_networks
from bot.web.site import build_site, standalone
from bot.webhook import SECRET_HEADER, WebhookServer
from tests.conftest import Harness, sample_events

GENEVA = "/c/geneva-2026/"
SECRET = "s3cret-Token_for-tests"


class Seconds:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def seconds() -> Seconds:
    return Seconds()


def _limits(seconds: Seconds, **kwargs: object) -> Limits:
    return Limits(
        now=seconds,
        reading=Rate(per_second=2, burst=5),
        posting=Rate(per_second=1, burst=2),
        **kwargs,  # type: ignore[arg-type]
    )


async def _client(limits: Limits) -> TestClient:
    compile_catalogs()
    events = sample_events()
    site = build_site(lambda: events, limits=limits)
    client = TestClient(TestServer(standalone(site), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client(seconds: Seconds) -> AsyncIterator[TestClient]:
    client = await _client(_limits(seconds))
    yield client
    await client.close()


async def test_a_burst_beyond_the_limit_is_told_to_wait_in_its_language(
    client: TestClient, seconds: Seconds
) -> None:
    for _ in range(5):
        assert (await client.get(GENEVA)).status == 200
    refused = await client.get(GENEVA + "?lang=fr")
    assert refused.status == 429
    # One token comes back in half a second: the reader is told to wait one second.
    assert refused.headers["Retry-After"] == "1"
    text = await refused.text()
    assert '<html lang="fr" dir="ltr">' in text
    assert "Trop de demandes" in text
    # In Arabic, right to left.
    refused = await client.get(GENEVA, headers={"Accept-Language": "ar"})
    assert refused.status == 429
    assert 'dir="rtl"' in await refused.text()


async def test_a_form_posted_beyond_the_limit_is_told_to_wait_in_a_page(
    client: TestClient,
) -> None:
    # The moderators' view hides a comment with a form: the browser shows the answer as is.
    for _ in range(2):
        assert (await client.post(GENEVA, data={"action": "hide"})).status != 429
    refused = await client.post(GENEVA + "?lang=fr", data={"action": "hide"})
    assert refused.status == 429
    text = await refused.text()
    assert '<html lang="fr" dir="ltr">' in text
    assert "Trop de demandes" in text
    # The Mini App's script still gets JSON.
    refused = await client.post(GENEVA, json={})
    assert refused.status == 429
    assert await refused.json() == {"error": "rate"}


async def test_the_bucket_refills_over_time(client: TestClient, seconds: Seconds) -> None:
    for _ in range(5):
        assert (await client.get(GENEVA)).status == 200
    assert (await client.get(GENEVA)).status == 429
    seconds.value += 0.5  # one token at 2 a second
    assert (await client.get(GENEVA)).status == 200
    assert (await client.get(GENEVA)).status == 429
    seconds.value += 60  # full again, never more than the burst
    statuses = [(await client.get(GENEVA)).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]


async def test_posts_have_a_stricter_bucket_of_their_own(
    client: TestClient, seconds: Seconds
) -> None:
    # Two POSTs pass the limiter (and then meet the page's own answer: no such route here).
    for _ in range(2):
        assert (await client.post(GENEVA, json={})).status != 429
    refused = await client.post(GENEVA, json={})
    assert refused.status == 429
    assert await refused.json() == {"error": "rate"}
    assert refused.headers["Retry-After"] == "1"
    # Reading is still allowed.
    assert (await client.get(GENEVA)).status == 200


async def test_a_body_over_the_limit_is_refused(seconds: Seconds) -> None:
    client = await _client(_limits(seconds, max_body=1024))
    try:
        answer = await client.post(GENEVA, data=b"x" * 2048)
        assert answer.status == 413

    finally:
        await client.close()


async def test_a_body_without_a_length_is_cut_off_at_the_limit(seconds: Seconds) -> None:
    """A page application that reads a body (as the Mini App does) never reads more."""
    read: list[int] = []

    async def echo(request: web.Request) -> web.Response:
        read.append(len(await request.read()))
        return web.Response(text="ok")

    app = web.Application(
        middlewares=[_limits(seconds, max_body=1024).middleware(lambda request: "en")]
    )
    app.router.add_post("/", echo)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:

        async def chunks(count: int) -> AsyncIterator[bytes]:
            for _ in range(count):
                yield b"x" * 512

        assert (await client.post("/", data=chunks(8))).status == 413
        seconds.value += 60
        assert (await client.post("/", data=chunks(1))).status == 200
    assert read == [512]


async def test_the_webhook_is_not_limited(harness: Harness, seconds: Seconds) -> None:
    compile_catalogs()
    events = sample_events()
    site = build_site(lambda: events, limits=_limits(seconds))
    server = WebhookServer(harness.app, secret=SECRET, path="/telegram", site=site)
    port = await server.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            headers = {SECRET_HEADER: SECRET}
            for number in range(12):
                update = harness.api.make_message(1001, f"hello {number}")
                async with http.post(f"{base}/telegram", json=update, headers=headers) as answer:
                    assert answer.status == 200
            statuses = []
            for _ in range(6):
                async with http.get(f"{base}{GENEVA}") as answer:
                    statuses.append(answer.status)
            assert statuses == [200] * 5 + [429]
    finally:
        await server.stop()


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(
    seconds: Seconds,
) -> None:
    client = await _client(_limits(seconds, trusted_proxies=trusted_networks(["127.0.0.1"])))
    try:
        for reader in ("198.51.100.7", "203.0.113.9"):
            forwarded = {"X-Forwarded-For": f"10.9.9.9, {reader}"}
            statuses = [(await client.get(GENEVA, headers=forwarded)).status for _ in range(6)]
            assert statuses == [200] * 5 + [429], reader
    finally:
        await client.close()


async def test_without_a_trusted_proxy_x_forwarded_for_changes_nothing(
    client: TestClient,
) -> None:
    statuses = [
        (await client.get(GENEVA, headers={"X-Forwarded-For": f"198.51.100.{n}"})).status
        for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_the_limiter_forgets_the_oldest_clients_first(seconds: Seconds) -> None:
    buckets = Buckets(Rate(per_second=1, burst=1), seconds, kept=3)
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0
    for key in ("b", "c", "d"):
        buckets.take(key)
    assert len(buckets) == 3
    # "a" was forgotten: it starts again with a full bucket.
    assert buckets.take("a") == 0


def test_web_trusted_proxy_is_checked(tmp_path: Path) -> None:
    config = Config.from_env({"WEB_TRUSTED_PROXY": "127.0.0.1, 10.0.0.0/8"}, tmp_path / ".env")
    assert config.web_trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    with pytest.raises(ConfigError, match="WEB_TRUSTED_PROXY"):
        Config.from_env({"WEB_TRUSTED_PROXY": "proxy.example.org"}, tmp_path / ".env")
