"""`python -m bot import`: bring a programme in from a frab/pretalx export or a spreadsheet."""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import date
from pathlib import Path

from bot.config import Config
from bot.services.importers import FORMATS, ImportFailed
from bot.services.importers.spreadsheet import write_template
from bot.services.importing import apply_import, describe, plan_import


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "import",
        help="import a programme (frab/pretalx JSON or XML, CSV, XLSX) into a consultation",
        description="Replace a consultation's sessions with those of a frab/pretalx schedule "
        "export or a spreadsheet. Session ids stay stable across re-imports. See docs/import.md.",
    )
    parser.set_defaults(handler=run)
    parser.add_argument("file", nargs="?", help="the file to import")
    parser.add_argument("--consultation", help="the consultation's id (its directory in data/)")
    parser.add_argument("--format", choices=FORMATS, help="the file's format (default: guessed)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change, change nothing"
    )
    parser.add_argument("--data", help="the data directory (default: DATA_DIR or data/)")
    parser.add_argument(
        "--adjust-dates",
        action="store_true",
        help="set the consultation's start and end to the programme's first and last day",
    )
    parser.add_argument(
        "--no-reload",
        action="store_true",
        help="write the files only; do not ask the running bot to reload",
    )
    parser.add_argument(
        "--wait", type=float, default=10.0, help="seconds to wait for the running bot's answer"
    )
    parser.add_argument(
        "--template",
        metavar="FILE",
        help="write a spreadsheet template (.xlsx or .csv) with the columns and an example",
    )


def _template(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    path = Path(args.template)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        print("--template: name a .xlsx or .csv file", file=sys.stderr)
        return 2
    if path.exists():
        print(f"{path} already exists; choose another name", file=sys.stderr)
        return 2
    first_day = date(2026, 12, 8)
    if args.consultation:
        from bot.services.data_reading import EventDataError
        from bot.services.event_data import load_consultation

        with contextlib.suppress(EventDataError):
            first_day = load_consultation(data_dir / args.consultation).start
    write_template(path, first_day)
    print(f"Wrote {path}: fill in one row per session (columns: docs/import.md), then")
    print(f"  python -m bot import {path} --consultation ID --dry-run")
    return 0


def run(args: argparse.Namespace, config: Config) -> int:
    data_dir = Path(args.data) if args.data else config.data_dir
    if args.template:
        return _template(args, config, data_dir)
    if not args.file or not args.consultation:
        print(
            "usage: python -m bot import FILE --consultation ID [--dry-run], "
            "or python -m bot import --template FILE.xlsx",
            file=sys.stderr,
        )
        return 2
    try:
        plan = plan_import(
            data_dir,
            args.consultation,
            Path(args.file),
            args.format,
            adjust_dates=args.adjust_dates,
        )
        print(describe(plan, dry_run=args.dry_run))
        if args.dry_run or plan.is_noop:
            if args.dry_run:
                print("Dry run: nothing was changed.")
            return 0
        apply_import(plan)
    except ImportFailed as exc:
        print("Import failed; nothing was changed:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"Wrote {plan.directory / 'sessions.yaml'}.")
    return _notify_running_bot(args, config, data_dir)


def _notify_running_bot(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    """Have the running bot reload, as `python -m bot reload` does: delegates hear of changes."""
    if args.no_reload or data_dir.resolve() != config.data_dir.resolve():
        print(
            "The running bot picks the new programme up on its next reload "
            "(python -m bot reload, or a restart)."
        )
        return 0
    from bot.cli import reload

    print("Asking the running bot to reload (delegates with a changed session are told)…")
    return reload.run(argparse.Namespace(wait=args.wait), config)
