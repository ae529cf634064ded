"""Colours shared by the plots and the network diagram."""

from __future__ import annotations

#: One per followed weight, in order: its curve on the 'Followed weights' plot and its edge in the diagram.
WATCH_COLOURS = ["#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"


def is_dark(palette) -> bool:
    """Whether ``palette`` (a QPalette) is a dark theme: its base colour is dark."""
    from PySide6.QtGui import QPalette

    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def layer_colours(n: int, dark: bool) -> list:
    """A sequential (viridis) QColor per layer, first hidden layer first, readable on the background."""
    import pyqtgraph as pg

    lo, hi = (0.3, 1.0) if dark else (0.0, 0.78)
    cmap = pg.colormap.get("viridis")
    stops = [lo + (hi - lo) * i / max(1, n - 1) for i in range(n)] if n > 1 else [lo]
    return [cmap.map(s, mode=pg.ColorMap.QCOLOR) for s in stops]
