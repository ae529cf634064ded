"""Input gradients: what the gradient with respect to the input image says about an image
classifier (Demofox's "gradients with respect to the inputs"), in three modes:

- **Dream a class**: gradient ascent on the image, from noise or the mean image, towards a chosen
  class (its log-probability, or closeness for outputs that are not probabilities), minus an L2
  term, clipped to the data's range; Start runs it in slices of at most ``DREAM_SLICE_S`` per frame,
  so the picture and the class probabilities update live;
- **Adversarial nudge**: a test item x, its nudge ε·sign(∇ₓC) (diverging colours) and the result
  x + ε·sign(∇ₓC) with their predicted labels and probabilities; "Find smallest ε" searches the ε
  that flips the label (on a helper thread when the network is large);
- **Saliency**: |∂C/∂x| of an item as an image beside it.

C is the network's own cost of the item alone with its true target.  For 2-D data the Output map
draws the input gradient as arrows instead.  The maths is in ``workbench.core.input_gradients``.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QLabel, QSpinBox, QStackedWidget, QTabBar, QVBoxLayout

from workbench.core import ConfigError, Network
from workbench.core import input_gradients as ig
from workbench.core.evaluation import (class_names, class_scores, data_identity, parameters_finite, raw_inputs,
                                       standardised)
from workbench.core.layer_maths import image_shape_of
from workbench.gui.views.base import NO_NETWORK_YET, EmptyNote, View
from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.input_gradients_pages import AdversarialPage, DreamPage, SaliencyPage
from workbench.gui.views.input_gradients_parts import (DEFAULTS, EPS_MAX, EPS_STEP, MODES, STARTS, FlipSearch,
                                                       diverging_colours, diverging_image, grey_image, valid_settings)
from workbench.gui.views.predictions_parts import percent
from workbench.gui.worker import gui_priority

NOT_IMAGES = ("Input gradients need image data such as MNIST; for 2-D data turn on the gradient arrows in "
              "the Output map.")
NO_NETWORK = f"{NO_NETWORK_YET} and see its gradients with respect to the inputs."
NOT_FINITE = ("The weights are not finite numbers (the run diverged), so they have no input gradient: "
              "reset the weights and train with a smaller learning rate.")
MODE_TITLES = {"dream": "Dream a class", "adversarial": "Adversarial nudge", "saliency": "Saliency"}
SPLIT_TITLES = {"test": "Test", "validation": "Validation", "train": "Training"}
DREAM_SLICE_S = 0.015     # the most a frame spends dreaming ...
DREAM_STEPS_PER_FRAME = 4  # ... and the most steps it takes (25 frames a second: 100 steps a second)
POLL_MS = 30
MEAN_SAMPLE = 10_000      # training images (evenly spread) behind the mean image and the data's range


class InputGradientsView(View):
    name = "input-gradients"
    title = "Input gradients"
    area = "centre"
    tooltip = "Gradients with respect to the input image: dream a class, nudge an item until its label flips, saliency"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self.state = dict(DEFAULTS)
        self._serial = 0                  # bumped whenever newer parameters may exist
        self._net_key, self._net = None, None
        self._data_key, self._range, self._mean = None, (0.0, 1.0), None
        self.dream_image: np.ndarray | None = None
        self.dream_done, self.running, self._noise_seed = 0, False, 0
        self._shown_key = None            # what the adversarial / saliency pictures show
        self._flip: FlipSearch | None = None
        self.flip_text = ""
        self._table, self._names = None, []
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._collect_flip)
        self._build()
        experiment.data_changed.connect(self._on_new_inputs)
        for signal in (experiment.network_changed, experiment.parameters_changed):
            signal.connect(self._on_new_inputs)
        experiment.architecture_changed.connect(self.mark_dirty)

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        self.mode_bar = QTabBar()
        for mode in MODES:
            self.mode_bar.addTab(MODE_TITLES[mode])
        self.mode_bar.setToolTip("Dream an image of a class, nudge an item until its label flips, or see "
                                 "which pixels its cost is most sensitive to")
        self.mode_bar.currentChanged.connect(self._on_mode)
        self.item_label = QLabel("Test item")
        self.item_spin = QSpinBox(minimum=1, maximum=1, toolTip="The item of the split whose gradient is shown")
        self.item_label.setBuddy(self.item_spin)
        self.item_spin.valueChanged.connect(self._on_item)
        controls = FlowLayout()
        for widget in (self.mode_bar, self.item_label, self.item_spin):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.export_button())
        self.note = EmptyNote(NOT_IMAGES)
        self.dream, self.adv, self.sal = DreamPage(), AdversarialPage(), SaliencyPage()
        self.pages = QStackedWidget()
        for page in (self.dream, self.adv, self.sal):
            self.pages.addWidget(page)
        d = self.dream
        d.class_combo.currentIndexChanged.connect(self._on_dream_option)
        d.start_combo.currentIndexChanged.connect(self._on_start_kind)
        for spin in (d.lr_spin, d.l2_spin, d.steps_spin):
            spin.valueChanged.connect(self._on_dream_option)
        d.start_button.clicked.connect(self.start_dream)
        d.stop_button.clicked.connect(self.stop_dream)
        d.reset_button.clicked.connect(self.new_start)
        self.adv.eps_slider.valueChanged.connect(self._on_eps)
        self.adv.flip_button.clicked.connect(self.find_smallest_eps)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(controls)
        column.addWidget(self.note, 1)
        column.addWidget(self.pages, 1)
        self.lut = diverging_colours(self.palette())

    def changeEvent(self, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self.lut = diverging_colours(self.palette())
            self._shown_key = None
            self.mark_dirty()
        super().changeEvent(event)

    # ------------------------------------------------------------------ slots: only state and mark dirty
    def _on_new_inputs(self, *_args) -> None:
        """New weights or new data: what is shown must be computed again."""
        self._serial += 1
        self.mark_dirty()

    def _on_mode(self, index: int) -> None:
        if 0 <= index < len(MODES):
            self.state["mode"] = MODES[index]
        self.mark_dirty()

    def _on_item(self, value: int) -> None:
        self.state["item"] = max(0, int(value) - 1)
        self.flip_text = ""
        self.mark_dirty()

    def _on_eps(self, value: int) -> None:
        self.state["eps"] = min(EPS_MAX, max(0.0, int(value) * EPS_STEP))
        self.adv.eps_label.setText(f"{self.state['eps']:.4f}")
        self.mark_dirty()

    def _on_dream_option(self, *_args) -> None:
        if self.dream.class_combo.currentIndex() >= 0:
            self.state["dream_class"] = self.dream.class_combo.currentIndex()
        d = self.dream
        self.state.update(lr=d.lr_spin.value(), l2=d.l2_spin.value(), steps=d.steps_spin.value())
        self.mark_dirty()

    def _on_start_kind(self, *_args) -> None:
        self.state["start"] = self.dream.start_combo.currentData()
        self.new_start()

    # ------------------------------------------------------------------ actions
    def start_dream(self) -> None:
        """Run ``steps`` steps of the dream from the current image, a slice per frame."""
        self.running, self.dream_done = True, 0
        self.mark_dirty()

    def stop_dream(self) -> None:
        self.running = False
        self.mark_dirty()

    def new_start(self) -> None:
        """Back to a start image (noise: a new draw); dreaming stops."""
        self.running, self.dream_image, self.dream_done = False, None, 0
        self._noise_seed += 1
        self.mark_dirty()

    def find_smallest_eps(self, *_args) -> None:
        """Search the smallest ε that flips the shown item's label: at once for small networks, on a
        helper thread for large ones (the answer is shown when it comes, if still current)."""
        source = self._source()
        if isinstance(source, str):
            self.experiment.message.emit(source)
            return
        ds, net, _ = source
        key, x, y = self._item_of(ds)
        self._names = class_names(ds, ig.n_classes(net))
        self._flip = FlipSearch(key, net, x, y, ds.standardization, self._range)
        if self._flip.threaded:
            self.adv.flip_button.setEnabled(False)
            self.flip_text = "Searching the smallest ε that changes the prediction…"
            self._poll.start()
        self._collect_flip()
        self.mark_dirty()

    def _collect_flip(self) -> None:
        flip = self._flip
        if flip is None or not flip.done():
            return
        self._poll.stop()
        self._flip = None
        self.adv.flip_button.setEnabled(True)
        if flip.error:
            self.flip_text = flip.error
        elif flip.key != self._current_key():
            self.flip_text = "The item or the network changed during the search; press Find smallest ε again."
        elif flip.result is None:
            self.flip_text = (f"No ε up to {EPS_MAX:g} changes the predicted label of this item along "
                              "sign(∂C/∂x).")
        else:
            r, names = flip.result, self._names
            steps = math.ceil(r.eps / EPS_STEP - 1e-9)        # the slider's step at or above ε
            below = min(math.floor(r.below / EPS_STEP + 1e-9), steps - 1) * EPS_STEP
            self.flip_text = (f"Smallest ε that changes the prediction: {steps * EPS_STEP:.4f} "
                              f"({names[r.label]} → {names[r.new_label]}; at {below:.4f} it is still "
                              f"{names[r.label]}; {r.evaluations} forward passes).")
            self.adv.eps_slider.setValue(steps)
        self.experiment.message.emit(self.flip_text)
        self.mark_dirty()

    # ------------------------------------------------------------------ what there is to show
    def _source(self):
        """(dataset, network, image shape) to show, or why not (a sentence)."""
        exp, ds = self.experiment, self.experiment.dataset
        shape = None if ds is None else image_shape_of(ds.input_shape, ds.n_inputs)
        if ds is None or shape is None or not ds.is_classification:
            return NOT_IMAGES
        net, params = exp.net, exp.parameters()
        if net is None or params is None:
            return NO_NETWORK
        if net.sizes[0] != ds.n_inputs or net.sizes[-1] != ds.n_outputs:
            return (f"The network has {net.sizes[0]} inputs and {net.sizes[-1]} outputs but {ds.name} has "
                    f"{ds.n_inputs} inputs and {ds.n_outputs} targets: fit the layers to the data and train again.")
        weights, biases = params[0], params[1]
        if [w.shape for w in weights] != [w.shape for w in net.weights]:
            weights, biases = net.weights, net.biases
        if not parameters_finite(weights, biases):
            return NOT_FINITE
        if self._net_key != (self._serial, id(net)):
            self._net_key = (self._serial, id(net))
            self._net = Network(weights, biases, net.activations, net.cost)
        if self._data_key != (data_identity(ds), id(ds)):
            self._data_key = (data_identity(ds), id(ds))
            raw = raw_inputs(ds.train.X[::max(1, len(ds.train) // MEAN_SAMPLE)], ds.standardization)
            self._range = (min(0.0, float(raw.min())), max(1.0, float(raw.max())))
            self._mean = raw.mean(axis=0, dtype=np.float64)
            self.dream_image, self.running = None, False
        return ds, self._net, shape

    def split(self, ds) -> str:
        """The split items come from: test, else validation, else training."""
        return next(k for k in ("test", "validation", "train") if ds.splits.get(k) is not None and len(ds.splits[k]))

    def _item_of(self, ds):
        """(key, raw item x (d,), target y (k,)) of the chosen item."""
        split = self.split(ds)
        data = ds.splits[split]
        i = min(self.state["item"], len(data) - 1)
        x = raw_inputs(data.X[i:i + 1].astype(np.float64), ds.standardization)[0]
        return (self._serial, id(ds), split, i), x, data.Y[i].astype(np.float64)

    def _current_key(self):
        ds = self.experiment.dataset
        return None if isinstance(self._source(), str) else self._item_of(ds)[0]

    def _scores(self, ds, net, X):
        """Class scores (n, classes) of raw images X (n, d) and how to read them."""
        out = net.forward(standardised(X, ds.standardization))
        return class_scores(out, net.activations[-1])

    def _label(self, names, scores, kind, true=None) -> str:
        best = int(np.nanargmax(scores)) if np.isfinite(scores).any() else 0
        shown = f"{scores[best]:.3g}" if kind == "raw" else percent(scores[best])
        return (f"true {names[true]} · " if true is not None else "") + f"predicted {names[best]} ({shown})"

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        with gui_priority():
            source = self._source()
            self.note.setVisible(isinstance(source, str))
            self.pages.setVisible(not isinstance(source, str))
            mode = self.state["mode"]
            self.item_label.setVisible(mode != "dream" and not isinstance(source, str))
            self.item_spin.setVisible(mode != "dream" and not isinstance(source, str))
            if self.mode_bar.currentIndex() != MODES.index(mode):
                self.mode_bar.setCurrentIndex(MODES.index(mode))
            if isinstance(source, str):
                self.note.setText(source)
                self.running, self._table = False, None
                return
            ds, net, shape = source
            self._names = class_names(ds, ig.n_classes(net))
            self._fit_controls(ds)
            self.pages.setCurrentIndex(MODES.index(mode))
            with np.errstate(all="ignore"):
                try:
                    getattr(self, f"_draw_{mode}")(ds, net, shape)
                except ConfigError as exc:
                    self.running = False
                    self.experiment.message.emit(str(exc))

    def _fit_controls(self, ds) -> None:
        names = self._names
        if [self.dream.class_combo.itemText(i) for i in range(self.dream.class_combo.count())] != names:
            self.dream.class_combo.blockSignals(True)
            self.dream.class_combo.clear()
            self.dream.class_combo.addItems(names)
            self.dream.class_combo.blockSignals(False)
        c = min(self.state["dream_class"], len(names) - 1)
        if self.dream.class_combo.currentIndex() != c:
            self.dream.class_combo.blockSignals(True)
            self.dream.class_combo.setCurrentIndex(c)
            self.dream.class_combo.blockSignals(False)
        split = self.split(ds)
        n = len(ds.splits[split])
        self.item_label.setText(f"{SPLIT_TITLES[split]} item")
        self.item_spin.blockSignals(True)
        self.item_spin.setRange(1, n)
        self.item_spin.setSuffix(f" of {n:,}")
        self.item_spin.setValue(min(self.state["item"], n - 1) + 1)
        self.item_spin.blockSignals(False)
        self.dream.start_button.setEnabled(not self.running)
        self.dream.stop_button.setEnabled(self.running)

    def _start_image(self, ds) -> np.ndarray:
        if self.state["start"] == "mean":
            return ig.dream_start("mean", ds.n_inputs, mean_image=self._mean, clip=self._range)
        return ig.dream_start("noise", ds.n_inputs, seed=self._noise_seed, clip=self._range)

    def _draw_dream(self, ds, net, shape) -> None:
        names, c, steps = self._names, min(self.state["dream_class"], len(self._names) - 1), self.state["steps"]
        if self.dream_image is None or len(self.dream_image) != ds.n_inputs:
            self.dream_image, self.dream_done = self._start_image(ds), 0
        if self.running:
            deadline, taken = time.perf_counter() + DREAM_SLICE_S, 0
            for image in ig.dream(net, c, self.dream_image, lr=self.state["lr"], l2=self.state["l2"],
                                  steps=max(0, steps - self.dream_done), clip=self._range,
                                  standardization=ds.standardization):
                self.dream_image, self.dream_done, taken = image, self.dream_done + 1, taken + 1
                if time.perf_counter() > deadline or taken >= DREAM_STEPS_PER_FRAME:
                    break
            self.running = self.dream_done < steps
            self._fit_controls(ds)
            if self.running:
                self.mark_dirty()                     # the next slice at the next frame
        x = self.dream_image
        value, _ = ig.dream_objective(net, x, c, standardization=ds.standardization)
        scores, kind = self._scores(ds, net, x[None, :])
        what = f"ln p({names[c]})" if ig.objective_kind(net) == "log-probability" else f"closeness to {names[c]}"
        state = ("dreaming" if self.running else "done" if self.dream_done >= steps else "stopped" if self.dream_done
                 else "press Start")
        self.dream.status.setText(f"Step {self.dream_done:,} of {steps:,} ({state}) · {what} = {value:.4g} · "
                                  f"the climb is on {what} − ½·L2·‖x‖², each step clipped to "
                                  f"[{self._range[0]:g}, {self._range[1]:g}]")
        self.dream.box.set_picture(grey_image(x.reshape(shape), self.palette(), *self._range),
                                   f"Dreamt {names[c]}", self._label(names, scores[0], kind))
        self.dream.bars.set_scores(names, scores[0], kind)
        self._table = (["value"], [x])

    def _draw_adversarial(self, ds, net, shape) -> None:
        key, x, y = self._item_of(ds)
        eps = self.state["eps"]
        self.adv.eps_label.setText(f"{eps:.4f}")
        self.adv.status.setText(self.flip_text)
        if (key, eps, "adversarial") == self._shown_key:
            return
        self._shown_key = (key, eps, "adversarial")
        names, true = self._names, self._true(ds, key)
        result = ig.adversarial(net, x, y, eps, clip=self._range, standardization=ds.standardization)
        nudge = result - x
        scores, kind = self._scores(ds, net, np.stack([x, result]))
        self.adv.original_box.set_picture(grey_image(x.reshape(shape), self.palette(), *self._range),
                                      f"Original: {SPLIT_TITLES[key[2]].lower()} item {key[3] + 1:,}",
                                      self._label(names, scores[0], kind, true))
        self.adv.nudge_box.set_picture(diverging_image(nudge.reshape(shape), eps if eps > 0 else 1.0, self.lut),
                                       "Nudge ε·sign(∂C/∂x)", f"ε = {eps:.4f}: orange −ε · blue +ε")
        self.adv.result_box.set_picture(grey_image(result.reshape(shape), self.palette(), *self._range),
                                    "Result", self._label(names, scores[1], kind))
        self.adv.original_bars.set_scores(names, scores[0], kind)
        self.adv.result_bars.set_scores(names, scores[1], kind)
        self._table = (["original", "nudge", "result"], [x, nudge, result])

    def _draw_saliency(self, ds, net, shape) -> None:
        key, x, y = self._item_of(ds)
        if (key, "saliency") == self._shown_key:
            return
        self._shown_key = (key, "saliency")
        names, true = self._names, self._true(ds, key)
        grad = ig.input_gradient(net, x[None, :], y[None, :], standardization=ds.standardization)[0]
        sal = np.abs(grad)
        top = float(sal.max()) if np.isfinite(sal).all() and sal.max() > 0 else 1.0
        scores, kind = self._scores(ds, net, x[None, :])
        self.sal.item_box.set_picture(grey_image(x.reshape(shape), self.palette(), *self._range),
                                      f"{SPLIT_TITLES[key[2]]} item {key[3] + 1:,}",
                                      self._label(names, scores[0], kind, true))
        self.sal.saliency_box.set_picture(grey_image(sal.reshape(shape), self.palette(), 0.0, top), "|∂C/∂x|",
                                      f"0 … {top:.3g} (full ink: the largest)")
        self.sal.bars.set_scores(names, scores[0], kind)
        self.sal.status.setText(f"|∂C/∂x|: how much the item's {net.cost} cost with its true target changes "
                                     "per unit change of each pixel; the pixels in the strongest ink matter most.")
        self._table = (["value", "dC/dx", "|dC/dx|"], [x, grad, sal])

    def _true(self, ds, key) -> int | None:
        labels = ds.splits[key[2]].labels
        return None if labels is None else int(labels[key[3]])

    # ------------------------------------------------------------------ export, table, settings
    def export_widget(self):
        return self.pages.currentWidget() if self.pages.isVisible() else self

    def table(self):
        """The shown images pixel by pixel: (pixel, row, column, then each image's value)."""
        if self._table is None or self.note.isVisible():
            return None
        header, columns = self._table
        shape = image_shape_of(self.experiment.dataset.input_shape, len(columns[0]))
        w = shape[1] if shape else 1
        rows = [[p, p // w, p % w] + [float(c[p]) for c in columns] for p in range(len(columns[0]))]
        return ["pixel", "row", "column"] + header, rows

    def settings(self) -> dict:
        return dict(self.state)

    def apply_settings(self, values: dict) -> None:
        valid = valid_settings(values)
        self.state.update(valid)
        for key, spin in (("lr", self.dream.lr_spin), ("l2", self.dream.l2_spin), ("steps", self.dream.steps_spin)):
            spin.blockSignals(True)
            spin.setValue(self.state[key])
            spin.blockSignals(False)
        self.dream.start_combo.blockSignals(True)
        self.dream.start_combo.setCurrentIndex(STARTS.index(self.state["start"]))
        self.dream.start_combo.blockSignals(False)
        self.adv.eps_slider.blockSignals(True)
        self.adv.eps_slider.setValue(round(self.state["eps"] / EPS_STEP))
        self.adv.eps_slider.blockSignals(False)
        self.adv.eps_label.setText(f"{self.state['eps']:.4f}")
        if "start" in valid:
            self.dream_image = None
        self._shown_key = None
        self.mark_dirty()
