"""A hand-drawn digit made to look like an MNIST image: soft round brush strokes on a canvas, then
MNIST's own normalisation (LeCun et al.): the digit's bounding box is scaled, keeping its aspect
ratio, to fit a 20×20 box with anti-aliasing, and placed in a 28×28 field so that its centre of
mass is at the centre of the field.

Coordinates are pixel indices (row, column): pixel (i, j) is at (i, j), so the centre of mass of
MNIST's images lies at (14, 14) on average (measured on its training images: 13.99, 14.00).
Images are float arrays with 0 for the background and 1 for full ink, as ``workbench.data.mnist``
scales them.
"""

from __future__ import annotations

import numpy as np

SIZE = 28           # MNIST field
BOX = 20            # the box the digit is fitted in
CENTRE = 14.0       # where MNIST puts the centre of mass (row and column index)
INK_THRESHOLD = 0.02  # pixels fainter than this share of the brightest one do not count as ink


def stamp(canvas: np.ndarray, row: float, col: float, radius: float) -> None:
    """Ink a soft round dot centred at (row, col) into ``canvas`` (h, w) float, in place.

    Full ink inside 60 % of ``radius``, fading to none at ``radius`` (a pen stroke's soft edge);
    overlapping dots keep the darker value, so a stroke does not get darker where it is slow.
    """
    h, w = canvas.shape
    r0, r1 = max(0, int(np.floor(row - radius))), min(h, int(np.ceil(row + radius)) + 1)
    c0, c1 = max(0, int(np.floor(col - radius))), min(w, int(np.ceil(col + radius)) + 1)
    if r0 >= r1 or c0 >= c1:
        return
    rr = np.arange(r0, r1)[:, None] - row
    cc = np.arange(c0, c1)[None, :] - col
    distance = np.sqrt(rr * rr + cc * cc) / max(radius, 1e-6)
    ink = np.clip((1.0 - distance) / 0.4, 0.0, 1.0)
    ink = ink * ink * (3.0 - 2.0 * ink)              # smoothstep: no visible ring at the edge
    np.maximum(canvas[r0:r1, c0:c1], ink, out=canvas[r0:r1, c0:c1])


def stroke(canvas: np.ndarray, start: tuple[float, float], end: tuple[float, float], radius: float) -> None:
    """Ink a straight stroke from ``start`` to ``end`` ((row, col) each) with dots a quarter of a
    radius apart, in place."""
    (y0, x0), (y1, x1) = start, end
    length = float(np.hypot(y1 - y0, x1 - x0))
    steps = max(1, int(np.ceil(length / max(radius * 0.25, 0.5))))
    for t in np.linspace(0.0, 1.0, steps + 1):
        stamp(canvas, y0 + t * (y1 - y0), x0 + t * (x1 - x0), radius)


def resample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights that resize a signal of ``n_in`` samples to ``n_out`` with a triangle
    filter widened when shrinking (anti-aliased, as image libraries resize); rows sum to 1."""
    scale = n_out / n_in
    support = max(1.0, 1.0 / scale)
    centres = (np.arange(n_out) + 0.5) / scale - 0.5          # output pixel centres in input units
    offsets = (np.arange(n_in)[None, :] - centres[:, None]) / support
    weights = np.clip(1.0 - np.abs(offsets), 0.0, None)
    sums = weights.sum(axis=1, keepdims=True)
    nearest = np.clip(np.rint(centres).astype(int), 0, n_in - 1)
    empty = sums[:, 0] == 0
    weights[empty, nearest[empty]] = 1.0
    sums[empty] = 1.0
    return weights / sums


def place_matrix(n_in: int, offset: float, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights that move a signal by ``offset`` pixels (fractional: linear
    interpolation) into ``n_out`` samples.  Each input's ink is shared between the two nearest
    outputs, so its mass and its centre of mass move exactly by ``offset`` while it stays inside."""
    positions = np.arange(n_in)[None, :] + offset
    return np.clip(1.0 - np.abs(np.arange(n_out)[:, None] - positions), 0.0, None)


def centre_of_mass(image: np.ndarray) -> tuple[float, float] | None:
    """(row, col) of the ink's centre of mass of ``image`` (h, w), or None when it is blank."""
    image = np.asarray(image, dtype=np.float64)
    mass = image.sum()
    if not mass > 0:
        return None
    rows = image.sum(axis=1) @ np.arange(image.shape[0]) / mass
    cols = image.sum(axis=0) @ np.arange(image.shape[1]) / mass
    return float(rows), float(cols)


def bounding_box(image: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) — bottom and right exclusive — of the pixels with ink above
    ``threshold`` times the brightest, or None for a blank image."""
    image = np.asarray(image)
    peak = float(image.max()) if image.size else 0.0
    if not peak > 0:
        return None
    ink = image > threshold * peak
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def mnist_centre(image: np.ndarray, size: int = SIZE, box: int = BOX, centre: float = CENTRE) -> np.ndarray:
    """The drawing ``image`` (h, w) floats in [0, 1] as an MNIST-style (size, size) float32 image.

    The bounding box of the ink is resized, aspect kept, so that its longer side is ``box``
    pixels; it is then placed so that its centre of mass is at (centre, centre).  A blank drawing
    gives a blank image.
    """
    image = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    bounds = bounding_box(image)
    if bounds is None:
        return np.zeros((size, size), dtype=np.float32)
    top, bottom, left, right = bounds
    crop = image[top:bottom, left:right]
    h, w = crop.shape
    scale = box / max(h, w)
    out_h, out_w = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    fitted = resample_matrix(h, out_h) @ crop @ resample_matrix(w, out_w).T
    com = centre_of_mass(fitted)
    if com is None:
        return np.zeros((size, size), dtype=np.float32)
    placed = place_matrix(out_h, centre - com[0], size) @ fitted @ place_matrix(out_w, centre - com[1], size).T
    return np.clip(placed, 0.0, 1.0).astype(np.float32)
