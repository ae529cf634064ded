"""The 2-D data sets of TensorFlow Playground (circle, XOR quadrants, two Gaussians, spiral,
plane and multi-Gaussian surfaces) plus scikit-learn style moons.

Inputs are (x, y) points; the Playground sets follow its dataset.ts: ``noise`` in [0, 0.5] shifts the
point used to compute the label (circle, quadrants, plane, multi-gaussian), widens the Gaussians or
jitters the spiral arms.
"""

from __future__ import annotations

import numpy as np

from .generators import Generated, GeneratorInfo, outputs_param, register, seed_param, split_params
from .params import Param

XY = ["x", "y"]


def _points(default: int) -> Param:
    return Param("points", default, "int", "number of points", 4, 1_000_000)


def _noise(default: float, doc: str = "label noise as in Playground (0 to 0.5)") -> Param:
    return Param("noise", default, "float", doc, 0.0, 1.0)


def _halves(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


def make_circle(p: dict, rng: np.random.Generator) -> Generated:
    radius = 5.0
    n_in, n_out = _halves(p["points"])
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)])
    angle = rng.uniform(0, 2 * np.pi, len(r))
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    noisy = X + rng.uniform(-radius, radius, X.shape) * p["noise"]
    labels = (np.hypot(noisy[:, 0], noisy[:, 1]) < radius * 0.5).astype(np.int64)
    return Generated(X, XY, labels=labels, class_names=["outside", "inside"], target_names=["class"])


def make_quadrants(p: dict, rng: np.random.Generator) -> Generated:
    X = rng.uniform(-5, 5, (p["points"], 2))
    X += np.where(X > 0, 0.3, -0.3)
    noisy = X + rng.uniform(-5, 5, X.shape) * p["noise"]
    labels = (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.int64)
    return Generated(X, XY, labels=labels, class_names=["quadrants II/IV", "quadrants I/III"],
                     target_names=["class"])


def make_gaussians(p: dict, rng: np.random.Generator) -> Generated:
    variance = 0.5 + p["noise"] * (4.0 - 0.5) / 0.5
    n_neg, n_pos = _halves(p["points"])
    X = np.concatenate([rng.normal((-2, -2), np.sqrt(variance), (n_neg, 2)),
                        rng.normal((2, 2), np.sqrt(variance), (n_pos, 2))])
    labels = np.repeat([0, 1], [n_neg, n_pos])
    return Generated(X, XY, labels=labels, class_names=["around (-2, -2)", "around (2, 2)"],
                     target_names=["class"])


def make_spiral(p: dict, rng: np.random.Generator) -> Generated:
    arms, n = p["arms"], p["points"]
    sizes = [n // arms + (1 if j < n % arms else 0) for j in range(arms)]
    parts, labels = [], []
    for j, m in enumerate(sizes):
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * np.pi + 2 * np.pi * j / arms
        pts = np.column_stack([r * np.sin(t), r * np.cos(t)])
        parts.append(pts + rng.uniform(-1, 1, pts.shape) * p["noise"])
        labels.append(np.full(m, j))
    return Generated(np.concatenate(parts), XY, labels=np.concatenate(labels),
                     class_names=[f"arm {j + 1}" for j in range(arms)], target_names=["arm"])


def make_moons(p: dict, rng: np.random.Generator) -> Generated:
    n_up, n_down = _halves(p["points"])
    t_up, t_down = rng.uniform(0, np.pi, n_up), rng.uniform(0, np.pi, n_down)
    X = np.concatenate([np.column_stack([np.cos(t_up), np.sin(t_up)]),
                        np.column_stack([1 - np.cos(t_down), 0.5 - np.sin(t_down)])])
    X += rng.normal(0, 1, X.shape) * p["noise"]
    labels = np.repeat([0, 1], [n_up, n_down])
    return Generated(X, XY, labels=labels, class_names=["upper moon", "lower moon"], target_names=["class"])


def make_plane(p: dict, rng: np.random.Generator) -> Generated:
    X = rng.uniform(-6, 6, (p["points"], 2))
    noisy = X + rng.uniform(-6, 6, X.shape) * p["noise"]
    y = (noisy[:, 0] + noisy[:, 1]) / 10.0
    return Generated(X, XY, Y=y.reshape(-1, 1), target_names=["z"])


GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def make_multi_gaussian(p: dict, rng: np.random.Generator) -> Generated:
    X = rng.uniform(-6, 6, (p["points"], 2))
    noisy = X + rng.uniform(-6, 6, X.shape) * p["noise"]
    best = np.zeros(len(X))
    for cx, cy, sign in GAUSSIANS:
        height = sign * np.clip(1.0 - np.hypot(noisy[:, 0] - cx, noisy[:, 1] - cy) / 2.0, 0.0, 1.0)
        best = np.where(np.abs(height) > np.abs(best), height, best)
    return Generated(X, XY, Y=best.reshape(-1, 1), target_names=["z"])


_CLASSIFY = [_points(500), _noise(0.0)]
register(GeneratorInfo(
    "circle", "Circle", "Playground's circle: points inside radius 2.5 against a ring from 3.5 to 5.",
    _CLASSIFY + [outputs_param()] + split_params(0.5, 0.0) + [seed_param()],
    "classification", "playground", make_circle))
register(GeneratorInfo(
    "quadrants", "XOR quadrants",
    "Playground's exclusive-or: the sign of x·y over the square [-5.3, 5.3]².",
    _CLASSIFY + [outputs_param()] + split_params(0.5, 0.0) + [seed_param()],
    "classification", "playground", make_quadrants))
register(GeneratorInfo(
    "gaussians", "Two Gaussians",
    "Playground's two Gaussian blobs around (2, 2) and (-2, -2); noise widens them.",
    [_points(500), _noise(0.0, "blob spread as in Playground: variance 0.5 + 7·noise")]
    + [outputs_param()] + split_params(0.5, 0.0) + [seed_param()],
    "classification", "playground", make_gaussians))
register(GeneratorInfo(
    "spiral", "Spiral", "Playground's interleaved spirals, generalised to two or more arms (one class each).",
    [_points(500), _noise(0.0, "largest jitter of each coordinate (the spiral radius is 5)"),
     Param("arms", 2, "int", "number of spiral arms (classes)", 2, 10)]
    + split_params(0.5, 0.0) + [seed_param()],
    "classification", "playground", make_spiral))
register(GeneratorInfo(
    "moons", "Two moons", "Two interleaving half circles (scikit-learn's make_moons) with Gaussian noise.",
    [_points(500), _noise(0.1, "standard deviation of the Gaussian noise added to the points")]
    + [outputs_param()] + split_params(0.5, 0.0) + [seed_param()],
    "classification", "playground", make_moons))
register(GeneratorInfo(
    "plane", "Plane", "Playground's plane regression: z = (x + y) / 10 over [-6, 6]².",
    [_points(1200), _noise(0.0)] + split_params(0.5, 0.0) + [seed_param()],
    "regression", "regression", make_plane))
register(GeneratorInfo(
    "multi-gaussian", "Multi-Gaussian",
    "Playground's multi-Gaussian surface: six cone-shaped bumps of height ±1 (radius 2) over [-6, 6]².",
    [_points(1200), _noise(0.0)] + split_params(0.5, 0.0) + [seed_param()],
    "regression", "regression", make_multi_gaussian))
