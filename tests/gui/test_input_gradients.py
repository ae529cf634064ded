"""The Input gradients view (dream a class, adversarial nudge, saliency) on a tiny 4×4-image data
set, and the input-gradient arrows of the Output map on 2-D data: pictures drawn, dreaming driven by
the frame clock and stopped, the ε slider and the smallest-ε search (at once and on a helper thread),
recomputation for a new network, empty notes, settings, tables and exports."""

import re

import numpy as np
import pytest

from workbench.core import Network
from workbench.core import input_gradients as ig
from workbench.data.dataset import Dataset, Split
from workbench.gui.experiment import Experiment
from workbench.gui.frame_clock import FrameClock
from workbench.gui.views import input_gradients_parts as parts
from workbench.gui.views.base import write_csv, write_png
from workbench.gui.views.input_gradients import (DREAM_STEPS_PER_FRAME, NO_NETWORK, NOT_IMAGES,
                                                 InputGradientsView)
from workbench.gui.views.output_map import OutputMapView

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads  # noqa: F401

SIDE, CLASSES = 4, 3


def image_set(n_test=12, seed=0):
    """4×4 images in [0, 1] of three classes (a bright left column, middle or right column)."""
    rng = np.random.default_rng(seed)

    def split(n):
        labels = rng.integers(0, CLASSES, n)
        X = rng.uniform(0.0, 0.3, (n, SIDE, SIDE))
        for i, c in enumerate(labels):
            X[i, :, c + (c > 0)] += 0.6
        return Split(X.reshape(n, -1), np.eye(CLASSES)[labels], labels)

    return Dataset("tiny images", "tiny", "classification", {"train": split(30), "test": split(n_test)},
                   [f"p{i}" for i in range(SIDE * SIDE)], ["class"], class_names=["left", "middle", "right"],
                   input_shape=(SIDE, SIDE))


def image_net(seed=1, scale=3.0):
    rng = np.random.default_rng(seed)
    net = Network.create([SIDE * SIDE, 8, CLASSES], ["tanh", "softmax"], "log-likelihood", rng=rng)
    for w in net.weights:
        w *= scale
    return net


def plane_set(n=30):
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    X[:2] = [[-1, -1], [1, 1]]
    labels = (X[:, 0] > 0).astype(np.int64)
    return Dataset("Plane", "plane", "classification", {"train": Split(X, labels.reshape(-1, 1), labels)},
                   ["x1", "x2"], ["class"], class_names=["a", "b"])


@pytest.fixture
def experiment():
    return Experiment()


@pytest.fixture
def view(qtbot, experiment):
    v = InputGradientsView(experiment)
    qtbot.addWidget(v)
    v.resize(1000, 700)
    v.show()
    qtbot.waitExposed(v)
    return v


def load(experiment, dataset=None, net=None):
    dataset = dataset or image_set()
    experiment.set_dataset(dataset, dataset.spec)
    experiment.adopt_network(net or image_net())


def flipping_item(net, ds):
    """An item of the test split whose label flips below the slider's end."""
    for i in range(len(ds.test)):
        if ig.smallest_flip(net, ds.test.X[i], ds.test.Y[i], parts.EPS_MAX, coarse=50) is not None:
            return i
    raise AssertionError("no test item flips")


def test_empty_notes_name_what_is_missing(view, experiment):
    view.refresh()
    assert view.note.isVisible() and view.note.text() == NOT_IMAGES and not view.pages.isVisible()
    assert view.table() is None
    experiment.set_dataset(plane_set(), "plane")
    view.refresh()
    assert view.note.text() == NOT_IMAGES and "Output map" in NOT_IMAGES
    experiment.set_dataset(image_set(), "tiny")
    view.refresh()
    assert view.note.text() == NO_NETWORK
    experiment.adopt_network(Network.create([16, 4, 2], ["tanh", "softmax"], "log-likelihood",
                                            rng=np.random.default_rng(0)))
    view.refresh()
    assert "fit the layers to the data" in view.note.text()
    net = image_net()
    net.weights[0][0, 0] = np.nan
    experiment.adopt_network(net)
    view.refresh()
    assert "not finite" in view.note.text()
    experiment.adopt_network(image_net())
    view.refresh()
    assert not view.note.isVisible() and view.pages.isVisible()


def test_dream_updates_the_picture_live_and_stop_stops(qtbot, view, experiment):
    load(experiment)
    view.apply_settings({"dream_class": 2, "steps": 5 * DREAM_STEPS_PER_FRAME, "lr": 0.5, "l2": 0.0})
    view.refresh()
    start = view.dream_image.copy()
    p_start = view.dream.bars.scores[2]
    assert view.dream.box.image is not None and "Dreamt right" in view.dream.box.title
    clock = FrameClock()
    view.attach(clock)
    draws = []
    original = view.draw
    view.draw = lambda: (draws.append(1), original())[1]
    view.dream.start_button.click()
    assert not view.dream.start_button.isEnabled() or view.running
    qtbot.waitUntil(lambda: not view.running, timeout=5000)
    assert view.dream_done == 5 * DREAM_STEPS_PER_FRAME
    assert len(draws) >= 5                                  # a few steps a frame: the picture moves live
    assert not np.array_equal(view.dream_image, start)
    assert view.dream.bars.scores[2] > p_start
    assert view.dream_image.min() >= 0.0 and view.dream_image.max() <= 1.0
    assert "done" in view.dream.status.text()
    # a long dream, stopped part way: nothing moves after Stop
    view.apply_settings({"steps": 100_000})
    view.dream.start_button.click()
    qtbot.waitUntil(lambda: view.dream_done >= 3 * DREAM_STEPS_PER_FRAME, timeout=5000)
    view.dream.stop_button.click()
    view.refresh()
    stopped, done = view.dream_image.copy(), view.dream_done
    for _ in range(3):
        view.refresh()
    assert np.array_equal(view.dream_image, stopped) and view.dream_done == done and not view.running
    assert "stopped" in view.dream.status.text()
    header, rows = view.table()
    assert header == ["pixel", "row", "column", "value"] and len(rows) == 16
    assert rows[5][:3] == [5, 1, 1] and rows[5][3] == pytest.approx(stopped[5])
    view.dream.reset_button.click()
    view.refresh()
    assert view.dream_done == 0 and not np.array_equal(view.dream_image, stopped)
    view.dream.start_combo.setCurrentIndex(1)               # the mean image
    view.refresh()
    np.testing.assert_allclose(view.dream_image, experiment.dataset.train.X.mean(axis=0), rtol=1e-5)


def test_the_eps_slider_changes_the_result(view, experiment):
    load(experiment)
    view.apply_settings({"mode": "adversarial", "item": 3, "eps": 0.0})
    view.refresh()
    assert view.pages.currentWidget() is view.adv and view.item_spin.isVisible() and view.item_spin.value() == 4
    header, rows = view.table()
    assert header[3:] == ["original", "nudge", "result"]
    table = np.array(rows)
    np.testing.assert_array_equal(table[:, 5], table[:, 3])
    x = experiment.dataset.test.X[3]
    np.testing.assert_allclose(table[:, 3], x, rtol=1e-6)
    assert "true" in view.adv.original_box.caption and "predicted" in view.adv.result_box.caption
    view.adv.eps_slider.setValue(2000)                      # ε = 0.2
    view.refresh()
    table = np.array(view.table()[1])
    assert view.adv.eps_label.text() == "0.2000"
    assert not np.array_equal(table[:, 5], table[:, 3])
    assert np.abs(table[:, 4]).max() == pytest.approx(0.2) and np.all(np.abs(table[:, 4]) <= 0.2 + 1e-9)
    expected = ig.adversarial(experiment.net, x, experiment.dataset.test.Y[3], 0.2)
    np.testing.assert_allclose(table[:, 5], expected)
    assert view.adv.nudge_box.image is not None and "0.2000" in view.adv.nudge_box.caption


@pytest.mark.parametrize("threaded", [False, True])
def test_smallest_eps_button_reports_a_flip(qtbot, view, experiment, monkeypatch, threaded):
    if threaded:
        monkeypatch.setattr(parts, "FLIP_SYNC_WORK", 0.0)
    load(experiment)
    i = flipping_item(experiment.net, experiment.dataset)
    view.apply_settings({"mode": "adversarial", "item": i, "eps": 0.0})
    view.refresh()
    before = view.adv.original_box.caption
    view.adv.flip_button.click()
    qtbot.waitUntil(lambda: "Smallest ε" in view.flip_text, timeout=5000)
    assert view.adv.flip_button.isEnabled()
    view.refresh()
    assert "Smallest ε that changes the prediction" in view.adv.status.text()
    eps = view.state["eps"]
    assert eps > 0
    found = ig.smallest_flip(experiment.net, experiment.dataset.test.X[i], experiment.dataset.test.Y[i],
                             parts.EPS_MAX, coarse=parts.FLIP_COARSE, resolution=parts.EPS_STEP)
    assert found.eps <= eps < found.eps + parts.EPS_STEP
    shown, still = re.search(r"prediction: ([0-9.]+) .* at ([0-9.]+) it is still", view.flip_text).groups()
    assert float(shown) == pytest.approx(eps) and float(still) < float(shown)   # two different figures
    original = before.split("predicted ")[1].split(" ")[0]
    assert view.adv.result_box.caption.split("predicted ")[1].split(" ")[0] != original


def test_a_search_that_finds_nothing_says_so(view, experiment):
    net = image_net(scale=0.01)                            # nearly constant outputs: nothing flips
    load(experiment, net=net)
    view.apply_settings({"mode": "adversarial"})
    view.refresh()
    view.adv.flip_button.click()
    assert "No ε up to 0.5" in view.flip_text


def test_saliency_shows_the_gradient_beside_the_item(view, experiment):
    load(experiment)
    view.apply_settings({"mode": "saliency", "item": 2})
    view.refresh()
    assert view.pages.currentWidget() is view.sal
    assert view.sal.item_box.image is not None and view.sal.saliency_box.image is not None
    header, rows = view.table()
    assert header[3:] == ["value", "dC/dx", "|dC/dx|"]
    table = np.array(rows)
    ds = experiment.dataset
    grad = ig.input_gradient(experiment.net, ds.test.X[2:3], ds.test.Y[2:3])[0]
    np.testing.assert_allclose(table[:, 4], grad, rtol=1e-6)
    np.testing.assert_allclose(table[:, 5], np.abs(grad), rtol=1e-6)
    assert f"{np.abs(grad).max():.3g}" in view.sal.saliency_box.caption


def test_everything_recomputes_when_the_network_changes(view, experiment):
    load(experiment)
    for mode in ("adversarial", "saliency"):
        view.apply_settings({"mode": mode, "eps": 0.1})
        experiment.adopt_network(image_net(seed=1))
        view.refresh()
        first = np.array(view.table()[1])
        experiment.adopt_network(image_net(seed=7))
        view.refresh()
        assert not np.array_equal(np.array(view.table()[1]), first)


def test_settings_round_trip_and_damaged_ones_are_ignored(qtbot, view, experiment):
    load(experiment)
    values = {"mode": "saliency", "dream_class": 1, "start": "mean", "lr": 0.25, "l2": 0.5, "steps": 40,
              "item": 5, "eps": 0.125}
    view.apply_settings(values)
    view.refresh()
    assert view.settings() == values
    fresh = InputGradientsView(Experiment())
    qtbot.addWidget(fresh)
    fresh.apply_settings(view.settings())
    assert fresh.settings() == values
    assert fresh.dream.lr_spin.value() == 0.25 and fresh.adv.eps_slider.value() == 1250
    for damaged in (None, [], "x", {"mode": "paint", "dream_class": -1, "start": 3, "lr": float("nan"),
                                    "l2": -1, "steps": True, "item": 1.5, "eps": 9.0, "other": 1},
                    {"lr": "0.1", "steps": 10**12, "eps": None}):
        view.apply_settings(damaged)
        assert view.settings() == values
    view.refresh()
    assert view.pages.currentWidget() is view.sal


def test_an_item_beyond_the_split_shows_its_last_item(view, experiment):
    load(experiment, image_set(n_test=5))
    view.apply_settings({"mode": "saliency", "item": 99})
    view.refresh()
    assert view.item_spin.value() == 5 and view.item_spin.maximum() == 5
    assert "Test item" in view.item_label.text()


def test_png_and_csv_exports(view, experiment, tmp_path):
    load(experiment)
    view.apply_settings({"mode": "adversarial", "eps": 0.1})
    write_png(view, str(tmp_path / "ig.png"))
    write_csv(view, str(tmp_path / "ig.csv"))
    assert (tmp_path / "ig.png").stat().st_size > 1000
    assert (tmp_path / "ig.csv").read_text().splitlines()[0] == "pixel,row,column,original,nudge,result"


# ---------------------------------------------------------------------------------- output map arrows
@pytest.fixture
def map_view(qtbot, experiment):
    v = OutputMapView(experiment)
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def right_rising_net():
    """One sigmoid output rising with x1: every arrow points to +x1."""
    return Network([np.array([[3.0], [0.0]], np.float32)], [np.zeros(1, np.float32)], ["sigmoid"], "cross-entropy")


def test_arrows_checkbox_draws_the_input_gradient_on_the_map(map_view, experiment):
    load(experiment, plane_set(), right_rising_net())
    map_view.refresh()
    arrows = map_view.arrows
    assert arrows.box.isVisible() and not arrows.box.isChecked() and len(arrows.segments()) == 0
    arrows.box.setChecked(True)
    map_view.refresh()
    seg = arrows.segments()
    assert len(seg) == 16 * 16 * 6
    shafts = seg.reshape(-1, 6, 2)
    assert np.all(shafts[:, 1, 0] > shafts[:, 0, 0]) and np.allclose(shafts[:, 1, 1], shafts[:, 0, 1], atol=1e-6)
    (x0, x1), (y0, y1) = map_view.plot.vb.viewRange()
    assert seg[:, 0].min() >= x0 - 0.1 * (x1 - x0) and seg[:, 1].max() <= y1 + 0.1 * (y1 - y0)
    entries = [label.text for _, label in map_view.legend.items]
    assert any("∇ₓ of the output (uphill)" in text for text in entries)
    assert map_view.settings()["gradient_arrows"] is True
    arrows.box.setChecked(False)
    map_view.refresh()
    assert len(arrows.segments()) == 0
    assert not any("∇ₓ" in label.text for _, label in map_view.legend.items)


def test_arrows_follow_the_network_and_name_the_class_output(map_view, experiment):
    W1 = np.array([[-8.0, 0.0, 8.0], [0.0, 8.0, -2.0]], np.float32)
    net = Network([W1, np.eye(3, dtype=np.float32) * 4], [np.zeros(3, np.float32), np.zeros(3, np.float32)],
                  ["tanh", "softmax"], "log-likelihood")
    ds = plane_set()
    three = Dataset("Three", "three", "classification",
                    {"train": Split(ds.train.X, np.eye(3)[ds.train.labels], ds.train.labels)},
                    ["x1", "x2"], ["class"], class_names=["a", "b", "c"])
    load(experiment, three, net)
    map_view.apply_settings({"gradient_arrows": True})
    map_view.refresh()
    assert "most likely class" in map_view.arrows.field.what
    first = map_view.arrows.segments().copy()
    experiment.adopt_network(Network([w * -1 for w in net.weights], net.biases, net.activations, net.cost))
    map_view.refresh()
    after = map_view.arrows.segments()
    assert after.shape != first.shape or not np.allclose(after, first)


def test_arrows_settings_round_trip_and_hide_off_the_plane(qtbot, map_view, experiment):
    load(experiment, plane_set(), right_rising_net())
    map_view.apply_settings({"gradient_arrows": True})
    fresh = OutputMapView(Experiment())
    qtbot.addWidget(fresh)
    fresh.apply_settings(map_view.settings())
    assert fresh.arrows.box.isChecked()
    map_view.apply_settings({"gradient_arrows": "yes"})
    map_view.apply_settings({"gradient_arrows": 1})
    assert map_view.arrows.box.isChecked()
    map_view.refresh()
    assert len(map_view.arrows.segments()) > 0
    x = np.linspace(-1, 1, 20, dtype=np.float32).reshape(-1, 1)
    line = Dataset("Line", "line", "regression", {"train": Split(x, x ** 2)}, ["x"], ["y"])
    experiment.set_dataset(line, "line")
    experiment.adopt_network(Network.create([1, 3, 1], ["tanh", "linear"], "quadratic", rng=np.random.default_rng(0)))
    map_view.refresh()
    assert not map_view.arrows.box.isVisible() and len(map_view.arrows.segments()) == 0
    experiment.drop_network()
    experiment.set_dataset(plane_set(), "plane")
    map_view.refresh()
    assert map_view.arrows.box.isVisible() and len(map_view.arrows.segments()) == 0      # no network: no arrows


def test_on_real_mnist_the_view_finds_a_flip_and_dreams_a_digit(qtbot, view, experiment, mnist_dir):
    from workbench.core import Hyperparameters, train
    from workbench.data import load_dataset

    ds = load_dataset(f"mnist:{mnist_dir},train=2000,validation=0,test=100")
    net = Network.create([784, 30, 10], ["sigmoid", "softmax"], "log-likelihood", rng=np.random.default_rng(0))
    for _ in train(net, ds.train.X, ds.train.Y, Hyperparameters(lr=0.5, batch_size=10, epochs=2),
                   np.random.default_rng(0)):
        pass
    assert net.evaluate(ds.test.X, ds.test.Y)[1] > 0.8
    load(experiment, ds, net)
    view.apply_settings({"mode": "adversarial", "item": 0, "eps": 0.0})
    view.refresh()
    assert view.item_spin.maximum() == 100 and "predicted 7" in view.adv.original_box.caption
    view.adv.flip_button.click()
    assert "Smallest ε that changes the prediction" in view.flip_text and 0 < view.state["eps"] < parts.EPS_MAX
    view.apply_settings({"mode": "dream", "dream_class": 3, "steps": 40})
    view.refresh()
    before = view.dream.bars.scores[3]
    view.start_dream()
    while view.running:
        view.refresh()
    assert view.dream.bars.scores[3] > max(0.9, before)


def test_the_arrow_grid_is_coarser_for_huge_networks():
    from workbench.gui.views.output_map_arrows import GRID, MIN_GRID, arrow_grid

    assert arrow_grid([2, 4, 1]) == GRID
    assert MIN_GRID <= arrow_grid([2, 4096, 4096, 1]) < GRID
