"""`python -m bot broadcast` and `broadcasts`: a script or a person at a laptop queues an
announcement; the running bot sends it like one composed in the chat."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import running
from bot.clock import ManualClock
from bot.storage.bookmarks import BookmarkStore
from bot.storage.broadcasts import subject_of
from tests.conftest import GENEVA, build_harness, make_config

LANGUAGES = {3001: "en", 3002: "fr", 3003: "ar", 3004: "es"}


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with four delegates of the Geneva consultation, one per language."""
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)

    async def register() -> None:
        harness = build_harness(make_config(tmp_path), ManualClock(datetime.now(GENEVA)))
        async with running(harness.app):
            people = harness.services.people
            for user_id, language in LANGUAGES.items():
                await people.profile(user_id, f"D{user_id}", language)
                await people.set_consultation(user_id, "geneva-2026")
            await BookmarkStore(harness.services.db.connection).add(
                3002, "geneva-2026", "principles-partnership", harness.clock.now()
            )

    asyncio.run(register())
    return path


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_queued_broadcast_is_sent_by_the_running_bot_in_each_language(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    english = write(tmp_path, "note.en.txt", "Buses leave at 18:00 & not later.")
    french = write(tmp_path, "note.fr.txt", "Les bus partent à 18 h.")
    send = ["broadcast", "--consultation", "geneva-2026", "--text-file", english]
    code = main([*send, "--text-file", french, "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "--- 3 recipient(s) read this (en):" in out  # en, and ar and es (the fallback)
    assert "Buses leave at 18:00 & not later." in out
    assert "--- 1 recipient(s) read this (fr):" in out
    assert "Broadcast #1 queued now" in out

    async def bot_sends() -> dict[int, str]:
        harness = build_harness(make_config(tmp_path), ManualClock(datetime.now(GENEVA)))
        for user_id in LANGUAGES:
            harness.api.add_chat(user_id)
        async with running(harness.app):
            await harness.app.bot_data["broadcast_board"].tick(harness.app)
            for _ in range(5):
                await harness.services.delivery.process_due()
                harness.clock.advance(seconds=1)
            counts = await harness.services.delivery.store.progress(subject_of(1))
            assert counts["sent"] == 4
        return {u: harness.api.last_bot_message(u).plain_text() or "" for u in LANGUAGES}

    received = asyncio.run(bot_sends())
    assert received[3001].endswith("Buses leave at 18:00 & not later.")
    assert received[3002].endswith("Les bus partent à 18 h.")
    assert received[3003].endswith("Buses leave at 18:00 & not later.")

    assert main(["broadcasts"]) == 0
    listing = capsys.readouterr().out
    assert "#1 sending" in listing or "#1 done" in listing
    assert "sent 4" in listing


def test_a_session_audience_and_a_scheduled_time(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = write(tmp_path, "room.txt", "The session moves to Room A.")
    send = ["broadcast", "--consultation", "geneva-2026", "--text-file", text]
    when = ["--at", "2099-12-09 08:30", "--yes"]
    code = main([*send, "--audience", "session:principles-partnership", *when])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 recipient(s) in all." in out
    assert "queued at 2099-12-09 08:30" in out
    assert main(["broadcasts", "--cancel", "1"]) == 0
    assert "Broadcast #1 stopped." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--consultation", "nowhere"], "--consultation: Unknown consultation 'nowhere'"),
        (["--audience", "lang:de"], "--audience lang:de: use consultation"),
        (["--audience", "session:nope"], "no such session"),
        (["--at", "2001-01-01 10:00"], "that time has passed"),
        (["--at", "soon"], "write it like 18:00"),
        (["--lang", "fr", "--lang", "es"], "one --lang per --text-file"),
        ([], "add --yes"),  # not a terminal, and not confirmed
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_is_queued(
    database: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    text = write(tmp_path, "note.txt", "Hello.")
    args = ["broadcast", "--consultation", "geneva-2026", "--text-file", text]
    if extra[:1] == ["--consultation"]:
        args = ["broadcast", "--text-file", text]
    assert main(args + extra) == 2
    assert message in capsys.readouterr().err
    assert main(["broadcasts"]) == 0
    assert "No broadcasts yet." in capsys.readouterr().out


def test_an_empty_file_and_bad_html_name_the_file(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = write(tmp_path, "empty.txt", "  \n")
    args = ["broadcast", "--consultation", "geneva-2026", "--yes", "--text-file"]
    assert main([*args, empty]) == 2
    assert f"{empty}: the file is empty" in capsys.readouterr().err
    broken = write(tmp_path, "broken.txt", "<b>bold")
    assert main([*args, broken, "--html"]) == 2
    assert f"{broken}: not valid Telegram HTML" in capsys.readouterr().err


def test_the_time_is_confirmed_and_listed_in_the_consultations_time_zone(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--at 18:00` is Geneva's 18:00 (17:00 UTC in December): both commands say 18:00, and
    in which time zone."""
    text = write(tmp_path, "dinner.txt", "Dinner at the Bains des Pâquis.")
    send = ["broadcast", "--consultation", "geneva-2026", "--text-file", text]
    assert main([*send, "--at", "18:00", "--yes"]) == 0
    queued = capsys.readouterr().out
    assert "18:00 Europe/Zurich;" in queued
    assert main(["broadcasts"]) == 0
    listing = capsys.readouterr().out
    assert "18:00 Europe/Zurich geneva-2026" in listing
    assert "UTC" not in listing
