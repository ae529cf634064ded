"""Lab notes: the open lab's title and what to look for, and where the lab has reference figures,
a table of them against what this network measures (Labs menu, ``--lab NAME``).

The lab is set from outside (``set_lab``; the Labs menu does it when it opens one, and clears it
when another document is opened).  For the learning-speed labs the table puts the book's initial
‖δˡ‖ of each layer beside this network's: the epoch-0 record of the run when there is one, else,
while idle, ‖∂C/∂bˡ‖ over the training data at the weights Train would start from (the current
network, or the one the training panel's initialisation and seed make), computed here only when
it is small work (``MAX_WORK`` multiply-adds); the maths is ``workbench.core.labs``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QHeaderView, QLabel, QScrollArea, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.core.layer_maths import parameter_fingerprint
from workbench.core.network import weight_count
from workbench.core.labs import first_record_speeds, initial_speeds, speed_rows
from workbench.gui.views.base import EmptyNote, View

EMPTY_TEXT = "No lab is open. The Labs menu opens experiments that reproduce a published figure."
#: Multiply-adds of a gradient over the training set the view computes on the GUI thread at most
#: (1,000 MNIST images through [784, 30, 30, 30, 30, 10]: 2.7·10⁷).
MAX_WORK = 60_000_000
HEADER = ["Layer", "Reference", "This network", "Ratio"]


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.6g}" if abs(value) >= 0.001 or value == 0 else f"{value:.3g}"


class LabNotesView(View):
    name = "lab-notes"
    title = "Lab notes"
    area = "right"
    tooltip = "What the open lab shows and what to look for, with its reference figures"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self.lab = None
        self._cache: tuple | None = None       # (key, speeds) of the last computed gradient
        self.rows: list[tuple] = []
        self.source = ""                       # where the measured column comes from
        self.scroll = QScrollArea(self)         # takes the focus: arrows and Page keys scroll the notes
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.body = QWidget()
        self.note = EmptyNote(EMPTY_TEXT, self.body)
        self.content = QWidget(self.body)
        self.heading = QLabel(self.content)
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        self.text = QLabel(self.content)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.grid = QTableWidget(0, len(HEADER), self.content)
        self.grid.setHorizontalHeaderLabels(HEADER)
        self.grid.verticalHeader().setVisible(False)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.grid.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.grid.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.grid.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.caption = QLabel(self.content)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        column = QVBoxLayout(self.content)
        column.setContentsMargins(8, 8, 8, 8)
        column.addWidget(self.heading)
        column.addWidget(self.text)
        column.addWidget(self.grid)
        column.addWidget(self.caption)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.note, 1)
        body.addWidget(self.content)
        body.addStretch(0)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll, 1)
        self.scroll.setWidget(self.body)
        exp = experiment
        for signal in (exp.history_reset, exp.history_appended, exp.network_changed, exp.parameters_changed,
                       exp.data_changed, exp.hyperparameters_changed, exp.architecture_changed,
                       exp.run_state_changed):
            signal.connect(self.mark_dirty)
        self.content.hide()

    # ------------------------------------------------------------------ the lab
    def set_lab(self, lab) -> None:
        """Show ``lab`` (a ``workbench.core.labs.Lab``) or, with None, the empty note."""
        self.lab = lab
        self._cache = None
        self.mark_dirty()

    # ------------------------------------------------------------------ drawing
    def _measured(self) -> tuple[list[float] | None, str]:
        """This network's initial ‖δˡ‖ per weight layer and a phrase saying where they come from."""
        exp = self.experiment
        recorded = first_record_speeds(exp.history)
        if recorded is not None:
            return recorded, "the first record of this run (its initial weights)"
        ds = exp.dataset
        if exp.run_state != "idle" or ds is None or exp.blocking_reason() is not None:
            return None, "train to measure: the run's first record holds them"
        net = exp.net
        hp = exp.hyperparameters
        key = (id(net), parameter_fingerprint(net.weights, net.biases), id(ds)) if net is not None else \
            ("fresh", tuple(exp.architecture["sizes"]), tuple(exp.architecture["activations"]),
             exp.architecture["cost"], hp.get("init"), hp.get("bias_init"), hp.get("seed"), hp.get("dtype"), id(ds))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1], self._cache[2]
        sizes = exp.architecture["sizes"]
        work = len(ds.train.X) * weight_count(sizes)
        if work > MAX_WORK:
            return None, "train to measure: the run's first record holds them"
        try:
            net = net if net is not None else exp.new_network()
            speeds = initial_speeds(net, ds.train.X.astype(net.dtype), ds.train.Y.astype(net.dtype))
        except (ValueError, KeyError, TypeError):
            return None, "train to measure: the run's first record holds them"
        if exp.net is None:
            where = "the weights Train starts from (the training panel's initialisation and seed)"
        elif exp.epochs_trained == 0:
            where = "the current weights"
        else:
            where = "the current, trained weights (reset the weights to compare the start)"
        self._cache = (key, speeds, where)
        return speeds, where

    def draw(self) -> None:
        lab = self.lab
        self.note.setVisible(lab is None)
        self.content.setVisible(lab is not None)
        if lab is None:
            self.rows = []
            return
        self.heading.setText(lab.title)
        self.text.setText(lab.text)
        self.rows = []
        if lab.reference.get("initial_speeds"):
            measured, self.source = self._measured()
            self.rows = speed_rows(lab.reference, measured, self.experiment.n_layers)
        self._fill_table()

    def _fill_table(self) -> None:
        rows = self.rows
        self.grid.setVisible(bool(rows))
        self.caption.setVisible(bool(rows))
        self.grid.setRowCount(len(rows))
        for r, (layer, figure, have, ratio, within) in enumerate(rows):
            mark = "" if within is None else ("  ✓" if within else "  ✗")
            cells = (layer, _fmt(figure), _fmt(have), ("—" if ratio is None else f"{ratio:.2f}×") + mark)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.grid.setItem(r, c, item)
        if rows:
            self.grid.resizeRowsToContents()
            height = self.grid.horizontalHeader().sizeHint().height() + 2 * self.grid.frameWidth()
            height += self.grid.verticalHeader().length() + 2
            self.grid.setFixedHeight(height)
            ref = self.lab.reference
            spread = ref.get("spread")
            words = [f"Initial learning speed ‖δˡ‖ = ‖∂C/∂bˡ‖ over the training data. Reference: "
                     f"{ref.get('source', 'the lab')}. This network: {self.source}."]
            if isinstance(spread, list) and len(spread) == 2:
                words.append(f"✓: within the spread of one random start to the next, {spread[0]:g}–{spread[1]:g} "
                             f"times the figure.")
            self.caption.setText(" ".join(words))

    def table(self):
        """The reference figures against this network's: None while no lab with figures is open."""
        if not self.rows:
            return None
        return (["layer", "reference", "this_network", "ratio", "within_spread"],
                [list(row) for row in self.rows])
