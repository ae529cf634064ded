"""The history of a training run: batch and epoch records as growable numpy tables (no Qt).

``RunHistory`` is fed ``BatchRecord``/``EpochRecord`` objects and keeps one row per record in
preallocated column-major float64 buffers (doubling when full).  Beyond ``MAX_POINTS`` rows a table
is thinned to every 2nd, 4th, ... batch (by step) or epoch, so memory and the cost of a redraw stay
bounded on runs of millions of batches.

The x axis is in epochs: a batch sits at ``epoch - 1 + (samples seen before it) / n_train`` (its cost
is measured on the weights before its update) and the summary of epoch ``e`` at ``x = e`` (epoch 0 =
the initial weights).  ``to_json``/``from_json`` read and write the "workbench-plots" version 1 dict
stored in session files (NaN as null).  A loaded history is bounded like a recorded one: at most
``MAX_POINTS`` rows a table, ``MAX_WEIGHT_LAYERS`` layers, ``MAX_FOLLOWED`` followed weights, texts
of ``MAX_LABEL_CHARS`` characters, and the latest ``MAX_MARKERS`` markers (``load_note`` says when more were
left out).  Column accessors return read-only views that stay valid until the next change.
"""

from __future__ import annotations

import csv
import itertools
import math

import numpy as np

from .atomic import atomic_write
from .names import layer_names, weight_name
from .hyperparameters import is_finite_number, shown
from .limits import MAX_LABEL_CHARS
from .network import MAX_UNITS, MAX_WEIGHT_LAYERS

__all__ = ["MAX_POINTS", "MAX_FOLLOWED", "MAX_MARKERS", "HISTORY_FORMAT", "HISTORY_VERSION", "HistoryError",
           "RunHistory", "layer_names"]

#: Rows kept per history table (read at each append, so tests may lower it).
MAX_POINTS = 20_000
#: Weights whose gradients can be followed at once (the window gives each a colour).
MAX_FOLLOWED = 8
#: Markers a loaded history keeps (the latest ones); a marker text or curve label has at most
#: ``MAX_LABEL_CHARS`` characters.
MAX_MARKERS = 1000
HISTORY_FORMAT = "workbench-plots"
HISTORY_VERSION = 1

# Batch table columns (then delta norms per layer).
_BX, _BSTEP, _BEPOCH, _BBATCH, _BCOST = range(5)
_B_FIXED = 5
# Epoch table columns (then delta norms per layer, then weight norms per layer).
_EEPOCH, _ETRAIN, _ETRAIN_ACC, _EVAL, _EVAL_ACC, _ESECONDS, _ESPS = range(7)
_E_FIXED = 7
_EPOCH_KEYS = ("train_cost", "train_accuracy", "val_cost", "val_accuracy", "seconds", "samples_per_second")
_VEC = 8  # from this many records on, add_batches/add_epochs write whole columns at once


class HistoryError(ValueError):
    """A plot history that cannot be loaded; the message says why in one sentence."""


def _nan(v) -> float:
    return math.nan if v is None else float(v)


def _json_list(a: np.ndarray) -> list:
    """A float array as a JSON-safe list (NaN/inf become None)."""
    return [v if math.isfinite(v) else None for v in a.tolist()]


def _ro(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view


class _Table:
    """A growable float64 table stored column-major: ``data`` has shape (width, capacity).

    Only the first ``n`` rows (columns of ``data``) are used.  ``rewrites`` counts changes to rows
    already stored (thinning, truncation), so caches of derived values know to start over.
    """

    def __init__(self, width: int, capacity: int = 512):
        self.width = width
        self.data = np.full((width, capacity), np.nan)
        self.n = 0
        self.received = 0   # rows offered, kept or not
        self.stride = 1     # only rows whose key (step or epoch) is a multiple of this are kept
        self.rewrites = 0

    def thin(self, key: int, limit: int) -> np.ndarray | None:
        """Above ``limit`` rows, double the stride (until at most limit/2 rows are left) and drop
        the rows whose key is off it.  Returns the indices kept, or None when nothing changed."""
        if self.n <= limit:
            return None
        keys = self.data[key, :self.n]
        stride = self.stride
        keep = np.ones(self.n, bool)
        while keep.sum() > limit // 2:
            stride *= 2
            keep = keys % stride == 0
        self.stride = stride
        return self.keep(keep)

    def keep(self, mask: np.ndarray) -> np.ndarray:
        """Keep only the first-n rows where the (n,) bool ``mask`` is true; returns their indices."""
        kept = np.flatnonzero(mask)
        self.data[:, :len(kept)] = self.data[:, kept]
        self.data[:, len(kept):self.n] = np.nan
        self.n = len(kept)
        self.rewrites += 1
        return kept

    def reserve(self, rows: int):
        while self.n + rows > self.data.shape[1]:
            bigger = np.full((self.width, 2 * self.data.shape[1]), np.nan)
            bigger[:, :self.n] = self.data[:, :self.n]
            self.data = bigger

    def load(self, columns: list):
        """Replace the contents by ``columns`` (width checked lists of equal length, None = NaN)."""
        n = len(columns[0]) if columns else 0
        self.data = np.full((self.width, max(512, 2 * n)), np.nan)
        for j, col in enumerate(columns):
            self.data[j, :n] = np.array([_nan(v) for v in col], dtype=np.float64)
        self.n = self.received = n
        self.stride = 1
        self.rewrites += 1


class _LogCache:
    """log10 of ``width`` rows of a _Table from row ``start``, computed only for rows added since
    the last call.  Non-positive values become NaN (a gap in the curve); ``get`` returns (width, n)."""

    def __init__(self):
        self.key = None
        self.arr = np.empty((0, 0))
        self.n = 0

    def get(self, table: _Table, start: int, width: int) -> np.ndarray:
        key = (id(table), table.rewrites, width)
        if key != self.key or self.n > table.n:
            self.key, self.n = key, 0
            self.arr = np.empty((width, table.data.shape[1]))
        if self.arr.shape[1] < table.n:
            bigger = np.empty((width, table.data.shape[1]))
            bigger[:, :self.n] = self.arr[:, :self.n]
            self.arr = bigger
        if self.n < table.n:
            src = table.data[start:start + width, self.n:table.n]
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.log10(src)
            out[~(src > 0)] = np.nan
            self.arr[:, self.n:table.n] = out
            self.n = table.n
        return _ro(self.arr[:, :table.n])


def _triples(watch) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in w) for w in watch]


def _column_view(table: str, j: int, doc: str):
    """A method returning row ``j`` of the named _Table, first n values, read-only."""
    def get(self):
        t = getattr(self, table)
        return _ro(t.data[j, :t.n])
    get.__doc__ = doc
    return get


def _layers_view(table: str, start: int, doc: str, second: bool = False):
    """A method returning the n_layers rows from ``start`` (+ n_layers if ``second``), read-only."""
    def get(self):
        t, first = getattr(self, table), start + (self._L if second else 0)
        return _ro(t.data[first:first + self._L, :t.n])
    get.__doc__ = doc
    return get


_GENERATIONS = itertools.count(1)


class RunHistory:
    """Batch and epoch records of one training run of a network with ``n_layers`` weight layers.

    ``watch``: the (layer, i, j) weights whose gradients the BatchRecords carry (as given to
    ``train``); None means "not said": watched values that arrive anyway are named by position.
    ``serial`` grows on every change, ``generation`` only when the history starts over (reset, a
    change of depth, load, truncate), i.e. when a view should redraw from scratch.  Generations are
    unique across all histories, so a view that remembers one number also notices that another
    history object was put in place of the one it drew.
    """

    #: Set by ``from_json``/``load_json``: a sentence on what the file held beyond the limits and
    #: was left out (markers beyond ``MAX_MARKERS``), else None.
    load_note: str | None = None

    def __init__(self, n_layers: int = 1, classification: bool = True, watch=None):
        self._serial = 0
        self._clear(n_layers, classification, watch)

    def _clear(self, n_layers, classification, watch):
        if int(n_layers) < 1:
            raise ValueError("A network has at least one weight layer.")
        self._L = L = int(n_layers)
        self._classification = bool(classification)
        self._batches = _Table(_B_FIXED + L)
        self._epochs = _Table(_E_FIXED + 2 * L)
        self._declared = watch is not None
        self._watch = _triples(watch or ())
        self._labels = [weight_name(*w, L) for w in self._watch]
        self._watched = _Table(max(1, len(self._watch)))
        self._markers: list[tuple[float, str]] = []
        self._last_x = self._batch_end = 0.0     # next batch's x; where the latest batch ended
        self._seen, self._seen_epoch = 0.0, 0    # fraction of its epoch done and epoch of the latest batch
        self._steps = self._epoch_latest = 0
        self._batch_log, self._epoch_log = _LogCache(), _LogCache()
        self._serial += 1
        self._generation = next(_GENERATIONS)

    def reset(self, n_layers: int, classification: bool, watch=None) -> None:
        """Forget everything and prepare for a run of a network with ``n_layers`` weight layers."""
        self._clear(n_layers, classification, watch)

    # ------------------------------------------------------------------ state
    n_layers = property(lambda self: self._L)
    classification = property(lambda self: self._classification)
    serial = property(lambda self: self._serial, doc="Grows by at least 1 on every change.")
    generation = property(lambda self: self._generation, doc="Grows when the history starts over.")
    last_x = property(lambda self: self._last_x, doc="x (epochs) where the next batch starts.")
    watch = property(lambda self: list(self._watch), doc="The followed weights, (layer, i, j) each.")
    watch_labels = property(lambda self: list(self._labels), doc="One name per watched-gradient row.")
    markers = property(lambda self: list(self._markers), doc="(x in epochs, text) of every marker.")
    batch_count = property(lambda self: self._batches.received, doc="Batches received, kept or not.")
    epoch_count = property(lambda self: self._epochs.received, doc="Epoch summaries received (epoch 0 too).")
    batch_points = property(lambda self: self._batches.n, doc="Batch rows kept (at most MAX_POINTS).")
    batch_stride = property(lambda self: self._batches.stride)
    steps = property(lambda self: self._steps, doc="Step of the latest batch received (0 if none).")
    epochs = property(lambda self: self._epoch_latest, doc="Number of the latest epoch received (0 if none).")

    def set_watch(self, watch) -> None:
        """Follow the gradients of ``watch`` ((layer, i, j) weights) from the next batch on.

        Weights followed before keep their history; new ones start with gaps (NaN) up to now.
        """
        watch = _triples(watch)
        t, old = self._batches, self._watched
        previous = {key: k for k, key in enumerate(self._watch)} if self._labels else {}
        table = _Table(max(1, len(watch)), capacity=t.data.shape[1])
        if watch:
            table.n, m = t.n, min(old.n, t.n)
            for k, key in enumerate(watch):
                if key in previous:
                    table.data[k, :m] = old.data[previous[key], :m]
        self._watch, self._declared = watch, True
        self._labels = [weight_name(*w, self._L) for w in watch]
        self._watched = table
        self._serial += 1

    # ------------------------------------------------------------------ appending
    def add_batches(self, records, epoch_offset: int = 0, step_offset: int = 0) -> None:
        """Append BatchRecords and BatchChunks (oldest first); ``epoch_offset``/``step_offset`` are
        added to their epoch and step (the records are not changed).  Many batches at once are
        written column by column, consecutive chunks as one (XOR's chunks hold four batches)."""
        from .training import BatchChunk

        run, chunks = [], []            # consecutive BatchRecords; consecutive chunks that fit together
        for rec in records:
            if isinstance(rec, BatchChunk):
                self._add_records(run, epoch_offset, step_offset)
                run = []
                if chunks and not chunks[0].fits(rec):
                    self._add_chunk(BatchChunk.join(chunks), epoch_offset, step_offset)
                    chunks = []
                chunks.append(rec)
            else:
                if chunks:
                    self._add_chunk(BatchChunk.join(chunks), epoch_offset, step_offset)
                    chunks = []
                run.append(rec)
        if chunks:
            self._add_chunk(BatchChunk.join(chunks), epoch_offset, step_offset)
        self._add_records(run, epoch_offset, step_offset)

    def _add_records(self, records, epoch_offset: int, step_offset: int) -> None:
        if not records:
            return
        L = self._L
        width = len(records[0].watched)
        if (len(records) < _VEC or not self._fits(width)
                or any(len(r.delta_norms) != L or len(r.watched) != width for r in records)):
            for rec in records:
                self._add_batch(rec, epoch_offset, step_offset)
            self._serial += 1
            return
        m = len(records)
        self._add_columns(
            np.fromiter([r.epoch for r in records], np.float64, m) + epoch_offset,
            np.fromiter([r.batch for r in records], np.float64, m),
            np.fromiter([r.samples_seen / r.n_train for r in records], np.float64, m),
            np.fromiter([r.step for r in records], np.float64, m) + step_offset,
            np.fromiter([r.cost for r in records], np.float64, m),
            np.array([r.delta_norms for r in records], np.float64),
            np.array([r.watched for r in records], np.float64).reshape(m, width))

    def _add_chunk(self, chunk, epoch_offset: int, step_offset: int) -> None:
        if not len(chunk):
            return
        width = chunk.watched.shape[1]
        if chunk.delta_norms.shape[1] != self._L or not self._fits(width):
            for rec in chunk.records():
                self._add_batch(rec, epoch_offset, step_offset)
            self._serial += 1
            return
        self._add_columns(chunk.epoch + float(epoch_offset), chunk.batch.astype(np.float64),
                          chunk.samples_seen / chunk.n_train, chunk.step + float(step_offset),
                          np.asarray(chunk.cost, np.float64), chunk.delta_norms, chunk.watched)

    def _fits(self, width: int) -> bool:
        """Whether batches following ``width`` weights can be written as columns."""
        w = self._watched
        return (width == 0 and not self._labels) or (width == w.width and w.n == self._batches.n and bool(self._labels))

    def _add_columns(self, epoch, batch, seen, step, cost, delta_norms, watched) -> None:
        """Append m batches given as columns: epoch, batch, seen (fraction of the epoch after the
        batch), step, cost: (m,) float64, offsets applied; delta_norms (m, L); watched (m, W)."""
        L, t, w = self._L, self._batches, self._watched
        m = len(step)
        width = watched.shape[1]
        t.reserve(m)
        prev_seen = np.concatenate(([self._seen], seen[:-1]))
        prev_epoch = np.concatenate(([self._seen_epoch], epoch[:-1]))
        start = np.where((epoch == prev_epoch) & (batch > 1), prev_seen, 0.0)
        keep = slice(None) if t.stride == 1 else np.flatnonzero(step % t.stride == 0)
        rows = np.empty((t.width, m))
        rows[_BX] = epoch - 1 + start
        rows[_BSTEP], rows[_BEPOCH], rows[_BBATCH] = step, epoch, batch
        rows[_BCOST] = cost
        rows[_B_FIXED:_B_FIXED + L] = delta_norms.T
        rows = rows[:, keep]
        k = rows.shape[1]
        t.data[:, t.n:t.n + k] = rows
        if width:
            w.reserve(k)
            w.data[:, w.n:w.n + k] = watched.T[:, keep]
            w.n += k
        t.n += k
        t.received += m
        self._seen, self._seen_epoch = float(seen[-1]), float(epoch[-1])
        self._last_x = self._batch_end = float(epoch[-1]) - 1 + float(seen[-1])
        self._steps = int(step[-1])
        self._thin_batches()
        self._serial += 1

    def _add_batch(self, rec, epoch_offset: int, step_offset: int):
        norms = rec.delta_norms
        if len(norms) != self._L:
            self._clear(len(norms), self._classification, None)   # another depth: start over
        t = self._batches
        t.received += 1
        epoch, step = rec.epoch + epoch_offset, rec.step + step_offset
        self._steps = step
        if step % t.stride == 0:            # thinned history: only every stride-th batch is kept
            t.reserve(1)
            n, d = t.n, t.data
            start = self._seen if (epoch == self._seen_epoch and rec.batch > 1) else 0.0
            d[_BX, n] = epoch - 1 + start
            d[_BSTEP, n], d[_BEPOCH, n], d[_BBATCH, n], d[_BCOST, n] = step, epoch, rec.batch, rec.cost
            d[_B_FIXED:, n] = norms
            t.n = n + 1
            if rec.watched:
                self._add_watched(rec.watched, n)
        self._seen, self._seen_epoch = rec.samples_seen / rec.n_train, epoch
        self._last_x = self._batch_end = epoch - 1 + self._seen  # where the next batch starts
        self._thin_batches()

    def _add_watched(self, values, row: int):
        """Store the watched gradients of batch row ``row`` (watched rows match batch rows)."""
        w = self._watched
        if not self._labels and w.n == 0 and not self._declared:
            # Weights are watched but nobody said which: name them by position.
            self._labels = [f"watched weight {k + 1}" for k in range(len(values))]
            self._watched = w = _Table(len(values))
        if not self._labels or len(values) != w.width:
            return  # the watch list changed mid-run: leave the record out rather than misplace it
        w.reserve(row + 1 - w.n)
        w.n = max(w.n, row + 1)
        w.data[:, row] = values

    def _thin_batches(self):
        was = self._batches.n
        kept = self._batches.thin(_BSTEP, MAX_POINTS)
        w = self._watched
        if kept is not None and self._labels:
            w.reserve(was - w.n)
            w.data[:, w.n:was] = np.nan      # rows of batches whose gradients did not arrive
            w.n, mask = was, np.zeros(was, bool)
            mask[kept] = True
            w.keep(mask)

    def add_epochs(self, records, epoch_offset: int = 0) -> None:
        """Append EpochRecords (epoch 0 = the initial weights); ``epoch_offset`` is added to their
        epoch numbers (the records are not changed)."""
        records = list(records)
        if not records:
            return
        L = self._L
        if len(records) < _VEC or any(len(r.delta_norms) != L or len(r.weight_norms) != L for r in records):
            for rec in records:
                self._add_epoch(rec, epoch_offset)
        else:
            t = self._epochs
            t.reserve(len(records))
            rows = np.array([(r.epoch + epoch_offset, r.train_cost, r.train_accuracy, r.val_cost, r.val_accuracy,
                              r.seconds, r.samples_per_second, *r.delta_norms, *r.weight_norms)
                             for r in records], dtype=np.float64)     # None becomes NaN
            if t.stride > 1:
                rows = rows[rows[:, _EEPOCH] % t.stride == 0]
            t.data[:, t.n:t.n + len(rows)] = rows.T
            t.n += len(rows)
            t.received += len(records)
            t.thin(_EEPOCH, MAX_POINTS)
        self._epoch_latest = records[-1].epoch + epoch_offset
        self._last_x = max(self._last_x, float(self._epoch_latest))
        self._serial += 1

    def _add_epoch(self, rec, epoch_offset: int):
        L = self._L
        if len(rec.delta_norms) != L:
            self._clear(len(rec.delta_norms), self._classification, None)
            L = self._L
        t = self._epochs
        t.received += 1
        epoch = rec.epoch + epoch_offset
        self._epoch_latest = epoch
        self._last_x = max(self._last_x, float(epoch))
        if epoch % t.stride:
            return
        t.reserve(1)
        weight_norms = rec.weight_norms if len(rec.weight_norms) == L else [None] * L
        t.data[:, t.n] = [epoch, *(_nan(getattr(rec, key)) for key in _EPOCH_KEYS),
                          *map(_nan, rec.delta_norms), *map(_nan, weight_norms)]
        t.n += 1
        t.thin(_EEPOCH, MAX_POINTS)

    def add_marker(self, text: str, x: float | None = None) -> float:
        """Mark ``text`` at ``x`` (epochs; default: ``last_x``, the current position); returns x."""
        x = self._last_x if x is None else float(x)
        if not math.isfinite(x):
            raise ValueError(f"A marker needs a finite position, not {x!r}.")
        self._markers.append((x, str(text)))
        self._serial += 1
        return x

    def truncate(self, step: int) -> None:
        """Forget what happened after batch ``step``: batches after it, epochs not completed by then
        (epoch 0 stays) and markers beyond its end.  ``last_x`` becomes the end of that batch."""
        step = max(int(step), 0)
        b, e, w = self._batches, self._epochs, self._watched
        if step < self._steps:
            # End of batch `step` = start of batch step + 1, interpolated between the rows kept.
            steps = np.append(b.data[_BSTEP, :b.n], self._steps + 1)
            end = float(np.interp(step + 1, steps, np.append(b.data[_BX, :b.n], self._batch_end)))
            keep = b.data[_BSTEP, :b.n] <= step
            dropped = self._steps - step
            b.keep(keep)
            b.received = max(b.n, b.received - dropped)
            if self._labels:
                w.keep(keep[:w.n])
            epochs = e.data[_EEPOCH, :e.n]
            keep_e = (epochs <= end + 1e-9) | (epochs == 0)
            latest = int(epochs[keep_e][-1]) if keep_e.any() else 0
            e.received = max(int(keep_e.sum()), e.received - max(0, self._epoch_latest - latest))
            e.keep(keep_e)
            self._markers = [(x, t) for x, t in self._markers if x <= end + 1e-9]
            self._steps, self._epoch_latest = step, latest
            self._resume(end)
        self._serial += 1
        self._generation = next(_GENERATIONS)

    def _resume(self, end: float):
        """Continue after the latest batch row, which ended at x = ``end``."""
        self._last_x = self._batch_end = end
        b = self._batches
        self._seen_epoch = int(b.data[_BEPOCH, b.n - 1]) if b.n else 0
        self._seen = end - (self._seen_epoch - 1) if b.n else 0.0

    # ------------------------------------------------------------------ columns
    batch_x = _column_view("_batches", _BX, "(n,) x in epochs where each kept batch starts.")
    batch_step = _column_view("_batches", _BSTEP, "(n,) global step (1-based) of each batch row.")
    batch_epoch = _column_view("_batches", _BEPOCH, "(n,) epoch (1-based) of each batch row.")
    batch_index = _column_view("_batches", _BBATCH, "(n,) batch number within its epoch (1-based).")
    batch_cost = _column_view("_batches", _BCOST, "(n,) cost of each batch row.")
    batch_delta_norms = _layers_view("_batches", _B_FIXED, "(n_layers, n) ‖δˡ‖ of each batch row, first "
                                     "hidden layer first.")
    epoch_number = _column_view("_epochs", _EEPOCH, "(k,) epoch number (= x) of each epoch row; 0 = initial.")
    train_cost = _column_view("_epochs", _ETRAIN, "(k,) cost on the training set after each epoch.")
    train_accuracy = _column_view("_epochs", _ETRAIN_ACC, "(k,) training accuracy in [0, 1] (NaN: regression).")
    val_cost = _column_view("_epochs", _EVAL, "(k,) validation cost (NaN without a validation set).")
    val_accuracy = _column_view("_epochs", _EVAL_ACC, "(k,) validation accuracy in [0, 1] (NaN if not measured).")
    seconds = _column_view("_epochs", _ESECONDS, "(k,) seconds spent training in each epoch.")
    samples_per_second = _column_view("_epochs", _ESPS, "(k,) training throughput of each epoch.")
    epoch_delta_norms = _layers_view("_epochs", _E_FIXED, "(n_layers, k) ‖δˡ‖ of the epoch-mean bias "
                                     "gradient of each epoch row.")
    weight_norms = _layers_view("_epochs", _E_FIXED, "(n_layers, k) ‖Wˡ‖ after each epoch.", second=True)

    def batch_watched(self):
        """(len(watch_labels), m) ∂C/∂w of the followed weights; column r belongs to batch row r,
        m <= n (shorter when the latest batches carried no values); (0, 0) when nothing is watched."""
        if not self._labels:
            return _ro(np.empty((0, 0)))
        return _ro(self._watched.data[:, :self._watched.n])

    def log10_batch_delta_norms(self):
        """(n_layers, n) log10 of ``batch_delta_norms()`` (NaN where not positive), cached."""
        return self._batch_log.get(self._batches, _B_FIXED, self._L)

    def log10_epoch_delta_norms(self):
        """(n_layers, k) log10 of ``epoch_delta_norms()`` (NaN where not positive), cached."""
        return self._epoch_log.get(self._epochs, _E_FIXED, self._L)

    # ------------------------------------------------------------------ files
    def to_json(self, resolution: str | None = None) -> dict:
        """Everything recorded as the "workbench-plots" v1 dict (NaN stored as null); ``resolution``
        ("batch"/"epoch", the view's) is stored when given."""
        b, e, w, L = self._batches, self._epochs, self._watched, self._L
        watching = bool(self._labels)
        d = {"format": HISTORY_FORMAT, "version": HISTORY_VERSION, "n_layers": L,
             "classification": self._classification}
        if resolution is not None:
            d["resolution"] = resolution
        ints = lambda j: [int(v) for v in b.data[j, :b.n].tolist()]  # noqa: E731
        d.update({
            "watch_labels": list(self._labels),
            "watch": [list(k) for k in self._watch] if watching else [],
            "batches": {
                "x": _json_list(b.data[_BX, :b.n]), "step": ints(_BSTEP), "epoch": ints(_BEPOCH),
                "batch": ints(_BBATCH), "cost": _json_list(b.data[_BCOST, :b.n]),
                "delta_norms": [_json_list(b.data[_B_FIXED + l, :b.n]) for l in range(L)],
                "watched": [_json_list(w.data[k, :w.n]) for k in range(w.width)] if watching else [],
            },
            "epochs": {
                "epoch": [int(v) for v in e.data[_EEPOCH, :e.n].tolist()],
                **{key: _json_list(e.data[1 + j, :e.n]) for j, key in enumerate(_EPOCH_KEYS)},
                "delta_norms": [_json_list(e.data[_E_FIXED + l, :e.n]) for l in range(L)],
                "weight_norms": [_json_list(e.data[_E_FIXED + L + l, :e.n]) for l in range(L)],
            },
            "markers": [{"x": x, "text": t} for x, t in self._markers],
            "last_x": self._last_x,
        })
        return d

    @classmethod
    def from_json(cls, d) -> "RunHistory":
        """A history from what ``to_json`` (or ``TrainingPlots.history()``) returned.

        Raises HistoryError, naming the first problem, for anything malformed."""
        history = cls()
        history.load_json(d)
        return history

    def load_json(self, d) -> None:
        """Replace the contents by the history dict ``d``; on HistoryError nothing changes."""
        try:
            fresh = _parse(d)
        except HistoryError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
            raise HistoryError(f"The plot history is incomplete or damaged ({exc}).") from None
        serial = self._serial
        self.__dict__.update(fresh.__dict__)
        self._serial, self._generation = serial + 1, next(_GENERATIONS)

    def csv_header(self) -> list[str]:
        names = [n.replace(" ", "_") for n in layer_names(self._L)]
        return (["record", "position", "epoch", "batch", "step", "batch_cost", "train_cost", "train_accuracy",
                 "val_cost", "val_accuracy"] + [f"delta_norm_{n}" for n in names]
                + [f"weight_norm_{n}" for n in names] + ["seconds", "samples_per_second"]
                + [f"dC_dw_{k + 1}" for k in range(len(self._labels))] + ["note"])

    def write_csv(self, path) -> None:
        """Write the whole history as one CSV table (atomically), one row per record in x order;
        ``record`` is "batch", "epoch" or "marker", ``position`` the x in epochs, and a cell is
        empty where its column does not apply (e.g. accuracy for a batch). A marker's note that a
        spreadsheet would take for a formula is written with a leading "'" (``spreadsheet_text``)."""
        from .safefiles import spreadsheet_text

        header = self.csv_header()
        col = {name: i for i, name in enumerate(header)}
        L, b, e, w = self._L, self._batches, self._epochs, self._watched
        norms = col["delta_norm_" + layer_names(L)[0].replace(" ", "_")]
        rows = []

        def cell(v):
            return "" if v is None or not math.isfinite(v) else repr(float(v))

        for i in range(b.n):
            row, d = [""] * len(header), b.data[:, i]
            row[0], row[col["position"]], row[col["batch_cost"]] = "batch", cell(d[_BX]), cell(d[_BCOST])
            for name, j in (("epoch", _BEPOCH), ("batch", _BBATCH), ("step", _BSTEP)):
                row[col[name]] = str(int(d[j]))
            row[norms:norms + L] = [cell(v) for v in d[_B_FIXED:_B_FIXED + L]]
            if self._labels and i < w.n:
                for k in range(len(self._labels)):
                    row[col[f"dC_dw_{k + 1}"]] = cell(w.data[k, i])
            rows.append((d[_BX], 2, row))
        for i in range(e.n):
            row, d = [""] * len(header), e.data[:, i]
            row[0], row[col["position"]], row[col["epoch"]] = "epoch", cell(d[_EEPOCH]), str(int(d[_EEPOCH]))
            for j, name in enumerate(_EPOCH_KEYS):
                row[col[name]] = cell(d[1 + j])
            row[norms:norms + 2 * L] = [cell(v) for v in d[_E_FIXED:_E_FIXED + 2 * L]]
            rows.append((d[_EEPOCH], 0, row))
        for x, text in self._markers:
            row = [""] * len(header)
            row[0], row[col["position"]], row[col["note"]] = "marker", cell(x), spreadsheet_text(text)
            rows.append((x, 1, row))
        rows.sort(key=lambda r: (r[0], r[1]))

        def write(f):
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(r[2] for r in rows)
        atomic_write(path, write, mode="w")


# ---------------------------------------------------------------------- reading a history dict
def _damaged(what: str) -> HistoryError:
    return HistoryError(f"The plot history is incomplete or damaged: {what}.")


def _weight_shown(w) -> str:
    """A followed weight as a message repeats it: [0, 5, 2] when it has three entries, or what it is."""
    return "[" + ", ".join(map(shown, w)) + "]" if isinstance(w, list) and len(w) == 3 else shown(w)


def _field(d: dict, key: str, kind, where: str, default=...):
    if key not in d:
        if default is not ...:
            return default
        raise _damaged(f"{where} has no '{key}'")
    value = d[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        wanted = {int: "a whole number", list: "a list", dict: "an object", bool: "true or false"}.get(kind, "a number")
        raise _damaged(f"'{key}' in {where} is {shown(value)}, not {wanted}")
    return value


def _column(v, where: str, whole: bool = False) -> list:
    """A checked list of numbers (None allowed unless ``whole``: then integers of at most 2**53)."""
    if not isinstance(v, list):
        raise _damaged(f"{where} is not a list")
    if len(v) > MAX_POINTS:
        raise HistoryError(f"The plot history has {len(v):,} values in {where}; Workbench keeps at most "
                           f"{MAX_POINTS:,} per curve.")
    for x in v:
        if whole:
            ok = is_finite_number(x) and float(x).is_integer() and abs(x) <= 2**53
        else:
            ok = x is None or isinstance(x, float) or is_finite_number(x)     # NaN and inf floats are gaps
        if not ok:
            raise _damaged(f"{where} holds {shown(x)}, not {'a whole number' if whole else 'a number'}")
    return v


def _columns(v, count: int | None, where: str) -> list:
    if not isinstance(v, list):
        raise _damaged(f"{where} is not a list")
    if count is not None and len(v) != count:
        raise HistoryError(f"The plot history has the wrong number of layers: {where} has {len(v)} "
                           f"column{'s' * (len(v) != 1)} for a network of {count} weight layers.")
    return [_column(c, f"{where}[{k}]") for k, c in enumerate(v)]


def _same_length(columns: list, where: str) -> int:
    n = len(columns[0]) if columns else 0
    if any(len(c) != n for c in columns):
        raise HistoryError(f"The plot history has columns of different lengths in {where}.")
    return n


def _parse(d) -> RunHistory:
    if not isinstance(d, dict) or d.get("format") != HISTORY_FORMAT:
        raise HistoryError("This is not a Workbench plot history (format 'workbench-plots' expected).")
    version = _field(d, "version", int, "the history", 0)
    if version > HISTORY_VERSION:
        raise HistoryError(f"The plot history has version {version}; this Workbench reads "
                           f"version {HISTORY_VERSION} or older.")
    L = _field(d, "n_layers", int, "the history")
    if not 1 <= L <= MAX_WEIGHT_LAYERS:
        raise HistoryError(f"The plot history's n_layers is {shown(L)}; Workbench builds networks of 1 to "
                           f"{MAX_WEIGHT_LAYERS} weight layers.")
    h = RunHistory(L, _field(d, "classification", bool, "the history"))
    labels = _field(d, "watch_labels", list, "the history", [])
    if not all(isinstance(s, str) and len(s) <= MAX_LABEL_CHARS for s in labels):
        raise _damaged("watch_labels holds something other than short texts")
    watch = _field(d, "watch", list, "the history", [])
    if max(len(labels), len(watch)) > MAX_FOLLOWED:
        raise HistoryError(f"The plot history follows {max(len(labels), len(watch)):,} weights; at most "
                           f"{MAX_FOLLOWED} can be followed.")
    for w in watch:
        if not (isinstance(w, list) and len(w) == 3 and all(type(v) is int and 0 <= v <= MAX_UNITS for v in w)
                and w[0] < L):
            raise _damaged(f"the followed weight {_weight_shown(w)} is "
                           f"not [layer, i, j] of this network")
    bd, ed = _field(d, "batches", dict, "the history"), _field(d, "epochs", dict, "the history")
    b_cols = [_column(_field(bd, key, list, "batches"), f"batches.{key}", whole=key in ("step", "epoch", "batch"))
              for key in ("x", "step", "epoch", "batch", "cost")]
    b_cols += _columns(_field(bd, "delta_norms", list, "batches"), L, "batches.delta_norms")
    e_cols = [_column(_field(ed, "epoch", list, "epochs"), "epochs.epoch", whole=True)]
    e_cols += [_column(_field(ed, key, list, "epochs"), f"epochs.{key}") for key in _EPOCH_KEYS]
    for key in ("train_accuracy", "val_accuracy"):
        for x in e_cols[1 + _EPOCH_KEYS.index(key)]:
            if x is not None and not (isinstance(x, float) and math.isnan(x)) and not 0 <= x <= 1:
                raise _damaged(f"epochs.{key} holds {shown(x)}, not a fraction from 0 to 1")
    e_cols += _columns(_field(ed, "delta_norms", list, "epochs"), L, "epochs.delta_norms")
    e_cols += _columns(_field(ed, "weight_norms", list, "epochs"), L, "epochs.weight_norms")
    n = _same_length(b_cols, "batches")
    _same_length(e_cols, "epochs")
    watched = _columns(_field(bd, "watched", list, "batches", []), None, "batches.watched")
    if len(watched) != len(labels) or (watch and len(watch) != len(labels)):
        raise HistoryError("The plot history names a different number of followed weights than it has curves for.")
    if _same_length(watched, "batches.watched") > n:
        raise _damaged("it has more followed-weight values than batches")
    markers = _field(d, "markers", list, "the history", [])
    h.load_note = None
    first = max(0, len(markers) - MAX_MARKERS)       # only the latest are kept, and checked
    if first:
        h.load_note = (f"The plot history holds {len(markers):,} markers; only the latest {MAX_MARKERS:,} "
                       f"are kept.")
    markers = markers[first:]
    for k, m in enumerate(markers, start=first + 1):
        if not (isinstance(m, dict) and is_finite_number(m.get("x")) and isinstance(m.get("text"), str)):
            raise _damaged(f"marker {k} is not {{'x': a finite number, 'text': a text}}")
        if len(m["text"]) > MAX_LABEL_CHARS:
            raise _damaged(f"marker {k} has a text of {len(m['text']):,} characters (at most {MAX_LABEL_CHARS:,})")
    last_x = d.get("last_x")
    if last_x is not None and not (isinstance(last_x, float) or is_finite_number(last_x)):
        raise _damaged(f"last_x is {shown(last_x)}, not a number")

    h._batches.load(b_cols)
    h._epochs.load(e_cols)
    if labels:
        h._watch, h._declared, h._labels = _triples(watch), bool(watch), list(labels)
        h._watched = _Table(len(labels))
        h._watched.load(watched)
    h._markers = [(float(m["x"]), m["text"]) for m in markers]
    ends = [a[-1] for a in (h.batch_x(), h.epoch_number()) if len(a)]
    h._resume(float(last_x) if last_x is not None and math.isfinite(last_x) else float(max(ends, default=0.0)))
    h._steps = int(b_cols[1][-1]) if n else 0
    h._epoch_latest = int(e_cols[0][-1]) if e_cols[0] else 0
    return h
