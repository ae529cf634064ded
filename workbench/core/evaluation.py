"""What a network predicts on a split: class probabilities, the confusion matrix, per-class
accuracy, the items of one cell most confident first, and regression errors (RMSE, R²).

Classes are read from the outputs as ``Network.predict`` and ``Network.confusion_matrix`` read
them: the arg-max of several outputs, or the rounded output (clipped to 0 or 1) of a single one.
How an output row becomes class probabilities depends on the output activation:

- softmax: the outputs are probabilities;
- one output: p(class 1) = the output (clipped to [0, 1]), p(class 0) = 1 - p;
- several sigmoid outputs: each is a yes/no probability of its own; normalised to sum to 1;
- other activations (linear, tanh, relu, …): raw outputs, labelled as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS

#: How the per-class numbers of ``class_scores`` are to be read, by kind.
SCORE_LABELS = {"probability": "probability", "normalised": "normalised output", "raw": "output"}


def parameters_finite(weights, biases) -> bool:
    """Whether every weight and bias is a finite number (a diverged run leaves NaN or inf)."""
    return all(bool(np.isfinite(a).all()) for a in list(weights) + list(biases))


def forward(weights, biases, activations, X, chunk: int = 10_000) -> np.ndarray:
    """Outputs (n, n_out) of the layers ``weights`` [(n_in, n_out)], ``biases`` [(n_out,)] with
    ``activations`` (one name per layer) for inputs X (n, n_in), ``chunk`` rows at a time.  The
    arrays are only read: they may be a training run's snapshot."""
    X = np.asarray(X)
    dtype = np.asarray(weights[0]).dtype
    acts = [ACTIVATIONS[name] for name in activations]
    n_out = np.asarray(weights[-1]).shape[1]
    out = np.empty((len(X), n_out), dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(X), chunk):
            a = X[start:start + chunk].astype(dtype, copy=False)
            for w, b, act in zip(weights, biases, acts):
                z = a @ w
                z += b
                a = act(z)
            out[start:start + len(a)] = a
    return out


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """(n,) int64 classes of outputs (n, k): arg-max, or for k == 1 the rounded output clipped to 0/1."""
    if outputs.shape[1] == 1:
        return np.clip(np.rint(np.nan_to_num(outputs[:, 0])), 0, 1).astype(np.int64)
    return np.nan_to_num(outputs, nan=-np.inf).argmax(axis=1).astype(np.int64)


def class_scores(outputs: np.ndarray, output_activation: str) -> tuple[np.ndarray, str]:
    """(scores (n, classes), kind): per-class numbers for outputs (n, k) and how to read them
    ("probability", "normalised" or "raw", see ``SCORE_LABELS``).  One output gives two classes."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[1] == 1:
        p = np.clip(outputs[:, 0], 0.0, 1.0)
        kind = "probability" if output_activation == "sigmoid" else "raw"
        return np.stack([1.0 - p, p], axis=1), kind
    if output_activation == "softmax":
        return outputs, "probability"
    if output_activation == "sigmoid":
        sums = outputs.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            normalised = np.where(sums > 0, outputs / np.where(sums > 0, sums, 1.0), 1.0 / outputs.shape[1])
        return normalised, "normalised"
    return outputs, "raw"


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) int64 counts: row = true class, column = predicted class.
    Classes outside 0..n_classes-1 are clipped into it (as ``Network.confusion_matrix`` does)."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    if len(true):
        t = np.clip(np.asarray(true, dtype=np.int64), 0, n_classes - 1)
        p = np.clip(np.asarray(predicted, dtype=np.int64), 0, n_classes - 1)
        np.add.at(matrix, (t, p), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """(k,) share of each true class predicted right (recall); NaN for a class with no items."""
    totals = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.where(totals > 0, totals, 1.0), np.nan)


def overall_accuracy(matrix: np.ndarray) -> float:
    """Share of all items on the diagonal; NaN for an empty matrix."""
    total = int(matrix.sum())
    return float(np.trace(matrix)) / total if total else math.nan


def shading(matrix: np.ndarray, by_row: bool = True) -> np.ndarray:
    """(k, k) intensities in [0, 1]: each count over its row's total (``by_row``), else over the
    largest count of the matrix."""
    m = matrix.astype(np.float64)
    if by_row:
        totals = m.sum(axis=1, keepdims=True)
        return np.divide(m, totals, out=np.zeros_like(m), where=totals > 0)
    peak = m.max() if m.size else 0.0
    return m / peak if peak > 0 else np.zeros_like(m)


def cell_items(true: np.ndarray, predicted: np.ndarray, confidence: np.ndarray, row: int, col: int) -> np.ndarray:
    """Indices of the items of true class ``row`` predicted as ``col``, most confident first
    (``confidence`` (n,): the score of the predicted class; ties keep the split's order)."""
    index = np.flatnonzero((np.asarray(true) == row) & (np.asarray(predicted) == col))
    if len(index) == 0:
        return index
    keys = np.nan_to_num(np.asarray(confidence, dtype=np.float64)[index], nan=-np.inf)
    return index[np.argsort(-keys, kind="stable")]


def top_k(scores: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(classes (n, k), scores (n, k)): the ``k`` highest-scoring classes of each row, best first
    (fewer when there are fewer classes)."""
    scores = np.asarray(scores, dtype=np.float64)
    k = min(k, scores.shape[1])
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


def regression_errors(predictions: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rmse (k,), r2 (k,)) per output of predictions and targets (n, k).  R² = 1 - SS_res / SS_tot;
    NaN where the targets do not vary (or there are no items)."""
    p = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    if len(y) == 0:
        nan = np.full(y.shape[1], np.nan)
        return nan, nan.copy()
    residual = ((p - y) ** 2).sum(axis=0)
    total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    rmse = np.sqrt(residual / len(y))
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0), np.nan)
    return rmse, r2


@dataclass
class ClassResults:
    """A classifier's predictions on one split.

    ``true``, ``predicted``: (n,) int64 classes; ``scores``: (n, classes) per-class numbers read
    as ``kind`` (``SCORE_LABELS``); ``confidence``: (n,) the score of the predicted class;
    ``matrix``: (classes, classes) counts, row = true class.
    """

    true: np.ndarray
    predicted: np.ndarray
    scores: np.ndarray
    kind: str
    confidence: np.ndarray
    matrix: np.ndarray

    @property
    def recall(self) -> np.ndarray:
        return per_class_accuracy(self.matrix)

    @property
    def accuracy(self) -> float:
        return overall_accuracy(self.matrix)

    def cell(self, row: int, col: int) -> np.ndarray:
        return cell_items(self.true, self.predicted, self.confidence, row, col)


def classify(outputs: np.ndarray, labels: np.ndarray, output_activation: str, n_classes: int) -> ClassResults:
    """``ClassResults`` of outputs (n, k) against true ``labels`` (n,) for ``n_classes`` classes."""
    predicted = predicted_classes(outputs)
    scores, kind = class_scores(outputs, output_activation)
    n_classes = max(n_classes, scores.shape[1])
    confidence = scores[np.arange(len(predicted)), np.clip(predicted, 0, scores.shape[1] - 1)] if len(
        predicted) else np.zeros(0)
    labels = np.asarray(labels, dtype=np.int64)
    return ClassResults(labels, predicted, scores, kind, confidence,
                        confusion_matrix(labels, predicted, n_classes))


#: Classes a confusion matrix shows one by one; past it, the most common classes of the split and
#: one "other classes" row and column (a 10,000-class matrix was 10⁸ cells and 800 MB of counts).
MAX_MATRIX_CLASSES = 30


def bounded_classes(outputs, labels, output_activation: str, n_classes: int, names: list[str]):
    """``(results, matrix_names, recall, accuracy, note)`` for outputs (n, k) against ``labels``
    (n,).  Up to ``MAX_MATRIX_CLASSES`` classes: ``classify``'s results.  Past it, ``results``
    counts the ``MAX_MATRIX_CLASSES - 1`` most common true classes and "other classes" (its
    ``true`` and ``predicted`` are those rows, its ``scores`` every class's); ``recall`` (rows,)
    and ``accuracy`` are still those of the real classes, and ``note`` says what is shown."""
    k = max(n_classes, outputs.shape[1] if outputs.ndim == 2 else 0)
    if k <= MAX_MATRIX_CLASSES:
        results = classify(outputs, labels, output_activation, n_classes)
        return results, names, results.recall, results.accuracy, ""
    true = np.asarray(labels, dtype=np.int64)
    predicted = predicted_classes(outputs)
    scores, kind = class_scores(outputs, output_activation)
    confidence = (scores[np.arange(len(predicted)), np.clip(predicted, 0, scores.shape[1] - 1)]
                  if len(predicted) else np.zeros(0))
    counts = np.bincount(np.clip(true, 0, k - 1), minlength=k)
    shown = np.sort(np.argsort(-counts, kind="stable")[:MAX_MATRIX_CLASSES - 1])
    other = len(shown)
    row_of = np.full(k, other, dtype=np.int64)
    row_of[shown] = np.arange(other)
    rows, cols = row_of[np.clip(true, 0, k - 1)], row_of[np.clip(predicted, 0, k - 1)]
    matrix = confusion_matrix(rows, cols, other + 1)
    right = true == predicted
    recall = np.array([right[rows == r].mean() if np.any(rows == r) else np.nan for r in range(other + 1)])
    matrix_names = [names[c] for c in shown] + [f"other classes ({k - other:,})"]
    note = (f"the {other} most common of {k:,} classes, the others counted together "
            "(where they meet, a count is of items of one other class predicted as another or as itself)")
    return (ClassResults(rows, cols, scores, kind, confidence, matrix), matrix_names, recall,
            float(right.mean()) if len(right) else float("nan"), note)


def format_cost(value: float | None) -> str:
    """As the command line prints a cost: 4 decimals, or "—"."""
    return "—" if value is None or not math.isfinite(value) else f"{value:.4f}"


def format_percent(value: float | None) -> str:
    """As the command line prints an accuracy: "95.12%", or "—"."""
    return "—" if value is None or not math.isfinite(value) else f"{value * 100:.2f}%"


def evaluation_message(data_name: str, split_name: str, n_items: int, cost: float,
                       accuracy: float | None) -> str:
    """The command line's ``evaluate`` line: "MNIST, test split (10000 items): cost 0.1234, accuracy 95.12%"."""
    text = f"{data_name}, {split_name} split ({n_items} items): cost {format_cost(cost)}"
    return text + (f", accuracy {format_percent(accuracy)}" if accuracy is not None else "")


def class_names(dataset, k: int) -> list[str]:
    """The names of ``k`` classes: the data set's own when it names exactly ``k``, else "0".."k-1"."""
    names = list(dataset.class_names or [])
    return names if len(names) == k else [str(i) for i in range(k)]


def target_names(dataset, k: int) -> list[str]:
    """The names of ``k`` regression outputs: the data set's own, else "output 1".."output k"."""
    names = list(dataset.target_names)
    return names if len(names) == k else [f"output {i + 1}" for i in range(k)]


def data_identity(dataset) -> tuple | None:
    """What a chosen cell belongs to: the source (the spec up to its ":"), name, task and class
    names of ``dataset`` (None for none).  Other split sizes, seeds or noise give the same identity,
    so a cell chosen on them still means the same; another source or other classes do not."""
    if dataset is None:
        return None
    return (str(dataset.spec).split(":", 1)[0], dataset.name, dataset.task, tuple(dataset.class_names or ()))


def cell_sentence(names: list[str], matrix: np.ndarray, row: int, col: int) -> str:
    """"True 3, predicted 5: 12 items (1.2 % of the true 3)" for cell (row, col) of ``matrix``."""
    count, total = int(matrix[row, col]), int(matrix[row].sum())
    share = f" ({100 * count / total:.1f} % of the true {names[row]})" if total else ""
    return f"True {names[row]}, predicted {names[col]}: {count:,} item{'' if count == 1 else 's'}{share}"


def confusion_table(matrix: np.ndarray, names: list[str]) -> tuple[list[str], list[list]]:
    """(header, rows) of ``matrix`` (k, k) for a CSV: a row per true class with its counts and
    per-class accuracy, then "all" with the column totals and the overall accuracy."""
    recall = per_class_accuracy(matrix)
    rows = [[names[i]] + [int(v) for v in matrix[i]] + [float(recall[i])] for i in range(len(matrix))]
    rows.append(["all"] + [int(v) for v in matrix.sum(axis=0)] + [overall_accuracy(matrix)])
    return ["true \\ predicted"] + list(names) + ["per-class accuracy"], rows


def regression_table(targets: np.ndarray, outputs: np.ndarray, names: list[str]) -> tuple[list[str], list[list]]:
    """(header, rows) for a CSV: each item's targets then the network's outputs, (n, k) each."""
    header = [f"target {n}" for n in names] + [f"prediction {n}" for n in names]
    return header, [list(map(float, t)) + list(map(float, p)) for t, p in zip(targets, outputs)]


def standardised(X: np.ndarray, standardization) -> np.ndarray:
    """Raw inputs X (n, d) as the network is given them: ``(X - mean) / std`` for a data set's
    ``standardization`` (mean, std), each (d,) (a std of 0 taken as 1); X itself for None."""
    if standardization is None:
        return X
    mean, std = standardization
    return (X - mean) / np.where(std > 0, std, 1.0)


def raw_inputs(X: np.ndarray, standardization) -> np.ndarray:
    """The inverse of ``standardised``: the raw inputs (n, d) of inputs X (n, d) the network is given."""
    if standardization is None:
        return X
    mean, std = standardization
    return X * np.where(std > 0, std, 1.0) + mean


def valid_settings(values) -> dict:
    """The valid entries of the Predictions view's stored options: "split" (train, validation or
    test), "cell" (None or (row, col)), "normalise" (bool), "output" (an index); indices are ints in
    0..9999.  Anything else (wrong types, bools for ints, a non-dict) is left out."""
    if not isinstance(values, dict):
        return {}

    def index(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10_000

    out = {}
    if values.get("split") in ("train", "validation", "test"):
        out["split"] = values["split"]
    cell = values.get("cell", "absent")
    if cell is None or (isinstance(cell, (list, tuple)) and len(cell) == 2 and all(map(index, cell))):
        out["cell"] = None if cell is None else (cell[0], cell[1])
    if isinstance(values.get("normalise"), bool):
        out["normalise"] = values["normalise"]
    if index(values.get("output")):
        out["output"] = values["output"]
    return out
