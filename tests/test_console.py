"""The console chat: the README's run command without a token, scripted through stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run_bot(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TELEGRAM_BOT_TOKEN", "DATABASE_PATH")
    }
    env["DATABASE_PATH"] = str(tmp_path / "console.sqlite3")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )


def test_without_a_token_the_bot_opens_the_console_chat(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "/start\n")
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "Welcome, Delegate!" in result.stdout
    assert "[1]" in result.stdout  # buttons are numbered


def test_a_scripted_french_conversation_about_geneva(tmp_path: Path) -> None:
    script = "/start\n/agenda\n!1\n!Ajouter\n/my\n/calendar\n"
    result = run_bot(
        tmp_path,
        script,
        "chat",
        "--lang",
        "fr",
        "--consultation",
        "geneva-2026",
        "--at",
        "2026-12-08T10:15",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Bienvenue" in out
    assert "mardi 8 décembre 2026" in out
    assert "★" in out  # the card now offers removal
    assert ".ics" in out
    saved = next((tmp_path / "console-downloads").glob("*.ics"))
    assert b"BEGIN:VEVENT" in saved.read_bytes()


def test_now_follows_the_at_option_in_arabic(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        "/now\n",
        "chat",
        "--lang",
        "ar",
        "--consultation",
        "geneva-2026",
        "--at",
        "2026-12-08T09:30",
    )
    assert result.returncode == 0, result.stderr
    assert "الآن" in result.stdout
    # The opening plenary runs 09:00-10:30 on the first day.
    assert "09:00" in result.stdout


def test_bad_options_are_explained(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "", "chat", "--consultation", "atlantis")
    assert result.returncode == 2
    assert "Unknown consultation 'atlantis'" in result.stderr
    result = run_bot(tmp_path, "", "chat", "--at", "next tuesday")
    assert result.returncode == 2
    assert "--at" in result.stderr


def test_a_script_piped_at_once_is_answered_line_by_line(tmp_path: Path) -> None:
    """Twenty lines arrive within milliseconds: the console is one person, not a flood."""
    script = "/now\n" * 20
    result = run_bot(tmp_path, script, "chat", "--consultation", "geneva-2026")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("you> /now") == 20
    assert "very quickly" not in result.stdout
    assert result.stdout.count("🤖 bot") == 20
