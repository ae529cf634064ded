"""The maths of Nielsen's visual proof of universality (chapter 4), for networks with one input, one
sigmoid hidden layer of h neurons and one output (numpy only, no Qt).

Hidden neuron i computes σ(wᵢx + bᵢ); the output neuron takes the weighted sum
Σᵢ vᵢσ(wᵢx + bᵢ) + c and applies the output activation (identity for "linear", σ for "sigmoid", …).
A steep hidden neuron is a step at its *step point* s = −b/w; Nielsen pairs neurons 2k and 2k+1: a
step up at s₂ₖ of height h (v₂ₖ = h) and a step down at s₂ₖ₊₁ (v₂ₖ₊₁ = −h) make a bump of height h
between the two step points.  With a large fixed w, (s, h) and (w, b, v) convert both ways.

The goal g(x) comes from a 1-D generator (``GOALS``), from a data set's points or from a polyline the
user drew (``goal_from_points``); the fit is measured as Nielsen does, by the average deviation
mean |f(x) − g(x)| over a grid.  Shapes: the grid x is (n,), a hidden layer's parameters are (h,).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS

#: Nielsen's steep weight: large enough that σ(w(x − s)) is a step to the eye on [0, 1].
STEEP_W = 1000.0
#: Grid points the view evaluates on.
GRID_POINTS = 400


def shape_problem(sizes, activations) -> str | None:
    """Why a network of these layer sizes and activations is not 1-input, one-sigmoid-hidden-layer,
    1-output (a sentence), or None when it is."""
    sizes, activations = list(sizes), list(activations)
    if len(sizes) == 3 and sizes[0] == 1 and sizes[2] == 1 and sizes[1] is not None \
            and activations[:1] == ["sigmoid"]:
        return None
    shown = "-".join("?" if s is None else str(s) for s in sizes)
    hidden = (f" with a {activations[0]} hidden layer"
              if len(sizes) == 3 and activations and activations[0] != "sigmoid" else "")
    return ("Universality works with 1-input, 1-output networks with one sigmoid hidden layer: "
            f"this network is {shown}{hidden}.")


@dataclass
class OneHidden:
    """The parameters of a 1-h-1 network: w, b, v (h,) float64, c float, the output activation."""

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: float
    output: str = "linear"

    @classmethod
    def from_arrays(cls, weights, biases, activations) -> "OneHidden":
        """From a network's weights [(1, h), (h, 1)] and biases [(h,), (1,)]."""
        return cls(np.array(weights[0][0], dtype=np.float64), np.array(biases[0], dtype=np.float64),
                   np.array(weights[1][:, 0], dtype=np.float64), float(biases[1][0]), activations[-1])

    def copy(self) -> "OneHidden":
        return OneHidden(self.w.copy(), self.b.copy(), self.v.copy(), self.c, self.output)

    @property
    def h(self) -> int:
        return len(self.w)

    def hidden(self, x: np.ndarray) -> np.ndarray:
        """σ(wᵢx + bᵢ) of each hidden neuron on the grid: (h, n)."""
        return ACTIVATIONS["sigmoid"](np.outer(self.w, x) + self.b[:, None])

    def weighted_sum(self, x: np.ndarray, hidden: np.ndarray | None = None) -> np.ndarray:
        """Σᵢ vᵢσ(wᵢx + bᵢ) + c: (n,)."""
        hidden = self.hidden(x) if hidden is None else hidden
        return self.v @ hidden + self.c

    def output_values(self, x: np.ndarray, weighted: np.ndarray | None = None) -> np.ndarray:
        """The network's output on the grid (the output activation of the weighted sum): (n,)."""
        z = self.weighted_sum(x) if weighted is None else weighted
        return output_activation(self.output, z)

    def steps(self) -> np.ndarray:
        """Step point of each hidden neuron (h,); NaN where w = 0 (a flat neuron has none)."""
        return step_points(self.w, self.b)


def output_activation(name: str, z: np.ndarray) -> np.ndarray:
    """The output layer's activation of z (n,) → (n,): the core's own function (a one-output
    softmax is constantly 1)."""
    z = np.asarray(z, dtype=np.float64)
    return ACTIVATIONS[name](z.reshape(-1, 1))[:, 0]


def step_points(w, b) -> np.ndarray:
    """s = −b/w elementwise; NaN where w = 0 (no step point: σ(b) is flat)."""
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.full(np.broadcast(w, b).shape, np.nan)
    nonzero = w != 0
    np.divide(-b, w, out=out, where=nonzero)
    return out


def step_point(w: float, b: float) -> float | None:
    """s = −b/w of one neuron, or None when w = 0 (no step point)."""
    return None if w == 0 or not math.isfinite(w) else -float(b) / float(w)


def bias_for_step(s, w):
    """The bias that puts the step of a neuron with weight w at s: b = −w·s (elementwise)."""
    return -np.asarray(w, dtype=np.float64) * np.asarray(s, dtype=np.float64)


def pair_heights(v) -> np.ndarray:
    """Height of each of Nielsen's pairs (neurons 2k, 2k+1): v₂ₖ, (⌈h/2⌉,); an unpaired last
    neuron's height is its own v."""
    return np.asarray(v, dtype=np.float64)[0::2].copy()


def pairs_to_parameters(steps, heights, h: int, w: float = STEEP_W):
    """Nielsen's form → (w, b, v), each (h,): every neuron gets the weight ``w``, the bias −w·sᵢ;
    pair k has v₂ₖ = heights[k], v₂ₖ₊₁ = −heights[k].  ``steps`` (h,), ``heights`` (⌈h/2⌉,)."""
    steps = np.asarray(steps, dtype=np.float64)
    heights = np.asarray(heights, dtype=np.float64)
    if steps.shape != (h,) or heights.shape != ((h + 1) // 2,):
        raise ValueError(f"{h} hidden neurons need {h} step points and {(h + 1) // 2} pair heights.")
    ws = np.full(h, float(w))
    v = np.empty(h)
    v[0::2] = heights
    v[1::2] = -heights[:h // 2]
    return ws, bias_for_step(steps, ws), v


def parameters_to_pairs(w, b, v):
    """(w, b, v) → (step points (h,) with NaN where w = 0, pair heights (⌈h/2⌉,))."""
    return step_points(w, b), pair_heights(v)


def set_pair_height(v, k: int, height: float) -> np.ndarray:
    """v with pair k's height set: v₂ₖ = height, v₂ₖ₊₁ = −height (a copy)."""
    v = np.array(v, dtype=np.float64)
    v[2 * k] = height
    if 2 * k + 1 < len(v):
        v[2 * k + 1] = -height
    return v


def bump_network(edges, heights, w: float = STEEP_W, c: float = 0.0, output: str = "linear") -> OneHidden:
    """A hand-built network of bumps: bump k rises at edges[k] and falls at edges[k+1] with height
    heights[k] (Nielsen's construction; len(edges) = len(heights) + 1, so 2·len(heights) neurons)."""
    edges = np.asarray(edges, dtype=np.float64)
    heights = np.asarray(heights, dtype=np.float64)
    if len(edges) != len(heights) + 1:
        raise ValueError("A bump network needs one more edge than heights.")
    steps = np.empty(2 * len(heights))
    steps[0::2], steps[1::2] = edges[:-1], edges[1:]
    ws, bs, v = pairs_to_parameters(steps, heights, len(steps), w)
    return OneHidden(ws, bs, v, float(c), output)


# ---------------------------------------------------------------------------------------- goals
def _nielsen(x):
    from ..data.functions import nielsen_function      # numpy only, like the core

    return nielsen_function(x)


#: The 1-D goals: key -> (label, g(x), x range).  "sine" is one period over [−1, 1] (the generator's
#: default of one cycle).
GOALS = {
    "nielsen-function": ("Nielsen's function", _nielsen, (0.0, 1.0)),
    "sine": ("Sine", lambda x: np.sin(np.pi * x), (-1.0, 1.0)),
}


def grid(x_range=(0.0, 1.0), n: int = GRID_POINTS) -> np.ndarray:
    """n evenly spaced points over [lo, hi] (n,)."""
    lo, hi = float(x_range[0]), float(x_range[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        lo, hi = 0.0, 1.0
    return np.linspace(lo, hi, max(2, int(n)))


def goal_values(name: str, x: np.ndarray) -> np.ndarray:
    """g(x) of the 1-D goal ``name`` (a key of GOALS) on the grid (n,)."""
    return np.asarray(GOALS[name][1](np.asarray(x, dtype=np.float64)), dtype=np.float64)


def goal_from_points(px, py, x: np.ndarray, bins: int | None = None) -> np.ndarray | None:
    """A goal through points (px, py) (m,) — a data set's samples or a drawn polyline — on the grid x
    (n,): the points' mean y in each of ``bins`` x-bins (default: one per grid point; noisy samples
    are averaged), linearly interpolated between the bins that hold points, constant beyond the
    outermost.  None when there is no finite point."""
    px = np.asarray(px, dtype=np.float64).ravel()
    py = np.asarray(py, dtype=np.float64).ravel()
    keep = np.isfinite(px) & np.isfinite(py)
    px, py = px[keep], py[keep]
    if len(px) == 0:
        return None
    x = np.asarray(x, dtype=np.float64)
    bins = len(x) if bins is None else max(1, int(bins))
    lo, hi = float(x[0]), float(x[-1])
    if len(px) <= bins:               # few points (a polyline): through them, sorted by x
        order = np.argsort(px, kind="stable")
        ux, inverse = np.unique(px[order], return_inverse=True)
        uy = np.bincount(inverse, weights=py[order]) / np.bincount(inverse)
        return np.interp(x, ux, uy)
    index = np.clip(((px - lo) / (hi - lo) * bins).astype(np.int64) if hi > lo else np.zeros(len(px), np.int64),
                    0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    sums = np.bincount(index, weights=py, minlength=bins)
    full = counts > 0
    centres = lo + (np.arange(bins) + 0.5) * (hi - lo) / bins
    return np.interp(x, centres[full], sums[full] / counts[full])


def average_deviation(f, g) -> float:
    """Nielsen's measure of the fit: mean |f(x) − g(x)| over the grid (NaN when undefined)."""
    f = np.asarray(f, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    if f.shape != g.shape or f.size == 0:
        return float("nan")
    return float(np.mean(np.abs(f - g)))


def sample_cost(net, X, Y, limit: int = 20_000) -> tuple[float, int]:
    """The network's mean cost on at most the first ``limit`` samples of (X (m, n_in), Y (m, n_out)):
    (cost, samples used); (NaN, 0) without samples."""
    n = min(len(X), int(limit))
    if n == 0:
        return float("nan"), 0
    cost, _ = net.evaluate(X[:n], Y[:n], classification=False)
    return float(cost), n


# ---------------------------------------------------------------------------------------- the lab
LAB_NAME = "universality"
LAB_EDGES = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]         # five bumps of Nielsen's steps, w = 1000
LAB_HEIGHTS = [0.3, 0.3, 0.3, 0.3, 0.3]
LAB_TEXT = (
    "Nielsen's visual proof that one hidden layer can approximate any function (Neural Networks and "
    "Deep Learning, chapter 4). The ten sigmoid hidden neurons have the steep weight w = 1000, so each "
    "is a step at s = −b/w; neurons 1–2, 3–4, … are pairs, a step up and a step down of height h, "
    "which make five bumps of height 0.3. What to try: in the Universality tab drag each square "
    "handle up or down until its bump sits on the dashed goal, and watch the average deviation "
    "|f − g| fall; drag the round handles across to move the steps and make narrow bumps "
    "where the goal bends. Every drag is one step of Edit → Undo. Then press Train: gradient descent "
    "tunes the same weights (the quadratic cost on the training data is shown under the plot).")


def lab_network(w: float = STEEP_W):
    """The lab's 1-10-1 network (sigmoid hidden, linear output, quadratic cost): Nielsen's steps."""
    from .network import Network

    p = bump_network(LAB_EDGES, LAB_HEIGHTS, w=w)
    return Network([p.w.reshape(1, -1), p.v.reshape(-1, 1)], [p.b, np.array([p.c])], ["sigmoid", "linear"],
                   "quadratic", dtype="float32")


def lab_document() -> dict:
    """The lab file resources/labs/universality.wbsession as a JSON document (see core.labs)."""

    from .serialization import weights_json, weights_to_bytes
    from .lab_files import LAB_VERSION
    from .sessionfile import FORMAT

    net = lab_network()
    title = "Universality: hand-tuned steps"
    return {
        "format": FORMAT, "version": LAB_VERSION, "name": title,
        "architecture": net.architecture(),
        "hyperparameters": {"optimizer": "sgd", "lr": 0.05, "momentum": 0.0, "batch_size": 10, "epochs": 30,
                            "l2": 0.0, "layer_lr": None, "init": "scaled-normal", "bias_init": "normal",
                            "seed": 0, "dtype": "float32", "resolution": "batch"},
        "data": "nielsen-function:points=1000", "history": None, "epochs_trained": 0, "steps_trained": 0,
        "watch": [], "weights": weights_json(weights_to_bytes(net)),
        "views": {"front": LAB_NAME, "open": ["diagram", "lab-notes"],
                  "settings": {LAB_NAME: {"mode": "steps", "goal": "nielsen-function"}}},
        "points": None,
        "lab": {"title": title, "group": "Nielsen, chapter 4", "order": 10, "text": LAB_TEXT},
    }

