"""McCaffrey's synthetic teacher-network data: inputs uniform in [-4, 4], labelled by the argmax of a
random n_in-(hidden...)-n_out network with tanh hidden layers and a softmax output."""

from __future__ import annotations

import numpy as np

from .dataset import dataset_bytes
from .generators import Generated, GeneratorInfo, register, seed_param, split_params
from .params import Param

TRIES = 50


def teacher_forward(X: np.ndarray, weights: list[np.ndarray], biases: list[np.ndarray]) -> np.ndarray:
    """Output logits (n, n_out) of the teacher; X (n, n_in), weights[l] (n_l, n_{l+1})."""
    a = X
    for W, b in zip(weights[:-1], biases[:-1]):
        a = np.tanh(a @ W + b)
    return a @ weights[-1] + biases[-1]


def make_teacher(p: dict, rng: np.random.Generator) -> Generated:
    """Teacher weights are N(0, scale²/fan_in), hidden biases N(0, (scale/2)²); the output biases
    centre each class's logit over the drawn items, which keeps the classes roughly balanced. Draws
    repeat (up to ``TRIES``) until the smallest class holds at least half its fair share of the
    items, else the most balanced draw is kept. argmax of the softmax = argmax of the logits."""
    sizes = [p["inputs"], *p["hidden"], p["classes"]]
    n, k = p["items"], p["classes"]
    X = rng.uniform(-4.0, 4.0, (n, p["inputs"]))
    best, best_share = None, -1.0
    for _ in range(TRIES):
        weights = [rng.normal(0.0, p["scale"] / np.sqrt(a), (a, b)) for a, b in zip(sizes, sizes[1:])]
        biases = [rng.normal(0.0, p["scale"] / 2, b) for b in sizes[1:-1]] + [np.zeros(k)]
        logits = teacher_forward(X / 4.0, weights, biases)
        labels = np.argmax(logits - logits.mean(axis=0), axis=1)
        share = np.bincount(labels, minlength=k).min() / n * k
        if share > best_share:
            best, best_share = labels, share
        if share >= 0.5:
            break
    return Generated(X, [f"x{i + 1}" for i in range(p["inputs"])], labels=best,
                     class_names=[str(c) for c in range(k)], target_names=["class"])


def teacher_memory(p: dict) -> tuple[int, str]:
    """About the most memory ``make_teacher`` and the split need: float64 inputs, two float64
    layers of activations of the widest layer, then the float32 data set (see ``dataset_bytes``)."""
    n, widest = p["items"], max([*p["hidden"], p["classes"]])
    need = 8 * n * (p["inputs"] + 2 * widest) + dataset_bytes(n, p["inputs"], p["classes"], True)
    return need, f"{n:,} items of {p['inputs']:,} inputs"


register(GeneratorInfo(
    "teacher", "Teacher network",
    "McCaffrey's synthetic data: inputs uniform in [-4, 4] labelled by the argmax of a random "
    "tanh/softmax network.",
    [Param("inputs", 4, "int", "number of inputs", 1, 1000),
     Param("hidden", (10, 10, 10), "sizes", "hidden layer sizes of the teacher network, e.g. 10-10-10",
           1, 1000),
     Param("classes", 3, "int", "number of classes (teacher outputs)", 2, 100),
     Param("items", 2000, "int", "number of items", 10, 10_000_000),
     Param("scale", 1.0, "float", "spread of the teacher's weights: N(0, scale²/fan-in) on inputs "
           "scaled to [-1, 1] (larger = more convoluted class borders)", 0.01, 100.0)]
    + split_params(0.2, 0.2) + [seed_param()],
    "classification", "teacher", make_teacher, teacher_memory))
