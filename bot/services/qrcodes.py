"""Printable QR codes for the room doors: one per session, opening its feedback in the bot."""

from __future__ import annotations

import io
import textwrap
import unicodedata
from dataclasses import dataclass
from html import escape
from pathlib import Path

import arabic_reshaper
import segno
from bidi import get_display

from bot.i18n import _, use_language
from bot.services.event_data import Consultation, Session
from bot.services.feedback import feedback_link

QR_FORMATS = ("png", "svg")
WRAP = 34


@dataclass(frozen=True)
class QrCard:
    session: Session
    path: Path
    link: str


MAX_LINES = 4
# DejaVu Sans ships with matplotlib and has the Arabic presentation forms the shaping produces.
FONT = "DejaVu Sans"


def _lines(title: str) -> list[str]:
    """The title wrapped in reading order (words kept whole), at most MAX_LINES, "…" if cut."""
    lines = textwrap.wrap(title, WRAP, break_long_words=False) or [title]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1].rstrip(" .,:;،؛") + "…"
    return lines


def is_rtl(text: str) -> bool:
    """Whether the text reads right to left: its first strong character is Arabic or Hebrew."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def visual(line: str, *, rtl: bool | None = None) -> str:
    """One line as matplotlib must draw it: Arabic letters joined and laid out right to left.

    matplotlib neither shapes nor reorders text, so the line is shaped (presentation forms)
    and put in display order here; lines without right-to-left letters are left as they are.
    Wrap first, then call this per line: reordering applies within a line.
    """
    if not _has_rtl(line):
        return line
    base = is_rtl(line) if rtl is None else rtl
    return str(get_display(arabic_reshaper.reshape(line), base_dir="R" if base else "L"))


def card_png(link: str, title: str, caption: str) -> bytes:
    """The code with the session title above it and the caption below."""
    # Imported here: matplotlib costs ~1 s at start-up, and only the card commands draw.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    qr = segno.make(link, error="m")
    matrix = [[1 - int(bool(v)) for v in row] for row in qr.matrix_iter(scale=1, border=4)]
    figure = Figure(figsize=(4.2, 5.6), dpi=200)
    axes = figure.add_axes((0.08, 0.14, 0.84, 0.63))
    axes.imshow(matrix, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
    axes.set_axis_off()
    rtl = is_rtl(title)
    figure.text(
        0.5,
        0.95,
        "\n".join(visual(line, rtl=rtl) for line in _lines(title)),
        ha="center",
        va="top",
        fontsize=13,
        fontweight="bold",
        fontfamily=FONT,
    )
    figure.text(0.5, 0.08, visual(caption), ha="center", va="center", fontsize=12, fontfamily=FONT)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def card_svg(link: str, title: str, caption: str) -> str:
    """An SVG card: the title as <text>, so any script renders (and stays selectable)."""
    qr = segno.make(link, error="m")
    scale, border = 8, 4
    size = qr.symbol_size(scale=scale, border=border)[0]
    code = qr.svg_inline(scale=scale, border=border, omitsize=False)
    lines = _lines(title)
    top = 30 + 26 * len(lines)
    # Wide enough for WRAP characters of bold 20px text (about 12px each) with a margin.
    width, height = max(size, 12 * WRAP + 60), top + size + 50
    x = (width - size) // 2
    # SVG renderers shape and reorder text themselves: keep it in reading order (selectable,
    # searchable) and only state the base direction of right-to-left titles.
    title_dir = _svg_direction(title)
    texts = "".join(
        f'<text x="{width // 2}" y="{34 + 26 * i}" text-anchor="middle" font-size="20" '
        f'font-weight="bold" font-family="sans-serif"{title_dir}>{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="white"/>'
        f"{texts}"
        f'<g transform="translate({x},{top})">{code}</g>'
        f'<text x="{width // 2}" y="{top + size + 30}" text-anchor="middle" font-size="16" '
        f'font-family="sans-serif"{_svg_direction(caption)}>{escape(caption)}</text></svg>'
    )


def _svg_direction(text: str) -> str:
    return ' direction="rtl" unicode-bidi="embed"' if is_rtl(text) else ""


def write_cards(
    consultation: Consultation,
    bot_username: str,
    out: Path,
    *,
    fmt: str = "png",
    lang: str | None = None,
    caption: str | None = None,
) -> list[QrCard]:
    """One card per session (breaks excepted), named <consultation>-<session>.<fmt>.

    The caption under the code is in the card's language, as its title is, unless given.
    """
    if fmt not in QR_FORMATS:
        raise ValueError(f"unknown format {fmt!r} (png or svg)")
    out.mkdir(parents=True, exist_ok=True)
    lang = lang or consultation.default_language
    if caption is None:
        with use_language(lang):
            # TRANSLATORS: printed under the QR code on a room's door.
            caption = _("Scan to rate this session")
    cards = []
    for session in consultation.sessions:
        if session.kind == "break":
            continue
        link = feedback_link(bot_username, session)
        title = session.title.get(lang)
        path = out / f"{consultation.id}-{session.id}.{fmt}"
        if fmt == "png":
            path.write_bytes(card_png(link, title, caption))
        else:
            path.write_text(card_svg(link, title, caption), encoding="utf-8")
        cards.append(QrCard(session, path, link))
    return cards
