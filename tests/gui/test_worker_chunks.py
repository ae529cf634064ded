"""The worker's chunked training: steps stay exact, pause and stop act within 0.1 s, changes apply
from the next chunk, update ratios measure one batch, and the window's history gets every batch."""

import time

import numpy as np
import pytest

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, window  # noqa: F401  (fixtures)
from workbench.core import EpochRecord, Hyperparameters, Network, kernel, train
from workbench.core.training import BatchChunk, BatchRecord
from workbench.gui.worker import TrainingThread

ENGINES = ["numpy", pytest.param("compiled", marks=pytest.mark.skipif(
    not kernel.available(), reason="numba is not installed"))]


def _problem(n=2000, sizes=(20, 30, 10), dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], n)]
    net = Network.create(list(sizes), ["sigmoid"] * (len(sizes) - 1), "cross-entropy",
                         rng=np.random.default_rng(1), dtype=dtype)
    return net, X, Y


def _thread(engine, n=2000, batch_size=10, epochs=None, train_fn=train, dtype="float32", **kwargs):
    net, X, Y = _problem(n, dtype=dtype)
    hp = Hyperparameters(lr=0.1, batch_size=batch_size, epochs=epochs, momentum=0.0)
    kwargs = {"rng": np.random.default_rng(0), "engine": engine, **kwargs}
    return TrainingThread(train_fn, net, X, Y, hp, kwargs)


def _batches(records) -> list[BatchRecord]:
    out = []
    for r in records:
        if isinstance(r, BatchChunk):
            out.extend(r.records())
        elif isinstance(r, BatchRecord):
            out.append(r)
    return out


def _until(condition, timeout=1.0, poll=0.0005) -> float:
    """Seconds until ``condition()`` (the GUI thread polls: a worker needs no event loop to
    pause or end); fails after ``timeout``."""
    started = time.perf_counter()
    while not condition():
        assert time.perf_counter() - started < timeout, "timed out"
        time.sleep(poll)
    return time.perf_counter() - started


def _running(qtbot, thread, batches=20_000):
    """Start ``thread`` and let it train until it makes big chunks."""
    thread.start()
    qtbot.waitUntil(lambda: thread.pending_batches() > batches, timeout=30_000)


def _pause(qtbot, thread):
    with qtbot.waitSignal(thread.paused_changed, timeout=5_000, check_params_cb=lambda p: p):
        thread.pause()


def _stop(qtbot, thread):
    with qtbot.waitSignal(thread.finished, timeout=5_000):
        thread.stop()


@pytest.mark.parametrize("engine", ENGINES)
def test_step_batch_trains_one_batch_after_big_chunks(qtbot, engine):
    thread = _thread(engine)
    _running(qtbot, thread)
    _pause(qtbot, thread)
    records = thread.drain()
    assert max(len(r) for r in records if isinstance(r, BatchChunk)) > 1      # it was training in chunks
    last = _batches(records)[-1]
    for _ in range(3):
        with qtbot.waitSignal(thread.paused_changed, timeout=5_000, check_params_cb=lambda p: p):
            thread.step("batch")
        got = _batches(thread.drain())
        assert [r.step for r in got] == [last.step + 1]
        last = got[0]
    _stop(qtbot, thread)


@pytest.mark.parametrize("engine", ENGINES)
def test_step_epoch_trains_one_epoch_exactly(qtbot, engine):
    thread = _thread(engine, n=1000, batch_size=10)       # 100 batches an epoch
    _running(qtbot, thread, batches=5_000)
    _pause(qtbot, thread)
    before = thread.drain()
    last = _batches(before)[-1]
    with qtbot.waitSignal(thread.paused_changed, timeout=5_000, check_params_cb=lambda p: p):
        thread.step("epoch")
    records = thread.drain()
    got = _batches(records)
    assert [r.step for r in got] == list(range(last.step + 1, last.step + 101))
    summaries = [r.epoch for r in records if isinstance(r, EpochRecord)]
    if last.samples_seen < last.n_train:     # from mid-epoch to the same place in the next
        assert (got[-1].epoch, got[-1].batch) == (last.epoch + 1, last.batch)
        assert summaries == [last.epoch]
    else:                                    # from an epoch's end to the end of the next, its summary last
        assert (got[-1].epoch, got[-1].batch) == (last.epoch + 1, 100)
        ended = [] if isinstance(before[-1], EpochRecord) else [last.epoch]   # paused before its summary
        assert summaries == ended + [last.epoch + 1] and isinstance(records[-1], EpochRecord)
    _stop(qtbot, thread)


@pytest.mark.parametrize("engine", ENGINES)
def test_pause_and_stop_act_within_a_tenth_of_a_second(qtbot, engine):
    thread = _thread(engine)
    _running(qtbot, thread)
    thread.pause()
    _until(thread.is_paused)
    took = []
    for _ in range(3):
        thread.resume()
        qtbot.waitUntil(lambda: not thread.is_paused(), timeout=2_000)
        count = thread.pending_batches()
        qtbot.waitUntil(lambda: thread.pending_batches() > count + 1000, timeout=10_000)   # going again
        thread.pause()
        took.append(_until(thread.is_paused))
        trained = thread.pending_batches()
        time.sleep(0.05)
        assert thread.pending_batches() == trained          # paused means paused
    assert max(took) < 0.1, took
    thread.resume()
    qtbot.waitUntil(lambda: not thread.is_paused(), timeout=2_000)
    thread.stop()
    assert _until(thread.isFinished) < 0.1
    thread.wait()
    assert thread.outcome == "stopped"


def test_a_pending_change_applies_from_the_next_chunk(qtbot):
    """The request comes while chunk 5 is trained: chunk 6 is trained with it, chunk 5 not."""
    seen = []                                  # (chunks yielded so far, η when the next one begins)
    holder = {}

    def spying_train(net, X, Y, hp, **kwargs):
        chunks = 0
        for rec in train(net, X, Y, hp, **kwargs):
            if isinstance(rec, BatchChunk):
                chunks += 1
                if chunks == 5:
                    holder["thread"].set_pending({"lr": 0.01, "l2": 1.0})
            yield rec
            if isinstance(rec, BatchChunk):
                seen.append((chunks, hp.lr, hp.l2))
            if chunks == 8:
                return

    thread = holder["thread"] = _thread("numpy", train_fn=spying_train)
    with qtbot.waitSignal(thread.finished, timeout=10_000):
        thread.start()
    assert thread.outcome == "completed"
    assert seen == [(k, 0.1, 0.0) for k in range(1, 5)] + [(k, 0.01, 1.0) for k in range(5, 9)]


@pytest.mark.parametrize("engine", ENGINES)
def test_update_ratios_measure_the_update_of_one_batch(qtbot, engine):
    """Full-batch training with summaries rare, so that chunks span many batches: the ratio after
    a snapshot is still the one batch's −η ∂C/∂W recomputed from the snapshot's weights."""
    thread = _thread(engine, n=64, batch_size="full", dtype="float64", evaluate_every=10**6)
    _running(qtbot, thread, batches=5_000)
    match = {}

    def measured():
        snap, ratios = thread.snapshot(), thread.update_ratios()
        if ratios is not None and snap is not None and ratios[0] == snap[0]:
            match["snap"], match["ratios"] = snap, ratios[1]
        return bool(match)

    qtbot.waitUntil(measured, timeout=5_000)
    polls = []                   # every snapshot gets its ratios, a batch after it was taken
    for _ in range(40):
        snap, ratios = thread.snapshot(), thread.update_ratios()
        polls.append(ratios is not None and ratios[0] == snap[0])
        qtbot.wait(10)
    assert sum(polls) > len(polls) // 2, polls
    records = thread.drain()
    _stop(qtbot, thread)
    assert max(len(r) for r in records if isinstance(r, BatchChunk)) > 1
    _, weights, biases, _ = match["snap"]
    net = Network.create(list(thread.net.sizes), thread.net.activations, thread.net.cost, dtype="float64")
    net.weights[:] = [w.copy() for w in weights]
    net.biases[:] = [b.copy() for b in biases]
    _, grad_w, _, _ = net.backprop(thread._X, thread._Y)
    expected = [0.1 * np.linalg.norm(g) / np.linalg.norm(w) for g, w in zip(grad_w, weights)]
    np.testing.assert_allclose(match["ratios"], expected, rtol=1e-6)


def test_the_window_history_gets_every_batch_of_a_chunked_run(qtbot, window):
    window.training_panel.set_values({"batch_size": 1, "epochs": 200})      # XOR online: 800 batches
    with qtbot.waitSignal(window.training_finished, timeout=20_000):
        assert window.start_training()
    history = window.experiment.history
    assert history.batch_count == 800 and window.experiment.steps_trained == 800
    np.testing.assert_array_equal(history.batch_step(), np.arange(1, 801))
    np.testing.assert_array_equal(history.batch_epoch(), np.repeat(np.arange(1, 201), 4))
    np.testing.assert_array_equal(history.batch_index(), np.tile(np.arange(1, 5), 200))
    assert "batch 4 / 4" in window.status.position.text()
    window.training_panel.set_values({"epochs": 5})
    with qtbot.waitSignal(window.training_finished, timeout=20_000):
        assert window.start_training()
    np.testing.assert_array_equal(history.batch_step(), np.arange(1, 821))


class _SmallChunks:
    """A Pace that keeps every chunk at two batches."""
    seconds, limit, once = 0.003, 2, None


def test_the_kernel_warm_up_prepares_both_precisions_unless_numpy_is_asked(monkeypatch, qtbot):
    import gc

    from workbench.app import start_kernel_warmup

    monkeypatch.setenv("WORKBENCH_ENGINE", "numpy")
    assert start_kernel_warmup() is None
    monkeypatch.delenv("WORKBENCH_ENGINE")
    assert gc.isenabled()
    thread = start_kernel_warmup()
    assert thread.daemon
    assert not gc.isenabled()          # collections stay on the GUI thread while it runs
    thread.join(120)
    assert not thread.is_alive()
    qtbot.waitUntil(gc.isenabled, timeout=2000)
    assert kernel.ready("float32") == kernel.ready("float64") == kernel.available()
