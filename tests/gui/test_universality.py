"""The universality view: curves of a 1-h-1 network, handles dragged with the mouse (one undo step
each), the deviation and cost readout, refusal while running, other networks, settings, table."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from workbench.core import Network
from workbench.core import universality as u
from workbench.data import load_dataset
from workbench.gui.experiment import Experiment
from workbench.gui.views.universality import NOT_IDLE, UniversalityView


def bump_net(heights=(0.2, 0.4, 0.3, 0.6, 0.5), w=100.0):
    p = u.bump_network(np.linspace(0, 1, len(heights) + 1), heights, w=w)
    return Network([p.w.reshape(1, -1), p.v.reshape(-1, 1)], [p.b, np.array([0.0])], ["sigmoid", "linear"],
                   "quadratic", dtype="float64")


@pytest.fixture
def experiment():
    exp = Experiment()
    exp.set_dataset(load_dataset("nielsen-function:points=300"), "nielsen-function:points=300")
    net = bump_net()
    exp.set_architecture(net.architecture())
    exp.adopt_network(net)
    return exp


@pytest.fixture
def view(qtbot, experiment):
    v = UniversalityView(experiment)
    qtbot.addWidget(v)
    v.resize(1000, 640)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    QApplication.processEvents()
    v.refresh()
    return v


def send(widget, kind, pos, buttons):
    button = Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(view, handle, to_view_xy, steps=8):
    """Press on the handle, move in steps to the plot point ``to_view_xy``, release (real mouse
    events through the canvas, as a user's drag)."""
    canvas = handle.scene().views()[0]
    start = canvas.mapFromScene(handle.scenePos())
    vb = handle.getViewBox()
    end = canvas.mapFromScene(vb.mapViewToScene(QPointF(*to_view_xy)))
    viewport = canvas.viewport()
    send(viewport, QMouseEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    for k in range(1, steps + 1):
        p = start + (end - start) * (k / steps)
        send(viewport, QMouseEvent.Type.MouseMove, QPoint(p.x(), p.y()), Qt.MouseButton.LeftButton)
        view.refresh()                   # the frame clock would redraw between moves
    send(viewport, QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    view.refresh()


def test_the_curves_and_readout_of_a_bump_network(view, experiment):
    p = u.OneHidden.from_arrays(experiment.net.weights, experiment.net.biases, experiment.net.activations)
    x = u.grid((0.0, 1.0))
    expected = u.average_deviation(p.output_values(x), u.goal_values("nielsen-function", x))
    assert f"Average deviation |f − g|: {expected:.4f}" in view.readout.text()
    assert view.deviation == pytest.approx(expected)
    cost = experiment.net.evaluate(experiment.dataset.train.X, experiment.dataset.train.Y, False)[0]
    assert f"Cost on the training data (quadratic): {cost:.5g}" in view.readout.text()
    shown = [c for c in view.hidden_curves if c.isVisible()]
    assert len(shown) == 10
    np.testing.assert_allclose(view.output_curve.getData()[1], p.output_values(x))
    assert not view.weighted_curve.isVisible()            # a linear output: the sum is the output
    assert sorted({k[0] for k in view._handles}) == ["h", "s"]


def test_dragging_a_step_moves_the_bias_and_one_undo_restores_it(view, experiment, qtbot):
    net, stack = experiment.net, experiment.undo_stack
    old_b = net.biases[0].copy()
    old_w = net.weights[0].copy()
    text = view.readout.text()
    handle = view._handles[("s", 9)]                      # neuron 10 steps down at 1
    assert handle.pos().x() == pytest.approx(1.0)
    drag(view, handle, (0.9, 0.5))
    assert stack.count() == 1 and stack.undoText() == "Drag the step point of hidden neuron 10"
    s = -net.biases[0][9] / net.weights[0][0, 9]
    assert s == pytest.approx(0.9, abs=0.02)              # the step followed the mouse
    assert np.array_equal(net.weights[0], old_w)           # w kept
    assert np.array_equal(np.delete(net.biases[0], 9), np.delete(old_b, 9))
    assert view.readout.text() != text                     # deviation and cost measured again
    stack.undo()
    assert np.array_equal(net.biases[0], old_b)
    view.refresh()
    assert view.readout.text() == text
    assert view._handles[("s", 9)].pos().x() == pytest.approx(1.0)


def test_dragging_a_pair_height_sets_both_output_weights(view, experiment):
    net = experiment.net
    handle = view._handles[("h", 1)]                       # pair 2: neurons 3 and 4, height 0.4
    assert handle.pos().y() == pytest.approx(0.4, abs=1e-3)       # on the output between its steps
    drag(view, handle, (handle.pos().x(), 0.7))
    v = net.weights[1][:, 0]
    assert v[2] == pytest.approx(0.7, abs=0.03) and v[3] == -v[2]
    assert experiment.undo_stack.undoText() == "Drag the height of pair 2"
    assert experiment.undo_stack.count() == 1


def test_w_b_mode_drags_a_neuron_in_the_plane(view, experiment):
    view.mode_combo.setCurrentIndex(view.mode_combo.findData("wb"))
    view.refresh()
    QApplication.processEvents()
    view.refresh()
    handle = view._handles[("wb", 2)]
    assert (handle.pos().x(), handle.pos().y()) == pytest.approx((100.0, -20.0))
    drag(view, handle, (101.0, -30.0))
    net = experiment.net
    assert net.weights[0][0, 2] == pytest.approx(101.0, abs=0.5)
    assert net.biases[0][2] == pytest.approx(-30.0, abs=1.0)
    assert experiment.undo_stack.undoText() == "Drag hidden neuron 3 (w, b)"
    experiment.undo_stack.undo()
    assert net.weights[0][0, 2] == 100.0 and net.biases[0][2] == -20.0
    assert view.settings()["mode"] == "wb"


def test_handles_are_disabled_while_running(view, experiment):
    experiment.set_run_state("running")
    view.refresh()
    handle = view._handles[("s", 1)]
    assert not handle.movable and handle.toolTip() == NOT_IDLE
    assert NOT_IDLE[:-1] in view.readout.text()
    before = experiment.net.biases[0].copy()
    drag(view, handle, (0.9, 0.5))
    assert np.array_equal(experiment.net.biases[0], before) and experiment.undo_stack.count() == 0
    experiment.set_run_state("paused")
    view.refresh()
    assert handle.movable


def test_other_networks_get_the_note(qtbot):
    exp = Experiment()
    exp.set_architecture({"sizes": [784, 30, 10], "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"})
    v = UniversalityView(exp)
    qtbot.addWidget(v)
    v.show()
    v.refresh()
    assert v.note.isVisible() and not v.canvas.isVisible() and not v.plane_canvas.isVisible()
    assert v.note.text() == ("Universality works with 1-input, 1-output networks with one sigmoid hidden layer: "
                             "this network is 784-30-10.")
    assert v.table() is None
    exp.set_architecture({"sizes": [1, 4, 1], "activations": ["sigmoid", "linear"], "cost": "quadratic"})
    v.refresh()
    assert "no network yet" in v.note.text()


def test_settings_round_trip_and_bad_ones_are_ignored(view, experiment):
    drawn = {"drawn_x": [0.0, 0.5, 1.0], "drawn_y": [0.1, 0.9, 0.2]}
    view.apply_settings({"mode": "wb", "goal": "drawn", **drawn})
    view.refresh()
    assert view.settings() == {"mode": "wb", "goal": "drawn", **drawn}
    x, g = view.goal_curve.getData()
    assert g[0] == pytest.approx(0.1) and g.max() == pytest.approx(0.9, abs=0.01)
    for bad in (None, [], {"mode": 3}, {"mode": "nope", "goal": "nope"}, {"goal": "drawn", "drawn_x": [0, 1]},
                {"goal": "drawn", "drawn_x": [0, 1], "drawn_y": [float("nan"), 2]}, {"drawn_x": "x"},
                {"goal": "drawn", "drawn_x": [1, 1], "drawn_y": [0, 1]}, {"goal": ["sine"]},
                {"goal": "drawn", "drawn_x": list(range(65)), "drawn_y": [0] * 65},
                {"goal": "drawn", "drawn_x": [0, True], "drawn_y": [0, 1]}):
        view.apply_settings(bad)
        view.refresh()
        assert view.settings() == {"mode": "wb", "goal": "drawn", **drawn}
    view.apply_settings({"mode": "steps", "goal": "data"})
    view.refresh()
    assert view.settings()["goal"] == "data" and view.goal_curve.isVisible()


def test_drawing_a_goal_with_the_mouse(view, experiment):
    view.goal_combo.setCurrentIndex(view.goal_combo.findData("draw"))
    view.goal_combo.activated.emit(view.goal_combo.currentIndex())
    assert view.box.drawing
    canvas, vb = view.canvas, view.box
    points = [canvas.mapFromScene(vb.mapViewToScene(QPointF(x, 0.2 + 0.5 * x))) for x in np.linspace(0.05, 0.95, 12)]
    viewport = canvas.viewport()
    send(viewport, QMouseEvent.Type.MouseButtonPress, points[0], Qt.MouseButton.LeftButton)
    for p in points[1:]:
        send(viewport, QMouseEvent.Type.MouseMove, p, Qt.MouseButton.LeftButton)
    send(viewport, QMouseEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton)
    view.refresh()
    settings = view.settings()
    assert not view.box.drawing and settings["goal"] == "drawn" and len(settings["drawn_x"]) == 64
    from workbench.core.sessionfile import _setting_problem     # what a session can store

    assert not any(_setting_problem(v) for v in settings.values())
    x, g = view.goal_curve.getData()
    np.testing.assert_allclose(g, 0.2 + 0.5 * x, atol=0.03)


def test_table_gives_each_neuron(view):
    header, rows = view.table()
    assert header == ["neuron", "w", "b", "step s = -b/w", "pair height h", "v"]
    assert len(rows) == 10
    assert rows[3][0] == 4 and rows[3][3] == pytest.approx(0.4) and rows[3][4] == pytest.approx(0.4)


def test_a_wide_hidden_layer_draws_the_first_neurons_only(qtbot):
    exp = Experiment()
    net = Network.create([1, 200, 1], ["sigmoid", "sigmoid"], "quadratic", rng=np.random.default_rng(0))
    exp.set_architecture(net.architecture())
    exp.adopt_network(net)
    v = UniversalityView(exp)
    qtbot.addWidget(v)
    v.show()
    v.refresh()
    assert sum(c.isVisible() for c in v.hidden_curves) == 64 and len(v._handles) == 64 + 32
    assert "The first 64 of 200 hidden neurons are drawn" in v.readout.text()
    assert v.weighted_curve.isVisible()                     # a sigmoid output: the sum is drawn too
    assert len(v.table()[1]) == 200
    assert "Cost" not in v.readout.text()                   # no data: no cost


def test_a_drag_while_paused_reaches_the_network(view, experiment):
    experiment.set_run_state("paused")
    view.refresh()
    handle = view._handles[("h", 4)]
    drag(view, handle, (handle.pos().x(), 0.8))
    assert experiment.net.weights[1][8, 0] == pytest.approx(0.8, abs=0.03)


def test_a_stroke_without_width_keeps_the_goal(view, experiment):
    view.goal_combo.setCurrentIndex(view.goal_combo.findData("draw"))
    view.goal_combo.activated.emit(view.goal_combo.currentIndex())
    seen = []
    experiment.message.connect(seen.append)
    view.box.stroke_finished.emit([(0.5, 0.1), (0.5, 0.9)])            # straight up: no x range
    assert not view.box.drawing and view.settings()["goal"] == "nielsen-function"
    assert view.goal_combo.currentData() == "nielsen-function"
    assert seen == ["Draw from left to right across the plot to make a goal."]


def test_export_writes_the_picture_and_the_numbers(view, tmp_path):
    from workbench.gui.views.base import write_csv, write_png

    write_png(view, str(tmp_path / "u.png"))
    write_csv(view, str(tmp_path / "u.csv"))
    assert (tmp_path / "u.png").read_bytes()[:4] == b"\x89PNG"
    lines = (tmp_path / "u.csv").read_text().splitlines()
    assert lines[0] == "neuron,w,b,step s = -b/w,pair height h,v" and len(lines) == 11
    assert lines[1].startswith("1,100,")


def test_a_pair_handle_sits_on_the_sum_even_when_its_pair_is_unbalanced(view, experiment):
    from workbench.gui.views.universality_parts import handle_places, moved_parameters

    p = u.OneHidden.from_arrays(experiment.net.weights, experiment.net.biases, ["sigmoid", "linear"])
    p.v[1] = -0.1                    # pair 1 rises 0.2 and falls only 0.1: the next bumps sit 0.1 higher
    p.c = 0.05
    places = handle_places(p, (0.0, 1.0), "steps")
    x, y = places[("h", 2)]          # pair 3 (0.4–0.6, height 0.3)
    assert x == pytest.approx(0.5) and y == pytest.approx(0.3 + 0.1 + 0.05, abs=1e-3)
    moved = moved_parameters(p, ("h", 2), x, 0.75)
    assert moved.weighted_sum(np.array([x]))[0] == pytest.approx(0.75, abs=1e-3)
    assert moved.v[4] == pytest.approx(0.6, abs=1e-3) and moved.v[5] == -moved.v[4]
    assert moved.v[1] == -0.1        # other pairs untouched



def test_a_drag_back_into_view_keeps_the_view_so_the_next_handle_stays_put(view, experiment):
    """A drag that takes the output above the plot grows the view; dragging it back does not shrink
    it again under the mouse (the next handle would no longer be where it was drawn)."""
    handle = view._handles[("h", 1)]
    drag(view, handle, (handle.pos().x(), 1.6))
    view.refresh()
    view.grab()                                            # a paint: pyqtgraph ranges lazily
    grown = [list(r) for r in view.box.viewRange()]
    assert grown[1][1] > 1.5
    handle = view._handles[("h", 1)]
    drag(view, handle, (handle.pos().x(), 0.5))
    view.refresh()
    view.grab()
    assert experiment.undo_stack.count() == 2
    assert [list(r) for r in view.box.viewRange()] == grown
