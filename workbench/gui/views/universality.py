"""Universality (Nielsen, chapter 4): a 1-h-1 network with a sigmoid hidden layer, tuned by hand.

The plot shows every hidden neuron's σ(wx + b) (thin, coloured), the weighted sum Σvσ + c and the
network's output (bold) against a goal (dashed: one of the 1-D functions, the data set's points, or
a curve the user draws), with the average deviation mean |f − g| and the cost on the training data.
Handles change the weights: in Nielsen's mode each neuron's step point s = −b/w (a round handle on
its curve, just above ½ for a pair's step up, below for its step down; w is kept) and each pair's height h (v₂ₖ = h, v₂ₖ₊₁ = −h); in the w, b mode a w–b plane with one
handle per neuron and a handle per output weight v.  Curves follow the handles live; the release
is one undo step (Edit → Undo).  Handles work when idle or paused.  The maths is in
``workbench.core.universality``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from workbench.core import Network
from workbench.core import universality as u
from workbench.gui.views.base import NO_NETWORK_YET, EmptyNote
from workbench.gui.views.plotkit import PlotCanvas, PlotView, RowLegend, grid_axes, style_plot, theme_plot
from workbench.gui.views.universality_parts import (DRAW_ENTRY, GOAL_DATA, GOAL_DRAWN, MODES, DragRelay, DrawBox,
                                                    Handle, clean_drawn, handle_changes, handle_name,
                                                    handle_places, moved_parameters, resample_stroke, table_rows)
from workbench.gui.worker import gui_priority

NO_NETWORK = f"{NO_NETWORK_YET} and tune its steps by hand."
NOT_IDLE = "Pause the run (or let it finish) to drag the handles."
DRAW_HINT = "Drag across the plot to draw the goal; release the button to finish."
MAX_SHOWN = 64            # hidden neurons drawn (and given handles) at most
COST_SAMPLES = 20_000
TITLE = "Hidden neurons σ(wx + b), the network's output and the goal"



def _fit_if_outside(box) -> None:
    """Range ``box`` to its contents again only where they now reach outside what it shows, so the
    handles of the next drag stay where they were."""
    shown = box.viewRange()
    bounds = box.childrenBounds()
    outside = any(b is not None and (b[0] < lo or b[1] > hi) for b, (lo, hi) in zip(bounds, shown))
    if outside:
        box.enableAutoRange()

class UniversalityView(PlotView):
    name = "universality"
    title = "Universality"
    area = "centre"
    tooltip = "Nielsen's hand-tuned 1-h-1 network: drag steps and heights (or w and b) to fit a goal"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self._mode = "steps"
        self._goal = "nielsen-function"
        self._drawn: list | None = None
        self._params: u.OneHidden | None = None       # shown (during a drag: the dragged copy)
        self._drag = None                             # (handle key, parameters when it began)
        self._serial = 0                              # drags so far (each one undo step)
        self._handles: dict = {}
        self._handle_shape = None
        self._goal_cache = None                       # (key, x, g)
        self._cost_cache = (None, "")
        self._relay = DragRelay(self)
        self._relay.started.connect(self._on_drag_started)
        self._relay.moved.connect(self._on_drag_moved)
        self._relay.finished.connect(self._on_drag_finished)
        self._build()
        self._apply_theme()
        for signal in (experiment.network_changed, experiment.parameters_changed, experiment.architecture_changed,
                       experiment.data_changed, experiment.run_state_changed):
            signal.connect(self.mark_dirty)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.mode_combo = QComboBox()
        for key, text in MODES.items():
            self.mode_combo.addItem(text, key)
        self.mode_combo.setToolTip("What the handles change")
        self.mode_combo.currentIndexChanged.connect(self._on_mode_chosen)
        self.goal_combo = QComboBox()
        self.goal_combo.setToolTip("The function the network should approximate")
        for key, (label, _f, _r) in u.GOALS.items():
            self.goal_combo.addItem(f"Goal: {label}", key)
        self.goal_combo.addItem("Goal: the data set", GOAL_DATA)
        self.goal_combo.addItem(DRAW_ENTRY, "draw")
        self.goal_combo.activated.connect(self._on_goal_chosen)
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.mode_combo)
        controls.addWidget(self.goal_combo)
        controls.addStretch(1)
        controls.addWidget(self.export_button())
        self.canvas = PlotCanvas()
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.canvas.ci.addLayout(row=0, col=0)
        header.setContentsMargins(56, 0, 4, 0)
        header.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.plot_title = header.addLabel("", row=0, col=0, justify="left", size="9pt")
        self.plot_title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.legend = RowLegend()
        header.addItem(self.legend, row=0, col=1)
        self.box = DrawBox()
        self.box.on_stroke = self.mark_dirty
        self.box.stroke_finished.connect(self._on_stroke)
        self.plot = self.canvas.addPlot(row=1, col=0, viewBox=self.box, axisItems=grid_axes())
        self.plot.legend = self.legend
        style_plot(self.plot, left="value", bottom="x")
        self.plane_canvas = PlotCanvas()
        self.plane_canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plane = self.plane_canvas.addPlot(row=0, col=0, axisItems=grid_axes())
        style_plot(self.plane, left="b", bottom="w")
        self.plane.setTitle("w–b plane", size="9pt")
        self.plane.titleLabel.setMinimumWidth(10)
        self.goal_curve = pg.PlotDataItem(name="goal g(x)")
        # Wide pens are drawn segment by segment by default, which restarts the dash at every point.
        self.goal_curve.curve.setSegmentedLineMode("off")
        self.weighted_curve = pg.PlotDataItem(name="weighted sum Σvσ + c")
        self.weighted_curve.curve.setSegmentedLineMode("off")
        self.output_curve = pg.PlotDataItem(name="output f(x)")
        for curve in (self.goal_curve, self.weighted_curve, self.output_curve):
            self.plot.addItem(curve)
        self.hidden_curves: list[pg.PlotDataItem] = []
        self.reach = pg.ScatterPlotItem(size=1, pen=None, brush=None)     # the handles' places count
        self.plot.addItem(self.reach)                                     # in the plot's auto range
        self._weighted_listed = True
        self.readout = QLabel("")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = EmptyNote(NO_NETWORK, self)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(controls)
        self.pictures = QWidget()               # what Export saves: the plot and the w–b plane
        plots = QHBoxLayout(self.pictures)
        plots.setContentsMargins(0, 0, 0, 0)
        plots.setSpacing(0)
        plots.addWidget(self.canvas, 1)
        plots.addWidget(self.plane_canvas)
        self.plane_canvas.setMinimumWidth(150)
        self.plane_canvas.setMaximumWidth(240)
        self.canvas.installEventFilter(self)     # its header is laid out again when its width changes
        column.addWidget(self.note, 1)
        column.addWidget(self.pictures, 1)
        column.addWidget(self.readout)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if obj is self.canvas and event.type() == QEvent.Type.Resize:
            self._arrange()                         # (before the canvas fits its layout to its width)
            self.canvas.ci.layout.invalidate()      # the shorter header's minimum counts at once
            self.canvas.ci.updateGeometry()
        return super().eventFilter(obj, event)

    def _headers(self):
        return ((self.plot_title, self.legend, (TITLE, "Hidden neurons, output and goal", "Neurons, output, goal")),)

    def _apply_theme(self) -> None:
        pal = self.palette()
        self.canvas.setBackground(pal.color(QPalette.ColorRole.Base))
        self.plane_canvas.setBackground(pal.color(QPalette.ColorRole.Base))
        theme_plot(self.plot, pal)
        self._theme_plane(pal)
        text = pal.color(QPalette.ColorRole.Text)
        self._text = QColor(text)
        self.goal_curve.setPen(pg.mkPen(text, width=2, style=Qt.PenStyle.DashLine))
        self.weighted_curve.setPen(pg.mkPen(QColor("#ff7f0e"), width=2, style=Qt.PenStyle.DotLine))
        self.output_curve.setPen(pg.mkPen(QColor("#1f77b4") if pal.color(QPalette.ColorRole.Base).lightness() > 128
                                          else QColor("#5aa9ff"), width=3))
        self._handle_shape = None         # handles take the new colours at the next draw
        self.mark_dirty()
        self._arrange(force=True)

    def _theme_plane(self, pal) -> None:
        fg = pal.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            axis = self.plane.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)
            axis.set_grid_background(pal.color(QPalette.ColorRole.Base))
        self.plane.titleLabel.setText(self.plane.titleLabel.text, color=fg.name(), size="9pt")

    def export_widget(self):
        return self.pictures

    # ------------------------------------------------------------------ what can be shown
    def _problem(self) -> str | None:
        exp = self.experiment
        if exp.net is None:
            problem = u.shape_problem(exp.architecture["sizes"], exp.architecture["activations"])
            return problem or NO_NETWORK
        return u.shape_problem(exp.net.sizes, exp.net.activations)

    def editable_reason(self) -> str | None:
        """Why the handles cannot be dragged now (None: they can)."""
        if self.experiment.run_state not in ("idle", "paused"):
            return NOT_IDLE
        return None

    def _goal_values(self):
        """(x (n,), g (n,) or None, a note or "") for the chosen goal."""
        exp = self.experiment
        ds = exp.dataset
        drawing = self.box.drawing and len(self.box.stroke) >= 2
        key = (self._goal, id(ds), id(self._drawn), drawing and len(self.box.stroke))
        if self._goal_cache is not None and self._goal_cache[0] == key and not drawing:
            return self._goal_cache[1:]
        note = ""
        if drawing or self._goal == GOAL_DRAWN:
            points = np.asarray(self.box.stroke if drawing else self._drawn or [(0.0, 0.0), (1.0, 0.0)])
            x = u.grid((points[:, 0].min(), points[:, 0].max()) if np.ptp(points[:, 0]) > 0 else (0.0, 1.0))
            g = u.goal_from_points(points[:, 0], points[:, 1], x)
        elif self._goal == GOAL_DATA:
            if ds is None or ds.train is None or len(ds.train) == 0 or ds.n_inputs != 1 or ds.n_outputs != 1:
                x, g = u.grid((0.0, 1.0)), None
                note = "The data set is not one input to one target: no goal from it."
            else:
                px, py = ds.train.X[:, 0], ds.train.Y[:, 0]
                x = u.grid((float(np.nanmin(px)), float(np.nanmax(px))))
                g = u.goal_from_points(px, py, x)
        else:
            x = u.grid(u.GOALS[self._goal][2])
            g = u.goal_values(self._goal, x)
        self._goal_cache = (key, x, g, note)
        return x, g, note

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        with gui_priority():
            self._draw()
            if self._drag is None and not self.box.autoRangeEnabled()[1]:
                _fit_if_outside(self.box)      # trained or replaced weights may leave the view

    def _draw(self) -> None:
        exp = self.experiment
        problem = self._problem()
        self.note.setVisible(problem is not None)
        self.pictures.setVisible(problem is None)
        self.readout.setVisible(problem is None)
        if problem is not None:
            self.note.setText(problem)
            self._params = None
            return
        if self._drag is None:
            weights, biases, _ = exp.parameters()
            self._params = u.OneHidden.from_arrays(weights, biases, exp.net.activations)
        p = self._params
        x, g, goal_note = self._goal_values()
        shown = min(p.h, MAX_SHOWN)
        hidden = p.hidden(x)
        weighted = p.weighted_sum(x, hidden)
        out = p.output_values(x, weighted)
        self._ensure_hidden_curves(shown)
        for i in range(shown):
            self.hidden_curves[i].setData(x, hidden[i])
        self.output_curve.setData(x, out)
        linear = p.output == "linear"
        self.weighted_curve.setVisible(not linear)
        if linear == self._weighted_listed:           # the legend lists the curves drawn
            self._weighted_listed = not linear
            if linear:
                self.legend.removeItem(self.weighted_curve)
            else:
                self.legend.addItem(self.weighted_curve, self.weighted_curve.name())
            self._arrange(force=True)
        if not linear:
            self.weighted_curve.setData(x, weighted)
        self.goal_curve.setVisible(g is not None)
        if g is not None:
            self.goal_curve.setData(x, g)
        self._place_handles(p, (float(x[0]), float(x[-1])), shown)
        self._show_plane(self._mode == "wb")
        self._update_readout(p, out, g, goal_note, shown)
        self._arrange()

    def _show_plane(self, shown: bool) -> None:
        """The w–b plane beside the plot in the w, b mode only."""
        self.plane_canvas.setVisible(shown)

    def _fit_plane(self, p: u.OneHidden, shown: int) -> None:
        w, b = p.w[:shown], p.b[:shown]
        ranges = []
        for values in (w, b):
            lo, hi = float(values.min()), float(values.max())
            pad = max(0.15 * (hi - lo), 0.1 * max(abs(lo), abs(hi)), 0.5)
            ranges.append((lo - pad, hi + pad))
        self.plane.vb.setRange(xRange=ranges[0], yRange=ranges[1], padding=0)

    def _ensure_hidden_curves(self, n: int) -> None:
        while len(self.hidden_curves) < n:
            curve = pg.PlotDataItem()
            curve.setZValue(-5)
            self.plot.addItem(curve)
            self.hidden_curves.append(curve)
        for i, curve in enumerate(self.hidden_curves):
            curve.setVisible(i < n)
            curve.setPen(pg.mkPen(self._colour(i, n), width=1))

    def _colour(self, i: int, n: int) -> QColor:
        return pg.intColor(i, hues=max(n, 1), values=1, maxValue=230, sat=200)

    def _place_handles(self, p: u.OneHidden, x_range, shown: int) -> None:
        shape = (self._mode, p.h, shown)
        if shape != self._handle_shape:
            self._rebuild_handles(p, shown)
            self._handle_shape = shape
        reason = self.editable_reason()
        dragged = self._drag[0] if self._drag is not None else None
        places = handle_places(p, x_range, self._mode)
        if self._drag is None:
            main = [v for k, v in places.items() if v is not None and k[0] != "wb"]
            self.reach.setData([v[0] for v in main], [v[1] for v in main])
            if self._mode == "wb" and shown:
                self._fit_plane(p, shown)
        for key, handle in self._handles.items():
            place = places.get(key)
            handle.setVisible(place is not None)
            handle.movable = reason is None
            handle.setToolTip(reason or self._handle_tip(key))
            if place is not None and key != dragged:
                handle.setPos(*place)

    def _handle_tip(self, key) -> str:
        kind, i = key
        return {"wb": f"Hidden neuron {i + 1}: drag to change its weight w (across) and bias b (up and down)",
                "v": f"Hidden neuron {i + 1}: drag up or down to change its output weight v",
                "s": f"Hidden neuron {i + 1}: drag across to move its step point s = −b/w (w is kept)",
                "h": f"Pair {i + 1} (neurons {2 * i + 1} and {2 * i + 2}): drag up or down to change "
                     "its height h"}[kind]

    def _rebuild_handles(self, p: u.OneHidden, shown: int) -> None:
        for handle in self._handles.values():
            handle.plot.removeItem(handle)
        self._handles = {}
        pairs = (shown + 1) // 2
        if self._mode == "wb":
            keys = [(("wb", i), None, self.plane) for i in range(shown)] + [(("v", i), "y", self.plot) for i in range(shown)]
        else:
            keys = [(("s", i), "x", self.plot) for i in range(shown)] + [(("h", k), "y", self.plot) for k in range(pairs)]
        for key, lock, plot in keys:
            colour = self._text if key[0] == "h" else self._colour(key[1], shown)
            handle = Handle(key, lock, self._relay, symbol="s" if key[0] == "h" else "o",
                            pen=pg.mkPen(colour, width=2), brush=pg.mkBrush(colour),
                            hoverPen=pg.mkPen(self._text, width=2), hoverBrush=pg.mkBrush(colour.lighter(130)))
            plot.addItem(handle, ignoreBounds=True)
            handle.plot = plot
            self._handles[key] = handle

    def _update_readout(self, p, out, g, goal_note, shown) -> None:
        parts = []
        if self.box.drawing:
            parts.append(DRAW_HINT)
        deviation = u.average_deviation(out, g) if g is not None else float("nan")
        parts.append(f"Average deviation |f − g|: {deviation:.4f}" if math.isfinite(deviation)
                     else goal_note or "No goal to compare with")
        cost = self._cost_text(p)
        if cost:
            parts.append(cost)
        if shown < p.h:
            parts.append(f"The first {shown} of {p.h} hidden neurons are drawn")
        reason = self.editable_reason()
        if reason:
            parts.append(reason[:-1])
        self.readout.setText(" · ".join(parts) + ".")
        self.deviation = deviation

    def _cost_text(self, p) -> str:
        """The cost on (up to COST_SAMPLES of) the training data of the parameters shown — measured
        again after a drag, not during it."""
        exp = self.experiment
        ds = exp.dataset
        if ds is None or ds.train is None or len(ds.train) == 0 or ds.n_inputs != 1 or ds.n_outputs != 1:
            return ""
        key = (id(ds), p.w.tobytes(), p.b.tobytes(), p.v.tobytes(), p.c, exp.net.cost)
        if self._drag is not None or key == self._cost_cache[0]:
            return self._cost_cache[1]
        net = Network([p.w.reshape(1, -1), p.v.reshape(-1, 1)], [p.b, np.array([p.c])], exp.net.activations,
                      exp.net.cost, dtype="float64")
        with np.errstate(all="ignore"):
            cost, n = u.sample_cost(net, ds.train.X, ds.train.Y, COST_SAMPLES)
        where = "training data" if n >= len(ds.train) else f"first {n:,} training samples"
        text = f"Cost on the {where} ({exp.net.cost}): {cost:.5g}"
        self._cost_cache = (key, text)
        return text

    # ------------------------------------------------------------------ dragging
    def _on_drag_started(self, handle) -> None:
        if self._params is None or self.editable_reason() is not None:
            return
        self._drag = (handle.key, self._params.copy())
        self.box.disableAutoRange()
        self.plane.vb.disableAutoRange()

    def _on_drag_moved(self, handle) -> None:
        if self._drag is None or handle.key != self._drag[0]:
            return
        pos = handle.pos()
        self._params = moved_parameters(self._params, handle.key, float(pos.x()), float(pos.y()))
        self.mark_dirty()

    def _on_drag_finished(self, handle) -> None:
        if self._drag is None or handle.key != self._drag[0]:
            return
        key, before = self._drag
        after = self._params
        self._drag = None
        self._serial += 1
        for box in (self.box, self.plane.vb):
            _fit_if_outside(box)
        problem = self.experiment.edit_parameters(handle_changes(before, after, key), handle_name(key),
                                                  merge_key=("universality", key, self._serial))
        if problem:
            self.experiment.message.emit(problem)
        self.mark_dirty()

    # ------------------------------------------------------------------ options
    def _on_mode_chosen(self, index: int) -> None:
        self._mode = self.mode_combo.itemData(index)
        self.mark_dirty()

    def _on_goal_chosen(self, index: int) -> None:
        key = self.goal_combo.itemData(index)
        if key == "draw":
            self.box.drawing = True
            self.box.stroke = []
            self.experiment.message.emit(DRAW_HINT)
        else:
            self.box.drawing = False
            self._goal = key
        self.mark_dirty()

    def _on_stroke(self, points) -> None:
        self.box.drawing = False
        drawn = resample_stroke(points)
        if drawn is None:
            self.experiment.message.emit("Draw from left to right across the plot to make a goal.")
            self._set_goal(self._goal)              # the combo shows the goal still in use
        else:
            self._set_goal(GOAL_DRAWN, drawn)
        self.mark_dirty()

    def _set_goal(self, goal: str, drawn=None) -> None:
        if drawn is not None:
            self._drawn = drawn
        self._goal = goal
        index = self.goal_combo.findData(goal)
        if goal == GOAL_DRAWN and index < 0:
            self.goal_combo.insertItem(self.goal_combo.count() - 1, "Goal: the drawn curve", GOAL_DRAWN)
            index = self.goal_combo.findData(goal)
        self.goal_combo.setCurrentIndex(index)

    def settings(self) -> dict:
        values = {"mode": self._mode, "goal": self._goal}
        if self._drawn is not None:
            values["drawn_x"] = [p[0] for p in self._drawn]
            values["drawn_y"] = [p[1] for p in self._drawn]
        return values

    def apply_settings(self, values: dict) -> None:
        if not isinstance(values, dict):
            return
        mode = values.get("mode")
        if isinstance(mode, str) and mode in MODES:
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode))
        drawn = clean_drawn(values.get("drawn_x"), values.get("drawn_y"))
        goal = values.get("goal")
        if isinstance(goal, str) and (goal in u.GOALS or goal == GOAL_DATA or (goal == GOAL_DRAWN and drawn)):
            self._set_goal(goal, drawn)
        elif drawn is not None:
            self._drawn = drawn
        self.mark_dirty()

    def table(self):
        if self._params is None:
            return None
        return ["neuron", "w", "b", "step s = -b/w", "pair height h", "v"], table_rows(self._params)
