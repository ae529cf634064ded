"""The layer stack behind the network designer: a table model, its undo commands and the validation.

Rows: 0 is the input layer, 1..n the hidden layers, n+1 the output layer. Columns: layer name,
neurons, activation. Every edit made through the model (``setData``, drops, the ``edit_*`` methods)
is pushed as a QUndoCommand; the commands call the ``_apply_*`` methods, which are the only code that
mutates the stack and emit the model's change signals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QByteArray, QMimeData, QModelIndex, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QApplication, QStyle

from workbench.core import ACTIVATIONS, COSTS, HIDDEN_ACTIVATIONS, check_architecture
from workbench.core.limits import INT32_MAX, count_text
from workbench.core.names import layer_subject
from workbench.core.network import MAX_NEURONS, MAX_UNITS, MAX_WEIGHT_LAYERS
from workbench.core.network import parameter_count as network_parameter_count

LAYER, NEURONS, ACTIVATION = range(3)
HEADERS = ("Layer", "Neurons", "Activation")
OUTPUT_ACTIVATIONS = ["sigmoid", "softmax", "tanh", "linear", "relu", "leaky-relu"]
OUTPUT_ACTIVATIONS += [name for name in ACTIVATIONS if name not in OUTPUT_ACTIVATIONS]
COST_NAMES = list(COSTS)
DEFAULT_HIDDEN = (30, "sigmoid")
MIME_TYPE = "application/x-workbench-layer-row"
ERROR_BACKGROUND = QColor(214, 39, 40, 56)   # translucent red: readable on light and dark palettes
_MERGE_ID = 0x57B1
#: The range of a C int: Qt's spin boxes and item data take nothing wider (a larger Python int
#: overflowed inside shiboken and crashed the window).
QT_INT_MIN, QT_INT_MAX = -INT32_MAX - 1, INT32_MAX


def qt_int(value: int) -> int:
    """``value`` clamped to what Qt can hold in an int (sizes are checked before they get here;
    this keeps a missed one from crashing the window)."""
    return min(max(int(value), QT_INT_MIN), QT_INT_MAX)


def stack_problem(sizes, activations) -> str | None:
    """Why the designer cannot show a stack at all (one sentence), or None.  ``sizes`` include
    the input and output (None: unknown).  Sizes it can show but not train (0, a hidden layer over
    ``MAX_NEURONS``) are left to ``validate``, which marks their rows."""
    if len(sizes) - 1 > MAX_WEIGHT_LAYERS:
        return (f"The network has {len(sizes) - 1:,} layers after the input; the designer takes at "
                f"most {MAX_WEIGHT_LAYERS}.")
    for row, size in enumerate(sizes):
        if size is not None and not 0 <= size <= MAX_UNITS:
            return (f"{layer_subject(row, len(sizes))} has {count_text(size)} neurons; a layer can have 0 to "
                    f"{MAX_UNITS:,}.")
    return None


@dataclass
class Problem:
    """The first thing wrong with a stack: ``text`` (a sentence), ``rows`` to highlight,
    ``kind`` "error" (blocks training) or "info" (only sizes unknown), ``mismatch`` when the
    input/output sizes disagree with the data, ``cost`` when the cost pairing is at fault."""

    text: str
    rows: tuple[int, ...] = ()
    kind: str = "error"
    mismatch: bool = False
    cost: bool = False


def validate(arch: dict, data_in: int | None, data_out: int | None) -> Problem | None:
    """Check ``arch`` ({"sizes", "activations", "cost"}; unknown sizes are None) against the data."""
    sizes, acts, cost = list(arch["sizes"]), list(arch["activations"]), arch["cost"]
    last = len(sizes) - 1
    placeholder = [1 if size is None else size for size in sizes]
    for row in range(1, last):
        size = sizes[row]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            return Problem(f"Hidden layer {row} has {size} neurons; give it at least 1.", (row,))
    rows = tuple(i for i in range(1, last) if not isinstance(sizes[i], int) or sizes[i] < 1)
    rows += tuple(i + 1 for i, name in enumerate(acts[:-1]) if name in ACTIVATIONS and ACTIVATIONS[name].output_only)
    problem = check_architecture(placeholder, acts, cost)
    if problem:
        pair_only = check_architecture([1, 1], acts[-1:], cost) is not None
        if pair_only and not rows:
            return Problem(problem, (last,), cost=True)
        return Problem(problem, rows[:1])
    wrong = [(row, have, want, what) for row, have, want, what in
             ((0, sizes[0], data_in, "input"), (last, sizes[last], data_out, "output"))
             if have is not None and want is not None and have != want]
    if wrong:
        def count(n, what):
            return f"{n} {what}{'' if n == 1 else 's'}"
        have = " and ".join(count(h, w) for _, h, _, w in wrong)
        want = " and ".join(count(d, w) for _, _, d, w in wrong)
        return Problem(f"The network has {have} but the data has {want}; "
                       "use the data's sizes or choose another data set.",
                       tuple(row for row, *_ in wrong), mismatch=True)
    if sizes[0] is None or sizes[last] is None:
        return Problem("Load a data set first: it sets the sizes of the input and output layers.", kind="info")
    return None


def _dots_pixmap(dots: bool) -> QPixmap:
    side = QApplication.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    if dots:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QApplication.palette().placeholderText())
        for x in (0.36, 0.64):
            for y in (0.25, 0.5, 0.75):
                painter.drawEllipse(QPointF(x * side, y * side), 1.3, 1.3)
        painter.end()
    return pixmap


_ICONS: dict[object, QIcon] = {}


def _grip_icon() -> QIcon:
    """Six dots: the usual "drag me" handle of a hidden-layer row (redrawn when the palette changes)."""
    key = ("grip", QApplication.palette().placeholderText().color().rgba())
    if key not in _ICONS:
        _ICONS[key] = QIcon(_dots_pixmap(True))
    return _ICONS[key]


def _blank_icon() -> QIcon:
    """Keeps "Input"/"Output" aligned with the hidden-layer names."""
    if "blank" not in _ICONS:
        _ICONS["blank"] = QIcon(_dots_pixmap(False))
    return _ICONS["blank"]


def parameter_count(sizes: list[int | None]) -> int | None:
    """Number of weights and biases of a stack, or None while a size is unknown."""
    if any(size is None for size in sizes):
        return None
    return network_parameter_count(sizes)


class LayerStackModel(QAbstractTableModel):
    """The editable stack. ``edited`` fires after every change; ``focus_row`` asks the view to
    select a row after a structural edit (insert, remove, move, undo of those)."""

    edited = Signal()
    focus_row = Signal(int)

    def __init__(self, undo_stack: QUndoStack, parent=None):
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.hidden: list[list] = [list(DEFAULT_HIDDEN)]     # [size, activation] per hidden layer
        self.n_in: int | None = None
        self.n_out: int | None = None
        self.out_activation = "sigmoid"
        self.cost = "cross-entropy"
        self.data_in: int | None = None
        self.data_out: int | None = None
        self.input_shape: tuple | None = None
        self.problem: Problem | None = None
        self.edit_session = 0    # size edits in one session (one spin-box drag/typing) merge

    # ---- state -------------------------------------------------------------------------------
    def architecture(self) -> dict:
        return {
            "sizes": [self.n_in] + [size for size, _ in self.hidden] + [self.n_out],
            "activations": [act for _, act in self.hidden] + [self.out_activation],
            "cost": self.cost,
        }

    @property
    def output_row(self) -> int:
        return len(self.hidden) + 1

    def is_hidden(self, row: int) -> bool:
        return 1 <= row <= len(self.hidden)

    def next_session(self) -> None:
        """End the current size-edit session, so the next size change is its own undo step."""
        self.edit_session += 1

    # ---- Qt model ----------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.hidden) + 2

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        row, col = index.row(), index.column()
        if self.is_hidden(row):
            flags |= Qt.ItemFlag.ItemIsDragEnabled
            if col in (NEURONS, ACTIVATION):
                flags |= Qt.ItemFlag.ItemIsEditable
        elif row == self.output_row and col == ACTIVATION:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        R = Qt.ItemDataRole
        if role in (R.DisplayRole, R.EditRole):
            value = self._text(row, col, edit=role == R.EditRole)
            return qt_int(value) if isinstance(value, int) else value
        if role == R.ToolTipRole:
            if self.problem and row in self.problem.rows:
                return self.problem.text
            return self._tooltip(row)
        if role == R.BackgroundRole and self.problem and self.problem.kind == "error" and row in self.problem.rows:
            return ERROR_BACKGROUND
        if role == R.DecorationRole and col == LAYER:
            if self.problem and row in self.problem.rows and self.problem.kind == "error":
                return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            if self.is_hidden(row):
                return _grip_icon()
            return _blank_icon()
        if role == R.FontRole and col == NEURONS and not self.is_hidden(row):
            if (self.n_in if row == 0 else self.n_out) is None:
                font = QFont()
                font.setItalic(True)
                return font
        if role == R.ForegroundRole and col == NEURONS and not self.is_hidden(row):
            if (self.n_in if row == 0 else self.n_out) is None:
                return QApplication.palette().placeholderText()
        return None

    def _text(self, row: int, col: int, edit: bool):
        if col == LAYER:
            if row == 0:
                return "Input"
            return "Output" if row == self.output_row else f"Hidden {row}"
        if col == NEURONS:
            if self.is_hidden(row):
                size = self.hidden[row - 1][0]
                return size if edit else str(size)
            return self._io_text(row == 0)
        if row == 0:
            return "—"
        return self.out_activation if row == self.output_row else self.hidden[row - 1][1]

    def _io_text(self, is_input: bool) -> str:
        have = self.n_in if is_input else self.n_out
        data = self.data_in if is_input else self.data_out
        what = ("input" if is_input else "output") + ("" if have == 1 else "s")
        if have is None:
            return "set by the data"
        # Short enough for a narrow dock: the column header already says "Neurons".
        if data is None:
            return f"{have} · no data yet"
        if data != have:
            return f"{have} · data has {data}"
        if is_input and self.input_shape and len(self.input_shape) == 2:
            return f"{have} ({self.input_shape[0]}×{self.input_shape[1]} image)"
        return f"{have} {what}"

    def _tooltip(self, row: int) -> str:
        if row == 0:
            if self.input_shape and len(self.input_shape) == 2 and self.n_in == self.data_in:
                return (f"{self.n_in} inputs, one per pixel of the {self.input_shape[0]}×{self.input_shape[1]} "
                        "images; the size comes from the data set.")
            return "The input layer has one neuron per feature of the data; its size comes from the data set."
        if row == self.output_row:
            return ("The output layer has one neuron per class (or target); its size comes from the data set. "
                    "Choose its activation here and the cost below.")
        return "Drag to reorder. Set the number of neurons and the activation of this hidden layer."

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if role != Qt.ItemDataRole.EditRole or value is None or not index.isValid():
            return False
        if not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        row, col = index.row(), index.column()
        if col == NEURONS:
            value = int(value)
            if not 1 <= value <= MAX_NEURONS:
                return False
        elif value not in (HIDDEN_ACTIVATIONS if self.is_hidden(row) else OUTPUT_ACTIVATIONS):
            return False
        old = self._text(row, col, edit=True)
        if old != value:
            self.undo_stack.push(SetCell(self, row, col, old, value))
        return True

    # ---- drag and drop (internal moves of hidden rows) ----------------------------------------
    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def supportedDragActions(self):
        return Qt.DropAction.MoveAction

    def mimeTypes(self):
        return [MIME_TYPE]

    def mimeData(self, indexes):
        rows = sorted({index.row() for index in indexes if self.is_hidden(index.row())})
        mime = QMimeData()
        mime.setData(MIME_TYPE, QByteArray(json.dumps(rows[:1]).encode()))
        return mime

    def canDropMimeData(self, data, action, row, column, parent):
        return data.hasFormat(MIME_TYPE) and action == Qt.DropAction.MoveAction

    def dropMimeData(self, data, action, row, column, parent):
        """Move the dragged hidden layer so it sits before row ``row`` (a slot of the old order)."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        rows = json.loads(bytes(data.data(MIME_TYPE).data()).decode() or "[]")
        if not rows or not self.is_hidden(rows[0]):
            return False
        slot = row if row >= 0 else (parent.row() if parent.isValid() else self.output_row)
        slot = min(max(slot, 1), self.output_row)
        source = rows[0]
        target = slot if slot < source else slot - 1
        if target != source:
            self.undo_stack.push(MoveLayer(self, source, target))
        return True

    # ---- mutations (only called by the commands) ---------------------------------------------
    def _changed_rows(self, first: int, last: int | None = None) -> None:
        last = self.rowCount() - 1 if last is None else last
        if first <= last:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(HEADERS) - 1))

    def _apply_cell(self, row: int, col: int, value) -> None:
        if row == self.output_row:
            self.out_activation = value
        else:
            self.hidden[row - 1][0 if col == NEURONS else 1] = value
        self._changed_rows(row, row)
        self.edited.emit()

    def _apply_cost(self, cost: str) -> None:
        self.cost = cost
        self.edited.emit()

    def _apply_insert(self, row: int, size: int, activation: str) -> None:
        self.beginInsertRows(QModelIndex(), row, row)
        self.hidden.insert(row - 1, [size, activation])
        self.endInsertRows()
        self._changed_rows(row + 1)
        self.focus_row.emit(row)
        self.edited.emit()

    def _apply_remove(self, row: int) -> list:
        self.beginRemoveRows(QModelIndex(), row, row)
        layer = self.hidden.pop(row - 1)
        self.endRemoveRows()
        self._changed_rows(row)
        self.focus_row.emit(min(row, self.output_row))
        self.edited.emit()
        return layer

    def _apply_move(self, source: int, target: int) -> None:
        slot = target + 1 if target > source else target
        self.beginMoveRows(QModelIndex(), source, source, QModelIndex(), slot)
        self.hidden.insert(target - 1, self.hidden.pop(source - 1))
        self.endMoveRows()
        self._changed_rows(min(source, target), max(source, target))
        self.focus_row.emit(target)
        self.edited.emit()

    def _apply_architecture(self, arch: dict) -> None:
        sizes, acts = list(arch["sizes"]), list(arch["activations"])
        problem = stack_problem(sizes, acts)
        if problem:                     # the designer checks first; never show what Qt cannot hold
            raise ValueError(problem)
        self.beginResetModel()
        self.n_in, self.n_out = sizes[0], sizes[-1]
        self.hidden = [[size, act] for size, act in zip(sizes[1:-1], acts[:-1])]
        self.out_activation = acts[-1]
        self.cost = arch["cost"]
        self.endResetModel()
        self.edited.emit()

    def _refresh(self) -> None:
        """Repaint every row (validation or data sizes changed; no edit)."""
        self._changed_rows(0)


# ---- undo commands ---------------------------------------------------------------------------
def _layer_name(model: LayerStackModel, row: int) -> str:
    return "output layer" if row == model.output_row else f"hidden layer {row}"


class SetCell(QUndoCommand):
    """Neuron count or activation of one row; size edits of one session merge into one step."""

    def __init__(self, model: LayerStackModel, row: int, col: int, old, new):
        super().__init__()
        self.model, self.row, self.col, self.old, self.new = model, row, col, old, new
        self.session = model.edit_session
        self._set_text()

    def _set_text(self):
        what = "size" if self.col == NEURONS else "activation"
        self.setText(f"Set {_layer_name(self.model, self.row)} {what} to {self.new}")

    def id(self):
        return _MERGE_ID if self.col == NEURONS else -1

    def mergeWith(self, other):
        if not isinstance(other, SetCell) or (other.row, other.col, other.session) != (self.row, self.col, self.session):
            return False
        self.new = other.new
        self._set_text()
        self.setObsolete(self.new == self.old)
        return True

    def redo(self):
        self.model._apply_cell(self.row, self.col, self.new)

    def undo(self):
        self.model._apply_cell(self.row, self.col, self.old)


class SetCost(QUndoCommand):
    def __init__(self, model: LayerStackModel, old: str, new: str):
        super().__init__(f"Set cost to {new}")
        self.model, self.old, self.new = model, old, new

    def redo(self):
        self.model._apply_cost(self.new)

    def undo(self):
        self.model._apply_cost(self.old)


class InsertLayer(QUndoCommand):
    def __init__(self, model: LayerStackModel, row: int, size: int, activation: str):
        super().__init__(f"Insert hidden layer {row}")
        self.model, self.row, self.size, self.activation = model, row, size, activation

    def redo(self):
        self.model._apply_insert(self.row, self.size, self.activation)

    def undo(self):
        self.model._apply_remove(self.row)


class RemoveLayer(QUndoCommand):
    def __init__(self, model: LayerStackModel, row: int):
        super().__init__(f"Remove hidden layer {row}")
        self.model, self.row, self.layer = model, row, None

    def redo(self):
        self.layer = self.model._apply_remove(self.row)

    def undo(self):
        self.model._apply_insert(self.row, *self.layer)


class MoveLayer(QUndoCommand):
    def __init__(self, model: LayerStackModel, source: int, target: int):
        super().__init__(f"Move hidden layer {source} to position {target}")
        self.model, self.source, self.target = model, source, target

    def redo(self):
        self.model._apply_move(self.source, self.target)

    def undo(self):
        self.model._apply_move(self.target, self.source)


class SetArchitecture(QUndoCommand):
    """Replace the whole stack (load a preset, adopt the data's sizes): one undo step."""

    def __init__(self, model: LayerStackModel, new: dict, text: str):
        super().__init__(text)
        self.model, self.old, self.new = model, model.architecture(), new

    def redo(self):
        self.model._apply_architecture(self.new)

    def undo(self):
        self.model._apply_architecture(self.old)
