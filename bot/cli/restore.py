"""`python -m bot restore FILE`: put a backup in place of the database, the bot stopped."""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.storage.backup import RestoreError, restore_database
from bot.storage.database import latest_schema_version
from bot.storage.lock import DatabaseBusy


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "restore",
        help="put a backup in place of the database (stop the bot first)",
        description="Check that FILE is a sound database of this bot, set the current database "
        "(DATABASE_PATH) and its -wal/-shm files aside in a dated folder beside it, put the "
        "backup in their place and check it. Refused while the bot or another command has "
        "the database open.",
    )
    parser.set_defaults(handler=run)
    parser.add_argument("file", help="the backup to restore (from python -m bot backup)")


def run(args: argparse.Namespace, config: Config) -> int:
    backup = Path(args.file)
    database = config.database_path
    try:
        restored = restore_database(backup, database, now=datetime.now(UTC))
    except (DatabaseBusy, RestoreError) as exc:
        print(f"Nothing restored. {exc}", file=sys.stderr)
        return 1
    print(f"Restored {backup} into {database} (integrity check: ok).")
    if restored.aside is None:
        print(f"There was no database at {database}; nothing was set aside.")
    else:
        print(f"The files it replaced ({', '.join(restored.moved)}) are in {restored.aside}/.")
        if database.name in restored.moved:
            undo = shlex.quote(str(restored.aside / database.name))
            print(f"To undo, stop the bot again and run: python -m bot restore {undo}")
    latest = latest_schema_version()
    if restored.schema < latest:
        print(
            f"The backup has schema version {restored.schema}; the bot brings it to {latest} "
            "when it starts."
        )
    print("Start the bot again.")
    return 0
