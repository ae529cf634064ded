"""Back-propagation agrees with central finite differences for every activation × cost pairing."""

import itertools

import numpy as np
import pytest

from workbench.core import (ACTIVATIONS, COSTS, HIDDEN_ACTIVATIONS, ConfigError, Network,
                            check_architecture, gradient_check)
from workbench.core.gradcheck import numerical_gradients

KINKED = {"relu", "leaky-relu"}
OUTPUTS = list(ACTIVATIONS)
PAIRS = [(out, cost) for out, cost in itertools.product(OUTPUTS, COSTS)
         if check_architecture([3, 2], [out], cost) is None]


def _away_from_kinks(net, X, eps=1e-3):
    """True if no pre-activation of a ReLU-like layer lies within eps of its kink at 0."""
    zs, _ = net.forward_cache(X)
    return all(np.abs(z).min() > eps for z, name in zip(zs, net.activations) if name in KINKED)


def _case(hidden, output, cost, seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        net = Network.create([4, 5, 4, 3], [hidden, hidden, output], cost, rng=rng, dtype="float64")
        X = rng.standard_normal((6, 4))
        if _away_from_kinks(net, X):
            break
    Y = np.eye(3)[rng.integers(0, 3, 6)]
    return net, X, Y


def test_every_valid_pairing_is_covered():
    assert {cost for _, cost in PAIRS} == set(COSTS)
    assert {out for out, _ in PAIRS} == set(OUTPUTS)


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output,cost", PAIRS)
def test_backprop_matches_finite_differences(hidden, output, cost):
    net, X, Y = _case(hidden, output, cost, seed=len(hidden) * 7 + len(output) * 3 + len(cost))
    for row in gradient_check(net, X, Y):
        assert row["weights"] < 1e-6, row
        assert row["biases"] < 1e-6, row


def test_softmax_quadratic_uses_the_full_jacobian():
    """With a(1−a) in place of the softmax Jacobian the gradient would be measurably wrong."""
    net, X, Y = _case("tanh", "softmax", "quadratic", seed=3)
    _, grad_w, _, _ = net.backprop(X, Y)
    num_w, _ = numerical_gradients(net, X, Y)
    zs, acts = net.forward_cache(X)
    a = acts[-1]
    wrong_delta = (a - Y) * a * (1 - a)
    wrong = acts[-2].T @ wrong_delta / len(X)
    assert np.allclose(grad_w[-1], num_w[-1], rtol=1e-7, atol=1e-10)
    assert not np.allclose(wrong, num_w[-1], rtol=1e-3)


def test_input_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    net = Network.create([3, 6, 2], ["tanh", "softmax"], "log-likelihood", rng=rng, dtype="float64")
    X = rng.standard_normal((4, 3))
    Y = np.eye(2)[[0, 1, 1, 0]]
    grad = net.input_gradient(X, Y)
    assert grad.shape == X.shape
    eps = 1e-6
    for s in range(len(X)):
        for k in range(X.shape[1]):
            plus, minus = X[s:s + 1].copy(), X[s:s + 1].copy()
            plus[0, k] += eps
            minus[0, k] -= eps
            numeric = (net.evaluate(plus, Y[s:s + 1], False)[0] - net.evaluate(minus, Y[s:s + 1], False)[0]) / (2 * eps)
            assert grad[s, k] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("cost", ["cross-entropy", "log-likelihood"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_saturated_outputs_stay_finite(output, cost):
    net = Network.create([2, 2], [output], cost, rng=np.random.default_rng(0), dtype="float32")
    net.weights[0][:] = np.array([[500, -500], [-500, 500]], dtype=np.float32)
    X = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    Y = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)  # confidently wrong
    cost_value, grad_w, grad_b, _ = net.backprop(X, Y)
    assert np.isfinite(cost_value) and cost_value > 100
    assert all(np.isfinite(g).all() for g in grad_w + grad_b)


@pytest.mark.parametrize("sizes,activations,cost,phrase", [
    ([3, 0, 2], ["sigmoid", "sigmoid"], "quadratic", "at least 1"),
    ([3, 4, 2], ["softmax", "softmax"], "log-likelihood", "only allowed on the output"),
    ([3, 4, 2], ["sigmoid", "linear"], "cross-entropy", "between 0 and 1"),
    ([3, 4, 2], ["sigmoid", "tanh"], "log-likelihood", "between 0 and 1"),
    ([3, 4, 2], ["sigmoid", "swish"], "quadratic", "Unknown activation"),
    ([3, 4, 2], ["sigmoid", "sigmoid"], "hinge", "Unknown cost"),
    ([3], [], "quadratic", "at least an input and an output"),
    ([3, 4, 1], ["sigmoid", "softmax"], "log-likelihood", "at least 2 neurons"),
])
def test_bad_architectures_are_explained(sizes, activations, cost, phrase):
    assert phrase in check_architecture(sizes, activations, cost)
    with pytest.raises(ConfigError, match=phrase):
        Network.create(sizes, activations, cost, rng=np.random.default_rng(0))
