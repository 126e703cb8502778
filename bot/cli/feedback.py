"""`python -m bot qr | export | role`: room-door QR codes, feedback exports, moderator roles."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

from bot.cli.data import load_events, unknown_consultation
from bot.clock import SystemClock
from bot.config import Config
from bot.i18n import DEFAULT, SUPPORTED, compile_catalogs, counted
from bot.services.exports import format_for, render
from bot.services.feedback import Feedback, Table
from bot.services.panel import PanelQuestions
from bot.services.people import ROLES
from bot.services.polls import poll_table
from bot.services.qrcodes import QR_FORMATS, write_cards
from bot.storage.database import Database
from bot.storage.feedback import FeedbackStore
from bot.storage.panel import PanelStore
from bot.storage.polls import PollStore
from bot.storage.users import UserStore

EXPORTS = ("feedback", "survey", "recommendations", "polls", "questions")
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    qr = commands.add_parser(
        "qr", help="write a printable QR code per session that opens its feedback in the bot"
    )
    qr.add_argument("--out", required=True, help="directory for the images")
    qr.add_argument("--consultation", help="only this consultation (default: all)")
    qr.add_argument("--format", choices=QR_FORMATS, default="png", help="png (default) or svg")
    qr.add_argument("--lang", choices=SUPPORTED, help="language of the titles")
    qr.add_argument(
        "--bot", help="the bot's username, as in t.me/<username> (default: BOT_USERNAME)"
    )
    qr.add_argument(
        "--caption",
        help="text under the code (default: 'Scan to rate this session' in the card's language)",
    )

    qr.set_defaults(handler=cmd_qr)
    export = commands.add_parser(
        "export",
        help="export feedback, survey answers, recommendations, poll results or the questions "
        "to the panels (CSV or XLSX)",
    )
    export.add_argument("what", choices=EXPORTS)
    export.add_argument("--consultation", required=True, help="the consultation's id")
    export.add_argument("--out", required=True, help="the file to write: .csv or .xlsx")
    export.add_argument(
        "--lang", choices=SUPPORTED, default=DEFAULT, help="language of the headers (default: en)"
    )

    export.set_defaults(handler=cmd_export)
    role = commands.add_parser("role", help="grant, remove or list moderator and organiser roles")
    role.set_defaults(handler=cmd_role)
    actions = role.add_subparsers(dest="action", required=True)
    for action in ("add", "remove"):
        sub = actions.add_parser(action, help=f"{action} a role")
        sub.add_argument("user_id", type=int, help="the person's Telegram user id")
        sub.add_argument("role", choices=ROLES)
    actions.add_parser("list", help="list the roles (database and configuration)")


def cmd_qr(args: argparse.Namespace, config: Config) -> int:
    username = (args.bot or os.environ.get("BOT_USERNAME", "")).lstrip("@")
    if not _USERNAME.match(username):
        print("Give the bot's username with --bot NAME (or set BOT_USERNAME).", file=sys.stderr)
        return 2
    events = load_events(config.data_dir)
    if events is None:
        return 1
    if args.consultation and events.get(args.consultation) is None:
        print(unknown_consultation(events, args.consultation), file=sys.stderr)
        return 2
    chosen = (
        [events.consultations[args.consultation]]
        if args.consultation
        else list(events.consultations.values())
    )
    out = Path(args.out)
    compile_catalogs()
    for consultation in chosen:
        cards = write_cards(
            consultation, username, out, fmt=args.format, lang=args.lang, caption=args.caption
        )
        print(f"{consultation.id}: {counted(len(cards), 'QR code', 'QR codes')} in {out}")
    return 0


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    events = load_events(config.data_dir)
    if events is None:
        return 1
    consultation = events.get(args.consultation)
    if consultation is None:
        print(unknown_consultation(events, args.consultation), file=sys.stderr)
        return 2
    out = Path(args.out)
    compile_catalogs()

    async def export() -> Table:
        database = await Database.open(config.database_path)
        try:
            if args.what == "polls":
                store = PollStore(database.connection)
                return await poll_table(store, events, consultation.id, args.lang)
            # Without the anonymity key: an export never says whose a row is.
            panel = PanelQuestions(
                PanelStore(database.connection), SystemClock(), lambda: events, None
            )
            feedback = Feedback(
                FeedbackStore(database.connection),
                UserStore(database.connection),
                events,
                SystemClock(),
                more_tables={"questions": panel.table},
            )
            return await feedback.table(args.what, consultation, args.lang)
        finally:
            await database.close()

    table = asyncio.run(export())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render(table, format_for(out)))
    print(f"{counted(len(table.rows), 'row', 'rows')} written to {out}")
    return 0


def cmd_role(args: argparse.Namespace, config: Config) -> int:
    async def change() -> list[tuple[int, str]]:
        database = await Database.open(config.database_path)
        try:
            users = UserStore(database.connection)
            if args.action == "add":
                await users.add_role(args.user_id, args.role, SystemClock().now())
            elif args.action == "remove" and not await users.remove_role(args.user_id, args.role):
                print(f"{args.user_id} did not have the role {args.role}", file=sys.stderr)
            return await users.all_roles()
        finally:
            await database.close()

    stored = asyncio.run(change())
    if args.action != "list":
        print(f"{args.action}: {args.user_id} {args.role}")
        return 0
    rows = [(user_id, role, "database") for user_id, role in stored]
    rows += [(user_id, "organiser", "configuration") for user_id in sorted(config.organisers)]
    rows += [(user_id, "moderator", "configuration") for user_id in sorted(config.moderators)]
    if not rows:
        print("No roles: set ORGANISER_IDS / MODERATOR_IDS or use `role add`.")
    for user_id, role, source in sorted(rows, key=lambda r: (r[1], r[0])):
        print(f"{user_id}\t{role}\t({source})")
    return 0
