"""Warming the kept pages (bot/web/cache.py) after a reload.

A reload forgets every page kept, and the first reader of a FOSDEM-size day would wait for its
render (tens of milliseconds). So, in the background, each consultation's programme page and its
day pages (and the Mini App's first page) are rendered again before anyone asks: in the default
language and in those delegates read, one page at a time with the event loop free between two
(replies go first), no more than a bounded number of pages, and none of a programme another
reload has replaced meanwhile.
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
from bot.web.miniapp import PREFIX as MINI_APP_PREFIX
from bot.web.miniapp import app_programme
from bot.web.site import MINI_APP_KEY, PREFIX, SITE_KEY, day_page, programme_page

logger = logging.getLogger(__name__)

# Pages rendered after a reload, at most; never more than half of what the cache keeps, so that
# warming does not push out the pages readers asked for.
MAX_WARMED = 64

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Address:
    """A page to render: its address, the language its reader's browser prefers, the values of
    its route, its handler and the application that serves it (the pages, or the Mini App)."""

    path: str
    language: str
    match_info: tuple[tuple[str, str], ...]
    handler: PageHandler
    app: web.Application


def languages_to_warm(read: Sequence[str]) -> list[str]:
    """The default language, then the supported ones delegates read, in the order given."""
    found = [DEFAULT]
    for language in read:
        if language in SUPPORTED and language not in found:
            found.append(language)
    return found


def addresses(site: web.Application, events: EventData, read: Sequence[str]) -> list[Address]:
    """The pages likely read first, the likeliest first. In each language (the default first):
    each consultation's programme page and its days', as a browser first opens them (no
    `?lang=`: its own language); then the Mini App's first page, as the chat's menu button opens
    it (`?lang=`, the delegate's) or the bot's (none); then the programme and days again with
    `?lang=`, as a reader who chose the language reads them."""
    languages = languages_to_warm(read)
    consultations = list(events.consultations.values())

    def pages(language: str, chosen: bool) -> list[Address]:
        query = f"?lang={language}" if chosen else ""
        found = []
        for consultation in consultations:
            base = f"{PREFIX}/{consultation.id}/"
            route = (("consultation", consultation.id),)
            found.append(Address(base + query, language, route, programme_page, site))
            for day in consultation.days():
                found.append(
                    Address(
                        f"{base}{day.isoformat()}/{query}",
                        language,
                        (*route, ("day", day.isoformat())),
                        day_page,
                        site,
                    )
                )
        return found

    found = [address for language in languages for address in pages(language, chosen=False)]
    mini = site.get(MINI_APP_KEY)
    if mini is not None:
        for language in languages:
            for consultation in consultations:
                base = f"{MINI_APP_PREFIX}/{consultation.id}/"
                route = (("consultation", consultation.id),)
                for query in (f"?lang={language}", ""):
                    found.append(Address(base + query, language, route, app_programme, mini))
    found += [address for language in languages for address in pages(language, chosen=True)]
    return found


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
        # The longest the last warming held the event loop for one page, in milliseconds.
        self.longest_page = 0.0

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
        self.longest_page = 0.0
        most = max(0, min(self._most, site.pages.max_pages // 2))
        for address in addresses(self._site, events, read)[:most]:
            # Whatever else is ready (replies, readers' pages) runs before each page.
            await asyncio.sleep(0)
            if site.events() is not events:
                break  # replaced by another reload, which warms its own
            request = make_mocked_request(
                "GET",
                address.path,
                headers={"Accept-Language": address.language},
                match_info=dict(address.match_info),
                app=address.app,
            )
            began = time.perf_counter()
            try:
                await address.handler(request)
            except Exception:  # a page that fails fails for its reader too: logged there
                logger.warning("Could not warm %s", address.path, exc_info=True)
                continue
            finally:
                took = (time.perf_counter() - began) * 1000
                self.longest_page = max(self.longest_page, took)
                logger.debug("Warmed %s (%s) in %.1f ms", address.path, address.language, took)
            warmed += 1
        logger.info(
            "Warmed %d pages after the reload in %.0f ms (the longest %.0f ms)",
            warmed,
            (time.perf_counter() - started) * 1000,
            self.longest_page,
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
