"""Charts as small PNGs that read well on a phone: the rating histogram, a poll's results."""

from __future__ import annotations

import io
from collections.abc import Sequence

BAR = "#1f6fb2"
LOW = "#c8553d"


def rating_histogram(counts: dict[int, int], average: float | None) -> bytes:
    """Bars for 1..5 stars with their counts on top; no text that needs translating."""
    stars = [1, 2, 3, 4, 5]
    values = [counts.get(n, 0) for n in stars]
    title = f"⌀ {average:.1f} / 5   (n = {sum(values)})" if average is not None else None
    return _bars(
        [f"{n}★" for n in stars],
        values,
        [str(v) for v in values],
        colours=[LOW if n <= 2 else BAR for n in stars],
        title=title,
        headroom=1.25,
        sizes=(16, 16, 16),
    )


def poll_bars(counts: list[int], respondents: int) -> bytes:
    """A poll's results: a bar per option, numbered 1, 2, … as the caption lists them (option
    texts stay out of the image: any language, any script, no shaping to get wrong)."""
    shares = [f"{round(100 * v / respondents)}%" if respondents else "0%" for v in counts]
    return _bars(
        [str(n) for n in range(1, len(counts) + 1)],
        counts,
        [f"{value}\n{share}" for value, share in zip(counts, shares, strict=True)],
        colours=[BAR] * len(counts),
        title=f"n = {respondents}",
        headroom=1.3,
        sizes=(12, 14, 14),
    )


def _bars(
    labels: Sequence[str],
    values: Sequence[int],
    notes: Sequence[str],
    *,
    colours: Sequence[str],
    title: str | None,
    headroom: float,
    sizes: tuple[int, int, int],
) -> bytes:
    """Bars with a note on top of each; `sizes`: the notes', the title's and the labels' font."""
    # Imported here: matplotlib costs ~1 s and ~35 MB at start-up, for a rare organiser chart.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    note_size, title_size, label_size = sizes
    figure = Figure(figsize=(6, 3.6), dpi=120)
    axes = figure.subplots()
    bars = axes.bar(list(labels), list(values), color=list(colours), width=0.7)
    axes.set_ylim(0, max(max(values, default=0) * headroom, 1))
    for bar, note in zip(bars, notes, strict=True):
        axes.annotate(
            note,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=note_size,
            fontweight="bold",
        )
    if title is not None:
        axes.set_title(title, fontsize=title_size)
    axes.tick_params(axis="x", labelsize=label_size)
    axes.tick_params(axis="y", labelsize=11)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
