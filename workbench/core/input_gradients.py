"""Gradients with respect to the inputs: saliency, adversarial nudges, dreamed classes, and the
input-gradient field of a 2-input network (numpy only, no Qt).

Scaling: ``Cₓ`` is the cost of one item alone, as the engine defines it per item (``Network.backprop``
returns the batch cost as the mean of Cₓ over the batch, and ``Network.input_gradient`` gives
∂Cₓ/∂x for each item).  So ∂C/∂xᵢ of a batch cost over m items is ``input_gradient(...)[i] / m``;
everything here uses the per-item Cₓ, never the batch mean.

Every function works on the *raw* inputs that a picture shows (MNIST's pixels in [0, 1]).  Where a
data set's features were standardised, pass its ``standardization`` (mean, std), each (d,): the
network is then given ``(x − mean) / std`` (a std of 0 taken as 1, as ``evaluation.standardised``
does) and the gradients are those with respect to the raw x.

Shapes: X (n, d) and Y (n, k) as a data set's split holds them (d inputs, k outputs); one item is
x (d,) with its target row y (k,).  A network with one output has two classes (0 and 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .evaluation import predicted_classes
from .network import Network

#: The most items one call may take (a bound on memory: n × d float64 values, and the work).
MAX_ITEMS = 100_000
#: The most steps one dream may take, the most coarse ε of ``smallest_flip`` and its bisection steps.
MAX_STEPS = 1_000_000
MAX_COARSE = 4096
MAX_BISECTIONS = 60
#: Probability-like outputs: the dream climbs log p(class); other outputs: −½‖a − t‖² (see ``dream``).
PROBABILITY_OUTPUTS = ("softmax", "sigmoid")


# ------------------------------------------------------------------------------ checking input
def _network(net) -> Network:
    if not isinstance(net, Network):
        raise ConfigError(f"Input gradients need a network, not {type(net).__name__}.")
    return net


def _number(value, name: str, *, low: float = 0.0, strict: bool = False) -> float:
    """``value`` as a finite float ≥ ``low`` (> ``low`` when ``strict``), else one sentence."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    v = float(value) if ok else math.nan
    if not ok or not math.isfinite(v) or v < low or (strict and v == low):
        relation = ">" if strict else "≥"
        raise ConfigError(f"{name} must be a finite number {relation} {low:g}; got {value!r}.")
    return v


def _whole(value, name: str, low: int, high: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low:,} to {high:,}; got {value!r}.")
    return int(value)


def _items(net: Network, X, what: str = "The inputs") -> np.ndarray:
    """X as float64 (n, d) with d the network's inputs, finite, at most ``MAX_ITEMS`` rows."""
    d = net.sizes[0]
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != d or not np.issubdtype(X.dtype, np.number):
        raise ConfigError(f"{what} must be an array of shape (n, {d}), one row per item; got shape {X.shape}.")
    if len(X) > MAX_ITEMS:
        raise ConfigError(f"{what} have {len(X):,} rows; at most {MAX_ITEMS:,} are taken at once.")
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise ConfigError(f"{what} contain values that are not finite numbers.")
    return X


def _item(net: Network, x, what: str = "The item") -> np.ndarray:
    """One item x as float64 (d,)."""
    x = np.asarray(x)
    d = net.sizes[0]
    if x.shape != (d,) or not np.issubdtype(x.dtype, np.number):
        raise ConfigError(f"{what} must have {d} values, one per input of the network; got shape {x.shape}.")
    return _items(net, x.reshape(1, d), what)[0]


def _targets(net: Network, Y, n: int) -> np.ndarray:
    k = net.sizes[-1]
    Y = np.asarray(Y)
    if Y.ndim == 1 and n == 1:
        Y = Y.reshape(1, -1)
    if Y.shape != (n, k) or not np.issubdtype(Y.dtype, np.number):
        raise ConfigError(f"The targets must have shape ({n}, {k}), one row of {k} per item; got shape {Y.shape}.")
    Y = Y.astype(np.float64)
    if not np.isfinite(Y).all():
        raise ConfigError("The targets contain values that are not finite numbers.")
    return Y


def _clip_range(clip) -> tuple[float, float] | None:
    if clip is None:
        return None
    try:
        lo, hi = clip
    except (TypeError, ValueError):
        raise ConfigError(f"The clip range must be (low, high) or None; got {clip!r}.") from None
    lo, hi = _number(lo, "The clip range's low end", low=-math.inf), _number(hi, "The clip range's high end",
                                                                            low=-math.inf)
    if not lo < hi:
        raise ConfigError(f"The clip range must have low < high; got ({lo:g}, {hi:g}).")
    return lo, hi


def n_classes(net: Network) -> int:
    """The classes of a classifier: one per output, or 2 for a single output (0/1 targets)."""
    return max(2, _network(net).sizes[-1])


def _class(net: Network, target_class) -> int:
    k = n_classes(net)
    if not isinstance(target_class, (int, np.integer)) or isinstance(target_class, bool) \
            or not 0 <= target_class < k:
        raise ConfigError(f"There is no class {target_class!r}: the network's classes are 0 to {k - 1}.")
    return int(target_class)


class _Inputs:
    """The map from raw inputs to what the network is given, and back for gradients."""

    def __init__(self, net: Network, standardization):
        d = net.sizes[0]
        self.mean = self.scale = None
        if standardization is not None:
            try:
                mean, std = (np.asarray(a, dtype=np.float64) for a in standardization)
            except (TypeError, ValueError):
                raise ConfigError("The standardisation must be (mean, std), each one value per input.") from None
            if mean.shape != (d,) or std.shape != (d,) or not (np.isfinite(mean).all() and np.isfinite(std).all()):
                raise ConfigError(f"The standardisation must be (mean, std), each {d} finite values.")
            self.mean, self.scale = mean, np.where(std > 0, std, 1.0)

    def to_net(self, X: np.ndarray) -> np.ndarray:
        return X if self.mean is None else (X - self.mean) / self.scale

    def gradient(self, g: np.ndarray) -> np.ndarray:
        """∂/∂x_raw from ∂/∂x_net (chain rule through the standardisation)."""
        return g if self.scale is None else g / self.scale


# ------------------------------------------------------------------------------ gradients
def input_gradient(net: Network, X, Y, *, standardization=None) -> np.ndarray:
    """∂Cₓ/∂x for every item: (n, d) float64, Cₓ the network's own cost of that item alone
    (not the batch mean; see the module docstring), from the engine's back-propagation."""
    net = _network(net)
    X = _items(net, X)
    Y = _targets(net, Y, len(X))
    inputs = _Inputs(net, standardization)
    if len(X) == 0:
        return np.zeros((0, net.sizes[0]))
    with np.errstate(all="ignore"):
        g = net.input_gradient(inputs.to_net(X), Y)
    return inputs.gradient(np.asarray(g, dtype=np.float64))


def saliency(net: Network, x, y, *, standardization=None) -> np.ndarray:
    """|∂Cₓ/∂x| of one item x (d,) with its target row y (k,): (d,) float64."""
    net = _network(net)
    x = _item(net, x)
    return np.abs(input_gradient(net, x[None, :], _targets(net, y, 1), standardization=standardization)[0])


def predicted_labels(net: Network, X, *, standardization=None) -> np.ndarray:
    """The predicted class (n,) of each raw item, as the Predictions view counts it
    (``evaluation.predicted_classes``: the argmax, or a single output rounded to 0 or 1)."""
    net = _network(net)
    X = _items(net, X)
    with np.errstate(all="ignore"):
        return predicted_classes(net.forward(_Inputs(net, standardization).to_net(X)))


# ------------------------------------------------------------------------------ adversarial
def _clipped(x: np.ndarray, clip) -> np.ndarray:
    return x if clip is None else np.clip(x, clip[0], clip[1])


def nudge_direction(net: Network, x, y, *, standardization=None) -> np.ndarray:
    """sign(∂Cₓ/∂x) of one item: (d,) of −1, 0 and +1 (the fast-gradient-sign direction)."""
    net = _network(net)
    x = _item(net, x)
    g = input_gradient(net, x[None, :], _targets(net, y, 1), standardization=standardization)[0]
    return np.sign(np.nan_to_num(g))


def adversarial(net: Network, x, y, eps, *, clip=(0.0, 1.0), standardization=None) -> np.ndarray:
    """x + ε·sign(∂Cₓ/∂x), clipped to ``clip`` (the data's range, [0, 1] for images; None: no
    clipping): the item (d,) nudged by ε in every input the way that raises its cost fastest
    (to first order).  x (d,), y (k,) its target row, ε ≥ 0."""
    eps = _number(eps, "ε")
    clip = _clip_range(clip)
    x = _item(_network(net), x)
    return _clipped(x + eps * nudge_direction(net, x, y, standardization=standardization), clip)


@dataclass(frozen=True)
class Flip:
    """What ``smallest_flip`` found: ``eps`` flips the predicted label from ``label`` to
    ``new_label``; ``below`` (``eps`` − ``below`` ≤ the resolution asked for) does not flip;
    ``evaluations``: forward passes of one item it took."""

    eps: float
    below: float
    label: int
    new_label: int
    evaluations: int


def smallest_flip(net: Network, x, y, eps_max, *, coarse: int = 32, resolution: float = 1e-4,
                  clip=(0.0, 1.0), standardization=None) -> Flip | None:
    """The smallest ε ≤ ``eps_max`` for which ``adversarial(net, x, y, ε)`` changes the predicted
    label of x, to ``resolution``: a coarse scan of ``coarse`` evenly spaced ε (one batch), then
    bisection between the last ε that keeps the label and the first that changes it.  None when no
    ε of the scan changes it.  The direction sign(∂Cₓ/∂x) is the one at x (fixed); a label that
    flips and flips back between two scanned ε is not seen.  At most ``coarse`` + ``MAX_BISECTIONS``
    + 1 forward passes of one item."""
    net = _network(net)
    eps_max = _number(eps_max, "The largest ε", strict=True)
    coarse = _whole(coarse, "The number of coarse steps", 1, MAX_COARSE)
    resolution = _number(resolution, "The resolution", strict=True)
    clip = _clip_range(clip)
    x = _item(net, x)
    direction = nudge_direction(net, x, y, standardization=standardization)

    def labels(eps_values):
        nudged = _clipped(x[None, :] + np.asarray(eps_values)[:, None] * direction[None, :], clip)
        return predicted_labels(net, nudged, standardization=standardization)

    label = int(labels([0.0])[0])
    grid = eps_max * np.arange(1, coarse + 1) / coarse
    scanned = labels(grid)
    evaluations = 1 + coarse
    changed = np.flatnonzero(scanned != label)
    if len(changed) == 0:
        return None
    first = int(changed[0])
    lo, hi, new_label = (float(grid[first - 1]) if first else 0.0), float(grid[first]), int(scanned[first])
    for _ in range(MAX_BISECTIONS):
        if hi - lo <= resolution:
            break
        mid = 0.5 * (lo + hi)
        got = int(labels([mid])[0])
        evaluations += 1
        if got != label:
            hi, new_label = mid, got
        else:
            lo = mid
    return Flip(hi, lo, label, new_label, evaluations)


# ------------------------------------------------------------------------------ dreaming
def objective_kind(net: Network) -> str:
    """What ``dream`` climbs for this network's output layer: "log-probability" (softmax or
    sigmoid outputs) or "closeness" (−½‖a − t‖² to the class's target t, other outputs)."""
    return "log-probability" if _network(net).activations[-1] in PROBABILITY_OUTPUTS else "closeness"


def _class_target(net: Network, c: int) -> np.ndarray:
    """The target row (1, k) of class c: one-hot, or [c] for a single output."""
    k = net.sizes[-1]
    return np.array([[float(c)]]) if k == 1 else np.eye(k)[c:c + 1]


def _objective_network(net: Network) -> Network:
    """The network with the cost whose negative is the dream's objective for one-hot targets:
    log-likelihood (−ln a_c) for softmax and several sigmoids, cross-entropy (−ln a or −ln(1 − a))
    for one sigmoid, quadratic (½‖a − t‖²) otherwise.  Shares the arrays (no copy)."""
    out, k = net.activations[-1], net.sizes[-1]
    cost = ("log-likelihood" if out == "softmax" or (out == "sigmoid" and k > 1)
            else "cross-entropy" if out == "sigmoid" else "quadratic")
    if cost == net.cost:
        return net
    return Network(net.weights, net.biases, net.activations, cost, net.dtype)


def dream_objective(net: Network, x, target_class, *, standardization=None) -> tuple[float, np.ndarray]:
    """(J, ∂J/∂x) at one raw item x (d,): J = ln p(class) for probability outputs (softmax: its
    probability; sigmoid: that output, or 1 − it for class 0 of a single output), else
    −½‖a − t‖² with t the class's target (see ``objective_kind``).  No L2 term."""
    net = _network(net)
    c = _class(net, target_class)
    x = _item(net, x)
    inputs = _Inputs(net, standardization)
    target = _class_target(net, c)
    scored = _objective_network(net)
    xn = inputs.to_net(x[None, :]).astype(net.dtype)
    with np.errstate(all="ignore"):
        value = -scored.evaluate(xn, target.astype(net.dtype), classification=False)[0]
        g = scored.input_gradient(xn, target)
    return float(value), -inputs.gradient(np.asarray(g[0], dtype=np.float64))


def dream_start(kind: str, d: int, *, seed: int = 0, mean_image=None, clip=(0.0, 1.0)) -> np.ndarray:
    """A start image (d,): "noise" — uniform over the clip range (seeded) — or "mean" — the data's
    mean image ``mean_image`` (d,), clipped."""
    clip = _clip_range(clip) or (0.0, 1.0)
    if kind == "noise":
        return np.random.default_rng(seed).uniform(clip[0], clip[1], int(d))
    if kind == "mean":
        mean = np.asarray(mean_image, dtype=np.float64) if mean_image is not None else None
        if mean is None or mean.shape != (d,) or not np.isfinite(mean).all():
            raise ConfigError(f"Starting from the mean image needs {d} finite values of it.")
        return np.clip(mean, clip[0], clip[1])
    raise ConfigError(f"Unknown start {kind!r}; choose noise or mean.")


def dream(net: Network, target_class, start, *, lr: float = 0.1, l2: float = 0.01, steps: int = 200,
          clip=(0.0, 1.0), standardization=None):
    """A generator of images (d,) float64, one after each step of gradient ascent on
    J(x) − ½·l2·‖x‖² (J from ``dream_objective``: the class's log-probability, or its closeness for
    outputs that are not probabilities), each step x ← clip(x + lr·∇) — ``steps`` of them from
    ``start`` (d,).  The arguments are checked when it is called, before the first image."""
    net = _network(net)
    c = _class(net, target_class)
    lr = _number(lr, "The step size", strict=True)
    l2 = _number(l2, "The L2 weight")
    steps = _whole(steps, "The number of steps", 0, MAX_STEPS)
    clip = _clip_range(clip)
    x0 = _clipped(_item(net, start, "The start image"), clip)
    _Inputs(net, standardization)            # checked now, not at the first step

    def climb():
        x = x0.copy()
        for _ in range(steps):
            _, g = dream_objective(net, x, c, standardization=standardization)
            x = _clipped(x + lr * (np.nan_to_num(g) - l2 * x), clip)
            yield x.copy()

    return climb()


# ------------------------------------------------------------------------------ 2-D field
@dataclass(frozen=True)
class Field:
    """The input gradient over a grid of the plane: ``points`` (m, 2) and ``vectors`` (m, 2) =
    ∇ₓ of the output named by ``what`` at each point."""

    points: np.ndarray
    vectors: np.ndarray
    what: str


def output_gradient(net: Network, X, columns) -> np.ndarray:
    """∂a_c/∂x (n, d) of output ``columns[i]`` at each row of X (n, d) (inputs as the network is
    given them), by the engine's back-propagation: with the quadratic cost and the target
    y = a − e_c, its output error (a − y)·f′ is e_c·f′, so ∂C/∂x is ∂a_c/∂x."""
    net = _network(net)
    X = _items(net, X)
    columns = np.asarray(columns, dtype=np.int64)
    quad = Network(net.weights, net.biases, net.activations, "quadratic", net.dtype)
    with np.errstate(all="ignore"):
        a = quad.forward(X).astype(np.float64)
        e = np.zeros_like(a)
        e[np.arange(len(X)), columns] = 1.0
        return np.asarray(quad.input_gradient(X, a - e), dtype=np.float64)


def gradient_field(net: Network, bounds, n: int = 16, *, classification: bool = True) -> Field:
    """∇ₓ of the output over an n × n grid of cell centres of ``bounds`` (x0, x1, y0, y1): of the
    single output (or output 1 of a regression), or — for a classifier with several outputs — of
    the most likely class's output at each point.  For networks with 2 inputs."""
    net = _network(net)
    if net.sizes[0] != 2:
        raise ConfigError(f"A gradient field needs a network with 2 inputs; this one has {net.sizes[0]}.")
    n = _whole(n, "The grid size", 2, 256)
    try:
        x0, x1, y0, y1 = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ConfigError(f"The bounds must be (x0, x1, y0, y1); got {bounds!r}.") from None
    if not all(math.isfinite(b) for b in (x0, x1, y0, y1)) or not (x0 < x1 and y0 < y1):
        raise ConfigError(f"The bounds must be finite with x0 < x1 and y0 < y1; got {bounds!r}.")
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    gx, gy = np.meshgrid(xs, ys)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    k = net.sizes[-1]
    if classification and k > 1:
        with np.errstate(all="ignore"):
            columns = np.argmax(np.nan_to_num(net.forward(points), nan=-np.inf), axis=1)
        what = "the most likely class's output"
    else:
        columns, what = np.zeros(len(points), dtype=np.int64), "the output" if k == 1 else "output 1"
    return Field(points, output_gradient(net, points, columns), what)


def arrow_segments(points, vectors, pixel_size, spacing_px: float, *, head_px: float = 5.0,
                   power: float = 0.5) -> np.ndarray:
    """Line segments (2·3·m', 2) in plot coordinates — pairs of end points: each arrow's shaft and
    its two head strokes — for ``vectors`` (m, 2) drawn from ``points`` (m, 2).  ``pixel_size``
    (px, py): plot units per screen pixel.  On screen the longest arrow is 0.9·``spacing_px`` long
    and the others ∝ (|v| / |v|max)^``power`` of it (0.5: small gradients stay visible); arrows
    under a pixel long and non-finite vectors are left out."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    vectors = np.asarray(vectors, dtype=np.float64).reshape(-1, 2)
    px, py = (abs(float(v)) or 1.0 for v in pixel_size)
    screen = vectors / np.array([px, py])
    length = np.hypot(screen[:, 0], screen[:, 1])
    ok = np.isfinite(length) & (length > 0)
    if not ok.any():
        return np.zeros((0, 2))
    points, screen, length = points[ok], screen[ok], length[ok]
    drawn = 0.9 * float(spacing_px) * (length / length.max()) ** float(power)
    keep = drawn >= 1.0
    points, screen, length, drawn = points[keep], screen[keep], length[keep], drawn[keep]
    unit = screen / length[:, None]
    tip = unit * drawn[:, None]
    head = np.minimum(float(head_px), 0.45 * drawn)[:, None]
    normal = np.stack([-unit[:, 1], unit[:, 0]], axis=1)
    left = tip - head * unit + 0.6 * head * normal
    right = tip - head * unit - 0.6 * head * normal
    zero = np.zeros_like(tip)
    ends = np.stack([zero, tip, tip, left, tip, right], axis=1)     # (m', 6, 2) in screen pixels
    return (points[:, None, :] + ends * np.array([px, py])).reshape(-1, 2)
