"""Fixtures: the real application over the in-process fake Bot API, with a clock we control."""

from __future__ import annotations

import os

# PTB 22 warns on RetryAfter unless it may use timedelta; warnings are errors in the suite.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from telegram import Update

from bot.app import build_application, running
from bot.clock import ManualClock
from bot.config import Config
from bot.context import BotApplication, Services
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.fakeapi.http import FakeApiHttpServer
from bot.services.encoder import Encoder
from bot.services.event_data import Consultation, EventData, load_event_data
from bot.web.serving import site_for
from bot.web.site import mount
from tests.process_support import TOKEN, BotProcess, key_file

# The `chromium` fixture for the tests in a real browser.
pytest_plugins = ["tests.browser_support"]

ROOT = Path(__file__).resolve().parent.parent
GENEVA = ZoneInfo("Europe/Zurich")
ORGANISER_ID = 9001
MODERATOR_ID = 9002
GENEVA_ID = "geneva-2026"


@cache
def sample_events() -> EventData:
    return load_event_data(ROOT / "data")


def geneva() -> Consultation:
    """The sample consultation, as in data/."""
    return sample_events().consultations[GENEVA_ID]


@dataclass
class Chat:
    """One delegate talking to the bot in a private chat."""

    harness: Harness
    user_id: int
    language_code: str | None = "en"
    first_name: str = "Delegate"

    @property
    def messages(self) -> list[FakeMessage]:
        return self.harness.api.bot_messages(self.user_id)

    @property
    def last(self) -> FakeMessage:
        return self.harness.api.last_bot_message(self.user_id)

    def text(self) -> str:
        """The visible text of the bot's last message."""
        return self.last.plain_text() or ""

    async def send(self, text: str) -> list[FakeMessage]:
        """Send a message; returns the bot messages sent or edited in reply."""
        data = self.harness.api.make_message(
            self.user_id, text, language_code=self.language_code, first_name=self.first_name
        )
        return await self.harness.feed(data)

    def find_button(self, label: str) -> tuple[FakeMessage, dict[str, Any]]:
        for message in reversed(self.messages):
            for row in message.buttons():
                for button in row:
                    if label in str(button.get("text", "")):
                        return message, button
        raise AssertionError(f"no button labelled {label!r}")

    async def press(self, label: str) -> list[FakeMessage]:
        """Press the newest button whose label contains `label`."""
        message, button = self.find_button(label)
        return await self.press_data(message.message_id, button["callback_data"])

    async def press_data(
        self, message_id: int, data: str, *, check: bool = True
    ) -> list[FakeMessage]:
        update = self.harness.api.make_callback(
            self.user_id,
            message_id,
            data,
            language_code=self.language_code,
            first_name=self.first_name,
            check_button=check,
        )
        return await self.harness.feed(update)


@dataclass
class Harness:
    api: FakeBotApi
    app: BotApplication
    clock: ManualClock
    changed: list[FakeMessage] = field(default_factory=list)

    @property
    def services(self) -> Services:
        services: Services = self.app.bot_data["services"]
        return services

    def chat(self, user_id: int = 1001, language_code: str | None = "en", **kw: Any) -> Chat:
        return Chat(self, user_id, language_code, **kw)

    async def feed(self, data: dict[str, Any]) -> list[FakeMessage]:
        self.changed = []
        await self.app.process_update(Update.de_json(data, self.app.bot))
        # What the running bot's redraws would draw by now (on the manual clock).
        await self.services.redraws.run_due()
        return list(self.changed)

    def errors(self) -> list[str]:
        """Bot API calls the fake rejected: each is a bug in the bot."""
        return [f"{c.method}: {c.error}" for c in self.api.calls if not c.ok]


def make_config(tmp_path: Path, **changes: Any) -> Config:
    return Config(
        token=None,
        database_path=tmp_path / "bot.sqlite3",
        data_dir=ROOT / "data",
        organisers=frozenset({ORGANISER_ID}),
        moderators=frozenset({MODERATOR_ID}),
        anonymity_key_file=key_file(tmp_path),
    ).with_overrides(**changes)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA))


def no_encoder() -> Encoder | None:
    """Tests run without the sentence encoder unless they give one: the matcher answers alone."""
    return None


def build_harness(
    config: Config,
    clock: ManualClock,
    events: EventData | None = None,
    api: FakeBotApi | None = None,
    encoder: Callable[[], Encoder | None] = no_encoder,
) -> Harness:
    """The real application over a fake Bot API; not started yet (see `started`). Without a
    sentence encoder unless `encoder` loads one: the matcher answers alone."""
    api = api or FakeBotApi(clock=clock.now)
    app = build_application(
        config,
        events or sample_events(),
        request=api.request(),
        get_updates_request=api.request(),
        clock=clock,
        encoder=encoder,
    )
    harness = Harness(api, app, clock)
    api.on_bot_message.append(lambda message, event: harness.changed.append(message))
    return harness


@asynccontextmanager
async def started(harness: Harness) -> AsyncIterator[Harness]:
    """Run the harness's application; on the way out, no Bot API call may have been rejected."""
    async with running(harness.app):
        yield harness
    assert harness.errors() == []


def bot_on(
    tmp_path: Path, clock: ManualClock, api: FakeBotApi, **changes: Any
) -> AbstractAsyncContextManager[Harness]:
    """The bot on the database in tmp_path and the fake Telegram `api` (the same one from block to
    block): leaving the block stops it, as a restart would; `changes` configure it otherwise."""
    return started(build_harness(make_config(tmp_path, **changes), clock, api=api))


@pytest.fixture
def config_changes() -> dict[str, Any]:
    """What `harness` configures otherwise (Config.with_overrides); a module overrides it."""
    return {}


@pytest.fixture
async def harness(
    tmp_path: Path, clock: ManualClock, config_changes: dict[str, Any]
) -> AsyncIterator[Harness]:
    config = make_config(tmp_path, **config_changes)
    async with started(build_harness(config, clock)) as running_harness:
        yield running_harness


def copied_data(tmp_path: Path) -> Path:
    """A copy of the sample event data in tmp_path/data, for a test to edit; its folder."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    return data


def edit_sessions_file(data: Path, session_id: str, **changes: Any) -> None:
    """Edit the Geneva sessions.yaml of the copy in `data` as an organiser would: the session's
    fields changed, or `remove=True` removes the session."""
    path = data / GENEVA_ID / "sessions.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = raw["sessions"]
    for index, entry in enumerate(entries):
        if entry["id"] == session_id:
            if changes.pop("remove", False):
                del entries[index]
            else:
                entry.update(changes)
            break
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def on_data(
    tmp_path: Path,
    clock: ManualClock,
    data: Path,
    api: FakeBotApi | None = None,
    **changes: Any,
) -> AbstractAsyncContextManager[Harness]:
    """The harness started on the event data in `data` (as it reads now), its database in
    tmp_path, on `api` when given (a restart keeps it); `changes` configure it otherwise."""
    config = make_config(tmp_path, data_dir=data, **changes)
    return started(build_harness(config, clock, load_event_data(data), api=api))


@pytest.fixture
async def editable(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """A harness whose event data is a copy (tmp_path/data) the test may edit and reload."""
    async with on_data(tmp_path, clock, copied_data(tmp_path)) as harness:
        yield harness


# --- The web pages ----------------------------------------------------------------------------


def pages_of(harness: Harness) -> web.Application:
    """The harness's web pages, mounted as the bot's web server mounts them."""
    site = site_for(harness.app)
    assert site is not None
    root = web.Application()
    mount(root, site)
    return root


async def client_for(harness: Harness) -> TestClient[web.Request, web.Application]:
    """A started client of the harness's pages on 127.0.0.1 (its own cookies); close it."""
    client = TestClient(TestServer(pages_of(harness), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client(harness: Harness) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    found = await client_for(harness)
    yield found
    await found.close()


@pytest.fixture
async def served(harness: Harness) -> AsyncIterator[TestServer]:
    """The harness's pages on 127.0.0.1 at a free port, for a real browser."""
    server = TestServer(pages_of(harness), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


# --- The helpdesk (free-text questions, organisers' group) ------------------------------------

HELPDESK = -1001234567


@pytest.fixture
async def desk(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """The application with a helpdesk group configured."""
    harness = build_harness(make_config(tmp_path, helpdesk_chat_id=HELPDESK), clock)
    harness.api.add_chat(HELPDESK, type="supergroup", title="Organisers")
    async with started(harness):
        yield harness


async def joined(harness: Harness, language_code: str = "en", user_id: int = 1001) -> Chat:
    chat = harness.chat(user_id, language_code, first_name="Amina")
    await chat.send("/start")
    await chat.press(geneva().name.get(language_code))
    return chat


@pytest.fixture
async def server() -> AsyncIterator[FakeApiHttpServer]:
    """The fake Bot API over HTTP on 127.0.0.1, for the bot as a real process."""
    served = FakeApiHttpServer(FakeBotApi(), token=TOKEN)
    await served.start()
    try:
        yield served
    finally:
        await served.stop()


@pytest.fixture
async def bot_process(server: FakeApiHttpServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """`python -m bot run` against `server`, its database in tmp_path (not started yet)."""
    process = BotProcess(server, tmp_path)
    try:
        yield process
    finally:
        await process.kill()
