"""The window's one model: the data set, the network, its settings, history, run and document state.

``Experiment`` is a QObject without widgets or dialogs.  Panels write through its setters; views
and panels subscribe to its signals and read its attributes.  Nothing else in the window keeps a
copy of this state.

Signals (all emitted on the GUI thread):

- ``data_changed``: ``dataset`` / ``data_spec`` replaced (the dataset may be None);
- ``architecture_changed``: ``architecture`` (sizes, activations, cost) replaced;
- ``network_changed``: ``net`` created, replaced, restored or dropped (it may be None);
- ``parameters_changed``: newer weights are available (``parameters()``), e.g. mid-run;
- ``hyperparameters_changed``: the training settings changed;
- ``resolution_changed``: the plots now show ``plot_resolution`` ("batch" or "epoch");
- ``history_reset`` / ``history_appended``: ``history`` started over / grew;
- ``watch_changed``: the followed weights changed;
- ``run_state_changed(str)``: ``run_state`` is now "idle", "running", "paused" or "stopping";
- ``epoch_finished(int)``: a run finished that epoch (numbered across runs);
- ``document_changed``: name, path or modified flag changed;
- ``message(str)``: a short note for the status bar;
- ``view_requested(str)``: a view asks the window to bring the view of that name to the front;
- ``neuron_selected(int, int)``: ``selected_neuron`` (layer, index; the input layer is 0) changed;
- ``runs_changed``: ``runs`` (a ``core.runs.RunList``: the runs side by side, kept by
  ``gui.runs.RunsKeeper``) or the runs ticked for overlays (``overlaid``, run ids) changed;
- ``settings_requested(dict)``: a rewind or an A/B run asks for these training settings in the
  panel (also kept in ``requested_settings`` until the panel takes them).

Mid-run parameters: ``parameters()`` gives the latest snapshot from the training thread;
``update_ratios`` holds, per weight layer, ‖ΔW‖/‖W‖ of the update that followed that snapshot
(None before the first, or for a layer whose ‖W‖ is 0).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from workbench.core import has_weight
from workbench.core.history import MAX_FOLLOWED, RunHistory  # noqa: F401  (MAX_FOLLOWED: sessions share it)
from workbench.core.runs import RunList

SHELF_SIZE = 4            # trained networks kept for an architecture edit that is undone


class _Trained:
    """A network with the epochs, steps and history behind it (moved out and back by undo)."""

    __slots__ = ("net", "epochs", "steps", "history", "architecture")

    def __init__(self, net, epochs: int, steps: int, history: RunHistory, architecture: dict | None = None):
        self.net, self.epochs, self.steps, self.history = net, epochs, steps, history
        self.architecture = architecture if architecture is not None else net.architecture()


def _architecture_key(arch: dict) -> tuple:
    return tuple(arch["sizes"]), tuple(arch["activations"]), arch["cost"]


class _SwapTrained(QUndoCommand):
    """Undoable replacement of the trained state (Reset Weights, Load Weights)."""

    def __init__(self, experiment: "Experiment", new: _Trained, text: str):
        super().__init__(text)
        self._experiment, self._other = experiment, new

    def redo(self):
        self._other = self._experiment._swap_trained(self._other)

    def undo(self):
        self._other = self._experiment._swap_trained(self._other)


class _SwapDataset(QUndoCommand):
    """Undoable replacement of the data set by an edited one (same spec, other points).  Once other
    data has been loaded the edit no longer applies: undoing or redoing it changes nothing and
    drops it from the stack."""

    def __init__(self, experiment: "Experiment", dataset, text: str):
        super().__init__(text)
        self._experiment, self._other = experiment, dataset
        self._expected = None           # the data set this command leaves in place

    def redo(self):
        self._swap()

    def undo(self):
        self._swap()

    def _swap(self):
        exp = self._experiment
        if self._expected is not None and exp.dataset is not self._expected:
            self.setObsolete(True)
            return
        self._other = exp._swap_dataset(self._other)
        self._expected = exp.dataset


class Experiment(QObject):
    data_changed = Signal()
    architecture_changed = Signal()
    network_changed = Signal()
    parameters_changed = Signal()
    hyperparameters_changed = Signal()
    resolution_changed = Signal()
    history_reset = Signal()
    history_appended = Signal()
    watch_changed = Signal()
    run_state_changed = Signal(str)
    epoch_finished = Signal(int)
    document_changed = Signal()
    message = Signal(str)
    view_requested = Signal(str)
    neuron_selected = Signal(int, int)
    runs_changed = Signal()
    settings_requested = Signal(dict)

    def __init__(self, undo_stack: QUndoStack | None = None, parent=None):
        super().__init__(parent)
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.dataset = None
        self.data_spec: str | None = None
        self.architecture: dict = {"sizes": [None, None], "activations": ["sigmoid"], "cost": "cross-entropy"}
        self.hyperparameters: dict = {}
        self.net = None
        self.epochs_trained = 0
        self.steps_trained = 0
        self.history = RunHistory()
        self.plot_resolution = "batch"
        self.run_state = "idle"
        self.path: str | None = None
        self.name = "Untitled"
        self._dirty = False
        self._snapshot = None              # (weights, biases, bias_gradients) newer than ``net``'s
        self.update_ratios: list[float | None] | None = None
        self._last_gradients = None        # ∂C/∂b of the latest batch seen in a snapshot
        self.selected_neuron: tuple[int, int] | None = None
        self._shelf: dict[tuple, _Trained] = {}
        self._target_range = None          # (dataset, min, max) of its training targets
        self.problems: dict[str, str | None] = {}   # panel -> why its values cannot be used
        self.runs = RunList()
        self.overlaid: set[int] = set()
        self.requested_settings: dict | None = None
        self.runs_keeper = None            # gui.runs.RunsKeeper: set by the training controller
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _on_clean_changed(self, _clean: bool) -> None:
        self.document_changed.emit()

    # ------------------------------------------------------------------ derived state
    @property
    def classification(self) -> bool:
        return self.dataset is None or self.dataset.task == "classification"

    @property
    def n_layers(self) -> int:
        """Weight layers of the network (or of the designed stack while there is none)."""
        return max(1, len(self.sizes()) - 1)

    def sizes(self) -> list:
        return list(self.net.sizes) if self.net is not None else list(self.architecture["sizes"])

    @property
    def watch(self) -> list[tuple[int, int, int]]:
        return self.history.watch

    def is_training(self) -> bool:
        return self.run_state != "idle"

    def is_modified(self) -> bool:
        return self._dirty or not self.undo_stack.isClean()

    def parameters(self):
        """(weights, biases, bias_gradients or None) to show: the latest mid-run snapshot, else the
        network's own arrays (not copies: read them, never write), else None."""
        if self._snapshot is not None:
            return self._snapshot
        if self.net is None:
            return None
        return self.net.weights, self.net.biases, None

    @property
    def last_bias_gradients(self):
        """∂C/∂b of the latest batch a snapshot carried (kept after the run: the diagram shows it);
        None when the network has not been trained in this window since it was made current."""
        return self._last_gradients

    def target_error(self, cost: str) -> str | None:
        """Whether the training targets suit ``cost`` (their range is computed once per data set)."""
        from workbench.core import target_error

        ds = self.dataset
        if ds is None or ds.train is None or len(ds.train) == 0:
            return None
        if self._target_range is None or self._target_range[0] is not ds:
            y = ds.train.Y
            self._target_range = (ds, float(y.min()), float(y.max()))
        return target_error(cost, *self._target_range[1:])

    def set_problem(self, source: str, text: str | None) -> None:
        """A panel ("architecture", "training") says why its values cannot be used (None: they can)."""
        self.problems[source] = text

    def blocking_reason(self) -> str | None:
        """Why a run cannot start now (one sentence), or None."""
        ds = self.dataset
        if ds is None:
            return "Choose a data set in the Data panel first."
        if ds.train is None or len(ds.train) == 0:
            return "The data set has no training samples."
        if self.problems.get("architecture"):
            return self.problems["architecture"]
        sizes = self.architecture["sizes"]
        if sizes[0] != ds.n_inputs:
            return f"The input layer has {sizes[0]} neurons but the data has {ds.n_inputs} inputs."
        if sizes[-1] != ds.n_outputs:
            return f"The output layer has {sizes[-1]} neurons but the data has {ds.n_outputs} targets."
        return self.target_error(self.architecture["cost"]) or self.problems.get("training")

    # ------------------------------------------------------------------ document
    def set_modified(self, modified: bool = True) -> None:
        self._dirty = modified
        if not modified:
            self.undo_stack.setClean()
        self.document_changed.emit()

    def set_document(self, name: str | None = None, path: str | None = None) -> None:
        if name is not None:
            self.name = name
        self.path = path
        self.document_changed.emit()

    # ------------------------------------------------------------------ setters used by the panels
    def set_dataset(self, dataset, spec: str | None, *, modifies: bool = True) -> None:
        self.dataset = dataset
        self.data_spec = spec
        if modifies:
            self._dirty = True
        self.data_changed.emit()
        self.document_changed.emit()
        self._reset_history_if_untrained()

    def set_architecture(self, arch: dict) -> None:
        """The designer's stack changed.  A trained network of another architecture is put on a
        shelf (so undoing the edit brings its weights and history back) and dropped."""
        arch = {"sizes": list(arch["sizes"]), "activations": list(arch["activations"]), "cost": arch["cost"]}
        if arch == self.architecture:
            return
        self.architecture = arch
        if self.net is not None and self.net.architecture() != arch:
            key = _architecture_key(self.net.architecture())
            self._shelf.pop(key, None)
            self._shelf[key] = _Trained(self.net, self.epochs_trained, self.steps_trained, self.history)
            while len(self._shelf) > SHELF_SIZE:
                self._shelf.pop(next(iter(self._shelf)))
            self._install(None, 0, 0, None)
        elif self.net is None and None not in arch["sizes"]:
            shelved = self._shelf.pop(_architecture_key(arch), None)
            if shelved is not None:
                self._install(shelved.net, shelved.epochs, shelved.steps, shelved.history)
        self.architecture_changed.emit()
        if self.net is None:
            self._reset_history_if_untrained()

    def set_hyperparameters(self, values: dict, *, modifies: bool = True) -> None:
        self.hyperparameters = dict(values)
        if modifies:
            self._dirty = True
            self.document_changed.emit()
        self.hyperparameters_changed.emit()

    def request_settings(self, values: dict) -> None:
        """Ask for ``values`` (training settings) in the training panel (rewind, A/B)."""
        self.requested_settings = dict(values)
        self.settings_requested.emit(dict(values))

    def set_resolution(self, mode: str) -> None:
        if mode not in ("batch", "epoch"):
            raise ValueError(f"Unknown plot resolution {mode!r}; use 'batch' or 'epoch'.")
        if mode != self.plot_resolution:
            self.plot_resolution = mode
            self.resolution_changed.emit()

    # ------------------------------------------------------------------ network
    def _install(self, net, epochs: int, steps: int, history: RunHistory | None) -> None:
        """Make ``net`` (or None) current with that training behind it; ``history`` None = a fresh one."""
        self.net = net
        self.epochs_trained, self.steps_trained = epochs, steps
        self._snapshot = None
        self._last_gradients = None
        self.update_ratios = None
        if self.selected_neuron is not None and not self._has_neuron(self.selected_neuron):
            self.selected_neuron = None
        if history is None:
            history = RunHistory(self.n_layers, self.classification, self._watch_within(self.sizes()))
        self.history = history
        self.network_changed.emit()
        self.history_reset.emit()
        self.watch_changed.emit()

    def _swap_trained(self, other: _Trained) -> _Trained:
        current = _Trained(self.net, self.epochs_trained, self.steps_trained, self.history,
                           dict(self.architecture))
        # The designer's own undo command (in the same macro) shows the architecture; changing the
        # designer from here, inside the undo stack's undo(), would clear the stack under itself.
        self.architecture = dict(other.architecture)
        self._install(other.net, other.epochs, other.steps, other.history)
        return current

    def new_network(self):
        """A network of ``architecture`` initialised as the training settings say (init, bias init,
        seed, precision); raises ConfigError.  The one set-up the window shares with the CLI."""
        from workbench.core.runsetup import create_network

        values = self.hyperparameters
        return create_network(self.architecture, init=values["init"], bias_init=values["bias_init"],
                              seed=values["seed"], dtype=values["dtype"])

    def replace_network(self, net, text: str, *, marker: str | None = None) -> None:
        """Undoably put ``net`` (untrained: a fresh history) in place of the current one."""
        history = RunHistory(max(1, len(net.sizes) - 1), self.classification, self._watch_within(net.sizes))
        if marker:
            history.add_marker(marker)
        self.undo_stack.push(_SwapTrained(self, _Trained(net, 0, 0, history), text))

    def adopt_network(self, net, epochs: int = 0, steps: int = 0, history: RunHistory | None = None) -> None:
        """Make ``net`` current without an undo step (new runs, opened sessions)."""
        self._install(net, epochs, steps, history)

    def drop_network(self) -> None:
        self._shelf.clear()
        self._install(None, 0, 0, None)

    def set_snapshot(self, weights, biases, bias_gradients, update_ratios=None) -> None:
        """Mid-run copies of the parameters (from the training thread), for the views."""
        self._snapshot = (weights, biases, bias_gradients)
        if bias_gradients is not None:
            self._last_gradients = bias_gradients
        if update_ratios is not None:
            self.update_ratios = list(update_ratios)
        self.parameters_changed.emit()

    def select_neuron(self, layer: int, index: int) -> None:
        """Select a neuron for every view that shows one (layer: the input layer is 0)."""
        if not self._has_neuron((layer, index)):
            raise IndexError(f"There is no neuron {index} in layer {layer}.")
        if self.selected_neuron != (layer, index):
            self.selected_neuron = (int(layer), int(index))
            self.neuron_selected.emit(int(layer), int(index))

    def _has_neuron(self, neuron) -> bool:
        sizes = self.sizes()
        layer, index = neuron
        return 0 <= layer < len(sizes) and sizes[layer] is not None and 0 <= index < sizes[layer]

    # ------------------------------------------------------------------ data edits
    def edit_dataset(self, dataset, text: str) -> None:
        """Undoably replace the data set by an edited copy of it (points drawn on the output map):
        the network and its history stay."""
        self.undo_stack.push(_SwapDataset(self, dataset, text))

    def edit_parameters(self, changes, text: str, merge_key=None) -> str | None:
        """Undoably set single weights and biases (``gui.edits``: changes are (layer, "W", i, j,
        value) or (layer, "b", i, 0, value)), when idle or paused (a paused run goes on from the
        edited values); pushes with one ``merge_key`` make one undo step.  Returns why not or None."""
        from workbench.gui.edits import ParameterEdit, change_problem

        if self.run_state not in ("idle", "paused"):
            return "Pause the run (or let it finish) before editing weights."
        if self.net is None:
            return "There is no network yet: press Reset Weights (Ctrl+R) to make one."
        problem = change_problem(self.net, changes)
        if problem is None:
            self.undo_stack.push(ParameterEdit(self, changes, text, merge_key))
        return problem

    def _swap_dataset(self, dataset):
        previous = self.dataset
        self.dataset = dataset
        self._target_range = None
        self.data_changed.emit()
        self.document_changed.emit()
        return previous

    # ------------------------------------------------------------------ history
    def _watch_within(self, sizes) -> list[tuple[int, int, int]]:
        """The followed weights that a network of these layer sizes has."""
        return [w for w in self.history.watch if has_weight(sizes, w)]

    def reset_history(self) -> None:
        self.history.reset(self.n_layers, self.classification, self._watch_within(self.sizes()))
        self.history_reset.emit()

    def _reset_history_if_untrained(self) -> None:
        """Without a network the history follows the current shape (layer count, classification);
        one that still fits stays (a session saved without its weights keeps its curves)."""
        h = self.history
        if self.net is None and (h.n_layers != self.n_layers or h.classification != self.classification):
            self.reset_history()

    def notify_appended(self) -> None:
        self.history_appended.emit()

    def add_marker(self, text: str) -> None:
        self.history.add_marker(text)
        self.history_appended.emit()

    # ------------------------------------------------------------------ followed weights
    def follow_weight(self, layer: int, i: int, j: int) -> str | None:
        """Follow ∂C/∂W[layer][i, j]; returns why not (a sentence) or None."""
        key = (int(layer), int(i), int(j))
        watch = self.history.watch
        if not has_weight(self.sizes(), key):
            return "That weight does not exist in the current network."
        if key in watch:
            return "That weight is already followed."
        if len(watch) >= MAX_FOLLOWED:
            return f"At most {MAX_FOLLOWED} weights can be followed; stop following some first."
        self.set_watch(watch + [key])
        return None

    def set_watch(self, watch) -> None:
        watch = [tuple(int(v) for v in w) for w in watch]
        self.history.set_watch(watch)
        self._dirty = True
        self.watch_changed.emit()
        self.history_appended.emit()
        self.document_changed.emit()

    # ------------------------------------------------------------------ run state
    def set_run_state(self, state: str) -> None:
        if state != self.run_state:
            self.run_state = state
            self.run_state_changed.emit(state)

    def run_finished(self) -> None:
        """A run ended: the network's own arrays are the newest parameters again."""
        self._snapshot = None
        self._dirty = True
        self.parameters_changed.emit()
        self.document_changed.emit()
