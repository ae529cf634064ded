"""core.smoothing: TensorBoard's debiased moving average (against a plain loop), its incremental form,
and LogSmoother over a growing RunHistory (appends, thinning, new generations, zeros, NaN gaps)."""

import math

import numpy as np
import pytest

from workbench.core import BatchRecord
from workbench.core import history as history_module
from workbench.core.history import RunHistory
from workbench.core.smoothing import MAX_SMOOTHING, LogSmoother, clamp_smoothing, ema, ema_reference


def noisy(rows, n, seed=0, holes=True):
    """(rows, n) log-like values with NaN and ±inf sprinkled in (when ``holes``)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(-2.0, 0.7, size=(rows, n))
    if holes:
        x[rng.random((rows, n)) < 0.03] = np.nan
        x[rng.random((rows, n)) < 0.01] = np.inf
        x[rng.random((rows, n)) < 0.01] = -np.inf
    return x


def same(a, b, tol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=tol, atol=tol)


@pytest.mark.parametrize("a", [0.0, 0.1, 0.5, 0.9, 0.99])
def test_ema_matches_the_loop_reference(a):
    x = noisy(3, 5000, seed=int(a * 100))
    smoothed, _, _ = ema(x, a)
    same(smoothed, [ema_reference(row, a) for row in x])
    # One row works too.
    same(ema(x[1], a)[0], ema_reference(x[1], a))


def test_the_reference_is_tensorboards_formula():
    a, x = 0.6, [2.0, 4.0, 8.0]
    acc1 = (1 - a) * 2.0
    acc2 = a * acc1 + (1 - a) * 4.0
    acc3 = a * acc2 + (1 - a) * 8.0
    assert ema_reference(x, a) == pytest.approx([acc1 / (1 - a), acc2 / (1 - a ** 2), acc3 / (1 - a ** 3)])


def test_debiased_start_is_not_pulled_to_zero():
    x = np.full(50, -3.0)
    smoothed, _, _ = ema(x, 0.99)
    assert smoothed == pytest.approx(np.full(50, -3.0), abs=1e-12)   # a constant stays constant
    assert ema([5.0, 7.0], 0.9)[0][0] == pytest.approx(5.0)          # the first value is itself


def test_non_finite_values_are_skipped_and_nothing_before_the_first_value():
    x = np.array([np.nan, np.inf, 1.0, np.nan, 3.0])
    smoothed, acc, count = ema(x, 0.5)
    assert math.isnan(smoothed[0]) and math.isnan(smoothed[1])
    assert smoothed[2] == pytest.approx(1.0) and smoothed[3] == pytest.approx(1.0)   # held
    assert smoothed[4] == pytest.approx((0.25 + 1.5) / 0.75)
    assert count.tolist() == [2.0]


def test_incremental_equals_one_pass():
    x = noisy(4, 3001, seed=3)
    whole, _, _ = ema(x, 0.95)
    parts, acc, count, start = [], None, None, 0
    for size in (1, 7, 500, 1, 1492, 1000):
        out, acc, count = ema(x[:, start:start + size], 0.95, acc, count)
        parts.append(out)
        start += size
    assert start == 3001
    same(np.concatenate(parts, axis=1), whole)


def test_long_series_do_not_overflow():
    x = np.full((1, 200_000), 4.0)
    x[0, ::3] = -4.0
    smoothed, _, _ = ema(x, 0.1)
    assert np.isfinite(smoothed).all()
    same(smoothed[0, -1000:], ema_reference(x[0], 0.1)[-1000:])


def test_clamp_smoothing():
    assert clamp_smoothing(0.5) == 0.5
    assert clamp_smoothing(2) == MAX_SMOOTHING and clamp_smoothing(-1.0) == 0.0
    for bad in (None, "0.9", float("nan"), float("inf"), True, [0.9]):
        assert clamp_smoothing(bad, 0.7) == 0.7


# ---------------------------------------------------------------------- LogSmoother
def log10(v):
    v = np.asarray(v, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, np.log10(v), np.nan)


def expected(values, a):
    """What LogSmoother should hold: the ema of log10, NaN where the value is not a finite number."""
    values = np.asarray(values, float)
    out, _, _ = ema(log10(values), a)
    out[~np.isfinite(values)] = np.nan
    return out


def test_log_smoother_zeros_floor_and_gaps():
    values = np.array([[1e-2, 0.0, 1e-3, np.nan, 1e-2, np.inf],
                       [0.0, 0.0, 1e-4, 1e-4, 0.0, 1e-4]])
    s = LogSmoother()
    s.update(values, None, 0.5)
    sm = s.smoothed
    assert sm[0, 1] == sm[0, 0] == pytest.approx(-2.0)      # a zero holds the line
    assert math.isnan(sm[0, 3]) and math.isnan(sm[0, 5])    # NaN and inf are gaps
    assert math.isnan(sm[1, 0]) and math.isnan(sm[1, 1])    # nothing to hold yet
    assert [z.tolist() for z in s.zeros] == [[1], [0, 1, 4]]
    assert s.min_log == pytest.approx(-4.0)
    assert s.floor_log() == -5.0                            # a decade below the smallest value
    same(sm, np.where(values == 0, sm, expected(values, 0.5)))
    assert LogSmoother().floor_log(-3.0) == -3.0           # no positive value: the fallback
    s.update(values[:, :2] * 0 + 3.0, None, 0.5, source="other")
    assert s.floor_log() == pytest.approx(-1.0)             # log10(3) = 0.48 -> floor(0.48) - 1


def test_log_smoother_uses_the_logs_given():
    values = np.array([[1e-2, 1e-3, 1e-1]])
    s = LogSmoother()
    s.update(values, log10(values) + 1.0, 0.0)              # the caller's (cached) logs are used
    assert s.smoothed[0].tolist() == pytest.approx([-1.0, -2.0, 0.0])


def batch(step, norms):
    return BatchRecord(epoch=1 + (step - 1) // 100, batch=1 + (step - 1) % 100, batches_in_epoch=100, step=step,
                       samples_seen=(1 + (step - 1) % 100) * 10, n_train=1000, cost=1.0,
                       delta_norms=list(norms), bias_gradients=[], weight_norms=[1.0] * len(norms), watched=[])


def grow(history, start, stop, rng):
    history.add_batches([batch(s, np.exp(rng.normal(-4, 1, history.n_layers)) * (s % 17 != 0))
                         for s in range(start, stop)])


def smooth_history(smoother, history, a):
    smoother.update(history.batch_delta_norms(), history.log10_batch_delta_norms(), a,
                    history.batch_step(), source=history.generation)


def test_log_smoother_follows_a_growing_history_incrementally():
    rng = np.random.default_rng(1)
    h = RunHistory(3, True)
    s = LogSmoother()
    for chunk in range(12):
        grow(h, 1 + 37 * chunk, 1 + 37 * (chunk + 1), rng)
        smooth_history(s, h, 0.9)
        fresh = LogSmoother()
        smooth_history(fresh, h, 0.9)
        same(s.smoothed, fresh.smoothed)
        assert [z.tolist() for z in s.zeros] == [z.tolist() for z in fresh.zeros]
    assert s.recomputed == 1                                # only appended points were smoothed
    raw = np.asarray(h.batch_delta_norms())
    same(s.smoothed, np.where(raw == 0, s.smoothed, expected(raw, 0.9)))
    assert all(len(z) == 444 // 17 for z in s.zeros)       # every 17th step is an exact zero
    smooth_history(s, h, 0.5)                               # another smoothing: computed afresh
    assert s.recomputed == 2
    same(s.smoothed, np.where(raw == 0, s.smoothed, expected(raw, 0.5)))


def test_log_smoother_recomputes_after_thinning_and_a_new_generation(monkeypatch):
    monkeypatch.setattr(history_module, "MAX_POINTS", 64)
    rng = np.random.default_rng(2)
    h = RunHistory(2, True)
    s = LogSmoother()
    step, stride, thinned = 1, 1, 0
    for chunk in range(120):
        size = 9 if chunk % 13 else 70     # now and then more than MAX_POINTS at once
        grow(h, step, step + size, rng)
        step += size
        before = s.recomputed
        smooth_history(s, h, 0.8)
        fresh = LogSmoother()
        smooth_history(fresh, h, 0.8)
        same(s.smoothed, fresh.smoothed)
        assert [z.tolist() for z in s.zeros] == [z.tolist() for z in fresh.zeros]
        if chunk and h.batch_stride != stride:
            assert s.recomputed == before + 1      # thinned: rows rewritten, smoothed afresh
            thinned += 1
        elif chunk:
            assert s.recomputed == before          # appended: only the new points smoothed
        stride = h.batch_stride
    assert thinned >= 2
    # Thinned and grown back past the rows smoothed before: noticed by the steps (keys) of those rows.
    h = RunHistory(2, True)
    grow(h, 1, 11, rng)
    smooth_history(s, h, 0.8)
    before = s.recomputed
    grow(h, 11, 111, rng)                  # 110 rows > 64: every 4th step kept, 27 rows
    assert h.batch_stride == 4 and h.batch_points >= 10
    smooth_history(s, h, 0.8)
    assert s.recomputed == before + 1
    fresh = LogSmoother()
    smooth_history(fresh, h, 0.8)
    same(s.smoothed, fresh.smoothed)
    # A new generation with as many rows and the same steps is noticed too.
    other = RunHistory(2, True)
    grow(other, 1, 1 + h.batch_points, np.random.default_rng(9))
    smooth_history(s, other, 0.8)
    fresh = LogSmoother()
    smooth_history(fresh, other, 0.8)
    same(s.smoothed, fresh.smoothed)
