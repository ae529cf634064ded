"""Parts of the worked-step view: the small network drawing that highlights the neuron or weight of
the current quantity, and the choice of the batch a step of the training settings takes."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.core.worked_step import neuron_label, number, weight_number

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def step_batch(hyperparameters: dict, n_items: int, item: int) -> tuple[slice, str | None]:
    """Which training items one step of these settings averages, as a slice of the training set,
    and a sentence when the view cannot show the step exactly as training takes it (None when it
    can).  Batch size 1: the chosen item; "full" (or one at least the training set): every item;
    anything between: the chosen item, with a note."""
    hp = hyperparameters or {}
    batch = hp.get("batch_size", 1)
    notes = []
    if batch in ("full", 0) or (isinstance(batch, int) and not isinstance(batch, bool) and batch >= n_items):
        chosen = slice(0, n_items)
    else:
        chosen = slice(item, item + 1)
        if batch != 1:
            notes.append(f"Training averages batches of {batch} shuffled items; this is the step of item "
                         f"{item + 1} alone (as with batch size 1).")
    if hp.get("optimizer", "sgd") != "sgd":
        notes.append(f"The update shown is plain gradient descent; the training settings use {hp['optimizer']}, "
                     "so Step Batch moves the weights differently.")
    if hp.get("l2"):
        notes.append("The training settings add L2 weight decay, which the update shown leaves out.")
    if hp.get("layer_lr"):
        notes.append("The training settings scale the learning rate per layer; the update shown uses η alone.")
    return chosen, " ".join(notes) or None


class StepDiagram(QWidget):
    """The network's neurons (circles, labelled i1, h1, o1, …) and weights (lines), the one the
    current quantity is about drawn in the highlight colour, with its value beside it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sizes: list[int] = []
        self.inputs: list[float] = []
        self.quantity = None               # core.worked_step.Quantity or None
        self.setMinimumSize(260, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(420, 300)

    def set_network(self, sizes, inputs) -> None:
        """Layer ``sizes`` (input first) and the item's input values (d,)."""
        self.sizes, self.inputs = list(sizes), [float(v) for v in inputs]
        self.update()

    def set_quantity(self, quantity) -> None:
        self.quantity = quantity
        self.update()

    def positions(self) -> list[list[QPointF]]:
        """Centre of every neuron, layer by layer (pixels)."""
        if not self.sizes:
            return []
        w, h = self.width(), self.height()
        n = len(self.sizes)
        out = []
        for l, size in enumerate(self.sizes):
            x = w * (l + 0.5) / n
            out.append([QPointF(x, h * (k + 0.5) / size) for k in range(size)])
        return out

    def radius(self) -> float:
        if not self.sizes:
            return 0.0
        return max(9.0, min(26.0, self.height() / (2.6 * max(self.sizes)), self.width() / (5.0 * len(self.sizes))))

    def highlighted(self) -> tuple[set, set]:
        """(neurons, weights) to highlight for the current quantity: {(layer, k)}, {(l, i, j)}."""
        q = self.quantity
        if q is None or not self.sizes:
            return set(), set()
        if q.source >= 0:
            return {(q.layer - 1, q.source), (q.layer, q.neuron)}, {(q.layer - 1, q.source, q.neuron)}
        if q.neuron < 0:                    # the cost: every output
            return {(q.layer, k) for k in range(self.sizes[-1])}, set()
        neurons, weights = {(q.layer, q.neuron)}, set()
        if q.kind == "z":
            weights = {(q.layer - 1, i, q.neuron) for i in range(self.sizes[q.layer - 1])}
        elif q.kind == "dC/da" and q.layer < len(self.sizes) - 1:
            weights = {(q.layer, q.neuron, j) for j in range(self.sizes[q.layer + 1])}
        return neurons, weights

    def paintEvent(self, _event):  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        faint = QColor(text)
        faint.setAlpha(90)
        mark = palette.color(QPalette.ColorRole.Highlight)
        base = palette.color(QPalette.ColorRole.Base)
        painter.fillRect(self.rect(), base)
        places, r = self.positions(), self.radius()
        neurons, weights = self.highlighted()
        for l in range(len(places) - 1):                         # weights under the neurons
            for i, a in enumerate(places[l]):
                for j, b in enumerate(places[l + 1]):
                    on = (l, i, j) in weights
                    painter.setPen(QPen(mark if on else faint, 3.0 if on else 1.2))
                    painter.drawLine(a, b)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, min(11.0, r * 0.55)))
        painter.setFont(font)
        for l, layer in enumerate(places):
            for k, centre in enumerate(layer):
                on = (l, k) in neurons
                painter.setPen(QPen(mark if on else text, 3.0 if on else 1.4))
                painter.setBrush(base)
                painter.drawEllipse(centre, r, r)
                painter.setPen(text)
                box = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, neuron_label(l, k, self.sizes))
                if l == 0 and k < len(self.inputs):
                    below = QRectF(centre.x() - 3 * r, centre.y() + r, 6 * r, 1.6 * font.pointSizeF() + 4)
                    painter.drawText(below, Qt.AlignmentFlag.AlignCenter, number(self.inputs[k]))
        self._label_weights(painter, places, weights, mark, r)
        painter.end()

    def _label_weights(self, painter, places, weights, colour, r) -> None:
        """Name the highlighted weights (w₅) beside their line, a third of the way from the source."""
        if len(weights) > 8:
            return
        painter.setPen(colour)
        for l, i, j in sorted(weights):
            a, b = places[l][i], places[l + 1][j]
            t = 0.32
            x, y = a.x() + t * (b.x() - a.x()), a.y() + t * (b.y() - a.y())
            angle = math.atan2(b.y() - a.y(), b.x() - a.x())
            off = 1.1 * r
            x, y = x - off * math.sin(angle) * 0.6, y - off * 0.6
            name = "w" + str(weight_number(l, i, j, self.sizes)).translate(_SUBSCRIPTS)
            painter.drawText(QRectF(x - 2 * r, y - r, 4 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, name)
