"""The learning-speed plot of the Curves view made readable: faint raw and bold smoothed ‖δˡ‖ per layer,
the smoothing control, legend toggling, zeros pinned to a floor, what batch and epoch values are,
settings, the numbers (table) and the dark palette."""

import math

import numpy as np
import pytest

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from workbench.core import BatchRecord, EpochRecord
from workbench.core import history as history_module
from workbench.core.history import RunHistory, layer_names
from workbench.core.smoothing import ema
from workbench.gui.experiment import Experiment
from workbench.gui.views.base import csv_text
from workbench.gui.views.curves import EMPTY_TEXT, CurvesView

PER_EPOCH = 10


def batch(step, norms):
    e, b = divmod(step - 1, PER_EPOCH)
    return BatchRecord(epoch=e + 1, batch=b + 1, batches_in_epoch=PER_EPOCH, step=step, samples_seen=(b + 1) * 10,
                       n_train=10 * PER_EPOCH, cost=1.0 / step, delta_norms=list(norms), bias_gradients=[],
                       weight_norms=[1.0] * len(norms), watched=[])


def epoch(e, norms):
    return EpochRecord(epoch=e, train_cost=1.0 / (e + 1), train_accuracy=0.5, val_cost=None, val_accuracy=None,
                       delta_norms=list(norms), weight_norms=[1.0] * len(norms), seconds=0.1, samples_per_second=1.0)


def norms_of(step, n_layers=3):
    """Noisy ‖δˡ‖ a decade apart per layer (layer 0 slowest), never zero."""
    rng = np.random.default_rng(step)
    return [10.0 ** (l - n_layers) * (1.0 + 0.9 * rng.random()) for l in range(n_layers)]


def feed(exp, epochs=3, n_layers=3, norms=norms_of):
    exp.history.add_epochs([epoch(0, [1e-2] * n_layers)])
    for e in range(1, epochs + 1):
        exp.history.add_batches([batch(s, norms(s, n_layers)) for s in range((e - 1) * PER_EPOCH + 1,
                                                                             e * PER_EPOCH + 1)])
        exp.history.add_epochs([epoch(e, [10.0 ** (l - n_layers) / 100 for l in range(n_layers)])])
    exp.notify_appended()


def smoothed_log(values, a):
    with np.errstate(divide="ignore"):
        return ema(np.log10(np.asarray(values, float)), a)[0]


@pytest.fixture
def experiment():
    exp = Experiment()
    exp.set_architecture({"sizes": [2, 5, 5, 1], "activations": ["sigmoid"] * 3, "cost": "cross-entropy"})
    return exp


@pytest.fixture
def view(qtbot, experiment):
    v = CurvesView(experiment)
    qtbot.addWidget(v)
    v.resize(900, 720)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    return v


def test_faint_raw_under_bold_smoothed_curves(view, experiment):
    feed(experiment)
    view.refresh()
    h = experiment.history
    sp = view.speed
    assert view.smoothing_spin.value() == pytest.approx(0.9)          # the default per batch
    assert len(sp.raw) == len(sp.curves) == 3 == len(sp.zeros)
    for l in range(3):
        raw, bold = sp.raw[l], sp.curves[l]
        assert raw.isVisible() and bold.isVisible()
        assert list(raw.xData) == list(h.batch_x()) == list(bold.xData)
        assert list(raw.yData) == pytest.approx(list(np.log10(h.batch_delta_norms()[l])))
        assert list(bold.yData) == pytest.approx(list(smoothed_log(h.batch_delta_norms()[l], 0.9)), abs=1e-12)
        assert raw.opts["pen"].color().alphaF() < 0.35 and raw.opts["pen"].widthF() <= 1
        assert bold.opts["pen"].color().alphaF() == 1.0 and bold.opts["pen"].widthF() >= 2
        assert bold.opts["pen"].color().rgb() == raw.opts["pen"].color().rgb()   # the layer's colour
    # Every raw line lies under every smoothed one: no layer's noise hides another's curve.
    assert max(c.zValue() for c in sp.raw) < min(c.zValue() for c in sp.curves)
    assert [label.text for _, label in view.speed_legend.items] == layer_names(3)   # one entry per layer


def test_the_smoothing_control_changes_the_smoothed_curves(view, experiment):
    feed(experiment)
    view.refresh()
    values = experiment.history.batch_delta_norms()[0]
    view.smoothing_spin.setValue(0.5)
    assert view.is_dirty()
    view.refresh()
    assert list(view.speed_curves[0].yData) == pytest.approx(list(smoothed_log(values, 0.5)), abs=1e-12)
    view.smoothing_spin.setValue(0.0)                 # no smoothing: the bold curve is the raw values
    view.refresh()
    assert list(view.speed_curves[0].yData) == pytest.approx(list(np.log10(values)))
    assert not any(c.isVisible() for c in view.speed.raw) and not view.show_raw.isEnabled()
    unsmoothed = view.speed_curves[0].opts
    assert unsmoothed["pen"].widthF() <= 1 and unsmoothed["downsampleMethod"] == "peak"   # drawn as raw
    # Per epoch, smoothing is off at first (epoch values are averages) but may be set; each
    # resolution keeps its own.
    view.smoothing_spin.setValue(0.8)
    view.set_resolution("epoch")
    view.refresh()
    assert view.smoothing_spin.value() == 0.0
    epochs = experiment.history.epoch_delta_norms()[2]
    assert list(view.speed_curves[2].yData) == pytest.approx(list(np.log10(epochs)))
    view.smoothing_spin.setValue(0.5)
    view.refresh()
    assert list(view.speed_curves[2].yData) == pytest.approx(list(smoothed_log(epochs, 0.5)), abs=1e-12)
    assert view.speed.raw[2].isVisible()
    view.set_resolution("batch")
    assert view.smoothing_spin.value() == pytest.approx(0.8)


def test_show_raw_checkbox(view, experiment):
    feed(experiment)
    view.refresh()
    view.show_raw.setChecked(False)
    assert not any(c.isVisible() for c in view.speed.raw)
    assert all(c.isVisible() for c in view.speed_curves)
    feed(experiment, epochs=1)
    view.refresh()
    view.show_raw.setChecked(True)
    assert view.is_dirty()
    view.refresh()
    assert len(view.speed.raw[0].xData) == experiment.history.batch_points   # brought up to date


def click_legend(qtbot, view, text):
    sample = next(s for s, label in view.speed_legend.items if label.text == text)
    QApplication.processEvents()
    pos = view.canvas.mapFromScene(sample.sceneBoundingRect().center())
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_a_legend_click_hides_both_curves_of_a_layer(qtbot, view, experiment):
    feed(experiment, norms=lambda s, n: [0.0 if s % 4 == 0 else 1e-3] + norms_of(s, n)[1:])
    view.refresh()
    sp = view.speed
    assert sp.zeros[0].isVisible() and sp.raw[0].isVisible()
    click_legend(qtbot, view, "hidden 1")
    assert not sp.curves[0].isVisible() and not sp.raw[0].isVisible() and not sp.zeros[0].isVisible()
    assert sp.curves[1].isVisible() and sp.raw[1].isVisible()
    view.refresh()
    click_legend(qtbot, view, "hidden 1")
    assert sp.curves[0].isVisible() and sp.raw[0].isVisible() and sp.zeros[0].isVisible()
    click_legend(qtbot, view, "‖δ‖ = 0")          # the zero markers' own entry
    assert not sp.zeros[0].isVisible() and sp.curves[0].isVisible()


def test_zeros_are_pinned_to_a_floor_and_nan_is_a_gap(view, experiment):
    dead = lambda s, n: [0.0, float("nan") if s == 5 else 1e-2, 1e-1]   # noqa: E731 - a dead first layer
    feed(experiment, epochs=2, norms=dead)
    view.refresh()
    sp = view.speed
    h = experiment.history
    assert len(sp.zeros[0].xData) == h.batch_points            # every batch of layer 0 is shown
    assert set(sp.zeros[0].yData) == {-3.0}                    # a decade below the smallest value (0.01)
    assert sp.zeros[0].opts["symbol"] == "t" and sp.zeros[0].isVisible()
    assert not sp.zeros[1].isVisible() and (sp.zeros[1].xData is None or len(sp.zeros[1].xData) == 0)
    assert "‖δ‖ = 0" in [label.text for _, label in view.speed_legend.items]
    assert np.isnan(sp.curves[0].yData).all()                  # no smoothed value without a positive one
    assert math.isnan(sp.curves[1].yData[4]) and math.isnan(sp.raw[1].yData[4])   # NaN: a gap in both
    assert sp.curves[1].yData[5] == pytest.approx(-2.0)
    assert "▼" in view.speed_plot.vb.toolTip() and "0" in view.speed_plot.vb.toolTip()
    view.canvas.scene().sigMouseMoved.emit(view.speed_plot.vb.mapViewToScene(QPointF(0.0, -2.0)))
    assert "hidden 1 0 /" in view.readout_text()
    view.grab()
    experiment.reset_history()                                 # no zeros now: the entry goes
    feed(experiment, epochs=1)
    view.refresh()
    assert "‖δ‖ = 0" not in [label.text for _, label in view.speed_legend.items]


def test_axis_title_and_tooltip_say_what_batch_and_epoch_values_are(view, experiment):
    feed(experiment)
    view.refresh()
    assert "batch" in view.speed_plot.getAxis("left").labelText
    tip = view.speed_plot.vb.toolTip()
    assert "mini-batch" in tip and "whole epoch" in tip and "100×" in tip
    view.set_resolution("epoch")
    view.refresh()
    assert "epoch mean" in view.speed_plot.getAxis("left").labelText
    assert "epoch" in view.speed_title.text


def test_the_readout_shows_raw_and_smoothed_values(view, experiment):
    feed(experiment)
    view.refresh()
    h = experiment.history
    x = h.batch_x()[12]
    view.canvas.scene().sigMouseMoved.emit(view.cost_plot.vb.mapViewToScene(QPointF(x, 0.5)))
    text = view.readout_text()
    assert "epoch 2, batch 3" in text and "raw / smoothed" in text
    raw = h.batch_delta_norms()[0, 12]
    smooth = 10 ** smoothed_log(h.batch_delta_norms()[0], 0.9)[12]
    assert f"hidden 1 {raw:.4g} / {smooth:.4g}" in text
    view.smoothing_spin.setValue(0.0)
    view.refresh()
    assert "raw / smoothed" not in view.readout_text()


def test_settings_round_trip_and_bad_values(qtbot, view, experiment):
    view.smoothing_spin.setValue(0.75)
    view.show_raw.setChecked(False)
    saved = view.settings()
    assert saved == {"smoothing_batch": 0.75, "smoothing_epoch": 0.0, "show_raw": False, "log_cost": False}
    other = CurvesView(Experiment())
    qtbot.addWidget(other)
    other.apply_settings(saved)
    assert other.settings() == saved and other.smoothing_spin.value() == pytest.approx(0.75)
    for bad in (None, [], {"smoothing_batch": "much", "smoothing_epoch": float("nan"), "show_raw": 1},
                {"smoothing_batch": True, "log_cost": "yes", "unknown": 3}):
        other.apply_settings(bad)
        assert other.settings() == saved
    other.apply_settings({"smoothing_batch": 5, "smoothing_epoch": -2})
    assert other.settings()["smoothing_batch"] == 0.99 and other.settings()["smoothing_epoch"] == 0.0


def test_table_gives_epoch_and_batch_rows(view, experiment):
    assert view.table() is None
    feed(experiment, epochs=2)
    view.refresh()
    header, rows = view.table()
    assert header[:6] == ["record", "position", "epoch", "batch", "step", "batch_cost"]
    assert header[-6:] == ["delta_norm_hidden_1", "delta_norm_hidden_2", "delta_norm_output",
                           "smoothed_delta_norm_hidden_1", "smoothed_delta_norm_hidden_2", "smoothed_delta_norm_output"]
    assert [r[0] for r in rows].count("batch") == 20 and [r[0] for r in rows].count("epoch") == 3
    assert all(len(r) == len(header) for r in rows)
    positions = [r[1] for r in rows]
    assert positions == sorted(positions) and rows[0][0] == "epoch"
    batches = [r for r in rows if r[0] == "batch"]
    h = experiment.history
    assert [r[header.index("delta_norm_hidden_1")] for r in batches] == list(h.batch_delta_norms()[0])
    assert [r[header.index("smoothed_delta_norm_hidden_1")] for r in batches] == pytest.approx(
        list(10 ** smoothed_log(h.batch_delta_norms()[0], 0.9)))
    epochs = [r for r in rows if r[0] == "epoch"]
    assert [r[header.index("smoothed_delta_norm_output")] for r in epochs] == list(h.epoch_delta_norms()[2])
    assert csv_text(header, rows).count("\n") == 24


def test_empty_state_unchanged(view, experiment):
    assert view.empty_label.isVisible() and view.empty_label.text() == EMPTY_TEXT
    for item in view.speed.raw + view.speed.curves + view.speed.zeros:
        assert item.xData is None or len(item.xData) == 0
    assert view.readout_text() == ""
    assert view.table() is None


def test_thinned_history_is_smoothed_afresh(monkeypatch, view, experiment):
    monkeypatch.setattr(history_module, "MAX_POINTS", 40)
    h = experiment.history
    for s in range(1, 200):
        h.add_batches([batch(s, norms_of(s))])
        if s % 7 == 0:
            experiment.notify_appended()
            view.refresh()
            assert list(view.speed_curves[1].yData) == pytest.approx(
                list(smoothed_log(h.batch_delta_norms()[1], 0.9)), abs=1e-12)
    assert h.batch_stride > 1


def test_dark_palette(view, experiment):
    feed(experiment)
    view.refresh()
    light = [c.opts["pen"].color().name() for c in view.speed_curves]
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    palette.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    view.setPalette(palette)
    view.refresh()
    dark = [c.opts["pen"].color().name() for c in view.speed_curves]
    assert dark != light                                       # lighter layer colours on a dark background
    assert all(c.opts["pen"].color().alphaF() < 0.4 for c in view.speed.raw)
    assert view.speed.zero_key.opts["symbolBrush"].color() == QColor("#e0e0e0")
    view.grab()


def test_a_loaded_history_with_other_depth(view, experiment):
    feed(experiment)
    view.refresh()
    experiment.adopt_network(None, 0, 0, RunHistory(2, True))
    feed(experiment, epochs=1, n_layers=2)
    view.refresh()
    assert len(view.speed.raw) == len(view.speed_curves) == 2
    assert len(view.speed_curves[1].xData) == 10
