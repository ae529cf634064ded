"""First layer: the incoming weights of every first-layer neuron drawn as an image of the input,
live while training (what each neuron looks for); for data of a few inputs that are not an image,
the weight matrix W[0] (a row per named input, a column per neuron).  Click a tile to select that neuron everywhere;
hover for the weight under the cursor.  The maths (colours, grid, hit test) is in
``workbench.core.layer_maths``; this file only draws."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QLinearGradient, QPainter, QPalette, QPen
from PySide6.QtWidgets import (QComboBox, QLabel, QSizePolicy, QSpinBox, QToolButton,
                               QVBoxLayout, QWidget)

from workbench.core import layer_maths as lm
from workbench.core.names import layer_name
from workbench.gui.palette import is_dark
from workbench.gui.plots.diagram import NEGATIVE_DARK, NEGATIVE_LIGHT, POSITIVE_DARK, POSITIVE_LIGHT
from workbench.gui.views.base import NO_NETWORK_YET, EmptyNote, View
from workbench.gui.views.flow import FlowLayout
from workbench.gui.worker import gui_priority, gui_priority_paint

NO_NETWORK = f"{NO_NETWORK_YET} and see its first layer's weights."
NO_DATA = "Load image data (such as MNIST) to see the first layer's weights as images."
HINT = "Click a neuron's tile (or column) to select it in the diagram; hover for the weight under the cursor."
SCALES = ("shared", "own")
MAX_COLUMNS = 40
LEGEND_H = 26


def not_image_text(n_inputs: int) -> str:
    return (f"The first-layer view shows the weights of image inputs (28×28); the current data has "
            f"{n_inputs} input{'s' if n_inputs != 1 else ''}.")


@gui_priority_paint
@gui_priority_paint
class TileCanvas(QWidget):
    """A grid of weight tiles painted from one RGBA image, a colour bar above them, the selected
    tile outlined.  Emits ``tile_clicked(k)`` and ``tile_hovered(k, row, col)`` (k = -1: none)
    with k the index of the tile on the page."""

    tile_clicked = Signal(int)
    tile_hovered = Signal(int, int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.tiles: lm.Tiles | None = None
        self.grid: lm.Grid | None = None
        self.image_shape = (1, 1)
        self.captions: list[str] = []
        self.selected = -1                  # page index of the outlined tile, -1: none
        self.hovered = -1
        self.legend = ("", "", "")          # left number, right number, text after the bar
        self.lut = None
        self._image: QImage | None = None
        self.matrix: lm.MatrixGrid | None = None    # set: one weight matrix (inputs × neurons), not tiles
        self.row_labels: list[str] = []
        self.label_w = 0

    def grid_area(self) -> tuple[int, int]:
        return self.width() - 8, self.height() - LEGEND_H - 6

    def set_tiles(self, tiles, grid, image_shape, captions, legend, lut) -> None:
        self.matrix = None
        self.tiles, self.grid, self.image_shape = tiles, grid, image_shape
        self.captions, self.legend, self.lut = captions, legend, lut
        h, w = image_shape
        data = tiles.rgba
        self._image = QImage(data.data, w, data.shape[0], 4 * w, QImage.Format.Format_RGBA8888)
        self.update()

    def set_matrix(self, tiles, grid, row_labels, captions, legend, lut, label_w) -> None:
        """One picture of W[0]: a row per input (labelled), a column per neuron of the page."""
        self.tiles, self.matrix, self.row_labels, self.label_w = tiles, grid, row_labels, label_w
        self.captions, self.legend, self.lut = captions, legend, lut
        rows, k = tiles.rgba.shape[:2]
        self.image_shape = (rows, k)
        self._image = QImage(tiles.rgba.data, k, rows, 4 * k, QImage.Format.Format_RGBA8888)
        self.update()

    def set_selected(self, k: int) -> None:
        if k != self.selected:
            self.selected = k
            self.update()

    def _hit(self, pos):
        if self.tiles is not None and self.matrix is not None:
            hit = self.matrix.hit(pos.x() - 4, pos.y() - LEGEND_H - 2)
            return None if hit is None or hit[0] >= len(self.tiles.neurons) else (hit[0], hit[1], 0)
        if self.tiles is None or self.grid is None:
            return None
        return self.grid.hit(pos.x() - 4, pos.y() - LEGEND_H - 2, self.image_shape, len(self.tiles.neurons))

    def mouseMoveEvent(self, event):  # noqa: N802 - Qt override
        hit = self._hit(event.position())
        k = hit[0] if hit else -1
        if k != self.hovered:
            self.hovered = k
            self.update()
        self.tile_hovered.emit(*(hit if hit else (-1, -1, -1)))

    def leaveEvent(self, event):  # noqa: N802 - Qt override
        super().leaveEvent(event)
        self.hovered = -1
        self.update()
        self.tile_hovered.emit(-1, -1, -1)

    def mousePressEvent(self, event):  # noqa: N802 - Qt override
        hit = self._hit(event.position())
        if hit and event.button() == Qt.MouseButton.LeftButton:
            self.tile_clicked.emit(hit[0])
            event.accept()
        else:
            super().mousePressEvent(event)

    def tile_rect(self, k: int) -> QRect:
        """The k-th tile of the page (or the k-th neuron's column of the matrix), in widget pixels."""
        x, y, w, h = self.matrix.column(k) if self.matrix is not None else self.grid.cell(k)
        return QRect(x + 4, y + LEGEND_H + 2, w, h)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        pal = self.palette()
        painter = QPainter(self)
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        if self.tiles is None or self._image is None:
            return
        text = pal.color(QPalette.ColorRole.Text)
        self._paint_legend(painter, text)
        h, w = self.image_shape
        metrics = QFontMetrics(painter.font())
        clip = event.rect()
        if self.matrix is not None:
            self._paint_matrix(painter, text, metrics)
        for k in range(0 if self.matrix is not None else len(self.tiles.neurons)):
            r = self.tile_rect(k)
            cell = QRect(r.x(), r.y(), r.width(), r.height() + self.grid.caption)
            if not cell.intersects(clip):
                continue
            painter.drawImage(r, self._image, QRect(0, k * h, w, h))
            caption = metrics.elidedText(self.captions[k], Qt.TextElideMode.ElideRight, r.width())
            painter.setPen(text)
            painter.drawText(QRect(r.x(), r.bottom() + 1, r.width(), self.grid.caption),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, caption)
        faint = QColor(text)
        faint.setAlpha(90)
        if 0 <= self.hovered < len(self.tiles.neurons) and self.hovered != self.selected:
            painter.setPen(QPen(faint, 1))
            painter.drawRect(self.tile_rect(self.hovered).adjusted(-1, -1, 0, 0))
        if 0 <= self.selected < len(self.tiles.neurons):
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 3))
            painter.drawRect(self.tile_rect(self.selected).adjusted(-3, -3, 2, 2))

    def _paint_matrix(self, painter, text, metrics) -> None:
        g, n = self.matrix, len(self.tiles.neurons)
        left, top = self.tile_rect(0).topLeft().toTuple()
        painter.drawImage(QRect(left, top, n * g.cell_w, g.rows * g.cell_h), self._image)
        painter.setPen(text)
        if g.cell_h >= metrics.height() - 2:
            for i, label in enumerate(self.row_labels):
                painter.drawText(QRect(4, top + i * g.cell_h, self.label_w - 6, g.cell_h),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(label, Qt.TextElideMode.ElideLeft, self.label_w - 6))
        step = max(1, -(-(metrics.horizontalAdvance("#999") + 4) // g.cell_w))
        bottom = top + g.rows * g.cell_h + 2
        for k in range(0, n, step):
            painter.drawText(QRect(left + k * g.cell_w - 20, bottom, g.cell_w + 40, metrics.height()),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.captions[k])

    def _paint_legend(self, painter, text) -> None:
        """A colour bar from −scale to +scale with its numbers and what the scale is."""
        metrics = QFontMetrics(painter.font())
        left, right, note = self.legend
        y, bar_w, bar_h = 6, 140, 12
        x = 4
        painter.setPen(text)
        painter.drawText(QRect(x, 0, metrics.horizontalAdvance(left) + 2, LEGEND_H),
                         Qt.AlignmentFlag.AlignVCenter, left)
        x += metrics.horizontalAdvance(left) + 6
        gradient = QLinearGradient(x, 0, x + bar_w, 0)
        lut = self.lut
        for stop, index in ((0.0, 0), (0.5, lm.MID), (1.0, lm.LEVELS - 1)):
            r, g, b, a = (int(v) for v in lut[index])
            gradient.setColorAt(stop, QColor(r, g, b, a))
        painter.fillRect(QRectF(x, y, bar_w, bar_h), gradient)
        faint = QColor(text)
        faint.setAlpha(120)
        painter.setPen(faint)
        painter.drawRect(QRectF(x, y, bar_w, bar_h))
        painter.drawLine(QPoint(x + bar_w // 2, y - 2), QPoint(x + bar_w // 2, y + bar_h + 1))
        painter.setPen(text)
        x += bar_w + 6
        line = metrics.elidedText(f"{right}   {note}", Qt.TextElideMode.ElideRight, self.width() - x - 4)
        painter.drawText(QRect(x, 0, self.width() - x, LEGEND_H), Qt.AlignmentFlag.AlignVCenter, line)


class FirstLayerView(View):
    name = "first-layer"
    title = "First layer"
    area = "centre"
    tooltip = "The incoming weights of every first-layer neuron as an image of the input, live"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self.scale_mode = "shared"
        self.columns = 0
        self.first = 0                  # a neuron on the page shown
        self._per_page = 1
        self._page = (0, 0)
        self._weights = None            # W[0] (n_in, n_out) and b[0] of the picture shown
        self._biases = None
        self._hover = (-1, -1, -1)
        self._status = ""

        self.scale_box = QComboBox()
        self.scale_box.addItem("One scale for all tiles", "shared")
        self.scale_box.addItem("Each tile its own scale", "own")
        self.scale_box.setToolTip("Colour every tile on the largest |w| of the layer, or each tile on its own largest |w|")
        self.columns_box = QSpinBox()
        self.columns_box.setRange(0, MAX_COLUMNS)
        self.columns_box.setSpecialValueText("auto")
        self.columns_box.setPrefix("")
        self.columns_box.setToolTip("Tiles per row (auto: the largest tiles that fit)")
        self.previous_button = QToolButton()
        self.previous_button.setText("◀")
        self.previous_button.setToolTip("Previous page of neurons")
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next page of neurons")
        self.page_label = QLabel("")
        controls = FlowLayout()
        controls.addWidget(QLabel("Colours:"))
        controls.addWidget(self.scale_box)
        controls.addWidget(QLabel("Tiles per row:"))
        controls.addWidget(self.columns_box)
        controls.addSpacing(12)
        controls.addWidget(self.previous_button)
        controls.addWidget(self.page_label)
        controls.addWidget(self.next_button)
        controls.addStretch(1)
        controls.addWidget(self.export_button())

        self.canvas = TileCanvas()
        self.readout = QLabel(HINT)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the view
        self.note = EmptyNote(NO_NETWORK)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(controls)
        column.addWidget(self.note, 1)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.readout)

        self.scale_box.currentIndexChanged.connect(self._on_controls)
        self.columns_box.valueChanged.connect(self._on_controls)
        self.previous_button.clicked.connect(lambda: self._turn(-1))
        self.next_button.clicked.connect(lambda: self._turn(1))
        self.canvas.tile_clicked.connect(self._on_tile_clicked)
        self.canvas.tile_hovered.connect(self._on_tile_hovered)
        for signal in (experiment.data_changed, experiment.network_changed, experiment.parameters_changed,
                       experiment.architecture_changed):
            signal.connect(self.mark_dirty)
        experiment.neuron_selected.connect(self._on_neuron_selected)
        self._apply_theme()

    # ------------------------------------------------------------------ slots (mark dirty only)
    def _on_controls(self, *_args) -> None:
        self.scale_mode = self.scale_box.currentData() or "shared"
        self.columns = self.columns_box.value()
        self.mark_dirty()

    def _turn(self, step: int) -> None:
        start, _ = self._page
        self.first = max(0, start + step * self._per_page)
        self.mark_dirty()

    def _on_neuron_selected(self, layer: int, index: int) -> None:
        if layer == 1:
            self.first = index          # its page comes forward
        self.mark_dirty()

    def _on_tile_clicked(self, k: int) -> None:
        tiles = self.canvas.tiles
        if tiles is not None and 0 <= k < len(tiles.neurons):
            self.experiment.select_neuron(1, int(tiles.neurons[k]))

    def _on_tile_hovered(self, k: int, row: int, col: int) -> None:
        self._hover = (k, row, col)
        self._show_readout()

    def _apply_theme(self) -> None:
        pal = self.palette()
        dark = is_dark(pal)
        base = pal.color(QPalette.ColorRole.Base)
        positive, negative = (POSITIVE_DARK, NEGATIVE_DARK) if dark else (POSITIVE_LIGHT, NEGATIVE_LIGHT)
        self.lut = lm.diverging_lut(negative.getRgb()[:3], base.getRgb()[:3], positive.getRgb()[:3],
                                    (128, 128, 128))
        self.mark_dirty()

    def changeEvent(self, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)

    def resizeEvent(self, event):  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.mark_dirty()

    # ------------------------------------------------------------------ drawing
    def _show(self, note: str | None) -> None:
        self.note.setVisible(note is not None)
        if note is not None:
            self.note.setText(note)
            self._weights = self._biases = None
        for widget in (self.canvas, self.readout, self.page_label, self.previous_button, self.next_button):
            widget.setVisible(note is None)

    def _problem(self, params) -> str | None:
        exp = self.experiment
        if params is None:
            return NO_NETWORK
        if exp.dataset is None:
            return NO_DATA
        n_inputs = params[0][0].shape[0]
        if n_inputs != exp.dataset.n_inputs or (lm.image_shape_of(exp.dataset.input_shape, n_inputs) is None
                                                and n_inputs > lm.MATRIX_MAX_INPUTS):
            return not_image_text(exp.dataset.n_inputs)
        return None

    def draw(self) -> None:
        with gui_priority():
            params = self.experiment.parameters()
            problem = self._problem(params)
            self._show(problem)
            if problem is None:
                if lm.image_shape_of(self.experiment.dataset.input_shape, params[0][0].shape[0]):
                    self._draw_tiles(params)
                else:
                    self._draw_matrix(params)

    def _draw_tiles(self, params) -> None:
        exp = self.experiment
        weights, biases = params[0][0], params[1][0]
        shape = lm.image_shape_of(exp.dataset.input_shape, weights.shape[0])
        n = weights.shape[1]
        grid = lm.tile_grid(n, *self.canvas.grid_area(), shape, caption=self.canvas.fontMetrics().height() + 2,
                            columns=self.columns)
        # With room for every tile, the whole layer is one page (paging would only repeat it).
        start, stop = lm.page_bounds(self.first, grid.per_page, n)
        self._per_page, self._page = grid.per_page, (start, stop)
        grid = lm.tile_grid(stop - start, *self.canvas.grid_area(), shape,
                            caption=grid.caption, columns=self.columns)
        shared = lm.max_abs(weights) if self.scale_mode == "shared" else None
        tiles = lm.weight_tiles(weights, np.arange(start, stop), shape, self.lut, shared)
        self._weights, self._biases = weights, biases
        metrics = self.canvas.fontMetrics()
        captions = [f"#{j + 1}  b {_num(biases[j])}" for j in range(start, stop)]
        if max(metrics.horizontalAdvance(c) for c in captions) > grid.tile_w:     # biases for all or none
            captions = [f"#{j + 1}" for j in range(start, stop)]
        scale = f"{_num(shared)}" if shared is not None else "max |w|"
        note = (f"{layer_name(1, len(exp.sizes()))}: each neuron's {shape[0]}×{shape[1]} incoming weights"
                + ("" if shared is not None else " · each tile on its own scale"))
        self.columns_box.setEnabled(True)
        self.canvas.set_tiles(tiles, grid, shape, captions, (f"−{scale}", f"+{scale}", note), self.lut)
        self._finish_page(tiles, start, stop, n)

    def _draw_matrix(self, params) -> None:
        """Non-image inputs: W[0] as one heatmap, a row per input (named), a column per neuron."""
        exp = self.experiment
        weights, biases = params[0][0], params[1][0]
        names = list(exp.dataset.feature_names)
        metrics = self.canvas.fontMetrics()
        label_w = min(160, max(metrics.horizontalAdvance(name) for name in names) + 12)
        width, height = self.canvas.grid_area()
        n = weights.shape[1]
        grid = lm.matrix_grid(len(names), n, width, height - metrics.height() - 4, left=label_w)
        start, stop = lm.page_bounds(self.first, grid.per_page, n)
        self._per_page, self._page = grid.per_page, (start, stop)
        grid = lm.matrix_grid(len(names), stop - start, width, height - metrics.height() - 4, left=label_w)
        shared = lm.max_abs(weights) if self.scale_mode == "shared" else None
        tiles = lm.weight_matrix(weights, np.arange(start, stop), self.lut, shared)
        self._weights, self._biases = weights, biases
        scale = f"{_num(shared)}" if shared is not None else "max |w|"
        note = (f"{layer_name(1, len(exp.sizes()))} · a row per input, a column per neuron · " +
                ("one scale for all neurons" if shared is not None else "each column on its own max |w|"))
        self.columns_box.setEnabled(False)             # a matrix has one column per neuron
        self.canvas.set_matrix(tiles, grid, names, [f"#{j + 1}" for j in range(start, stop)],
                               (f"−{scale}", f"+{scale}", note), self.lut, label_w)
        self._finish_page(tiles, start, stop, n)

    def _finish_page(self, tiles, start: int, stop: int, n: int) -> None:
        selected = self.experiment.selected_neuron
        self.canvas.set_selected(selected[1] - start if selected and selected[0] == 1
                                 and start <= selected[1] < stop else -1)
        self.page_label.setText(f"neurons {start + 1}–{stop} of {n}")
        for widget in (self.page_label, self.previous_button, self.next_button):
            widget.setVisible(stop - start < n)
        self.previous_button.setEnabled(start > 0)
        self.next_button.setEnabled(stop < n)
        self._status = ("Some weights are NaN or infinite (the run diverged): they are drawn grey."
                        if tiles.non_finite else "")
        self._show_readout()

    def _show_readout(self) -> None:
        k, row, col = self._hover
        tiles = self.canvas.tiles
        if self._weights is None or tiles is None or not 0 <= k < len(tiles.neurons):
            self.readout.setText(self._status or HINT)
            return
        j = int(tiles.neurons[k])
        name = layer_name(1, len(self.experiment.sizes()))
        if self.canvas.matrix is not None:
            i = row
            where = f"input #{i + 1} ({self.canvas.row_labels[i]})"
        else:
            w = self.canvas.image_shape[1]
            i = row * w + col
            where = f"pixel row {row + 1}, column {col + 1} (input #{i + 1})"
        self.readout.setText(f"{name} #{j + 1} (bias {_num(self._biases[j])}) · {where}: "
                             f"w = {_num(self._weights[i, j])}" + (f" · {self._status}" if self._status else ""))

    # ------------------------------------------------------------------ export and settings
    def export_widget(self):
        return self.canvas if self.canvas.isVisible() else self

    def table(self):
        if self._weights is None:
            return None
        ds = self.experiment.dataset
        n_in, n_out = self._weights.shape
        shape = lm.image_shape_of(ds.input_shape if ds else None, n_in)
        if shape is None:
            names = ds.feature_names if ds is not None and len(ds.feature_names) == n_in else [""] * n_in
            return ["neuron", "input", "feature", "weight"], [
                [j + 1, i + 1, names[i], float(self._weights[i, j])] for j in range(n_out) for i in range(n_in)]
        w = shape[1]
        rows = [[j + 1, i + 1, i // w + 1, i % w + 1, float(self._weights[i, j])]
                for j in range(n_out) for i in range(n_in)]
        return ["neuron", "input", "row", "column", "weight"], rows

    def settings(self) -> dict:
        return {"scale": self.scale_mode, "columns": self.columns, "first": self.first}

    def apply_settings(self, values: dict) -> None:
        if not isinstance(values, dict):
            return
        scale = values.get("scale")
        if scale in SCALES:
            self.scale_box.setCurrentIndex(SCALES.index(scale))
        columns = values.get("columns")
        if isinstance(columns, int) and not isinstance(columns, bool) and 0 <= columns <= MAX_COLUMNS:
            self.columns_box.setValue(columns)
        first = values.get("first")
        if isinstance(first, int) and not isinstance(first, bool) and first >= 0:
            self.first = first
        self._on_controls()


def _num(v) -> str:
    if v is None:
        return "–"
    v = float(v)
    return f"{v:.3g}" if np.isfinite(v) else "NaN" if np.isnan(v) else ("∞" if v > 0 else "−∞")
