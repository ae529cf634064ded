"""What the window does about runs: Train, Pause/Resume, Step, Stop and Reset Weights, the
confirmation of a long run, and the window's answer to the training controller's signals (status
bar, warnings, messages at the end).

``RunControl`` is a mixin of ``MainWindow``: it expects ``self.experiment``, ``self.controller``,
``self.clock``, ``self.status``, the panels and ``self.actions``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from workbench.gui.controller import OUTCOME_LABELS
from workbench.gui.status import format_duration, format_rate

LONG_RUN_S = 180        # a run estimated to take longer is confirmed before it starts


class RunControl:
    def reset_weights(self):
        """Fresh weights from the panel's initialisation and seed; Undo brings the old ones back."""
        exp = self.experiment
        if exp.is_training() or self.designer.validation_error():
            return
        from workbench.core import ConfigError

        self._sync_panels()
        try:
            net = exp.new_network()
        except ConfigError as exc:
            QMessageBox.warning(self, "Cannot create the network", str(exc))
            return
        exp.replace_network(net, "Reset weights")
        self.status.clear("Weights reset")

    # ======================================================================= training
    def apply_requested_settings(self, values: dict | None = None) -> None:
        """Training settings a rewind or an A/B run asked for (``Experiment.settings_requested``)
        into the training panel and the model."""
        exp = self.experiment
        values = exp.requested_settings if values is None else values
        exp.requested_settings = None
        if not values:
            return
        try:
            self.training_panel.set_values({k: v for k, v in values.items() if k != "resolution"})
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 8000)
            return
        self._on_panel_changed()

    def start_training(self, step: str | None = None) -> bool:
        """Start a run (or one step of it); returns False with the reason shown."""
        if self.is_paused() and step is None:
            self.resume_training()
            return True
        self._sync_panels()
        if self.is_training() or (step is None and not self._confirm_run_length()):
            return False
        reason = self.controller.start(step)
        if reason:
            self.training_panel.set_message(reason)
            self.statusBar().showMessage(reason, 5000)
            return False
        if self.controller.board is not None:
            self.statusBar().showMessage(f"TensorBoard log: {self.controller.board.folder}", 5000)
        return True

    def show_tensorboard_dialog(self) -> bool:
        """Training → TensorBoard Logs…; True when the choice was stored."""
        from workbench.gui.tensorboard_dialog import TensorBoardDialog

        return TensorBoardDialog(self).exec() == TensorBoardDialog.DialogCode.Accepted

    def _confirm_run_length(self) -> bool:
        """Ask before a run estimated to take longer than ``LONG_RUN_S`` (offering the settings of
        the preset for this data set, if there is one)."""
        exp = self.experiment
        if not self.confirm_long_runs or self.blocking_reason():
            return True
        from workbench.core import Hyperparameters
        from workbench.core.diagnostics import estimate_run_seconds
        from workbench.gui.presets import matching_preset

        hp, n = exp.hyperparameters, len(exp.dataset.train)
        batch = Hyperparameters(batch_size=hp["batch_size"]).effective_batch_size(n)
        seconds = estimate_run_seconds(n, batch, int(hp["epochs"]), exp.architecture["sizes"])
        if seconds <= LONG_RUN_S:
            return True
        box = QMessageBox(QMessageBox.Icon.Question, "A long run",
                          f"This run will take about {format_duration(seconds)}: {hp['epochs']:,} epochs of "
                          f"{n:,} samples in batches of {batch:,}.", parent=self)
        train = box.addButton("Train Anyway", QMessageBox.ButtonRole.AcceptRole)
        preset = matching_preset(exp.data_spec or "", exp.architecture)
        use = box.addButton(f"Use “{preset['name']}” Settings", QMessageBox.ButtonRole.ActionRole) if preset else None
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if use is not None and box.clickedButton() is use:
            self.training_panel.set_values(preset["hyperparameters"])
            self._on_panel_changed()
            return False
        return box.clickedButton() is train

    def toggle_pause(self):
        if self.controller.is_paused():
            self.resume_training()
        elif self.is_training():
            self.pause_training()
        else:
            self.actions["pause"].setChecked(False)

    def pause_training(self):
        if self.experiment.run_state == "running":
            self.controller.pause()
            self.status.set_state("Pausing…")

    def resume_training(self):
        if self.controller.is_paused():
            self.controller.resume()

    def step(self, unit: str):
        self._sync_panels()
        reason = self.controller.step(unit)
        if reason:
            self.training_panel.set_message(reason)
            self.statusBar().showMessage(reason, 5000)

    def stop_training(self, wait: bool = False):
        self.controller.stop(wait)

    def _on_run_started(self, epochs: int):
        self._run_warning = None
        self.status.start_run(epochs)
        self.status.set_state("Training")
        self.clock.run_started()

    def _on_run_state(self, state: str):
        labels = {"running": "Training", "paused": "Paused", "stopping": "Stopping…"}
        if state in labels:
            self.status.set_state(labels[state])
        if state == "paused":
            self.clock.draw_now()
        self._update_actions()

    def _on_run_warning(self, text: str):
        self._run_warning = text
        self.statusBar().showMessage(text, 15000)
        self.training_panel.set_message(text)
        self.experiment.add_marker("cost swings")

    def _on_run_finished(self, outcome: str, message: str):
        self.clock.run_ended()
        label = OUTCOME_LABELS.get(outcome, outcome.title())
        self.status.end_run(label)
        rate = f" ({format_rate(self.status.last_rate)} on average)" if self.status.last_rate else ""
        if outcome == "completed" and message:         # a stop condition was met
            self.statusBar().showMessage(message, 15000)
        else:
            self.statusBar().showMessage(f"Training {label.lower()} after {self.experiment.epochs_trained} "
                                         f"epochs{rate}.", 8000)
        self._update_actions()
        if outcome == "diverged" and message:
            QMessageBox.warning(self, "Training diverged", message)
        elif outcome == "failed":
            QMessageBox.critical(self, "Training failed", message)
        if self._deferred_load is not None and not self.is_training():
            self._on_data_loaded(*self._deferred_load)
        self.training_finished.emit(outcome)
