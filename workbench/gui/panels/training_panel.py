"""Training controls: every hyperparameter the core offers, validated inline, plus the run buttons.

The panel owns no training state.  It reports values (``hyperparameters()``, ``init_options()``),
emits ``changed`` on any edit and ``live_changed(field, old, new)`` when η,
momentum or λ change (the main window forwards those to a running worker and marks the plots).
Buttons are ``QToolButton``s bound to the main window's actions (``set_actions``).  The plot
resolution (per batch / per epoch) is chosen on the plots themselves (``TrainingPlots``), so it is
not repeated here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
    QLabel, QScrollArea, QSizePolicy, QSpinBox, QToolButton, QVBoxLayout, QWidget,
)

from workbench.core.hyperparameters import PANEL_RANGES, hyperparameter_problem
from workbench.gui.panels.training_stops import STOP_DEFAULTS, StopConditions, set_clamped

OPTIMIZER_CHOICES = [("sgd", "Stochastic gradient descent"), ("momentum", "Momentum"),
                     ("nesterov", "Nesterov momentum")]
BATCH_CHOICES = [("online", "Online (1 sample)"), ("mini", "Mini-batch"), ("full", "Full batch")]
INIT_CHOICES = [("scaled-normal", "Scaled normal N(0, 1/n)"), ("normal", "Normal N(0, 1)"),
                ("xavier", "Xavier / Glorot"), ("he", "He (for ReLU)")]
BIAS_CHOICES = [("normal", "Normal N(0, 1)"), ("zero", "Zero")]
DTYPE_CHOICES = [("float32", "float32 (faster)"), ("float64", "float64 (exact)")]

#: field -> symbol used in plot markers
LIVE_SYMBOLS = {"lr": "η", "momentum": "α", "l2": "λ"}

DEFAULTS = {
    "optimizer": "sgd", "lr": 0.5, "momentum": 0.9, "batch_size": 10, "epochs": 30, "l2": 0.0,
    "layer_lr": None, "init": "scaled-normal", "bias_init": "normal", "seed": 0, "dtype": "float32",
    **STOP_DEFAULTS,
}


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows 0.5 rather than 0.500000 and steps adaptively."""

    def __init__(self, minimum: float, maximum: float, decimals: int = 6, parent=None):
        super().__init__(parent)
        self.setDecimals(decimals)
        self.setRange(minimum, maximum)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.setKeyboardTracking(False)   # valueChanged on Enter / focus loss / arrows only
        self.setAlignment(Qt.AlignmentFlag.AlignRight)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        text = f"{value:.{self.decimals()}f}".rstrip("0").rstrip(".")
        return text or "0"


def _combo(choices) -> QComboBox:
    combo = QComboBox()
    for key, label in choices:
        combo.addItem(label, key)
    return combo


def _select(combo: QComboBox, key) -> None:
    index = combo.findData(key)
    if index < 0:
        raise ValueError(f"{key!r} is not one of {[combo.itemData(i) for i in range(combo.count())]}")
    combo.setCurrentIndex(index)


class TrainingPanel(QWidget):
    changed = Signal()
    live_changed = Signal(str, float, float)    # field ("lr", "momentum", "l2"), old, new

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loading = False
        self._running = False
        self._external_message: str | None = None
        self._layer_names: list[str] = []
        self._live_values: dict[str, float] = {}

        # -- optimiser -------------------------------------------------------------------------
        self.optimizer = _combo(OPTIMIZER_CHOICES)
        self.optimizer.setToolTip("How each step uses the gradient.  Momentum methods keep a velocity.")
        self.lr = FloatSpinBox(*PANEL_RANGES["lr"])
        self.lr.setToolTip("Learning rate η: the size of each gradient step.  Can be changed while training.")
        self.momentum = FloatSpinBox(*PANEL_RANGES["momentum"], decimals=3)
        self.momentum.setSingleStep(0.05)
        self.momentum.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
        self.momentum.setToolTip("Momentum coefficient α (0 ≤ α < 1).  Can be changed while training.")
        self.l2 = FloatSpinBox(*PANEL_RANGES["l2"])
        self.l2.setToolTip("L2 regularisation strength λ (weights decay by ηλ/n per step).  "
                           "Can be changed while training.")
        opt_box = QGroupBox("Optimiser")
        form = QFormLayout(opt_box)
        form.addRow("Method", self.optimizer)
        form.addRow("Learning rate η", self.lr)
        form.addRow("Momentum α", self.momentum)
        form.addRow("L2 strength λ", self.l2)

        # -- batches -----------------------------------------------------------------------------
        self.batch_mode = _combo(BATCH_CHOICES)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(*PANEL_RANGES["batch_size"])
        self.batch_size.setKeyboardTracking(False)
        self.batch_size.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.batch_size.setToolTip("Samples per mini-batch.")
        self.epochs = QSpinBox()
        self.epochs.setRange(*PANEL_RANGES["epochs"])
        self.epochs.setKeyboardTracking(False)
        self.epochs.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.epochs.setToolTip("Epochs to run when you press Train.")
        batch_row = QHBoxLayout()
        batch_row.setContentsMargins(0, 0, 0, 0)
        batch_row.addWidget(self.batch_mode, 1)
        batch_row.addWidget(self.batch_size)
        batch_box = QGroupBox("Batches")
        form = QFormLayout(batch_box)
        form.addRow("Batch", batch_row)
        form.addRow("Epochs", self.epochs)

        # -- initialisation ------------------------------------------------------------------------
        self.init = _combo(INIT_CHOICES)
        self.bias_init = _combo(BIAS_CHOICES)
        self.seed = QSpinBox()
        self.seed.setRange(*PANEL_RANGES["seed"])
        self.seed.setKeyboardTracking(False)
        self.seed.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.seed.setToolTip("Seeds the weights and the batch order, so a run can be repeated exactly.")
        self.dtype = _combo(DTYPE_CHOICES)
        init_box = QGroupBox("Initialisation  (applied by Reset weights)")
        form = QFormLayout(init_box)
        form.addRow("Weights", self.init)
        form.addRow("Biases", self.bias_init)
        form.addRow("Seed", self.seed)
        form.addRow("Precision", self.dtype)

        # -- per-layer multipliers -------------------------------------------------------------------
        self.layer_box = QGroupBox("Per-layer learning-rate multipliers")
        self.layer_box.setToolTip("Each weight layer learns with η × its multiplier.")
        self._layer_grid = QGridLayout(self.layer_box)
        self.layer_spins: list[FloatSpinBox] = []
        self.layer_labels: list[QLabel] = []

        # -- stop conditions and checkpoints -----------------------------------------------------------
        self.stops = StopConditions()

        # -- message + buttons ------------------------------------------------------------------------
        self.message = QLabel()
        self.message.setObjectName("trainingMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setStyleSheet("color: #c0392b; font-weight: 600;")
        self.message.hide()
        self._buttons = QGridLayout()
        self._buttons.setSpacing(4)

        content = QWidget()
        column = QVBoxLayout(content)
        column.addLayout(self._buttons)
        column.addWidget(self.message)
        for box in (opt_box, batch_box, self.stops, self.layer_box, init_box):
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._content, self._scroll = content, scroll

        self.set_layer_names(["output"])
        self.set_values(DEFAULTS)
        self._fit_width()

        for widget in (self.optimizer, self.batch_mode, self.init, self.bias_init, self.dtype):
            widget.currentIndexChanged.connect(self._on_edit)
        for widget in (self.batch_size, self.epochs, self.seed):
            widget.valueChanged.connect(self._on_edit)
        self.stops.changed.connect(self._on_edit)
        for name in LIVE_SYMBOLS:
            getattr(self, name).valueChanged.connect(lambda value, n=name: self._on_live(n, value))

    def _fit_width(self) -> None:
        """Never clip the form sideways: the panel is at least as wide as its content."""
        bar = self._scroll.verticalScrollBar().sizeHint().width()
        self._scroll.setMinimumWidth(self._content.minimumSizeHint().width() + bar + 2)

    # -- buttons ------------------------------------------------------------------------------------
    def set_actions(self, actions: list) -> None:
        """Show ``actions`` as text-beside-icon tool buttons, two per row."""
        for index, action in enumerate(actions):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setAutoRaise(False)
            self._buttons.addWidget(button, index // 2, index % 2)
        self._fit_width()

    # -- layers ---------------------------------------------------------------------------------------
    def set_layer_names(self, names: list[str]) -> None:
        """One multiplier field per weight layer, e.g. ["hidden 1", "hidden 2", "output"]."""
        names = list(names)
        if names == self._layer_names:
            return
        old = [spin.value() for spin in self.layer_spins]
        # Take the old label/field pairs out now: deleteLater alone leaves them drawn (and
        # findable) at their old places until the event loop runs, under the new ones.
        while self._layer_grid.count():
            widget = self._layer_grid.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        self.layer_spins = []
        self.layer_labels = []
        for index, name in enumerate(names):
            spin = FloatSpinBox(*PANEL_RANGES["layer_lr"], decimals=4)
            spin.setValue(old[index] if index < len(old) and len(old) == len(names) else 1.0)
            spin.setToolTip(f"Learning rate of the {name} layer = η × this multiplier.")
            spin.valueChanged.connect(self._on_edit)
            spin.setEnabled(not self._running)
            label = QLabel(name)
            label.setBuddy(spin)
            row, col = divmod(index, 2)
            self._layer_grid.addWidget(label, row, col * 2)
            self._layer_grid.addWidget(spin, row, col * 2 + 1)
            self.layer_spins.append(spin)
            self.layer_labels.append(label)
        self._layer_names = names
        self._refresh()
        if hasattr(self, "_scroll"):
            self._fit_width()

    def layer_names(self) -> list[str]:
        """The weight layers the multiplier fields stand for, in order."""
        return list(self._layer_names)

    def set_layer_count(self, n_layers: int) -> None:
        """``n_layers`` weight layers: "hidden 1" … "hidden n-1" and "output"."""
        from workbench.core.names import layer_names

        self.set_layer_names(layer_names(n_layers))

    # -- values -------------------------------------------------------------------------------------------
    def hyperparameters(self) -> dict:
        """Keyword arguments for ``workbench.core.Hyperparameters``."""
        mode = self.batch_mode.currentData()
        batch = 1 if mode == "online" else "full" if mode == "full" else self.batch_size.value()
        multipliers = [spin.value() for spin in self.layer_spins]
        return {
            "optimizer": self.optimizer.currentData(),
            "lr": self.lr.value(),
            "momentum": self.momentum.value(),
            "batch_size": batch,
            "epochs": self.epochs.value(),
            "l2": self.l2.value(),
            "layer_lr": None if all(m == 1.0 for m in multipliers) else multipliers,
            **{k: v for k, v in self.stops.values().items() if k != "checkpoint_every"},
        }

    def init_options(self) -> dict:
        """Keyword arguments for ``Network.create`` (besides the architecture) and the seed."""
        return {"init": self.init.currentData(), "bias_init": self.bias_init.currentData(),
                "dtype": self.dtype.currentData(), "seed": self.seed.value()}

    def values(self) -> dict:
        """Everything in the panel as one JSON-able dict (saved in sessions)."""
        return {**self.hyperparameters(), **self.init_options(),
                "checkpoint_every": self.stops.checkpoint_every.value()}

    def set_values(self, values: dict) -> None:
        """Set the controls from a dict like ``values()``; missing keys keep their value.

        Raises ``ValueError`` with a sentence naming the field, before any control changes, for a
        value of the wrong type or choice (``core.hyperparameters``); a number beyond a control's
        range is set to the nearest end of it, as typing it would (a session is checked against
        the ranges before it gets here: ``hyperparameter_problem(..., panel=True)``).
        """
        problem = hyperparameter_problem(values, len(self.layer_spins))
        if problem:
            raise ValueError(problem)
        self._loading = True
        try:
            if "optimizer" in values:
                _select(self.optimizer, values["optimizer"])
            for name, spin in (("lr", self.lr), ("momentum", self.momentum), ("l2", self.l2)):
                if name in values:
                    spin.setValue(float(values[name]))
            if "batch_size" in values:
                batch = values["batch_size"]
                if batch in ("full", 0):
                    _select(self.batch_mode, "full")
                elif batch == 1:
                    _select(self.batch_mode, "online")
                else:
                    _select(self.batch_mode, "mini")
                    set_clamped(self.batch_size, batch)
            if "epochs" in values and values["epochs"] is not None:
                set_clamped(self.epochs, values["epochs"])
            if values.get("layer_lr") is not None:
                for spin, m in zip(self.layer_spins, values["layer_lr"]):
                    spin.setValue(float(m))
            elif "layer_lr" in values:
                for spin in self.layer_spins:
                    spin.setValue(1.0)
            for name, combo in (("init", self.init), ("bias_init", self.bias_init),
                                ("dtype", self.dtype)):
                if name in values:
                    _select(combo, values[name])
            if "seed" in values:
                set_clamped(self.seed, values["seed"])
            self.stops.set_values(values)
        finally:
            self._loading = False
            self._live_values = {name: getattr(self, name).value() for name in LIVE_SYMBOLS}
            self._refresh()

    # -- validation and state -------------------------------------------------------------------------
    def validation_error(self) -> str | None:
        """The first problem with the panel's own values, as a sentence, or None."""
        if self.lr.value() <= 0:
            return "The learning rate η must be greater than 0."
        if self.optimizer.currentData() != "sgd" and self.momentum.value() >= 1:
            return "Momentum α must be below 1."
        multipliers = [spin.value() for spin in self.layer_spins]
        if multipliers and all(m == 0 for m in multipliers):
            return "Every layer's learning-rate multiplier is 0, so nothing would learn."
        return None

    def set_message(self, text: str | None) -> None:
        """Show a problem found outside the panel (no data, invalid network...) inline."""
        self._external_message = text
        self._refresh()

    def message_text(self) -> str:
        """The inline message currently shown (empty when there is none)."""
        return self.message.text()

    def set_running(self, running: bool) -> None:
        """While a run is going, only η, α and λ stay editable."""
        self._running = running
        for widget in (self.optimizer, self.batch_mode, self.batch_size, self.epochs, self.init,
                       self.bias_init, self.seed, self.dtype, *self.layer_spins):
            widget.setEnabled(not running)
        self.stops.set_running(running)
        self._refresh()

    def _refresh(self) -> None:
        uses_momentum = self.optimizer.currentData() != "sgd"
        self.momentum.setEnabled(uses_momentum)
        self.batch_size.setVisible(self.batch_mode.currentData() == "mini")
        self.batch_size.setEnabled(not self._running)
        self.layer_box.setVisible(bool(self.layer_spins))
        text = self.validation_error() or self._external_message
        self.message.setText(text or "")
        self.message.setVisible(bool(text))

    def _on_edit(self, *_args) -> None:
        self._refresh()
        if not self._loading:
            self.changed.emit()

    def _on_live(self, name: str, value: float) -> None:
        old = self._live_values.get(name, value)
        self._live_values[name] = value
        self._refresh()
        if self._loading:
            return
        if old != value:
            self.live_changed.emit(name, float(old), float(value))
        self.changed.emit()
