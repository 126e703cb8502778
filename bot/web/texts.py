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
        "links": _("Links"),
        "language": _("Language"),
        "not_found": _("Page not found"),
        "not_found_text": _("There is no such page in this programme."),
        "consultations": _("Consultations"),
    }
