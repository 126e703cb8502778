"""Calendar subscriptions served: /cal/<secret>.ics, the delegate's agenda as it is now.

An unknown, renewed or forgotten secret gets the same bare 404 as any other missing address;
a secret asking too often gets 429 for a while (phone calendars ask every hour or so).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from bot.clock import Clock
from bot.services.calendar_feeds import CalendarFeeds

PREFIX = "/cal"
# What token_urlsafe(32) makes (43 characters); anything else is not looked up.
_SECRET = re.compile(r"[A-Za-z0-9_-]{20,128}")
RATE_WINDOW = timedelta(minutes=1)
RATE_LIMIT = 30  # requests per secret per window
_KEPT = 10_000  # secrets remembered by the limiter at most

HEADERS = {
    "Cache-Control": "private, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class RateLimit:
    """A fixed window per secret: light, in memory, forgets the oldest when full."""

    clock: Clock
    limit: int = RATE_LIMIT
    window: timedelta = RATE_WINDOW
    _seen: dict[str, tuple[datetime, int]] = field(default_factory=dict)

    def allow(self, key: str) -> bool:
        now = self.clock.now()
        started, count = self._seen.pop(key, (now, 0))
        if not timedelta(0) <= now - started < self.window:
            started, count = now, 0
        if len(self._seen) >= _KEPT:
            del self._seen[next(iter(self._seen))]
        self._seen[key] = (started, count + 1)
        return count < self.limit


FEEDS_KEY = web.AppKey("calendar_feeds", CalendarFeeds)
LIMIT_KEY = web.AppKey("calendar_rate", RateLimit)


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not found", headers=HEADERS)


async def calendar_feed(request: web.Request) -> web.Response:
    secret = request.match_info["secret"]
    if not _SECRET.fullmatch(secret):
        return _not_found()
    # Keyed by a hash: the limiter's memory holds no usable address.
    key = hashlib.sha256(secret.encode()).hexdigest()
    if not request.app[LIMIT_KEY].allow(key):
        return web.Response(
            status=429,
            text="Too many requests",
            headers={**HEADERS, "Retry-After": str(int(RATE_WINDOW.total_seconds()))},
        )
    feed = await request.app[FEEDS_KEY].feed(secret)
    if feed is None:
        return _not_found()
    etag = f'"{feed.etag}"'
    headers = {**HEADERS, "ETag": etag}
    if etag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers=headers)
    response = web.Response(body=feed.body, headers=headers)
    response.content_type = "text/calendar"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="agenda.ics"'
    return response


def build_feeds(feeds: CalendarFeeds, clock: Clock) -> web.Application:
    """The calendar addresses, to mount at /cal."""
    app = web.Application()
    app[FEEDS_KEY] = feeds
    app[LIMIT_KEY] = RateLimit(clock)
    app.router.add_get("/{secret}.ics", calendar_feed)
    return app
