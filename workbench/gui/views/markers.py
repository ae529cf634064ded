"""Markers of a history (hyperparameter changes, loaded weights, divergence) as dashed vertical
lines on a set of plots; labelled on the plots named ``labelled``, a tooltip on all."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette


class MarkerLines:
    def __init__(self, plots, labelled=()):
        self._plots = list(plots)
        self._labelled = list(labelled)
        self.lines: list[pg.InfiniteLine] = []
        self.drawn: list[tuple[float, str]] = []
        self._colour = QColor(0, 0, 0, 150)

    def update(self, markers) -> None:
        """Draw ``markers`` ((x in epochs, text) each); those drawn before stay."""
        markers = list(markers)
        if markers[:len(self.drawn)] != self.drawn:
            self.clear()
        new = markers[len(self.drawn):]
        for x, text in new:
            for plot in self._plots:
                label = text.replace("{", "{{").replace("}", "}}") if plot in self._labelled else None
                line = pg.InfiniteLine(pos=x, angle=90, movable=False, label=label,
                                       labelOpts=dict(position=0.6))
                line.setToolTip(f"{text}  (at epoch {x:.3g})")
                line.setZValue(15)
                plot.addItem(line, ignoreBounds=True)
                self.lines.append(line)
            self.drawn.append((x, text))
        if new:
            self._style(self.lines)

    def clear(self) -> None:
        for line in self.lines:
            for plot in self._plots:
                if line in plot.items:
                    plot.removeItem(line)
        self.lines, self.drawn = [], []

    def restyle(self, palette: QPalette) -> None:
        self._colour = QColor(palette.color(QPalette.ColorRole.Text))
        self._colour.setAlpha(150)
        self._style(self.lines)

    def relabel(self) -> None:
        """After an axis changed between linear and log: labels back at their place."""
        for line in self.lines:
            if getattr(line, "label", None) is not None:
                line.label.updatePosition()

    def _style(self, lines) -> None:
        for line in lines:
            line.setPen(pg.mkPen(self._colour, width=1, style=Qt.PenStyle.DashLine))
            if getattr(line, "label", None) is not None:
                line.label.setColor(self._colour)
