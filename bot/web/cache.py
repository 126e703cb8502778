"""Rendered pages kept for the next reader: a FOSDEM-size day takes tens of milliseconds to
render and compress, and is the same for everyone who asks for it in the same words.

A page is kept under what it is made of (its address with every parameter, the reader's
language, the bot's username) and for one version of the programme: when a reload swaps the
programme (`events()` is another object), everything kept is forgotten. It is kept as it is
sent, gzip included, so a hit costs neither a render nor a compression.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

from aiohttp import web

MAX_PAGES = 256
MAX_BYTES = 32 * 1024 * 1024  # raw and compressed together
# Pages with a status worth keeping: not an error a reader's typo makes.
KEPT_STATUSES = (200,)


@dataclass(frozen=True)
class Kept:
    status: int
    content_type: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bytes

    @classmethod
    def of(cls, response: web.Response) -> Kept:
        body = response.body
        assert isinstance(body, bytes)
        headers = tuple(
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in ("content-type", "content-length", "content-encoding")
        )
        return cls(
            response.status,
            response.content_type,
            headers,
            body,
            gzip.compress(body, compresslevel=6, mtime=0),
        )

    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    def response(self, request: web.Request) -> web.Response:
        """The page, gzipped for a reader that takes gzip (every browser)."""
        takes_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
        response = web.Response(
            body=self.gzipped if takes_gzip else self.body,
            status=self.status,
            headers=self.headers,
        )
        response.content_type = self.content_type
        response.charset = "utf-8"
        if takes_gzip:
            response.headers["Content-Encoding"] = "gzip"
        return response


@dataclass
class PageCache:
    """At most `max_pages` pages (and `max_bytes`), the least recently read go first."""

    max_pages: int = MAX_PAGES
    max_bytes: int = MAX_BYTES
    _version: object = None
    _pages: OrderedDict[Hashable, Kept] = field(default_factory=OrderedDict)
    _bytes: int = 0

    def get(self, version: object, key: Hashable) -> Kept | None:
        if version is not self._version:
            self.clear()
            self._version = version
            return None
        found = self._pages.get(key)
        if found is not None:
            self._pages.move_to_end(key)
        return found

    def put(self, version: object, key: Hashable, response: web.Response) -> Kept | None:
        """Keep `response` (a 200 with a body) for this version; the kept page, else None."""
        if response.status not in KEPT_STATUSES or not isinstance(response.body, bytes):
            return None
        if version is not self._version:
            self.clear()
            self._version = version
        kept = Kept.of(response)
        if kept.size() > self.max_bytes:
            return None
        previous = self._pages.pop(key, None)
        if previous is not None:
            self._bytes -= previous.size()
        self._pages[key] = kept
        self._bytes += kept.size()
        while len(self._pages) > self.max_pages or self._bytes > self.max_bytes:
            _key, dropped = self._pages.popitem(last=False)
            self._bytes -= dropped.size()
        return kept

    def clear(self) -> None:
        self._pages.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._pages)
