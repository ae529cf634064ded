"""The dataset object shared by every source: named splits of float32 features and targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import os

import numpy as np

from ..core.safefiles import UnreadableFile, format_bytes, open_regular

from .errors import DataError

SPLIT_NAMES = ("train", "validation", "test")
#: The most memory a data set may need while it is built (arrays, split copies, one-hot targets);
#: less where half the machine's physical memory is less.
MAX_DATA_BYTES = 8 * 2**30


@dataclass(eq=False)
class Split:
    """One split of a dataset.

    ``X``: (n, d) float32 features. ``Y``: (n, k) float32 targets, one-hot for classification
    (k = 1 for a single-output binary classifier: 0/1 targets). ``labels``: (n,) int64 class indices
    for classification, ``None`` for regression.
    """

    X: np.ndarray
    Y: np.ndarray
    labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.X = np.ascontiguousarray(self.X, dtype=np.float32)
        self.Y = np.ascontiguousarray(self.Y, dtype=np.float32)
        if self.X.ndim != 2 or self.Y.ndim != 2 or len(self.X) != len(self.Y):
            raise ValueError(f"Split needs X (n, d) and Y (n, k); got {self.X.shape} and {self.Y.shape}")
        if self.labels is not None:
            self.labels = np.ascontiguousarray(self.labels, dtype=np.int64)
            if self.labels.shape != (len(self.X),):
                raise ValueError(f"labels must have shape ({len(self.X)},), got {self.labels.shape}")

    def __len__(self) -> int:
        return len(self.X)


@dataclass(eq=False)
class Dataset:
    """Features, targets and metadata of a loaded or generated data source.

    ``splits`` maps ``"train"`` (always), ``"validation"`` and ``"test"`` (when present) to ``Split``.
    ``spec`` recreates the set exactly with ``load_dataset`` (resolved seed and sizes included).
    ``task`` is ``"classification"`` or ``"regression"``. ``input_shape`` is ``(28, 28)`` for images,
    else ``None``. ``target_names`` names the target column(s) (one name for classification).
    ``standardization`` is ``(mean, std)`` (each (d,) float32) when features were standardised.
    """

    name: str
    spec: str
    task: str
    splits: dict[str, Split]
    feature_names: list[str]
    target_names: list[str]
    class_names: list[str] | None = None
    input_shape: tuple[int, ...] | None = None
    description: str = ""
    source: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    standardization: tuple[np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        if self.task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', not {self.task!r}")
        if "train" not in self.splits:
            raise ValueError("a dataset needs a 'train' split")
        self.splits = {k: self.splits[k] for k in SPLIT_NAMES if self.splits.get(k) is not None}
        d, k = self.train.X.shape[1], self.train.Y.shape[1]
        for name, split in self.splits.items():
            if split.X.shape[1] != d or split.Y.shape[1] != k:
                raise ValueError(f"split {name!r} has {split.X.shape[1]} inputs / {split.Y.shape[1]} "
                                 f"outputs, train has {d} / {k}")
            if (split.labels is None) != (self.task == "regression"):
                raise ValueError(f"split {name!r}: labels must be given exactly for classification")
        if len(self.feature_names) != d:
            raise ValueError(f"{len(self.feature_names)} feature names for {d} features")

    @property
    def train(self) -> Split:
        return self.splits["train"]

    @property
    def validation(self) -> Split | None:
        return self.splits.get("validation")

    @property
    def test(self) -> Split | None:
        return self.splits.get("test")

    @property
    def n_inputs(self) -> int:
        return int(self.train.X.shape[1])

    @property
    def n_outputs(self) -> int:
        return int(self.train.Y.shape[1])

    @property
    def n_classes(self) -> int | None:
        return len(self.class_names) if self.class_names is not None else None

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"

    def summary(self) -> str:
        """A multi-line human summary: spec, task, sizes, classes, value ranges."""
        lines = [f"{self.name}" + (f" — {self.description}" if self.description else "")]
        lines.append(f"Spec: {self.spec}")
        if self.source:
            lines.append(f"Source: {self.source}")
        shape = ""
        if self.input_shape:
            shape = f" ({'×'.join(str(s) for s in self.input_shape)} image)"
        if self.is_classification:
            names = self.class_names or []
            shown = ", ".join(names if len(names) <= 12 else names[:10] + ["…"])
            coding = "one-hot" if self.n_outputs > 1 else "0/1 target"
            lines.append(f"Task: classification, {len(names)} classes ({shown})")
            lines.append(f"Inputs: {self.n_inputs}{shape}; outputs: {self.n_outputs} ({coding})")
        else:
            lines.append(f"Task: regression, {self.n_outputs} output(s) ({', '.join(self.target_names)})")
            lines.append(f"Inputs: {self.n_inputs}{shape}; outputs: {self.n_outputs}")
        sizes = " · ".join(f"{name} {len(split):,}" for name, split in self.splits.items())
        lines.append(f"Splits: {sizes}")
        X = self.train.X
        if len(X):
            lines.append(f"Feature range (train): [{_num(X.min())}, {_num(X.max())}], "
                         f"mean {_num(X.mean(dtype=np.float64))}")
            if self.n_inputs <= 8:
                for j, fname in enumerate(self.feature_names):
                    col = X[:, j]
                    lines.append(f"  {fname}: [{_num(col.min())}, {_num(col.max())}]")
        if self.standardization is not None:
            lines.append("Features standardised with the training split's mean and standard deviation")
        if self.is_classification:
            counts = np.bincount(self.train.labels, minlength=len(self.class_names or []))
            total = max(int(counts.sum()), 1)
            parts = [f"{n}: {c:,} ({100 * c / total:.1f}%)" for n, c in zip(self.class_names or [], counts)]
            if len(parts) > 12:
                parts = parts[:10] + ["…"]
            lines.append("Class balance (train): " + ", ".join(parts))
        else:
            Y = self.train.Y
            lines.append(f"Target range (train): [{_num(Y.min())}, {_num(Y.max())}]")
        return "\n".join(lines)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.splits.items())
        return (f"<Dataset {self.name!r} {self.task} {self.n_inputs}->{self.n_outputs} ({sizes}) "
                f"spec={self.spec!r}>")


def _num(x: float) -> str:
    return f"{float(x):.4g}"


def open_data_file(path, what: str):
    """``(binary file, size in bytes)`` of ``path`` if it is a regular file, else DataError with one
    sentence (a named pipe, a device or a folder is refused without being read)."""
    try:
        return open_regular(path, what)
    except UnreadableFile as exc:
        raise DataError(str(exc)) from None


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None where it cannot be told."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def memory_budget() -> int:
    """Bytes a data set may need at most: ``MAX_DATA_BYTES``, or half the physical memory if less."""
    physical = physical_memory()
    return MAX_DATA_BYTES if not physical else min(MAX_DATA_BYTES, physical // 2)


def dataset_bytes(n: int, inputs: int, targets: int, classification: bool) -> int:
    """The most memory ``n`` items of ``inputs`` features and ``targets`` target values (one-hot
    width for classes) need while they are split: float32 X and Y, int64 labels, twice (the whole
    set and its shuffled splits exist at once)."""
    per_item = 4 * (int(inputs) + int(targets)) + (8 if classification else 0)
    return 2 * int(n) * per_item


def check_memory(need: int, where: str, what: str) -> None:
    """``DataError`` when ``need`` bytes exceed ``memory_budget()``: one sentence naming ``where``
    (a file or a source) and ``what`` is being built ("60,000 items × 10,000 classes")."""
    budget = memory_budget()
    if need > budget:
        raise DataError(f"{where}: {what} would need about {format_bytes(need)} of memory; Workbench "
                        f"builds data sets of up to {format_bytes(budget)} here.")


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(n,) int class indices -> (n, n_classes) float32 one-hot rows."""
    Y = np.zeros((len(labels), n_classes), dtype=np.float32)
    Y[np.arange(len(labels)), labels] = 1.0
    return Y


def class_targets(labels: np.ndarray, n_classes: int, outputs: int) -> np.ndarray:
    """Targets for class indices: one-hot (n, n_classes), or (n, 1) 0/1 when ``outputs`` == 1."""
    if outputs == 1:
        if n_classes != 2:
            raise DataError("A single output can only encode two classes.")
        return labels.astype(np.float32).reshape(-1, 1)
    return one_hot(labels, n_classes)


def split_sizes(n: int, validation: float, test: float, where: str) -> tuple[int, int, int]:
    """(train, validation, test) item counts for fractions of ``n`` items (rounded, train ≥ 1)."""
    if validation + test >= 1.0:
        raise DataError(f"{where}: validation ({validation}) + test ({test}) must leave some training "
                        "data (their sum must be below 1).")
    n_val = int(round(n * validation))
    n_test = int(round(n * test))
    n_train = n - n_val - n_test
    if n_train < 1:
        raise DataError(f"{where}: {n} items leave no training data after the validation/test split.")
    return n_train, n_val, n_test


def make_splits(X: np.ndarray, Y: np.ndarray, labels: np.ndarray | None, validation: float, test: float,
                rng: np.random.Generator | None, where: str) -> dict[str, Split]:
    """Cut (n, d) / (n, k) arrays into train/validation/test, shuffled when ``rng`` is given.

    Without ``rng`` the splits are consecutive row ranges and share memory with the inputs.
    """
    n_train, n_val, n_test = split_sizes(len(X), validation, test, where)
    bounds = {"train": (0, n_train), "validation": (n_train, n_train + n_val),
              "test": (n_train + n_val, n_train + n_val + n_test)}
    order = rng.permutation(len(X)) if rng is not None else None
    splits = {}
    for name, (a, b) in bounds.items():
        if b > a:
            idx = order[a:b] if order is not None else slice(a, b)
            splits[name] = Split(X[idx], Y[idx], None if labels is None else labels[idx])
    return splits
