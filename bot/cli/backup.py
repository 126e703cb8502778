"""`python -m bot backup FILE`: copy the database while the bot runs."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from bot.config import Config
from bot.storage.backup import backup_database


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "backup",
        help="copy the database to FILE (safe while the bot runs)",
        description="Copy the SQLite database (DATABASE_PATH) with SQLite's online backup, "
        "consistent even while the bot is writing. Restore it with python -m bot restore FILE "
        "(the bot stopped): copying it over the database would leave the database's -wal file "
        "to be applied to it.",
    )
    parser.set_defaults(handler=run)
    parser.add_argument("file", help="where to write the copy")


def run(args: argparse.Namespace, config: Config) -> int:
    target = Path(args.file)
    try:
        backup_database(config.database_path, target)
    except (FileNotFoundError, sqlite3.Error, OSError) as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"Backed up {config.database_path} to {target}")
    return 0
