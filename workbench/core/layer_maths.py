"""The numbers behind the First layer and Gradient bars views (numpy only, no Qt).

First layer: the incoming weights ``W[0][:, j]`` of each first-layer neuron j, reshaped to the input
image (h, w), mapped to a diverging colour through a lookup table of ``LEVELS`` colours (zero in the
middle) plus one colour for non-finite weights; a grid of tiles that fits the widget (paged when the
layer is too wide for readable tiles) and the hit test from a pixel to (neuron, image row, column).

Gradient bars: ∂C/∂b of every layer, the first N neurons of each, its length ‖δˡ‖ over the whole
layer, the y limits (one for all layers or one per layer), and a fingerprint of the parameters that
says when a cached full-batch gradient is stale.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

#: Colour indices 0 … LEVELS-1 run from −scale to +scale, zero at MID; NON_FINITE marks NaN/inf.
LEVELS = 255
MID = (LEVELS - 1) // 2
NON_FINITE = LEVELS
LUT_SIZE = LEVELS + 1


def image_shape_of(input_shape, n_inputs: int) -> tuple[int, int] | None:
    """(h, w) of 2-D image inputs whose pixels are the ``n_inputs`` inputs, else None."""
    if input_shape is None or len(input_shape) != 2:
        return None
    h, w = (int(s) for s in input_shape)
    return (h, w) if h > 0 and w > 0 and h * w == n_inputs else None


# ---------------------------------------------------------------------------------- colours
def diverging_lut(negative, middle, positive, non_finite) -> np.ndarray:
    """(LUT_SIZE, 4) uint8 RGBA: index 0 is ``negative``, MID ``middle``, LEVELS-1 ``positive``
    (linear blends between), NON_FINITE ``non_finite``.  Colours are (r, g, b) or (r, g, b, a), 0–255."""
    def rgba(c):
        c = [float(v) for v in c]
        return np.array(c + [255.0] * (4 - len(c)))

    neg, mid, pos = rgba(negative), rgba(middle), rgba(positive)
    t = np.linspace(-1.0, 1.0, LEVELS)[:, None]
    colours = np.where(t < 0, mid + (neg - mid) * -t, mid + (pos - mid) * t)
    lut = np.empty((LUT_SIZE, 4), dtype=np.uint8)
    lut[:LEVELS] = np.clip(np.rint(colours), 0, 255).astype(np.uint8)
    lut[NON_FINITE] = rgba(non_finite).astype(np.uint8)
    return lut


def max_abs(values) -> float:
    """The largest finite |v| of ``values`` (0.0 when there is none)."""
    a = np.abs(np.asarray(values, dtype=np.float64))
    a = a[np.isfinite(a)]
    return float(a.max()) if a.size else 0.0


def colour_indices(values, scale) -> np.ndarray:
    """uint8 LUT indices of ``values`` (any shape) on the symmetric scale ±``scale`` (a number or
    an array broadcasting against ``values``): −scale → 0, 0 → MID, +scale → LEVELS-1, values beyond
    the scale clipped, non-finite values (or a non-finite scale) → NON_FINITE."""
    v = np.asarray(values, dtype=np.float32)
    s = np.asarray(scale, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(s > 0, v / np.where(s > 0, s, 1.0), 0.0 * v)
    bad = ~np.isfinite(t)
    t = np.clip(np.where(bad, 0.0, t), -1.0, 1.0)
    return np.where(bad, NON_FINITE, np.rint(t * MID + MID)).astype(np.uint8)


@dataclass
class Tiles:
    """Colour tiles of some first-layer neurons.

    ``neurons``: (k,) neuron indices; ``rgba``: (k·h, w, 4) uint8, tile t in rows t·h … (t+1)·h (one
    contiguous image); ``scales``: (k,) the ±scale each tile was drawn with; ``non_finite``: whether
    any weight of those neurons is NaN or infinite.
    """

    neurons: np.ndarray
    rgba: np.ndarray
    scales: np.ndarray
    non_finite: bool


def weight_tiles(weights, neurons, image_shape, lut, shared_scale: float | None) -> Tiles:
    """The tiles of ``neurons`` from ``weights`` (n_in, n_out) = W[0], each column reshaped to
    ``image_shape`` (h, w), row-major as the data set stores its pixels.  ``shared_scale``: the one
    ±scale of every tile (e.g. ``max_abs(weights)``), or None for each tile scaled to its own max |w|."""
    h, w = image_shape
    neurons = np.asarray(neurons, dtype=np.int64)
    cols = np.asarray(weights)[:, neurons].T.reshape(len(neurons), h, w)       # (k, h, w)
    finite = np.isfinite(cols)
    if shared_scale is None:
        scales = np.array([max_abs(c) for c in cols], dtype=np.float64)
    else:
        scales = np.full(len(neurons), float(shared_scale))
    indices = colour_indices(cols, scales[:, None, None])
    rgba = lut[indices.reshape(len(neurons) * h, w)]
    return Tiles(neurons, np.ascontiguousarray(rgba), scales, not bool(finite.all()))


# ---------------------------------------------------------------------------------- grid layout
@dataclass(frozen=True)
class Grid:
    """Where tiles go in a widget: ``per_page`` tiles at most on one page, ``columns`` × ``rows``
    cells of ``tile_w`` × ``tile_h`` pixels (a tile) plus ``caption`` pixels under it, ``gap`` pixels
    between cells, starting at (``left``, ``top``)."""

    per_page: int
    columns: int
    rows: int
    tile_w: int
    tile_h: int
    caption: int
    gap: int
    left: int
    top: int

    def cell(self, k: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the k-th tile of the page (its image, without the caption)."""
        r, c = divmod(k, self.columns)
        return (self.left + c * (self.tile_w + self.gap),
                self.top + r * (self.tile_h + self.caption + self.gap), self.tile_w, self.tile_h)

    def hit(self, x: float, y: float, image_shape, count: int):
        """(k, row, col) of the tile pixel at widget point (x, y): the page's k-th tile (k < count)
        and the image pixel in it, or None between tiles."""
        h, w = image_shape
        cx, cy = x - self.left, y - self.top
        if cx < 0 or cy < 0:
            return None
        c, ox = divmod(cx, self.tile_w + self.gap)
        r, oy = divmod(cy, self.tile_h + self.caption + self.gap)
        c, r = int(c), int(r)
        k = r * self.columns + c
        if c >= self.columns or k >= count or ox >= self.tile_w or oy >= self.tile_h:
            return None
        return k, min(h - 1, int(oy * h / self.tile_h)), min(w - 1, int(ox * w / self.tile_w))


def tile_grid(n_tiles: int, width: int, height: int, image_shape, *, caption: int = 14, gap: int = 6,
              min_tile: int = 48, columns: int = 0) -> Grid:
    """The largest tiles for ``n_tiles`` tiles of ``image_shape`` (h, w) in a ``width`` × ``height``
    area: ``columns`` per row (0: the best number), tiles at least ``min_tile`` pixels wide (fewer
    per page when the area cannot hold them all so), a whole number of screen pixels per image pixel
    once that is 2 or more (crisp pixels)."""
    h, w = image_shape
    width, height = max(1, int(width)), max(1, int(height))
    min_w = max(int(min_tile), w)
    fit_cols = max(1, (width + gap) // (min_w + gap))
    fit_rows = max(1, (height + gap) // (max(1, round(min_w * h / w)) + caption + gap))
    wanted_cols = min(int(columns), fit_cols) if columns and columns > 0 else 0
    per_page = max(1, min(n_tiles, (wanted_cols or fit_cols) * fit_rows))
    n = per_page
    candidates = [wanted_cols] if wanted_cols else range(1, min(n, fit_cols) + 1)
    best = None
    for c in candidates:
        r = -(-n // c)
        s = min((width - (c - 1) * gap) / (c * w), (height - r * (caption + gap)) / (r * h))
        if best is None or s >= best[0]:        # a tie: the wider grid
            best = (s, c, r)
    s, c, r = best
    s = max(s, min_w / w) if s < min_w / w else s
    if s >= 2:
        s = math.floor(s)
    tile_w, tile_h = max(1, int(s * w)), max(1, int(s * h))
    used_w = c * tile_w + (c - 1) * gap
    return Grid(per_page, c, r, tile_w, tile_h, caption, gap, max(0, (width - used_w) // 2), 0)


def page_bounds(first: int, per_page: int, n_tiles: int) -> tuple[int, int]:
    """(start, stop) of the page that holds neuron ``first``, pages starting at multiples of ``per_page``."""
    per_page = max(1, per_page)
    first = min(max(0, int(first)), max(0, n_tiles - 1))
    start = (first // per_page) * per_page
    return start, min(n_tiles, start + per_page)


# ---------------------------------------------------------------------------------- gradient bars
@dataclass
class LayerBars:
    """One layer's bars: ``values`` (n_shown,) ∂C/∂b of its first neurons with non-finite values
    as 0, ``norm`` ‖∂C/∂b‖ over all ``size`` neurons (nan when any is non-finite), ``non_finite``."""

    values: np.ndarray
    norm: float
    size: int
    non_finite: bool


def layer_bars(gradients, first_n: int) -> list[LayerBars]:
    """Per layer (each (n,) ∂C/∂b), its first ``first_n`` (0: all) values and its length ‖δˡ‖."""
    out = []
    for g in gradients:
        g = np.asarray(g, dtype=np.float64).ravel()
        finite = np.isfinite(g)
        shown = g[:first_n] if first_n and first_n > 0 else g
        values = np.where(np.isfinite(shown), shown, 0.0)
        norm = float(np.sqrt(np.sum(g * g))) if finite.all() else math.nan
        out.append(LayerBars(values, norm, int(g.size), not bool(finite.all())))
    return out


def bar_limits(bars: list[LayerBars], shared: bool) -> list[float]:
    """The half-height of each layer's y range (bars from −limit to +limit): the largest |value| of
    all shown bars when ``shared`` (small gradients then look small), else each layer's own; a
    little headroom, and 1e-12 at least so an all-zero layer still has a range."""
    own = [max_abs(b.values) for b in bars]
    tops = [max(own, default=0.0)] * len(bars) if shared else own
    return [max(t * 1.08, 1e-12) for t in tops]


def parameter_fingerprint(weights, biases) -> str:
    """A digest of every parameter's bytes: equal exactly when the parameters are unchanged."""
    digest = hashlib.blake2b(digest_size=16)
    for a in list(weights) + list(biases):
        a = np.ascontiguousarray(a)
        digest.update(str((a.shape, a.dtype.str)).encode())
        digest.update(a.data)
    return digest.hexdigest()


def sample_rows(n: int, cap: int) -> int:
    """How many of ``n`` training samples the full-batch gradient uses: all up to ``cap``."""
    return max(0, min(int(n), int(cap)))


# ---------------------------------------------------------------------------------- weight matrix
MATRIX_MAX_INPUTS = 64      # more inputs than this (and no image shape): too many rows to read


def weight_matrix(weights, neurons, lut, shared_scale: float | None) -> Tiles:
    """W[0] of non-image inputs as one picture: ``rgba`` (n_in, k, 4), row i = input i, column t =
    neuron ``neurons[t]``; ``shared_scale`` as in ``weight_tiles`` (None: each column its own)."""
    neurons = np.asarray(neurons, dtype=np.int64)
    columns = np.asarray(weights)[:, neurons]                                   # (n_in, k)
    if shared_scale is None:
        scales = np.array([max_abs(columns[:, t]) for t in range(len(neurons))], dtype=np.float64)
    else:
        scales = np.full(len(neurons), float(shared_scale))
    rgba = lut[colour_indices(columns, scales[None, :])]
    return Tiles(neurons, np.ascontiguousarray(rgba), scales, not bool(np.isfinite(columns).all()))


@dataclass(frozen=True)
class MatrixGrid:
    """Cells of ``cell_w`` × ``cell_h`` pixels, ``columns`` neurons × ``rows`` inputs from (left, top);
    ``per_page``: the most neuron columns one page shows."""

    per_page: int
    columns: int
    rows: int
    cell_w: int
    cell_h: int
    left: int
    top: int

    def column(self, k: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the k-th neuron's column."""
        return self.left + k * self.cell_w, self.top, self.cell_w, self.rows * self.cell_h

    def hit(self, x: float, y: float):
        """(k, input) of the cell at (x, y), or None outside the matrix."""
        c, r = (x - self.left) // self.cell_w, (y - self.top) // self.cell_h
        if x < self.left or y < self.top or c >= self.columns or r >= self.rows:
            return None
        return int(c), int(r)


def matrix_grid(n_inputs: int, n_neurons: int, width: int, height: int, *, left: int = 0, top: int = 0,
                min_cell: int = 12, max_cell: int = 48) -> MatrixGrid:
    """Cells for ``n_inputs`` rows × ``n_neurons`` columns in ``width`` × ``height`` pixels right of
    ``left`` and below ``top``: as large as fit up to ``max_cell``, columns at least ``min_cell`` wide
    (fewer per page when the layer is wider), rows at least 2 pixels high."""
    room_w, room_h = max(1, int(width) - left), max(1, int(height) - top)
    per_page = max(1, min(n_neurons, room_w // min_cell))
    cell_w = int(max(min_cell, min(max_cell, room_w // per_page)))
    cell_h = int(max(2, min(max_cell, room_h // max(1, n_inputs))))
    return MatrixGrid(per_page, per_page, n_inputs, cell_w, cell_h, left, top)
