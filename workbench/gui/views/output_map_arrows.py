"""Input-gradient arrows over the Output map's plane: ∇ₓ of the network's output (for a classifier
with several outputs, of the most likely class's output) on a coarse grid of the visible plane
(``GRID`` × ``GRID``, fewer for a very large network), drawn as arrows pointing uphill — the way a
point would move to raise that output.  Lengths grow with the square root of |∇ₓ| relative to the
longest arrow, so small gradients stay visible.  The field and the arrow geometry come from
``workbench.core.input_gradients``; this file only draws them (a checkbox, one line item of segment
pairs and its legend entry)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox

from workbench.core import ConfigError, Network
from workbench.core import input_gradients as ig
from workbench.core.network import weight_count
from workbench.gui.views.output_map_parts import MAP_WORK, legend_entry

GRID = 16
MIN_GRID = 4


def arrow_grid(sizes) -> int:
    """Arrows per side for a network of these layer sizes: ``GRID``, fewer (down to ``MIN_GRID``)
    where a forward and backward pass at every arrow would cost more than the map's ``MAP_WORK``."""
    work = 3 * max(1, weight_count(sizes))
    return int(min(GRID, max(MIN_GRID, (MAP_WORK / work) ** 0.5)))
ARROWS_TIP = ("Arrows of the input gradient ∇ₓ of the network's output (several classes: of the most likely "
              "class's output) on a grid of up to 16 × 16: they point the way a point would move to raise it. "
              "Lengths grow with √|∇ₓ|, relative to the longest arrow.")


class GradientArrows:
    """The checkbox "Input gradient arrows" and, while it is ticked, the arrows on a plot.

    ``draw(plot, legend, weights, biases, activations, bounds, classification, colour, shown)``
    computes the field over ``bounds`` (x0, x1, y0, y1) and draws it (``shown`` False: hides it);
    ``hide()`` takes the arrows and their legend entry away.  ``on_toggle`` is called when the box
    changes, ``relayout`` after the legend changed."""

    def __init__(self, on_toggle, relayout):
        self.box = QCheckBox("Input gradient arro&ws")
        self.box.setToolTip(ARROWS_TIP)
        self.box.toggled.connect(on_toggle)
        self._relayout = relayout
        self.item: pg.PlotDataItem | None = None
        self.sample = pg.PlotDataItem()             # the legend's entry
        self._plot = self._legend = None
        self._text = ""
        self.field: ig.Field | None = None          # the field drawn last (None while hidden)

    def _attach(self, plot, legend) -> None:
        if self._plot is not plot:
            self._plot, self._legend = plot, legend
            self.item = pg.PlotDataItem(connect="pairs")
            self.item.setZValue(8)                 # over the map, under the data points
            plot.addItem(self.item)

    def hide(self) -> None:
        self.field = None
        if self.item is not None:
            self.item.hide()
        if self._legend is not None and legend_entry(self._legend, self.sample, self._text, False):
            self._relayout()

    def allow(self, plane: bool) -> None:
        """Offer the box on 2-D data only."""
        self.box.setVisible(plane)
        if not plane:
            self.hide()

    def draw(self, plot, legend, weights, biases, activations, bounds, classification: bool, colour: QColor,
             shown: bool = True) -> None:
        self._attach(plot, legend)
        if not (shown and self.box.isChecked()):
            self.hide()
            return
        try:
            net = Network(weights, biases, activations, "quadratic")
            with np.errstate(all="ignore"):
                n = arrow_grid(net.sizes)
                field = ig.gradient_field(net, bounds, n, classification=classification)
        except ConfigError:
            self.hide()
            return
        vb = plot.vb
        width, height = vb.width(), vb.height()
        spacing = max(4.0, min(width, height) / n)
        segments = ig.arrow_segments(field.points, field.vectors, vb.viewPixelSize(), spacing)
        pen = QColor(colour)
        pen.setAlpha(210)
        self.item.setPen(pg.mkPen(pen, width=1.3))
        self.sample.setPen(pg.mkPen(pen, width=1.3))
        self.item.setData(segments[:, 0], segments[:, 1])
        self.item.show()
        self.field = field
        text = f"arrows: ∇ₓ of {field.what} (uphill)"
        changed = False
        if text != self._text:
            changed = legend_entry(legend, self.sample, self._text, False)
            self._text = text
        if legend_entry(legend, self.sample, text, True) or changed:
            self._relayout()

    def segments(self) -> np.ndarray:
        """The drawn segment end points (2·s, 2) in plot coordinates (none while hidden)."""
        if self.item is None or not self.item.isVisible() or self.item.xData is None:
            return np.zeros((0, 2))
        return np.stack([self.item.xData, self.item.yData], axis=1)
