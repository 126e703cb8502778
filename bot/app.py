"""Builds the Application: one function, with the Bot API request injectable for tests."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import aiosqlite
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest, HTTPXRequest

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.context import BotApplication, BotContext, Services
from bot.handlers import register
from bot.handlers.broadcast import start_broadcasts
from bot.handlers.outbox import MeteredSends
from bot.handlers.polls import start_polls
from bot.handlers.reminders import build_delivery, start_delivery
from bot.handlers.start import command_menu
from bot.i18n import DEFAULT, SUPPORTED, compile_catalogs, use_language
from bot.receiving import AnswerWatch, InboxApplication, take_over
from bot.services.agenda import Agenda
from bot.services.broadcasts import Broadcasts
from bot.services.calendar_feeds import CalendarFeeds
from bot.services.decision import OFF_TOPIC_TAUGHT
from bot.services.delivery import SendMeter
from bot.services.encoder import Encoder, load_encoder
from bot.services.event_data import EventData
from bot.services.feedback import Feedback
from bot.services.flood import FloodControl
from bot.services.helpdesk import Helpdesk
from bot.services.inbox import Inbox
from bot.services.matcher import Matchers
from bot.services.moderator_web import ModeratorWeb
from bot.services.panel import PanelQuestions
from bot.services.people import People
from bot.services.polls import ChairsAndAudience, Polls
from bot.services.privacy import Anonymity, open_anonymity
from bot.services.programme import Programme
from bot.services.redraws import Redraws
from bot.services.signups import Signups
from bot.services.understanding import Understanding
from bot.services.update_ledger import UpdateLedger
from bot.services.uploads import Uploads
from bot.services.walls import Walls
from bot.storage.bookmarks import BookmarkStore
from bot.storage.broadcasts import BroadcastStore
from bot.storage.calendar_feeds import CalendarFeedStore
from bot.storage.database import Database
from bot.storage.feedback import FeedbackStore
from bot.storage.helpdesk import HelpdeskStore
from bot.storage.inbox import InboxStore
from bot.storage.outbox import OutboxStore
from bot.storage.panel import PanelStore
from bot.storage.polls import PollStore
from bot.storage.signups import SignupStore
from bot.storage.taught import TaughtStore
from bot.storage.updates import UpdateLog
from bot.storage.uploads import UploadStore
from bot.storage.users import UserStore
from bot.storage.vectors import FILE_NAME as VECTORS_FILE
from bot.storage.walls import WallStore
from bot.storage.web_logins import WebLoginStore
from bot.transport import DeliveryAwareRequest
from bot.updates import MAX_CONCURRENT, PerChatUpdates
from bot.web.serving import publish_menu_button

logger = logging.getLogger(__name__)

OFFLINE_TOKEN = "1:offline-console-token"
# Connections to the Bot API: one for each update handled at once, and more for the outbox's
# sends and the jobs. A reply must not wait for one once its update is marked as answering
# (bot/receiving.py): a kill meanwhile would leave an update unknown that had sent nothing.
BOT_API_CONNECTIONS = MAX_CONCURRENT + 32


def build_application(
    config: Config,
    events: EventData,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Clock | None = None,
    encoder: Callable[[], Encoder | None] | None = None,
) -> BotApplication:
    """The bot's Application; `request` replaces the network (tests and the console chat),
    `encoder` loads the sentence encoder beside the matcher (returning None: the matcher alone;
    default: the bundled one unless SENTENCE_ENCODER is off)."""
    if encoder is None:
        encoder = load_encoder if config.sentence_encoder else _no_encoder
    compile_catalogs()
    clock = clock or SystemClock()
    meter = SendMeter(clock)

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        database = await Database.open(config.database_path)
        try:
            anonymity = await open_anonymity(database, config, clock.now())
        except BaseException:
            await database.close()
            raise
        programme = Programme(events)
        people = configured_people(config, database.connection, programme, clock, anonymity)
        panel = PanelQuestions(
            PanelStore(database.connection),
            clock,
            lambda: programme.current,
            anonymity,
            organisers=config.organisers,
        )
        people.before_forget.append(panel.forget)
        # Feedback reads the programme in use through the services (a reload swaps it).
        feedback = Feedback(
            FeedbackStore(database.connection),
            UserStore(database.connection),
            lambda: application.bot_data["services"].events,
            clock,
            anonymity,
            more_tables={"questions": panel.table},
        )
        await feedback.start()
        reminders, delivery, reloader = build_delivery(
            config, programme, people, database, clock, meter
        )
        # Loaded, and its indexes built, in the background: the bot answers meanwhile.
        understanding = Understanding(encoder, config.database_path.parent / VECTORS_FILE)
        reloader.after_swap.append(understanding.reindex)
        signups = Signups(SignupStore(database.connection), clock, lambda: programme.current)
        reloader.after_swap.append(signups.settle)
        people.before_forget.append(signups.forget)
        # Who chairs a session (and runs its polls), and who its audience is.
        session_roles = ChairsAndAudience(
            panel, BookmarkStore(database.connection), console=config.console
        )
        polls = Polls(
            PollStore(database.connection), session_roles, clock, lambda: programme.current
        )
        people.before_forget.append(polls.forget)

        async def reminder_lead(user_id: int) -> int:
            return (await reminders.settings(user_id)).lead

        calendar_feeds = CalendarFeeds(
            CalendarFeedStore(database.connection),
            BookmarkStore(database.connection),
            lambda: programme.current,
            clock,
            language_of=people.reading_language,
            lead_of=reminder_lead,
        )
        # The delegate's calendar address dies with the rest of their data.
        people.before_forget.append(calendar_feeds.forget)
        moderator_web = ModeratorWeb(WebLoginStore(database.connection), clock, people.profile_now)
        # A moderator who deletes their data is signed out of the web view at once.
        people.before_forget.append(moderator_web.forget)
        application.bot_data["services"] = Services(
            config=config,
            clock=clock,
            db=database,
            programme=programme,
            people=people,
            agenda=Agenda(BookmarkStore(database.connection), clock),
            reminders=reminders,
            delivery=delivery,
            reloader=reloader,
            updates=UpdateLedger(
                UpdateLog(database.connection), clock, recording=not config.console
            ),
            flood=FloodControl(clock),
            feedback=feedback,
            helpdesk=Helpdesk(
                HelpdeskStore(database.connection),
                clock,
                Matchers(),
                TaughtStore(database.connection),
                anonymity=anonymity,
                users=UserStore(database.connection, console=config.console),
                understanding=understanding,
            ),
            understanding=understanding,
            broadcasts=Broadcasts(
                BroadcastStore(database.connection, console_user=config.console_user),
                OutboxStore(database.connection),
                lambda: programme.current,
                clock,
                organisers=config.organisers,
                moderators=config.moderators,
                default_consultation=config.default_consultation,
            ),
            inbox=Inbox(InboxStore(database.connection), clock),
            signups=signups,
            uploads=Uploads(UploadStore(database.connection), clock, caching=not config.console),
            polls=polls,
            panel=panel,
            calendar_feeds=calendar_feeds,
            walls=Walls(
                WallStore(database.connection),
                PanelStore(database.connection),
                PollStore(database.connection),
                lambda: programme.current,
                clock,
                roles=panel,
            ),
            moderator_web=moderator_web,
            redraws=Redraws(clock),
        )
        await publish_commands(application)
        await publish_menu_button(application, config)
        await start_delivery(application)
        # A session removed, or its capacity raised, while the bot was down.
        await signups.settle(programme.current)
        await start_broadcasts(application)
        await start_polls(application)
        services: Services = application.bot_data["services"]
        services.redraws.start()

        async def indexed(consultation_id: str) -> tuple[tuple[str, str, str], ...]:
            """What the decision asks the encoder with: taught phrasings and the off-topic bank
            (bot/services/decision.py); indexes built for just that are ready when asked."""
            taught = await services.helpdesk.taught_phrasings(consultation_id)
            return (*taught, *OFF_TOPIC_TAUGHT)

        understanding.begin(lambda: programme.current.consultations.values(), indexed)
        # Before any new update comes in: what a killed process received and did not answer
        # (from Telegram: the console chat leaves it to the real bot).
        if not config.console:
            await take_over(application)

    async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        running: Services | None = application.bot_data.get("services")
        if running is not None:
            # While the services are all there: a redraw reads what it shows.
            await running.redraws.stop()
        services: Services | None = application.bot_data.pop("services", None)
        if services is not None:
            await services.understanding.close()
            await services.delivery.stop()
            await services.helpdesk.close()
            await services.db.close()

    builder = (
        ApplicationBuilder()
        .application_class(InboxApplication)
        .token(config.token or OFFLINE_TOKEN)
        .context_types(ContextTypes(context=BotContext))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .rate_limiter(AnswerWatch(MeteredSends(meter)))
        # Each chat's updates in order, other chats' meanwhile: a question waiting for the
        # sentence encoder holds up no one else (bot/updates.py).
        .concurrent_updates(PerChatUpdates())
        # Long polling is bot.webhook.Poller's: it confirms only updates stored in the inbox.
        .updater(None)
    )
    if config.api_base_url:
        builder = builder.base_url(f"{config.api_base_url}/bot").base_file_url(
            f"{config.api_base_url}/file/bot"
        )
    # Every call but getUpdates tells a failure that delivered nothing (sent again) from one
    # that may have delivered it (never sent again on its own).
    builder = builder.request(DeliveryAwareRequest(request or HTTPXRequest()))
    if request is not None:
        builder = builder.get_updates_request(get_updates_request or request)
    application = builder.build()
    register(application)
    return cast(BotApplication, application)


def configured_people(
    config: Config,
    connection: aiosqlite.Connection,
    events: EventData | Programme,
    clock: Clock,
    anonymity: Anonymity,
) -> People:
    """The delegates with the configuration's organisers, moderators and default consultation
    (the bot's, and `python -m bot web`'s on the bot's database)."""
    return People(
        UserStore(connection, console=config.console),
        events,
        clock,
        anonymity=anonymity,
        organisers=config.organisers,
        moderators=config.moderators,
        default_consultation=config.default_consultation,
    )


def _no_encoder() -> None:
    logger.info("SENTENCE_ENCODER is off: the matcher answers alone")


async def publish_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menu in each language; clients pick theirs by language_code."""
    with use_language(DEFAULT):
        await application.bot.set_my_commands(command_menu())
    for lang in SUPPORTED:
        with use_language(lang):
            await application.bot.set_my_commands(command_menu(), language_code=lang)


@asynccontextmanager
async def running(application: BotApplication) -> AsyncIterator[BotApplication]:
    """Run the application without polling: updates are fed with process_update."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()
        if application.post_shutdown:
            await application.post_shutdown(application)
        await application.shutdown()
