"""The stepwise gradient check (``check_steps``): sampled parameters, progress, cancel, the fault hook."""

import itertools

import numpy as np
import pytest

from workbench.core import ACTIVATIONS, COSTS, HIDDEN_ACTIVATIONS, ConfigError, Network, check_architecture
from workbench.core.gradcheck import (MAX_SAMPLE, CheckResult, check_problem, check_steps, faulty_gradient,
                                      max_items, numerical_gradients, pick_items, relative_error, run_check,
                                      sample_indices, verdict)

KINKED = {"relu", "leaky-relu"}
PAIRS = [(out, cost) for out, cost in itertools.product(ACTIVATIONS, COSTS)
         if check_architecture([3, 2], [out], cost) is None]


def _case(hidden, output, cost, seed, sizes=(4, 5, 4, 3)):
    """A float32 net, and data whose z stay 2e-2 from the ReLU kinks (the stencil moves them by
    2ε times an input, under 1e-2 at ε = 1e-3)."""
    rng = np.random.default_rng(seed)
    for _ in range(50):
        net = Network.create(list(sizes), [hidden] * (len(sizes) - 2) + [output], cost, rng=rng)
        X = rng.standard_normal((6, sizes[0]))
        zs, _ = net.astype("float64").forward_cache(X)
        if all(np.abs(z).min() > 2e-2 for z, name in zip(zs, net.activations) if name in KINKED):
            break
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], 6)]
    return net, X, Y


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output,cost", PAIRS)
def test_every_pairing_passes_below_1e_7(hidden, output, cost):
    net, X, Y = _case(hidden, output, cost, seed=len(hidden) * 7 + len(output) * 3 + len(cost))
    result = run_check(net, X, Y, sample=None, eps=1e-3)     # round-off of the cost stays below 1e-7
    assert isinstance(result, CheckResult)
    assert result.checked == result.total == sum(w.size + b.size for w, b in zip(net.weights, net.biases))
    for layer in result.layers:
        assert layer.max_w < 1e-7 and layer.max_b < 1e-7, (layer.layer, layer.max_w, layer.max_b)
        assert verdict(layer.worst) == "good"


def test_values_agree_with_the_full_check_and_backprop():
    net, X, Y = _case("tanh", "softmax", "log-likelihood", seed=2)
    result = run_check(net, X, Y, sample=None)
    net64 = net.astype("float64")
    _, grad_w, grad_b, _ = net64.backprop(X, Y)
    num_w, num_b = numerical_gradients(net64, X, Y)
    for l, layer in enumerate(result.layers):
        i, j = layer.w_index[:, 0], layer.w_index[:, 1]
        assert np.array_equal(layer.w_analytic, grad_w[l][i, j])
        assert np.allclose(layer.w_numeric, num_w[l][i, j], rtol=1e-8, atol=1e-12)
        assert np.allclose(layer.b_numeric, num_b[l][layer.b_index], rtol=1e-8, atol=1e-12)
        assert np.array_equal(layer.w_error, relative_error(layer.w_analytic, layer.w_numeric))


def test_the_network_is_not_written():
    net, X, Y = _case("sigmoid", "sigmoid", "cross-entropy", seed=1)
    net.weights = [w.astype(np.float64) for w in net.weights]        # float64 already: no copy by astype
    net.biases = [b.astype(np.float64) for b in net.biases]
    before = [w.copy() for w in net.weights] + [b.copy() for b in net.biases]
    steps = check_steps(net, X, Y, sample=3, rng=0)
    for _ in range(4):                        # stopped mid-layer: nothing left perturbed
        next(steps)
    steps.close()
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights + net.biases))


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_the_fault_lights_up_exactly_the_faulted_layer(layer):
    net, X, Y = _case("tanh", "softmax", "log-likelihood", seed=5)
    result = run_check(net, X, Y, sample=None, analytic=faulty_gradient(layer))
    for check in result.layers:
        expected = "wrong" if check.layer == layer else "good"
        assert verdict(check.max_w) == expected and verdict(check.max_b) == expected, check.layer
    assert verdict(result.worst) == "wrong"


def test_a_large_network_is_sampled_reproducibly():
    rng = np.random.default_rng(0)
    net = Network.create([784, 30, 30, 10], ["sigmoid"] * 3, "cross-entropy", rng=rng)
    X, Y = rng.random((10, 784)), np.eye(10)[rng.integers(0, 10, 10)]
    a = run_check(net, X, Y, sample=20, rng=7)
    b = run_check(net, X, Y, sample=20, rng=7)
    c = run_check(net, X, Y, sample=20, rng=8)
    assert a.checked == 40 + 40 + 30 and a.total == 784 * 30 + 30 + 30 * 30 + 30 + 30 * 10 + 10
    for la, lb, lc in zip(a.layers, b.layers, c.layers):
        assert len(np.unique(la.w_index, axis=0)) == 20 and len(np.unique(la.b_index)) == min(20, la.b_total)
        assert np.array_equal(la.w_index, lb.w_index) and np.array_equal(la.b_index, lb.b_index)
        assert np.array_equal(la.w_numeric, lb.w_numeric)
        assert la.checked == min(20, la.w_total) + min(20, la.b_total) and la.total == la.w_total + la.b_total
    assert not np.array_equal(a.layers[0].w_index, c.layers[0].w_index)
    assert a.worst < 1e-4                      # round-off of tiny first-layer gradients, at worst
    out = a.layers[-1]
    assert out.b_total == 10 and np.array_equal(out.b_index, np.arange(10))   # all when there are fewer


def test_sample_indices_are_distinct_sorted_and_seeded():
    idx = sample_indices(1000, 50, np.random.default_rng(3))
    assert len(set(idx.tolist())) == 50 and np.all(np.diff(idx) > 0) and idx.max() < 1000
    assert np.array_equal(idx, sample_indices(1000, 50, np.random.default_rng(3)))
    assert np.array_equal(sample_indices(5, 50, np.random.default_rng(3)), np.arange(5))
    assert np.array_equal(pick_items(4, 10), np.arange(4))
    assert np.array_equal(pick_items(60_000, 10, seed=1), pick_items(60_000, 10, seed=1))
    assert len(np.unique(pick_items(60_000, 10, seed=1))) == 10


def test_progress_counts_each_parameter_and_cancel_stops_between_them():
    net, X, Y = _case("sigmoid", "sigmoid", "quadratic", seed=3)
    evaluations = []
    real_evaluate = Network.evaluate

    def counting(self, *a, **kw):
        evaluations.append(1)
        return real_evaluate(self, *a, **kw)

    steps = check_steps(net, X, Y, sample=None)
    Network.evaluate = counting
    try:
        seen = [next(steps) for _ in range(5)]
        n = len(evaluations)
        steps.close()                          # cancel: the generator ends between two parameters
        with pytest.raises(StopIteration):
            next(steps)
    finally:
        Network.evaluate = real_evaluate
    total = sum(w.size + b.size for w, b in zip(net.weights, net.biases))
    assert seen == [(k, total) for k in range(1, 6)]
    assert len(evaluations) == n               # nothing ran after the cancel
    assert n <= 1 + 5 * 4                      # the cost at θ, then four stencil points a parameter


@pytest.mark.parametrize("kwargs,phrase", [
    ({"sample": 0}, "between 1 and"),
    ({"sample": MAX_SAMPLE + 1}, "between 1 and"),
    ({"sample": 2.5}, "between 1 and"),
    ({"sample": True}, "between 1 and"),
    ({"eps": 0.0}, "ε must be a number between"),
    ({"eps": float("nan")}, "ε must be a number between"),
    ({"eps": 1.0}, "ε must be a number between"),
    ({"eps": "0.1"}, "ε must be a number between"),
])
def test_bad_settings_are_refused_in_one_sentence(kwargs, phrase):
    net, X, Y = _case("tanh", "sigmoid", "cross-entropy", seed=4)
    with pytest.raises(ConfigError, match=phrase) as info:
        next(check_steps(net, X, Y, **kwargs))
    text = str(info.value)
    assert text.endswith(".") and text.count(". ") == 0 and "\n" not in text


def test_bad_data_is_refused():
    net, X, Y = _case("tanh", "sigmoid", "cross-entropy", seed=4)
    for bad_x, bad_y, phrase in [(X[:0], Y[:0], "at least 1 data item"), (X[:, :2], Y, "inputs each"),
                                 (X, Y[:, :1], "targets each"), (np.full_like(X, np.nan), Y, "not finite")]:
        with pytest.raises(ConfigError, match=phrase):
            next(check_steps(net, bad_x, bad_y))


def test_the_items_are_bounded_by_the_work_of_one_step():
    big = [784, 1000, 1000, 10]
    limit = max_items(big)
    assert 1 <= limit < 50
    assert "at most" in check_problem(big, limit + 1, 10, 1e-4)
    assert check_problem(big, limit, 10, 1e-4) is None
    assert max_items([2, 2, 1]) == 1000


def test_verdict_bands():
    assert [verdict(e) for e in (0.0, 9e-8, 1e-7, 5e-5, 1e-4, 9e-3, 1e-2, 3.0, float("nan"), float("inf"))] == [
        "good", "good", "acceptable", "acceptable", "suspicious", "suspicious", "wrong", "wrong", "wrong", "wrong"]


def test_error_histogram_counts_every_error_in_its_band():
    from workbench.core.gradcheck import error_histogram

    errors = np.array([0.0, 1e-20, 3e-9, 5e-6, 2e-3, 0.5, np.inf, np.nan, 1e5])
    edges, counts, verdicts = error_histogram(errors)
    assert counts.sum() == len(errors) and len(edges) == len(counts) + 1 == len(verdicts) + 1
    assert counts[0] == 2 and counts[-1] == 3                     # 0 and 1e-20; inf, NaN and 1e5
    centres = (edges[:-1] + edges[1:]) / 2
    for e, expected in [(3e-9, "good"), (5e-6, "acceptable"), (2e-3, "suspicious"), (0.5, "wrong")]:
        k = np.searchsorted(edges, np.log10(e)) - 1
        assert counts[k] == 1 and verdicts[k] == expected, (e, centres[k])
    for threshold in (-7, -4, -2):
        assert np.isclose(edges, threshold).any()
