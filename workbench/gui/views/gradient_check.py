"""Gradient check: back-propagation against central finite differences, in the window.

Run checks a float64 copy of the current weights (the latest snapshot while a run goes or is
paused) on a sample of the training items: per layer a random sample of the weights and of the
biases (all of them when the layer is small), each against the fourth-order central difference
with step ε (``workbench.core.gradcheck.check_steps``), on a helper thread with a progress bar and
Cancel.  Results: a table per layer (the largest relative error of W and of b, and a verdict
coloured at 1e-7 / 1e-4 / 1e-2), a scatter of analytic against numeric values on y = x, and a
histogram of log10 relative errors over the bands.  Once the weights or the data change the
results are marked stale.

Test hook: ``view.analytic`` (None: back-propagation) replaces the gradients that are checked,
e.g. ``workbench.core.gradcheck.faulty_gradient(1)``; nothing in the window sets it.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QLabel, QLineEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from workbench.core.gradcheck import (DEFAULT_EPS, DEFAULT_ITEMS, DEFAULT_SAMPLE, EPS_RANGE, MAX_ITEMS, MAX_SAMPLE,
                                      check_problem, pick_items, verdict)
from workbench.core.layer_maths import parameter_fingerprint
from workbench.core.names import layer_name
from workbench.core.network import Network
from workbench.gui.palette import is_dark
from workbench.gui.views.base import NO_NETWORK_YET, EmptyNote, View
from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.gradient_check_parts import CheckPlots, CheckThread, LayerTable, Legend

NO_NETWORK = f"{NO_NETWORK_YET} and check its gradients."
NO_DATA = "Load data that fits the network to check its gradients on some of its training items."
MAX_SEED = 999_999
IDLE_NOTE = "Press Run to compare back-propagation with finite differences on the current weights."


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


class GradientCheckView(View):
    name = "gradient-check"
    title = "Gradient check"
    area = "centre"
    tooltip = "Back-propagation against finite differences (float64), layer by layer, on a sample of the data"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self.analytic = None            # test hook: see the module docstring
        self.state = "idle"             # "running", "completed", "cancelled", "failed"
        self.result = None
        self.message = ""               # why the last check failed
        self.progress = (0, 0)
        self.seconds = 0.0
        self.checked_what = ""          # which weights and items the result is about
        self._key = None                # (fingerprint, dataset) the result was computed for
        self._stale = None              # is_stale()'s answer until the inputs change (None: ask again)
        self._thread: CheckThread | None = None
        self._watched = None            # the window whose hiding stops a check (_watch_window)
        self._started = 0.0
        self._shown_result = False      # the table and plots show self.result ...
        self._shown_stale = False       # ... marked stale or not

        self.items_box = QSpinBox()
        self.items_box.setRange(1, MAX_ITEMS)
        self.items_box.setValue(DEFAULT_ITEMS)
        self.items_box.setToolTip("Training items the cost is averaged over (a sample of the training set)")
        self.sample_box = QSpinBox()
        self.sample_box.setRange(0, MAX_SAMPLE)
        self.sample_box.setSpecialValueText("all")
        self.sample_box.setValue(DEFAULT_SAMPLE)
        self.sample_box.setToolTip("Weights, and biases, checked per layer, drawn at random (\"all\": every one; "
                                   "each takes four cost evaluations)")
        self.eps_edit = QLineEdit(f"{DEFAULT_EPS:g}")
        self.eps_edit.setMaximumWidth(80)
        self.eps_edit.setToolTip(f"The finite-difference step ε, between {EPS_RANGE[0]:g} and {EPS_RANGE[1]:g}")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, MAX_SEED)
        self.seed_box.setToolTip("Seed of the random choice of items and parameters")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Check the gradients of the current weights now")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        controls = FlowLayout()
        for text, widget in (("Items:", self.items_box), ("Parameters per layer:", self.sample_box),
                             ("ε:", self.eps_edit), ("Seed:", self.seed_box)):
            controls.addWidget(QLabel(text))
            controls.addWidget(widget)
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        controls.addStretch(1)
        controls.addWidget(self.export_button())

        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c0392b; font-weight: 600;")
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("%v of %m parameters")
        self.status = QLabel(IDLE_NOTE)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend = Legend()
        self.layer_table = LayerTable()
        self.plots = CheckPlots()
        self.plots.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plots.setMinimumHeight(120)          # a short centre area squeezes the table, not the plots
        self.layer_table.setMinimumHeight(60)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.layer_table)
        body.addWidget(self.plots, 1)
        self.note = EmptyNote(NO_NETWORK)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(controls)
        column.addWidget(self.problem)
        column.addWidget(self.progress_bar)
        column.addWidget(self.status)
        column.addWidget(self.legend)
        column.addWidget(self.note, 1)
        column.addWidget(self.body, 1)

        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        for box in (self.items_box, self.sample_box, self.seed_box):
            box.valueChanged.connect(self.mark_dirty)
        self.eps_edit.textChanged.connect(self.mark_dirty)
        self.eps_edit.returnPressed.connect(self.run)
        for signal in (experiment.data_changed, experiment.network_changed, experiment.parameters_changed,
                       experiment.architecture_changed, experiment.run_state_changed):
            signal.connect(self._on_inputs_changed)
        self._apply_theme()

    # ------------------------------------------------------------------ what would be checked
    def _inputs(self):
        """(net, weights, biases, dataset) of a possible check, or (None, why not)."""
        exp = self.experiment
        params = exp.parameters()
        if params is None or exp.net is None:
            return None, NO_NETWORK
        weights, biases, _ = params
        ds = exp.dataset
        if (ds is None or ds.train is None or len(ds.train) == 0 or ds.n_inputs != weights[0].shape[0]
                or ds.n_outputs != weights[-1].shape[1]):
            return None, NO_DATA
        return (exp.net, weights, biases, ds), None

    def eps(self) -> float | None:
        """ε as typed, or None when it is not a number."""
        try:
            value = float(self.eps_edit.text().strip())
        except ValueError:
            return None
        return value if np.isfinite(value) else None

    def field_problem(self) -> str | None:
        """Why the fields cannot be used for the current network (one sentence), or None."""
        inputs, _ = self._inputs()
        eps = self.eps()
        if eps is None:
            lo, hi = EPS_RANGE
            return f"ε must be a number between {lo:g} and {hi:g}."
        weights = inputs[1] if inputs else None
        sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights] if inputs else [1, 1]
        n_items = min(self.items_box.value(), len(inputs[3].train)) if inputs else 1
        return check_problem(sizes, n_items, self.sample_box.value() or None, eps)

    def _current_key(self, inputs):
        net, weights, biases, ds = inputs
        return parameter_fingerprint(weights, biases), id(ds), tuple(net.activations), net.cost

    def is_stale(self) -> bool:
        """The network, its weights or the data changed since the shown result was computed (the
        weights are hashed again only after a signal says something changed, not every frame)."""
        if self.result is None:
            return False
        if self._stale is None:
            inputs, _ = self._inputs()
            self._stale = inputs is None or self._current_key(inputs) != self._key
        return self._stale

    def _on_inputs_changed(self, *_args) -> None:
        self._stale = None
        self.mark_dirty()

    # ------------------------------------------------------------------ run and cancel
    def run(self) -> bool:
        """Start a check of the current weights; False (with the reason shown) when it cannot."""
        if self._thread is not None:
            return False
        inputs, why = self._inputs()
        problem = why or self.field_problem()
        if problem:
            self.problem.setText(problem)
            self.mark_dirty()
            return False
        net, weights, biases, ds = inputs
        exp = self.experiment
        n_items = min(self.items_box.value(), len(ds.train))
        seed = self.seed_box.value()
        rows = pick_items(len(ds.train), n_items, seed)
        model = Network([np.array(w, dtype=np.float64) for w in weights],       # copies, made here
                        [np.array(b, dtype=np.float64) for b in biases], net.activations, net.cost, dtype="float64")
        X = np.array(ds.train.X[rows], dtype=np.float64)
        Y = np.array(ds.train.Y[rows], dtype=np.float64)
        self._key = self._current_key(inputs)
        self._stale = None
        source = ("the latest snapshot of the running network" if exp.run_state == "running" else
                  "the paused network's weights" if exp.is_training() else "the current weights")
        items = f"all {n_items} training items" if n_items == len(ds.train) else \
            f"{n_items} of {len(ds.train):,} training items"
        self.checked_what = f"{source} after {exp.epochs_trained} epochs, on {items}, ε = {self.eps():g}"
        thread = CheckThread(model, X, Y, sample=self.sample_box.value() or None, eps=self.eps(),
                             rng=np.random.default_rng(seed + 1), analytic=self.analytic)
        thread.progressed.connect(self._on_progress)
        thread.completed.connect(self._on_completed)
        thread.failed.connect(self._on_failed)
        thread.cancelled.connect(self._on_cancelled)
        thread.finished.connect(self._on_finished)
        self._thread = thread
        self._watch_window()
        self.state, self.message, self.progress = "running", "", (0, 0)
        self.problem.setText("")
        self._started = time.perf_counter()
        thread.start()
        self.mark_dirty()
        return True

    def cancel(self) -> None:
        """Ask the running check to stop before its next parameter."""
        if self._thread is not None:
            self._thread.cancel()

    def shutdown(self) -> None:
        """Cancel a running check and wait for its thread (the window's close)."""
        thread = self._thread
        if thread is not None:
            thread.cancel()
            thread.wait()
            self._settle(thread)

    def is_running(self) -> bool:
        return self._thread is not None

    def _on_progress(self, done: int, total: int) -> None:
        self.progress = (done, total)
        self.mark_dirty()

    def _on_completed(self, result) -> None:
        self.result, self.state = result, "completed"
        self._stale = None
        self.seconds = time.perf_counter() - self._started
        self.progress = (result.checked, result.checked)
        self._shown_result = False
        self.mark_dirty()

    def _on_failed(self, message: str) -> None:
        self.state, self.message = "failed", message
        self.mark_dirty()

    def _on_cancelled(self) -> None:
        self.state = "cancelled"
        self.mark_dirty()

    def _on_finished(self) -> None:
        self._settle(self.sender())

    def _settle(self, thread) -> None:
        """The thread has ended: forget it (its own signals may still be queued: they are harmless)."""
        if thread is not None and thread is self._thread:
            thread.wait()
            self._thread = None
            if self.state == "running":            # ended by shutdown() before its signal arrived
                self.state = "cancelled"
            self.mark_dirty()

    def _watch_window(self) -> None:
        """Stop the check when the window holding this view is hidden (closed), whichever tab is in
        front; the window's own shutdown may also call ``shutdown()``."""
        top = self.window()
        if top is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            top.installEventFilter(self)
            self._watched = top

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if obj is self._watched and event.type() == QEvent.Type.Hide and not event.spontaneous():
            self.shutdown()
        return False

    # ------------------------------------------------------------------ drawing
    def _apply_theme(self) -> None:
        self.plots.apply_theme(self.palette(), is_dark(self.palette()))
        self.legend.recolour()
        self._shown_result = False
        self.mark_dirty()

    def changeEvent(self, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)

    def draw(self) -> None:
        inputs, why = self._inputs()
        running = self._thread is not None
        self.run_button.setEnabled(not running and inputs is not None)
        self.cancel_button.setEnabled(running)
        if not running:
            problem = why is None and self.field_problem()
            self.problem.setText(problem or "")
        self.problem.setVisible(bool(self.problem.text()))
        show = inputs is not None or self.result is not None
        for widget in (self.legend, self.status):
            widget.setVisible(show)
        self.progress_bar.setVisible(show and self.state in ("running", "cancelled"))
        self.body.setVisible(show and self.result is not None)
        self.note.setVisible(not self.body.isVisibleTo(self))
        if not show:
            self.note.setText(why or "")
            return
        done, total = self.progress
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(min(done, max(1, total)))
        stale = self.is_stale()
        text = self._status_text(stale)
        self.status.setText(text)
        self.status.setVisible(self.result is not None)
        self.note.setText(text)                 # in place of the results until there are some
        if self.result is not None and (not self._shown_result or stale != self._shown_stale):
            dark = is_dark(self.palette())
            self.layer_table.show_result(self.result, dark, stale)
            self.plots.show_result(self.result)
            self._shown_result, self._shown_stale = True, stale

    def _status_text(self, stale: bool) -> str:
        done, total = self.progress
        if self.state == "running":
            cancelling = self._thread is not None and self._thread.is_cancelling()
            return ("Cancelling…" if cancelling else f"Checking {self.checked_what}: {done:,} of {total:,} "
                    "parameters…")
        if self.state == "cancelled":
            text = f"Cancelled after {done:,} of {total:,} parameters; nothing was checked to the end."
            return text + (" The results below are from the previous check." if self.result is not None else "")
        if self.state == "failed":
            return self.message
        if self.result is None:
            return IDLE_NOTE
        r = self.result
        text = (f"Checked {r.checked:,} of {r.total:,} parameters of {self.checked_what} in {_duration(self.seconds)}; "
                f"largest relative error {r.worst:.2e} ({verdict(r.worst)}).")
        if stale:
            text = "Stale: the network or the data changed since this check (press Run again). " + text
        return text

    # ------------------------------------------------------------------ export and settings
    def export_widget(self) -> QWidget:
        return self

    def table(self):
        if self.result is None:
            return None
        n_neuron_layers = len(self.result.layers) + 1
        rows = []
        for check in self.result.layers:
            name = layer_name(check.layer + 1, n_neuron_layers)
            for (i, j), a, n, e in zip(check.w_index, check.w_analytic, check.w_numeric, check.w_error):
                rows.append([name, "weight", int(i) + 1, int(j) + 1, float(a), float(n), float(e), verdict(e)])
            for j, a, n, e in zip(check.b_index, check.b_analytic, check.b_numeric, check.b_error):
                rows.append([name, "bias", None, int(j) + 1, float(a), float(n), float(e), verdict(e)])
        return ["layer", "parameter", "from neuron", "to neuron", "back-propagation", "finite difference",
                "relative error", "verdict"], rows

    def settings(self) -> dict:
        eps = self.eps()
        return {"items": self.items_box.value(), "per_layer": self.sample_box.value(),
                "eps": eps if eps is not None else DEFAULT_EPS, "seed": self.seed_box.value()}

    def apply_settings(self, values: dict) -> None:
        if not isinstance(values, dict):
            return
        for key, box in (("items", self.items_box), ("per_layer", self.sample_box), ("seed", self.seed_box)):
            v = values.get(key)
            if isinstance(v, int) and not isinstance(v, bool) and box.minimum() <= v <= box.maximum():
                box.setValue(v)
        eps = values.get("eps")
        lo, hi = EPS_RANGE
        if isinstance(eps, (int, float)) and not isinstance(eps, bool) and np.isfinite(eps) and lo <= eps <= hi:
            self.eps_edit.setText(f"{float(eps):g}")
        self.mark_dirty()
