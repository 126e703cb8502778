"""`python -m bot COMMAND`: dispatches to the command's module in bot/cli/ (run by default)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.cli import (
    ask,
    backup,
    broadcast,
    chairs,
    chat,
    check,
    feedback,
    health,
    import_data,
    reload,
    restore,
    run,
    signups,
    web,
)
from bot.cli.logs import configure_logging, console_log
from bot.config import Config, ConfigError
from bot.storage.lock import DatabaseBusy

# In the order `--help` lists them.
COMMANDS = (
    run,
    chat,
    check,
    reload,
    import_data,
    backup,
    restore,
    health,
    ask,
    feedback,
    broadcast,
    signups,
    chairs,
    web,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="IOM–NGO Humanitarian Consultations participant bot."
    )
    commands = parser.add_subparsers(dest="command")
    for module in COMMANDS:
        module.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Let PTB report retry_after as a timedelta (and not warn on every 429).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    console = args.command == "chat" or (args.command in (None, "run") and not config.token)
    if console and not getattr(args, "verbose", False):
        # The conversation is on the terminal: log lines go to a file, unless -v.
        configure_logging(config.token, file=console_log(config))
    else:
        configure_logging(config.token)
    handler = getattr(args, "handler", run.run)
    try:
        code: int = handler(args, config)
    except DatabaseBusy as exc:
        # The database is being restored: the bot and every command wait for it.
        print(exc, file=sys.stderr)
        return 1
    except ConfigError as exc:  # found at start: the anonymity key, say
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
