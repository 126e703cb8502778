"""`python -m bot web`: the programme's web pages alone, on this machine, for trying them; with
the bot's database, the moderators' view (/mod/) and the room screens (/wall/) beside them."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from bot.cli.data import load_events
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.i18n import compile_catalogs
from bot.services.event_data import EventData

logger = logging.getLogger(__name__)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "web",
        help="serve the programme's web pages alone on 127.0.0.1 (for trying them)",
        description="Serve the programme as web pages (/c/<consultation>/) on this machine, "
        "on the data directory (DATA_DIR, the bundled sample by default), without the bot; "
        "and the moderators' view (/mod/) on the bot's database (DATABASE_PATH), entered with "
        "the links /dashboard sends, and the room screens (/wall/<secret>), which follow the "
        "bot's votes and polls from this other process. With the bot, the pages are served "
        "beside the webhook, or on WEB_PORT when WEB_BASE_URL is set in polling mode.",
    )
    parser.set_defaults(handler=run)
    parser.add_argument("--port", type=int, help="port to listen on (default WEB_PORT, 8081)")
    parser.add_argument("--data", help="the data directory (default DATA_DIR)")


def run(args: argparse.Namespace, config: Config) -> int:
    events = load_events(Path(args.data) if args.data else config.data_dir)
    if events is None:
        return 1
    compile_catalogs()
    port = args.port or config.web_port
    print(f"The programme on http://127.0.0.1:{port}/c/ (Ctrl-C to stop)")
    print(f"The moderators' view on http://127.0.0.1:{port}/mod/ (a link from /dashboard)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, events, port))
    return 0


async def serve(
    config: Config,
    events: EventData,
    port: int,
    *,
    clock: Clock | None = None,
    ready: asyncio.Future[int] | None = None,
) -> None:
    """The pages and the moderators' view until cancelled; `ready` gets the port once they
    are served (port 0: a free one)."""
    from aiohttp import web

    from bot.services.feedback import Feedback, Table
    from bot.services.moderator_web import ModeratorWeb
    from bot.services.panel import PanelQuestions
    from bot.services.people import People
    from bot.services.polls import poll_table
    from bot.services.privacy import open_anonymity
    from bot.services.walls import Walls
    from bot.storage.database import Database
    from bot.storage.feedback import FeedbackStore
    from bot.storage.panel import PanelStore
    from bot.storage.polls import PollStore
    from bot.storage.users import UserStore
    from bot.storage.walls import WallStore
    from bot.storage.web_logins import WebLoginStore
    from bot.web.moderation import build_moderation, make_desk
    from bot.web.site import MODERATION_APP_KEY, build_site, standalone
    from bot.web.wall import WallHub, WallRenderer, build_walls, wall_templates

    clock = clock or SystemClock()
    database = await Database.open(config.database_path)
    runner: web.AppRunner | None = None
    try:
        # As the bot opens it: the same key, or no start (ConfigError, worded by __main__).
        anonymity = await open_anonymity(database, config, clock.now())
        connection = database.connection
        people = People(
            UserStore(connection),
            events,
            clock,
            anonymity=anonymity,
            organisers=config.organisers,
            moderators=config.moderators,
            default_consultation=config.default_consultation,
        )
        panel = PanelQuestions(
            PanelStore(connection), clock, lambda: events, anonymity, organisers=config.organisers
        )
        feedback = Feedback(
            FeedbackStore(connection),
            UserStore(connection),
            events,
            clock,
            more_tables={"questions": panel.table},
        )

        async def polls(consultation_id: str, lang: str) -> Table:
            return await poll_table(PollStore(connection), events, consultation_id, lang)

        # The room screens: nothing in this process wakes them (the bot is another process),
        # so each wall's watcher reads it every second while a screen follows it.
        walls = Walls(
            WallStore(connection),
            PanelStore(connection),
            PollStore(connection),
            lambda: events,
            clock,
        )
        screens = build_walls(
            WallHub(lambda: walls, WallRenderer(wall_templates(), lambda: config.bot_username))
        )
        site = build_site(lambda: events, bot_username=lambda: config.bot_username, walls=screens)
        site[MODERATION_APP_KEY] = build_moderation(
            make_desk(
                ModeratorWeb(WebLoginStore(connection), clock, people.profile_now),
                lambda: events,
                feedback,
                panel,
                polls,
                people.reading_language,
                clock,
                config.web_base_url,
            )
        )
        runner = web.AppRunner(standalone(site), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        if ready is not None:
            ready.set_result(runner.addresses[0][1])
        await asyncio.Event().wait()
    finally:
        if runner is not None:
            await runner.cleanup()
        await database.close()
