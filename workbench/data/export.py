"""Export a dataset (generated or loaded) to CSV, atomically."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.atomic import atomic_write
from ..core.safefiles import spreadsheet_row
from .dataset import SPLIT_NAMES, Dataset
from .errors import DataError

ROWS_PER_CHUNK = 2048


def export_csv(dataset: Dataset, path: str | Path, split: str | None = None,
               progress: Callable[[int, int | None, str], None] | None = None) -> int:
    """Write ``dataset`` to ``path`` as comma-separated text; return the number of rows written.

    One header line, then one row per item: the features (``dataset.feature_names``), then the
    targets — for classification one column (named ``target_names[0]``) holding the class *name*, for
    regression one numeric column per output. ``split`` is ``"train"``, ``"validation"`` or
    ``"test"``; ``None`` writes every split in that order. Numbers use the shortest text that reads
    back as the same float32. The file is written to a temporary file in the same folder and renamed
    over ``path`` only when complete (``atomic_write``: it keeps the permissions of the file it
    replaces, or follows the umask; a device, FIFO or folder is refused). Names (header cells, class
    names) that a spreadsheet would take for a formula ("=HYPERLINK(…)", "+SUM(…)") get a leading
    "'" (``spreadsheet_text``); numbers, "-0.5" too, stay numbers.
    ``progress(rows_done, rows_total, message)`` is optional.
    """
    if split is None:
        parts = [s for s in SPLIT_NAMES if s in dataset.splits]
    elif split in dataset.splits:
        parts = [split]
    else:
        available = ", ".join(dataset.splits)
        raise DataError(f"{dataset.name} has no '{split}' split (it has {available}).")
    path = Path(path).expanduser()
    total = sum(len(dataset.splits[s]) for s in parts)
    classification = dataset.is_classification
    header = spreadsheet_row(list(dataset.feature_names) + (dataset.target_names[:1] if classification
                                                            else list(dataset.target_names)))
    names = np.asarray(spreadsheet_row(dataset.class_names), dtype=object) if classification else None
    written = 0

    def write(out):
        nonlocal written
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for name in parts:
            s = dataset.splits[name]
            for a in range(0, len(s), ROWS_PER_CHUNK):
                b = min(a + ROWS_PER_CHUNK, len(s))
                rows = _text(s.X[a:b]).tolist()
                targets = names[s.labels[a:b]].tolist() if classification else _text(s.Y[a:b]).tolist()
                if classification:
                    for row, label in zip(rows, targets):
                        row.append(label)
                else:
                    for row, values in zip(rows, targets):
                        row.extend(values)
                writer.writerows(rows)
                written += b - a
                if progress is not None:
                    progress(written, total, f"Writing {path.name}")

    try:
        atomic_write(path, write, mode="w")
    except OSError as exc:
        raise DataError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return written


def _text(block: np.ndarray) -> np.ndarray:
    """float32 (n, d) -> (n, d) strings, shortest round-trip form, integers without '.0'."""
    return _trim(block.astype(np.float32).astype(str))


def _trim(text: np.ndarray) -> np.ndarray:
    ends = np.char.endswith(text, ".0")
    if ends.any():
        text = text.copy()
        text[ends] = np.char.rstrip(np.char.rstrip(text[ends], "0"), ".")
    return text

