"""The live network diagram: neurons as nodes, weights as edges coloured by sign and sized by magnitude.

Wide layers are drawn compactly (the first and last few neurons with "⋮ N more" between), so at most
a few hundred edges are ever drawn. Geometry is computed on resize and architecture changes only;
``set_parameters`` (called at ≤ 10 Hz while training) re-buckets the shown edges and repaints.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from workbench.gui.plots.diagram_canvas import DiagramCanvas as _Canvas
from workbench.gui.palette import WATCH_COLOURS, is_dark
from workbench.gui.plots.neuron_text import describe_neuron, layer_name, summary_line

LEVELS = 6          # magnitude buckets: one pen per (sign, level)
EDGE_CAP = 5        # neurons shown at each end of a wide layer
MAX_FULL = 16       # layers up to this size are drawn whole (when they fit)
POSITIVE_LIGHT, NEGATIVE_LIGHT = QColor(0, 114, 178), QColor(213, 94, 0)     # Okabe–Ito blue / vermillion
POSITIVE_DARK, NEGATIVE_DARK = QColor(86, 180, 233), QColor(230, 159, 0)      # sky blue / orange
HINT = "Click a neuron to see its bias, ∂C/∂b and incoming weights."


def shown_indices(n: int, capacity: int) -> tuple[np.ndarray, bool]:
    """Indices of the neurons drawn for a layer of ``n`` (all, or first/last few) and whether a gap is shown."""
    if n <= capacity:
        return np.arange(n), False
    k = max(1, min(EDGE_CAP, (capacity - 1) // 2))
    return np.concatenate([np.arange(k), np.arange(n - k, n)]), True


def _mix(background: QColor, colour: QColor, t: float) -> QColor:
    """Opaque colour ``t`` of the way from ``background`` to ``colour``."""
    return QColor.fromRgbF(*(b + (c - b) * t for b, c in zip(background.getRgbF()[:3], colour.getRgbF()[:3])))


class NetworkDiagram(QWidget):
    """Nodes and weighted edges of a feed-forward network with a details line for the clicked neuron.

    Signal ``neuron_clicked(layer, index)``: layer counts the input as 0; index is 0-based.
    Signal ``follow_requested(layer, i, j)``: the user asked to follow the gradient of weight
    W[layer][i, j] (weight layers counted from 0); ``unfollow_requested()``: to stop following all.
    """

    neuron_clicked = Signal(int, int)
    follow_requested = Signal(int, int, int)
    unfollow_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._sizes: list[int | None] = []
        self._activations: list[str] | None = None
        self._weights = self._biases = self._grads = None
        self._selected: tuple[int, int] | None = None
        self._shown: list[np.ndarray] = []       # per layer: neuron indices drawn
        self._gap: list[bool] = []               # per layer: "⋮ N more" drawn
        self._xs: list[float] = []               # per layer: x of its column
        self._ys: list[np.ndarray] = []          # per layer: y of each shown neuron
        self._gap_y: list[float] = []
        self._lines: list[list] = []
        self._radius = 6.0
        self._edge_sign: list[np.ndarray] = []   # per weight layer, flattened (src shown × dst shown)
        self._edge_level: list[np.ndarray] = []
        self._node_tint: list[np.ndarray | None] = []   # per layer: signed bias / max|b| of shown nodes

        self.canvas = _Canvas(self)
        self.details = QLabel(HINT)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 6)
        self.details.setAccessibleName("Neuron details")
        self._followed: list[tuple[int, int, int]] = []
        self.follow_source = QSpinBox()
        self.follow_source.setPrefix("#")
        self.follow_source.setAccessibleName("Source neuron of the weight to follow")
        self._follow_source_layer = QLabel()
        self.follow_button = QPushButton("Follow ∂C/∂w")
        self.follow_button.setToolTip("Plot the gradient of this one weight after every batch, on the "
                                      "'Followed weights' tab beside the curves (up to 8 weights).")
        self.follow_button.clicked.connect(self._on_follow_clicked)
        self.unfollow_button = QPushButton("Stop following")
        self.unfollow_button.setToolTip("Stop following every weight (their curves are cleared).")
        self.unfollow_button.clicked.connect(self.unfollow_requested)
        # Two short rows rather than one long one: the diagram also fits a narrow side column.
        self._follow_label = QLabel("Weight from")
        self._follow_source_layer.setWordWrap(True)
        choose = QHBoxLayout()
        choose.setContentsMargins(0, 0, 0, 0)
        choose.addWidget(self._follow_label)
        choose.addWidget(self.follow_source)
        choose.addWidget(self._follow_source_layer, 1)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.follow_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unfollow_button)
        follow_row = QVBoxLayout()
        follow_row.setContentsMargins(0, 0, 0, 0)
        follow_row.setSpacing(2)
        follow_row.addLayout(choose)
        follow_row.addLayout(buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.details)
        layout.addLayout(follow_row)
        self._update_details()
        self._update_follow_row(new_selection=True)

    # ---- contract -----------------------------------------------------------------------------
    def set_architecture(self, sizes: list[int | None], activations: list[str] | None = None) -> None:
        """Layer sizes incl. input and output (None = not known yet); ``activations`` (one per layer
        after the input) label the captions. Clears the parameters when the shape changes."""
        sizes = [None if s is None else int(s) for s in sizes]
        activations = list(activations) if activations is not None else None
        if activations is not None and len(activations) != len(sizes) - 1:
            activations = None
        changed = sizes != self._sizes
        if changed:
            self._weights = self._biases = self._grads = None
            if self._selected and not self._valid_neuron(*self._selected, sizes):
                self._selected = None
        self._sizes, self._activations = sizes, activations
        self._layout()
        self._update_details()
        if changed:
            self._update_follow_row(new_selection=True)

    def set_parameters(self, weights, biases, bias_gradients=None) -> None:
        """weights[l]: (sizes[l], sizes[l+1]); biases[l] and bias_gradients[l]: (sizes[l+1],).
        Cheap: gathers the shown edges only. Arrays whose shapes differ from the current
        architecture redefine it (activations are then forgotten)."""
        weights = [np.asarray(w) for w in weights]
        biases = [np.asarray(b) for b in biases]
        sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights] if weights else []
        if sizes != self._sizes:
            keep = self._activations if len(sizes) == len(self._sizes) else None
            self.set_architecture(sizes, keep)
        self._weights, self._biases = weights, biases
        self._grads = [np.asarray(g) for g in bias_gradients] if bias_gradients is not None else None
        self._restyle()
        self.canvas.update()
        if self._selected:
            self._update_details()

    def clear_parameters(self) -> None:
        """Back to the empty state: uniform grey edges (architecture only)."""
        self._weights = self._biases = self._grads = None
        self._restyle()
        self.canvas.update()
        self._update_details()

    # ---- selection ------------------------------------------------------------------------------
    def select_neuron(self, layer: int, index: int) -> None:
        """Select a neuron (as a click does): show its details and emit neuron_clicked."""
        if not self._valid_neuron(layer, index, self._sizes):
            raise IndexError(f"There is no neuron {index} in layer {layer}.")
        self._selected = (layer, index)
        self.canvas.update()
        self._update_details()
        self._update_follow_row(new_selection=True)
        self.neuron_clicked.emit(layer, index)

    def step_selection(self, d_layer: int, d_row: int) -> bool:
        """Keyboard navigation among the drawn neurons: ±1 layer (same height) or ±1 neuron."""
        drawable = [l for l, n in enumerate(self._sizes) if n is not None and len(self._ys[l])]
        if not drawable:
            return False
        if self._selected is None or self.neuron_position(*self._selected) is None:
            layer = self._selected[0] if self._selected and self._selected[0] in drawable else drawable[0]
            self.select_neuron(layer, int(self._shown[layer][0]))
            return True
        layer, index = self._selected
        row = int(np.flatnonzero(self._shown[layer] == index)[0])
        if d_layer:
            target = layer + d_layer
            if target not in drawable:
                return False
            y = self._ys[layer][row]
            row = int(np.argmin(np.abs(self._ys[target] - y)))
            layer = target
        else:
            row += d_row
            if not 0 <= row < len(self._shown[layer]):
                return False
        self.select_neuron(layer, int(self._shown[layer][row]))
        return True

    def set_followed(self, watch) -> None:
        """The weights now followed, (layer, i, j) each: their edges are drawn highlighted."""
        self._followed = [tuple(int(v) for v in w) for w in watch]
        self._update_follow_row()
        self.canvas.update()

    def followed(self) -> list[tuple[int, int, int]]:
        return list(self._followed)

    def _on_follow_clicked(self) -> None:
        if self._selected is None or self._selected[0] == 0:
            return
        layer, index = self._selected
        self.follow_requested.emit(layer - 1, self.follow_source.value() - 1, index)

    def _update_follow_row(self, new_selection: bool = False) -> None:
        """The follow controls act on the incoming weights of the selected (non-input) neuron."""
        selected = self._selected
        usable = (selected is not None and selected[0] > 0
                  and all(n is not None for n in self._sizes[selected[0] - 1:selected[0] + 1]))
        for widget in (self._follow_label, self.follow_source, self._follow_source_layer, self.follow_button):
            widget.setEnabled(usable)
        if usable:
            layer, index = selected
            self.follow_source.setRange(1, self._sizes[layer - 1])
            self._follow_source_layer.setText(f"of {layer_name(layer - 1, len(self._sizes)).lower()} "
                                              f"into this neuron")
            if new_selection:
                best = 0
                if self._weights is not None:
                    w = np.nan_to_num(np.abs(np.asarray(self._weights[layer - 1][:, index], dtype=float)))
                    best = int(np.argmax(w))
                self.follow_source.setValue(best + 1)
        else:
            self._follow_source_layer.setText("(select a neuron after the input)")
        n = len(self._followed)
        self.unfollow_button.setEnabled(n > 0)
        self.unfollow_button.setText(f"Stop following ({n})" if n else "Stop following")

    def selected_neuron(self) -> tuple[int, int] | None:
        return self._selected

    def details_text(self) -> str:
        return self.details.text()

    def neuron_position(self, layer: int, index: int) -> QPointF | None:
        """Centre of a drawn neuron in canvas coordinates (None when it is hidden in a gap)."""
        where = np.flatnonzero(self._shown[layer] == index) if layer < len(self._shown) else []
        if len(where) == 0:
            return None
        return QPointF(self._xs[layer], float(self._ys[layer][where[0]]))

    def neuron_at(self, pos: QPointF) -> tuple[int, int] | None:
        """The (layer, index) under canvas position ``pos``, or None."""
        reach = self._radius + 3
        for layer, x in enumerate(self._xs):
            if abs(pos.x() - x) <= reach and len(self._ys[layer]):
                nearest = int(np.argmin(np.abs(self._ys[layer] - pos.y())))
                if abs(self._ys[layer][nearest] - pos.y()) <= reach and self._sizes[layer] is not None:
                    return layer, int(self._shown[layer][nearest])
        return None

    # ---- geometry and styles ----------------------------------------------------------------------
    @staticmethod
    def _valid_neuron(layer: int, index: int, sizes) -> bool:
        return 0 <= layer < len(sizes) and sizes[layer] is not None and 0 <= index < sizes[layer]

    def _caption_height(self) -> float:
        return self.fontMetrics().lineSpacing() * 2 + 10

    def _layout(self) -> None:
        """Place columns and nodes for the current size; called on resize and architecture changes."""
        rect = QRectF(self.canvas.rect())
        n_layers = len(self._sizes)
        self._shown, self._gap, self._xs, self._ys, self._gap_y = [], [], [], [], []
        self._lines: list[list[QLineF]] = []     # per weight layer, flattened (src shown × dst shown)
        if n_layers == 0:
            self._restyle()
            return
        left, right = 40.0, 40.0
        top = self.fontMetrics().lineSpacing() + 12.0    # the legend's band
        bottom = rect.height() - self._caption_height()
        height = max(bottom - top, 20.0)
        capacity = int(max(3, min(MAX_FULL, height // 16)))
        step_x = (rect.width() - left - right) / max(n_layers - 1, 1)
        for layer, n in enumerate(self._sizes):
            shown, gap = shown_indices(3 if n is None else n, capacity)
            slots = len(shown) + (1.6 if gap else 0.0)
            spacing = min(height / max(slots, 1), 44.0)
            y0 = top + (height - spacing * (slots - 1)) / 2
            ys = y0 + spacing * np.arange(len(shown), dtype=float)
            if gap:
                half = len(shown) // 2
                ys[half:] += spacing * 1.6
                self._gap_y.append(float(ys[half - 1] + ys[half]) / 2)
            else:
                self._gap_y.append(0.0)
            x = left + step_x * layer if n_layers > 1 else rect.width() / 2
            self._shown.append(shown)
            self._gap.append(gap)
            self._xs.append(x)
            self._ys.append(ys)
        self._lines = [
            [QLineF(self._xs[l], float(ys), self._xs[l + 1], float(yd)) for ys in self._ys[l] for yd in self._ys[l + 1]]
            for l in range(n_layers - 1)]
        min_spacing = min((float(np.min(np.diff(ys))) for ys in self._ys if len(ys) > 1), default=30.0)
        self._radius = float(max(3.0, min(9.0, min_spacing * 0.36, step_x * 0.12)))
        self._restyle()
        self.canvas.update()

    def _restyle(self) -> None:
        """Bucket the shown edges by sign and magnitude and tint the nodes by bias (no drawing)."""
        self._edge_sign, self._edge_level, self._node_tint = [], [], [None] * len(self._shown)
        if not self._weights or len(self._shown) != len(self._sizes):
            return
        for l, w in enumerate(self._weights):
            sub = np.nan_to_num(w[np.ix_(self._shown[l], self._shown[l + 1])].ravel().astype(float))
            scale = float(np.max(np.abs(sub))) if sub.size else 0.0
            mag = np.abs(sub) / scale if scale > 0 else np.zeros_like(sub)
            self._edge_sign.append(sub >= 0)
            self._edge_level.append(np.minimum((mag * LEVELS).astype(int), LEVELS - 1))
        for l, b in enumerate(self._biases or []):
            full = np.nan_to_num(np.asarray(b, dtype=float))
            scale = float(np.max(np.abs(full))) if full.size else 0.0
            self._node_tint[l + 1] = full[self._shown[l + 1]] / scale if scale > 0 else np.zeros(len(self._shown[l + 1]))

    # ---- painting -------------------------------------------------------------------------------
    def _colours(self):
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Window)
        dark = is_dark(background)
        return (background, palette.color(QPalette.ColorRole.WindowText),
                POSITIVE_DARK if dark else POSITIVE_LIGHT, NEGATIVE_DARK if dark else NEGATIVE_LIGHT)

    def _paint(self, painter: QPainter, rect) -> None:
        background, text, positive, negative = self._colours()
        painter.fillRect(rect, background)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if not self._sizes:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(rect), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "The network diagram appears here once the network has layers.")
            return
        self._paint_edges(painter, background, text, positive, negative)
        self._paint_selected_edges(painter, positive, negative)
        self._paint_followed_edges(painter)
        self._paint_nodes(painter, background, text, positive, negative)
        self._paint_labels(painter, rect, background, text)
        self._paint_legend(painter, rect, text, positive, negative)

    def _paint_edges(self, painter, background, text, positive, negative) -> None:
        # Opaque colours pre-mixed with the background and flat caps: translucent or round-capped
        # antialiased lines cost the raster engine 5-30x more.
        if not self._edge_sign:
            painter.setPen(QPen(_mix(background, text, 0.22), 0.8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            for lines in self._lines:
                painter.drawLines(lines)
            return
        for lev in range(LEVELS):          # weak edges first, strong ones on top
            strength = (lev + 1) / LEVELS
            for positive_edge, base in ((True, positive), (False, negative)):
                pen = QPen(_mix(background, base, 0.15 + 0.85 * strength), 0.4 + 2.8 * strength,
                           Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
                painter.setPen(pen)
                for lines, sign, level in zip(self._lines, self._edge_sign, self._edge_level):
                    chosen = np.flatnonzero((sign == positive_edge) & (level == lev))
                    if len(chosen):
                        painter.drawLines([lines[i] for i in chosen])

    def _paint_selected_edges(self, painter, positive, negative) -> None:
        """Redraw the shown incoming edges of the selected neuron boldly, on top of the others."""
        if not self._selected or not self._edge_sign or self._selected[0] == 0:
            return
        layer, index = self._selected
        where = np.flatnonzero(self._shown[layer] == index)
        if not len(where):
            return
        column, n_dst = int(where[0]), len(self._shown[layer])
        lines, sign, level = self._lines[layer - 1], self._edge_sign[layer - 1], self._edge_level[layer - 1]
        for k in range(column, len(lines), n_dst):      # edges into this neuron, one per shown source
            strength = (level[k] + 1) / LEVELS
            painter.setPen(QPen(positive if sign[k] else negative, 1.2 + 2.8 * strength,
                                Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            painter.drawLine(lines[k])

    def _paint_followed_edges(self, painter) -> None:
        """The followed weights (those whose two neurons are drawn) as dashed lines in the colours of
        their curves on the 'Followed weights' plot."""
        for k, (layer, i, j) in enumerate(self._followed):
            if layer + 1 >= len(self._sizes):
                continue
            a, b = self.neuron_position(layer, i), self.neuron_position(layer + 1, j)
            if a is not None and b is not None:
                painter.setPen(QPen(QColor(WATCH_COLOURS[k % len(WATCH_COLOURS)]), 3.0, Qt.PenStyle.DashLine,
                                    Qt.PenCapStyle.FlatCap))
                painter.drawLine(QLineF(a, b))

    def _paint_nodes(self, painter, background, text, positive, negative) -> None:
        r = self._radius
        outline = QColor(text)
        outline.setAlpha(170)
        for layer, ys in enumerate(self._ys):
            x = self._xs[layer]
            tint = self._node_tint[layer] if layer < len(self._node_tint) else None
            unknown = self._sizes[layer] is None
            pen = QPen(outline, 1.0, Qt.PenStyle.DashLine if unknown else Qt.PenStyle.SolidLine)
            painter.setPen(pen)
            for k, y in enumerate(ys):
                fill = QColor(background)
                if tint is not None:
                    fill = _mix(background, positive if tint[k] >= 0 else negative, min(abs(float(tint[k])), 1.0))
                painter.setBrush(QBrush(fill))
                painter.drawEllipse(QPointF(x, float(y)), r, r)
        if self._selected and self.neuron_position(*self._selected) is not None:
            centre = self.neuron_position(*self._selected)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2.5))
            painter.drawEllipse(centre, r + 3.5, r + 3.5)

    def _paint_labels(self, painter, rect, background, text) -> None:
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        metrics = painter.fontMetrics()
        muted = QColor(text)
        muted.setAlpha(190)
        for layer, n in enumerate(self._sizes):
            x = self._xs[layer]
            if self._gap[layer]:
                label = f"⋮ {n - len(self._shown[layer])} more"
                width = metrics.horizontalAdvance(label) + 8
                box = QRectF(x - width / 2, self._gap_y[layer] - metrics.height() / 2, width, metrics.height())
                fill = QColor(background)
                fill.setAlpha(225)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(fill)
                painter.drawRoundedRect(box, 4, 4)
                painter.setPen(muted)
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        column = (rect.width() - 20) / max(len(self._sizes), 1)
        line = metrics.lineSpacing()
        top = rect.height() - self._caption_height() + 6
        painter.setPen(text)
        for layer in range(len(self._sizes)):
            first, second = self._caption(layer)
            for row, caption in enumerate((first, second)):
                caption = metrics.elidedText(caption, Qt.TextElideMode.ElideRight, int(max(column, 40)))
                width = metrics.horizontalAdvance(caption)
                x = min(max(self._xs[layer] - width / 2, 2.0), rect.width() - width - 2)
                painter.setPen(text if row == 0 else muted)
                painter.drawText(QPointF(x, top + metrics.ascent() + row * line), caption)

    def _caption(self, layer: int) -> tuple[str, str]:
        n = self._sizes[layer]
        size = "size from data" if n is None else f"{n}"
        last = len(self._sizes) - 1
        if layer == 0:
            return "input", size
        name = "output" if layer == last else f"hidden {layer}"
        act = self._activations[layer - 1] if self._activations else None
        return name, f"{size} · {act}" if act else size

    def _paint_legend(self, painter, rect, text, positive, negative) -> None:
        metrics = painter.fontMetrics()
        if not self._edge_sign:
            label = "weights not initialised yet"
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QPointF(rect.width() - metrics.horizontalAdvance(label) - 8, metrics.ascent() + 2), label)
            return
        items = (("+ weight", positive), ("− weight", negative))
        note = "width ∝ |w| · fill = bias"
        x = rect.width() - 8 - sum(metrics.horizontalAdvance(t) + 26 for t, _ in items) - metrics.horizontalAdvance(note)
        y = metrics.ascent() / 2 + 6
        baseline = y + metrics.ascent() / 2 - 1
        for label, colour in items:
            painter.setPen(QPen(colour, 2.5))
            painter.drawLine(QPointF(x, y), QPointF(x + 16, y))
            painter.setPen(text)
            painter.drawText(QPointF(x + 20, baseline), label)
            x += metrics.horizontalAdvance(label) + 26
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QPointF(x, baseline), note)

    # ---- details ----------------------------------------------------------------------------------
    def _summary_line(self, layer: int, index: int) -> str:
        return summary_line(layer, index, self._sizes, self._biases)

    def _update_details(self) -> None:
        if self._selected is None:
            self.details.setText(HINT if self._sizes else "")
            return
        self.details.setText(describe_neuron(*self._selected, self._sizes, self._activations,
                                             self._weights, self._biases, self._grads))

    def changeEvent(self, event):
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange) and hasattr(self, "canvas"):
            self._layout()
        super().changeEvent(event)

