"""`python -m bot ask`: put questions to the bot from the command line, one or a batch.

The answers are the chat's: the matcher weighed with the sentence encoder (waiting for it to
load and encode the consultation), or the matcher alone with --no-encoder or where the encoder
is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.ask_texts import (
    not_sure_answer,
    not_sure_with_suggestions,
    small_talk_answer,
    suggestion_label,
)
from bot.cli.data import load_events, unknown_consultation
from bot.clock import SystemClock
from bot.config import Config
from bot.i18n import SUPPORTED, _, compile_catalogs, use_language
from bot.services import decision
from bot.services.encoder import Encoder, load_encoder
from bot.services.event_data import Consultation
from bot.services.matcher import ROOM, SESSIONS, SPEAKER, Match, Matcher, answer_ref
from bot.services.rooms import room_label
from bot.services.session_search import SessionIndex
from bot.services.understanding import Understanding


def add_parsers(commands: Any) -> None:
    ask = commands.add_parser("ask", help="answer a question as the bot would, without Telegram")
    ask.set_defaults(handler=run)
    ask.add_argument("question", nargs="?", help="the question, in any of the four languages")
    ask.add_argument("--data", help="data directory (default: DATA_DIR or data/)")
    ask.add_argument("--consultation", help="consultation id (default: the first one)")
    ask.add_argument("--lang", choices=SUPPORTED, default="en", help="the language to answer in")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--batch", help='a file of JSON lines {"lang": L, "text": Q}; - for stdin')
    ask.add_argument(
        "--no-encoder",
        action="store_true",
        help="the word matcher alone, as the bot answers without the sentence encoder",
    )
    ask.add_argument(
        "--at",
        help="answer as if the clock read this local time, e.g. 2026-12-08T10:15 "
        '(for "what is on now?")',
    )


def _time(consultation: Consultation, moment: Any) -> str:
    return str(moment.astimezone(consultation.timezone).strftime("%H:%M"))


async def answer(
    matcher: Matcher,
    question: str,
    lang: str,
    now: datetime | None = None,
    understanding: Understanding | None = None,
) -> dict[str, Any]:
    """The bot's answer as the JSON object the command prints (at `now`, default the time now),
    the matcher's weighed with the encoder's nearest answers when `understanding` has one."""
    consultation = matcher.consultation
    match = matcher.match(question, now or SystemClock().now())
    if understanding is not None:
        # Not a chat: wait for the index the bot would have built at start.
        await understanding.index(consultation, decision.OFF_TOPIC_TAUGHT)
    match = await decision.weigh(understanding, consultation, question, match, language=lang)
    if match.search is not None:
        # "Sessions on localization": the programme search answers, as in the chat.
        found = SessionIndex(consultation).search(match.search)
        match = replace(match, sessions=found.sessions)
    return render(match, consultation, lang)


def render(match: Match, consultation: Consultation, lang: str) -> dict[str, Any]:
    """What the delegate would read, with the decision and the suggestions in button order."""
    room = consultation.room(match.room_id) if match.kind == ROOM else None
    with use_language(lang):
        if room is not None:
            # The room's card, as plain text: where it is and how to get there.
            texts = (room.name, room.location, room.directions, room.accessibility)
            text = "\n".join(t.get(lang) for t in texts if t is not None)
        elif match.kind == SESSIONS:
            lines = [
                f"{s.start.astimezone(consultation.timezone):%Y-%m-%d} "
                f"{_time(consultation, s.start)}–{_time(consultation, s.end)} {s.title.get(lang)}"
                + (f" · {label}" if (label := room_label(s, lang)) else "")
                for s in match.sessions
            ]
            nothing = (
                _("Nothing is on the programme then.")
                if match.when == "then"
                else _("No session of the programme matches these words.")
                if match.search is not None
                else _("Nothing is on right now.")
            )
            text = "\n".join(lines) or nothing
        elif match.kind == SPEAKER:
            # The card's heading: who they are, in the reader's language.
            text = "\n".join(
                " · ".join(
                    [s.name] + [t.get(lang) for t in (s.role, s.affiliation) if t is not None]
                )
                for s in match.speakers
            )
        else:
            # The bot's own words, so the command and the chat cannot drift apart.
            text = small_talk_answer(match.kind) or match.text(lang) or not_sure_answer()
            if match.suggestions:
                labels = (
                    suggestion_label(e, lang, consultation.default_language)
                    for e in match.suggestions
                )
                text = not_sure_with_suggestions() + "".join(f"\n  {label}" for label in labels)
    return {
        "faq_id": match.answer_id,
        "session_ids": [s.id for s in match.sessions],
        "speaker_ids": [s.id for s in match.speakers],
        "score": match.score,
        "lang": lang,
        "text": text,
        "decision": decision.outcome(match),
        "suggestions": [answer_ref(e) for e in match.suggestions],
    }


def run(args: argparse.Namespace, config: Config) -> int:
    data_dir = Path(args.data) if args.data else config.data_dir
    events = load_events(data_dir)
    if events is None:
        return 1
    consultation_id = args.consultation or config.default_consultation
    consultation = events.get(consultation_id) or (
        None if args.consultation else next(iter(events.consultations.values()), None)
    )
    if consultation is None:
        print(unknown_consultation(events, args.consultation), file=sys.stderr)
        return 2
    now: datetime | None = None
    if args.at:
        from bot.cli.console import parse_at

        try:
            now = parse_at(args.at, events, consultation.id)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    compile_catalogs()
    if not args.batch and not args.question:
        print("Give a question, or --batch FILE.", file=sys.stderr)
        return 2
    load: Callable[[], Encoder | None] = (lambda: None) if args.no_encoder else load_encoder
    if not args.batch:
        return asyncio.run(_answer_all(args, None, Matcher(consultation), now, load))
    source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
    with source:
        return asyncio.run(_answer_all(args, source, Matcher(consultation), now, load))


async def _answer_all(
    args: argparse.Namespace,
    batch: TextIO | None,
    matcher: Matcher,
    now: datetime | None,
    load: Callable[[], Encoder | None],
) -> int:
    understanding = Understanding(load)
    await understanding.start()
    try:
        if batch is not None:
            return await _batch(args, batch, matcher, now, understanding)
        result = await answer(matcher, args.question, args.lang, now, understanding)
    finally:
        await understanding.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(result["text"])
    return 0


async def _batch(
    args: argparse.Namespace,
    source: TextIO,
    matcher: Matcher,
    now: datetime | None,
    understanding: Understanding,
) -> int:
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            lang = item.get("lang") if item.get("lang") in SUPPORTED else args.lang
            text = str(item["text"])
        except (ValueError, KeyError, TypeError, AttributeError):
            print(f'{args.batch}:{number}: expected {{"lang": L, "text": Q}}', file=sys.stderr)
            return 2
        result = await answer(matcher, text, lang, now, understanding)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0
