"""The network designer: a compact layer-stack editor with undo, presets and inline validation."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette, QUndoStack
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSizePolicy, QStyle, QToolButton, QVBoxLayout, QWidget)

from workbench.core import ACTIVATIONS, COSTS
from workbench.core.network import MAX_WEIGHT_LAYERS
from workbench.gui import presets as _presets
from workbench.gui.palette import is_dark
from workbench.gui.panels.layer_editors import LayerDelegate, LayerView
from workbench.gui.panels.layer_stack import (ACTIVATION, COST_NAMES, DEFAULT_HIDDEN, LAYER, NEURONS,
                                              InsertLayer, LayerStackModel, MoveLayer, RemoveLayer,
                                              SetArchitecture, SetCost, parameter_count, stack_problem,
                                              validate)

__all__ = ["NetworkDesigner", "preset_names", "preset"]

preset_names = _presets.preset_names
preset = _presets.preset


class NetworkDesigner(QWidget):
    """Edit the layer stack: hidden layers (add, insert, remove, drag or Alt+↑/↓ to reorder, size,
    activation), the output activation and the cost; input/output sizes come from the data.

    Signals: ``changed()`` after any edit, undo or redo; ``preset_chosen(str)`` after the user picked
    a preset in the designer's own combo box (the window then applies its data and hyperparameters).
    """

    changed = Signal()
    preset_chosen = Signal(str)

    def __init__(self, undo_stack: QUndoStack, parent=None):
        super().__init__(parent)
        self._undo = undo_stack
        self._editable = True
        self.model = LayerStackModel(undo_stack, self)

        self._preset_combo = QComboBox()
        self._preset_combo.setPlaceholderText("Load a preset…")
        for name in preset_names():
            info = preset(name)
            self._preset_combo.addItem(info["name"], name)
            self._preset_combo.setItemData(self._preset_combo.count() - 1, info["description"],
                                           Qt.ItemDataRole.ToolTipRole)
        self._preset_combo.setCurrentIndex(-1)
        self._preset_combo.activated.connect(self._on_preset_activated)
        self._preset_combo.setToolTip("Replace the network with a classic architecture (undoable)")

        self.view = LayerView()
        self.view.setModel(self.model)
        self._delegate = LayerDelegate(self.model, self.view)
        self.view.setItemDelegate(self._delegate)
        self._input_note = ""      # why typed text was not taken (shown in the message line)
        self._delegate.input_problem.connect(self._on_input_problem)
        self.view.setRootIsDecorated(False)
        self.view.setItemsExpandable(False)
        self.view.setUniformRowHeights(True)
        self.view.setAllColumnsShowFocus(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # DragDrop rather than InternalMove: same behaviour (the model only accepts its own row
        # MIME type, as a move), but the view's drop path can then be exercised by tests.
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDragDropOverwriteMode(False)
        self.view.setDropIndicatorShown(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAccessibleName("Layer stack")
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(LAYER, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NEURONS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ACTIVATION, QHeaderView.ResizeMode.ResizeToContents)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.layer_actions: dict[str, QAction] = {}   # not "actions": QWidget.actions() stays usable
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for key, text, short, shortcut, tip, slot in (
            ("add", "Add layer", "Add", "Ins", "Add a hidden layer below the selected one", self.add_layer),
            ("insert", "Insert layer above", "Insert above", "Shift+Ins",
             "Insert a hidden layer above the selected one", self.insert_layer),
            ("remove", "Remove layer", "Remove", "Del", "Remove the selected hidden layer", self.remove_layer),
            ("up", "Move layer up", "Up", "Alt+Up", "Move the selected hidden layer towards the input", self.move_up),
            ("down", "Move layer down", "Down", "Alt+Down", "Move the selected hidden layer towards the output",
             self.move_down),
        ):
            action = QAction(text, self)
            action.setIconText(short)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
            action.triggered.connect(slot)
            self.addAction(action)
            self.layer_actions[key] = action
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAccessibleName(text)
            buttons.addWidget(button)
        self._layer_tips = {key: action.toolTip() for key, action in self.layer_actions.items()}
        buttons.addStretch(1)

        self._cost_combo = QComboBox()
        self._cost_combo.addItems(COST_NAMES)
        self._cost_combo.setToolTip("Cost function; cross-entropy and log-likelihood need sigmoid or softmax outputs")
        self._cost_combo.activated.connect(self._on_cost_activated)
        cost_row = QHBoxLayout()
        cost_label = QLabel("&Cost")
        cost_label.setBuddy(self._cost_combo)
        self._cost_warning = QLabel()
        self._cost_warning.setToolTip("This cost does not fit the output activation")
        cost_row.addWidget(cost_label)
        cost_row.addWidget(self._cost_combo, 1)
        cost_row.addWidget(self._cost_warning)

        preset_row = QHBoxLayout()
        preset_label = QLabel("&Preset")
        preset_label.setBuddy(self._preset_combo)
        preset_row.addWidget(preset_label)
        preset_row.addWidget(self._preset_combo, 1)

        self._summary = QLabel()
        self._summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._message_icon = QLabel()
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._fit_button = QPushButton("Use the data's sizes")
        self._fit_button.setToolTip("Set the input and output layers to the sizes of the loaded data (undoable)")
        self._fit_button.clicked.connect(self.fit_to_data)
        message_row = QHBoxLayout()
        message_row.addWidget(self._message_icon, 0, Qt.AlignmentFlag.AlignTop)
        message_row.addWidget(self._message, 1)
        message_row.addWidget(self._fit_button, 0, Qt.AlignmentFlag.AlignTop)
        self._lock_note = QLabel("Editing is locked while the network trains.")
        self._lock_note.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(preset_row)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        layout.addLayout(cost_row)
        layout.addWidget(self._summary)
        layout.addLayout(message_row)
        layout.addWidget(self._lock_note)

        self.model.edited.connect(self._on_edited)
        self.model.focus_row.connect(self.select_row)
        self.model.modelReset.connect(self._open_all_editors)
        self.model.rowsInserted.connect(lambda _parent, first, last: self._open_editors(first, last))
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_actions())
        self._open_all_editors()
        self._on_edited()
        self.select_row(1)

    # ---- contract -----------------------------------------------------------------------------
    def set_io_sizes(self, n_in: int | None, n_out: int | None, *, input_shape=None) -> None:
        """Sizes of the loaded data (None = unknown). Known sizes become the input/output layers;
        ``input_shape`` (e.g. (28, 28)) only labels the input row."""
        model = self.model
        before = (model.architecture(), model.data_in, model.data_out, model.input_shape)
        model.data_in, model.data_out = n_in, n_out
        model.input_shape = tuple(input_shape) if input_shape is not None else None
        if n_in is not None:
            model.n_in = int(n_in)
        if n_out is not None:
            model.n_out = int(n_out)
        if (model.architecture(), model.data_in, model.data_out, model.input_shape) != before:
            model.edited.emit()

    def architecture(self) -> dict:
        """{"sizes": [...], "activations": [...], "cost": str}; sizes not known yet are None."""
        return self.model.architecture()

    def set_architecture(self, arch: dict, undoable: bool = True, *, text: str = "Load architecture") -> None:
        """Replace the stack (``sizes`` include input and output; None = unknown).

        undoable=True: one undo step (none when nothing changes). undoable=False (opening a session,
        a new document): the stack becomes the new baseline and the undo history is cleared, since
        its steps refer to rows of the old stack.
        """
        arch = self._checked(arch)
        if undoable:
            if arch != self.model.architecture():
                self._undo.push(SetArchitecture(self.model, arch, text))
        else:
            self._undo.clear()
            self.model._apply_architecture(arch)
        self.select_row(1)

    def validation_error(self) -> str | None:
        """The sentence that blocks training, or None when the stack fits the data."""
        problem = self.model.problem
        return problem.text if problem else None

    def message_text(self) -> str:
        """The message line as shown: why typed text was not taken, else the stack's problem ('' if none)."""
        return self._message.text() if not self._message.isHidden() else ""

    def preset_names(self) -> list[str]:
        return preset_names()

    def preset(self, name: str) -> dict:
        return preset(name)

    def load_preset(self, name: str) -> None:
        """Load the architecture of preset ``name`` (a file stem) as one undo step."""
        info = preset(name)
        self.set_architecture(
            {key: info[key] for key in ("sizes", "activations", "cost")}, text=f"Load preset “{info['name']}”")

    def set_editable(self, editable: bool) -> None:
        """Lock (False) or unlock editing, e.g. while training."""
        self._editable = bool(editable)
        for widget in (self.view, self._cost_combo, self._preset_combo, self._fit_button):
            widget.setEnabled(self._editable)
        self._lock_note.setVisible(not self._editable)
        self._update_actions()

    def is_editable(self) -> bool:
        return self._editable

    # ---- editing --------------------------------------------------------------------------------
    def selected_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def select_row(self, row: int) -> None:
        row = min(max(row, 0), self.model.rowCount() - 1)
        self.view.setCurrentIndex(self.model.index(row, LAYER))
        self._update_actions()

    def add_layer(self) -> None:
        """Add a hidden layer below the selected row (before the output when the output is selected)."""
        row = self.selected_row()
        self._insert(min(max(row + 1, 1), self.model.output_row))

    def insert_layer(self) -> None:
        """Insert a hidden layer above the selected row (as the first hidden layer for the input row)."""
        row = self.selected_row()
        self._insert(min(max(row, 1), self.model.output_row))

    def remove_layer(self) -> None:
        row = self.selected_row()
        if self._editable and self.model.is_hidden(row):
            self._undo.push(RemoveLayer(self.model, row))

    def move_up(self) -> None:
        row = self.selected_row()
        if self._editable and self.model.is_hidden(row) and row > 1:
            self._undo.push(MoveLayer(self.model, row, row - 1))

    def move_down(self) -> None:
        row = self.selected_row()
        if self._editable and self.model.is_hidden(row) and row < len(self.model.hidden):
            self._undo.push(MoveLayer(self.model, row, row + 1))

    def set_cost(self, cost: str) -> None:
        if cost not in COSTS:
            raise ValueError(f"Unknown cost {cost!r}; choose one of {', '.join(COSTS)}.")
        if cost != self.model.cost:
            self._undo.push(SetCost(self.model, self.model.cost, cost))

    def fit_to_data(self) -> None:
        """Adopt the data's input/output sizes (one undo step)."""
        model = self.model
        if model.data_in is None and model.data_out is None:
            return
        arch = model.architecture()
        arch["sizes"][0] = model.data_in if model.data_in is not None else arch["sizes"][0]
        arch["sizes"][-1] = model.data_out if model.data_out is not None else arch["sizes"][-1]
        if arch != model.architecture():
            self._undo.push(SetArchitecture(model, arch, "Use the data's sizes"))

    # ---- internals ------------------------------------------------------------------------------
    def _insert(self, row: int) -> None:
        if not self._editable or len(self.model.hidden) + 1 >= MAX_WEIGHT_LAYERS:
            return
        hidden, selected = self.model.hidden, self.selected_row()
        if self.model.is_hidden(selected):
            size, activation = hidden[selected - 1]
        elif hidden:
            size, activation = hidden[0] if selected <= 0 else hidden[-1]
        else:
            size, activation = DEFAULT_HIDDEN
        if ACTIVATIONS[activation].output_only:
            activation = DEFAULT_HIDDEN[1]
        self._undo.push(InsertLayer(self.model, row, size, activation))

    @staticmethod
    def _checked(arch: dict) -> dict:
        try:
            sizes = [None if s is None else int(s) for s in arch["sizes"]]
            activations = [str(a) for a in arch["activations"]]
            cost = str(arch["cost"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"An architecture needs sizes, activations and a cost ({exc}).") from exc
        if len(sizes) < 2 or len(activations) != len(sizes) - 1:
            raise ValueError(f"{len(sizes)} layer sizes need {max(len(sizes) - 1, 1)} activations, "
                             f"got {len(activations)}.")
        unknown = [a for a in activations if a not in ACTIVATIONS]
        if unknown or cost not in COSTS:
            raise ValueError(f"Unknown activation or cost: {', '.join(unknown) or cost}.")
        problem = stack_problem(sizes, activations)
        if problem:
            raise ValueError(problem)
        return {"sizes": sizes, "activations": activations, "cost": cost}

    def _open_editors(self, first: int, last: int) -> None:
        for row in range(first, last + 1):
            columns = (NEURONS, ACTIVATION) if self.model.is_hidden(row) else (
                (ACTIVATION,) if row == self.model.output_row else ())
            for col in columns:
                index = self.model.index(row, col)
                if not self.view.isPersistentEditorOpen(index):
                    self.view.openPersistentEditor(index)

    def _open_all_editors(self) -> None:
        self._open_editors(0, self.model.rowCount() - 1)
        self._update_tab_order()

    def _editors(self) -> list[QWidget]:
        """The persistent editors in row order (neurons, then activation)."""
        editors = []
        for row in range(self.model.rowCount()):
            for col in (NEURONS, ACTIVATION):
                widget = self.view.indexWidget(self.model.index(row, col))
                if widget is not None:
                    editors.append(widget)
        return editors

    def _update_tab_order(self) -> None:
        """Tab: preset → layer list → its editors top to bottom → the buttons below (Shift+Tab back).
        Editors are created as rows appear, so Qt appends them to the tab chain in creation order."""
        previous = self.view
        for editor in self._editors():
            QWidget.setTabOrder(previous, editor)
            previous = editor

    def _on_input_problem(self, text: str) -> None:
        self._input_note = text
        self._show_problem(self.model.problem)

    def _on_edited(self) -> None:
        model = self.model
        self._input_note = ""
        model.problem = validate(model.architecture(), model.data_in, model.data_out)
        model._refresh()
        self._cost_combo.blockSignals(True)
        self._cost_combo.setCurrentIndex(self._cost_combo.findText(model.cost))
        self._cost_combo.blockSignals(False)
        self._show_problem(model.problem)
        sizes = model.architecture()["sizes"]
        shown = ", ".join("?" if s is None else str(s) for s in sizes)
        count = parameter_count(sizes)
        self._summary.setText(f"[{shown}] · " + (f"{count:,} weights and biases" if count is not None
                                                   else "parameters counted once data is loaded"))
        self._update_tab_order()
        self._update_actions()
        self.changed.emit()

    def _show_problem(self, problem) -> None:
        """The message line: a note on rejected typing first (it answers the last key), else the problem."""
        text = self._input_note or (problem.text if problem is not None else "")
        error = bool(self._input_note) or (problem is not None and problem.kind == "error")
        style = self.style()
        if not text:
            self._message_icon.clear()
            self._message.clear()
        else:
            icon = QStyle.StandardPixmap.SP_MessageBoxWarning if error else QStyle.StandardPixmap.SP_MessageBoxInformation
            size = self.fontMetrics().height()
            self._message_icon.setPixmap(style.standardIcon(icon).pixmap(size, size))
            self._message.setText(text)
        palette = self._message.palette()
        colour = ("#ff7b72" if is_dark(self.palette()) else "#b42318") if error else self.palette().color(
            QPalette.ColorRole.PlaceholderText).name()
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        self._message.setPalette(palette)
        self._message_icon.setVisible(bool(text))
        self._message.setVisible(bool(text))
        self._fit_button.setVisible(bool(problem and problem.mismatch))
        self._cost_warning.setVisible(bool(problem and problem.cost))
        if problem and problem.cost:
            size = self.fontMetrics().height()
            self._cost_warning.setPixmap(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size))

    def _update_actions(self) -> None:
        row = self.selected_row()
        hidden = self.model.is_hidden(row)
        n = len(self.model.hidden)
        ok = self._editable
        room = n + 1 < MAX_WEIGHT_LAYERS          # the output layer is a weight layer too
        for key in ("add", "insert"):
            self.layer_actions[key].setEnabled(ok and room)
            self.layer_actions[key].setToolTip(self._layer_tips[key] if room else
                                               f"A network can have at most {MAX_WEIGHT_LAYERS} layers after the input.")
        self.layer_actions["remove"].setEnabled(ok and hidden)
        self.layer_actions["up"].setEnabled(ok and hidden and row > 1)
        self.layer_actions["down"].setEnabled(ok and hidden and row < n)

    def _on_preset_activated(self, index: int) -> None:
        name = self._preset_combo.itemData(index)
        self._preset_combo.setCurrentIndex(-1)
        if name:
            self.load_preset(name)
            self.preset_chosen.emit(name)

    def _on_cost_activated(self, index: int) -> None:
        self.set_cost(self._cost_combo.itemText(index))

    def changeEvent(self, event):
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_fit_button"):
            self._show_problem(self.model.problem)
        super().changeEvent(event)
