"""`python -m bot run` (the default): the bot on Telegram, or the console chat without a token."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.cli import chat
from bot.cli.data import load_events
from bot.config import Config
from bot.services.data_reading import summarised
from bot.services.event_data import EventData

logger = logging.getLogger("bot")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run_parser = commands.add_parser(
        "run", help="run the bot (the console chat when no token is set)"
    )
    run_parser.add_argument(
        "--webhook", metavar="URL", help="webhook mode at this public https URL"
    )
    run_parser.add_argument("--listen", help="address the webhook server binds (default 0.0.0.0)")
    run_parser.add_argument(
        "--port", type=int, help="port the webhook server binds (default 8080)"
    )
    run_parser.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    if not config.token:
        print(
            "TELEGRAM_BOT_TOKEN is not set: opening the local console chat on the sample event "
            "(type /start).",
            file=sys.stderr,
        )
        chat_args = argparse.Namespace(
            lang=None,
            user=1001,
            name="Delegate",
            consultation=None,
            at=None,
            data=None,
            verbose=False,
        )
        return chat.run(chat_args, config)
    from bot.webhook import catch_early_stop

    catch_early_stop()
    logger.info("Loading the event data and starting")
    events = load_events(config.data_dir)
    if events is None:
        return 1
    return serve(args, config, events)


def serve(args: argparse.Namespace, config: Config, events: EventData) -> int:
    """Webhook mode with --webhook or WEBHOOK_URL, long polling otherwise; stops on SIGTERM."""
    import secrets

    from bot.app import BOT_API_CONNECTIONS, build_application
    from bot.transport import SpreadRequest
    from bot.webhook import PollingWatchdog, WatchedRequest, run_polling, run_webhook

    for warning in summarised(events.warnings):
        logger.warning("Event data: %s", warning)
    url = getattr(args, "webhook", None) or config.webhook_url
    if url:
        application = build_application(config, events, request=SpreadRequest(BOT_API_CONNECTIONS))
        logger.info(
            "Starting the bot with a webhook (%d consultations)", len(events.consultations)
        )
        run_webhook(
            application,
            url=url,
            # Without a configured secret, a fresh one each start: Telegram learns it anew.
            secret=config.webhook_secret or secrets.token_urlsafe(32),
            listen=getattr(args, "listen", None) or config.webhook_listen,
            port=getattr(args, "port", None) or config.port,
        )
        return 0
    watchdog = PollingWatchdog()
    application = build_application(
        config,
        events,
        request=SpreadRequest(BOT_API_CONNECTIONS),
        get_updates_request=WatchedRequest(watchdog),
    )
    logger.info("Starting the bot with long polling (%d consultations)", len(events.consultations))
    run_polling(application, watchdog)
    return 0
