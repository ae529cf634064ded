"""Worked step: one gradient-descent step of a small network written out by hand, in the order
Demofox's and Mazur's worked examples explain it — each neuron's z and a, the cost, ∂C/∂a, δ,
∂C/∂b and ∂C/∂w from the output back, then every new weight and bias.  "◀ Back" / "Next ▶" walk
through the quantities one at a time, highlighting the neuron or weight in the drawing and showing
the formula with its numbers; "Show all" lists them all.  The numbers come from
``workbench.core.worked_step`` on the current weights (mid-run: the latest snapshot), so after Step
Batch the next step's numbers appear."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHeaderView, QLabel, QPushButton, QSpinBox,
                               QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.core.limits import INT32_MAX
from workbench.core.network import Network
from workbench.core.worked_step import TABLE_HEADER, table_rows, too_large, worked_step
from workbench.gui.views.base import NO_NETWORK_YET, EmptyNote, View
from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.worked_step_parts import StepDiagram, step_batch

NO_NETWORK = f"{NO_NETWORK_YET} and see one step of gradient descent worked out by hand."
NO_DATA = "Load data that fits the network to see one step of gradient descent worked out by hand."
COST_NOTE = {
    "quadratic": "C = ½‖a − t‖² for one item, as in Demofox's and Mazur's posts, so ∂C/∂a = a − t with no "
                 "factor 2 (Workbench's quadratic cost is the same, averaged over a batch).",
    "cross-entropy": "C is the cross-entropy of one item; with sigmoid outputs δ = a − t directly.",
    "log-likelihood": "C = −ln a of the right class for one item; with softmax outputs δ = a − t directly.",
}


class WorkedStepView(View):
    name = "worked-step"
    title = "Worked step"
    area = "centre"
    tooltip = "One gradient-descent step by hand: every z, a, δ, ∂C/∂w and new weight, in the order of the posts"
    #: While a run goes the step is written out again at most this often.
    RUNNING_REDRAW_S = 0.25
    _drawn_at = 0.0

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self.item = 0                    # training item shown (0-based)
        self.position = 0                # the quantity in focus (0-based)
        self.show_all = False
        self.quantities = []
        self._listed = None              # what the table holds: (rows, count shown)

        self.item_box = QSpinBox()
        self.item_box.setRange(1, 1)
        self.item_box.setToolTip("The training item whose step is written out")
        self.back = QPushButton("◀ Back")
        self.back.setToolTip("The previous quantity of the step")
        self.next = QPushButton("Next ▶")
        self.next.setToolTip("The next quantity of the step, in the order the posts explain it")
        self.all_box = QCheckBox("Show all")
        self.all_box.setToolTip("List every quantity of the step, not only those walked through so far")
        self.where = QLabel("")
        controls = FlowLayout()
        controls.addWidget(QLabel("Training item:"))
        controls.addWidget(self.item_box)
        controls.addWidget(self.back)
        controls.addWidget(self.next)
        controls.addWidget(self.all_box)
        controls.addWidget(self.where)
        controls.addStretch(1)
        controls.addWidget(self.export_button())

        self.formula = QLabel("")
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.25)
        self.formula.setFont(big)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.diagram = StepDiagram()
        self.list = QTableWidget(0, 3)
        self.list.setHorizontalHeaderLabels(["#", "Quantity", "Formula with the numbers"])
        self.list.verticalHeader().hide()
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.list.setWordWrap(False)
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.diagram)
        split.addWidget(self.list)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        page = QWidget()
        body = QVBoxLayout(page)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.formula)
        body.addWidget(split, 1)
        body.addWidget(self.info)
        self.note = EmptyNote(NO_NETWORK)
        self.pages = QStackedWidget()
        self.pages.addWidget(page)
        self.pages.addWidget(self.note)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(controls)
        column.addWidget(self.pages, 1)

        self.back.clicked.connect(lambda: self.go(self.position - 1))
        self.next.clicked.connect(lambda: self.go(self.position + 1))
        self.all_box.toggled.connect(self._on_show_all)
        self.item_box.valueChanged.connect(self._on_item)
        self.list.cellClicked.connect(lambda row, _col: self.go(row))
        for signal in (experiment.data_changed, experiment.architecture_changed, experiment.network_changed,
                       experiment.parameters_changed, experiment.hyperparameters_changed):
            signal.connect(self.mark_dirty)

    # ------------------------------------------------------------------ controls
    def go(self, position: int) -> None:
        """Put quantity ``position`` (0-based; clamped) in focus."""
        self.position = max(0, min(int(position), max(0, len(self.quantities) - 1)))
        self.mark_dirty()

    def _on_show_all(self, checked: bool) -> None:
        self.show_all = bool(checked)
        self.mark_dirty()

    def _on_item(self, value: int) -> None:
        self.item = int(value) - 1
        self.mark_dirty()

    def is_dirty(self) -> bool:
        if not self._dirty:
            return False
        return (self.experiment.run_state != "running"
                or time.perf_counter() - self._drawn_at >= self.RUNNING_REDRAW_S)

    # ------------------------------------------------------------------ drawing
    def _problem(self):
        """(net, X, Y, lr, note, chosen slice) to write out, or a sentence saying why nothing can be."""
        exp = self.experiment
        if exp.net is None:
            return NO_NETWORK
        ds = exp.dataset
        if ds is None or ds.train is None or len(ds.train) == 0:
            return NO_DATA
        sizes = list(exp.net.sizes)
        if ds.n_inputs != sizes[0] or ds.n_outputs != sizes[-1]:
            return (f"The data has {ds.n_inputs} inputs and {ds.n_outputs} targets but the network takes "
                    f"{sizes[0]} and gives {sizes[-1]}; load data that fits it.")
        large = too_large(sizes)
        if large:
            return large
        parameters = exp.parameters()
        weights, biases, _ = parameters
        net = Network(list(weights), list(biases), exp.net.activations, exp.net.cost, dtype=exp.net.dtype)
        hp = exp.hyperparameters or {}
        lr = hp.get("lr", 0.5)
        lr = lr if isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0 else 0.5
        n = len(ds.train)
        self.item = max(0, min(self.item, n - 1))
        chosen, note = step_batch(hp, n, self.item)
        return net, ds.train.X[chosen], ds.train.Y[chosen], float(lr), note, chosen

    def draw(self) -> None:
        self._drawn_at = time.perf_counter()
        found = self._problem()
        if isinstance(found, str):
            self.quantities = []
            self._listed = None
            self.note.setText(found)
            self.pages.setCurrentIndex(1)
            for widget in (self.back, self.next, self.item_box, self.all_box):
                widget.setEnabled(False)
            self.where.setText("")
            return
        net, X, Y, lr, note, chosen = found
        n = len(self.experiment.dataset.train)
        self.item_box.blockSignals(True)
        self.item_box.setRange(1, max(1, min(n, INT32_MAX)))
        self.item_box.setValue(self.item + 1)
        self.item_box.blockSignals(False)
        row = self.item - (chosen.start or 0)
        self.quantities = worked_step(net, X, Y, lr, row)
        self.position = max(0, min(self.position, len(self.quantities) - 1))
        self.pages.setCurrentIndex(0)
        for widget in (self.item_box, self.all_box):
            widget.setEnabled(True)
        self.all_box.blockSignals(True)
        self.all_box.setChecked(self.show_all)
        self.all_box.blockSignals(False)
        self.back.setEnabled(self.position > 0)
        self.next.setEnabled(self.position < len(self.quantities) - 1)
        current = self.quantities[self.position]
        self.where.setText(f"{self.position + 1} of {len(self.quantities)}: {current.phase}")
        self.formula.setText(current.formula)
        self.diagram.set_network(net.sizes, X[row])
        self.diagram.set_quantity(current)
        self._fill_list()
        texts = [COST_NOTE.get(net.cost, "")]
        if len(X) > 1:
            texts.append(f"This step averages all {len(X)} training items (a full batch): the item chosen "
                         "shows its own z, a and δ, and the means are the gradient the update uses.")
        if note:
            texts.append(note)
        texts.append("Step Batch (Ctrl+B) takes the step; the next one's numbers then appear here.")
        self.info.setText(" ".join(t for t in texts if t))

    def _fill_list(self) -> None:
        shown = len(self.quantities) if self.show_all else self.position + 1
        rows = [(str(q.id + 1), q.symbol, q.formula) for q in self.quantities]
        if self._listed != (rows, shown):
            self.list.setRowCount(shown)
            for r, cells in enumerate(rows[:shown]):
                for c, text in enumerate(cells):
                    item = self.list.item(r, c)
                    if item is None:
                        item = QTableWidgetItem(text)
                        self.list.setItem(r, c, item)
                    elif item.text() != text:
                        item.setText(text)
                    if c == 2:
                        item.setToolTip(text)
            self._listed = (rows, shown)
        self.list.selectRow(self.position)
        self.list.scrollToItem(self.list.item(self.position, 0))

    def resizeEvent(self, event):  # noqa: N802 - Qt override: side by side where there is room
        super().resizeEvent(event)
        wide = event.size().width() >= self.WIDE
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.split.orientation() != orientation:
            self.split.setOrientation(orientation)

    #: From this width (pixels) the drawing stands beside the list, else above it.
    WIDE = 1100

    # ------------------------------------------------------------------ export and settings
    def table(self):
        if not self.quantities:
            return None
        return list(TABLE_HEADER), table_rows(self.quantities)

    def settings(self) -> dict:
        return {"item": int(self.item), "position": int(self.position), "show_all": bool(self.show_all)}

    def apply_settings(self, values: dict) -> None:
        if not isinstance(values, dict):
            return
        for key in ("item", "position"):
            value = values.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT32_MAX:
                setattr(self, key, value)
        if isinstance(values.get("show_all"), bool):
            self.show_all = values["show_all"]
        self.mark_dirty()
