"""Command line: run the bot (Telegram, or the console chat without a token), check the data."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot import (
    ask_command,
    backup_command,
    broadcast_command,
    feedback_commands,
    import_command,
    restore_command,
)
from bot.command_line import load_events, unknown_consultation
from bot.config import Config, ConfigError
from bot.i18n import SUPPORTED
from bot.services.event_data import EventData
from bot.storage.lock import DatabaseBusy

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


class RedactUpdates(logging.Filter):
    """An update (or any Telegram object) given to a log call shows as its type and update id:
    python-telegram-bot logs whole updates in a few error messages, names and texts included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(map(_telegram_object, record.args)):
            record.args = tuple(
                _summary(arg) if _telegram_object(arg) else arg for arg in record.args
            )
        return True


def _telegram_object(value: object) -> bool:
    return type(value).__module__.startswith("telegram.") and hasattr(value, "to_dict")


def _summary(value: object) -> str:
    kind = type(value).__name__
    ident = getattr(value, "update_id", None)
    return f"<{kind} {ident}>" if ident is not None else f"<{kind}>"


def configure_logging(token: str | None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactUpdates())
    handler.addFilter(RedactToken(token))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    data_dir = Path(args.dir) if args.dir else config.data_dir
    events = load_events(data_dir)
    if events is None:
        return 1
    for consultation in events.consultations.values():
        print(
            f"{consultation.id}: {len(consultation.sessions)} sessions, "
            f"{len(consultation.topics)} logistics topics, {len(consultation.faq)} FAQ entries"
        )
    for warning in events.warnings:
        print(f"Warning: {warning.relative_to(data_dir)}", file=sys.stderr)
    print("OK")
    return 0


def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    from bot.console import parse_at, run_console

    events = load_events(config.data_dir)
    if events is None:
        return 1
    if args.consultation and events.get(args.consultation) is None:
        print(unknown_consultation(events, args.consultation), file=sys.stderr)
        return 2
    at: datetime | None = None
    if args.at:
        try:
            at = parse_at(args.at, events, args.consultation)
        except ValueError as exc:
            print(exc, file=sys.stderr)
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
    events = load_events(config.data_dir)
    if events is None:
        return 1
    return serve(args, config, events)


def serve(args: argparse.Namespace, config: Config, events: EventData) -> int:
    """Webhook mode with --webhook or WEBHOOK_URL, long polling otherwise; stops on SIGTERM."""
    import secrets

    from telegram.request import HTTPXRequest

    from bot.app import BOT_API_CONNECTIONS, build_application
    from bot.webhook import PollingWatchdog, WatchedRequest, run_polling, run_webhook

    for warning in events.warnings:
        logger.warning("Event data: %s", warning)
    url = getattr(args, "webhook", None) or config.webhook_url
    if url:
        application = build_application(
            config, events, request=HTTPXRequest(connection_pool_size=BOT_API_CONNECTIONS)
        )
        logger.info(
            "Starting the bot with a webhook (%d consultations)", len(events.consultations)
        )
        run_webhook(
            application,
            url=url,
            # Without a configured secret, a fresh one each start: Telegram learns it anew.
            secret=config.webhook_secret or secrets.token_urlsafe(32),
            listen=getattr(args, "listen", None) or config.webhook_listen,
            port=getattr(args, "port", None) or config.port,
        )
        return 0
    watchdog = PollingWatchdog()
    application = build_application(
        config,
        events,
        request=HTTPXRequest(connection_pool_size=BOT_API_CONNECTIONS),
        get_updates_request=WatchedRequest(watchdog),
    )
    logger.info("Starting the bot with long polling (%d consultations)", len(events.consultations))
    run_polling(application, watchdog)
    return 0


def cmd_reload(args: argparse.Namespace, config: Config) -> int:
    """Validate the data, then ask the running bot to reload it and print what it did."""
    import time
    import uuid

    from bot.services.programme import ReloadRequests

    if load_events(config.data_dir) is None:
        print("Nothing was reloaded; the running bot keeps its programme.", file=sys.stderr)
        return 1
    requests = ReloadRequests(config.database_path.parent)
    token = uuid.uuid4().hex
    requests.ask(token)
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        answer = requests.answer_for(token)
        if answer is not None:
            ok, lines = answer
            print("\n".join(lines))
            return 0 if ok else 1
        time.sleep(0.2)
    print(
        f"The data is valid and a reload is requested in {requests.request_file}; "
        "no running bot answered yet (it checks every 2 seconds and reloads when it starts)."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="IOM–NGO Humanitarian Consultations participant bot."
    )
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run the bot (the console chat when no token is set)")
    run.add_argument("--webhook", metavar="URL", help="webhook mode at this public https URL")
    run.add_argument("--listen", help="address the webhook server binds (default 0.0.0.0)")
    run.add_argument("--port", type=int, help="port the webhook server binds (default 8080)")
    chat = commands.add_parser("chat", help="chat with the bot in this terminal, no Telegram")
    chat.add_argument("--lang", choices=SUPPORTED, help="your client language")
    chat.add_argument("--user", type=int, default=1001, help="your Telegram user id")
    chat.add_argument("--name", default="Delegate", help="your first name")
    chat.add_argument("--consultation", help="the consultation you attend (its id)")
    chat.add_argument(
        "--at", help="pretend the clock reads this local time, e.g. 2026-12-08T10:15"
    )
    reload = commands.add_parser(
        "reload", help="validate the event data and have the running bot reload it"
    )
    reload.add_argument(
        "--wait", type=float, default=10.0, help="seconds to wait for the bot's answer"
    )
    check = commands.add_parser("check", help="validate the event data files")
    check.add_argument("dir", nargs="?", help="data directory (default: DATA_DIR or data/)")
    import_command.add_parser(commands)
    backup_command.add_parser(commands)
    restore_command.add_parser(commands)
    ask_command.add_parser(commands)
    feedback_commands.add_parsers(commands)
    broadcast_command.add_parsers(commands)
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
    handlers["import"] = import_command.run
    handlers["backup"] = backup_command.run
    handlers["restore"] = restore_command.run
    handlers["ask"] = ask_command.run
    handlers["reload"] = cmd_reload
    handlers.update(feedback_commands.HANDLERS)
    handlers.update(broadcast_command.HANDLERS)
    try:
        return handlers[args.command](args, config)
    except DatabaseBusy as exc:
        # The database is being restored: the bot and every command wait for it.
        print(exc, file=sys.stderr)
        return 1
    except ConfigError as exc:  # found at start: the anonymity key, say
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
