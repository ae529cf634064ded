"""Mini-batch gradient descent as a generator of metrics records.

``train`` yields a :class:`BatchRecord` after every batch and an :class:`EpochRecord` after every epoch
(and one for epoch 0, on the initial weights). It starts no threads and prints nothing; the caller may
pause by not asking for the next record, stop by closing the generator, and change any field of the
:class:`Hyperparameters` between records.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .costs import target_error
from .errors import ConfigError
from .hyperparameters import is_finite_number, shown
from .network import Network, has_weight
from .optimizers import OPTIMIZERS, Optimizer


@dataclass
class Hyperparameters:
    """Everything that steers training; all fields may change between batches.

    batch_size: int ≥ 1 (1 = online), or "full" / 0 for the whole training set.
    layer_lr: None, or one learning-rate multiplier per weight layer (first hidden layer first).
    epochs: number of epochs to run, or None to run until stopped.
    Stop conditions (None = off), checked after each epoch summary of epoch 1 on (``stop_reason``):
    stop_accuracy: a percentage (0–100) the accuracy must reach (validation accuracy when a
    validation set is measured, else training accuracy); stop_cost: a training cost to reach or go
    below; patience: epochs without improvement of the validation accuracy (cost for regression;
    the training figures without a validation set) after which the run ends.
    """

    optimizer: str = "sgd"
    lr: float = 0.5
    momentum: float = 0.9
    batch_size: int | str = 10
    epochs: int | None = 30
    l2: float = 0.0
    layer_lr: list[float] | None = None
    stop_accuracy: float | None = None
    stop_cost: float | None = None
    patience: int | None = None

    def validate(self, n_layers: int | None = None) -> None:
        """Raise ConfigError naming the first field that cannot be used."""
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")
        if not _finite_number(self.lr) or self.lr <= 0:
            raise ConfigError(f"The learning rate must be a positive number, not {_shown(self.lr)}.")
        if not _finite_number(self.momentum) or not 0 <= self.momentum < 1:
            raise ConfigError(f"Momentum must be at least 0 and below 1, not {_shown(self.momentum)}.")
        if not _finite_number(self.l2) or self.l2 < 0:
            raise ConfigError(f"The L2 strength λ must be 0 or more, not {_shown(self.l2)}.")
        if self.batch_size != "full" and (
            not isinstance(self.batch_size, (int, np.integer)) or isinstance(self.batch_size, bool)
            or self.batch_size < 0
        ):
            raise ConfigError(f"The batch size must be a whole number ≥ 1 or 'full', not {_shown(self.batch_size)}.")
        if self.epochs is not None and (not isinstance(self.epochs, (int, np.integer)) or self.epochs < 0):
            raise ConfigError(f"Epochs must be a whole number ≥ 0, not {_shown(self.epochs)}.")
        if self.layer_lr is not None:
            if n_layers is not None and len(self.layer_lr) != n_layers:
                raise ConfigError(
                    f"Give one learning-rate multiplier per layer: {n_layers} expected, got {len(self.layer_lr)}."
                )
            for m in self.layer_lr:
                if not _finite_number(m) or m < 0:
                    raise ConfigError(f"Layer learning-rate multipliers must be 0 or more, not {_shown(m)}.")
        if self.stop_accuracy is not None and (not _finite_number(self.stop_accuracy)
                                               or not 0 < self.stop_accuracy <= 100):
            raise ConfigError(f"The target accuracy must be a percentage above 0 and at most 100, not "
                              f"{_shown(self.stop_accuracy)}.")
        if self.stop_cost is not None and (not _finite_number(self.stop_cost) or self.stop_cost < 0):
            raise ConfigError(f"The target cost must be a number ≥ 0, not {_shown(self.stop_cost)}.")
        if self.patience is not None and (not isinstance(self.patience, (int, np.integer))
                                          or isinstance(self.patience, bool) or self.patience < 1):
            raise ConfigError(f"The patience must be a whole number of epochs ≥ 1, not {_shown(self.patience)}.")

    def effective_batch_size(self, n: int) -> int:
        if self.batch_size in ("full", 0):
            return n
        return min(int(self.batch_size), n)

    def as_dict(self) -> dict:
        return asdict(self)


def _shown(value) -> str:
    return shown(value.item() if isinstance(value, np.generic) else value)


def _finite_number(x) -> bool:
    """A finite int or float, numpy scalars too (not a bool; an int beyond a float's range is not)."""
    return is_finite_number(x.item() if isinstance(x, (np.integer, np.floating)) else x)


@dataclass(slots=True)
class BatchRecord:
    """Metrics of one mini-batch, measured on the weights before its update."""

    epoch: int
    batch: int
    batches_in_epoch: int
    step: int
    samples_seen: int
    n_train: int
    cost: float
    delta_norms: list[float]
    bias_gradients: list[np.ndarray]
    weight_norms: list[float]
    watched: list[float] = field(default_factory=list)


@dataclass(slots=True)
class BatchChunk:
    """The figures of k consecutive batches, as arrays (what ``train(..., chunked=True)`` yields).

    epoch, batch, batches_in_epoch, step, samples_seen: (k,) int64, as in BatchRecord; cost: (k,);
    delta_norms and weight_norms: (k, L); watched: (k, W) for the W weights followed during the
    chunk; bias_gradients: ∂C/∂bˡ of the chunk's last batch, one (sizes[l+1],) array per layer;
    engine: the engine that trained it.
    A chunk may span epochs only where no EpochRecord falls between them (``evaluate_every``).
    """

    epoch: np.ndarray
    batch: np.ndarray
    batches_in_epoch: np.ndarray
    step: np.ndarray
    samples_seen: np.ndarray
    n_train: int
    cost: np.ndarray
    delta_norms: np.ndarray
    weight_norms: np.ndarray
    watched: np.ndarray
    bias_gradients: list | None
    engine: str = "numpy"           # which engine trained the chunk: "numpy" or "compiled"

    def __len__(self) -> int:
        return len(self.step)

    def record(self, i: int) -> BatchRecord:
        """Batch ``i`` of the chunk (negative counts from the end) as a BatchRecord; only the last
        batch carries its ∂C/∂b (the others get None)."""
        i = range(len(self))[i]
        return BatchRecord(
            epoch=int(self.epoch[i]), batch=int(self.batch[i]), batches_in_epoch=int(self.batches_in_epoch[i]),
            step=int(self.step[i]), samples_seen=int(self.samples_seen[i]), n_train=self.n_train,
            cost=float(self.cost[i]), delta_norms=self.delta_norms[i].tolist(),
            bias_gradients=self.bias_gradients if i == len(self) - 1 else None,
            weight_norms=self.weight_norms[i].tolist(), watched=self.watched[i].tolist())

    def records(self) -> list[BatchRecord]:
        return [self.record(i) for i in range(len(self))]

    def fits(self, other: "BatchChunk") -> bool:
        """Whether ``other`` can be joined after this chunk (the same layers, followed weights, set)."""
        return (other.n_train == self.n_train and other.delta_norms.shape[1] == self.delta_norms.shape[1]
                and other.watched.shape[1] == self.watched.shape[1])

    @staticmethod
    def join(chunks: list["BatchChunk"]) -> "BatchChunk":
        """Consecutive chunks that fit each other as one; ∂C/∂b and engine are the last one's."""
        if len(chunks) == 1:
            return chunks[0]
        last = chunks[-1]
        arrays = {name: np.concatenate([getattr(c, name) for c in chunks]) for name in _CHUNK_ARRAYS}
        return BatchChunk(n_train=last.n_train, bias_gradients=last.bias_gradients, engine=last.engine, **arrays)

    def last(self) -> BatchRecord:
        return self.record(-1)


_CHUNK_ARRAYS = tuple(name for name in BatchChunk.__dataclass_fields__
                      if name not in ("n_train", "bias_gradients", "engine"))

#: What stopped being finite, by the compiled kernel's failure codes (the numpy engine says the same).
FAILURES = {1: "the cost became NaN or infinite", 2: "the gradients became NaN or infinite",
            3: "the weights grew without bound"}


@dataclass
class Pace:
    """How many batches one call of the engine trains before the generator yields (chunked runs).

    Chunks grow or shrink so that each takes about ``seconds``: pause, stop and changed
    hyperparameters then act within a few milliseconds. ``limit`` caps every chunk (1 while
    stepping one batch at a time); ``once`` caps only the next one and is then cleared.
    """

    seconds: float = 0.003
    limit: int | None = None
    once: int | None = None


class WatchedMean:
    """The mean of the followed weights' gradients ∂C/∂W[l][i, j] over the batches of the latest epoch
    seen, from the (k, W) ``watched`` arrays of BatchChunks (the CLI's log and TensorBoard report it)."""

    def __init__(self):
        self.epoch, self.sum, self.count = None, None, 0

    def add(self, chunk: BatchChunk) -> None:
        """Take a chunk's (k, W) watched gradients; its epochs ascend, so the latest is a suffix."""
        last = chunk.epoch[-1]
        start = int(np.searchsorted(chunk.epoch, last))
        rows = chunk.watched[start:]
        if start or last != self.epoch or self.sum.shape != rows.shape[1:]:   # a new epoch, or other weights
            self.epoch, self.sum, self.count = last, rows.sum(axis=0), len(rows)
        else:
            self.sum = self.sum + rows.sum(axis=0)
            self.count += len(rows)

    def values(self) -> list[float]:
        """The means, one per followed weight ([] before any batch)."""
        return [float(v / self.count) for v in self.sum] if self.count else []

    def labelled(self, watch) -> dict | None:
        """{"W<l>[<i>,<j>]": mean} for the (layer, i, j) weights of ``watch``, or None before any batch."""
        if not self.count:
            return None
        return {f"W{l}[{i},{j}]": v for (l, i, j), v in zip(watch, self.values())}


@dataclass(slots=True)
class EpochRecord:
    """Summary of one epoch; epoch 0 describes the initial weights.

    bias_gradients: ∂C/∂bˡ per weight layer, one (sizes[l+1],) float64 array each, whose lengths are
    ``delta_norms``: the mean over the epoch's batches (the whole training set's gradient for epoch 0);
    None where the producer did not keep it. Not part of ``as_dict`` or comparisons.
    """

    epoch: int
    train_cost: float
    train_accuracy: float | None
    val_cost: float | None
    val_accuracy: float | None
    delta_norms: list[float]
    weight_norms: list[float]
    seconds: float
    samples_per_second: float
    bias_gradients: list | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict:
        """The fields as plain JSON values: NaN and infinities, also inside the lists, become None
        (no deep copy: the CLI writes one a summary, tens of thousands a second on tiny epochs)."""
        entry = {}
        for key in _EPOCH_FIELDS:
            value = getattr(self, key)
            if isinstance(value, float):
                value = value if math.isfinite(value) else None
            elif isinstance(value, list):
                value = [float(v) if math.isfinite(v) else None for v in value]
            entry[key] = value
        return entry


_EPOCH_FIELDS = tuple(name for name in EpochRecord.__dataclass_fields__ if name != "bias_gradients")


@dataclass
class Stopped:
    """The last record of a run that met one of its stop conditions (after that epoch's summary).

    epoch: the epoch of the run (from 1) whose summary met it; reason: "accuracy", "cost" or
    "patience"; text: what happened, e.g. "accuracy 97.1 % reached the target 97 %"."""

    epoch: int
    reason: str
    text: str

    def message(self, epoch_offset: int = 0) -> str:
        """One sentence for the status bar, the epoch counted after ``epoch_offset`` earlier ones."""
        return f"Stopped at epoch {self.epoch + epoch_offset}: {self.text}."


class _StopWatch:
    """The stop conditions of ``hp`` over a run's epoch summaries (re-read at each summary)."""

    def __init__(self):
        self.best = None          # (value, epoch) of the figure patience watches
        self.watched = None

    @staticmethod
    def _patience_figure(rec) -> tuple[str, float | None, bool]:
        """(name, value, higher is better) of the figure patience watches for this summary."""
        if rec.val_cost is not None:
            if rec.val_accuracy is not None:
                return "validation accuracy", rec.val_accuracy, True
            return "validation cost", rec.val_cost, False
        if rec.train_accuracy is not None:
            return "training accuracy", rec.train_accuracy, True
        return "training cost", rec.train_cost, False

    def check(self, hp, rec) -> Stopped | None:
        name, value, higher = self._patience_figure(rec)
        if hp.patience is None:
            self.best = None
        elif value is not None and math.isfinite(value):
            if name != self.watched:
                self.watched, self.best = name, None
            if self.best is None or (value > self.best[0] if higher else value < self.best[0]):
                self.best = (value, rec.epoch)
        if rec.epoch < 1:
            return None
        accuracy, which = ((rec.val_accuracy, "validation accuracy") if rec.val_accuracy is not None
                           else (rec.train_accuracy, "accuracy"))
        if hp.stop_accuracy is not None and accuracy is not None and math.isfinite(accuracy) \
                and accuracy >= hp.stop_accuracy / 100 * (1 - 1e-12):   # 570/1000 meets 57 %
            return Stopped(rec.epoch, "accuracy", f"{which} {accuracy * 100:.1f} % reached the target "
                                                  f"{hp.stop_accuracy:g} %")
        if hp.stop_cost is not None and math.isfinite(rec.train_cost) and rec.train_cost <= hp.stop_cost:
            return Stopped(rec.epoch, "cost", f"the cost {rec.train_cost:.4g} reached the target {hp.stop_cost:g}")
        if hp.patience is not None and self.best is not None and rec.epoch - self.best[1] >= hp.patience:
            shown_best = (f"{self.best[0] * 100:.1f} %" if "accuracy" in self.watched else f"{self.best[0]:.4g}")
            return Stopped(rec.epoch, "patience", f"the {self.watched} has not improved for {hp.patience} "
                                                  f"epoch{'s' * (hp.patience != 1)} (best {shown_best} at "
                                                  f"epoch {self.best[1]})")
        return None


@dataclass
class Diverged:
    """The last record of a run whose cost or weights stopped being finite."""

    epoch: int
    batch: int
    message: str


def _norm(a: np.ndarray) -> float:
    """Euclidean length of a contiguous array of any shape (inf if its squares overflow)."""
    return math.sqrt(np.vdot(a, a))


def _check_data(net: Network, X, Y, what: str):
    X = np.asarray(X)
    Y = np.asarray(Y)
    if X.ndim != 2 or X.shape[1] != net.sizes[0]:
        raise ConfigError(f"The {what} inputs have shape {X.shape}, but the network takes {net.sizes[0]} inputs.")
    if Y.ndim != 2 or Y.shape[1] != net.sizes[-1]:
        raise ConfigError(f"The {what} targets have shape {Y.shape}, but the network has {net.sizes[-1]} outputs.")
    if len(X) != len(Y):
        raise ConfigError(f"The {what} set has {len(X)} inputs but {len(Y)} targets.")
    if len(X) == 0:
        raise ConfigError(f"The {what} set is empty.")
    problem = target_error(net.cost, float(Y.min()), float(Y.max()), f"the {what} targets")
    if problem:
        raise ConfigError(problem)
    # C order: the compiled kernel reads rows of X and Y (a no-op for arrays already in it).
    return (np.ascontiguousarray(X, dtype=net.dtype), np.ascontiguousarray(Y, dtype=net.dtype))


def full_bias_gradient(net: Network, X, Y, chunk: int = 10_000) -> list[np.ndarray]:
    """∂C/∂bˡ averaged over the whole of (X, Y), computed in chunks to bound memory."""
    total = [np.zeros(b.shape, dtype=np.float64) for b in net.biases]
    for start in range(0, len(X), chunk):
        xb, yb = X[start:start + chunk], Y[start:start + chunk]
        _, _, gb, _ = net.backprop(xb, yb)
        for acc, g in zip(total, gb):
            acc += g * len(xb)
    return [acc / len(X) for acc in total]


def train(net: Network, X, Y, hp: Hyperparameters, rng: np.random.Generator | None = None, *,
          validation=None, classification: bool = True, watch=(), evaluate_initial: bool = True,
          chunked: bool = False, evaluate_every: int = 1, pace: Pace | None = None, engine: str | None = None):
    """Train ``net`` in place on (X, Y), yielding records.

    X: (n, n_in), Y: (n, n_out); validation: optional (Xv, Yv). ``watch`` lists (layer, i, j) weights
    whose gradient ∂C/∂W[layer][i, j] is reported for every batch; when it is a list, the caller
    may change its contents between yields (like ``hp``) to follow other weights from the next batch
    on. The generator ends after ``hp.epochs`` epochs (re-read each epoch), or with a Diverged record,
    leaving the last finite weights in ``net``, or with a Stopped record after the summary of the
    epoch that met a stop condition of ``hp`` (``stop_accuracy``, ``stop_cost``, ``patience``).

    Every batch yields a BatchRecord, or with ``chunked`` the batches trained in one call of the
    engine come as one BatchChunk (sized by ``pace``). An EpochRecord (cost and accuracy on the
    whole training and validation sets) follows every ``evaluate_every``-th epoch and the last.
    ``engine``: "numpy" (the reference), "compiled" (the numba kernel, compiled now if need be) or
    "auto" (compiled once it is ready, numpy until then); None reads $WORKBENCH_ENGINE (default auto).
    Both engines draw the same shuffles and give the same results to rounding.
    """
    rng = rng if rng is not None else np.random.default_rng()
    hp.validate(net.n_layers)
    if not isinstance(evaluate_every, (int, np.integer)) or isinstance(evaluate_every, bool) or evaluate_every < 1:
        raise ConfigError(f"Epoch summaries come every 1 or more epochs, not {evaluate_every!r}.")
    from .engines import choose_engine

    engine = choose_engine(engine, net.dtype)    # checked here: a generator's body runs only later
    X, Y = _check_data(net, X, Y, "training")
    if validation is not None:
        validation = _check_data(net, *validation, "validation")
    watch_list = watch if isinstance(watch, list) else list(watch)
    watch = _checked_watch(net, watch_list)
    return _train(net, X, Y, hp, rng, validation, classification, watch, watch_list, evaluate_initial,
                  chunked, int(evaluate_every), pace if pace is not None else Pace(), engine)


def _checked_watch(net: Network, watch) -> list[tuple[int, int, int]]:
    """``watch`` as (layer, i, j) integer triples; ConfigError for a weight the network lacks."""
    checked = []
    for w in watch:
        try:
            layer, i, j = (int(v) for v in w)
        except (TypeError, ValueError):
            raise ConfigError(f"Cannot watch {w!r}: a weight is named by (layer, i, j).") from None
        if not has_weight(net.sizes, (layer, i, j)):
            raise ConfigError(f"Cannot watch weight ({layer}, {i}, {j}): no such weight in {net.sizes}.")
        checked.append((layer, i, j))
    return checked


def _evaluate(net, X, Y, validation, classification, gradients, seconds, samples, epoch):
    """The EpochRecord of ``net`` now; ``gradients``: the epoch's ∂C/∂bˡ, one array per layer."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        summary = _measure(net, X, Y, validation, classification, [_norm(g) for g in gradients], seconds,
                           samples, epoch)
    summary.bias_gradients = gradients
    return summary


def _measure(net, X, Y, validation, classification, delta_norms, seconds, samples, epoch):
    train_cost, train_acc = net.evaluate(X, Y, classification)
    val_cost = val_acc = None
    if validation is not None:
        val_cost, val_acc = net.evaluate(*validation, classification)
    return EpochRecord(
        epoch=epoch, train_cost=train_cost, train_accuracy=train_acc, val_cost=val_cost,
        val_accuracy=val_acc, delta_norms=delta_norms, weight_norms=[_norm(w) for w in net.weights],
        seconds=seconds, samples_per_second=samples / seconds if seconds > 0 else 0.0,
    )


#: At most this many sample indices are drawn ahead (a chunk may span epochs up to an EpochRecord).
MAX_DRAWN = 1 << 16
#: The most batches one chunk holds.
MAX_CHUNK = 4096


def _train(net, X, Y, hp, rng, validation, classification, watch, watch_list, evaluate_initial,
           chunked, every, pace, engine_choice):
    from .engines import make_engine

    n = len(X)
    watch_seen = list(watch_list)
    engine = make_engine(engine_choice, net)
    stops = _StopWatch()
    if evaluate_initial:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            initial = full_bias_gradient(net, X, Y)
        summary = _evaluate(net, X, Y, validation, classification, initial, 0.0, 0, 0)
        yield summary
        stops.check(hp, summary)

    bounds = np.cumsum([0] + [b.size for b in net.biases])
    grad_sum = np.zeros(bounds[-1])             # Σ ∂C/∂b over the batches of the current epoch
    sums = [grad_sum[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    step = epoch = batch = 0        # batches trained; epochs completed; batches of the epoch under way
    order, stream, first_epoch = None, 0, 0
    busy, epochs_timed = 0.0, 0
    checked = None
    size_next = 1
    while True:
        if order is None:
            if hp.epochs is not None and epoch >= hp.epochs:
                return
            upto = (epoch // every + 1) * every
            if hp.epochs is not None:
                upto = min(upto, hp.epochs)
            drawn = max(1, min(upto - epoch, MAX_DRAWN // n))
            # One permuted row per epoch draws exactly what `drawn` calls of permutation(n) would.
            order = (rng.permutation(n) if drawn == 1
                     else rng.permuted(np.tile(np.arange(n), (drawn, 1)), axis=1).ravel())
            stream, first_epoch = 0, epoch
        started = time.perf_counter()
        settings = _settings(hp)
        if settings != checked:
            hp.validate(net.n_layers)
            checked = settings
        if watch_list != watch_seen:
            watch, watch_seen = _checked_watch(net, watch_list), list(watch_list)
        engine = engine.upgraded()
        size = hp.effective_batch_size(n)
        limit = size_next if chunked else 1
        if pace.limit is not None:
            limit = min(limit, max(1, int(pace.limit)))
        if pace.once is not None:
            limit, pace.once = min(limit, max(1, int(pace.once))), None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = engine.run(X, Y, order, stream, n, size, limit, hp, watch, grad_sum, sums)
        k = out.count
        if k:
            ends = stream + np.cumsum(out.sizes[:k])
            begins = ends - out.sizes[:k]
            within = begins // n                         # epochs after first_epoch + 1
            local = begins - within * n
            first_local = stream % n
            batch_no = np.where(within == stream // n, batch + 1 + (local - first_local) // size, local // size + 1)
            seen = ends - within * n
            chunk = BatchChunk(
                epoch=first_epoch + 1 + within, batch=batch_no, batches_in_epoch=batch_no + -(-(n - seen) // size),
                step=step + np.arange(1, k + 1), samples_seen=seen, n_train=n, cost=out.cost[:k],
                delta_norms=out.delta_norms[:k], weight_norms=out.weight_norms[:k], watched=out.watched[:k],
                bias_gradients=out.bias_gradients, engine=engine.name)
            step += k
            stream = int(ends[-1])
            batch = int(batch_no[-1]) if stream % n else 0
            last_batches = int(batch_no[-1])
        elapsed = time.perf_counter() - started
        busy += elapsed
        if chunked and not out.failure:
            size_next = max(1, min(MAX_CHUNK, 4 * limit, int(pace.seconds * limit / elapsed) if elapsed > 0 else 4 * limit))
        if k:
            if chunked:
                yield chunk
            else:
                yield chunk.record(0)
        if out.failure:
            yield _diverged(first_epoch + 1 + stream // n, batch + 1, hp, out.failure)
            return
        if stream == len(order):
            epoch = first_epoch + stream // n
            epochs_timed += stream // n
            order = None
            if epoch % every == 0 or (hp.epochs is not None and epoch >= hp.epochs):
                epoch_gradients = [s / last_batches for s in sums]
                summary = _evaluate(net, X, Y, validation, classification, epoch_gradients, busy / epochs_timed,
                                    n, epoch)
                yield summary
                busy, epochs_timed = 0.0, 0
                stopped = stops.check(hp, summary)
                if stopped is not None:
                    yield stopped
                    return


def _settings(hp: Hyperparameters) -> tuple:
    layer_lr = tuple(hp.layer_lr) if hp.layer_lr is not None else None
    return (hp.optimizer, hp.lr, hp.momentum, hp.batch_size, hp.epochs, hp.l2, layer_lr,
            hp.stop_accuracy, hp.stop_cost, hp.patience)


class _Workspace:
    """Per-run scratch: the optimizer state, one step buffer per weight matrix and a copy of each
    layer's parameters as they were before the batch (all reused every batch)."""

    def __init__(self, net):
        self.optimizer = Optimizer()
        self.buffers = [np.empty_like(w) for w in net.weights]
        self.saved_weights = [np.empty_like(w) for w in net.weights]
        self.saved_biases = [np.empty_like(b) for b in net.biases]
        self.mean_weights = {}

    def batch_mean(self, m: int, dtype) -> np.ndarray:
        """(m,) vector of 1/m: the batch mean of δ as one matrix-vector product."""
        vector = self.mean_weights.get(m)
        if vector is None:
            vector = self.mean_weights[m] = np.full(m, 1.0 / m, dtype=dtype)
        return vector


def _step(net, xb, yb, hp, work, n, watch):
    """Back-propagate the batch (xb, yb) and update ``net`` in place, layer by layer.

    This is ``Network.backprop`` followed by the optimizer, fused: each layer's δ is scaled by
    −η/m before the weight-gradient product, so the product yields the SGD step directly into a
    reused buffer (no gradient matrix is allocated, scaled or copied). Returns (cost, grad_b,
    delta_norms, watched, weight_norms), or a phrase saying what stopped being finite; in that case
    the parameters are exactly as they were before the batch (restored from copies: taking a
    step back is not exact, and not finite where the step was not).
    """
    m = len(xb)
    zs, acts = net.forward_cache(xb)
    output = net.activations[-1]
    cost = net._cost.value(zs[-1], acts[-1], yb, output)
    if not math.isfinite(cost):
        return FAILURES[1]
    delta = net._cost.delta(zs[-1], acts[-1], yb, output)
    dtype = net.dtype.type
    mean = work.batch_mean(m, net.dtype)
    multipliers = hp.layer_lr or (1.0,) * net.n_layers
    decay = hp.l2 / n
    kind, optimizer = hp.optimizer, work.optimizer
    n_layers = net.n_layers
    grad_b = [None] * n_layers
    delta_norms = [0.0] * n_layers
    watched = [0.0] * len(watch)
    applied = []
    for l in range(n_layers - 1, -1, -1):
        weights = net.weights[l]
        if watch:
            for k, (layer, i, j) in enumerate(watch):
                if layer == l:
                    watched[k] = float(np.dot(acts[l][:, i], delta[:, j])) / m
        grad_b[l] = mean @ delta
        delta_norms[l] = _norm(grad_b[l])
        if not math.isfinite(delta_norms[l]):  # NaN or inf in δ: apply nothing more, undo what was
            _restore(net, work, applied)
            return FAILURES[2]
        back = delta @ weights.T if l > 0 else None  # with the weights before this update
        eta = hp.lr * multipliers[l]
        step_w = work.buffers[l]
        # np.dot, not matmul: with one sample matmul leaves BLAS for a naive loop (5× slower).
        np.dot(acts[l].T, delta * dtype(-eta / m), out=step_w)
        if decay:
            step_w -= dtype(eta * decay) * weights
        step_w = optimizer.step(kind, (l, "W"), step_w, hp.momentum)
        step_b = optimizer.step(kind, (l, "b"), grad_b[l] * dtype(-eta), hp.momentum)
        np.copyto(work.saved_weights[l], weights)
        np.copyto(work.saved_biases[l], net.biases[l])
        weights += step_w
        net.biases[l] += step_b
        applied.append(l)
        if back is not None:
            delta = net._acts[l - 1].backward(zs[l - 1], acts[l], back)
    # A step may overflow (η·δ beyond the dtype's range) or make a weight so large that its square
    # does: the weights' norms and the biases are checked, and the batch is undone from the copies.
    weight_norms = [_norm(w) for w in net.weights]
    if not all(map(math.isfinite, weight_norms)) or not all(np.isfinite(b).all() for b in net.biases):
        _restore(net, work, applied)
        return FAILURES[3]
    return cost, grad_b, delta_norms, watched, weight_norms


def _restore(net, work, layers):
    """Put back the parameters of ``layers`` as they were before the batch."""
    for l in layers:
        np.copyto(net.weights[l], work.saved_weights[l])
        np.copyto(net.biases[l], work.saved_biases[l])


def _diverged(epoch, batch, hp, what):
    hint = (f"The learning rate ({hp.lr:g}) is probably too high; try a smaller one"
            + (" or less momentum" if hp.optimizer != "sgd" else "") + ".")
    return Diverged(epoch, batch,
                    f"Training diverged at epoch {epoch}, batch {batch}: {what}. {hint} "
                    "The last finite weights were kept.")
