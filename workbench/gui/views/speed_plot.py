"""The learning-speed plot of the Curves view: ‖δˡ‖ = ‖∂C/∂bˡ‖ of every layer, raw and smoothed.

Per layer three items on the plot: the raw values, faint and thin, under the curves of all layers;
the smoothed values (TensorBoard's debiased moving average of log10 ‖δˡ‖, ``core.smoothing``), bold
on top and named in the legend; and ▼ on a floor a decade below the smallest value where ‖δˡ‖ is
exactly 0 (no gradient at all), which a log axis could not show otherwise.  A click on a layer's
legend entry hides all three; the "‖δ‖ = 0" entry, there while some layer has a zero, hides the ▼.

A helper of ``CurvesView``, not a view of its own.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from workbench.core.history import layer_names
from workbench.core.smoothing import LogSmoother, clamp_smoothing
from workbench.gui.palette import is_dark, layer_colours
from workbench.gui.views.plotkit import PreMappedCurve, fmt

__all__ = ["SPEED_TITLES", "SPEED_AXIS", "SPEED_TIP", "SMOOTHING", "SpeedCurves"]

SPEED_TITLES = {"batch": ("Learning speed ‖δˡ‖ = ‖∂C/∂bˡ‖ of each mini-batch", "Learning speed ‖δˡ‖ per batch",
                          "‖δˡ‖ per batch"),
                "epoch": ("Learning speed ‖δˡ‖ = ‖∂C/∂bˡ‖ of each epoch's mean gradient",
                          "Learning speed ‖δˡ‖ per epoch", "‖δˡ‖ per epoch")}
SPEED_AXIS = {"batch": "‖δˡ‖ of a batch", "epoch": "‖δˡ‖ of the epoch mean"}
SPEED_TIP = ("Learning speed of each layer: ‖δˡ‖ = ‖∂C/∂bˡ‖, the length of the gradient of the cost with "
             "respect to the layer's biases.\n"
             "Per batch: the gradient averaged over one mini-batch.  Per epoch: the gradient averaged over the "
             "whole epoch;\nit is much smaller (often ~100×) because the noise of the batch gradients cancels "
             "in the average.\n"
             "Faint lines: the raw values; bold: smoothed (the Smoothing box).  ▼ on the bottom line: exactly 0 "
             "(no gradient at all,\ne.g. dead ReLUs), drawn a decade below the smallest value.  In deep sigmoid "
             "networks the early layers\nlearn much more slowly (the vanishing gradient).")
SMOOTHING = {"batch": 0.9, "epoch": 0.0}    # epoch values are averages already
RAW_ALPHA = 0.22                            # of the raw lines
ZERO_SYMBOL = "t"                           # ▼
MAX_ZEROS = 2000                            # ▼ drawn per layer at most (every k-th zero beyond)


class SpeedCurves:
    """The per-layer items of ``plot`` (a log-y PlotItem whose ``legend`` is a RowLegend).

    ``smoothing`` maps "batch"/"epoch" to the smoothing used at that resolution; ``show_raw`` says
    whether the raw values are drawn under smoothed curves.  ``on_change`` is called when the plot
    needs a redraw (a log/linear switch, raw lines shown again)."""

    def __init__(self, plot, on_change):
        self.plot = plot
        self._on_change = on_change
        self.smoothing = dict(SMOOTHING)
        self.show_raw = True
        self._mode = "batch"                        # as last styled
        self.smoothers = {mode: LogSmoother() for mode in SMOOTHING}
        self.curves: list[PreMappedCurve] = []      # smoothed (raw while not smoothed); in the legend
        self.raw: list[PreMappedCurve] = []         # faint raw values under them
        self.zeros: list[PreMappedCurve] = []       # ▼ at the floor where ‖δˡ‖ is exactly 0
        self.zero_key = pg.PlotDataItem(pen=None, symbol=ZERO_SYMBOL, symbolSize=7)   # its legend entry
        self.zero_key.visibleChanged.connect(self.link_visibility)
        self._zeros_key = None                      # what the ▼ were last given

    def smoothed(self, mode: str) -> bool:
        return self.smoothing[mode] > 0

    def set_smoothing(self, mode: str, value) -> None:
        self.smoothing[mode] = clamp_smoothing(value, self.smoothing[mode])

    # ------------------------------------------------------------------ items
    def rebuild(self, n_layers: int) -> None:
        """Items for a network of ``n_layers`` weight layers (first hidden layer first)."""
        for item in self.raw + self.curves + self.zeros:
            self.plot.removeItem(item)
        self._show_zero_key(False)      # the layers' entries come first
        self.curves, self.raw, self.zeros = [], [], []
        self._zeros_key = None
        for i, name in enumerate(layer_names(n_layers)):
            # All raw lines under all smoothed ones, the ▼ over both; early (slow) layers on top.
            for z, items, kwargs in ((0, self.raw, {}), (10, self.curves, {"name": name}),
                                     (20, self.zeros, {"pen": None, "symbol": ZERO_SYMBOL, "symbolSize": 7})):
                item = PreMappedCurve(on_log_change=self._on_change, **kwargs)
                item.has_points = False
                item.setZValue(z + n_layers - i)
                self.plot.addItem(item)
                items.append(item)
            # The ▼ are few (at most MAX_ZEROS drawn): nothing to redo when the view range changes.
            self.zeros[i].setSymbolPen(None)
            self.zeros[i].setClipToView(False)
            self.zeros[i].setDownsampling(auto=False)
            self.zeros[i].setDynamicRangeLimit(None)
            # Raw values: their lowest and highest in each pixel column (peak downsampling, one
            # column per point rather than pyqtgraph's five) draw the same picture with less.
            self.raw[i].opts["autoDownsampleFactor"] = 1.0
            self.curves[i].visibleChanged.connect(self.link_visibility)
            self.raw[i].visibleChanged.connect(self._on_raw_visibility)

    def style(self, palette: QPalette, mode: str) -> None:
        dark = is_dark(palette, QPalette.ColorRole.Base)
        n = len(self.curves)
        for i, colour in zip(range(n), layer_colours(n, dark)):
            dash = Qt.PenStyle.DashLine if i == n - 1 else Qt.PenStyle.SolidLine
            # One-pixel raw lines at batch resolution: thousands of noisy segments, and Qt's raster
            # engine fills wider lines as polygons (a frame took twice as long at width 1.5).  A
            # smoothed curve has few turns: a point every other pixel column draws it, wide.
            smoothed, curve = self.smoothed(mode), self.curves[i]
            curve.setPen(pg.mkPen(colour, width=2 if smoothed else 1 if mode == "batch" else 1.5, style=dash))
            curve.setDownsampling(auto=True, method="subsample" if smoothed else "peak")
            curve.opts["autoDownsampleFactor"] = 0.5 if smoothed else 1.0
            faint = QColor(colour)
            faint.setAlphaF(RAW_ALPHA)
            self.raw[i].setPen(pg.mkPen(faint, width=1))
            self.zeros[i].setSymbolBrush(pg.mkBrush(colour))
        self.zero_key.setSymbolBrush(pg.mkBrush(palette.color(QPalette.ColorRole.Text)))
        self._mode = mode
        self.link_visibility()

    def link_visibility(self, *_):
        """A layer's raw values and ▼ are shown with its curve (its legend entry hides all three)."""
        raw = self.show_raw and self.smoothed(self._mode)
        for curve, faint, zeros in zip(self.curves, self.raw, self.zeros):
            faint.setVisible(raw and curve.isVisible())
            zeros.setVisible(curve.isVisible() and self.zero_key.isVisible() and zeros.has_points)

    def _on_raw_visibility(self):
        if any(faint.isVisible() for faint in self.raw):
            self._on_change()       # hidden raw lines are not given data: draw them now

    # ------------------------------------------------------------------ data
    def draw(self, history, mode: str) -> bool:
        """Give every item the history's data at ``mode`` ("batch"/"epoch"); returns whether the
        legend changed (the "‖δ‖ = 0" entry came or went)."""
        if mode == "batch":
            x, keys = history.batch_x(), history.batch_step()
            raw, logged = history.batch_delta_norms(), history.log10_batch_delta_norms()
        else:
            x = keys = history.epoch_number()
            raw, logged = history.epoch_delta_norms(), history.log10_epoch_delta_norms()
        # The history's log10 and the smoother's smoothed log10 are both kept up to date
        # incrementally (pyqtgraph would take log10 of the whole history at every redraw).
        smoother = self.smoothers[mode]
        smoother.update(raw, logged, self.smoothing[mode], keys, source=history.generation)
        y_log = bool(self.curves) and self.curves[0].y_log
        smoothed = self.smoothed(mode)
        bold = (smoother.smoothed if y_log else 10.0 ** smoother.smoothed) if smoothed else None
        zeros = smoother.zeros
        # The ▼ change seldom; a scatter costs a millisecond a frame even when given no points.
        key = (mode, smoother.recomputed, [len(z) for z in zeros], y_log, smoother.floor_log())
        for l, (curve, faint, dots) in enumerate(zip(self.curves, self.raw, self.zeros)):
            values = logged[l] if y_log else raw[l]
            curve.setData(x, bold[l] if smoothed else values)
            if faint.isVisible():
                faint.setData(x, values)
            if key != self._zeros_key:
                at = zeros[l][::-(-len(zeros[l]) // MAX_ZEROS)] if len(zeros[l]) else zeros[l]
                dots.setData(x[at], np.full(len(at), smoother.floor_log() if y_log else 0.0))
                dots.has_points = len(at) > 0       # an empty item hidden costs nothing in a range fit
        if key != self._zeros_key:
            self._zeros_key = key
            self.link_visibility()
        return self._show_zero_key(any(len(z) for z in zeros))

    def _show_zero_key(self, shown: bool) -> bool:
        legend = self.plot.legend
        if shown == any(sample.item is self.zero_key for sample, _ in legend.items):
            return False
        if shown:
            legend.addItem(self.zero_key, "‖δ‖ = 0")
        else:
            legend.removeItem(self.zero_key)
        return True

    # ------------------------------------------------------------------ numbers
    def readout(self, values, i: int, mode: str, colours: list[str]) -> str:
        """Rich text of every layer's ‖δ‖ at point ``i`` of ``mode``: raw, and "raw / smoothed"
        while smoothed (the smoothing as of the latest draw)."""
        names = layer_names(len(values))
        smoothed = self.smoothers[mode].smoothed
        if not self.smoothed(mode) or i >= smoothed.shape[1] or smoothed.shape[0] != len(values):
            return "‖δ‖ " + "  ".join(f"<span style='color:{c}'>{n}</span> {fmt(v)}"
                                      for n, c, v in zip(names, colours, values))
        return "‖δ‖ raw / smoothed " + "  ".join(
            f"<span style='color:{c}'>{n}</span> {fmt(v)} / <b>{fmt(10.0 ** s)}</b>"
            for n, c, v, s in zip(names, colours, values, smoothed[:, i]))

    def smoothed_norms(self, norms: np.ndarray, mode: str) -> np.ndarray:
        """(L, n) ‖δˡ‖ smoothed as set for ``mode`` (the raw ``norms`` when not smoothed), computed
        afresh (for an export)."""
        if not self.smoothed(mode):
            return np.asarray(norms, dtype=np.float64)
        smoother = LogSmoother()
        smoother.update(norms, None, self.smoothing[mode])
        return 10.0 ** smoother.smoothed
