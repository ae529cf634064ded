"""A session the window refuses changes nothing: the network and its weights, the document's path,
name and modified flag, the undo steps, the data set and every panel stay as they were; the
training panel takes values atomically and never overflows a control."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.gui.wb_fixtures import (isolated_settings, messages, no_leaked_threads, open_window,  # noqa: F401
                                     window)


def _good_session(qtbot, window, tmp_path) -> str:
    """Train a 2-3-1 network on XOR with non-default settings, save it and open it again."""
    window.designer.set_architecture({"sizes": [2, 3, 1], "activations": ["tanh", "sigmoid"],
                                      "cost": "cross-entropy"}, undoable=False)
    window.training_panel.set_values({"lr": 0.7, "seed": 3, "dtype": "float64", "l2": 0.25, "epochs": 4,
                                      "layer_lr": [1.0, 0.5]})
    window._sync_panels()
    with qtbot.waitSignal(window.training_finished, timeout=20_000):
        assert window.start_training()
    window.experiment.add_marker("note")
    path = str(tmp_path / "good.wbsession")
    assert window.files.save_to(path)
    assert window.files.open_session(path)
    qtbot.waitUntil(lambda: not window.data_panel.is_busy() and window.experiment.dataset is not None,
                    timeout=10_000)
    window.training_panel.set_values({"seed": 4})
    window.reset_weights()               # an undo step and unsaved changes, which the refusal must keep
    assert window.experiment.undo_stack.count() == 1 and window.is_modified()
    return path


def _state(window) -> dict:
    exp = window.experiment
    return {
        "weights": [w.copy() for w in exp.net.weights] if exp.net is not None else None,
        "net": exp.net, "path": exp.path, "name": exp.name, "modified": exp.is_modified(),
        "undo": (exp.undo_stack.count(), exp.undo_stack.index(), exp.undo_stack.isClean()),
        "dataset": exp.dataset, "spec": exp.data_spec, "panel": window.data_panel.spec(),
        "architecture": window.designer.architecture(), "training": window.training_panel.values(),
        "history": (exp.history, exp.history.serial, exp.history.markers),
        "epochs": (exp.epochs_trained, exp.steps_trained), "title": window.windowTitle(),
    }


def _assert_unchanged(before: dict, after: dict):
    for key in before:
        if key == "weights":
            for a, b in zip(before[key], after[key]):
                np.testing.assert_array_equal(a, b)
        else:
            assert before[key] == after[key] if key not in ("net", "dataset") else before[key] is after[key], key


BAD = [  # (what, change to the good document, words of the refusal)
    ("layer_lr for 1 layer", lambda d: d["hyperparameters"].update(layer_lr=[1.0]), "'layer_lr'"),
    ("layer_lr a number", lambda d: d["hyperparameters"].update(layer_lr=5), "'layer_lr'"),
    ("lr null", lambda d: d["hyperparameters"].update(lr=None), "'lr'"),
    ("lr beyond the panel", lambda d: d["hyperparameters"].update(lr=5000.0), "the training panel's range"),
    ("seed beyond int32", lambda d: d["hyperparameters"].update(seed=2**40), "'seed'"),
    ("epochs beyond the panel", lambda d: d["hyperparameters"].update(epochs=10**7), "'epochs'"),
    ("a damaged history", lambda d: d["history"].update(n_layers="two"), "incomplete or damaged"),
    ("a data spec with no source", lambda d: d.update(data="no such source:x"), "data spec"),
    ("an unknown data source", lambda d: d.update(data="xxor"), "Unknown data source"),
    ("a layer of 10**9", lambda d: d.update(architecture={"sizes": [2, 10**9, 1], "activations": ["tanh", "sigmoid"],
                                                          "cost": "cross-entropy"}, weights=None, history=None),
     "at most 4,096"),
    ("a history for another depth", lambda d: d.update(architecture=None, weights=None, watch=[],
                                                       hyperparameters={}, history=_deeper(d["history"])),
     "weight layers"),
    ("points with 10**12 inputs", lambda d: d.update(points={"format": "x", "inputs": 10**12, "outputs": 1}),
     "1,000,000,000,000 inputs"),
]


def _deeper(history: dict) -> dict:
    """The history of a network with one weight layer more."""
    h = json.loads(json.dumps(history))
    h["n_layers"] += 1
    for table, keys in (("batches", ("delta_norms",)), ("epochs", ("delta_norms", "weight_norms"))):
        for key in keys:
            h[table][key].append([None] * len(h[table][key][0]))
    return h


@pytest.mark.parametrize("what, change, words", BAD, ids=[b[0] for b in BAD])
def test_a_refused_session_leaves_the_window_as_it_was(qtbot, window, tmp_path, messages, what, change, words):
    good = _good_session(qtbot, window, tmp_path)
    before = _state(window)
    doc = json.loads(Path(good).read_text(encoding="utf-8"))
    change(doc)
    bad = tmp_path / "bad.wbsession"
    bad.write_text(json.dumps(doc))
    assert not window.files.open_session(str(bad))
    assert len(messages) == 1 and messages[0][1] == "Cannot open the session"
    text = messages[0][2]
    assert words in text and str(bad) in text and "\n" not in text and "Traceback" not in text
    qtbot.wait(50)                              # nothing arrives later either (no data load started)
    assert not window.data_panel.is_busy()
    _assert_unchanged(before, _state(window))
    # Save still writes the good session's file, with the trained weights.
    assert window.files.save()
    from workbench.gui.session import load_session

    for a, b in zip(load_session(good).network.weights, before["weights"]):
        np.testing.assert_array_equal(a, b)


def test_a_session_that_fails_while_applied_is_no_longer_the_old_file(qtbot, window, tmp_path, messages,
                                                                      monkeypatch):
    """The backstop for a case the check misses: the window, part old and part new, is not saved
    over either file without asking where."""
    good = _good_session(qtbot, window, tmp_path)
    other = tmp_path / "other.wbsession"
    other.write_text(Path(good).read_text(encoding="utf-8"))

    def fail(*args):
        raise ValueError("the panel refused it.")

    monkeypatch.setattr(window, "show_session_values", fail)
    assert not window.files.open_session(str(other))
    assert messages[-1][1:] == ("Cannot open the session", f"{other} could only be opened in part: "
                                                            "the panel refused it.")
    assert window.experiment.path is None and window.is_modified()


def test_a_session_with_surplus_markers_opens_with_a_note(qtbot, window, tmp_path, messages):
    good = _good_session(qtbot, window, tmp_path)
    doc = json.loads(Path(good).read_text(encoding="utf-8"))
    doc["history"]["markers"] = [{"x": 0.001 * i, "text": f"m{i}"} for i in range(5000)]
    path = tmp_path / "markers.wbsession"
    path.write_text(json.dumps(doc))
    assert window.files.open_session(str(path))
    assert len(window.experiment.history.markers) == 1000 and window.experiment.history.markers[-1][1] == "m4999"
    assert "5,000 markers; only the latest 1,000 are kept" in window.statusBar().currentMessage()
    assert not messages


def test_the_training_panel_takes_values_atomically(qtbot, window):
    panel = window.training_panel
    before = panel.values()
    for bad in ({"lr": 0.3, "seed": None}, {"lr": 0.3, "layer_lr": 5}, {"lr": 0.3, "epochs": "many"},
                {"lr": 0.3, "optimizer": ["sgd"]}, {"lr": 0.3, "batch_size": 2.5}):
        with pytest.raises(ValueError) as info:
            panel.set_values(bad)
        assert "'" in str(info.value) and "\n" not in str(info.value)
        assert panel.values() == before, bad


def test_the_training_panel_never_overflows_a_control(qtbot, window):
    """Found by the campaign: numbers beyond int32 raised OverflowError in a QSpinBox."""
    panel = window.training_panel
    panel.set_values({"seed": 2**40, "epochs": 10**12, "batch_size": 2**45})
    assert panel.seed.value() == 2**31 - 1 and panel.epochs.value() == 1_000_000
    assert panel.batch_size.value() == 1_000_000
