"""Diagnostics: the oscillating-cost warning (real runs and synthetic curves) and the run-time estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.core import EpochRecord, Hyperparameters, Network, train
from workbench.core.diagnostics import estimate_run_seconds, oscillation
from workbench.data import load_dataset


def epoch_costs(dataset, sizes, activations, cost, **hp):
    """Train a fresh network (seed 0) and return its train cost after each epoch, epoch 0 first."""
    ds = load_dataset(dataset)
    net = Network.create(sizes, activations, cost, rng=np.random.default_rng(0))
    records = train(net, ds.train.X, ds.train.Y, Hyperparameters(**hp), np.random.default_rng(0))
    return [rec.train_cost for rec in records if type(rec) is EpochRecord]


def xor_costs(lr, cost="cross-entropy", epochs=300):
    return epoch_costs("xor", [2, 2, 1], ["sigmoid", "sigmoid"], cost, lr=lr, batch_size="full", epochs=epochs)


# -- real runs ------------------------------------------------------------------------------------

def test_xor_with_a_huge_learning_rate_swings_and_is_reported():
    # η = 1000, full batch, cross-entropy: after one epoch the cost alternates between about 11.65
    # and 238.35 every epoch, for good (nothing diverges: the sigmoids saturate).
    costs = xor_costs(1000)
    assert len(costs) == 301
    tail = np.array(costs[-40:])
    assert np.all(np.isfinite(tail))
    assert np.allclose(tail[::2], tail[0], rtol=1e-3) and np.allclose(tail[1::2], tail[1], rtol=1e-3)
    assert min(tail[:2]) < 20 and max(tail[:2]) > 200
    message = oscillation(costs, lr=1000)
    assert message == ("The cost has swung between 11.6 and 238 for the last 20 epochs without falling: "
                       "the learning rate (1000) may be too high; try a smaller one.")
    assert oscillation(costs, window=40).startswith("The cost has swung between 11.6 and 238 for the last 40")
    assert "(" not in oscillation(costs)          # no learning rate named when none is given


def test_xor_with_a_smaller_but_too_high_rate_is_reported_too():
    assert oscillation(xor_costs(100), lr=100) is not None     # about 4.8 <-> 20.2


@pytest.mark.parametrize(("lr", "cost"), [(0.5, "cross-entropy"), (5.0, "cross-entropy"),
                                          (0.5, "quadratic"), (1000, "quadratic")])
def test_healthy_slow_or_stuck_xor_runs_are_not_reported(lr, cost):
    # 0.5: a slow plateau near ln 2; 1000 with the quadratic cost saturates at 0.25 and stays (stuck).
    assert oscillation(xor_costs(lr, cost)) is None


def test_a_noisy_mini_batch_run_is_not_reported():
    costs = epoch_costs("spiral", [2, 16, 2], ["tanh", "sigmoid"], "cross-entropy", lr=0.5, batch_size=10,
                        epochs=200)
    assert np.std(np.diff(costs[-20:])) > 0.01        # really noisy, from epoch to epoch
    assert oscillation(costs) is None and oscillation(costs, window=40) is None


def test_a_mnist_run_is_not_reported(mnist_dir):
    ds = load_dataset(f"mnist:{mnist_dir},train=2000,validation=100,test=100")
    for lr in (0.5, 3.0):
        net = Network.create([784, 30, 10], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(0))
        records = train(net, ds.train.X, ds.train.Y, Hyperparameters(lr=lr, batch_size=10, epochs=25),
                        np.random.default_rng(0))
        costs = [rec.train_cost for rec in records if type(rec) is EpochRecord]
        assert oscillation(costs) is None, lr


# -- synthetic curves -----------------------------------------------------------------------------

def swinging(n=100, low=0.01, high=712.0):
    """Epoch 0 at 0.7, then high, low, high, …"""
    return [0.7] + [high if t % 2 else low for t in range(1, n + 1)]


def test_the_issue_curve_is_reported():
    assert oscillation(swinging()) == ("The cost has swung between 0.01 and 712 for the last 20 epochs without "
                                       "falling: the learning rate may be too high; try a smaller one.")


def test_a_noisy_decreasing_curve_is_not_reported():
    rng = np.random.default_rng(1)
    t = np.arange(61)
    for noise in (0.01, 0.05, 0.2):
        level = 0.08 + 2.3 * np.exp(-t / 4)
        costs = level * (1 + noise * rng.standard_normal(len(t)))
        assert oscillation(costs.tolist()) is None, noise
        assert oscillation(costs.tolist(), window=40) is None, noise


def test_plateaus_are_not_reported():
    assert oscillation([0.693] * 200) is None
    rng = np.random.default_rng(2)
    assert oscillation((0.3 + 0.01 * rng.standard_normal(200)).tolist()) is None
    # a converged cost jittering at the level of float32 rounding, around 0 (even slightly below)
    assert oscillation([0.7] + (1e-6 * rng.standard_normal(200)).tolist()) is None


def test_a_run_shorter_than_the_window_is_not_judged():
    assert oscillation(swinging(19)) is None                 # 20 costs: 19 epochs after epoch 0
    assert oscillation(swinging(20)) is not None
    assert oscillation(swinging(8), window=8) is not None
    assert oscillation(swinging(30), window=40) is None
    assert oscillation([]) is None


def test_a_step_or_a_falling_swing_is_not_reported():
    assert oscillation([0.7] * 30 + [50.0] * 30) is None               # jumped once, stays
    falling = [0.7] + [(2.0 if t % 2 else 1.0) * 0.9 ** t for t in range(1, 60)]
    assert oscillation(falling) is None                                 # swings, but every low is new
    slow = [0.7] + [5 + 4 * math.sin(2 * math.pi * t / 40) for t in range(1, 100)]
    assert oscillation(slow) is None                                    # one slow wave, few reversals


def test_spikes_count_as_swings():
    spiky = [0.7] + [500.0 if t % 4 == 0 else 0.02 for t in range(1, 80)]
    assert oscillation(spiky) is not None


def test_missing_costs():
    costs = swinging(60)
    for i in (45, 50, 58):
        costs[i] = None
    costs[52] = math.nan
    costs[55] = math.inf
    assert oscillation(costs) is not None           # a few gaps: still judged
    half_missing = swinging(60)
    half_missing[-12:] = [None] * 12
    assert oscillation(half_missing) is None        # most of the window missing: not judged


def test_the_window_must_make_sense():
    with pytest.raises(ValueError, match="at least 4"):
        oscillation(swinging(), window=3)


# -- run-time estimate ----------------------------------------------------------------------------

MNIST = [784, 30, 10]


def test_mnist_estimate_is_the_right_order_of_magnitude():
    # measured on a 2-core machine: about 170,000 samples/s, so 1.5 M samples ≈ 9 s
    assert 3 < estimate_run_seconds(50_000, 10, 30, MNIST) < 60


def test_xor_estimate_is_the_right_order_of_magnitude():
    # measured: about 18,000 epochs/s (one batch of 4 and its evaluation) -> 2,000 epochs ≈ 0.1 s
    assert 0.02 < estimate_run_seconds(4, 4, 2000, [2, 2, 1]) < 1


def test_full_batch_mnist_is_dominated_by_flops():
    # one batch of 50,000 per epoch: ~7 Gflop of training and ~2.4 Gflop of evaluation an epoch
    seconds = estimate_run_seconds(50_000, "full", 2000, MNIST)
    assert 60 < seconds < 3600
    assert seconds < estimate_run_seconds(50_000, 10, 2000, MNIST)     # far less per-batch overhead


def test_estimates_are_monotonic():
    base = estimate_run_seconds(50_000, 10, 30, MNIST)
    assert estimate_run_seconds(50_000, 10, 60, MNIST) == pytest.approx(2 * base)
    assert estimate_run_seconds(100_000, 10, 30, MNIST) == pytest.approx(2 * base, rel=1e-3)
    times = [estimate_run_seconds(50_000, m, 30, MNIST) for m in (1, 10, 100, 1000, 50_000)]
    assert times == sorted(times, reverse=True) and len(set(times)) == len(times)
    assert estimate_run_seconds(50_000, 10, 30, [784, 100, 10]) > base
    assert estimate_run_seconds(50_000, 10, 30, [784, 30, 30, 10]) > base


def test_full_batch_spellings_agree():
    full = estimate_run_seconds(1000, "full", 5, [2, 8, 1])
    assert full == estimate_run_seconds(1000, 0, 5, [2, 8, 1]) == estimate_run_seconds(1000, 5000, 5, [2, 8, 1])
    assert full == estimate_run_seconds(1000, 1000, 5, [2, 8, 1])


def test_a_measured_rate_is_used_as_is():
    assert estimate_run_seconds(50_000, 10, 30, MNIST, samples_per_second=150_000) == pytest.approx(10.0)


def test_nothing_to_train_takes_no_time():
    assert estimate_run_seconds(50_000, 10, 0, MNIST) == 0.0
    assert estimate_run_seconds(0, 10, 30, MNIST) == 0.0


@pytest.mark.parametrize("kwargs", [dict(n_train=-1), dict(epochs=-2), dict(sizes=[784]), dict(sizes=[784, 0, 10]),
                                    dict(samples_per_second=0.0), dict(samples_per_second=math.nan)])
def test_bad_estimate_inputs(kwargs):
    args = dict(n_train=100, batch_size=10, epochs=3, sizes=MNIST) | kwargs
    with pytest.raises(ValueError):
        estimate_run_seconds(**args)
