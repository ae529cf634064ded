"""Plot furniture shared by the views: canvases painted ahead of the training thread, plots with
a header row (title left, legend right, never over the curves), opaque grid lines, log axes.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QSizeF, Qt
from PySide6.QtGui import QColor, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy
import pyqtgraph as pg

from workbench.gui.views.base import View
from workbench.gui.worker import gui_priority_paint

@gui_priority_paint
class PlotCanvas(pg.GraphicsLayoutWidget):
    """pyqtgraph's layout widget, painted with the GUI thread ahead of a training worker."""


class RowLegend(pg.LegendItem):
    """A legend laid out in a row above its plot (beside the plot's title), so it never hides a
    curve; click an entry to hide or show its curve.  A collapsed legend is hidden and takes no room
    (a hidden item keeps its place in a QGraphicsLayout), whatever later changes its entries or columns."""

    def __init__(self):
        self.collapsed = False
        super().__init__(offset=None, frame=False, labelTextSize="8pt", horSpacing=4)
        self.layout.setContentsMargins(0, 0, 0, 0)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_collapsed(self, collapsed: bool) -> None:
        self.collapsed = bool(collapsed)
        self.setVisible(not self.collapsed)
        self.updateSize()

    def updateSize(self):  # noqa: N802 - pyqtgraph override: sized through the layout, not moved
        self.layout.invalidate()
        hint = QSizeF(0, 0) if self.collapsed else self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        self.setMinimumSize(hint)
        self.setMaximumSize(hint)
        self.updateGeometry()

    def mouseDragEvent(self, ev):  # noqa: N802 - a legend in a row stays where it is
        ev.ignore()


def add_plot(glw, row: int, axis_items: dict):
    """A plot at grid row ``2 * row + 1`` of ``glw`` under a header row holding its title (left)
    and its legend (right).  Returns (plot, title, legend)."""
    header = glw.ci.addLayout(row=2 * row, col=0)
    header.setContentsMargins(56, 0, 4, 0)       # in line with the plot area, right of the y axis
    header.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    header.layout.setSpacing(0)
    title = header.addLabel("", row=0, col=0, justify="left", size="9pt")
    title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    legend = RowLegend()
    header.addItem(legend, row=0, col=1)
    plot = glw.addPlot(row=2 * row + 1, col=0, axisItems=axis_items)
    plot.legend = legend            # PlotItem.addItem enters named curves into it
    return plot, title, legend


class PreMappedCurve(pg.PlotDataItem):
    """A curve whose owner supplies log10(y) itself when the plot is in log-y mode.

    pyqtgraph would recompute log10 of the whole history at every redraw (the slowest part of a
    redraw after 100,000 batches); the owner keeps an incrementally updated log buffer instead.
    """

    def __init__(self, *args, on_log_change=None, **kwargs):
        self.y_log = False
        self._on_log_change = on_log_change
        super().__init__(*args, **kwargs)

    def setLogMode(self, xState, yState):
        changed = bool(yState) != self.y_log
        self.y_log = bool(yState)
        super().setLogMode(xState, False)
        if changed and self._on_log_change is not None:
            self._on_log_change()


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class GridAxis(pg.AxisItem):
    """An axis whose grid lines are drawn opaque, pre-blended with the plot background, and behind
    the curves.  Qt's raster engine draws translucent lines several times more slowly (a frame of
    the three plots took 45 ms instead of 20), and painting holds the GIL the training thread needs.
    """

    def __init__(self, orientation, **kwargs):
        super().__init__(orientation, **kwargs)
        self._grid_background = QColor("white")
        self._grid_pens: dict[int, QPen] = {}

    def set_grid_background(self, colour: QColor) -> None:
        self._grid_background = QColor(colour)
        self._grid_pens.clear()
        self.picture = None
        self.update()

    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph override
        specs = super().generateDrawSpecs(p)
        if specs is None or self.grid is False:
            return specs
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, [(self._opaque(pen), p1, p2) for pen, p1, p2 in tick_specs], text_specs

    def _opaque(self, pen: QPen) -> QPen:
        colour = pen.color()
        alpha = colour.alphaF()
        if alpha >= 1.0:
            return pen
        key = colour.rgba()
        opaque = self._grid_pens.get(key)
        if opaque is None:
            bg = self._grid_background
            opaque = QPen(pen)
            opaque.setColor(QColor.fromRgbF(alpha * colour.redF() + (1 - alpha) * bg.redF(),
                                            alpha * colour.greenF() + (1 - alpha) * bg.greenF(),
                                            alpha * colour.blueF() + (1 - alpha) * bg.blueF()))
            self._grid_pens[key] = opaque
        return opaque


def grid_axes(left=None) -> dict:
    return {"left": left or GridAxis("left"), "bottom": GridAxis("bottom")}


class LogAxis(GridAxis):
    """A log axis that labels only 1, 2 and 5 times a power of ten, as plain numbers where short."""

    def logTickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            exponent = math.floor(v + 1e-9)
            mantissa = 10 ** (v - exponent)
            lead = round(mantissa)
            if abs(mantissa - lead) > 1e-3 or lead not in (1, 2, 5):
                out.append("")
            elif -3 <= exponent <= 3:
                out.append(f"{lead * 10.0 ** exponent:g}")
            else:
                power = "10" + str(exponent).translate(_SUPERSCRIPT)
                out.append(power if lead == 1 else f"{lead}·{power}")
        return out


class LeaveFilter(QObject):
    """Calls ``callback`` when the watched widget loses the mouse."""

    def __init__(self, callback, parent=None):
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Leave:
            self._callback()
        return False


def style_plot(plot, *, left: str | None = None, bottom: str | None = "epoch") -> None:
    """Grid behind the curves, clipped and peak-downsampled curves, plain axis numbers."""
    plot.showGrid(x=True, y=True, alpha=0.15)
    for name in ("left", "bottom"):
        plot.getAxis(name).setZValue(-1)
        plot.getAxis(name).enableAutoSIPrefix(False)
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    plot.getAxis("left").setWidth(52)
    if left:
        plot.setLabel("left", left)
    if bottom:
        plot.setLabel("bottom", bottom)


def theme_plot(plot, palette: QPalette) -> None:
    """Axis, tick and legend colours of ``plot`` from the palette (light or dark)."""
    bg = palette.color(QPalette.ColorRole.Base)
    fg = palette.color(QPalette.ColorRole.Text)
    grid_fg = QColor(fg)
    grid_fg.setAlpha(170)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(grid_fg)
        axis.setTextPen(fg)
        axis.set_grid_background(bg)
    plot.legend.setLabelTextColor(fg)
    for _, label in plot.legend.items:
        label.setText(label.text, color=fg)


def arrange_header(label, legend, titles, width: float, colour: str, force: bool = False) -> None:
    """One plot's header row: the longest of ``titles`` beside which the legend fits in one row;
    with the shortest title, the legend in two rows if they fit, else in as many as it needs."""
    preferred = Qt.SizeHint.PreferredSize
    n = len(legend.items)
    if n and legend.columnCount != n:
        legend.setColumnCount(n)
    entries = legend.layout.effectiveSizeHint(preferred).width() if n else 0.0
    for title in titles:
        if force or label.text != title:
            label.setText(title, color=colour, size="9pt", bold=True)
        if entries <= width - 76 - label.itemRect().width():
            break
    else:
        room = width - 76 - label.itemRect().width()
        for columns in range(-(-n // 2), 0, -1):         # two rows if they fit, else as many as needed
            legend.setColumnCount(columns)
            if columns == 1 or legend.layout.effectiveSizeHint(preferred).width() <= room:
                break


def fit_before_paint(canvas, plots) -> None:
    """Fit the axes to new data now: done inside the paint (pyqtgraph's default), the range change
    asks for a second paint of the whole canvas straight after the first.  Linked x ranges make one
    fit change the others: repeat until the ranges settle."""
    if canvas.isVisible():
        for _ in range(4):
            canvas.scene().prepareForPaint()
            if not any(plot.vb._autoRangeNeedsUpdate for plot in plots):
                break


def start_over_range(plot, y_range=(0.0, 1.0)) -> None:
    """A new history: x from 0 to 1 epoch and ``y_range`` (in the axis' units: log10 on a log
    axis) until data arrives, then auto range again.  Auto range alone would keep the previous
    run's range while the plot is empty (with nothing to fit, pyqtgraph leaves the range as it is)."""
    plot.vb.setRange(xRange=(0.0, 1.0), yRange=y_range, padding=0.02, update=False)
    plot.enableAutoRange()


def set_finite(curve, x, y, positive: bool = False) -> None:
    """``curve.setData`` with the non-finite (and, if asked, non-positive) points left out:
    pyqtgraph's symbols cannot take them."""
    import numpy as np

    keep = np.isfinite(y)
    if positive:
        keep &= y > 0
    if keep.all():
        curve.setData(x, y)
    else:
        curve.setData(x[keep], y[keep])


def fmt(v, percent: bool = False) -> str:
    """A readout number: 4 significant digits, a percentage, or "–" for none."""
    if v is None or not math.isfinite(v):
        return "–"
    return f"{100 * v:.2f} %" if percent else f"{v:.4g}"


class PlotView(View):
    """A view of pyqtgraph plots on ``self.canvas`` with header rows: the headers are laid out
    again when the canvas width changes, and the theme is reapplied on a palette change.

    Subclasses give ``_headers()`` — (title label, legend, titles longest first) per plot — and
    ``_apply_theme()``, which ends with ``self._arrange(force=True)``."""

    _arranged_width = -1

    def _headers(self):
        raise NotImplementedError

    def _apply_theme(self):
        raise NotImplementedError

    def _arrange(self, force: bool = False):
        width = self.canvas.width()
        if width == self._arranged_width and not force:
            return
        self._arranged_width = width
        colour = self.palette().color(QPalette.ColorRole.Text).name()
        for label, legend, titles in self._headers():
            arrange_header(label, legend, titles, width, colour, force)

    def resizeEvent(self, event):  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange()

    def changeEvent(self, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)
