"""Distributions: how the weights, ∂C/∂b and activations of every layer spread over training time
(TensorBoard-style percentile bands, the latest histogram beside them), and the health of each
layer's units: the share saturated or dead, and log10(‖ΔW‖/‖W‖) of the updates.

The numbers are recorded by ``workbench.core.distributions.DistributionHistory`` (see its module
docstring for what is recorded when, and what a sample costs).  Recording happens in the slots,
also while the view is hidden (a history cannot be made up later); drawing only in ``draw()``.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QLabel, QScrollArea, QSizePolicy, QVBoxLayout

from workbench.core.distributions import (COST_SHARE, PROBE_SIZE, QUANTITIES, DistributionHistory,
                                          RecordPacer, probe_inputs)
from workbench.core.names import layer_name, layer_names
from workbench.gui.palette import is_dark, layer_colours
from workbench.gui.views.base import EmptyNote, View
from workbench.gui.views.distributions_parts import (  # noqa: F401 - NO_SAMPLE_TEXT, PAIRS: for tests
    BAND_TIP, HEALTH_TIP, HIST_TIP, MEDIAN, NO_NETWORK_TEXT, NO_SAMPLE_TEXT, NONFINITE_NAMES, PAIRS,
    PROBE_CHOICES, RATIO_TIP, REFERENCE_LOG_RATIO, ROW_HEIGHT, SHOW_CHOICES, STACKED_PLOT_HEIGHT, STRIP_HEIGHT,
    BandFill, NoLegend, WheelToScroll, alpha, arrangement, freeze_mouse, quantity_title, sampling_text)
from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.plotkit import PlotCanvas, RowLegend, fit_before_paint, grid_axes, style_plot, theme_plot
from workbench.gui.worker import gui_priority


#: While the tab is hidden, paced samples come at most this often (a hidden view should cost next
#: to nothing; epoch ends are still recorded, so the picture is there when the tab is opened).
HIDDEN_INTERVAL_S = 0.5

class DistributionsView(View):
    name = "distributions"
    title = "Distributions"
    area = "centre"
    tooltip = "How weights, ∂C/∂b and activations spread over time, and the health of every layer's units"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self.history = DistributionHistory()
        self.pacer = RecordPacer()
        self._recorded_at = -1e9            # perf_counter time of the latest sample
        self.draw_count = 0
        self.record_seconds = 0.0           # total time spent recording (the cost the pacer limits)
        self._generation = None             # RunHistory generation the samples belong to
        self._last_key = None               # (weights list, network, steps trained) of the latest sample
        self._probe = self._probe_key = None
        self._probe_size = PROBE_SIZE
        self._show = "weights"
        self._layout_key = None             # (layers, activations, shown, arrangement) drawn
        self._drawn = None
        self.offered = self.skipped = 0     # new snapshots offered to the pacer / skipped by it
        self.probe_used = 0                 # training inputs the latest sample's activations were on
        self.cells: dict[tuple[str, int], dict] = {}
        self.health_plot = self.ratio_plot = None
        self.health_curves: list = []
        self.ratio_curves: list = []
        self._build()
        self._apply_theme()
        self._pending = False               # new parameters not yet recorded
        self._owed = False                  # a pause / run end to record when next drawn
        experiment.parameters_changed.connect(self._on_parameters)
        experiment.history_appended.connect(self._flush)
        experiment.network_changed.connect(self._record_forced)
        experiment.history_reset.connect(self._record_forced)
        experiment.epoch_finished.connect(self._record_forced)
        experiment.run_state_changed.connect(self._on_run_state)
        experiment.data_changed.connect(self.mark_dirty)
        self.record(forced=True)

    # ------------------------------------------------------------------ construction
    def _build(self):
        self.show_combo = QComboBox()
        for key, text in SHOW_CHOICES:
            self.show_combo.addItem(text, key)
        self.show_combo.setToolTip("Which quantity each layer's row shows (all three need a wide window)")
        self.show_combo.currentIndexChanged.connect(lambda _: self._set_show(self.show_combo.currentData()))
        self.probe_combo = QComboBox()
        for size in PROBE_CHOICES:
            self.probe_combo.addItem(f"{size} inputs", size)
        self.probe_combo.setCurrentIndex(PROBE_CHOICES.index(PROBE_SIZE))
        self.probe_combo.setToolTip("Activations and unit health are measured on this many training inputs, "
                                    "evenly spaced over the training set (from the next sample on)")
        self.probe_combo.currentIndexChanged.connect(lambda _: self._set_probe(self.probe_combo.currentData()))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        bar = FlowLayout()
        for label, combo in (("&Show:", self.show_combo), ("&Probe:", self.probe_combo)):
            text = QLabel(label)
            text.setBuddy(combo)
            bar.addWidget(text)
            bar.addWidget(combo)
            bar.addSpacing(10)
        bar.addStretch(1)
        bar.addWidget(self.export_button())
        self.note = EmptyNote(NO_NETWORK_TEXT, self)
        self.canvas = PlotCanvas()
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.canvas.ci.setContentsMargins(2, 2, 8, 2)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.canvas)
        self._wheel = WheelToScroll(self.scroll, self)     # the wheel scrolls the page, never zooms
        self.canvas.viewport().installEventFilter(self._wheel)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(bar)
        column.addWidget(self.status)
        column.addWidget(self.note, 1)
        column.addWidget(self.scroll, 1)

    def _quantities(self) -> tuple[str, ...]:
        return QUANTITIES if self._show == "all" else (self._show,)

    def _arrangement(self) -> tuple[int, bool]:
        """(quantity columns side by side, health plots side by side) for the view's width."""
        width = self.width() - 8 - self.scroll.verticalScrollBar().sizeHint().width()
        return arrangement(width, len(self._quantities()))

    def _rebuild(self, columns: int, strip_wide: bool):
        """One row per weight layer (a band plot and its histogram per quantity shown; in a narrow
        window one row per layer and quantity), then the unit-health strip: share saturated/dead
        and log10(‖ΔW‖/‖W‖), side by side or stacked, the layers' legend in its own row when stacked."""
        h, glw = self.history, self.canvas
        glw.clear()
        self.cells = {}
        L, quantities = h.n_layers, self._quantities()
        dark = is_dark(self.palette())
        colours = layer_colours(L, dark)
        first = None
        rows = L * (len(quantities) // columns)
        for l in range(L):
            for c, q in enumerate(quantities):
                row, col = (l, c) if columns > 1 else (l * len(quantities) + c, 0)
                plot = glw.addPlot(row=row, col=2 * col, axisItems=grid_axes())
                hist = glw.addPlot(row=row, col=2 * col + 1, axisItems=grid_axes())
                style_plot(plot)                   # bottom axis "epoch"; the histogram's: "count"
                style_plot(hist, bottom="count")
                plot.setClipToView(False)      # the fills take their edges' whole paths
                hist.getAxis("left").setStyle(showValues=False)
                hist.getAxis("left").setWidth(4)
                hist.setMaximumWidth(110)
                hist.setYLink(plot)
                hist.vb.enableAutoRange(axis="y", enable=False)
                for item in (plot, hist):
                    freeze_mouse(item)
                plot.setToolTip(BAND_TIP)
                hist.setToolTip(HIST_TIP)
                if first is None:
                    first = plot
                else:
                    plot.setXLink(first)
                cell = self._band_items(plot, colours[l], 75 if dark else 55)
                cell["hist"] = hist
                cell["bars"] = pg.BarGraphItem(x0=[0], y0=[0], width=[0], height=[0], pen=None,
                                               brush=alpha(colours[l], 170))
                hist.addItem(cell["bars"])
                self.cells[(q, l)] = cell
        for c in range(2 * columns):
            glw.ci.layout.setColumnStretchFactor(c, 1 if c % 2 else 6)
        strip = glw.ci.addLayout(row=rows, col=0, colspan=2 * columns)
        header = strip.addLayout(row=0, col=0, colspan=2)
        header.setContentsMargins(56, 0, 4, 0)
        header.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.strip_title = header.addLabel("", row=0, col=0, justify="left", size="9pt")
        self.strip_legend = RowLegend()
        header.addItem(self.strip_legend, row=0 if strip_wide else 1, col=1 if strip_wide else 0)
        self.health_plot = strip.addPlot(row=1, col=0, axisItems=grid_axes())
        self.ratio_plot = strip.addPlot(row=1 if strip_wide else 2, col=1 if strip_wide else 0,
                                        axisItems=grid_axes())
        style_plot(self.health_plot, left="% of units")
        style_plot(self.ratio_plot, left="log₁₀ ratio")
        self.health_plot.setToolTip(HEALTH_TIP)
        self.ratio_plot.setToolTip(RATIO_TIP)
        self.health_plot.legend = NoLegend()      # not x-linked: linked views line up on screen
        self.ratio_plot.legend = self.strip_legend
        names = layer_names(L)
        self.health_curves, self.ratio_curves = [], []
        for l in range(L):
            pen = pg.mkPen(colours[l], width=2)
            curve = pg.PlotDataItem(pen=pen, connect="finite")
            self.health_curves.append(curve)
            if h.kinds[l]:
                self.health_plot.addItem(curve)
            ratio = pg.PlotDataItem(name=names[l], pen=pen, connect="finite")
            self.ratio_curves.append(ratio)
            self.ratio_plot.addItem(ratio)
        self._fit_legend(strip_wide)
        self.reference = pg.InfiniteLine(pos=REFERENCE_LOG_RATIO, angle=0, movable=False)
        self.ratio_plot.addItem(self.reference)
        for plot in (self.health_plot, self.ratio_plot):
            freeze_mouse(plot)
        self.health_plot.setYRange(0, 100, padding=0.02)
        self.health_plot.enableAutoRange(axis="y", enable=False)
        strip_height = STRIP_HEIGHT if strip_wide else 2 * STACKED_PLOT_HEIGHT + 40
        self.canvas.setMinimumHeight(rows * ROW_HEIGHT + strip_height)
        self._theme_plots()

    def _fit_legend(self, strip_wide: bool):
        """The layers' legend in one row; in its own row under the title when the strip is narrow,
        in as few rows as fit its width."""
        legend, n = self.strip_legend, max(1, self.history.n_layers)
        room = self.width() - 80 - self.scroll.verticalScrollBar().sizeHint().width()
        for columns in range(n, 0, -1):
            legend.setColumnCount(columns)
            if strip_wide or columns == 1 or legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).width() <= room:
                break
        legend.updateSize()

    def _band_items(self, plot, colour: QColor, opacity: int) -> dict:
        """Nested translucent fills between the symmetric percentile pairs, and the median line."""
        edge = pg.mkPen(None)
        lower, upper, fills = [], [], []
        for _ in PAIRS:
            lo, hi = pg.PlotCurveItem(pen=edge), pg.PlotCurveItem(pen=edge)
            fill = BandFill(lo, hi, brush=alpha(colour, opacity))
            for item in (lo, hi, fill):
                plot.addItem(item)
            lower.append(lo)
            upper.append(hi)
            fills.append(fill)
        median = pg.PlotDataItem(pen=pg.mkPen(colour, width=2))
        plot.addItem(median)
        return {"plot": plot, "lower": lower, "upper": upper, "fills": fills, "median": median}

    # ------------------------------------------------------------------ theme
    def _apply_theme(self):
        pal = self.palette()
        self.canvas.setBackground(pal.color(QPalette.ColorRole.Base))
        faint = QColor(pal.color(QPalette.ColorRole.Text))
        faint.setAlpha(150)
        self.status.setStyleSheet(f"color: {faint.name(QColor.NameFormat.HexArgb)};")
        self._layout_key = None          # layer colours depend on light or dark: rebuild
        self.mark_dirty()

    def _theme_plots(self):
        pal = self.palette()
        fg = pal.color(QPalette.ColorRole.Text)
        for cell in self.cells.values():
            for plot in (cell["plot"], cell["hist"]):
                plot.legend = plot.legend or NoLegend()
                theme_plot(plot, pal)
        for plot in (self.health_plot, self.ratio_plot):
            theme_plot(plot, pal)
        faint = QColor(fg)
        faint.setAlpha(160)
        self.reference.setPen(pg.mkPen(faint, width=1, style=Qt.PenStyle.DashLine))

    def resizeEvent(self, event):  # noqa: N802 - Qt override: narrower or wider arrangement
        super().resizeEvent(event)
        if self._layout_key is not None and self._layout_key[-1] != self._arrangement():
            self.mark_dirty()

    def changeEvent(self, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)

    # ------------------------------------------------------------------ recording (slots)
    def _on_parameters(self):
        """New parameters: recorded once the history has the batches behind them (the controller
        hands over a snapshot just before the batches it drained with it), so that x is right."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._flush)

    def _flush(self):
        if self._pending:
            self._pending = False
            self.record(forced=False)

    def _record_forced(self, *_args):
        self.record(forced=True)

    def _on_run_state(self, state: str):
        """A pause or the end of a run is recorded at once while this view is shown; hidden, when it
        is next drawn (a sample of a wide network costs tens of milliseconds: paid here, they
        delayed every Pause and Stop)."""
        if state in ("idle", "paused"):
            if self.is_shown():
                self.record(forced=True)
            else:
                self._owed = True
                self.mark_dirty()

    def record(self, forced: bool = False) -> bool:
        """Record a sample of the current parameters when they are new (and, unless ``forced``,
        when the pacer says one is due).  Returns whether one was recorded."""
        exp = self.experiment
        generation = exp.history.generation
        if generation != self._generation:
            self._generation = generation
            self.history.reset()
            self.pacer.reset()
            self.offered = self.skipped = 0
            self._last_key = None
            self.mark_dirty()
        self._pending = False
        params = exp.parameters() if exp.net is not None else None
        if params is None:
            return False
        weights, biases, grads = params
        # Already recorded costs nothing: the same snapshot, or the same network with no batch since
        # the latest sample (a paused run's snapshot, the network's own arrays after a run).
        last_weights, last_net, last_step = self._last_key or (None, None, None)
        snapshot = weights is not exp.net.weights    # the network's own list changes in place
        if (snapshot and weights is last_weights) or (exp.net is last_net and exp.steps_trained == last_step):
            return False
        now = time.perf_counter()
        if not forced:
            self.offered += 1
            hidden_wait = not self.is_shown() and now - self._recorded_at < HIDDEN_INTERVAL_S
            if hidden_wait or not self.pacer.due(now):
                self.skipped += 1
                return False
        self._recorded_at = now
        probe = self._probe_for(weights)
        self.history.record(weights, biases, exp.net.activations, x=exp.history.last_x, step=exp.steps_trained,
                            bias_gradients=grads, probe=probe, update_ratios=exp.update_ratios)
        self.probe_used = len(probe) if probe is not None else 0     # min(probe size, training inputs)
        cost = time.perf_counter() - now
        self.record_seconds += cost
        self.pacer.spent(cost, now)
        self._last_key = (weights, exp.net, exp.steps_trained)
        self.mark_dirty()
        return True

    def _probe_for(self, weights):
        """The fixed probe of the training inputs, in the weights' dtype (None: no fitting data)."""
        ds = self.experiment.dataset
        split = ds.train if ds is not None else None
        if split is None or len(split) == 0 or split.X.shape[1] != weights[0].shape[0]:
            return None
        key = (ds, self._probe_size, weights[0].dtype)
        if self._probe_key is None or ds is not self._probe_key[0] or key[1:] != self._probe_key[1:]:
            self._probe_key = key
            self._probe = probe_inputs(split.X, self._probe_size).astype(weights[0].dtype, copy=False)
        return self._probe

    # ------------------------------------------------------------------ options
    def _set_show(self, key):
        if key in dict(SHOW_CHOICES) and key != self._show:
            self._show = key
            self._layout_key = None
            self.mark_dirty()

    def _set_probe(self, size):
        if size in PROBE_CHOICES and size != self._probe_size:
            self._probe_size = size
            self._probe_key = None

    def settings(self) -> dict:
        return {"show": self._show, "probe": self._probe_size}

    def apply_settings(self, values: dict) -> None:
        if not isinstance(values, dict):
            return
        show, probe = values.get("show"), values.get("probe")
        if isinstance(show, str) and show in dict(SHOW_CHOICES):
            self.show_combo.setCurrentIndex([k for k, _ in SHOW_CHOICES].index(show))
        if isinstance(probe, int) and not isinstance(probe, bool) and probe in PROBE_CHOICES:
            self.probe_combo.setCurrentIndex(PROBE_CHOICES.index(probe))

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        if self._owed:
            self._owed = False
            self.record(forced=True)
        h = self.history
        with gui_priority():
            if h.n == 0:
                self.note.setText(NO_NETWORK_TEXT if self.experiment.net is None else NO_SAMPLE_TEXT)
                self.note.setVisible(True)
                self.scroll.setVisible(False)
                self.status.setText("")
                self._drawn = None
                return
            self.note.setVisible(False)
            self.scroll.setVisible(True)
            arranged = self._arrangement()
            key = (h.n_layers, tuple(h.activations), self._show, arranged)
            if key != self._layout_key:
                self._layout_key = key
                self._rebuild(*arranged)
                self._drawn = None
            if self._drawn == h.serial:
                return
            self._drawn = h.serial
            self.draw_count += 1
            self._draw_bands()
            self._draw_strip()
            self.status.setText(self._status_text())
            fit_before_paint(self.canvas, [c["plot"] for c in self.cells.values()]
                             + [self.health_plot, self.ratio_plot])

    def _draw_bands(self):
        h = self.history
        x_all = h.x()
        L = h.n_layers
        fg = self.palette().color(QPalette.ColorRole.Text).name()
        for (q, l), cell in self.cells.items():
            bands = h.bands(q, l)
            keep = np.isfinite(bands[:, MEDIAN])
            x, b = x_all[keep], bands[keep]
            if len(x) == 1:                      # one sample: a narrow column, so it can be seen
                x, b = np.array([x[0] - 0.02, x[0] + 0.02]), np.repeat(b, 2, axis=0)
            for (i, j), lo, hi in zip(PAIRS, cell["lower"], cell["upper"]):
                lo.setData(x, b[:, i])
                hi.setData(x, b[:, j])
            cell["median"].setData(x, b[:, MEDIAN])
            hist = h.latest_histograms[q][l] if l < len(h.latest_histograms[q]) else None
            if hist is None:
                cell["bars"].setOpts(x0=[0], y0=[0], width=[0], height=[0])
            else:
                edges, counts = hist
                cell["bars"].setOpts(x0=np.zeros(len(counts)), y0=edges[:-1], width=counts.astype(float),
                                     height=np.diff(edges))
                top = int(counts.max())
                cell["hist"].getAxis("bottom").setTicks([[(0, "0"), (top, str(top))], []])
                cell["hist"].setXRange(0, top * 1.3, padding=0)
            title = f"{layer_name(l + 1, L + 1)} ({h.activations[l]}) · {quantity_title(q, l)}"
            if not keep.any():
                title += "  — " + ("arrives with training" if q == "bias_gradients" else "no data that fits")
            if cell.get("title") != (title, fg):
                cell["title"] = (title, fg)
                cell["plot"].setTitle(title, color=fg, size="9pt")
                cell["hist"].setTitle("latest", color=fg, size="9pt")

    def _draw_strip(self):
        h = self.history
        x = h.x()
        health, logs = h.health() * 100.0, h.log_update_ratios()
        for l, (curve, ratio) in enumerate(zip(self.health_curves, self.ratio_curves)):
            curve.setData(x, health[:, l])
            ratio.setData(x, logs[:, l])
        fg = self.palette().color(QPalette.ColorRole.Text).name()
        self.strip_title.setText("Unit health per layer", color=fg, size="9pt", bold=True)
        measured = any(h.kinds)
        self.health_plot.setTitle("Saturated (sigmoid, tanh) or dead (ReLU) units" if measured else
                                  "Saturated or dead units: not defined for linear or leaky-ReLU layers",
                                  color=fg, size="9pt")
        self.ratio_plot.setTitle("Update size log₁₀(‖ΔW‖/‖W‖), reference −3", color=fg, size="9pt")
        for axis in (self.health_plot, self.ratio_plot):
            axis.setLabel("bottom", "epoch")

    def _status_text(self) -> str:
        h = self.history
        how = ": " + sampling_text(self.offered, self.skipped, COST_SHARE) if self.offered else ""
        parts = [f"{h.n} sample{'s' if h.n != 1 else ''}{how}"
                 + (f" (thinned: 1 in {h.stride} kept)" if h.stride > 1 else "")]
        if self.history.latest_histograms["activations"] and all(
                v is None for v in self.history.latest_histograms["activations"]):
            parts.append("no activations: the data does not fit the network's inputs")
        else:
            parts.append(f"activations on {self.probe_used} training inputs")
        bad = h.latest_nonfinite()
        for q in QUANTITIES:
            total = sum(bad[q])
            if total:
                parts.append(f"{total} non-finite {NONFINITE_NAMES[q]} left out (did the run diverge?)")
        return " · ".join(parts)

    # ------------------------------------------------------------------ export
    def export_widget(self):
        return self.canvas if self.scroll.isVisible() else self

    def table(self):
        if self.history.n == 0:
            return None
        header, rows = self.history.table()
        names = layer_names(self.history.n_layers)
        for row in rows:
            row[2] = names[row[2] - 1]
        return header, rows

