"""The bot as a real process (`python -m bot run`) against the fake Bot API over HTTP.

SIGTERM under load loses no update and answers none twice, even across a restart; network
faults on getUpdates and sendMessage do not kill the process, and polling recovers (a reply lost
to a failed sendMessage is not sent again: PTB does not retry sends).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotApi
from bot.fakeapi.http import FakeApiHttpServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424242:process-test-token"
DELEGATES = range(5001, 5051)
LANGUAGES = ("en", "fr", "es", "ar")
QUESTIONS = {
    "en": "What is the Wi-Fi password?",
    "fr": "Quel est le mot de passe du wifi ?",
    "es": "¿Dónde se sirve el almuerzo?",
    "ar": "أين يُقدَّم الغداء؟",
}


@pytest.fixture
async def server() -> AsyncIterator[FakeApiHttpServer]:
    served = FakeApiHttpServer(FakeBotApi(), token=TOKEN)
    await served.start()
    try:
        yield served
    finally:
        await served.stop()


class BotProcess:
    """`python -m bot run` with a token and the fake's address, in its own process."""

    def __init__(
        self, server: FakeApiHttpServer, folder: Path, data_dir: Path = ROOT / "data"
    ) -> None:
        self.server = server
        self.folder = folder
        self.data_dir = data_dir
        self.process: asyncio.subprocess.Process | None = None
        self.exit_seconds = 0.0
        self._signalled = 0.0

    async def start(self) -> None:
        env = self.environment()
        log = (self.folder / "bot.log").open("ab")
        # cwd: a folder without a .env, so only the settings of environment() apply.
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.folder, env=env, stdout=log, stderr=log
        )
        log.close()

    def environment(self) -> dict[str, str]:
        """The settings `python -m bot` runs with: the fake's address, this folder's database."""
        env = dict(os.environ)
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.server.root_url,
            DATABASE_PATH=str(self.folder / "bot.sqlite3"),
            DATA_DIR=str(self.data_dir),
            DEFAULT_CONSULTATION="geneva-2026",
            PYTHONPATH=str(ROOT),
            # Without the encoder: encoding the sample consultations takes a minute here, and
            # these tests are about the process, not about understanding questions.
            SENTENCE_ENCODER="off",
        )
        for name in ("WEBHOOK_URL", "ORGANISER_IDS", "MODERATOR_IDS", "HELPDESK_CHAT_ID"):
            env.pop(name, None)
        return env

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def terminate(self, within: float = 10.0) -> int:
        """SIGTERM; the exit code, which must come `within` seconds."""
        self.signal_term()
        return await self.exit_code(within)

    def signal_term(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self._signalled = asyncio.get_running_loop().time()

    async def exit_code(self, within: float) -> int:
        assert self.process is not None
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"no exit {within} s after SIGTERM:\n{self.log()}") from None
        self.exit_seconds = asyncio.get_running_loop().time() - self._signalled
        return code

    async def kill(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.kill()
            await self.process.wait()

    def log(self) -> str:
        path = self.folder / "bot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@pytest.fixture
async def bot_process(server: FakeApiHttpServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(server, tmp_path)
    try:
        yield process
    finally:
        await process.kill()


async def wait_until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def replies(api: FakeBotApi) -> int:
    return sum(len(api.bot_messages(user)) for user in DELEGATES)


def queue_load(api: FakeBotApi, rounds: int) -> dict[int, int]:
    """Each delegate sends /now and a question, `rounds` times; returns updates per chat."""
    sent = dict.fromkeys(DELEGATES, 0)
    for turn in range(rounds):
        for user in DELEGATES:
            language = LANGUAGES[user % len(LANGUAGES)]
            text = "/now" if turn % 2 == 0 else QUESTIONS[language]
            api.queue_update(api.make_message(user, text, language_code=language))
            sent[user] += 1
    return sent


async def test_sigterm_under_load_loses_and_repeats_nothing(
    server: FakeApiHttpServer, bot_process: BotProcess
) -> None:
    api = server.api
    sent = queue_load(api, rounds=4)  # 200 updates from 50 delegates
    await bot_process.start()
    await wait_until(lambda: replies(api) >= 20, 20, f"first replies\n{bot_process.log()}")
    assert replies(api) < sum(sent.values()), "all answered before SIGTERM: proves nothing"
    bot_process.signal_term()
    await asyncio.sleep(0.3)
    # Updates that arrive while it drains wait at Telegram for the next process.
    for user, count in queue_load(api, rounds=1).items():
        sent[user] += count
    # The replies in hand go out at Telegram's pace (30 a second): 180 take about 6 s.
    assert await bot_process.exit_code(within=15) == 0

    polls = len(api.calls_to("getUpdates"))
    await bot_process.start()
    await wait_until(
        lambda: len(api.calls_to("getUpdates")) > polls, 20, f"polling\n{bot_process.log()}"
    )
    await wait_until(
        lambda: replies(api) >= sum(sent.values()), 20, f"all replies\n{bot_process.log()}"
    )
    await asyncio.sleep(0.5)  # a repeated update would be answered meanwhile
    assert await bot_process.terminate() == 0

    per_chat = {user: len(api.bot_messages(user)) for user in DELEGATES}
    assert per_chat == sent  # one reply per update: nothing lost, nothing twice
    assert not [c for c in api.calls if not c.ok]


async def test_network_faults_do_not_kill_the_process(
    server: FakeApiHttpServer, bot_process: BotProcess
) -> None:
    api = server.api
    user = DELEGATES[0]
    await bot_process.start()
    await wait_until(lambda: api.pending_polls > 0, 20, f"polling\n{bot_process.log()}")

    server.fail_next(1, method="getUpdates", status=502)
    server.fail_next(1, method="getUpdates", drop=True)
    server.fail_next(1, method="sendMessage", status=502)
    server.fail_next(1, method="sendMessage", drop=True)
    # Wake the waiting poll so the faulty calls come next; the replies meet the send faults.
    for _ in range(2):
        api.queue_update(api.make_message(user, "/now"))
    await wait_until(lambda: server.faults_injected == 4, 20, f"the faults\n{bot_process.log()}")
    await asyncio.sleep(0.3)
    assert bot_process.alive

    # After the faults: every new update is answered again.
    before = len(api.bot_messages(user))
    for _ in range(3):
        api.queue_update(api.make_message(user, "/now"))
    await wait_until(
        lambda: len(api.bot_messages(user)) >= before + 3, 20, f"recovery\n{bot_process.log()}"
    )
    assert bot_process.alive
    assert await bot_process.terminate() == 0
