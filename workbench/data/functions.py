"""One-dimensional regression targets: Nielsen's function (chapter 4, the visual proof of universal
approximation) and a sine."""

from __future__ import annotations

import numpy as np

from .generators import Generated, GeneratorInfo, register, seed_param, split_params
from .params import Param


def nielsen_function(x: np.ndarray) -> np.ndarray:
    """f(x) = 0.2 + 0.4x² + 0.3x·sin(15x) + 0.05·cos(50x), elementwise."""
    return 0.2 + 0.4 * x ** 2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)


def make_nielsen(p: dict, rng: np.random.Generator) -> Generated:
    x = rng.uniform(0.0, 1.0, p["points"])
    y = nielsen_function(x) + rng.normal(0.0, 1.0, x.shape) * p["noise"]
    return Generated(x.reshape(-1, 1), ["x"], Y=y.reshape(-1, 1), target_names=["f(x)"])


def make_sine(p: dict, rng: np.random.Generator) -> Generated:
    x = rng.uniform(-1.0, 1.0, p["points"])
    y = np.sin(np.pi * p["cycles"] * x) + rng.normal(0.0, 1.0, x.shape) * p["noise"]
    return Generated(x.reshape(-1, 1), ["x"], Y=y.reshape(-1, 1), target_names=["sin"])


_NOISE = Param("noise", 0.0, "float", "standard deviation of Gaussian noise added to the targets", 0.0, 10.0)
register(GeneratorInfo(
    "nielsen-function", "Nielsen's function",
    "f(x) = 0.2 + 0.4x² + 0.3x·sin(15x) + 0.05·cos(50x) for x uniform in [0, 1] (Nielsen, chapter 4).",
    [Param("points", 1000, "int", "number of points", 4, 1_000_000), _NOISE]
    + split_params(0.2, 0.0) + [seed_param()],
    "regression", "regression", make_nielsen))
register(GeneratorInfo(
    "sine", "Sine", "y = sin(π·cycles·x) for x uniform in [-1, 1]; targets in [-1, 1] (use a tanh or "
    "linear output).",
    [Param("points", 1000, "int", "number of points", 4, 1_000_000),
     Param("cycles", 1.0, "float", "number of full periods over [-1, 1]", 0.1, 50.0), _NOISE]
    + split_params(0.2, 0.0) + [seed_param()],
    "regression", "regression", make_sine))
