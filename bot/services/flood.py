"""Flood control: a token bucket per delegate and kind of update, in memory. The token bucket
is also the web pages' (bot/web/limits.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.clock import Clock


@dataclass(frozen=True)
class Rate:
    """`burst` updates at once, then `per_second` on average."""

    burst: float
    per_second: float


@dataclass
class TokenBucket:
    """Holds up to `rate.burst` tokens, refilled at `rate.per_second`; a request spends one."""

    rate: Rate
    tokens: float
    stamp: float  # when `tokens` was counted (seconds)

    @classmethod
    def full(cls, rate: Rate, now: float) -> TokenBucket:
        return cls(rate, rate.burst, now)

    def take(self, now: float) -> float:
        """0 when a token is spent; else the seconds until there is one (none is spent)."""
        elapsed = max(0.0, now - self.stamp)
        self.tokens = min(self.rate.burst, self.tokens + elapsed * self.rate.per_second)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate.per_second


MESSAGES = Rate(burst=8, per_second=1.0)
# Paging through the agenda is quick tapping; be more generous with buttons.
BUTTONS = Rate(burst=12, per_second=2.0)
# No limit in practice (the console chat: one person, or a script, at their own terminal).
UNLIMITED = Rate(burst=1e12, per_second=1e12)
# A bucket left alone this long is full again and can be dropped from memory.
_IDLE_SECONDS = 600.0
_SWEEP_EVERY = 1000


class Verdict(enum.Enum):
    ALLOW = "allow"
    DROP_AND_WARN = "warn"  # the first update dropped in this flood: say so, once
    DROP = "drop"


@dataclass
class _Bucket(TokenBucket):
    warned: bool = False  # told of this flood already


class FloodControl:
    """Allows each delegate a burst, then a steady rate; other delegates are unaffected."""

    def __init__(
        self, clock: Clock, *, messages: Rate = MESSAGES, buttons: Rate = BUTTONS
    ) -> None:
        self._clock = clock
        self._rates = {"message": messages, "button": buttons}
        self._buckets: dict[tuple[int, str], _Bucket] = {}
        self._checks = 0

    def check(self, user_id: int, kind: str) -> Verdict:
        """Take a token for this update of `kind` ("message" or "button") from the user."""
        rate = self._rates[kind]
        now = self._clock.now().timestamp()
        self._checks += 1
        if self._checks % _SWEEP_EVERY == 0:
            self._sweep(now)
        bucket = self._buckets.get((user_id, kind))
        if bucket is None:
            bucket = self._buckets[(user_id, kind)] = _Bucket(rate, rate.burst, now)
        if bucket.take(now) == 0:
            # The flood is over once half the burst has come back: a new one is told again.
            if bucket.warned and bucket.tokens >= rate.burst / 2:
                bucket.warned = False
            return Verdict.ALLOW
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.DROP_AND_WARN

    def tracked(self) -> int:
        return len(self._buckets)

    def _sweep(self, now: float) -> None:
        idle = [key for key, b in self._buckets.items() if now - b.stamp > _IDLE_SECONDS]
        for key in idle:
            del self._buckets[key]
