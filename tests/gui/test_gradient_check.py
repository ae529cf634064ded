"""The gradient-check view: a check on XOR, the fault hook lighting up one layer, Cancel, stale
results, refused field values, settings, the snapshot of a running network and no thread left
after the window closes."""

import time

import numpy as np
import pytest
from PySide6.QtWidgets import QVBoxLayout, QWidget

import workbench.core.gradcheck as gradcheck
from workbench.core.gradcheck import faulty_gradient
from workbench.core.network import Network
from workbench.data import load_dataset
from workbench.data.dataset import Dataset, Split
from workbench.gui.experiment import Experiment
from workbench.gui.views import gradient_check_parts as parts
from workbench.gui.views.base import csv_text
from workbench.gui.views.gradient_check import NO_DATA, NO_NETWORK, GradientCheckView

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window  # noqa: F401


@pytest.fixture(autouse=True)
def no_check_left_running():
    yield
    left = parts.running_checks()
    parts.stop_all_checks()
    assert not left, f"{len(left)} gradient-check thread(s) were left running"


def xor_net(seed=1):
    return Network.create([2, 2, 1], ["sigmoid", "sigmoid"], "cross-entropy", init="normal",
                          rng=np.random.default_rng(seed))


def make_view(qtbot, data=True, net=True):
    exp = Experiment()
    if data:
        ds = load_dataset("xor")
        exp.set_dataset(ds, ds.spec)
    if net:
        exp.adopt_network(xor_net())
    view = GradientCheckView(exp)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    return exp, view


def finish(qtbot, view):
    qtbot.waitUntil(lambda: not view.is_running(), timeout=10_000)
    view.refresh()


@pytest.fixture
def slow_stencil(monkeypatch):
    """Each checked parameter takes at least 2 ms, so a check lasts long enough to cancel or close."""
    real = gradcheck._stencil

    def slow(*args):
        time.sleep(0.002)
        return real(*args)

    monkeypatch.setattr(gradcheck, "_stencil", slow)


def verdict_column(view):
    return [view.layer_table.item(r, 4).text() for r in range(view.layer_table.rowCount())]


def test_a_check_on_xor_completes_and_every_layer_is_green(qtbot):
    exp, view = make_view(qtbot)
    assert view.note.isVisible() and "Press Run" in view.note.text()
    assert view.run()
    finish(qtbot, view)
    assert view.state == "completed" and view.result is not None
    assert view.layer_table.rowCount() == 2 and verdict_column(view) == ["good", "good"]
    assert [view.layer_table.item(r, 0).text() for r in range(2)] == ["Hidden 1", "Output"]
    assert view.layer_table.item(0, 1).text() == "6 of 6" and view.layer_table.item(1, 1).text() == "3 of 3"
    good = parts.verdict_colour("good", False).name()
    assert all(view.layer_table.item(r, 4).background().color().name() == good for r in range(2))
    assert set(view.plots.bar_verdicts) == {"good"} and set(view.plots.point_verdicts) == {"good"}
    assert len(view.plots.point_verdicts) == 9
    assert "all 4 training items" in view.status.text() and "current weights after 0 epochs" in view.status.text()
    assert view.body.isVisible() and not view.note.isVisible()
    header, rows = view.table()
    assert len(rows) == 9 and header[-1] == "verdict" and {r[-1] for r in rows} == {"good"}
    assert csv_text(header, rows).count("\n") == 10


def test_the_fault_hook_lights_the_faulted_layer_red(qtbot):
    exp, view = make_view(qtbot)
    view.analytic = faulty_gradient(1)
    assert view.run()
    finish(qtbot, view)
    assert verdict_column(view) == ["good", "wrong"]
    red = parts.verdict_colour("wrong", False).name()
    assert view.layer_table.item(1, 4).background().color().name() == red
    assert view.plots.point_verdicts.count("wrong") == 3 and view.plots.point_verdicts.count("good") == 6
    assert "wrong" in view.plots.bar_verdicts and "good" in view.plots.bar_verdicts
    assert "(wrong)" in view.status.text()


def test_cancel_stops_within_a_tenth_of_a_second_and_says_so(qtbot, slow_stencil):
    exp, view = make_view(qtbot, net=False)
    exp.adopt_network(Network.create([2, 40, 40, 1], ["tanh", "tanh", "sigmoid"], "cross-entropy",
                                     rng=np.random.default_rng(0)))
    view.sample_box.setValue(0)                             # "all": 1,801 parameters, ≥ 3.6 s
    assert view.sample_box.text() == "all"
    assert view.run()
    thread = view._thread
    qtbot.waitUntil(lambda: view.progress[0] > 0, timeout=5000)
    view.refresh()
    assert view.progress_bar.isVisible() and view.cancel_button.isEnabled() and not view.run_button.isEnabled()
    started = time.perf_counter()
    view.cancel()
    assert thread.wait(2000)
    assert time.perf_counter() - started < 0.1
    finish(qtbot, view)
    assert view.state == "cancelled" and view.result is None
    assert view.note.text().startswith("Cancelled after") and "of 1,801 parameters" in view.note.text()
    assert view.run_button.isEnabled() and not view.cancel_button.isEnabled()
    assert view.table() is None


def test_results_go_stale_when_the_weights_change(qtbot):
    exp, view = make_view(qtbot)
    view.run()
    finish(qtbot, view)
    assert not view.is_stale()
    net = exp.net.copy()
    net.weights[0][0, 0] += 0.5
    exp.adopt_network(net)
    view.refresh()
    assert view.is_stale() and view.status.text().startswith("Stale:")
    assert verdict_column(view) == ["good (stale)", "good (stale)"]
    view.run()
    finish(qtbot, view)
    assert not view.is_stale() and verdict_column(view) == ["good", "good"]


def test_a_running_network_is_checked_on_its_latest_snapshot(qtbot):
    exp, view = make_view(qtbot)
    weights = [w * 2 for w in exp.net.weights]
    exp.set_run_state("running")
    exp.set_snapshot(weights, [b.copy() for b in exp.net.biases], None)
    assert view.run()
    finish(qtbot, view)
    assert "latest snapshot of the running network" in view.status.text()
    assert np.allclose(view.result.layers[0].w_analytic,
                       Network(weights, exp.net.biases, exp.net.activations, exp.net.cost)
                       .astype("float64").backprop(load_dataset("xor").train.X.astype(float),
                                                   load_dataset("xor").train.Y.astype(float))[1][0].ravel())
    exp.set_run_state("idle")


def test_notes_without_network_or_data(qtbot):
    exp, view = make_view(qtbot, data=False, net=False)
    assert view.note.text() == NO_NETWORK and not view.run() and view.state == "idle"
    exp.adopt_network(xor_net())
    view.refresh()
    assert view.note.text() == NO_DATA and not view.run()
    three = Dataset("x3", "x3", "classification", {"train": Split(np.zeros((4, 3), np.float32),
                                                                   np.zeros((4, 1), np.float32), np.zeros(4))},
                    ["a", "b", "c"], ["y"], ["0", "1"])
    exp.set_dataset(three, "x3")                          # data that does not fit the network
    view.refresh()
    assert view.note.text() == NO_DATA and view.table() is None


@pytest.mark.parametrize("text", ["abc", "", "0", "1", "1e-9", "nan", "inf", "-1e-4"])
def test_a_bad_epsilon_is_refused_in_one_sentence(qtbot, text):
    exp, view = make_view(qtbot)
    view.eps_edit.setText(text)
    assert not view.run() and view.state == "idle"
    assert view.problem.text() == "ε must be a number between 1e-07 and 0.1."
    view.refresh()
    assert view.problem.isVisible()
    view.eps_edit.setText("1e-3")
    view.refresh()
    assert not view.problem.isVisible() and view.run()
    finish(qtbot, view)
    assert "ε = 0.001" in view.status.text()


def test_too_many_items_for_a_large_network_are_refused(qtbot):
    rng = np.random.default_rng(0)
    X = rng.random((50, 784)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 50)]
    ds = Dataset("big", "big", "classification", {"train": Split(X, Y, Y.argmax(1))},
                 [f"p{i}" for i in range(784)], ["digit"], [str(k) for k in range(10)])
    exp, view = make_view(qtbot, data=False, net=False)
    exp.set_dataset(ds, "big")
    exp.adopt_network(Network.create([784, 1000, 1000, 10], ["sigmoid"] * 3, "cross-entropy", rng=rng))
    view.items_box.setValue(50)
    assert not view.run()
    assert view.problem.text().startswith("A check of this network uses at most") and "choose fewer" in view.problem.text()
    assert view.items_box.maximum() == gradcheck.MAX_ITEMS and view.sample_box.minimum() == 0


def test_settings_round_trip_and_damaged_settings_are_ignored(qtbot):
    exp, view = make_view(qtbot)
    wanted = {"items": 25, "per_layer": 0, "eps": 1e-5, "seed": 7}
    view.apply_settings(wanted)
    assert view.settings() == wanted
    _, other = make_view(qtbot)
    other.apply_settings(view.settings())
    assert other.settings() == wanted
    for damaged in [None, [], "x", {"items": "25"}, {"items": 0}, {"items": 10**9}, {"per_layer": -1},
                    {"per_layer": True}, {"eps": "1e-3"}, {"eps": float("nan")}, {"eps": 5.0}, {"eps": 0},
                    {"seed": -3}, {"seed": 1.5}, {"unknown": 1}]:
        view.apply_settings(damaged)
        assert view.settings() == wanted, damaged


def test_closing_the_window_mid_check_stops_the_thread(qtbot, slow_stencil):
    exp, view = make_view(qtbot, net=False)
    exp.adopt_network(Network.create([2, 40, 40, 1], ["tanh", "tanh", "sigmoid"], "cross-entropy",
                                     rng=np.random.default_rng(0)))
    view.sample_box.setValue(0)
    holder = QWidget()
    qtbot.addWidget(holder)
    QVBoxLayout(holder).addWidget(view)
    holder.show()
    qtbot.waitExposed(holder)
    assert view.run()
    qtbot.waitUntil(lambda: view.progress[0] > 0, timeout=5000)
    holder.close()
    assert parts.running_checks() == [] and not view.is_running() and view.state == "cancelled"


def test_the_main_window_lists_the_view_and_stops_a_check_on_close(qtbot, slow_stencil):
    window = open_window(qtbot)
    window.reset_weights()
    assert window.raise_view("gradient-check")
    view = window.views["gradient-check"]
    view.sample_box.setValue(0)
    view.items_box.setValue(200)
    window.clock.draw_now()
    assert view.run(), view.problem.text()
    window.raise_view("curves")                            # another tab in front: the check goes on
    assert view.is_running()
    window.close()
    assert parts.running_checks() == [] and not view.is_running() and view.state == "cancelled"
