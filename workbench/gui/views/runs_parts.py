"""The runs view's dialogs: choose a checkpoint to rewind to, and the one setting of an A/B run."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QVBoxLayout)

from workbench.core.runs import AB_KEYS, ab_value, setting_text

#: What the A/B dialog calls each setting it can change.
AB_LABELS = {"lr": "Learning rate η", "momentum": "Momentum α", "batch_size": "Batch size (or full)",
             "l2": "L2 strength λ", "layer_lr": "Layer multipliers of η (e.g. 4, 2, 1; or off)",
             "optimizer": "Optimizer (sgd, momentum, nesterov)", "epochs": "Epochs",
             "stop_accuracy": "Stop at accuracy % (or off)", "stop_cost": "Stop at cost (or off)",
             "patience": "Patience in epochs (or off)"}


def checkpoint_text(c, history) -> str:
    """"epoch 4 (batch 16): cost 0.231, accuracy 75.0 %, validation 70.0 %" — the figures of
    ``history``'s summary of that epoch; none for a checkpoint past its epoch's end (a press
    stopped mid-epoch: the history holds batches of the next epoch up to it) or without a summary."""
    text = f"epoch {c.epochs:,} (batch {c.steps:,})"
    rows = np.flatnonzero(np.asarray(history.epoch_number()) == c.epochs)
    later = (np.asarray(history.batch_epoch()) > c.epochs) & (np.asarray(history.batch_step()) <= c.steps)
    if not len(rows) or later.any():
        return text + (": mid-epoch" if later.any() else "")
    i = rows[-1]
    figures = []
    cost = float(np.asarray(history.train_cost())[i])
    if math.isfinite(cost):
        figures.append(f"cost {cost:.4g}")
    if history.classification:
        for name, column in (("accuracy", history.train_accuracy()), ("validation", history.val_accuracy())):
            value = float(np.asarray(column)[i])
            if math.isfinite(value):
                figures.append(f"{name} {100 * value:.1f} %")
    return text + (": " + ", ".join(figures) if figures else "")


class RewindDialog(QDialog):
    """A list of ``run``'s checkpoints, each with its epoch and the cost and accuracy the run's
    history has for that epoch; ``chosen()`` is (epochs, steps) of the selected one."""

    def __init__(self, run, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Rewind {run.name}")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Continue from the weights at the end of:"))
        self.list = QListWidget()
        for c in run.checkpoints:
            item = QListWidgetItem(checkpoint_text(c, run.history))
            item.setData(256, (c.epochs, c.steps))
            self.list.addItem(item)
        self.list.setCurrentRow(max(0, self.list.count() - 1))
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout.addWidget(self.list)
        layout.addWidget(QLabel("The run's later history stays in the table as its own run."))
        optimizer = run.settings.get("hyperparameters", {}).get("optimizer")
        if optimizer in ("momentum", "nesterov"):
            note = QLabel(f"This run uses {optimizer}: a checkpoint keeps the weights, not the momentum, "
                          "so the continued run starts its momentum afresh and follows the original "
                          "closely but not bit for bit (with plain SGD it is the same run exactly).")
            note.setWordWrap(True)
            layout.addWidget(note)
            self.momentum_note = note
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self):
        item = self.list.currentItem()
        return None if item is None else item.data(256)


class ABDialog(QDialog):
    """One setting of ``run`` to change for a B run, validated before the dialog closes."""

    def __init__(self, run, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"A/B run from {run.name}")
        self._hp = run.settings["hyperparameters"]
        self._layers = len(run.settings["architecture"]["sizes"]) - 1
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The B run starts from the same initial weights and draws the same "
                                "batches; change one setting:"))
        form = QFormLayout()
        self.key = QComboBox()
        for key in AB_KEYS:
            self.key.addItem(AB_LABELS[key], key)
        self.value = QLineEdit()
        form.addRow("Setting", self.key)
        form.addRow("New value", self.value)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.key.currentIndexChanged.connect(self._show_current)
        self._show_current()

    def _show_current(self) -> None:
        self.value.setText(setting_text(self._hp.get(self.key.currentData())))
        self.problem.setText(f"A's value: {self.value.text()}")

    def choice(self) -> tuple[str, str]:
        return self.key.currentData(), self.value.text()

    def _accept(self) -> None:
        key, text = self.choice()
        _value, problem = ab_value(key, text, self._layers)
        if problem:
            self.problem.setText(problem)
            return
        self.accept()
