"""`python -m bot chairs SESSION add|remove USER_ID | list`: a session's chairs and moderators,
who approve, pin and mark answered the audience's questions (safe while the bot runs)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli.data import consultation_with, load_events
from bot.clock import SystemClock
from bot.config import Config
from bot.services.panel import PanelQuestions
from bot.storage.database import Database
from bot.storage.panel import PanelStore


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "chairs",
        help="name, remove or list a session's chairs and moderators (the audience's questions)",
    )
    parser.add_argument("session", help="the session's id in sessions.yaml")
    parser.add_argument(
        "--consultation", help="the consultation's id (needed when several have the session)"
    )
    parser.set_defaults(handler=run)
    actions = parser.add_subparsers(dest="action", required=True)
    for action in ("add", "remove"):
        sub = actions.add_parser(action, help=f"{action} a chair")
        sub.add_argument("user_id", type=int, help="the person's Telegram user id")
    actions.add_parser("list", help="list the session's chairs (database and sessions.yaml)")


def run(args: argparse.Namespace, config: Config) -> int:
    events = load_events(config.data_dir)
    if events is None:
        return 1
    consultation = consultation_with(events, args.consultation, args.session)
    if isinstance(consultation, str):
        print(consultation, file=sys.stderr)
        return 2
    session = consultation.session(args.session)
    assert session is not None
    if args.action != "list" and args.user_id <= 0:
        print("A Telegram user id is a positive number.", file=sys.stderr)
        return 2

    async def change() -> tuple[bool, list[tuple[int, bool]]]:
        database = await Database.open(config.database_path)
        try:
            panel = PanelQuestions(
                PanelStore(database.connection), SystemClock(), lambda: events, None
            )
            changed = False
            if args.action == "add":
                changed = await panel.add_chair(consultation, session.id, args.user_id)
            elif args.action == "remove":
                changed = await panel.remove_chair(consultation, session.id, args.user_id)
            return changed, await panel.chairs(consultation, session)
        finally:
            await database.close()

    changed, chairs = asyncio.run(change())
    if args.action == "remove" and not changed:
        where = "named in sessions.yaml" if args.user_id in session.chairs else "not a chair"
        print(f"{args.user_id} is {where} of {session.id}; nothing removed", file=sys.stderr)
        return 1
    if args.action != "list":
        print(f"{args.action}: {args.user_id} chairs {consultation.id}/{session.id}")
        return 0
    if not chairs:
        print(f"{session.id} has no chairs (organisers can always chair).")
    for user_id, listed in chairs:
        print(f"{user_id}\t({'sessions.yaml' if listed else 'database'})")
    return 0
