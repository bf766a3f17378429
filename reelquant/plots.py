"""Small matplotlib plots rendered to PNG bytes for reports and the Dagster UI."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes, laid out tight; the caller still owns the figure and closes it."""
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def keyword_timeline_png(hits: pd.DataFrame, duration_s: float) -> bytes:
    """One row per lexicon category, a mark at every moment a term of it was said."""
    categories = sorted(hits["category"].unique()) if len(hits) else []
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(categories), 1) + 1.2), dpi=80)
    for row, category in enumerate(categories):
        sub = hits[hits["category"] == category]
        ax.scatter(sub["start_s"], [row] * len(sub), marker="|", s=250)
    ax.set_yticks(range(len(categories)), categories)
    ax.set_xlim(0, max(duration_s, 1.0))
    ax.set_xlabel("seconds")
    ax.set_title(f"{len(hits)} trading terms over time")
    try:
        return figure_png(fig)
    finally:
        plt.close(fig)
