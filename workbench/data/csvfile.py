"""CSV / TSV import: delimiter and header detection, target columns by name or number, class labels
taken from strings or integer codes, streaming parse into float32 arrays (no text copy of the file
is kept in memory). ``sniff_table`` is the program's one delimiter/header detector: the GUI offers
the columns it finds, and the loader reads the same ones.

Rows and columns in messages are 1-based, as in a spreadsheet: "row 7" is line 7 of the file.
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from .dataset import Dataset, Split, class_targets, make_splits
from .errors import DataError, DownloadCancelled
from .params import Param, format_spec, format_value

BLOCK_BYTES = 1 << 20          # text read and parsed per block
SNIFF_BYTES = 64 * 1024        # text used to detect the delimiter and header
MAX_AUTO_CLASSES = 100         # an integer target with more distinct values is treated as regression
MAX_CLASSES = 10_000
DELIMITERS = {"comma": ",", "tab": "\t", "semicolon": ";", "whitespace": None}
_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+$")
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-", "missing"}

PARAMS = [
    Param("target", "-1", "str", "target column(s): a name from the header or a column number "
          "(1 = first, -1 = last); several separated by ';' (numeric targets -> regression)"),
    Param("task", "auto", "choice", "auto: strings or integer codes in a single target column are "
          f"classes (at most {MAX_AUTO_CLASSES} distinct integers), anything else is regression",
          choices=("auto", "classification", "regression")),
    Param("ignore", "", "str", "columns left out of the features, by name or number, separated by ';'"),
    Param("standardize", False, "bool", "scale each feature to mean 0 and standard deviation 1 "
          "(statistics from the training split only)"),
    Param("validation", 0.2, "float", "fraction of the rows held out for validation", 0.0, 0.9),
    Param("test", 0.0, "float", "fraction of the rows held out for testing", 0.0, 0.9),
    Param("shuffle", True, "bool", "shuffle the rows before splitting (false: splits in file order)"),
    Param("seed", 0, "int", "random seed of the shuffle (an integer, or 'random')", 0, 2**31 - 1),
    Param("header", "auto", "choice", "whether the first row names the columns",
          choices=("auto", "yes", "no")),
    Param("delimiter", "auto", "choice", "field separator", choices=("auto", *DELIMITERS)),
]


class TableLayout(NamedTuple):
    """What ``sniff_table`` detected: the layout the loader will read."""

    delimiter: str            # "comma", "tab", "semicolon" or "whitespace" (a key of DELIMITERS)
    has_header: bool
    columns: list[str]        # header names, or "column N" (1-based) without a header


@dataclass
class _Layout:
    delimiter: str            # a key of DELIMITERS
    header: bool
    names: list[str]
    n_columns: int


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _split_lines(lines: list[str], delimiter: str | None) -> list[list[str]]:
    if delimiter is None:
        return [line.split() for line in lines]
    return list(csv.reader(lines, delimiter=delimiter))


_SKIPPED_LINE = re.compile(r"^[ \t\r\f\v]*(#|$)", re.M)


def _content(lines: list[str], first_lineno: int) -> tuple[list[str], "list[int] | range"]:
    """Drop blank and '#' comment lines; return the kept lines and their 1-based line numbers."""
    if not _SKIPPED_LINE.search("".join(lines).rstrip("\r\n") or "\n"):
        return lines, range(first_lineno, first_lineno + len(lines))
    kept, numbers = [], []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            kept.append(line)
            numbers.append(first_lineno + i)
    return kept, numbers


def _sniff(path: Path, lines: list[str], delimiter: str, header: str) -> _Layout:
    """Choose delimiter and header from the first content lines."""
    sample = lines[:100]
    if delimiter == "auto":
        scores = []
        # Semicolons in every line beat commas: commas are then decimal commas or inside text.
        preference = ["tab", "semicolon", "comma"] if path.suffix.lower() == ".tsv" else \
            ["semicolon", "comma", "tab"]
        for order, name in enumerate(preference + ["whitespace"]):
            counts = [len(r) for r in _split_lines(sample, DELIMITERS[name])]
            modal = max(set(counts), key=counts.count)
            agree = counts.count(modal) / len(counts)
            scores.append((modal > 1, agree, modal, -order, name))
        delimiter = max(scores)[-1]
    rows = _split_lines(sample, DELIMITERS[delimiter])
    first = rows[0]
    if header == "auto":
        has_header = False
        if len(rows) > 1:
            for j, cell in enumerate(first):
                column = [r[j] for r in rows[1:] if j < len(r)]
                if not _is_number(cell) and column and all(_is_number(c) for c in column):
                    has_header = True
                    break
        else:
            has_header = not any(_is_number(c) for c in first)
    else:
        has_header = header == "yes"
    n = len(first)
    if has_header:
        names = [c.strip() or f"column {j + 1}" for j, c in enumerate(first)]
    else:
        names = [f"column {j + 1}" for j in range(n)]
    return _Layout(delimiter, has_header, names, n)


def _columns(text: str, layout: _Layout, path: Path, what: str) -> list[int]:
    """0-based column indices for 'name;3;-1' style text."""
    out = []
    for item in [t.strip() for t in text.split(";") if t.strip()]:
        if item in layout.names:
            matches = [j for j, n in enumerate(layout.names) if n == item]
            if len(matches) > 1:
                raise DataError(f"{path}: several columns are named '{item}'; give the {what} by number.")
            out.append(matches[0])
            continue
        try:
            number = int(item)
        except ValueError:
            listing = ", ".join(layout.names[:20]) + (", …" if len(layout.names) > 20 else "")
            raise DataError(f"{path} has no column '{item}' for the {what} (columns: {listing}).") from None
        if number == 0 or abs(number) > layout.n_columns:
            raise DataError(f"{path}: {what} column {number} does not exist; the file has "
                            f"{layout.n_columns} columns (numbered 1 to {layout.n_columns}, or -1 for the "
                            "last).")
        j = number - 1 if number > 0 else layout.n_columns + number
        if j not in out:
            out.append(j)
    return out


class _Grow:
    """A float32 (n, width) array that grows by reallocation (no second copy kept)."""

    def __init__(self, width: int, capacity: int):
        self.data = np.empty((max(capacity, 16), width), dtype=np.float32)
        self.n = 0

    def append(self, block: np.ndarray) -> None:
        need = self.n + len(block)
        if need > len(self.data):
            self.data.resize((max(need, int(len(self.data) * 1.5)), self.data.shape[1]), refcheck=False)
        self.data[self.n:need] = block
        self.n = need

    def finish(self) -> np.ndarray:
        self.data.resize((self.n, self.data.shape[1]), refcheck=False)
        return self.data


class _Parser:
    def __init__(self, path: Path, layout: _Layout, features: list[int], targets: list[int], task: str,
                 capacity: int):
        self.path, self.layout, self.features, self.targets, self.task = path, layout, features, targets, task
        self.X = _Grow(len(features), capacity)
        self.T: _Grow | None = None            # numeric targets
        self.codes: list[np.ndarray] = []      # string class codes per block
        self.classes: dict[str, int] = {}
        self.string_target: bool | None = None

    def _where(self, lineno: int, j: int) -> str:
        return f"{self.path}, row {lineno}, column {j + 1} ('{self.layout.names[j]}')"

    def _numbers(self, cells: np.ndarray, rows: list[list[str]], cols: list[int], linenos: list[int],
                 role: str) -> np.ndarray:
        """Convert a (n, c) block of strings to float32, or raise DataError at the first bad cell."""
        try:
            values = cells.astype(np.float32)
        except ValueError:
            values = None
        if values is None:
            for r, row in enumerate(rows):
                for j in cols:
                    text = row[j].strip()
                    if not _is_number(text):
                        if text.lower() in MISSING:
                            shown = f"'{text}'" if text else "empty"
                            raise DataError(f"{self._where(linenos[r], j)}: missing value ({shown}); every "
                                            f"{role} cell needs a number.")
                        hint = (f"; leave the column out with ignore={j + 1} or choose it as the target"
                                if role == "feature" else "")
                        if _DECIMAL_COMMA.match(text):
                            hint = "; decimal commas are not read, save the file with decimal points (1.5)"
                        raise DataError(f"{self._where(linenos[r], j)}: '{text}' is not a number "
                                        f"(the {role} columns must be numeric{hint}).")
            raise DataError(f"{self.path}: a {role} value could not be read as a number.")
        bad = ~np.isfinite(values)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            j = cols[c]
            text = rows[r][j].strip()
            kind = "missing value" if text.lower() == "nan" else "infinite or out-of-range value"
            raise DataError(f"{self._where(linenos[r], j)}: {kind} ('{text}'); every {role} cell needs a "
                            "finite number.")
        return values

    def feed(self, lines: list[str], linenos: list[int]) -> None:
        """Parse one block of content lines (fast C path; the careful path finds errors)."""
        if not self._feed_fast(lines):
            self._feed_careful(_split_lines(lines, DELIMITERS[self.layout.delimiter]), linenos)

    def _add_codes(self, names: np.ndarray) -> np.ndarray:
        """Global int32 class codes for a (n,) array of class-name strings."""
        uniques, inverse = np.unique(names, return_inverse=True)
        lookup = np.empty(len(uniques), dtype=np.int32)
        for u, name in enumerate(uniques.tolist()):
            code = self.classes.get(name)
            if code is None:
                if len(self.classes) >= MAX_CLASSES:
                    raise DataError(f"{self.path}: the target column '{self.layout.names[self.targets[0]]}' "
                                    f"has more than {MAX_CLASSES:,} distinct values; it does not look like "
                                    "class labels.")
                code = self.classes[name] = len(self.classes)
            lookup[u] = code
        return lookup[inverse.reshape(-1)]

    def _feed_fast(self, lines: list[str]) -> bool:
        """np.loadtxt on the block; False (nothing stored) when anything looks wrong."""
        delim = DELIMITERS[self.layout.delimiter]
        m = self.layout.n_columns
        quoted = any('"' in line for line in lines)
        if delim is None:
            counts_ok = all(len(line.split()) == m for line in lines)
        elif quoted:
            counts_ok = all(len(row) == m for row in csv.reader(lines, delimiter=delim))
        else:
            counts_ok = all(line.count(delim) == m - 1 for line in lines)
        if not counts_ok:
            return False
        options = dict(delimiter=delim, comments=None, quotechar='"' if quoted else None)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                X = np.loadtxt(lines, dtype=np.float32, usecols=self.features, ndmin=2, **options)
                if not np.isfinite(X).all():
                    return False
                if self.string_target is None:
                    self.string_target = False
                    if len(self.targets) == 1 and self.task != "regression":
                        cells = np.loadtxt(lines, dtype=str, usecols=self.targets, ndmin=1, **options)
                        self.string_target = not all(_is_number(c) for c in cells.tolist())
                if self.string_target:
                    names = np.loadtxt(lines, dtype=str, usecols=self.targets, ndmin=1, **options)
                    names = np.char.strip(names)
                    if (names == "").any():
                        return False
                    codes = self._add_codes(names)
                else:
                    T = np.loadtxt(lines, dtype=np.float32, usecols=self.targets, ndmin=2, **options)
                    if not np.isfinite(T).all():
                        return False
        except (ValueError, Warning):
            return False
        self.X.append(X)
        if self.string_target:
            self.codes.append(codes)
        else:
            if self.T is None:
                self.T = _Grow(len(self.targets), self.X.data.shape[0])
            self.T.append(T)
        return True

    def _feed_careful(self, rows: list[list[str]], linenos: list[int]) -> None:
        """Cell-by-cell checks with row/column messages; the reference behaviour of ``feed``."""
        m = self.layout.n_columns
        for r, row in enumerate(rows):
            if len(row) != m:
                expected = "the header" if self.layout.header else "the first row"
                raise DataError(f"{self.path}, row {linenos[r]}: {len(row)} fields, but {expected} has {m} "
                                "(ragged rows: check the delimiter and quoting).")
        cells = np.array(rows, dtype=str)
        X = self._numbers(cells[:, self.features], rows, self.features, linenos, "feature")
        if self.string_target is None:
            self.string_target = False
            if len(self.targets) == 1 and self.task != "regression":
                self.string_target = not all(_is_number(row[self.targets[0]]) for row in rows)
        if self.string_target:
            j = self.targets[0]
            names = np.char.strip(cells[:, j])
            empty = np.flatnonzero(names == "")
            if empty.size:
                raise DataError(f"{self._where(linenos[empty[0]], j)}: missing class label (empty cell).")
            codes = self._add_codes(names)
            self.X.append(X)
            self.codes.append(codes)
        else:
            T = self._numbers(cells[:, self.targets], rows, self.targets, linenos, "target")
            self.X.append(X)
            if self.T is None:
                self.T = _Grow(len(self.targets), self.X.data.shape[0])
            self.T.append(T)


def _natural_order(names: list[str]) -> list[str]:
    if all(_is_number(n) for n in names):
        return sorted(names, key=float)
    return sorted(names)


def load_csv(path_text: str | None, p: dict, progress: Callable | None = None,
             cancel: Callable[[], bool] | None = None) -> Dataset:
    """Load ``csv:PATH`` with resolved parameters ``p`` (see ``PARAMS``)."""
    if not path_text:
        raise DataError("csv needs a file: csv:PATH (for example csv:data/iris.csv,target=species).")
    path, size, handle = _open(path_text)
    try:
        with handle:
            return _load(path, handle, size, p, progress, cancel)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    except MemoryError:
        raise DataError(f"{path} is too large for the available memory.") from None


def _read_head(path: Path, handle):
    """The first block with content: (lines read, 1-based number of its first line, content lines,
    their line numbers); DataError when the file holds no data rows."""
    lines = handle.readlines(SNIFF_BYTES)
    lineno = 1
    content, numbers = _content(lines, lineno)
    while not content and lines:
        lineno += len(lines)
        lines = handle.readlines(SNIFF_BYTES)
        content, numbers = _content(lines, lineno)
    if not content:
        raise DataError(f"{path} is empty (no data rows).")
    return lines, lineno, content, numbers


def _open(path_text) -> tuple[Path, int, object]:
    path = Path(path_text).expanduser()
    try:
        size = os.path.getsize(path)
        handle = open(path, "r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(f"Cannot open {path}: {exc.strerror or exc}.") from None
    return path, size, handle


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> DataError:
    return DataError(f"{path} is not UTF-8 text (byte {exc.start:,} cannot be decoded); is it a CSV file?")


def sniff_table(path_text, delimiter: str = "auto", header: str = "auto") -> TableLayout:
    """Detect the delimiter, the header row and the column names of a CSV/TSV file exactly as
    ``load_csv`` does (the same first lines, the same rules): the one detector of the program.

    ``delimiter`` ("auto" or a key of ``DELIMITERS``) and ``header`` ("auto", "yes", "no") are the
    spec's choices. Raises ``DataError`` when the file cannot be read or holds no data rows.
    """
    if delimiter != "auto" and delimiter not in DELIMITERS:
        raise DataError(f"Unknown delimiter '{delimiter}'; choose auto, {', '.join(DELIMITERS)}.")
    if header not in ("auto", "yes", "no"):
        raise DataError(f"Unknown header choice '{header}'; choose auto, yes or no.")
    path, _size, handle = _open(path_text)
    try:
        with handle:
            _lines, _lineno, content, _numbers = _read_head(path, handle)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    layout = _sniff(path, content, delimiter, header)
    return TableLayout(layout.delimiter, layout.header, list(layout.names))


def _load(path: Path, handle, size: int, p: dict, progress, cancel) -> Dataset:
    lines, lineno, content, numbers = _read_head(path, handle)
    layout = _sniff(path, content, p["delimiter"], p["header"])
    if layout.n_columns < 2:
        raise DataError(f"{path} has a single column (with delimiter '{layout.delimiter}'); it needs at "
                        "least one feature column and one target column.")
    targets = _columns(p["target"], layout, path, "target")
    if not targets:
        raise DataError(f"{path}: no target column given.")
    ignored = _columns(p["ignore"], layout, path, "ignored")
    features = [j for j in range(layout.n_columns) if j not in targets and j not in ignored]
    if not features:
        raise DataError(f"{path}: no feature columns are left besides the target and ignored columns.")
    if len(targets) > 1 and p["task"] == "classification":
        raise DataError(f"{path}: classification needs a single target column ({len(targets)} given).")

    avg = max(sum(len(s) for s in content) / len(content), 1.0)
    parser = _Parser(path, layout, features, targets, p["task"], int(size / avg * 1.05) + 16)
    if layout.header:
        content, numbers = content[1:], numbers[1:]
    done = sum(len(s) for s in lines)
    while True:
        if cancel is not None and cancel():
            raise DownloadCancelled(f"Loading {path.name} cancelled.")
        if content:
            parser.feed(content, numbers)
        if progress is not None:
            progress(min(done, size), size, f"Reading {path.name}")
        lineno += len(lines)
        lines = handle.readlines(BLOCK_BYTES)
        if not lines:
            break
        done += sum(len(s) for s in lines)
        content, numbers = _content(lines, lineno)

    X = parser.X.finish()
    if len(X) == 0:
        raise DataError(f"{path} has a header but no data rows.")
    target_names = [layout.names[j] for j in targets]
    labels, class_names, Y = _targets(path, parser, p["task"], target_names)
    task = "regression" if class_names is None else "classification"
    if task == "classification":
        Y = class_targets(labels, len(class_names), 2)
    rng = np.random.default_rng(p["seed"])
    splits = make_splits(X, Y, labels, p["validation"], p["test"], rng if p["shuffle"] else None, "csv")
    del X, Y, labels
    standardization = _standardize(splits) if p["standardize"] else None
    resolved = dict(p)
    resolved.update(task=task, header="yes" if layout.header else "no", delimiter=layout.delimiter,
                    target=_column_text(targets, layout), ignore=_column_text(ignored, layout))
    spec_params = {k: v for k, v in resolved.items() if not (k == "ignore" and not v)}
    return Dataset(
        name=path.stem, spec=format_spec("csv", str(path.resolve()), spec_params), task=task, splits=splits,
        feature_names=[layout.names[j] for j in features], target_names=target_names,
        class_names=class_names, description=f"{path.name}", source=str(path.resolve()),
        params=resolved, standardization=standardization)


def _column_text(columns: list[int], layout: _Layout) -> str:
    """Column references for the spec: names when unambiguous and spec-safe, else numbers."""
    out = []
    for j in columns:
        name = layout.names[j]
        safe = (layout.header and layout.names.count(name) == 1 and name == name.strip()
                and not any(ch in name for ch in ",;=") and not _is_number(name))
        out.append(name if safe else str(j + 1))
    return ";".join(out)


def _targets(path: Path, parser: _Parser, task: str, target_names: list[str]):
    """(labels or None, class names or None, Y for regression or None)."""
    name = target_names[0]
    if parser.string_target:
        if task == "regression":
            raise DataError(f"{path}: the target column '{name}' holds text; regression needs numbers.")
        order = _natural_order(list(parser.classes))
        remap = np.empty(len(order), dtype=np.int64)
        for new, cls in enumerate(order):
            remap[parser.classes[cls]] = new
        labels = remap[np.concatenate(parser.codes)]
        class_names = order
    else:
        T = parser.T.finish() if parser.T is not None else np.empty((0, len(target_names)), np.float32)
        if len(target_names) > 1 or task == "regression":
            return None, None, T
        column = T[:, 0]
        integral = bool(np.all(column == np.round(column)))
        values = np.unique(column)
        if task == "auto" and (not integral or len(values) > MAX_AUTO_CLASSES):
            return None, None, T
        if task == "classification" and len(values) > MAX_CLASSES:
            raise DataError(f"{path}: the target column '{name}' has {len(values):,} distinct values; too "
                            "many for classes.")
        labels = np.searchsorted(values, column).astype(np.int64)
        class_names = [format_value(float(v)) for v in values]
    if len(class_names) < 2:
        raise DataError(f"{path}: the target column '{name}' holds a single class ('{class_names[0]}'); "
                        "classification needs at least two (use task=regression for a numeric target).")
    return labels, class_names, None


def _standardize(splits: dict[str, Split]) -> tuple[np.ndarray, np.ndarray]:
    """Scale every split in place with the training split's per-feature mean and std (0 -> 1)."""
    train = splits["train"].X
    mean = train.mean(axis=0, dtype=np.float64)
    std = train.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    mean32, std32 = mean.astype(np.float32), std.astype(np.float32)
    for split in splits.values():
        split.X -= mean32
        split.X /= std32
    return mean32, std32
