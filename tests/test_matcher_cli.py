"""`python -m bot ask`: answers that depend on the time can be asked at a given moment (--at)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT


def ask(
    tmp_path: Path, *args: str, stdin: str = "", data: Path = ROOT / "data", encoder: bool = False
) -> subprocess.CompletedProcess[str]:
    """The command's run; the matcher alone unless `encoder` (encoding the sample consultations'
    texts takes a minute on a busy machine)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATA_DIR")}
    options = () if encoder else ("--no-encoder",)
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--data", str(data), *options, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )


def answer(tmp_path: Path, *args: str) -> dict[str, Any]:
    result = ask(tmp_path, "--json", "--consultation", "geneva-2026", *args)
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_what_is_on_now_follows_the_at_option(tmp_path: Path) -> None:
    morning = answer(tmp_path, "--at", "2026-12-08T09:30", "what is on now?")
    assert morning["session_ids"] == ["opening"]
    afternoon = answer(tmp_path, "--at", "2026-12-08T14:30", "what is on now?")
    assert sorted(afternoon["session_ids"]) == [
        "climate-mobility",
        "internal-displacement",
        "localization-funding",
    ]
    next_day = answer(tmp_path, "--at", "2026-12-09T10:45", "what's next?")
    assert "accountability" in next_day["session_ids"]


def test_the_time_is_the_consultations_unless_an_offset_is_given(tmp_path: Path) -> None:
    # 08:30 UTC is 09:30 in Geneva: the opening plenary.
    found = answer(tmp_path, "--at", "2026-12-08T08:30+00:00", "what is on now?")
    assert found["session_ids"] == ["opening"]


def test_a_french_question_at_a_given_moment_is_answered_in_french(tmp_path: Path) -> None:
    found = answer(tmp_path, "--lang", "fr", "--at", "2026-12-08T14:30", "c'est quoi maintenant")
    assert "Atelier : déplacements internes et solutions durables" in found["text"]
    assert "Salle 2" in found["text"]


def test_sessions_on_a_subject_are_searched_as_in_the_chat(tmp_path: Path) -> None:
    found = answer(tmp_path, "--lang", "es", "sesiones sobre localización")
    assert found["session_ids"][0] == "localization-funding"
    assert "2026-12-09 13:00" in found["text"]


def test_a_batch_is_answered_at_the_given_moment(tmp_path: Path) -> None:
    lines = [
        json.dumps({"lang": "ar", "text": "ماذا يجري الآن؟"}),
        json.dumps({"lang": "en", "text": "wifi password"}),
    ]
    result = ask(
        tmp_path,
        "--consultation",
        "geneva-2026",
        "--at",
        "2026-12-09T11:15",
        "--batch",
        "-",
        stdin="\n".join(lines) + "\n",
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert "data-responsibility" in first["session_ids"]
    assert second["faq_id"] == "wifi-password"


def test_a_bad_time_is_explained(tmp_path: Path) -> None:
    result = ask(tmp_path, "--at", "tomorrow", "what is on now?")
    assert result.returncode == 2
    assert "not a time like 2026-12-08T10:15" in result.stderr


SUITCASE = "can i leave my suitcase somewhere overnight with a padlock"


def test_a_refusal_lists_the_entries_it_suggests_but_answers_none(tmp_path: Path) -> None:
    found = answer(tmp_path, SUITCASE)
    assert found["faq_id"] is None
    assert "Perhaps one of these answers it" in found["text"]
    assert "💡 Is there a cloakroom?" in found["text"]
    french = answer(tmp_path, "--lang", "fr", SUITCASE)
    assert french["faq_id"] is None
    assert "Peut-être l'une de ces réponses" in french["text"]
    assert "💡 Y a-t-il un vestiaire ?" in french["text"]
