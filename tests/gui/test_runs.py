"""Runs in the window: a run per fresh weights, checkpoints, rewind, A/B, delete, overlays, stop
conditions and the runs saved in sessions."""

import numpy as np
import pytest

from tests.gui.wb_fixtures import isolated_settings, messages, no_leaked_threads, open_window, window  # noqa: F401


@pytest.fixture(autouse=True)
def numpy_engine(monkeypatch):
    # One engine for every press: "auto" switches to the compiled one when it is ready, and the two
    # agree to rounding, not bit for bit.
    monkeypatch.setenv("WORKBENCH_ENGINE", "numpy")


def _train(qtbot, w, epochs):
    w.training_panel.epochs.setValue(epochs)
    with qtbot.waitSignal(w.training_finished, timeout=20_000):
        assert w.start_training()


def _weights(net):
    return [a.copy() for a in net.weights] + [b.copy() for b in net.biases]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def _setup(w, **values):
    w.training_panel.set_values({"optimizer": "sgd", "lr": 2.0, "batch_size": 1, "dtype": "float64", "seed": 4,
                                 "checkpoint_every": 2, **values})


def test_rewind_continues_bit_for_bit_and_keeps_the_original(qtbot, window):
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 6)
    runs = exp.runs
    assert len(runs) == 1
    original = runs.runs[0]
    assert [c.epochs for c in original.checkpoints] == [0, 2, 4, 6]
    at_six = _weights(exp.net)
    view = w.views["runs"]
    view.refresh()
    assert view.table_widget.rowCount() == 1
    assert view.rewind(original.id, 2) is None
    assert exp.epochs_trained == 2 and exp.history.epochs == 2 and len(runs) == 2
    assert original.history.epochs == 6                     # the later history stays its own run
    _train(qtbot, w, 4)
    assert exp.epochs_trained == 6 and _same(_weights(exp.net), at_six)
    rewound = runs.current_run
    assert rewound is not original and rewound.parent == (original.id, 2) and rewound.epochs == 6
    # A rewind is one undo step: undone, the weights, epochs and runs are as before it.
    before = (exp.net, exp.epochs_trained, len(runs))
    assert view.rewind(original.id, 4) is None and exp.epochs_trained == 4
    exp.undo_stack.undo()
    assert (exp.net, exp.epochs_trained, len(runs)) == before


def test_ab_run_same_value_is_exact_other_lr_differs(qtbot, window):
    w, exp = window, window.experiment
    _setup(w, optimizer="momentum", momentum=0.5, lr=1.0)
    _train(qtbot, w, 3)
    a = exp.runs.runs[0]
    a_weights = _weights(exp.net)
    view = w.views["runs"]
    assert "not a number" in view.ab(a.id, "lr", "fast")
    assert view.ab(a.id, "lr", "1.0") is None
    assert exp.epochs_trained == 0 and exp.history.epoch_count == 0
    _train(qtbot, w, 3)
    assert _same(_weights(exp.net), a_weights)
    assert view.ab(a.id, "lr", "0.25") is None
    assert w.training_panel.lr.value() == 0.25
    _train(qtbot, w, 3)
    assert not _same(_weights(exp.net), a_weights)
    assert len(exp.runs) == 3
    view.refresh()
    assert view.table_widget.item(2, 2).text() == "learning rate η 0.25"       # the label, not the key


def test_new_run_on_fresh_weights_continue_extends_delete_undo(qtbot, window):
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 2)
    _train(qtbot, w, 2)            # the same weights: the same run
    assert len(exp.runs) == 1 and exp.runs.runs[0].epochs == 4
    w.reset_weights()
    _train(qtbot, w, 2)
    assert len(exp.runs) == 2 and exp.runs.current == exp.runs.runs[1].id
    view = w.views["runs"]
    view.refresh()
    view.select_run(exp.runs.runs[0].id)
    view.delete_selected()
    assert len(exp.runs) == 1
    exp.undo_stack.undo()
    assert len(exp.runs) == 2


def test_overlay_draws_ticked_runs_on_the_curves(qtbot, window):
    from PySide6.QtCore import Qt

    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 3)
    w.reset_weights()
    _train(qtbot, w, 3)
    view = w.views["runs"]
    view.refresh()
    view.table_widget.item(0, 0).setCheckState(Qt.CheckState.Checked)
    assert exp.overlaid == {exp.runs.runs[0].id}
    curves = w.views["curves"]
    curves.refresh()
    first = exp.runs.runs[0]
    assert curves.overlays.names() == [first.name]
    assert len(curves.overlays._items[first.id]) == 1 + 1 + 2     # cost, accuracy, ‖δ‖ of each layer
    assert first.name in [label.text for _sample, label in curves.cost_legend.items]
    view.table_widget.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    curves.refresh()
    assert curves.overlays.names() == [] and not exp.overlaid


def test_followed_weights_overlay_the_same_weight_of_other_runs(qtbot, window):
    from PySide6.QtCore import Qt

    w, exp = window, window.experiment
    _setup(w)
    assert exp.follow_weight(0, 0, 1) is None
    _train(qtbot, w, 2)
    w.reset_weights()
    _train(qtbot, w, 2)
    view = w.views["runs"]
    view.refresh()
    view.table_widget.item(0, 0).setCheckState(Qt.CheckState.Checked)
    followed = w.views["followed"]
    followed.refresh()
    assert followed.overlays.names() == [exp.runs.runs[0].name]


def test_stop_condition_widgets_reach_the_values(qtbot, window):
    panel = window.training_panel
    seen = []
    panel.changed.connect(lambda: seen.append(1))
    assert panel.values()["stop_accuracy"] is None and panel.values()["checkpoint_every"] == 1
    panel.stops.ticks["stop_accuracy"].setChecked(True)
    panel.stops.fields["stop_accuracy"].setValue(95.0)
    panel.stops.ticks["patience"].setChecked(True)
    values = panel.values()
    assert values["stop_accuracy"] == 95.0 and values["patience"] == 10 and seen
    assert not panel.stops.fields["stop_cost"].isEnabled()
    panel.set_values({"stop_accuracy": None, "patience": 3})
    assert panel.values()["stop_accuracy"] is None and panel.values()["patience"] == 3
    with pytest.raises(ValueError, match="patience"):
        panel.set_values({"patience": 0})


def test_stop_condition_ends_the_run_and_says_why(qtbot, window):
    w, exp = window, window.experiment
    _setup(w)
    w.training_panel.set_values({"stop_cost": 1000.0})
    _train(qtbot, w, 50)
    assert exp.epochs_trained == 1
    assert exp.runs.current_run.end_reason.startswith("Stopped at epoch 1: the cost ")
    assert w.statusBar().currentMessage().startswith("Stopped at epoch 1: the cost")


def test_runs_are_saved_and_reopened(qtbot, window, tmp_path):
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 2)
    w.reset_weights()
    _train(qtbot, w, 2)
    path = tmp_path / "runs.wbsession"
    assert w.files.save_to(str(path))
    other = open_window(qtbot)
    assert other.files.open_session(str(path))
    qtbot.waitUntil(lambda: not other.data_panel.is_busy(), timeout=10_000)
    runs = other.experiment.runs
    assert [r.name for r in runs.runs] == [r.name for r in exp.runs.runs]
    assert runs.current_run.history is other.experiment.history
    _train(qtbot, other, 1)            # the reopened weights are the current run's end: it goes on
    assert len(runs) == 2 and runs.current_run.epochs == 3


def test_worker_checkpoints_are_the_exact_epoch_end_weights(qtbot):
    from workbench.core import Hyperparameters, train
    from workbench.core.runs import Checkpoint
    from workbench.core.runsetup import create_network, shuffle_rng
    from workbench.core.training import EpochRecord
    from workbench.gui.worker import TrainingThread

    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    Y = np.array([[0], [1], [1], [0]], float)
    arch = {"sizes": [2, 3, 1], "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"}
    hp = dict(lr=1.0, batch_size=1, epochs=6)
    reference = {}
    net = create_network(arch, seed=2, dtype="float64")
    for rec in train(net, X, Y, Hyperparameters(**hp), shuffle_rng(2), chunked=True, engine="numpy"):
        if isinstance(rec, EpochRecord):
            reference[rec.epoch] = _weights(net)
    net = create_network(arch, seed=2, dtype="float64")
    thread = TrainingThread(train, net, X, Y, Hyperparameters(**hp), {"rng": shuffle_rng(2), "engine": "numpy"},
                            checkpoint_every=(2, 1))
    with qtbot.waitSignal(thread.finished, timeout=10_000):
        thread.start()
    thread.wait()
    checkpoints = [r for r in thread.drain() if isinstance(r, Checkpoint)]
    assert [(c.epochs, c.steps) for c in checkpoints] == [(1, 4), (3, 12), (5, 20)]   # 1 + 1, 1 + 3, 1 + 5
    for c in checkpoints:
        assert _same(_weights(c.network()), reference[c.epochs])


def test_rewind_and_ab_are_refused_with_a_sentence(qtbot, window):
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 2)
    run = exp.runs.runs[0]
    keeper = exp.runs_keeper
    assert keeper.rewind(run.id, 5) == "“Run 1” has no checkpoint at epoch 5."
    assert keeper.rewind(99, 0) == "Choose a run in the table first."
    w.designer.add_layer()
    assert "set the designer to its architecture first" in keeper.rewind(run.id, 0)
    assert "set the designer to its architecture first" in keeper.ab(run.id, "lr", "1")
