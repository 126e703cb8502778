"""Limits on the pages' requests: small bodies, and a token bucket per client.

`mount` (bot/web/site.py) puts `Limits.middleware` first on every page application it serves
(/c, /app, /cal…), never on the root, so Telegram's webhook POSTs (few addresses, many updates)
are not limited. A reader never meets the limits (20 requests a second, 60 at once); a script
hammering the pages gets 429, a translated page and Retry-After. POSTs (the Mini App's stars)
have their own, stricter bucket. Behind a reverse proxy every request comes from the proxy:
WEB_TRUSTED_PROXY names it, and only requests from it are taken at their X-Forwarded-For word.
"""

from __future__ import annotations

import html
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.i18n import RTL, _, ngettext, use_language
from bot.services.flood import Rate, TokenBucket

# The pages take no uploads: the Mini App's POSTs are a few hundred bytes of JSON.
MAX_BODY = 64 * 1024
KEPT = 10_000  # clients remembered per bucket set; the least recently seen is forgotten first

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


READING = Rate(per_second=20, burst=60)
POSTING = Rate(per_second=2, burst=20)


@dataclass
class Buckets:
    """A token bucket per key, at most `kept` of them (the least recently used go first)."""

    rate: Rate
    now: Callable[[], float]
    kept: int = KEPT
    _buckets: OrderedDict[str, TokenBucket] = field(default_factory=OrderedDict)

    def take(self, key: str) -> float:
        """0 when `key` may go on (a token is spent); else the seconds until it may."""
        now = self.now()
        bucket = self._buckets.pop(key, None) or TokenBucket.full(self.rate, now)
        wait = bucket.take(now)
        self._buckets[key] = bucket
        while len(self._buckets) > self.kept:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


def trusted_networks(raw: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks (`10.0.0.0/8`); ValueError for anything else."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in raw if item.strip())


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class Limits:
    """The pages' limits, shared by every page application of one server."""

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.monotonic,
        reading: Rate = READING,
        posting: Rate = POSTING,
        trusted_proxies: tuple[Network, ...] = (),
        max_body: int = MAX_BODY,
        kept: int = KEPT,
    ) -> None:
        self.reading = Buckets(reading, now, kept)
        self.posting = Buckets(posting, now, kept)
        self.trusted_proxies = trusted_proxies
        self.max_body = max_body

    def client(self, request: web.Request) -> str:
        """Who asks: the peer, or behind a trusted proxy the last address it was told of that
        is not itself a trusted proxy (the ones before it are the client's own say)."""
        peer = request.remote or ""
        if not self.trusted_proxies or not _within(peer, self.trusted_proxies):
            return peer
        hops = [
            hop.strip()
            for header in request.headers.getall("X-Forwarded-For", [])
            for hop in header.split(",")
            if hop.strip()
        ]
        for hop in reversed(hops):
            if not _within(hop, self.trusted_proxies):
                return hop
        return peer

    def middleware(self, language: Callable[[web.Request], str]) -> Middleware:
        """The middleware for a page application; `language` picks the refusal's language."""

        @web.middleware
        async def limited(request: web.Request, handler: Handler) -> web.StreamResponse:
            posting = request.method not in ("GET", "HEAD", "OPTIONS")
            buckets = self.posting if posting else self.reading
            wait = buckets.take(self.client(request))
            if wait > 0:
                return _refusal(request, language(request), 429, math.ceil(wait))
            if posting:
                length = request.content_length
                if length is not None and length > self.max_body:
                    return _refusal(request, language(request), 413)
                # A body without a length (chunked) is cut off at the same size.
                request = request.clone(client_max_size=self.max_body)
            try:
                return await handler(request)
            except web.HTTPRequestEntityTooLarge:
                return _refusal(request, language(request), 413)

        return limited


# What a browser posts from a page's <form>: the refusal is a page it shows.
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refusal(
    request: web.Request, lang: str, status: int, retry_after: int | None = None
) -> web.Response:
    """429 or 413: JSON for the Mini App's script, else (a page, or a form the moderators'
    view posted) a short page in the reader's language."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    reason = "rate" if status == 429 else "size"
    if request.method not in ("GET", "HEAD") and request.content_type not in _FORMS:
        return web.json_response({"error": reason}, status=status, headers=headers)
    with use_language(lang):
        if status == 429:
            title = _("Too many requests")
            seconds = retry_after or 1
            text = ngettext(
                "This address was asked for too often. Wait {seconds} second, then try again.",
                "This address was asked for too often. Wait {seconds} seconds, then try again.",
                seconds,
            ).format(seconds=seconds)
        else:
            title = _("Too large")
            text = _("What was sent is larger than these pages accept.")
    page = (
        f'<!doctype html>\n<html lang="{lang}" dir="{"rtl" if lang in RTL else "ltr"}">\n'
        f'<head><meta charset="utf-8"><title>{html.escape(title)}</title></head>\n'
        f"<body><h1>{html.escape(title)}</h1>\n<p>{html.escape(text)}</p></body>\n</html>\n"
    )
    response = web.Response(text=page, status=status, content_type="text/html", headers=headers)
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
