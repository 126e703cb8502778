"""`python -m bot reload`: validate the data, then have the running bot reload it."""

from __future__ import annotations

import argparse
import sys

from bot.cli.data import load_events
from bot.config import Config


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reload = commands.add_parser(
        "reload", help="validate the event data and have the running bot reload it"
    )
    reload.add_argument(
        "--wait", type=float, default=10.0, help="seconds to wait for the bot's answer"
    )
    reload.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
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
