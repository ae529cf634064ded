"""CSV / TSV import: delimiter and header detection, target columns by name or number, class labels
taken from strings or integer codes, streaming parse into float32 arrays (no text copy of the file
is kept in memory). ``sniff_table`` is the program's one delimiter/header detector: the GUI offers
the columns it finds, and the loader reads the same ones.

Rows and columns in messages are 1-based, as in a spreadsheet: "row 7" is line 7 of the file.

Bounds that hold for any file: only regular files are opened (a named pipe or ``/dev/zero`` is
refused unread); no line is longer than ``MAX_LINE_CHARS``; the detector looks at a head of at most
two lines beyond ``SNIFF_BYTES`` and gives up after ``MAX_HEAD_CHARS`` of blank or comment lines; a
table has at most ``MAX_COLUMNS`` columns and ``MAX_CLASSES`` classes; and the memory the arrays
will need is estimated before they are allocated (``dataset.check_memory``).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from ..core.limits import INT32_MAX, MAX_LABEL_CHARS, clipped
from ..core.network import MAX_UNITS
from ..core.safefiles import format_bytes

from .dataset import Dataset, Split, check_memory, class_targets, dataset_bytes, make_splits, open_data_file
from .errors import DataError, DownloadCancelled
from .params import Param, format_spec, format_value

BLOCK_BYTES = 1 << 20          # text read and parsed per block (characters)
SNIFF_BYTES = 64 * 1024        # text used to detect the delimiter and header
MAX_LINE_CHARS = 16 * 2**20    # the longest line read: a million columns of "0.1234567,"
MAX_HEAD_CHARS = 16 * 2**20    # blank and comment lines read before the first data row, at most
MAX_COLUMNS = MAX_UNITS        # the widest table: a network has at most this many inputs
MAX_AUTO_CLASSES = 100         # an integer target with more distinct values is treated as regression
MAX_CLASSES = 10_000           # distinct labels of a class column (one output unit each)
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
    Param("seed", 0, "int", "random seed of the shuffle (an integer, or 'random')", 0, INT32_MAX),
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


_VISIBLE = {code: f"\\x{code:02x}" for code in [*range(32), 0x7F, 0x85]}
_VISIBLE.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord("\0"): "\\0",
                 0x2028: "\\u2028", 0x2029: "\\u2029"})


def _shown(text) -> str:
    """Text from the file as a message quotes it: on one line, at most ``SHOWN_CHARS`` characters."""
    return clipped(str(text)).translate(_VISIBLE)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_reader(lines, delimiter: str):
    """``csv.reader`` that takes any field a line may hold (its default stops at 128 KiB)."""
    if csv.field_size_limit() < MAX_LINE_CHARS + 1:
        csv.field_size_limit(MAX_LINE_CHARS + 1)
    return csv.reader(lines, delimiter=delimiter)


def _split_lines(lines: list[str], delimiter: str | None) -> list[list[str]]:
    if delimiter is None:
        return [line.split() for line in lines]
    return list(_csv_reader(lines, delimiter))


class HeadTooLong(Exception):
    """``sniff_table`` was given a ``head_limit`` and the head it needs is longer (the caller may
    look again without a limit, off the GUI thread)."""


class _Lines:
    """The lines of a text file, a block at a time, as ``open(newline="")`` splits them (``\\n``,
    ``\\r\\n`` and ``\\r`` end a line and are kept), none longer than ``max_line`` characters.

    Unlike ``readlines(hint)``, which reads a whole line however long, this never holds more than
    about ``max_line + size`` characters. ``lineno`` is the 1-based number of the next line.
    """

    def __init__(self, handle, path: Path, max_line: int, too_long=None):
        self.handle, self.path, self.max_line = handle, path, max_line
        self.too_long = too_long or self._too_long
        self.carry = ""
        self.eof = False
        self.lineno = 1
        self.chars = 0                       # characters handed out so far

    def _too_long(self, lineno: int) -> Exception:
        return DataError(f"{self.path}, row {lineno} is longer than {self.max_line:,} characters, the "
                         "most Workbench reads in one line (is it a text table?).")

    def block(self, size: int) -> list[str]:
        """Complete lines, about ``size`` characters or more of them; [] at the end of the file."""
        parts = [self.carry] if self.carry else []
        open_chars = len(self.carry)          # characters since the last line end
        while not self.eof:
            chunk = self.handle.read(max(size, 1))
            if not chunk:
                self.eof = True
                break
            parts.append(chunk)
            end = max(chunk.rfind("\n"), chunk.rfind("\r", 0, len(chunk) - 1))
            if end >= 0:
                break
            open_chars += len(chunk)
            if open_chars > self.max_line:
                raise self.too_long(self.lineno)
        text = "".join(parts)
        # A final "\r" may be the first half of "\r\n": it ends a line only at the end of the file.
        last = len(text) if self.eof else len(text) - 1
        cut = max(text.rfind("\n"), text.rfind("\r", 0, last)) + 1
        lines = io.StringIO(text[:cut], newline="").readlines()       # the C splitter of open()
        if self.eof and cut < len(text):
            lines.append(text[cut:])          # the last line, without a line end
            cut = len(text)
        self.carry = text[cut:]
        if len(text) > self.max_line:
            for index, line in enumerate(lines):
                if len(line) > self.max_line:
                    raise self.too_long(self.lineno + index)
        if len(self.carry) > self.max_line:
            raise self.too_long(self.lineno + len(lines))
        self.lineno += len(lines)
        self.chars += cut
        return lines


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
    n = len(first)
    if n > MAX_COLUMNS:
        raise DataError(f"{path} has {n:,} columns (with delimiter '{delimiter}'); Workbench reads tables "
                        f"of up to {MAX_COLUMNS:,} columns, the most inputs a network takes.")
    if header == "auto":
        if len(rows) > 1:
            has_header = any(not _is_number(first[j]) for j in _numeric_columns(rows[1:], n))
        else:
            has_header = not any(_is_number(c) for c in first)
    else:
        has_header = header == "yes"
    if has_header:
        names = [c.strip() or f"column {j + 1}" for j, c in enumerate(first)]
    else:
        names = [f"column {j + 1}" for j in range(n)]
    return _Layout(delimiter, has_header, names, n)


def _numeric_columns(rows: list[list[str]], n: int) -> list[int]:
    """The columns j < ``n`` that have a cell in some row and numbers in every row that has one;
    one look at each cell (a header line of a million cells over short rows stays linear)."""
    seen, numeric = [False] * n, [True] * n
    for row in rows:
        for j, cell in enumerate(row[:n]):
            seen[j] = True
            if numeric[j] and not _is_number(cell):
                numeric[j] = False
    return [j for j in range(n) if seen[j] and numeric[j]]


def _columns(text: str, layout: _Layout, path: Path, what: str) -> list[int]:
    """0-based column indices for 'name;3;-1' style text."""
    out = []
    for item in [t.strip() for t in text.split(";") if t.strip()]:
        if item in layout.names:
            matches = [j for j, n in enumerate(layout.names) if n == item]
            if len(matches) > 1:
                raise DataError(f"{path}: several columns are named '{_shown(item)}'; give the {what} by number.")
            out.append(matches[0])
            continue
        try:
            number = int(item)
        except ValueError:
            listing = ", ".join(map(_shown, layout.names[:20])) + (", …" if len(layout.names) > 20 else "")
            raise DataError(f"{path} has no column '{_shown(item)}' for the {what} (columns: {listing}).") from None
        if number == 0 or abs(number) > layout.n_columns:
            raise DataError(f"{path}: {what} column {number} does not exist; the file has "
                            f"{layout.n_columns} columns (numbered 1 to {layout.n_columns}, or -1 for the "
                            "last).")
        j = number - 1 if number > 0 else layout.n_columns + number
        if j not in out:
            out.append(j)
    return out


class _Grow:
    """A float32 (n, width) array that grows by reallocation (no second copy kept).

    ``check(rows)`` is called before it grows to hold ``rows`` rows (it raises to refuse).
    """

    def __init__(self, width: int, capacity: int, check=None):
        self.check = check
        self.data = np.empty((max(capacity, 16), width), dtype=np.float32)
        self.n = 0

    def append(self, block: np.ndarray) -> None:
        need = self.n + len(block)
        if need > len(self.data):
            if self.check is not None:
                self.check(need)
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
        self.check_rows(capacity, "about ")
        self.X = _Grow(len(features), capacity, self.check_rows)
        self.T: _Grow | None = None            # numeric targets
        self.codes: list[np.ndarray] = []      # string class codes per block
        self.classes: dict[str, int] = {}
        self.string_target: bool | None = None
        self._numbers_of_block: list[int] = []     # line numbers of the block being fed

    def check_rows(self, rows: int, about: str = "") -> None:
        """DataError when ``rows`` rows of these columns would need more memory than allowed."""
        check_memory(dataset_bytes(rows, len(self.features), len(self.targets), False), str(self.path),
                     f"{about}{rows:,} rows of {len(self.features):,} features")

    def _where(self, lineno: int, j: int) -> str:
        return f"{self.path}, row {lineno}, column {j + 1} ('{_shown(self.layout.names[j])}')"

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
                            shown = f"'{_shown(text)}'" if text else "empty"
                            raise DataError(f"{self._where(linenos[r], j)}: missing value ({shown}); every "
                                            f"{role} cell needs a number.")
                        hint = (f"; leave the column out with ignore={j + 1} or choose it as the target"
                                if role == "feature" else "")
                        if _DECIMAL_COMMA.match(text):
                            hint = "; decimal commas are not read, save the file with decimal points (1.5)"
                        raise DataError(f"{self._where(linenos[r], j)}: '{_shown(text)}' is not a number "
                                        f"(the {role} columns must be numeric{hint}).")
            raise DataError(f"{self.path}: a {role} value could not be read as a number.")
        bad = ~np.isfinite(values)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            j = cols[c]
            text = rows[r][j].strip()
            kind = "missing value" if text.lower() == "nan" else "infinite or out-of-range value"
            raise DataError(f"{self._where(linenos[r], j)}: {kind} ('{_shown(text)}'); every {role} cell needs a "
                            "finite number.")
        return values

    def feed(self, lines: list[str], linenos: list[int]) -> None:
        """Parse one block of content lines (fast C path; the careful path finds errors)."""
        _refuse_nul(self.path, lines, linenos, self.layout)
        self._numbers_of_block = linenos
        if not self._feed_fast(lines):
            self._feed_careful(_split_lines(lines, DELIMITERS[self.layout.delimiter]), linenos)

    def _add_codes(self, names: np.ndarray, linenos: list[int]) -> np.ndarray:
        """Global int32 class codes for a (n,) object array of class-name strings."""
        uniques, inverse = np.unique(names, return_inverse=True)
        lookup = np.empty(len(uniques), dtype=np.int32)
        for u, name in enumerate(uniques.tolist()):
            code = self.classes.get(name)
            if code is None:
                if len(name) > MAX_LABEL_CHARS:
                    r = int(np.flatnonzero(inverse.reshape(-1) == u)[0])
                    raise DataError(f"{self._where(linenos[r], self.targets[0])}: a class label of "
                                    f"{len(name):,} characters; labels are at most {MAX_LABEL_CHARS:,}.")
                if len(self.classes) >= MAX_CLASSES:
                    raise DataError(f"{self.path}: the target column "
                                    f"'{_shown(self.layout.names[self.targets[0]])}' "
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
            counts_ok = all(len(row) == m for row in _csv_reader(lines, delim))
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
                        cells = np.loadtxt(lines, dtype=object, usecols=self.targets, ndmin=1, **options)
                        self.string_target = not all(_is_number(c) for c in cells.tolist())
                if self.string_target:
                    names = _stripped(np.loadtxt(lines, dtype=object, usecols=self.targets, ndmin=1,
                                                 **options))
                    if (names == "").any():
                        return False
                    codes = self._add_codes(names, self._numbers_of_block)
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
                self.T = _Grow(len(self.targets), self.X.data.shape[0], self.check_rows)
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
        # Object arrays keep every character (a fixed-width str array drops trailing NULs) and
        # take no more memory than the text when one cell is much longer than the others.
        cells = np.empty((len(rows), m), dtype=object)
        cells[:] = rows
        X = self._numbers(cells[:, self.features], rows, self.features, linenos, "feature")
        if self.string_target is None:
            self.string_target = False
            if len(self.targets) == 1 and self.task != "regression":
                self.string_target = not all(_is_number(row[self.targets[0]]) for row in rows)
        if self.string_target:
            j = self.targets[0]
            names = _stripped(cells[:, j])
            empty = np.flatnonzero(names == "")
            if empty.size:
                raise DataError(f"{self._where(linenos[empty[0]], j)}: missing class label (empty cell).")
            codes = self._add_codes(names, linenos)
            self.X.append(X)
            self.codes.append(codes)
        else:
            T = self._numbers(cells[:, self.targets], rows, self.targets, linenos, "target")
            self.X.append(X)
            if self.T is None:
                self.T = _Grow(len(self.targets), self.X.data.shape[0], self.check_rows)
            self.T.append(T)


def _stripped(cells: np.ndarray) -> np.ndarray:
    """A (n,) object array of the cells' text without surrounding white space."""
    out = np.empty(len(cells), dtype=object)
    out[:] = [str(c).strip() for c in cells.reshape(-1).tolist()]
    return out


def _refuse_nul(path: Path, lines: list[str], linenos, layout: _Layout) -> None:
    """DataError naming the row and column of the first NUL character in ``lines``: a text table
    holds none, and numpy would silently drop one at the end of a cell ("2\\0" read as 2)."""
    if "\0" not in "".join(lines):
        return
    for r, line in enumerate(lines):
        if "\0" in line:
            cells = _split_lines([line], DELIMITERS[layout.delimiter]) or [[line]]
            j = next((j for j, cell in enumerate(cells[0]) if "\0" in cell), 0)
            raise DataError(f"{path}, row {linenos[r]}, column {j + 1}: the cell holds a NUL character "
                            "(\\0); a text table has none (is the file binary or UTF-16?).")


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
    except (csv.Error, OverflowError) as exc:
        raise _not_a_table(path, exc) from None
    except MemoryError:
        raise DataError(f"{path} is too large for the available memory.") from None


class _Head(NamedTuple):
    """The first lines of a file that hold data, and the reader positioned after them."""

    reader: _Lines
    lines: list[str]              # every line read from the first data row on
    content: list[str]            # those that are neither blank nor a comment
    numbers: list[int]            # their 1-based line numbers


def _read_head(path: Path, handle, head_limit: int | None = None) -> _Head:
    """Read up to the first data rows: at least ``SNIFF_BYTES`` characters and two data rows where
    the file has them, leading blank and comment lines dropped (at most ``MAX_HEAD_CHARS``).

    With ``head_limit``, ``HeadTooLong`` when the head is longer than that many characters (at most
    twice as many are read).
    DataError when the file holds no data rows.
    """
    def beyond_limit(_lineno):
        return HeadTooLong(path)

    if head_limit is None:
        reader = _Lines(handle, path, MAX_LINE_CHARS)
    else:
        reader = _Lines(handle, path, min(head_limit, MAX_LINE_CHARS), beyond_limit)
    lines: list[str] = []
    content: list[str] = []
    numbers: list[int] = []
    while len(content) < 2 or reader.chars < SNIFF_BYTES:
        if not content and reader.chars > MAX_HEAD_CHARS:
            raise DataError(f"{path} has no data rows in its first {format_bytes(MAX_HEAD_CHARS)} (only "
                            "blank lines and # comments).")
        first = reader.lineno
        block = reader.block(SNIFF_BYTES)
        if head_limit is not None and reader.chars > head_limit:
            raise HeadTooLong(path)
        if not block:
            break
        kept, kept_numbers = _content(block, first)
        if lines or kept:
            lines += block
            content += kept
            numbers += kept_numbers
    if not content:
        raise DataError(f"{path} is empty (no data rows).")
    return _Head(reader, lines, content, numbers)


def _open(path_text) -> tuple[Path, int, object]:
    """The file as UTF-8 text (a BOM is skipped), if it is a regular file: (path, bytes, handle)."""
    path = Path(path_text).expanduser()
    raw, size = open_data_file(path, "CSV file")
    return path, size, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> DataError:
    return DataError(f"{path} is not UTF-8 text (byte {exc.start:,} cannot be decoded); is it a CSV file?")


def _not_a_table(path: Path, exc: Exception) -> DataError:
    return DataError(f"{path} cannot be read as a table ({exc}).")


def sniff_table(path_text, delimiter: str = "auto", header: str = "auto",
                head_limit: int | None = None) -> TableLayout:
    """Detect the delimiter, the header row and the column names of a CSV/TSV file exactly as
    ``load_csv`` does (the same first lines, the same rules): the one detector of the program.

    ``delimiter`` ("auto" or a key of ``DELIMITERS``) and ``header`` ("auto", "yes", "no") are the
    spec's choices. Raises ``DataError`` when the file cannot be read or holds no data rows. It reads
    a bounded head (two lines of at most ``MAX_LINE_CHARS`` beyond ``SNIFF_BYTES``); with
    ``head_limit`` it raises ``HeadTooLong`` when the head is longer than that many characters,
    having read at most twice as many (a quick look for the GUI thread).
    """
    if delimiter != "auto" and delimiter not in DELIMITERS:
        raise DataError(f"Unknown delimiter '{_shown(delimiter)}'; choose auto, {', '.join(DELIMITERS)}.")
    if header not in ("auto", "yes", "no"):
        raise DataError(f"Unknown header choice '{_shown(header)}'; choose auto, yes or no.")
    path, _size, handle = _open(path_text)
    try:
        with handle:
            head = _read_head(path, handle, head_limit)
        layout = _sniff(path, head.content, delimiter, header)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    except (csv.Error, OverflowError) as exc:
        raise _not_a_table(path, exc) from None
    return TableLayout(layout.delimiter, layout.header, list(layout.names))


def _load(path: Path, handle, size: int, p: dict, progress, cancel) -> Dataset:
    head = _read_head(path, handle)
    layout = _sniff(path, head.content, p["delimiter"], p["header"])
    _refuse_nul(path, head.content[:1], head.numbers[:1], layout)      # the header; rows are fed below
    if layout.n_columns < 2:
        raise DataError(f"{path} has a single column (with delimiter '{layout.delimiter}'); it needs at "
                        "least one feature column and one target column.")
    targets = _columns(p["target"], layout, path, "target")
    if not targets:
        raise DataError(f"{path}: no target column given.")
    ignored = _columns(p["ignore"], layout, path, "ignored")
    left_out = set(targets) | set(ignored)
    features = [j for j in range(layout.n_columns) if j not in left_out]
    if not features:
        raise DataError(f"{path}: no feature columns are left besides the target and ignored columns.")
    if len(targets) > 1 and p["task"] == "classification":
        raise DataError(f"{path}: classification needs a single target column ({len(targets)} given).")

    avg = max(sum(len(s) for s in head.content) / len(head.content), 1.0)
    rows = int(size / avg * 1.05) + 16
    parser = _Parser(path, layout, features, targets, p["task"], rows)
    content, numbers = head.content, head.numbers
    if layout.header:
        content, numbers = content[1:], numbers[1:]
    reader = head.reader
    while True:
        if cancel is not None and cancel():
            raise DownloadCancelled(f"Loading {path.name} cancelled.")
        if content:
            parser.feed(content, numbers)
        if progress is not None:
            progress(min(reader.chars, size), size, f"Reading {path.name}")
        first = reader.lineno
        lines = reader.block(BLOCK_BYTES)
        if not lines:
            break
        content, numbers = _content(lines, first)

    X = parser.X.finish()
    if len(X) == 0:
        raise DataError(f"{path} has a header but no data rows.")
    target_names = [layout.names[j] for j in targets]
    labels, class_names, Y = _targets(path, parser, p["task"], target_names)
    task = "regression" if class_names is None else "classification"
    if task == "classification":
        check_memory(dataset_bytes(len(X), len(features), len(class_names), True), str(path),
                     f"{len(X):,} rows of {len(features):,} features and {len(class_names):,} classes "
                     "(one output each)")
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
    name = _shown(target_names[0])
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
        raise DataError(f"{path}: the target column '{name}' holds a single class ('{_shown(class_names[0])}'); "
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
