"""Runs of a session side by side: each run's settings, history and checkpoints (no Qt).

A ``Run`` is one line of training from one set of initial weights: its settings (architecture,
training settings and data spec, stop conditions among the training settings), its ``RunHistory``,
its checkpoints (the weights at some epoch ends: every ``checkpoint_every`` epochs, at the start
and at the end), when it was trained and for how long, and where it came from (``parent``: the run
and checkpoint epoch it was rewound or A/B-started from).  A ``RunList`` keeps the runs of a
session within bounds: at most ``MAX_RUNS`` runs, ``MAX_CHECKPOINTS`` checkpoints a run (thinned
evenly, the first and the last always kept) and ``MAX_CHECKPOINT_BYTES`` of checkpoint weights in
all (the oldest runs' checkpoints are thinned first; ``notes`` says so in a sentence).

Exactness: the batch order of a run comes from ``shuffle_rng(seed, steps)`` drawn once per Train
press (``core.runsetup``), one permutation of the ``n_train`` items per epoch.  A checkpoint
records how to rebuild that generator where the checkpoint stands (``Checkpoint.shuffle``: the
seed, the steps at which the press started, the permutations drawn since, and ``n_train``), so
training on from a rewound checkpoint draws the very batches the original run drew after it:
with plain SGD (no optimizer state) and the same engine the weights agree bit for bit.  Momentum
starts afresh from a checkpoint, as it does on every Train press.

``to_json``/``from_json`` write and check the "runs" part of a session file (version 2); every
field is checked, the first problem raises ``RunsError`` with one sentence.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .history import HistoryError, RunHistory
from .hyperparameters import LARGEST_WHOLE, hyperparameter_problem, is_finite_number, is_whole_number, shown
from .network import check_architecture
from .runsetup import shuffle_rng
from .safefiles import format_bytes
from .serialization import load_weights, weights_from_json, weights_json, weights_to_bytes

__all__ = ["MAX_RUNS", "MAX_CHECKPOINTS", "MAX_CHECKPOINT_BYTES", "MAX_RUN_NAME", "AB_KEYS", "RunsError",
           "Checkpoint", "Run", "RunList", "copy_history", "resume_rng", "setting_items", "differing_settings",
           "ab_value", "run_settings", "checkpoint_of", "MAX_SHUFFLE_ITEMS", "shuffle_recipe", "setting_label",
           "setting_phrases", "changed_settings", "RunsBefore", "NOT_TRAINING"]

MAX_RUNS = 32
MAX_CHECKPOINTS = 200
MAX_CHECKPOINT_BYTES = 512 * 2**20
MAX_RUN_NAME = 200
#: The most items (permutations × training items) ``resume_rng`` replays to rebuild a batch order:
#: about 8 s on the training thread (2,000 permutations of 60,000 items take 0.9 s); a checkpoint
#: beyond it keeps no recipe, and a file that asks for more is refused.
MAX_SHUFFLE_ITEMS = 10**9
#: Training settings that say how long to go or how to keep the run, not how it trains: a Train
#: press that changes only these goes on with the same run.
NOT_TRAINING = ("epochs", "checkpoint_every", "resolution")
#: Settings an A/B run may change (each checked against the training panel's ranges).
AB_KEYS = ("lr", "momentum", "batch_size", "l2", "layer_lr", "optimizer", "epochs", "stop_accuracy", "stop_cost",
           "patience")


class RunsError(ValueError):
    """Runs that cannot be read; the message names the problem in one sentence."""


def resume_rng(shuffle, n_train: int, stopped=None) -> np.random.Generator | None:
    """The batch-order generator at a checkpoint: ``shuffle_rng(seed, start)`` after ``drawn``
    permutations of ``n_train`` items (what the run had drawn by then); None when ``shuffle`` is
    None or was recorded for another number of training items, or when ``stopped()`` (asked
    between two permutations) says to give up.  The work is ``drawn × n_train`` (at most
    ``MAX_SHUFFLE_ITEMS``): the training thread does it (``gui.worker``), never the GUI's."""
    if shuffle is None:
        return None
    seed, start, drawn, n = shuffle
    if n != n_train or drawn * n > MAX_SHUFFLE_ITEMS:
        return None
    rng = shuffle_rng(seed, start)
    for _ in range(drawn):
        if stopped is not None and stopped():
            return None
        rng.permutation(n)
    return rng


def shuffle_recipe(seed: int, start: int, drawn: int, n_train: int) -> tuple | None:
    """``Checkpoint.shuffle`` for a batch order ``drawn`` permutations after ``shuffle_rng(seed,
    start)``, or None when rebuilding it would replay more than ``MAX_SHUFFLE_ITEMS`` items."""
    if drawn * n_train > MAX_SHUFFLE_ITEMS:
        return None
    return int(seed), int(start), int(drawn), int(n_train)


@dataclass
class Checkpoint:
    """The weights of a run at the end of epoch ``epochs`` (``steps`` batches in).

    weights: the bytes of ``weights_to_bytes``; shuffle: (seed, start steps, permutations drawn,
    n_train) to rebuild the batch order there (``resume_rng``), or None when not known."""

    epochs: int
    steps: int
    weights: bytes
    shuffle: tuple | None = None

    def network(self):
        return load_weights(self.weights)


def copy_history(history: RunHistory) -> RunHistory:
    """An independent copy of ``history`` (through its JSON form, so it holds exactly the same)."""
    return RunHistory.from_json(history.to_json())


def run_settings(architecture: dict, hyperparameters: dict, data: str | None) -> dict:
    """A run's settings dict from the window's (or a session's) parts (copied)."""
    return {"architecture": {"sizes": list(architecture["sizes"]), "activations": list(architecture["activations"]),
                             "cost": architecture["cost"]},
            "hyperparameters": dict(hyperparameters), "data": data}


def setting_text(value) -> str:
    """A setting's value as the runs table and dialogs write it: "off" for None, floats short,
    lists (layer multipliers) comma-separated."""
    if isinstance(value, (list, tuple)):
        return ", ".join(setting_text(v) for v in value)
    return "off" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def setting_items(settings: dict) -> dict:
    """Every setting as a short text, by name: "data", "layers", "activations", "cost" and each
    training setting (stop conditions and the seed among them)."""
    arch = settings.get("architecture") or {}
    items = {"data": str(settings.get("data")),
             "layers": "-".join(map(str, arch.get("sizes", []))),
             "activations": "/".join(arch.get("activations", [])),
             "cost": str(arch.get("cost"))}
    for key, value in sorted((settings.get("hyperparameters") or {}).items()):
        if key == "resolution":
            continue
        items[key] = setting_text(value)
    return items


#: What the runs table calls each setting (``setting_items``' names).
SETTING_LABELS = {"data": "data", "layers": "layers", "activations": "activations", "cost": "cost function",
                  "lr": "learning rate η", "momentum": "momentum α", "l2": "L2 λ", "batch_size": "batch size",
                  "layer_lr": "η multipliers", "optimizer": "optimiser", "epochs": "epochs",
                  "stop_accuracy": "stop at accuracy", "stop_cost": "stop at cost", "patience": "patience",
                  "init": "initialisation", "bias_init": "bias initialisation", "seed": "seed",
                  "dtype": "precision", "checkpoint_every": "checkpoint every"}
_UNITS = {"stop_accuracy": " %", "patience": " epochs", "checkpoint_every": " epochs"}


def setting_label(key: str) -> str:
    return SETTING_LABELS.get(key, key.replace("_", " "))


def setting_phrases(settings: dict, keys) -> list[str]:
    """"learning rate η 0.5", "stop at accuracy off", ...: the ``keys`` of ``setting_items``, labelled."""
    items = setting_items(settings)
    out = []
    for key in keys:
        value = items.get(key, "–")
        unit = _UNITS.get(key, "") if value not in ("off", "–") else ""
        out.append(f"{setting_label(key)} {value}{unit}")
    return out


def changed_settings(old: dict, new: dict) -> list[str]:
    """The training settings (keys) in which ``new`` differs from a run's ``old`` ones, leaving out
    ``NOT_TRAINING`` and any key ``old`` does not hold (a run from an older file)."""
    return [k for k in new if k in old and k not in NOT_TRAINING and old[k] != new[k]]


def differing_settings(runs) -> list[str]:
    """The names of the settings that are not the same in all ``runs`` (in ``setting_items`` order;
    ``NOT_TRAINING`` left out: the runs table shows each run's epochs)."""
    tables = [setting_items(r.settings) for r in runs]
    if len(tables) < 2:
        return []
    names = [k for k in dict.fromkeys(k for t in tables for k in t) if k not in NOT_TRAINING]
    return [k for k in names if len({t.get(k, "") for t in tables}) > 1]


def ab_value(key: str, text: str, n_layers: int | None = None):
    """(value, None) for an A/B setting typed as ``text``, or (None, why not in one sentence)."""
    if key not in AB_KEYS:
        return None, f"An A/B run cannot change {shown(key)}; choose one of {', '.join(AB_KEYS)}."
    text = text.strip()
    if key in ("stop_accuracy", "stop_cost", "patience", "layer_lr") and text.lower() in ("", "off", "none"):
        return None, None
    if key == "layer_lr":             # one multiplier per weight layer, first hidden layer first: "4, 2, 1"
        parts = [part.strip() for part in text.split(",")]
        try:
            value = [float(part) for part in parts]
        except ValueError:
            return None, f"{shown(text)} is not a list of numbers separated by commas, such as 4, 2, 1."
        problem = hyperparameter_problem({key: value}, n_layers, panel=True)
        return (None, problem) if problem else (value, None)
    if key == "optimizer":
        value = text
    elif key == "batch_size" and text.lower() == "full":
        value = "full"
    else:
        try:
            value = int(text) if key in ("batch_size", "epochs", "patience") else float(text)
        except ValueError:
            return None, f"{text!r} is not a {'whole number' if key in ('batch_size', 'epochs', 'patience') else 'number'}."
    problem = hyperparameter_problem({key: value}, n_layers, panel=True)
    return (None, problem) if problem else (value, None)


@dataclass
class Run:
    """One run: id, name, settings ({"architecture", "hyperparameters", "data"}), history,
    checkpoints (oldest first), wall-clock start and end (seconds since 1970, None while not
    known), seconds trained, parent (run id, checkpoint epochs) or None, end_reason (a sentence,
    e.g. the stop condition met) or None."""

    id: int
    name: str
    settings: dict
    history: RunHistory
    checkpoints: list = field(default_factory=list)
    started: float | None = None
    finished: float | None = None
    seconds: float = 0.0
    parent: tuple | None = None
    end_reason: str | None = None

    @property
    def epochs(self) -> int:
        return int(self.history.epochs)

    def checkpoint_at(self, epochs: int) -> Checkpoint | None:
        for c in self.checkpoints:
            if c.epochs == epochs:
                return c
        return None

    def summary(self) -> dict:
        """best/final cost (training), accuracy and validation accuracy (fractions; NaN when not
        measured) over the run's epoch summaries."""
        h = self.history

        def pick(a: np.ndarray, best):
            finite = a[np.isfinite(a)]
            if not len(finite):
                return math.nan, math.nan
            return float(best(finite)), float(finite[-1])

        out = {}
        for name, column, best in (("cost", h.train_cost(), np.min), ("accuracy", h.train_accuracy(), np.max),
                                   ("val_accuracy", h.val_accuracy(), np.max)):
            out[f"best_{name}"], out[f"final_{name}"] = pick(np.asarray(column), best)
        return out

    def checkpoint_bytes(self) -> int:
        return sum(len(c.weights) for c in self.checkpoints)

    # ------------------------------------------------------------------ JSON
    def to_json(self, include_history: bool = True, checkpoints: list | None = None) -> dict:
        """The run as a JSON dict; ``include_history`` False writes null (the session's own history
        stands for it); ``checkpoints`` the ones to write (default: all)."""
        chosen = self.checkpoints if checkpoints is None else checkpoints
        return {
            "id": int(self.id), "name": self.name, "settings": self.settings,
            "history": self.history.to_json() if include_history else None,
            "checkpoints": [{"epochs": int(c.epochs), "steps": int(c.steps),
                             "weights": weights_json(c.weights),
                             "shuffle": None if c.shuffle is None else [int(v) for v in c.shuffle]}
                            for c in chosen],
            "started": self.started, "finished": self.finished, "seconds": float(self.seconds),
            "parent": None if self.parent is None else [int(v) for v in self.parent],
            "end_reason": self.end_reason,
        }


def _whole(value, low: int, high: int) -> bool:
    return is_whole_number(value) and low <= value <= high


def _run_from_json(d, k: int, history: RunHistory | None) -> Run:
    """Run ``k`` (1-based, for messages) of a session; ``history`` stands for a null "history"."""
    where = f"run {k}"
    if not isinstance(d, dict):
        raise RunsError(f"{where} is {shown(d)}, not an object.")
    run_id = d.get("id")
    if not _whole(run_id, 1, LARGEST_WHOLE):
        raise RunsError(f"{where} has the id {shown(run_id)}, not a whole number ≥ 1.")
    name = d.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_RUN_NAME:
        raise RunsError(f"{where} needs a name of 1 to {MAX_RUN_NAME} characters.")
    settings = d.get("settings")
    if not isinstance(settings, dict):
        raise RunsError(f"{where} has no settings object.")
    arch = settings.get("architecture")
    if not isinstance(arch, dict) or not all(key in arch for key in ("sizes", "activations", "cost")):
        raise RunsError(f"{where}: its settings need an architecture with sizes, activations and cost.")
    problem = check_architecture(arch["sizes"], arch["activations"], arch["cost"])
    if problem:
        raise RunsError(f"{where} has an invalid architecture: {problem}")
    n_layers = len(arch["sizes"]) - 1
    hp = settings.get("hyperparameters", {})
    problem = hyperparameter_problem(hp, n_layers, where=where)
    if problem:
        raise RunsError(problem)
    data = settings.get("data")
    if data is not None and (not isinstance(data, str) or len(data) > 8192):
        raise RunsError(f"{where}: its data spec must be a text or null.")
    settings = run_settings(arch, hp, data)
    raw_history = d.get("history")
    if raw_history is None:
        if history is None:
            raise RunsError(f"{where} has no history.")
    else:
        try:
            history = RunHistory.from_json(raw_history)
        except HistoryError as exc:
            raise RunsError(f"{where}: {exc}") from None
    if history.n_layers != n_layers:
        raise RunsError(f"{where}: its history is for {history.n_layers} weight layers, its network has {n_layers}.")
    checkpoints = d.get("checkpoints", [])
    if not isinstance(checkpoints, list) or len(checkpoints) > MAX_CHECKPOINTS:
        raise RunsError(f"{where}: 'checkpoints' must be a list of at most {MAX_CHECKPOINTS} checkpoints.")
    parsed = []
    for j, c in enumerate(checkpoints, start=1):
        parsed.append(_checkpoint_from_json(c, f"checkpoint {j} of {where}", settings["architecture"]))
        if len(parsed) > 1 and (parsed[-1].epochs, parsed[-1].steps) <= (parsed[-2].epochs, parsed[-2].steps):
            raise RunsError(f"checkpoint {j} of {where} is not later than the one before it.")
    for key in ("started", "finished"):
        value = d.get(key)
        if value is not None and not (is_finite_number(value) and value >= 0):
            raise RunsError(f"{where}: '{key}' must be a time in seconds or null, not {shown(value)}.")
    seconds = d.get("seconds", 0.0)
    if not is_finite_number(seconds) or seconds < 0:
        raise RunsError(f"{where}: 'seconds' must be a number ≥ 0, not {shown(seconds)}.")
    parent = d.get("parent")
    if parent is not None and not (isinstance(parent, list) and len(parent) == 2
                                   and _whole(parent[0], 1, LARGEST_WHOLE) and _whole(parent[1], 0, LARGEST_WHOLE)):
        raise RunsError(f"{where}: 'parent' must be [run id, checkpoint epoch] or null.")
    reason = d.get("end_reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
        raise RunsError(f"{where}: 'end_reason' must be a short text or null.")
    return Run(id=run_id, name=name.strip(), settings=settings, history=history, checkpoints=parsed,
               started=None if d.get("started") is None else float(d["started"]),
               finished=None if d.get("finished") is None else float(d["finished"]),
               seconds=float(seconds), parent=None if parent is None else tuple(parent), end_reason=reason)


def _checkpoint_from_json(c, where: str, arch: dict) -> Checkpoint:
    if not isinstance(c, dict):
        raise RunsError(f"{where} is {shown(c)}, not an object.")
    epochs, steps = c.get("epochs"), c.get("steps")
    for key, value in (("epochs", epochs), ("steps", steps)):
        if not _whole(value, 0, LARGEST_WHOLE):
            raise RunsError(f"{where}: '{key}' must be a whole number ≥ 0, not {shown(value)}.")
    net, blob = weights_from_json(c.get("weights"), where, RunsError)
    if net.architecture() != arch:
        raise RunsError(f"{where}: the weights are for a {'-'.join(map(str, net.sizes))} network, not the run's "
                        f"{'-'.join(map(str, arch['sizes']))}.")
    shuffle = c.get("shuffle")
    if shuffle is not None:
        if not (isinstance(shuffle, list) and len(shuffle) == 4 and all(_whole(v, 0, LARGEST_WHOLE) for v in shuffle)
                and shuffle[3] >= 1 and shuffle[2] <= 10_000_000):
            raise RunsError(f"{where}: 'shuffle' must be [seed, start steps, epochs drawn, training items] or null.")
        if shuffle[2] * shuffle[3] > MAX_SHUFFLE_ITEMS:
            raise RunsError(f"{where}: its batch order needs {shuffle[2]:,} shuffles of {shuffle[3]:,} items, more "
                            f"than the {MAX_SHUFFLE_ITEMS:,} items Workbench replays.")
        shuffle = tuple(shuffle)
    return Checkpoint(epochs=epochs, steps=steps, weights=blob, shuffle=shuffle)


class RunsBefore:
    """What ``RunList.add`` took to keep its bounds: ``dropped`` [(index, run)], ``thinned``
    {run id: (its checkpoints before, the list the bounds left)}."""

    def __init__(self, runs: "RunList"):
        self._order = list(runs.runs)
        self._lists = {r.id: (r.checkpoints, list(r.checkpoints)) for r in runs.runs}
        self.dropped: list = []
        self.thinned: dict = {}

    def taken(self, runs: "RunList") -> None:
        self.dropped = [(i, r) for i, r in enumerate(self._order) if runs.get(r.id) is not r]
        for r in runs.runs:
            if r.id in self._lists:
                was, copy = self._lists[r.id]
                if r.checkpoints is not was or len(r.checkpoints) != len(copy):
                    self.thinned[r.id] = (copy, r.checkpoints)
        self._order = self._lists = None


class RunList:
    """The runs of a session, oldest first, within ``MAX_RUNS`` / ``MAX_CHECKPOINTS`` /
    ``max_bytes``; ``current`` is the id of the run the window's network belongs to (or None).
    ``notes`` collects the sentences on what the bounds dropped (the caller shows and clears it)."""

    def __init__(self, max_bytes: int = MAX_CHECKPOINT_BYTES):
        self.runs: list[Run] = []
        self.current: int | None = None
        self.max_bytes = max_bytes
        self.notes: list[str] = []
        self._ids = 0

    def __len__(self) -> int:
        return len(self.runs)

    def get(self, run_id) -> Run | None:
        for r in self.runs:
            if r.id == run_id:
                return r
        return None

    @property
    def current_run(self) -> Run | None:
        return self.get(self.current)

    def new_id(self) -> int:
        self._ids = max([self._ids] + [r.id for r in self.runs]) + 1
        return self._ids

    def new_run(self, settings: dict, history: RunHistory, *, name: str | None = None,
                parent: tuple | None = None, checkpoints=None) -> Run:
        """Add a run (it becomes current); beyond ``MAX_RUNS`` the oldest run that is no other
        run's parent goes (a note says so)."""
        run_id = self.new_id()
        run = Run(id=run_id, name=(name or f"Run {run_id}")[:MAX_RUN_NAME], settings=settings, history=history,
                  checkpoints=list(checkpoints or []), started=time.time(), parent=parent)
        self.add(run)
        self.current = run.id
        return run

    def add(self, run: Run, index: int | None = None) -> "RunsBefore":
        """Add ``run``; beyond ``MAX_RUNS`` the oldest other run goes, and older checkpoints are
        thinned to keep ``max_bytes`` (``notes`` says so).  Returns what the bounds took, for
        ``put_back`` (undoing the add)."""
        before = RunsBefore(self)
        self.runs.insert(len(self.runs) if index is None else index, run)
        while len(self.runs) > MAX_RUNS:
            old = next((r for r in self.runs if r.id != run.id and r.id != self.current), None)
            self.runs.remove(old)
            self.notes.append(f"The oldest run, “{old.name}”, was dropped: a session keeps at most {MAX_RUNS} runs.")
        self._bound_bytes()
        before.taken(self)
        return before

    def put_back(self, before: "RunsBefore") -> None:
        """Undo what an ``add`` took to keep the bounds (call after removing the run it added): the
        dropped runs go back where they were, thinned checkpoint lists that nothing changed since
        get their checkpoints back."""
        for index, run in before.dropped:
            if self.get(run.id) is None:
                self.runs.insert(min(index, len(self.runs)), run)
        for run_id, (kept, left) in before.thinned.items():
            run = self.get(run_id)
            if run is not None and run.checkpoints is left:
                run.checkpoints = kept

    def remove(self, run_id) -> tuple[int, Run] | None:
        """Take run ``run_id`` out; returns (its index, the run) so it can be put back, or None."""
        for i, r in enumerate(self.runs):
            if r.id == run_id:
                del self.runs[i]
                if self.current == run_id:
                    self.current = None
                return i, r
        return None

    def add_checkpoint(self, run: Run, checkpoint: Checkpoint) -> None:
        """Append ``checkpoint`` to ``run`` (replacing any not before it in (epochs, steps)), then keep the bounds:
        more than ``MAX_CHECKPOINTS`` are thinned to every other (first and last kept)."""
        key = (checkpoint.epochs, checkpoint.steps)
        if run.checkpoints and (run.checkpoints[-1].epochs, run.checkpoints[-1].steps) >= key:
            run.checkpoints = [c for c in run.checkpoints if (c.epochs, c.steps) < key]
        run.checkpoints.append(checkpoint)
        if len(run.checkpoints) > MAX_CHECKPOINTS:
            run.checkpoints = thinned_checkpoints(run.checkpoints)
        self._bound_bytes()

    def total_bytes(self) -> int:
        return sum(r.checkpoint_bytes() for r in self.runs)

    def _bound_bytes(self) -> None:
        """Thin the oldest runs' checkpoints (then drop their middle ones) until they fit."""
        if self.total_bytes() <= self.max_bytes:
            return
        before = self.total_bytes()
        for run in self.runs:              # oldest first
            while len(run.checkpoints) > 2 and self.total_bytes() > self.max_bytes:
                run.checkpoints = thinned_checkpoints(run.checkpoints)
            if self.total_bytes() <= self.max_bytes:
                break
        for run in self.runs:
            if self.total_bytes() <= self.max_bytes:
                break
            if len(run.checkpoints) == 2 and run.id != self.current:
                run.checkpoints = run.checkpoints[:1]        # its initial weights stay (A/B)
        if self.total_bytes() > self.max_bytes:
            run = self.runs[-1]
            if len(run.checkpoints) > 1:
                dropped = run.checkpoints.pop()
                self.notes.append(f"The checkpoint at epoch {dropped.epochs} of “{run.name}” was not kept: the "
                                  f"runs' checkpoints would take more than {format_bytes(self.max_bytes)}.")
                return
        self.notes.append(f"Older checkpoints were thinned to keep the runs' checkpoints within "
                          f"{format_bytes(self.max_bytes)} (they took {format_bytes(before)}).")

    # ------------------------------------------------------------------ JSON
    def to_json(self, current_history_separate: bool = True, checkpoints: dict | None = None) -> list:
        """The runs as a JSON list.  ``current_history_separate``: the current run's history is
        written as null (the session's "history" holds it).  ``checkpoints``: run id → the
        checkpoints of that run to write (a run left out writes all of its own)."""
        chosen = checkpoints or {}
        return [r.to_json(include_history=not (current_history_separate and r.id == self.current),
                          checkpoints=chosen.get(r.id, r.checkpoints)) for r in self.runs]

    @classmethod
    def from_json(cls, runs, current, history: RunHistory | None = None) -> "RunList":
        """Runs from a session's "runs" list and "current_run" id; ``history`` is the session's
        own, which the current run's null "history" stands for.  RunsError names the first problem."""
        if not isinstance(runs, list):
            raise RunsError(f"'runs' must be a list, not {shown(runs)}.")
        if len(runs) > MAX_RUNS:
            raise RunsError(f"The session holds {len(runs):,} runs; Workbench keeps at most {MAX_RUNS}.")
        if current is not None and not _whole(current, 1, LARGEST_WHOLE):
            raise RunsError(f"'current_run' must be a run id or null, not {shown(current)}.")
        if current is not None and not any(isinstance(d, dict) and d.get("id") == current for d in runs):
            raise RunsError(f"'current_run' is {current}, but no run has that id.")
        out = cls()
        for k, d in enumerate(runs, start=1):
            is_current = isinstance(d, dict) and d.get("id") == current
            run = _run_from_json(d, k, history if is_current else None)
            if out.get(run.id) is not None:
                raise RunsError(f"run {k} has the id {run.id} of an earlier run.")
            out.runs.append(run)
        if current is not None and out.get(current) is None:
            raise RunsError(f"'current_run' is {current}, but no run has that id.")
        if out.total_bytes() > out.max_bytes:
            raise RunsError(f"The runs' checkpoints take {format_bytes(out.total_bytes())}; Workbench keeps at most "
                            f"{format_bytes(out.max_bytes)}.")
        out.current = current
        out._ids = max([0] + [r.id for r in out.runs])
        return out


def thinned_checkpoints(checkpoints: list) -> list:
    """Every other checkpoint, the first and the last always kept."""
    if len(checkpoints) <= 2:
        return list(checkpoints)
    kept = checkpoints[:-1:2]
    return kept + [checkpoints[-1]]


def checkpoint_of(net, epochs: int, steps: int, shuffle=None) -> Checkpoint:
    """A checkpoint of ``net``'s current weights (copied into npz bytes)."""
    return Checkpoint(epochs=int(epochs), steps=int(steps), weights=weights_to_bytes(net), shuffle=shuffle)

