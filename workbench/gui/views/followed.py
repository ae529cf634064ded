"""Followed weights: the gradient ∂C/∂w of each weight the user follows, after every batch
(McCaffrey's "spying on one weight").  Weights are chosen in the network diagram.  Runs ticked in
the Runs view that followed the same weights are drawn dashed (``run_overlays``)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout

from workbench.gui.palette import WATCH_COLOURS
from workbench.gui.views.markers import MarkerLines
from workbench.gui.views.run_overlays import RunOverlays, followed_gradients
from workbench.gui.views.plotkit import (PlotCanvas, PlotView, add_plot, fit_before_paint, grid_axes,
                                         start_over_range, style_plot, theme_plot)
from workbench.gui.worker import gui_priority

EMPTY_TEXT = ("No weight is followed.  Click a neuron in the network diagram, choose one of its "
              "incoming weights and press “Follow ∂C/∂w”.")
TITLES = ("Gradient ∂C/∂w of each followed weight", "∂C/∂w")


class FollowedWeightsView(PlotView):
    name = "followed"
    title = "Followed weights"
    area = "centre"
    tooltip = "The gradient of each followed weight after every batch"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self._generation = None
        self._labels: list[str] = []
        self.canvas = PlotCanvas()
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot, self.plot_title, self.legend = add_plot(self.canvas, 0, grid_axes())
        style_plot(self.plot, left="∂C/∂w")
        self.zero = pg.InfiniteLine(pos=0.0, angle=0, movable=False)
        self.plot.addItem(self.zero, ignoreBounds=True)
        self.curves: list[pg.PlotDataItem] = []
        self.markers = MarkerLines([self.plot], labelled=[self.plot])
        labels = lambda: tuple(self.experiment.history.watch_labels)  # noqa: E731
        self.overlays = RunOverlays(experiment, [(self.plot, self.legend, followed_gradients(labels))], key=labels)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.empty_label)
        column.addWidget(self.canvas, 1)
        self._apply_theme()
        for signal in (experiment.history_reset, experiment.history_appended, experiment.watch_changed,
                       experiment.runs_changed):
            signal.connect(self.mark_dirty)

    def _apply_theme(self):
        pal = self.palette()
        self.canvas.setBackground(pal.color(QPalette.ColorRole.Base))
        theme_plot(self.plot, pal)
        faint = QColor(pal.color(QPalette.ColorRole.Text))
        faint.setAlpha(110)
        self.zero.setPen(pg.mkPen(faint, width=1))
        self.empty_label.setStyleSheet(f"color: {faint.name(QColor.NameFormat.HexArgb)}; font-size: 11pt;")
        self.markers.restyle(pal)
        self._arrange(force=True)

    def _headers(self):
        return ((self.plot_title, self.legend, TITLES),)

    def _rebuild_curves(self, labels: list[str]):
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.curves = []
        for k, label in enumerate(labels):
            curve = pg.PlotDataItem(name=label, pen=pg.mkPen(WATCH_COLOURS[k % len(WATCH_COLOURS)], width=1))
            self.plot.addItem(curve)
            self.curves.append(curve)
        self._labels = labels
        self._arrange(force=True)

    def draw(self):
        h = self.experiment.history
        with gui_priority():
            if h.generation != self._generation:
                self._generation = h.generation
                self.markers.clear()
                start_over_range(self.plot, (-1.0, 1.0))
            labels = h.watch_labels
            if labels != self._labels:
                self._rebuild_curves(labels)
            self.empty_label.setVisible(not labels)
            self.canvas.setVisible(bool(labels))
            watched = h.batch_watched()
            x = h.batch_x()[:watched.shape[1]]
            for k, curve in enumerate(self.curves):
                curve.setData(x, watched[k])
            self.markers.update(h.markers)
            self.overlays.update()              # the ticked runs' gradients of the same weights, dashed
            fit_before_paint(self.canvas, [self.plot])

    def export_widget(self):
        return self.canvas
