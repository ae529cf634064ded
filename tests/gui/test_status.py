"""The status bar's run read-out, on a fake clock: pauses left out of the average, runs that grow."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QStatusBar

from workbench.core import BatchRecord
from workbench.gui import status as status_module
from workbench.gui.status import TrainingStatus


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(status_module, "time", SimpleNamespace(perf_counter=fake))
    return fake


@pytest.fixture
def status(qtbot, clock):
    bar = QStatusBar()
    qtbot.addWidget(bar)
    yield TrainingStatus(bar)     # the generator holds ``bar``: its labels live as long as the test


def record(epoch, batch, *, n=1000, batch_size=100):
    return BatchRecord(epoch=epoch, batch=batch, batches_in_epoch=n // batch_size, step=batch, samples_seen=batch * batch_size,
                       n_train=n, cost=0.5, delta_norms=[], bias_gradients=[], weight_norms=[])


def train_for(status, clock, epochs, seconds_per_batch=0.1, *, first_epoch=1, offset=0):
    """Feed every batch of ``epochs`` epochs (1000 samples, batches of 100), one every 0.1 s."""
    for epoch in range(first_epoch, first_epoch + epochs):
        for batch in range(1, 11):
            clock.advance(seconds_per_batch)
            status.update(record(epoch, batch), offset)


def test_the_average_leaves_out_paused_time(status, clock):
    status.start_run(4)
    status.set_state("Training")
    train_for(status, clock, 1, seconds_per_batch=0.05)
    for batch in range(1, 10):
        clock.advance(0.05)
        status.update(record(2, batch))
    assert status.rate.text() == "2.0 k samples/s"
    status.set_state("Pausing…")                     # still training until the worker stops:
    clock.advance(0.05)
    status.update(record(2, 10))                     # 2000 samples in 1 s
    status.set_state("Paused")
    clock.advance(60)                                # a long coffee break
    status.set_state("Training")
    train_for(status, clock, 2, first_epoch=3, seconds_per_batch=0.05)   # 2000 more in 1 s
    status.end_run("Finished")
    assert status.last_rate == pytest.approx(2000)
    assert status.rate.text() == "2.0 k samples/s (average)"
    assert status.state.text() == "Finished"


def test_pause_and_resume_methods_and_a_stop_while_paused(status, clock):
    status.start_run(4)
    status.resume()
    train_for(status, clock, 1)                      # 1000 samples in 1 s
    status.pause()
    assert status.state.text() == "Paused"
    clock.advance(30)
    status.pause()                                   # a second "Paused" does not restart the pause
    clock.advance(30)
    status.resume()
    assert status.state.text() == "Training"
    train_for(status, clock, 1, first_epoch=2)
    status.pause()
    clock.advance(100)
    status.set_state("Stopping…")                    # stopped while paused: the pause lasts to the end
    clock.advance(5)
    status.end_run("Stopped")
    assert status.last_rate == pytest.approx(1000)


def test_the_recent_rate_restarts_after_a_pause(status, clock):
    status.start_run(10)
    status.set_state("Training")
    train_for(status, clock, 1)
    status.set_state("Paused")
    clock.advance(10)
    status.set_state("Training")
    train_for(status, clock, 1, first_epoch=2, seconds_per_batch=0.05)    # twice as fast now
    assert status.last_rate == pytest.approx(2000)
    assert status.remaining.text() == "4 s left"     # 8000 samples at 2000/s


def test_a_run_without_pauses_averages_over_its_wall_time(status, clock):
    status.start_run(2)
    status.set_state("Training")
    train_for(status, clock, 2, seconds_per_batch=0.2)
    clock.advance(1)                                 # the last epoch's evaluation, say
    status.end_run("Finished")
    assert status.last_rate == pytest.approx(2000 / 5)


def test_set_epochs_extends_a_step_into_a_full_run(status, clock):
    status.start_run(1)                              # one epoch step …
    status.set_state("Training")
    train_for(status, clock, 1)
    assert status.position.text() == "Epoch 1 / 1  ·  batch 10 / 10"
    assert status.progress.value() == 1000
    status.set_epochs(30)                            # … resumed into a 30-epoch run
    assert status.position.text() == "Epoch 1 / 30  ·  batch 10 / 10"
    assert status.progress.value() == 1000 // 30
    train_for(status, clock, 7, first_epoch=2)
    assert status.position.text() == "Epoch 8 / 30  ·  batch 10 / 10"
    assert status.progress.value() == int(1000 * 8 / 30)
    assert status.remaining.text() == "22 s left"    # 22 epochs of 1 s


def test_set_epochs_never_goes_below_the_epoch_reached(status, clock):
    status.start_run(30)
    train_for(status, clock, 5)
    status.set_epochs(2)
    assert status.position.text() == "Epoch 5 / 5  ·  batch 10 / 10"
    status.set_epochs(10)
    assert status.position.text() == "Epoch 5 / 10  ·  batch 10 / 10"


def test_set_epochs_before_the_first_batch(status, clock):
    status.start_run(1)
    status.set_epochs(12)
    assert status.position.text() == "Epoch 0 / 12"


def test_an_unannounced_longer_run_never_shows_an_epoch_past_the_plan(status, clock):
    status.start_run(1)
    train_for(status, clock, 8)
    assert status.position.text() == "Epoch 8 / 8  ·  batch 10 / 10"
    status.update(record(9, 3))
    assert status.position.text() == "Epoch 9 / 9  ·  batch 3 / 10"
    assert status.progress.value() == int(1000 * 8.3 / 9)


def test_a_resumed_run_shows_its_offset(status, clock):
    status.start_run(1)
    train_for(status, clock, 1, offset=7)
    assert status.position.text() == "Epoch 8 (1 of 1 in this run)  ·  batch 10 / 10"
    status.set_epochs(3)
    train_for(status, clock, 1, first_epoch=2, offset=7)
    assert status.position.text() == "Epoch 9 (2 of 3 in this run)  ·  batch 10 / 10"


def test_clear_and_idle_calls(status, clock):
    status.set_state("Paused")                       # no run: nothing to track
    status.set_epochs(5)
    status.end_run("Finished")
    assert status.last_rate == 0.0
    status.start_run(3)
    train_for(status, clock, 1)
    status.clear("Weights reset")
    assert status.state.text() == "Weights reset" and status.position.text() == ""
    assert status.position.isHidden() and status.progress.isHidden()
