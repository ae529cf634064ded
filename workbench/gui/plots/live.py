"""Live training plots: cost, accuracy and the learning speed ‖δˡ‖ of every layer.

``TrainingPlots`` is fed ``BatchRecord``/``EpochRecord`` objects on the GUI thread. ``add_batch`` and
``add_epoch`` only write one column into preallocated numpy buffers (doubling when full); a QTimer at
20 Hz redraws the curves when new data arrived, so a fast training loop never waits for drawing.

The x axis is always in epochs: a batch sits at ``epoch - 1 + samples_seen / n_train`` (a fractional
epoch) and the summary of epoch ``e`` at ``x = e`` (epoch 0 = the initial weights).
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QPalette, QPen, QTextDocument
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel,
                               QMenu, QMessageBox, QSizePolicy, QTabWidget, QToolButton, QVBoxLayout,
                               QWidget)
import numpy as np
import pyqtgraph as pg

from workbench.gui.plots.colours import WATCH_COLOURS
from workbench.gui.plots.neuron_text import weight_name
from workbench.gui.worker import gui_priority, gui_priority_paint

__all__ = ["TrainingPlots", "layer_names", "EMPTY_TEXT"]

EMPTY_TEXT = "Press Train to see the cost, accuracy and learning speed of each layer"
REFRESH_MS = 50  # 20 Hz
#: Rows kept per history table.  Beyond it the history is thinned to every 2nd, 4th, ... batch
#: (or epoch), so memory and the cost of a redraw stay bounded on runs of millions of batches.
MAX_POINTS = 20_000
HISTORY_FORMAT = "workbench-plots"
HISTORY_VERSION = 1

TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"


def layer_names(n_layers: int) -> list[str]:
    """Legend names of the weight layers: "hidden 1", ..., "hidden n_layers-1", "output"."""
    return [f"hidden {i + 1}" for i in range(n_layers - 1)] + ["output"]


def _nan(v) -> float:
    return math.nan if v is None else float(v)


def _fmt(v: float, percent: bool = False) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    return f"{100 * v:.2f} %" if percent else f"{v:.4g}"


def _json_list(a: np.ndarray) -> list:
    """A float array as a JSON-safe list (NaN/inf become None)."""
    return [v if math.isfinite(v) else None for v in a.tolist()]


def _atomic_target(path: str) -> tuple[int, str]:
    folder = os.path.dirname(os.path.abspath(path))
    return tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".part")


class _Table:
    """A growable float64 table stored column-major: ``data`` has shape (width, capacity).

    Only the first ``n`` columns are used; ``column(j)`` is a contiguous (n,) view.
    """

    def __init__(self, width: int, capacity: int = 512):
        self.width = width
        self.data = np.full((width, capacity), np.nan)
        self.n = 0
        self.received = 0   # rows offered, kept or not
        self.stride = 1     # only rows whose key (step or epoch) is a multiple of this are kept

    def thin(self, key: int, limit: int) -> np.ndarray | None:
        """Above ``limit`` rows, double the stride (until at most limit/2 rows are left) and drop
        the rows whose key is off it.  Returns the indices kept, or None when nothing changed."""
        if self.n <= limit:
            return None
        keys = self.data[key, :self.n]
        stride = self.stride
        keep = np.ones(self.n, bool)
        while keep.sum() > limit // 2:
            stride *= 2
            keep = keys % stride == 0
        kept = np.flatnonzero(keep)
        self.data[:, :len(kept)] = self.data[:, kept]
        self.data[:, len(kept):self.n] = np.nan
        self.n, self.stride = len(kept), stride
        return kept

    def grow(self):
        bigger = np.full((self.width, 2 * self.data.shape[1]), np.nan)
        bigger[:, :self.n] = self.data[:, :self.n]
        self.data = bigger

    def column(self, j: int) -> np.ndarray:
        return self.data[j, :self.n]

    def load(self, columns: list):
        """Replace the contents by ``columns`` (width lists of equal length, None = NaN)."""
        n = len(columns[0]) if columns else 0
        self.data = np.full((self.width, max(512, 2 * n)), np.nan)
        for j, col in enumerate(columns):
            if len(col) != n:
                raise ValueError("The plot history has columns of different lengths.")
            self.data[j, :n] = np.array([_nan(v) for v in col], dtype=np.float64)
        self.n = self.received = n
        self.stride = 1


# Batch table columns (then delta norms per layer).
_BX, _BSTEP, _BEPOCH, _BBATCH, _BCOST = range(5)
_B_FIXED = 5
# Epoch table columns (then delta norms per layer, then weight norms per layer).
_EEPOCH, _ETRAIN, _ETRAIN_ACC, _EVAL, _EVAL_ACC, _ESECONDS, _ESPS = range(7)
_E_FIXED = 7


class _LogCache:
    """log10 of some columns of a _Table, computed only for rows added since the last call.

    Non-positive values become NaN (a gap in the curve). ``get`` returns a (width, n) array.
    """

    def __init__(self):
        self.table = None
        self.arr = np.empty((0, 0))
        self.n = 0

    def get(self, table: _Table, start: int, width: int) -> np.ndarray:
        if table is not self.table or self.arr.shape[0] != width or self.n > table.n:
            self.table, self.n = table, 0
            self.arr = np.empty((width, table.data.shape[1]))
        if self.arr.shape[1] < table.n:
            bigger = np.empty((width, table.data.shape[1]))
            bigger[:, :self.n] = self.arr[:, :self.n]
            self.arr = bigger
        if self.n < table.n:
            src = table.data[start:start + width, self.n:table.n]
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.log10(src)
            out[~(src > 0)] = np.nan
            self.arr[:, self.n:table.n] = out
            self.n = table.n
        return self.arr[:, :table.n]


@gui_priority_paint
class _PlotCanvas(pg.GraphicsLayoutWidget):
    """pyqtgraph's layout widget, painted with the GUI thread ahead of a training worker."""


class _RowLegend(pg.LegendItem):
    """A legend laid out in a row above its plot (beside the plot's title), so it never hides a
    curve; click an entry to hide or show its curve."""

    def __init__(self):
        super().__init__(offset=None, frame=False, labelTextSize="8pt", horSpacing=4)
        self.layout.setContentsMargins(0, 0, 0, 0)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def updateSize(self):  # noqa: N802 - pyqtgraph override: sized through the layout, not moved
        self.layout.invalidate()
        hint = self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        self.setMinimumSize(hint)
        self.setMaximumSize(hint)
        self.updateGeometry()

    def mouseDragEvent(self, ev):  # noqa: N802 - a legend in a row stays where it is
        ev.ignore()


def _add_plot(glw, row: int, axis_items: dict):
    """A plot at grid row ``2 * row + 1`` of ``glw`` under a header row holding its title (left)
    and its legend (right).  Returns (plot, title, legend)."""
    header = glw.ci.addLayout(row=2 * row, col=0)
    header.setContentsMargins(56, 0, 4, 0)       # in line with the plot area, right of the y axis
    header.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    header.layout.setSpacing(0)
    title = header.addLabel("", row=0, col=0, justify="left", size="9pt")
    title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    legend = _RowLegend()
    header.addItem(legend, row=0, col=1)
    plot = glw.addPlot(row=2 * row + 1, col=0, axisItems=axis_items)
    plot.legend = legend            # PlotItem.addItem enters named curves into it
    return plot, title, legend


class _PreMappedCurve(pg.PlotDataItem):
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


class _GridAxis(pg.AxisItem):
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


def _grid_axes(left=None) -> dict:
    return {"left": left or _GridAxis("left"), "bottom": _GridAxis("bottom")}


class _LogAxis(_GridAxis):
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


class _LeaveFilter(QObject):
    """Calls ``callback`` when the watched widget loses the mouse."""

    def __init__(self, callback, parent=None):
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Leave:
            self._callback()
        return False


class TrainingPlots(QWidget):
    """Cost, accuracy and per-layer learning speed ‖δˡ‖ = ‖∂C/∂bˡ‖ of a training run, drawn live.

    Public interface (see contract.md): ``reset``, ``add_batch``, ``add_epoch``, ``add_marker``,
    ``set_resolution``/``resolution``, ``export_png``, ``export_csv``, ``history``/``load_history``.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._n_layers = 1
        self._classification = True
        self._resolution = "batch"
        self._watch: list[tuple[int, int, int]] = []   # followed weights (layer, i, j)
        self._watch_declared = False                    # the owner said which (else named by position)
        self._watch_labels: list[str] = []
        self._markers: list[tuple[float, str]] = []
        self._marker_lines: list[pg.InfiniteLine] = []
        self._last_x = 0.0
        self._seen, self._seen_epoch = 0, 0
        self._dirty = False
        self._hover_x: float | None = None
        self._arranged_width = -1           # canvas width the header rows were last laid out for
        self._batches = _Table(_B_FIXED + 1)
        self._epochs = _Table(_E_FIXED + 2)
        self._batch_log = _LogCache()
        self._epoch_log = _LogCache()
        self._watched = _Table(1)

        #: Redraw by itself (from a timer) when data arrive; an owner that paces redraws itself
        #: (the main window while training) turns this off and calls ``refresh()``.
        self.auto_refresh = True
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)

        self._build_ui()
        self._apply_theme()
        self.reset(2, True)

    # ------------------------------------------------------------------ construction
    def _build_ui(self):
        self._resolution_combo = QComboBox()
        self._resolution_combo.addItem("Per batch", "batch")
        self._resolution_combo.addItem("Per epoch", "epoch")
        self._resolution_combo.setToolTip(
            "Per batch: the cost and ‖δˡ‖ of every mini-batch (noisy, live within an epoch).\n"
            "Per epoch: the summary after each epoch, measured on the whole training set.")
        self._resolution_combo.currentIndexChanged.connect(
            lambda _: self.set_resolution(self._resolution_combo.currentData()))
        self._log_cost = QCheckBox("Log cost axis")
        self._log_cost.setToolTip("Draw the cost on a logarithmic axis, to see slow progress late in training.")
        self._log_cost.toggled.connect(self._on_log_cost)
        self._export_button = QToolButton()
        self._export_button.setText("Export…")
        self._export_button.setToolTip("Save the plots as a PNG image or the training history as CSV.")
        self._export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self._export_button)
        menu.addAction("Plots as PNG image…", self._export_png_dialog)
        menu.addAction("History as CSV…", self._export_csv_dialog)
        self._export_button.setMenu(menu)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Resolution:"))
        bar.addWidget(self._resolution_combo)
        bar.addSpacing(12)
        bar.addWidget(self._log_cost)
        bar.addStretch(1)
        bar.addWidget(self._export_button)

        # The three curves plots, stacked, x axes linked.
        self._glw = _PlotCanvas()
        self._glw.setMinimumSize(260, 300)
        self._glw.ci.setContentsMargins(2, 2, 8, 2)
        self._glw.ci.setSpacing(2)
        self.cost_plot, self._cost_title, self._cost_legend = _add_plot(self._glw, 0, _grid_axes())
        self.accuracy_plot, self._accuracy_title, self._accuracy_legend = _add_plot(self._glw, 1, _grid_axes())
        self.speed_plot, self._speed_title, self._speed_legend = _add_plot(
            self._glw, 2, _grid_axes(_LogAxis("left")))
        self._curve_plots = [self.cost_plot, self.accuracy_plot, self.speed_plot]
        for plot in self._curve_plots:
            plot.showGrid(x=True, y=True, alpha=0.15)
            for name in ("left", "bottom"):
                plot.getAxis(name).setZValue(-1)       # grid behind the curves
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.getAxis("left").setWidth(52)
            plot.setMenuEnabled(True)
        self.accuracy_plot.setXLink(self.cost_plot)
        self.speed_plot.setXLink(self.cost_plot)
        self.cost_plot.setLabel("left", "cost")
        self.accuracy_plot.setLabel("left", "accuracy", units="%")
        self.speed_plot.setLabel("left", "‖δˡ‖ (log)")
        self.speed_plot.vb.setToolTip("Learning speed of each layer: the length of ∂C/∂bˡ, the gradient of the "
                                      "cost with respect to the layer's biases.\nIn deep sigmoid networks the "
                                      "early layers learn much more slowly (the vanishing gradient).")
        self.speed_plot.setLabel("bottom", "epoch")
        self.speed_plot.setLogMode(x=False, y=True)
        for plot in self._curve_plots:
            plot.getAxis("left").enableAutoSIPrefix(False)
        for plot in (self.cost_plot, self.accuracy_plot):
            plot.getAxis("bottom").setStyle(showValues=False)  # x is shared: values under the last plot


        self._batch_cost = pg.PlotDataItem(name="training, per batch")
        self._train_cost = pg.PlotDataItem(name="training")
        self._val_cost = pg.PlotDataItem(name="validation")
        self._train_acc = pg.PlotDataItem(name="training")
        self._val_acc = pg.PlotDataItem(name="validation")
        self.cost_plot.addItem(self._batch_cost)
        self.cost_plot.addItem(self._train_cost)
        self.cost_plot.addItem(self._val_cost)
        self.accuracy_plot.addItem(self._train_acc)
        self.accuracy_plot.addItem(self._val_acc)
        self._speed_curves: list[pg.PlotDataItem] = []

        self._regression_note = pg.LabelItem("Accuracy is only defined for classification;<br>"
                                             "this data set is a regression task.")
        self._regression_note.setParentItem(self.accuracy_plot.vb)
        self._regression_note.anchor(itemPos=(0.5, 0.5), parentPos=(0.5, 0.5))

        self._crosshairs = []
        for plot in self._curve_plots:
            line = pg.InfiniteLine(angle=90, movable=False)
            line.setZValue(20)
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self._crosshairs.append(line)

        self._glw.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._leave_filter = _LeaveFilter(self._on_mouse_left, self)
        self._glw.viewport().installEventFilter(self._leave_filter)

        # The watched-gradient plot (a second tab, present only when weights are watched).
        self._watch_glw = _PlotCanvas()
        self.watch_plot, self._watch_title, self._watch_legend = _add_plot(self._watch_glw, 0, _grid_axes())
        self.watch_plot.showGrid(x=True, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            self.watch_plot.getAxis(name).setZValue(-1)
        self.watch_plot.setClipToView(True)
        self.watch_plot.setDownsampling(auto=True, mode="peak")
        self.watch_plot.setLabel("left", "∂C/∂w")
        self.watch_plot.setLabel("bottom", "epoch")
        self.watch_plot.getAxis("left").setWidth(52)
        self.watch_plot.setXLink(self.cost_plot)
        self._watch_zero = pg.InfiniteLine(pos=0.0, angle=0, movable=False)
        self.watch_plot.addItem(self._watch_zero, ignoreBounds=True)
        self._watch_curves: list[pg.PlotDataItem] = []

        # Empty state: faint text centred over the plots (same grid cell, on top, mouse-transparent).
        self._empty_label = QLabel(EMPTY_TEXT)
        self._empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_label.setWordWrap(True)
        self._empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._empty_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        stack = QWidget()
        grid = QGridLayout(stack)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self._glw, 0, 0)
        grid.addWidget(self._empty_label, 0, 0, Qt.AlignmentFlag.AlignCenter)

        self._tabs = QTabWidget()
        self._tabs.setDocumentMode(True)
        self._tabs.setTabBarAutoHide(True)
        self._tabs.addTab(stack, "Curves")

        self._readout = QLabel()
        self._readout.setTextFormat(Qt.TextFormat.RichText)
        self._readout.setWordWrap(True)
        self._readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._readout.setToolTip("Values at the mouse pointer (or the latest values). "
                                 "Click a legend entry to hide or show its curve.")
        self._readout.setMinimumHeight(self._readout_floor())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self._tabs, 1)
        layout.addWidget(self._readout)

    # ------------------------------------------------------------------ theme
    def _is_dark(self) -> bool:
        return self.palette().color(QPalette.ColorRole.Base).lightness() < 128

    def _layer_colours(self, n: int) -> list[QColor]:
        """A sequential (viridis) colour per layer, first hidden layer first; readable on the background."""
        lo, hi = (0.3, 1.0) if self._is_dark() else (0.0, 0.78)
        cmap = pg.colormap.get("viridis")
        stops = [lo + (hi - lo) * i / max(1, n - 1) for i in range(n)] if n > 1 else [lo]
        return [cmap.map(s, mode=pg.ColorMap.QCOLOR) for s in stops]

    def _apply_theme(self):
        pal = self.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        faint = QColor(fg)
        faint.setAlpha(110)
        grid_fg = QColor(fg)
        grid_fg.setAlpha(170)
        for glw in (self._glw, self._watch_glw):
            glw.setBackground(bg)
        for plot in self._curve_plots + [self.watch_plot]:
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(grid_fg)
                axis.setTextPen(fg)
                axis.set_grid_background(bg)
            plot.legend.setLabelTextColor(fg)
            for _, label in plot.legend.items:
                label.setText(label.text, color=fg)
        self._arrange(force=True)         # titles in the new text colour
        note = QColor(fg)
        note.setAlpha(150)
        self._regression_note.setText(self._regression_note.text, color=note, size="10pt")
        self._empty_label.setStyleSheet(
            f"color: {faint.name(QColor.NameFormat.HexArgb)}; font-size: 12pt; padding: 10px;")
        cross = QColor(fg)
        cross.setAlpha(120)
        for line in self._crosshairs:
            line.setPen(pg.mkPen(cross, width=1))
        self._watch_zero.setPen(pg.mkPen(faint, width=1))
        self._style_curves()
        self._style_markers()

    def _headers(self):
        """(title label, legend, titles from longest to shortest) of each plot."""
        return ((self._cost_title, self._cost_legend, ("Cost",)),
                (self._accuracy_title, self._accuracy_legend, ("Accuracy",)),
                (self._speed_title, self._speed_legend,
                 ("Learning speed ‖δˡ‖ = ‖∂C/∂bˡ‖ of each layer", "Learning speed ‖δˡ‖", "‖δˡ‖")),
                (self._watch_title, self._watch_legend, ("Gradient ∂C/∂w of each followed weight", "∂C/∂w")))

    def _arrange(self, force: bool = False):
        """Each plot's header row: the longest title beside which the legend fits in one row;
        with the shortest title, the legend in two rows if it must."""
        width = self._glw.width()
        if width == self._arranged_width and not force:
            return
        self._arranged_width = width
        colour = self.palette().color(QPalette.ColorRole.Text).name()
        preferred = Qt.SizeHint.PreferredSize
        for label, legend, titles in self._headers():
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
                if n > 1:
                    legend.setColumnCount(-(-n // 2))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._arrange()

    def _style_curves(self):
        batch_colour = QColor(TRAIN_COLOUR)
        batch_colour.setAlpha(170 if self._is_dark() else 110)
        self._batch_cost.setPen(pg.mkPen(batch_colour, width=1))
        symbols = self._epochs.n <= 60
        # Validation: wider line and hollow rings under the training curve, so both stay visible
        # where they coincide (e.g. XOR, whose validation split repeats the four patterns).
        background = self.palette().color(QPalette.ColorRole.Base)
        for curve, colour, validation in ((self._train_cost, TRAIN_COLOUR, False),
                                          (self._val_cost, VALIDATION_COLOUR, True),
                                          (self._train_acc, TRAIN_COLOUR, False),
                                          (self._val_acc, VALIDATION_COLOUR, True)):
            curve.setPen(pg.mkPen(colour, width=3.5 if validation else 1.8))
            curve.setZValue(1 if validation else 2)
            curve.setSymbol("o" if symbols else None)
            curve.setSymbolSize(8 if validation else 5)
            curve.setSymbolPen(pg.mkPen(colour, width=1.5))
            curve.setSymbolBrush(pg.mkBrush(background if validation else colour))
        colours = self._layer_colours(len(self._speed_curves))
        for i, (curve, colour) in enumerate(zip(self._speed_curves, colours)):
            output = i == len(self._speed_curves) - 1
            style = Qt.PenStyle.DashLine if output else Qt.PenStyle.SolidLine
            # One-pixel lines at batch resolution: thousands of noisy segments, and Qt's raster
            # engine fills wider lines as polygons (a frame took twice as long at width 1.5).
            curve.setPen(pg.mkPen(colour, width=1 if self._resolution == "batch" else 1.5, style=style))
        for i, curve in enumerate(self._watch_curves):
            curve.setPen(pg.mkPen(WATCH_COLOURS[i % len(WATCH_COLOURS)], width=1))

    def changeEvent(self, event):
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)

    # ------------------------------------------------------------------ public interface
    def reset(self, n_layers: int, classification: bool, watch=None):
        """Forget all data and prepare for a run of a network with ``n_layers`` weight layers.

        ``watch``: optional list of (layer, i, j) weights whose gradients the BatchRecords report
        (the same list given to ``train``); they are plotted on a second tab.
        """
        if n_layers < 1:
            raise ValueError("A network has at least one weight layer.")
        self._readout.setMinimumHeight(self._readout_floor())
        self._n_layers = int(n_layers)
        self._classification = bool(classification)
        self._batches = _Table(_B_FIXED + self._n_layers)
        self._epochs = _Table(_E_FIXED + 2 * self._n_layers)
        self._watch_declared = watch is not None
        self._watch = [tuple(int(v) for v in w) for w in (watch or [])]
        self._watch_labels = [weight_name(*w, self._n_layers) for w in self._watch]
        self._watched = _Table(max(1, len(self._watch)))
        self._markers = []
        self._last_x = 0.0
        self._seen, self._seen_epoch = 0, 0
        for plot in self._curve_plots + [self.watch_plot]:
            for line in [ln for ln in plot.items if getattr(ln, "_workbench_marker", False)]:
                plot.removeItem(line)
        self._marker_lines = []
        self._rebuild_speed_curves()
        self._rebuild_watch_curves()
        self._regression_note.setVisible(not self._classification)
        for name in ("left", "bottom"):
            self.accuracy_plot.showAxis(name, self._classification)
        self.accuracy_plot.showGrid(x=self._classification, y=self._classification, alpha=0.15)
        self._train_acc.setVisible(self._classification)
        self._val_acc.setVisible(self._classification)
        self._accuracy_legend.setVisible(self._classification)
        for plot in self._curve_plots + [self.watch_plot]:
            plot.enableAutoRange()
        self._update_legends()
        self._dirty = True
        self._redraw()

    def watch(self) -> list[tuple[int, int, int]]:
        """The followed weights, (layer, i, j) each: W[layer][i, j], 0-based."""
        return list(self._watch)

    def set_watch(self, watch) -> None:
        """Follow the gradients of ``watch`` ((layer, i, j) weights) from the next batch on.

        Weights followed before keep their history; new ones start with gaps up to now.
        """
        watch = [tuple(int(v) for v in w) for w in watch]
        t, old = self._batches, self._watched
        previous = {key: k for k, key in enumerate(self._watch)} if self._watch_curves else {}
        table = _Table(max(1, len(watch)), capacity=t.data.shape[1])
        if watch:
            table.n, m = t.n, min(old.n, t.n)
            for k, key in enumerate(watch):
                if key in previous:
                    table.data[k, :m] = old.data[previous[key], :m]
        self._watch, self._watch_declared = watch, True
        self._watch_labels = [weight_name(*w, self._n_layers) for w in watch]
        self._watched = table
        self._rebuild_watch_curves()
        self._dirty = True
        self._redraw()

    def show_watch_tab(self) -> None:
        """Bring the followed-weights plot to the front (when weights are followed)."""
        index = self._tabs.indexOf(self._watch_glw)
        if index >= 0:
            self._tabs.setCurrentIndex(index)

    def add_batch(self, rec):
        """Append one BatchRecord (cheap: a few array writes, no drawing)."""
        norms = rec.delta_norms
        if len(norms) != self._n_layers:
            self._adopt_layers(len(norms))
        t = self._batches
        t.received += 1
        if rec.step % t.stride:             # thinned history: only every stride-th batch is kept
            self._seen, self._seen_epoch = rec.samples_seen, rec.epoch
            self._last_x = rec.epoch - 1 + rec.samples_seen / rec.n_train
            return
        if t.n == t.data.shape[1]:
            t.grow()
        n = t.n
        d = t.data
        # A batch's cost and gradients are measured on the weights before its update: plot it where
        # the batch starts, so batch 1 of epoch 1 sits at x = 0 with the initial evaluation.
        start = self._seen if (rec.epoch == self._seen_epoch and rec.batch > 1) else 0
        d[_BX, n] = rec.epoch - 1 + start / rec.n_train
        d[_BSTEP, n] = rec.step
        d[_BEPOCH, n] = rec.epoch
        d[_BBATCH, n] = rec.batch
        d[_BCOST, n] = rec.cost
        d[_B_FIXED:, n] = norms
        t.n = n + 1
        self._seen, self._seen_epoch = rec.samples_seen, rec.epoch
        if rec.watched:
            self._add_watched(rec.watched, n)
        self._last_x = rec.epoch - 1 + rec.samples_seen / rec.n_train  # where the next batch starts
        self._thin_batches()
        self._touch()

    def _thin_batches(self):
        was = self._batches.n
        kept = self._batches.thin(_BSTEP, MAX_POINTS)
        w = self._watched
        if kept is not None and self._watch_curves:
            while w.data.shape[1] < was:
                w.grow()
            w.data[:, w.n:was] = np.nan      # rows of batches whose gradients did not arrive
            w.data[:, :len(kept)] = w.data[:, kept]
            w.data[:, len(kept):was] = np.nan
            w.n = len(kept)

    def add_batches(self, records):
        """Append many BatchRecords at once: the same rows as ``add_batch`` for each, written
        column by column (a few µs a record instead of tens: a tiny network makes tens of
        thousands of records a second)."""
        L = self._n_layers
        t, w = self._batches, self._watched
        width = len(records[0].watched) if records else 0
        watched_fits = (width == 0 and not self._watch_curves) or (
            width == w.width and w.n == t.n and bool(self._watch_curves))
        if (len(records) < 8 or not watched_fits
                or any(len(r.delta_norms) != L or len(r.watched) != width for r in records)):
            for rec in records:
                self.add_batch(rec)
            return
        m = len(records)
        while t.n + m > t.data.shape[1]:
            t.grow()
        epoch = np.fromiter([r.epoch for r in records], np.float64, m)
        batch = np.fromiter([r.batch for r in records], np.float64, m)
        seen = np.fromiter([r.samples_seen for r in records], np.float64, m)
        n_train = np.fromiter([r.n_train for r in records], np.float64, m)
        prev_seen = np.concatenate(([self._seen], seen[:-1]))
        prev_epoch = np.concatenate(([self._seen_epoch], epoch[:-1]))
        start = np.where((epoch == prev_epoch) & (batch > 1), prev_seen, 0.0)
        step = np.fromiter([r.step for r in records], np.float64, m)
        keep = slice(None) if t.stride == 1 else np.flatnonzero(step % t.stride == 0)
        rows = np.empty((t.width, m))
        rows[_BX] = epoch - 1 + start / n_train
        rows[_BSTEP] = step
        rows[_BEPOCH] = epoch
        rows[_BBATCH] = batch
        rows[_BCOST] = np.fromiter([r.cost for r in records], np.float64, m)
        rows[_B_FIXED:_B_FIXED + L] = np.array([r.delta_norms for r in records], np.float64).T
        rows = rows[:, keep]
        k = rows.shape[1]
        t.data[:, t.n:t.n + k] = rows
        if width:
            while w.n + m > w.data.shape[1]:
                w.grow()
            w.data[:, w.n:w.n + k] = np.array([r.watched for r in records], np.float64).T[:, keep]
            w.n += k
        t.n += k
        t.received += m
        last = records[-1]
        self._seen, self._seen_epoch = last.samples_seen, last.epoch
        self._last_x = last.epoch - 1 + last.samples_seen / last.n_train
        self._thin_batches()
        self._touch()

    def add_epochs(self, records):
        """Append many EpochRecords at once (see ``add_batches``)."""
        L = self._n_layers
        if any(len(r.delta_norms) != L or len(r.weight_norms) != L for r in records) or len(records) < 8:
            for rec in records:
                self.add_epoch(rec)
            return
        m = len(records)
        t = self._epochs
        was = t.n
        while t.n + m > t.data.shape[1]:
            t.grow()
        rows = np.array([(r.epoch, r.train_cost, r.train_accuracy, r.val_cost, r.val_accuracy,
                          r.seconds, r.samples_per_second, *r.delta_norms, *r.weight_norms)
                         for r in records], dtype=np.float64)     # None becomes NaN
        if t.stride > 1:
            rows = rows[rows[:, _EEPOCH] % t.stride == 0]
        k = len(rows)
        t.data[:_E_FIXED + 2 * L, t.n:t.n + k] = rows.T
        t.n += k
        t.received += m
        t.thin(_EEPOCH, MAX_POINTS)
        self._last_x = max(self._last_x, float(records[-1].epoch))
        if was <= 60 < t.n:
            self._style_curves()  # from now on too many epochs for symbols
        self._touch()

    def _add_watched(self, values, row: int):
        """Store the watched gradients of batch row ``row`` (columns of the watched table match batch rows)."""
        w = self._watched
        if not self._watch_curves and w.n == 0 and not self._watch_declared:
            # Weights are watched but reset() was not told which: name them by position.
            self._watch_labels = [f"watched weight {k + 1}" for k in range(len(values))]
            self._watched = w = _Table(len(values))
            self._rebuild_watch_curves()
        if len(values) != w.width:
            return  # the watch list changed mid-run without a reset: ignore it rather than crash
        while w.n <= row:
            if w.n == w.data.shape[1]:
                w.grow()
            w.n += 1
        w.data[:, row] = values

    def add_epoch(self, rec):
        """Append one EpochRecord (epoch 0 = the initial weights)."""
        if len(rec.delta_norms) != self._n_layers:
            self._adopt_layers(len(rec.delta_norms))
        t = self._epochs
        t.received += 1
        if rec.epoch % t.stride:
            self._last_x = max(self._last_x, float(rec.epoch))
            return
        if t.n == t.data.shape[1]:
            t.grow()
        n = t.n
        d = t.data
        d[_EEPOCH, n] = rec.epoch
        d[_ETRAIN, n] = _nan(rec.train_cost)
        d[_ETRAIN_ACC, n] = _nan(rec.train_accuracy)
        d[_EVAL, n] = _nan(rec.val_cost)
        d[_EVAL_ACC, n] = _nan(rec.val_accuracy)
        d[_ESECONDS, n] = _nan(rec.seconds)
        d[_ESPS, n] = _nan(rec.samples_per_second)
        L = self._n_layers
        d[_E_FIXED:_E_FIXED + L, n] = [_nan(v) for v in rec.delta_norms]
        d[_E_FIXED + L:_E_FIXED + 2 * L, n] = [_nan(v) for v in rec.weight_norms]
        t.n = n + 1
        self._last_x = max(self._last_x, float(rec.epoch))
        t.thin(_EEPOCH, MAX_POINTS)
        if n == 60:
            self._style_curves()  # from now on too many epochs for symbols
        self._touch()

    def _adopt_layers(self, n_layers: int):
        """Records of a different depth arrived: start over with that depth (never crash)."""
        self.reset(n_layers, self._classification)

    def add_marker(self, text: str):
        """Draw a dashed vertical line labelled ``text`` at the current position on every plot."""
        self._markers.append((self._last_x, str(text)))
        self._draw_marker(self._last_x, str(text))
        self._touch()

    def markers(self) -> list[tuple[float, str]]:
        """(x in epochs, text) of every marker."""
        return list(self._markers)

    def resolution(self) -> str:
        return self._resolution

    def set_resolution(self, mode: str):
        """``"batch"``: per-batch cost and ‖δˡ‖ vs fractional epoch; ``"epoch"``: epoch summaries."""
        if mode not in ("batch", "epoch"):
            raise ValueError(f"Unknown plot resolution {mode!r}; use 'batch' or 'epoch'.")
        if mode == self._resolution and self._resolution_combo.currentData() == mode:
            return
        self._resolution = mode
        self._resolution_combo.blockSignals(True)
        self._resolution_combo.setCurrentIndex(self._resolution_combo.findData(mode))
        self._resolution_combo.blockSignals(False)
        self._update_legends()
        self._style_curves()
        for plot in self._curve_plots:
            plot.enableAutoRange()
        self._dirty = True
        self._redraw()

    def n_layers(self) -> int:
        return self._n_layers

    def is_classification(self) -> bool:
        return self._classification

    def batch_count(self) -> int:
        """Batches received (on a long run only every ``batch_stride()``-th is kept)."""
        return self._batches.received

    def epoch_count(self) -> int:
        """Epoch summaries received, epoch 0 included."""
        return self._epochs.received

    def batch_points(self) -> int:
        """Batches kept for drawing and export (at most ``MAX_POINTS``)."""
        return self._batches.n

    def batch_stride(self) -> int:
        return self._batches.stride

    def speed_curves(self) -> list[pg.PlotDataItem]:
        """The ‖δˡ‖ curves, first hidden layer first, output last."""
        return list(self._speed_curves)

    def refresh(self):
        """Redraw now if new data arrived (the timer does this by itself)."""
        self._redraw()

    # ------------------------------------------------------------------ curves
    def _rebuild_speed_curves(self):
        for curve in self._speed_curves:
            self.speed_plot.removeItem(curve)
        self._speed_curves = []
        for i, name in enumerate(layer_names(self._n_layers)):
            curve = _PreMappedCurve(name=name, on_log_change=self._force_redraw)
            curve.setZValue(10 + self._n_layers - i)  # early (slow) layers drawn on top
            self.speed_plot.addItem(curve)
            self._speed_curves.append(curve)
        self._arrange(force=True)
        self._style_curves()

    def _rebuild_watch_curves(self):
        for curve in self._watch_curves:
            self.watch_plot.removeItem(curve)
        self._watch_curves = []
        for name in self._watch_labels:
            curve = pg.PlotDataItem(name=name)
            self.watch_plot.addItem(curve)
            self._watch_curves.append(curve)
        index = self._tabs.indexOf(self._watch_glw)
        if self._watch_curves and index < 0:
            self._tabs.addTab(self._watch_glw, "Followed weights")
        elif not self._watch_curves and index >= 0:
            self._tabs.removeTab(index)
        self._style_curves()
        self._arrange(force=True)

    def _update_legends(self):
        """The per-batch cost curve is in the legend only at batch resolution."""
        legend = self._cost_legend
        legend.clear()
        if self._resolution == "batch":
            legend.addItem(self._batch_cost, self._batch_cost.name())
        legend.addItem(self._train_cost, "training")
        legend.addItem(self._val_cost, "validation")
        self._batch_cost.setVisible(self._resolution == "batch")
        self._arrange(force=True)

    def _force_redraw(self):
        self._touch()

    def _touch(self):
        self._dirty = True
        if self.auto_refresh and not self._timer.isActive():
            self._timer.start()

    def _tick(self):
        if not self._dirty or not self.auto_refresh:
            self._timer.stop()
            return
        self._redraw()

    def _redraw(self):
        if not self._dirty:
            return
        self._dirty = False
        started = time.perf_counter()
        with gui_priority():
            self._redraw_curves()
            # Fit the axes to the new data now: done inside the paint (pyqtgraph's default), the
            # range change asks for a second paint of the whole canvas straight after the first.
            # Linked x ranges make one fit change the others: repeat until the ranges settle.
            for canvas, plots in ((self._glw, self._curve_plots), (self._watch_glw, [self.watch_plot])):
                if canvas.isVisible():
                    for _ in range(4):
                        canvas.scene().prepareForPaint()
                        if not any(plot.vb._autoRangeNeedsUpdate for plot in plots):
                            break
        # Painting costs about as much again: keep the GUI thread mostly free on huge histories.
        spent_ms = 1000 * (time.perf_counter() - started)
        self._timer.setInterval(int(min(500, max(REFRESH_MS, 6 * spent_ms))))

    @staticmethod
    def _set_finite(curve, x: np.ndarray, y: np.ndarray, positive: bool = False):
        keep = np.isfinite(y)
        if positive:
            keep &= y > 0
        if keep.all():
            curve.setData(x, y)
        else:
            curve.setData(x[keep], y[keep])

    def _redraw_curves(self):
        b, e = self._batches, self._epochs
        L = self._n_layers
        ex = e.column(_EEPOCH)
        self._empty_label.setVisible(b.n == 0 and e.n == 0)
        # Epoch curves carry symbols; pyqtgraph's scatter cannot take non-finite points, so drop them
        # (a NaN epoch summary only ends a diverged run).
        positive = self._log_cost.isChecked()
        self._set_finite(self._train_cost, ex, e.column(_ETRAIN), positive)
        self._set_finite(self._val_cost, ex, e.column(_EVAL), positive)
        if self._classification:
            self._set_finite(self._train_acc, ex, 100 * e.column(_ETRAIN_ACC))
            self._set_finite(self._val_acc, ex, 100 * e.column(_EVAL_ACC))
        else:
            self._train_acc.setData([], [])
            self._val_acc.setData([], [])
        if self._resolution == "batch":
            bx = b.column(_BX)
            self._batch_cost.setData(bx, b.column(_BCOST))
            speed_x, table, start, cache = bx, b, _B_FIXED, self._batch_log
        else:
            self._batch_cost.setData([], [])
            speed_x, table, start, cache = ex, e, _E_FIXED, self._epoch_log
        logged = None
        for l, curve in enumerate(self._speed_curves):
            if curve.y_log:
                logged = cache.get(table, start, L) if logged is None else logged
                curve.setData(speed_x, logged[l])
            else:
                curve.setData(speed_x, table.column(start + l))
        if self._watch_curves:
            w = self._watched
            wx = b.column(_BX)[:w.n]
            for k, curve in enumerate(self._watch_curves):
                curve.setData(wx, w.column(k))
        self._update_readout()

    # ------------------------------------------------------------------ log cost
    def _on_log_cost(self, on: bool):
        self.cost_plot.setLogMode(x=False, y=on)
        self._dirty = True
        self._redraw()
        for line in self._marker_lines:
            label = getattr(line, "label", None)
            if label is not None:
                label.updatePosition()
        self.cost_plot.enableAutoRange()

    # ------------------------------------------------------------------ markers
    def _style_markers(self):
        colour = QColor(self.palette().color(QPalette.ColorRole.Text))
        colour.setAlpha(150)
        for line in self._marker_lines:
            line.setPen(pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine))
            label = getattr(line, "label", None)
            if label is not None:
                label.setColor(colour)

    def _draw_marker(self, x: float, text: str):
        for i, plot in enumerate(self._curve_plots + [self.watch_plot]):
            labelled = i == 0 or plot is self.watch_plot
            line = pg.InfiniteLine(
                pos=x, angle=90, movable=False,
                label=text.replace("{", "{{").replace("}", "}}") if labelled else None,
                labelOpts=dict(position=0.6))
            line._workbench_marker = True
            line.setToolTip(f"{text}  (at epoch {x:.3g})")
            line.setZValue(15)
            plot.addItem(line, ignoreBounds=True)
            self._marker_lines.append(line)
        self._style_markers()

    # ------------------------------------------------------------------ hover readout
    def _on_mouse_moved(self, pos):
        for plot in self._curve_plots:
            if plot.vb.sceneBoundingRect().contains(pos):
                self._hover_x = plot.vb.mapSceneToView(pos).x()
                for line in self._crosshairs:
                    line.setPos(self._hover_x)
                    line.show()
                self._update_readout()
                return
        self._on_mouse_left()

    def _on_mouse_left(self):
        if self._hover_x is None:
            return
        self._hover_x = None
        for line in self._crosshairs:
            line.hide()
        self._update_readout()

    def _nearest(self, xs: np.ndarray, x: float | None) -> int | None:
        if len(xs) == 0:
            return None
        if x is None:
            return len(xs) - 1
        i = int(np.searchsorted(xs, x))
        if i >= len(xs):
            return len(xs) - 1
        if i > 0 and abs(xs[i - 1] - x) <= abs(xs[i] - x):
            return i - 1
        return i

    def readout_text(self) -> str:
        """Plain text of the values shown under the plots (at the pointer, or the latest values)."""
        doc = QTextDocument()
        doc.setHtml(self._readout.text())
        return doc.toPlainText()

    def _readout_floor(self) -> int:
        """Three lines: what the readout usually wraps to, so it seldom grows during a run."""
        return 3 * self.fontMetrics().lineSpacing() + 4

    def _keep_readout_height(self):
        """The readout grows to the lines its text wraps to but does not shrink back until the next
        reset: each change of its height would resize, relayout and repaint the whole plot canvas."""
        label = self._readout
        if label.width() > 0:
            need = label.heightForWidth(label.width())
            if need > label.minimumHeight():
                label.setMinimumHeight(need)

    def _update_readout(self):
        b, e = self._batches, self._epochs
        if b.n == 0 and e.n == 0:
            self._readout.setText("")
            return
        names = layer_names(self._n_layers)
        colours = [c.name() for c in self._layer_colours(self._n_layers)]
        prefix = "" if self._hover_x is not None else "Latest — "
        lines = []
        ei = self._nearest(e.column(_EEPOCH), None if self._hover_x is None else self._hover_x)
        if self._resolution == "batch" and b.n:
            bi = self._nearest(b.column(_BX), self._hover_x)
            d = b.data[:, bi]
            speed = "  ".join(f"<span style='color:{c}'>{n}</span> {_fmt(v)}"
                              for n, c, v in zip(names, colours, d[_B_FIXED:]))
            lines.append(f"{prefix}epoch {int(d[_BEPOCH])}, batch {int(d[_BBATCH])} (step {int(d[_BSTEP])}): "
                         f"batch cost <b>{_fmt(d[_BCOST])}</b> &nbsp; ‖δ‖ {speed}")
            if self._watch_curves and bi < self._watched.n:
                w = self._watched.data[:, bi]
                lines[-1] += " &nbsp; ∂C/∂w " + "  ".join(
                    f"<span style='color:{WATCH_COLOURS[k % len(WATCH_COLOURS)]}'>■</span> {_fmt(v)}"
                    for k, v in enumerate(w))
        if ei is not None:
            d = e.data[:, ei]
            epoch = int(d[_EEPOCH])
            what = "initial weights" if epoch == 0 else f"after epoch {epoch}"
            parts = [f"cost <span style='color:{TRAIN_COLOUR}'>train</span> <b>{_fmt(d[_ETRAIN])}</b>"]
            if math.isfinite(d[_EVAL]):
                parts[-1] += f" <span style='color:{VALIDATION_COLOUR}'>validation</span> <b>{_fmt(d[_EVAL])}</b>"
            if self._classification:
                acc = f"accuracy <span style='color:{TRAIN_COLOUR}'>train</span> <b>{_fmt(d[_ETRAIN_ACC], True)}</b>"
                if math.isfinite(d[_EVAL_ACC]):
                    acc += (f" <span style='color:{VALIDATION_COLOUR}'>validation</span> "
                            f"<b>{_fmt(d[_EVAL_ACC], True)}</b>")
                parts.append(acc)
            if self._resolution == "epoch":
                parts.append("‖δ‖ " + "  ".join(f"<span style='color:{c}'>{n}</span> {_fmt(v)}"
                                                 for n, c, v in zip(names, colours, d[_E_FIXED:_E_FIXED + self._n_layers])))
            lines.append(f"{prefix if not lines else ''}{what}: " + " &nbsp; ".join(parts))
        self._readout.setText("<br>".join(lines))
        self._keep_readout_height()

    # ------------------------------------------------------------------ export
    def export_png(self, path: str):
        """Save the visible plots as a PNG image (written atomically)."""
        self._dirty = True
        self._redraw()
        hover = self._hover_x
        self._on_mouse_left()
        widget = self._tabs.currentWidget()
        target = self._watch_glw if widget is self._watch_glw else self._glw
        pixmap = target.grab()
        fd, tmp = _atomic_target(path)
        os.close(fd)
        try:
            if not pixmap.save(tmp, "PNG"):
                raise OSError(f"Could not write the image {path}.")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        if hover is not None:
            self._hover_x = hover

    def csv_header(self) -> list[str]:
        names = [n.replace(" ", "_") for n in layer_names(self._n_layers)]
        watched = [f"dC_dw_{k + 1}" for k in range(len(self._watch_curves))]
        return (["record", "position", "epoch", "batch", "step", "batch_cost", "train_cost", "train_accuracy",
                 "val_cost", "val_accuracy"] + [f"delta_norm_{n}" for n in names]
                + [f"weight_norm_{n}" for n in names] + ["seconds", "samples_per_second"] + watched + ["note"])

    def export_csv(self, path: str):
        """Write the whole history as one CSV table (written atomically).

        One row per record in time order; ``record`` is "batch", "epoch" or "marker", ``position`` the
        x coordinate in epochs. Empty cells where a column does not apply (e.g. accuracy for a batch).
        """
        header = self.csv_header()
        col = {name: i for i, name in enumerate(header)}
        L = self._n_layers
        rows = []

        def cell(v):
            return "" if v is None or not math.isfinite(v) else repr(float(v))

        b, e, w = self._batches, self._epochs, self._watched
        for i in range(b.n):
            row = [""] * len(header)
            d = b.data[:, i]
            row[0] = "batch"
            row[col["position"]] = cell(d[_BX])
            row[col["epoch"]] = str(int(d[_BEPOCH]))
            row[col["batch"]] = str(int(d[_BBATCH]))
            row[col["step"]] = str(int(d[_BSTEP]))
            row[col["batch_cost"]] = cell(d[_BCOST])
            start = col["delta_norm_" + layer_names(L)[0].replace(" ", "_")]
            for l in range(L):
                row[start + l] = cell(d[_B_FIXED + l])
            if self._watch_curves and i < w.n:
                for k in range(len(self._watch_curves)):
                    row[col[f"dC_dw_{k + 1}"]] = cell(w.data[k, i])
            rows.append((d[_BX], 2, row))
        for i in range(e.n):
            row = [""] * len(header)
            d = e.data[:, i]
            row[0] = "epoch"
            row[col["position"]] = cell(d[_EEPOCH])
            row[col["epoch"]] = str(int(d[_EEPOCH]))
            for name, j in (("train_cost", _ETRAIN), ("train_accuracy", _ETRAIN_ACC), ("val_cost", _EVAL),
                            ("val_accuracy", _EVAL_ACC), ("seconds", _ESECONDS),
                            ("samples_per_second", _ESPS)):
                row[col[name]] = cell(d[j])
            start = col["delta_norm_" + layer_names(L)[0].replace(" ", "_")]
            for l in range(L):
                row[start + l] = cell(d[_E_FIXED + l])
                row[start + L + l] = cell(d[_E_FIXED + L + l])
            rows.append((d[_EEPOCH], 0, row))
        for x, text in self._markers:
            row = [""] * len(header)
            row[0] = "marker"
            row[col["position"]] = cell(x)
            row[col["note"]] = text
            rows.append((x, 1, row))
        rows.sort(key=lambda r: (r[0], r[1]))
        fd, tmp = _atomic_target(path)
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(header)
                writer.writerows(r[2] for r in rows)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def _export_png_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export plots as PNG", "training-plots.png",
                                              "PNG images (*.png)")
        if path:
            self._export(self.export_png, path if path.lower().endswith(".png") else path + ".png")

    def _export_csv_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export training history as CSV", "training-history.csv",
                                              "CSV files (*.csv)")
        if path:
            self._export(self.export_csv, path if path.lower().endswith(".csv") else path + ".csv")

    def _export(self, fn, path):
        try:
            fn(path)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}\n\n"
                                "Choose a folder you can write to.")

    # ------------------------------------------------------------------ sessions
    def history(self) -> dict:
        """Everything plotted, as a JSON-able dict (NaN stored as null)."""
        b, e, w = self._batches, self._epochs, self._watched
        L = self._n_layers
        return {
            "format": HISTORY_FORMAT,
            "version": HISTORY_VERSION,
            "n_layers": L,
            "classification": self._classification,
            "resolution": self._resolution,
            "watch_labels": list(self._watch_labels) if self._watch_curves else [],
            "watch": [list(w) for w in self._watch] if self._watch_curves else [],
            "batches": {
                "x": _json_list(b.column(_BX)),
                "step": [int(v) for v in b.column(_BSTEP).tolist()],
                "epoch": [int(v) for v in b.column(_BEPOCH).tolist()],
                "batch": [int(v) for v in b.column(_BBATCH).tolist()],
                "cost": _json_list(b.column(_BCOST)),
                "delta_norms": [_json_list(b.column(_B_FIXED + l)) for l in range(L)],
                "watched": ([_json_list(w.column(k)) for k in range(w.width)] if self._watch_curves else []),
            },
            "epochs": {
                "epoch": [int(v) for v in e.column(_EEPOCH).tolist()],
                "train_cost": _json_list(e.column(_ETRAIN)),
                "train_accuracy": _json_list(e.column(_ETRAIN_ACC)),
                "val_cost": _json_list(e.column(_EVAL)),
                "val_accuracy": _json_list(e.column(_EVAL_ACC)),
                "seconds": _json_list(e.column(_ESECONDS)),
                "samples_per_second": _json_list(e.column(_ESPS)),
                "delta_norms": [_json_list(e.column(_E_FIXED + l)) for l in range(L)],
                "weight_norms": [_json_list(e.column(_E_FIXED + L + l)) for l in range(L)],
            },
            "markers": [{"x": x, "text": t} for x, t in self._markers],
            "last_x": self._last_x,
        }

    def load_history(self, d: dict):
        """Restore what ``history()`` returned; raises ValueError with a clear message if malformed."""
        if not isinstance(d, dict) or d.get("format") != HISTORY_FORMAT:
            raise ValueError("This is not a Workbench plot history (format 'workbench-plots' expected).")
        if d.get("version", 0) > HISTORY_VERSION:
            raise ValueError(f"The plot history has version {d.get('version')}; this Workbench reads "
                             f"version {HISTORY_VERSION} or older.")
        try:
            L = int(d["n_layers"])
            labels = [str(s) for s in d.get("watch_labels", [])]
            self.reset(L, bool(d["classification"]))
            bd, ed = d["batches"], d["epochs"]
            if len(bd["delta_norms"]) != L or len(ed["delta_norms"]) != L or len(ed["weight_norms"]) != L:
                raise ValueError("The plot history has the wrong number of layers.")
            self._batches.load([bd["x"], bd["step"], bd["epoch"], bd["batch"], bd["cost"]] + bd["delta_norms"])
            self._epochs.load([ed["epoch"], ed["train_cost"], ed["train_accuracy"], ed["val_cost"],
                               ed["val_accuracy"], ed["seconds"], ed["samples_per_second"]]
                              + ed["delta_norms"] + ed["weight_norms"])
            if labels and bd.get("watched"):
                watch = [tuple(int(v) for v in w) for w in d.get("watch", [])]
                if watch and len(watch) != len(labels):
                    raise ValueError("The plot history names a different number of followed weights "
                                     "than it has curves for.")
                self._watch, self._watch_declared = watch, bool(watch)
                self._watch_labels = labels
                self._watched = _Table(len(labels))
                self._watched.load(bd["watched"])
                self._rebuild_watch_curves()
            for m in d.get("markers", []):
                self._markers.append((float(m["x"]), str(m["text"])))
                self._draw_marker(float(m["x"]), str(m["text"]))
        except ValueError:
            self.reset(self._n_layers, self._classification)
            raise
        except (KeyError, TypeError, IndexError) as exc:
            self.reset(self._n_layers, self._classification)
            raise ValueError(f"The plot history is incomplete or damaged ({exc!r}).") from None
        last = [self._batches.column(_BX)[-1:], self._epochs.column(_EEPOCH)[-1:]]
        self._last_x = float(max((float(a[0]) for a in last if len(a)), default=0.0))
        if isinstance(d.get("last_x"), (int, float)) and math.isfinite(d["last_x"]):
            self._last_x = float(d["last_x"])
        self._style_curves()
        self.set_resolution(d.get("resolution", "batch") if d.get("resolution") in ("batch", "epoch") else "batch")
        self._dirty = True
        self._redraw()
