"""How much a view draws at most, whatever the data set and the network: the first classes of a
legend or a class chooser, the latest markers, an even sample of the points, the first neurons
of a wide layer.  Drawing grows with what is drawn, not with the data: a 10,000-class data set
put 10,000 entries in a legend (minutes of layout), 20,000 markers froze the plots for a minute.
"""

from __future__ import annotations

import numpy as np

from workbench.core.evaluation import predicted_classes  # noqa: F401 - for the views that bound classes

#: Classes a legend names one by one.  Past it the output map names the first ones and sums up the
#: rest in one "… and N more classes" entry; the Data panel's preview draws all classes as one item.
MAX_LEGEND_CLASSES = 12
#: Classes offered by a class chooser (the first ones).
MAX_CLASS_CHOICES = 100
#: Markers drawn as lines (the latest ones), and of those the ones that get a label.
MAX_MARKER_LINES = 100
MAX_MARKER_LABELS = 20
#: Points of one kind (training, held out) drawn on a map: an even sample of the split.
MAX_MAP_POINTS = 5000
#: Curves of one kind on a 1-D output map (outputs; hidden neurons' contributions): the first ones.
MAX_MAP_CURVES = 32
#: Names joined into a title ("Network output c0, c1, c2, …").
MAX_TITLE_NAMES = 3


def more_text(left: int, what: str) -> str:
    """"… and 9,988 more classes" (``what`` plural)."""
    return f"… and {left:,} more {what}"


def even_sample(n: int, limit: int) -> np.ndarray:
    """(min(n, limit),) int64 indices spread evenly over range(n), first and last included."""
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))



def short_list(names, limit: int = MAX_TITLE_NAMES) -> str:
    """"a, b, c" or, past ``limit`` names, "a, b, c and 9,997 more"."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit:,} more"


#: Classes a confusion matrix shows one by one; past it, the most common classes of the split and
#: one "other classes" row and column (a 10,000-class matrix was 10⁸ cells and 800 MB of counts).
MAX_MATRIX_CLASSES = 30


def bounded_classes(outputs, labels, output_activation: str, n_classes: int, names: list[str]):
    """``(results, matrix_names, recall, accuracy, note)`` for outputs (n, k) against ``labels``
    (n,).  Up to ``MAX_MATRIX_CLASSES`` classes: ``classify``'s results.  Past it, ``results``
    counts the ``MAX_MATRIX_CLASSES - 1`` most common true classes and "other classes" (its
    ``true`` and ``predicted`` are those rows, its ``scores`` every class's); ``recall`` (rows,)
    and ``accuracy`` are still those of the real classes, and ``note`` says what is shown."""
    from workbench.core.evaluation import ClassResults, class_scores, classify, confusion_matrix

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
