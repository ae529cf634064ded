"""The network designer: building a stack through the editor, undo/redo, inline errors, presets."""

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import QApplication
from PySide6.QtWidgets import QComboBox, QSpinBox, QToolButton

from workbench.core import check_architecture
from workbench.gui.panels.designer import NetworkDesigner, preset, preset_names
from workbench.gui.panels.layer_stack import ACTIVATION, ERROR_BACKGROUND, LAYER, NEURONS


@pytest.fixture
def stack():
    return QUndoStack()


@pytest.fixture
def designer(qtbot, stack):
    widget = NetworkDesigner(stack)
    qtbot.addWidget(widget)
    widget.resize(420, 420)
    widget.show()
    widget.set_io_sizes(784, 10, input_shape=(28, 28))
    return widget


def editor(designer, row, col):
    return designer.view.indexWidget(designer.model.index(row, col))


def sizes(designer):
    return designer.architecture()["sizes"]


def text(designer, row, col):
    return designer.model.index(row, col).data()


def test_unknown_sizes_are_a_gentle_empty_state(qtbot, stack):
    widget = NetworkDesigner(stack)
    qtbot.addWidget(widget)
    assert widget.architecture() == {"sizes": [None, 30, None], "activations": ["sigmoid", "sigmoid"],
                                     "cost": "cross-entropy"}
    assert text(widget, 0, NEURONS) == "set by the data"
    assert "Load a data set" in widget.validation_error()
    assert widget.model.problem.kind == "info"
    assert widget.model.index(0, LAYER).data(Qt.ItemDataRole.BackgroundRole) is None
    with qtbot.waitSignal(widget.changed):
        widget.set_io_sizes(2, 1)
    assert widget.validation_error() is None
    assert sizes(widget) == [2, 30, 1]


def test_io_rows_describe_the_data(designer):
    assert text(designer, 0, LAYER) == "Input"
    assert text(designer, 0, NEURONS) == "784 (28×28 image)"
    assert "one per pixel of the 28×28 images" in designer.model.index(0, NEURONS).data(Qt.ItemDataRole.ToolTipRole)
    assert text(designer, 2, NEURONS) == "10 outputs"
    assert designer.validation_error() is None
    assert designer._summary.text() == "[784, 30, 10] · 23,860 weights and biases"


def test_add_insert_remove_with_undo_redo(designer, stack):
    designer.select_row(1)
    designer.add_layer()                         # below hidden 1, copies its size
    assert sizes(designer) == [784, 30, 30, 10]
    assert designer.selected_row() == 2
    editor(designer, 2, NEURONS).setValue(50)
    designer.model.next_session()
    designer.insert_layer()                      # above the selected (new) hidden 2
    editor(designer, 2, NEURONS).setValue(40)
    assert sizes(designer) == [784, 30, 40, 50, 10]
    assert [text(designer, r, LAYER) for r in range(5)] == ["Input", "Hidden 1", "Hidden 2", "Hidden 3", "Output"]
    designer.select_row(1)
    designer.remove_layer()
    assert sizes(designer) == [784, 40, 50, 10]
    assert stack.undoText() == "Remove hidden layer 1"

    history = [[784, 30, 40, 50, 10], [784, 30, 50, 50, 10], [784, 30, 50, 10], [784, 30, 30, 10], [784, 30, 10]]
    for expected in history:
        stack.undo()
        assert sizes(designer) == expected
    for expected in reversed(history[:-1]):
        stack.redo()
        assert sizes(designer) == expected
    stack.redo()
    assert sizes(designer) == [784, 40, 50, 10]
    assert editor(designer, 1, NEURONS).value() == 40      # editors follow undo/redo


def test_one_spinbox_edit_session_is_one_undo_step(designer, stack, qtbot):
    spin = editor(designer, 1, NEURONS)
    assert isinstance(spin, QSpinBox) and (spin.minimum(), spin.maximum()) == (1, 4096)
    before = stack.count()
    with qtbot.waitSignal(designer.changed):
        for value in (31, 32, 33, 34):           # arrow clicks / typing in one go
            spin.setValue(value)
    assert stack.count() == before + 1
    assert stack.undoText() == "Set hidden layer 1 size to 34"
    spin.editingFinished.emit()                  # focus left the box: the next change is a new step
    spin.setValue(35)
    assert stack.count() == before + 2
    stack.undo()
    assert spin.value() == 34
    stack.undo()
    assert spin.value() == 30 and sizes(designer) == [784, 30, 10]
    spin.setValue(31)
    spin.setValue(30)                            # back where it started: the merged step vanishes
    assert stack.count() == before


def test_activation_and_cost_edits_are_undoable(designer, stack):
    combo = editor(designer, 1, ACTIVATION)
    assert isinstance(combo, QComboBox)
    assert "softmax" not in [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentText("relu")
    output = editor(designer, 2, ACTIVATION)
    output.setCurrentText("softmax")
    designer._cost_combo.setCurrentText("log-likelihood")
    designer._cost_combo.activated.emit(designer._cost_combo.currentIndex())
    assert designer.architecture() == {"sizes": [784, 30, 10], "activations": ["relu", "softmax"],
                                       "cost": "log-likelihood"}
    stack.undo()
    assert designer.architecture()["cost"] == "cross-entropy"
    assert designer._cost_combo.currentText() == "cross-entropy"
    stack.undo()
    stack.undo()
    assert designer.architecture()["activations"] == ["sigmoid", "sigmoid"]
    assert combo.currentText() == "sigmoid" and output.currentText() == "sigmoid"
    stack.redo()
    assert combo.currentText() == "relu"


def test_drag_and_drop_reorders_hidden_layers(designer, stack):
    designer.set_architecture({"sizes": [784, 10, 20, 30, 10], "activations": ["relu", "tanh", "sigmoid", "sigmoid"],
                               "cost": "cross-entropy"})
    model = designer.model
    mime = model.mimeData([model.index(1, LAYER)])           # what the view drags
    assert model.canDropMimeData(mime, Qt.DropAction.MoveAction, 4, 0, QModelIndex())
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 4, 0, QModelIndex())   # drop above the output
    assert sizes(designer) == [784, 20, 30, 10, 10]
    assert designer.architecture()["activations"] == ["tanh", "sigmoid", "relu", "sigmoid"]
    assert designer.selected_row() == 3
    assert editor(designer, 3, NEURONS).value() == 10 and editor(designer, 3, ACTIVATION).currentText() == "relu"
    # dropping onto the input row lands the layer first; the input and output rows never move
    assert not model.flags(model.index(0, LAYER)) & Qt.ItemFlag.ItemIsDragEnabled
    model.dropMimeData(model.mimeData([model.index(2, LAYER)]), Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert sizes(designer) == [784, 30, 20, 10, 10]
    stack.undo()
    stack.undo()
    assert sizes(designer) == [784, 10, 20, 30, 10]
    # the view removes nothing after a move (it would call removeRows on the model)
    assert not model.removeRows(1, 1)


def test_move_buttons_and_shortcuts(designer, stack):
    designer.set_architecture({"sizes": [784, 10, 20, 10], "activations": ["relu", "tanh", "softmax"],
                               "cost": "log-likelihood"})
    actions = designer.layer_actions
    assert actions["up"].shortcut().toString() == "Alt+Up"
    assert actions["down"].shortcut().toString() == "Alt+Down"
    designer.select_row(1)
    assert not actions["up"].isEnabled() and actions["down"].isEnabled()
    actions["down"].trigger()
    assert sizes(designer) == [784, 20, 10, 10] and designer.selected_row() == 2
    assert not actions["down"].isEnabled()
    actions["up"].trigger()
    assert sizes(designer) == [784, 10, 20, 10]
    designer.select_row(0)
    assert not actions["remove"].isEnabled()
    stack.undo()
    assert sizes(designer) == [784, 20, 10, 10]


def test_softmax_in_a_hidden_layer_is_shown_inline(designer):
    designer.set_architecture({"sizes": [784, 30, 10], "activations": ["softmax", "softmax"],
                               "cost": "log-likelihood"})
    error = designer.validation_error()
    assert error == check_architecture([784, 30, 10], ["softmax", "softmax"], "log-likelihood")
    assert "softmax" in error
    assert designer.model.index(1, LAYER).data(Qt.ItemDataRole.BackgroundRole) == ERROR_BACKGROUND
    assert designer.model.index(2, LAYER).data(Qt.ItemDataRole.BackgroundRole) is None
    assert designer._message.text() == error and not designer._message.isHidden()
    assert editor(designer, 1, ACTIVATION).currentText() == "softmax"    # shown, though not choosable
    editor(designer, 1, ACTIVATION).setCurrentText("tanh")
    assert designer.validation_error() is None
    assert designer._message.isHidden()


def test_bad_cost_pair_is_shown_inline(designer):
    editor(designer, 2, ACTIVATION).setCurrentText("tanh")       # tanh output with cross-entropy
    error = designer.validation_error()
    assert error and "cross-entropy" in error
    assert designer.model.problem.cost and not designer._cost_warning.isHidden()
    assert designer.model.index(2, LAYER).data(Qt.ItemDataRole.BackgroundRole) == ERROR_BACKGROUND
    assert designer.model.index(2, LAYER).data(Qt.ItemDataRole.ToolTipRole) == error
    designer.set_cost("quadratic")
    assert designer.validation_error() is None and designer._cost_warning.isHidden()


def test_sizes_that_do_not_fit_the_data(designer, stack):
    designer.set_io_sizes(2, 1)                  # new data: the stack adopts its sizes
    assert sizes(designer) == [2, 30, 1]
    designer.load_preset("nielsen-784-30-10")    # a preset made for MNIST
    error = designer.validation_error()
    assert error.startswith("The network has 784 inputs and 10 outputs but the data has 2 inputs and 1 output")
    assert text(designer, 0, NEURONS) == "784 · data has 2"
    assert designer.model.index(0, LAYER).data(Qt.ItemDataRole.BackgroundRole) == ERROR_BACKGROUND
    assert designer.model.index(2, LAYER).data(Qt.ItemDataRole.BackgroundRole) == ERROR_BACKGROUND
    assert not designer._fit_button.isHidden()
    designer._fit_button.click()
    assert sizes(designer) == [2, 30, 1] and designer.validation_error() is None
    assert designer._fit_button.isHidden()
    stack.undo()
    assert sizes(designer)[0] == 784 and designer.validation_error()


def test_set_architecture_is_one_undo_step_or_none(designer, stack):
    before = stack.count()
    designer.load_preset("nielsen-deep-784-30x4-10")
    assert stack.count() == before + 1 and stack.undoText().startswith("Load preset")
    assert sizes(designer) == [784, 30, 30, 30, 30, 10]
    assert all(editor(designer, row, NEURONS) is not None for row in range(1, 5))
    stack.undo()
    assert sizes(designer) == [784, 30, 10]
    designer.load_preset("nielsen-784-30-10")    # the same stack again: no empty step
    assert stack.count() == before + 1
    designer.set_architecture({"sizes": [784, 100, 10], "activations": ["relu", "softmax"],
                               "cost": "log-likelihood"}, undoable=False)
    assert sizes(designer) == [784, 100, 10]
    assert stack.count() == 0                    # a new baseline: old steps no longer apply
    with pytest.raises(ValueError):
        designer.set_architecture({"sizes": [784, 10], "activations": ["relu", "softmax"], "cost": "quadratic"})


def test_presets_all_load_and_pass_check_architecture(designer):
    names = designer.preset_names()
    assert names == preset_names()
    assert {"nielsen-784-30-10", "nielsen-deep-784-30x4-10", "mccaffrey-4-10-10-10-3", "xor-2-2-1"} <= set(names)
    for name in names:
        info = preset(name)
        assert info["name"] and info["description"] and info["data"]
        assert {"optimizer", "lr", "momentum", "batch_size", "epochs", "l2", "init"} <= set(info["hyperparameters"])
        assert check_architecture(info["sizes"], info["activations"], info["cost"]) is None
        designer.set_io_sizes(info["sizes"][0], info["sizes"][-1])
        designer.load_preset(name)
        assert designer.architecture() == {k: info[k] for k in ("sizes", "activations", "cost")}
        assert designer.validation_error() is None, name


def test_preset_combo_loads_and_tells_the_window(designer, qtbot):
    combo = designer._preset_combo
    index = combo.findData("xor-2-2-1")
    with qtbot.waitSignal(designer.preset_chosen) as blocker:
        combo.activated.emit(index)
    assert blocker.args == ["xor-2-2-1"]
    assert designer.architecture()["sizes"][1:-1] == [2]
    assert combo.currentIndex() == -1            # back to "Load a preset…"


def test_locked_while_training(designer, stack):
    designer.set_editable(False)
    assert not designer.is_editable() and not designer.view.isEnabled()
    assert not any(action.isEnabled() for action in designer.layer_actions.values())
    before = stack.count()
    designer.add_layer()
    designer.remove_layer()
    assert stack.count() == before
    designer.set_editable(True)
    designer.select_row(1)
    assert designer.layer_actions["remove"].isEnabled()


def test_keyboard_reorder_and_window_undo_from_inside_a_spinbox(designer, stack, qtbot):
    designer.set_architecture({"sizes": [784, 10, 20, 10], "activations": ["relu", "tanh", "softmax"],
                               "cost": "log-likelihood"})
    undo = stack.createUndoAction(designer)      # the main window owns these; any ancestor works
    undo.setShortcut("Ctrl+Z")
    designer.addAction(undo)
    designer.activateWindow()
    qtbot.waitActive(designer)
    spin = editor(designer, 1, NEURONS)
    spin.setFocus()
    designer.select_row(1)
    qtbot.keyClick(spin, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert sizes(designer) == [784, 20, 10, 10]
    qtbot.keyClick(editor(designer, 2, NEURONS), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sizes(designer) == [784, 10, 20, 10]  # the window's undo, not the line edit's own


def test_dropping_on_the_view_reorders(designer, stack):
    designer.set_architecture({"sizes": [784, 10, 20, 30, 10], "activations": ["relu", "tanh", "sigmoid", "sigmoid"],
                               "cost": "cross-entropy"})
    view, model = designer.view, designer.model
    mime = model.mimeData([model.index(1, LAYER)])           # dragging "Hidden 1" by its handle
    rect = view.visualRect(model.index(3, LAYER))
    pos = QPointF(rect.center().x(), rect.bottom() - 1)      # the lower edge of "Hidden 3": below it
    args = (Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)

    def drag_event(cls):                          # QPointF from PySide6 6.12 on, QPoint before
        try:
            return cls(pos, *args)
        except TypeError:
            return cls(pos.toPoint(), *args)

    for event in (drag_event(QDragEnterEvent), drag_event(QDragMoveEvent), QDropEvent(pos, *args)):
        QApplication.sendEvent(view.viewport(), event)
        assert event.isAccepted()
    assert sizes(designer) == [784, 20, 30, 10, 10]
    assert stack.undoText() == "Move hidden layer 1 to position 3"
    stack.undo()
    assert sizes(designer) == [784, 10, 20, 30, 10]


def test_a_loaded_zero_size_layer_is_flagged(designer):
    designer.set_architecture({"sizes": [784, 0, 10], "activations": ["relu", "softmax"], "cost": "log-likelihood"})
    assert "0 neurons" in designer.validation_error()
    assert designer.model.index(1, LAYER).data(Qt.ItemDataRole.BackgroundRole) == ERROR_BACKGROUND
    spin = editor(designer, 1, NEURONS)
    assert spin.value() == 0                     # shown as it is, not silently clamped
    spin.setValue(12)
    assert sizes(designer) == [784, 12, 10] and designer.validation_error() is None
    assert spin.minimum() == 1


def test_pressing_a_row_and_moving_starts_a_move_drag(designer, qtbot, monkeypatch):
    from workbench.gui.panels.layer_editors import LayerView

    started = []
    monkeypatch.setattr(LayerView, "startDrag", lambda view, actions: started.append(
        (actions, view.selectionModel().currentIndex().row())))   # QDrag.exec cannot run offscreen
    view = designer.view
    start = view.visualRect(designer.model.index(1, LAYER)).center()
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), start + QPoint(0, 4))
    qtbot.mouseMove(view.viewport(), start + QPoint(0, 40))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(0, 40))
    assert started == [(Qt.DropAction.MoveAction, 1)]
    start = view.visualRect(designer.model.index(0, LAYER)).center()    # the input row stays put
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), start + QPoint(0, 4))
    qtbot.mouseMove(view.viewport(), start + QPoint(0, 40))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(0, 40))
    assert len(started) == 1


def test_preset_data_specs_fit_their_networks():
    from workbench.data import load_dataset

    for name in preset_names():
        info = preset(name)
        if info["data"].split(":")[0] in ("mnist", "fashion-mnist"):
            assert (info["sizes"][0], info["sizes"][-1]) == (784, 10), name
            continue
        data = load_dataset(info["data"])               # small generated sets: quick
        assert (data.n_inputs, data.n_outputs) == (info["sizes"][0], info["sizes"][-1]), name


def test_typing_a_size_is_one_undo_step(designer, stack, qtbot):
    spin = editor(designer, 1, NEURONS)
    spin.setFocus()
    spin.selectAll()
    before = stack.count()
    qtbot.keyClicks(spin, "128")                 # 1, 12, 128: live updates, one step
    assert sizes(designer) == [784, 128, 10]
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert stack.count() == before + 1 and stack.undoText() == "Set hidden layer 1 size to 128"
    qtbot.keyClick(spin, Qt.Key.Key_Up)          # after Enter, a new step
    assert stack.count() == before + 2 and sizes(designer) == [784, 129, 10]
    stack.undo()
    stack.undo()
    assert sizes(designer) == [784, 30, 10] and spin.value() == 30


def test_zero_size_message_wording(designer):
    designer.set_architecture({"sizes": [784, 30, 0, 10], "activations": ["relu", "relu", "softmax"],
                               "cost": "log-likelihood"})
    assert designer.validation_error() == "Hidden layer 2 has 0 neurons; give it at least 1."
    assert designer.message_text() == designer.validation_error()
    assert designer.model.index(2, LAYER).data(Qt.ItemDataRole.BackgroundRole) == ERROR_BACKGROUND


def type_size(qtbot, spin, text):
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)


@pytest.mark.parametrize("typed, reason", [("0", "needs at least 1 neuron"),
                                           ("5000", "can have at most 4,096 neurons, not 5,000")])
def test_a_rejected_size_says_why_and_keeps_the_size(designer, stack, qtbot, typed, reason):
    designer.activateWindow()
    qtbot.waitActive(designer)
    spin = editor(designer, 1, NEURONS)
    before = sizes(designer)[1]
    type_size(qtbot, spin, typed)
    kept = sizes(designer)[1]       # what the keystrokes before the bad one committed ("500" of "5000")
    assert kept == (before if typed == "0" else 500)
    message = designer.message_text()
    assert message.startswith("Hidden layer 1 ") and reason in message and f"it keeps {kept}" in message
    qtbot.keyClick(spin, Qt.Key.Key_Return)                 # Qt restores the kept size...
    assert spin.value() == kept and sizes(designer)[1] == kept
    assert designer.message_text() == message               # ...and the reason stays readable
    assert designer.validation_error() is None              # it does not block training
    type_size(qtbot, spin, "64")                            # a good size clears it
    assert sizes(designer)[1] == 64 and designer.message_text() == ""
    type_size(qtbot, spin, typed)
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    designer.add_layer()                                    # another edit ends the note...
    assert designer.message_text() == ""
    type_size(qtbot, editor(designer, 1, NEURONS), typed)   # ...and the same mistake is explained again
    assert reason in designer.message_text()


def test_letters_in_a_size_say_why(designer, qtbot):
    designer.activateWindow()
    qtbot.waitActive(designer)
    spin = editor(designer, 1, NEURONS)
    type_size(qtbot, spin, "x")
    assert spin.value() == 30 and "whole number of neurons" in designer.message_text()


def focused_editor(designer):
    widget = QApplication.focusWidget()
    for row in range(designer.model.rowCount()):
        for col in (NEURONS, ACTIVATION):
            e = editor(designer, row, col)
            if e is not None and (e is widget or e.isAncestorOf(widget)):
                return (row, col)
    return widget


def test_tab_and_shift_tab_leave_the_layer_editors(designer, qtbot):
    designer.set_architecture({"sizes": [784, 30, 20, 10], "activations": ["relu", "tanh", "softmax"],
                               "cost": "log-likelihood"})
    designer.add_layer()                           # an editor created later still sits in row order
    designer.activateWindow()
    qtbot.waitActive(designer)
    combo = editor(designer, 1, ACTIVATION)
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Tab)          # was stuck: the focus came back to the same combo
    assert not combo.hasFocus() and focused_editor(designer) == (2, NEURONS)
    order = [focused_editor(designer)]
    for _ in range(5):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(focused_editor(designer))
    add_button = designer.findChildren(QToolButton)[0]
    assert order == [(2, NEURONS), (2, ACTIVATION), (3, NEURONS), (3, ACTIVATION), (4, ACTIVATION), add_button]
    back = []
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
        back.append(focused_editor(designer))
    assert back == [(4, ACTIVATION), (3, ACTIVATION), (3, NEURONS), (2, ACTIVATION), (2, NEURONS),
                    (1, ACTIVATION), (1, NEURONS), designer.view]
    qtbot.keyClick(designer.view, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is designer._preset_combo
    assert sizes(designer) == [784, 30, 30, 20, 10]  # navigating changed nothing


def test_dark_palette_uses_the_dark_error_colour(designer):
    from PySide6.QtGui import QColor, QPalette

    from workbench.gui.palette import is_dark

    designer.set_architecture({"sizes": [784, 0, 10], "activations": ["relu", "softmax"], "cost": "log-likelihood"})
    light = QPalette(QColor("#f0f0f0"))
    dark = QPalette(QColor("#202020"))
    assert not is_dark(light) and is_dark(dark) and is_dark(QColor("#202020"))
    for palette, colour in ((dark, "#ff7b72"), (light, "#b42318")):
        designer.setPalette(palette)
        assert designer._message.palette().color(QPalette.ColorRole.WindowText).name() == colour
