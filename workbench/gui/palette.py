"""Colours that follow the light or dark theme.

``is_dark`` is the one place that decides whether the current palette is dark; panels and plots pick
their light- or dark-theme colours from it, so a theme switch (``QEvent.PaletteChange``) recolours
everything the same way.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

__all__ = ["is_dark"]


def is_dark(palette: QPalette | QColor, role: QPalette.ColorRole = QPalette.ColorRole.Window) -> bool:
    """True when ``palette`` is a dark theme: its ``role`` colour (the window background by
    default) has a lightness below 128. A ``QColor`` (e.g. a plot background) is judged directly."""
    colour = palette if isinstance(palette, QColor) else palette.color(role)
    return colour.lightness() < 128
