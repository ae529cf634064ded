"""The network diagram: neurons and weights coloured by sign and thickened by magnitude, updated
while training; click a neuron for its bias, ∂C/∂b and incoming weights, follow one of them, and
edit its bias or an incoming weight (when idle or paused; undoable; the cost before and after is
shown)."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QVBoxLayout

from workbench.core.names import weight_name
from workbench.core.universality import sample_cost
from workbench.gui.plots.diagram import NetworkDiagram
from workbench.gui.plots.neuron_editor import NeuronEditor, cost_change_text
from workbench.gui.views.base import View


class DiagramView(View):
    name = "diagram"
    title = "Diagram"
    area = "bottom"
    tooltip = "Neurons and weights of the network, live"
    #: While a run goes the diagram is redrawn at most this often: its colours change slowly, and
    #: the frames it leaves to the plots and the output map make those livelier.
    RUNNING_REDRAW_S = 0.25
    _drawn_at = 0.0
    #: Training samples the cost before and after an edit is measured on (bounded GUI-thread work).
    COST_SAMPLES = 10_000

    def is_dirty(self) -> bool:
        if not self._dirty:
            return False
        return (self.experiment.run_state != "running"
                or time.perf_counter() - self._drawn_at >= self.RUNNING_REDRAW_S)

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self.diagram = NetworkDiagram()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.diagram)
        self.editor = NeuronEditor()
        column.addWidget(self.editor)
        self.editor.edit_requested.connect(self._edit)
        self.diagram.follow_source.valueChanged.connect(self.mark_dirty)
        experiment.run_state_changed.connect(self.mark_dirty)
        self.diagram.follow_requested.connect(self._follow)
        self.diagram.unfollow_requested.connect(lambda: experiment.set_watch([]))
        for signal in (experiment.architecture_changed, experiment.network_changed,
                       experiment.parameters_changed):
            signal.connect(self.mark_dirty)
        experiment.watch_changed.connect(self._on_watch_changed)
        experiment.neuron_selected.connect(self._on_neuron_selected)
        self.diagram.neuron_clicked.connect(self._on_neuron_clicked)

    def _on_neuron_clicked(self, layer: int, index: int) -> None:
        self.experiment.select_neuron(layer, index)
        self.mark_dirty()               # the edit row shows the new neuron

    def _edit(self, changes, text: str) -> None:
        exp = self.experiment
        ds = exp.dataset
        data = (ds.train.X, ds.train.Y) if ds is not None and ds.train is not None and exp.net is not None \
            and ds.n_inputs == exp.net.sizes[0] and ds.n_outputs == exp.net.sizes[-1] else None
        before = sample_cost(exp.net, *data, self.COST_SAMPLES) if data else None
        problem = exp.edit_parameters(changes, text)
        if problem:
            self.editor.show_result(problem, error=True)
            return
        if data:
            after, n = sample_cost(exp.net, *data, self.COST_SAMPLES)
            note = cost_change_text(before[0], after, n, len(data[0]))
        else:
            note = "Done; load data that fits the network to see its cost."
        self.editor.show_result(f"{text}. {note} Edit → Undo puts the old value back.")
        exp.message.emit(f"{text}. {note}")

    def _on_neuron_selected(self, layer: int, index: int) -> None:
        """Another view chose a neuron: select it here and bring the diagram forward."""
        if self.diagram.selected_neuron() != (layer, index):
            self.draw()                 # the diagram must know the current architecture first
            self.diagram.select_neuron(layer, index)
            self.experiment.view_requested.emit(self.name)

    def _on_watch_changed(self) -> None:
        self.diagram.set_followed(self.experiment.watch)     # cheap: the canvas repaints later

    def _follow(self, layer: int, i: int, j: int) -> None:
        exp = self.experiment
        problem = exp.follow_weight(layer, i, j)
        if problem:
            exp.message.emit(problem)
        else:
            exp.message.emit(f"Following {weight_name(layer, i, j, exp.n_layers)}: its gradient is plotted "
                             "after every batch on the 'Followed weights' tab.")
        if exp.watch:
            exp.view_requested.emit("followed")

    def draw(self) -> None:
        self._drawn_at = time.perf_counter()
        exp = self.experiment
        net = exp.net
        if net is not None:
            self.diagram.set_architecture(list(net.sizes), list(net.activations))
        else:
            self.diagram.set_architecture(list(exp.architecture["sizes"]), exp.architecture["activations"])
        parameters = exp.parameters()
        if parameters is not None:
            weights, biases, gradients = parameters
            self.diagram.set_parameters(weights, biases,
                                        gradients if gradients is not None else exp.last_bias_gradients)
        else:
            self.diagram.clear_parameters()
        self.diagram.set_followed(exp.watch)
        self._show_editor(parameters)

    def _show_editor(self, parameters) -> None:
        exp = self.experiment
        if exp.run_state not in ("idle", "paused"):
            reason = "Pause the run (or let it finish) to edit weights."
        elif exp.net is None:
            reason = "There is no network yet: press Reset Weights (Ctrl+R) to make one."
        else:
            reason = None
        weights, biases = (parameters[0], parameters[1]) if parameters is not None and exp.net is not None \
            else (None, None)
        self.editor.show_neuron(self.diagram.selected_neuron(), self.diagram.follow_source.value() - 1,
                                exp.sizes(), weights, biases, reason)
