"""The translation catalogs are complete, current and consistent with the English source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
LANGUAGES = ("en", "fr", "es", "ar")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z-]+[^>]*>")


def source_messages() -> set[str]:
    found = set()
    method_map = [("**.py", "python")]
    keywords = {"_": None, "ngettext": (1, 2), "N_": None}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def test_the_template_is_not_stale() -> None:
    """Run `pybabel extract` (see README) when this fails."""
    template = load(LOCALES / "messages.pot")
    in_template = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    in_source = source_messages()
    assert in_source - in_template == set(), "strings missing from locales/messages.pot"
    assert in_template - in_source == set(), "strings no longer in the source"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(lang: str) -> None:
    template = load(LOCALES / "messages.pot")
    catalog = load(LOCALES / lang / "LC_MESSAGES" / "messages.po", lang)
    wanted = {m.id for m in template if m.id}
    have = {m.id: m for m in catalog if m.id}
    missing = [m for m in wanted if m not in have]
    assert not missing, f"{lang}: not in the catalog (run pybabel update): {missing[:5]}"
    for message in have.values():
        assert not message.fuzzy, f"{lang}: fuzzy: {message.id!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{lang}: untranslated: {message.id!r}"
        assert len(strings) == catalog.num_plurals or not isinstance(message.id, tuple)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_placeholders_and_tags(lang: str) -> None:
    catalog = load(LOCALES / lang / "LC_MESSAGES" / "messages.po", lang)
    for message in catalog:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[1]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if not text:
                continue
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source)), (
                lang,
                source,
                text,
            )
            assert sorted(TAG.findall(text)) == sorted(TAG.findall(source)), (lang, source, text)


def translations(lang: str) -> list[str]:
    catalog = load(LOCALES / lang / "LC_MESSAGES" / "messages.po", lang)
    found: list[str] = []
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            found.extend(text for text in strings if text)
    return found


def arabic_word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\u0600-\u06ff]){word}(?![\u0600-\u06ff])")


# Wording that speaks to the reader, or has the bot speak of itself, as a man only.
GENDERED = {
    "fr": [re.compile(p) for p in (r"Êtes-vous sûr", r"ne suis pas sûr", r"Désolé", r"délégué\b")],
    "es": [re.compile(p) for p in (r"[Ee]st(á|oy) segur", r"\bdelegados?\b", r"\bListo\b")],
    # Masculine imperatives and adjectives: "اضغط" where a woman is told "اضغطي".
    "ar": [
        arabic_word(w)
        for w in ("متأكدًا?", "اسألني", "اضغط", "اختر", "اكتب", "افتح", "تفضل", "تحضرها")
    ],
}


@pytest.mark.parametrize("lang", sorted(GENDERED))
def test_the_reader_is_addressed_whoever_they_are(lang: str) -> None:
    found = [
        (pattern.pattern, text)
        for text in translations(lang)
        for pattern in GENDERED[lang]
        if pattern.search(text)
    ]
    assert found == []


def test_arrows_in_arabic_point_the_way_it_reads() -> None:
    """Right to left, what comes next is on the left: "old ← new", never "old → new"."""
    assert [text for text in translations("ar") if "→" in text or "▶" in text] == []
