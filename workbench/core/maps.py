"""The maths of the output map: what a network computes over its input plane (2 inputs) or line (1).

A *plane* is the data's range with a margin, sampled on a square grid of ``resolution`` × ``resolution``
points; ``grid_points`` orders them row-major with y growing down the rows (row i is y = ys[i], column
j is x = xs[j]), so a layer's activations (r·r, n) reshape to images (r, r, n) whose row 0 is the
bottom of the plane.  ``MapEvaluator`` runs a fixed set of points through changing parameters in
float32 with buffers kept between calls (a live map redraws ten times a second or more).

Colours are uint8 RGBA computed here too: a value goes through a lookup table (``diverging_lut``)
between the low, middle and high colours of a scale (``output_scale``, ``activation_scale``); several
class probabilities blend their class colours (``blend_classes``).  Hidden-neuron thumbnails are laid
out in one picture (``Mosaic``).  numpy and the standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS

RESOLUTION = 100          # grid points per side of the plane
CURVE_POINTS = 400        # points of a 1-D curve
MARGIN = 0.1              # the plane extends the data's range by this fraction on each side
LUT_SIZE = 256
TRANSPARENT = LUT_SIZE    # index of the transparent entry that ``Mosaic`` appends to a table

__all__ = [
    "RESOLUTION", "CURVE_POINTS", "MARGIN", "Grid", "base_key", "plane_bounds", "line_bounds", "inside", "grid_points",
    "line_points", "MapEvaluator", "parameters_finite", "output_scale", "activation_scale",
    "diverging_lut", "wash", "scale_indices", "threshold_indices", "band_indices", "lut_colours",
    "normalise_probabilities", "blend_classes", "argmax_colours", "output_colours", "output_names",
    "contributions", "Mosaic",
]


# ---------------------------------------------------------------------- planes and grids
def _range(values: np.ndarray, margin: float) -> tuple[float, float]:
    """(lo, hi) of the finite ``values`` widened by ``margin`` of their span (±1 around a single value)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo
    if span <= 1e-12 * max(1.0, abs(lo), abs(hi)):
        return lo - 1.0, hi + 1.0
    return lo - margin * span, hi + margin * span


def base_key(spec: str, name: str, n_inputs: int, n_outputs: int, n_points: int,
             added: int = 0, removed: int = 0) -> tuple:
    """What identifies the data set a plane was fitted to, the same for every hand-edited copy of it:
    its spec, name and shape with the size it had before ``added`` points were drawn and ``removed``
    taken away (``n_points``: all its points now).  The plane is fitted once per key, so drawing
    never moves it and undoing every edit returns the very same view."""
    return str(spec), str(name), int(n_inputs), int(n_outputs), int(n_points) - int(added) + int(removed)


def plane_bounds(X: np.ndarray, margin: float = MARGIN) -> tuple[float, float, float, float]:
    """(x_lo, x_hi, y_lo, y_hi) of the points ``X`` (n, 2) with ``margin`` of each span added."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plane_bounds needs points of shape (n, 2), got {X.shape}")
    return _range(X[:, 0], margin) + _range(X[:, 1], margin)


def line_bounds(x: np.ndarray, margin: float = MARGIN) -> tuple[float, float]:
    """(lo, hi) of the values ``x`` (n,) or (n, 1) with ``margin`` of their span added."""
    return _range(np.asarray(x, dtype=np.float64).ravel(), margin)


def inside(points: np.ndarray, bounds) -> bool:
    """Whether there are points (n, 2) and all lie within ``bounds`` = (x_lo, x_hi, y_lo, y_hi)."""
    points = np.asarray(points)
    return bool(len(points) and points[:, 0].min() >= bounds[0] and points[:, 0].max() <= bounds[1]
                and points[:, 1].min() >= bounds[2] and points[:, 1].max() <= bounds[3])


@dataclass(frozen=True)
class Grid:
    """Sample points of a plane: ``xs`` (r,), ``ys`` (r,) and ``points`` (r·r, 2) float32, row-major
    (``points[i * r + j] = (xs[j], ys[i])``); ``bounds`` as given to ``grid_points``."""

    xs: np.ndarray
    ys: np.ndarray
    points: np.ndarray
    bounds: tuple[float, float, float, float]

    @property
    def resolution(self) -> int:
        return len(self.xs)

    def pixel_rect(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) an image of the grid covers: each point the centre of its pixel."""
        r = self.resolution
        dx = (self.xs[-1] - self.xs[0]) / max(1, r - 1)
        dy = (self.ys[-1] - self.ys[0]) / max(1, r - 1)
        return float(self.xs[0] - dx / 2), float(self.ys[0] - dy / 2), float(r * dx), float(r * dy)


def grid_points(bounds, resolution: int = RESOLUTION) -> Grid:
    """The ``resolution`` × ``resolution`` grid over ``bounds`` = (x_lo, x_hi, y_lo, y_hi)."""
    if resolution < 2:
        raise ValueError("a grid needs at least 2 points per side")
    x_lo, x_hi, y_lo, y_hi = (float(b) for b in bounds)
    xs = np.linspace(x_lo, x_hi, resolution)
    ys = np.linspace(y_lo, y_hi, resolution)
    gx, gy = np.meshgrid(xs, ys)
    points = np.ascontiguousarray(np.stack([gx.ravel(), gy.ravel()], axis=1), dtype=np.float32)
    return Grid(xs, ys, points, (x_lo, x_hi, y_lo, y_hi))


def line_points(lo: float, hi: float, n: int = CURVE_POINTS) -> np.ndarray:
    """(n, 1) float32 points evenly spread from ``lo`` to ``hi``."""
    return np.linspace(lo, hi, n, dtype=np.float64).astype(np.float32).reshape(-1, 1)


# ---------------------------------------------------------------------- forward passes
def _act_inplace(name: str, z: np.ndarray) -> None:
    """Apply activation ``name`` in place to the float32 weighted inputs ``z`` (n, m) of n neurons
    at m points (softmax over the neurons, axis 0), as ``ACTIVATIONS`` computes it."""
    if name == "sigmoid":                      # 0.5 + 0.5·tanh(z/2): never overflows
        half = np.float32(0.5)
        z *= half
        np.tanh(z, out=z)
        z *= half
        z += half
    elif name == "tanh":
        np.tanh(z, out=z)
    elif name == "relu":
        np.maximum(z, np.float32(0), out=z)
    elif name == "leaky-relu":
        np.multiply(z, np.where(z > 0, np.float32(1), np.float32(ACTIVATIONS["leaky-relu"].slope)), out=z)
    elif name == "linear":
        pass
    elif name == "softmax":
        z -= z.max(axis=0)
        np.exp(z, out=z)
        z /= z.sum(axis=0)
    else:
        raise ValueError(f"unknown activation {name!r}")


class MapEvaluator:
    """Forward passes of the fixed ``points`` (m, d) through changing parameters, in float32.

    ``run(weights, biases, activations)`` returns the activations a¹…aᴸ of every non-input layer,
    each (m, sizes[l+1]).  They are computed neuron-major — z = Wᵀ·aᵀ, (n, m) — where numpy's inner
    loops run over the m points (a third faster than point-major at 10,000 points), so each is the
    transposed view of a C-contiguous (n, m) array: ``a.T`` holds one neuron's map per row.
    """

    def __init__(self, points: np.ndarray):
        points = np.asarray(points, dtype=np.float32)
        if points.ndim != 2:
            raise ValueError(f"points must be (m, d), got {points.shape}")
        self.points = np.ascontiguousarray(points)
        self._points_t = np.ascontiguousarray(points.T)

    @property
    def n_points(self) -> int:
        return len(self.points)

    def run(self, weights, biases, activations) -> list[np.ndarray]:
        if len(weights) != len(biases) or len(weights) != len(activations) or not weights:
            raise ValueError("one weight matrix, bias vector and activation per layer")
        if weights[0].shape[0] != self.points.shape[1]:
            raise ValueError(f"the network has {weights[0].shape[0]} inputs, the points {self.points.shape[1]}")
        a, out = self._points_t, []
        for w, b, name in zip(weights, biases, activations):
            z = w.astype(np.float32, copy=False).T @ a
            z += b.astype(np.float32, copy=False)[:, None]
            _act_inplace(name, z)
            out.append(z.T)
            a = z
        return out


def parameters_finite(weights, biases) -> bool:
    """Whether every weight and bias is finite (a diverged run leaves NaN or inf)."""
    return all(bool(np.isfinite(w).all()) for w in weights) and all(bool(np.isfinite(b).all()) for b in biases)


# ---------------------------------------------------------------------- scales
def output_scale(activation: str, targets: np.ndarray | None = None) -> tuple[float, float, float]:
    """(lo, centre, hi) of the colour scale of a single output: centred at 0.5 for a sigmoid or for
    targets in [0, 1] (0/1 classes: the class boundary, where ``predicted_classes`` rounds, also
    for a tanh output), at 0 for tanh with other targets and for other regression targets (then ±
    the largest |target|, at least 1e-6)."""
    if activation == "sigmoid":
        return 0.0, 0.5, 1.0
    t = np.asarray(targets if targets is not None else [], dtype=np.float64).ravel()
    t = t[np.isfinite(t)]
    if t.size and t.min() >= 0.0 and t.max() <= 1.0:
        return 0.0, 0.5, 1.0
    if activation == "tanh" or not t.size:
        return -1.0, 0.0, 1.0
    half = max(abs(float(t.min())), abs(float(t.max())), 1e-6)
    return -half, 0.0, half


def activation_scale(activation: str, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) per neuron, each (n,), of hidden activations ``values`` (m, n): the activation's
    own range for sigmoid [0, 1] and tanh [-1, 1], else symmetric about 0 (± the largest |value|)."""
    n = values.shape[1]
    if activation == "sigmoid":
        return np.zeros(n, np.float32), np.ones(n, np.float32)
    if activation == "tanh":
        return np.full(n, -1.0, np.float32), np.ones(n, np.float32)
    if len(values):
        half = np.abs(values).max(axis=0)
        half[~np.isfinite(half)] = 1.0
    else:
        half = np.ones(n, np.float32)
    half = np.maximum(half, np.float32(1e-6)).astype(np.float32)
    return -half, half


# ---------------------------------------------------------------------- colours
def diverging_lut(low, mid, high, n: int = LUT_SIZE) -> np.ndarray:
    """(n, 4) uint8 RGBA table from ``low`` through ``mid`` (at the centre) to ``high``; each colour
    is (r, g, b) with components 0…255.  Opaque."""
    low, mid, high = (np.asarray(c, dtype=np.float64)[:3] for c in (low, mid, high))
    t = np.linspace(-1.0, 1.0, n)[:, None]
    rgb = np.where(t < 0, mid + (low - mid) * -t, mid + (high - mid) * t)
    out = np.empty((n, 4), dtype=np.uint8)
    out[:, :3] = np.clip(np.rint(rgb), 0, 255)
    out[:, 3] = 255
    return out


def wash(colours, background, amount: float) -> np.ndarray:
    """``colours`` (..., 3 or 4) uint8 moved ``amount`` (0…1) of the way towards ``background`` (r, g, b)."""
    colours = np.asarray(colours)
    out = colours.copy()
    bg = np.asarray(background, dtype=np.float64)[:3]
    out[..., :3] = np.clip(np.rint(colours[..., :3] * (1.0 - amount) + bg * amount), 0, 255)
    return out


def scale_indices(values: np.ndarray, lo, hi, out: np.ndarray | None = None) -> np.ndarray:
    """Table indices 0…255 (uint8, the shape of ``values``) of values on the scale ``lo``…``hi``
    (scalars, or arrays that broadcast, e.g. one per neuron).  NaN maps to the middle."""
    lo = np.asarray(lo, dtype=np.float32)
    span = np.asarray(hi, dtype=np.float32) - lo
    factor = np.float32(LUT_SIZE - 1) / np.where(span > 0, span, np.float32(1))
    f = np.subtract(values, lo, dtype=np.float32)
    f *= factor
    np.clip(f, 0, LUT_SIZE - 1, out=f)
    if not np.isfinite(f).all():
        np.nan_to_num(f, copy=False, nan=(LUT_SIZE - 1) / 2)
    if out is None:
        out = np.empty(np.shape(values), dtype=np.uint8)
    np.rint(f, out=f)
    out[...] = f
    return out


def threshold_indices(values: np.ndarray, centre: float) -> np.ndarray:
    """Hard edges: index 255 where ``values`` ≥ ``centre``, else 0 (uint8)."""
    return np.where(np.asarray(values) >= centre, np.uint8(LUT_SIZE - 1), np.uint8(0))


def band_indices(values: np.ndarray, lo: float, hi: float, bands: int = 9) -> np.ndarray:
    """Hard edges for a regression output: the scale cut into ``bands`` equal steps, each shown
    in the colour of its middle (uint8 table indices)."""
    idx = scale_indices(values, lo, hi).astype(np.int32)
    step = LUT_SIZE / bands
    band = np.minimum(idx // step, bands - 1)
    return np.rint((band + 0.5) * step).clip(0, LUT_SIZE - 1).astype(np.uint8)


def lut_colours(indices: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """RGBA (..., 4) uint8 of table ``indices`` (any shape) through ``lut`` (n, 4) uint8.
    (Gathered as one 32-bit word per colour: four times fewer elements than per channel.)"""
    words = np.ascontiguousarray(lut, dtype=np.uint8).view(np.uint32).ravel()
    indices = np.asarray(indices)
    return np.take(words, indices).view(np.uint8).reshape(indices.shape + (4,))


def normalise_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Rows of ``outputs`` (m, k) as probabilities: negative parts cut to 0, each row divided by its
    sum (an all-zero or non-finite row becomes uniform).  Softmax rows come back unchanged."""
    p = np.nan_to_num(np.asarray(outputs, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    p = np.maximum(p, np.float32(0))
    total = p.sum(axis=1, keepdims=True)
    bad = total[:, 0] <= 0
    if bad.any():
        p[bad] = 1.0
        total[bad] = p.shape[1]
    return p / total


def blend_classes(probabilities: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """RGBA (m, 4) uint8: each row's class ``colours`` (k, 3) mixed by its ``probabilities`` (m, k)."""
    colours = np.asarray(colours, dtype=np.float32)[:, :3]
    rgb = probabilities.astype(np.float32, copy=False) @ colours
    out = np.empty((len(rgb), 4), dtype=np.uint8)
    np.clip(rgb, 0, 255, out=rgb)
    out[:, :3] = np.rint(rgb)
    out[:, 3] = 255
    return out


def argmax_colours(outputs: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """RGBA (m, 4) uint8: the colour of each row's most likely class (hard edges)."""
    colours = np.asarray(colours, dtype=np.uint8)[:, :3]
    out = np.empty((len(outputs), 4), dtype=np.uint8)
    out[:, :3] = colours[np.nan_to_num(outputs, nan=-np.inf).argmax(axis=1)]
    out[:, 3] = 255
    return out


def output_colours(out: np.ndarray, activation: str, targets: np.ndarray | None, classification: bool,
                   discretize: bool, lut: np.ndarray, class_colours: np.ndarray):
    """The map's colours of the network outputs ``out`` (m, k): (RGBA (m, 4) uint8, scale).

    One output, or regression (its first output): ``lut`` over ``output_scale(activation, targets)``,
    returned as the scale (lo, centre, hi); ``discretize`` cuts at the centre (classification) or
    into nine bands (regression).  Several class outputs: ``class_colours`` (≥ k, 3) mixed by
    probability, or the most likely class's with ``discretize``; the scale is then None."""
    k = out.shape[1]
    if k == 1 or not classification:
        lo, centre, hi = output_scale(activation, targets)
        v = out[:, 0]
        if not discretize:
            idx = scale_indices(v, lo, hi)
        elif classification:
            idx = threshold_indices(v, centre)
        else:
            idx = band_indices(v, lo, hi)
        return lut_colours(idx, lut), (lo, centre, hi)
    colours = np.asarray(class_colours)[np.arange(k) % len(class_colours)]
    if discretize:
        return argmax_colours(out, colours), None
    probs = out if activation == "softmax" else normalise_probabilities(out)
    return blend_classes(probs, colours), None


def output_names(k: int, classification: bool, class_names, target_names) -> list[str]:
    """Column names of k network outputs: "P(class)" per class (one 0/1 output: the second
    class's), else the target names, else "output j"."""
    if classification and k > 1 and class_names and len(class_names) == k:
        return [f"P({name})" for name in class_names]
    if classification and k == 1 and class_names and len(class_names) == 2:
        return [f"P({class_names[1]})"]
    if target_names and len(target_names) == k:
        return list(target_names)
    return [f"output {j + 1}" for j in range(k)]


def contributions(hidden: np.ndarray, w_out: np.ndarray) -> np.ndarray:
    """wⱼ·aⱼ(x) of every neuron j of the last hidden layer: (m, h) from its activations ``hidden``
    (m, h) and its weights ``w_out`` (h,) to the output; their sum plus the output bias is the
    output's weighted input z."""
    return hidden * np.asarray(w_out, dtype=hidden.dtype)[None, :]


# ---------------------------------------------------------------------- thumbnails
class Mosaic:
    """Thumbnails of every hidden neuron, laid out in one picture, one block of rows per layer.

    ``widths``: neurons of each hidden layer; ``tile``: thumbnail side in pixels; ``stride``: take
    every stride-th grid point of a ``resolution``-sided map; ``columns``: tiles per row;
    ``header``: pixels above each layer's block for its name; ``label``: pixels above each row of
    tiles for their numbers; ``gap``: pixels between tiles.  The picture is ``shape`` (height,
    width) with row 0 at the top; a thumbnail's own bottom row is the bottom of the plane.
    ``cells[k]`` = (layer, neuron, x, y) of tile k's top-left corner and ``headers[l]`` = (layer,
    x, y) of the bottom-left corner of a layer's header strip; layers count from 1 (the first hidden).
    """

    def __init__(self, widths: list[int], resolution: int, stride: int, columns: int,
                 label: int = 12, gap: int = 4, header: int = 0):
        self.widths = [int(w) for w in widths]
        self.tile = len(range(0, resolution, stride))
        self.stride, self.resolution, self.columns, self.label, self.gap = stride, resolution, columns, label, gap
        t = self.tile
        cell_w, cell_h = t + gap, t + label + gap
        self.cells: list[tuple[int, int, int, int]] = []
        self.headers: list[tuple[int, int, int]] = []
        top = 0
        for layer, width in enumerate(self.widths, start=1):
            top += header
            self.headers.append((layer, 0, top))
            for j in range(width):
                r, c = divmod(j, columns)
                self.cells.append((layer, j, c * cell_w, top + r * cell_h + label))
            top += max(1, math.ceil(width / columns)) * cell_h
        used = max((min(w, columns) for w in self.widths), default=0)
        self.shape = (max(1, top - gap), max(1, used * cell_w - gap))
        # source[y, x]: index into the concatenated per-layer (n, t, t) index arrays, or the sentinel
        offsets = np.cumsum([0] + [t * t * w for w in self.widths])
        self.size = int(offsets[-1])
        source = np.full(self.shape, self.size, dtype=np.int64)
        p = np.arange(t)
        for layer, j, x, y in self.cells:
            # picture row y + q shows grid row t - 1 - q (the plane's top at the tile's top)
            source[y:y + t, x:x + t] = offsets[layer - 1] + j * t * t + (t - 1 - p)[:, None] * t + p[None, :]
        self._source = source
        self._indices = np.empty(self.size + 1, dtype=np.uint16)
        self._indices[-1] = TRANSPARENT

    def tile_at(self, x: float, y: float) -> int | None:
        """The tile under picture pixel (x, y) (column, row), or None."""
        t = self.tile
        for k, (_layer, _j, x0, y0) in enumerate(self.cells):
            if x0 <= x < x0 + t and y0 <= y < y0 + t:
                return k
        return None

    def picture(self, hidden: list[np.ndarray], lut: np.ndarray, scales: list[tuple]) -> np.ndarray:
        """RGBA (height, width, 4) uint8 of the thumbnails.  ``hidden[l]``: (resolution², n_l)
        activations of hidden layer l+1 over the grid; ``scales[l]``: its (lo, hi) per neuron;
        ``lut`` (256, 4); the space between tiles is transparent."""
        r, s, t = self.resolution, self.stride, self.tile
        start = 0
        for values, (lo, hi), width in zip(hidden, scales, self.widths):
            part = np.ascontiguousarray(values[:, :width].T).reshape(width, r, r)[:, ::s, ::s]
            n = t * t * width
            lo, hi = np.asarray(lo).reshape(-1, 1, 1), np.asarray(hi).reshape(-1, 1, 1)
            self._indices[start:start + n] = scale_indices(part, lo, hi).ravel()
            start += n
        table = np.concatenate([lut, np.zeros((1, 4), dtype=np.uint8)])
        return lut_colours(np.take(self._indices, self._source), table)
