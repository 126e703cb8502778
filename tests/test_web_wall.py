"""Room screens (/wall/<secret>): the session now in the room, its top approved questions (no
anonymous asker named, hidden ones absent, delegates' text escaped), the open poll's results,
a QR code to join; in the reader's language, right to left in Arabic; unknown and renewed
addresses answer a translated 404; the live stream (server-sent events) brings a vote to every
screen through one shared watcher per wall."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import ManualClock
from bot.services.event_data import Consultation
from bot.storage.walls import ROOM, SESSION
from bot.web.serving import site_for
from bot.web.site import mount
from bot.web.wall import WallHub, WallRenderer, build_walls, wall_templates
from tests.conftest import GENEVA_ID, ORGANISER_ID, Harness, build_harness, make_config, started

Client = TestClient[web.Request, web.Application]
LIVE = "opening"  # 09:00-10:30 in main-hall; the harness's clock reads 10:15
LATER = "principles-partnership"  # 11:00
BOT = "iom_ngo_bot"
AMINA, BRUNO, CARLA = 1001, 1002, 1003


@pytest.fixture
async def harness(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    config = make_config(tmp_path, bot_username=BOT, web_base_url="https://example.org")
    async with started(build_harness(config, clock)) as running:
        yield running


@pytest.fixture
async def client(harness: Harness) -> AsyncIterator[Client]:
    site = site_for(harness.app)
    assert site is not None
    root = web.Application()
    mount(root, site)
    async with TestClient(TestServer(root, host="127.0.0.1", port=0)) as test_client:
        yield test_client


def geneva(harness: Harness) -> Consultation:
    return harness.services.events.consultations[GENEVA_ID]


async def join(harness: Harness, user_id: int, name: str) -> None:
    chat = harness.chat(user_id, "en", first_name=name)
    await chat.send("/start")
    await chat.press(geneva(harness).name.get("en"))


async def ask(
    harness: Harness, user_id: int, text: str, *, name: str | None = None, approve: bool = True
) -> int:
    panel = harness.services.panel
    question = await panel.ask(user_id, geneva(harness), LIVE, text, name=name, language="en")
    if approve:
        await panel.moderate(ORGANISER_ID, geneva(harness), question.id, "approve")
    return question.id


async def wall(harness: Harness, kind: str = SESSION, target: str = LIVE) -> str:
    return await harness.services.walls.issue(ORGANISER_ID, geneva(harness), kind, target)


async def page(client: Client, secret: str, lang: str = "en") -> tuple[int, str]:
    response = await client.get(f"/wall/{secret}?lang={lang}")
    return response.status, await response.text()


def visible(html: str) -> str:
    """The page's text, without tags (what the screen shows)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_a_session_screen_shows_its_top_questions_poll_and_join_code(
    harness: Harness, client: Client
) -> None:
    for user, name in ((AMINA, "Amina"), (BRUNO, "Bruno"), (CARLA, "Carla")):
        await join(harness, user, name)
    first = await ask(harness, AMINA, "How will local partners be funded?")
    await ask(harness, BRUNO, "Who decides the priorities?", name="Bruno Keller")
    await ask(harness, CARLA, "A question still waiting", approve=False)
    hidden = await ask(harness, CARLA, "An insult the chair hid")
    await harness.services.panel.moderate(ORGANISER_ID, geneva(harness), hidden, "hide")
    await harness.services.panel.vote(BRUNO, geneva(harness), first)
    await harness.services.panel.vote(CARLA, geneva(harness), first)
    status, html = await page(client, await wall(harness))
    assert status == 200
    text = visible(html)
    assert "Opening plenary: partnership in a changing humanitarian landscape" in text
    assert "Now" in text
    # Most voted first, with its votes and the language it is written in.
    assert text.index("How will local partners be funded?") < text.index("Who decides")
    assert "▲ 2 votes" in text
    assert "EN" in text
    # The named question shows the chosen name; the anonymous one no name at all.
    assert "Bruno Keller" in text
    assert "Anonymous" in text
    for never in ("Amina", "Carla", "A question still waiting", "An insult the chair hid"):
        assert never not in text
    # The QR code opens the session's questions in the bot.
    assert f'href="https://t.me/{BOT}?start=q_{LIVE}"' in html
    assert "<svg" in html


async def test_a_delegates_script_is_shown_as_text_never_run(
    harness: Harness, client: Client
) -> None:
    await join(harness, AMINA, "Amina")
    await ask(harness, AMINA, "<script>alert(1)</script> & <b>bold</b>?", name="<i>Eve</i>")
    response = await client.get(f"/wall/{await wall(harness)}")
    html = await response.text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;?" in html
    assert "&lt;i&gt;Eve&lt;/i&gt;" in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    # Without JavaScript the page refreshes itself; with it, wall.js (our own) follows the stream.
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in html
    assert '<script src="/wall/wall.js" defer></script>' in html


async def test_the_arabic_screen_reads_right_to_left_in_arabic(
    harness: Harness, client: Client
) -> None:
    await join(harness, AMINA, "Amina")
    await ask(harness, AMINA, "كيف سيتم تمويل الشركاء المحليين؟")
    status, html = await page(client, await wall(harness), "ar")
    assert status == 200
    assert '<html lang="ar" dir="rtl">' in html
    assert "الجلسة العامة الافتتاحية" in html
    assert 'lang="ar" dir="rtl">كيف سيتم تمويل الشركاء المحليين؟' in html
    assert "Opening plenary" not in html
    assert "Anonymous" not in html


async def test_a_room_screen_shows_the_session_on_now_then_the_next_one(
    harness: Harness, client: Client
) -> None:
    secret = await wall(harness, ROOM, "main-hall")
    _status, html = await page(client, secret)
    assert "Opening plenary" in visible(html)
    # After it ends: the next session in that room, with its time in the event's zone.
    harness.clock.advance(minutes=20)  # 10:35
    _status, html = await page(client, secret, "fr")
    text = visible(html)
    assert "Opening plenary" not in text
    assert "Séance plénière" not in text
    assert "À suivre" in text
    assert "11:00" in text


async def test_unknown_and_renewed_addresses_are_a_translated_not_found(
    harness: Harness, client: Client
) -> None:
    old = await wall(harness)
    assert (await page(client, old))[0] == 200
    new = await wall(harness)
    for secret in (old, "x" * 43, "short"):
        status, html = await page(client, secret, "fr")
        assert status == 404
        assert "Page introuvable" in html
        events = await client.get(f"/wall/{secret}/events")
        assert events.status == 404
    assert (await page(client, new))[0] == 200


async def test_only_organisers_and_the_sessions_chairs_get_a_screen(harness: Harness) -> None:
    walls = harness.services.walls
    consultation = geneva(harness)
    await join(harness, AMINA, "Amina")
    assert not await walls.may_have(AMINA, consultation, SESSION, LIVE)
    await harness.services.panel.add_chair(consultation, LIVE, AMINA)
    assert await walls.may_have(AMINA, consultation, SESSION, LIVE)
    assert not await walls.may_have(AMINA, consultation, SESSION, LATER)
    assert not await walls.may_have(AMINA, consultation, ROOM, "main-hall")
    assert await walls.may_have(ORGANISER_ID, consultation, ROOM, "main-hall")


# --- the live stream ----------------------------------------------------------------------------


async def next_event(response: ClientResponse) -> dict[str, str]:
    """The next event of a server-sent stream (comments skipped): its fields."""
    while True:
        raw = await asyncio.wait_for(response.content.readuntil(b"\n\n"), 5.0)
        fields: dict[str, str] = {}
        for line in raw.decode().strip().split("\n"):
            name, _sep, value = line.partition(":")
            if name:
                fields[name] = fields.get(name, "") + value.strip()
        if "data" in fields or "event" in fields:
            return fields


async def live_html(response: ClientResponse) -> str:
    event = await next_event(response)
    return str(json.loads(event["data"])["html"])


async def test_a_vote_reaches_the_open_stream_without_a_reload(
    harness: Harness, client: Client
) -> None:
    await join(harness, AMINA, "Amina")
    await join(harness, BRUNO, "Bruno")
    question = await ask(harness, AMINA, "<script>x</script> How is it funded?")
    secret = await wall(harness)
    async with client.get(f"/wall/{secret}/events?lang=en") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        first = await live_html(stream)
        assert "▲ 0 votes" in first
        assert "&lt;script&gt;x&lt;/script&gt;" in first
        assert "<script>" not in first
        await harness.services.panel.vote(BRUNO, geneva(harness), question)
        assert "▲ 1 vote" in await live_html(stream)


async def test_a_poll_answer_moves_its_bar_on_the_stream(harness: Harness, client: Client) -> None:
    await join(harness, AMINA, "Amina")
    consultation = geneva(harness)
    session = consultation.session(LIVE)
    assert session is not None
    await harness.services.panel.record_visit(AMINA, consultation, session)
    polls = harness.services.polls
    draft = await polls.new_draft(ORGANISER_ID, GENEVA_ID, LIVE, "single", "en")
    draft = await polls.set_text(draft, "en", "Which region first?\nAfrica\nAsia")
    poll, _reached = await polls.open(draft)
    async with client.get(f"/wall/{await wall(harness)}/events") as stream:
        html = await live_html(stream)
        assert "Which region first?" in html
        assert "0 answers" in html
        await polls.answer(poll.id, AMINA, 1)
        html = await live_html(stream)
        assert "1 answer" in html
        assert re.search(r"Asia</span>\s*<span class=\"bar\"><span class=\"fill w100\">", html)
        assert "Amina" not in html


async def test_a_renewed_address_ends_its_open_streams(harness: Harness, client: Client) -> None:
    secret = await wall(harness)
    async with client.get(f"/wall/{secret}/events") as stream:
        await live_html(stream)
        await wall(harness)  # renewed
        harness.services.panel.on_change[-1](GENEVA_ID, LIVE)  # anything wakes the watcher
        assert (await next_event(stream))["event"] == "gone"


async def test_many_screens_share_one_watcher_that_reads_the_wall_rarely(
    harness: Harness,
) -> None:
    """Without the bot in the process (as `python -m bot web` serves them), a vote stored by
    another process reaches every screen by the watcher's own reads: one watcher for the wall,
    whatever the number of screens."""
    services = harness.services
    hub = WallHub(
        lambda: services.walls, WallRenderer(wall_templates(), lambda: BOT), poll_every=0.1
    )
    root = web.Application()
    root.add_subapp("/wall", build_walls(hub))
    await join(harness, AMINA, "Amina")
    await join(harness, BRUNO, "Bruno")
    question = await ask(harness, AMINA, "Who funds it?")
    secret = await wall(harness)
    async with TestClient(TestServer(root, host="127.0.0.1", port=0)) as client:
        streams = [await client.get(f"/wall/{secret}/events") for _ in range(20)]
        for stream in streams:
            assert "▲ 0 votes" in await live_html(stream)
        assert len(hub.watchers) == 1
        watcher = next(iter(hub.watchers.values()))
        assert len(watcher.clients) == 20
        reads = watcher.reads
        await services.panel.vote(BRUNO, geneva(harness), question)
        for stream in streams:
            assert "▲ 1 vote" in await live_html(stream)
        # Twenty screens updated by one read or a few, not twenty.
        assert watcher.reads - reads <= 3
        for stream in streams:
            stream.close()
        for _ in range(100):
            if not hub.watchers:
                break
            await asyncio.sleep(0.05)
        assert hub.watchers == {}


# --- the bot's side: who gets an address, renewing it ------------------------------------------

ADDRESS = re.compile(r"https://example\.org/wall/([A-Za-z0-9_-]{43})")


def popup(harness: Harness) -> str | None:
    text = harness.api.calls_to("answerCallbackQuery")[-1].params.get("text")
    return str(text) if text is not None else None


def address_in(text: str | None) -> str:
    found = ADDRESS.search(text or "")
    assert found is not None, text
    return found.group(1)


async def test_an_organiser_gets_a_rooms_screen_and_renewing_stops_the_old_one(
    harness: Harness, client: Client
) -> None:
    organiser = harness.chat(ORGANISER_ID, "en", first_name="Olga")
    await organiser.send("/start")
    await organiser.press(geneva(harness).name.get("en"))
    await organiser.send("/wall")
    assert "Room screen" in organiser.text()
    await organiser.press("🚪 Main Hall")
    old = address_in(organiser.text())
    assert (await page(client, old))[0] == 200
    # Asked again: the address cannot be shown again (only its hash is kept) but still works.
    await organiser.send("/wall")
    await organiser.press("🚪 Main Hall")
    assert ADDRESS.search(organiser.text()) is None
    assert (await page(client, old))[0] == 200
    await organiser.press("🔄 Renew the address")
    new = address_in(organiser.text())
    assert new != old
    assert (await page(client, old))[0] == 404
    assert (await page(client, new))[0] == 200


async def test_a_delegate_gets_no_screen_even_with_forged_buttons(
    harness: Harness, client: Client
) -> None:
    await join(harness, AMINA, "Amina")
    chat = harness.chat(AMINA, "en", first_name="Amina")
    await chat.send("/wall")
    assert "only for the organisers and the session's chairs" in chat.text()
    for data in (f"wl:s:{LIVE}", "wl:r:main-hall", f"wl:n:s:{LIVE}", "wl:n:r:main-hall"):
        harness.clock.advance(seconds=2)
        await chat.press_data(chat.last.message_id, data, check=False)
        assert "only for the organisers" in (popup(harness) or ""), data
    assert all(ADDRESS.search(m.text or "") is None for m in chat.messages)
    consultation = geneva(harness)
    assert await harness.services.walls.issued_at(consultation, SESSION, LIVE) is None
    assert await harness.services.walls.issued_at(consultation, ROOM, "main-hall") is None


async def test_a_chair_gets_their_sessions_screen_from_its_card(
    harness: Harness, client: Client
) -> None:
    await join(harness, AMINA, "Amina")
    await harness.services.panel.add_chair(geneva(harness), LIVE, AMINA)
    chat = harness.chat(AMINA, "en", first_name="Amina")
    await chat.send("/wall")
    labels = [b["text"] for row in chat.last.reply_markup["inline_keyboard"] for b in row]
    assert len(labels) == 1
    assert "Opening plenary" in labels[0]
    harness.clock.advance(seconds=2)
    await chat.press_data(chat.last.message_id, f"wl:s:{LIVE}")
    secret = address_in(chat.text())
    status, html = await page(client, secret)
    assert status == 200
    assert "Opening plenary" in html
    # Someone else's session: refused.
    await chat.press_data(chat.last.message_id, f"wl:s:{LATER}", check=False)
    assert "only for the organisers" in (popup(harness) or "")


async def test_the_bots_own_votes_and_answers_wake_the_screens_at_once(harness: Harness) -> None:
    """With the bot in the process, a vote or a poll's answer wakes the wall's watcher: the screen
    has it without waiting for the watcher's own reads (a minute apart here)."""
    services = harness.services
    hub = WallHub(
        lambda: services.walls, WallRenderer(wall_templates(), lambda: BOT), poll_every=60.0
    )
    services.panel.on_change.append(hub.wake)
    services.polls.on_change.append(hub.wake)
    root = web.Application()
    root.add_subapp("/wall", build_walls(hub))
    await join(harness, AMINA, "Amina")
    await join(harness, BRUNO, "Bruno")
    question = await ask(harness, AMINA, "Who funds it?")
    consultation = geneva(harness)
    session = consultation.session(LIVE)
    assert session is not None
    await services.panel.record_visit(AMINA, consultation, session)
    polls = services.polls
    draft = await polls.new_draft(ORGANISER_ID, GENEVA_ID, LIVE, "single", "en")
    poll, _reached = await polls.open(await polls.set_text(draft, "en", "Which?\nOne\nTwo"))
    async with TestClient(TestServer(root, host="127.0.0.1", port=0)) as client:
        stream = await client.get(f"/wall/{await wall(harness)}/events")
        first = await live_html(stream)
        assert "▲ 0 votes" in first
        assert "0 answers" in first
        await services.panel.vote(BRUNO, consultation, question)
        assert "▲ 1 vote" in await live_html(stream)
        await polls.answer(poll.id, AMINA, 0)
        assert "1 answer" in await live_html(stream)
        stream.close()


async def test_a_quiet_stream_gets_heartbeats(harness: Harness) -> None:
    """Nothing changes, yet the stream is not silent: proxies keep it open."""
    services = harness.services
    hub = WallHub(
        lambda: services.walls,
        WallRenderer(wall_templates(), lambda: BOT),
        poll_every=0.05,
        min_gap=0.01,
        heartbeat=0.1,
    )
    root = web.Application()
    root.add_subapp("/wall", build_walls(hub))
    async with TestClient(TestServer(root, host="127.0.0.1", port=0)) as client:
        stream = await client.get(f"/wall/{await wall(harness)}/events")
        await live_html(stream)
        raw = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5.0)
        assert raw == b": ping\n\n"
        stream.close()


async def test_a_post_to_a_screen_is_answered_in_the_screens_language(
    harness: Harness, client: Client
) -> None:
    secret = await wall(harness)
    async with client.post(f"/wall/{secret}?lang=fr") as answer:
        assert answer.status == 405
        assert "Page introuvable" in await answer.text()
