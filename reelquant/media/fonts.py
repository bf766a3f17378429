"""The DejaVu fonts that ship with matplotlib, so slides and subtitles render the same on any machine."""

from __future__ import annotations

from pathlib import Path

import matplotlib


def dejavu_font_path(bold: bool = False) -> Path:
    """Path of matplotlib's bundled DejaVuSans (or DejaVuSans-Bold) TrueType file."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
