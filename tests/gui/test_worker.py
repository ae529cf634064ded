"""TrainingThread: runs the core generator off the GUI thread; pause, stop, step, live changes.

The worker trains in chunks (``train(..., chunked=True)``); the tests marked ``chunked`` also run
with a generator that yields one BatchRecord a batch (``chunked=False``), which must work too."""

import numpy as np
import pytest

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads  # noqa: F401  (autouse fixtures)
from workbench.core import BatchRecord, Diverged, EpochRecord, Hyperparameters, Network, train
from workbench.core.training import BatchChunk
from workbench.gui.worker import TrainingThread


def _problem(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    labels = (X[:, 0] + X[:, 1] > 0).astype(int)
    Y = np.eye(2, dtype=np.float32)[labels]
    net = Network.create([3, 4, 2], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(1))
    return net, X, Y


def _thread(epochs=5, batch_size=8, lr=0.5, chunked=True, **kw):
    net, X, Y = _problem()
    hp = Hyperparameters(lr=lr, batch_size=batch_size, epochs=epochs)
    return TrainingThread(train, net, X, Y, hp, {"rng": np.random.default_rng(0), "chunked": chunked}, **kw)


def _flat(records) -> list:
    """The records with every BatchChunk written out as its BatchRecords."""
    out = []
    for r in records:
        out.extend(r.records() if isinstance(r, BatchChunk) else [r])
    return out


def _kinds(records) -> list:
    return [type(r) for r in _flat(records)]


def _finish(qtbot, thread):
    with qtbot.waitSignal(thread.finished, timeout=10_000):
        thread.start()
    thread.wait()


@pytest.mark.parametrize("chunked", [True, False])
def test_runs_to_completion_and_buffers_records(qtbot, chunked):
    thread = _thread(epochs=3, chunked=chunked)
    _finish(qtbot, thread)
    assert thread.outcome == "completed"
    assert thread.pending_batches() == 3 * 8 + 4
    records = thread.drain()
    assert thread.pending_batches() == 0
    assert all(type(r) is (BatchChunk if chunked else BatchRecord) for r in records if not isinstance(r, EpochRecord))
    assert all(r.bias_gradients is None for r in records if not isinstance(r, EpochRecord))   # kept light
    records = _flat(records)
    epochs = [r for r in records if isinstance(r, EpochRecord)]
    batches = [r for r in records if isinstance(r, BatchRecord)]
    assert [e.epoch for e in epochs] == [0, 1, 2, 3]
    assert len(batches) == 3 * 8
    assert thread.drain() == []
    serial, weights, biases, grads = thread.snapshot()
    assert serial >= 2 and len(weights) == 2 and grads is not None
    np.testing.assert_array_equal(weights[0], thread.net.weights[0])


def test_stop_ends_an_endless_run(qtbot):
    thread = _thread(epochs=None)
    thread.start()
    qtbot.waitUntil(lambda: thread.pending_records() > 20, timeout=10_000)
    with qtbot.waitSignal(thread.finished, timeout=2_000):
        thread.stop()
    assert thread.outcome == "stopped"


def test_pause_blocks_and_stop_wakes_a_paused_run(qtbot):
    thread = _thread(epochs=None)
    thread.start()
    qtbot.waitUntil(lambda: thread.pending_records() > 5, timeout=10_000)
    with qtbot.waitSignal(thread.paused_changed, timeout=2_000) as blocker:
        thread.pause()
    assert blocker.args == [True]
    assert thread.is_paused()
    before = thread.pending_records()
    qtbot.wait(50)  # let a running worker (it should not be) produce more
    assert thread.pending_records() == before
    with qtbot.waitSignal(thread.finished, timeout=1_000):
        thread.stop()
    assert thread.outcome == "stopped"


def test_resume_continues(qtbot):
    thread = _thread(epochs=None)
    thread.start()
    qtbot.waitUntil(lambda: thread.pending_records() > 0, timeout=10_000)
    with qtbot.waitSignal(thread.paused_changed, timeout=2_000):
        thread.pause()
    thread.drain()
    with qtbot.waitSignal(thread.paused_changed, timeout=2_000, check_params_cb=lambda p: not p):
        thread.resume()
    qtbot.waitUntil(lambda: thread.pending_records() > 10, timeout=10_000)
    with qtbot.waitSignal(thread.finished, timeout=2_000):
        thread.stop()
    assert thread.outcome == "stopped"


@pytest.mark.parametrize("chunked", [True, False])
def test_step_batch_and_step_epoch(qtbot, chunked):
    thread = _thread(epochs=None, step="batch", chunked=chunked)
    with qtbot.waitSignal(thread.paused_changed, timeout=10_000,
                          check_params_cb=lambda paused: paused):
        thread.start()
    records = thread.drain()
    assert _kinds(records) == [EpochRecord, BatchRecord]   # epoch 0, then one batch
    with qtbot.waitSignal(thread.paused_changed, timeout=10_000, check_params_cb=lambda p: p):
        thread.step("batch")
    assert _kinds(thread.drain()) == [BatchRecord]
    with qtbot.waitSignal(thread.paused_changed, timeout=10_000, check_params_cb=lambda p: p):
        thread.step("epoch")
    records = _flat(thread.drain())
    # One epoch's worth (8 batches of 8 from 64 items): from after batch 2 of epoch 1 to the same
    # place in epoch 2, with epoch 1's summary on the way.
    assert sum(isinstance(r, BatchRecord) for r in records) == 8
    assert [r.epoch for r in records if isinstance(r, EpochRecord)] == [1]
    assert (records[-1].epoch, records[-1].batch) == (2, 2)
    with qtbot.waitSignal(thread.finished, timeout=2_000):
        thread.stop()


@pytest.mark.parametrize("chunked", [True, False])
def test_step_epoch_at_an_epoch_boundary_ends_after_the_summary(qtbot, chunked):
    thread = _thread(epochs=None, batch_size=64, step="epoch", chunked=chunked)      # one batch an epoch
    with qtbot.waitSignal(thread.paused_changed, timeout=10_000, check_params_cb=lambda p: p):
        thread.start()
    assert _kinds(thread.drain()) == [EpochRecord, BatchRecord, EpochRecord]
    with qtbot.waitSignal(thread.paused_changed, timeout=10_000, check_params_cb=lambda p: p):
        thread.step("epoch")
    records = _flat(thread.drain())
    assert [type(r) for r in records] == [BatchRecord, EpochRecord] and records[-1].epoch == 2
    with qtbot.waitSignal(thread.finished, timeout=2_000):
        thread.stop()


def test_start_paused_waits_for_resume(qtbot):
    thread = _thread(epochs=1, start_paused=True)
    with qtbot.waitSignal(thread.paused_changed, timeout=5_000):
        thread.start()
    assert thread.pending_records() == 0
    with qtbot.waitSignal(thread.finished, timeout=10_000):
        thread.resume()
    assert thread.outcome == "completed"


def test_pending_hyperparameters_reach_the_generator(qtbot):
    thread = _thread(epochs=None, step="batch")
    with qtbot.waitSignal(thread.paused_changed, timeout=10_000, check_params_cb=lambda p: p):
        thread.start()
    thread.set_pending({"lr": 0.01, "l2": 2.0})
    with qtbot.waitSignal(thread.paused_changed, timeout=10_000, check_params_cb=lambda p: p):
        thread.step("batch")
    assert thread.hp.lr == 0.01 and thread.hp.l2 == 2.0
    with qtbot.waitSignal(thread.finished, timeout=2_000):
        thread.stop()


def test_divergence_keeps_finite_weights(qtbot):
    net, X, Y = _problem()
    net = Network.create([3, 4, 2], ["relu", "softmax"], "log-likelihood", rng=np.random.default_rng(1))
    X = X * 1e3
    hp = Hyperparameters(lr=1e8, batch_size=8, epochs=50)
    thread = TrainingThread(train, net, X, Y, hp, {"rng": np.random.default_rng(0)})
    with qtbot.waitSignal(thread.diverged, timeout=10_000) as blocker:
        thread.start()
    thread.wait()
    assert thread.outcome == "diverged"
    assert "learning rate" in blocker.args[0]
    assert all(np.isfinite(w).all() for w in thread.net.weights)
    assert isinstance(thread.drain()[-1], Diverged)


def test_exception_is_reported_not_swallowed(qtbot):
    def broken_train(*args, **kwargs):
        yield from ()
        raise RuntimeError("boom in the generator")

    net, X, Y = _problem()
    thread = TrainingThread(broken_train, net, X, Y, Hyperparameters(), {})
    with qtbot.waitSignal(thread.failed, timeout=5_000) as blocker:
        thread.start()
    thread.wait()
    assert thread.outcome == "failed"
    assert "boom in the generator" in blocker.args[0]


def test_step_unit_is_checked():
    thread = _thread()
    with pytest.raises(ValueError):
        thread.step("week")


def test_garbage_is_collected_on_the_gui_thread_only_while_training(qtbot):
    """A collection on the worker that frees Qt objects deadlocks against the GUI thread."""
    import gc
    import weakref

    assert gc.isenabled()
    thread = _thread(epochs=None)
    thread.start()
    assert not gc.isenabled()

    class Cycle:
        pass

    cycle = Cycle()
    cycle.me = cycle
    alive = weakref.ref(cycle)
    del cycle
    due = [[] for _ in range(gc.get_threshold()[0] + 10)]   # a generation-0 collection is now due
    qtbot.waitUntil(lambda: alive() is None, timeout=2_000)   # collected by the GUI thread's timer
    del due
    with qtbot.waitSignal(thread.finished, timeout=2_000):
        thread.stop()
    thread.wait()
    assert gc.isenabled()


def test_collector_is_back_on_once_the_finished_signal_is_handled(qtbot):
    import gc

    thread = _thread(epochs=1)
    with qtbot.waitSignal(thread.finished, timeout=10_000):
        thread.start()
        assert not gc.isenabled()
    qtbot.waitUntil(gc.isenabled, timeout=1_000)       # without any wait() on the thread
