"""Points drawn by hand: edited copies of a Dataset, and the points of one as JSON.

Every function returns a *new* Dataset (arrays copied) with the spec, name, names and
standardisation of the one it was given; ``params["edited"]`` is True and counts the points
added and removed so far, and the description says so.  Class targets stay consistent with the
labels: one-hot rows, or one 0/1 column for a two-class set with a single output.

``points_to_json`` / ``points_from_json`` carry the points of every split (for sessions); reading
is strict — any wrong type, width, non-finite number, out-of-range label or more than
``MAX_POINTS`` points raises ``DataError`` with one sentence naming the field.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from ..core.hyperparameters import shown
from ..core.network import MAX_UNITS
from .dataset import SPLIT_NAMES, Dataset, Split, check_memory, class_targets, dataset_bytes
from .errors import DataError

__all__ = ["MAX_POINTS", "FORMAT", "with_point", "without_nearest", "points_to_json", "points_from_json"]

MAX_POINTS = 100_000
FORMAT = "workbench-points"
VERSION = 1
EDIT_NOTE = " — edited by hand: "


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _edited(base: Dataset, splits: dict[str, Split], added: int, removed: int) -> Dataset:
    """A copy of ``base`` with other ``splits``, marked as edited with these running counts."""
    params = dict(base.params)
    params.update(edited=True, points_added=int(added), points_removed=int(removed))
    original = base.description.split(EDIT_NOTE)[0]
    note = f"{_plural(added, 'point')} added, {removed} removed."
    return Dataset(name=base.name, spec=base.spec, task=base.task, splits=splits,
                   feature_names=list(base.feature_names), target_names=list(base.target_names),
                   class_names=None if base.class_names is None else list(base.class_names),
                   input_shape=base.input_shape, description=original + EDIT_NOTE + note,
                   source=base.source, params=params, standardization=base.standardization)


def _counts(dataset: Dataset) -> tuple[int, int]:
    p = dataset.params
    return int(p.get("points_added", 0) or 0), int(p.get("points_removed", 0) or 0)


def _copy(split: Split) -> Split:
    return Split(split.X.copy(), split.Y.copy(), None if split.labels is None else split.labels.copy())


def with_point(dataset: Dataset, xy, label: int | None = None, target=None) -> Dataset:
    """``dataset`` with one more training point at ``xy`` (d,): of class ``label`` for
    classification, with target ``target`` (a number or (k,) values) for regression."""
    xy = np.asarray(xy, dtype=np.float32).reshape(-1)
    if xy.shape != (dataset.n_inputs,) or not np.isfinite(xy).all():
        raise DataError(f"A drawn point needs {dataset.n_inputs} finite coordinates, got {xy.tolist()}.")
    train = dataset.train
    if dataset.is_classification:
        n_classes = dataset.n_classes or 0
        if not isinstance(label, Integral) or isinstance(label, bool) or not 0 <= label < n_classes:
            raise DataError(f"The class of a drawn point must be 0 to {n_classes - 1}, not {label!r}.")
        labels = np.append(train.labels, np.int64(label))
        Y = np.concatenate([train.Y, class_targets(np.array([label]), n_classes, dataset.n_outputs)])
    else:
        y = np.asarray(target, dtype=np.float32).reshape(-1)
        if y.shape != (dataset.n_outputs,) or not np.isfinite(y).all():
            raise DataError(f"A drawn point needs {dataset.n_outputs} finite target value(s), got {target!r}.")
        labels = None
        Y = np.concatenate([train.Y, y[None, :]])
    splits = {name: _copy(split) for name, split in dataset.splits.items()}
    splits["train"] = Split(np.concatenate([train.X, xy[None, :]]), Y, labels)
    added, removed = _counts(dataset)
    return _edited(dataset, splits, added + 1, removed)


def without_nearest(dataset: Dataset, xy, radius: float, scale=None, splits=SPLIT_NAMES,
                    with_target: bool = False) -> Dataset | None:
    """``dataset`` without the point of ``splits`` nearest to ``xy`` (d,), or None when none lies
    within ``radius``.  Distances are measured in units of ``scale`` (d,) per coordinate (e.g. data
    units per screen pixel, with ``radius`` in pixels); ties go to the earlier split.  With
    ``with_target`` a point is (inputs, first target): ``xy`` and ``scale`` have d + 1 entries (a 1-D
    curve's plot).  The last training point is never removed (None); a validation or test split
    left empty is dropped."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1)
    scale = np.ones_like(xy) if scale is None else np.asarray(scale, dtype=np.float64).reshape(-1)
    width = dataset.n_inputs + (1 if with_target else 0)
    if xy.shape != (width,) or scale.shape != xy.shape or not (scale > 0).all():
        raise DataError(f"Removing a point needs {width} coordinates and positive scales.")
    best = None                              # (distance, split name, row)
    for name in SPLIT_NAMES:
        split = dataset.splits.get(name)
        if name not in splits or split is None or len(split) == 0:
            continue
        where = np.concatenate([split.X, split.Y[:, :1]], axis=1) if with_target else split.X
        d = np.sqrt((((where.astype(np.float64) - xy) / scale) ** 2).sum(axis=1))
        row = int(np.nanargmin(d)) if np.isfinite(d).any() else None
        if row is not None and d[row] <= radius and (best is None or d[row] < best[0]):
            best = (float(d[row]), name, row)
    if best is None or (best[1] == "train" and len(dataset.train) <= 1):
        return None
    _, where, row = best
    out = {}
    for name, split in dataset.splits.items():
        if name != where:
            out[name] = _copy(split)
            continue
        keep = np.arange(len(split)) != row
        if name != "train" and not keep.any():
            continue
        out[name] = Split(split.X[keep], split.Y[keep], None if split.labels is None else split.labels[keep])
    added, removed = _counts(dataset)
    return _edited(dataset, out, added, removed + 1)


# ---------------------------------------------------------------------- JSON
def is_drawn(dataset: Dataset) -> bool:
    """Whether points were drawn on (or removed from) ``dataset`` by hand."""
    return bool(dataset.params.get("edited"))


def points_to_json(dataset: Dataset) -> dict:
    """The points of every split as plain JSON: inputs ``x`` (rows of d numbers) and, per split,
    ``labels`` (classification) or targets ``y`` (rows of k numbers, regression)."""
    splits = {}
    for name, split in dataset.splits.items():
        entry = {"x": split.X.astype(np.float64).tolist()}
        if dataset.is_classification:
            entry["labels"] = [int(v) for v in split.labels]
        else:
            entry["y"] = split.Y.astype(np.float64).tolist()
        splits[name] = entry
    added, removed = _counts(dataset)
    return {"format": FORMAT, "version": VERSION, "task": dataset.task, "inputs": dataset.n_inputs,
            "outputs": dataset.n_outputs, "classes": dataset.n_classes,
            "edits": {"added": added, "removed": removed}, "splits": splits}


def _fail(field: str, problem: str):
    raise DataError(f"Drawn points: {field} {problem}.")


def _count(value, field: str) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 0:
        _fail(field, f"must be a whole number ≥ 0, not {shown(value)}")
    return int(value)


def _rows(rows, width: int, field: str) -> np.ndarray:
    """(n, width) float32 of a list of lists of finite numbers."""
    if not isinstance(rows, list):
        _fail(field, f"must be a list of rows, not {type(rows).__name__}")
    out = np.empty((len(rows), width), dtype=np.float64)
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            _fail(f"{field}[{i}]", f"must be a list of {width} numbers, not {shown(row)}")
        for j, v in enumerate(row):
            if not isinstance(v, Real) or isinstance(v, bool) or abs(v) > 3e38 or not math.isfinite(v):
                _fail(f"{field}[{i}][{j}]", f"must be a finite number, not {shown(v)}")
            out[i, j] = v
    return out.astype(np.float32)


def _labels(values, n: int, n_classes: int, field: str) -> np.ndarray:
    if not isinstance(values, list) or len(values) != n:
        _fail(field, f"must be a list of {n} class indices")
    for i, v in enumerate(values):
        if not isinstance(v, Integral) or isinstance(v, bool) or not 0 <= v < n_classes:
            _fail(f"{field}[{i}]", f"must be a class index from 0 to {n_classes - 1}, not {shown(v)}")
    return np.array(values, dtype=np.int64).reshape(n)


def parse_points(doc, base: Dataset | None = None) -> dict:
    """Check a points document and read it: {"task", "inputs", "outputs", "classes", "added",
    "removed", "splits": {name: Split}}.  With ``base``, its task, sizes and classes must be the data
    set's; without, the document is checked on its own (a session, before anything is applied).
    Raises DataError with one sentence naming the field."""
    if not isinstance(doc, dict):
        _fail("the document", f"must be a JSON object, not {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        _fail("format", f"must be {FORMAT!r}, not {shown(doc.get('format'))}")
    if doc.get("version") != VERSION or isinstance(doc.get("version"), bool):
        _fail("version", f"must be {VERSION}, not {shown(doc.get('version'))}")
    task = doc.get("task")
    if task not in ("classification", "regression"):
        _fail("task", f"must be 'classification' or 'regression', not {shown(task)}")
    if base is not None and task != base.task:
        _fail("task", f"must be {base.task!r} like the data set, not {task!r}")
    d, k = _count(doc.get("inputs"), "inputs"), _count(doc.get("outputs"), "outputs")
    if d < 1 or k < 1:
        _fail("inputs and outputs", "must be at least 1")
    n_classes = 0
    if task == "classification":
        n_classes = _count(doc.get("classes"), "classes")
        if n_classes < 2:
            _fail("classes", f"must be at least 2, not {n_classes}")
    for key, value in (("inputs", d), ("outputs", k), ("classes", n_classes)):
        if value > MAX_UNITS:
            _fail(key, f"must be at most {MAX_UNITS:,} (a layer of a network), not {value:,}")
    if base is not None:
        for key, have, want in (("inputs", d, base.n_inputs), ("outputs", k, base.n_outputs),
                                ("classes", n_classes or None, base.n_classes)):
            if have != want:
                _fail(key, f"must be {want} like the data set, not {have}")
    edits = doc.get("edits", {"added": 0, "removed": 0})
    if not isinstance(edits, dict):
        _fail("edits", "must be an object")
    added, removed = _count(edits.get("added", 0), "edits.added"), _count(edits.get("removed", 0), "edits.removed")
    raw = doc.get("splits")
    if not isinstance(raw, dict):
        _fail("splits", "must be an object of train/validation/test")
    unknown = sorted(set(raw) - set(SPLIT_NAMES), key=str)
    if unknown:
        _fail("splits", f"has an unknown split {shown(unknown[0])}")
    if "train" not in raw:
        _fail("splits", "needs a train split")
    total = 0
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            _fail(f"splits.{name}", "must be an object with x and labels or y")
        x = entry.get("x")
        total += len(x) if isinstance(x, list) else 0
        if total > MAX_POINTS:
            _fail("splits", f"hold more than {MAX_POINTS:,} points")
    check_memory(dataset_bytes(total, d, max(k, n_classes), task == "classification"), "The drawn points",
                 f"{total:,} points of {d:,} inputs and {max(k, n_classes):,} outputs")
    splits = {}
    for name in SPLIT_NAMES:
        if name not in raw:
            continue
        entry, field = raw[name], f"splits.{name}"
        X = _rows(entry.get("x"), d, f"{field}.x")
        if name == "train" and len(X) == 0:
            _fail(f"{field}.x", "must hold at least one point")
        if task == "classification":
            labels = _labels(entry.get("labels"), len(X), n_classes, f"{field}.labels")
            try:
                Y = class_targets(labels, n_classes, k)
            except DataError:
                _fail("outputs", f"cannot encode {n_classes} classes in {k} output(s)")
        else:
            labels = None
            Y = _rows(entry.get("y"), k, f"{field}.y")
            if len(Y) != len(X):
                _fail(f"{field}.y", f"must have one row per point ({len(X)}), not {len(Y)}")
        splits[name] = Split(X, Y, labels)
    return {"task": task, "inputs": d, "outputs": k, "classes": n_classes or None, "added": added,
            "removed": removed, "splits": splits}


def points_problem(doc) -> str | None:
    """Why a session's points document cannot be used (one sentence), or None."""
    try:
        parse_points(doc)
    except DataError as exc:
        return str(exc)
    return None


def points_from_json(doc, base: Dataset) -> Dataset:
    """The Dataset ``base`` with the points of ``doc`` (written by ``points_to_json``) in its place."""
    points = parse_points(doc, base)
    return _edited(base, points["splits"], points["added"], points["removed"])
