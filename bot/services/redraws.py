"""Messages drawn again after a change, such as a delegate's list of questions after a vote.

A tap is answered at once (its spinner stops) and the message it came from is drawn again a
moment later: at most once every `every` seconds per message, showing the state at the moment it
is drawn (the last tap wins, however many came meanwhile); a message that shows one tap's outcome
(a poll's) is drawn as soon as the pace allows. Redraws go one at a time, at most `per_second` a
second in all, and slower while the event loop is busy: in a burst of taps the answers go first,
the redraws catch up after. A redraw is never owed twice; it is dropped when the message is
about to show something else (another of its buttons was pressed: `settle`).

What a redraw shows is read from the database when it is drawn: the change itself (the vote) is
stored before the tap is answered, so a redraw lost to a crash loses nothing but a picture.
Time is the injected clock's: the runner runs only on a clock that moves on its own; tests call
`run_due`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock

logger = logging.getLogger(__name__)

Draw = Callable[[], Awaitable[None]]

# The event loop woke the runner this late (seconds): it is busy with other work.
LATE = 0.01
# The longest wait between two redraws while the loop is busy.
SLOWEST_GAP = 0.5


@dataclass
class _Pending:
    due: datetime
    draw: Draw


class Redraws:
    def __init__(
        self,
        clock: Clock,
        *,
        delay: float = 1.0,
        every: float = 1.0,
        per_second: float = 60.0,
    ) -> None:
        """`delay`: from the first change to the redraw; `every`: between two redraws of one
        message; `per_second`: redraws started a second, all messages together."""
        self._clock = clock
        self._delay = timedelta(seconds=delay)
        self._every = timedelta(seconds=every)
        self._gap = 1.0 / per_second
        self._pending: dict[Hashable, _Pending] = {}
        self._last: dict[Hashable, datetime] = {}  # when each message was last drawn
        self._drawing: dict[Hashable, asyncio.Future[None]] = {}
        self._wake: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None

    def schedule(self, key: Hashable, draw: Draw, *, at_once: bool = False) -> None:
        """Draw the message `key` again with `draw` (which replaces a pending one: the newest
        state wins), `delay` from now and not within `every` of its last redraw; `at_once`: as
        soon as the pace in all allows (a message that shows one tap's outcome)."""
        pending = self._pending.get(key)
        if pending is not None:
            pending.draw = draw  # its time stays: a stream of taps still redraws every second
            return
        due = self._clock.now()
        last = self._last.get(key)
        if not at_once:
            due += self._delay
            if last is not None:
                due = max(due, last + self._every)
        self._pending[key] = _Pending(due, draw)
        if self._wake is not None:
            self._wake.set()

    def pending(self, key: Hashable) -> bool:
        return key in self._pending

    async def settle(self, key: Hashable) -> None:
        """The message is about to show something else: its pending redraw is dropped, and one
        being drawn is waited for (so that it cannot land after the new content)."""
        self._pending.pop(key, None)
        drawing = self._drawing.get(key)
        if drawing is not None:
            await asyncio.wait([drawing])

    async def run_due(self, *, everything: bool = False) -> int:
        """Draw, one after another, the messages whose time has come (`everything`: all that
        are pending); how many."""
        drawn = 0
        while True:
            key = self._next(everything=everything)
            if key is None:
                return drawn
            await self._draw(key)
            drawn += 1

    def _next(self, *, everything: bool = False) -> Hashable | None:
        """The pending message due first, if its time has come."""
        if not self._pending:
            return None
        key = min(self._pending, key=lambda k: self._pending[k].due)
        if everything or self._pending[key].due <= self._clock.now():
            return key
        return None

    async def _draw(self, key: Hashable) -> None:
        pending = self._pending.pop(key)
        self._last[key] = self._clock.now()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._drawing[key] = done
        try:
            await pending.draw()
        except Exception:  # a message deleted meanwhile, a network failure: the next tap redraws
            logger.warning("A message was not drawn again", exc_info=True)
        finally:
            del self._drawing[key]
            done.set_result(None)

    def start(self) -> None:
        """Draw in the background (a clock that moves on its own only)."""
        if self._runner is None and self._clock.ticking:
            self._wake = asyncio.Event()
            self._runner = asyncio.get_running_loop().create_task(self._run(), name="redraws")

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        gap = self._gap
        while True:
            key = self._next()
            if key is not None:
                started = loop.time()
                await self._draw(key)
                await asyncio.sleep(max(gap - (loop.time() - started), 0.0))
                # Woken late: the event loop is busy (a burst of taps), and redraws wait longer
                # so that the answers go first; woken on time: back towards the full pace.
                late = loop.time() - started - gap > LATE
                gap = min(gap * 2, SLOWEST_GAP) if late else max(gap / 2, self._gap)
                continue
            self._forget_old()
            self._wake.clear()
            wait = None
            if self._pending:
                first = min(p.due for p in self._pending.values())
                wait = max((first - self._clock.now()).total_seconds(), 0.001)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _forget_old(self) -> None:
        horizon = self._clock.now() - self._every
        for key in [k for k, at in self._last.items() if at <= horizon]:
            del self._last[key]

    async def stop(self, within: float = 3.0) -> None:
        """Stop the background drawing; draw what is pending (for `within` seconds at most,
        the rest is dropped: the changes themselves are stored)."""
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None
        try:
            await asyncio.wait_for(self.run_due(everything=True), within)
        except TimeoutError:
            logger.warning("%d messages were not drawn again before stopping", len(self._pending))
        self._pending.clear()
