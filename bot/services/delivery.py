"""Sends the outbox at Telegram's pace, exactly once, and records how each message fared.

The handler layer gives a `send` callable that renders one row in its recipient's language, sends
it and says how it went (an `Outcome`); this module never imports telegram. A JobQueue tick calls
`process_due(now)` on real time; on a ManualClock the tick does nothing and tests call it
directly.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.services.people import People
from bot.storage.outbox import FAILED, SENT, UNKNOWN, OutboxItem, OutboxStore
from bot.storage.outbox import SKIPPED as SKIPPED_STATE

logger = logging.getLogger(__name__)

SENT_OK = "sent"
BLOCKED = "blocked"
RETRY_AFTER = "retry_after"
TRANSIENT = "transient"
PERMANENT = "permanent"
SKIPPED = "skipped"
UNKNOWN_OUTCOME = "unknown"

# Set while the delivery service sends one row: the call it makes takes the slot held for it
# (the box counts the calls made, so that a row sent without a call gives its slot back).
outbox_send: ContextVar[list[int] | None] = ContextVar("outbox_send", default=None)


@dataclass(frozen=True)
class Outcome:
    """How sending one row went, as the handler layer understood Telegram's answer."""

    status: str
    reason: str = ""
    retry_after: float = 0.0

    @classmethod
    def sent(cls) -> Outcome:
        return cls(SENT_OK)

    @classmethod
    def blocked(cls) -> Outcome:
        return cls(BLOCKED, "blocked")

    @classmethod
    def later(cls, seconds: float) -> Outcome:
        return cls(RETRY_AFTER, "rate limited", seconds)

    @classmethod
    def transient(cls, reason: str) -> Outcome:
        return cls(TRANSIENT, reason)

    @classmethod
    def permanent(cls, reason: str) -> Outcome:
        return cls(PERMANENT, reason)

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        return cls(SKIPPED, reason)

    @classmethod
    def unknown(cls, reason: str) -> Outcome:
        """It may have arrived (the connection broke or timed out once the request had left):
        never resent on its own."""
        return cls(UNKNOWN_OUTCOME, reason)


Send = Callable[[OutboxItem], Awaitable[Outcome]]

# Rows past their expiry are never sent (the query leaves them out); marking them expired is
# bookkeeping, done this often.
EXPIRE_EVERY = timedelta(minutes=1)


class SendMeter:
    """Every message the bot sent over the last second, replies included: the pacer's budget.

    A message holds a slot from the moment it is chosen (an outbox row) or allowed (a reply)
    until Telegram answers; then it counts in the window from that moment, never earlier than
    Telegram counted it. Replies to delegates come first: one that would go over the limit
    waits for the next free slot, and while it waits the outbox takes no new slot.
    """

    def __init__(self, clock: Clock, window: float = 1.0, limit: int = 30) -> None:
        self._clock = clock
        self._window = timedelta(seconds=window)
        self.limit = limit
        self.waiting = 0  # replies waiting for a slot
        self.held = 0  # slots the outbox holds for calls about to start
        self._sent: deque[datetime] = deque()
        self._last_by_chat: dict[int, datetime] = {}

    def used(self, now: datetime) -> int:
        """Messages in the window, and slots held for those about to leave."""
        return self.recent(now) + self.held

    def until_below(self, now: datetime, count: int) -> float:
        """Seconds until fewer than `count` messages, held slots included, are in the window."""
        count -= self.held
        recent = self.recent(now)
        if recent < count:
            return 0.0
        if count <= 0:
            return 0.005  # the held calls are about to start: look again then
        leaving = self._sent[recent - count]
        return max((leaving + self._window - now).total_seconds(), 0.0)

    async def wait_for_slot(self, longest: float = 1.0) -> None:
        """A reply waits here, at most `longest` seconds, until it fits under the limit."""
        if not self._clock.ticking:
            return
        self.waiting += 1
        try:
            waited = 0.0
            while waited < longest:
                wait = self.until_below(self._clock.now(), self.limit)
                if wait <= 0:
                    return
                wait = min(max(wait, 0.002), longest - waited)
                await asyncio.sleep(wait)
                waited += wait
        finally:
            self.waiting -= 1

    def hold(self, count: int) -> None:
        self.held += count

    def release(self, count: int = 1) -> None:
        self.held = max(0, self.held - count)

    def record(self, chat_id: int | None, *, held: bool = False) -> None:
        """A message was answered now; `held`: it gives back the slot held while in flight."""
        moment = self._clock.now()
        self._sent.append(moment)
        if held:
            self.release()
        if chat_id is not None:
            self._last_by_chat[chat_id] = moment

    def recent(self, now: datetime) -> int:
        horizon = now - self._window
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()
        return len(self._sent)

    def last_to(self, chat_id: int) -> datetime | None:
        return self._last_by_chat.get(chat_id)

    def prune(self, now: datetime) -> None:
        horizon = now - self._window * 5
        stale = [chat for chat, at in self._last_by_chat.items() if at <= horizon]
        for chat in stale:
            del self._last_by_chat[chat]


@dataclass(frozen=True)
class Limits:
    """Telegram's: about 30 messages a second overall and one a second per chat."""

    per_second: int = 30
    # Left for replies to delegates. None needed: a reply that would go over the limit waits
    # for the next free slot, and the outbox sends nothing while one waits (SendMeter).
    reserve: int = 0
    per_chat_interval: float = 1.0
    concurrency: int = 10  # sends in flight at once; small, so replies are not starved
    max_attempts: int = 5
    margin: float = 2.0  # seconds: start early sends this long before they would be late
    planning_share: float = 0.85  # of the allowed rate, assumed when deciding to start early
    lookahead: int = 20000  # rows considered when deciding to start early


class Delivery:
    """The outbox sender: claims due rows, sends them paced, records each outcome."""

    def __init__(
        self,
        store: OutboxStore,
        people: People,
        clock: Clock,
        meter: SendMeter,
        *,
        limits: Limits | None = None,
        send: Send | None = None,
    ) -> None:
        self._store = store
        self._people = people
        self._clock = clock
        self.meter = meter
        self.limits = limits or Limits()
        self.send = send
        self._lock = asyncio.Lock()
        self._follower: asyncio.Task[None] | None = None
        self._stopping = False
        self._paused_until: datetime | None = None
        self._last_call: datetime | None = None
        self._expired_at: datetime | None = None
        # Nothing was sendable: (the store's plan count then, the next row's time or None).
        # Ticks are skipped until that time, or until rows are planned.
        self._idle: tuple[int, datetime | None] | None = None

    @property
    def store(self) -> OutboxStore:
        return self._store

    @property
    def paused_until(self) -> datetime | None:
        return self._paused_until

    async def recover(self) -> int:
        """At start: rows a crash left in `sending` become unknown and are never resent."""
        count = await self._store.recover(self._clock.now())
        if count:
            logger.warning("%d outbox messages were being sent when the bot stopped", count)
        return count

    def _room(self, now: datetime) -> int:
        """Slots free for the outbox now (none while a reply to a delegate waits for one)."""
        if self.meter.waiting:
            return 0
        return self.limits.per_second - self.limits.reserve - self.meter.used(now)

    def _budget(self, now: datetime) -> int:
        allowed = self.limits.per_second - self.limits.reserve
        budget = self._room(now)
        # Spread the second's budget over the ticks: a share in proportion to the time since
        # the last one, so sends flow steadily instead of in one burst a second.
        if self._last_call is not None:
            elapsed = max((now - self._last_call).total_seconds(), 0.05)
            budget = min(budget, math.ceil(allowed * elapsed * 1.25))
        self._last_call = now
        return max(0, budget)

    def _chat_ready(self, chat_id: int, now: datetime) -> bool:
        last = self.meter.last_to(chat_id)
        return last is None or (now - last).total_seconds() >= self.limits.per_chat_interval

    async def _must_start_early(self, now: datetime) -> bool:
        """Whether rows due soon can only all be on time if sending starts now."""
        dues = await self._store.upcoming_dues(now, self.limits.lookahead)
        rate = max(
            1.0, (self.limits.per_second - self.limits.reserve) * self.limits.planning_share
        )
        for index, due in enumerate(dues):
            if (due - now).total_seconds() - (index + 1) / rate <= self.limits.margin:
                return True
        return False

    async def tick(self) -> int:
        """The repeating job: skip if the previous tick, or the follower, is still sending.

        While there is more to send, a follower task keeps sending as the window frees, instead
        of waiting for the next tick each time (which would lose part of every second); not on a
        clock that does not move on its own (tests), where it would follow real time. The job
        runs only on a ticking clock (bot.handlers.common.on_the_clock).
        """
        if self._lock.locked() or self._follower is not None or self._stopping:
            return 0
        sent = await self.process_due()
        if self._clock.ticking and self._more_to_send():
            self._follower = asyncio.create_task(self._follow(sent), name="outbox:follow")
        return sent

    def _more_to_send(self) -> bool:
        return (
            self.send is not None
            and self._paused_until is None
            and self._idle is None
            and not self._stopping
        )

    async def _follow(self, sent: int) -> None:
        """Send as slots free, until nothing is sendable, Telegram asks to pause, or stop()."""
        allowed = self.limits.per_second - self.limits.reserve
        try:
            while self._more_to_send():
                wait = self.meter.until_below(self._clock.now(), allowed)
                if wait <= 0 and not sent:
                    wait = 0.05  # room, but nothing could go (a chat's own pace): look again
                await asyncio.sleep(min(max(wait, 0.003), 0.1))
                if self._stopping:
                    break
                sent = await self.process_due()
        except Exception:  # the next tick takes over
            logger.exception("The outbox follower stopped")
        finally:
            self._follower = None

    async def stop(self) -> None:
        """At shutdown: let the sends in hand finish, start no more."""
        self._stopping = True
        follower = self._follower
        if follower is not None:
            await follower
        async with self._lock:
            pass

    async def process_due(self, now: datetime | None = None) -> int:
        """Send what is due (at most one second's budget); returns how many were sent."""
        async with self._lock:
            return await self._process(now or self._clock.now())

    async def _process(self, now: datetime) -> int:
        if self.send is None:
            return 0
        if self._paused_until is not None:
            if now < self._paused_until:
                return 0
            self._paused_until = None
        if (
            self._expired_at is None
            or not self._expired_at <= now < self._expired_at + EXPIRE_EVERY
        ):
            await self._store.expire(now)
            self._expired_at = now
        if self._sleeping(now):
            return 0
        plans = self._store.plans
        budget = self._budget(now)
        if budget <= 0:
            return 0
        rows = await self._store.candidates(now, budget * 4 + 20)
        if not rows:
            self._idle = (plans, await self._store.next_wake(now))
            return 0
        if any(r.due_at > now for r in rows) and not await self._must_start_early(now):
            rows = [r for r in rows if r.due_at <= now]
        # Replies may have taken slots while the rows were read: count again, with no await
        # between this count and holding the slots.
        budget = min(budget, self._room(self._clock.now()))
        chosen: list[OutboxItem] = []
        chats: set[int] = set()
        for row in rows:
            if len(chosen) >= budget:
                break
            if row.chat in chats or not self._chat_ready(row.chat, now):
                continue
            chats.add(row.chat)
            chosen.append(row)
        if not chosen:
            return 0
        self.meter.hold(len(chosen))
        sent = 0
        size = self.limits.concurrency
        for start in range(0, len(chosen), size):
            # Claimed a chunk at a time, just before sending: a crash leaves at most one chunk
            # in `sending` (then `unknown`, never resent); the rest stays pending.
            chunk = chosen[start : start + size]
            claimed = await self._store.claim([r.id for r in chunk], now)
            self.meter.release(sum(1 for r in chunk if r.id not in claimed))
            chunk = [r for r in chunk if r.id in claimed]
            outcomes = await asyncio.gather(*(self._send_one(r) for r in chunk))
            for row, outcome in zip(chunk, outcomes, strict=True):
                sent += await self._record(row, outcome)
            # Let the delegates' updates run between chunks.
            await asyncio.sleep(0)
            if self._paused_until is not None:
                # Telegram asked for a pause: the rest was never claimed; it waits as pending.
                self.meter.release(len(chosen[start + size :]))
                break
        self.meter.prune(now)
        return sent

    def _sleeping(self, now: datetime) -> bool:
        """Whether the last look found nothing sendable and nothing changed since."""
        if self._idle is None:
            return False
        plans, until = self._idle
        if plans == self._store.plans and (until is None or now < until):
            return True
        self._idle = None
        return False

    async def _send_one(self, row: OutboxItem) -> Outcome:
        assert self.send is not None
        calls = [0]
        token = outbox_send.set(calls)
        try:
            return await self.send(row)
        except Exception as exc:  # a bug must not stop the outbox
            logger.exception("Could not send outbox row %s", row.key)
            if calls[0]:  # it failed once the call had left: it may have arrived
                return Outcome.unknown(type(exc).__name__)
            return Outcome.transient(type(exc).__name__)
        finally:
            outbox_send.reset(token)
            if not calls[0]:
                self.meter.release()  # nothing went to Telegram: the held slot is free again

    async def _record(self, row: OutboxItem, outcome: Outcome) -> int:
        now = self._clock.now()
        attempts = row.attempts + 1
        if outcome.status == SENT_OK:
            await self._store.finish(row.id, SENT, None, now)
            return 1
        if outcome.status == BLOCKED:
            await self._store.finish(row.id, FAILED, outcome.reason or "blocked", now)
            if row.user_id is not None:  # a group that removed the bot is no delegate
                await self._people.mark_inactive(row.user_id)
            return 0
        if outcome.status == RETRY_AFTER:
            pause = now + timedelta(seconds=max(outcome.retry_after, 1.0))
            if self._paused_until is None or pause > self._paused_until:
                self._paused_until = pause
            logger.warning("Telegram asked to wait %.0f s; the outbox pauses", outcome.retry_after)
            await self._store.retry(row.id, outcome.reason, pause, now, counts=False)
            return 0
        if outcome.status == SKIPPED:
            await self._store.finish(row.id, SKIPPED_STATE, outcome.reason, now)
            return 0
        if outcome.status == UNKNOWN_OUTCOME:
            await self._store.finish(row.id, UNKNOWN, outcome.reason, now)
            return 0
        if outcome.status == TRANSIENT and attempts < self.limits.max_attempts:
            backoff = timedelta(seconds=min(2**attempts * 5, 600))
            await self._store.retry(row.id, outcome.reason, now + backoff, now)
            return 0
        await self._store.finish(row.id, FAILED, outcome.reason or outcome.status, now)
        return 0
