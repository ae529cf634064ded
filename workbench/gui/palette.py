"""Colours that follow the light or dark theme.

``is_dark`` is the one place that decides whether the current palette is dark; panels and plots pick
their light- or dark-theme colours from it, so a theme switch (``QEvent.PaletteChange``) recolours
everything the same way.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

__all__ = ["is_dark", "layer_colours", "class_colours", "CLASS_COLOURS", "CLASS_COLOURS_DARK", "TRAIN_COLOUR",
           "VALIDATION_COLOUR", "WATCH_COLOURS"]

#: One per followed weight, in order: its curve on the Followed weights view and its edge in the diagram.
WATCH_COLOURS = ["#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
#: One per class (matplotlib's tab10): the Data panel's preview and the output map; lighter ones for
#: a dark background.
CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"]
CLASS_COLOURS_DARK = ["#5aa9ff", "#ffa040", "#5fd35f", "#ff6b6b", "#c49cff", "#d2a27a", "#ff9ee0", "#b8b8b8",
                      "#e0e060", "#4fe0f0"]
TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"


def is_dark(palette: QPalette | QColor, role: QPalette.ColorRole = QPalette.ColorRole.Window) -> bool:
    """True when ``palette`` is a dark theme: its ``role`` colour (the window background by
    default) has a lightness below 128. A ``QColor`` (e.g. a plot background) is judged directly."""
    colour = palette if isinstance(palette, QColor) else palette.color(role)
    return colour.lightness() < 128


def class_colours(dark: bool, n: int) -> list[QColor]:
    """A categorical colour per class, readable on the light or dark background (cycled past 10).
    Classes 0 and 1 are also the low and high ends of a single output's scale on the output map."""
    names = CLASS_COLOURS_DARK if dark else CLASS_COLOURS
    return [QColor(names[k % len(names)]) for k in range(n)]


def layer_colours(n: int, dark: bool) -> list[QColor]:
    """A sequential (viridis) colour per layer, first hidden layer first, readable on the background."""
    import pyqtgraph as pg

    lo, hi = (0.4, 1.0) if dark else (0.0, 0.78)
    cmap = pg.colormap.get("viridis")
    stops = [lo + (hi - lo) * i / max(1, n - 1) for i in range(n)] if n > 1 else [lo]
    return [cmap.map(s, mode=pg.ColorMap.QCOLOR) for s in stops]
