"""The console chat: the README's run command without a token, scripted through stdin."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from bot.cli.console import run_console
from tests.conftest import GENEVA, ROOT, make_config, sample_events
from tests.process_support import ConsoleProcess, console_environment, run_python


def run_bot(
    tmp_path: Path, script: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    settings = console_environment(
        "DATABASE_PATH", **{"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), **(env or {})}
    )
    return run_python(["-m", "bot", *args], script=script, cwd=tmp_path, env=settings)


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


# --- One database, and what the console prints -------------------------------------------------


# `python -m bot`, with the default database in a folder of the test's (the real default is
# var/bot.sqlite3 beside the code).
DEFAULT_DATABASE = """
import sys
from pathlib import Path
from bot.config import Config
Config.database_path = Path(sys.argv[1])
from bot.__main__ import main
sys.exit(main(sys.argv[2:]))
"""


def run_with_default_database(
    tmp_path: Path, script: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = console_environment(
        "DATABASE_PATH",
        "ORGANISER_IDS",
        "MODERATOR_IDS",
        ANONYMITY_KEY_FILE=str(tmp_path / "keys" / "anonymity.key"),
        SENTENCE_ENCODER="off",
    )
    database = tmp_path / "var" / "bot.sqlite3"
    return run_python(
        ["-c", DEFAULT_DATABASE, str(database), *args], script=script, cwd=tmp_path, env=env
    )


def test_a_role_given_from_the_command_line_applies_in_the_console(tmp_path: Path) -> None:
    """Neither command is told where the database is: both use the one default database."""
    result = run_with_default_database(tmp_path, "", "role", "add", "777", "organiser")
    assert result.returncode == 0, result.stderr
    result = run_with_default_database(
        tmp_path, "/broadcasts\n", "chat", "--user", "777", "--consultation", "geneva-2026"
    )
    assert result.returncode == 0, result.stderr
    assert "only the consultation's organisers" not in result.stdout
    assert "No announcements yet." in result.stdout
    assert "Database: var/bot.sqlite3" in result.stdout  # said at start
    assert "Logs: var/console.log" in result.stdout
    assert not (tmp_path / "var" / "console.sqlite3").exists()


async def console_says(tmp_path: Path, script: str, at: datetime | None = None) -> str:
    """The console chat run in this process on a script; what it printed."""
    out = io.StringIO()
    await run_console(
        make_config(tmp_path),
        sample_events(),
        lang="en",
        user_id=1001,
        first_name="Delegate",
        consultation_id="geneva-2026",
        at=at,
        stdin=io.StringIO(script),
        out=out,
    )
    return out.getvalue()


async def test_a_button_of_a_message_edited_since_is_explained_and_its_current_one_works(
    tmp_path: Path,
) -> None:
    # The agenda's page turns into a session's card (one message, edited): its ▶ is gone.
    said = await console_says(tmp_path, "/agenda\n!1\n!▶\n!« Back\n!▶\n")
    after_stale, after_back = said.split("you> !▶", 1)[1], said.split("you> !« Back", 1)[1]
    assert after_stale.lstrip().startswith("(that button was on a message the bot has changed")
    assert "Page 1 of 2" in after_back.split("you> !▶")[0]  # « Back worked…
    assert "Page 2 of 2" in said.rsplit("you> !▶", 1)[1]  # …and so does the page's ▶ again
    assert "Traceback" not in said


async def test_the_answer_to_a_pressed_button_is_printed(tmp_path: Path) -> None:
    said = await console_says(
        tmp_path, "/agenda\n!The Principles of Partnership\n!Add to my agenda\n"
    )
    assert "💬 pop-up: Added to your agenda." in said


async def test_wait_shows_the_clock_in_the_consultations_time_zone(tmp_path: Path) -> None:
    said = await console_says(
        tmp_path, "/wait 5m\n", at=datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)
    )
    assert "The clock reads Tue 2026-12-08 10:15 Europe/Zurich" in said
    assert "(the clock now reads Tue 2026-12-08 10:20 Europe/Zurich)" in said


def test_log_lines_go_to_a_file_unless_verbose(tmp_path: Path) -> None:
    # A first start creates the anonymity key and logs a warning about it.
    key = tmp_path.parent / f"{tmp_path.name}-keys" / "anonymity.key"
    result = run_bot(tmp_path, "/start\n", "chat", env={"ANONYMITY_KEY_FILE": str(key)})
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "Created a new anonymity key" in (tmp_path / "console.log").read_text()
    assert "Logs: console.log" in result.stdout  # said where, at start

    other = {"ANONYMITY_KEY_FILE": str(key) + ".2", "DATABASE_PATH": str(tmp_path / "2.sqlite3")}
    result = run_bot(tmp_path, "/start\n", "chat", "-v", env=other)
    assert result.returncode == 0, result.stderr
    assert "WARNING bot.services.privacy: Created a new anonymity key" in result.stderr
    assert "Logs:" not in result.stdout


def test_chat_reads_the_data_directory_it_is_given(tmp_path: Path) -> None:
    data = tmp_path / "event"
    shutil.copytree(ROOT / "data" / "geneva-2026", data / "geneva-2026")
    result = run_bot(tmp_path, "", "chat", "--data", str(data), "--consultation", "nairobi-2027")
    assert result.returncode == 2
    assert "Unknown consultation 'nairobi-2027' (known: geneva-2026)" in result.stderr
    result = run_bot(tmp_path, "/start\n", "chat", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert "Welcome, Delegate!" in result.stdout


def test_two_consoles_on_one_database_each_get_every_reply(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    first = ConsoleProcess(database, "--user", "11")
    first.wait_for("Console chat with the bot")
    second = ConsoleProcess(database, "--user", "12")
    second.wait_for("Console chat with the bot")
    try:
        for round_ in range(1, 6):
            for console in (first, second):
                console.say("/help")
                console.wait_for("🤖 bot:", count=round_)
    finally:
        first.finish()
        second.finish()
    assert first.output.count("🤖 bot:") == 5
    assert second.output.count("🤖 bot:") == 5
