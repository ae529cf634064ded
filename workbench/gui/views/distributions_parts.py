"""Pieces of the Distributions view (``distributions.py``): its texts, the band fill, the wheel
filter that scrolls the page instead of zooming the plots, and how the plots are arranged for a width.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QColor, QPainterPath

from workbench.gui.views.base import NO_NETWORK_YET

NO_NETWORK_TEXT = (f"{NO_NETWORK_YET} and see how the weights, ∂C/∂b and "
                   "activations of each layer spread over time.")
NO_SAMPLE_TEXT = "Train to see how the weights spread over time."
SHOW_CHOICES = (("weights", "Weights W"), ("bias_gradients", "Gradients ∂C/∂b"),
                ("activations", "Activations a"), ("all", "All three side by side"))
PROBE_CHOICES = (64, 256, 1024)
NONFINITE_NAMES = {"weights": "weights", "bias_gradients": "∂C/∂b values", "activations": "activations"}
PAIRS = ((0, 8), (1, 7), (2, 6), (3, 5))     # percentile columns: 0–100, 6.7–93.3, 15.9–84.1, 30.9–69.1
MEDIAN = 4
ROW_HEIGHT = 200                              # pixels per band row (the view scrolls below that)
STRIP_HEIGHT = 200                            # the unit-health strip, its two plots side by side
STACKED_PLOT_HEIGHT = 170                     # each of its plots when they are stacked
COLUMN_MIN_WIDTH = 330                        # a band plot and its histogram side by side at least
STRIP_MIN_WIDTH = 760                         # the two health plots side by side at least
REFERENCE_LOG_RATIO = -3.0
RATIO_TIP = ("log10(‖ΔW‖/‖W‖) of the update after each sample, per layer.  The dashed line is −3: "
             "Karpathy's rule of thumb says updates of about 1/1000 of the weights are healthy; much "
             "lower and the layer learns slowly, much higher and training is unstable.")
HEALTH_TIP = ("Share of each layer's units that are saturated (sigmoid below 0.01 or above 0.99, tanh "
              "beyond ±0.98, on at least 95 % of the probe inputs) or dead (ReLU: 0 on every probe "
              "input).  Saturated units hardly learn: their gradient is about 0.  On the output layer "
              "saturation may just mean confident answers.")
BAND_TIP = ("Percentile bands over training time: the faintest band spans min to max, then 6.7–93.3 %, "
            "15.9–84.1 % and 30.9–69.1 % (±1.5σ, ±1σ, ±0.5σ for a normal distribution); the line "
            "is the median.  Beside it: the histogram of the latest sample.")
HIST_TIP = ("Histogram of the latest sample: how many values (x) fall in each of 30 bins from its "
            "minimum to its maximum (y, the same scale as the bands beside it)")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class NoLegend:
    """Stands in for the legend ``theme_plot`` recolours, on plots that have none."""

    items = ()

    def setLabelTextColor(self, _colour):  # noqa: N802 - pyqtgraph's name
        pass


class BandFill(pg.FillBetweenItem):
    """A fill between two curves of equal x, its path built straight from their arrays (pyqtgraph's
    own walks both paths' polygons in Python: 1.4 ms a band at 1,000 samples, against 0.05)."""

    def updatePath(self):  # noqa: N802 - pyqtgraph override
        (x1, y1), (x2, y2) = (c.getData() for c in self.curves)
        if x1 is None or x2 is None or len(x1) == 0 or len(x1) != len(x2):
            self.setPath(QPainterPath())    # the other edge has not got its new data yet
            return
        path = pg.arrayToQPath(np.concatenate([x1, x2[::-1]]), np.concatenate([y1, y2[::-1]]), connect="all")
        path.closeSubpath()
        self.setPath(path)


class WheelToScroll(QObject):
    """Event filter for a plot canvas inside a scroll area: the mouse wheel scrolls the page (it is
    sent to the area's vertical scroll bar, as QScrollArea does with its own wheel events) and
    never reaches the plots, which would zoom (pyqtgraph's axes accept a wheel event even when
    their view box has mouse interaction off)."""

    def __init__(self, scroll_area, parent=None):
        super().__init__(parent)
        self.scroll_area = scroll_area

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Wheel:
            QCoreApplication.sendEvent(self.scroll_area.verticalScrollBar(), event)
            return True
        return False


def freeze_mouse(plot) -> None:
    """No zoom, pan, context menu or auto-range button on ``plot``: the page scrolls instead."""
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    plot.hideButtons()


def arrangement(width: float, n_quantities: int) -> tuple[int, bool]:
    """(quantity columns side by side, health plots side by side) for a canvas ``width`` pixels wide."""
    columns = n_quantities if width >= n_quantities * COLUMN_MIN_WIDTH else 1
    return columns, width >= STRIP_MIN_WIDTH


def alpha(colour: QColor, value: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(value)
    return c


def quantity_title(q: str, l: int) -> str:
    sup = str(l + 1).translate(_SUP)
    return {"weights": f"weights W{sup}", "bias_gradients": f"∂C/∂b{sup}",
            "activations": f"activations a{sup}"}[q]


def sampling_text(offered: int, skipped: int, share: float) -> str:
    """How the samples were taken, for the status line."""
    if not skipped:
        return "every weight snapshot (up to 20 a second) and each epoch's end"
    return (f"{offered - skipped} of {offered} weight snapshots, to keep recording under {share:.0%} of the "
            "time, and each epoch's end")
