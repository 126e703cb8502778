"""`python -m bot web`: the programme's web pages alone, on this machine, for trying them."""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.data import load_events
from bot.config import Config
from bot.i18n import compile_catalogs
from bot.services.event_data import EventData

if TYPE_CHECKING:
    from aiohttp import web

logger = logging.getLogger(__name__)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "web",
        help="serve the programme's web pages alone on 127.0.0.1 (for trying them)",
        description="Serve the programme as web pages (/c/<consultation>/) on this machine, "
        "on the data directory (DATA_DIR, the bundled sample by default), without the bot; "
        "and the room screens (/wall/<secret>) on the bot's database (DATABASE_PATH), which "
        "they follow while the bot runs in another process. "
        "With the bot, the pages are served beside the webhook, or on WEB_PORT when "
        "WEB_BASE_URL is set in polling mode.",
    )
    parser.set_defaults(handler=run)
    parser.add_argument("--port", type=int, help="port to listen on (default WEB_PORT, 8081)")
    parser.add_argument("--data", help="the data directory (default DATA_DIR)")


def run(args: argparse.Namespace, config: Config) -> int:
    from aiohttp import web

    from bot.web.site import build_site, standalone

    events = load_events(Path(args.data) if args.data else config.data_dir)
    if events is None:
        return 1
    compile_catalogs()
    site = build_site(
        lambda: events,
        bot_username=lambda: config.bot_username,
        walls=standalone_walls(config, lambda: events),
    )
    port = args.port or config.web_port
    print(f"The programme on http://127.0.0.1:{port}/c/ (Ctrl-C to stop)")
    web.run_app(standalone(site), host="127.0.0.1", port=port, print=None, access_log=None)
    return 0


def standalone_walls(config: Config, events: Callable[[], EventData]) -> web.Application:
    """The room screens on the bot's database, opened when the server starts; each screen is
    read every second or so (the bot, in another process, cannot wake it)."""

    from bot.clock import SystemClock
    from bot.services.walls import Walls
    from bot.storage.database import Database
    from bot.storage.panel import PanelStore
    from bot.storage.polls import PollStore
    from bot.storage.walls import WallStore
    from bot.web.wall import WallHub, WallRenderer, build_walls, wall_templates

    opened: list[Walls] = []
    renderer = WallRenderer(wall_templates(), lambda: config.bot_username)
    app = build_walls(WallHub(lambda: opened[0], renderer))

    async def database(app: web.Application) -> AsyncIterator[None]:
        db = await Database.open(config.database_path)
        connection = db.connection
        opened.append(
            Walls(
                WallStore(connection),
                PanelStore(connection),
                PollStore(connection),
                events,
                SystemClock(),
            )
        )
        try:
            yield
        finally:
            await db.close()

    app.cleanup_ctx.append(database)
    return app
