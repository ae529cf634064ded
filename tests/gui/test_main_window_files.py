"""The main window's files: sessions (round trip, errors), weights (load/adopt/save/export),
plot exports, recent files and the restored window layout."""

import json
import os

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.gui.wb_fixtures import (isolated_settings, messages, no_leaked_threads, open_window,  # noqa: F401
                                     window)
from workbench.core import Network, load_weights, save_weights
from workbench.gui import settings
from workbench.gui.session import load_session

SESSIONS = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "sessions")


def _save_dialog(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "")))


def _train(qtbot, w, epochs):
    w.training_panel.epochs.setValue(epochs)
    with qtbot.waitSignal(w.training_finished, timeout=20_000):
        assert w.start_training()


def test_session_round_trip(qtbot, window, tmp_path, monkeypatch):
    window.designer.add_layer()
    window.training_panel.set_values({"lr": 0.7, "seed": 3, "dtype": "float64", "l2": 0.25})
    _train(qtbot, window, epochs=12)
    window.experiment.add_marker("note")
    assert window.isWindowModified()
    _save_dialog(monkeypatch, tmp_path / "mine")          # suffix added
    assert window.files.save()
    path = tmp_path / "mine.wbsession"
    assert path.exists() and window.experiment.path == str(path)
    assert window.windowTitle() == "mine[*] — Workbench" and not window.isWindowModified()
    assert settings.recent_files() == [str(path)]

    other = open_window(qtbot)
    assert other.files.open_session(str(path))
    qtbot.waitUntil(lambda: not other.data_panel.is_busy() and other.data_panel.spec() == window.data_panel.spec(),
                    timeout=10_000)
    assert other.designer.architecture() == window.designer.architecture()
    assert other.training_panel.values() == window.training_panel.values()
    assert other.experiment.epochs_trained == 12 and other.experiment.steps_trained == window.experiment.steps_trained
    assert other.experiment.history.epoch_count == window.experiment.history.epoch_count
    assert other.experiment.history.batch_count == window.experiment.history.batch_count
    for a, b in zip(other.experiment.net.weights, window.experiment.net.weights):
        np.testing.assert_array_equal(a, b)
    assert other.experiment.net.dtype == np.float64
    assert not other.isWindowModified()
    # Continue training the reopened session: epochs keep counting from 12.
    _train(qtbot, other, epochs=3)
    assert other.experiment.epochs_trained == 15


def test_open_bad_session_shows_message(qtbot, window, tmp_path, messages):
    bad = tmp_path / "bad.wbsession"
    bad.write_text("{ not json")
    assert not window.files.open_session(str(bad))
    assert messages and "corrupt" in messages[0][2]
    assert window.experiment.name == "Untitled"


@pytest.mark.parametrize("name", ["xor", "teacher"])
def test_example_sessions_open_and_train(qtbot, name, messages):
    w = open_window(qtbot)
    assert w.files.open_session(os.path.join(SESSIONS, f"{name}.wbsession"))
    qtbot.waitUntil(lambda: w.blocking_reason() is None, timeout=20_000)
    _train(qtbot, w, epochs=2)
    assert w.controller.last_outcome == "completed" and not messages


def test_example_mnist_session_is_valid():
    session = load_session(os.path.join(SESSIONS, "vanishing-gradient.wbsession"))
    assert session.architecture["sizes"] == [784, 30, 30, 30, 30, 10]
    assert session.data.startswith("mnist:")


def test_load_weights_same_architecture(qtbot, window, tmp_path):
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(9))
    save_weights(net, tmp_path / "w.npz")
    assert window.files.load_weights(str(tmp_path / "w.npz"))
    np.testing.assert_array_equal(window.experiment.net.weights[0], net.weights[0])
    assert window.isWindowModified() and window.actions["save_weights"].isEnabled()


def test_load_weights_offers_to_adopt_the_architecture(qtbot, window, tmp_path, monkeypatch):
    net = Network.create([2, 5, 3, 1], ["tanh", "relu", "sigmoid"], "quadratic", rng=np.random.default_rng(1))
    save_weights(net, tmp_path / "w.npz")
    asked = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel))
    assert not window.files.load_weights(str(tmp_path / "w.npz"))
    assert "2-5-3-1" in asked[0] and window.designer.architecture()["sizes"] == [2, 2, 1]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    assert window.files.load_weights(str(tmp_path / "w.npz"))
    assert window.designer.architecture() == net.architecture()
    assert window.experiment.net.architecture() == net.architecture()
    window.actions["undo"].trigger()             # adopting is one undo step
    assert window.designer.architecture()["sizes"] == [2, 2, 1]
    assert window.experiment.net is None


def test_load_corrupt_weights(qtbot, window, tmp_path, messages):
    (tmp_path / "junk.npz").write_bytes(b"junk")
    assert not window.files.load_weights(str(tmp_path / "junk.npz"))
    assert messages[0][1] == "Cannot load the weights"


def test_save_and_export_weights_and_plots(qtbot, window, tmp_path, monkeypatch):
    _train(qtbot, window, epochs=5)
    _save_dialog(monkeypatch, tmp_path / "weights")
    window.actions["save_weights"].trigger()
    loaded = load_weights(str(tmp_path / "weights.npz"))
    np.testing.assert_array_equal(loaded.weights[1], window.experiment.net.weights[1])

    _save_dialog(monkeypatch, tmp_path / "w.json")
    window.actions["export_weights_json"].trigger()
    assert json.loads((tmp_path / "w.json").read_text())["sizes"] == [2, 2, 1]
    _save_dialog(monkeypatch, tmp_path / "w.csv")
    window.actions["export_weights_csv"].trigger()
    assert (tmp_path / "w.csv").read_text().startswith("layer,kind,from,to,value")

    _save_dialog(monkeypatch, tmp_path / "plots.png")
    window.actions["export_plots_png"].trigger()
    assert (tmp_path / "plots.png").stat().st_size > 1000
    _save_dialog(monkeypatch, tmp_path / "history.csv")
    window.actions["export_plots_csv"].trigger()
    assert len((tmp_path / "history.csv").read_text().splitlines()) > 5


def test_recent_files_drop_missing_ones(qtbot, window, tmp_path, messages):
    gone = str(tmp_path / "gone.wbsession")
    for i in range(10):
        settings.add_recent_file(str(tmp_path / f"s{i}.wbsession"))
    settings.add_recent_file(gone)
    assert len(settings.recent_files()) == settings.MAX_RECENT
    window.files.fill_recent_menu()
    titles = [a.text() for a in window.recent_menu.actions()]
    assert titles[0] == "&1  gone.wbsession" and "Clear List" in titles
    assert not window.files.open_recent(gone)
    assert messages and "no longer exists" in messages[0][2]
    assert gone not in settings.recent_files()


def test_new_session_asks_when_modified(qtbot, window, monkeypatch):
    window.designer.add_layer()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Cancel))
    window.actions["new"].trigger()
    assert len(window.designer.architecture()["sizes"]) == 4
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    window.actions["new"].trigger()
    assert window.designer.architecture()["sizes"] == [2, 2, 1]
    assert not window.isWindowModified()


def test_geometry_and_docks_are_restored(qtbot):
    first = open_window(qtbot, persist=True)
    first.resize(first.width(), 760)     # the offscreen screen is 800 px high: stay inside it
    first.diagram_dock.hide()
    first.close()
    assert not settings.value("window/geometry").isEmpty()
    second = open_window(qtbot, persist=True)
    assert second.height() == 760
    assert not second.diagram_dock.isVisible()
    assert second.data_dock.isVisible()


def test_settings_reject_unknown_keys():
    with pytest.raises(KeyError):
        settings.value("no/such/key")
    with pytest.raises(KeyError):
        settings.set_value("no/such/key", 1)
    assert settings.value("session/save_weights") is True


def test_sessions_without_weights(qtbot, window, tmp_path):
    _train(qtbot, window, epochs=3)
    window.actions["include_weights"].setChecked(False)
    assert settings.value("session/save_weights") is False
    assert window.files.save_to(str(tmp_path / "light.wbsession"))
    assert load_session(str(tmp_path / "light.wbsession")).network is None
    window.actions["include_weights"].setChecked(True)
    assert window.files.save_to(str(tmp_path / "full.wbsession"))
    assert load_session(str(tmp_path / "full.wbsession")).network is not None
