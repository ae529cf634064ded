"""The Output map view: the map of hand-set networks (image and table), class blending, neuron
thumbnails, drawing points with real mouse events and undoing them, 1-D curves, empty states,
diverged weights, the palette, settings and export."""

import csv

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from workbench.core import maps
from workbench.core.network import Network
from workbench.data import Dataset, Split, load_dataset
from workbench.gui.experiment import Experiment
from workbench.gui.frame_clock import FrameClock
from workbench.gui.views.base import write_csv, write_png
from workbench.data.drawn import MAX_POINTS
from workbench.gui.views.output_map import CONTRIB_ENTRY, EMPTY_TEXT, NAN_TEXT, NO_NETWORK_TEXT, OutputMapView
from workbench.gui.palette import class_colours

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window  # noqa: F401


def sigmoid_net(w=(10.0, 0.0), b=0.0):
    return Network([np.array(w, np.float32).reshape(2, 1)], [np.array([b], np.float32)], ["sigmoid"],
                   "cross-entropy")


def softmax_three():
    """2 → 4 tanh → 3 softmax: class 0 wins left, class 1 at the top, class 2 at the bottom right."""
    W1 = np.array([[-8.0, 0.0, 8.0, 0.0], [0.0, 8.0, -2.0, 0.0]], np.float32)
    W2 = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0], [0.0, 0.0, 0.0]], np.float32)
    return Network([W1, W2], [np.zeros(4, np.float32), np.zeros(3, np.float32)], ["tanh", "softmax"],
                   "log-likelihood")


def square_set(n_classes=2, outputs=None):
    """Classification points on the square [-1, 1]² (validation: a few more)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (40, 2)).astype(np.float32)
    X[:4] = [[-1, -1], [1, 1], [-1, 1], [1, -1]]            # the data's range is exactly [-1, 1]²
    labels = (X[:, 0] > 0).astype(np.int64) if n_classes == 2 else rng.integers(0, n_classes, 40)
    k = outputs or n_classes

    def targets(lab):
        return lab.reshape(-1, 1).astype(np.float32) if k == 1 else np.eye(n_classes, dtype=np.float32)[lab]

    return Dataset("Square", "square", "classification",
                   {"train": Split(X[:30], targets(labels[:30]), labels[:30]),
                    "validation": Split(X[30:], targets(labels[30:]), labels[30:])},
                   ["x1", "x2"], ["class"], class_names=[f"c{i}" for i in range(n_classes)])


@pytest.fixture
def experiment():
    return Experiment()


@pytest.fixture
def view(qtbot, experiment):
    v = OutputMapView(experiment)
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    return v


def load(experiment, dataset, net=None):
    experiment.set_dataset(dataset, dataset.spec)
    if net is not None:
        experiment.adopt_network(net)


def widget_pos(view, x, y) -> QPoint:
    """The canvas viewport position of plot coordinates (x, y)."""
    scene = view.plot.vb.mapViewToScene(QPointF(x, y))
    return view.canvas.mapFromScene(scene)


def pixel(view, x, y):
    """The map's RGBA at plot coordinates (x, y)."""
    g = view._grid
    j = int(np.argmin(np.abs(g.xs - x)))
    i = int(np.argmin(np.abs(g.ys - y)))
    return tuple(int(c) for c in view.image.image[i, j])


# ---------------------------------------------------------------------- empty states
def test_empty_states_name_what_is_needed(view, experiment):
    assert view.note.isVisible() and view.note.text() == EMPTY_TEXT
    assert view.table() is None
    X = np.zeros((5, 784), np.float32)
    wide = Dataset("Pixels", "p", "regression", {"train": Split(X, np.zeros((5, 1)))},
                   [f"p{i}" for i in range(784)], ["y"])
    load(experiment, wide)
    view.refresh()
    assert view.note.isVisible() and "1 or 2 inputs" in view.note.text() and "784" in view.note.text()
    three = Dataset("Three", "t", "regression", {"train": Split(np.zeros((4, 3)), np.zeros((4, 1)))},
                    ["a", "b", "c"], ["y"])
    load(experiment, three)
    view.refresh()
    assert "Three has 3" in view.note.text() and not view.body.isVisible()
    assert view.table() is None


def test_data_without_a_network_shows_the_points_and_says_why_there_is_no_map(view, experiment):
    ds = square_set()
    load(experiment, ds)
    view.refresh()
    assert not view.note.isVisible() and view.banner.isVisible()
    assert view.banner.text() == NO_NETWORK_TEXT
    assert not view.image.isVisible() and not view.thumbs.isVisible()
    assert len(view.train_scatter.data) == 30 and len(view.held_scatter.data) == 10
    assert view.table() is None
    experiment.adopt_network(Network.create([3, 2, 1], ["tanh", "sigmoid"], rng=np.random.default_rng(0)))
    view.refresh()
    assert "3 input(s) but the data has 2" in view.banner.text()


def test_diverged_weights_say_so_without_crashing(view, experiment):
    net = sigmoid_net()
    net.weights[0][0, 0] = np.nan
    load(experiment, square_set(outputs=1), net)
    view.refresh()
    assert view.banner.isVisible() and view.banner.text() == NAN_TEXT
    assert not view.image.isVisible() and view.table() is None
    experiment.set_snapshot([np.full((2, 1), np.inf, np.float32)], [np.zeros(1, np.float32)], None)
    view.refresh()
    assert view.banner.text() == NAN_TEXT


# ---------------------------------------------------------------------- the map
def test_hand_set_sigmoid_map_is_high_right_of_the_axis(view, experiment):
    load(experiment, square_set(outputs=1), sigmoid_net())
    view.refresh()
    assert view.image.isVisible() and not view.banner.isVisible()
    image = view.image.image
    assert image.shape == (100, 100, 4) and image.dtype == np.uint8
    assert pixel(view, 0.9, 0.0) == tuple(view.map_lut[255]) == pixel(view, 0.9, -0.9)
    assert pixel(view, -0.9, 0.5) == tuple(view.map_lut[0])
    low, high = class_colours(False, 2)           # the ends are the class colours, washed a little
    bg = view.palette().color(QPalette.ColorRole.Base)
    for end, colour in ((0, low), (255, high)):
        washed = maps.wash(np.array([[colour.red(), colour.green(), colour.blue()]], np.uint8),
                           (bg.red(), bg.green(), bg.blue()), 0.3)[0]
        assert tuple(view.map_lut[end][:3]) == tuple(washed)
    header, rows = view.table()
    assert header == ["x1", "x2", "P(c1)"]
    rows = np.array(rows)
    assert rows.shape == (10_000, 3)
    assert (rows[rows[:, 0] > 0.5, 2] > 0.99).all() and (rows[rows[:, 0] < -0.5, 2] < 0.01).all()
    view.discretize.setChecked(True)
    view.refresh()
    colours = {tuple(c) for c in view.image.image.reshape(-1, 4).tolist()}
    assert colours == {tuple(view.map_lut[0]), tuple(view.map_lut[255])}   # hard edges


def test_three_classes_blend_their_colours_by_probability(view, experiment):
    ds = square_set(n_classes=3)
    load(experiment, ds, softmax_three())
    view.refresh()
    washed = view._map_classes
    for (x, y), k in (((-0.95, 0.0), 0), ((0.0, 0.95), 1), ((0.95, -0.95), 2)):
        got = np.array(pixel(view, x, y)[:3])
        assert np.abs(got - washed[k, :3].astype(int)).max() <= 6, (x, y, k)
    x, y = 0.0, 0.0                                    # undecided: a mixture, not one class colour
    got = np.array(pixel(view, x, y)[:3])
    assert min(np.abs(got - washed[k, :3].astype(int)).max() for k in range(3)) > 20
    assert view.table()[0] == ["x1", "x2", "P(c0)", "P(c1)", "P(c2)"]
    assert [view.legend.items[k][1].text for k in range(3)] == ["c0", "c1", "c2"]
    view.discretize.setChecked(True)
    view.refresh()
    assert pixel(view, 0.0, 0.95)[:3] == tuple(washed[1, :3])


def test_every_hidden_neuron_has_a_thumbnail_that_a_click_enlarges(view, experiment, qtbot):
    net = Network.create([2, 5, 3, 1], ["tanh", "relu", "sigmoid"], rng=np.random.default_rng(2))
    load(experiment, square_set(outputs=1), net)
    view.refresh()
    panel = view.thumbs
    assert panel.isVisible()
    assert len(panel.mosaic.cells) == 8 == sum(net.sizes[1:-1])
    texts = [label.text() for label in panel.labels]
    assert "Hidden 1 · tanh · 5" in texts and "Hidden 2 · relu · 3" in texts
    assert texts.count("#1") == 2 and "#5" in texts
    assert panel.image.image.shape[:2] == panel.mosaic.shape
    centre = panel.mapFromScene(panel.tile_centre(2, 1))
    qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert view.enlarged == (2, 1) and experiment.selected_neuron == (2, 1)
    view.refresh()
    assert view.back.isVisible() and "Hidden 2 #2 (relu)" in view._titles[0]
    acts = maps.MapEvaluator(view._grid.points).run(net.weights, net.biases, net.activations)
    lo, hi = maps.activation_scale("relu", acts[1][:, 1:2])
    expected = maps.lut_colours(maps.scale_indices(acts[1][:, 1], lo[0], hi[0]), view.neuron_lut)
    np.testing.assert_array_equal(view.image.image.reshape(-1, 4), expected)
    assert view.table()[0][-1] == "Hidden 2 #2 (relu)"
    assert panel.selected_frame.isVisible()
    qtbot.mouseClick(view.back, Qt.MouseButton.LeftButton)
    view.refresh()
    assert view.enlarged is None and not view.back.isVisible()
    view.thumbs_box.setChecked(False)
    view.refresh()
    assert not panel.isVisible()


# ---------------------------------------------------------------------- drawing points
def test_click_shift_click_and_right_click_edit_the_data_and_undo_restores_it(view, experiment, qtbot):
    original = square_set()
    load(experiment, original, sigmoid_net())
    view.refresh()
    viewport = view.canvas.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=widget_pos(view, 0.5, 0.5))
    ds = experiment.dataset
    assert ds is not original and len(ds.train) == 31 and ds.train.labels[-1] == 0
    assert tuple(ds.train.X[-1]) == pytest.approx((0.5, 0.5), abs=0.02)
    assert experiment.undo_stack.undoText() == "Add point"
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     widget_pos(view, -0.5, 0.25))
    ds = experiment.dataset
    assert len(ds.train) == 32 and ds.train.labels[-1] == 1 and list(ds.train.Y[-1]) == [0.0, 1.0]
    view.refresh()
    assert len(view.train_scatter.data) == 32
    bounds = view._bounds
    target = original.train.X[5]
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=widget_pos(view, target[0] + 0.01, target[1]))
    ds = experiment.dataset
    assert len(ds.train) == 31 and experiment.undo_stack.undoText() == "Remove point"
    assert not any(np.allclose(p, target) for p in ds.train.X)
    assert ds.params["points_added"] == 2 and ds.params["points_removed"] == 1
    view.refresh()
    assert view._bounds == bounds                     # edits inside the plane keep it
    assert view.plot.vb.menuEnabled() is False
    for _ in range(3):
        experiment.undo_stack.undo()
    assert experiment.dataset is original
    experiment.undo_stack.redo()
    assert len(experiment.dataset.train) == 31


def test_right_click_far_from_points_removes_nothing(view, experiment, qtbot):
    X = np.array([[-1, -1], [1, 1], [0.9, 0.9]], np.float32)
    ds = Dataset("S", "s", "classification", {"train": Split(X, np.eye(2)[[0, 1, 1]], np.array([0, 1, 1]))},
                 ["a", "b"], ["c"], class_names=["p", "q"])
    load(experiment, ds, sigmoid_net().__class__.create([2, 2], ["softmax"], "log-likelihood",
                                                       rng=np.random.default_rng(0)))
    view.refresh()
    messages = []
    experiment.message.connect(messages.append)
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.RightButton, pos=widget_pos(view, 0.0, 0.0))
    assert experiment.dataset is ds and messages and "No point near enough" in messages[-1]


def test_class_chooser_decides_a_plain_click(view, experiment, qtbot):
    load(experiment, square_set(n_classes=3), softmax_three())
    view.refresh()
    assert view.class_combo.isVisible() and view.class_combo.count() == 3
    view.class_combo.setCurrentIndex(2)
    assert "“c2”" in view.hint.text() and "Shift-click: “c0”" in view.hint.text()
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos(view, 0.2, 0.2))
    assert experiment.dataset.train.labels[-1] == 2
    assert list(experiment.dataset.train.Y[-1]) == [0.0, 0.0, 1.0]


def test_regression_plane_adds_the_spin_box_target(view, experiment):
    ds = load_dataset("plane:points=60")
    load(experiment, ds, Network.create([2, 3, 1], ["tanh", "linear"], "quadratic", rng=np.random.default_rng(0)))
    view.refresh()
    assert view.target_spin.isVisible() and not view.class_combo.isVisible()
    view.target_spin.setValue(0.75)
    assert view.add_point(1.0, 2.0) and experiment.dataset.train.Y[-1, 0] == pytest.approx(0.75)
    assert view.add_point(1.0, 2.0, shift=True) and experiment.dataset.train.Y[-1, 0] == pytest.approx(-0.75)
    two = Dataset("Two", "two", "regression", {"train": Split(np.zeros((3, 2)), np.zeros((3, 2)))},
                  ["a", "b"], ["y", "z"])
    load(experiment, two)
    view.refresh()
    assert "single regression target" in view.hint.text() and not view.add_point(0.0, 0.0)


# ---------------------------------------------------------------------- 1-D
def one_d_net():
    rng = np.random.default_rng(4)
    return Network([rng.normal(size=(1, 4)).astype(np.float32), rng.normal(size=(4, 1)).astype(np.float32)],
                   [rng.normal(size=4).astype(np.float32), np.array([0.3], np.float32)], ["tanh", "linear"],
                   "quadratic")


def test_one_input_shows_the_curve_and_each_neurons_contribution(view, experiment, qtbot):
    ds = load_dataset("sine:points=100")
    net = one_d_net()
    load(experiment, ds, net)
    view.refresh()
    assert view._mode == "line" and not view.image.isVisible() and not view.thumbs.isVisible()
    x, y = view.net_curves[0].getData()
    assert len(x) == maps.CURVE_POINTS
    np.testing.assert_allclose(y, net.forward(x.reshape(-1, 1))[:, 0], rtol=1e-5, atol=1e-6)
    assert len(view.contrib_curves) == 4 and all(c.isVisible() for c in view.contrib_curves)
    total = sum(c.getData()[1] for c in view.contrib_curves) + 0.3
    np.testing.assert_allclose(total, y, rtol=1e-4, atol=1e-5)    # linear output: Σ wⱼaⱼ + b
    header, rows = view.table()
    assert header[:2] == ["x", "sin"] and header[2].startswith("w·a Hidden 1 #1") and len(header) == 6
    assert len(rows) == maps.CURVE_POINTS
    assert len(view.train_scatter.data) == 80 and len(view.held_scatter.data) == 20
    view.contrib_box.setChecked(False)
    view.refresh()
    assert sum(isinstance(item, pg.PlotDataItem) for item in view.plot.items) == 1   # the network's curve
    assert len(view.table()[0]) == 2
    # the same view shows a plane again (no curve left over)
    load(experiment, square_set(outputs=1), sigmoid_net())
    view.refresh()
    assert view.image.isVisible() and not any(c.isVisible() for c in view.net_curves)
    load(experiment, ds, net)
    view.refresh()
    # drawing on a curve: a click adds (x, target y); a right-click removes the nearest point
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos(view, 0.5, 0.25))
    added = experiment.dataset.train
    assert len(added) == 81 and added.X[-1, 0] == pytest.approx(0.5, abs=0.02)
    assert added.Y[-1, 0] == pytest.approx(0.25, abs=0.03)
    view.refresh()
    assert view.remove_point(float(added.X[-1, 0]), float(added.Y[-1, 0]))
    assert len(experiment.dataset.train) == 80


# ---------------------------------------------------------------------- palette, settings, export
def test_palette_change_recolours_the_map(view, experiment):
    load(experiment, square_set(outputs=1), sigmoid_net())
    view.refresh()
    light_middle = tuple(view.neuron_lut[128][:3])
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#181818"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    view.setPalette(dark)
    assert view.is_dirty()
    view.refresh()
    assert tuple(view.neuron_lut[128][:3]) != light_middle
    assert max(abs(a - b) for a, b in zip(view.neuron_lut[128][:3], (0x18, 0x18, 0x18))) <= 2
    assert view.canvas.backgroundBrush().color().name() == "#181818"
    assert pixel(view, 0.9, 0.0) == tuple(view.map_lut[255])
    assert view.train_scatter.data["brush"][0].color().name() in [c.name() for c in class_colours(True, 2)]


def test_settings_round_trip_and_bad_values_are_ignored(view, experiment):
    load(experiment, square_set(n_classes=3), softmax_three())
    view.refresh()
    values = {"discretize": True, "show_held_out": False, "thumbnails": False, "contributions": False,
              "class": 2, "target": -0.5, "gradient_arrows": False}
    view.apply_settings(values)
    assert view.settings() == values
    view.apply_settings({"discretize": "yes", "class": 99, "target": float("nan"), "thumbnails": 1, "x": 3})
    assert view.settings() == values
    view.apply_settings(None)
    view.refresh()
    assert len(view.held_scatter.data) == 0 and not view.thumbs.isVisible()
    fresh = OutputMapView(Experiment())
    fresh.apply_settings({"class": 1})               # remembered until the data has that class
    fresh.experiment.set_dataset(square_set(n_classes=3), "square")
    fresh.refresh()
    assert fresh.class_combo.currentIndex() == 1
    fresh.deleteLater()


def test_png_and_csv_export(view, experiment, tmp_path):
    load(experiment, square_set(outputs=1), sigmoid_net())
    write_png(view, str(tmp_path / "map.png"))
    image = QImage(str(tmp_path / "map.png"))
    assert not image.isNull() and image.width() > 300
    write_csv(view, str(tmp_path / "map.csv"))
    with open(tmp_path / "map.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["x1", "x2", "P(c1)"] and len(rows) == 10_001
    assert float(rows[-1][2]) > 0.99                 # the top-right corner


def test_a_hidden_view_costs_nothing(qtbot, experiment):
    v = OutputMapView(experiment)
    qtbot.addWidget(v)
    clock = FrameClock(v)
    v.attach(clock)
    load(experiment, square_set(outputs=1), sigmoid_net())
    draws = []
    v.draw = lambda: draws.append(1)
    for _ in range(20):
        experiment.parameters_changed.emit()
    clock.tick()
    assert not draws and v.is_dirty()
    v.show()
    qtbot.waitUntil(lambda: bool(draws), timeout=2000)


def test_in_the_window_the_tab_draws_a_live_map(qtbot):
    window = open_window(qtbot)
    window.experiment.set_dataset(square_set(outputs=1), "square")
    window.experiment.adopt_network(sigmoid_net())
    assert window.raise_view("output-map")
    view = window.views["output-map"]
    qtbot.waitUntil(lambda: view.image.isVisible() and not view.is_dirty(), timeout=5000)
    assert pixel(view, 0.9, 0.0) == tuple(view.map_lut[255])
    window.set_modified(False)


# ---------------------------------------------------------------------- fitting the window
def spiral_and_net():
    ds = load_dataset("spiral:arms=3")
    net = Network.create([2, 16, 16, 3], ["tanh", "tanh", "softmax"], "log-likelihood",
                         rng=np.random.default_rng(0))
    return ds, net


def assert_fits(view):
    """Nothing of the plot is wider than its canvas; the thumbnail headers fit their panel."""
    QApplication.processEvents()          # the layouts settle
    width = view.canvas.width()
    assert view.canvas.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() <= width
    for item in (view.plot, view.plot.vb, view.legend, view.plot_title):
        assert item.sceneBoundingRect().right() <= width + 0.5, item
    panel = view.thumbs
    if panel.isVisible():
        for label in panel.labels:
            right = panel.mapFromScene(label.sceneBoundingRect()).boundingRect().right()
            assert right <= panel.viewport().width(), label.text()


@pytest.mark.parametrize("width", [420, 600, 1300])
def test_with_neuron_maps_the_plot_fits_its_canvas(qtbot, experiment, width):
    view = OutputMapView(experiment)
    qtbot.addWidget(view)
    view.resize(width, 620)
    view.show()
    qtbot.waitExposed(view)
    ds, net = spiral_and_net()
    load(experiment, ds, net)
    for _ in range(2):
        view.refresh()
    assert view.thumbs.isVisible()
    assert [label.text() for label in view.thumbs.labels if not label.text().startswith("#")] == \
        ["Hidden 1 · tanh · 16", "Hidden 2 · tanh · 16"]
    assert_fits(view)
    (x0, x1), _ = view.plot.vb.viewRange()
    assert x0 <= ds.train.X[:, 0].min() and x1 >= ds.train.X[:, 0].max()     # all the data is in view
    view.thumbs_box.setChecked(False)
    view.refresh()
    assert_fits(view)
    view.thumbs_box.setChecked(True)
    view.refresh()
    assert_fits(view)


# ---------------------------------------------------------------------- data sets, drawing, the plane
def classes_set(names, n_inputs=2, n=30, name="Other"):
    rng = np.random.default_rng(1)
    labels = np.arange(n) % len(names)
    return Dataset(name, name.lower(), "classification",
                   {"train": Split(rng.normal(size=(n, n_inputs)).astype(np.float32),
                                   np.eye(len(names), dtype=np.float32)[labels], labels)},
                   [f"f{i}" for i in range(n_inputs)], ["class"], class_names=list(names))


def test_the_class_chooser_is_refilled_for_every_data_set(view, experiment):
    ds, net = spiral_and_net()
    load(experiment, ds, net)
    view.refresh()
    items = lambda: [view.class_combo.itemText(i) for i in range(view.class_combo.count())]  # noqa: E731
    assert items() == ["arm 1", "arm 2", "arm 3"] and view.class_combo.isVisible()
    load(experiment, classes_set([str(d) for d in range(10)], n_inputs=784, name="Digits"))
    view.refresh()
    assert items() == [] and not view.class_combo.isVisible() and not view.class_label.isVisible()
    assert not view.hint.isVisible() and "784" in view.note.text()
    load(experiment, classes_set(["setosa", "versicolor", "virginica"], n_inputs=4, name="Iris"))
    view.refresh()
    assert items() == [] and not view.class_combo.isVisible()
    load(experiment, classes_set(["left", "right"]))
    view.refresh()
    assert items() == ["left", "right"] and view.class_combo.isVisible() and "“left”" in view.hint.text()
    big = classes_set(["p", "q"], n=MAX_POINTS, name="Big")
    load(experiment, big)
    view.refresh()
    assert not view.class_combo.isVisible() and "Drawing is for small data sets" in view.hint.text()
    assert view.hint.isVisible() and not view.add_point(0.0, 0.0)


def covers(view):
    """Whether the map's image covers the whole visible plot area."""
    (x0, x1), (y0, y1) = view.plot.vb.viewRange()
    rect = view.image.mapRectToParent(view.image.boundingRect())
    return rect.left() <= x0 and rect.right() >= x1 and rect.top() <= y0 and rect.bottom() >= y1


def test_drawing_never_moves_the_plane_and_undo_returns_the_same_view(view, experiment, qtbot):
    ds, net = spiral_and_net()
    load(experiment, ds, net)
    view.refresh()
    first = view.plot.vb.viewRange()
    grid = view._grid.bounds
    assert covers(view)
    (x0, x1), (y0, y1) = first
    corners = [(x0 + 0.02 * (x1 - x0), y0 + 0.02 * (y1 - y0)), (x1 - 0.02 * (x1 - x0), y1 - 0.02 * (y1 - y0)),
               (x0 + 0.02 * (x1 - x0), y1 - 0.02 * (y1 - y0))]
    for x, y in corners:                    # near the edges, outside the data's own range
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos(view, x, y))
        view.refresh()
        assert view.plot.vb.viewRange() == first and covers(view)
    assert len(experiment.dataset.train) == len(ds.train) + 3
    assert tuple(experiment.dataset.train.X[-1]) == pytest.approx(corners[-1], abs=0.05)
    for _ in corners:
        experiment.undo_stack.undo()
        view.refresh()
        assert view.plot.vb.viewRange() == first
    assert experiment.dataset is ds and view._grid.bounds == grid and covers(view)
    view.resize(700, 640)                   # a new shape: the plane widens, the map still covers it
    qtbot.wait(20)
    view.refresh()
    assert covers(view)
    load(experiment, square_set(), sigmoid_net())     # other data: a plane of its own
    view.refresh()
    assert view.plot.vb.viewRange()[0][1] < 2 and covers(view)


def test_the_faint_contribution_curves_have_a_legend_entry(view, experiment):
    load(experiment, load_dataset("sine:points=100"), one_d_net())
    view.refresh()
    labels = lambda: [label.text for _, label in view.legend.items]  # noqa: E731
    assert CONTRIB_ENTRY in labels()
    view.contrib_box.setChecked(False)
    view.refresh()
    assert CONTRIB_ENTRY not in labels() and not any(c.isVisible() for c in view.contrib_curves)
    view.contrib_box.setChecked(True)
    view.refresh()
    assert labels().count(CONTRIB_ENTRY) == 1
    sample = next(s for s, label in view.legend.items if label.text == CONTRIB_ENTRY)
    qtbot_click = pg.QtCore.QPointF(5, 5)
    event = type("Click", (), {"button": lambda self: Qt.MouseButton.LeftButton, "accept": lambda self: None,
                               "pos": lambda self: qtbot_click})()
    sample.mouseClickEvent(event)           # a click on the entry hides the curves like the checkbox
    assert not view.contrib_box.isChecked()
    view.refresh()
    assert CONTRIB_ENTRY not in labels()
    load(experiment, square_set(outputs=1), sigmoid_net())
    view.refresh()
    assert CONTRIB_ENTRY not in labels()
