"""Editing a weight or a bias from the neuron inspector (the diagram's edit row): applied, undoable,
validated, refused while a run goes, and a paused run trains on from the edited values."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from workbench.core import Network
from workbench.data import load_dataset
from workbench.gui.edits import ParameterEdit, parse_value
from workbench.gui.experiment import Experiment
from workbench.gui.views.diagram import DiagramView

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window  # noqa: F401


@pytest.fixture
def experiment():
    exp = Experiment()
    exp.set_dataset(load_dataset("xor"), "xor")
    exp.set_architecture({"sizes": [2, 3, 1], "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"})
    exp.adopt_network(Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "cross-entropy",
                                     rng=np.random.default_rng(0), dtype="float64"))
    return exp


@pytest.fixture
def view(qtbot, experiment):
    v = DiagramView(experiment)
    qtbot.addWidget(v)
    v.resize(640, 480)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    v.diagram.select_neuron(1, 2)
    v.refresh()
    return v


def type_into(qtbot, field, text):
    field.setFocus()
    field.setText(text)             # (keyClicks cannot type "−" offscreen)
    field.setModified(True)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_edit_a_bias_and_a_weight_then_undo_and_redo(view, experiment, qtbot):
    net, editor, stack = experiment.net, view.editor, experiment.undo_stack
    assert editor.bias_field.isEnabled()
    assert float(editor.bias_field.text()) == pytest.approx(net.biases[0][2], rel=1e-5)
    old_bias = float(net.biases[0][2])
    with qtbot.waitSignal(experiment.parameters_changed):
        type_into(qtbot, editor.bias_field, "0.75")
    assert net.biases[0][2] == 0.75
    assert stack.count() == 1 and stack.undoText() == "Edit bias of hidden 1 neuron 3"
    assert "Cost on the training data:" in editor.note.text() and "→" in editor.note.text()

    view.diagram.follow_source.setValue(2)          # the weight from input #2
    view.refresh()
    assert editor.weight_label.text() == "w from #2 ="
    assert float(editor.weight_field.text()) == pytest.approx(net.weights[0][1, 2], rel=1e-5)
    old_weight = float(net.weights[0][1, 2])
    type_into(qtbot, editor.weight_field, "−1.5")           # a real minus sign works
    assert net.weights[0][1, 2] == -1.5 and net.biases[0][2] == 0.75
    assert stack.count() == 2 and stack.undoText() == "Edit weight input #2 → hidden 1 #3"

    stack.undo()
    assert net.weights[0][1, 2] == old_weight and net.biases[0][2] == 0.75
    stack.undo()
    assert net.biases[0][2] == old_bias
    view.refresh()
    assert float(editor.bias_field.text()) == pytest.approx(old_bias, rel=1e-5)   # the field follows
    stack.redo()
    stack.redo()
    assert net.biases[0][2] == 0.75 and net.weights[0][1, 2] == -1.5
    assert experiment.is_modified()


@pytest.mark.parametrize("text, words", [("abc", "is not a number"), ("inf", "finite"), ("nan", "finite"),
                                         ("", "Type a number"), ("1e999", "finite")])
def test_bad_text_is_refused_with_a_message_and_nothing_changes(view, experiment, qtbot, text, words):
    before = [w.copy() for w in experiment.net.weights], [b.copy() for b in experiment.net.biases]
    view.editor.bias_field.setText(text)
    qtbot.mouseClick(view.editor.set_button, Qt.MouseButton.LeftButton)
    assert words in view.editor.note.text()
    note = view.editor.note.text()
    assert note.endswith(".") and "\n" not in note and "Traceback" not in note
    assert experiment.undo_stack.count() == 0
    for a, b in zip(before[0] + before[1], experiment.net.weights + experiment.net.biases):
        assert np.array_equal(a, b)


def test_refused_while_running(view, experiment, qtbot):
    experiment.set_run_state("running")
    view.refresh()
    editor = view.editor
    assert not editor.bias_field.isEnabled() and not editor.set_button.isEnabled()
    assert "Pause the run" in editor.bias_field.toolTip()
    assert experiment.edit_parameters([(0, "b", 2, 0, 1.0)], "x") == \
        "Pause the run (or let it finish) before editing weights."
    editor._apply([editor.bias_field])                       # even if it were asked
    assert experiment.undo_stack.count() == 0 and "Pause the run" in editor.note.text()
    experiment.set_run_state("paused")
    view.refresh()
    assert editor.bias_field.isEnabled()


def test_a_paused_snapshot_shows_the_edit_and_other_nets_make_it_obsolete(experiment):
    net = experiment.net
    experiment.set_run_state("paused")
    experiment.set_snapshot([w.copy() for w in net.weights], [b.copy() for b in net.biases], None)
    assert experiment.edit_parameters([(1, "W", 0, 0, 2.5), (0, "b", 1, 0, -3.0)], "Edit two") is None
    weights, biases, _ = experiment.parameters()
    assert weights is not net.weights and weights[1][0, 0] == 2.5 and biases[0][1] == -3.0
    assert net.weights[1][0, 0] == 2.5 and net.biases[0][1] == -3.0
    assert "no weight layer 5" in experiment.edit_parameters([(5, "W", 0, 0, 1.0)], "x")
    assert "has no entry" in experiment.edit_parameters([(0, "W", 9, 0, 1.0)], "x")
    assert "finite" in experiment.edit_parameters([(0, "b", 0, 0, float("nan"))], "x")
    experiment.set_run_state("idle")
    experiment.adopt_network(net.copy())                    # another network: the edit no longer applies
    experiment.undo_stack.undo()
    assert experiment.net.weights[1][0, 0] == 2.5
    assert experiment.undo_stack.count() == 0


def test_pushes_with_one_merge_key_are_one_undo_step(experiment):
    net, stack = experiment.net, experiment.undo_stack
    old = float(net.biases[0][0])
    for k, value in enumerate((0.1, 0.2, 0.3)):
        experiment.edit_parameters([(0, "b", 0, 0, value), (0, "W", 0, 0, value * 10)], f"Drag {k}",
                                   merge_key=("drag", 7))
    experiment.edit_parameters([(0, "b", 0, 0, 0.9)], "Drag again", merge_key=("drag", 8))
    assert stack.count() == 2
    stack.undo()
    assert net.biases[0][0] == pytest.approx(0.3)
    assert stack.undoText() == "Drag 2"
    stack.undo()
    assert net.biases[0][0] == old
    cmd = ParameterEdit(experiment, [(0, "b", 0, 0, 1.0)], "x")
    assert cmd.id() == -1 and cmd.values() == {(0, "b", 0, 0): (old, 1.0)}
    assert parse_value(" 2,5 ") == (2.5, None)


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_a_paused_run_goes_on_from_the_edited_weights(qtbot, monkeypatch, engine):
    from workbench.core import engines

    monkeypatch.setenv("WORKBENCH_ENGINE", engine)
    made = []
    make = engines.make_engine
    monkeypatch.setattr(engines, "make_engine", lambda choice, net: made.append(make(choice, net)) or made[-1])
    w = open_window(qtbot)
    exp, ctl = w.experiment, w.controller
    assert ctl.step("batch") is None
    qtbot.waitUntil(lambda: exp.run_state == "paused", timeout=10_000)
    assert exp.edit_parameters([(0, "b", 0, 0, 7.0)], "Edit bias") is None
    assert exp.net.biases[0][0] == pytest.approx(7.0)
    ctl.step("batch")
    qtbot.waitUntil(lambda: exp.run_state == "paused", timeout=10_000)
    assert [e.name for e in made] == [engine]        # one run, on that engine (compiled: on views of its buffer)
    bias = float(exp.parameters()[1][0][0])
    assert abs(bias - 7.0) < 0.5                           # one batch on from the edit, not from before it
    assert bias != 7.0
    ctl.stop(wait=True)
    assert exp.run_state == "idle"
    assert abs(float(exp.net.biases[0][0]) - 7.0) < 0.5


def test_a_weight_edit_made_while_paused_can_be_undone_before_the_run_ends(qtbot, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ENGINE", "numpy")
    w = open_window(qtbot)
    exp, ctl = w.experiment, w.controller
    assert ctl.step("batch") is None
    qtbot.waitUntil(lambda: exp.run_state == "paused", timeout=10_000)
    assert not w.actions["undo"].isEnabled()           # nothing but the run's own changes yet
    old = float(exp.net.biases[0][0])
    assert exp.edit_parameters([(0, "b", 0, 0, 7.0)], "Edit bias") is None
    assert w.actions["undo"].isEnabled()
    w.actions["undo"].trigger()
    assert float(exp.net.biases[0][0]) == old
    assert w.actions["redo"].isEnabled() and not w.actions["undo"].isEnabled()
    w.actions["redo"].trigger()
    assert float(exp.net.biases[0][0]) == 7.0
    ctl.stop(wait=True)


def test_after_undo_the_fields_and_note_show_the_restored_values(qtbot):
    w = open_window(qtbot)
    view, exp = w.views["diagram"], w.experiment
    w.reset_weights()
    exp.select_neuron(1, 0)
    view.refresh()
    editor = view.editor
    old = float(exp.net.biases[0][0])
    editor.bias_field.setFocus()
    editor.bias_field.setText("0.5")
    editor.bias_field.setModified(True)
    editor.bias_field.returnPressed.emit()
    view.refresh()
    assert float(exp.net.biases[0][0]) == 0.5 and editor.note.isVisible()
    assert "Undo puts the old value back" in editor.note.text()
    w.undo_or_redo("undo")
    view.refresh()
    assert float(exp.net.biases[0][0]) == old
    assert editor.bias_field.text() == f"{old:.6g}"          # not the typed 0.5
    assert not editor.note.isVisible()                       # the edit's note went with it


def test_undo_stays_off_while_a_run_goes_even_when_a_command_is_pushed(qtbot, monkeypatch):
    """Undo and Redo are the window's own actions: a push mid-run (QUndoStack's canUndoChanged)
    does not turn them on, and a triggered Undo asks again before it acts."""
    from PySide6.QtGui import QUndoCommand

    monkeypatch.setenv("WORKBENCH_ENGINE", "numpy")
    w = open_window(qtbot)
    exp, ctl = w.experiment, w.controller
    w.training_panel.set_values({"epochs": 100000})
    w.undo_stack.clear()
    assert w.start_training()
    qtbot.waitUntil(lambda: exp.run_state == "running", timeout=10_000)
    done = []

    class Marker(QUndoCommand):
        def undo(self):
            done.append("undone")

    assert not w.undo_stack.canUndo()
    w.undo_stack.push(Marker("mid-run"))                  # canUndoChanged(True) after indexChanged
    assert w.undo_stack.canUndo() and not w.actions["undo"].isEnabled()
    w.actions["undo"].trigger()
    w.undo_or_redo("undo")
    assert done == [] and exp.run_state == "running"
    ctl.stop(wait=True)
    qtbot.waitUntil(lambda: w.actions["undo"].isEnabled(), timeout=5000)


def test_ctrl_z_in_the_field_after_an_edit_undoes_the_edit(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    w = open_window(qtbot)
    view, exp = w.views["diagram"], w.experiment
    w.reset_weights()
    exp.select_neuron(1, 0)
    view.refresh()
    field = view.editor.bias_field
    old = float(exp.net.biases[0][0])
    w.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    field.selectAll()
    QTest.keyClicks(field, "0.75")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert float(exp.net.biases[0][0]) == 0.75
    QTest.keyClick(field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert float(exp.net.biases[0][0]) == old               # Edit → Undo, not the field's own undo


def test_set_with_only_the_weight_typed_leaves_the_rounded_bias_alone(qtbot):
    w = open_window(qtbot)
    view, exp = w.views["diagram"], w.experiment
    w.reset_weights()
    exp.net.biases[0][0] = -200.0012345                   # shown rounded: -200.001
    exact = float(exp.net.biases[0][0])
    exp.select_neuron(1, 0)
    view.refresh()
    editor = view.editor
    assert editor.bias_field.text() == "-200.001"
    editor.weight_field.setText("0.25")
    editor.set_button.click()
    assert float(exp.net.biases[0][0]) == exact
    assert exp.undo_stack.undoText().startswith("Edit weight") and "bias" not in exp.undo_stack.undoText()
