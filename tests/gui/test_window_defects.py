"""Defects a new user hit in the window, one regression test each (issue 7)."""

import json
import os
import stat

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox, QScrollArea

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window, window  # noqa: F401
from workbench.gui.main_window import MainWindow

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))




@pytest.fixture
def questions(monkeypatch):
    """Answer QMessageBox.question with Discard and record what was asked."""
    asked = []

    def question(parent, title, text, *args, **kwargs):
        asked.append((title, text))
        return QMessageBox.StandardButton.Discard
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def _train(qtbot, w, epochs, timeout=20_000):
    w.training_panel.epochs.setValue(epochs)
    with qtbot.waitSignal(w.training_finished, timeout=timeout) as blocker:
        assert w.start_training()
    return blocker.args[0]


def test_a_session_opened_at_launch_is_not_lost_to_the_default_load(qtbot, tmp_path):
    """The default XOR load is still running when the session's data is asked for."""
    w = MainWindow(persist=False)           # starts loading XOR
    qtbot.addWidget(w)
    path = os.path.join(REPO, "resources", "sessions", "teacher.wbsession")
    assert w.files.open_session(path)
    qtbot.waitUntil(lambda: w.experiment.dataset is not None and not w.data_panel.is_busy(), timeout=20_000)
    qtbot.wait(100)
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    assert w.experiment.dataset.n_inputs == 4 and w.experiment.dataset.n_outputs == 3
    assert w.designer.architecture()["sizes"] == doc["architecture"]["sizes"]
    assert w.experiment.name == doc["name"] and not w.is_modified()
    # later data loads by the user mark the session modified again
    w.data_panel.load_spec("xor")
    qtbot.waitUntil(lambda: w.experiment.dataset.n_inputs == 2, timeout=10_000)
    assert w.is_modified()


def test_quit_asks_about_unsaved_changes(qtbot, window, questions):
    window.training_panel.lr.setValue(0.25)
    assert window.is_modified()
    window.actions["quit"].trigger()
    assert questions and "Save the session" in questions[0][1]
    assert not window.isVisible()


def test_quit_during_training_asks_and_cancel_keeps_the_run(qtbot, window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Cancel))
    window.training_panel.epochs.setValue(1_000_000)
    assert window.start_training()
    qtbot.waitUntil(lambda: window.experiment.history.batch_count > 3, timeout=10_000)
    assert not window.request_quit()
    assert window.isVisible() and window.is_training()
    qtbot.waitUntil(lambda: window.experiment.run_state == "running", timeout=5_000)
    with qtbot.waitSignal(window.training_finished, timeout=5_000):
        window.stop_training()


def test_redo_has_two_distinct_working_shortcuts(qtbot, window):
    redo = window.actions["redo"]
    keys = [k.toString() for k in redo.shortcuts()]
    assert keys == ["Ctrl+Shift+Z", "Ctrl+Y"]
    everything = [k.toString() for a in window.actions.values() for k in a.shortcuts()]
    assert all(everything.count(k) == 1 for k in everything), "a shortcut is bound twice"
    window.designer.add_layer()
    sizes = window.designer.architecture()["sizes"]
    window.actions["undo"].trigger()
    assert window.designer.architecture()["sizes"] != sizes
    qtbot.keySequence(window, QKeySequence("Ctrl+Y")) if hasattr(qtbot, "keySequence") else redo.trigger()
    assert window.designer.architecture()["sizes"] == sizes


def test_file_menu_mnemonics_are_distinct(window):
    menu = window.menuBar().actions()[0].menu()
    letters = [a.text().split("&")[1][0].lower() for a in menu.actions() if "&" in a.text()]
    assert len(letters) == len(set(letters)), letters


def test_reset_weights_is_undoable(qtbot, window):
    assert _train(qtbot, window, 20) == "completed"
    trained = [w.copy() for w in window.experiment.net.weights]
    batches = window.experiment.history.batch_count
    window.actions["reset"].trigger()
    assert window.experiment.history.batch_count == 0 and window.experiment.epochs_trained == 0
    assert not np.array_equal(window.experiment.net.weights[0], trained[0])
    window.actions["undo"].trigger()
    assert np.array_equal(window.experiment.net.weights[0], trained[0])
    assert window.experiment.history.batch_count == batches and window.experiment.epochs_trained == 20


def test_undoing_an_architecture_edit_brings_the_trained_weights_back(qtbot, window):
    assert _train(qtbot, window, 10) == "completed"
    trained = [w.copy() for w in window.experiment.net.weights]
    window.designer.add_layer()
    assert window.experiment.net is None
    window.actions["undo"].trigger()
    assert window.experiment.net is not None
    assert np.array_equal(window.experiment.net.weights[0], trained[0])
    assert window.experiment.epochs_trained == 10 and window.experiment.history.epoch_count == 11


def test_a_long_run_is_confirmed_with_its_estimated_time(qtbot, window, monkeypatch):
    """XOR's settings (full batch, 2,000 epochs) kept for a large data set."""
    shown = []

    def exec_(box):
        shown.append(box.text())
        return 0
    monkeypatch.setattr(QMessageBox, "exec", exec_)
    window.load_data("teacher:items=200000")
    qtbot.waitUntil(lambda: window.experiment.dataset is not None
                    and window.experiment.dataset.n_inputs == 4 and not window.data_panel.is_busy(), timeout=60_000)
    window.designer.set_architecture({"sizes": [4, 300, 300, 3], "activations": ["tanh", "tanh", "softmax"],
                                      "cost": "log-likelihood"})
    window.training_panel.set_values({"batch_size": 1, "epochs": 2000})
    assert not window.start_training()               # the box was closed without "Train Anyway"
    assert shown and "2,000 epochs" in shown[0] and "will take about" in shown[0]
    assert not window.is_training()


def test_a_swinging_cost_is_warned_about(qtbot, window):
    """η = 1000 on XOR: the cost alternates 12 ↔ 238 and the run ends 'Finished' — with a warning."""
    window.training_panel.set_values({"optimizer": "sgd", "lr": 1000.0, "batch_size": "full", "epochs": 200,
                                      "init": "normal", "seed": 0})
    warnings = []
    window.controller.warning.connect(warnings.append)
    assert _train(qtbot, window, 200) == "completed"
    assert warnings and "learning rate (1000)" in warnings[0]
    assert "swung" in window.training_panel.message_text()
    assert "cost swings" in [text for _x, text in window.experiment.history.markers]


def test_a_healthy_run_gets_no_warning(qtbot, window):
    warnings = []
    window.controller.warning.connect(warnings.append)
    assert _train(qtbot, window, 300) == "completed"
    assert warnings == []


def test_exports_follow_the_umask(qtbot, window, tmp_path, monkeypatch):
    old = os.umask(0o022)
    try:
        assert _train(qtbot, window, 5) == "completed"
        for kind, name in (("npz", "w.npz"), ("json", "w.json"), ("csv", "w.csv"), ("history", "h.csv"),
                           ("png", "v.png")):
            target = str(tmp_path / name)
            monkeypatch.setattr("workbench.gui.files.QFileDialog.getSaveFileName",
                                staticmethod(lambda *a, t=target, **k: (t, "")))
            assert window.files.export_dialog(kind)
            assert stat.S_IMODE(os.stat(target).st_mode) == 0o644, name
    finally:
        os.umask(old)


def test_the_default_layout_gives_the_plots_most_of_the_room(qtbot, window):
    for width, height in ((1280, 800), (1920, 1080)):
        window.resize_for_screenshot(width, height)
        qtbot.wait(50)
        curves = window.views["curves"]
        assert curves.speed_plot.height() >= 120, (width, height, curves.speed_plot.height())
        assert window.centralWidget().width() >= 0.45 * width, (width, window.centralWidget().width())
        assert window.centralWidget().height() >= 0.6 * height
        if height < 950:                               # the data panel shows its preview unscrolled
            window.data_dock.raise_()
            qtbot.wait(20)
            preview = window.data_panel.preview
            viewport = next(w for w in _ancestors(preview) if isinstance(w, QScrollArea)).viewport()
            top = preview.mapTo(viewport, QPoint(0, 0)).y()
            assert top >= 0 and top + preview.height() <= viewport.height(), (top, preview.height())
    assert window.data_dock.width() > 330          # the side docks grow on a wide screen


def test_a_session_saved_without_weights_keeps_its_history_when_its_data_arrives(qtbot, window, tmp_path):
    from workbench.gui import settings

    assert _train(qtbot, window, 30) == "completed"
    settings.set_value("session/save_weights", False)
    path = str(tmp_path / "no-weights.wbsession")
    assert window.files.save_to(path)
    assert window.files.open_session(path)
    qtbot.waitUntil(lambda: window.experiment.dataset is not None and not window.data_panel.is_busy(),
                    timeout=10_000)
    qtbot.wait(50)
    assert window.experiment.net is None
    assert window.experiment.history.epoch_count == 31 and window.experiment.history.batch_count == 30


def test_a_users_load_that_replaces_a_programs_load_marks_the_session_modified(qtbot, window):
    window.set_modified(False)
    window.load_data("teacher:items=20000")       # the program asks (as opening a session does) ...
    window.data_panel.load_spec("xor")             # ... and the user asks for another before it ends
    qtbot.waitUntil(lambda: not window.data_panel.is_busy(), timeout=20_000)
    assert window.experiment.dataset.n_inputs == 2
    assert window.is_modified()


def test_a_preset_on_the_data_already_loaded_does_not_load_it_again(qtbot, window):
    window.load_data("teacher:items=2000,seed=5")
    qtbot.waitUntil(lambda: window.experiment.dataset.n_inputs == 4 and not window.data_panel.is_busy(),
                    timeout=10_000)
    loads = []
    window.data_panel.load_finished.connect(lambda spec, ds: loads.append(spec))
    combo = window.designer._preset_combo

    def choose(name):                                          # as a pick in the Preset box does
        combo.activated.emit(combo.findData(name))

    choose("mccaffrey-4-10-10-10-3")                           # its data: teacher:items=2000,seed=5
    assert not window.data_panel.is_busy() and loads == []
    assert window.designer.architecture()["sizes"] == [4, 10, 10, 10, 3]
    choose("xor-2-2-1")                                        # other data: loaded
    qtbot.waitUntil(lambda: loads == ["xor"], timeout=10_000)


def _ancestors(widget):
    while widget is not None:
        widget = widget.parentWidget()
        yield widget


def _areas_visited(window, key, presses=120):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    visited = []
    for _ in range(presses):
        focus = QApplication.focusWidget()
        area = window.tab_area_of(focus)
        if not visited or visited[-1] != area:
            visited.append(area)
        QTest.keyClick(focus, key, Qt.KeyboardModifier.ShiftModifier if key == Qt.Key.Key_Backtab
                       else Qt.KeyboardModifier.NoModifier)
    return visited


def test_tab_moves_through_the_window_part_by_part(qtbot, window):
    """Data → Network → views → Training → Diagram → Data …, never back and forth between docks,
    and Shift+Tab the other way round."""
    from PySide6.QtCore import Qt

    window.activateWindow()
    window.data_panel.source_combo.setFocus()
    qtbot.waitUntil(lambda: window.data_panel.source_combo.hasFocus(), timeout=2_000)
    n = len(window.tab_areas())
    forward = _areas_visited(window, Qt.Key.Key_Tab)
    assert None not in forward
    assert forward[:2 * n] == list(range(n)) * 2, forward
    window.designer.add_layer()                       # panels that rebuild their editors keep the order
    window.data_panel.source_combo.setFocus()
    backward = _areas_visited(window, Qt.Key.Key_Backtab)
    assert backward[:n + 1] == [0] + list(range(n - 1, -1, -1)), backward


def test_a_first_launch_larger_than_the_screen_opens_maximized(qtbot):
    w = MainWindow(persist=True, load_default=False)        # no saved geometry (settings are the test's own)
    qtbot.addWidget(w)
    w.show()
    free = w.screen().availableGeometry()
    w.resize(free.width() + 200, free.height() + 200)
    qtbot.waitUntil(lambda: w.frameGeometry().height() > free.height(), timeout=2_000)
    w.fit_screen()
    assert w.isMaximized()


def test_a_first_launch_on_a_large_screen_takes_most_of_it():
    from workbench.gui.layout import first_launch_size

    assert first_launch_size((1920, 1040), (1280, 800)) == (1728, 936)
    assert first_launch_size((2560, 1400), (1280, 800)) == (1800, 1100)     # at most FIRST_MAX
    assert first_launch_size((1366, 728), (1280, 700)) is None               # hardly larger: as it is
