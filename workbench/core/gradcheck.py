"""Central finite differences against back-propagation.

``gradient_check`` checks every parameter at once (the command line); ``check_steps`` checks a
random sample of each layer's parameters one at a time, as a generator that yields its progress
and can be stopped between two parameters (the window's gradient-check view runs it on a thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError
from .network import Network, weight_count


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-5) -> np.ndarray:
    """|a − b| / max(|a|, |b|, floor), elementwise.

    The floor keeps gradients that are ~0 (a dead ReLU: back-propagation gives exactly 0 and the
    stencil ~1e-13 of round-off) from turning round-off into a large "relative" error; below it the
    difference is measured against the floor instead.
    """
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return np.abs(a - b) / scale


def numerical_gradients(net: Network, X, Y, eps: float = 1e-4):
    """∂C/∂W and ∂C/∂b by central differences; slow, float64 advised.

    Uses the fourth-order central stencil (C(θ−2ε) − 8C(θ−ε) + 8C(θ+ε) − C(θ+2ε)) / 12ε, whose
    truncation error O(ε⁴) lets ε be large enough that round-off stays near 1e-12.
    """
    X = np.asarray(X, dtype=net.dtype)
    Y = np.asarray(Y, dtype=net.dtype)
    grads = []
    for params in (net.weights, net.biases):
        layer_grads = []
        for p in params:
            g = np.zeros_like(p, dtype=np.float64)
            flat, gflat = p.reshape(-1), g.reshape(-1)
            for k in range(flat.size):
                gflat[k] = _stencil(net, flat, k, X, Y, eps)
            layer_grads.append(g)
        grads.append(layer_grads)
    return grads[0], grads[1]


def gradient_check(net: Network, X, Y, eps: float = 1e-4, floor: float = 1e-5) -> list[dict]:
    """Compare back-propagation with finite differences for every parameter.

    Runs on a float64 copy of ``net``. Returns one dict per weight layer:
    {"layer": l, "weights": max relative error of W, "biases": max relative error of b}.
    """
    net64 = net.astype("float64")
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    _, grad_w, grad_b, _ = net64.backprop(X, Y)
    num_w, num_b = numerical_gradients(net64, X, Y, eps)
    return [
        {"layer": l,
         "weights": float(relative_error(grad_w[l], num_w[l], floor).max()),
         "biases": float(relative_error(grad_b[l], num_b[l], floor).max())}
        for l in range(net64.n_layers)
    ]


# ---------------------------------------------------------------------------------- stepwise check
#: The verdict bands of a relative error: below 1e-7 "good", below 1e-4 "acceptable" (what a kink
#: of ReLU near a checked point gives; without kinks, look closer), below 1e-2 "suspicious", from
#: 1e-2 on (or not finite) "wrong".
THRESHOLDS = (1e-7, 1e-4, 1e-2)
VERDICTS = ("good", "acceptable", "suspicious", "wrong")
DEFAULT_EPS = 1e-4
EPS_RANGE = (1e-7, 1e-1)
DEFAULT_SAMPLE = 50                 # parameters of each kind (weights, biases) per layer
MAX_SAMPLE = 100_000
DEFAULT_ITEMS = 10
MAX_ITEMS = 1000
#: The most multiply-adds one cost evaluation may take (items × weights): one checked parameter is
#: four evaluations, and a cancel acts between parameters: at the bound about 30 ms a parameter
#: (measured here on MNIST-sized networks), so a cancel acts within 0.1 s.
MAX_EVAL_WORK = 50_000_000
FLOOR = 1e-5


def verdict(error: float) -> str:
    """The band of a relative error: "good", "acceptable", "suspicious" or "wrong" (NaN: wrong)."""
    if not np.isfinite(error):
        return "wrong"
    for name, limit in zip(VERDICTS, THRESHOLDS):
        if error < limit:
            return name
    return "wrong"


def max_items(sizes) -> int:
    """The most data items a check of a network of these layer sizes may use (``MAX_EVAL_WORK``)."""
    work = weight_count(sizes)
    return int(max(1, min(MAX_ITEMS, MAX_EVAL_WORK // max(1, work))))


def check_problem(sizes, n_items, sample, eps) -> str | None:
    """Why a check with these settings cannot run (one sentence), or None.

    ``n_items``: data items; ``sample``: parameters per layer and kind (None: all); ``eps``: the
    finite-difference step."""
    def whole(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if not whole(n_items) or n_items < 1:
        return "The check needs at least 1 data item."
    limit = max_items(sizes)
    if n_items > limit:
        return (f"A check of this network uses at most {limit:,} data items (each step must stay quick); "
                "choose fewer.")
    if sample is not None and (not whole(sample) or not 1 <= sample <= MAX_SAMPLE):
        return f"Check between 1 and {MAX_SAMPLE:,} parameters per layer."
    lo, hi = EPS_RANGE
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not np.isfinite(eps) \
            or not lo <= eps <= hi:
        return f"ε must be a number between {lo:g} and {hi:g}."
    return None


def sample_indices(size: int, k: int | None, rng: np.random.Generator) -> np.ndarray:
    """``min(k, size)`` distinct flat indices into ``size`` entries, ascending (all when k is None
    or ≥ size, without drawing from ``rng``)."""
    if k is None or k >= size:
        return np.arange(size, dtype=np.int64)
    return np.sort(rng.choice(size, size=int(k), replace=False)).astype(np.int64)


def pick_items(n_available: int, n: int, seed: int = 0) -> np.ndarray:
    """``min(n, n_available)`` distinct item indices (ascending), the same for the same seed."""
    return sample_indices(int(n_available), int(n), np.random.default_rng(seed))


@dataclass
class LayerCheck:
    """One weight layer ``layer`` (it feeds neuron layer ``layer + 1``).

    ``w_index`` (k_w, 2): the (i, j) of the checked weights W[i, j]; ``b_index`` (k_b,): the checked
    biases; ``*_analytic``, ``*_numeric``, ``*_error`` (k,): back-propagation, finite differences and
    their ``relative_error``; ``w_total`` / ``b_total``: the layer's weights / biases."""

    layer: int
    w_index: np.ndarray
    w_analytic: np.ndarray
    w_numeric: np.ndarray
    w_error: np.ndarray
    w_total: int
    b_index: np.ndarray
    b_analytic: np.ndarray
    b_numeric: np.ndarray
    b_error: np.ndarray
    b_total: int

    @property
    def max_w(self) -> float:
        return _worst(self.w_error)

    @property
    def max_b(self) -> float:
        return _worst(self.b_error)

    @property
    def worst(self) -> float:
        return _worst(np.concatenate([self.w_error, self.b_error]))

    @property
    def checked(self) -> int:
        return len(self.w_error) + len(self.b_error)

    @property
    def total(self) -> int:
        return self.w_total + self.b_total


def _worst(errors: np.ndarray) -> float:
    """The largest error (NaN counts as the largest; NaN for none)."""
    if len(errors) == 0:
        return float("nan")
    return float("inf") if not np.isfinite(errors).all() else float(errors.max())


@dataclass
class CheckResult:
    """The outcome of ``check_steps``: one ``LayerCheck`` per weight layer, the step ``eps``, the
    items used, the cost there and how many of how many parameters were checked."""

    layers: list[LayerCheck]
    eps: float
    n_items: int
    cost: float
    checked: int = 0
    total: int = 0
    errors: np.ndarray = field(default_factory=lambda: np.zeros(0))   # every relative error, (checked,)

    @property
    def worst(self) -> float:
        return _worst(self.errors)


def faulty_gradient(layer: int, size: float = 0.1):
    """A deliberately wrong ``analytic`` for tests: back-propagation, with layer ``layer``'s ∂C/∂W
    and ∂C/∂b shifted by ``size`` × (their largest magnitude, at least ``FLOOR``), so every checked
    parameter of that layer has a relative error of at least ``size`` / (1 + ``size``)."""
    def analytic(net: Network, X, Y):
        _, grad_w, grad_b, _ = net.backprop(X, Y)
        for grads in (grad_w, grad_b):
            g = grads[layer]
            g += size * max(float(np.abs(g).max()), FLOOR)
        return grad_w, grad_b
    return analytic


def _backprop(net: Network, X, Y):
    _, grad_w, grad_b, _ = net.backprop(X, Y)
    return grad_w, grad_b


def check_steps(net: Network, X, Y, *, sample: int | None = DEFAULT_SAMPLE, eps: float = DEFAULT_EPS,
                rng=None, analytic=None, floor: float = FLOOR):
    """Gradient check one parameter at a time: a generator.

    ``net`` is copied to float64 (it is never written); ``X`` (m, n_in), ``Y`` (m, n_out): the data
    items.  Per weight layer, ``sample`` weights and ``sample`` biases (drawn without replacement
    by ``rng``, a ``numpy.random.Generator`` or a seed; all of them when the layer has no more, or
    ``sample`` is None) are checked against the fourth-order central difference with step
    ``eps``.  ``analytic(net64, X, Y) -> (grad_w, grad_b)`` gives the gradients to check
    (back-propagation unless given: a test hook, see ``faulty_gradient``).

    Yields ``(done, total)`` after each checked parameter, then the ``CheckResult``; stop
    iterating (or ``close()``) to cancel between two parameters.  Raises ``ConfigError`` (one
    sentence; on the first ``next``) for settings ``check_problem`` refuses or data that does not fit the network.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    problem = check_problem(net.sizes, int(len(X)) if X.ndim == 2 else 0, sample, eps)
    if problem is None and (X.ndim != 2 or X.shape[1] != net.sizes[0]):
        problem = f"The data items need {net.sizes[0]} inputs each to fit the network."
    if problem is None and (Y.ndim != 2 or Y.shape != (len(X), net.sizes[-1])):
        problem = f"The data items need {net.sizes[-1]} targets each to fit the network."
    if problem is None and not (np.isfinite(X).all() and np.isfinite(Y).all()):
        problem = "The data items contain values that are not finite."
    if problem:
        raise ConfigError(problem)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    eps = float(eps)
    net64 = Network([np.array(w, dtype=np.float64) for w in net.weights],
                    [np.array(b, dtype=np.float64) for b in net.biases], net.activations, net.cost,
                    dtype="float64")
    with np.errstate(all="ignore"):
        grad_w, grad_b = (analytic or _backprop)(net64.copy(), X, Y)
        _, acts = net64.forward_cache(X)
        cost = float(net64.evaluate(X, Y, classification=False)[0])
    picks = []
    for l in range(net64.n_layers):
        w, b = net64.weights[l], net64.biases[l]
        picks.append((sample_indices(w.size, sample, rng), sample_indices(b.size, sample, rng)))
    total = sum(len(iw) + len(ib) for iw, ib in picks)
    done = 0
    layers, errors = [], []
    for l, (iw, ib) in enumerate(picks):
        # Perturbing layer l leaves its input acts[l] as it is: evaluate from layer l on.
        tail = Network(net64.weights[l:], net64.biases[l:], net64.activations[l:], net64.cost, dtype="float64")
        a_in = acts[l]
        found = {}
        for kind, array, index, grads in (("w", tail.weights[0], iw, grad_w), ("b", tail.biases[0], ib, grad_b)):
            flat = array.reshape(-1)
            numeric = np.empty(len(index))
            for n, k in enumerate(index):
                with np.errstate(all="ignore"):
                    numeric[n] = _stencil(tail, flat, int(k), a_in, Y, eps)
                done += 1
                yield done, total
            exact = np.asarray(grads[l], dtype=np.float64).reshape(-1)[index]
            with np.errstate(all="ignore"):
                err = relative_error(exact, numeric, floor)
            err = np.where(np.isfinite(err), err, np.inf)
            found[kind] = (index, exact, numeric, err, array.size)
            errors.append(err)
        iw_, aw, nw, ew, tw = found["w"]
        ib_, ab, nb, eb, tb = found["b"]
        n_out = net64.weights[l].shape[1]
        layers.append(LayerCheck(l, np.stack([iw_ // n_out, iw_ % n_out], axis=1), aw, nw, ew, tw,
                                 ib_, ab, nb, eb, tb))
    yield CheckResult(layers, eps, len(X), cost, done, sum(x.total for x in layers), np.concatenate(errors))


def _stencil(net: Network, flat: np.ndarray, k: int, X, Y, eps: float) -> float:
    """(C(θ−2ε) − 8C(θ−ε) + 8C(θ+ε) − C(θ+2ε)) / 12ε for parameter ``flat[k]`` (a flat view of one
    of ``net``'s arrays) on inputs ``X`` (m, n_in) and targets ``Y`` (m, n_out); restores it."""
    keep = flat[k]
    values = []
    for offset in (-2 * eps, -eps, eps, 2 * eps):
        flat[k] = keep + offset
        values.append(net.evaluate(X, Y, classification=False)[0])
    flat[k] = keep
    return (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * eps)


def run_check(net: Network, X, Y, **kwargs) -> CheckResult:
    """``check_steps`` run to the end: the ``CheckResult``."""
    for step in check_steps(net, X, Y, **kwargs):
        result = step
    return result


HISTOGRAM_RANGE = (-16.0, 2.0)      # log10 of relative errors; outside it they go in the end bins


def error_histogram(errors, bins_per_decade: int = 2):
    """Counts of log10(relative error): ``(edges (n + 1,), counts (n,), verdicts (n,))``.

    Errors below 10⁻¹⁶ (0 included) count in the first bin, above 10² (inf and NaN included) in
    the last; ``verdicts[k]`` is the band of bin k (the bins' edges fall on the thresholds)."""
    lo, hi = HISTOGRAM_RANGE
    n = int(round((hi - lo) * bins_per_decade))
    edges = np.linspace(lo, hi, n + 1)
    errors = np.asarray(errors, dtype=np.float64).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.where(np.isnan(errors), np.inf, errors))
    logs = np.clip(logs, lo, hi - 1e-9)
    counts = np.histogram(logs, bins=edges)[0].astype(np.int64)
    verdicts = [verdict(10.0 ** left) for left in edges[:-1]]
    return edges, counts, verdicts
