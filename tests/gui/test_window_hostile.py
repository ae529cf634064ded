"""The window while training, and hostile sizes in the designer (issue 12)."""

import time

import numpy as np
import pytest

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window, window  # noqa: F401


def _long_run(qtbot, w):
    w.confirm_long_runs = False
    w.training_panel.epochs.setValue(1_000_000)
    assert w.start_training()
    qtbot.waitUntil(lambda: w.experiment.history.batch_count > 3, timeout=10_000)


def test_train_waits_for_a_data_set_that_is_still_loading(qtbot, window):
    w = window
    w.data_panel.load_spec("parity:bits=3")
    assert w.data_panel.loading_spec() is not None
    assert not w.actions["train"].isEnabled() and not w.actions["step_epoch"].isEnabled()
    assert "still loading" in w.actions["train"].toolTip()
    assert not w.start_training() and not w.is_training()
    assert w.controller.start() is not None and not w.is_training()
    qtbot.waitUntil(lambda: w.experiment.dataset.n_inputs == 3, timeout=10_000)
    assert w.actions["train"].isEnabled()


def test_a_load_that_ends_during_a_run_waits_for_it_and_the_trained_weights_stay(qtbot, window):
    w = window
    exp = w.experiment
    xor = exp.dataset
    _long_run(qtbot, w)
    net = exp.net
    with qtbot.waitSignal(w.data_panel.load_finished, timeout=10_000):
        w.data_panel.load_spec("parity:bits=3")         # as a program may while a run goes
    qtbot.wait(100)
    # The run keeps its data and its network: nothing is swapped under the worker.
    assert w.is_training() and exp.dataset is xor and exp.net is net
    assert w.designer.architecture()["sizes"][0] == 2
    at_stop = []
    exp.run_state_changed.connect(lambda state: state == "idle" and at_stop.append(
        (exp.net, exp.epochs_trained, exp.steps_trained, [wt.copy() for wt in exp.net.weights])))
    with qtbot.waitSignal(w.training_finished, timeout=5_000):
        w.stop_training()
    stopped_net, epochs, steps, trained = at_stop[0]
    assert stopped_net is net and steps > 0
    # Once the run has ended the load applies: the network of the old sizes is shelved, not lost...
    assert exp.dataset.n_inputs == 3 and w.designer.architecture()["sizes"][0] == 3
    # ...and comes back, trained, with the data it was trained on.
    w.data_panel.load_spec("xor")
    qtbot.waitUntil(lambda: exp.dataset.n_inputs == 2 and exp.net is not None, timeout=10_000)
    assert exp.net is net and exp.steps_trained == steps and exp.epochs_trained == epochs
    for before, after in zip(trained, exp.net.weights):
        np.testing.assert_array_equal(before, after)


# ---- the designer and its layer table take no size Qt cannot hold -------------------------------
@pytest.fixture
def designer(qtbot):
    from PySide6.QtGui import QUndoStack

    from workbench.gui.panels.designer import NetworkDesigner

    stack = QUndoStack()
    d = NetworkDesigner(stack)
    d._test_stack = stack
    qtbot.addWidget(d)
    d.show()
    return d


@pytest.mark.parametrize("sizes", [[2, 2**31, 1], [2, 2**40, 1], [2**31 + 5, 3, 1], [2, 3, -(2**33)],
                                   [2, 10**5000, 1]])
def test_the_designer_refuses_a_size_qt_cannot_hold(designer, sizes):
    before = designer.architecture()
    arch = {"sizes": sizes, "activations": ["sigmoid", "sigmoid"], "cost": "quadratic"}
    for undoable in (True, False):
        with pytest.raises(ValueError, match="neurons; a layer can have 0 to"):
            designer.set_architecture(arch, undoable=undoable)
    assert designer.architecture() == before


def test_the_designer_refuses_more_layers_than_a_network_may_have(designer):
    from workbench.core.network import MAX_WEIGHT_LAYERS

    arch = {"sizes": [2] + [3] * 10_000 + [1], "activations": ["sigmoid"] * 10_001, "cost": "quadratic"}
    started = time.perf_counter()
    with pytest.raises(ValueError, match="at most 64"):
        designer.set_architecture(arch)
    assert time.perf_counter() - started < 5
    most = {"sizes": [2] + [3] * (MAX_WEIGHT_LAYERS - 1) + [1],
            "activations": ["sigmoid"] * MAX_WEIGHT_LAYERS, "cost": "quadratic"}
    designer.set_architecture(most)
    assert len(designer.architecture()["sizes"]) == MAX_WEIGHT_LAYERS + 1
    assert not designer.layer_actions["add"].isEnabled() and not designer.layer_actions["insert"].isEnabled()
    designer.add_layer()
    assert len(designer.architecture()["sizes"]) == MAX_WEIGHT_LAYERS + 1


def test_the_layer_table_hands_qt_only_ints_it_can_hold(designer):
    """A size missed by every check (set straight into the model) is clamped, not a crash."""
    from PySide6.QtCore import Qt

    from workbench.gui.panels.layer_stack import NEURONS, QT_INT_MAX

    model = designer.model
    model.hidden[0][0] = 2**40
    index = model.index(1, NEURONS)
    assert model.data(index, Qt.ItemDataRole.EditRole) == QT_INT_MAX
    model.dataChanged.emit(index, index)            # the persistent spin box reads it back
    designer.view.viewport().repaint()
    assert model.data(index, Qt.ItemDataRole.DisplayRole) == str(2**40)
    assert designer.validation_error()              # and it is not trainable
