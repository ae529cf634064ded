"""The main window: actions, training from the window (start/pause/step/stop), live changes,
inline errors, divergence, and closing mid-run.  Never sleeps: waits on signals and conditions."""

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window, window  # noqa: F401
from workbench.gui.main_window import MainWindow

EXPECTED_ACTIONS = {
    "new", "open", "save", "save_as", "load_weights", "save_weights", "export_weights_json",
    "export_weights_csv", "export_plots_png", "export_plots_csv", "quit", "undo", "redo", "train",
    "pause", "stop", "step_batch", "step_epoch", "reset", "about", "view_data", "view_designer",
    "view_training", "view_diagram", "view_toolbar", "reset_layout",
}
LONG = 1_000_000   # epochs: a run that only ends when stopped




@pytest.fixture
def messages(monkeypatch):
    """Record message boxes instead of blocking on them."""
    shown = []

    def fake(kind, answer=QMessageBox.StandardButton.Ok):
        def box(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return answer
        return box

    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(fake(kind)))
    return shown


def _enabled(w):
    return {name for name, action in w.actions.items() if action.isEnabled()}


def _train(qtbot, w, epochs, timeout=20_000):
    w.training_panel.epochs.setValue(epochs)
    with qtbot.waitSignal(w.training_finished, timeout=timeout) as blocker:
        assert w.start_training()
    return blocker.args[0]


def test_initial_state(window):
    assert EXPECTED_ACTIONS <= set(window.actions)
    enabled = _enabled(window)
    assert {"train", "step_batch", "step_epoch", "reset", "new", "open", "save"} <= enabled
    assert not {"pause", "stop", "save_weights", "undo", "redo"} & enabled
    assert window.windowTitle() == "Untitled[*] — Workbench"
    assert not window.isWindowModified()
    assert window.experiment.dataset.name == "XOR"
    assert window.designer.architecture()["sizes"] == [2, 2, 1]
    assert window.training_panel.message_text() == ""


def test_build_a_stack_in_the_editor_and_train(qtbot, window):
    window.designer.add_layer()
    sizes = window.designer.architecture()["sizes"]
    assert len(sizes) == 4 and window.isWindowModified()
    assert [s.text() if hasattr(s, "text") else s for s in window.training_panel._layer_names] == [
        "hidden 1", "hidden 2", "output"]
    assert window.actions["undo"].isEnabled()
    outcome = _train(qtbot, window, epochs=30)
    assert outcome == "completed"
    assert window.experiment.net.sizes == sizes
    assert window.experiment.epochs_trained == 30
    assert window.experiment.history.epoch_count == 31            # epoch 0 (initial weights) + 30
    assert window.experiment.history.batch_count == 30             # XOR trains full-batch: one batch per epoch
    assert "save_weights" in _enabled(window)
    assert window.status.state.text() == "Finished"
    assert window.status.progress.value() == 1000
    assert window.diagram.selected_neuron() is None or True   # the diagram is alive
    # Train again: continues from the current weights, epochs keep counting.
    assert _train(qtbot, window, epochs=5) == "completed"
    assert window.experiment.epochs_trained == 35
    assert window.experiment.history.epoch_count == 36


def test_pause_resume_stop(qtbot, window):
    window.training_panel.epochs.setValue(LONG)
    assert window.start_training()
    assert {"pause", "stop"} <= _enabled(window)
    assert not {"train", "reset", "open", "new"} & _enabled(window)
    assert not window.training_panel.epochs.isEnabled()
    assert window.training_panel.lr.isEnabled()               # η stays editable mid-run
    qtbot.waitUntil(lambda: window.experiment.history.batch_count > 10, timeout=10_000)

    window.actions["pause"].trigger()
    qtbot.waitUntil(lambda: window.status.state.text() == "Paused", timeout=2_000)
    assert window.actions["pause"].text() == "&Resume"
    assert {"step_batch", "step_epoch", "save"} <= _enabled(window)
    count = window.experiment.history.batch_count
    qtbot.waitUntil(lambda: window.controller.thread.pending_records() == 0, timeout=1_000)
    assert window.experiment.history.batch_count == count

    window.actions["pause"].trigger()                         # resume
    qtbot.waitUntil(lambda: window.experiment.history.batch_count > count + 10, timeout=10_000)
    with qtbot.waitSignal(window.training_finished, timeout=2_000) as blocker:
        window.actions["stop"].trigger()
    assert blocker.args == ["stopped"]
    assert not window.is_training()
    assert {"train", "reset"} <= _enabled(window)
    assert window.status.state.text() == "Stopped"


def test_undo_and_redo_wait_for_the_run_to_end(qtbot, window):
    window.designer.select_row(1)
    window.designer.add_layer()
    window.designer.add_layer()
    window.undo_stack.undo()
    assert {"undo", "redo"} <= _enabled(window)
    window.training_panel.epochs.setValue(LONG)
    assert window.start_training()
    assert not {"undo", "redo"} & _enabled(window)
    with qtbot.waitSignal(window.training_finished, timeout=2_000):
        window.stop_training()
    assert {"undo", "redo"} <= _enabled(window)


def test_stop_acts_while_paused(qtbot, window):
    window.training_panel.epochs.setValue(LONG)
    window.start_training()
    qtbot.waitUntil(lambda: window.experiment.history.batch_count > 0, timeout=10_000)
    window.pause_training()
    qtbot.waitUntil(lambda: window.controller.thread is not None and window.controller.thread.is_paused(), timeout=2_000)
    with qtbot.waitSignal(window.training_finished, timeout=1_000):
        window.stop_training()


def test_step_batch_and_epoch_from_idle(qtbot, window):
    window.actions["step_batch"].trigger()
    qtbot.waitUntil(lambda: window.status.state.text() == "Paused", timeout=10_000)
    assert window.experiment.history.batch_count == 1 and window.experiment.history.epoch_count == 1   # + epoch 0
    window.actions["step_epoch"].trigger()     # one epoch's worth: all of epoch 2 (full batch)
    qtbot.waitUntil(lambda: window.experiment.history.epoch_count == 3 and window.is_paused(), timeout=10_000)
    assert window.experiment.steps_trained == 2
    with qtbot.waitSignal(window.training_finished, timeout=2_000):
        window.actions["stop"].trigger()


def test_step_epoch_mid_epoch_trains_one_epoch_and_resume_trains_the_run(qtbot, window):
    """Online XOR: 4 batches an epoch.  Step Batch, then Step Epoch, trains 4 more batches (to the
    same place in epoch 2), the status bar counts the run's epochs, and Resume trains the run out."""
    window.training_panel.set_values({"batch_size": 1, "epochs": 3})
    window.actions["step_batch"].trigger()
    qtbot.waitUntil(lambda: window.status.state.text() == "Paused", timeout=10_000)
    assert window.experiment.steps_trained == 1
    window.actions["step_epoch"].trigger()
    qtbot.waitUntil(lambda: window.experiment.steps_trained == 5 and window.status.state.text() == "Paused",
                    timeout=10_000)
    window.clock.draw_now()
    assert window.experiment.history.epoch_count == 2              # epoch 0 and epoch 1
    assert window.status.position.text().startswith("Epoch 2 / 3")
    assert window.actions["train"].isEnabled()                     # Train continues a paused run
    with qtbot.waitSignal(window.training_finished, timeout=10_000):
        window.actions["train"].trigger()
    assert window.controller.last_outcome == "completed" and window.experiment.epochs_trained == 3
    assert window.status.progress.value() == 1000


def test_live_hyperparameter_change_is_applied_and_marked(qtbot, window):
    window.training_panel.epochs.setValue(LONG)
    window.step("batch")
    qtbot.waitUntil(lambda: window.is_paused(), timeout=10_000)
    window.training_panel.lr.setValue(0.1)
    window.training_panel.l2.setValue(0.5)
    texts = [text for _x, text in window.experiment.history.markers]
    assert "η 0.5 → 0.1" in texts and "λ 0 → 0.5" in texts
    thread = window.controller.thread
    window.step("batch")
    qtbot.waitUntil(lambda: thread.hp.lr == 0.1 and window.is_paused(), timeout=10_000)
    assert thread.hp.l2 == 0.5
    with qtbot.waitSignal(window.training_finished, timeout=2_000):
        window.stop_training()


def test_inline_errors_block_training(qtbot, window):
    panel = window.training_panel
    panel.lr.setValue(0.0)
    assert not window.actions["train"].isEnabled()
    assert "learning rate" in panel.message_text()
    assert "learning rate" in window.actions["train"].toolTip()
    assert not window.start_training()
    panel.lr.setValue(0.3)
    assert window.actions["train"].isEnabled() and panel.message_text() == ""

    window.designer.set_architecture({"sizes": [2, 3, 1], "activations": ["softmax", "sigmoid"],
                                      "cost": "cross-entropy"})
    assert not window.actions["train"].isEnabled()
    assert "softmax" in panel.message_text().lower()
    window.actions["undo"].trigger()
    assert window.actions["train"].isEnabled()

    for spin in panel.layer_spins:
        spin.setValue(0.0)
    assert "nothing would learn" in panel.message_text()
    assert not window.actions["train"].isEnabled()


def test_diverging_run_reports_and_keeps_finite_weights(qtbot, window, messages):
    window.designer.set_architecture({"sizes": [2, 16, 1], "activations": ["relu", "linear"],
                                      "cost": "quadratic"})
    window.training_panel.set_values({"lr": 1e6, "optimizer": "sgd", "batch_size": "full"})
    outcome = _train(qtbot, window, epochs=500)
    assert outcome == "diverged"
    assert [m[:2] for m in messages] == [("warning", "Training diverged")]
    assert "learning rate" in messages[0][2]
    assert all(np.isfinite(w).all() for w in window.experiment.net.weights)
    assert all(np.isfinite(b).all() for b in window.experiment.net.biases)
    assert window.status.state.text() == "Diverged"
    assert "train" in _enabled(window)


def test_worker_exception_reaches_a_message_box(qtbot, window, messages, monkeypatch):
    import workbench.core

    def broken(*args, **kwargs):
        yield from ()
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(workbench.core, "train", broken)
    assert _train(qtbot, window, epochs=3) == "failed"
    assert messages and messages[0][0] == "critical" and "simulated failure" in messages[0][2]


def test_reset_weights_uses_the_seed(qtbot, window):
    window.training_panel.seed.setValue(7)
    window.actions["reset"].trigger()
    first = [w.copy() for w in window.experiment.net.weights]
    window.actions["reset"].trigger()
    for a, b in zip(first, window.experiment.net.weights):
        np.testing.assert_array_equal(a, b)
    window.training_panel.seed.setValue(8)
    window.actions["reset"].trigger()
    assert not np.array_equal(first[0], window.experiment.net.weights[0])
    assert window.isWindowModified()


def test_close_during_training_stops_the_thread(qtbot):
    w = MainWindow(persist=False)
    w.show()
    qtbot.waitUntil(lambda: w.experiment.dataset is not None, timeout=10_000)
    w.training_panel.epochs.setValue(LONG)
    w.start_training()
    thread = w.controller.thread
    qtbot.waitUntil(lambda: w.experiment.history.batch_count > 5, timeout=10_000)
    assert w.close()
    assert thread.isFinished() and not w.is_training()


class _SpontaneousClose:
    """Stands in for a QCloseEvent sent by the window manager (spontaneous() is True)."""

    def __init__(self):
        self.accepted = None

    def spontaneous(self):
        return True

    def accept(self):
        self.accepted = True

    def ignore(self):
        self.accepted = False


def test_spontaneous_close_while_training_asks(qtbot, window, monkeypatch):
    answers = []
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: answers.pop(0)))
    window.training_panel.epochs.setValue(LONG)
    window.start_training()
    qtbot.waitUntil(lambda: window.experiment.history.batch_count > 0, timeout=10_000)

    answers.append(QMessageBox.StandardButton.Cancel)
    event = _SpontaneousClose()
    window.closeEvent(event)
    assert event.accepted is False and window.is_training()
    qtbot.waitUntil(lambda: not window.is_paused(), timeout=2_000)   # it resumed

    answers.append(QMessageBox.StandardButton.Discard)
    event = _SpontaneousClose()
    window.closeEvent(event)
    assert event.accepted is True and not window.is_training()


def test_unmodified_window_closes_without_asking(qtbot, window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: pytest.fail("asked")))
    event = _SpontaneousClose()
    window.closeEvent(event)
    assert event.accepted is True


def test_undo_redo_are_shared_with_the_designer(window):
    before = window.designer.architecture()
    window.designer.add_layer()
    assert window.isWindowModified()
    window.actions["undo"].trigger()
    assert window.designer.architecture() == before
    assert not window.isWindowModified()
    window.actions["redo"].trigger()
    assert window.designer.architecture() != before
    assert window.actions["undo"].shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [s.toString() for s in window.actions["redo"].shortcuts()]


def test_view_menu_toggles_docks(window):
    assert window.diagram_dock.isVisible()
    window.actions["view_diagram"].trigger()
    assert not window.diagram_dock.isVisible()
    window.actions["reset_layout"].trigger()
    assert window.diagram_dock.isVisible()


def test_follows_a_dark_palette(qtbot, window):
    from PySide6.QtGui import QColor, QPalette

    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.Base, "#17181a"),
                         (QPalette.ColorRole.WindowText, "#e8eaed"), (QPalette.ColorRole.Text, "#e8eaed")):
        dark.setColor(role, QColor(colour))
    window.setPalette(dark)
    import pyqtgraph as pg
    assert pg.getConfigOption("background") == QColor("#17181a")
    assert not window.actions["train"].icon().isNull()
    # The one check of the whole window: every panel and every view (tab or dock) turns dark.
    parts = {"data": window.data_panel, "network": window.designer, "training": window.training_panel}
    for name, view in window.views.items():
        window.raise_view(name)
        view.refresh()
        parts[name] = view
    for name, widget in parts.items():
        image = widget.grab().toImage()
        lightness = sorted(image.pixelColor(x, y).lightness()
                           for x in range(0, image.width(), 7) for y in range(0, image.height(), 7))
        assert lightness[len(lightness) // 2] < 100, f"{name} stays light in a dark theme"
    window.setPalette(QPalette())


def test_follow_weights_from_the_diagram_before_and_during_a_run(qtbot, window, tmp_path):
    diagram = window.diagram
    window.reset_weights()
    diagram.select_neuron(0, 1)
    assert not diagram.follow_button.isEnabled()               # input neurons have no incoming weights
    diagram.select_neuron(1, 1)
    assert diagram.follow_button.isEnabled() and diagram.follow_source.maximum() == 2
    diagram.follow_source.setValue(2)
    diagram.follow_button.click()
    assert window.experiment.watch == [(0, 1, 1)] and diagram.followed() == [(0, 1, 1)]
    diagram.follow_button.click()                                # twice: still once
    assert window.experiment.watch == [(0, 1, 1)]

    window.training_panel.epochs.setValue(LONG)
    window.step("batch")
    qtbot.waitUntil(lambda: window.is_paused(), timeout=10_000)
    window.controller.drain()
    (gradient,) = window.experiment.history.to_json()["batches"]["watched"]
    assert len(gradient) == 1 and gradient[0] is not None and gradient[0] != 0.0

    window.resume_training()
    diagram.select_neuron(2, 0)
    diagram.follow_source.setValue(1)
    diagram.follow_button.click()                                # mid-run: from the next batch on
    assert window.experiment.watch == [(0, 1, 1), (1, 0, 0)]
    qtbot.waitUntil(lambda: window.experiment.history.to_json()["batches"]["watched"][1][-1] is not None, timeout=10_000)
    with qtbot.waitSignal(window.training_finished, timeout=2_000):
        window.stop_training()

    path = str(tmp_path / "followed.wbsession")
    assert window.files.save_to(path)
    diagram.unfollow_button.click()
    assert window.experiment.watch == [] and diagram.followed() == []
    followed = window.views["followed"]
    followed.refresh()
    assert followed.curves == [] and not followed.empty_label.isHidden()
    assert window.files.open_session(path)
    assert window.experiment.watch == [(0, 1, 1), (1, 0, 0)] and diagram.followed() == [(0, 1, 1), (1, 0, 0)]


def test_a_session_names_the_weights_it_follows(qtbot, window, tmp_path):
    import json

    path = tmp_path / "followed.wbsession"
    assert window.files.save_to(str(path))
    doc = json.loads(path.read_text())
    doc.update(watch=[[1, 0, 0]], history=None)
    path.write_text(json.dumps(doc))
    assert window.files.open_session(str(path))
    assert window.experiment.watch == [(1, 0, 0)] and window.diagram.followed() == [(1, 0, 0)]
    followed = window.views["followed"]
    followed.refresh()
    assert [c.name() for c in followed.curves] == window.experiment.history.watch_labels
    assert len(followed.curves) == 1 and followed.empty_label.isHidden()
    assert window.files.current_session().watch == [(1, 0, 0)]


def test_targets_outside_0_1_block_the_cross_entropy_cost(qtbot, window):
    """The sine data's targets span [-1, 1]: cross-entropy would fall without bound (to −∞)."""
    window.load_data("sine:points=200")
    qtbot.waitUntil(lambda: window.experiment.dataset is not None and window.experiment.dataset.task == "regression", timeout=10_000)
    window.designer.set_architecture({"sizes": [1, 4, 1], "activations": ["sigmoid", "sigmoid"],
                                      "cost": "cross-entropy"})
    assert not window.actions["train"].isEnabled()
    assert "between 0 and 1" in window.training_panel.message_text()
    assert "quadratic" in window.actions["train"].toolTip()
    assert not window.start_training()
    window.designer.set_architecture({"sizes": [1, 4, 1], "activations": ["sigmoid", "tanh"],
                                      "cost": "quadratic"})
    assert window.actions["train"].isEnabled() and window.training_panel.message_text() == ""
