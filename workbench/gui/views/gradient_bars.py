"""Gradient bars: ∂C/∂b of every neuron, one row of bars per layer, with each layer's length
‖δˡ‖ — Nielsen's chapter-5 picture of the vanishing gradient.  While training it shows the latest
batch's gradient (from the mid-run snapshots); otherwise the gradient over the training set (or the
first samples of it), computed once per network state.  The numbers come from
``workbench.core.layer_maths`` and ``workbench.core.training``; this file only draws."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QVBoxLayout

from workbench.core import layer_maths as lm
from workbench.core.names import layer_name
from workbench.core.network import Network
from workbench.core.training import full_bias_gradient
from workbench.gui.palette import is_dark, layer_colours
from workbench.gui.views.base import NO_NETWORK_YET, EmptyNote
from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.plotkit import PlotCanvas, PlotView, add_plot, grid_axes, style_plot, theme_plot
from workbench.gui.worker import gui_priority

NO_NETWORK = f"{NO_NETWORK_YET} and see ∂C/∂b of every neuron."
NO_DATA = ("Load data that fits the network to see ∂C/∂b over the training set "
           "(while training, the latest batch's is shown).")
FIRST_N = (6, 10, 30, 100, 0)           # 0: all, up to MAX_BARS
MAX_BARS = 500
SOURCES = ("auto", "training-set")
SAMPLE_CAP = 2000                       # training samples for the full-batch gradient, idle ...
RUN_SAMPLE_CAP = 500                    # ... and recomputed at every frame of a run
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class GradientBarsView(PlotView):
    name = "gradient-bars"
    title = "Gradient bars"
    area = "centre"
    tooltip = "∂C/∂b of every neuron, layer by layer, and each layer's ‖δ‖: the vanishing gradient"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self.first_n = 6
        self.shared = True
        self.source = "auto"
        self._cache_key = None
        self._cached = None             # full-batch ∂C/∂b for _cache_key
        self._gradients = None          # the per-layer ∂C/∂b drawn (for table())
        self.plots, self.titles, self.bars, self.zeros = [], [], [], []

        self.n_box = QComboBox()
        for n in FIRST_N:
            self.n_box.addItem(f"first {n}" if n else f"all (up to {MAX_BARS})", n)
        self.n_box.setToolTip("How many neurons of each layer get a bar (the first ones)")
        self.shared_box = QCheckBox("Same scale for every layer")
        self.shared_box.setChecked(True)
        self.shared_box.setToolTip("One y scale for all layers, so small gradients look small (Nielsen's point)")
        self.source_box = QComboBox()
        self.source_box.addItem("Latest batch while training", "auto")
        self.source_box.addItem("Always the training set", "training-set")
        self.source_box.setToolTip("While training: the latest batch's ∂C/∂b, or ∂C/∂b over training samples. "
                                   "When idle it is always over the training samples.")
        controls = FlowLayout()
        controls.addWidget(QLabel("Bars:"))
        controls.addWidget(self.n_box)
        controls.addWidget(self.shared_box)
        controls.addWidget(QLabel("Source:"))
        controls.addWidget(self.source_box)
        controls.addStretch(1)
        controls.addWidget(self.export_button())

        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.canvas = PlotCanvas()
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.note = EmptyNote(NO_NETWORK)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(controls)
        column.addWidget(self.info)
        column.addWidget(self.note, 1)
        column.addWidget(self.canvas, 1)

        self.n_box.currentIndexChanged.connect(self._on_controls)
        self.shared_box.toggled.connect(self._on_controls)
        self.source_box.currentIndexChanged.connect(self._on_controls)
        for signal in (experiment.data_changed, experiment.network_changed, experiment.parameters_changed,
                       experiment.architecture_changed, experiment.run_state_changed):
            signal.connect(self.mark_dirty)
        self._apply_theme()

    # ------------------------------------------------------------------ slots and theme
    def _on_controls(self, *_args) -> None:
        self.first_n = self.n_box.currentData() if self.n_box.currentData() is not None else 6
        self.shared = self.shared_box.isChecked()
        self.source = self.source_box.currentData() or "auto"
        self.mark_dirty()

    def _headers(self):
        return [(title, plot.legend, (title.text or "",)) for plot, title in zip(self.plots, self.titles)]

    def _arrange(self, force: bool = False):
        pass                            # titles are set in draw(); the legends stay empty

    def _apply_theme(self):
        pal = self.palette()
        self.canvas.setBackground(pal.color(QPalette.ColorRole.Base))
        for plot in self.plots:
            theme_plot(plot, pal)
        self._recolour()
        self.mark_dirty()

    def _recolour(self) -> None:
        faint = QColor(self.palette().color(QPalette.ColorRole.Text))
        faint.setAlpha(110)
        for zero in self.zeros:
            zero.setPen(pg.mkPen(faint, width=1))
        colours = layer_colours(max(1, len(self.bars)), is_dark(self.palette()))
        for bar, colour in zip(self.bars, colours):
            bar.setOpts(brush=pg.mkBrush(colour), pen=pg.mkPen(QColor(colour).darker(130), width=1))

    def _build_plots(self, n_layers: int) -> None:
        self.canvas.ci.clear()
        self.plots, self.titles, self.bars, self.zeros = [], [], [], []
        for l in range(n_layers):
            plot, title, legend = add_plot(self.canvas, l, grid_axes())
            legend.set_collapsed(True)
            style_plot(plot, left="∂C/∂b", bottom="neuron" if l == n_layers - 1 else None)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            bar = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.8)
            plot.addItem(bar)
            zero = pg.InfiniteLine(pos=0.0, angle=0, movable=False)
            plot.addItem(zero, ignoreBounds=True)
            self.zeros.append(zero)
            self.plots.append(plot)
            self.titles.append(title)
            self.bars.append(bar)
        pal = self.palette()
        for plot in self.plots:
            theme_plot(plot, pal)
        self._recolour()

    # ------------------------------------------------------------------ the numbers
    def _gradients_to_show(self, params):
        """(per-layer ∂C/∂b, what they are) or (None, why not)."""
        exp = self.experiment
        weights, biases, latest = params
        if latest is not None and self.source == "auto":
            return [np.asarray(g) for g in latest], "∂C/∂b of the latest batch"
        ds = exp.dataset
        net = exp.net
        if (net is None or ds is None or len(ds.train) == 0 or ds.n_inputs != weights[0].shape[0]
                or ds.n_outputs != weights[-1].shape[1]):
            return None, NO_DATA
        n = lm.sample_rows(len(ds.train), RUN_SAMPLE_CAP if exp.is_training() else SAMPLE_CAP)
        key = (lm.parameter_fingerprint(weights, biases), id(ds), n, tuple(net.activations), net.cost)
        if key != self._cache_key:
            model = Network(list(weights), list(biases), net.activations, net.cost, dtype=weights[0].dtype)
            with np.errstate(all="ignore"):
                self._cached = full_bias_gradient(model, ds.train.X[:n], ds.train.Y[:n])
            self._cache_key = key
        what = ("∂C/∂b over the whole training set" if n == len(ds.train)
                else f"∂C/∂b over the first {n} of {len(ds.train)} training samples")
        return self._cached, f"{what} ({n} samples)" if n == len(ds.train) else what

    def draw(self) -> None:
        with gui_priority():
            params = self.experiment.parameters()
            gradients, what = (None, NO_NETWORK) if params is None else self._gradients_to_show(params)
            self._gradients = gradients
            self.note.setVisible(gradients is None)
            self.canvas.setVisible(gradients is not None)
            self.info.setVisible(gradients is not None)
            if gradients is None:
                self.note.setText(what)
                return
            self._draw_bars(gradients, what)

    def _draw_bars(self, gradients, what: str) -> None:
        if len(gradients) != len(self.plots):
            self._build_plots(len(gradients))
        limit = self.first_n or MAX_BARS
        bars = lm.layer_bars(gradients, limit)
        limits = lm.bar_limits(bars, self.shared)
        n_neuron_layers = len(gradients) + 1
        colour = self.palette().color(QPalette.ColorRole.Text).name()
        for l, (layer, top) in enumerate(zip(bars, limits)):
            n = len(layer.values)
            self.bars[l].setOpts(x=np.arange(1, n + 1, dtype=float), height=layer.values, width=0.8)
            plot = self.plots[l]
            plot.vb.setRange(xRange=(0.4, max(n, 1) + 0.6), yRange=(-top, top), padding=0.0)
            step = max(1, int(np.ceil(n / 20)))          # whole neuron numbers, at most ~20 labels
            plot.getAxis("bottom").setTicks([[(k, str(k)) for k in range(1, n + 1, step)], []])
            shown = f"all {n}" if n == layer.size else f"first {n} of {layer.size}"
            norm = "not defined (NaN)" if layer.non_finite else f"{layer.norm:.3g}"
            name = layer_name(l + 1, n_neuron_layers)
            delta = f"δ{str(l + 1).translate(_SUPERSCRIPT)}"
            self.titles[l].setText(f"{name}   ‖{delta}‖ = {norm}   ({shown} neurons)", color=colour,
                                   size="9pt", bold=True)
        scale = "one y scale for all layers" if self.shared else "each layer on its own y scale"
        diverged = any(layer.non_finite for layer in bars)
        self.info.setText(f"{what}; {scale}." + (
            "  Some ∂C/∂b are NaN or infinite (the run diverged): drawn as 0." if diverged else ""))

    # ------------------------------------------------------------------ export and settings
    def export_widget(self):
        return self.canvas if self.canvas.isVisible() else self

    def table(self):
        if self._gradients is None:
            return None
        n_neuron_layers = len(self._gradients) + 1
        rows = [[layer_name(l + 1, n_neuron_layers), j + 1, float(v)]
                for l, g in enumerate(self._gradients) for j, v in enumerate(np.asarray(g).ravel())]
        return ["layer", "neuron", "∂C/∂b"], rows

    def settings(self) -> dict:
        return {"first_n": self.first_n, "shared": self.shared, "source": self.source}

    def apply_settings(self, values: dict) -> None:
        if not isinstance(values, dict):
            return
        n = values.get("first_n")
        if isinstance(n, int) and not isinstance(n, bool) and n in FIRST_N:
            self.n_box.setCurrentIndex(FIRST_N.index(n))
        shared = values.get("shared")
        if isinstance(shared, bool):
            self.shared_box.setChecked(shared)
        source = values.get("source")
        if source in SOURCES:
            self.source_box.setCurrentIndex(SOURCES.index(source))
        self._on_controls()
