"""The repeating job: it starts scheduled broadcasts and keeps each organiser's progress
message up to date until the report.

The JobQueue runs it on real time; on a clock that does not move on its own (tests) the job does
nothing, or what an organiser's report shows would depend on how fast the machine runs: tests call
`ProgressBoard.tick` themselves. The edits are paced on the application's clock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from bot.context import Services
from bot.handlers.broadcast.report import LISTED, report_markup, report_text
from bot.handlers.common import on_the_clock
from bot.i18n import use_language
from bot.storage.broadcasts import CANCELLED, DONE, BroadcastRecord

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 2.0
EDIT_EVERY = timedelta(seconds=3)  # between two edits of one progress message
CATCH_UP = timedelta(hours=1)  # after a restart, reports of broadcasts ended this recently


class ProgressBoard:
    """Keeps each organiser's progress message up to date, editing it at most every few seconds."""

    def __init__(self) -> None:
        self.shown: dict[int, str] = {}
        self.edited_at: dict[int, datetime] = {}
        self._caught_up = False

    async def tick(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        services: Services = application.bot_data["services"]
        broadcasts = services.broadcasts
        now = services.clock.now()
        if not self._caught_up:
            # After a restart: a broadcast that ended just before the stop may not have had its
            # report shown yet (its message would still say "Sending"). Show it once.
            self._caught_up = True
            since = now - CATCH_UP
            for record in await broadcasts.recent(None, LISTED):
                if record.state in (DONE, CANCELLED) and (record.finished_at or since) > since:
                    await self._update(application, services, record)
        for record in await broadcasts.start_due():
            await self._announce_start(application, services, record)
        for record in await broadcasts.sending():
            if self._edit_due(record.id, now):
                await self._update(application, services, record)
        for record in await broadcasts.settle():
            await self._update(application, services, record)
            self.shown.pop(record.id, None)
            self.edited_at.pop(record.id, None)
            logger.info("Broadcast %d finished", record.id)

    def _edit_due(self, broadcast_id: int, now: datetime) -> bool:
        """Whether the progress message may be edited again (or the clock was set back)."""
        edited = self.edited_at.get(broadcast_id)
        return edited is None or not edited <= now < edited + EDIT_EVERY

    async def _announce_start(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        record: BroadcastRecord,
    ) -> None:
        """A scheduled broadcast started: its card becomes the progress message (or a new one)."""
        if record.created_by is None:
            return
        if record.progress_chat_id and record.progress_message_id:
            await self._update(application, services, record)
            return
        with use_language(await self._language(services, record.created_by)):
            text = await self._text(services, record)
            markup = report_markup(record)
        try:
            sent = await application.bot.send_message(
                record.created_by, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except TelegramError as exc:
            logger.warning("Could not show broadcast %d's progress: %s", record.id, exc)
            return
        await services.broadcasts.store.set_progress_message(
            record.id, sent.chat.id, sent.message_id, services.clock.now()
        )
        self.shown[record.id] = text
        self.edited_at[record.id] = services.clock.now()

    async def _language(self, services: Services, user_id: int) -> str:
        user = await services.people.get(user_id)
        return (user.reading_language if user else None) or "en"

    async def _text(self, services: Services, record: BroadcastRecord) -> str:
        report = await services.broadcasts.report(record)
        return report_text(services, report)

    async def _update(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        record: BroadcastRecord,
    ) -> None:
        self.edited_at[record.id] = services.clock.now()
        if not (record.progress_chat_id and record.progress_message_id):
            return
        language = await self._language(services, record.created_by or record.progress_chat_id)
        with use_language(language):
            text = await self._text(services, record)
            markup = report_markup(record)
        if self.shown.get(record.id) == text:
            return
        try:
            await application.bot.edit_message_text(
                text,
                chat_id=record.progress_chat_id,
                message_id=record.progress_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            self.shown[record.id] = text
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                self.shown[record.id] = text
            else:
                logger.warning("Could not update broadcast %d's progress: %s", record.id, exc)
        except TelegramError as exc:
            logger.warning("Could not update broadcast %d's progress: %s", record.id, exc)


@on_the_clock
async def _progress_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    board: ProgressBoard = context.application.bot_data.setdefault(
        "broadcast_board", ProgressBoard()
    )
    await board.tick(context.application)


async def start_broadcasts(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After the services exist: reload awaited drafts, then start the progress job."""
    services: Services = application.bot_data["services"]
    await services.broadcasts.load()
    application.bot_data["broadcast_board"] = ProgressBoard()
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _progress_job,
            interval=PROGRESS_SECONDS,
            first=PROGRESS_SECONDS,
            name="broadcasts:progress",
            job_kwargs={"max_instances": 1, "coalesce": True},
        )
