"""The pages beside the bot: on the webhook's server, or on their own port in polling mode."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from telegram.error import TelegramError

from bot.config import Config
from bot.context import BotApplication, Services
from bot.handlers.start import mini_app_button
from bot.i18n import DEFAULT, use_language
from bot.web.feed import build_feeds
from bot.web.limits import MAX_BODY, Limits, trusted_networks
from bot.web.miniapp import build_mini_app
from bot.web.moderation import build_moderation, make_desk
from bot.web.site import MINI_APP_KEY, MODERATION_APP_KEY, build_site, mount
from bot.web.wall import WallHub, WallRenderer, build_walls, wall_templates
from bot.web.warming import warm_after_reloads

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

    hub = WallHub(lambda: services.walls, WallRenderer(wall_templates(), username))
    walls = build_walls(hub)

    # The bot runs in this process: its votes, questions and polls wake the screens at once.
    async def listen(app: web.Application) -> AsyncIterator[None]:
        services.panel.on_change.append(hub.wake)
        services.polls.on_change.append(hub.wake)
        yield
        services.panel.on_change.remove(hub.wake)
        services.polls.on_change.remove(hub.wake)

    walls.cleanup_ctx.append(listen)
    site = build_site(
        lambda: services.events,
        bot_username=username,
        facets=services.agenda.facets,
        search=services.agenda.search,
        feeds=build_feeds(services.calendar_feeds, services.clock),
        limits=Limits(trusted_proxies=trusted_networks(config.web_trusted_proxies)),
        walls=walls,
    )

    # A reload forgets the pages kept: the likeliest first ones are rendered again at once.
    warm_after_reloads(site, services.people.languages_read, services.reloader.after_swap)

    async def known(user_id: int) -> bool:
        return await services.people.get(user_id) is not None

    # The Mini App: the chat's own stars, for the user Telegram's initData vouches for.
    site[MINI_APP_KEY] = build_mini_app(
        site,
        services.agenda,
        bot_token=lambda: application.bot.token,
        now=services.clock.now,
        known=known,
        base_url=config.web_base_url,
    )
    # The moderators' view: /reviews's feedback, comments and exports, in a browser.
    site[MODERATION_APP_KEY] = build_moderation(
        make_desk(
            services.moderator_web,
            lambda: services.events,
            services.feedback,
            services.panel,
            services.polls.table,
            services.people.reading_language,
            services.clock,
            config.web_base_url,
        )
    )
    return site


async def publish_menu_button(application: BotApplication, config: Config) -> None:
    """With WEB_BASE_URL set, the bot's menu button opens the Mini App (bot/web/miniapp.py)."""
    if config.web_base_url and not config.web_base_url.startswith("https://"):
        # Telegram opens Mini Apps over https only (an http address is for trying the pages).
        logger.warning("WEB_BASE_URL is not https: the menu button does not open the Mini App")
    # Every chat's button, in the default language; a delegate's chat gets it in theirs when
    # they choose a language (publish_chat_menu).
    with use_language(DEFAULT):
        button = mini_app_button(config)
    if button is None:
        return
    try:
        await application.bot.set_chat_menu_button(menu_button=button)
    except TelegramError as exc:
        # The bot works without the button (the pages stay at their address): never stop it.
        logger.warning("The menu button could not be set: %s", exc)


async def start_beside_polling(application: BotApplication) -> web.AppRunner | None:
    """In polling mode with WEB_BASE_URL set: serve the pages on WEB_PORT; else nothing."""
    services: Services | None = application.bot_data.get("services")
    if services is None or not services.config.web_base_url:
        return None
    site = site_for(application)
    if site is None:
        return None
    root = web.Application(client_max_size=MAX_BODY)
    mount(root, site)
    runner = web.AppRunner(root, access_log=None, shutdown_timeout=5)
    await runner.setup()
    config = services.config
    await web.TCPSite(runner, config.webhook_listen, config.web_port).start()
    logger.info("Web pages on %s:%s", config.webhook_listen, config.web_port)
    return runner
