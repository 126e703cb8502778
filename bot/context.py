"""What every handler gets: the services, and the profile of the user behind the update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Config
from bot.services.agenda import Agenda
from bot.services.broadcasts import Broadcasts
from bot.services.calendar_feeds import CalendarFeeds
from bot.services.delivery import Delivery
from bot.services.event_data import Consultation, EventData
from bot.services.feedback import Feedback
from bot.services.flood import FloodControl
from bot.services.helpdesk import Helpdesk
from bot.services.inbox import Inbox
from bot.services.moderator_web import ModeratorWeb
from bot.services.panel import PanelQuestions
from bot.services.people import People, Profile
from bot.services.polls import Polls
from bot.services.programme import Programme, Reloader
from bot.services.redraws import Redraws
from bot.services.reminders import Reminders
from bot.services.signups import Signups
from bot.services.understanding import Understanding
from bot.services.update_ledger import UpdateLedger
from bot.services.uploads import Uploads
from bot.services.walls import Walls
from bot.storage.database import Database


@dataclass
class Services:
    config: Config
    clock: Clock
    db: Database
    programme: Programme
    people: People
    agenda: Agenda
    reminders: Reminders
    delivery: Delivery
    reloader: Reloader
    updates: UpdateLedger
    flood: FloodControl
    feedback: Feedback
    helpdesk: Helpdesk
    broadcasts: Broadcasts
    # The sentence encoder: `nearest` answers None while it loads or where it is missing.
    understanding: Understanding
    inbox: Inbox
    signups: Signups
    uploads: Uploads
    polls: Polls
    # Live sessions: questions to the panel, chairs, a session's recent audience.
    panel: PanelQuestions
    # Calendar subscriptions: delegates' secret addresses of their agenda (/cal/<secret>.ics).
    calendar_feeds: CalendarFeeds
    # Room screens: secret addresses of a session's or room's projector page (/wall/<secret>).
    walls: Walls
    # The moderators' web view (/mod/): one-time links from /dashboard, browser sessions.
    moderator_web: ModeratorWeb
    # Messages drawn again a moment after a tap (a delegate's list of questions after a vote).
    redraws: Redraws

    @property
    def events(self) -> EventData:
        """The programme in use now (a reload swaps it)."""
        return self.programme.current


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[str, Any]]):
    """PTB makes one context per update, so the middleware can leave the profile on it."""

    profile: Profile | None = None

    @property
    def services(self) -> Services:
        services: Services = self.bot_data["services"]
        return services

    @property
    def consultation(self) -> Consultation | None:
        """The consultation the user attends, if chosen (or if there is only one)."""
        if self.profile is None:
            return None
        return self.services.events.get(self.profile.consultation_id)


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[str, Any], Any
]
