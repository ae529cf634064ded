"""File → Export → Network as ONNX… and PyTorch Hand-over Folder… in the trained."""

import sys

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.gui.wb_fixtures import isolated_settings, messages, no_leaked_threads, window  # noqa: F401
from workbench.exports.pytorch_handover import FILES


@pytest.fixture
def trained(qtbot, window):
    """The window after five epochs of XOR: it has a network."""
    assert window.experiment.net is None
    window.training_panel.epochs.setValue(5)
    with qtbot.waitSignal(window.training_finished, timeout=20_000):
        assert window.start_training()
    return window


def _save_dialog(monkeypatch, path, asked=None):
    def dialog(*args, **kwargs):
        if asked is not None:
            asked.append(kwargs)
        return str(path), ""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))


def _folder_dialog(monkeypatch, path, asked=None):
    def dialog(parent, caption, start, *args, **kwargs):
        if asked is not None:
            asked.append((caption, start))
        return str(path)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(dialog))


def _export_menu(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    export = next(a.menu() for a in menu.actions() if a.menu() is not None and a.text() == "&Export")
    return [a.text() for a in export.actions() if not a.isSeparator()]


def test_the_export_menu_offers_both_and_enables_them_with_a_network(qtbot, window):
    assert _export_menu(window)[:4] == ["Network as &ONNX…", "&PyTorch Hand-over Folder…", "Weights as &JSON…",
                                        "Weights as &CSV…"]
    actions = window.actions
    assert window.experiment.net is None
    assert not actions["export_onnx"].isEnabled() and not actions["export_pytorch"].isEnabled()
    window.reset_weights()
    assert window.experiment.net is not None
    assert actions["export_onnx"].isEnabled() and actions["export_pytorch"].isEnabled()
    window.experiment.drop_network()
    assert not actions["export_onnx"].isEnabled() and not actions["export_pytorch"].isEnabled()
    assert window.files.export_dialog("onnx") is False and window.files.export_pytorch_dialog() is False


def test_network_as_onnx_writes_what_onnxruntime_runs(qtbot, trained, tmp_path, monkeypatch, messages):
    ort = pytest.importorskip("onnxruntime")
    _save_dialog(monkeypatch, tmp_path / "xor")              # the suffix is added
    trained.actions["export_onnx"].trigger()
    assert messages == []
    net = trained.experiment.net
    session = ort.InferenceSession(str(tmp_path / "xor.onnx"), providers=["CPUExecutionProvider"])
    X = np.random.default_rng(0).uniform(0, 1, (1000, net.sizes[0])).astype(net.dtype)
    assert np.max(np.abs(session.run(None, {"input": X})[0] - net.forward(X))) <= 1e-5
    assert "xor.onnx" in trained.statusBar().currentMessage()


def test_without_onnx_a_box_says_what_to_install(qtbot, trained, tmp_path, monkeypatch, messages):
    monkeypatch.setitem(sys.modules, "onnx", None)           # import onnx now raises ImportError
    asked = []
    _save_dialog(monkeypatch, tmp_path / "n.onnx", asked)
    assert trained.files.export_dialog("onnx") is False
    assert asked == []                                        # refused before asking for a name
    assert messages == [("warning", "ONNX export needs a package",
                         "ONNX export needs the onnx package: pip install 'workbench[onnx]' (or pip install onnx).")]
    assert list(tmp_path.iterdir()) == []


def test_pytorch_folder_carries_the_training_panel_and_the_data_size(qtbot, trained, tmp_path, monkeypatch, messages):
    asked = []
    (tmp_path / "pt").mkdir()                                 # made with the dialog's New Folder
    _folder_dialog(monkeypatch, tmp_path / "pt", asked)
    exp = trained.experiment
    exp.set_hyperparameters({**exp.hyperparameters, "optimizer": "nesterov", "lr": 0.3, "momentum": 0.5, "l2": 2.0})
    trained.actions["export_pytorch"].trigger()
    assert messages == []
    assert "PyTorch hand-over" in asked[0][0]
    questions = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda parent, title, text, *a, **k: questions.append(title) or QMessageBox.StandardButton.Yes))
    trained.actions["export_pytorch"].trigger()               # the same folder again: asked, as it is not empty
    assert questions == ["Folder not empty"]
    assert asked[1][1] == str(tmp_path / "pt")                 # and the dialog starts where the last one ended
    assert sorted(p.name for p in (tmp_path / "pt").iterdir()) == sorted(FILES)
    source = (tmp_path / "pt" / "model.py").read_text(encoding="utf-8")
    n_train = len(trained.experiment.dataset.train.X)
    for line in ("OPTIMIZER = 'nesterov'", "LEARNING_RATE = 0.3", "MOMENTUM = 0.5", "L2 = 2.0", f"N_TRAIN = {n_train}"):
        assert line in source, line


def test_a_folder_that_is_not_empty_is_written_only_when_the_user_agrees(qtbot, trained, tmp_path, monkeypatch,
                                                                          messages):
    folder = tmp_path / "pt"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    _folder_dialog(monkeypatch, folder)
    questions = []
    answer = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda parent, title, text, *a, **k: questions.append((title, text)) or answer[0]))
    assert trained.files.export_pytorch_dialog() is False
    assert questions[0][0] == "Folder not empty" and "other files stay" in questions[0][1]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    answer[0] = QMessageBox.StandardButton.Yes
    assert trained.files.export_pytorch_dialog() is True
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, "notes.txt"])
    assert (folder / "notes.txt").read_text() == "mine" and messages == []
    questions.clear()
    empty = tmp_path / "empty"
    empty.mkdir()
    _folder_dialog(monkeypatch, empty)
    assert trained.files.export_pytorch_dialog() is True and questions == []   # an empty folder is just filled


def test_a_file_in_the_folders_place_or_a_failed_write_is_said(qtbot, trained, tmp_path, monkeypatch, messages):
    tmp_path = tmp_path / "exports"         # beside the test's settings file
    tmp_path.mkdir()
    (tmp_path / "taken").write_text("x")
    _folder_dialog(monkeypatch, tmp_path / "taken")          # a folder replaced by a file meanwhile
    assert trained.files.export_pytorch_dialog() is False
    assert messages[-1][0] == "warning" and "is a file; the PyTorch hand-over is a folder" in messages[-1][2]
    import workbench.core.atomic as atomic

    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    (tmp_path / "pt").mkdir()
    _folder_dialog(monkeypatch, tmp_path / "pt")
    assert trained.files.export_pytorch_dialog() is False
    assert messages[-1] == ("warning", "Export failed", f"Cannot write {tmp_path / 'pt'}: No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pt", "taken"]
    assert list((tmp_path / "pt").iterdir()) == []            # nothing half-written in it


@pytest.mark.parametrize("answer", [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes])
def test_a_suffix_that_names_an_existing_file_asks_first(qtbot, trained, tmp_path, monkeypatch, messages, answer):
    """The dialog asked about "xor" as typed; "xor.json", which the export adds up to, is asked about here."""
    (tmp_path / "xor.json").write_text("keep me")
    _save_dialog(monkeypatch, tmp_path / "xor")
    questions = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda parent, title, text, *a, **k: questions.append(text) or answer))
    assert trained.files.export_dialog("json") is (answer == QMessageBox.StandardButton.Yes)
    assert questions == [f"{tmp_path / 'xor.json'} already exists. Replace it?"]
    kept = (tmp_path / "xor.json").read_text() == "keep me"
    assert kept is (answer == QMessageBox.StandardButton.Cancel)
    questions.clear()
    _save_dialog(monkeypatch, tmp_path / "new")               # nothing there: no question
    assert trained.files.export_dialog("json") is True and questions == []
