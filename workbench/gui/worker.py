"""Drive the core's training generator on a background ``QThread``.

The worker thread runs ``workbench.core.train(..., chunked=True, pace=...)``: each yield brings a
``BatchChunk`` (the batches of about ``Pace.seconds`` of training) or an ``EpochRecord``.  Between
two yields it does only cheap things: append the record to a ``collections.deque`` and look at one
boolean that says whether anything (stop, pause, a step, new hyperparameters) needs attention.
The GUI drains the deque from a timer (``TrainingThread.drain()``) so no Qt signal is emitted
per batch, however fast the batches are.  A ``train_fn`` that yields BatchRecords (one a batch)
works too.

Thread safety:
- records: ``deque.append`` / ``popleft`` are atomic in CPython;
- hyperparameter changes: ``set_pending`` writes a dict under a lock, the worker applies it to
  its ``Hyperparameters`` between two chunks (the generator reads them before the next one);
- the chunks' size: only the worker writes its ``Pace`` (``limit`` while stepping, ``once`` = 1
  after a snapshot, so that the update measured after it is one batch's);
- parameters for the diagram: at most ``SNAPSHOT_HZ`` times a second the worker copies the
  weights, biases and latest bias gradients under a lock; the GUI reads ``snapshot()``.
- stop / pause: ``threading.Event``; a paused worker waits on an event with a short timeout and
  ``stop()`` also releases it, so stop acts at once even when paused.
- back-pressure: when ``MAX_BACKLOG`` batches wait uncollected, the worker blocks (releasing the
  GIL) until ``drain()`` has taken them, so the GUI thread always keeps up.  The worker counts
  what it queued, ``drain()`` what it took (one writer each).
- garbage collection: ``PythonThread`` (``threads.py``) keeps it on the GUI thread during a run.
- checkpoints: with ``checkpoint_every=(N, offset)`` the worker copies the weights right after the
  summary of every epoch whose number (``offset`` + the run's epoch) is a multiple of N — the
  generator is suspended there, so they are exactly that epoch end's — into a
  ``core.runs.Checkpoint`` (epochs and steps counted within the run) queued with the records;
  after the first ``FREE_CHECKPOINTS`` of a run at most one every ``CHECKPOINT_GAP_S`` (tiny
  epochs come thousands a second).
- a callable ``train_kwargs["rng"]`` (a batch order to rebuild, ``core.runs.resume_rng``) is called
  by the worker before training as ``rng(stopped)``; ``stopped()`` yields to the GUI, sees Stop.
"""

from __future__ import annotations

import math
import sys
import threading
import time
import traceback
import weakref
from collections import deque
from contextlib import contextmanager

import numpy as np
from PySide6.QtCore import Signal

from workbench.core.training import BatchChunk, BatchRecord, Pace
from workbench.gui.threads import PythonThread

SNAPSHOT_HZ = 20.0
#: Batches the GUI has not collected yet before the worker waits for it (a chunk counts its
#: batches, an epoch summary or a BatchRecord one).  A tiny network (XOR) trains tens of thousands
#: of batches a second; without this bound the backlog grows without end (memory, and a GUI thread
#: that never catches up).  Chunks are collected column by column, so the bound is in batches, not
#: queue entries: 65536 batches are a few MB and about one second of the fastest runs.
MAX_BACKLOG = 1 << 16
#: The worker sleeps ``YIELD_S`` every ``YIELD_EVERY_S`` of training.  Without it the GUI thread
#: hardly ever gets the GIL back: numpy releases and retakes the GIL around each small operation,
#: faster than a waiting thread wakes up, and the interpreter's switch request is only made when
#: nobody took the GIL during the wait (measured with an XOR run: the GUI thread waited 0.45 s on
#: average, up to 3.8 s, for the GIL, at any switch interval; with these yields 1.2 ms, and the
#: worker made as many records a second).
YIELD_EVERY_S = 0.002
YIELD_S = 0.00005
#: The least time between two checkpoints the worker takes (a due one sooner is skipped).
CHECKPOINT_GAP_S = 0.05
FREE_CHECKPOINTS = 100

_INSTANCES: "weakref.WeakSet[TrainingThread]" = weakref.WeakSet()

#: Cleared while the GUI thread does Python-heavy work (collecting records, redrawing plots and the
#: diagram).  Both threads need the GIL; left to the interpreter's switching, a worker making
#: thousands of records a second leaves the GUI thread a few per cent of it, and plotting, painting
#: and clicks crawl (measured: 2 ms of plotting took 150 ms).  So the worker steps aside between two
#: records while the GUI thread is busy: the GUI gets the few milliseconds it needs at full speed and
#: the worker has the interpreter the rest of the time.
_gui_idle = threading.Event()
_gui_idle.set()
_gui_depth = 0
GUI_WAIT_S = 0.05       # the longest the worker waits for the GUI in one go


@contextmanager
def gui_priority():
    """GUI thread only: while inside, a running worker pauses between records."""
    global _gui_depth
    _gui_depth += 1
    _gui_idle.clear()
    try:
        yield
    finally:
        _gui_depth -= 1
        if _gui_depth == 0:
            _gui_idle.set()


#: GUI-thread CPU seconds spent in the paint events of ``gui_priority_paint`` widgets (the frame
#: clock paces frames by what drawing and painting cost, not by all the GUI thread does).
paint_seconds = 0.0


def gui_priority_paint(cls):
    """Class decorator: the widget's ``paintEvent`` runs under ``gui_priority()``, its CPU time
    counted in ``paint_seconds``."""
    paint = cls.paintEvent

    def paintEvent(self, event):
        global paint_seconds
        started = time.thread_time()
        try:
            with gui_priority():
                return paint(self, event)
        finally:
            paint_seconds += time.thread_time() - started

    cls.paintEvent = paintEvent
    return cls


PR_SET_TIMERSLACK = 29   # <linux/prctl.h>


def _precise_sleeps() -> None:
    """Let this thread's short sleeps last what they ask for: Linux extends them by the thread's
    "timer slack", 50 µs by default (a 30 µs yield took 110 µs, a 100 µs one 177 µs: 9 % of the
    training time at one yield every 2 ms)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def running_threads() -> list:
    """Every TrainingThread still running (tests use this to catch leaked threads)."""
    return [t for t in list(_INSTANCES) if t.isRunning()]


class TrainingThread(PythonThread):
    """One training run: ``train(net, X, Y, hp, **train_kwargs)`` on its own thread.

    Signals (all delivered queued to the GUI thread, a handful per run):
    - ``paused_changed(bool)``: the worker is now waiting (True) or running again (False);
    - ``diverged(str)``: the cost became NaN/inf; the message comes from the core, the network
      keeps its last finite weights; the run ends;
    - ``failed(str)``: an exception escaped the generator (message with the traceback);
    - ``finished`` (from QThread): the run is over, for whatever reason; see ``outcome``.

    ``outcome`` is one of "running", "completed", "stopped", "diverged", "failed".
    """

    paused_changed = Signal(bool)
    diverged = Signal(str)
    failed = Signal(str)

    def __init__(self, train_fn, net, X, Y, hp, train_kwargs=None, *, start_paused=False,
                 step=None, checkpoint_every=None, parent=None):
        """``step`` may be "batch" or "epoch": run one batch/epoch, then pause.  ``train_fn`` is
        called as ``train_fn(net, X, Y, hp, chunked=True, pace=<the worker's Pace>, **train_kwargs)``
        (``train_kwargs`` may say otherwise).  ``checkpoint_every``: None, or (N, epochs trained
        before the run): queue a Checkpoint after every N-th epoch's summary."""
        super().__init__(parent)
        self._checkpoint_every = checkpoint_every
        self._train_fn = train_fn
        self.net = net
        self.hp = hp
        self._X, self._Y = X, Y
        self._n_train = len(X)
        self._kwargs = dict(train_kwargs or {})
        self._watch = self._kwargs["watch"] = list(self._kwargs.get("watch", ()))  # changed between chunks
        self._kwargs.setdefault("chunked", True)
        self._pace = self._kwargs.setdefault("pace", Pace())
        self._queued = self._collected = 0     # batches queued (by the worker) / taken (by drain)
        self._records: deque = deque()
        self._lock = threading.Lock()
        self._pending: dict = {}
        self._snapshot = None
        self._snapshot_serial = 0
        self._update_ratios = None
        self._stop = threading.Event()
        self._drained = threading.Event()
        self._resume = threading.Event()
        if not start_paused or step is not None:
            self._resume.set()
        self._step = step
        self._step_base = None        # samples of this run trained when the worker took up the step
        self._attention = True        # the only thing the hot loop looks at
        self._is_paused = False
        self.outcome = "running"
        self.error_message = ""
        self.records_total = self.batches_total = 0
        self.wall_seconds = self.cpu_seconds = 0.0   # of run(): CPU < wall means waiting (GIL, pause)
        _INSTANCES.add(self)

    # -- called from the GUI thread ----------------------------------------------------------------
    def stop(self) -> None:
        """Ask the run to end after the current chunk (also wakes a paused worker)."""
        self._stop.set()
        self._resume.set()
        self._drained.set()
        self._attention = True

    def pause(self) -> None:
        self._resume.clear()
        self._attention = True

    def resume(self) -> None:
        with self._lock:
            self._step = None
        self._resume.set()
        self._attention = True

    def step(self, unit: str) -> None:
        """Train one more batch (``unit="batch"``) or one epoch's worth of samples (``"epoch"``:
        from the middle of an epoch, to the same place in the next), then pause.  Counted from
        where the run is when the worker takes the request up (a paused worker: at once; a running
        one: after the chunk under way)."""
        if unit not in ("batch", "epoch"):
            raise ValueError(f"step unit must be 'batch' or 'epoch', not {unit!r}")
        with self._lock:
            self._step = unit
            self._step_base = None
        self._resume.set()
        self._attention = True

    def is_paused(self) -> bool:
        return self._is_paused

    def set_pending(self, changes: dict) -> None:
        """Hyperparameter changes (attribute -> value) to apply before the next chunk; the key
        ``"watch"`` replaces the list of (layer, i, j) weights whose gradients are followed."""
        with self._lock:
            self._pending.update(changes)
        self._attention = True

    def drain(self, limit: int | None = None) -> list:
        """Remove and return the records produced since the last call (oldest first): BatchChunks
        (or BatchRecords, from a ``train_fn`` that yields them), EpochRecords, a final Diverged.

        Batches come without their ``bias_gradients`` (None): those arrive with ``snapshot()``."""
        records = self._records
        n = len(records) if limit is None else min(limit, len(records))
        popleft = records.popleft
        taken = [popleft() for _ in range(n)]
        self._collected += sum(len(r) if type(r) is BatchChunk else 1 for r in taken)
        self._drained.set()
        return taken

    def pending_records(self) -> int:
        """Records (chunks, summaries) waiting to be drained."""
        return len(self._records)

    def pending_batches(self) -> int:
        """What ``MAX_BACKLOG`` bounds: batches waiting to be drained (a summary counts one)."""
        return self._queued - self._collected

    def snapshot(self):
        """(serial, weights, biases, bias_gradients) copied at most ``SNAPSHOT_HZ`` times a second.

        ``serial`` grows with every new snapshot; ``None`` before the first one.
        """
        with self._lock:
            return self._snapshot

    # -- the worker thread -----------------------------------------------------------------------------
    def update_ratios(self) -> tuple[int, list[float | None]] | None:
        """(serial of the snapshot it follows, per weight layer ‖ΔW‖/‖W‖ of the update right after
        that snapshot — None for a layer whose ‖W‖ is 0); None before the first."""
        with self._lock:
            return self._update_ratios

    def _take_snapshot(self, bias_gradients) -> tuple[list, int]:
        """Copy the parameters for the GUI; returns the weights copied and the snapshot's serial."""
        net = self.net
        weights = [w.copy() for w in net.weights]
        biases = [b.copy() for b in net.biases]
        grads = [g.copy() for g in bias_gradients] if bias_gradients is not None else None
        with self._lock:
            self._snapshot_serial += 1
            self._snapshot = (self._snapshot_serial, weights, biases, grads)
            return weights, self._snapshot_serial

    def _measure_update(self, before: list, serial: int) -> None:
        ratios = []
        for w0, w1 in zip(before, self.net.weights):
            size = math.sqrt(float(np.vdot(w0, w0)))
            diff = w1 - w0
            ratios.append(math.sqrt(float(np.vdot(diff, diff))) / size if size > 0 else None)
        with self._lock:
            self._update_ratios = (serial, ratios)

    def _apply_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for name, val in pending.items():
            if name == "watch":
                self._watch[:] = [tuple(w) for w in val]
            else:
                setattr(self.hp, name, val)

    def _wait_while_paused(self) -> None:
        """Block until resumed or stopped; wakes every 20 ms so stop is never missed."""
        if self._resume.is_set() or self._stop.is_set():
            return
        self._is_paused = True
        self.paused_changed.emit(True)
        while not self._resume.wait(0.02):
            if self._stop.is_set():
                break
        self._is_paused = False
        if not self._stop.is_set():
            self.paused_changed.emit(False)

    def _step_done(self, rec, trained: int, epoch_end: bool) -> bool:
        """Whether the step under way ends with ``rec`` (the step is then cleared).  ``trained``:
        samples of this run trained up to the latest batch; ``epoch_end``: that batch ended its
        epoch.  An epoch step ends one epoch's worth of samples after it began (from the middle of
        an epoch, at the same place in the next); on an epoch's end, after that epoch's summary.
        A step the worker has not taken up yet (``_steer_pace``) ends with nothing."""
        from workbench.core import EpochRecord

        with self._lock:
            unit, base = self._step, self._step_base
            if unit is None or base is None:
                return False
            kind = type(rec)
            if kind is BatchChunk or kind is BatchRecord:
                done = unit == "batch" or (trained >= base + self._n_train and not epoch_end)
            else:
                done = unit == "epoch" and kind is EpochRecord and rec.epoch >= 1 and trained >= base + self._n_train
            if done:
                self._step = self._step_base = None
            return done

    def _steer_pace(self, trained: int) -> None:
        """Size the next chunks for the step under way (taking it up from ``trained`` samples):
        one batch for a batch step; for an epoch step as many batches as cannot pass its end (a
        batch holds at most the batch size), so it ends exactly and still trains in chunks."""
        with self._lock:
            unit = self._step
            if unit is not None and self._step_base is None:
                self._step_base = trained
            base = self._step_base
        if unit is None:
            limit = None
        elif unit == "batch":
            limit = 1
        else:
            size = max(1, self.hp.effective_batch_size(self._n_train))
            limit = max(1, (base + self._n_train - trained) // size)
        self._pace.limit = limit

    def _wait_for_drain(self) -> None:
        """Block (GIL released) until the GUI has collected the backlog, or stop is asked."""
        drained = self._drained
        while True:
            drained.clear()
            if self._queued - self._collected < MAX_BACKLOG // 2 or self._stop.is_set():
                return
            drained.wait(0.05)

    def _checkpoint(self, rec, steps: int, last: list) -> None:
        """Queue a Checkpoint of the weights after epoch summary ``rec`` when one is due."""
        every, offset = self._checkpoint_every
        now = time.perf_counter()
        if rec.epoch < 1 or (offset + rec.epoch) % every or (last[1] >= FREE_CHECKPOINTS
                                                             and now - last[0] < CHECKPOINT_GAP_S):
            return
        from workbench.core.runs import checkpoint_of

        last[0], last[1] = now, last[1] + 1
        self._queued += 1
        self._records.append(checkpoint_of(self.net, rec.epoch, steps))

    def _replay_stopped(self) -> bool:
        """Whether to give up rebuilding the batch order (Stop); steps aside for a busy GUI thread."""
        _gui_idle.wait(GUI_WAIT_S) if not _gui_idle.is_set() else time.sleep(0)
        return self._stop.is_set()

    def run(self) -> None:  # noqa: C901 - the hot loop is deliberately flat
        from workbench.core import Diverged, EpochRecord

        append = self._records.append
        clock = time.perf_counter
        snapshot_every = 1.0 / SNAPSHOT_HZ
        next_snapshot = 0.0
        last_grads = None        # ∂C/∂b of the latest batch, for snapshots
        ratio_base = None        # the weights of the latest snapshot, until the next update is measured
        count = batches_total = 0
        trained = 0              # samples of this run trained up to the latest batch
        epoch_end = False        # the latest batch ended its epoch
        n_train = self._n_train
        pace = self._pace
        steps = 0                # batches of this run trained up to the latest batch
        checkpoints = self._checkpoint_every is not None
        last_checkpoint = [-math.inf, 0]      # when the latest was taken; how many were
        wall0, cpu0 = clock(), time.thread_time()
        _precise_sleeps()
        try:
            self._take_snapshot(None)
            self._wait_while_paused()
            if callable(self._kwargs.get("rng")):
                self._kwargs["rng"] = self._kwargs["rng"](self._replay_stopped)
            if self._stop.is_set():
                self.outcome = "stopped"
                return
            self._steer_pace(0)
            gen = self._train_fn(self.net, self._X, self._Y, self.hp, **self._kwargs)
            try:
                gui_idle = _gui_idle
                sleep = time.sleep
                next_yield = clock() + YIELD_EVERY_S
                for rec in gen:
                    kind = type(rec)
                    if kind is BatchChunk or kind is BatchRecord:
                        # The GUI takes ∂C/∂b from snapshots: records waiting for it stay light
                        # (freeing their arrays on the GUI thread cost the worker about 2.5 %).
                        last_grads, rec.bias_gradients = rec.bias_gradients, None
                        if kind is BatchChunk:
                            batches = len(rec)
                            seen = int(rec.samples_seen[-1])
                            trained = (int(rec.epoch[-1]) - 1) * n_train + seen
                        else:
                            batches, seen = 1, rec.samples_seen
                            trained = (rec.epoch - 1) * n_train + seen
                        epoch_end = seen >= n_train
                        batches_total += batches
                        steps = batches_total
                    else:
                        batches = 0
                    self._queued += batches or 1      # before the append: never below what drain took
                    append(rec)
                    count += 1
                    now = clock()
                    if kind is BatchChunk and rec.engine == "compiled":
                        pass        # the kernel lets go of the GIL while it trains: no need to step aside
                    elif not gui_idle.is_set():
                        gui_idle.wait(GUI_WAIT_S)
                    elif now >= next_yield:
                        sleep(YIELD_S)
                        next_yield = now + YIELD_EVERY_S
                    if self._queued - self._collected >= MAX_BACKLOG:
                        self._wait_for_drain()
                    if batches:
                        if ratio_base is not None:
                            if batches == 1:        # the update of one batch, or none at all
                                self._measure_update(*ratio_base)
                            ratio_base = None
                        if now >= next_snapshot:
                            next_snapshot = now + snapshot_every
                            ratio_base = self._take_snapshot(last_grads)
                            pace.once = 1
                        if not self._attention and self._step is None:
                            continue
                    elif checkpoints and kind is EpochRecord:
                        self._checkpoint(rec, steps, last_checkpoint)
                    elif kind is Diverged:
                        self.outcome = "diverged"
                        self._take_snapshot(None)
                        self.diverged.emit(rec.message)
                        return
                    # something needs a look: stop, pause, step, pending changes
                    self._attention = False
                    if self._stop.is_set():
                        self.outcome = "stopped"
                        break
                    if self._step is not None and self._step_done(rec, trained, epoch_end):
                        self._resume.clear()
                        self._take_snapshot(last_grads)
                    if not self._resume.is_set():
                        self._wait_while_paused()
                        if self._stop.is_set():
                            self.outcome = "stopped"
                            break
                    if self._pending:
                        self._apply_pending()
                    self._steer_pace(trained)
                else:
                    self.outcome = "completed"
            finally:
                gen.close()
            self._take_snapshot(last_grads)
        except Exception:  # noqa: BLE001 - every failure must reach the user
            self.outcome = "failed"
            self.error_message = traceback.format_exc(limit=8)
            self.failed.emit(self.error_message)
        finally:
            self.records_total, self.batches_total = count, batches_total
            self.wall_seconds = clock() - wall0
            self.cpu_seconds = time.thread_time() - cpu0
