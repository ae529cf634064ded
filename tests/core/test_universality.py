"""The universality maths (Nielsen ch. 4): steps, pairs, bumps, goals and the average deviation."""

import math

import numpy as np
import pytest

from workbench.core import Network
from workbench.core import universality as u


def test_a_hand_built_bump_gives_the_deviation_worked_out_by_hand():
    # One bump of height 0.6 from 0.25 to 0.75 (steps of w = 1e6) against the goal g(x) = 0.5 on
    # 401 points of [0, 1]: 199 points inside miss by 0.1, 200 outside by 0.5, and at the two edges
    # (σ(0) = 1/2) the network gives 0.3, 0.2 off: (199·0.1 + 200·0.5 + 2·0.2) / 401 = 0.3.
    net = u.bump_network([0.25, 0.75], [0.6], w=1e6)
    x = u.grid((0.0, 1.0), 401)
    f = net.output_values(x)
    assert f[0] == pytest.approx(0.0) and f[200] == pytest.approx(0.6) and f[100] == pytest.approx(0.3)
    assert u.average_deviation(f, np.full_like(x, 0.5)) == pytest.approx(0.3, abs=1e-12)
    # a goal the bump fits exactly: no deviation but at the two edge points
    goal = np.where((x > 0.25) & (x < 0.75), 0.6, 0.0)
    assert u.average_deviation(f, goal) == pytest.approx(2 * 0.3 / 401, abs=1e-12)


def test_the_curves_match_the_networks_own_forward_pass():
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=(1, 6)), rng.normal(size=(6, 1))]
    biases = [rng.normal(size=6), rng.normal(size=1)]
    x = u.grid((-2.0, 2.0), 50)
    for output in ("linear", "sigmoid", "tanh"):
        net = Network(weights, biases, ["sigmoid", output], "quadratic", dtype="float64")
        p = u.OneHidden.from_arrays(net.weights, net.biases, net.activations)
        hidden = p.hidden(x)
        assert hidden.shape == (6, 50)
        np.testing.assert_allclose(hidden, 1 / (1 + np.exp(-(np.outer(weights[0][0], x) + biases[0][:, None]))))
        weighted = p.weighted_sum(x, hidden)
        np.testing.assert_allclose(p.output_values(x, weighted), net.forward(x.reshape(-1, 1))[:, 0], rtol=1e-12)
    np.testing.assert_allclose(u.output_activation("sigmoid", np.array([0.0, 2.0])), [0.5, 1 / (1 + math.exp(-2))])


def test_step_points_and_pairs_round_trip():
    rng = np.random.default_rng(0)
    for h in (1, 2, 5, 10):
        steps = rng.uniform(0, 1, h)
        heights = rng.normal(size=(h + 1) // 2)
        w, b, v = u.pairs_to_parameters(steps, heights, h)
        assert np.all(w == u.STEEP_W)
        s2, h2 = u.parameters_to_pairs(w, b, v)
        np.testing.assert_allclose(s2, steps, rtol=1e-12)
        np.testing.assert_allclose(h2, heights)
        if h >= 2:
            assert v[1] == -v[0]
    assert u.step_point(4.0, -2.0) == 0.5
    np.testing.assert_allclose(u.bias_for_step(0.5, 4.0), -2.0)
    v = u.set_pair_height([1.0, -1.0, 2.0, -2.0, 3.0], 2, 0.5)
    np.testing.assert_allclose(v, [1, -1, 2, -2, 0.5])
    np.testing.assert_allclose(u.set_pair_height(v, 0, 4.0), [4, -4, 2, -2, 0.5])
    with pytest.raises(ValueError):
        u.pairs_to_parameters([0.1, 0.2], [1.0, 2.0], 2)


def test_a_flat_neuron_has_no_step_point():
    assert u.step_point(0.0, 3.0) is None
    assert u.step_point(float("nan"), 3.0) is None
    with np.errstate(all="raise"):           # no division by zero anywhere
        s = u.step_points(np.array([0.0, 2.0]), np.array([1.0, -1.0]))
    assert math.isnan(s[0]) and s[1] == 0.5


def test_goals_from_generators_points_and_polylines():
    x = u.grid((0.0, 1.0), 11)
    from workbench.data.functions import nielsen_function

    np.testing.assert_allclose(u.goal_values("nielsen-function", x), nielsen_function(x))
    np.testing.assert_allclose(u.goal_values("sine", np.array([0.5])), [1.0])
    # a drawn polyline (few points, any order) is interpolated through its corners
    g = u.goal_from_points([1.0, 0.0, 0.5], [0.0, 0.0, 1.0], x)
    np.testing.assert_allclose(g, 1 - np.abs(2 * x - 1), atol=1e-12)
    # many noisy samples are averaged per bin: the noise cancels out
    rng = np.random.default_rng(1)
    px = rng.uniform(0, 1, 200_000)
    py = 2 * px + rng.normal(0, 0.1, px.shape)
    g = u.goal_from_points(px, py, u.grid((0.0, 1.0), 50))
    np.testing.assert_allclose(g[1:-1], 2 * u.grid((0.0, 1.0), 50)[1:-1], atol=0.02)
    assert u.goal_from_points([np.nan], [1.0], x) is None
    assert u.goal_from_points([], [], x) is None
    assert math.isnan(u.average_deviation(np.zeros(3), np.zeros(4)))


def test_shape_problem_names_the_network():
    assert u.shape_problem([1, 10, 1], ["sigmoid", "linear"]) is None
    assert u.shape_problem([784, 30, 10], ["sigmoid", "sigmoid"]) == (
        "Universality works with 1-input, 1-output networks with one sigmoid hidden layer: this network is 784-30-10.")
    assert "with a tanh hidden layer" in u.shape_problem([1, 4, 1], ["tanh", "linear"])
    assert "1-4-4-1" in u.shape_problem([1, 4, 4, 1], ["sigmoid"] * 3)
    assert u.shape_problem([1, None, 1], ["sigmoid", "linear"]) is not None


def test_sample_cost_is_bounded_and_matches_evaluate():
    net = Network([np.ones((1, 2)), np.ones((2, 1))], [np.zeros(2), np.zeros(1)], ["sigmoid", "linear"],
                  "quadratic", dtype="float64")
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    Y = np.zeros((30, 1))
    cost, n = u.sample_cost(net, X, Y, limit=10)
    assert n == 10 and cost == pytest.approx(net.evaluate(X[:10], Y[:10], classification=False)[0])
    assert u.sample_cost(net, X[:0], Y[:0])[1] == 0


def test_the_committed_lab_is_what_the_code_writes_and_loads():
    from workbench.core.lab_files import lab_documents, lab_text
    from workbench.core.labs import LABS_DIR, load_lab

    committed = LABS_DIR / "universality.wbsession"
    assert committed.read_bytes() == lab_text(lab_documents()["universality"]), "run python -m workbench.core.lab_files"
    lab = load_lab("universality")
    assert lab.group == "Nielsen, chapter 4" and "average deviation" in lab.text
    session = lab.session
    assert session.architecture == {"sizes": [1, 10, 1], "activations": ["sigmoid", "linear"], "cost": "quadratic"}
    assert session.views["front"] == "universality"
    net = u.lab_network()
    p = u.OneHidden.from_arrays(net.weights, net.biases, net.activations)
    steps, heights = u.parameters_to_pairs(p.w, p.b, p.v)
    np.testing.assert_allclose(steps, [0, .2, .2, .4, .4, .6, .6, .8, .8, 1], atol=1e-6)
    np.testing.assert_allclose(heights, 0.3)
    assert np.all(p.w == u.STEEP_W)
