"""TrainingPlots: buffers, curves after the timer fires, log axis, legends, markers, export, history."""

import csv
import json
import math
import time

import pytest

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg

from workbench.core import BatchRecord, EpochRecord
from workbench.gui.plots.live import EMPTY_TEXT, TrainingPlots, layer_names

N_TRAIN = 100
BATCH = 10
PER_EPOCH = N_TRAIN // BATCH


def batch(step, n_layers=3, cost=None, norms=None, watched=()):
    """The BatchRecord of global step ``step`` (1-based) of a run with 10 batches per epoch."""
    epoch, b = divmod(step - 1, PER_EPOCH)
    return BatchRecord(
        epoch=epoch + 1, batch=b + 1, batches_in_epoch=PER_EPOCH, step=step, samples_seen=(b + 1) * BATCH,
        n_train=N_TRAIN, cost=1.0 / step if cost is None else cost,
        delta_norms=list(norms) if norms is not None else [10.0 ** -(n_layers - l) / step for l in range(n_layers)],
        bias_gradients=[], weight_norms=[1.0] * n_layers, watched=list(watched))


def epoch_rec(e, n_layers=3, classification=True, validation=True):
    return EpochRecord(
        epoch=e, train_cost=1.0 / (e + 1), train_accuracy=(0.5 + e / 40) if classification else None,
        val_cost=1.1 / (e + 1) if validation else None,
        val_accuracy=(0.45 + e / 40) if classification and validation else None,
        delta_norms=[10.0 ** -(n_layers - l) / (e + 1) for l in range(n_layers)],
        weight_norms=[1.0 + e] * n_layers, seconds=0.5 if e else 0.0, samples_per_second=200.0 if e else 0.0)


def feed(w, epochs=2, n_layers=3, **kw):
    w.add_epoch(epoch_rec(0, n_layers, **kw))
    for e in range(1, epochs + 1):
        for s in range((e - 1) * PER_EPOCH + 1, e * PER_EPOCH + 1):
            w.add_batch(batch(s, n_layers))
        w.add_epoch(epoch_rec(e, n_layers, **kw))


def n_points(curve):
    x, _ = curve.getData()
    return 0 if x is None else len(x)


@pytest.fixture
def plots(qtbot):
    w = TrainingPlots()
    qtbot.addWidget(w)
    w.resize(640, 720)
    w.show()
    w.reset(3, True)
    return w


def test_empty_state_until_data(plots, qtbot):
    assert plots._empty_label.text() == EMPTY_TEXT
    assert plots._empty_label.isVisible()
    plots.add_batch(batch(1))
    qtbot.waitUntil(lambda: not plots._empty_label.isVisible(), timeout=2000)
    plots.reset(3, True)
    assert plots._empty_label.isVisible()
    assert plots.batch_count() == 0 and plots.epoch_count() == 0


def test_batches_grow_buffers_and_curves(plots, qtbot):
    n = 1300  # more than the initial 512 columns: the buffer doubles twice
    for s in range(1, n + 1):
        plots.add_batch(batch(s))
    assert plots.batch_count() == n
    assert plots._batches.data.shape[1] >= n
    qtbot.waitUntil(lambda: all(n_points(c) == n for c in plots.speed_curves()), timeout=3000)
    assert n_points(plots._batch_cost) == n
    x, y = plots._batch_cost.getData()
    # Fractional epochs; a batch sits where it starts (its cost is measured before its update).
    assert x[0] == pytest.approx(0.0) and x[-1] == pytest.approx((n - 1) / PER_EPOCH)
    assert y[9] == pytest.approx(0.1)
    # The timer stops once nothing new arrives.
    qtbot.waitUntil(lambda: not plots._timer.isActive(), timeout=2000)


def test_add_batch_is_cheap(plots):
    recs = [batch(s) for s in range(1, 3001)]
    started = time.perf_counter()
    for r in recs:
        plots.add_batch(r)
    per_call = (time.perf_counter() - started) / len(recs)
    assert per_call < 100e-6  # a few µs normally; generous for a loaded machine


def test_learning_speed_is_log_with_layer_legend(plots, qtbot):
    assert plots.speed_plot.getAxis("left").logMode
    legend = [label.text for _, label in plots.speed_plot.legend.items]
    assert legend == ["hidden 1", "hidden 2", "output"] == layer_names(3)
    curves = plots.speed_curves()
    assert curves[-1].opts["pen"].style() == Qt.PenStyle.DashLine
    assert curves[0].opts["pen"].style() == Qt.PenStyle.SolidLine
    assert curves[0].opts["pen"].color() != curves[1].opts["pen"].color()
    plots.add_batch(batch(1, norms=[1e-3, 1e-2, 1e-1]))
    plots.add_batch(batch(2, norms=[1e-4, 0.0, 1e-1]))  # 0 cannot be drawn on a log axis: a gap
    qtbot.waitUntil(lambda: n_points(curves[0]) == 2, timeout=2000)
    _, y0 = curves[0].getData()
    assert list(y0) == pytest.approx([-3, -4])  # log10 shown on the log axis
    _, y1 = curves[1].getData()
    assert y1[0] == pytest.approx(-2) and math.isnan(y1[1])
    # Switching the axis to linear (plot context menu) shows the raw values.
    plots.speed_plot.setLogMode(y=False)
    qtbot.waitUntil(lambda: curves[0].getData()[1][0] == pytest.approx(1e-3), timeout=2000)
    plots.reset(5, True)
    assert [label.text for _, label in plots.speed_plot.legend.items] == [
        "hidden 1", "hidden 2", "hidden 3", "hidden 4", "output"]


def test_epoch_resolution(plots, qtbot):
    feed(plots, epochs=3)
    qtbot.waitUntil(lambda: n_points(plots.speed_curves()[0]) == 30, timeout=2000)
    assert n_points(plots._train_cost) == 4  # epochs 0..3
    assert n_points(plots._val_acc) == 4
    _, acc = plots._train_acc.getData()
    assert acc[0] == pytest.approx(50.0)  # percent
    plots.set_resolution("epoch")
    assert plots.resolution() == "epoch"
    assert plots._resolution_combo.currentData() == "epoch"
    qtbot.waitUntil(lambda: n_points(plots.speed_curves()[0]) == 4, timeout=2000)
    x, _ = plots.speed_curves()[0].getData()
    assert list(x) == [0, 1, 2, 3]
    assert n_points(plots._batch_cost) == 0
    assert "training, per batch" not in [label.text for _, label in plots.cost_plot.legend.items]
    plots._resolution_combo.setCurrentIndex(plots._resolution_combo.findData("batch"))
    assert plots.resolution() == "batch"
    qtbot.waitUntil(lambda: n_points(plots.speed_curves()[0]) == 30, timeout=2000)
    with pytest.raises(ValueError):
        plots.set_resolution("sample")


def test_regression_hides_accuracy(plots, qtbot):
    plots.reset(2, False)
    feed(plots, epochs=1, n_layers=2, classification=False)
    qtbot.waitUntil(lambda: n_points(plots._train_cost) == 2, timeout=2000)
    assert plots._regression_note.isVisible()
    assert "regression" in plots._regression_note.text
    assert n_points(plots._train_acc) == 0
    plots.reset(2, True)
    assert not plots._regression_note.isVisible()


def test_markers_on_every_plot(plots, qtbot):
    for s in range(1, 16):
        plots.add_batch(batch(s))
    plots.add_marker("η 0.5 → 0.1")
    assert plots.markers() == [(pytest.approx(1.5), "η 0.5 → 0.1")]
    for plot in (plots.cost_plot, plots.accuracy_plot, plots.speed_plot):
        lines = [i for i in plot.items if isinstance(i, pg.InfiniteLine) and getattr(i, "_workbench_marker", False)]
        assert len(lines) == 1
        assert lines[0].value() == pytest.approx(1.5)
        assert lines[0].pen.style() == Qt.PenStyle.DashLine
    label = [i for i in plots.cost_plot.items if getattr(i, "_workbench_marker", False)][0].label
    assert label.toPlainText() == "η 0.5 → 0.1"
    plots.add_marker("{odd} text")  # braces are not format fields
    plots.reset(3, True)
    assert plots.markers() == []
    assert not [i for i in plots.cost_plot.items if getattr(i, "_workbench_marker", False)]


def test_hover_shows_values(plots, qtbot):
    feed(plots, epochs=2)
    plots.refresh()
    qtbot.waitUntil(lambda: n_points(plots._batch_cost) == 20, timeout=2000)
    assert plots.readout_text().startswith("Latest")
    vb = plots.cost_plot.vb
    scene_pos = vb.mapViewToScene(QPointF(0.22, 0.5))
    plots._on_mouse_moved(scene_pos)
    text = plots.readout_text()
    assert "epoch 1, batch 3 (step 3)" in text
    assert "hidden 1" in text and "output" in text
    assert "initial weights" in text  # nearest epoch summary to x = 0.22 is epoch 0
    assert all(line.isVisible() for line in plots._crosshairs)
    assert plots._crosshairs[0].value() == pytest.approx(0.22)
    plots._on_mouse_left()
    assert not plots._crosshairs[0].isVisible()
    assert plots.readout_text().startswith("Latest")


def test_export_png_and_csv(plots, qtbot, tmp_path):
    feed(plots, epochs=2)
    plots.add_marker("λ 0 → 5")
    png = tmp_path / "plots.png"
    plots.export_png(str(png))
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 100 and image.height() > 100
    out = tmp_path / "history.csv"
    plots.export_csv(str(out))
    assert [p.name for p in tmp_path.iterdir()] and not [p for p in tmp_path.iterdir() if p.suffix == ".part"]
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    kinds = [r["record"] for r in rows]
    assert kinds.count("batch") == 20 and kinds.count("epoch") == 3 and kinds.count("marker") == 1
    assert list(rows[0].keys())[:8] == ["record", "position", "epoch", "batch", "step", "batch_cost",
                                         "train_cost", "train_accuracy"]
    first_epoch = next(r for r in rows if r["record"] == "epoch")
    assert first_epoch["epoch"] == "0" and float(first_epoch["train_cost"]) == pytest.approx(1.0)
    assert float(first_epoch["delta_norm_output"]) == pytest.approx(0.1)
    assert rows[0] is first_epoch  # time order: the initial evaluation comes first
    b = next(r for r in rows if r["record"] == "batch")
    assert b["train_accuracy"] == "" and float(b["batch_cost"]) == pytest.approx(1.0)
    marker = next(r for r in rows if r["record"] == "marker")
    assert marker["note"] == "λ 0 → 5" and float(marker["position"]) == pytest.approx(2.0)
    positions = [float(r["position"]) for r in rows]
    assert positions == sorted(positions)


def test_history_round_trip(plots, qtbot):
    feed(plots, epochs=2)
    plots.add_batch(batch(21, cost=float("nan")))
    plots.add_marker("η 0.5 → 0.1")
    plots.set_resolution("epoch")
    d = json.loads(json.dumps(plots.history(), allow_nan=False))  # strictly JSON
    assert d["batches"]["cost"][-1] is None
    other = TrainingPlots()
    qtbot.addWidget(other)
    other.load_history(d)
    assert other.history() == d
    assert other.n_layers() == 3 and other.is_classification()
    assert other.resolution() == "epoch"
    assert other.batch_count() == 21 and other.epoch_count() == 3
    assert other.markers() == [(pytest.approx(2.1), "η 0.5 → 0.1")]
    with pytest.raises(ValueError, match="Workbench plot history"):
        other.load_history({"format": "something else"})
    broken = dict(d, batches={"x": [1.0]})
    with pytest.raises(ValueError, match="incomplete"):
        other.load_history(broken)


def test_nan_and_inf_do_not_crash(plots, qtbot, tmp_path):
    plots.add_batch(batch(1))
    plots.add_batch(batch(2, cost=float("nan"), norms=[float("inf"), float("nan"), 0.0]))
    plots.add_batch(batch(3, cost=float("inf")))
    plots.add_epoch(EpochRecord(1, float("nan"), None, None, None, [None, None, None], [1.0] * 3, 0.1, 10.0))
    qtbot.waitUntil(lambda: n_points(plots._batch_cost) == 3, timeout=2000)
    plots.grab()  # paints with the non-finite values
    plots.set_resolution("epoch")
    plots.refresh()
    plots.grab()
    plots.export_csv(str(tmp_path / "h.csv"))
    json.dumps(plots.history(), allow_nan=False)


def test_watched_gradients_tab(plots, qtbot):
    assert plots._tabs.count() == 1
    plots.reset(3, True, watch=[(0, 1, 2), (2, 0, 0)])
    assert plots._tabs.count() == 2
    assert [label.text for _, label in plots.watch_plot.legend.items] == [
        "input #2 → hidden 1 #3", "hidden 2 #1 → output #1"]
    for s in range(1, 6):
        plots.add_batch(batch(s, watched=[0.01 * s, -0.02 * s]))
    qtbot.waitUntil(lambda: n_points(plots._watch_curves[1]) == 5, timeout=2000)
    _, y = plots._watch_curves[1].getData()
    assert y[-1] == pytest.approx(-0.1)
    plots.reset(3, True)
    assert plots._tabs.count() == 1
    # Watched values without a reset naming them still get a tab, named by position.
    plots.add_batch(batch(1, watched=[0.5]))
    assert plots._tabs.count() == 2
    assert [label.text for _, label in plots.watch_plot.legend.items] == ["watched weight 1"]


def test_following_a_weight_mid_history_keeps_the_others(plots, qtbot):
    plots.reset(3, True, watch=[(0, 1, 2)])
    for s in range(1, 4):
        plots.add_batch(batch(s, watched=[0.1 * s]))
    plots.set_watch([(0, 1, 2), (1, 0, 4)])
    assert plots.watch() == [(0, 1, 2), (1, 0, 4)]
    for s in range(4, 6):
        plots.add_batch(batch(s, watched=[0.1 * s, -1.0 * s]))
    plots.refresh()
    history = plots.history()
    first, second = history["batches"]["watched"]
    assert first == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert second == [None, None, None, -4.0, -5.0]    # gaps before it was followed
    assert history["watch"] == [[0, 1, 2], [1, 0, 4]]
    # Records still carrying the old list (the worker has not switched yet) are left out, not misplaced.
    plots.set_watch([(1, 0, 4)])
    plots.add_batch(batch(6, watched=[0.6, -6.0]))
    plots.add_batch(batch(7, watched=[-7.0]))
    assert plots.history()["batches"]["watched"] == [[None, None, None, -4.0, -5.0, None, -7.0]]
    plots.set_watch([])
    assert plots._tabs.count() == 1
    plots.add_batch(batch(8, watched=[-8.0]))            # a late record of the old list: no tab
    assert plots._tabs.count() == 1


def test_followed_weights_survive_a_history_round_trip(plots, qtbot):
    plots.reset(3, True, watch=[(2, 0, 0)])
    for s in range(1, 4):
        plots.add_batch(batch(s, watched=[0.5 * s]))
    saved = json.loads(json.dumps(plots.history()))
    plots.reset(3, True)
    plots.load_history(saved)
    assert plots.watch() == [(2, 0, 0)]
    assert plots.history()["batches"]["watched"] == [[0.5, 1.0, 1.5]]
    saved["watch"] = [[2, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="followed weights"):
        plots.load_history(saved)
    assert plots.watch() == []


def test_records_of_another_depth_reconfigure(plots, qtbot):
    plots.add_batch(batch(1, n_layers=2))
    assert plots.n_layers() == 2
    assert [label.text for _, label in plots.speed_plot.legend.items] == ["hidden 1", "output"]


def test_log_cost_checkbox(plots, qtbot):
    feed(plots, epochs=1)
    plots._log_cost.setChecked(True)
    assert plots.cost_plot.getAxis("left").logMode
    plots.refresh()
    plots.grab()
    plots._log_cost.setChecked(False)
    assert not plots.cost_plot.getAxis("left").logMode


def test_dark_palette_restyles(plots, qtbot):
    from PySide6.QtGui import QColor, QPalette

    feed(plots, epochs=1)
    palette = QPalette(plots.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    plots.setPalette(palette)
    assert plots._is_dark()
    assert plots._glw.backgroundBrush().color() == QColor("#1e1e1e")
    assert plots.cost_plot.getAxis("left").textPen().color() == QColor("#e0e0e0")
    plots.grab()


def test_export_to_unwritable_place_raises(plots, tmp_path):
    feed(plots, epochs=1)
    with pytest.raises(OSError):
        plots.export_csv(str(tmp_path / "no-such-folder" / "h.csv"))
    with pytest.raises(OSError):
        plots.export_png(str(tmp_path / "no-such-folder" / "p.png"))


@pytest.mark.parametrize("width", [420, 640, 1400])
def test_legends_sit_beside_the_titles_above_the_curves(plots, qtbot, width):
    plots.reset(5, True, watch=[(0, 0, 0)])
    plots.resize(width, 600)
    feed(plots, epochs=2, n_layers=5)
    plots.refresh()
    qtbot.waitUntil(lambda: plots._glw.width() <= width, timeout=2000)
    QApplication.processEvents()
    canvas = plots._glw.sceneRect()
    for title, legend, plot in ((plots._cost_title, plots._cost_legend, plots.cost_plot),
                                (plots._accuracy_title, plots._accuracy_legend, plots.accuracy_plot),
                                (plots._speed_title, plots._speed_legend, plots.speed_plot)):
        box, view = legend.sceneBoundingRect(), plot.vb.sceneBoundingRect()
        assert len(legend.items) > 0
        assert box.bottom() <= view.top() + 1                  # never over the curves
        assert canvas.contains(box)                             # nor cut off at the right
        assert not title.sceneBoundingRect().intersects(box)    # nor over its title
    if width != 640:                                             # the title shortens to make room
        assert plots._speed_title.text.startswith("Learning speed ‖δˡ‖ =") == (width > 640)


def test_new_data_is_painted_once_and_the_canvas_keeps_its_size(plots, qtbot):
    """Fitting the axes before the paint (not inside it) and a readout that does not shrink back
    keep each redraw to one paint of the canvas (each paint holds the interpreter lock)."""
    paints = []

    class CountPaints(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                paints.append(1)
            return False

    counter = CountPaints()
    plots._glw.viewport().installEventFilter(counter)
    plots.auto_refresh = False
    feed(plots, epochs=2)
    plots.refresh()
    qtbot.wait(100)
    size = plots._glw.size()
    for e in range(3, 6):
        paints.clear()
        for s in range((e - 1) * PER_EPOCH + 1, e * PER_EPOCH + 1):
            plots.add_batch(batch(s))
        plots.add_epoch(epoch_rec(e))
        plots.refresh()
        qtbot.wait(100)
        assert len(paints) == 1
    assert plots._glw.size() == size
