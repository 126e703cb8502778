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
    """Processed update ids, kept for `keep` and pruned at most once per `prune_every`."""

    def __init__(
        self,
        log: UpdateLog,
        clock: Clock,
        *,
        keep: timedelta = KEEP,
        prune_every: timedelta = PRUNE_EVERY,
    ) -> None:
        self._log = log
        self._clock = clock
        self._keep = keep
        self._prune_every = prune_every
        self._pruned_at: datetime | None = None

    async def first_delivery(self, update_id: int) -> bool:
        """Record the update; False when it was processed before and must be skipped."""
        now = self._clock.now()
        if self._pruned_at is None or now - self._pruned_at >= self._prune_every:
            self._pruned_at = now
            removed = await self._log.prune(now - self._keep)
            if removed:
                logger.debug("Forgot %d processed update ids", removed)
        return await self._log.record(update_id, now)

    async def forget_all(self) -> int:
        """Start afresh (the console's fake server numbers its updates from 1 again)."""
        return await self._log.clear()

    async def count(self) -> int:
        return await self._log.count()
