"""Printable QR codes for the room doors: one per session, opening its feedback in the bot."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import segno
from matplotlib.figure import Figure

from bot.services.event_data import Consultation, Session
from bot.services.feedback import feedback_link

QR_FORMATS = ("png", "svg")
WRAP = 34


@dataclass(frozen=True)
class QrCard:
    session: Session
    path: Path
    link: str


def _lines(title: str) -> list[str]:
    return textwrap.wrap(title, WRAP)[:4] or [title]


def card_png(link: str, title: str, caption: str) -> bytes:
    """The code with the session title above it and the caption below."""
    qr = segno.make(link, error="m")
    matrix = [[1 - int(bool(v)) for v in row] for row in qr.matrix_iter(scale=1, border=4)]
    figure = Figure(figsize=(4.2, 5.6), dpi=200)
    axes = figure.add_axes((0.08, 0.14, 0.84, 0.63))
    axes.imshow(matrix, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
    axes.set_axis_off()
    figure.text(
        0.5, 0.95, "\n".join(_lines(title)), ha="center", va="top", fontsize=13, fontweight="bold"
    )
    figure.text(0.5, 0.08, caption, ha="center", va="center", fontsize=12)
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
    width, height = max(size, 360), top + size + 50
    x = (width - size) // 2
    texts = "".join(
        f'<text x="{width // 2}" y="{34 + 26 * i}" text-anchor="middle" font-size="20" '
        f'font-weight="bold" font-family="sans-serif">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="white"/>'
        f"{texts}"
        f'<g transform="translate({x},{top})">{code}</g>'
        f'<text x="{width // 2}" y="{top + size + 30}" text-anchor="middle" font-size="16" '
        f'font-family="sans-serif">{escape(caption)}</text></svg>'
    )


def write_cards(
    consultation: Consultation,
    bot_username: str,
    out: Path,
    *,
    fmt: str = "png",
    lang: str | None = None,
    caption: str = "Scan to rate this session",
) -> list[QrCard]:
    """One card per session (breaks excepted), named <consultation>-<session>.<fmt>."""
    if fmt not in QR_FORMATS:
        raise ValueError(f"unknown format {fmt!r} (png or svg)")
    out.mkdir(parents=True, exist_ok=True)
    lang = lang or consultation.default_language
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
