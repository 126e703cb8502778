"""The console chat as a process: a reminder arrives at the lead time, and a SIGKILL around its
due time never makes it arrive twice."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.process_support import ConsoleProcess

REMINDER = "Starting in"


def console_at(tmp_path: Path, at: str, *, script: str | None = None) -> ConsoleProcess:
    """`python -m bot chat` at `at` on the Geneva consultation, on tmp_path's database."""
    return ConsoleProcess(
        tmp_path / "bot.sqlite3", "--consultation", "geneva-2026", "--at", at, script=script
    )


def star_the_talk(tmp_path: Path) -> None:
    console = console_at(
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
    console = console_at(tmp_path, "2026-12-08T10:45")
    console.wait_for("Console chat with the bot")
    console.say("/wait 4m")
    console.wait_for("the clock now reads")
    time.sleep(0.5)
    assert REMINDER not in console.output  # 10:49: not yet
    console.say("/wait 1m")
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
    first = console_at(tmp_path, "2026-12-08T10:49:57")
    first.wait_for("Console chat with the bot")
    time.sleep(kill_after)
    first.kill()
    second = console_at(tmp_path, "2026-12-08T10:51")
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
