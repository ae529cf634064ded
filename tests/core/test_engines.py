"""The compiled kernel against the numpy reference, and chunked training against per-batch training.

The issue's bar: after a full epoch from the same start and the same shuffles, float64 runs agree to
1e-12 and float32 runs to 1e-5 — weights, every batch's cost, ‖δˡ‖, ‖Wˡ‖ and followed gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core import ConfigError, Diverged, EpochRecord, Hyperparameters, Network, kernel, train
from workbench.core.engines import ENV_VAR
from workbench.core.training import BatchChunk, BatchRecord, Pace

needs_numba = pytest.mark.skipif(not kernel.available(), reason="numba is not installed")
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}

PAIRINGS = [
    (["sigmoid", "sigmoid"], "cross-entropy"),
    (["tanh", "softmax"], "cross-entropy"),
    (["relu", "softmax"], "log-likelihood"),
    (["leaky-relu", "sigmoid"], "log-likelihood"),
    (["tanh", "linear"], "quadratic"),
    (["sigmoid", "softmax"], "quadratic"),
    (["relu", "tanh"], "quadratic"),
    (["linear", "sigmoid"], "quadratic"),
]


def _data(sizes, acts, cost, n=37, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0]))
    X[X < -0.5] = 0                      # exact zeros: the kernel skips them
    if acts[-1] in ("tanh", "linear"):
        Y = np.tanh(rng.standard_normal((n, sizes[-1])))
    elif sizes[-1] == 1:
        Y = rng.integers(0, 2, (n, 1)).astype(float)
    else:
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    return X, Y


def _run(engine, sizes=(4, 6, 3), acts=("sigmoid", "sigmoid"), cost="cross-entropy", dtype="float64",
         epochs=1, watch=((0, 1, 2), (1, 0, 1)), chunked=True, evaluate_every=1, pace=None, n=37, **hp):
    sizes, acts = list(sizes), list(acts)
    X, Y = _data(sizes, acts, cost, n)
    net = Network.create(sizes, acts, cost, rng=np.random.default_rng(1), dtype=dtype)
    settings = dict(optimizer="sgd", lr=0.1, momentum=0.5, batch_size=5, epochs=epochs)
    settings.update(hp)
    records = list(train(net, X, Y, Hyperparameters(**settings), np.random.default_rng(5), engine=engine,
                         chunked=chunked, watch=[tuple(w) for w in watch], evaluate_every=evaluate_every,
                         pace=pace))
    return net, records


def _batches(records) -> dict:
    """Every batch's figures as columns, from BatchChunks or BatchRecords."""
    rows = []
    for r in records:
        if isinstance(r, BatchChunk):
            rows.extend(r.records())
        elif isinstance(r, BatchRecord):
            rows.append(r)
    columns = {name: np.array([getattr(r, name) for r in rows], dtype=float)
               for name in ("epoch", "batch", "batches_in_epoch", "step", "samples_seen", "cost", "delta_norms",
                            "weight_norms")}
    columns["watched"] = np.array([x for r in rows for x in [len(r.watched), *r.watched]])  # widths may change
    return columns


def _assert_same(a, b, tolerance, summaries=True):
    (net_a, rec_a), (net_b, rec_b) = a, b
    for x, y in zip(net_a.weights + net_a.biases, net_b.weights + net_b.biases):
        np.testing.assert_allclose(y, x, rtol=tolerance, atol=tolerance)
    cols_a, cols_b = _batches(rec_a), _batches(rec_b)
    for name in cols_a:
        np.testing.assert_allclose(cols_b[name], cols_a[name], rtol=tolerance, atol=tolerance, err_msg=name)
    if not summaries:
        return
    epochs_a = [r for r in rec_a if isinstance(r, EpochRecord)]
    epochs_b = [r for r in rec_b if isinstance(r, EpochRecord)]
    assert [r.epoch for r in epochs_a] == [r.epoch for r in epochs_b]
    for x, y in zip(epochs_a, epochs_b):
        np.testing.assert_allclose(y.train_cost, x.train_cost, rtol=tolerance)
        np.testing.assert_allclose(y.delta_norms, x.delta_norms, rtol=tolerance, atol=tolerance)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("acts,cost", PAIRINGS)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
def test_compiled_kernel_matches_the_numpy_reference_after_an_epoch(acts, cost, optimizer, dtype):
    for batch_size, l2, layer_lr in ((1, 0.0, None), (5, 0.5, [2.0, 0.5]), ("full", 0.0, None)):
        kwargs = dict(acts=acts, cost=cost, dtype=dtype, optimizer=optimizer, batch_size=batch_size, l2=l2,
                      layer_lr=layer_lr)
        _assert_same(_run("numpy", **kwargs), _run("compiled", **kwargs), TOLERANCE[dtype])


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_deeper_network_over_several_epochs_with_a_short_last_batch(dtype):
    kwargs = dict(sizes=(5, 7, 6, 4, 3), acts=("tanh", "relu", "sigmoid", "softmax"), dtype=dtype, epochs=3,
                  batch_size=8, optimizer="momentum", watch=((0, 4, 6), (2, 3, 0), (3, 2, 2)))
    _assert_same(_run("numpy", **kwargs), _run("compiled", **kwargs), TOLERANCE[dtype])


def test_chunks_carry_the_same_batches_as_one_record_per_batch():
    per_batch = _run("numpy", chunked=False, epochs=2, batch_size=4)
    chunked = _run("numpy", chunked=True, epochs=2, batch_size=4)
    assert any(isinstance(r, BatchChunk) and len(r) > 1 for r in chunked[1])
    assert not any(isinstance(r, BatchChunk) for r in per_batch[1])
    _assert_same(per_batch, chunked, 0.0)
    cols = _batches(chunked[1])
    assert list(cols["step"]) == list(range(1, 2 * 10 + 1))
    assert list(cols["batch"][:10]) == list(range(1, 11)) and list(cols["batches_in_epoch"][:3]) == [10] * 3
    assert list(cols["samples_seen"][8:11]) == [36, 37, 4]       # the short last batch, then epoch 2


def test_a_chunk_never_spans_an_epoch_summary():
    _, records = _run("numpy", epochs=3, batch_size=2)
    kinds = [type(r).__name__ for r in records]
    assert kinds[0] == "EpochRecord"
    for chunk in (r for r in records if isinstance(r, BatchChunk)):
        assert len(set(chunk.epoch.tolist())) == 1


@pytest.mark.parametrize("engine", ["numpy", pytest.param("compiled", marks=needs_numba)])
def test_summaries_every_n_epochs_leave_training_unchanged(engine):
    every_epoch = _run(engine, epochs=7, batch_size=3)
    every_third = _run(engine, epochs=7, batch_size=3, evaluate_every=3)
    assert [r.epoch for r in every_third[1] if isinstance(r, EpochRecord)] == [0, 3, 6, 7]
    _assert_same(every_epoch, every_third, 0.0, summaries=False)
    summary = next(r for r in every_third[1] if isinstance(r, EpochRecord) and r.epoch == 6)
    reference = next(r for r in every_epoch[1] if isinstance(r, EpochRecord) and r.epoch == 6)
    assert summary.train_cost == pytest.approx(reference.train_cost, rel=1e-12)
    assert summary.delta_norms == pytest.approx(reference.delta_norms, rel=1e-12)
    spanning = [r for r in every_third[1] if isinstance(r, BatchChunk) and len(set(r.epoch.tolist())) > 1]
    assert spanning, "with summaries every 3 epochs a chunk may run through epoch ends"


def test_pace_caps_chunks_and_once_caps_only_the_next():
    pace = Pace(limit=3)
    X, Y = _data([4, 6, 3], ["sigmoid", "sigmoid"], "cross-entropy", n=60)
    net = Network.create([4, 6, 3], ["sigmoid", "sigmoid"], rng=np.random.default_rng(1), dtype="float64")
    gen = train(net, X, Y, Hyperparameters(batch_size=1, epochs=1), np.random.default_rng(0), chunked=True,
                pace=pace, engine="numpy")
    next(gen)                                                    # the epoch-0 summary
    assert [len(next(gen)) for _ in range(3)] == [1, 3, 3]       # chunks start at one batch
    pace.limit, pace.once = None, 1
    assert len(next(gen)) == 1 and pace.once is None
    assert max(len(r) for r in gen if isinstance(r, BatchChunk)) > 3


@needs_numba
def test_auto_starts_on_numpy_and_switches_to_the_kernel_mid_run_carrying_momentum(monkeypatch):
    reference = _run("numpy", epochs=2, optimizer="nesterov", batch_size=2)
    calls = {"n": 0}
    real_ready = kernel.ready

    def ready_after_a_while(dtype):
        calls["n"] += 1
        return calls["n"] > 6 and real_ready(dtype)

    kernel.prepare("float64")
    monkeypatch.setattr(kernel, "ready", ready_after_a_while)
    switched = _run("auto", epochs=2, optimizer="nesterov", batch_size=2, pace=Pace(limit=2))
    assert calls["n"] > 6
    _assert_same(reference, switched, 1e-12)


@pytest.mark.parametrize("engine", ["numpy", pytest.param("compiled", marks=needs_numba)])
def test_divergence_keeps_the_last_finite_weights_at_the_same_batch(engine):
    net, records = _run(engine, epochs=50, lr=1e30, batch_size=1, acts=("relu", "linear"), cost="quadratic")
    assert isinstance(records[-1], Diverged)
    assert all(np.isfinite(w).all() for w in net.weights + net.biases)
    if engine == "compiled":
        ref_net, ref_records = _run("numpy", epochs=50, lr=1e30, batch_size=1, acts=("relu", "linear"),
                                    cost="quadratic")
        assert (records[-1].epoch, records[-1].batch) == (ref_records[-1].epoch, ref_records[-1].batch)
        assert records[-1].message == ref_records[-1].message
        for x, y in zip(ref_net.weights, net.weights):
            np.testing.assert_allclose(y, x, rtol=1e-9)


@needs_numba
def test_changes_between_chunks_apply_from_the_next_one_in_both_engines():
    def run(engine):
        X, Y = _data([4, 6, 3], ["sigmoid", "sigmoid"], "cross-entropy", n=40)
        net = Network.create([4, 6, 3], ["sigmoid", "sigmoid"], rng=np.random.default_rng(1), dtype="float64")
        hp, watch = Hyperparameters(batch_size=2, epochs=2, lr=0.2), [(0, 0, 0)]
        out, changed = [], False
        for rec in train(net, X, Y, hp, np.random.default_rng(3), chunked=True, pace=Pace(limit=3), engine=engine,
                         watch=watch):
            out.append(rec)
            if isinstance(rec, BatchChunk) and rec.step[-1] >= 6 and not changed:
                changed = True
                hp.lr, hp.optimizer, hp.layer_lr = 0.05, "momentum", [1.0, 3.0]
                watch[:] = [(1, 5, 2), (0, 3, 1)]
                net.weights[0] = net.weights[0] * 0.5             # a weight edited while paused
        return net, out

    ref, fast = run("numpy"), run("compiled")
    _assert_same(ref, fast, 1e-12)
    widths = {r.watched.shape[1] for r in fast[1] if isinstance(r, BatchChunk)}
    assert widths == {1, 2}


def test_the_engine_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "nonsense")
    with pytest.raises(ConfigError, match="nonsense"):
        _run(None)
    monkeypatch.setenv(ENV_VAR, "numpy")
    net, records = _run(None)
    assert isinstance(records[-1], EpochRecord)


@needs_numba
def test_compiled_engine_keeps_the_network_usable_afterwards():
    net, _ = _run("compiled", epochs=2)
    clone = net.copy()
    assert all(w.flags.c_contiguous for w in net.weights)
    np.testing.assert_array_equal(clone.forward(np.ones((2, 4))), net.forward(np.ones((2, 4))))


@needs_numba
def test_a_kernel_that_disagrees_with_numpy_is_never_used(monkeypatch):
    monkeypatch.setattr(kernel, "_ready", set())
    monkeypatch.setattr(kernel, "_failure", None)
    monkeypatch.setattr(kernel, "_self_check", lambda name: "its float64 results differ by 0.5")
    assert kernel.prepare("float64") is False
    assert not kernel.available() and "differ" in kernel.why_unavailable()
    with pytest.raises(ConfigError, match="cannot be used here: its float64 results differ"):
        _run("compiled")
    _, records = _run("auto")                     # trains on numpy
    assert isinstance(records[-1], EpochRecord)


@needs_numba
def test_a_long_float32_run_does_not_drift_from_the_reference():
    """Demofox's OR/AND net: once |w| ≈ 10, a float32 step of 1e-6 is about one unit in the last place;
    the kernel must sum a batch's step before adding it, as the reference does, or the run drifts."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    Y = np.array([[0, 0], [1, 0], [1, 0], [1, 1]], np.float32)
    nets = []
    for engine in ("numpy", "compiled"):
        net = Network.create([2, 2], ["sigmoid"], "quadratic", rng=np.random.default_rng(0), dtype="float32")
        hp = Hyperparameters(lr=0.5, batch_size="full", epochs=30_000)
        for _ in train(net, X, Y, hp, np.random.default_rng(0), chunked=True, evaluate_every=30_000, engine=engine):
            pass
        nets.append(net)
    assert np.abs(nets[0].weights[0]).max() > 5
    for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


def test_consecutive_chunks_join_into_one_and_the_history_takes_them_so():
    from workbench.core.history import RunHistory

    _, records = _run("numpy", epochs=3, batch_size=4, watch=(), pace=Pace(limit=2))
    chunks = [r for r in records if isinstance(r, BatchChunk)]
    assert len(chunks) > 3
    whole = BatchChunk.join(chunks[2:])
    assert whole.step.tolist() == [s for c in chunks[2:] for s in c.step.tolist()]
    assert [r.cost for r in whole.records()] == [r.cost for c in chunks[2:] for r in c.records()]
    assert whole.bias_gradients is chunks[-1].bias_gradients and whole.engine == chunks[-1].engine
    odd = chunks[1].records()[0]                        # a BatchRecord between chunks ends a join
    mixed, plain = RunHistory(2, True), RunHistory(2, True)
    mixed.add_batches(chunks[:1] + [odd] + chunks[2:])
    plain.add_batches([r for c in chunks[:1] for r in c.records()] + [odd]
                      + [r for c in chunks[2:] for r in c.records()])
    for column in ("batch_step", "batch_x", "batch_cost", "batch_delta_norms"):
        np.testing.assert_array_equal(getattr(mixed, column)(), getattr(plain, column)())
