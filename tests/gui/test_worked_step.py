"""The Worked step view: Demofox's example 1 listed with the post's numbers, Back/Next moving the
highlight, Step Batch bringing the second step's numbers, the full-batch example 2, the note for a
network too large to write out, damaged settings, and the CSV table."""

import numpy as np
import pytest

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window  # noqa: F401
from workbench.core.labs import LABS_DIR, load_lab
from workbench.core.network import Network
from workbench.core.worked_step import TABLE_HEADER, worked_step
from workbench.data.dataset import Dataset, Split
from workbench.data.drawn import points_from_json
from workbench.data.sources import load_dataset
from workbench.gui.experiment import Experiment
from workbench.gui.views.worked_step import NO_NETWORK, WorkedStepView


def lab_experiment(n):
    session = load_lab(f"demofox-{n}").session
    data = load_dataset(session.data)
    if session.points:
        data = points_from_json(session.points, data)
    exp = Experiment()
    exp.set_dataset(data, data.spec)
    exp.set_hyperparameters(session.hyperparameters)
    exp.adopt_network(session.network)
    return exp


def make_view(qtbot, exp):
    view = WorkedStepView(exp)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    return view


def symbol_value(view, symbol):
    return next(q.value for q in view.quantities if q.symbol == symbol)


def listed(view):
    return [view.list.item(r, 2).text() for r in range(view.list.rowCount())]


def test_lists_example_1_with_the_posts_numbers(qtbot):
    view = make_view(qtbot, lab_experiment(1))
    view.all_box.setChecked(True)
    view.refresh()
    rows = listed(view)
    assert len(rows) == len(view.quantities) == view.list.rowCount()
    # Demofox's program output, first step: output 0.689974, cost 0.238032, ∂C/∂w = ∂C/∂b = 0.147592
    assert rows[1] == "a_o1 = sigmoid(z_o1) = sigmoid(0.8000000) = 0.6899745"
    assert any(r.endswith("= 0.2380324") and r.startswith("C = ½") for r in rows)
    assert "∂C/∂w₁ = δ_o1 · i1 = 0.1475922 × 1.0000000 = 0.1475922" in rows
    assert "w₁ − η · ∂C/∂w₁ = 0.3000000 − 0.5 × 0.1475922 = 0.2262039" in rows
    assert abs(symbol_value(view, "C") - 0.238032) < 5e-7
    assert "no factor 2" in view.info.text()


def test_next_and_back_move_the_highlight(qtbot):
    view = make_view(qtbot, lab_experiment(4))
    assert view.position == 0 and not view.back.isEnabled() and view.list.rowCount() == 1
    for _ in range(13):
        view.next.click()
    view.refresh()
    current = view.quantities[13]
    assert current.symbol == "∂C/∂w₅" and view.diagram.quantity is current
    assert view.formula.text() == "∂C/∂w₅ = δ_o1 · a_h1 = 0.1384986 × 0.5932700 = 0.0821670"
    assert view.diagram.highlighted() == ({(1, 0), (2, 0)}, {(1, 0, 0)})
    assert view.list.rowCount() == 14 and view.list.currentRow() == 13
    view.back.click()
    view.refresh()
    assert view.diagram.quantity.symbol == "∂C/∂b_o1" and view.list.rowCount() == 13
    view.list.cellClicked.emit(2, 1)
    view.refresh()
    assert view.position == 2 and view.diagram.highlighted()[0] == {(1, 1)}


def test_full_batch_example_2_shows_each_item_and_the_mean(qtbot):
    view = make_view(qtbot, lab_experiment(2))
    assert view.item_box.maximum() == 2
    view.item_box.setValue(2)             # the item 1 -> 0 (the data's second row)
    view.refresh()
    assert view.diagram.inputs == [1.0]
    assert abs(symbol_value(view, "a_o1") - 0.6899745) < 1e-7
    assert abs(symbol_value(view, "∂C/∂w₁ (mean)") - 0.073796) < 5e-7
    assert "averages all 2 training items" in view.info.text()


def test_step_batch_brings_the_second_steps_numbers(qtbot):
    window = open_window(qtbot)
    assert window.files.open_session(str(LABS_DIR / "demofox-1.wbsession"))
    qtbot.waitUntil(lambda: window.experiment.dataset is not None and len(window.experiment.dataset.train) == 1
                    and window.experiment.net is not None and not window.data_panel.is_busy(), timeout=10_000)
    view = window.views["worked-step"]
    view.refresh()
    first = [q.value for q in view.quantities]
    assert abs(first[1] - 0.689974) < 5e-7
    new_w, new_b = symbol_value(view, "new w₁"), symbol_value(view, "new b_o1")
    window.actions["step_batch"].trigger()
    qtbot.waitUntil(lambda: window.status.state.text() == "Paused" and window.experiment.history.batch_count == 1,
                    timeout=10_000)
    qtbot.waitUntil(lambda: window.experiment.parameters()[0][0][0, 0] != 0.3, timeout=5_000)
    view.refresh()
    net = Network([np.array([[new_w]])], [np.array([new_b])], ["sigmoid"], "quadratic", dtype="float64")
    second = worked_step(net, [[1.0]], [[0.0]], 0.5)
    assert [q.value for q in view.quantities] == pytest.approx([q.value for q in second], rel=1e-14, abs=1e-16)
    assert abs(symbol_value(view, "a_o1") - first[1]) > 0.01
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.experiment.run_state == "idle", timeout=10_000)


def test_a_large_network_shows_the_note_and_no_network_too(qtbot):
    exp = Experiment()
    view = make_view(qtbot, exp)
    assert view.pages.currentIndex() == 1 and view.note.text() == NO_NETWORK and view.table() is None
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 3)).astype(np.float32)
    exp.set_dataset(Dataset("d", "d", "regression", {"train": Split(X, X[:, :2])}, ["a", "b", "c"], ["p", "q"]), "d")
    exp.adopt_network(Network.create([3, 9, 2], ["sigmoid", "linear"], "quadratic", rng=rng, dtype="float64"))
    view.refresh()
    assert view.pages.currentIndex() == 1 and "at most 8 per layer" in view.note.text()
    assert not view.next.isEnabled() and view.quantities == []
    exp.adopt_network(Network.create([3, 4, 2], ["tanh", "linear"], "quadratic", rng=rng, dtype="float64"))
    view.refresh()
    assert view.pages.currentIndex() == 0 and view.item_box.maximum() == 5


def test_damaged_settings_are_ignored_and_good_ones_kept(qtbot):
    view = make_view(qtbot, lab_experiment(4))
    view.apply_settings({"item": "x", "position": -3, "show_all": 1, "other": [1]})
    view.apply_settings("nope")
    view.refresh()
    assert view.settings() == {"item": 0, "position": 0, "show_all": False}
    view.apply_settings({"item": 7, "position": 10**6, "show_all": True})
    view.refresh()
    assert view.settings() == {"item": 0, "position": len(view.quantities) - 1, "show_all": True}
    assert view.all_box.isChecked() and view.list.rowCount() == len(view.quantities)
    header, rows = view.table()
    assert header == TABLE_HEADER and len(rows) == len(view.quantities) == 45
    assert rows[13][6] == "∂C/∂w₅" and rows[13][8] == pytest.approx(0.082167041, abs=5e-9)
