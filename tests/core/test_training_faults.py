"""Faults inside training: a run that diverges keeps exactly the weights of its last finite batch.

"The last finite weights were kept" used to be approximate: the failed batch was undone by
subtracting its step, which is not exact (w + s − s loses w where |s| ≫ |w|) and not finite where
the step itself overflowed (float32(−η/m) is −inf for η ≥ 3.4e38: inf − inf = NaN), so a float32
run at such a rate saved weights that Workbench then refused to load.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core import Diverged, Hyperparameters, Network, kernel, load_weights, save_weights, train
from workbench.core.training import BatchChunk, Pace

needs_numba = pytest.mark.skipif(not kernel.available(), reason="numba is not installed")
ENGINES = ["numpy", pytest.param("compiled", marks=needs_numba)]


def _diverge(engine, dtype, lr, optimizer, l2):
    """Train one batch per chunk until the run diverges; (network, Diverged record, the
    parameters as they were after the last batch that was applied)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    X[X < -0.8] = 0                                   # exact zeros: the kernel's sparse rows
    Y = np.eye(2)[rng.integers(0, 2, 20)]
    net = Network.create([3, 4, 2], ["tanh", "softmax"], "cross-entropy", rng=np.random.default_rng(1), dtype=dtype)
    kept = [a.copy() for a in net.weights + net.biases]
    hp = Hyperparameters(lr=lr, batch_size=5, epochs=5, optimizer=optimizer, momentum=0.5, l2=l2)
    last = None
    for record in train(net, X, Y, hp, np.random.default_rng(2), chunked=True, pace=Pace(limit=1), engine=engine):
        if isinstance(record, BatchChunk):
            kept = [a.copy() for a in net.weights + net.biases]
        last = record
    return net, last, kept


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype, lr", [("float32", 3.4e38), ("float32", 3.5e38), ("float32", 1e300),
                                       ("float32", 1e30), ("float64", 1e300), ("float64", 1e200)])
@pytest.mark.parametrize("optimizer, l2", [("sgd", 0.0), ("momentum", 0.0), ("nesterov", 0.5)])
def test_a_diverged_run_keeps_exactly_its_last_finite_weights(engine, dtype, lr, optimizer, l2, tmp_path):
    net, last, kept = _diverge(engine, dtype, lr, optimizer, l2)
    assert isinstance(last, Diverged) and "last finite weights were kept" in last.message
    for now, before in zip(net.weights + net.biases, kept):
        assert np.isfinite(now).all()
        np.testing.assert_array_equal(now, before)
    path = tmp_path / "diverged.npz"                   # and Workbench loads what it saved
    save_weights(net, path)
    loaded = load_weights(path)
    for a, b in zip(loaded.weights + loaded.biases, net.weights + net.biases):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_a_bias_step_that_overflows_is_caught_although_the_weights_stay_finite(engine, optimizer):
    """Inputs of 0 leave the weights where they are while the bias step η·∂C/∂b overflows float32."""
    X, Y = np.zeros((8, 3)), np.full((8, 2), -5.0)
    net = Network.create([3, 2], ["linear"], "quadratic", rng=np.random.default_rng(1), dtype="float32")
    before = [a.copy() for a in net.weights + net.biases]
    hp = Hyperparameters(lr=1e38, batch_size=4, epochs=2, optimizer=optimizer)   # η·δ/4 fits, η·δ does not
    records = list(train(net, X, Y, hp, np.random.default_rng(2), chunked=True, engine=engine))
    assert isinstance(records[-1], Diverged) and "weights grew without bound" in records[-1].message
    for now, kept in zip(net.weights + net.biases, before):
        np.testing.assert_array_equal(now, kept)
