"""The rating histogram as a small PNG that reads well on a phone."""

from __future__ import annotations

import io

BAR = "#1f6fb2"
LOW = "#c8553d"


def rating_histogram(counts: dict[int, int], average: float | None) -> bytes:
    """Bars for 1..5 stars with their counts on top; no text that needs translating."""
    # Imported here: matplotlib costs ~1 s and ~35 MB at start-up, for a rare organiser chart.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6, 3.6), dpi=120)
    axes = figure.subplots()
    stars = [1, 2, 3, 4, 5]
    values = [counts.get(n, 0) for n in stars]
    colours = [LOW if n <= 2 else BAR for n in stars]
    bars = axes.bar([f"{n}★" for n in stars], values, color=colours, width=0.7)
    top = max(values, default=0)
    axes.set_ylim(0, max(top * 1.25, 1))
    for bar, value in zip(bars, values, strict=True):
        axes.annotate(
            str(value),
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=16,
            fontweight="bold",
        )
    if average is not None:
        axes.set_title(f"⌀ {average:.1f} / 5   (n = {sum(values)})", fontsize=16)
    axes.tick_params(axis="x", labelsize=16)
    axes.tick_params(axis="y", labelsize=11)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def poll_bars(counts: list[int], respondents: int) -> bytes:
    """A poll's results: a bar per option, numbered 1, 2, … as the caption lists them (option
    texts stay out of the image: any language, any script, no shaping to get wrong)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6, 3.6), dpi=120)
    axes = figure.subplots()
    labels = [str(n) for n in range(1, len(counts) + 1)]
    bars = axes.bar(labels, counts, color=BAR, width=0.7)
    top = max(counts, default=0)
    axes.set_ylim(0, max(top * 1.3, 1))
    for bar, value in zip(bars, counts, strict=True):
        share = f"{round(100 * value / respondents)}%" if respondents else "0%"
        axes.annotate(
            f"{value}\n{share}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=12,
            fontweight="bold",
        )
    axes.set_title(f"n = {respondents}", fontsize=14)
    axes.tick_params(axis="x", labelsize=14)
    axes.tick_params(axis="y", labelsize=11)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
