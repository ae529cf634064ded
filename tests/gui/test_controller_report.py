"""The status bar gets the run's last batch at the end of a run, even when the last collection held
only the epoch's summary (its batches were collected unreported while the epoch was evaluated)."""

from types import SimpleNamespace

from workbench.core import BatchRecord, EpochRecord
from workbench.gui.controller import TrainingController
from workbench.gui.experiment import Experiment


class FakeThread:
    def __init__(self):
        self.queue = []
        self.hp = SimpleNamespace(lr=0.1)

    def drain(self):
        taken, self.queue = self.queue, []
        return taken

    def snapshot(self):
        return None

    def update_ratios(self):
        return None


def _batch(b):
    return BatchRecord(epoch=1, batch=b, batches_in_epoch=3, step=b, samples_seen=10 * b, n_train=30,
                       cost=1.0, delta_norms=[0.1], bias_gradients=None, weight_norms=[1.0])


def test_the_final_report_repeats_the_last_batch_when_only_the_epoch_summary_is_left(qtbot):
    exp = Experiment()
    exp.reset_history()
    ctl = TrainingController(exp)
    ctl.thread = FakeThread()
    shown = []
    ctl.progress.connect(lambda rec, _off: shown.append(rec.batch))
    ctl.thread.queue = [_batch(1)]
    ctl.drain()                                  # the first batch is reported at once
    ctl.thread.queue = [_batch(2), _batch(3)]
    ctl.drain()                                  # within the progress period: not reported
    assert shown == [1]
    ctl.thread.queue = [EpochRecord(epoch=1, train_cost=1.0, train_accuracy=None, val_cost=None,
                                    val_accuracy=None, delta_norms=[0.1], weight_norms=[1.0], seconds=0.1,
                                    samples_per_second=300.0)]
    ctl.drain(report=True)
    assert shown == [1, 3]


def test_update_ratios_go_with_their_own_snapshot_only(qtbot):
    import numpy as np

    exp = Experiment()
    exp.reset_history()
    ctl = TrainingController(exp)
    thread = ctl.thread = FakeThread()
    weights, biases = [np.ones((2, 1), np.float32)], [np.zeros(1, np.float32)]
    thread.snapshot = lambda: (5, weights, biases, None)
    thread.update_ratios = lambda: (4, [0.5])          # measured after the previous snapshot
    ctl.drain()
    assert exp.update_ratios is None
    thread.snapshot = lambda: (6, weights, biases, None)
    thread.update_ratios = lambda: (6, [0.25])
    ctl.drain()
    assert exp.update_ratios == [0.25]
