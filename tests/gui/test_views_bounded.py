"""Views draw a bounded amount whatever the data and the network (issue 12): legends, class
choosers and the confusion matrix cap their classes, plots their markers, the output map its grid."""

import time

import numpy as np
import pytest

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window, window  # noqa: F401
from workbench.core.network import Network
from workbench.data.dataset import Dataset, Split


def _classes(n_inputs: int, n_classes: int, n: int = 200) -> Dataset:
    """A small classification set of ``n`` samples over ``n_classes`` classes (most unused)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, n_inputs)).astype(np.float32)
    labels = rng.integers(0, n_classes, n)
    Y = np.zeros((n, n_classes), np.float32)
    Y[np.arange(n), labels] = 1

    def split(a, b):
        return Split(X[a:b], Y[a:b], labels[a:b])
    return Dataset("many classes", "many", "classification",
                   {"train": split(0, n // 2), "validation": split(n // 2, 3 * n // 4), "test": split(3 * n // 4, n)},
                   [f"x{i}" for i in range(n_inputs)], ["class"], [f"c{i}" for i in range(n_classes)])


def _install(w, sizes, ds, activations, cost):
    w.designer.set_architecture({"sizes": sizes, "activations": activations, "cost": cost}, undoable=False)
    w._on_data_loaded(w.data_panel.spec(), ds)
    w.experiment.adopt_network(Network.create(sizes, activations, cost, rng=np.random.default_rng(1)))


def _draw_every_view(w) -> float:
    started = time.perf_counter()
    for name, view in w.views.items():
        w.raise_view(name)
        view.refresh()
        view.grab()
    return time.perf_counter() - started


def test_a_10000_class_data_set_draws_in_bounded_time(qtbot, window):
    from workbench.core.evaluation import MAX_MATRIX_CLASSES
    from workbench.gui.views.bounds import MAX_CLASS_CHOICES, MAX_LEGEND_CLASSES

    w = window
    _install(w, [2, 16, 10_000], _classes(2, 10_000), ["sigmoid", "softmax"], "log-likelihood")
    assert _draw_every_view(w) < 10               # was over 3 minutes (a 10,000-entry legend)
    output_map = w.views["output-map"]
    assert len(output_map.legend.items) <= MAX_LEGEND_CLASSES + 3
    assert any("9,988 more classes" in label.text for _sample, label in output_map.legend.items)
    assert output_map.class_combo.count() == MAX_CLASS_CHOICES
    predictions = w.views["predictions"]
    assert len(predictions.results.matrix) == MAX_MATRIX_CLASSES
    header, rows = predictions.table()
    assert len(rows) <= MAX_MATRIX_CLASSES + 1 and "other classes (9,971)" in header[-2:] + [r[0] for r in rows]
    assert "accuracy" in predictions.summary.text() and "most common of 10,000 classes" in predictions.summary.text()


def test_twenty_thousand_markers_draw_only_the_latest(qtbot, window):
    from workbench.gui.views.bounds import MAX_MARKER_LINES

    w = window
    for i in range(20_000):
        w.experiment.history.add_marker(f"η {i}")
    w.experiment.notify_appended()
    started = time.perf_counter()
    for name in ("curves", "followed"):
        w.raise_view(name)
        w.views[name].refresh()
        w.views[name].grab()
    assert time.perf_counter() - started < 5              # was 5 s to paint, 24-90 s in sessions
    markers = w.views["curves"].markers
    assert len(markers.drawn) == MAX_MARKER_LINES and markers.drawn[-1][1] == "η 19999"
    w.experiment.add_marker("the newest")
    w.views["curves"].refresh()
    assert len(markers.drawn) == MAX_MARKER_LINES and markers.drawn[-1][1] == "the newest"
    assert len(markers.lines) == MAX_MARKER_LINES * len(w.views["curves"].plots)


def test_a_wide_network_gets_a_coarser_output_map(qtbot, window):
    from workbench.core import maps

    w = window
    _install(w, [2, 4096, 4096, 2], _classes(2, 2), ["sigmoid"] * 3, "cross-entropy")
    view = w.views["output-map"]
    w.raise_view("output-map")
    started = time.perf_counter()
    view.refresh()
    assert time.perf_counter() - started < 5              # was 3 s a frame, every frame of a run
    assert view._grid.resolution < maps.RESOLUTION and view.image.isVisible()


def test_a_one_input_map_draws_at_most_the_first_curves(qtbot, window):
    from workbench.gui.views.bounds import MAX_MAP_CURVES

    w = window
    _install(w, [1, 30, 1000], _classes(1, 1000), ["sigmoid", "softmax"], "log-likelihood")
    view = w.views["output-map"]
    w.raise_view("output-map")
    view.refresh()
    assert len(view.net_curves) == MAX_MAP_CURVES
    assert "and 997 more" in view._titles[0]
