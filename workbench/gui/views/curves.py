"""Training curves: cost, accuracy and the learning speed ‖δˡ‖ = ‖∂C/∂bˡ‖ of every layer.

Drawn from the Experiment's ``RunHistory``.  The x axis is in epochs: a batch sits where it starts
(``epoch - 1 + samples before it / n_train``), the summary of epoch ``e`` at ``x = e`` (epoch 0 =
the initial weights).  Regression data has no accuracy: its plot is taken out of the layout.
The learning speed is drawn raw (faint) and smoothed (bold) by ``speed_plot.SpeedCurves``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette, QTextDocument
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel,
                               QSizePolicy, QVBoxLayout, QWidget)

from workbench.core.history import layer_names
from workbench.core.smoothing import MAX_SMOOTHING
from workbench.gui.palette import TRAIN_COLOUR, VALIDATION_COLOUR, is_dark, layer_colours
from workbench.gui.views.markers import MarkerLines
from workbench.gui.views.plotkit import (LeaveFilter, LogAxis, PlotCanvas, PlotView, add_plot, fit_before_paint,
                                         fmt, grid_axes, set_finite, start_over_range, style_plot, theme_plot)
from workbench.gui.views.run_overlays import RunOverlays, epoch_accuracy, epoch_cost, epoch_speed
from workbench.gui.views.speed_plot import SPEED_AXIS, SPEED_TIP, SPEED_TITLES, SpeedCurves
from workbench.gui.worker import gui_priority

EMPTY_TEXT = "Press Train to see the cost, accuracy and learning speed of each layer"
QWIDGETSIZE_MAX = (1 << 24) - 1   # Qt's "no maximum"
SYMBOLS_UP_TO = 60          # epoch curves carry symbols while they have at most this many points
ROW_STRETCH = {"cost": 3, "accuracy": 2, "speed": 4}   # the learning speed is what this app is for


class CurvesView(PlotView):
    name = "curves"
    title = "Training curves"
    area = "centre"
    tooltip = "Cost, accuracy and the learning speed of every layer, per batch or per epoch"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self._generation = None
        self._n_layers = 0
        self._classification = None
        self._hover_x: float | None = None
        self._symbols = None
        self._measured = (0, 0)         # (width, length) of the longest readout text measured
        self._epochs_drawn = None       # what the epoch curves were last given
        self._build()
        self._apply_theme()
        self._sync_resolution()
        for signal in (experiment.history_reset, experiment.history_appended, experiment.runs_changed):
            signal.connect(self.mark_dirty)
        experiment.resolution_changed.connect(self._on_resolution_changed)

    # ------------------------------------------------------------------ construction
    def _build(self):
        self.resolution_combo = QComboBox()
        self.resolution_combo.addItem("Per batch", "batch")
        self.resolution_combo.addItem("Per epoch", "epoch")
        self.resolution_combo.setToolTip(
            "Per batch: the cost and ‖δˡ‖ of every mini-batch (noisy, live within an epoch).\n"
            "Per epoch: the summary after each epoch, measured on the whole training set.")
        self.resolution_combo.currentIndexChanged.connect(
            lambda _: self.set_resolution(self.resolution_combo.currentData()))
        self.log_cost = QCheckBox("Log cost axis")
        self.log_cost.setToolTip("Draw the cost on a logarithmic axis, to see slow progress late in training.")
        self.log_cost.toggled.connect(self._on_log_cost)
        self.smoothing_spin = QDoubleSpinBox()
        self.smoothing_spin.setRange(0.0, MAX_SMOOTHING)
        self.smoothing_spin.setDecimals(2)
        self.smoothing_spin.setSingleStep(0.05)
        self.smoothing_spin.setToolTip(
            "Smoothing of the learning speed, as TensorBoard's slider: 0 = the raw values, 0.9 ≈ an average of the\n"
            "last 10 points, 0.99 ≈ of the last 100 (a debiased moving average of log10 ‖δˡ‖).  Kept apart\n"
            "for each resolution: per batch 0.9 at first, per epoch 0 (epoch values are averages already).")
        self.smoothing_spin.valueChanged.connect(self._on_smoothing)
        self.show_raw = QCheckBox("Raw ‖δ‖")
        self.show_raw.setChecked(True)
        self.show_raw.setToolTip("Learning speed: draw the unsmoothed ‖δˡ‖ of every batch faintly under the "
                                 "smoothed curves (the cost plot always shows every batch).")
        self.show_raw.toggled.connect(self._on_show_raw)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        self._bar_texts = []        # (widget, text, text in a narrow view)
        for text, short, widget in (("&Resolution:", "", self.resolution_combo),
                                    ("&Smoothing:", "&Smooth", self.smoothing_spin)):
            label = QLabel(text)
            label.setBuddy(widget)
            self._bar_texts.append((label, text, short))
            for item in (label, widget):
                bar.addWidget(item)
            bar.addSpacing(4)
        self._bar_texts += [(self.show_raw, "Raw ‖δ‖", "Raw"), (self.log_cost, "Log cost axis", "Log cost")]
        for widget in (self.show_raw, self.log_cost):
            bar.addWidget(widget)
            bar.addSpacing(4)
        bar.addStretch(1)
        bar.addWidget(self.export_button())
        self._bar, self._bar_full = bar, None

        self.canvas = PlotCanvas()
        self.canvas.setMinimumSize(260, 240)
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.canvas.ci.setContentsMargins(2, 2, 8, 2)
        self.canvas.ci.setSpacing(2)
        self.cost_plot, self.cost_title, self.cost_legend = add_plot(self.canvas, 0, grid_axes())
        self.accuracy_plot, self.accuracy_title, self.accuracy_legend = add_plot(self.canvas, 1, grid_axes())
        self.speed_plot, self.speed_title, self.speed_legend = add_plot(self.canvas, 2, grid_axes(LogAxis("left")))
        self.plots = [self.cost_plot, self.accuracy_plot, self.speed_plot]
        for plot, left in zip(self.plots, ("cost", "accuracy (%)", "‖δˡ‖ (log)")):
            style_plot(plot, left=left, bottom=None)
        layout = self.canvas.ci.layout
        for row, key in enumerate(("cost", "accuracy", "speed")):
            layout.setRowStretchFactor(2 * row + 1, ROW_STRETCH[key])
        self.accuracy_plot.setXLink(self.cost_plot)
        self.speed_plot.setXLink(self.cost_plot)
        self.speed_plot.setLabel("bottom", "epoch")
        self.speed_plot.setLogMode(x=False, y=True)
        self.speed_plot.vb.setToolTip(SPEED_TIP)
        for plot in (self.cost_plot, self.accuracy_plot):
            plot.getAxis("bottom").setStyle(showValues=False)   # x is shared: values under the last plot

        self.batch_cost = pg.PlotDataItem(name="training, per batch")
        self.train_cost = pg.PlotDataItem(name="training")
        self.val_cost = pg.PlotDataItem(name="validation")
        self.train_acc = pg.PlotDataItem(name="training")
        self.val_acc = pg.PlotDataItem(name="validation")
        for item in (self.batch_cost, self.train_cost, self.val_cost):
            self.cost_plot.addItem(item)
        for item in (self.train_acc, self.val_acc):
            self.accuracy_plot.addItem(item)
        self.speed = SpeedCurves(self.speed_plot, self.mark_dirty)
        self.markers = MarkerLines(self.plots, labelled=[self.cost_plot])
        self.overlays = RunOverlays(self.experiment, [(self.cost_plot, self.cost_legend, epoch_cost),
                                                      (self.accuracy_plot, None, epoch_accuracy),
                                                      (self.speed_plot, None, epoch_speed)])

        self.crosshairs = []
        for plot in self.plots:
            line = pg.InfiniteLine(angle=90, movable=False)
            line.setZValue(20)
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self.crosshairs.append(line)
        self.canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._leave_filter = LeaveFilter(self._on_mouse_left, self)
        self.canvas.viewport().installEventFilter(self._leave_filter)

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        stack = QWidget()
        grid = QGridLayout(stack)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.canvas, 0, 0)
        grid.addWidget(self.empty_label, 0, 0, Qt.AlignmentFlag.AlignCenter)

        self.readout = QLabel()
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setToolTip("Values at the mouse pointer (or the latest values); ‖δ‖ raw / smoothed.  "
                                "Click a legend entry to hide or show its curve.\n\n" + SPEED_TIP)
        self.readout.setMinimumHeight(self._readout_floor())

        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(4)
        column.addLayout(bar)
        column.addWidget(stack, 1)
        column.addWidget(self.readout)

    # ------------------------------------------------------------------ theme and layout
    def _apply_theme(self):
        pal = self.palette()
        fg = pal.color(QPalette.ColorRole.Text)
        self.canvas.setBackground(pal.color(QPalette.ColorRole.Base))
        for plot in self.plots:
            theme_plot(plot, pal)
        faint = QColor(fg)
        faint.setAlpha(110)
        self.empty_label.setStyleSheet(
            f"color: {faint.name(QColor.NameFormat.HexArgb)}; font-size: 12pt; padding: 10px;")
        cross = QColor(fg)
        cross.setAlpha(120)
        for line in self.crosshairs:
            line.setPen(pg.mkPen(cross, width=1))
        self.markers.restyle(pal)
        self._arrange(force=True)
        self._style_curves()

    def resizeEvent(self, event):  # noqa: N802 - Qt override: short control texts in a narrow view
        super().resizeEvent(event)
        if self._bar_full is None:      # measured once polished, with the full texts
            self._bar_full = self._bar.sizeHint().width() + 8
            for widget, text, short in self._bar_texts:     # the layout may shrink them to the short text
                widget.setText(short)
                widget.setMinimumWidth(max(1, widget.minimumSizeHint().width()))
                widget.setText(text)
        narrow = self.width() < self._bar_full
        for widget, text, short in self._bar_texts:
            widget.setText(short if narrow else text)
            widget.setVisible(bool(widget.text()))

    def _headers(self):
        return ((self.cost_title, self.cost_legend, ("Cost",)),
                (self.accuracy_title, self.accuracy_legend, ("Accuracy",)),
                (self.speed_title, self.speed_legend, SPEED_TITLES[self.resolution()]))


    def _style_curves(self):
        dark = is_dark(self.palette(), QPalette.ColorRole.Base)
        batch_colour = QColor(TRAIN_COLOUR)
        batch_colour.setAlpha(170 if dark else 110)
        self.batch_cost.setPen(pg.mkPen(batch_colour, width=1))
        history = self.experiment.history
        self._symbols = len(history.epoch_number()) <= SYMBOLS_UP_TO
        background = self.palette().color(QPalette.ColorRole.Base)
        # Validation: wider line and hollow rings under the training curve, so both stay visible
        # where they coincide (e.g. XOR, whose validation split repeats the four patterns).
        for curve, colour, validation in ((self.train_cost, TRAIN_COLOUR, False),
                                          (self.val_cost, VALIDATION_COLOUR, True),
                                          (self.train_acc, TRAIN_COLOUR, False),
                                          (self.val_acc, VALIDATION_COLOUR, True)):
            curve.setPen(pg.mkPen(colour, width=3.5 if validation else 1.8))
            curve.setZValue(1 if validation else 2)
            curve.setSymbol("o" if self._symbols else None)
            curve.setSymbolSize(8 if validation else 5)
            curve.setSymbolPen(pg.mkPen(colour, width=1.5))
            curve.setSymbolBrush(pg.mkBrush(background if validation else colour))
        self.speed.style(self.palette(), self.resolution())
        self.show_raw.setEnabled(self.speed.smoothed(self.resolution()))   # unsmoothed, the curves are raw

    @property
    def speed_curves(self) -> list:
        """The learning speed curve of each layer (smoothed, or raw while not smoothed)."""
        return self.speed.curves

    # ------------------------------------------------------------------ settings
    def resolution(self) -> str:
        return self.experiment.plot_resolution

    def set_resolution(self, mode: str) -> None:
        """``"batch"``: per-batch cost and ‖δˡ‖; ``"epoch"``: the epoch summaries."""
        self.experiment.set_resolution(mode)

    def _on_resolution_changed(self) -> None:
        self._sync_resolution()
        for plot in self.plots:
            plot.enableAutoRange()
        self.mark_dirty()

    def _sync_resolution(self):
        mode = self.resolution()
        if self.resolution_combo.currentData() != mode:
            self.resolution_combo.blockSignals(True)
            self.resolution_combo.setCurrentIndex(self.resolution_combo.findData(mode))
            self.resolution_combo.blockSignals(False)
        legend = self.cost_legend
        legend.clear()
        if mode == "batch":
            legend.addItem(self.batch_cost, self.batch_cost.name())
        legend.addItem(self.train_cost, "training")
        legend.addItem(self.val_cost, "validation")
        self.overlays.forget()            # the cleared legend: overlaid runs are entered again
        self.batch_cost.setVisible(mode == "batch")
        self.speed_plot.setLabel("left", SPEED_AXIS[mode])
        self.smoothing_spin.blockSignals(True)
        self.smoothing_spin.setValue(self.speed.smoothing[mode])
        self.smoothing_spin.blockSignals(False)
        self._arrange(force=True)
        self._style_curves()

    def _on_smoothing(self, value: float):
        self.speed.set_smoothing(self.resolution(), value)
        self._style_curves()
        self.mark_dirty()

    def _on_show_raw(self, on: bool):
        self.speed.show_raw = on
        self.speed.link_visibility()
        self.mark_dirty()

    def _on_log_cost(self, on: bool):
        self.cost_plot.setLogMode(x=False, y=on)
        self.cost_plot.enableAutoRange()
        self.markers.relabel()
        self.mark_dirty()

    # ------------------------------------------------------------------ drawing
    def _rebuild(self, history):
        """A new history (reset, loaded, another network): curves for its layers, axes refitted."""
        self._generation = history.generation
        if history.n_layers != self._n_layers:
            self.speed.rebuild(history.n_layers)
            self._n_layers = history.n_layers
        if history.classification != self._classification:
            self._classification = history.classification
            shown = history.classification
            # Hidden items keep their room in a graphics layout: a zero maximum height takes it away.
            for item in (self.accuracy_plot, self.accuracy_title):
                item.setVisible(shown)
                item.setMaximumHeight(QWIDGETSIZE_MAX if shown else 0)
            self.accuracy_legend.set_collapsed(not shown)    # stays so when its columns change
            self.canvas.ci.layout.setRowStretchFactor(3, ROW_STRETCH["accuracy"] if shown else 0)
        self.markers.clear()
        self.readout.setMinimumHeight(self._readout_floor())
        self._measured = (0, 0)
        speed_y = (-3.0, 0.0) if self.speed_plot.getAxis("left").logMode else (0.0, 1.0)
        for plot, y_range in zip(self.plots, ((0.0, 1.0), (0.0, 100.0), speed_y)):
            start_over_range(plot, y_range)
        self._sync_resolution()

    def draw(self):
        history = self.experiment.history
        with gui_priority():
            if history.generation != self._generation:
                self._rebuild(history)
            elif (len(history.epoch_number()) <= SYMBOLS_UP_TO) != self._symbols:
                self._style_curves()
            self._draw_curves(history)
            self.markers.update(history.markers)
            self.overlays.positive = [self.log_cost.isChecked(), False, True]
            self.overlays.update()
            fit_before_paint(self.canvas, self.plots)

    def _draw_curves(self, h):
        self.empty_label.setVisible(h.batch_points == 0 and len(h.epoch_number()) == 0)
        ex = h.epoch_number()
        positive = self.log_cost.isChecked()
        # Epoch rows only come at the end of an epoch: their curves (with symbols, a millisecond a
        # frame) are given data only when a row came, or the history or the cost axis changed.
        epochs = (h.generation, len(ex), ex[-1] if len(ex) else None, positive, h.classification)
        if epochs != self._epochs_drawn:
            self._epochs_drawn = epochs
            # A NaN epoch summary only ends a diverged run; symbols cannot take it.
            set_finite(self.train_cost, ex, h.train_cost(), positive)
            set_finite(self.val_cost, ex, h.val_cost(), positive)
            if h.classification:
                set_finite(self.train_acc, ex, 100 * h.train_accuracy())
                set_finite(self.val_acc, ex, 100 * h.val_accuracy())
            else:
                self.train_acc.setData([], [])
                self.val_acc.setData([], [])
        if self.resolution() == "batch":
            self.batch_cost.setData(h.batch_x(), h.batch_cost())
        else:
            self.batch_cost.setData([], [])
        if self.speed.draw(h, self.resolution()):     # the "‖δ‖ = 0" legend entry came or went
            theme_plot(self.speed_plot, self.palette())
            self._arrange(force=True)
        self._update_readout()

    # ------------------------------------------------------------------ hover readout
    def _on_mouse_moved(self, pos):
        for plot in self.plots:
            if plot.isVisible() and plot.vb.sceneBoundingRect().contains(pos):
                self._hover_x = plot.vb.mapSceneToView(pos).x()
                for line in self.crosshairs:
                    line.setPos(self._hover_x)
                    line.show()
                self._update_readout()
                return
        self._on_mouse_left()

    def _on_mouse_left(self):
        if self._hover_x is None:
            return
        self._hover_x = None
        for line in self.crosshairs:
            line.hide()
        self._update_readout()

    @staticmethod
    def _nearest(xs: np.ndarray, x: float | None) -> int | None:
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
        """Plain text of the values under the plots (at the pointer, or the latest values)."""
        doc = QTextDocument()
        doc.setHtml(self.readout.text())
        return doc.toPlainText()

    def _readout_floor(self) -> int:
        """Three lines: what the readout usually wraps to, so it seldom grows during a run."""
        return 3 * self.fontMetrics().lineSpacing() + 4

    def _update_readout(self):
        h = self.experiment.history
        if h.batch_points == 0 and len(h.epoch_number()) == 0:
            self.readout.setText("")
            return
        mode = self.resolution()
        colours = [c.name() for c in layer_colours(h.n_layers, is_dark(self.palette(), QPalette.ColorRole.Base))]
        prefix = "" if self._hover_x is not None else "Latest — "
        lines = []
        if mode == "batch" and h.batch_points:
            i = self._nearest(h.batch_x(), self._hover_x)
            lines.append(f"{prefix}epoch {int(h.batch_epoch()[i])}, batch {int(h.batch_index()[i])} "
                         f"(step {int(h.batch_step()[i])}): batch cost <b>{fmt(h.batch_cost()[i])}</b>"
                         f" &nbsp; {self.speed.readout(h.batch_delta_norms()[:, i], i, mode, colours)}")
        e = self._nearest(h.epoch_number(), self._hover_x)
        if e is not None:
            epoch = int(h.epoch_number()[e])
            what = "initial weights" if epoch == 0 else f"after epoch {epoch}"

            def pair(train, val, percent=False):
                text = f"<span style='color:{TRAIN_COLOUR}'>train</span> <b>{fmt(train, percent)}</b>"
                if math.isfinite(val):
                    text += f" <span style='color:{VALIDATION_COLOUR}'>validation</span> <b>{fmt(val, percent)}</b>"
                return text

            parts = ["cost " + pair(h.train_cost()[e], h.val_cost()[e])]
            if h.classification:
                parts.append("accuracy " + pair(h.train_accuracy()[e], h.val_accuracy()[e], True))
            if self.resolution() == "epoch":
                parts.append(self.speed.readout(h.epoch_delta_norms()[:, e], e, mode, colours))
            lines.append(f"{prefix if not lines else ''}{what}: " + " &nbsp; ".join(parts))
        text = "<br>".join(lines)
        self.readout.setText(text)
        # The readout grows to the lines its text wraps to but does not shrink back until the next
        # reset: each change of its height would resize, relayout and repaint the whole canvas.
        # Measured (half a millisecond) only when the text is longer than any measured at this width.
        width = self.readout.width()
        if width > 0 and (width, len(text)) > self._measured:
            self._measured = (width, len(text))
            need = self.readout.heightForWidth(width)
            if need > self.readout.minimumHeight():
                self.readout.setMinimumHeight(need)

    # ------------------------------------------------------------------ export
    def export_widget(self) -> QWidget:
        """What File → Export → Plots as PNG grabs when this view is in front."""
        self._on_mouse_left()
        return self.canvas

    # ------------------------------------------------------------------ settings and numbers
    def settings(self) -> dict:
        """The smoothing of each resolution, whether raw values and a log cost axis are shown."""
        return {"smoothing_batch": self.speed.smoothing["batch"], "smoothing_epoch": self.speed.smoothing["epoch"],
                "show_raw": self.show_raw.isChecked(), "log_cost": self.log_cost.isChecked()}

    def apply_settings(self, values: dict) -> None:
        if not isinstance(values, dict):
            return
        for mode in ("batch", "epoch"):
            self.speed.set_smoothing(mode, values.get(f"smoothing_{mode}"))
        for key, box in (("show_raw", self.show_raw), ("log_cost", self.log_cost)):
            if isinstance(values.get(key), bool):
                box.setChecked(values[key])
        self._sync_resolution()
        self.mark_dirty()

    def table(self):
        """Every epoch and batch row, in x order: costs, accuracies (0–1), raw and smoothed ‖δˡ‖ of
        each layer (smoothed as set for its resolution); None while there are none."""
        h = self.experiment.history
        if h.batch_points == 0 and len(h.epoch_number()) == 0:
            return None
        names = [n.replace(" ", "_") for n in layer_names(h.n_layers)]
        header = (["record", "position", "epoch", "batch", "step", "batch_cost", "train_cost", "train_accuracy",
                   "val_cost", "val_accuracy"] + [f"delta_norm_{n}" for n in names]
                  + [f"smoothed_delta_norm_{n}" for n in names])
        e, blank = h.epoch_number(), [[None] * max(h.batch_points, len(h.epoch_number()))]
        tables = (("epoch", zip(e, e, *blank * 3, h.train_cost(), h.train_accuracy(), h.val_cost(),
                                h.val_accuracy()), h.epoch_delta_norms()),
                  ("batch", zip(h.batch_x(), h.batch_epoch(), h.batch_index(), h.batch_step(), h.batch_cost(),
                                *blank * 4), h.batch_delta_norms()))
        rows = []
        for order, (mode, fixed, norms) in enumerate(tables):
            smoothed = self.speed.smoothed_norms(norms, mode)
            for front, raw, smooth in zip(fixed, norms.T.tolist(), smoothed.T.tolist()):
                rows.append((front[0], order, [mode, *front, *raw, *smooth]))
        rows.sort(key=lambda r: (r[0], r[1]))
        return header, [r[2] for r in rows]
