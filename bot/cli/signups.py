"""`python -m bot signups SESSION --format csv|xlsx`: a session's sign-up list as a file, as
organisers export it in the chat (safe while the bot runs)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.data import consultation_with, load_events
from bot.clock import SystemClock
from bot.config import Config
from bot.handlers.signups import signup_table
from bot.i18n import SUPPORTED, compile_catalogs, use_language
from bot.services.exports import FORMATS, render
from bot.services.feedback import Table
from bot.services.signups import Signups, takes_signups
from bot.storage.database import Database
from bot.storage.signups import SignupStore


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "signups",
        help="write a session's sign-up list (seats, then the waiting list) as CSV or XLSX",
    )
    parser.add_argument("session", help="the session's id in sessions.yaml")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="csv (default) or xlsx")
    parser.add_argument(
        "--consultation", help="the consultation's id (needed when several have the session)"
    )
    parser.add_argument(
        "--out", help="the file to write (default: <consultation>-signups-<session>.<format>)"
    )
    parser.add_argument(
        "--lang", choices=SUPPORTED, help="language of the headers (default: the consultation's)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    events = load_events(config.data_dir)
    if events is None:
        return 1
    consultation = consultation_with(
        events,
        args.consultation,
        args.session,
        takes_signups,
        "No session '{session}' with sign-ups (signup: true) in the data.",
    )
    if isinstance(consultation, str):
        print(consultation, file=sys.stderr)
        return 2
    compile_catalogs()

    async def export() -> Table:
        database = await Database.open(config.database_path)
        try:
            signups = Signups(SignupStore(database.connection), SystemClock(), lambda: events)
            roster = await signups.roster(consultation, args.session, organiser=True)
        finally:
            await database.close()
        with use_language(args.lang or consultation.default_language):
            return signup_table(roster, consultation)

    table = asyncio.run(export())
    out = Path(args.out or f"{consultation.id}-signups-{args.session}.{args.format}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render(table, args.format))
    print(f"{len(table.rows)} sign-ups written to {out}")
    return 0
