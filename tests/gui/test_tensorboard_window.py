"""Training → TensorBoard Logs…: the dialog stores the choice, and every run then writes its log."""

import pytest
from PySide6.QtWidgets import QDialogButtonBox

pytest.importorskip("tensorboardX")

from tests.exports.test_tensorboard import hparams_data, histograms, read_events, scalars  # noqa: E402
from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window, window  # noqa: E402,F401
from workbench.gui import settings  # noqa: E402
from workbench.gui.tensorboard_dialog import TensorBoardDialog, log_root  # noqa: E402


def _train(qtbot, w, epochs):
    w.training_panel.epochs.setValue(epochs)
    with qtbot.waitSignal(w.training_finished, timeout=20_000):
        assert w.start_training()


def test_the_dialog_stores_the_choice_and_refuses_a_file(qtbot, tmp_path):
    assert log_root() is None                                   # off until asked for
    dialog = TensorBoardDialog()
    qtbot.addWidget(dialog)
    assert not dialog.enabled.isChecked() and dialog.enabled.isEnabled()
    (tmp_path / "a-file").write_text("")
    dialog.enabled.setChecked(True)
    dialog.folder.setText(str(tmp_path / "a-file"))
    assert dialog.problem.text() == f"Cannot write TensorBoard logs into {tmp_path / 'a-file'}: it is a file, not a folder."
    dialog.accept()
    assert dialog.result() == 0 and log_root() is None          # nothing stored
    dialog.folder.setText("runs")                               # relative to where the app started: no
    assert dialog.problem.text() == "Give the folder's whole path (such as ~/workbench-runs), not runs."
    dialog.folder.setText(str(tmp_path / "no" / "runs"))
    assert dialog.problem.text().endswith(f"the folder {tmp_path / 'no'} does not exist.")
    dialog.accept()
    assert dialog.result() == 0 and log_root() is None
    dialog.folder.setText(str(tmp_path / "runs"))
    assert dialog.problem.isHidden()
    assert f"tensorboard --logdir {tmp_path / 'runs'}" in dialog.hint.text()
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.result() == 1
    assert log_root() == str(tmp_path / "runs")
    again = TensorBoardDialog()
    qtbot.addWidget(again)
    assert again.enabled.isChecked() and again.folder.text() == str(tmp_path / "runs")


def test_without_tensorboardx_the_dialog_says_what_to_install(qtbot, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    dialog = TensorBoardDialog()
    qtbot.addWidget(dialog)
    assert not dialog.enabled.isEnabled()
    assert dialog.problem.text() == "TensorBoard logs need the tensorboardX package: pip install 'workbench[tensorboard]'"


def test_each_run_from_the_window_writes_a_log_of_its_own(qtbot, window, tmp_path):
    settings.set_value("tensorboard/enabled", True)
    settings.set_value("tensorboard/folder", str(tmp_path / "runs"))
    window.training_panel.epochs.setValue(3)
    with qtbot.waitSignal(window.training_finished, timeout=20_000):
        assert window.start_training()
        folder = window.controller.board.folder
        assert window.statusBar().currentMessage() == f"TensorBoard log: {folder}"
    _train(qtbot, window, 2)                                    # goes on from epoch 3
    first, second = sorted((tmp_path / "runs").iterdir())
    assert first == folder and first.name.endswith("-Untitled") and "-Untitled" in second.name
    one, two = scalars(read_events(first)), scalars(read_events(second))
    assert [s for s, _ in one["cost/train"]] == [0, 1, 2, 3]
    assert [s for s, _ in two["cost/train"]] == [4, 5]
    history = window.experiment.history
    assert one["cost/train"][-1][1] == pytest.approx(history.train_cost()[3], rel=1e-6)
    assert two["cost/train"][-1][1] == pytest.approx(history.train_cost()[-1], rel=1e-6)
    assert sorted(histograms(read_events(second))["weights/output"]) == [4, 5]
    values = hparams_data(read_events(first))[1].session_start_info.hparams
    assert values["layers"].string_value == "2-2-1" and values["data"].string_value == window.experiment.data_spec
    assert window.controller.board is None                     # closed with its run


def test_a_step_from_idle_asks_for_the_setting_too(qtbot, window, tmp_path):
    settings.set_value("tensorboard/enabled", True)
    settings.set_value("tensorboard/folder", str(tmp_path / "runs"))
    with qtbot.waitSignal(window.experiment.run_state_changed, timeout=20_000,
                          check_params_cb=lambda state: state == "paused"):
        window.step("batch")
    (folder,) = (tmp_path / "runs").iterdir()
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=20_000)
    assert scalars(read_events(folder))["batch/cost"][0][0] == 1
    settings.set_value("tensorboard/enabled", False)            # off again: the next step writes none
    with qtbot.waitSignal(window.experiment.run_state_changed, timeout=20_000,
                          check_params_cb=lambda state: state == "paused"):
        window.step("batch")
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=20_000)
    assert list((tmp_path / "runs").iterdir()) == [folder]


def test_a_log_that_cannot_be_written_stops_the_run_with_the_reason(qtbot, window, tmp_path):
    (tmp_path / "file").write_text("")
    settings.set_value("tensorboard/enabled", True)
    settings.set_value("tensorboard/folder", str(tmp_path / "file"))
    assert not window.start_training()
    assert not window.is_training()
    assert window.training_panel.message_text() == (
        f"Cannot write TensorBoard logs into {tmp_path / 'file'}: it is a file, not a folder. "
        "(Training → TensorBoard Logs… turns the logs off.)")
