"""DistributionsView: samples recorded from the Experiment (also while hidden), bands whose fills
are the recorded percentiles, latest histograms, unit health and update ratios, options, theme,
export, NaN weights, and a real XOR run in the window."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window  # noqa: F401
from workbench.core.distributions import PERCENTILES, RecordPacer
from workbench.core.network import Network
from workbench.data import load_dataset
from workbench.gui.experiment import Experiment
from workbench.gui.views.base import write_csv, write_png
from workbench.gui.views.distributions import (NO_NETWORK_TEXT, NO_SAMPLE_TEXT, PAIRS, DistributionsView)


def hand_net(scale=1.0, bias=0.0, activations=("relu", "sigmoid")):
    rng = np.random.default_rng(0)
    weights = [scale * rng.standard_normal((2, 4)), scale * rng.standard_normal((4, 1))]
    biases = [np.full(4, bias), np.zeros(1)]
    return Network(weights, biases, list(activations), "cross-entropy", dtype="float64")


@pytest.fixture
def experiment():
    exp = Experiment()
    exp.set_dataset(load_dataset("xor"), "xor")
    exp.set_architecture({"sizes": [2, 4, 1], "activations": ["relu", "sigmoid"], "cost": "cross-entropy"})
    return exp


@pytest.fixture
def view(qtbot, experiment):
    v = DistributionsView(experiment)
    qtbot.addWidget(v)
    v.resize(900, 700)
    v.show()
    qtbot.waitExposed(v)
    v.pacer = RecordPacer(share=1.0)     # every snapshot recorded
    return v


def snapshot(exp, step, scale=1.0, ratios=(1e-3, None)):
    """A mid-run snapshot after ``step`` batches, handed over as the controller does (snapshot,
    then the history grows)."""
    net = exp.net
    exp.set_snapshot([w * scale for w in net.weights], [b.copy() for b in net.biases],
                     [np.full(b.shape, 0.1 * step) for b in net.biases], update_ratios=list(ratios))
    exp.steps_trained = step
    exp.notify_appended()


def test_empty_until_a_network_then_one_sample(view, experiment):
    view.refresh()
    assert view.note.isVisible() and view.note.text() == NO_NETWORK_TEXT
    assert not view.scroll.isVisible() and view.table() is None
    experiment.adopt_network(hand_net())
    assert view.history.n == 1                                       # recorded on network_changed
    view.refresh()
    assert not view.note.isVisible() and view.scroll.isVisible()
    assert len(view.cells) == 2 and view.draw_count == 1
    experiment.drop_network()
    view.refresh()
    assert view.note.isVisible() and view.note.text() == NO_NETWORK_TEXT
    assert NO_SAMPLE_TEXT.startswith("Train")


def test_bands_are_the_recorded_percentiles_and_histograms_count_every_weight(view, experiment):
    experiment.adopt_network(hand_net())
    for step in (1, 2, 3):
        snapshot(experiment, step, scale=1.0 + step)
    h = view.history
    assert h.n == 4 and h.steps().tolist() == [0, 1, 2, 3]
    view.refresh()
    w0 = experiment.net.weights[0] * 4.0
    np.testing.assert_allclose(h.bands("weights", 0)[-1], np.percentile(w0, PERCENTILES))
    cell = view.cells[("weights", 0)]
    for (i, j), lo, hi, fill in zip(PAIRS, cell["lower"], cell["upper"], cell["fills"]):
        assert fill.curves == (lo, hi) or tuple(fill.curves) == (lo, hi)
        x, y_lo = lo.getData()
        _, y_hi = hi.getData()
        np.testing.assert_allclose(x, h.x())
        np.testing.assert_allclose(y_lo, h.bands("weights", 0)[:, i])
        np.testing.assert_allclose(y_hi, h.bands("weights", 0)[:, j])
    _, median = cell["median"].getData()
    np.testing.assert_allclose(median, h.bands("weights", 0)[:, 4])
    for l, size in enumerate((8, 4)):
        assert sum(view.cells[("weights", l)]["bars"].opts["width"]) == size
    # ∂C/∂b bands start with the first snapshot (the adopted network has none).
    view.apply_settings({"show": "bias_gradients"})
    view.refresh()
    x, _ = view.cells[("bias_gradients", 0)]["lower"][0].getData()
    assert x.tolist() == h.x()[1:].tolist()
    # Update ratios: log10, a gap where the worker measured none.
    logs = h.log_update_ratios()
    assert logs[-1, 0] == pytest.approx(-3.0) and math.isnan(logs[-1, 1]) and math.isnan(logs[0, 0])
    _, y = view.ratio_curves[0].getData()
    assert y[-1] == pytest.approx(-3.0)
    assert view.reference.value() == -3.0


def test_unit_health_of_a_dead_relu_layer(view, experiment):
    experiment.adopt_network(hand_net(bias=-100.0))
    assert view.history.health()[0, 0] == 1.0                        # every hidden ReLU dead
    experiment.adopt_network(hand_net(scale=1000.0, bias=1000.0, activations=("sigmoid", "sigmoid")))
    assert view.history.n == 1 and view.history.health()[0, 0] == 1.0   # a new history: saturated
    view.refresh()
    _, y = view.health_curves[0].getData()
    assert y.tolist() == [100.0]


def test_recording_goes_on_while_hidden_and_drawing_does_not(qtbot, experiment, monkeypatch):
    import workbench.gui.views.distributions as module

    v = DistributionsView(experiment)            # never shown
    qtbot.addWidget(v)
    v.pacer = RecordPacer(share=1.0)
    experiment.adopt_network(hand_net())
    monkeypatch.setattr(module, "HIDDEN_INTERVAL_S", 0.0)
    for step in (1, 2):
        snapshot(experiment, step)
    assert v.history.n == 3 and v.draw_count == 0 and v.is_dirty()
    snapshot(experiment, 2)                      # no batch since: nothing new, nothing recorded
    assert v.history.n == 3


def test_a_hidden_view_samples_snapshots_at_most_twice_a_second(qtbot, experiment):
    v = DistributionsView(experiment)            # never shown
    qtbot.addWidget(v)
    v.pacer = RecordPacer(share=1.0)
    experiment.adopt_network(hand_net())         # recorded (forced): the network was adopted
    for step in range(1, 6):                     # five snapshots within half a second of it
        snapshot(experiment, step)
    assert v.history.n == 1 and v.skipped == 5
    v._recorded_at -= 0.5                        # half a second later
    snapshot(experiment, 6)
    assert v.history.n == 2


def test_every_20_hz_snapshot_is_recorded_while_the_cost_is_within_budget(view, experiment, monkeypatch):
    import workbench.gui.views.distributions as module

    view.pacer = RecordPacer()                    # the view's own: 2 % of the wall time, no rate cap
    experiment.adopt_network(hand_net())
    # A clock of 20 Hz snapshots whose samples cost 0.4 ms each (record reads it before and after).
    t0 = module.time.perf_counter() + 1.0
    times = iter(t for i in range(40) for t in (t0 + i * 0.05, t0 + i * 0.05 + 0.0004))
    monkeypatch.setattr(module.time, "perf_counter", lambda: next(times))
    for step in range(1, 21):                     # one second of training
        snapshot(experiment, step)
    assert view.history.n == 21 and view.skipped == 0 and view.offered == 20
    view.refresh()
    assert "21 samples: every weight snapshot" in view.status.text()


def test_pacing_skips_snapshots_over_budget_but_not_epochs(view, experiment):
    view.pacer = RecordPacer()
    experiment.adopt_network(hand_net())
    snapshot(experiment, 1)                       # within budget: recorded
    view.pacer.spent(10.0, view.pacer._at)        # a sample that took 10 s: the budget is overdrawn
    snapshot(experiment, 2)
    assert view.history.n == 2 and view.skipped == 1
    experiment.epoch_finished.emit(1)             # an epoch's end is always recorded
    assert view.history.n == 3 and view.history.steps()[-1] == 2
    view.refresh()
    assert "1 of 2 weight snapshots" in view.status.text()


def test_status_names_the_real_probe_size(view, experiment):
    experiment.adopt_network(hand_net())
    view.refresh()
    assert "activations on 4 training inputs" in view.status.text()        # XOR has 4, not 256
    experiment.set_dataset(load_dataset("spiral:arms=2,points=300"), "spiral")
    experiment.adopt_network(hand_net())
    view.refresh()
    n = len(experiment.dataset.train)
    assert n < 256 and f"activations on {n} training inputs" in view.status.text()
    view.apply_settings({"probe": 64})            # from the next sample on
    view.refresh()
    assert f"activations on {n} training inputs" in view.status.text()
    experiment.adopt_network(hand_net())
    view.refresh()
    assert "activations on 64 training inputs" in view.status.text()


def test_histograms_have_a_header_and_a_count_axis(view, experiment):
    experiment.adopt_network(hand_net())
    view.refresh()
    hist = view.cells[("weights", 0)]["hist"]
    assert hist.titleLabel.text == "latest"
    assert hist.getAxis("bottom").labelText == "count"
    assert view.cells[("weights", 0)]["plot"].getAxis("bottom").labelText == "epoch"


def _fits(view):
    ci = view.canvas.ci
    return ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() <= view.canvas.width() + 0.5


def test_narrow_window_stacks_the_health_plots_and_fits_the_width(view, experiment, qtbot):
    experiment.adopt_network(hand_net())
    view.resize(620, 700)
    view.refresh()
    QApplication.processEvents()
    assert _fits(view)
    health, ratio = view.health_plot.geometry(), view.ratio_plot.geometry()
    assert ratio.top() >= health.bottom() - 1                                # stacked
    assert view.strip_legend.geometry().bottom() <= health.top() + 1
    assert view.strip_legend.geometry().right() <= view.canvas.width()         # the legend is not cut off
    view.apply_settings({"show": "all"})
    view.refresh()
    QApplication.processEvents()
    assert _fits(view)
    tops = {round(c["plot"].geometry().top()) for c in view.cells.values()}
    assert len(tops) == 6                                                     # one row per layer and quantity
    view.resize(1500, 700)
    assert view.is_dirty()
    view.refresh()
    QApplication.processEvents()
    assert _fits(view)
    health, ratio = view.health_plot.geometry(), view.ratio_plot.geometry()
    assert ratio.left() >= health.right() - 1 and abs(ratio.top() - health.top()) < 1   # side by side
    assert len({round(c["plot"].geometry().top()) for c in view.cells.values()}) == 2


def test_the_wheel_scrolls_the_page_and_never_zooms(view, experiment, qtbot):
    experiment.adopt_network(hand_net())
    view.resize(900, 400)                         # shorter than the canvas: the page scrolls
    view.refresh()
    QApplication.processEvents()
    bar = view.scroll.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    plot = view.cells[("weights", 0)]["plot"]
    before = plot.vb.viewRange()
    for p in [c["plot"] for c in view.cells.values()] + [view.health_plot, view.ratio_plot]:
        assert p.vb.mouseEnabled() == [False, False]
    centre = view.canvas.mapFromScene(plot.vb.sceneBoundingRect().center())
    for target in (centre, QPoint(20, centre.y())):                     # over the plot, over its y axis
        wheel = QWheelEvent(QPointF(target), QPointF(view.canvas.viewport().mapToGlobal(target)), QPoint(0, 0),
                            QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        value = bar.value()
        QApplication.sendEvent(view.canvas.viewport(), wheel)
        assert bar.value() > value
    np.testing.assert_allclose(plot.vb.viewRange(), before)


def test_a_new_history_starts_over(view, experiment):
    experiment.adopt_network(hand_net())
    snapshot(experiment, 1)
    assert view.history.n == 2
    experiment.reset_history()
    assert view.history.n == 1                    # the current parameters, at the new start


def test_options_round_trip_and_bad_values(view, experiment):
    experiment.adopt_network(hand_net())
    view.apply_settings({"show": "all", "probe": 64})
    assert view.settings() == {"show": "all", "probe": 64}
    view.refresh()
    assert len(view.cells) == 6
    for bad in ({"show": "nothing", "probe": "big"}, {"probe": True}, {"probe": 3}, None, [], {"x": 1}):
        view.apply_settings(bad)
    assert view.settings() == {"show": "all", "probe": 64}
    view.apply_settings({"show": "activations", "probe": 1024})
    assert view.settings() == {"show": "activations", "probe": 1024}


def test_palette_change_recolours(view, experiment, qtbot):
    experiment.adopt_network(hand_net())
    view.refresh()
    light = view.cells[("weights", 0)]["median"].opts["pen"].color().name()
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#202020"), (QPalette.ColorRole.Base, "#101010"),
                         (QPalette.ColorRole.Text, "#eeeeee"), (QPalette.ColorRole.WindowText, "#eeeeee")):
        dark.setColor(role, QColor(colour))
    view.setPalette(dark)
    view.refresh()
    assert view.canvas.backgroundBrush().color() == QColor("#101010")
    assert view.cells[("weights", 0)]["median"].opts["pen"].color().name() != light
    assert view.ratio_plot.getAxis("left").textPen().color() == QColor("#eeeeee")


def test_png_and_csv_export(view, experiment, tmp_path):
    experiment.adopt_network(hand_net())
    snapshot(experiment, 1)
    png, table = tmp_path / "d.png", tmp_path / "d.csv"
    write_png(view, str(png))
    image = QImage(str(png))
    assert not image.isNull() and image.height() >= view.canvas.minimumHeight() - 2
    write_csv(view, str(table))
    rows = list(csv.reader(table.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    assert len(rows) == 1 + 2 * 2 and rows[1][header.index("layer")] == "hidden 1"
    assert float(rows[-2][header.index("log10 update ratio")]) == pytest.approx(-3.0)
    assert float(rows[1][header.index("weights p50")]) == pytest.approx(np.median(experiment.net.weights[0]))


def test_nan_weights_are_named_not_fatal(view, experiment):
    net = hand_net()
    net.weights[0][0, :] = np.nan
    experiment.adopt_network(net)
    view.refresh()
    assert "4 non-finite weights left out" in view.status.text()
    assert np.isfinite(view.history.bands("weights", 0)).all()
    bad = hand_net()
    for w in bad.weights:
        w[:] = np.inf
    experiment.adopt_network(bad)
    view.refresh()                                # nothing finite at all: empty bands, no crash
    x, _ = view.cells[("weights", 0)]["lower"][0].getData()
    assert x is None or len(x) == 0


def test_data_that_does_not_fit_is_named(view, experiment):
    experiment.adopt_network(Network([np.ones((3, 2))], [np.zeros(2)], ["softmax"], "log-likelihood"))
    view.refresh()
    assert "data does not fit" in view.status.text()


def test_training_xor_in_the_window(qtbot):
    w = open_window(qtbot)
    view = w.views["distributions"]
    w.raise_view("curves")
    w.training_panel.epochs.setValue(1500)
    with qtbot.waitSignal(w.training_finished, timeout=60_000):
        assert w.start_training()
    hidden_draws = view.draw_count
    assert view.history.n > 1 and hidden_draws == 0             # recorded while hidden, never drawn
    w.raise_view("distributions")
    qtbot.waitUntil(lambda: view.draw_count > hidden_draws, timeout=5000)
    h = view.history
    assert h.steps()[-1] == w.experiment.steps_trained and h.x()[-1] == pytest.approx(w.experiment.history.last_x)
    assert np.isfinite(h.log_update_ratios()).any()
    assert isinstance(view.cells[("weights", 0)]["fills"][0], pg.FillBetweenItem)
    assert view.table() is not None


def test_a_stopped_run_whose_snapshots_were_paced_out_is_still_recorded(view, experiment):
    view.pacer = RecordPacer()
    experiment.adopt_network(hand_net())          # recorded: the network's own arrays at step 0
    view.pacer.spent(10.0, view.pacer._at)        # the budget is overdrawn
    snapshot(experiment, 1)                        # paced out
    experiment.set_run_state("running")
    experiment.net.weights[0] *= 2.0               # trained in place
    experiment.steps_trained = 3
    experiment.run_finished()                      # the network's own arrays are the newest again
    experiment.set_run_state("idle")
    assert view.history.n == 2 and view.history.steps().tolist() == [0, 3]
    np.testing.assert_allclose(view.history.bands("weights", 0)[-1],
                               np.percentile(experiment.net.weights[0], PERCENTILES))
