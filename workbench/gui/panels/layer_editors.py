"""Editors of the layer stack: the list view and its persistent spin-box/combo-box editors."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QPainter, QPalette, QValidator
from PySide6.QtWidgets import QComboBox, QSpinBox, QStyledItemDelegate, QTreeView

from workbench.core import HIDDEN_ACTIVATIONS
from workbench.gui.panels.layer_stack import (ACTIVATION, MAX_NEURONS, NEURONS, OUTPUT_ACTIVATIONS, LayerStackModel,
                                              qt_int)


def _passes_undo_shortcuts(widget, event) -> bool:
    """Let Ctrl+Z / Ctrl+Shift+Z reach the window's undo actions instead of a line edit's own undo."""
    if event.type() == QEvent.Type.ShortcutOverride and (
            event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)):
        event.ignore()
        return True
    return False


def _is_focus_key(event) -> bool:
    """Tab or Shift+Tab without Ctrl/Alt: plain focus navigation."""
    return (event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
            and not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier))


class SpinBox(QSpinBox):
    """The neuron-count editor. Text it cannot take (0, more than ``MAX_NEURONS``, letters) is not
    dropped silently: ``input_problem`` says why, and the layer keeps its last size; the sentence
    is "" again once the text is fine. ``subject`` names the layer ("Hidden layer 2")."""

    input_problem = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.subject = lambda: "This layer"
        self._problem = ""

    def problem(self) -> str:
        return self._problem

    def validate(self, text, pos):
        result = super().validate(text, pos)
        state = result[0] if isinstance(result, tuple) else result
        typed = text.strip()
        problem = ""
        if typed:
            try:
                number = int(typed)
            except ValueError:
                number = None
            low, high = self.minimum(), self.maximum()
            if number is None:
                if state == QValidator.State.Invalid:
                    problem = f"{self.subject()}: type a whole number of neurons, {low} to {high:,}."
            elif number > high:
                problem = (f"{self.subject()} can have at most {high:,} neurons, not {number:,}; "
                           f"it keeps {self.value():,}.")
                state = QValidator.State.Intermediate    # stays on screen until Enter or focus-out restore
            elif number < low:
                problem = (f"{self.subject()} needs at least {low} neuron{'' if low == 1 else 's'}; "
                           f"it keeps {self.value():,}.")
        if not problem and typed == self.textFromValue(self.value()):
            problem = self._problem    # Qt restoring the kept size (Enter, focus out): the reason stays
        if problem != self._problem:
            self._problem = problem
            self.input_problem.emit(problem)
        return (state, text, pos)

    def set_value_quietly(self, value: int) -> None:
        """Show ``value`` without emitting valueChanged (no undo command) and without a selection."""
        self._problem = ""       # a size set from the model ends any earlier complaint
        self.blockSignals(True)
        value = qt_int(value)
        self.setRange(min(1, value), max(MAX_NEURONS, value))   # a loaded 0 shows as 0 (and red)
        self.setValue(value)
        self.lineEdit().deselect()
        self.blockSignals(False)

    def event(self, event):
        return _passes_undo_shortcuts(self, event) or super().event(event)

    def wheelEvent(self, event):   # scrolling the list must not change sizes by accident
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class ComboBox(QComboBox):
    def wheelEvent(self, event):
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class LayerDelegate(QStyledItemDelegate):
    """Persistent editors: a spin box for hidden sizes, a combo box for activations. Every change
    is committed at once, so the diagram follows live and size changes merge into one undo step.
    ``input_problem(str)`` relays the spin boxes' sentences on typed text they did not take."""

    input_problem = Signal(str)

    def __init__(self, model: LayerStackModel, parent=None):
        super().__init__(parent)
        self._model = model
        self._editor_height = None
        self._combo_width = 0

    def eventFilter(self, editor, event):
        # Tab/Shift+Tab move the focus along the window's tab order (the designer keeps the editors
        # there in row order) instead of "edit the next cell", which, with persistent editors,
        # handed the focus back to the same combo box.
        if _is_focus_key(event):
            return False
        return super().eventFilter(editor, event)

    def createEditor(self, parent, option, index):
        if index.column() == NEURONS:
            spin = SpinBox(parent)
            where = QPersistentModelIndex(index)
            spin.subject = lambda: f"Hidden layer {where.row()}"
            spin.input_problem.connect(self.input_problem)
            spin.setRange(1, MAX_NEURONS)
            spin.setAccelerated(True)
            spin.setToolTip(f"Number of neurons, 1 to {MAX_NEURONS}")
            spin.valueChanged.connect(lambda _value, e=spin: self.commitData.emit(e))
            spin.editingFinished.connect(self._model.next_session)
            return spin
        combo = ComboBox(parent)
        names = HIDDEN_ACTIVATIONS if self._model.is_hidden(index.row()) else OUTPUT_ACTIVATIONS
        combo.addItems(names)
        combo.setToolTip("Activation function of this layer")
        combo.currentIndexChanged.connect(lambda _i, e=combo: self.commitData.emit(e))
        return combo

    def setEditorData(self, editor, index):
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, SpinBox):
            editor.set_value_quietly(int(value))
            return
        editor.blockSignals(True)
        position = editor.findText(str(value))
        if position < 0:   # e.g. softmax loaded into a hidden layer: show it, but it cannot be chosen
            editor.addItem(str(value))
            position = editor.count() - 1
            editor.model().item(position).setEnabled(False)
        editor.setCurrentIndex(position)
        editor.blockSignals(False)

    def setModelData(self, editor, model, index):
        value = editor.value() if isinstance(editor, QSpinBox) else editor.currentText()
        model.setData(index, value, Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor, option, index):
        rect = option.rect
        if isinstance(editor, QSpinBox):
            rect.setWidth(min(rect.width(), editor.sizeHint().width() + 24))
        editor.setGeometry(rect)

    def sizeHint(self, option, index):
        hint = super().sizeHint(option, index)
        if self._editor_height is None:
            combo = QComboBox()
            combo.addItems(OUTPUT_ACTIVATIONS)
            self._editor_height = max(QSpinBox().sizeHint().height(), combo.sizeHint().height()) + 2
            self._combo_width = combo.sizeHint().width()
        width = hint.width()
        if index.column() == ACTIVATION:
            width = max(width, self._combo_width)
        return QSize(width, max(hint.height(), self._editor_height))


class LayerView(QTreeView):
    """The layer list, with a quiet how-to line in the free space below the rows."""

    HINT = "Drag a layer by its handle to reorder it · Ins adds a layer, Del removes it, Alt+↑/↓ moves it"

    def paintEvent(self, event):
        super().paintEvent(event)
        model = self.model()
        if model is None or not model.rowCount() or not self.isEnabled():
            return
        last = self.visualRect(model.index(model.rowCount() - 1, 0))
        free = self.viewport().rect().adjusted(8, last.bottom() + 8, -8, -6)
        metrics = self.fontMetrics()
        if free.height() < metrics.lineSpacing() * 2:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(free, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                         self.HINT)
        painter.end()
