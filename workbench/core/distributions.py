"""How weights, ∂C/∂b and activations spread over training time (no Qt).

``DistributionHistory`` keeps, per *sample* (a moment of training) and per weight layer l:

- nine percentiles (``PERCENTILES``: 0, 6.7, 15.9, 30.9, 50, 69.1, 84.1, 93.3, 100 %, TensorBoard's
  bands: min/max and ±1.5σ, ±1σ, ±0.5σ of a normal distribution around the median) of the weights
  W[l] (n_in, n_out), of ∂C/∂b[l] (n_out,) when the sample has them, and of the activations
  a[l+1] (probe, n_out) of a fixed *probe* of training inputs (``probe_inputs``);
- how many values of each were not finite (they are left out of the percentiles);
- unit health: the share of layer l's units that are saturated (sigmoid: a < 0.01 or a > 0.99;
  tanh: |a| > 0.98) on at least ``SATURATED_SHARE`` of the probe, or dead (ReLU: a = 0 on every
  probe item); NaN for activations where neither applies (leaky ReLU, linear, softmax);
- ‖ΔW‖/‖W‖ of the update measured after the sample's parameters (NaN where none was measured).

and the histograms of the latest sample (for ∂C/∂b: of the latest that had them; a network's own
arrays carry none, so the ones of the last training snapshot stay).  The x axis is the training history's x in epochs
(``RunHistory.last_x``: the Curves view's units) plus the step.

Bounded memory: beyond ``MAX_SAMPLES`` rows the table keeps every 2nd, 4th, … sample received
(as ``RunHistory`` thins batches), always the first one and always the latest one (a sample off the
stride is kept as the last row until the next one replaces it).

Recording policy (the Distributions view drives it, on the GUI thread): a sample is recorded on
every ``parameters_changed`` whose parameters are new (a training snapshot, 20 Hz while training)
as long as the measured cost of recording stays within ``COST_SHARE`` of the wall time
(``RecordPacer``: a cost budget, no fixed rate cap, so a 1-second run gets its 20 snapshots);
plus, unpaced, one at each finished epoch, at the end or pause of a run, and when a network is
adopted or reset.  Recording goes on while the view
is hidden; drawing does not.  A snapshot already recorded costs nothing.

Cost of one sample (sort-based percentiles, probe of 256 rows, measured with
``python -m workbench.core.distributions`` on the 2-core development machine, float32):
[784, 30, 10] about 0.4 ms, [784, 100, 10] about 0.8 ms, [784, 100, 100, 100, 10] about 1.3 ms.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["PERCENTILES", "QUANTITIES", "MAX_SAMPLES", "PROBE_SIZE", "DistributionHistory", "RecordPacer",
           "percentiles", "sorted_finite", "histogram", "probe_inputs", "forward_activations",
           "unit_health", "health_kind"]

PERCENTILES = (0.0, 6.7, 15.9, 30.9, 50.0, 69.1, 84.1, 93.3, 100.0)
#: The recorded quantities.
QUANTITIES = ("weights", "bias_gradients", "activations")
MAX_SAMPLES = 2_000
PROBE_SIZE = 256
HIST_BINS = 30
SATURATED_SHARE = 0.95       # a unit is saturated when it is so on this share of the probe
COST_SHARE = 0.02
BURST_S = 0.005          # recording time the budget may run ahead of its share (a few samples)

_SATURATION = {"sigmoid": lambda a: np.abs(a - 0.5) > 0.49, "tanh": lambda a: np.abs(a) > 0.98}
_Q = np.asarray(PERCENTILES) / 100.0


def health_kind(activation: str) -> str | None:
    """"saturated" (sigmoid, tanh), "dead" (ReLU) or None: what unit health means for a layer."""
    if activation in _SATURATION:
        return "saturated"
    return "dead" if activation == "relu" else None


#: Finite values sorted at most per layer and quantity; a larger layer (100,000 inputs × 30: 3
#: million weights, 15-25 ms on the GUI thread a sample) is sorted as an evenly strided sample of
#: about this many, with its exact minimum and maximum (percentiles then within ~0.2 % of rank).
MAX_SORTED = 1 << 18


def sorted_finite(values: np.ndarray) -> tuple[np.ndarray, int]:
    """(the finite values of ``values`` sorted as a 1-D array, how many were not finite); beyond
    ``MAX_SORTED`` values an evenly strided sample of them, with the exact extremes."""
    flat = np.asarray(values).ravel()
    finite = np.isfinite(flat)
    bad = int(flat.size - np.count_nonzero(finite))
    good = flat if not bad else flat[finite]
    if good.size <= MAX_SORTED:
        return np.sort(good), bad
    s = np.sort(good[::-(-good.size // MAX_SORTED)])
    s[0], s[-1] = good.min(), good.max()
    return s, bad


def percentiles(values: np.ndarray, *, is_sorted: bool = False) -> np.ndarray:
    """The ``PERCENTILES`` of the finite values of ``values`` (any shape) as (9,) float64, as
    ``np.percentile`` (linear interpolation) gives them; all NaN when no value is finite."""
    s = np.asarray(values, dtype=np.float64).ravel() if is_sorted else sorted_finite(values)[0].astype(np.float64)
    n = s.size
    if n == 0:
        return np.full(len(PERCENTILES), np.nan)
    pos = _Q * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    return s[lo] + (s[hi] - s[lo]) * frac


def histogram(sorted_values: np.ndarray, bins: int = HIST_BINS) -> tuple[np.ndarray, np.ndarray]:
    """(edges (bins+1,), counts (bins,)) of already sorted finite values over [min, max] (a width
    of 1 around a constant); the last bin includes the maximum, so the counts sum to the size."""
    s = np.asarray(sorted_values)
    if s.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    lo, hi = float(s[0]), float(s[-1])
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    idx = np.searchsorted(s, edges, side="left")
    idx[-1] = s.size
    return edges, np.diff(idx).astype(np.int64)


def probe_inputs(X: np.ndarray, size: int = PROBE_SIZE) -> np.ndarray:
    """A fixed probe of ``size`` rows of the inputs X (n, d), evenly spaced over the whole set (the
    first rows of a generated set may all be one class); all of X when it is smaller."""
    X = np.asarray(X)
    n = X.shape[0]
    if n <= size:
        return np.ascontiguousarray(X)
    rows = np.linspace(0, n - 1, size).round().astype(np.intp)
    return np.ascontiguousarray(X[rows])


def forward_activations(X: np.ndarray, weights, biases, activations) -> list[np.ndarray]:
    """The activations a[l+1] (m, n_out of layer l) of every weight layer for inputs X (m, n_in),
    computed straight on snapshot arrays (weights[l]: (n_in, n_out), biases[l]: (n_out,), activation
    names) without building a Network.  X should already have the weights' dtype (``probe_inputs`` once)."""
    from .activations import ACTIVATIONS

    out = []
    a = X
    with np.errstate(all="ignore"):
        for w, b, name in zip(weights, biases, activations):
            z = a @ w
            z += b
            a = ACTIVATIONS[name](z)
            out.append(a)
    return out


def unit_health(a: np.ndarray, activation: str) -> float:
    """The share (0..1) of units of one layer's probe activations ``a`` (m, n) that are saturated
    (sigmoid, tanh: on at least ``SATURATED_SHARE`` of the m items) or dead (ReLU: 0 on every
    item); NaN where neither applies or there is no probe.  Non-finite activations count as
    neither."""
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        return math.nan
    test = _SATURATION.get(activation)
    with np.errstate(invalid="ignore"):
        if test is not None:
            return float((test(a).mean(axis=0) >= SATURATED_SHARE).mean())
        if activation == "relu":
            return float((a == 0).all(axis=0).mean())
    return math.nan


class RecordPacer:
    """Whether a paced sample is due, by a budget of recording time: it grows by ``share`` of the
    wall time that passes (up to ``burst`` seconds banked) and shrinks by the measured cost of every
    sample (``spent``, forced ones too); a sample is due while the budget is not overdrawn.  So
    recording takes at most ``share`` of the wall time plus ``burst``, with no fixed rate cap
    (``max_rate_hz`` adds one).  Times in seconds from any monotonic clock (the caller's)."""

    def __init__(self, share: float = COST_SHARE, burst: float = BURST_S, max_rate_hz: float | None = None):
        self.share = float(share)
        self.burst = float(burst)
        self.min_interval = 1.0 / max_rate_hz if max_rate_hz else 0.0
        self.cost = 0.0
        self.reset()

    def _credit(self, now: float) -> float:
        return min(self.burst, self._credit_at + self.share * max(0.0, now - self._at))

    def due(self, now: float) -> bool:
        return now >= self._next and (self._at == -math.inf or self._credit(now) >= 0.0)

    def spent(self, cost: float, now: float) -> None:
        """A sample was recorded at ``now`` and took ``cost`` seconds."""
        self.cost = float(cost)
        credit = self.burst if self._at == -math.inf else self._credit(now)
        self._credit_at, self._at = credit - self.cost, now
        self._next = now + self.min_interval

    def reset(self) -> None:
        self._credit_at, self._at, self._next = self.burst, -math.inf, -math.inf


class DistributionHistory:
    """Percentile bands, unit health and update ratios over training time (see the module doc)."""

    def __init__(self, max_samples: int = MAX_SAMPLES):
        if max_samples < 4:
            raise ValueError("A distribution history keeps at least 4 samples.")
        self.max_samples = int(max_samples)
        self.reset()

    def reset(self) -> None:
        """Forget every sample (the training history started over)."""
        self.n_layers = 0
        self.activations: list[str] = []
        self.kinds: list[str | None] = []
        self.n = 0
        self.received = 0
        self.stride = 1
        self._provisional = False
        self._cap = 0
        self._alloc(0, 0)
        self.latest_histograms: dict[str, list] = {q: [] for q in QUANTITIES}
        self.latest_sizes: dict[str, list[int]] = {q: [] for q in QUANTITIES}
        self.serial = getattr(self, "serial", 0) + 1

    def _alloc(self, layers: int, cap: int) -> None:
        self._cap = cap
        self._x = np.full(cap, np.nan)
        self._step = np.zeros(cap, dtype=np.int64)
        self._k = np.zeros(cap, dtype=np.int64)
        self._bands = {q: np.full((cap, layers, len(PERCENTILES)), np.nan) for q in QUANTITIES}
        self._nonfinite = {q: np.zeros((cap, layers), dtype=np.int64) for q in QUANTITIES}
        self._health = np.full((cap, layers), np.nan)
        self._ratio = np.full((cap, layers), np.nan)

    def _grow(self) -> None:
        old = (self._x, self._step, self._k, self._bands, self._nonfinite, self._health, self._ratio)
        n = self.n
        self._alloc(self.n_layers, min(max(64, 2 * self._cap), self.max_samples + 1))
        self._x[:n], self._step[:n], self._k[:n] = old[0][:n], old[1][:n], old[2][:n]
        for q in QUANTITIES:
            self._bands[q][:n] = old[3][q][:n]
            self._nonfinite[q][:n] = old[4][q][:n]
        self._health[:n], self._ratio[:n] = old[5][:n], old[6][:n]

    # ------------------------------------------------------------------ recording
    def record(self, weights, biases, activations, *, x: float, step: int = 0, bias_gradients=None,
               probe: np.ndarray | None = None, update_ratios=None) -> None:
        """Add a sample of a network's parameters: ``weights[l]`` (n_in, n_out), ``biases[l]``
        (n_out,), ``activations`` (one name per weight layer), ``bias_gradients[l]`` (n_out,) or
        None, ``probe`` (m, n_in) inputs or None (no activation statistics: e.g. the data does not
        fit the network), ``update_ratios``: per layer ‖ΔW‖/‖W‖ or None.  A network of another
        depth or recipe starts the history over."""
        L = len(weights)
        if L != self.n_layers or list(activations) != self.activations:
            self.reset()
            self.n_layers, self.activations = L, list(activations)
            self.kinds = [health_kind(a) for a in self.activations]
            self._alloc(L, 0)
        if self._provisional and self.n:
            row = self.n - 1
        else:
            if self.n >= self._cap:
                self._grow()
            row = self.n
            self.n += 1
        k = self.received
        self.received += 1
        self._provisional = k % self.stride != 0
        self._x[row], self._step[row], self._k[row] = float(x), int(step), k

        acts = None
        if probe is not None and probe.ndim == 2 and probe.shape[0] and probe.shape[1] == weights[0].shape[0]:
            acts = forward_activations(probe, weights, biases, activations)
        sources = {"weights": weights, "bias_gradients": bias_gradients, "activations": acts}
        for q in QUANTITIES:
            arrays = sources[q]
            self._bands[q][row] = np.nan
            self._nonfinite[q][row] = 0
            if arrays is None:        # ∂C/∂b: those of the latest sample with them stay
                if q != "bias_gradients":
                    self.latest_histograms[q], self.latest_sizes[q] = [None] * L, [0] * L
                continue
            hists, sizes = [], []
            for l in range(L):
                s, bad = sorted_finite(arrays[l])
                self._bands[q][row, l] = percentiles(s, is_sorted=True)
                self._nonfinite[q][row, l] = bad
                hist = histogram(s) if s.size else None
                finite = np.size(arrays[l]) - bad
                if hist is not None and s.size < finite:       # a sample (MAX_SORTED): counts of all
                    hist = hist[0], np.round(hist[1] * (finite / s.size)).astype(np.int64)
                hists.append(hist)
                sizes.append(int(np.size(arrays[l])))
            self.latest_histograms[q], self.latest_sizes[q] = hists, sizes
        for l in range(L):
            self._health[row, l] = unit_health(acts[l], self.activations[l]) if acts is not None else np.nan
            r = update_ratios[l] if update_ratios is not None and l < len(update_ratios) else None
            self._ratio[row, l] = float(r) if r is not None and math.isfinite(r) else np.nan
        if self.n > self.max_samples:
            self._thin()
        self.serial += 1

    def _thin(self) -> None:
        """Keep the samples on a doubled stride (and the latest): at most max_samples/2 + 1 rows."""
        n = self.n
        keys = self._k[:n]
        stride = self.stride
        keep = np.ones(n, bool)
        while keep.sum() > self.max_samples // 2:
            stride *= 2
            keep = keys % stride == 0
        keep[n - 1] = True
        self.stride = stride
        self._provisional = bool(keys[n - 1] % stride != 0)
        kept = np.flatnonzero(keep)
        m = len(kept)
        self._x[:m], self._step[:m], self._k[:m] = self._x[kept], self._step[kept], self._k[kept]
        for q in QUANTITIES:
            self._bands[q][:m] = self._bands[q][kept]
            self._nonfinite[q][:m] = self._nonfinite[q][kept]
        self._health[:m], self._ratio[:m] = self._health[kept], self._ratio[kept]
        self.n = m

    # ------------------------------------------------------------------ reading (read-only views)
    def x(self) -> np.ndarray:
        """(n,) x of each sample in epochs."""
        return _ro(self._x[:self.n])

    def steps(self) -> np.ndarray:
        return _ro(self._step[:self.n])

    def bands(self, quantity: str, layer: int) -> np.ndarray:
        """(n, 9) percentiles of ``quantity`` in ``layer``, NaN where the sample had none."""
        return _ro(self._bands[quantity][:self.n, layer])

    def nonfinite(self, quantity: str) -> np.ndarray:
        """(n, n_layers) count of non-finite values left out of each sample's percentiles."""
        return _ro(self._nonfinite[quantity][:self.n])

    def health(self) -> np.ndarray:
        """(n, n_layers) share of saturated or dead units (NaN: not applicable / no probe)."""
        return _ro(self._health[:self.n])

    def update_ratios(self) -> np.ndarray:
        """(n, n_layers) ‖ΔW‖/‖W‖ (NaN: not measured)."""
        return _ro(self._ratio[:self.n])

    def log_update_ratios(self) -> np.ndarray:
        """(n, n_layers) log10(‖ΔW‖/‖W‖); NaN where not measured or not positive."""
        r = self._ratio[:self.n]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log10(r)
        out[~(r > 0)] = np.nan
        return out

    def latest_nonfinite(self) -> dict[str, list[int]]:
        """Per quantity, the non-finite counts of the latest sample per layer."""
        if not self.n:
            return {q: [] for q in QUANTITIES}
        return {q: [int(v) for v in self._nonfinite[q][self.n - 1]] for q in QUANTITIES}

    def table(self) -> tuple[list[str], list[list]]:
        """One row per sample and layer: step, epoch, layer, the percentiles and non-finite count
        of each quantity, the health share, ‖ΔW‖/‖W‖ and its log10."""
        header = ["step", "epoch", "layer"]
        for q in QUANTITIES:
            header += [f"{q} p{p:g}" for p in PERCENTILES] + [f"{q} non-finite"]
        header += ["unhealthy share", "health measure", "update ratio", "log10 update ratio"]
        logs = self.log_update_ratios()
        rows = []
        for i in range(self.n):
            for l in range(self.n_layers):
                row = [int(self._step[i]), float(self._x[i]), l + 1]
                for q in QUANTITIES:
                    row += [float(v) for v in self._bands[q][i, l]] + [int(self._nonfinite[q][i, l])]
                row += [float(self._health[i, l]), self.kinds[l] or "", float(self._ratio[i, l]), float(logs[i, l])]
                rows.append(row)
        return header, rows


def _ro(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view


def _measure(sizes, repeats: int = 200) -> float:
    """Mean seconds of one sample for a sigmoid net of ``sizes`` with MNIST-sized inputs."""
    import time

    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((a, b)).astype(np.float32) / math.sqrt(a) for a, b in zip(sizes, sizes[1:])]
    biases = [rng.standard_normal(b).astype(np.float32) for b in sizes[1:]]
    grads = [rng.standard_normal(b).astype(np.float32) * 1e-3 for b in sizes[1:]]
    probe = probe_inputs(rng.random((1000, sizes[0]), dtype=np.float32))
    acts = ["sigmoid"] * (len(sizes) - 1)
    h = DistributionHistory()
    h.record(weights, biases, acts, x=0.0, bias_gradients=grads, probe=probe, update_ratios=[1e-3] * len(weights))
    t0 = time.perf_counter()
    for i in range(repeats):
        h.record(weights, biases, acts, x=i, step=i, bias_gradients=grads, probe=probe,
                 update_ratios=[1e-3] * len(weights))
    return (time.perf_counter() - t0) / repeats


if __name__ == "__main__":  # the cost figures of the module docstring
    for net in ([784, 30, 10], [784, 100, 10], [784, 100, 100, 100, 10]):
        print(net, f"{_measure(net) * 1e3:.3f} ms per sample")
