"""The training panel's stop conditions and checkpoint interval (a part of ``training_panel``).

Each condition is a tick box and a field: stop when the accuracy reaches a percentage (validation
accuracy when the data has a validation set), when the training cost reaches a value, or when the
validation figure has not improved for a number of epochs (``core.training.Hyperparameters``).
An unticked condition is off (None).  ``checkpoint_every``: the epochs between two checkpoints of
a run (the Runs view rewinds to them).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QSpinBox, QWidget

from workbench.core.hyperparameters import PANEL_RANGES

STOP_DEFAULTS = {"stop_accuracy": None, "stop_cost": None, "patience": None, "checkpoint_every": 1}
_START = {"stop_accuracy": 97.0, "stop_cost": 0.01, "patience": 10}



def set_clamped(spin, value) -> None:
    """Set ``spin`` (a QSpinBox or QDoubleSpinBox) to ``value`` or the nearest end of its range: a
    run read from a session may hold a patience of 10¹², and a QSpinBox holds only int32."""
    kind = int if isinstance(spin, QSpinBox) else float
    spin.setValue(min(max(kind(value), spin.minimum()), spin.maximum()))

class StopConditions(QGroupBox):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__("Stop conditions and checkpoints", parent)
        form = QFormLayout(self)
        self.ticks: dict[str, QCheckBox] = {}
        self.fields: dict = {}
        specs = (("stop_accuracy", "At accuracy %", "Stop after the epoch whose accuracy (validation accuracy "
                  "when there is a validation set) reaches this percentage."),
                 ("stop_cost", "At cost", "Stop after the epoch whose training cost is at most this."),
                 ("patience", "Patience", "Stop when the validation accuracy (or cost; the training figure "
                  "without a validation set) has not improved for this many epochs."))
        for key, label, tip in specs:
            tick = QCheckBox()
            tick.setToolTip(tip)
            if key == "patience":
                field = QSpinBox()
                field.setRange(*PANEL_RANGES[key])
                field.setSuffix(" epochs")
            else:
                field = QDoubleSpinBox()
                field.setRange(*PANEL_RANGES[key])
                field.setDecimals(2 if key == "stop_accuracy" else 6)
            field.setKeyboardTracking(False)
            field.setAlignment(Qt.AlignmentFlag.AlignRight)
            field.setToolTip(tip)
            field.setValue(_START[key])
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(tick)
            row.addWidget(field, 1)
            holder = QWidget()
            holder.setLayout(row)
            form.addRow(label, holder)
            self.ticks[key], self.fields[key] = tick, field
            tick.toggled.connect(self._on_edit)
            field.valueChanged.connect(self._on_edit)
        self.checkpoint_every = QSpinBox()
        self.checkpoint_every.setRange(*PANEL_RANGES["checkpoint_every"])
        self.checkpoint_every.setKeyboardTracking(False)
        self.checkpoint_every.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.checkpoint_every.setPrefix("every ")
        self.checkpoint_every.setSuffix(" epochs")
        self.checkpoint_every.setToolTip("Keep the weights every this many epochs (and at the start and end "
                                         "of each run), to rewind to from the Runs view.")
        self.checkpoint_every.valueChanged.connect(self._on_edit)
        form.addRow("Checkpoints", self.checkpoint_every)
        self._loading = False
        self._refresh()

    def values(self) -> dict:
        out = {key: (self.fields[key].value() if self.ticks[key].isChecked() else None) for key in self.ticks}
        if out["patience"] is not None:
            out["patience"] = int(out["patience"])
        out["checkpoint_every"] = self.checkpoint_every.value()
        return out

    def set_values(self, values: dict) -> None:
        """Keys of ``STOP_DEFAULTS`` that are present (checked by the caller) set their controls."""
        self._loading = True
        try:
            for key, tick in self.ticks.items():
                if key in values:
                    tick.setChecked(values[key] is not None)
                    if values[key] is not None:
                        set_clamped(self.fields[key], values[key])
            if values.get("checkpoint_every") is not None:
                set_clamped(self.checkpoint_every, values["checkpoint_every"])
        finally:
            self._loading = False
            self._refresh()

    def set_running(self, running: bool) -> None:
        self.setEnabled(not running)

    def _refresh(self) -> None:
        for key, tick in self.ticks.items():
            self.fields[key].setEnabled(tick.isChecked())

    def _on_edit(self, *_args) -> None:
        self._refresh()
        if not self._loading:
            self.changed.emit()
