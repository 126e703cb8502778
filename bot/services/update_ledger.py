"""Skip updates that Telegram delivers a second time (after a crash, before it saw our offset)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.storage.updates import UpdateLog

logger = logging.getLogger(__name__)

KEEP = timedelta(hours=48)
PRUNE_EVERY = timedelta(hours=1)


class UpdateLedger:
    """Processed update ids, kept for `keep` and pruned at most once per `prune_every`.

    Without `recording` (the console chat) nothing is read or written: its updates are typed
    in once each and never delivered again, and their ids, numbered by its own fake server,
    mean nothing to Telegram, to the bot nor to another console using the same database.
    """

    def __init__(
        self,
        log: UpdateLog,
        clock: Clock,
        *,
        keep: timedelta = KEEP,
        prune_every: timedelta = PRUNE_EVERY,
        recording: bool = True,
    ) -> None:
        self._log = log
        self._clock = clock
        self._keep = keep
        self._prune_every = prune_every
        self._pruned_at: datetime | None = None
        self._recording = recording

    async def first_delivery(self, update_id: int) -> bool:
        """Record the update; False when it was processed before and must be skipped."""
        if not self._recording:
            return True
        now = self._clock.now()
        if self._pruned_at is None or now - self._pruned_at >= self._prune_every:
            self._pruned_at = now
            removed = await self._log.prune(now - self._keep)
            if removed:
                logger.debug("Forgot %d processed update ids", removed)
        return await self._log.record(update_id, now)

    async def count(self) -> int:
        return await self._log.count()
