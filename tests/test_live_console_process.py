"""Issue 18's "done when", as the README's "Live sessions" section runs it: several `--user`s of
the console chat on one database (`python -m bot chat`, each a process reading its piped input
and leaving), a chair named with `python -m bot chairs`, questions in Arabic and French, a vote,
approval, a pin and "answered", then a poll that delegates answer and whose results show."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT
from tests.process_support import console_environment, run_python

CHAIR = "2001"
# What the outbox has for a console's delegate goes out while the console waits: each /wait lets
# the delivery job (ticking every 0.1 s) run for 1.5 s; two leave room on a loaded machine.
WAIT = ["/wait 1s", "/wait 1s"]


def console(tmp_path: Path, script: str, *args: str) -> str:
    """`python -m bot <args>` with `script` piped in; what it printed (it must succeed)."""
    settings = console_environment(
        "DATABASE_PATH", "DATA_DIR", DATABASE_PATH=str(tmp_path / "bot.sqlite3")
    )
    result = run_python(["-m", "bot", *args], script=script, cwd=ROOT, env=settings, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def chat(tmp_path: Path, user: str, at: str, lines: list[str], *options: str) -> str:
    return console(
        tmp_path,
        "".join(line + "\n" for line in lines),
        "chat",
        "--user",
        user,
        "--consultation",
        "geneva-2026",
        "--at",
        at,
        *options,
    )


def after(out: str, line: str) -> str:
    """What the console printed after the input `line` (up to the next input)."""
    marker = f"you> {line}\n"
    assert marker in out, out
    return out.split(marker, 1)[1].split("\nyou> ", 1)[0]


def test_questions_in_arabic_and_french_voted_moderated_and_a_poll_answered(
    tmp_path: Path,
) -> None:
    # The chair is named from the command line before the session.
    said = console(tmp_path, "", "chairs", "opening", "add", CHAIR)
    assert CHAIR in said

    # 10:15, during the opening plenary: a delegate in French asks anonymously ...
    out = chat(
        tmp_path,
        "1001",
        "2026-12-08T10:15",
        ["/start", "!Français", "/q", "!Poser", "Comment financer les organisations locales ?"],
        "--lang",
        "fr",
    )
    assert "Votre question est envoyée, de façon anonyme" in after(
        out, "Comment financer les organisations locales ?"
    )
    # ... another in Arabic under her name.
    out = chat(
        tmp_path,
        "1002",
        "2026-12-08T10:15",
        ["/start", "!العربية", "/q", "!سؤال إلى اللجنة", "!باسمي", "ما هي خطة التمويل؟"],
        "--lang",
        "ar",
        "--name",
        "Layla",
    )
    assert "Layla" in after(out, "ما هي خطة التمويل؟")

    # The chair sees both waiting, each marked with its language, and approves both.
    out = chat(
        tmp_path,
        CHAIR,
        "2026-12-08T10:16",
        ["/q", "!Chair", "!To approve", "!Approve 1", "!Approve 1"],
    )
    assert "To approve: 2" in after(out, "!Chair")
    waiting = after(out, "!To approve")
    assert "[fr] \u2068Comment financer les organisations locales ?\u2069 — anonymous" in waiting
    assert "[ar] \u2068ما هي خطة التمويل؟\u2069 — Layla" in waiting
    assert "Approved: everyone sees it now." in out

    # A third delegate votes for the French question (first in the list: the oldest of two
    # without votes) and sees the count.
    out = chat(tmp_path, "1003", "2026-12-08T10:17", ["/start", "/q", "!#1"], "--lang", "en")
    listed = after(out, "/q")
    assert "1. [fr] \u2068Comment financer les organisations locales ?\u2069" in listed
    assert "2. [ar] \u2068ما هي خطة التمويل؟\u2069" in listed
    voted = after(out, "!#1")
    assert "Your vote is counted." in voted
    assert "Comment financer les organisations locales ?\u2069 — anonymous · 👍 1" in voted

    # The chair sees the vote, pins the French question, then marks it answered.
    out = chat(
        tmp_path,
        CHAIR,
        "2026-12-08T10:18",
        ["/q", "!Chair", "!All questions", "!Pin 1", "!Answered 1"],
    )
    ranked = after(out, "!All questions")
    french = "[fr] \u2068Comment financer les organisations locales ?\u2069"
    assert f"1. {french} — anonymous · 👍 1" in ranked
    assert "2. [ar] \u2068ما هي خطة التمويل؟\u2069 — Layla · 👍 0" in ranked
    pinned = after(out, "!Pin 1")
    assert "1. 📌 [fr] \u2068Comment financer" in pinned
    assert "Pinned: shown at the top for everyone." in pinned
    answered = after(out, "!Answered 1")
    assert "✔️ [fr] \u2068Comment financer les organisations locales ?\u2069" in answered
    assert "Marked answered: no longer pinned, nor shown at the top." in answered

    # Delegates see it answered in their list, in their language; the one who asked under
    # her name was told when it was approved.
    out = chat(tmp_path, "1001", "2026-12-08T10:19", ["/q"], "--lang", "fr")
    assert "✔️ [fr] \u2068Comment financer les organisations locales ?\u2069" in after(out, "/q")
    out = chat(tmp_path, "1002", "2026-12-08T10:19", WAIT, "--lang", "ar")
    assert "أصبح الآن معروضًا للجميع" in out  # "... is now shown to everyone"

    # The chair opens a 1-5 poll to the session's recent audience (who opened its questions).
    out = chat(
        tmp_path,
        CHAIR,
        "2026-12-08T10:20",
        ["/poll", "!Scale", "How useful is this session?", "!Open the poll"],
    )
    opened = after(out, "!Open the poll")
    assert "🟢 Open" in opened
    assert "Sent to 4 delegates." in opened  # the three delegates and the chair: all opened /q

    # Each delegate's console gets it (their chat's outbox row, sent during WAIT) and answers it
    # (its buttons are numbered 1-5, labelled 1-5); the results show once answered.
    for user, language, score in (("1001", "fr", 4), ("1002", "ar", 5), ("1003", "en", 4)):
        out = chat(tmp_path, user, "2026-12-08T10:21", [*WAIT, f"!{score}"], "--lang", language)
        assert "How useful is this session?" in out.split("you> !")[0], out
        pressed = after(out, f"!{score}")
        assert f"✅ {score}\n" in pressed, pressed
    assert "👥 3 answers" in pressed
    assert "\n✅ 4\n" in pressed
    assert "67% (2)" in pressed.split("✅ 4", 1)[1].split("\n5\n", 1)[0]  # two 4s
    assert "33% (1)" in pressed.split("\n5\n", 1)[1]  # one 5

    # The results, as the organisers export them (no delegate named).
    export = tmp_path / "polls.csv"
    console(
        tmp_path,
        "",
        "export",
        "polls",
        "--consultation",
        "geneva-2026",
        "--out",
        str(export),
    )
    table = export.read_text(encoding="utf-8-sig")
    assert "How useful is this session?" in table


def test_a_poll_set_to_close_after_two_minutes_closes_after_wait_in_the_console(
    tmp_path: Path,
) -> None:
    """The closing job waits on real time; the console's /wait moves its clock ahead: the job
    is set again at once, so the chair sees the poll close after `/wait 3m`, not 2 real
    minutes later (README: "Quick polls in a live session")."""
    console(tmp_path, "", "chairs", "opening", "add", CHAIR)
    chat(tmp_path, "1001", "2026-12-08T10:15", ["/q"], "--lang", "fr")
    out = chat(
        tmp_path,
        CHAIR,
        "2026-12-08T10:20",
        ["/poll", "!Scale", "How useful is this session?", "!2′", "!Open the poll", "/wait 3m"],
    )
    assert "🟢 Open" in after(out, "!Open the poll")
    closed = after(out, "/wait 3m")
    assert "(the clock now reads Tue 2026-12-08 10:23 Europe/Zurich)" in closed
    assert "⏱ The poll closed on its own." in closed, closed
