"""Translations: the reader's locale lives in a ContextVar; catalogs are compiled on demand."""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SUPPORTED = ("en", "fr", "es", "ar")
DEFAULT = "en"
RTL = frozenset({"ar"})
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

# TRANSLATORS are not involved here: these are the names of languages in themselves.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT)

# Unicode isolates keep Latin names and numbers in the right order inside Arabic text.
_FSI, _PDI = "\u2068", "\u2069"


def pick_language(code: str | None) -> str:
    """The supported language closest to a Telegram `language_code` such as 'fr-CA'."""
    if code:
        base = code.replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED:
            return base
    return DEFAULT


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> None:
    """Build each .mo from its .po when missing or older, so a fresh clone runs as it is."""
    for lang in SUPPORTED:
        po = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo = po.with_suffix(".mo")
        if not po.exists():
            continue
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=lang)
        with mo.open("wb") as target:
            write_mo(target, catalog)
    translations_for.cache_clear()


@cache
def translations_for(lang: str) -> _gettext.NullTranslations:
    lang = lang if lang in SUPPORTED else DEFAULT
    try:
        return _gettext.translation(DOMAIN, LOCALES_DIR, languages=[lang])
    except FileNotFoundError:
        if lang == DEFAULT:
            return _gettext.NullTranslations()
        raise


def current_language() -> str:
    return _current.get()


def set_language(lang: str) -> None:
    """Set the locale for the rest of this task (the update being handled)."""
    _current.set(lang if lang in SUPPORTED else DEFAULT)


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Render messages in `lang` inside the block (jobs, broadcasts: the recipient's language)."""
    token = _current.set(lang if lang in SUPPORTED else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    return translations_for(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message


def counted(count: int, singular: str, plural: str) -> str:
    """'1 session', '2 sessions': a count in the command line's and the log's English (a
    reader's language takes `ngettext` and the catalogs' plural forms)."""
    return f"{count} {singular if count == 1 else plural}"


def isolate(text: str) -> str:
    """Wrap an embedded name or number so it reads correctly in right-to-left messages."""
    if _current.get() in RTL and text:
        return f"{_FSI}{text}{_PDI}"
    return text


def isolated(text: str) -> str:
    """Wrap text of unknown direction (a delegate's words) in any reader's language: its own
    direction comes from its first letter, and nothing in it reorders what surrounds it."""
    return f"{_FSI}{text}{_PDI}" if text else text
