"""The pages beside the bot: on the webhook's server, or on their own port in polling mode."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.context import BotApplication, Services
from bot.web.feed import build_feeds
from bot.web.site import build_site, mount

logger = logging.getLogger(__name__)


def site_for(application: BotApplication) -> web.Application | None:
    """The pages on the bot's own services (None before they are set up)."""
    services: Services | None = application.bot_data.get("services")
    if services is None:
        return None
    config = services.config

    def username() -> str | None:
        # The configured one, else the bot's own (known once the application is initialised).
        return config.bot_username or application.bot.username

    return build_site(
        lambda: services.events,
        bot_username=username,
        facets=services.agenda.facets,
        search=services.agenda.search,
        feeds=build_feeds(services.calendar_feeds, services.clock),
    )


async def start_beside_polling(application: BotApplication) -> web.AppRunner | None:
    """In polling mode with WEB_BASE_URL set: serve the pages on WEB_PORT; else nothing."""
    services: Services | None = application.bot_data.get("services")
    if services is None or not services.config.web_base_url:
        return None
    site = site_for(application)
    if site is None:
        return None
    root = web.Application()
    mount(root, site)
    runner = web.AppRunner(root, access_log=None, shutdown_timeout=5)
    await runner.setup()
    config = services.config
    await web.TCPSite(runner, config.webhook_listen, config.web_port).start()
    logger.info("Web pages on %s:%s", config.webhook_listen, config.web_port)
    return runner
