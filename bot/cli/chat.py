"""`python -m bot chat`: the local console chat, the real bot with no Telegram."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.cli.data import load_events, unknown_consultation
from bot.cli.logs import console_log
from bot.config import Config
from bot.i18n import SUPPORTED


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = commands.add_parser("chat", help="chat with the bot in this terminal, no Telegram")
    chat.add_argument("--lang", choices=SUPPORTED, help="your client language")
    chat.add_argument("--user", type=int, default=1001, help="your Telegram user id")
    chat.add_argument("--name", default="Delegate", help="your first name")
    chat.add_argument("--consultation", help="the consultation you attend (its id)")
    chat.add_argument(
        "--at", help="pretend the clock reads this local time, e.g. 2026-12-08T10:15"
    )
    chat.add_argument("--data", help="data directory (default: DATA_DIR or data/)")
    chat.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log here, between the messages (default: to console.log beside the database)",
    )
    chat.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.console import ConsoleRefused, parse_at, run_console

    if args.data:
        config = config.with_overrides(data_dir=Path(args.data))
    events = load_events(config.data_dir)
    if events is None:
        return 1
    if args.consultation and events.get(args.consultation) is None:
        print(unknown_consultation(events, args.consultation), file=sys.stderr)
        return 2
    at: datetime | None = None
    if args.at:
        try:
            at = parse_at(args.at, events, args.consultation, config.default_consultation)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    try:
        asyncio.run(
            run_console(
                config,
                events,
                lang=args.lang,
                user_id=args.user,
                first_name=args.name,
                consultation_id=args.consultation,
                at=at,
                log_file=None if args.verbose else console_log(config),
            )
        )
    except ConsoleRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
