"""Registry of the synthetic data generators and the machinery they share.

Each generator is a function ``make(p, rng) -> Generated`` taking its resolved parameters and a
``numpy.random.Generator`` seeded from the ``seed`` parameter; ``generate`` turns the result into a
``Dataset`` (splits, target encoding, spec).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..core.limits import INT32_MAX
from .dataset import Dataset, Split, check_memory, class_targets, make_splits
from .params import Param, format_spec, resolve_params


@dataclass
class Generated:
    """What a generator returns.

    ``X``: (n, d) inputs. Classification: ``labels`` (n,) int class indices and ``class_names``.
    Regression: ``Y`` (n, k) targets. ``exhaustive`` sets (truth tables) use every pattern for
    training and repeat them as the validation split instead of cutting fractions.
    """

    X: np.ndarray
    feature_names: list[str]
    labels: np.ndarray | None = None
    class_names: list[str] | None = None
    Y: np.ndarray | None = None
    target_names: list[str] = field(default_factory=lambda: ["y"])
    exhaustive: bool = False


@dataclass(frozen=True)
class GeneratorInfo:
    """A generator as the GUI and CLI see it: ``name`` (spec source), ``title``, ``doc`` (one
    sentence), ``params`` (list of ``Param``), ``task`` and ``group`` ("logic", "playground",
    "regression", "teacher"). ``memory(p)``, where given, is ``(bytes, what)``: about how much
    memory building the set with resolved parameters ``p`` needs at most, and what it builds
    ("2,000 items of 4 inputs"); ``generate`` refuses a set that needs more than the data budget
    before anything is allocated."""

    name: str
    title: str
    doc: str
    params: list[Param]
    task: str
    group: str
    make: Callable[[dict, np.random.Generator], Generated]
    memory: Callable[[dict], tuple[int, str]] | None = None

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


def seed_param() -> Param:
    return Param("seed", 0, "int", "random seed (an integer, or 'random' to draw one; the spec "
                 "records the drawn value)", 0, INT32_MAX)


def split_params(validation: float, test: float) -> list[Param]:
    return [Param("validation", validation, "float", "fraction of the items held out for validation",
                  0.0, 0.9),
            Param("test", test, "float", "fraction of the items held out for testing", 0.0, 0.9)]


def outputs_param(default: int = 2) -> Param:
    return Param("outputs", default, "choice", "output units for the two classes: 1 (a single 0/1 "
                 "target) or 2 (one-hot)", choices=(1, 2))


GENERATORS: dict[str, GeneratorInfo] = {}


def register(info: GeneratorInfo) -> GeneratorInfo:
    GENERATORS[info.name] = info
    return info


def generate(name: str, raw: dict) -> Dataset:
    """Build generator ``name`` with raw (string or typed) parameters; unknown keys raise DataError."""
    info = GENERATORS[name]
    p = resolve_params(info.params, raw, info.name)
    if info.memory is not None:
        need, what = info.memory(p)
        check_memory(need, info.name, what)
    rng = np.random.default_rng(p["seed"]) if "seed" in p else np.random.default_rng(0)
    g = info.make(p, rng)
    X = np.asarray(g.X, dtype=np.float32)
    if info.task == "classification":
        labels = np.asarray(g.labels, dtype=np.int64)
        n_classes = len(g.class_names or [])
        Y = class_targets(labels, n_classes, int(p.get("outputs", 2)))
    else:
        labels = None
        Y = np.asarray(g.Y, dtype=np.float32).reshape(len(X), -1)
    if g.exhaustive:
        splits = {"train": Split(X, Y, labels),
                  "validation": Split(X.copy(), Y.copy(), None if labels is None else labels.copy())}
    else:
        splits = make_splits(X, Y, labels, p["validation"], p["test"], rng, info.name)
    return Dataset(name=info.title, spec=format_spec(info.name, None, p), task=info.task, splits=splits,
                   feature_names=list(g.feature_names), target_names=list(g.target_names),
                   class_names=g.class_names, description=info.doc, source="generated", params=p)
