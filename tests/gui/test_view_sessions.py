"""What sessions keep of the views (their options, the view in front, the docked views shown) and of
the data (points drawn on the output map); the Evaluate on Test action; one neuron selection shared
by the views."""

import json

import numpy as np
from PySide6.QtWidgets import QFileDialog

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window, window  # noqa: F401
from workbench.data.drawn import is_drawn, with_point


def _load(qtbot, w, spec):
    w.data_panel.load_spec(spec)
    qtbot.waitUntil(lambda: w.experiment.dataset is not None and w.experiment.dataset.spec.startswith(spec.split(":")[0])
                    and w.data_panel.spec() is not None, timeout=10_000)


def _reopen(qtbot, path):
    spec = json.loads(path.read_text())["data"]
    other = open_window(qtbot)
    assert other.files.open_session(str(path))
    source = spec.split(":")[0]
    qtbot.waitUntil(lambda: (other.experiment.data_spec or "").split(":")[0] == source
                    and other.experiment.dataset is not None and not other.data_panel.is_busy(), timeout=10_000)
    return other


def test_views_options_front_view_and_docks_come_back(qtbot, window, tmp_path):
    window.views["output-map"].discretize.setChecked(True)
    window.raise_view("predictions")
    window.docks["diagram"].hide()
    path = tmp_path / "views.wbsession"
    assert window.files.save_to(str(path))
    stored = json.loads(path.read_text())["views"]
    assert stored["front"] == "predictions" and stored["open"] == ["lab-notes"]   # a tab beside Training
    assert stored["settings"]["output-map"]["discretize"] is True

    other = _reopen(qtbot, path)
    assert other.views["output-map"].discretize.isChecked()
    assert other.current_view() is other.views["predictions"]
    assert not other.docks["diagram"].isVisible()


def test_damaged_view_options_are_ignored_and_unknown_views_skipped(qtbot, window, tmp_path):
    path = tmp_path / "views.wbsession"
    assert window.files.save_to(str(path))
    doc = json.loads(path.read_text())
    doc["views"] = {"front": "no-such-view", "open": ["diagram", "nope"],
                    "settings": {"output-map": {"discretize": "yes", "class": -4, "target": "x"},
                                 "no-such-view": {"a": 1}, "curves": {}}}
    path.write_text(json.dumps(doc))
    other = _reopen(qtbot, path)
    assert not other.views["output-map"].discretize.isChecked()
    assert other.docks["diagram"].isVisible()


def test_a_views_entry_without_open_docks_leaves_the_docks_alone(qtbot, window, tmp_path):
    path = tmp_path / "views.wbsession"
    assert window.files.save_to(str(path))
    doc = json.loads(path.read_text())
    doc["views"] = {"front": "distributions"}
    path.write_text(json.dumps(doc))
    other = _reopen(qtbot, path)
    assert other.docks["diagram"].isVisible() and other.current_view() is other.views["distributions"]


def test_drawn_points_are_saved_with_the_session_and_undone(qtbot, window, tmp_path):
    _load(qtbot, window, "circle")
    exp = window.experiment
    base = exp.dataset
    exp.edit_dataset(with_point(base, [0.25, -0.5], label=1), "Add point")
    assert is_drawn(exp.dataset) and len(exp.dataset.train) == len(base.train) + 1
    assert window.data_panel.dataset() is exp.dataset          # the Data panel shows the edited set
    path = tmp_path / "drawn.wbsession"
    assert window.files.save_to(str(path))
    assert json.loads(path.read_text())["points"] is not None

    other = _reopen(qtbot, path)
    qtbot.waitUntil(lambda: is_drawn(other.experiment.dataset), timeout=10_000)
    np.testing.assert_array_equal(other.experiment.dataset.train.X, exp.dataset.train.X)
    np.testing.assert_array_equal(other.experiment.dataset.train.labels, exp.dataset.train.labels)
    assert not other.isWindowModified()

    window.undo_stack.undo()
    assert exp.dataset is base and not is_drawn(exp.dataset)


def test_a_session_with_damaged_points_is_refused_before_anything_is_applied(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    _load(qtbot, window, "circle")
    exp = window.experiment
    exp.edit_dataset(with_point(exp.dataset, [0.25, -0.5], label=1), "Add point")
    path = tmp_path / "drawn.wbsession"
    assert window.files.save_to(str(path))
    doc = json.loads(path.read_text())
    doc["points"]["splits"]["train"]["labels"][0] = 7
    path.write_text(json.dumps(doc))
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _p, _t, text, *a, **k: shown.append(text)))
    other = open_window(qtbot)
    before = (other.experiment.data_spec, other.experiment.name)
    assert not other.files.open_session(str(path))
    assert "drawn points are unusable" in shown[0] and "labels[0]" in shown[0]
    assert (other.experiment.data_spec, other.experiment.name) == before


def test_points_that_no_longer_fit_the_data_leave_the_spec_data_and_say_why(qtbot, window, tmp_path):
    _load(qtbot, window, "circle")
    exp = window.experiment
    exp.edit_dataset(with_point(exp.dataset, [0.25, -0.5], label=1), "Add point")
    path = tmp_path / "drawn.wbsession"
    assert window.files.save_to(str(path))
    doc = json.loads(path.read_text())
    doc["data"] = "spiral:arms=3"                  # the points are of two classes, the data of three
    path.write_text(json.dumps(doc))
    other = _reopen(qtbot, path)
    assert not is_drawn(other.experiment.dataset)
    assert "drawn points" in other.statusBar().currentMessage()


def test_undoing_a_drawn_point_after_other_data_was_loaded_changes_nothing(qtbot, window):
    _load(qtbot, window, "circle")
    exp = window.experiment
    exp.edit_dataset(with_point(exp.dataset, [0.25, -0.5], label=1), "Add point")
    _load(qtbot, window, "spiral:arms=3")
    spiral = exp.dataset
    window.undo_stack.undo()
    assert exp.dataset is spiral


def test_evaluate_on_test_needs_a_network_and_a_test_split(qtbot, window):
    action = window.actions["evaluate_test"]
    _load(qtbot, window, "xor")                       # no test split
    window.reset_weights()
    assert not action.isEnabled() and "no test split" in action.toolTip()
    _load(qtbot, window, "teacher:items=400,test=0.25")
    window.reset_weights()
    assert action.isEnabled()
    action.trigger()
    assert window.current_view() is window.views["predictions"]
    assert "test split" in window.statusBar().currentMessage()


def test_a_neuron_chosen_in_one_view_is_selected_in_the_diagram(qtbot, window):
    window.reset_weights()
    sizes = window.experiment.sizes()
    window.experiment.select_neuron(1, sizes[1] - 1)
    assert window.diagram.selected_neuron() == (1, sizes[1] - 1)
    window.diagram.select_neuron(0, 0)                 # and a click in the diagram reaches the model
    assert window.experiment.selected_neuron == (0, 0)


def test_view_numbers_export_from_the_file_menu(qtbot, window, tmp_path, monkeypatch):
    window.reset_weights()
    window.raise_view("gradient-bars")
    target = tmp_path / "bars"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.actions["export_view_csv"].trigger()
    text = (tmp_path / "bars.csv").read_text()
    assert text.splitlines()[0].startswith("layer") and len(text.splitlines()) > 2


def test_after_a_run_the_diagram_keeps_its_last_gradients_and_a_new_session_clears_the_status(qtbot, window, tmp_path):
    window.training_panel.epochs.setValue(3)
    with qtbot.waitSignal(window.training_finished, timeout=20_000):
        assert window.start_training()
    window.clock.draw_now()
    window.diagram.select_neuron(1, 0)
    assert "(latest batch)" in window.diagram.details_text()
    assert window.status.position.text()
    path = tmp_path / "s.wbsession"
    assert window.files.save_to(str(path))
    other = _reopen(qtbot, path)
    assert other.status.position.text() == "" and other.status.state.text() == "Ready"
    window.files.open_session(str(path))
    assert window.status.position.text() == ""
