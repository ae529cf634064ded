"""The Gradient bars view: ∂C/∂b bars of a hand-set network over the training set, the latest
batch's while training, first-N chooser, shared or per-layer scale, ‖δˡ‖ labels, cache, notes, NaN,
theme, settings and export."""

import csv
import math

import numpy as np
import pytest
from PySide6.QtGui import QColor, QPalette

from workbench.core.network import Network
from workbench.core.training import full_bias_gradient
from workbench.data.dataset import Dataset, Split
from workbench.gui.experiment import Experiment
from workbench.gui.palette import layer_colours
from workbench.gui.views import gradient_bars as gb
from workbench.gui.views.base import write_csv, write_png
from workbench.gui.views.gradient_bars import NO_DATA, NO_NETWORK, GradientBarsView


def dataset(n=40, d=3, k=2):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d)).astype(np.float32)
    labels = (X[:, 0] > 0).astype(np.int64) % k
    Y = np.eye(k, dtype=np.float32)[labels]
    return Dataset("blobs", "blobs", "classification", {"train": Split(X, Y, labels)},
                   [f"x{i}" for i in range(d)], ["class"], [str(c) for c in range(k)])


def hand_set_net(sizes=(3, 8, 5, 2), dtype=np.float64):
    """Fixed weights (a deterministic pattern) and biases: a sigmoid net with these sizes."""
    weights = [np.sin(np.arange(a * b, dtype=dtype).reshape(a, b) + l) for l, (a, b) in
               enumerate(zip(sizes[:-1], sizes[1:]))]
    biases = [np.cos(np.arange(b, dtype=dtype)) / 2 for b in sizes[1:]]
    return Network(weights, biases, ["sigmoid"] * (len(sizes) - 1), "quadratic")


def make_view(qtbot, data=None, net=None):
    exp = Experiment()
    if data is not None:
        exp.set_dataset(data, data.spec)
    if net is not None:
        exp.adopt_network(net)
    view = GradientBarsView(exp)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    return exp, view


def heights(view, l):
    return np.asarray(view.bars[l].opts["height"], dtype=float)


def test_bars_are_the_full_batch_bias_gradient_of_the_network(qtbot):
    data, net = dataset(), hand_set_net()
    exp, view = make_view(qtbot, data, net)
    expected = full_bias_gradient(net, data.train.X, data.train.Y)
    view.apply_settings({"first_n": 0})
    view.refresh()
    assert len(view.bars) == 3
    for l in range(3):
        np.testing.assert_allclose(heights(view, l), expected[l], rtol=1e-6)
        assert list(view.bars[l].opts["x"]) == list(range(1, len(expected[l]) + 1))
    assert "whole training set" in view.info.text() and "40 samples" in view.info.text()
    header, rows = view.table()
    assert header == ["layer", "neuron", "∂C/∂b"] and len(rows) == 8 + 5 + 2
    assert rows[0][:2] == ["Hidden 1", 1] and math.isclose(rows[0][2], expected[0][0])
    assert rows[-1][0] == "Output"


def test_each_layer_title_gives_the_length_of_its_gradient(qtbot):
    data, net = dataset(), hand_set_net()
    exp, view = make_view(qtbot, data, net)
    expected = full_bias_gradient(net, data.train.X, data.train.Y)
    for l, name in enumerate(["Hidden 1", "Hidden 2", "Output"]):
        text = view.titles[l].text
        norm = float(np.linalg.norm(expected[l]))
        assert text.startswith(name) and f"= {norm:.3g}" in text
    assert "‖δ¹‖" in view.titles[0].text and "‖δ³‖" in view.titles[2].text


def test_the_first_n_chooser_limits_the_bars_and_says_so(qtbot):
    exp, view = make_view(qtbot, dataset(), hand_set_net(sizes=(3, 40, 2)))
    assert view.first_n == 6
    assert len(heights(view, 0)) == 6 and "first 6 of 40" in view.titles[0].text
    assert len(heights(view, 1)) == 2 and "all 2" in view.titles[1].text
    view.n_box.setCurrentIndex(gb.FIRST_N.index(30))
    view.refresh()
    assert len(heights(view, 0)) == 30
    view.n_box.setCurrentIndex(gb.FIRST_N.index(0))
    view.refresh()
    assert len(heights(view, 0)) == 40 and "all 40" in view.titles[0].text


def test_one_y_scale_for_all_layers_or_one_each(qtbot):
    exp, view = make_view(qtbot, dataset(), hand_set_net())
    ranges = [plot.vb.viewRange()[1] for plot in view.plots]
    assert all(np.allclose(r, ranges[0]) for r in ranges)
    top = max(np.abs(heights(view, l)).max() for l in range(3))
    assert ranges[0][1] >= top and ranges[0][1] < 1.2 * top
    view.shared_box.setChecked(False)
    view.refresh()
    for l, plot in enumerate(view.plots):
        y_top = plot.vb.viewRange()[1][1]
        own = np.abs(heights(view, l)).max()
        assert own <= y_top < 1.2 * own
    assert "own y scale" in view.info.text()


def test_while_training_the_latest_batch_gradient_is_shown(qtbot):
    data, net = dataset(), hand_set_net()
    exp, view = make_view(qtbot, data, net)
    grads = [np.full(8, 0.25), np.linspace(-1, 1, 5), np.array([3.0, -4.0])]
    exp.set_snapshot([w.copy() for w in net.weights], [b.copy() for b in net.biases], grads)
    assert view.is_dirty()
    view.refresh()
    assert "latest batch" in view.info.text()
    np.testing.assert_allclose(heights(view, 2), [3.0, -4.0])
    assert "= 5" in view.titles[2].text
    view.apply_settings({"source": "training-set"})
    view.refresh()
    assert "training set" in view.info.text()
    np.testing.assert_allclose(heights(view, 2), full_bias_gradient(net, data.train.X, data.train.Y)[2])
    exp.run_finished()                          # no snapshot: the training set again, whatever the source
    view.apply_settings({"source": "auto"})
    view.refresh()
    assert "training set" in view.info.text()


def test_the_full_batch_gradient_is_computed_once_per_network_state(qtbot, monkeypatch):
    calls = []
    real = gb.full_bias_gradient
    monkeypatch.setattr(gb, "full_bias_gradient", lambda *a: calls.append(1) or real(*a))
    net = hand_set_net()
    exp, view = make_view(qtbot, dataset(), net)
    view.refresh()
    view.apply_settings({"shared": False, "first_n": 10})
    view.refresh()
    assert len(calls) == 1
    net.weights[0][0, 0] += 1.0                 # trained in place
    exp.run_finished()
    view.refresh()
    assert len(calls) == 2


def test_a_large_training_set_uses_its_first_samples_and_says_how_many(qtbot):
    data = dataset(n=gb.SAMPLE_CAP + 100)
    net = hand_set_net()
    exp, view = make_view(qtbot, data, net)
    assert f"first {gb.SAMPLE_CAP} of {gb.SAMPLE_CAP + 100}" in view.info.text()
    expected = full_bias_gradient(net, data.train.X[:gb.SAMPLE_CAP], data.train.Y[:gb.SAMPLE_CAP])
    np.testing.assert_allclose(heights(view, 1), expected[1], rtol=1e-6)


def test_notes_without_a_network_or_without_fitting_data(qtbot):
    exp, view = make_view(qtbot)
    assert view.note.isVisible() and view.note.text() == NO_NETWORK and not view.canvas.isVisible()
    assert view.table() is None
    exp.adopt_network(hand_set_net())
    view.refresh()
    assert view.note.text() == NO_DATA
    exp.set_dataset(dataset(d=5), "blobs")      # 5 inputs for a network of 3
    view.refresh()
    assert view.note.text() == NO_DATA
    exp.set_dataset(dataset(), "blobs")
    view.refresh()
    assert not view.note.isVisible() and view.canvas.isVisible()


def test_nan_gradients_are_said_and_do_not_crash(qtbot):
    net = hand_set_net()
    exp, view = make_view(qtbot, dataset(), net)
    grads = [np.full(8, np.nan), np.linspace(-1, 1, 5), np.array([np.inf, 1.0])]
    exp.set_snapshot([w.copy() for w in net.weights], [b.copy() for b in net.biases], grads)
    view.refresh()
    assert "NaN" in view.info.text()
    assert "not defined" in view.titles[0].text and "not defined" in view.titles[2].text
    np.testing.assert_allclose(heights(view, 2), [0.0, 1.0])
    bad = hand_set_net()
    bad.weights[0][:] = np.nan
    exp.run_finished()
    exp.adopt_network(bad)
    view.refresh()
    assert "NaN" in view.info.text()


def test_bars_take_the_layer_colours_of_the_palette(qtbot):
    exp, view = make_view(qtbot, dataset(), hand_set_net())
    light = layer_colours(3, False)
    assert view.bars[0].opts["brush"].color() == light[0]
    dark = QPalette(view.palette())
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
        dark.setColor(role, QColor(30, 30, 30))
    dark.setColor(QPalette.ColorRole.Text, QColor(230, 230, 230))
    view.setPalette(dark)
    view.refresh()
    colours = layer_colours(3, True)
    assert [bar.opts["brush"].color() for bar in view.bars] == colours
    assert view.plots[0].getAxis("left").textPen().color() == QColor(230, 230, 230)


def test_a_new_architecture_rebuilds_the_rows(qtbot):
    exp, view = make_view(qtbot, dataset(), hand_set_net())
    exp.adopt_network(hand_set_net(sizes=(3, 4, 2)))
    view.refresh()
    assert len(view.plots) == 2 and view.titles[1].text.startswith("Output")


def test_settings_round_trip_and_bad_values_are_ignored(qtbot):
    exp, view = make_view(qtbot, dataset(), hand_set_net())
    view.apply_settings({"first_n": 30, "shared": False, "source": "training-set"})
    assert view.settings() == {"first_n": 30, "shared": False, "source": "training-set"}
    view.apply_settings({"first_n": 7, "shared": "yes", "source": "moon", "x": 1})
    view.apply_settings({"first_n": True})
    view.apply_settings([])
    assert view.settings() == {"first_n": 30, "shared": False, "source": "training-set"}


def test_png_and_csv_export(qtbot, tmp_path):
    data, net = dataset(), hand_set_net()
    exp, view = make_view(qtbot, data, net)
    write_png(view, str(tmp_path / "bars.png"))
    assert (tmp_path / "bars.png").read_bytes()[:4] == b"\x89PNG"
    write_csv(view, str(tmp_path / "bars.csv"))
    with open(tmp_path / "bars.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["layer", "neuron", "∂C/∂b"] and len(rows) == 16
    expected = full_bias_gradient(net, data.train.X, data.train.Y)
    assert rows[-1][:2] == ["Output", "2"] and math.isclose(float(rows[-1][2]), expected[2][1], rel_tol=1e-6)
