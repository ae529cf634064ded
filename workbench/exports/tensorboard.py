"""TensorBoard logs of a training run, written with tensorboardX (no TensorFlow or PyTorch needed).

``open_log(root, settings)`` makes the run's own folder under ``root`` (``tensorboard --logdir root``
then shows every run side by side) and ``TensorBoardLog.follow(records, net)`` passes the training
generator's records through unchanged while it writes them:

- scalars per epoch summary (x = epochs trained): ``cost/train``, ``cost/validation``,
  ``accuracy/train``, ``accuracy/validation`` (fractions 0–1), ``learning_speed/<layer>`` (‖δˡ‖, the
  length of the epoch's mean ∂C/∂bˡ), ``weight_norm/<layer>`` and ``followed_gradient/W<l>_<i>_<j>``
  (the mean of the followed weight W[l][i, j]'s gradient over the epoch's batches);
- scalars per batch (x = batches trained): ``batch/cost`` and ``batch/learning_speed/<layer>``;
- histograms per epoch summary: ``weights/<layer>``, ``biases/<layer>`` and ``bias_gradient/<layer>``;
- the run's settings as hparams (TensorBoard's HParams tab), its metrics the epoch scalars above.

Long runs are thinned (``strides``, ``BATCH_POINTS``): at most about 500 epoch points and 100
histograms a run, and 100 batch points an epoch and 2,000 a run, per tag; TensorBoard itself shows
1,000 points of a scalar. Layers are named as the window's legends name them, with "_" for the space
TensorBoard does not take in a tag ("hidden_1", …, "output"). Epochs and batches count on from those
trained before the run (``epoch_off``, ``step_off``), so a run that continues another draws on from
where it left off.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np

from workbench.core.names import layer_names
from workbench.core.training import BatchChunk, BatchRecord, Diverged, EpochRecord, WatchedMean

from . import ExportError, MissingPackage

__all__ = ["BATCH_POINTS", "BATCH_POINTS_PER_EPOCH", "EPOCH_POINTS", "HISTOGRAM_POINTS", "TensorBoardLog", "open_log",
           "root_problem", "run_folder_name", "strides", "tensorboard_available"]

#: Batch scalars kept per epoch and tag (every k-th batch, k = ⌈batches per epoch / this⌉), and per run.
BATCH_POINTS_PER_EPOCH = 100
BATCH_POINTS = 2000
#: Epoch summaries a run logs at most, per tag: scalars, and histograms (a histogram costs about
#: 0.3 ms to write, a scalar 40 µs: on a 4-pattern epoch, logging every one took 5 times the training).
EPOCH_POINTS = 500
HISTOGRAM_POINTS = 100
#: Buckets per histogram (TensorBoard re-bins for display; TensorFlow's 1,500 fixed ones made the
#: event files ten times larger).
HISTOGRAM_BINS = 64
MISSING = "TensorBoard logs need the tensorboardX package: pip install 'workbench[tensorboard]'"


def strides(epochs: int | None) -> tuple[int, int]:
    """(scalar_every, histogram_every): a run of ``epochs`` epochs logs the summaries of every N-th
    epoch (and its first and last), N the smallest of 1, 2, 5, 10, 20, 50, … that keeps it within
    ``EPOCH_POINTS`` scalar and ``HISTOGRAM_POINTS`` histogram points; (1, 1) for an open-ended run."""
    def smallest(most: int) -> int:
        for n in (m * 10 ** k for k in range(19) for m in (1, 2, 5)):
            if -(-epochs // n) <= most:
                return n
        return n

    return (smallest(EPOCH_POINTS), smallest(HISTOGRAM_POINTS)) if epochs else (1, 1)


def tensorboard_available() -> str | None:
    """None where tensorboardX imports, else the one line that says what to install."""
    try:
        import tensorboardX  # noqa: F401
    except ImportError:
        return MISSING
    return None


def run_folder_name(label: str, now: float | None = None) -> str:
    """"20261201-154500-xor": the time, then ``label`` reduced to letters, digits, '.', '_' and '-'."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    label = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.")[:60]
    return f"{stamp}-{label}" if label else stamp


def root_problem(root) -> str | None:
    """Why no run folder can be made under ``root`` (one sentence), or None: what ``open_log`` would
    refuse beside a missing tensorboardX (``tensorboard_available``), checked before a run loads its data."""
    root = Path(root).expanduser()
    where = f"Cannot write TensorBoard logs into {root}:"
    existing = root if root.exists() else root.parent      # the folder is made, its parent must exist
    if not existing.exists():
        return f"{where} the folder {existing} does not exist."
    if not existing.is_dir():
        return (f"{where} it is a file, not a folder." if existing == root
                else f"{where} {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{where} {existing} is read-only."
    return None


def open_log(root, settings: dict, label: str = "run", *, classification: bool = True,
             folder_name: str | None = None) -> "TensorBoardLog":
    """A log in a new folder ``root/<time>-<label>`` (``-2``, ``-3``… if taken), or ``root/folder_name``.

    ``settings``: the run's settings as ``workbench.core.runs.run_settings`` makes them
    (architecture, hyperparameters, data); ``classification``: whether accuracies are measured.
    Raises MissingPackage without tensorboardX and
    ExportError (one sentence) where the folder cannot be made or written.
    """
    missing = tensorboard_available()
    if missing:
        raise MissingPackage(missing)
    problem = root_problem(root)
    if problem:
        raise ExportError(problem)
    root = Path(root).expanduser()
    base = folder_name or run_folder_name(label)
    try:
        root.mkdir(exist_ok=True)
        for n in range(1, 1000):
            folder = root / (base if n == 1 else f"{base}-{n}")
            try:
                folder.mkdir()
                break
            except FileExistsError:
                if folder_name is not None and folder.is_dir() and not any(folder.iterdir()):
                    break                       # an empty folder asked for by name is fine
        else:
            raise ExportError(f"Cannot make a new TensorBoard run folder in {root}: 999 named {base} exist.")
    except OSError as exc:
        raise ExportError(f"Cannot write TensorBoard logs into {root}: {exc.strerror or exc}.") from None
    return TensorBoardLog(folder, settings, classification)


def hparams_of(settings: dict) -> dict:
    """The hparams TensorBoard shows for a run: the runs table's settings (``setting_items``: data,
    layers, activations, cost and each training setting), numbers kept as numbers so that TensorBoard
    can plot them, the rest (lists, "off") as the table writes them."""
    from workbench.core.runs import setting_items

    values = setting_items(settings)
    for key, value in (settings.get("hyperparameters") or {}).items():
        if key in values and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            values[key] = value
    return values


class TensorBoardLog:
    """One run's event file in ``folder`` (made by ``open_log``)."""

    def __init__(self, folder: Path, settings: dict, classification: bool = True):
        from tensorboardX import SummaryWriter

        self.folder = Path(folder)
        self.settings = settings
        self.classification = classification
        self._writer = SummaryWriter(logdir=str(self.folder), flush_secs=5)
        self._hparams_started = False
        self._ended = False

    # -- the records ------------------------------------------------------------------------------
    def follow(self, records, net, hp, *, epoch_off: int = 0, step_off: int = 0, watch=()):
        """Yield every record of ``records`` (a ``train`` generator) unchanged, logging each first.

        ``net``: the network being trained (its weights are read at each epoch summary); ``hp``: its
        Hyperparameters, whose ``epochs`` (re-read at every record: the window may change them)
        thin a long run's points (``strides``); ``watch``: the (layer, i, j) weights followed (a
        list the caller may change between records). The log is closed when the generator ends or
        is closed; its hparams session ends as a success, a failure (Diverged) or, closed early, unknown.
        """
        names = [name.replace(" ", "_") for name in layer_names(net.n_layers)]
        self._start_hparams()
        means = WatchedMean()
        labels: list[str] = []
        last_scalars = last_histograms = -1             # the run's epochs logged last
        status = "STATUS_UNKNOWN"
        try:
            for record in records:
                kind = type(record)
                if kind is BatchChunk or kind is BatchRecord:
                    now = [f"W{l}_{i}_{j}" for l, i, j in watch]
                    if now != labels:                   # other weights followed: their means start afresh
                        labels, means = now, WatchedMean()
                    self.add_batches(record, names, step_off, hp.epochs)
                    if kind is BatchChunk and record.watched.shape[1] == len(labels) and labels:
                        means.add(record)
                elif kind is EpochRecord:
                    scalar_every, histogram_every = strides(hp.epochs)
                    e, last = record.epoch, hp.epochs is not None and record.epoch >= hp.epochs
                    if last or e // scalar_every != last_scalars // scalar_every:
                        self.add_epoch_scalars(record, names, epoch_off, dict(zip(labels, means.values())))
                        last_scalars = e
                    if last or e // histogram_every != last_histograms // histogram_every:
                        self.add_histograms(record, net, names, epoch_off)
                        last_histograms = e
                    if e >= 1:
                        means = WatchedMean()
                elif kind is Diverged:
                    status = "STATUS_FAILURE"
                yield record
            if status != "STATUS_FAILURE":
                status = "STATUS_SUCCESS"
        finally:
            self.close(status)

    def add_batches(self, record, names, step_off: int = 0, epochs: int | None = None) -> None:
        """The batch scalars of a BatchChunk or BatchRecord, every k-th batch by global step: about
        ``BATCH_POINTS_PER_EPOCH`` an epoch, and ``BATCH_POINTS`` in a run of ``epochs`` epochs."""
        if type(record) is BatchRecord:
            steps = np.array([record.step]); per_epoch = np.array([record.batches_in_epoch])
            costs = np.array([record.cost]); speeds = np.array([record.delta_norms], dtype=float)
        else:
            steps, per_epoch, costs, speeds = record.step, record.batches_in_epoch, record.cost, record.delta_norms
        stride = np.maximum(1, -(-per_epoch // BATCH_POINTS_PER_EPOCH))
        if epochs:
            stride = np.maximum(stride, -(-per_epoch * epochs // BATCH_POINTS))
        steps = steps + step_off
        kept = np.flatnonzero(steps % stride == 0)
        add = self._writer.add_scalar
        for i in kept:
            step = int(steps[i])
            add("batch/cost", float(costs[i]), step)
            for name, value in zip(names, speeds[i]):
                add(f"batch/learning_speed/{name}", float(value), step)

    def add_epoch_scalars(self, record: EpochRecord, names, epoch_off: int = 0, followed: dict | None = None) -> None:
        """The scalars of one epoch summary, at x = epochs trained."""
        epoch = epoch_off + record.epoch
        add = self._writer.add_scalar
        figures = {"cost/train": record.train_cost, "cost/validation": record.val_cost,
                   "accuracy/train": record.train_accuracy, "accuracy/validation": record.val_accuracy}
        for tag, value in figures.items():
            if value is not None:
                add(tag, float(value), epoch)
        for name, speed, norm in zip(names, record.delta_norms, record.weight_norms):
            add(f"learning_speed/{name}", float(speed), epoch)
            add(f"weight_norm/{name}", float(norm), epoch)
        for label, value in (followed or {}).items():
            add(f"followed_gradient/{label}", value, epoch)

    def add_histograms(self, record: EpochRecord, net, names, epoch_off: int = 0) -> None:
        """Each layer's weights, biases and the summary's ∂C/∂b, at x = epochs trained."""
        epoch = epoch_off + record.epoch
        histogram = self._histogram
        for name, w, b in zip(names, net.weights, net.biases):
            histogram(f"weights/{name}", w, epoch)
            histogram(f"biases/{name}", b, epoch)
        for name, g in zip(names, record.bias_gradients or ()):
            histogram(f"bias_gradient/{name}", g, epoch)

    def _histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        mask = np.isfinite(values)
        finite = values if mask.all() else values[mask]
        if finite.size:
            self._writer.add_histogram(tag, np.asarray(finite, dtype=np.float64).ravel(), step, bins=HISTOGRAM_BINS)

    # -- hparams ----------------------------------------------------------------------------------
    def _metric_tags(self) -> list[str]:
        tags = ["cost/train", "cost/validation"]
        if self.classification:
            tags += ["accuracy/train", "accuracy/validation"]
        return tags

    def _start_hparams(self) -> None:
        if self._hparams_started:
            return
        from tensorboardX.summary import hparams

        experiment, start, _ = hparams(hparams_of(self.settings), {tag: 0.0 for tag in self._metric_tags()})
        file_writer = self._writer._get_file_writer()
        file_writer.add_summary(experiment)
        file_writer.add_summary(start)
        self._hparams_started = True

    def close(self, status: str = "STATUS_UNKNOWN") -> None:
        """End the hparams session with ``status`` (a name of TensorBoard's hparams Status) and flush
        the event file (idempotent: the first call counts)."""
        if self._ended:
            return
        self._ended = True
        if self._hparams_started:
            self._writer._get_file_writer().add_summary(_session_end(status))
        self._writer.close()

    def discard(self) -> None:
        """Close the log and remove its folder: for a run that is refused before it starts."""
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _session_end(status: str):
    """The hparams plugin's session-end summary with ``status`` (tensorboardX's ``hparams`` writes only
    success)."""
    from tensorboardX.proto.api_pb2 import Status
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata

    content = HParamsPluginData(session_end_info=SessionEndInfo(status=Status.Value(status)), version=0)
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="hparams",
                                                                      content=content.SerializeToString()))
    return Summary(value=[Summary.Value(tag="_hparams_/session_end_info", metadata=metadata)])
