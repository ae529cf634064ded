"""Gradients with respect to the inputs (core.input_gradients): against central finite differences
for every activation × cost pairing, batch against single items, adversarial nudges and the
smallest flipping ε, dreaming a class, the 2-D field and its arrows, and bad arguments."""

import itertools

import numpy as np
import pytest

from workbench.core import ACTIVATIONS, COSTS, HIDDEN_ACTIVATIONS, ConfigError, Network, check_architecture
from workbench.core import input_gradients as ig

KINKED = {"relu", "leaky-relu"}
PAIRS = [(out, cost) for out, cost in itertools.product(ACTIVATIONS, COSTS)
         if check_architecture([3, 2], [out], cost) is None]


def _item_cost(net, x, y):
    return net.evaluate(x[None, :], y[None, :], classification=False)[0]


def _numeric(f, x, eps=1e-6):
    """Central differences of the scalar function f at x (d,)."""
    g = np.zeros_like(x)
    for k in range(len(x)):
        plus, minus = x.copy(), x.copy()
        plus[k] += eps
        minus[k] -= eps
        g[k] = (f(plus) - f(minus)) / (2 * eps)
    return g


def _case(hidden, output, cost, seed, n=3, d=4):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        net = Network.create([d, 5, 4, 3], [hidden, hidden, output], cost, rng=rng, dtype="float64")
        X = rng.standard_normal((n, d))
        zs, _ = net.forward_cache(X)
        if all(np.abs(z).min() > 1e-3 for z, name in zip(zs, net.activations) if name in KINKED):
            break
    Y = np.eye(3)[rng.integers(0, 3, n)]
    return net, X, Y


def test_every_valid_pairing_is_covered():
    assert {cost for _, cost in PAIRS} == set(COSTS)
    assert {out for out, _ in PAIRS} == set(ACTIVATIONS)


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output,cost", PAIRS)
def test_input_gradient_matches_finite_differences(hidden, output, cost):
    net, X, Y = _case(hidden, output, cost, seed=len(hidden) * 5 + len(output) * 3 + len(cost))
    grad = ig.input_gradient(net, X, Y)
    assert grad.shape == X.shape and grad.dtype == np.float64
    for i in range(len(X)):
        numeric = _numeric(lambda v: _item_cost(net, v, Y[i]), X[i])
        np.testing.assert_allclose(grad[i], numeric, rtol=1e-5, atol=1e-8)


def test_batch_and_single_items_agree_and_the_scale_is_per_item():
    net, X, Y = _case("tanh", "softmax", "log-likelihood", seed=1, n=5)
    batch = ig.input_gradient(net, X, Y)
    for i in range(len(X)):
        np.testing.assert_allclose(batch[i], ig.input_gradient(net, X[i:i + 1], Y[i:i + 1])[0], rtol=1e-12)
        np.testing.assert_allclose(ig.saliency(net, X[i], Y[i]), np.abs(batch[i]), rtol=1e-12)
    # the batch's mean cost moves by 1/m of an item's gradient when that item moves
    numeric = _numeric(lambda v: net.evaluate(np.vstack([v, X[1:]]), Y, classification=False)[0], X[0])
    np.testing.assert_allclose(batch[0] / len(X), numeric, rtol=1e-5, atol=1e-9)


def test_float32_networks_give_float64_gradients_close_to_float64():
    net, X, Y = _case("sigmoid", "sigmoid", "cross-entropy", seed=2)
    g64 = ig.input_gradient(net, X, Y)
    g32 = ig.input_gradient(net.astype("float32"), X, Y)
    assert g32.dtype == np.float64
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-5)


def test_standardised_inputs_give_the_gradient_in_raw_units():
    net, X, Y = _case("tanh", "softmax", "quadratic", seed=3)
    mean, std = np.array([0.5, -1.0, 2.0, 0.0]), np.array([2.0, 0.5, 0.0, 3.0])   # a std of 0: taken as 1
    scale = np.where(std > 0, std, 1.0)
    grad = ig.input_gradient(net, X, Y, standardization=(mean, std))
    numeric = _numeric(lambda v: _item_cost(net, (v - mean) / scale, Y[0]), X[0])
    np.testing.assert_allclose(grad[0], numeric, rtol=1e-5, atol=1e-8)
    labels = ig.predicted_labels(net, X, standardization=(mean, std))
    np.testing.assert_array_equal(labels, net.predict((X - mean) / scale))


def _image_net(seed=0, d=16, k=3, output="softmax", cost="log-likelihood"):
    rng = np.random.default_rng(seed)
    net = Network.create([d, 12, k], ["tanh", output], cost, rng=rng, dtype="float64")
    x = rng.uniform(0.2, 0.8, d)
    return net, x


def test_adversarial_raises_the_cost_and_stays_in_the_data_range():
    net, x = _image_net(4)
    y = np.eye(3)[int(net.predict(x[None, :])[0])]
    before = _item_cost(net, x, y)
    for eps in (1e-3, 0.01, 0.05):
        nudged = ig.adversarial(net, x, y, eps)
        assert _item_cost(net, nudged, y) > before
        assert np.abs(nudged - x).max() <= eps + 1e-12
    far = ig.adversarial(net, x, y, 5.0)
    assert far.min() >= 0.0 and far.max() <= 1.0 and set(np.unique(far)) <= {0.0, 1.0}
    np.testing.assert_array_equal(ig.adversarial(net, x, y, 0.0), x)
    unclipped = ig.adversarial(net, x, y, 5.0, clip=None)
    assert unclipped.max() > 1.0
    np.testing.assert_array_equal(ig.nudge_direction(net, x, y), np.sign(ig.input_gradient(net, x[None], y[None])[0]))


@pytest.mark.parametrize("output,cost,k", [("softmax", "log-likelihood", 3), ("sigmoid", "cross-entropy", 1),
                                           ("linear", "quadratic", 3)])
def test_smallest_flip_flips_and_a_slightly_smaller_one_does_not(output, cost, k):
    found = None
    for seed in range(40):
        net, x = _image_net(seed, k=k, output=output, cost=cost)
        label = int(ig.predicted_labels(net, x[None])[0])
        y = np.eye(k)[label] if k > 1 else np.array([float(label)])
        found = ig.smallest_flip(net, x, y, 1.0, coarse=16, resolution=1e-4)
        if found is not None and found.eps > 0.02:
            break
    assert found is not None and found.label == label != found.new_label
    assert 0 <= found.eps - found.below <= 1e-4
    flipped = ig.predicted_labels(net, ig.adversarial(net, x, y, found.eps)[None])[0]
    kept = ig.predicted_labels(net, ig.adversarial(net, x, y, found.below)[None])[0]
    assert flipped == found.new_label and kept == label
    assert found.evaluations <= 1 + 16 + ig.MAX_BISECTIONS
    assert found.evaluations <= 1 + 16 + int(np.ceil(np.log2((1.0 / 16) / 1e-4)))
    assert ig.smallest_flip(net, x, y, found.below * 0.5, coarse=16) is None


def _dream_cases():
    return [("softmax", "log-likelihood", 3), ("sigmoid", "cross-entropy", 3), ("sigmoid", "cross-entropy", 1),
            ("tanh", "quadratic", 3), ("linear", "quadratic", 1)]


@pytest.mark.parametrize("output,cost,k", _dream_cases())
def test_dream_objective_matches_finite_differences(output, cost, k):
    net, x = _image_net(5, d=6, k=k, output=output, cost=cost)
    for c in range(ig.n_classes(net)):
        value, grad = ig.dream_objective(net, x, c)
        a = net.forward(x[None])[0]
        if output == "softmax" or (output == "sigmoid" and k > 1):
            assert value == pytest.approx(np.log(a[c]), rel=1e-9)
        elif output == "sigmoid":
            assert value == pytest.approx(np.log(a[0] if c == 1 else 1 - a[0]), rel=1e-9)
        else:
            target = np.eye(k)[c] if k > 1 else np.array([float(c)])
            assert value == pytest.approx(-0.5 * np.sum((a - target) ** 2), rel=1e-9)
        numeric = _numeric(lambda v: ig.dream_objective(net, v, c)[0], x)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert ig.objective_kind(net) == ("log-probability" if output in ("softmax", "sigmoid") else "closeness")


@pytest.mark.parametrize("output,cost,k", _dream_cases())
def test_dream_raises_the_class_score_within_the_clip_range(output, cost, k):
    net, _ = _image_net(6, d=16, k=k, output=output, cost=cost)
    start = ig.dream_start("noise", 16, seed=3)
    for c in range(ig.n_classes(net)):
        images = list(ig.dream(net, c, start, lr=0.5, l2=0.001, steps=60))
        assert len(images) == 60
        values = [ig.dream_objective(net, im, c)[0] for im in images]
        assert values[-1] > ig.dream_objective(net, start, c)[0] + 1e-3
        assert values[-1] >= max(values[:30]) - 1e-6               # monotonic-ish: the end is the best half
        assert all(im.min() >= 0.0 and im.max() <= 1.0 for im in images)
    assert images[0] is not images[1]


def test_dream_l2_pulls_towards_zero_and_steps_zero_yields_nothing():
    net, _ = _image_net(7)
    start = ig.dream_start("noise", 16, seed=1)
    plain = list(ig.dream(net, 0, start, lr=0.2, l2=0.0, steps=30))[-1]
    shrunk = list(ig.dream(net, 0, start, lr=0.2, l2=2.0, steps=30))[-1]
    assert np.linalg.norm(shrunk) < np.linalg.norm(plain)
    assert list(ig.dream(net, 0, start, steps=0)) == []


def test_dream_starts():
    a, b = ig.dream_start("noise", 20, seed=4), ig.dream_start("noise", 20, seed=4)
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0 and a.max() <= 1 and a.std() > 0.1
    np.testing.assert_array_equal(ig.dream_start("mean", 3, mean_image=[0.2, 1.5, -1]), [0.2, 1.0, 0.0])
    with pytest.raises(ConfigError, match="mean image"):
        ig.dream_start("mean", 3)
    with pytest.raises(ConfigError, match="Unknown start"):
        ig.dream_start("zeros", 3)


def test_output_gradient_and_the_field():
    rng = np.random.default_rng(8)
    net = Network.create([2, 6, 3], ["tanh", "softmax"], "log-likelihood", rng=rng, dtype="float64")
    X = rng.standard_normal((4, 2))
    columns = np.array([0, 2, 1, 2])
    grad = ig.output_gradient(net, X, columns)
    for i in range(len(X)):
        numeric = _numeric(lambda v: net.forward(v[None])[0, columns[i]], X[i])
        np.testing.assert_allclose(grad[i], numeric, rtol=1e-5, atol=1e-9)
    field = ig.gradient_field(net, (-1, 1, -2, 2), 8)
    assert field.points.shape == (64, 2) and field.vectors.shape == (64, 2)
    assert field.points[:, 0].min() == pytest.approx(-1 + 1 / 8) and field.points[:, 1].max() == pytest.approx(2 - 0.25)
    best = net.forward(field.points).argmax(axis=1)
    np.testing.assert_allclose(field.vectors, ig.output_gradient(net, field.points, best))
    assert "most likely" in field.what
    one = Network.create([2, 3, 1], ["tanh", "sigmoid"], "cross-entropy", rng=rng, dtype="float64")
    assert ig.gradient_field(one, (0, 1, 0, 1), 4).what == "the output"
    regression = Network.create([2, 3, 2], ["tanh", "linear"], "quadratic", rng=rng)
    assert ig.gradient_field(regression, (0, 1, 0, 1), 4, classification=False).what == "output 1"
    with pytest.raises(ConfigError, match="2 inputs"):
        ig.gradient_field(Network.create([3, 2], ["softmax"], "log-likelihood", rng=rng), (0, 1, 0, 1))
    with pytest.raises(ConfigError, match="x0 < x1"):
        ig.gradient_field(net, (1, 0, 0, 1))


def test_arrow_segments_scale_to_the_spacing_and_drop_what_cannot_be_drawn():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    vectors = np.array([[4.0, 0.0], [1.0, 0.0], [np.nan, 1.0], [0.0, 0.0]])
    seg = ig.arrow_segments(points, vectors, (0.01, 0.02), 40.0, power=1.0)
    assert seg.shape == (2 * 6, 2)                          # two arrows of 3 strokes (6 end points)
    shaft = seg[1] - seg[0]
    np.testing.assert_allclose(seg[0], points[0])
    assert np.hypot(shaft[0] / 0.01, shaft[1] / 0.02) == pytest.approx(36.0)        # 0.9 · 40 pixels
    second = seg[7] - seg[6]
    assert second[0] / 0.01 == pytest.approx(9.0)                                     # a quarter, linearly
    root = ig.arrow_segments(points, vectors, (0.01, 0.02), 40.0)
    assert (root[7] - root[6])[0] / 0.01 == pytest.approx(18.0)                       # √¼ with power 0.5
    assert ig.arrow_segments(points, np.zeros((4, 2)), (1, 1), 10).shape == (0, 2)


@pytest.mark.parametrize("call,phrase", [
    (lambda n, x, y: ig.adversarial(n, x, y, -0.1), "ε must be a finite number ≥ 0"),
    (lambda n, x, y: ig.adversarial(n, x, y, float("nan")), "ε must be"),
    (lambda n, x, y: ig.adversarial(n, x, y, True), "ε must be"),
    (lambda n, x, y: ig.adversarial(n, x, y, 0.1, clip=(1, 0)), "low < high"),
    (lambda n, x, y: ig.adversarial(n, x[:5], y, 0.1), "must have 16 values"),
    (lambda n, x, y: ig.saliency(n, x, y[:2]), "targets must have shape (1, 3)"),
    (lambda n, x, y: ig.input_gradient(n, x, y), "shape (n, 16)"),
    (lambda n, x, y: ig.input_gradient(n, np.full((2, 16), np.nan), np.zeros((2, 3))), "not finite"),
    (lambda n, x, y: ig.input_gradient(n, np.zeros((2, 16)), np.zeros((3, 3))), "targets must have shape (2, 3)"),
    (lambda n, x, y: ig.input_gradient(None, x[None], y[None]), "need a network"),
    (lambda n, x, y: ig.smallest_flip(n, x, y, 0.0), "largest ε must be a finite number > 0"),
    (lambda n, x, y: ig.smallest_flip(n, x, y, 1.0, coarse=0), "coarse steps"),
    (lambda n, x, y: ig.smallest_flip(n, x, y, 1.0, resolution=-1), "resolution"),
    (lambda n, x, y: ig.dream(n, 3, x), "no class 3"),
    (lambda n, x, y: ig.dream(n, -1, x), "no class -1"),
    (lambda n, x, y: ig.dream(n, 1.0, x), "no class"),
    (lambda n, x, y: ig.dream(n, 0, x, lr=0), "step size"),
    (lambda n, x, y: ig.dream(n, 0, x, l2=-1), "L2 weight"),
    (lambda n, x, y: ig.dream(n, 0, x, steps=-1), "number of steps"),
    (lambda n, x, y: ig.dream(n, 0, x.reshape(4, 4)), "start image must have 16 values"),
    (lambda n, x, y: ig.dream(n, 0, x, standardization=(np.zeros(3), np.ones(3))), "standardisation"),
    (lambda n, x, y: ig.dream_objective(n, x, 7), "no class 7"),
])
def test_bad_arguments_give_one_sentence(call, phrase):
    net, x = _image_net(9)
    y = np.eye(3)[0]
    with pytest.raises(ConfigError) as info:
        call(net, x, y)
    text = str(info.value)
    assert phrase in text, text
    assert "\n" not in text and text.endswith(".") and "Traceback" not in text
