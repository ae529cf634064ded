"""One run set-up for the window and the command line: same seed and settings, same weights bit for
bit, also when a run is continued from saved weights after ``steps_trained`` batches."""

import numpy as np
import pytest

from workbench.core import BatchRecord, ConfigError, Hyperparameters, train
from workbench.core.runsetup import (create_network, shuffle_rng, split_rng, split_validation,
                                     training_arguments)
from workbench.data import load_dataset

ARCH = {"sizes": [4, 6, 3], "activations": ["tanh", "softmax"], "cost": "log-likelihood"}
INIT = {"init": "xavier", "bias_init": "normal", "seed": 11, "dtype": "float64"}


@pytest.fixture(scope="module")
def dataset():
    return load_dataset("teacher:items=300,seed=1")


def _run(dataset, net, epochs, steps_trained=0, seed=11, **options):
    """Train ``net`` for ``epochs`` epochs set up by runsetup; returns the number of batches."""
    X, Y, kwargs = training_arguments(dataset, seed=seed, steps_trained=steps_trained,
                                      evaluate_initial=steps_trained == 0, **options)
    hp = Hyperparameters(lr=0.1, batch_size=16, epochs=epochs)
    steps = [r.step for r in train(net, X, Y, hp, **kwargs) if isinstance(r, BatchRecord)]
    return steps[-1]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.weights + a.biases, b.weights + b.biases))


def test_create_network_draws_from_the_seed():
    a, b = create_network(ARCH, **INIT), create_network(ARCH, **INIT)
    assert _same(a, b) and a.dtype == np.float64 and a.sizes == [4, 6, 3]
    assert not _same(a, create_network(ARCH, **{**INIT, "seed": 12}))
    with pytest.raises(ConfigError, match="Unknown initialisation"):
        create_network(ARCH, **{**INIT, "init": "glorious"})


def test_same_inputs_give_bit_identical_weights(dataset):
    nets = [create_network(ARCH, **INIT) for _ in range(2)]
    for net in nets:
        _run(dataset, net, epochs=3, watch=[(0, 1, 2)])
    assert _same(*nets)
    other = create_network(ARCH, **INIT)
    _run(dataset, other, epochs=3, seed=12)          # only the batch order differs
    assert not _same(nets[0], other)


def test_continuation_is_reproducible_bit_for_bit(dataset):
    """Train 1 epoch, then 1 more starting after its steps: twice, identical weights; and the second
    part shuffles with shuffle_rng(seed, steps_trained), not the generator of the first."""
    results = []
    for _ in range(2):
        net = create_network(ARCH, **INIT)
        steps = _run(dataset, net, epochs=1)
        assert steps == -(-len(dataset.train.X) // 16)       # the batches of one epoch
        _run(dataset, net, epochs=1, steps_trained=steps)
        results.append(net)
    assert _same(*results)
    restarted = create_network(ARCH, **INIT)
    _run(dataset, restarted, epochs=1)
    _run(dataset, restarted, epochs=1, steps_trained=0)      # the same order as epoch 1 again
    assert not _same(results[0], restarted)


def test_training_arguments(dataset):
    X, Y, kwargs = training_arguments(dataset, seed=3, steps_trained=40, evaluate_initial=False,
                                      watch=((0, 1, 2),))
    assert X is dataset.train.X and Y is dataset.train.Y
    assert kwargs["validation"][0] is dataset.validation.X
    assert kwargs["classification"] is True and kwargs["evaluate_initial"] is False
    assert kwargs["watch"] == [(0, 1, 2)] and isinstance(kwargs["watch"], list)
    assert kwargs["rng"].random() == shuffle_rng(3, 40).random() != shuffle_rng(3, 41).random()


def test_validation_split_has_its_own_stream(dataset):
    X, Y = dataset.train.X, dataset.train.Y
    (Xt, Yt), (Xv, Yv) = split_validation(X, Y, 0.25, seed=5)
    assert len(Xv) == round(len(X) * 0.25) and len(Xt) + len(Xv) == len(X)
    order = split_rng(5).permutation(len(X))
    np.testing.assert_array_equal(Xv, X[order[:len(Xv)]])
    assert split_rng(5).random() not in (np.random.default_rng(5).random(), shuffle_rng(5, 0).random())
    X2, _, kwargs = training_arguments(dataset, seed=5, steps_trained=100, evaluate_initial=False,
                                       validation_split=0.25)
    np.testing.assert_array_equal(X2, Xt)                    # the same split after any number of steps
    np.testing.assert_array_equal(kwargs["validation"][0], Xv)
    for fraction in (0.0, 1.0, 1e-9):
        with pytest.raises(ConfigError, match="validation"):
            split_validation(X, Y, fraction, seed=5)
