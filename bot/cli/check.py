"""`python -m bot check`: validate the event data files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.data import load_events
from bot.config import Config
from bot.services.data_reading import WARNINGS_LISTED, summarised


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser("check", help="validate the event data files")
    check.add_argument("dir", nargs="?", help="data directory (default: DATA_DIR or data/)")
    check.add_argument(
        "--all",
        action="store_true",
        help=f"list every warning (by default at most {WARNINGS_LISTED} per file, then a count)",
    )
    check.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    data_dir = Path(args.dir) if args.dir else config.data_dir
    events = load_events(data_dir)
    if events is None:
        return 1
    for consultation in events.consultations.values():
        print(
            f"{consultation.id}: {len(consultation.sessions)} sessions, "
            f"{len(consultation.topics)} logistics topics, {len(consultation.faq)} FAQ entries"
            + (f", {len(consultation.speakers)} speakers" if consultation.speakers else "")
        )
    warnings = events.warnings if args.all else summarised(events.warnings)
    for warning in warnings:
        print(f"Warning: {warning.relative_to(data_dir)}", file=sys.stderr)
    print("OK")
    return 0
