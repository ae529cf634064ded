"""Runs after review: redo of a rewind, undo at MAX_RUNS, settings changed on a run's end, the
batch order rebuilt on the training thread, and the runs view's texts, dialogs and overlays."""

import time
from functools import partial

import numpy as np
import pytest

from tests.gui.test_runs import _same, _setup, _train, _weights, numpy_engine  # noqa: F401
from tests.gui.wb_fixtures import isolated_settings, messages, no_leaked_threads, open_window, window  # noqa: F401


def test_redo_of_a_rewind_restores_the_state_the_run_reached(qtbot, window):
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 6)
    original = exp.runs.runs[0]
    assert w.views["runs"].rewind(original.id, 2) is None
    rewound = exp.runs.current_run
    _train(qtbot, w, 2)
    reached = (_weights(exp.net), exp.epochs_trained, exp.steps_trained, exp.history.epochs)
    assert reached[1] == 4
    exp.undo_stack.undo()
    assert exp.epochs_trained == 6 and exp.runs.get(rewound.id) is None
    exp.undo_stack.redo()
    assert (exp.epochs_trained, exp.steps_trained, exp.history.epochs) == reached[1:]
    assert _same(_weights(exp.net), reached[0])
    assert exp.runs.current == rewound.id
    _train(qtbot, w, 1)                # the redone run's end: the same run goes on
    assert len(exp.runs) == 2 and exp.runs.current == rewound.id and rewound.epochs == 5


def test_undoing_an_ab_run_puts_the_panel_back(qtbot, window):
    w, exp = window, window.experiment
    _setup(w, optimizer="momentum", momentum=0.5, lr=1.0)
    _train(qtbot, w, 2)
    a = exp.runs.runs[0]
    assert w.views["runs"].ab(a.id, "lr", "0.25") is None
    assert w.training_panel.lr.value() == 0.25
    exp.undo_stack.undo()
    assert w.training_panel.lr.value() == 1.0 and exp.hyperparameters["lr"] == 1.0
    exp.undo_stack.redo()
    assert w.training_panel.lr.value() == 0.25
    # A value the panel keeps to its precision (momentum: 3 decimals) is what the B run records.
    exp.undo_stack.undo()
    assert w.views["runs"].ab(a.id, "momentum", "0.12345") is None
    assert exp.runs.current_run.settings["hyperparameters"]["momentum"] == pytest.approx(0.123)
    _train(qtbot, w, 1)
    assert len(exp.runs) == 2                  # the B run itself trained, no "→ momentum" run


def test_undo_of_a_rewind_at_max_runs_brings_the_dropped_run_back(qtbot, window, monkeypatch):
    import workbench.core.runs as core_runs

    monkeypatch.setattr(core_runs, "MAX_RUNS", 2)
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 2)
    w.reset_weights()
    _train(qtbot, w, 2)
    names = [r.name for r in exp.runs.runs]
    assert w.views["runs"].rewind(exp.runs.runs[1].id, 0) is None
    assert len(exp.runs) == 2 and names[0] not in [r.name for r in exp.runs.runs]
    exp.undo_stack.undo()
    assert [r.name for r in exp.runs.runs] == names


def test_runs_cannot_be_deleted_during_a_run(qtbot, window):
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 1)
    w.reset_weights()
    w.training_panel.epochs.setValue(100_000)
    assert w.start_training()
    try:
        assert exp.runs_keeper.delete(exp.runs.runs[0].id) == "Runs cannot be deleted while a run goes; stop it first."
        view = w.views["runs"]
        view.refresh()
        view.table_widget.selectRow(0)
        assert not view.delete_button.isEnabled()
    finally:
        w.controller.stop(wait=True)
    assert len(exp.runs) == 2


def test_changed_settings_on_a_runs_end_start_a_new_run(qtbot, window):
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 2)
    first = exp.runs.runs[0]
    _train(qtbot, w, 3)                # only the epochs differ: the same run goes on
    assert len(exp.runs) == 1 and first.epochs == 5
    w.training_panel.set_values({"lr": 0.5})
    _train(qtbot, w, 2)
    assert len(exp.runs) == 2
    second = exp.runs.current_run
    assert second.name == "Run 1 → learning rate η 0.5" and second.parent == (first.id, 5)
    assert first.settings["hyperparameters"]["lr"] == 2.0 and first.epochs == 5
    assert second.settings["hyperparameters"]["lr"] == 0.5 and second.epochs == 7
    assert (second.checkpoints[0].epochs, second.checkpoints[-1].epochs) == (5, 7)
    # Rewinding the first run asks for the settings it was trained with.
    assert w.views["runs"].rewind(first.id, 2) is None
    assert w.training_panel.lr.value() == 2.0


def test_the_batch_order_is_rebuilt_on_the_training_thread_and_stop_acts_at_once(qtbot, window):
    from workbench.core import Hyperparameters, train
    from workbench.core.runs import resume_rng
    from workbench.core.runsetup import create_network
    from workbench.gui.worker import TrainingThread

    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 2)
    keeper = exp.runs_keeper
    assert w.views["runs"].rewind(exp.runs.runs[0].id, 2) is None
    started = time.perf_counter()
    build = keeper.starting(4)
    assert callable(build) and not isinstance(build, np.random.Generator)
    assert time.perf_counter() - started < 0.05
    keeper.ended(False, 0, None)
    # A long replay (about 2 s) on the worker: Stop still ends the run at once.
    X = np.zeros((4, 2))
    Y = np.zeros((4, 1))
    net = create_network({"sizes": [2, 2, 1], "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"})
    thread = TrainingThread(train, net, X, Y, Hyperparameters(epochs=1),
                            {"rng": partial(resume_rng, (1, 0, 4000, 60_000), 60_000), "engine": "numpy"})
    thread.start()
    time.sleep(0.1)
    asked = time.perf_counter()
    thread.stop()
    assert thread.wait(2000)
    assert time.perf_counter() - asked < 0.1 and thread.outcome == "stopped"
    qtbot.waitUntil(lambda: not thread.isRunning(), timeout=2000)


def test_differs_in_uses_labels_and_the_message_clears_when_a_run_starts(qtbot, window):
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 2)
    view = w.views["runs"]
    a = exp.runs.runs[0]
    assert view.ab(a.id, "stop_accuracy", "95") is None
    assert view.message.text() == "The B run is ready: press Train to run it."
    view.refresh()
    assert view.table_widget.item(0, 2).text() == "stop at accuracy off"
    assert view.table_widget.item(1, 2).text() == "stop at accuracy 95 %"
    _train(qtbot, w, 1)
    view.refresh()
    assert view.message.text() == ""


def test_rewind_dialog_shows_the_figures_of_each_checkpoint(qtbot, window):
    from workbench.gui.views.runs_parts import RewindDialog

    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 4)
    run = exp.runs.runs[0]
    dialog = RewindDialog(run, w)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    h = run.history
    cost, accuracy, val = h.train_cost()[2], h.train_accuracy()[2], h.val_accuracy()[2]
    assert texts[1] == (f"epoch 2 (batch 8): cost {cost:.4g}, accuracy {100 * accuracy:.1f} %, "
                        f"validation {100 * val:.1f} %")
    assert texts[0].startswith("epoch 0 (batch 0): cost ") and len(texts) == 3
    dialog.deleteLater()


def test_overlays_name_the_run_in_both_legends_and_draw_layers_in_their_colours(qtbot, window):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QPalette

    from workbench.gui.palette import is_dark, layer_colours

    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 3)
    w.reset_weights()
    _train(qtbot, w, 3)
    view = w.views["runs"]
    view.refresh()
    view.table_widget.item(0, 0).setCheckState(Qt.CheckState.Checked)
    curves = w.views["curves"]
    curves.refresh()
    first = exp.runs.runs[0]
    assert first.name in [label.text for _s, label in curves.cost_legend.items]
    assert first.name in [label.text for _s, label in curves.accuracy_legend.items]
    speed = [c for plot, _l, c in curves.overlays._items[first.id] if plot is curves.speed_plot]
    wanted = layer_colours(2, is_dark(QGuiApplication.palette(), QPalette.ColorRole.Base))
    assert [c.opts["pen"].color().rgb() for c in speed] == [q.rgb() for q in wanted]
    assert all(c.opts["pen"].style() == Qt.PenStyle.CustomDashLine and c.opts["pen"].color().alpha() < 255
               for c in speed)
    view.table_widget.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    curves.refresh()
    assert first.name not in [label.text for _s, label in curves.accuracy_legend.items]


def test_undoing_a_delete_keeps_the_run_limit_and_redo_restores_what_it_took(qtbot, window, monkeypatch):
    import workbench.core.runs as core_runs

    monkeypatch.setattr(core_runs, "MAX_RUNS", 2)
    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 1)
    w.reset_weights()
    _train(qtbot, w, 1)
    first, second = [r.id for r in exp.runs.runs]
    assert exp.runs_keeper.delete(first) is None
    w.reset_weights()
    _train(qtbot, w, 1)                          # a third run fills the place again
    assert len(exp.runs) == 2
    delete = next(exp.undo_stack.command(i) for i in range(exp.undo_stack.count())
                  if exp.undo_stack.command(i).text().startswith("Delete"))
    delete.undo()                                # the deleted run comes back within the limit
    assert len(exp.runs) == 2 and first in [r.id for r in exp.runs.runs]
    delete.redo()                                # and what it pushed out comes back with the redo
    assert len(exp.runs) == 2 and first not in [r.id for r in exp.runs.runs]


def test_a_stored_patience_beyond_the_spin_box_is_shown_at_its_end(window):
    panel = window.training_panel
    panel.stops.set_values({"patience": 10**12, "checkpoint_every": 10**15})
    assert panel.stops.fields["patience"].value() == panel.stops.fields["patience"].maximum()
    assert panel.stops.checkpoint_every.value() == panel.stops.checkpoint_every.maximum()
