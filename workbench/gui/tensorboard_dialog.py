"""Training → TensorBoard Logs…: whether every run writes a TensorBoard log, and where.

Each run gets a folder of its own, ``<folder>/<time>-<session name>`` (``workbench.exports.tensorboard``);
``tensorboard --logdir <folder>`` shows them side by side. The choice is the user's, kept in the
settings file, not the session's.
"""

from __future__ import annotations

import os
import shlex

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout)

from workbench.gui import settings

DEFAULT_FOLDER = os.path.join("~", "workbench-runs")


def log_folder() -> str:
    """The folder runs log into, with ~ expanded (the default where none is set)."""
    return os.path.expanduser(settings.value("tensorboard/folder") or DEFAULT_FOLDER)


def log_root() -> str | None:
    """Where the next run writes its TensorBoard log, or None where logs are off."""
    return log_folder() if settings.value("tensorboard/enabled") else None


def folder_problem(text: str) -> str | None:
    """Why ``text`` cannot be the log folder (one sentence), or None."""
    text = text.strip()
    if not text:
        return "Choose a folder for the logs."
    path = os.path.expanduser(text)
    if not os.path.isabs(path):           # relative to wherever the app was started: never what is meant
        return f"Give the folder's whole path (such as {DEFAULT_FOLDER}), not {text}."
    from workbench.exports.tensorboard import root_problem

    return root_problem(path)


class TensorBoardDialog(QDialog):
    """The check box, the folder and how to look at the logs; OK stores them (when they are usable)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        from workbench.exports.tensorboard import tensorboard_available

        self.setWindowTitle("TensorBoard Logs")
        self.missing = tensorboard_available()
        layout = QVBoxLayout(self)
        self.enabled = QCheckBox("&Write a TensorBoard log for every run")
        self.enabled.setChecked(bool(settings.value("tensorboard/enabled")) and not self.missing)
        self.enabled.setEnabled(not self.missing)
        layout.addWidget(self.enabled)
        row = QHBoxLayout()
        row.addWidget(QLabel("&Folder:"))
        self.folder = QLineEdit(settings.value("tensorboard/folder") or DEFAULT_FOLDER)
        row.itemAt(0).widget().setBuddy(self.folder)
        row.addWidget(self.folder, 1)
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        layout.addLayout(row)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.hint)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setObjectName("problem")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.folder.textChanged.connect(self._update)
        self.enabled.toggled.connect(self._update)
        self._update()
        self.setMinimumWidth(520)

    def _browse(self) -> None:
        start = os.path.expanduser(self.folder.text().strip() or DEFAULT_FOLDER)
        chosen = QFileDialog.getExistingDirectory(self, "Folder for TensorBoard logs",
                                                  start if os.path.isdir(start) else os.path.expanduser("~"))
        if chosen:
            self.folder.setText(chosen)

    def _update(self) -> None:
        text = self.folder.text().strip()
        folder = os.path.expanduser(text or DEFAULT_FOLDER)
        lines = ["Every run gets a folder of its own in this one, with its costs, accuracies, learning speeds "
                 "‖δˡ‖, followed gradients, histograms of the weights and of ∂C/∂b, and its settings.",
                 f"To look at them: tensorboard --logdir {shlex.quote(folder)}"]
        self.hint.setText("\n\n".join(lines))
        problem = self.missing or (folder_problem(text) if self.enabled.isChecked() else None)
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))

    def accept(self) -> None:
        problem = folder_problem(self.folder.text()) if self.enabled.isChecked() else None
        if problem:
            self.problem.setText(problem)
            self.problem.setVisible(True)
            return
        settings.set_value("tensorboard/enabled", self.enabled.isChecked())
        settings.set_value("tensorboard/folder", self.folder.text().strip())
        super().accept()
