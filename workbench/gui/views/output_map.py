"""Output map: what the network computes over its input plane (2 inputs) or line (1 input).

2-D data: the output as a heatmap over the data's range (a diverging scale for one output, class
colours blended by probability for several), the data on top (training points filled, validation
and test hollow), and every hidden neuron's own map as a thumbnail — click one to see it large.
Click the plane to add a training point, Shift-click for the other class, right-click to remove the
nearest point; each edit is one undo step.  1-D data: the points, the network's curve and each
last-hidden neuron's weighted contribution wⱼ·aⱼ(x).  The maths is in ``workbench.core.maps``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QVBoxLayout, QWidget)

from workbench.core import maps
from workbench.data.drawn import with_point, without_nearest
from workbench.data.errors import DataError
from workbench.gui.palette import WATCH_COLOURS, class_colours, is_dark
from workbench.gui.views.base import EmptyNote
from workbench.gui.views.bounds import MAX_MAP_CURVES, short_list
from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.output_map_parts import (NAN_TEXT, NO_NETWORK_TEXT, DataPoints, ThumbnailPanel,  # noqa: F401
                                                  cannot_draw, curve_pool, drawing_hint,
                                                  faint_pens, fit_to_canvas, legend_entry, map_parameters,
                                                  map_resolution, neuron_name, option_boxes, refill, rgb)
from workbench.gui.views.output_map_arrows import GradientArrows
from workbench.gui.views.plotkit import PlotCanvas, PlotView, add_plot, grid_axes, style_plot, theme_plot
from workbench.gui.worker import gui_priority

EMPTY_TEXT = "Load 2-D or 1-D data to see the output map."
WASH = 0.3                # the map's colours move this far towards the background (the points stand out)
REMOVE_RADIUS_PX = 10.0
CONTRIB_ENTRY = "w·a of hidden neurons"


class OutputMapView(PlotView):
    name = "output-map"
    title = "Output map"
    area = "centre"
    tooltip = "The network's output over the input plane, each hidden neuron's map, and points you draw"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self._mode = "empty"              # "empty", "plane" (2-D) or "line" (1-D)
        self._data_dirty = True
        self._dataset = None
        self._grid: maps.Grid | None = None
        self._bounds: tuple | None = None            # the plane (or 1-D: x and y ranges) the data needs
        self._plane_key: tuple | None = None         # the base data set the plane was fitted to
        self._evaluator: maps.MapEvaluator | None = None
        self._acts: list[np.ndarray] | None = None   # the latest forward pass: a¹…aᴸ, each (m, n)
        self._names: list[str] = []
        self.enlarged: tuple[int, int] | None = None  # (layer, neuron) shown large, layers from 1
        self._pending_class: int | None = None        # a stored class choice, until the data has it
        self._build()
        self._apply_theme()
        experiment.data_changed.connect(self._on_data)
        for signal in (experiment.network_changed, experiment.architecture_changed,
                       experiment.parameters_changed, experiment.neuron_selected):
            signal.connect(self.mark_dirty)

    # ------------------------------------------------------------------ construction
    def _build(self):
        self.discretize, self.held_out, self.thumbs_box, self.contrib_box = option_boxes()
        self.arrows = GradientArrows(self.mark_dirty, lambda: self._arrange(force=True))
        self.class_label = QLabel("C&lick adds:")
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("The class a click adds; Shift-click adds the next class.")
        self.class_label.setBuddy(self.class_combo)
        self.target_spin = QDoubleSpinBox()
        self.target_spin.setRange(-1e6, 1e6)
        self.target_spin.setDecimals(3)
        self.target_spin.setSingleStep(0.1)
        self.target_spin.setPrefix("Target ")
        self.target_spin.setValue(1.0)
        self.target_spin.setToolTip("The target of a point added by a click (Shift-click: its negative).")
        self.back = QPushButton("Back to output", toolTip="Show the network's output again instead of one neuron's map.")
        self.back.clicked.connect(lambda: self.show_neuron(None))
        self.hint = QLabel(wordWrap=True)
        for box in (self.discretize, self.held_out, self.thumbs_box, self.contrib_box):
            box.toggled.connect(self._on_data)
        self.class_combo.currentIndexChanged.connect(self._update_hint)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the view
        bar, draw_bar = FlowLayout(), QHBoxLayout()          # options; drawing points
        for w in (self.discretize, self.held_out, self.thumbs_box, self.contrib_box, self.arrows.box):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.export_button())
        for w in (self.back, self.class_label, self.class_combo, self.target_spin):
            draw_bar.addWidget(w)
        draw_bar.addWidget(self.hint, 1)

        self.canvas = PlotCanvas()
        self.canvas.setMinimumSize(240, 220)
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot, self.plot_title, self.legend = add_plot(self.canvas, 0, grid_axes())
        style_plot(self.plot, bottom=None)
        self.plot.setClipToView(False)
        self.plot.hideButtons()
        vb = self.plot.vb
        vb.setMouseEnabled(False, False)
        vb.setMenuEnabled(False)           # the right button removes points
        vb.disableAutoRange()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-5)
        self.plot.addItem(self.image)
        self.contrib_curves: list[pg.PlotDataItem] = []
        self.net_curves: list[pg.PlotDataItem] = []
        self.points = DataPoints(self.plot, self.legend)
        self.train_scatter, self.held_scatter = self.points.train, self.points.held
        self.canvas.scene().sigMouseClicked.connect(self._on_click)
        self.canvas.installEventFilter(self)           # the header follows the canvas' own width
        self.contrib_sample = pg.PlotDataItem()        # the legend's entry for the faint curves
        self.contrib_sample.visibleChanged.connect(self._on_contrib_entry)
        vb.sigRangeChanged.connect(self.mark_dirty)    # a resize widens the plane: a new grid

        self.thumbs = ThumbnailPanel()
        self.thumbs.clicked.connect(self._on_thumb_click)

        self.banner = EmptyNote("", self)
        self.banner.setMargin(4)
        self.note = EmptyNote(EMPTY_TEXT, self)
        self.body = QWidget()
        row = QHBoxLayout(self.body)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.canvas, 3)
        row.addWidget(self.thumbs, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(bar)
        column.addLayout(draw_bar)
        column.addWidget(self.banner)
        column.addWidget(self.body, 1)
        column.addWidget(self.note, 1)

    def _headers(self):
        return ((self.plot_title, self.legend, self._titles),)

    _titles = ("",)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if obj is self.canvas and event.type() == QEvent.Type.Resize:
            self._arrange()            # showing the neuron maps narrows the canvas, not the view
        return super().eventFilter(obj, event)

    def _arrange(self, force: bool = False):
        super()._arrange(force)           # the header for the canvas' width, then the plot as wide
        fit_to_canvas(self.canvas, self.legend)

    def _apply_theme(self):
        pal = self.palette()
        self._dark = is_dark(pal)
        bg, fg = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        self._bg, self._fg = rgb(bg), fg
        self.canvas.setBackground(bg)
        self.thumbs.restyle(fg, bg)
        theme_plot(self.plot, pal)
        low, high = class_colours(self._dark, 2)
        self.neuron_lut = maps.diverging_lut(rgb(low), self._bg, rgb(high))
        self.map_lut = maps.wash(self.neuron_lut, self._bg, WASH)
        faint = QColor(WATCH_COLOURS[0])
        faint.setAlpha(160)
        self.contrib_sample.setPen(pg.mkPen(faint, width=1.5))
        self._data_dirty = True
        self.mark_dirty()
        self._arrange(force=True)

    # ------------------------------------------------------------------ slots (they only mark dirty)
    def _on_data(self, *_):
        self._data_dirty = True           # new data, or options the points and legend follow
        self.mark_dirty()

    def _on_contrib_entry(self):
        if not self.contrib_sample.isVisible():      # a click on the legend entry hides the curves
            self.contrib_box.setChecked(False)

    def show_neuron(self, neuron: tuple[int, int] | None) -> None:
        """Show hidden neuron (layer, index) — layers counted from 1 — large in the main map, or
        the output again (None)."""
        self.enlarged = None if neuron is None else (int(neuron[0]), int(neuron[1]))
        self.mark_dirty()

    # ------------------------------------------------------------------ data: plane, points, controls
    def _rebuild_data(self, ds):
        self._dataset = ds
        self._colours = class_colours(self._dark, max(2, ds.n_classes or 2))
        self._map_classes = maps.wash(np.array([rgb(c) for c in self._colours], dtype=np.uint8), self._bg, WASH)
        self._mode = "plane" if ds.n_inputs == 2 else "line"
        X = np.concatenate([s.X for s in ds.splits.values()])
        Y = np.concatenate([s.Y[:, :1] for s in ds.splits.values()])
        xy = X if self._mode == "plane" else np.concatenate([X, Y], axis=1)
        p = ds.params
        key = maps.base_key(ds.spec, ds.name, ds.n_inputs, ds.n_outputs, len(xy),
                            int(p.get("points_added", 0) or 0), int(p.get("points_removed", 0) or 0))
        if key != self._plane_key:    # fitted once per data set: drawing and undoing never move it
            self._plane_key = key
            vb = self.plot.vb
            if self._mode == "plane":
                self._bounds = maps.plane_bounds(X)
                ratio = (self._bounds[1] - self._bounds[0]) / (self._bounds[3] - self._bounds[2])
                vb.setAspectLocked(1 / 3 < ratio < 3, 1.0)
            else:
                self._bounds = maps.line_bounds(X) + maps.line_bounds(Y, 0.15)
                vb.setAspectLocked(False)
                self._line = maps.line_points(*self._bounds[:2])
                self._evaluator = maps.MapEvaluator(self._line)
            self._grid = None
            vb.setRange(xRange=self._bounds[:2], yRange=self._bounds[2:], padding=0)
        line = self._mode == "line"
        for item in [self.image] + self.net_curves + self.contrib_curves:
            item.hide()                   # drawn again by the next frame of this mode
        self.plot.showGrid(x=line, y=line, alpha=0.15)   # under a map the grid is hidden: not painted
        self.plot.setLabel("bottom", ds.feature_names[0])
        self.plot.setLabel("left", ds.feature_names[1] if self._mode == "plane" else ds.target_names[0])
        self.points.show(ds, self._mode == "line", self._colours, self.neuron_lut, self._fg,
                         self.held_out.isChecked())
        self._arrange(force=True)
        self._set_controls(ds)

    def _fit_grid(self) -> None:
        """The grid over the whole visible plane: the data's range with a margin, widened along one
        axis to the plot's shape when the axes keep equal scales."""
        (x0, x1), (y0, y1) = self.plot.vb.viewRange()
        bounds = (x0, x1, y0, y1)
        tol = 1e-6 * max(abs(b) for b in bounds + self._bounds) + 1e-12
        resolution = map_resolution(self.experiment.sizes())
        if (self._grid is None or self._grid.resolution != resolution
                or max(abs(a - b) for a, b in zip(bounds, self._grid.bounds)) > tol):
            self._grid = maps.grid_points(bounds, resolution)
            self._evaluator = maps.MapEvaluator(self._grid.points)
            self.image.setRect(QRectF(*self._grid.pixel_rect()))

    def _set_controls(self, ds):
        """The drawing row and options for ``ds`` (None: data the map cannot show): the class
        chooser refilled with its classes, hidden where drawing is impossible (the hint says why)."""
        shown = ds is not None and self._mode != "empty"
        drawable = shown and cannot_draw(ds) is None
        classification, plane = shown and ds.is_classification, self._mode == "plane"
        names = (ds.class_names or []) if classification else []
        self._pending_class = refill(self.class_combo, names, self._pending_class)
        self.class_label.setVisible(drawable and classification)
        self.class_combo.setVisible(drawable and classification)
        self.target_spin.setVisible(drawable and plane and not classification)
        self.thumbs_box.setVisible(plane)
        self.arrows.allow(plane)
        self.contrib_box.setVisible(self._mode == "line")
        self.discretize.setVisible(plane)
        self.held_out.setVisible(shown)
        self.hint.setVisible(shown)
        if not shown:
            self.back.hide()
        self._update_hint()

    def drawable(self) -> str | None:
        """Why points cannot be drawn on the current data (a sentence), or None."""
        return cannot_draw(self.experiment.dataset)       # the newest (an edit may not be drawn yet)

    def _update_hint(self, *_):
        text = drawing_hint(self.experiment.dataset, max(0, self.class_combo.currentIndex()))
        self.hint.setText(text)
        self.hint.setToolTip(text)

    # ------------------------------------------------------------------ drawing points by hand
    def _on_click(self, ev):
        if ev.double() or self._mode == "empty":
            return
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = vb.mapSceneToView(ev.scenePos())
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.add_point(p.x(), p.y(), shift)
        elif ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            self.remove_point(p.x(), p.y())

    def add_point(self, x: float, y: float, shift: bool = False) -> bool:
        """Add a training point at the plot position (x, y): of the chosen class (Shift: the next
        one), or with the spin box's target (2-D regression) or target y (1-D).  One undo step."""
        ds, why = self.experiment.dataset, self.drawable()
        if why:
            self.experiment.message.emit(why)
            return False
        xy = [x, y] if ds.n_inputs == 2 else [x]
        try:
            if ds.is_classification:
                k = max(0, self.class_combo.currentIndex())
                new = with_point(ds, xy, label=(k + 1) % ds.n_classes if shift else k)
            else:
                target = y if ds.n_inputs == 1 else self.target_spin.value() * (-1 if shift else 1)
                new = with_point(ds, xy, target=[target])
        except DataError as exc:
            self.experiment.message.emit(str(exc))
            return False
        self._edit(new, "Add point")
        return True

    def remove_point(self, x: float, y: float) -> bool:
        """Remove the point nearest to the plot position (x, y) within a few pixels (one undo step)."""
        ds, why = self.experiment.dataset, self.drawable()
        if why:
            self.experiment.message.emit(why)
            return False
        scale = [abs(v) or 1.0 for v in self.plot.vb.viewPixelSize()]
        splits = ("train", "validation", "test") if self.held_out.isChecked() else ("train",)
        new = without_nearest(ds, [x, y], REMOVE_RADIUS_PX, scale, splits, with_target=ds.n_inputs == 1)
        if new is None:
            self.experiment.message.emit("No point near enough to remove (the last training point stays).")
            return False
        self._edit(new, "Remove point")
        return True

    def _edit(self, dataset, text: str) -> None:
        self.experiment.edit_dataset(dataset, text)
        if self.experiment.is_training():
            self.experiment.message.emit(f"{text}: the run goes on with the points it started with; "
                                         "the next run trains on the edited data.")

    def _on_thumb_click(self, layer: int, j: int):
        self.show_neuron(None if self.enlarged == (layer, j) else (layer, j))
        self.experiment.select_neuron(layer, j)

    # ------------------------------------------------------------------ draw
    def _show(self, note: str | None, banner: str | None = None):
        self.note.setVisible(note is not None)
        self.body.setVisible(note is None)
        if note is not None:
            self.note.setText(note)
        self.banner.setVisible(note is None and banner is not None)
        self.banner.setText(banner or "")
        if note is not None or banner is not None:
            self.back.hide()
            self.arrows.hide()

    def draw(self):
        with gui_priority():
            ds = self.experiment.dataset
            if ds is None or ds.n_inputs not in (1, 2):
                self._mode, self._dataset, self._acts = "empty", ds, None
                self._show(EMPTY_TEXT if ds is None else
                           f"The output map needs data with 1 or 2 inputs; {ds.name} has {ds.n_inputs}.")
                self._plane_key = None
                self._set_controls(None)          # no chooser of the previous data's classes
                self._data_dirty = True
                return
            if self._data_dirty or ds is not self._dataset:
                self._data_dirty = False
                self._rebuild_data(ds)
            found = map_parameters(self.experiment, ds)
            if isinstance(found, str):
                self._acts = None
                self._show(None, found)
                self.image.hide()
                self.thumbs.hide()
                for curve in self.net_curves + self.contrib_curves:
                    curve.hide()
                self._set_title("Data" + (" over the input plane" if self._mode == "plane" else ""))
                return
            self._show(None)
            weights, biases, self._names = found[0], found[1], list(found[2])
            if self._mode == "plane":
                self._fit_grid()
            self._acts = self._evaluator.run(weights, biases, self._names)
            if self._mode == "plane":
                self._draw_plane(ds)
                self.arrows.draw(self.plot, self.legend, weights, biases, self._names, self._grid.bounds,
                                 ds.is_classification, self._fg, self.enlarged is None)
            else:
                self._draw_line(ds, weights)

    def _set_title(self, title: str, short: str | None = None):
        titles = ((title, short) if short else (title,)) + ("",)    # narrow: the legend takes the row
        if titles != self._titles:
            self._titles = titles
            self._arrange(force=True)

    def _draw_plane(self, ds):
        acts, r = self._acts, self._grid.resolution
        out, out_name = acts[-1], self._names[-1]
        hidden = acts[:-1]
        n_hidden = len(hidden)
        if self.enlarged is not None and not (1 <= self.enlarged[0] <= n_hidden
                                              and self.enlarged[1] < hidden[self.enlarged[0] - 1].shape[1]):
            self.enlarged = None
        self.back.setVisible(self.enlarged is not None)
        if self.enlarged is not None:
            layer, j = self.enlarged
            values = hidden[layer - 1][:, j:j + 1]
            lo, hi = maps.activation_scale(self._names[layer - 1], values)
            rgba = maps.lut_colours(maps.scale_indices(values[:, 0], lo[0], hi[0]), self.neuron_lut)
            self._set_title(f"{neuron_name(layer, j, self._names)}: its activation over the input plane "
                            f"({lo[0]:.3g} … {hi[0]:.3g})", neuron_name(layer, j, self._names))
        else:
            rgba, scale = maps.output_colours(out, out_name, ds.train.Y[:, 0], ds.is_classification,
                                              self.discretize.isChecked(), self.map_lut, self._map_classes)
            if scale is not None:
                what = self.output_names(ds, out.shape[1])[0]
                extra = f" (1 of {out.shape[1]} outputs)" if out.shape[1] > 1 else ""
                self._set_title(f"Network output {what}{extra} over the input plane: "
                                f"{scale[0]:.3g} … {scale[1]:.3g} … {scale[2]:.3g}", f"Output {what}")
            else:
                mode = "most likely class" if self.discretize.isChecked() else "class colours mixed by probability"
                self._set_title(f"Network output over the input plane ({mode})", "Network output")
        self.image.setImage(rgba.reshape(r, r, 4), autoLevels=False)
        self.image.show()
        thumbnails = self.thumbs_box.isChecked() and n_hidden > 0
        self.thumbs.setVisible(thumbnails)
        if thumbnails:
            self.thumbs.show_maps(hidden, self._names, self.neuron_lut, r)
            sel = self.experiment.selected_neuron
            self.thumbs.mark(self.enlarged or (sel if sel is not None and sel[0] >= 1 else None))

    def _draw_line(self, ds, weights):
        acts, x = self._acts, self._line[:, 0]
        out = acts[-1]
        self.back.hide()
        self.image.hide()
        self.thumbs.hide()
        k = out.shape[1]
        drawn = min(k, MAX_MAP_CURVES)      # the first outputs
        pens = ([pg.mkPen(self._fg, width=2.5)] if k == 1 else
                [pg.mkPen(c, width=2.5) for c in class_colours(self._dark, drawn)])
        for curve, j in zip(curve_pool(self.plot, self.net_curves, drawn, pens), range(drawn)):
            curve.setZValue(15)              # above the points
            curve.setData(x, out[:, j])
        shown = self.contrib_box.isChecked() and len(acts) > 1 and k == 1
        self.contrib_box.setEnabled(len(acts) > 1 and k == 1)
        neurons = min(acts[-2].shape[1], MAX_MAP_CURVES) if len(acts) > 1 else 0
        contrib = (maps.contributions(acts[-2][:, :neurons], np.asarray(weights[-1])[:neurons, 0]) if shown
                   else np.empty((len(x), 0)))
        curve_pool(self.plot, self.contrib_curves, contrib.shape[1], faint_pens(contrib.shape[1]))
        for j, curve in enumerate(self.contrib_curves):
            curve.setData(x, contrib[:, j])
        self._contrib = contrib
        if legend_entry(self.legend, self.contrib_sample, CONTRIB_ENTRY, shown):
            self._arrange(force=True)
        what = short_list(self.output_names(ds, k))
        first = f" (the first {drawn} drawn)" if drawn < k else ""
        each = ("each neuron's" if neurons == acts[-2].shape[1] else f"the first {neurons} neurons'") if shown else ""
        self._set_title(f"Network output {what}{first} over {ds.feature_names[0]}" +
                        (f" with {each} contribution wⱼ·aⱼ (faint)" if shown else ""), f"Output {what}")

    # ------------------------------------------------------------------ numbers and settings
    def output_names(self, ds, k: int) -> list[str]:
        return maps.output_names(k, ds.is_classification, ds.class_names, ds.target_names)

    def table(self):
        ds = self._dataset
        if self._acts is None or ds is None or self._mode == "empty":
            return None
        out = self._acts[-1]
        names = self.output_names(ds, out.shape[1])
        if self._mode == "plane":
            header = list(ds.feature_names) + names
            columns = [self._grid.points[:, 0], self._grid.points[:, 1]] + [out[:, j] for j in range(out.shape[1])]
            if self.enlarged is not None:
                layer, j = self.enlarged
                header.append(neuron_name(layer, j, self._names))
                columns.append(self._acts[layer - 1][:, j])
        else:
            header = [ds.feature_names[0]] + names
            columns = [self._line[:, 0]] + [out[:, j] for j in range(out.shape[1])]
            n_contrib = self._contrib.shape[1] if self.contrib_box.isChecked() else 0
            header += [f"w·a {neuron_name(len(self._acts) - 1, j, self._names)}" for j in range(n_contrib)]
            columns += [self._contrib[:, j] for j in range(n_contrib)]
        return header, np.stack(columns, axis=1).astype(np.float64).tolist()

    def settings(self) -> dict:
        return {"discretize": self.discretize.isChecked(), "show_held_out": self.held_out.isChecked(),
                "thumbnails": self.thumbs_box.isChecked(), "contributions": self.contrib_box.isChecked(),
                "class": max(0, self.class_combo.currentIndex()), "target": self.target_spin.value(),
                "gradient_arrows": self.arrows.box.isChecked()}

    def apply_settings(self, values: dict) -> None:
        if not isinstance(values, dict):
            return
        for key, box in (("discretize", self.discretize), ("show_held_out", self.held_out),
                         ("thumbnails", self.thumbs_box), ("contributions", self.contrib_box),
                         ("gradient_arrows", self.arrows.box)):
            if isinstance(values.get(key), bool):
                box.setChecked(values[key])
        k = values.get("class")
        if isinstance(k, int) and not isinstance(k, bool) and 0 <= k < 1000:
            if k < self.class_combo.count():
                self.class_combo.setCurrentIndex(k)
            else:
                self._pending_class = k
        t = values.get("target")
        if isinstance(t, (int, float)) and not isinstance(t, bool) and np.isfinite(t):
            self.target_spin.setValue(float(t))

    def export_widget(self):
        return self.body
