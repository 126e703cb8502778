"""Received updates kept until answered, so that a killed process loses none of them.

An update is stored before Telegram is told it arrived and leaves the inbox once handling it
sent something (or ended). Just before its first reply goes to Telegram its row is marked
(committed), so that the next process can tell what a killed one left: an update not marked is
handled again, the one whose handling was cut short included (it had sent nothing yet); a marked
one may or may not have been answered, so it is recorded as unknown and not handled again
(nothing is answered twice). A mark whose replies Telegram all refused (nothing of them can
have arrived) is taken back before any is tried again. Likewise, without a kill, an update one of
whose replies failed after it left (the connection broke, the answer timed out): it is not sent
again, and recorded as unknown rather than counted as answered. An update processed before and
sent again by Telegram is not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.storage.inbox import InboxStore

logger = logging.getLogger(__name__)

# An update whose handling was cut short this many times (the process died each time, maybe
# because of it) is given up, not handled again: a restart loop would answer nobody.
GIVE_UP_AFTER = 3


@dataclass(frozen=True)
class Refusal:
    """A malformed update: its id (None when it has none) and why, never its content."""

    update_id: int | None
    reason: str


class Inbox:
    def __init__(self, store: InboxStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        # The ids this process stored or took over and has not answered yet.
        self._held: set[int] = set()

    async def receive(
        self, updates: Sequence[tuple[int, Mapping[str, Any]]], refused: Sequence[Refusal]
    ) -> frozenset[int]:
        """Store the updates and record the refusals (one transaction); the ids new here."""
        skipped = [(r.update_id, r.reason) for r in refused if r.update_id is not None]
        stored = await self._store.keep(updates, skipped, self._clock.now())
        for refusal in refused:
            if refusal.update_id is None:
                logger.warning("Skipped an update without an id: %s", refusal.reason)
            elif refusal.update_id in stored.skipped:
                logger.warning("Skipped update %d: %s", refusal.update_id, refusal.reason)
            else:  # Telegram sent it again: already recorded and logged
                logger.debug("Skipped update %d again", refusal.update_id)
        self._held |= stored.kept
        return stored.kept

    def holds(self, update_id: int) -> bool:
        return update_id in self._held

    async def answering(self, update_id: int) -> None:
        """Handling the update is about to send its first reply: from now on it may have been
        answered, and a restart must not handle it again."""
        if update_id in self._held:
            await self._store.mark_answering(update_id, self._clock.now())

    async def not_answering(self, update_id: int) -> None:
        """Telegram refused every reply of the update that went out (a 429, a Bad Request):
        none can have reached the delegate, so a restart may handle it again after all."""
        if update_id in self._held:
            await self._store.unmark_answering(update_id)

    async def answered(self, update_id: int) -> None:
        """Handling the update sent something, or ended: it leaves the inbox."""
        if update_id in self._held:
            await self._store.remove(update_id)
            self._held.discard(update_id)

    async def unsure(self, update_id: int) -> None:
        """A reply of the update failed after it left: Telegram may or may not have it. Recorded
        as unknown (reported, never sent again) and out of the inbox."""
        await self._store.record_unknown(update_id, self._clock.now())
        self._held.discard(update_id)
        logger.warning(
            "Update %d may or may not have been answered (a reply's connection failed after it"
            " left): recorded as unknown, not sent again",
            update_id,
        )

    async def take_over(self) -> list[tuple[int, dict[str, Any]]]:
        """What the previous process left unanswered, oldest first, to be handled now."""
        left = await self._store.take_over(GIVE_UP_AFTER, self._clock.now())
        for ident in left.unknown:
            logger.warning(
                "Update %d may or may not have been answered (its first reply was on its way when"
                " the process stopped): recorded as unknown, not handled again",
                ident,
            )
        for ident in left.given_up:
            logger.error(
                "Skipped update %d: its handling was cut short %d times", ident, GIVE_UP_AFTER
            )
        self._held |= {ident for ident, _ in left.again}
        if left.again:
            logger.info("Handling %d updates received before the restart", len(left.again))
        return left.again

    async def drop(self, refusal: Refusal) -> None:
        """A held update turned out malformed: record it as skipped instead."""
        assert refusal.update_id is not None
        self._held.discard(refusal.update_id)
        if await self._store.skip(refusal.update_id, refusal.reason, self._clock.now()):
            logger.warning("Skipped update %d: %s", refusal.update_id, refusal.reason)

    async def count(self) -> int:
        return await self._store.count()

    async def skipped(self) -> list[tuple[int, str]]:
        return await self._store.skipped()

    async def unknown(self) -> list[int]:
        """The updates a killed process may or may not have answered, by id."""
        return await self._store.unknown()
