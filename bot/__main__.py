"""Command line: run the bot (Telegram, or the console chat without a token), check the data."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.config import Config, ConfigError
from bot.services.event_data import EventData, EventDataError, load_event_data

logger = logging.getLogger("bot")


class RedactToken(logging.Filter):
    """Keeps the bot token out of every log line, whoever logs it (httpx logs request URLs)."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self._token:
            message = record.getMessage()
            if self._token in message:
                record.msg = message.replace(self._token, "<token>")
                record.args = None
        return True


def configure_logging(token: str | None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _load(data_dir: Path) -> EventData | None:
    try:
        return load_event_data(data_dir)
    except EventDataError as exc:
        print(f"The event data in {data_dir} is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    data_dir = Path(args.dir) if args.dir else config.data_dir
    events = _load(data_dir)
    if events is None:
        return 1
    for consultation in events.consultations.values():
        print(
            f"{consultation.id}: {len(consultation.sessions)} sessions, "
            f"{len(consultation.topics)} logistics topics, {len(consultation.faq)} FAQ entries"
        )
    print("OK")
    return 0


def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    from bot.console import parse_at, run_console

    events = _load(config.data_dir)
    if events is None:
        return 1
    if args.consultation and events.get(args.consultation) is None:
        known = ", ".join(events.consultations)
        print(f"Unknown consultation '{args.consultation}' (known: {known})", file=sys.stderr)
        return 2
    at: datetime | None = None
    if args.at:
        try:
            at = parse_at(args.at, events, args.consultation)
        except ValueError:
            print(f"--at: '{args.at}' is not a time like 2026-12-08T10:15", file=sys.stderr)
            return 2
    if "DATABASE_PATH" not in args.env_keys:
        config = config.with_overrides(
            database_path=config.database_path.with_name("console.sqlite3")
        )
    asyncio.run(
        run_console(
            config,
            events,
            lang=args.lang,
            user_id=args.user,
            first_name=args.name,
            consultation_id=args.consultation,
            at=at,
        )
    )
    return 0


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    if not config.token:
        print(
            "TELEGRAM_BOT_TOKEN is not set: opening the local console chat on the sample event "
            "(type /start).",
            file=sys.stderr,
        )
        chat_args = argparse.Namespace(
            lang=None,
            user=1001,
            name="Delegate",
            consultation=None,
            at=None,
            env_keys=args.env_keys,
        )
        return cmd_chat(chat_args, config)
    from bot.app import build_application

    events = _load(config.data_dir)
    if events is None:
        return 1
    application = build_application(config, events)
    logger.info("Starting the bot with long polling (%d consultations)", len(events.consultations))
    application.run_polling(allowed_updates=["message", "callback_query", "my_chat_member"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="IOM–NGO Humanitarian Consultations participant bot."
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the console chat when no token is set)")
    chat = commands.add_parser("chat", help="chat with the bot in this terminal, no Telegram")
    chat.add_argument("--lang", choices=["en", "fr", "es", "ar"], help="your client language")
    chat.add_argument("--user", type=int, default=1001, help="your Telegram user id")
    chat.add_argument("--name", default="Delegate", help="your first name")
    chat.add_argument("--consultation", help="the consultation you attend (its id)")
    chat.add_argument(
        "--at", help="pretend the clock reads this local time, e.g. 2026-12-08T10:15"
    )
    check = commands.add_parser("check", help="validate the event data files")
    check.add_argument("dir", nargs="?", help="data directory (default: DATA_DIR or data/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import os

    # Let PTB report retry_after as a timedelta (and not warn on every 429).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    args.env_keys = set(os.environ)
    console = args.command == "chat" or (args.command in (None, "run") and not config.token)
    configure_logging(config.token, logging.WARNING if console else logging.INFO)
    handlers = {"run": cmd_run, "chat": cmd_chat, "check": cmd_check, None: cmd_run}
    return handlers[args.command](args, config)


if __name__ == "__main__":
    sys.exit(main())
