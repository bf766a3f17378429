"""Typed metadata helpers shared by the assets: Markdown previews and plots embedded in the UI."""


import base64
from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg


def md_table(rows: Iterable[Sequence[Any]], header: Sequence[str], limit: int = 20) -> dg.MetadataValue:
    """A Markdown table preview of at most `limit` rows."""
    rows = list(rows)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows[:limit]:
        cells = [str(c).replace("|", "\\|").replace("\n", " ") for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > limit:
        lines.append(f"\n… {len(rows) - limit} more rows")
    return dg.MetadataValue.md("\n".join(lines))


def md_png(png: bytes, alt: str) -> dg.MetadataValue:
    """A PNG embedded in Markdown, so the plot shows on the materialization page itself."""
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})")
