"""The window's runs: which run a Train press extends or starts, its checkpoints, rewind, A/B, delete.

``RunsKeeper`` (made by the ``TrainingController``) keeps ``experiment.runs`` (a
``core.runs.RunList``) in step with the training:

- a Train press on weights that are the end of a run (its "tip": the same network object, the same
  steps) extends that run, unless the panel's training settings now differ from the run's (epochs
  aside): then a new run goes on from there ("Run 1 → lr = 2", its parent that run), so a run's
  settings are the ones it trained with; any other weights (Reset Weights, a new architecture or
  data, loaded weights) start a new run, whose first checkpoint is its initial weights;
- the worker's checkpoints (exact epoch ends, ``worker.TrainingThread``) and one at the end of each
  press are added to the run, with the recipe of its batch order (``Checkpoint.shuffle``);
- ``rewind(run_id, epochs)`` makes a checkpoint's weights, epochs, steps and history current as a
  new run (the original keeps its later history), ``ab(run_id, key, value)`` puts a run's initial
  weights back as a new run with one training setting changed (both ask the panel for the run's
  settings); both and ``delete`` (refused while a run goes) are undoable.  After either, the next
  Train press draws the batches the original drew from that point (``core.runs.resume_rng``, run
  on the training thread): with the same engine and plain SGD the weights agree bit for bit.
"""

from __future__ import annotations

import math
import time
import weakref
from functools import partial

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand

from workbench.core.runs import (NOT_TRAINING, Checkpoint, RunsError, ab_value, changed_settings, checkpoint_of, copy_history, resume_rng,
                                 run_settings, setting_phrases, shuffle_recipe)


def _data_spec(exp) -> str | None:
    """The spec of the data loaded now as the data layer writes it ("not:outputs=1" for a session's
    "not"), so that runs on the same data record the same text."""
    spec = getattr(exp.dataset, "spec", None)
    return spec if isinstance(spec, str) and spec else exp.data_spec


def _same_data(spec: str | None, exp) -> bool:
    """Whether ``spec`` (a run's data) describes the data loaded now, defaults filled in."""
    from workbench.data import same_data

    return spec in (exp.data_spec, _data_spec(exp)) or same_data(spec, exp.data_spec) \
        or same_data(spec, _data_spec(exp))

class _Tip:
    """Where a run ends: its network (weakly), the steps behind it and the batch-order recipe to
    continue with (None: a fresh press's ``shuffle_rng(seed, steps)``)."""

    __slots__ = ("net", "steps", "shuffle")

    def __init__(self, net, steps: int, shuffle=None):
        self.net, self.steps, self.shuffle = weakref.ref(net), int(steps), shuffle


def _rounded(asked, got) -> bool:
    """Whether ``got`` is ``asked`` to a control's precision (not the same, but close)."""
    if isinstance(asked, (list, tuple)) and isinstance(got, (list, tuple)) and len(asked) == len(got):
        return asked != got and all(a == g or _rounded(a, g) for a, g in zip(asked, got))
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (asked, got))
    return numbers and asked != got and math.isclose(asked, got, rel_tol=1e-2, abs_tol=1e-3)


class _NewRun(QUndoCommand):
    """Undoable: add ``run`` (a rewind or an A/B run), make ``trained`` (net, epochs, steps,
    history) current and ask the panel for the run's training settings.

    Undo takes the run out and puts back what adding it took (a run dropped beyond ``MAX_RUNS``,
    thinned checkpoints: ``RunList.put_back``), the weights and the panel's settings of before.
    It first keeps the state the run has reached by then (training goes on in place in that
    network and history), and a redo restores exactly that, as ``experiment._SwapTrained`` does."""

    def __init__(self, keeper: "RunsKeeper", run, trained, tip: _Tip, text: str):
        super().__init__(text)
        self._keeper, self._run, self._trained, self._tip = keeper, run, trained, tip
        self._before = None
        self._taken = None

    def redo(self):
        k = self._keeper
        exp = k.experiment
        self._before = (exp.net, exp.epochs_trained, exp.steps_trained, exp.history, exp.runs.current,
                        dict(exp.hyperparameters))
        self._taken = exp.runs.add(self._run)
        k.tips[self._run.id] = self._tip
        exp.runs.current = self._run.id
        exp.adopt_network(*self._trained)
        k.changed()
        hp = self._run.settings["hyperparameters"]
        exp.request_settings(hp)
        if exp.requested_settings is None and exp.hyperparameters:
            # The panel took them, to its precision (an A/B value typed as 0.12345, a momentum
            # box of 3 decimals): the run records what it trains with.
            taken = {key: exp.hyperparameters[key] for key in hp
                     if key in exp.hyperparameters and _rounded(hp[key], exp.hyperparameters[key])}
            if taken:
                self._run.settings = {**self._run.settings, "hyperparameters": {**hp, **taken}}

    def undo(self):
        k = self._keeper
        exp = k.experiment
        self._trained = (exp.net, exp.epochs_trained, exp.steps_trained, exp.history)   # where the run is now
        self._tip = k.tips.pop(self._run.id, self._tip)
        exp.runs.remove(self._run.id)
        exp.overlaid.discard(self._run.id)
        if self._taken is not None:
            exp.runs.put_back(self._taken)
        net, epochs, steps, history, current, settings = self._before
        exp.adopt_network(net, epochs, steps, history)
        exp.runs.current = current
        k.changed()
        exp.request_settings(settings)


class _DeleteRun(QUndoCommand):
    def __init__(self, keeper: "RunsKeeper", run_id: int, text: str):
        super().__init__(text)
        self._keeper, self._id, self._taken, self._bounds = keeper, run_id, None, None

    def redo(self):
        exp = self._keeper.experiment
        self._current = exp.runs.current
        self._taken = exp.runs.remove(self._id)
        if self._bounds is not None:           # what bringing the run back took goes back too
            exp.runs.put_back(self._bounds)
        exp.overlaid.discard(self._id)
        self._keeper.changed()

    def undo(self):
        exp = self._keeper.experiment
        if self._taken is not None:
            index, run = self._taken
            self._bounds = exp.runs.add(run, index)     # the run limit holds: a newer run may have filled it
            exp.runs.current = self._current
        self._keeper.changed()


class RunsKeeper(QObject):
    """Keeps ``experiment.runs`` for the training controller (see the module docstring)."""

    def __init__(self, experiment, parent=None):
        super().__init__(parent)
        self.experiment = experiment
        self.tips: dict[int, _Tip] = {}
        self._segment = None          # (seed, start steps, permutations drawn before, n_train)
        self._offsets = (0, 0)
        self._run = None
        self._started = 0.0
        #: Counts the presses' starts and ends (the runs view clears its message when it moves).
        self.presses = 0
        experiment.runs_keeper = self
        experiment.network_changed.connect(self._on_network_changed)

    def changed(self) -> None:
        self.experiment.runs_changed.emit()

    def _notes(self) -> None:
        runs = self.experiment.runs
        if runs.notes:
            self.experiment.message.emit(" ".join(runs.notes))
            runs.notes.clear()

    def _tip_run(self):
        """The run whose end the current weights are, or None."""
        exp = self.experiment
        for run_id, tip in self.tips.items():
            if exp.net is not None and tip.net() is exp.net and tip.steps == exp.steps_trained:
                run = exp.runs.get(run_id)
                if run is not None:
                    return run
        return None

    def _on_network_changed(self) -> None:
        runs = self.experiment.runs
        run = self._tip_run()
        current = run.id if run is not None else None
        if current != runs.current and self._run is None:
            runs.current = current
            self.changed()

    # ------------------------------------------------------------------ sessions
    def adopt(self, runs) -> None:
        """An opened session's RunList (or a fresh one): its current run ends at the current weights."""
        exp = self.experiment
        from workbench.core.runs import RunList

        exp.runs = runs if runs is not None else RunList()
        exp.overlaid.clear()
        self.tips.clear()
        current = exp.runs.current_run
        if current is not None:
            if exp.net is not None:
                self.tips[current.id] = _Tip(exp.net, exp.steps_trained)
                current.history = exp.history
            else:
                exp.runs.current = None
        self.changed()

    # ------------------------------------------------------------------ a press
    def starting(self, n_train: int):
        """A run starts on ``experiment.net``: extend the run it ends, or start a new one — on
        other weights (its first checkpoint: those initial weights), or on the end of a run whose
        training settings the panel now changes (epochs aside: they only say how long to go; its
        first checkpoint: the weights it goes on from) — so a run's settings hold for all its epochs.

        Returns None (a fresh press's batch order) or a callable ``build(stopped)`` giving the
        generator that continues a rewound or A/B run's batch order (``core.runs.resume_rng``):
        the training thread calls it, as rebuilding it can take seconds."""
        exp = self.experiment
        runs = exp.runs
        seed = int(exp.hyperparameters.get("seed", 0))
        settings = run_settings(exp.architecture, exp.hyperparameters, _data_spec(exp))
        run = self._tip_run()
        shuffle = None
        if run is not None:
            if run.settings["data"] != settings["data"] and _same_data(run.settings["data"], exp):
                run.settings["data"] = settings["data"]     # the same data, written out in full
            shuffle = self.tips[run.id].shuffle
            changed = changed_settings(run.settings["hyperparameters"], settings["hyperparameters"])
            if changed:
                if "seed" in changed:
                    shuffle = None          # another seed: another batch order
                parent = run
                name = f"{run.name} → " + ", ".join(setting_phrases(settings, changed))
                run = self._new_run(settings, n_train, seed, shuffle, name=name[:200],
                                    parent=(parent.id, exp.epochs_trained))
            else:
                runs.current = run.id
                run.history = exp.history
                new, old = settings["hyperparameters"], run.settings["hyperparameters"]
                # how long to go (and keys an older file lacks) from the panel; the training settings stay
                run.settings = {**run.settings, "hyperparameters": {
                    **new, **{k: v for k, v in old.items() if k not in NOT_TRAINING or k not in new}}}
        else:
            run = self._new_run(settings, n_train, seed, None)
        build = None
        if shuffle is not None and shuffle[3] == n_train:
            build = partial(resume_rng, tuple(shuffle), n_train)
        self._segment = tuple(shuffle) if build is not None else (seed, exp.steps_trained, 0, n_train)
        self._offsets = (exp.epochs_trained, exp.steps_trained)
        self._run = run
        self._started = time.perf_counter()
        if run.started is None:
            run.started = time.time()
        run.end_reason = None
        self.presses += 1
        self._notes()
        self.changed()
        return build

    def _new_run(self, settings: dict, n_train: int, seed: int, shuffle, **kw):
        """A new current run that takes the live history (the others keep copies of theirs), its
        first checkpoint the current weights."""
        exp = self.experiment
        for other in exp.runs.runs:
            if other.history is exp.history:
                other.history = copy_history(exp.history)
        run = exp.runs.new_run(settings, exp.history, **kw)
        recipe = shuffle if shuffle is not None else shuffle_recipe(seed, exp.steps_trained, 0, n_train)
        exp.runs.add_checkpoint(run, checkpoint_of(exp.net, exp.epochs_trained, exp.steps_trained, recipe))
        return run

    def checkpoint(self, c: Checkpoint) -> None:
        """A checkpoint from the worker (epochs and steps within the press)."""
        run = self._run
        if run is None:
            return
        seed, start, drawn, n = self._segment
        epoch_off, step_off = self._offsets
        self.experiment.runs.add_checkpoint(run, Checkpoint(epoch_off + c.epochs, step_off + c.steps, c.weights,
                                                            shuffle_recipe(seed, start, drawn + c.epochs, n)))
        self._notes()

    def ended(self, epoch_end: bool, epochs_in_press: int, reason: str | None) -> None:
        """The press is over: a last checkpoint of the weights, the run's time and end reason."""
        exp = self.experiment
        run, self._run = self._run, None
        if run is None or exp.net is None:
            return
        seed, start, drawn, n = self._segment
        shuffle = shuffle_recipe(seed, start, drawn + epochs_in_press, n) if epoch_end else None
        last = run.checkpoints[-1] if run.checkpoints else None
        if last is None or (last.epochs, last.steps) != (exp.epochs_trained, exp.steps_trained):
            exp.runs.add_checkpoint(run, checkpoint_of(exp.net, exp.epochs_trained, exp.steps_trained, shuffle))
        run.seconds += time.perf_counter() - self._started
        run.finished = time.time()
        run.end_reason = reason
        # Stopped before a batch (e.g. while the batch order was rebuilt): the next press goes on
        # with the same batch order; otherwise with a fresh press's.
        untrained = exp.steps_trained == self._offsets[1]
        self.tips[run.id] = _Tip(exp.net, exp.steps_trained, self._segment if untrained else None)
        self.presses += 1
        exp.runs.current = run.id
        self._notes()
        self.changed()

    # ------------------------------------------------------------------ rewind, A/B, delete
    def _problem(self, run) -> str | None:
        exp = self.experiment
        if exp.is_training():
            return "Stop the run first."
        if run is None:
            return "Choose a run in the table first."
        if run.settings["architecture"] != exp.architecture:
            return (f"“{run.name}” is a {'-'.join(map(str, run.settings['architecture']['sizes']))} network; "
                    f"set the designer to its architecture first.")
        if not _same_data(run.settings["data"], exp):
            return f"“{run.name}” trained on other data ({run.settings['data']}); load that data set first."
        return None

    def rewind(self, run_id: int, epochs: int, steps: int | None = None) -> str | None:
        """Continue run ``run_id`` from its checkpoint at ``epochs`` (and ``steps``, when two share
        the epoch): undoable.  Returns why not (one sentence) or None."""
        exp = self.experiment
        run = exp.runs.get(run_id)
        problem = self._problem(run)
        if problem:
            return problem
        chosen = [c for c in run.checkpoints if c.epochs == epochs and (steps is None or c.steps == steps)]
        if not chosen:
            return f"“{run.name}” has no checkpoint at epoch {epochs}."
        c = chosen[-1]
        try:
            net = c.network()
        except (RunsError, ValueError) as exc:
            return f"The checkpoint cannot be used: {exc}"
        history = copy_history(run.history)
        history.truncate(c.steps)
        kept = [k for k in run.checkpoints if (k.epochs, k.steps) <= (c.epochs, c.steps)]
        from workbench.core.runs import Run

        settings = run_settings(run.settings["architecture"], run.settings["hyperparameters"], run.settings["data"])
        new = Run(id=exp.runs.new_id(), name=f"{run.name} from epoch {c.epochs}"[:200], settings=settings,
                  history=history, checkpoints=kept, parent=(run.id, c.epochs))
        exp.undo_stack.push(_NewRun(self, new, (net, c.epochs, c.steps, history), _Tip(net, c.steps, c.shuffle),
                                    f"Rewind to epoch {c.epochs} of {run.name}"))
        self._notes()
        return None

    def ab(self, run_id: int, key: str, text: str) -> str | None:
        """A new run from ``run_id``'s initial weights and batch order with ``key`` set to ``text``
        (checked first): undoable.  Returns why not (one sentence) or None."""
        exp = self.experiment
        run = exp.runs.get(run_id)
        problem = self._problem(run)
        if problem:
            return problem
        value, problem = ab_value(key, text, len(run.settings["architecture"]["sizes"]) - 1)
        if problem:
            return problem
        if not run.checkpoints:
            return f"“{run.name}” kept no initial weights to start from."
        first = run.checkpoints[0]
        try:
            net = first.network()
        except (RunsError, ValueError) as exc:
            return f"The initial weights cannot be used: {exc}"
        from workbench.core.history import RunHistory
        from workbench.core.runs import Run

        if first.steps == 0 and first.epochs == 0:
            history = RunHistory(net.n_layers, exp.classification, exp.history.watch)
        else:
            history = copy_history(run.history)
            history.truncate(first.steps)
        hp = {**run.settings["hyperparameters"], key: value}
        settings = {**run.settings, "hyperparameters": hp}
        new = Run(id=exp.runs.new_id(), name=f"{run.name} B: {setting_phrases(settings, [key])[0]}"[:200], settings=settings,
                  history=history, checkpoints=[first], parent=(run.id, first.epochs))
        exp.undo_stack.push(_NewRun(self, new, (net, first.epochs, first.steps, history),
                                    _Tip(net, first.steps, first.shuffle), f"A/B run of {run.name}"))
        self._notes()
        return None

    def delete(self, run_id: int) -> str | None:
        exp = self.experiment
        run = exp.runs.get(run_id)
        if run is None:
            return "Choose a run in the table first."
        if exp.is_training():
            return "Runs cannot be deleted while a run goes; stop it first."
        exp.undo_stack.push(_DeleteRun(self, run_id, f"Delete {run.name}"))
        return None

    def rename(self, run_id: int, name: str) -> str | None:
        run = self.experiment.runs.get(run_id)
        name = name.strip()
        if run is None:
            return "There is no such run."
        if not name or len(name) > 200:
            return "A run's name has 1 to 200 characters."
        run.name = name
        self.experiment.set_modified(True)
        self.changed()
        return None

    def set_overlaid(self, run_id: int, on: bool) -> None:
        exp = self.experiment
        (exp.overlaid.add if on else exp.overlaid.discard)(run_id)
        self.changed()
