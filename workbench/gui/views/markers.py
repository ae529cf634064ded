"""Markers of a history (hyperparameter changes, loaded weights, divergence) as dashed vertical
lines on a set of plots; labelled on the plots named ``labelled``, a tooltip on all.  Only the
latest ``MAX_MARKER_LINES`` get a line (each is an item of every plot: 20,000 of them froze the
window for a minute)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from workbench.gui.views.bounds import MAX_MARKER_LABELS, MAX_MARKER_LINES


class MarkerLines:
    """``drawn``: (x, text) of the markers that have lines, the latest ``MAX_MARKER_LINES`` of the
    history's (of them the latest ``MAX_MARKER_LABELS`` are labelled); ``lines``: their lines."""

    def __init__(self, plots, labelled=()):
        self._plots = list(plots)
        self._labelled = list(labelled)
        self.lines: list[pg.InfiniteLine] = []
        self.drawn: list[tuple[float, str]] = []
        self._seen: list[tuple[float, str]] = []      # every marker handed to update()
        self._lines_of: list[list[pg.InfiniteLine]] = []   # per drawn marker
        self._colour = QColor(0, 0, 0, 150)

    def update(self, markers) -> None:
        """Draw the latest of ``markers`` ((x in epochs, text) each); those drawn before stay."""
        markers = list(markers)
        if markers[:len(self._seen)] != self._seen:
            self.clear()
        new = markers[len(self._seen):][-MAX_MARKER_LINES:]
        self._seen = markers
        added = []
        for x, text in new:
            lines = []
            for plot in self._plots:
                label = text.replace("{", "{{").replace("}", "}}") if plot in self._labelled else None
                line = pg.InfiniteLine(pos=x, angle=90, movable=False, label=label,
                                       labelOpts=dict(position=0.6))
                line.setToolTip(f"{text}  (at epoch {x:.3g})")
                line.setZValue(15)
                plot.addItem(line, ignoreBounds=True)
                lines.append(line)
            self._lines_of.append(lines)
            self.drawn.append((x, text))
            added += lines
        while len(self.drawn) > MAX_MARKER_LINES:          # the oldest make way
            self.drawn.pop(0)
            self._remove(self._lines_of.pop(0))
        if added:
            for lines in self._lines_of[:-MAX_MARKER_LABELS]:
                for line in lines:
                    if getattr(line, "label", None) is not None:
                        line.label.hide()
            self.lines = [line for lines in self._lines_of for line in lines]
            self._style(added)

    def _remove(self, lines) -> None:
        for line in lines:
            for plot in self._plots:
                if line in plot.items:
                    plot.removeItem(line)

    def clear(self) -> None:
        for lines in self._lines_of:
            self._remove(lines)
        self.lines, self.drawn, self._seen, self._lines_of = [], [], [], []

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
