"""The bot as a real process (`python -m bot run`) against the fake Bot API over HTTP: what the
process-level tests share. The fixtures `server` and `bot_process` are in conftest.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

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


def key_file(folder: Path) -> Path:
    """Where a test's anonymity key is kept: beside its folder, never in it (the key is never
    kept with the database); the in-process harness and the process share it."""
    return folder.parent / f"{folder.name}-keys" / "anonymity.key"


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

    async def start(self, **settings: str) -> None:
        """Start it; `settings` are more environment variables (WEBHOOK_URL...)."""
        env = self.environment()
        env.update(settings)
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
            ANONYMITY_KEY_FILE=str(key_file(self.folder)),
            # These test the process (signals, faults, restarts); the encoder is tested
            # in-process (tests/test_understanding.py, tests/test_decision.py).
            SENTENCE_ENCODER="off",
            PYTHONPATH=str(ROOT),
        )
        env.pop("ANONYMITY_KEY", None)
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


# --- The console chat (`python -m bot` without a token) as a process ---------------------------


def console_environment(*dropped: str, **settings: str) -> dict[str, str]:
    """This environment without a token (so `python -m bot` opens the console chat) nor the
    `dropped` variables, with `settings`; PYTHONPATH is the worktree, whose bot/ then runs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "TELEGRAM_BOT_TOKEN" and key not in dropped
    }
    env.update(settings)
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_python(
    args: Sequence[str], *, script: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` with `script` piped in; what it printed (its exit code is the test's)."""
    return subprocess.run(
        [sys.executable, *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


class ConsoleProcess:
    """`python -m bot chat ARGS` on a database, running while a test types into it (or piped
    `script`, then its input closed); its output collected as it comes."""

    def __init__(self, database: Path, *args: str, script: str | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", *args],
            cwd=ROOT,
            env=console_environment(DATABASE_PATH=str(database)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if script is not None:
            assert self.process.stdin is not None
            self.process.stdin.write(script)
            self.process.stdin.close()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output += line

    def wait_for(self, text: str, count: int = 1, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.output.count(text) < count:
            assert time.monotonic() < deadline, f"not {count} × {text!r} in:\n{self.output}"
            time.sleep(0.05)

    def say(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close()

    def finish(self) -> None:
        """Close its input (its end of the conversation) and wait for it to leave."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait(30)
        self._close()

    def _close(self) -> None:
        self._reader.join(5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()
