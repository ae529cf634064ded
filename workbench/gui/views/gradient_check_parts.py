"""Parts of the gradient-check view: the thread that runs ``workbench.core.gradcheck.check_steps``,
the verdict colours and legend, the per-layer table, the analytic-against-numeric scatter and the
histogram of log10 relative errors.  The numbers all come from the core; this file only draws.

Threads: a ``CheckThread`` has no Qt parent and is kept in ``_LIVE`` until it has finished, so a
view deleted mid-check never destroys a running QThread; ``stop_all_checks()`` cancels and waits
for every one (the window's close).  The thread touches no Qt object but its own signals.
"""

from __future__ import annotations

import html
import math
import threading
import time
import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, \
    QWidget

from workbench.core.errors import ConfigError
from workbench.core.gradcheck import THRESHOLDS, VERDICTS, CheckResult, check_steps, error_histogram, verdict
from workbench.core.names import layer_name
from workbench.gui.threads import PythonThread
from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.plotkit import PlotCanvas, RowLegend, grid_axes, style_plot, theme_plot
from workbench.gui.worker import YIELD_EVERY_S, YIELD_S

PROGRESS_EVERY_S = 0.05         # the thread reports its progress at most this often

#: Verdict colours on a light and on a dark background.
COLOURS = {"good": ("#1e8e3e", "#5fd35f"), "acceptable": ("#9a8700", "#e0d040"),
           "suspicious": ("#e06c00", "#ffa040"), "wrong": ("#d62728", "#ff6b6b")}
BAND_TEXT = {"good": "good: < 1e-7", "acceptable": "acceptable: 1e-7 – 1e-4 (round-off of tiny gradients, "
             "or a ReLU kink within ±2ε)", "suspicious": "suspicious: 1e-4 – 1e-2", "wrong": "wrong: ≥ 1e-2"}

_LIVE: set = set()                                  # started and not yet seen finished
_INSTANCES: "weakref.WeakSet[CheckThread]" = weakref.WeakSet()


def verdict_colour(name: str, dark: bool) -> QColor:
    return QColor(COLOURS[name][1 if dark else 0])


def running_checks() -> list:
    """Every CheckThread still running (tests use this to catch leaked threads)."""
    return [t for t in list(_INSTANCES) if t.isRunning()]


def stop_all_checks() -> None:
    """Cancel every running check and wait for its thread (GUI thread; the window's close)."""
    for thread in running_checks():
        thread.cancel()
    for thread in list(_INSTANCES):
        thread.wait()


class CheckThread(PythonThread):
    """``check_steps(net, X, Y, **kwargs)`` on its own thread.

    Signals (queued to the GUI thread): ``progressed(done, total)`` at most every
    ``PROGRESS_EVERY_S``; then exactly one of ``completed(CheckResult)``, ``failed(str)`` (one
    sentence) or ``cancelled()``; then QThread's ``finished``.  ``cancel()`` acts before the next
    parameter (one parameter is four cost evaluations, bounded by ``MAX_EVAL_WORK``)."""

    progressed = Signal(int, int)
    completed = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, net, X, Y, **kwargs):
        super().__init__(None)
        self._args = (net, X, Y)
        self._kwargs = kwargs
        self._cancel = threading.Event()
        _INSTANCES.add(self)
        self.finished.connect(self._forget)

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelling(self) -> bool:
        return self._cancel.is_set()

    def start(self, *args) -> None:
        _LIVE.add(self)
        super().start(*args)

    def _forget(self) -> None:
        _LIVE.discard(self)

    def run(self) -> None:
        try:
            self._run()
        except ConfigError as exc:
            self.failed.emit(str(exc))
        except MemoryError:
            self.failed.emit("There is not enough memory for this check; use fewer data items.")
        except Exception as exc:   # a bug must still end the check with a sentence
            self.failed.emit(f"The gradient check failed ({type(exc).__name__}: {exc}).")

    def _run(self) -> None:
        steps = check_steps(*self._args, **self._kwargs)
        reported = pause = time.perf_counter()
        try:
            for step in steps:
                if self._cancel.is_set():
                    self.cancelled.emit()
                    return
                if isinstance(step, CheckResult):
                    self.completed.emit(step)
                    return
                now = time.perf_counter()
                if now - reported >= PROGRESS_EVERY_S or step[0] == step[1]:
                    reported = now
                    self.progressed.emit(*step)
                if now - pause >= YIELD_EVERY_S:      # let the GUI thread have the GIL (see worker.py)
                    time.sleep(YIELD_S)
                    pause = time.perf_counter()
        finally:
            steps.close()


# ---------------------------------------------------------------------------------- legend
class Legend(QWidget):
    """The four verdict bands as coloured chips with their ranges."""

    def __init__(self, parent=None):
        super().__init__(parent)
        row = FlowLayout(self, spacing=10)
        self.chips = {}
        for name in VERDICTS:
            chip = QLabel()
            chip.setToolTip(BAND_TEXT[name])
            row.addWidget(chip)
            self.chips[name] = chip
        self.recolour()

    def recolour(self) -> None:
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        for name, chip in self.chips.items():
            colour = verdict_colour(name, dark).name()
            text = BAND_TEXT[name].split(" (")[0]
            chip.setText(f"<span style='color:{colour}; font-size:14pt'>■</span> {html.escape(text)}")


# ---------------------------------------------------------------------------------- table
TABLE_HEADER = ["Layer", "Checked", "Largest error of W", "Largest error of b", "Verdict"]


def _error_text(v: float) -> str:
    return "not finite" if not math.isfinite(v) else f"{v:.2e}"


class LayerTable(QTableWidget):
    """One row per weight layer: its name, parameters checked of total, the largest relative error
    of W and of b and the verdict (coloured)."""

    def __init__(self, parent=None):
        super().__init__(0, len(TABLE_HEADER), parent)
        self.setHorizontalHeaderLabels(TABLE_HEADER)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.verdicts: list[str] = []

    def show_result(self, result: CheckResult | None, dark: bool, stale: bool) -> None:
        layers = result.layers if result is not None else []
        self.setRowCount(len(layers))
        self.verdicts = []
        n_neuron_layers = len(layers) + 1
        for r, check in enumerate(layers):
            name = verdict(check.worst)
            self.verdicts.append(name)
            cells = [layer_name(check.layer + 1, n_neuron_layers), f"{check.checked:,} of {check.total:,}",
                     _error_text(check.max_w), _error_text(check.max_b), name + (" (stale)" if stale else "")]
            for c, text in enumerate(cells):
                item = self.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(r, c, item)
                item.setText(text)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                                          if c < 4 else Qt.AlignmentFlag.AlignCenter)
            colour = verdict_colour(name, dark)
            cell = self.item(r, 4)
            colour.setAlpha(90 if stale else 255)
            cell.setBackground(QBrush(colour))
            cell.setForeground(QBrush(QColor("white" if not dark else "black")))
            for c, value in ((2, check.max_w), (3, check.max_b)):
                self.item(r, c).setForeground(QBrush(verdict_colour(verdict(value), dark)))
        height = self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(self.rowCount())) + 4
        self.setMaximumHeight(max(60, height))


# ---------------------------------------------------------------------------------- plots
class CheckPlots(PlotCanvas):
    """Left: analytic (x) against numeric (y) for every checked parameter, on the line y = x,
    coloured by verdict.  Right: the histogram of log10 relative errors, bars coloured by band,
    with the bands shaded and the three thresholds drawn as lines."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scatter_plot = self.addPlot(row=0, col=0, axisItems=grid_axes())
        self.scatter_plot.legend = RowLegend()          # theme_plot colours a legend; these have none
        style_plot(self.scatter_plot, left="numeric ∂C/∂θ", bottom="back-propagation ∂C/∂θ")
        self.scatter_plot.setTitle("Analytic against numeric", size="9pt")
        self.scatter = pg.ScatterPlotItem(size=6, pen=None)
        self.scatter_plot.addItem(self.scatter)
        self.diagonal = pg.InfiniteLine(pos=(0, 0), angle=45, movable=False)
        self.scatter_plot.addItem(self.diagonal, ignoreBounds=True)
        self.hist_plot = self.addPlot(row=0, col=1, axisItems=grid_axes())
        self.hist_plot.legend = RowLegend()
        style_plot(self.hist_plot, left="parameters", bottom="log₁₀ relative error")
        self.hist_plot.setTitle("Relative errors", size="9pt")
        self.hist_plot.setMouseEnabled(x=False, y=False)
        self.bands = []
        edges = [-16.0, *[math.log10(t) for t in THRESHOLDS], 2.0]
        for lo, hi in zip(edges[:-1], edges[1:]):
            band = pg.LinearRegionItem(values=(lo, hi), movable=False)
            band.setZValue(-20)
            for line in band.lines:
                line.setPen(pg.mkPen(None))
            self.hist_plot.addItem(band, ignoreBounds=True)
            self.bands.append(band)
        self.lines = [pg.InfiniteLine(pos=math.log10(t), angle=90, movable=False) for t in THRESHOLDS]
        for line in self.lines:
            self.hist_plot.addItem(line, ignoreBounds=True)
        self.bars = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.5)
        self.hist_plot.addItem(self.bars)
        self.bar_verdicts: list[str] = []       # the band of each bar drawn (tests read it)
        self.point_verdicts: list[str] = []     # the band of each scatter point
        self._dark = False
        self._result = None

    def apply_theme(self, palette: QPalette, dark: bool) -> None:
        self._dark = dark
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        for plot in (self.scatter_plot, self.hist_plot):
            theme_plot(plot, palette)
            plot.titleLabel.setText(plot.titleLabel.text, color=palette.color(QPalette.ColorRole.Text).name(),
                                    size="9pt")
        faint = QColor(palette.color(QPalette.ColorRole.Text))
        faint.setAlpha(120)
        self.diagonal.setPen(pg.mkPen(faint, width=1, style=Qt.PenStyle.DashLine))
        for band, name in zip(self.bands, VERDICTS):
            colour = verdict_colour(name, dark)
            colour.setAlpha(40)
            band.setBrush(pg.mkBrush(colour))
        for line, name in zip(self.lines, VERDICTS[1:]):
            line.setPen(pg.mkPen(verdict_colour(name, dark), width=1.5))
        self.show_result(self._result)

    def show_result(self, result: CheckResult | None) -> None:
        self._result = result
        if result is None:
            self.scatter.setData([], [])
            self.bars.setOpts(x=np.zeros(0), height=np.zeros(0))
            self.bar_verdicts, self.point_verdicts = [], []
            return
        analytic = np.concatenate([np.concatenate([c.w_analytic, c.b_analytic]) for c in result.layers])
        numeric = np.concatenate([np.concatenate([c.w_numeric, c.b_numeric]) for c in result.layers])
        errors = result.errors                  # in the same order: each layer's W, then its b
        keep = np.isfinite(analytic) & np.isfinite(numeric)
        self.point_verdicts = [verdict(e) for e in errors[keep]]
        brushes = {name: pg.mkBrush(verdict_colour(name, self._dark)) for name in VERDICTS}
        self.scatter.setData(analytic[keep], numeric[keep], brush=[brushes[v] for v in self.point_verdicts])
        edges, counts, verdicts = error_histogram(errors)
        shown = counts > 0
        centres = (edges[:-1] + edges[1:]) / 2
        self.bar_verdicts = [v for v, s in zip(verdicts, shown) if s]
        self.bars.setOpts(x=centres[shown], height=counts[shown], width=(edges[1] - edges[0]) * 0.9,
                          brushes=[brushes[v] for v in self.bar_verdicts], pens=[pg.mkPen(None)] * int(shown.sum()))
        self.hist_plot.setXRange(edges[0], edges[-1], padding=0.01)
        self.hist_plot.setYRange(0, max(1, int(counts.max())) * 1.08, padding=0.0)
        self.scatter_plot.enableAutoRange()
