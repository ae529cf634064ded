"""Smoothing of noisy curves the way TensorBoard does it, in log space, kept up to date as a run grows.

TensorBoard's "smoothing" slider ``a`` in [0, 1) runs an exponential moving average over the finite
values ``x_1, x_2, ...`` of a curve and divides out its bias towards the starting value 0::

    acc_t = a * acc_(t-1) + (1 - a) * x_t        (acc_0 = 0)
    smoothed_t = acc_t / (1 - a ** k_t)           (k_t: finite values so far)

``ema`` does this for every row of a (rows, n) array at once, without a Python loop per point: the
recurrence is an affine map per point, composed by a parallel prefix scan in log2(n) vectorised
passes (every factor is at most 1, so nothing overflows).  A point that is not a value (NaN, ±inf)
leaves the average unchanged; ``ema`` returns the average held there and the caller decides what to
show (``LogSmoother`` shows a gap for NaN/inf and holds the line over exact zeros).

``LogSmoother`` smooths log10 of a growing history such as the per-batch ‖δˡ‖ and, at each call,
only the points appended since the last one.  It starts over when the caller's ``source`` token
changes (a new history generation, another resolution), when the smoothing changes, or when the
rows already smoothed were rewritten (a history thinned to every 2nd batch: its ``keys``, e.g. the
batch steps, no longer match at the first and last rows smoothed).  It also collects the zeros: a
layer whose gradient is exactly 0 (dead units) has no logarithm, so a log plot pins those points to
a floor one decade below the smallest positive value (``floor_log``) instead of dropping them.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["MAX_SMOOTHING", "clamp_smoothing", "ema", "ema_reference", "LogSmoother"]

#: The largest smoothing offered (TensorBoard's slider stops at 0.999; 0.99 already averages ~100 points).
MAX_SMOOTHING = 0.99


def clamp_smoothing(value, default: float = 0.0) -> float:
    """``value`` as a smoothing in [0, MAX_SMOOTHING] (rounded to 3 decimals), ``default`` if it is none."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return round(min(max(float(value), 0.0), MAX_SMOOTHING), 3)


def _affine_scan(factor: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compose y_t = factor_t * y_(t-1) + offset_t along axis 1: returns (F, B) with
    y_t = F_t * y_0 + B_t.  factor, offset: (rows, n) float64; both are copied."""
    F, B = factor.copy(), offset.copy()
    n = F.shape[1]
    shift = 1
    while shift < n:
        # Hillis-Steele: point t takes the composition of the `shift` points before it.
        B[:, shift:] += F[:, shift:] * B[:, :-shift]
        F[:, shift:] *= F[:, :-shift]
        shift *= 2
    return F, B


def ema(values, smoothing: float, acc=None, count=None):
    """TensorBoard's debiased exponential moving average of every row of ``values``.

    values: (rows, n) or (n,) floats; non-finite ones are skipped (the average holds over them).
    smoothing: the weight ``a`` in [0, 1) of the previous average.
    acc, count: (rows,) state after earlier points (the biased average and how many finite values
    it holds), or None for a start.  Returns (smoothed, acc, count): smoothed has the shape of
    ``values`` and is NaN before a row's first finite value; acc and count continue the rows.
    """
    x = np.asarray(values, dtype=np.float64)
    one_row = x.ndim == 1
    x = np.atleast_2d(x)
    rows, n = x.shape
    a = float(smoothing)
    acc = np.zeros(rows) if acc is None else np.asarray(acc, dtype=np.float64)
    count = np.zeros(rows) if count is None else np.asarray(count, dtype=np.float64)
    if n == 0:
        return (x[0] if one_row else x).copy(), acc.copy(), count.copy()
    finite = np.isfinite(x)
    factor = np.where(finite, a, 1.0)
    offset = np.where(finite, (1.0 - a) * np.where(finite, x, 0.0), 0.0)
    F, B = _affine_scan(factor, offset)
    biased = F * acc[:, None] + B
    counts = count[:, None] + np.cumsum(finite, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        smoothed = biased / (1.0 - np.power(a, counts)) if a > 0 else biased.copy()
    smoothed[counts == 0] = np.nan
    return (smoothed[0] if one_row else smoothed), biased[:, -1].copy(), counts[:, -1].copy()


def ema_reference(values, smoothing: float) -> list[float]:
    """The same average of one row by a plain loop (TensorBoard's code; for tests)."""
    last, k, out = 0.0, 0, []
    for v in values:
        v = float(v)
        if math.isfinite(v):
            last = last * smoothing + (1 - smoothing) * v
            k += 1
        out.append(last / (1 - smoothing ** k) if k else math.nan)
    return out


class LogSmoother:
    """log10 of a growing (rows, n) history of positive values, smoothed by ``ema`` incrementally.

    ``update`` takes the whole history each time and smooths only what was appended since the
    previous call; ``smoothed`` (rows, n) is then the smoothed log10 (NaN where the value is NaN or
    ±inf, the held average over exact zeros), ``zeros[r]`` the indices of row r's zero values and
    ``min_log`` the smallest log10 of a positive finite value seen (NaN if none).
    """

    def __init__(self):
        self._key = None
        self._n = 0
        self._rows = 0
        self._first = self._last = None
        self._acc = self._count = np.zeros(0)
        self._out = np.empty((0, 0))
        self._zeros: list[list[np.ndarray]] = []
        self.min_log = math.nan
        self.recomputed = 0     # full recomputations so far (tests and measurements read it)

    def update(self, values, logs=None, smoothing: float = 0.0, keys=None, source=None) -> None:
        """Bring the smoothing up to date with ``values`` (rows, n).

        logs: log10 of ``values`` (NaN where not positive) if the caller has them cached, else None.
        keys: (n,) strictly increasing labels of the points (batch steps, epoch numbers) by which a
        rewrite of rows already smoothed is noticed.  source: anything that changes when the
        history starts over (compared with ``==``)."""
        values = np.asarray(values, dtype=np.float64)
        rows, n = values.shape
        key = (source, float(smoothing), rows)
        stale = key != self._key or n < self._n
        if not stale and self._n and keys is not None:
            stale = keys[0] != self._first or keys[self._n - 1] != self._last
        if stale:
            self._start(key, rows)
        if n > self._n:
            self._extend(values, logs, smoothing, n)
        if keys is not None and n:
            self._first, self._last = keys[0], keys[n - 1]

    def _start(self, key, rows: int) -> None:
        self._key, self._n, self._rows = key, 0, rows
        self._acc, self._count = np.zeros(rows), np.zeros(rows)
        self._out = np.empty((rows, 0))
        self._zeros = [[] for _ in range(rows)]
        self.min_log = math.nan
        self.recomputed += 1

    def _extend(self, values: np.ndarray, logs, smoothing: float, n: int) -> None:
        start = self._n
        new = values[:, start:n]
        if logs is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                new_log = np.where(new > 0, np.log10(new), np.nan)
        else:
            new_log = np.asarray(logs, dtype=np.float64)[:, start:n]
        smoothed, self._acc, self._count = ema(new_log, smoothing, self._acc, self._count)
        smoothed[~np.isfinite(new) | (new < 0)] = np.nan   # a zero keeps the average; NaN/inf are gaps
        if self._out.shape[1] < n:
            grown = np.empty((self._rows, max(n, 2 * self._out.shape[1], 512)))
            grown[:, :start] = self._out[:, :start]
            self._out = grown
        self._out[:, start:n] = smoothed
        for r in range(self._rows):
            hits = np.flatnonzero(new[r] == 0)
            if len(hits):
                self._zeros[r].append(hits + start)
        if np.isfinite(new_log).any():
            low = float(np.nanmin(new_log))
            self.min_log = low if math.isnan(self.min_log) else min(self.min_log, low)
        self._n = n

    @property
    def smoothed(self) -> np.ndarray:
        out = self._out[:, :self._n].view()
        out.flags.writeable = False
        return out

    @property
    def zeros(self) -> list[np.ndarray]:
        """(k_r,) int indices of the exact zeros of each row."""
        found = []
        for r, parts in enumerate(self._zeros):
            if len(parts) > 1:
                self._zeros[r] = parts = [np.concatenate(parts)]
            found.append(parts[0] if parts else np.zeros(0, dtype=np.intp))
        return found

    def floor_log(self, fallback: float = -3.0) -> float:
        """log10 of where zeros are drawn: one decade below the smallest positive value (a whole
        decade, so the floor seldom moves), or ``fallback`` when there is no positive value."""
        if math.isnan(self.min_log):
            return fallback
        return math.floor(self.min_log + 1e-9) - 1.0
