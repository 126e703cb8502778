"""The bot's own words in free-text answers, shared by the chat and `python -m bot ask`."""

from __future__ import annotations

from bot.i18n import _
from bot.services.event_data import FaqEntry, Topic
from bot.services.matcher import ACKNOWLEDGED, EMPTY, GREETING, THANKS_KIND


def not_sure_with_suggestions() -> str:
    """The abstention when some entries come near the question: the delegate may pick one."""
    return _(
        "I am not sure I know the answer to that, and I would rather not guess. Perhaps one "
        "of these answers it; if not, I can ask the organisers, and a person will answer you here."
    )


def suggestion_label(entry: FaqEntry | Topic, lang: str, default: str) -> str:
    """A suggested entry as the delegate reads it: the topic's title, or the entry's question."""
    if isinstance(entry, Topic):
        return f"{entry.icon} {entry.title.get(lang)}".strip()
    phrasings = entry.questions.get(lang) or entry.questions.get(default)
    if not phrasings:
        phrasings = next(iter(entry.questions.values()), (entry.id,))
    return "💡 " + phrasings[0]


def small_talk_answer(kind: str) -> str | None:
    """The answer to a greeting, thanks, an acknowledgement ("ok", "👍") or a message without a
    word ("?"); None for a real question."""
    if kind == GREETING:
        return _(
            "Hello! Ask me anything about the consultation, in your own words: "
            "for example “Where is lunch?” or “What is on now?”."
        )
    if kind == THANKS_KIND:
        return _("You are welcome! Ask me anything else any time.")
    if kind == ACKNOWLEDGED:
        return "👍 " + _("Ask me anything else any time.")
    if kind == EMPTY:
        return _(
            "Ask me anything about the consultation, in your own words: "
            "for example “Where is lunch?” or “What is on now?”."
        )
    return None


def not_sure_answer() -> str:
    """The honest abstention, when no organisers' text answers the question."""
    return _(
        "I am not sure I know the answer to that, and I would rather not guess. "
        "Shall I ask the organisers? A person will answer you here."
    )
