"""`python -m bot health`: whether the running bot is healthy, in one line; exit 0 or 1.

Docker's HEALTHCHECK runs it (Dockerfile, docker-compose.yml).
"""

from __future__ import annotations

import argparse

from bot.config import Config


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "health",
        help="say whether the running bot is healthy (exit 0) or not (exit 1), in one line",
        description="Healthy when the database (DATABASE_PATH) can be read and is at this "
        "version's schema, and updates arrive: in long polling, a getUpdates succeeded (and its "
        "updates were stored) less than HEALTH_STALE_SECONDS ago (default 180); in webhook mode, "
        "the webhook server's GET /healthz answers ok. The running bot keeps a heartbeat file "
        "beside the database for this.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from bot.clock import SystemClock
    from bot.services.health import diagnose

    verdict = diagnose(
        config.database_path, stale_after=config.health_stale_after, now=SystemClock().now()
    )
    print(verdict.line())
    return 0 if verdict.healthy else 1
