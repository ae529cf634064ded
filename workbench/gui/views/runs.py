"""The runs view: the session's runs side by side, and rewind, A/B and delete.

One row a run (``experiment.runs``): a tick box (its curves overlaid on the Curves view's plots,
the learning-speed plot and the followed weights, ``run_overlays``), its name (editable), the
settings in which it differs from the other runs, epochs, best and final cost and accuracy,
validation accuracy, the time it trained and why it ended.  **Rewind…** continues the selected
run from one of its checkpoints, **A/B…** starts a second run from its initial weights with one
setting changed, **Delete** takes it out (all three undoable; see ``gui.runs``).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSizePolicy, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from workbench.core.runs import differing_settings, setting_phrases
from workbench.gui.status import format_duration
from workbench.gui.views.base import EmptyNote, View

COLUMNS = ["Show", "Name", "Differs in", "Epochs", "Best cost", "Final cost", "Best acc.", "Final acc.",
           "Val. acc.", "Time", "Ended"]
_NAME = 1


def _number(v: float, percent: bool = False) -> str:
    if not math.isfinite(v):
        return "–"
    return f"{v * 100:.1f} %" if percent else f"{v:.4g}"



def _put(table, row: int, column: int, item) -> None:
    """``item`` into the table unless the cell already shows the same: a redraw 25 times a second
    while a run goes then leaves the other rows' items (and a name being edited) alone."""
    old = table.item(row, column)
    if old is not None and all(old.data(role) == item.data(role) for role in _ROLES) \
            and old.flags() == item.flags() and old.font() == item.font():
        return
    table.setItem(row, column, item)


_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.UserRole,
          Qt.ItemDataRole.ToolTipRole)


def _run_time(seconds: float) -> str:
    """A run's training time: tenths below 10 s (a small run takes a fraction of a second), then as
    the status bar writes durations."""
    return f"{seconds:.1f} s" if 0 <= seconds < 9.95 else format_duration(seconds)

class RunsView(View):
    name = "runs"
    title = "Runs"
    area = "centre"
    tooltip = "The session's runs side by side: overlay their curves, rewind one, start an A/B run"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.note = EmptyNote("No runs yet: press Train, and each run from fresh weights gets a row here.")
        layout.addWidget(self.note)
        self.table_widget = QTableWidget(0, len(COLUMNS))
        self.table_widget.setHorizontalHeaderLabels(COLUMNS)
        self.table_widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table_widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table_widget.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table_widget.horizontalHeader().setStretchLastSection(True)
        self.table_widget.verticalHeader().hide()
        self.table_widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.table_widget.setMinimumHeight(48)
        self.table_widget.hide()                     # until there are runs (the note says so)
        self.table_widget.itemChanged.connect(self._on_item_changed)
        self.table_widget.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table_widget)
        row = QHBoxLayout()
        self.rewind_button = QPushButton("Rewind…")
        self.rewind_button.setToolTip("Continue the selected run from one of its checkpoints")
        self.ab_button = QPushButton("A/B…")
        self.ab_button.setToolTip("Start a run from the selected run's initial weights and batches with one "
                                  "setting changed")
        self.delete_button = QPushButton("Delete Run")
        self.rewind_button.clicked.connect(self.rewind_dialog)
        self.ab_button.clicked.connect(self.ab_dialog)
        self.delete_button.clicked.connect(self.delete_selected)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        for w in (self.rewind_button, self.ab_button, self.delete_button):
            row.addWidget(w)
        row.addWidget(self.message, 1)
        row.addWidget(self.export_button())
        layout.addLayout(row)
        self._filling = False
        self._said_at = 0
        self._shown_ids: list[int] = []
        for signal in (experiment.runs_changed, experiment.history_appended, experiment.run_state_changed,
                       experiment.document_changed):
            signal.connect(self.mark_dirty)

    # ------------------------------------------------------------------ drawing
    def _rows(self):
        runs = self.experiment.runs.runs
        differs = differing_settings(runs)
        rows = []
        for run in runs:
            s = run.summary()
            text = ", ".join(setting_phrases(run.settings, differs)) or "–"
            rows.append((run, [run.name, text, f"{run.epochs:,}", _number(s["best_cost"]), _number(s["final_cost"]),
                               _number(s["best_accuracy"], True), _number(s["final_accuracy"], True),
                               _number(s["final_val_accuracy"], True), _run_time(run.seconds),
                               run.end_reason or ""]))
        return rows

    def draw(self) -> None:
        exp = self.experiment
        if self._said_at != self._presses():     # a run started or ended since: old news
            self.message.setText("")
        rows = self._rows()
        self.note.setVisible(not rows)
        self.table_widget.setVisible(bool(rows))
        selected = self.selected_run_id()
        self._filling = True
        try:
            t = self.table_widget
            t.setRowCount(len(rows))
            for r, (run, cells) in enumerate(rows):
                tick = QTableWidgetItem("")
                tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                tick.setCheckState(Qt.CheckState.Checked if run.id in exp.overlaid else Qt.CheckState.Unchecked)
                tick.setData(Qt.ItemDataRole.UserRole, run.id)
                _put(t, r, 0, tick)
                for c, text in enumerate(cells, start=1):
                    item = QTableWidgetItem(text)
                    flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                    if c == _NAME:
                        flags |= Qt.ItemFlag.ItemIsEditable
                        if run.id == exp.runs.current:
                            font = item.font()
                            font.setBold(True)
                            item.setFont(font)
                            item.setToolTip("The run the current weights belong to")
                    item.setFlags(flags)
                    _put(t, r, c, item)
            self._shown_ids = [run.id for run, _ in rows]
            if selected in self._shown_ids:
                t.selectRow(self._shown_ids.index(selected))
        finally:
            self._filling = False
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.selected_run_id() is not None
        idle = not self.experiment.is_training()
        self.rewind_button.setEnabled(has and idle)
        self.ab_button.setEnabled(has and idle)
        self.delete_button.setEnabled(has and idle)

    # ------------------------------------------------------------------ actions
    def selected_run_id(self) -> int | None:
        rows = self.table_widget.selectionModel().selectedRows() if self.table_widget.selectionModel() else []
        if not rows or rows[0].row() >= len(self._shown_ids):
            return None
        return self._shown_ids[rows[0].row()]

    def select_run(self, run_id: int) -> None:
        if self._dirty:
            self.refresh()
        self.table_widget.selectRow(self._shown_ids.index(run_id))

    def _on_item_changed(self, item) -> None:
        if self._filling or item.row() >= len(self._shown_ids):
            return
        keeper = self.experiment.runs_keeper
        run_id = self._shown_ids[item.row()]
        if item.column() == 0:
            keeper.set_overlaid(run_id, item.checkState() == Qt.CheckState.Checked)
        elif item.column() == _NAME:
            self._say(keeper.rename(run_id, item.text()))
            self.mark_dirty()

    def _say(self, problem: str | None, done: str = "") -> None:
        """Show ``problem`` or ``done`` until the next run starts or ends."""
        self.message.setText(problem or done)
        self._said_at = self._presses()

    def _presses(self) -> int:
        keeper = self.experiment.runs_keeper
        return keeper.presses if keeper is not None else 0

    def rewind_dialog(self) -> None:
        from workbench.gui.views.runs_parts import RewindDialog

        run = self.experiment.runs.get(self.selected_run_id())
        if run is None:
            return
        dialog = RewindDialog(run, self)
        if dialog.exec() and dialog.chosen() is not None:
            self.rewind(run.id, *dialog.chosen())

    def rewind(self, run_id: int, epochs: int, steps: int | None = None) -> str | None:
        problem = self.experiment.runs_keeper.rewind(run_id, epochs, steps)
        self._say(problem, f"Rewound to epoch {epochs:,}: press Train to continue from there.")
        return problem

    def ab_dialog(self) -> None:
        from workbench.gui.views.runs_parts import ABDialog

        run = self.experiment.runs.get(self.selected_run_id())
        if run is None:
            return
        dialog = ABDialog(run, self)
        if dialog.exec():
            self.ab(run.id, *dialog.choice())

    def ab(self, run_id: int, key: str, text: str) -> str | None:
        problem = self.experiment.runs_keeper.ab(run_id, key, text)
        self._say(problem, "The B run is ready: press Train to run it.")
        return problem

    def delete_selected(self) -> None:
        run_id = self.selected_run_id()
        if run_id is not None:
            self._say(self.experiment.runs_keeper.delete(run_id), "Run deleted (Undo brings it back).")

    # ------------------------------------------------------------------ export
    def table(self):
        rows = self._rows()
        if not rows:
            return None
        return COLUMNS[1:], [cells for _run, cells in rows]
