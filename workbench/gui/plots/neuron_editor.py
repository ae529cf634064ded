"""The neuron inspector's edit row: the selected neuron's bias and one incoming weight as fields
(the weight from the source neuron chosen in the diagram's "Weight from #" box).

``NeuronEditor`` only validates and asks: ``edit_requested(changes, text)`` carries the changes of
``workbench.gui.edits`` ((layer, "W", i, j, value) / (layer, "b", i, 0, value); layer: the weight
layer) and the undo text; its owner applies them (``Experiment.edit_parameters``) and shows the
outcome with ``show_result``.  Fields are refreshed from the parameters shown unless the user is
typing in them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from workbench.core.names import layer_name, weight_name
from workbench.gui.edits import parse_value

NO_NEURON = "Select a neuron after the input to edit its bias and incoming weights."


def _plain(x: float) -> str:
    return f"{x:.6g}"


class _ValueField(QLineEdit):
    """A value field whose Ctrl+Z / Ctrl+Shift+Z reach Edit → Undo / Redo once what was typed has been
    applied (Enter or Set); while the user is typing they undo the typing, as in any text field."""

    def event(self, event):  # noqa: D401 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and not self.isModified() and (
                event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)):
            event.ignore()
            return True
        return super().event(event)


class NeuronEditor(QWidget):
    edit_requested = Signal(object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._neuron: tuple[int, int] | None = None     # (layer, index): the input layer is 0
        self._source = 0                                # 0-based source neuron of the weight field
        self._sizes: list = []
        self._values: tuple[float, float] | None = None  # (bias, weight) shown
        self._reason: str | None = NO_NEURON
        self._edited = None             # values shown after an edit's note was set ("pending" until drawn)
        self.bias_field = _ValueField()
        self.bias_field.setAccessibleName("Bias of the selected neuron")
        self.weight_field = _ValueField()
        self.weight_field.setAccessibleName("Incoming weight of the selected neuron")
        for field in (self.bias_field, self.weight_field):
            field.setMaximumWidth(110)
            field.returnPressed.connect(lambda f=field: self._apply([f]))
        self.weight_label = QLabel("w")
        self.set_button = QPushButton("Set")
        self.set_button.setToolTip("Set the bias and the weight typed here (Edit → Undo puts them back)")
        self.set_button.clicked.connect(lambda: self._apply([self.bias_field, self.weight_field]))
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()                # shown with an outcome; an empty line would take room
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Edit: b ="))
        row.addWidget(self.bias_field)
        row.addWidget(self.weight_label)
        row.addWidget(self.weight_field)
        row.addWidget(self.set_button)
        row.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.note)
        self._update_enabled()

    # ------------------------------------------------------------------ what is shown
    def show_neuron(self, neuron, source: int, sizes, weights, biases, reason: str | None) -> None:
        """The selected neuron (layer, index) or None, the 0-based source of the weight field, the
        layer sizes, the parameters shown (weights[l]: (sizes[l], sizes[l+1]), biases[l]:
        (sizes[l+1],), or None) and why editing is not possible now (None: it is)."""
        if neuron is not None and (neuron[0] == 0 or weights is None):
            reason = reason or (NO_NEURON if neuron[0] == 0 else
                                "There is no network yet: press Reset Weights (Ctrl+R) to make one.")
        elif neuron is None:
            reason = NO_NEURON
        changed = (neuron, source) != (self._neuron, self._source)
        self._neuron, self._source, self._sizes, self._reason = neuron, int(source), list(sizes), reason
        if neuron is not None and neuron[0] > 0 and weights is not None:
            layer, index = neuron
            src = min(max(self._source, 0), sizes[layer - 1] - 1)
            self._source = src
            values = (float(biases[layer - 1][index]), float(weights[layer - 1][src, index]))
            if self._edited == "pending":
                self._edited = values   # the first values shown after the edit
            elif self._edited is not None and values != self._edited:
                changed = True          # undone, trained on or replaced: the edit's note is stale
            self._values = values
            self.weight_label.setText(f"w from #{src + 1} =")
            self._refresh_field(self.bias_field, self._values[0], changed)
            self._refresh_field(self.weight_field, self._values[1], changed)
        else:
            self._values = None
            self.weight_label.setText("w =")
            for field in (self.bias_field, self.weight_field):
                field.clear()
        if changed:
            self.note.setText("")
            self.note.hide()
            self._edited = None
        self._update_enabled()

    @staticmethod
    def _refresh_field(field: QLineEdit, value: float, changed: bool) -> None:
        if changed or not (field.hasFocus() and field.isModified()):
            field.setText(_plain(value))
            field.setModified(False)

    def _update_enabled(self) -> None:
        usable = self._reason is None
        for field in (self.bias_field, self.weight_field):
            field.setEnabled(usable)
            field.setToolTip("" if usable else self._reason)
        self.set_button.setEnabled(usable)
        self.set_button.setToolTip("Set the bias and the weight typed here (Edit → Undo puts them back)"
                                   if usable else self._reason)

    # ------------------------------------------------------------------ edits
    def _apply(self, fields) -> None:
        """Ask for the typed values that differ from the shown ones; a bad one asks for nothing."""
        if self._reason is not None or self._values is None or self._neuron is None:
            self.show_result(self._reason or NO_NEURON, error=True)
            return
        layer, index = self._neuron
        changes, names = [], []
        for field in fields:
            value, problem = parse_value(field.text())
            if problem:
                self.show_result(problem, error=True)
                field.setFocus()
                return
            is_bias = field is self.bias_field
            current = self._values[0 if is_bias else 1]
            if value == current or field.text().strip() == _plain(current):
                continue                # untouched: its text is the shown value, rounded to 6 digits
            if is_bias:
                changes.append((layer - 1, "b", index, 0, value))
                names.append(f"bias of {layer_name(layer, len(self._sizes)).lower()} neuron {index + 1}")
            else:
                changes.append((layer - 1, "W", self._source, index, value))
                names.append("weight " + weight_name(layer - 1, self._source, index, len(self._sizes) - 1))
        if not changes:
            self.show_result("Nothing changed: type a new value first.", error=False)
            return
        text = "Edit " + " and ".join(names)
        for field in fields:
            field.setModified(False)    # applied: later values (Undo, training) show in the field
        self.edit_requested.emit(changes, text)

    def show_result(self, text: str, error: bool = False) -> None:
        """A sentence under the fields: the cost after an edit, or why an edit was refused.  The note
        of an applied edit stays while the neuron shows the edited values."""
        self._edited = None if error else "pending"
        self.note.setStyleSheet("color: #d62728;" if error else "")
        self.note.setText(text)
        self.note.setVisible(bool(text))


def cost_change_text(before: float, after: float, samples: int, total: int) -> str:
    """ "Cost on the training data: 0.2311 → 0.1987." (on the first N samples when bounded)."""
    where = "the training data" if samples >= total else f"the first {samples:,} training samples"
    return f"Cost on {where}: {before:.4g} → {after:.4g}."
