"""The console chat as a process: a reminder arrives at the lead time, and a SIGKILL around its
due time never makes it arrive twice."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

REMINDER = "Starting in"


class Console:
    """`python -m bot chat` in a subprocess, its output collected as it comes."""

    def __init__(self, tmp_path: Path, at: str, *, script: str | None = None) -> None:
        env = {**os.environ, "DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "PYTHONPATH": "."}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--consultation", "geneva-2026", "--at", at],
            cwd=ROOT,
            env=env,
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

    def wait_for(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output}"
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close()

    def _close(self) -> None:
        self._reader.join(5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()

    def finish(self) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait(20)
        self._close()


def star_the_talk(tmp_path: Path) -> None:
    console = Console(
        tmp_path,
        "2026-12-08T10:15",
        script="/agenda\n!Principles of Partnership\n!Add to my agenda\n",
    )
    console.finish()
    assert "Added to your agenda" in console.output or "Remove from my agenda" in console.output


def reminder_state(tmp_path: Path) -> str:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        (state,) = db.execute("SELECT state FROM outbox WHERE kind = 'reminder'").fetchone()
    return str(state)


def test_console_reminder_at_the_lead_time(tmp_path: Path) -> None:
    star_the_talk(tmp_path)
    console = Console(tmp_path, "2026-12-08T10:45")
    console.wait_for("Console chat with the bot")
    assert console.process.stdin is not None
    console.process.stdin.write("/wait 4m\n")
    console.process.stdin.flush()
    console.wait_for("the clock now reads")
    time.sleep(0.5)
    assert REMINDER not in console.output  # 10:49: not yet
    console.process.stdin.write("/wait 1m\n")
    console.process.stdin.flush()
    console.wait_for(REMINDER)
    console.finish()
    assert console.output.count(REMINDER) == 1
    assert "Principles of Partnership" in console.output.split(REMINDER, 1)[1]


@pytest.mark.parametrize("kill_after", [0.3, 2.0, 2.6, 3.2, 5.0])
def test_sigkill_around_the_due_time_yields_exactly_one_reminder(
    tmp_path: Path, kill_after: float
) -> None:
    star_the_talk(tmp_path)
    # Due at 10:50:00; the run starts 3 s before and is killed `kill_after` s into it.
    first = Console(tmp_path, "2026-12-08T10:49:57")
    first.wait_for("Console chat with the bot")
    time.sleep(kill_after)
    first.kill()
    second = Console(tmp_path, "2026-12-08T10:51")
    second.wait_for("Console chat with the bot")
    time.sleep(2.0)
    second.finish()
    delivered = first.output.count(REMINDER) + second.output.count(REMINDER)
    state = reminder_state(tmp_path)
    if state == "unknown":
        # Killed between claiming and recording: never resent, and arrived at most once.
        assert delivered <= 1
    else:
        assert (state, delivered) == ("sent", 1)
    if kill_after in (0.3, 5.0):  # clearly before or after the send
        assert (state, delivered) == ("sent", 1)
