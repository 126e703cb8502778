"""`python -m bot web`: the programme's web pages alone, on this machine, for trying them."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from bot.cli.data import load_events
from bot.config import Config
from bot.i18n import compile_catalogs

logger = logging.getLogger(__name__)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "web",
        help="serve the programme's web pages alone on 127.0.0.1 (for trying them)",
        description="Serve the programme as web pages (/c/<consultation>/) on this machine, "
        "on the data directory (DATA_DIR, the bundled sample by default), without the bot. "
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
    site = build_site(lambda: events, bot_username=lambda: config.bot_username)
    port = args.port or config.web_port
    print(f"The programme on http://127.0.0.1:{port}/c/ (Ctrl-C to stop)")
    web.run_app(standalone(site), host="127.0.0.1", port=port, print=None, access_log=None)
    return 0
