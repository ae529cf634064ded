"""Colours that follow the light or dark theme.

``is_dark`` is the one place that decides whether the current palette is dark; panels and plots pick
their light- or dark-theme colours from it, so a theme switch (``QEvent.PaletteChange``) recolours
everything the same way.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

__all__ = ["is_dark", "layer_colours", "TRAIN_COLOUR", "VALIDATION_COLOUR", "WATCH_COLOURS"]

#: One per followed weight, in order: its curve on the Followed weights view and its edge in the diagram.
WATCH_COLOURS = ["#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"


def is_dark(palette: QPalette | QColor, role: QPalette.ColorRole = QPalette.ColorRole.Window) -> bool:
    """True when ``palette`` is a dark theme: its ``role`` colour (the window background by
    default) has a lightness below 128. A ``QColor`` (e.g. a plot background) is judged directly."""
    colour = palette if isinstance(palette, QColor) else palette.color(role)
    return colour.lightness() < 128


def layer_colours(n: int, dark: bool) -> list[QColor]:
    """A sequential (viridis) colour per layer, first hidden layer first, readable on the background."""
    import pyqtgraph as pg

    lo, hi = (0.4, 1.0) if dark else (0.0, 0.78)
    cmap = pg.colormap.get("viridis")
    stops = [lo + (hi - lo) * i / max(1, n - 1) for i in range(n)] if n > 1 else [lo]
    return [cmap.map(s, mode=pg.ColorMap.QCOLOR) for s in stops]
