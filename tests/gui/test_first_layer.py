"""The First layer view: tiles of hand-set first-layer weights, selection by click and from the
model, paging of wide layers, hover readout, empty notes, NaN weights, theme, settings, export, cost."""

import csv
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette

from workbench.core import layer_maths as lm
from workbench.core.network import Network
from workbench.data import load_dataset
from workbench.data.dataset import Dataset, Split
from workbench.gui.experiment import Experiment
from workbench.gui.plots.diagram import POSITIVE_DARK, POSITIVE_LIGHT
from workbench.gui.views.base import write_csv, write_png
from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, window  # noqa: F401
from workbench.gui.views.first_layer import HINT, NO_DATA, NO_NETWORK, FirstLayerView, not_image_text


def image_dataset(side=4, n=20, classes=2):
    """A tiny data set of side×side "images" (random pixels) in ``classes`` classes."""
    rng = np.random.default_rng(0)
    X = rng.random((n, side * side)).astype(np.float32)
    labels = np.arange(n) % classes
    Y = np.eye(classes, dtype=np.float32)[labels]
    return Dataset("tiny images", "tiny", "classification", {"train": Split(X, Y, labels)},
                   [f"pixel {i}" for i in range(side * side)], ["class"], [str(c) for c in range(classes)],
                   input_shape=(side, side))


def features_dataset(d, n=10):
    """Non-image data with ``d`` named features and two classes."""
    X = np.random.default_rng(0).standard_normal((n, d)).astype(np.float32)
    labels = np.arange(n) % 2
    return Dataset("features", "features", "classification", {"train": Split(X, np.eye(2)[labels], labels)},
                   [f"feature {i}" for i in range(d)], ["class"], ["a", "b"])


def hand_set_net(hidden=3, side=4, outputs=2):
    """W[0] (16, hidden): neuron 0 has +1 at pixel (0, 0), neuron 1 −1 at pixel (3, 3), the rest 0."""
    W0 = np.zeros((side * side, hidden), dtype=np.float32)
    W0[0, 0] = 1.0
    W0[side * side - 1, 1] = -1.0
    W1 = np.ones((hidden, outputs), dtype=np.float32)
    return Network([W0, W1], [np.arange(hidden, dtype=np.float32) / 10, np.zeros(outputs, np.float32)],
                   ["sigmoid", "sigmoid"], "cross-entropy")


def make_view(qtbot, dataset=None, net=None, size=(700, 500)):
    exp = Experiment()
    if dataset is not None:
        exp.set_dataset(dataset, dataset.spec)
    if net is not None:
        exp.adopt_network(net)
    view = FirstLayerView(exp)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    return exp, view


def pixel(view, k, row, col, side=4):
    """The colour painted at the middle of image pixel (row, col) of the k-th tile of the page."""
    r = view.canvas.tile_rect(k)
    image = view.canvas.grab().toImage()
    x = r.x() + int((col + 0.5) * r.width() / side)
    y = r.y() + int((row + 0.5) * r.height() / side)
    return image.pixelColor(x, y)


def test_each_tile_shows_its_neurons_weights_as_the_image(qtbot):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net())
    assert view.canvas.isVisible() and not view.note.isVisible()
    assert list(view.canvas.tiles.neurons) == [0, 1, 2]
    base = view.palette().color(QPalette.ColorRole.Base)
    positive = POSITIVE_LIGHT if base.lightness() >= 128 else POSITIVE_DARK
    assert pixel(view, 0, 0, 0) == positive                       # +1 on the scale ±1: full positive
    assert pixel(view, 0, 1, 2) == base                           # 0: the background
    assert pixel(view, 1, 3, 3) == QColor(*view.lut[0][:3])       # −1: full negative
    assert pixel(view, 2, 2, 2) == base
    assert view.canvas.captions == ["#1  b 0", "#2  b 0.1", "#3  b 0.2"]
    assert view.canvas.legend[0] == "−1" and view.canvas.legend[1] == "+1"
    assert view.readout.text() == HINT


def test_own_scale_makes_a_small_weight_full_colour(qtbot):
    net = hand_set_net()
    net.weights[0][5, 2] = 0.01
    exp, view = make_view(qtbot, image_dataset(), net)
    assert pixel(view, 2, 1, 1) != QColor(*view.lut[lm.LEVELS - 1][:3])
    view.apply_settings({"scale": "own"})
    view.refresh()
    assert pixel(view, 2, 1, 1) == QColor(*view.lut[lm.LEVELS - 1][:3])
    assert "own" in view.canvas.legend[2]


def test_clicking_a_tile_selects_its_neuron_and_the_outline_follows_the_model(qtbot):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net())
    centre = view.canvas.tile_rect(2).center()
    with qtbot.waitSignal(exp.neuron_selected):
        qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=centre)
    assert exp.selected_neuron == (1, 2)
    view.refresh()
    assert view.canvas.selected == 2
    highlight = view.palette().color(QPalette.ColorRole.Highlight)
    r = view.canvas.tile_rect(2)
    assert view.canvas.grab().toImage().pixelColor(r.x() - 2, r.center().y()) == highlight
    exp.select_neuron(1, 0)
    assert view.is_dirty()
    view.refresh()
    assert view.canvas.selected == 0
    exp.select_neuron(2, 1)                                          # an output neuron: no tile outlined
    view.refresh()
    assert view.canvas.selected == -1


def test_a_click_between_tiles_selects_nothing(qtbot):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net())
    r = view.canvas.tile_rect(0)
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(r.center().x(), r.bottom() + 3))
    assert exp.selected_neuron is None


def test_hover_reads_out_the_neuron_pixel_and_weight(qtbot):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net())
    r = view.canvas.tile_rect(1)
    qtbot.mouseMove(view.canvas, QPoint(r.right() - 2, r.bottom() - 2))        # pixel (3, 3) of neuron #2
    qtbot.waitUntil(lambda: "w = " in view.readout.text())
    text = view.readout.text()
    assert "Hidden 1 #2" in text and "row 4, column 4" in text and "input #16" in text and "w = -1" in text
    assert "bias 0.1" in text


def test_a_wide_layer_is_shown_a_page_at_a_time(qtbot):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net(hidden=400), size=(500, 400))
    n = len(view.canvas.tiles.neurons)
    assert 1 < n < 400 and view.canvas.grid.tile_w >= 48
    assert view.page_label.isVisible() and view.page_label.text() == f"neurons 1–{n} of 400"
    assert not view.previous_button.isEnabled() and view.next_button.isEnabled()
    view.next_button.click()
    view.refresh()
    assert view.canvas.tiles.neurons[0] == n and view.previous_button.isEnabled()
    exp.select_neuron(1, 399)                                        # selected elsewhere: its page comes
    view.refresh()
    assert 399 in view.canvas.tiles.neurons and view.canvas.selected == list(view.canvas.tiles.neurons).index(399)
    assert not view.next_button.isEnabled()


def test_a_narrow_layer_is_one_page_without_page_buttons(qtbot):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net())
    assert not view.page_label.isVisible() and not view.next_button.isVisible()


def test_notes_for_no_network_no_data_and_data_that_is_not_images(qtbot):
    exp, view = make_view(qtbot)
    assert view.note.isVisible() and view.note.text() == NO_NETWORK and not view.canvas.isVisible()
    assert view.table() is None
    exp.adopt_network(hand_set_net())
    view.refresh()
    assert view.note.text() == NO_DATA
    wide = features_dataset(100)
    exp.set_dataset(wide, wide.spec)
    exp.adopt_network(Network.create([100, 3, 2], ["sigmoid", "sigmoid"], rng=np.random.default_rng(0)))
    view.refresh()
    assert view.note.text() == not_image_text(100)
    assert "the current data has 100 inputs" in view.note.text()
    exp.set_dataset(image_dataset(), "tiny")
    exp.adopt_network(hand_set_net())
    view.refresh()
    assert not view.note.isVisible() and view.canvas.isVisible()


def test_nan_weights_are_drawn_grey_and_said(qtbot):
    net = hand_set_net()
    net.weights[0][5, 0] = np.nan
    net.weights[0][6, 0] = np.inf
    exp, view = make_view(qtbot, image_dataset(), net)
    assert "NaN" in view.readout.text()
    assert pixel(view, 0, 1, 1) == QColor(128, 128, 128)
    assert pixel(view, 0, 0, 0) == QColor(*view.lut[lm.LEVELS - 1][:3])     # the finite scale: ±1
    assert view.canvas.legend[1] == "+1"


def test_live_snapshots_redraw_the_tiles(qtbot):
    net = hand_set_net()
    exp, view = make_view(qtbot, image_dataset(), net)
    weights = [w.copy() for w in net.weights]
    weights[0][:, 2] = 0.5
    exp.set_snapshot(weights, [b.copy() for b in net.biases], None)
    assert view.is_dirty()
    view.refresh()
    assert pixel(view, 2, 3, 0) == QColor(*view.lut[lm.colour_indices(0.5, 1.0)][:3])    # 0.5 of ±1


def test_the_palette_change_recolours_the_background_of_the_scale(qtbot):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net())
    dark = QPalette(view.palette())
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
        dark.setColor(role, QColor(30, 30, 30))
    dark.setColor(QPalette.ColorRole.Text, QColor(230, 230, 230))
    view.setPalette(dark)
    view.refresh()
    assert tuple(view.lut[lm.MID][:3]) == (30, 30, 30)
    assert pixel(view, 0, 0, 0) == POSITIVE_DARK
    assert pixel(view, 0, 2, 2) == QColor(30, 30, 30)


def test_settings_round_trip_and_bad_values_are_ignored(qtbot):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net())
    view.apply_settings({"scale": "own", "columns": 2, "first": 1})
    assert view.settings() == {"scale": "own", "columns": 2, "first": 1}
    view.refresh()
    assert view.canvas.grid.columns == 2
    view.apply_settings({"scale": "loud", "columns": -3, "first": "x", "other": 1})
    view.apply_settings({"columns": True})
    view.apply_settings(None)
    assert view.settings() == {"scale": "own", "columns": 2, "first": 1}


def test_png_and_csv_export(qtbot, tmp_path):
    exp, view = make_view(qtbot, image_dataset(), hand_set_net())
    write_png(view, str(tmp_path / "tiles.png"))
    assert (tmp_path / "tiles.png").read_bytes()[:4] == b"\x89PNG"
    write_csv(view, str(tmp_path / "tiles.csv"))
    with open(tmp_path / "tiles.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["neuron", "input", "row", "column", "weight"]
    assert len(rows) == 1 + 16 * 3
    assert ["1", "1", "1", "1", "1"] in rows and ["2", "16", "4", "4", "-1"] in rows


def test_a_draw_of_a_784_100_10_network_is_cheap(qtbot):
    rng = np.random.default_rng(0)
    net = Network.create([784, 100, 10], ["sigmoid", "sigmoid"], rng=rng)
    exp, view = make_view(qtbot, image_dataset(side=28, n=10, classes=10), net, size=(1000, 800))
    assert len(view.canvas.tiles.neurons) == 100
    times = []
    for _ in range(10):
        start = time.perf_counter()
        view.refresh()
        view.canvas.repaint()
        times.append(time.perf_counter() - start)
    assert min(times) < 0.05, times          # measured ≈ 2–3 ms on the development machine


def test_few_non_image_inputs_show_the_weight_matrix_with_feature_names(qtbot):
    xor = load_dataset("xor")
    W0 = np.array([[1.0, 0.0, -0.5], [0.0, -1.0, 0.25]], dtype=np.float32)
    net = Network([W0, np.ones((3, 1), np.float32)], [np.zeros(3, np.float32), np.zeros(1, np.float32)],
                  ["sigmoid", "sigmoid"], "cross-entropy")
    exp, view = make_view(qtbot, xor, net)
    assert not view.note.isVisible() and view.canvas.matrix is not None
    assert view.canvas.row_labels == list(xor.feature_names)
    base = view.palette().color(QPalette.ColorRole.Base)

    def cell(k, i):
        r = view.canvas.tile_rect(k)
        h = r.height() // 2
        return view.canvas.grab().toImage().pixelColor(r.center().x(), r.y() + i * h + h // 2)

    assert cell(0, 0) == QColor(*view.lut[lm.LEVELS - 1][:3]) and cell(0, 1) == base
    assert cell(1, 1) == QColor(*view.lut[0][:3])
    assert cell(2, 1) == QColor(*view.lut[lm.colour_indices(0.25, 1.0)][:3])
    r = view.canvas.tile_rect(2)
    qtbot.mouseMove(view.canvas, QPoint(r.center().x(), r.bottom() - 2))
    qtbot.waitUntil(lambda: "w = " in view.readout.text())
    assert f"input #2 ({xor.feature_names[1]})" in view.readout.text() and "w = 0.25" in view.readout.text()
    with qtbot.waitSignal(exp.neuron_selected):
        qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=r.center())
    assert exp.selected_neuron == (1, 2)
    view.refresh()
    assert view.canvas.selected == 2
    header, rows = view.table()
    assert header == ["neuron", "input", "feature", "weight"] and len(rows) == 6
    assert rows[5] == [3, 2, xor.feature_names[1], 0.25]


def test_in_the_window_a_clicked_tile_selects_the_neuron_in_the_diagram(window, qtbot):
    exp = window.experiment
    data = image_dataset()
    exp.set_dataset(data, data.spec)
    exp.set_architecture({"sizes": [16, 3, 2], "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"})
    exp.adopt_network(hand_set_net())
    window.raise_view("first-layer")
    view = window.views["first-layer"]
    qtbot.waitUntil(lambda: view.canvas.isVisible() and view.canvas.tiles is not None and not view.is_dirty())
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=view.canvas.tile_rect(1).center())
    assert exp.selected_neuron == (1, 1)
    assert window.views["diagram"].diagram.selected_neuron() == (1, 1)
    qtbot.waitUntil(lambda: view.canvas.selected == 1)
