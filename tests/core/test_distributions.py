"""DistributionHistory: percentile bands against np.percentile, histograms, unit health of hand-set
layers, update ratios and their gaps, bounded thinning, NaN weights, the pacer and the table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.core.distributions import (MAX_SAMPLES, PERCENTILES, QUANTITIES, DistributionHistory,
                                          RecordPacer, forward_activations, health_kind, histogram,
                                          percentiles, probe_inputs, sorted_finite, unit_health)


def one_layer(w, b, activation="sigmoid"):
    return [np.asarray(w, dtype=np.float64)], [np.asarray(b, dtype=np.float64)], [activation]


@pytest.mark.parametrize("values", [
    np.arange(11.0),
    np.array([3.0]),
    np.array([-1.0, 1.0]),
    np.random.default_rng(1).standard_normal((784, 30)),
    np.random.default_rng(2).exponential(size=1001).astype(np.float32),
])
def test_percentiles_equal_numpy(values):
    np.testing.assert_allclose(percentiles(values), np.percentile(values.astype(np.float64), PERCENTILES),
                               rtol=1e-12, atol=1e-12)


def test_percentiles_leave_non_finite_values_out():
    values = np.array([1.0, np.nan, 2.0, np.inf, 3.0, -np.inf])
    s, bad = sorted_finite(values)
    assert bad == 3 and s.tolist() == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(percentiles(values), np.percentile([1.0, 2.0, 3.0], PERCENTILES))
    assert np.isnan(percentiles(np.array([np.nan, np.inf]))).all()


def test_histogram_counts_every_value_once():
    values = np.random.default_rng(0).standard_normal(5000)
    s, _ = sorted_finite(values)
    edges, counts = histogram(s, bins=30)
    assert len(edges) == 31 and counts.sum() == 5000
    assert edges[0] == s[0] and edges[-1] == s[-1]
    ref, _ = np.histogram(values, bins=edges)
    assert np.abs(counts - ref).max() <= 1          # only values on an edge may fall the other way
    edges, counts = histogram(np.full(7, 2.0))       # a constant: one unit wide around it
    assert counts.sum() == 7 and edges[0] == 1.5 and edges[-1] == 2.5


def test_probe_is_fixed_evenly_spaced_and_covers_the_set():
    X = np.arange(1000, dtype=np.float32)[:, None]
    p = probe_inputs(X, 256)
    assert p.shape == (256, 1) and p[0, 0] == 0 and p[-1, 0] == 999
    assert np.array_equal(p, probe_inputs(X, 256))
    assert probe_inputs(X[:10], 256).shape == (10, 1)


def test_forward_matches_a_network():
    from workbench.core.network import Network

    net = Network.create([3, 4, 2], ["tanh", "softmax"], "log-likelihood", rng=np.random.default_rng(0),
                         dtype="float64")
    X = np.random.default_rng(1).standard_normal((5, 3))
    acts = forward_activations(X, net.weights, net.biases, net.activations)
    _, ref = net.forward_cache(X)
    for a, r in zip(acts, ref[1:]):
        np.testing.assert_allclose(a, r)


def test_health_of_hand_set_layers():
    probe = np.random.default_rng(0).standard_normal((64, 3))
    w, b, _ = one_layer(np.ones((3, 4)), np.full(4, -100.0))
    dead = forward_activations(probe, w, b, ["relu"])[0]
    assert unit_health(dead, "relu") == 1.0                       # a bias of −100: every unit dead
    w, b, _ = one_layer(np.ones((3, 4)), np.zeros(4))
    assert unit_health(forward_activations(probe, w, b, ["relu"])[0], "relu") == 0.0
    # Weights of 1000: |z| is huge on (almost) every item, so the sigmoid is 0 or 1 there.
    w, b, _ = one_layer(np.full((3, 5), 1000.0), np.zeros(5))
    assert unit_health(forward_activations(probe, w, b, ["sigmoid"])[0], "sigmoid") == 1.0
    assert unit_health(forward_activations(probe, w, b, ["tanh"])[0], "tanh") == 1.0
    w2 = np.full((3, 5), 1000.0)
    w2[:, :2] = 1e-3                                             # two of five units stay linear
    assert unit_health(forward_activations(probe, [w2], b, ["sigmoid"])[0], "sigmoid") == pytest.approx(0.6)
    # One unit dead of two: its bias is −100, the other's is +100.
    assert unit_health(forward_activations(probe, [np.ones((3, 2))], [np.array([-100.0, 100.0])], ["relu"])[0],
                       "relu") == 0.5
    # A unit saturated on less than 95 % of the probe is not counted.
    a = np.full((100, 1), 0.999)
    a[:6] = 0.5
    assert unit_health(a, "sigmoid") == 0.0
    a[:6] = 0.001
    assert unit_health(a, "sigmoid") == 1.0
    for name in ("linear", "leaky-relu", "softmax"):
        assert health_kind(name) is None and math.isnan(unit_health(a, name))
    assert (health_kind("sigmoid"), health_kind("tanh"), health_kind("relu")) == ("saturated", "saturated", "dead")


def test_record_keeps_bands_health_ratios_and_latest_histograms():
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    biases = [np.full(4, -100.0), np.zeros(2)]
    grads = [rng.standard_normal(4), rng.standard_normal(2)]
    probe = rng.standard_normal((50, 3))
    h = DistributionHistory()
    h.record(weights, biases, ["relu", "sigmoid"], x=0.0, step=0, probe=probe)
    h.record(weights, biases, ["relu", "sigmoid"], x=1.5, step=6, bias_gradients=grads, probe=probe,
             update_ratios=[1e-3, None])
    assert h.n == 2 and h.x().tolist() == [0.0, 1.5] and h.steps().tolist() == [0, 6]
    np.testing.assert_allclose(h.bands("weights", 1)[1], np.percentile(weights[1], PERCENTILES))
    np.testing.assert_allclose(h.bands("bias_gradients", 0)[1], np.percentile(grads[0], PERCENTILES))
    assert np.isnan(h.bands("bias_gradients", 0)[0]).all()           # the first sample had none
    acts = forward_activations(probe, weights, biases, ["relu", "sigmoid"])
    np.testing.assert_allclose(h.bands("activations", 1)[1], np.percentile(acts[1], PERCENTILES))
    assert h.health()[1, 0] == 1.0                                   # bias −100: all dead
    logs = h.log_update_ratios()
    assert logs[1, 0] == pytest.approx(-3.0) and math.isnan(logs[1, 1]) and np.isnan(logs[0]).all()
    for q, sizes in (("weights", [12, 8]), ("bias_gradients", [4, 2]), ("activations", [200, 100])):
        assert [hist[1].sum() for hist in h.latest_histograms[q]] == sizes
        assert h.latest_sizes[q] == sizes


def test_a_probe_that_does_not_fit_gives_no_activations():
    w, b, acts = one_layer(np.ones((3, 2)), np.zeros(2))
    h = DistributionHistory()
    h.record(w, b, acts, x=0.0, probe=np.ones((10, 5)))
    assert np.isnan(h.bands("activations", 0)).all() and math.isnan(h.health()[0, 0])
    assert h.latest_histograms["activations"] == [None]


def test_nan_weights_are_counted_and_left_out():
    w = np.arange(12.0).reshape(3, 4)
    w[0, 0] = np.nan
    w[1, 1] = np.inf
    h = DistributionHistory()
    h.record([w], [np.zeros(4)], ["sigmoid"], x=0.0, probe=np.ones((8, 3)))
    finite = w[np.isfinite(w)]
    np.testing.assert_allclose(h.bands("weights", 0)[0], np.percentile(finite, PERCENTILES))
    assert h.nonfinite("weights")[0, 0] == 2 and h.latest_nonfinite()["weights"] == [2]
    assert h.latest_histograms["weights"][0][1].sum() == 10
    # Every activation NaN: the bands are NaN, nothing raises.
    h.record([np.full((3, 4), np.nan)], [np.zeros(4)], ["sigmoid"], x=1.0, probe=np.ones((8, 3)))
    assert np.isnan(h.bands("activations", 0)[1]).all() and h.nonfinite("activations")[1, 0] == 32
    assert h.latest_histograms["weights"] == [None]


def test_thinning_bounds_memory_and_keeps_first_and_latest():
    h = DistributionHistory(max_samples=100)
    w, b, acts = one_layer(np.ones((2, 2)), np.zeros(2))
    for k in range(1000):
        h.record([w[0] * k], b, acts, x=k / 10, step=k)
        assert h.n <= 101
        assert h.steps()[0] == 0 and h.steps()[-1] == k
    steps = h.steps()
    assert np.all(np.diff(steps) > 0)
    inner = steps[1:-1]
    assert np.all(inner % h.stride == 0) and h.stride >= 8
    assert h.bands("weights", 0)[-1, 4] == 999.0                     # the latest sample's own values
    assert MAX_SAMPLES == 2000


def test_depth_change_and_reset_start_over():
    h = DistributionHistory()
    w, b, acts = one_layer(np.ones((2, 2)), np.zeros(2))
    h.record(w, b, acts, x=0.0)
    h.record(w + w, b + b, acts + acts, x=1.0)                        # two layers now
    assert h.n == 1 and h.n_layers == 2
    serial = h.serial
    h.reset()
    assert h.n == 0 and h.serial > serial and h.table()[1] == []


def test_table_has_one_row_per_sample_and_layer():
    h = DistributionHistory()
    w = [np.ones((2, 3)), np.ones((3, 1))]
    b = [np.zeros(3), np.zeros(1)]
    for k in range(3):
        h.record(w, b, ["tanh", "sigmoid"], x=k, step=k, update_ratios=[0.01, 0.1])
    header, rows = h.table()
    assert len(rows) == 6 and all(len(r) == len(header) for r in rows)
    assert header[:3] == ["step", "epoch", "layer"] and "weights p50" in header
    assert len(header) == 3 + len(QUANTITIES) * 10 + 4
    assert rows[-1][header.index("log10 update ratio")] == pytest.approx(-1.0)
    assert rows[0][header.index("health measure")] == "saturated"


def test_pacer_takes_every_20_hz_snapshot_of_a_cheap_sample():
    p = RecordPacer(share=0.02, burst=0.005)
    taken = 0
    for i in range(20):                                               # one second of 20 Hz snapshots
        now = i * 0.05
        if p.due(now):
            p.spent(0.0004, now)                                      # 0.4 ms: MNIST [784, 30, 10]
            taken += 1
    assert taken == 20


def test_pacer_keeps_recording_within_its_share_of_the_wall_time():
    p = RecordPacer(share=0.02, burst=0.005)
    spent = 0.0
    for i in range(2000):                                             # 100 s of 20 Hz snapshots
        now = i * 0.05
        if p.due(now):
            p.spent(0.003, now)                                       # 3 ms a sample: 60 % of 20 Hz
            spent += 0.003
    assert 0.02 * 100 - 0.01 <= spent <= 0.02 * 100 + 0.005 + 0.003
    p.spent(0.1, 200.0)                 # one slow sample, less the 5 ms banked: 4.75 s to pay back
    assert not p.due(204.7) and p.due(204.8)
    p.reset()
    assert p.due(0.0)
    capped = RecordPacer(share=1.0, max_rate_hz=4.0)
    capped.spent(0.0, 0.0)
    assert not capped.due(0.2) and capped.due(0.25)


def test_bias_gradient_histograms_stay_until_newer_ones_arrive():
    w, b, acts = one_layer(np.ones((2, 3)), np.zeros(3))
    h = DistributionHistory()
    h.record(w, b, acts, x=0.0, bias_gradients=[np.arange(3.0)])
    h.record(w, b, acts, x=1.0)                                       # the network's own arrays: no ∂C/∂b
    assert np.isnan(h.bands("bias_gradients", 0)[1]).all()
    assert h.latest_histograms["bias_gradients"][0][1].sum() == 3
