"""`python -m bot signups SESSION --format csv|xlsx`: a session's sign-up list as a file, as
organisers export it in the chat (safe while the bot runs)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.data import load_events, unknown_consultation
from bot.clock import SystemClock
from bot.config import Config
from bot.handlers.signups import signup_table
from bot.i18n import SUPPORTED, compile_catalogs, use_language
from bot.services.event_data import Consultation, EventData
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


def _consultation(events: EventData, args: argparse.Namespace) -> Consultation | str:
    """The consultation with the session's sign-ups, or what to print instead."""
    if args.consultation:
        chosen = events.get(args.consultation)
        if chosen is None:
            return unknown_consultation(events, args.consultation)
        candidates = [chosen]
    else:
        candidates = list(events.consultations.values())
    found = [
        c for c in candidates if (s := c.session(args.session)) is not None and takes_signups(s)
    ]
    if not found:
        return f"No session '{args.session}' with sign-ups (signup: true) in the data."
    if len(found) > 1:
        names = ", ".join(c.id for c in found)
        return f"Several consultations have a session '{args.session}' ({names}): --consultation"
    return found[0]


def run(args: argparse.Namespace, config: Config) -> int:
    events = load_events(config.data_dir)
    if events is None:
        return 1
    consultation = _consultation(events, args)
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
