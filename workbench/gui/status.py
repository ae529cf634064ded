"""Status-bar widgets for a training run: state, epoch/batch progress, samples/s, time remaining."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

RATE_WINDOW_S = 2.0


def format_duration(seconds: float) -> str:
    """12 s, 3 min 05 s, 2 h 07 min."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def format_rate(rate: float) -> str:
    if rate >= 1e6:
        return f"{rate / 1e6:.2f} M samples/s"
    if rate >= 1e4:
        return f"{rate / 1e3:.0f} k samples/s"
    if rate >= 1e3:
        return f"{rate / 1e3:.1f} k samples/s"
    return f"{rate:.0f} samples/s"


class TrainingStatus:
    """Owns the permanent widgets of the status bar and turns batch records into text."""

    def __init__(self, bar: QStatusBar):
        self.state = QLabel("Ready")
        self.position = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("%p%")
        self.progress.setFixedWidth(160)
        self.progress.setToolTip("Progress of the current run")
        self.rate = QLabel("")
        self.rate.setToolTip("Training throughput over the last two seconds")
        self.remaining = QLabel("")
        self.remaining.setToolTip("Estimated time until the run's last epoch ends")
        # Fixed widths: changing texts must not re-layout the status bar several times a second.
        metrics = bar.fontMetrics()
        for label, sample in ((self.state, "Weights reset"),
                              (self.position, "Epoch 00000 (000 of 000 in this run)  ·  batch 00000 / 00000"),
                              (self.rate, "000.0 k samples/s (average)"), (self.remaining, "00 min 00 s left")):
            label.setFixedWidth(metrics.horizontalAdvance(sample) + 8)
        for label in (self.state, self.position):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for widget in (self.state, self.position, self.progress, self.rate, self.remaining):
            bar.addPermanentWidget(widget)
        for widget in (self.position, self.progress, self.rate, self.remaining):
            widget.hide()
        self._samples: deque = deque()
        self.last_rate = 0.0
        self._run_started = None
        self._run_done = 0
        self._paused_since = None
        self._paused_total = 0.0
        self._last = None
        self._epochs = 1

    def start_run(self, epochs: int) -> None:
        """A run of ``epochs`` epochs (numbered from 1 within the run) begins now."""
        self._epochs = max(1, int(epochs))
        self._samples.clear()
        self._run_started = time.perf_counter()
        self._paused_since = None
        self._paused_total = 0.0
        self._run_done = 0
        self._last = None
        self.last_rate = 0.0
        self.progress.setValue(0)
        for widget in (self.position, self.progress, self.rate, self.remaining):
            widget.show()
        self.position.setText(f"Epoch 0 / {self._epochs}")
        self.rate.setText("")
        self.remaining.setText("")

    def set_epochs(self, epochs: int) -> None:
        """Change the running run's planned number of epochs (e.g. a one-epoch step resumed into a
        full run); never below the epoch it has reached. The text and bar follow at once."""
        if self._run_started is None:
            return
        reached = self._last[0].epoch if self._last is not None else 0
        self._epochs = max(1, int(epochs), reached)
        if self._last is not None:
            rec, offset = self._last
            self._show_position(rec, offset)
            if self.last_rate > 0 and self._samples:
                self.remaining.setText(f"{format_duration(self._left(rec) / self.last_rate)} left")
        else:
            self.position.setText(f"Epoch 0 / {self._epochs}")

    def set_state(self, text: str) -> None:
        """Show ``text``. "Paused" starts a pause and "Training" ends it: paused time counts neither
        in the recent rate nor in the run's average (other texts, "Pausing…" or "Stopping…", leave
        the run as it is)."""
        self.state.setText(text)
        if text == "Paused":
            self._begin_pause()
        elif text == "Training":
            self._end_pause()
        if text != "Training":
            self._samples.clear()      # a pause must not count as slow training

    def pause(self) -> None:
        """The run is paused (same as ``set_state("Paused")``)."""
        self.set_state("Paused")

    def resume(self) -> None:
        """The run trains again (same as ``set_state("Training")``)."""
        self.set_state("Training")

    def _begin_pause(self) -> None:
        if self._run_started is not None and self._paused_since is None:
            self._paused_since = time.perf_counter()

    def _end_pause(self) -> None:
        if self._run_started is not None and self._paused_since is not None:
            self._paused_total += time.perf_counter() - self._paused_since
            self._paused_since = None

    def update(self, rec, epoch_offset: int = 0) -> None:
        """``rec``: the latest BatchRecord of the run (epoch numbers relative to the run).

        A record from beyond the planned epochs (the run was extended without ``set_epochs``)
        raises the plan to its epoch: the text never reads "Epoch 8 / 1".
        """
        if rec.epoch > self._epochs:
            self._epochs = rec.epoch
        self._last = (rec, epoch_offset)
        done = self._show_position(rec, epoch_offset)
        now = time.perf_counter()
        self._run_done = done
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        t0, s0 = self._samples[0]
        if now - t0 > 0.2 and done > s0:
            self.last_rate = (done - s0) / (now - t0)
            self.rate.setText(format_rate(self.last_rate))
            self.remaining.setText(f"{format_duration(self._left(rec) / self.last_rate)} left")

    def _left(self, rec) -> int:
        """Samples still to train in the run after ``rec``."""
        return max(0, self._epochs * rec.n_train - ((rec.epoch - 1) * rec.n_train + rec.samples_seen))

    def _show_position(self, rec, epoch_offset: int) -> int:
        """Set the position text and the bar for ``rec``; return the samples done in the run."""
        n = rec.n_train
        done = (rec.epoch - 1) * n + rec.samples_seen
        total = self._epochs * n
        self.progress.setValue(int(1000 * min(1.0, done / total)))
        if epoch_offset:
            where = f"Epoch {rec.epoch + epoch_offset} ({rec.epoch} of {self._epochs} in this run)"
        else:
            where = f"Epoch {rec.epoch} / {self._epochs}"
        self.position.setText(f"{where}  ·  batch {rec.batch} / {rec.batches_in_epoch}")
        return done

    def end_run(self, text: str) -> None:
        """The run is over: show ``text`` and the run's average throughput, paused time excluded."""
        self.state.setText(text)
        self.remaining.setText("")
        self.remaining.hide()
        self._samples.clear()
        started = self._run_started
        if started is not None and self._run_done:
            self._end_pause()
            training = time.perf_counter() - started - self._paused_total
            self.last_rate = self._run_done / max(1e-9, training)
            self.rate.setText(f"{format_rate(self.last_rate)} (average)")
        self._run_started = None
        self._last = None

    def clear(self, text: str = "Ready") -> None:
        """No run: an idle status bar."""
        self.state.setText(text)
        for label in (self.position, self.rate, self.remaining):
            label.setText("")
        for widget in (self.position, self.progress, self.rate, self.remaining):
            widget.hide()       # an idle status bar shows only its state, on the right
        self._samples.clear()
        self._run_started = None
        self._last = None
