"""Training runs for the window: one ``TrainingThread`` at a time, its records drained into the
Experiment's history, its weight snapshots handed to the views.

``TrainingController.drain()`` is called by the frame clock (``frame_clock.FrameClock``) about 25
times a second while a run goes; it is cheap (the batches of a frame's chunks are appended to the
``RunHistory`` as columns).  The controller never draws.
"""

from __future__ import annotations

import dataclasses
import time

from PySide6.QtCore import QObject, Signal

from workbench.core.runs import Checkpoint
from workbench.core.training import BatchChunk, BatchRecord, Stopped

from workbench.gui.experiment import Experiment
from workbench.gui.worker import TrainingThread

OUTCOME_LABELS = {"completed": "Finished", "stopped": "Stopped", "diverged": "Diverged", "failed": "Failed"}
#: Epochs between two checkpoints when the training settings do not say (``checkpoint_every``).
CHECKPOINT_EVERY = 1


class TrainingController(QObject):
    """Starts, pauses, steps and stops runs of ``experiment``.

    Signals:
    - ``started(int)``: a run began; the number of epochs it is planned for;
    - ``progress(object, int)``: the latest BatchRecord (epochs counted within the run) and the
      epochs trained before the run, at most a few times a second;
    - ``warning(str)``: something the user should know about the run (it goes on);
    - ``finished(str, str)``: the run ended: outcome ("completed", "stopped", "diverged", "failed")
      and the message that goes with it ("" when there is none; for a completed run that met a
      stop condition, that condition: "Stopped at epoch 12: accuracy 97.1 % reached ...").

    ``runs`` (a ``gui.runs.RunsKeeper``) keeps the experiment's runs and checkpoints.
    """

    started = Signal(int)
    progress = Signal(object, int)
    warning = Signal(str)
    finished = Signal(str, str)

    PROGRESS_PERIOD_S = 0.5

    def __init__(self, experiment: Experiment, parent=None):
        super().__init__(parent)
        self.experiment = experiment
        self.thread: TrainingThread | None = None
        self.last_outcome = ""
        self._offsets = (0, 0)          # epochs and steps trained before the run
        self._latest = None             # the latest BatchRecord of the run
        self._snapshot_serial = None
        self._next_progress = 0.0
        self._message = ""
        self._warned = False
        #: Why the window cannot let a run start now beyond what the experiment knows (a data set
        #: still loading would replace the data under the run), or None: set by the window.
        self.refusal = lambda: None
        #: Where the next run writes its TensorBoard log (a folder of its own in this one), or None
        #: for no log: asked at every start, steps included; set by the window.
        self.tensorboard_root = lambda: None
        self.board = None               # the current run's TensorBoardLog, or None
        from workbench.gui.runs import RunsKeeper

        self.runs = RunsKeeper(experiment, self)

    # ------------------------------------------------------------------ state
    def is_training(self) -> bool:
        return self.thread is not None

    def is_paused(self) -> bool:
        return self.experiment.run_state == "paused"

    # ------------------------------------------------------------------ control
    def start(self, step: str | None = None) -> str | None:
        """Start a run of the panel's epochs (``step``: pause after one batch / epoch of it).
        Returns None, or why it cannot start (one sentence)."""
        if self.thread is not None:
            return "A run is already going."
        exp = self.experiment
        reason = self.refusal() or exp.blocking_reason()
        if reason:
            return reason
        from workbench.core import ConfigError, Hyperparameters, train
        from workbench.core.runsetup import training_arguments

        values = exp.hyperparameters
        fields = {f.name for f in dataclasses.fields(Hyperparameters)}
        try:
            net = exp.net
            if net is None or net.architecture() != exp.architecture:
                exp.adopt_network(exp.new_network())
            elif net.dtype.name != values["dtype"]:
                exp.adopt_network(net.astype(values["dtype"]), exp.epochs_trained, exp.steps_trained,
                                  exp.history)
            hp = Hyperparameters(**{k: values[k] for k in fields if k in values})
            hp.validate(exp.net.n_layers)
        except ConfigError as exc:
            return str(exc)
        fresh = exp.epochs_trained == 0 and exp.steps_trained == 0 and exp.history.epoch_count == 0
        if fresh and (exp.history.batch_count or exp.history.markers):
            exp.reset_history()
        X, Y, kwargs = training_arguments(exp.dataset, seed=values["seed"], steps_trained=exp.steps_trained,
                                          evaluate_initial=fresh, watch=exp.watch)
        root = self.tensorboard_root()
        train_fn, problem = self._logged(train, root) if root else (train, None)
        if problem:
            return problem
        try:
            build = self.runs.starting(len(X))
            if build is not None:     # after a rewind or an A/B start: the original's batch order,
                fresh_rng = kwargs.get("rng")    # rebuilt by the training thread (TrainingThread.run)
                kwargs["rng"] = lambda stopped: build(stopped) or fresh_rng
            every = int(values.get("checkpoint_every") or CHECKPOINT_EVERY)
            thread = TrainingThread(train_fn, exp.net, X, Y, hp, kwargs, step=step, parent=self,
                                    checkpoint_every=(every, exp.epochs_trained))
        except BaseException:
            if self.board is not None:      # the run does not start: no log of it either
                self.board.discard()
                self.board = None
            raise
        thread.paused_changed.connect(self._on_paused_changed)
        thread.diverged.connect(self._remember)
        thread.failed.connect(self._remember)
        thread.finished.connect(lambda t=thread: self._on_thread_finished(t))
        self.thread = thread
        self._offsets = (exp.epochs_trained, exp.steps_trained)
        self._snapshot_serial = None
        self._next_progress = 0.0
        self._latest = None
        self._message = ""
        self._warned = False
        exp.set_run_state("running")
        self.started.emit(hp.epochs)
        thread.start()
        return None

    def _logged(self, train, root: str):
        """(``train`` wrapped to write the run's TensorBoard log in a new folder under ``root``, None), or
        (None, why the log cannot be written)."""
        from workbench.core.runs import run_settings
        from workbench.exports import ExportError
        from workbench.exports.tensorboard import open_log

        exp = self.experiment
        try:
            board = open_log(root, run_settings(exp.architecture, exp.hyperparameters, exp.data_spec),
                             exp.name, classification=exp.dataset.task == "classification")
        except ExportError as exc:
            return None, f"{exc} (Training → TensorBoard Logs… turns the logs off.)"
        self.board = board
        epoch_off, step_off = exp.epochs_trained, exp.steps_trained

        def logged_train(net, X, Y, hp, **kwargs):
            return board.follow(train(net, X, Y, hp, **kwargs), net, hp, epoch_off=epoch_off, step_off=step_off,
                                watch=kwargs.get("watch", ()))

        return logged_train, None

    def pause(self) -> None:
        if self.thread is not None and self.experiment.run_state == "running":
            self.thread.pause()

    def resume(self) -> None:
        if self.thread is not None:
            self.thread.resume()
            self.experiment.set_run_state("running")

    def step(self, unit: str) -> str | None:
        """One batch or one epoch, then pause (starts a run when idle)."""
        if self.thread is None:
            return self.start(step=unit)
        self.thread.step(unit)
        self.experiment.set_run_state("running")
        return None

    def stop(self, wait: bool = False) -> None:
        """Ask the run to stop after the current chunk; ``wait``: until its thread has ended."""
        thread = self.thread
        if thread is None:
            return
        thread.stop()
        self.experiment.set_run_state("stopping")
        if wait:
            thread.wait()
            self._on_thread_finished(thread)

    def set_live(self, name: str, old: float, new: float) -> None:
        """η, α or λ changed during a run: applied from the next chunk, marked on the plots."""
        if self.thread is not None:
            from workbench.gui.panels.training_panel import LIVE_SYMBOLS

            self.thread.set_pending({name: new})
            self.experiment.add_marker(f"{LIVE_SYMBOLS[name]} {old:g} → {new:g}")

    def set_watch(self, watch) -> None:
        if self.thread is not None:
            self.thread.set_pending({"watch": list(watch)})

    # ------------------------------------------------------------------ records
    def drain(self, report: bool = False) -> bool:
        """Move the worker's records into the history; True when any arrived.  ``report``: send
        the latest batch to ``progress`` now (a pause, the end of a run), not at its pace."""
        thread = self.thread
        if thread is None:
            return False
        from workbench.core import EpochRecord

        snap = thread.snapshot()        # taken before the records: the history gets to its step
        records = thread.drain()
        exp = self.experiment
        epoch_off, step_off = self._offsets
        batches = [r for r in records if type(r) is BatchChunk or type(r) is BatchRecord]
        epochs = [r for r in records if type(r) is EpochRecord]
        for r in records:
            if type(r) is Checkpoint:
                self.runs.checkpoint(r)
            elif type(r) is Stopped:
                self._message = r.message(epoch_off)
        if batches:
            exp.history.add_batches(batches, epoch_offset=epoch_off, step_offset=step_off)
            last = batches[-1]
            self._latest = last.last() if type(last) is BatchChunk else last
            exp.steps_trained = step_off + self._latest.step
        # ``report`` sends the run's latest batch whatever this collection held: none, or only the
        # epoch's summary (its batches were collected, unreported, while the epoch was evaluated).
        now = time.perf_counter()
        if self._latest is not None and (report or (batches and now >= self._next_progress)):
            self._next_progress = now + self.PROGRESS_PERIOD_S
            self.progress.emit(self._latest, epoch_off)
        if epochs:
            exp.history.add_epochs(epochs, epoch_offset=epoch_off)
            exp.epochs_trained = max(exp.epochs_trained, epoch_off + epochs[-1].epoch)
        self._hand_over(thread, snap)
        if not records:
            return False
        exp.notify_appended()
        for rec in epochs:
            if rec.epoch:
                exp.epoch_finished.emit(epoch_off + rec.epoch)
        if epochs and not self._warned:
            self._check_oscillation()
        return True

    def _hand_over(self, thread, snap) -> None:
        """A new weights snapshot to the views (after the history holds the batches behind it),
        with the update ratios measured right after it when they have been."""
        if snap is not None and snap[0] != self._snapshot_serial:
            self._snapshot_serial = snap[0]
            ratios = thread.update_ratios()
            own = ratios is not None and ratios[0] == snap[0]
            self.experiment.set_snapshot(*snap[1:], update_ratios=ratios[1] if own else None)

    def _check_oscillation(self) -> None:
        from workbench.core.diagnostics import oscillation

        note = oscillation(self.experiment.history.train_cost(), lr=self.thread.hp.lr)
        if note:
            self._warned = True
            self.warning.emit(note)

    # ------------------------------------------------------------------ thread events
    def _remember(self, message: str) -> None:
        self._message = message

    def _on_paused_changed(self, paused: bool) -> None:
        if self.thread is None or self.experiment.run_state == "stopping":
            return
        if paused and not self.thread.is_paused():      # a late signal from before a quick Resume
            return
        if paused:
            self.drain(report=True)
        self.experiment.set_run_state("paused" if paused else "running")

    def _on_thread_finished(self, thread: TrainingThread) -> None:
        if thread is not self.thread:
            return
        thread.wait()           # `finished` is emitted just before run() returns: let it return
        self.drain(report=True)
        self.thread = None
        if self.board is not None:      # closed already, unless the run stopped before it trained
            self.board.close()
            self.board = None
        outcome = thread.outcome
        self.last_outcome = outcome
        message = self._message
        if outcome == "failed":
            details = thread.error_message.strip().splitlines()
            message = (f"Training stopped because of an error:\n\n{details[-1] if details else 'unknown error'}"
                       "\n\nThe weights from before the failing batch were kept.")
        exp = self.experiment
        if outcome == "diverged":
            exp.add_marker("diverged")
        latest = self._latest
        epoch_end = latest is not None and latest.samples_seen >= latest.n_train
        self.runs.ended(epoch_end, latest.epoch if latest is not None else 0,
                        message if outcome == "completed" and message else None)
        exp.run_finished()
        exp.set_run_state("idle")
        thread.deleteLater()
        self.finished.emit(outcome, message)

