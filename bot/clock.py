"""Injectable clocks: the bot never calls datetime.now() directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    # Whether the clock moves on its own (real time): waiting on it makes sense.
    ticking: bool

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    ticking = True

    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """Real time shifted so that it read `start` when created (the console's --at)."""

    ticking = True

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, **kwargs: float) -> None:
        """Jump ahead (the console's /wait)."""
        from datetime import timedelta

        self._offset += timedelta(**kwargs)


class ManualClock:
    """A clock that only moves when told to (tests)."""

    ticking = False

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, **kwargs: float) -> None:
        from datetime import timedelta

        self._now += timedelta(**kwargs)
