"""The pages' words, in the reader's language, through the bot's catalogs.

Kept here rather than in the templates so that the catalogs' extraction (Python only) finds them.
"""

from __future__ import annotations

from bot.i18n import _


def labels() -> dict[str, str]:
    """Every fixed text of the pages, translated into the current language."""
    return {
        "programme": _("Programme"),
        "days": _("Programme by day"),
        "speakers": _("Speakers"),
        "rooms": _("Rooms and how to find them"),
        "search": _("Search"),
        "search_label": _("Search the programme"),
        "filter": _("Show"),
        "clear_filters": _("Clear filters"),
        "any": _("All"),
        "nothing": _("No session matches."),
        "open_telegram": _("Open in Telegram"),
        "star_telegram": _("Star it in Telegram"),
        "previous_day": _("Previous day"),
        "next_day": _("Next day"),
        "how_to_get_there": _("How to get there"),
        "accessibility": _("Accessibility"),
        "sessions_here": _("Sessions in this room"),
        "documents": _("Documents"),
        "consultation_documents": _("For the whole consultation"),
        "no_documents": _("No documents yet."),
        # TRANSLATORS: the alternative text of a room's map on the rooms page; {room} its name.
        "room_map": _("Map: how to find {room}"),
        "links": _("Links"),
        "language": _("Language"),
        "not_found": _("Page not found"),
        "not_found_text": _("There is no such page in this programme."),
        "consultations": _("Consultations"),
        # TRANSLATORS: the Mini App's button on a session (it adds it to the agenda, /my).
        "star": _("Star"),
        "unstar": _("Remove the star"),
        "app_loading": _("Loading your stars…"),
        "app_outside": _(
            "To star sessions here, open this page from the bot's menu button in Telegram."
        ),
        "app_refused": _(
            "Telegram did not confirm who you are. Close this page and open it again from "
            "the bot's menu button."
        ),
        "app_unknown": _(
            "Start a chat with the bot first, then open this page again from its menu button."
        ),
        "app_failed": _("That did not work. Check your connection and try again."),
        "app_busy": _("Too many taps at once: wait a few seconds, then try again."),
        "app_ready": _("Star the sessions you want to attend: /my in the chat lists them."),
        "app_saved": _("Starred: /my in the chat lists it."),
        "app_removed": _("Star removed."),
    }
