"""Printable QR cards: Arabic titles drawn joined and right to left; codes hold the deep link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import arabic_reshaper
import pytest
import segno
from bidi import get_display
from matplotlib.figure import Figure
from PIL import Image

from bot.i18n import compile_catalogs
from bot.services import qrcodes
from bot.services.event_data import Consultation
from tests.conftest import sample_events

NAIROBI_ID = "nairobi-2027"
MIXED_MIGRATION = "workshop-mixed-migration-eastern-route"
PRESENTATION_FORMS = range(0xFE70, 0xFF00)
ARABIC_LETTERS = range(0x0621, 0x064B)


def nairobi() -> Consultation:
    return sample_events().consultations[NAIROBI_ID]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every string the PNG cards hand to matplotlib, in order (title, then caption)."""
    texts: list[str] = []
    original = Figure.text

    def spy(self: Figure, x: float, y: float, s: str, *args: Any, **kwargs: Any) -> Any:
        texts.append(s)
        return original(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(Figure, "text", spy)
    return texts


def test_an_arabic_title_reaches_matplotlib_shaped_and_right_to_left(drawn: list[str]) -> None:
    title = "ورشة عمل – الهجرة المختلطة عبر الطريق الشرقي"
    qrcodes.card_png("https://t.me/iom_bot?start=fb_x", title, "امسح الرمز لتقييم الجلسة")
    drawn_title, drawn_caption = drawn
    lines = drawn_title.split("\n")
    # Wrapped in reading order: the first line holds the first words.
    assert lines == [get_display(arabic_reshaper.reshape(line)) for line in qrcodes._lines(title)]
    assert len(lines) == 2
    for text in (drawn_title, drawn_caption):
        assert any(ord(char) in PRESENTATION_FORMS for char in text)
        # Every letter is in its joined (initial, medial, final or isolated) form.
        assert not [char for char in text if ord(char) in ARABIC_LETTERS]
    # Right to left: the title's first word is drawn at the right end of the first line.
    assert lines[0].endswith(arabic_reshaper.reshape("ورشة")[::-1])
    assert lines[0].startswith(arabic_reshaper.reshape("عبر")[::-1])


def test_latin_titles_reach_matplotlib_unchanged(drawn: list[str]) -> None:
    title = "Atelier – Sécheresse et déplacements liés au climat"
    qrcodes.card_png("https://t.me/iom_bot?start=fb_x", title, "Scannez pour évaluer")
    assert drawn == [
        "Atelier – Sécheresse et\ndéplacements liés au climat",
        "Scannez pour évaluer",
    ]


def test_a_latin_title_naming_an_arabic_place_keeps_left_to_right_order() -> None:
    drawn = qrcodes.visual("Visit to حي الشيخ")
    assert drawn.startswith("Visit to ")
    assert any(ord(char) in PRESENTATION_FORMS for char in drawn)


def test_long_titles_wrap_on_words_and_end_with_an_ellipsis_when_cut() -> None:
    words = ["الحماية", "والمساعدة", "للمهاجرين"] * 12
    lines = qrcodes._lines(" ".join(words))
    assert len(lines) == qrcodes.MAX_LINES
    assert lines[-1].endswith("…")
    assert all(len(line) <= qrcodes.WRAP + 1 for line in lines)
    assert set(" ".join(lines).rstrip("…").split()) == set(words)  # no word cut in half
    assert qrcodes._lines("Opening plenary") == ["Opening plenary"]


def test_the_card_font_has_every_arabic_glyph_the_shaping_produces() -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    text = qrcodes.visual(" ".join(s.title.get("ar") for s in nairobi().sessions))
    for weight in ("normal", "bold"):
        path = font_manager.findfont(
            font_manager.FontProperties(family=qrcodes.FONT, weight=weight),
            fallback_to_default=False,
        )
        charmap = FT2Font(path).get_charmap()
        missing = {char for char in text if not char.isspace() and ord(char) not in charmap}
        assert not missing, (path, missing)


def test_svg_cards_keep_arabic_in_reading_order_and_mark_it_right_to_left() -> None:
    title = nairobi().session(MIXED_MIGRATION).title.get("ar")  # type: ignore[union-attr]
    svg = qrcodes.card_svg("https://t.me/iom_bot?start=fb_x", title, "Scan to rate this session")
    first_line = qrcodes._lines(title)[0]
    # SVG viewers shape and reorder themselves: the text stays as typed, selectable.
    assert f'direction="rtl" unicode-bidi="embed">{first_line}</text>' in svg
    assert 'unicode-bidi="embed">Scan to rate' not in svg
    latin = qrcodes.card_svg("https://t.me/iom_bot?start=fb_x", "Opening", "Scan")
    assert "direction=" not in latin


def module_grid(png: Path, size: int) -> list[list[bool]]:
    """Read the dark modules of the code off the printed card, as a scanner would."""
    image = Image.open(png).convert("L")
    width, height = image.size
    # The code sits between the title block and the caption.
    top, bottom = int(height * 0.25), int(height * 0.85)
    dark = [
        (x, y)
        for y in range(top, bottom, 2)
        for x in range(0, width, 2)
        if image.getpixel((x, y)) < 128
    ]
    left, right = min(x for x, _ in dark), max(x for x, _ in dark) + 2
    upper, lower = min(y for _, y in dark), max(y for _, y in dark) + 2
    step_x, step_y = (right - left) / size, (lower - upper) / size
    return [
        [
            image.getpixel((int(left + (col + 0.5) * step_x), int(upper + (row + 0.5) * step_y)))
            < 128
            for col in range(size)
        ]
        for row in range(size)
    ]


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_each_card_holds_the_sessions_deep_link(tmp_path: Path, lang: str) -> None:
    cards = qrcodes.write_cards(nairobi(), "iom_bot", tmp_path, lang=lang)
    card = next(card for card in cards if card.session.id == MIXED_MIGRATION)
    expected = f"https://t.me/iom_bot?start=fb_{MIXED_MIGRATION}"
    assert card.link == expected
    assert card.path == tmp_path / f"{NAIROBI_ID}-{MIXED_MIGRATION}.png"
    # No pure-Python QR decoder is available: compare the printed modules with the code of
    # the expected link, module by module.
    code = segno.make(expected, error="m")
    size = code.symbol_size(scale=1, border=0)[0]
    wanted = [[bool(v) for v in row] for row in code.matrix_iter(scale=1, border=0)]
    assert module_grid(card.path, size) == wanted
    assert module_grid(card.path, size) != [
        [bool(v) for v in row]
        for row in segno.make(expected + "x", error="m").matrix_iter(scale=1, border=0)
    ]


def test_svg_cards_hold_the_sessions_deep_link(tmp_path: Path) -> None:
    cards = qrcodes.write_cards(nairobi(), "iom_bot", tmp_path, fmt="svg", lang="ar")
    card = next(card for card in cards if card.session.id == MIXED_MIGRATION)
    expected = f"https://t.me/iom_bot?start=fb_{MIXED_MIGRATION}"
    code = segno.make(expected, error="m").svg_inline(scale=8, border=4, omitsize=False)
    assert code in card.path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("lang", "caption"),
    [
        ("en", "Scan to rate this session"),
        ("fr", "Scannez pour évaluer cette session"),
        ("es", "Escanee para valorar esta sesión"),
    ],
)
def test_the_caption_is_in_the_cards_language(
    tmp_path: Path, drawn: list[str], lang: str, caption: str
) -> None:
    compile_catalogs()
    qrcodes.write_cards(nairobi(), "iom_bot", tmp_path, lang=lang)
    captions = drawn[1::2]
    assert captions
    assert set(captions) == {caption}


def test_an_arabic_card_has_an_arabic_caption_in_png_and_svg(
    tmp_path: Path, drawn: list[str]
) -> None:
    compile_catalogs()
    caption = "يُرجى مسح الرمز لتقييم هذه الجلسة"
    qrcodes.write_cards(nairobi(), "iom_bot", tmp_path, lang="ar")
    assert drawn[1] == qrcodes.visual(caption)
    cards = qrcodes.write_cards(nairobi(), "iom_bot", tmp_path, fmt="svg", lang="ar")
    svg = cards[0].path.read_text(encoding="utf-8")
    assert f'direction="rtl" unicode-bidi="embed">{caption}</text></svg>' in svg
    assert "Scan to rate" not in svg


def test_a_caption_given_is_printed_as_given(tmp_path: Path, drawn: list[str]) -> None:
    qrcodes.write_cards(nairobi(), "iom_bot", tmp_path, lang="fr", caption="Votre avis compte")
    assert set(drawn[1::2]) == {"Votre avis compte"}
