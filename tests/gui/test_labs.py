"""The Labs menu: it lists every lab; a lab opens as an untitled document with its network, data,
views and notes; Save asks for a path (never resources/labs); a lab is refused while a run goes;
another document drops the notes; every lab trains a couple of epochs in the window."""

import os

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.conftest import SHARED_MNIST
from tests.gui.wb_fixtures import isolated_settings, messages, no_leaked_threads, open_window, window  # noqa: F401
from workbench.core import labs as core_labs
from workbench.core.lab_files import lab_documents
from workbench.data import same_data
from workbench.core.labs import LABS_DIR, lab_names, load_lab
from workbench.gui.labs import first_sentence


def _open(qtbot, w, name):
    assert w.labs.open_lab(name, ask=False)
    spec = load_lab(name).session.data
    qtbot.waitUntil(lambda: not w.data_panel.is_busy() and w.experiment.dataset is not None
                    and w.experiment.data_spec is not None and same_data(w.experiment.data_spec, spec),
                    timeout=20_000)


def _train(qtbot, w, epochs):
    w.training_panel.epochs.setValue(epochs)
    with qtbot.waitSignal(w.training_finished, timeout=30_000) as finished:
        assert w.start_training(), w.blocking_reason()
    return finished.args[0]


def test_the_labs_menu_lists_every_lab_by_group_and_order(window):
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Labs") == titles.index("&View") + 1
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Labs")
    assert set(window.labs.actions) == set(lab_names())
    for sub in (a.menu() for a in menu.actions() if a.menu() is not None):
        labs = [load_lab(a.objectName().removeprefix("action_lab_")) for a in sub.actions()]
        assert {lab.group for lab in labs} == {sub.title()}
        assert [lab.order for lab in labs] == sorted(lab.order for lab in labs)
        for action, lab in zip(sub.actions(), labs):
            assert action.text() == lab.title and action.toolTip() == first_sentence(lab.text)
            assert action.toolTip().endswith(".") and len(action.toolTip()) < len(lab.text)


def test_a_lab_opened_from_the_menu_is_an_untitled_document_and_save_asks_for_a_path(
        qtbot, window, tmp_path, monkeypatch):
    before = {p.name: p.read_bytes() for p in LABS_DIR.iterdir()}
    window.labs.actions["playground-circle"].trigger()
    qtbot.waitUntil(lambda: window.experiment.data_spec is not None and same_data(
        window.experiment.data_spec, "circle:points=500,outputs=1,validation=0.5"), timeout=10_000)
    lab, exp = load_lab("playground-circle"), window.experiment
    assert exp.path is None and exp.name == lab.session.name and not exp.is_modified()
    assert exp.architecture == lab.session.architecture == {"sizes": [2, 4, 2, 1], "activations": ["tanh"] * 3,
                                                             "cost": "quadratic"}
    assert window.training_panel.values()["lr"] == 0.03 and window.training_panel.values()["batch_size"] == 10
    assert window.current_view().name == "output-map"
    notes = window.views["lab-notes"]
    assert window.labs.current.name == "playground-circle" and notes.lab.name == "playground-circle"
    assert window.docks["lab-notes"].isVisible() and window.docks["diagram"].isVisible()
    notes.refresh()
    assert notes.heading.text() == lab.title and "What to look for" in notes.text.text()
    asked = []
    target = tmp_path / "my circle.wbsession"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: asked.append(a[2]) or (str(target), "")))
    assert window.files.save()
    assert len(asked) == 1 and not asked[0].startswith(str(LABS_DIR)) and target.exists()
    assert {p.name: p.read_bytes() for p in LABS_DIR.iterdir()} == before
    qtbot.wait(10)
    assert window.labs.current is not None, "a saved lab keeps its notes"


def test_opening_a_lab_asks_to_save_changes_and_cancel_keeps_the_document(qtbot, window, monkeypatch):
    window.experiment.set_modified(True)
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel))
    assert not window.labs.open_lab("playground-xor")
    assert asked and "Untitled" in asked[0] and window.experiment.architecture["sizes"] == [2, 2, 1]
    assert window.labs.current is None and window.experiment.is_modified()


def test_a_lab_is_refused_while_training(qtbot, window):
    window.training_panel.epochs.setValue(1_000_000)
    assert window.start_training()
    qtbot.waitUntil(lambda: window.experiment.run_state == "running", timeout=10_000)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Labs")
    assert not menu.isEnabled()
    assert not window.labs.open_lab("playground-xor", ask=False)
    assert window.experiment.architecture["sizes"] == [2, 2, 1] and window.labs.current is None
    with qtbot.waitSignal(window.training_finished, timeout=20_000):
        window.stop_training()
    assert menu.isEnabled()


def test_another_document_drops_the_notes(qtbot, window):
    _open(qtbot, window, "playground-xor")
    notes = window.views["lab-notes"]
    _train(qtbot, window, 2)                          # a run keeps the lab
    qtbot.wait(10)
    assert window.labs.current is not None
    window.files.new_session(ask=False)
    qtbot.waitUntil(lambda: window.labs.current is None, timeout=5_000)
    notes.refresh()
    assert notes.lab is None and notes.note.isVisibleTo(notes) and not notes.content.isVisibleTo(notes)


def test_the_notes_of_the_exploding_chain_compare_its_gradients_with_the_analysis(qtbot, window):
    _open(qtbot, window, "exploding-gradient")
    notes = window.views["lab-notes"]
    notes.refresh()
    assert [row[0] for row in notes.rows] == ["hidden 1", "hidden 2", "hidden 3", "output"]
    assert [row[2] for row in notes.rows] == pytest.approx([7812.5, 312.5, 12.5, 0.5])
    assert all(row[3] == pytest.approx(1.0) for row in notes.rows)
    assert notes.grid.rowCount() == 4 and notes.grid.item(0, 2).text() == "7,812.5"
    assert "current weights" in notes.caption.text()
    header, rows = notes.table()
    assert header[0] == "layer" and len(rows) == 4
    _train(qtbot, window, 3)
    notes.refresh()
    assert [row[2] for row in notes.rows] == pytest.approx([7812.5, 312.5, 12.5, 0.5])
    assert "first record" in notes.caption.text()


def test_a_damaged_lab_shows_as_a_disabled_entry(qtbot, tmp_path, monkeypatch):
    (tmp_path / "fine.wbsession").write_bytes((LABS_DIR / "playground-xor.wbsession").read_bytes())
    (tmp_path / "broken.wbsession").write_text("{", encoding="utf-8")
    monkeypatch.setattr(core_labs, "LABS_DIR", tmp_path)
    w = open_window(qtbot)
    assert set(w.labs.actions) == {"fine"}
    menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Labs")
    broken = [a for a in menu.actions() if a.text() == "A lab file cannot be read"]
    assert len(broken) == 1 and not broken[0].isEnabled() and "'broken'" in broken[0].toolTip()


def _mnist_cache(monkeypatch, tmp_path) -> bool:
    """Point the data cache at the shared MNIST folder; False where it is absent."""
    if not (SHARED_MNIST / "train-images-idx3-ubyte.gz").exists():
        return False
    cache = tmp_path / "cache"
    (cache / "workbench" / "datasets").mkdir(parents=True)
    os.symlink(SHARED_MNIST, cache / "workbench" / "datasets" / "mnist")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return True


def test_every_lab_opens_and_trains_two_epochs(qtbot, tmp_path, monkeypatch, messages):
    have_mnist = _mnist_cache(monkeypatch, tmp_path)
    w = open_window(qtbot)
    trained = []
    for name in lab_documents():
        lab = load_lab(name)
        if lab.session.data.startswith("mnist") and not have_mnist:
            continue
        _open(qtbot, w, name)
        assert w.experiment.architecture == lab.session.architecture
        assert w.current_view().name == lab.session.views["front"]
        assert _train(qtbot, w, 1 if name == "mccaffrey" else 2) == "completed", name   # online: 1
        assert w.experiment.epochs_trained == (1 if name == "mccaffrey" else 2)
        if lab.reference.get("initial_speeds"):
            notes = w.views["lab-notes"]
            notes.refresh()
            assert all(row[2] is not None for row in notes.rows), name
        trained.append(name)
    assert not messages
    assert len(trained) >= 5


def test_the_notes_measure_again_after_a_weight_edit(qtbot, window):
    """Before any training the notes measure ‖δˡ‖ on the current weights; an edit in place (the
    diagram's, undoable) changes them, so the table does too."""
    assert window.labs.open_lab("exploding-gradient", ask=False)
    qtbot.waitUntil(lambda: not window.data_panel.is_busy() and window.experiment.dataset is not None,
                    timeout=10_000)
    view = window.views["lab-notes"]
    view.refresh()
    before = view._measured()[0]
    assert before is not None
    exp = window.experiment
    assert exp.edit_parameters([(3, "b", 0, 0, float(exp.net.biases[3][0]) + 3.0)], "Edit bias") is None
    after = view._measured()[0]
    assert after is not None and after != before
