"""Warming the kept pages (bot/web/cache.py) after a reload.

A reload forgets every page kept, and the first reader of a FOSDEM-size day would wait for its
render (tens of milliseconds). So, in the background, each consultation's programme page and its
day pages are rendered again before anyone asks: in the default language and in those delegates
read, one page at a time with the event loop free between two (replies go first), no more than
a bounded number of pages, and none of a programme another reload has replaced meanwhile.

Pages are rendered as a reader who asks without `?lang=` and whose browser prefers the language
gets them, the way the addresses are first opened (the pages' links keep no language unless the
reader chose one).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.i18n import DEFAULT, SUPPORTED
from bot.services.event_data import EventData
from bot.web.site import PREFIX, SITE_KEY, day_page, programme_page

logger = logging.getLogger(__name__)

# Pages rendered after a reload, at most; never more than half of what the cache keeps, so that
# warming does not push out the pages readers asked for.
MAX_WARMED = 64

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Address:
    """A page to render: its path (under the pages' prefix), language and route's values."""

    path: str
    language: str
    match_info: tuple[tuple[str, str], ...]
    handler: PageHandler


def languages_to_warm(read: Sequence[str]) -> list[str]:
    """The default language, then the supported ones delegates read, in the order given."""
    found = [DEFAULT]
    for language in read:
        if language in SUPPORTED and language not in found:
            found.append(language)
    return found


def addresses(events: EventData, read: Sequence[str], most: int) -> list[Address]:
    """The pages likely read first, the likeliest first: in each language (the default first),
    each consultation's programme page, then its days'; at most `most`."""
    found: list[Address] = []
    for language in languages_to_warm(read):
        for consultation in events.consultations.values():
            base = f"{PREFIX}/{consultation.id}/"
            route = (("consultation", consultation.id),)
            found.append(Address(base, language, route, programme_page))
            for day in consultation.days():
                found.append(
                    Address(
                        f"{base}{day.isoformat()}/",
                        language,
                        (*route, ("day", day.isoformat())),
                        day_page,
                    )
                )
    return found[: max(0, most)]


class Warmer:
    """Renders, after each reload, the pages most likely read first, in the background."""

    def __init__(
        self,
        site: web.Application,
        languages: Callable[[], Awaitable[Sequence[str]]],
        *,
        most: int = MAX_WARMED,
    ) -> None:
        self._site = site
        self._languages = languages
        self._most = most
        self._task: asyncio.Task[int] | None = None
        self._stopped = False

    async def after_reload(self, events: EventData) -> None:
        """The reloader's `after_swap`: start warming; the reload does not wait for it."""
        self.start()

    def start(self) -> None:
        """Warm the pages of the programme in use (a warming under way stops first)."""
        if self._stopped:
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.create_task(self.warm(), name="warm-pages")

    async def wait(self) -> int:
        """Once the warming under way (and any that replaced it) is over: the pages it
        rendered."""
        while self._task is not None:
            task = self._task
            await asyncio.wait([task])
            if task is self._task:
                return 0 if task.cancelled() else task.result()
        return 0

    async def stop(self) -> None:
        """No more warming (the pages are no longer served)."""
        self._stopped = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def warm(self) -> int:
        """Render the pages likely read first, one at a time; how many were rendered (or found
        already kept)."""
        site = self._site[SITE_KEY]
        events = site.events()
        try:
            read = await self._languages()
        except Exception:  # the default language is warmed all the same
            logger.warning("Could not read the delegates' languages", exc_info=True)
            read = ()
        started = time.perf_counter()
        warmed = 0
        for address in addresses(events, read, min(self._most, site.pages.max_pages // 2)):
            # Whatever else is ready (replies, readers' pages) runs before each page.
            await asyncio.sleep(0)
            if site.events() is not events:
                break  # replaced by another reload, which warms its own
            request = make_mocked_request(
                "GET",
                address.path,
                headers={"Accept-Language": address.language},
                match_info=dict(address.match_info),
                app=self._site,
            )
            try:
                await address.handler(request)
            except Exception:  # a page that fails fails for its reader too: logged there
                logger.warning("Could not warm %s", address.path, exc_info=True)
                continue
            warmed += 1
        logger.info(
            "Warmed %d pages after the reload in %.0f ms",
            warmed,
            (time.perf_counter() - started) * 1000,
        )
        return warmed


WARMER_KEY = web.AppKey("warmer", Warmer)


def warm_after_reloads(
    site: web.Application,
    languages: Callable[[], Awaitable[Sequence[str]]],
    after_swap: list[Callable[[EventData], Awaitable[None]]],
) -> Warmer:
    """Warm `site`'s pages after each reload (`after_swap`: the reloader's) while it is served."""
    warmer = Warmer(site, languages)
    site[WARMER_KEY] = warmer
    after_swap.append(warmer.after_reload)

    async def stop(_app: web.Application) -> None:
        after_swap.remove(warmer.after_reload)
        await warmer.stop()

    site.on_cleanup.append(stop)
    return warmer
