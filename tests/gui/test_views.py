"""The plot views over the Experiment's RunHistory: CurvesView (cost, accuracy, learning speed) and
FollowedWeightsView (∂C/∂w of the followed weights): curves after a refresh, log axes, legends,
markers, hover readout, export, loaded histories, layout, empty states and resets."""

import csv
import json
import math
import time
from types import SimpleNamespace

import numpy as np
import pytest

from PySide6.QtCore import QBuffer, QEvent, QIODevice, QObject, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel
import pyqtgraph as pg

from workbench.core import BatchRecord, EpochRecord, atomic_write
from workbench.core.history import HistoryError, RunHistory, layer_names
from workbench.gui.experiment import Experiment
from workbench.gui.frame_clock import FrameClock
from workbench.gui.palette import is_dark
from workbench.gui.views.curves import EMPTY_TEXT, CurvesView
from workbench.gui.views.followed import EMPTY_TEXT as FOLLOW_TEXT
from workbench.gui.views.followed import FollowedWeightsView

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


def epoch_rec(e, n_layers=3, classification=True, validation=True, scale=1.0):
    return EpochRecord(
        epoch=e, train_cost=scale / (e + 1), train_accuracy=(0.5 + e / 40) if classification else None,
        val_cost=1.1 * scale / (e + 1) if validation else None,
        val_accuracy=(0.45 + e / 40) if classification and validation else None,
        delta_norms=[10.0 ** -(n_layers - l) / (e + 1) for l in range(n_layers)],
        weight_norms=[1.0 + e] * n_layers, seconds=0.5 if e else 0.0, samples_per_second=200.0 if e else 0.0)


def add(exp, batches=(), epochs=()):
    """Append records to the experiment's history as the training controller does, and tell the views."""
    exp.history.add_batches(list(batches))
    exp.history.add_epochs(list(epochs))
    exp.notify_appended()


def feed(exp, epochs=2, n_layers=3, watched=None, first=1, **kw):
    """Epoch 0 (unless ``first`` > 1), then ``epochs`` epochs of 10 batches each, one record at a time."""
    if first == 1:
        add(exp, epochs=[epoch_rec(0, n_layers, **kw)])
    for e in range(first, first + epochs):
        for s in range((e - 1) * PER_EPOCH + 1, e * PER_EPOCH + 1):
            add(exp, batches=[batch(s, n_layers, watched=watched(s) if watched else ())])
        add(exp, epochs=[epoch_rec(e, n_layers, **kw)])


def install(exp, n_layers=3, classification=True, watch=None):
    """A fresh history of that shape, installed as a new run's is (no undo step)."""
    history = RunHistory(n_layers, classification, watch)
    exp.adopt_network(None, 0, 0, history)
    return history


def n_points(curve):
    """Points given to a curve (``getData`` gives what is drawn: fewer where downsampled)."""
    x = curve.xData
    return 0 if x is None else len(x)


def legend_texts(plot):
    return [label.text for _, label in plot.legend.items]


def marker_lines(plot):
    return [i for i in plot.items if isinstance(i, pg.InfiniteLine) and i.pen.style() == Qt.PenStyle.DashLine]


@pytest.fixture
def experiment():
    exp = Experiment()
    exp.set_architecture({"sizes": [2, 5, 5, 1], "activations": ["sigmoid"] * 3, "cost": "cross-entropy"})
    assert exp.history.n_layers == 3 and exp.history.classification
    return exp


@pytest.fixture
def view(qtbot, experiment):
    v = CurvesView(experiment)
    qtbot.addWidget(v)
    v.resize(640, 720)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    return v


@pytest.fixture
def followed(qtbot, experiment):
    v = FollowedWeightsView(experiment)
    qtbot.addWidget(v)
    v.resize(640, 480)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    return v


# ---------------------------------------------------------------------- CurvesView
def test_empty_state_until_data(view, experiment):
    assert view.empty_label.text() == EMPTY_TEXT
    assert view.empty_label.isVisible()
    add(experiment, batches=[batch(1)])
    assert view.is_dirty()
    view.refresh()
    assert not view.empty_label.isVisible()
    experiment.reset_history()
    view.refresh()
    assert view.empty_label.isVisible()
    assert experiment.history.batch_count == 0 and experiment.history.epoch_count == 0
    assert n_points(view.batch_cost) == 0 and all(n_points(c) == 0 for c in view.speed_curves)


def test_batches_grow_curves_and_the_clock_stops(view, experiment, qtbot):
    clock = FrameClock(view)
    view.attach(clock)
    n = 1300  # more than a table's initial 512 rows: it grows twice
    for s in range(1, n + 1):
        experiment.history.add_batches([batch(s)])
    experiment.notify_appended()                  # the view is marked dirty, the clock draws it
    assert experiment.history.batch_points == n
    qtbot.waitUntil(lambda: all(n_points(c) == n for c in view.speed_curves), timeout=3000)
    assert n_points(view.batch_cost) == n
    x, y = view.batch_cost.getData()
    # Fractional epochs; a batch sits where it starts (its cost is measured before its update).
    assert x[0] == pytest.approx(0.0) and x[-1] == pytest.approx((n - 1) / PER_EPOCH)
    assert y[9] == pytest.approx(0.1)
    # The clock stops once nothing is dirty.
    qtbot.waitUntil(lambda: not clock._timer.isActive() and not view.is_dirty(), timeout=2000)


def test_appending_is_cheap_and_drawn_only_on_refresh(view, experiment):
    """The history's slot only marks the view dirty: feeding thousands of records one by one costs
    microseconds each, and the curves are drawn once, on the next refresh."""
    recs = [batch(s) for s in range(1, 3001)]
    started = time.perf_counter()
    for r in recs:
        experiment.history.add_batches([r])
        experiment.notify_appended()
    per_call = (time.perf_counter() - started) / len(recs)
    assert per_call < 100e-6  # a few µs normally; generous for a loaded machine
    assert view.is_dirty() and n_points(view.batch_cost) == 0
    view.refresh()
    assert not view.is_dirty()
    assert n_points(view.batch_cost) == 3000


def test_learning_speed_is_log_with_layer_legend(view, experiment):
    assert view.speed_plot.getAxis("left").logMode
    assert legend_texts(view.speed_plot) == ["hidden 1", "hidden 2", "output"] == layer_names(3)
    curves = view.speed_curves
    assert curves[-1].opts["pen"].style() == Qt.PenStyle.DashLine
    assert curves[0].opts["pen"].style() == Qt.PenStyle.SolidLine
    assert curves[0].opts["pen"].color() != curves[1].opts["pen"].color()
    add(experiment, batches=[batch(1, norms=[1e-3, 1e-2, 1e-1]),
                             batch(2, norms=[1e-4, 0.0, 1e-1])])  # 0 has no log: pinned to the floor
    view.refresh()
    raw = view.speed.raw
    assert n_points(curves[0]) == 2 and n_points(raw[0]) == 2
    assert list(raw[0].yData) == pytest.approx([-3, -4])  # log10 shown on the log axis
    assert list(curves[0].yData) == pytest.approx([-3, -3.526315789])  # smoothed 0.9, debiased
    y1 = raw[1].yData
    assert y1[0] == pytest.approx(-2) and math.isnan(y1[1])
    assert list(view.speed.zeros[1].xData) == [pytest.approx(0.1)]
    assert list(view.speed.zeros[1].yData) == [-5.0]      # a decade below the smallest value, 1e-4
    # Switching the axis to linear (plot context menu) shows the raw values at the next refresh.
    view.speed_plot.setLogMode(y=False)
    assert view.is_dirty()
    view.refresh()
    assert raw[0].yData[0] == pytest.approx(1e-3) and curves[0].yData[0] == pytest.approx(1e-3)
    assert list(view.speed.zeros[1].yData) == [0.0]
    view.speed_plot.setLogMode(y=True)
    install(experiment, 5, True)
    view.refresh()
    assert legend_texts(view.speed_plot) == ["hidden 1", "hidden 2", "hidden 3", "hidden 4", "output"]
    assert len(view.speed_curves) == 5
    install(experiment, 2, True)       # another fresh history (the same generation number as the last)
    view.refresh()
    assert legend_texts(view.speed_plot) == ["hidden 1", "output"]


def test_epoch_resolution(view, experiment, qtbot):
    feed(experiment, epochs=3)
    view.refresh()
    assert n_points(view.speed_curves[0]) == 30
    assert n_points(view.train_cost) == 4  # epochs 0..3
    assert n_points(view.val_acc) == 4
    _, acc = view.train_acc.getData()
    assert acc[0] == pytest.approx(50.0)  # percent
    view.set_resolution("epoch")
    assert view.resolution() == "epoch" == experiment.plot_resolution
    assert view.resolution_combo.currentData() == "epoch"
    view.refresh()
    assert n_points(view.speed_curves[0]) == 4
    x, _ = view.speed_curves[0].getData()
    assert list(x) == [0, 1, 2, 3]
    assert n_points(view.batch_cost) == 0
    assert "training, per batch" not in legend_texts(view.cost_plot)
    view.resolution_combo.setCurrentIndex(view.resolution_combo.findData("batch"))
    assert view.resolution() == "batch"
    assert "training, per batch" in legend_texts(view.cost_plot)
    view.refresh()
    assert n_points(view.speed_curves[0]) == 30
    with pytest.raises(ValueError):
        view.set_resolution("sample")


def test_regression_hides_accuracy(view, experiment, qtbot):
    install(experiment, 2, False)
    feed(experiment, epochs=1, n_layers=2, classification=False)
    view.refresh()
    assert n_points(view.train_cost) == 2
    assert not view.accuracy_plot.isVisible()
    assert n_points(view.train_acc) == 0
    assert "accuracy" not in view.readout_text()
    install(experiment, 2, True)
    feed(experiment, epochs=1, n_layers=2)
    view.refresh()
    assert view.accuracy_plot.isVisible()
    assert n_points(view.train_acc) == 2
    assert "accuracy" in view.readout_text()


def test_markers_on_every_plot(view, experiment):
    add(experiment, batches=[batch(s) for s in range(1, 16)])
    experiment.add_marker("η 0.5 → 0.1")
    assert experiment.history.markers == [(pytest.approx(1.5), "η 0.5 → 0.1")]
    assert view.is_dirty()
    view.refresh()
    assert view.markers.drawn == [(pytest.approx(1.5), "η 0.5 → 0.1")]
    for plot in view.plots:
        lines = marker_lines(plot)
        assert len(lines) == 1 and lines[0] in view.markers.lines
        assert lines[0].value() == pytest.approx(1.5)
        assert lines[0].pen.style() == Qt.PenStyle.DashLine
    label = marker_lines(view.cost_plot)[0].label
    assert label.toPlainText() == "η 0.5 → 0.1"
    experiment.add_marker("{odd} text")  # braces are not format fields
    view.refresh()
    assert marker_lines(view.cost_plot)[1].label.toPlainText() == "{odd} text"
    assert all(len(marker_lines(plot)) == 2 for plot in view.plots)
    experiment.reset_history()
    view.refresh()
    assert experiment.history.markers == [] and view.markers.lines == []
    assert not any(marker_lines(plot) for plot in view.plots)


def test_hover_shows_values(view, experiment):
    feed(experiment, epochs=2)
    view.refresh()
    assert n_points(view.batch_cost) == 20
    assert view.readout_text().startswith("Latest")
    vb = view.cost_plot.vb
    scene_pos = vb.mapViewToScene(QPointF(0.22, 0.5))
    view.canvas.scene().sigMouseMoved.emit(scene_pos)
    text = view.readout_text()
    assert "epoch 1, batch 3 (step 3)" in text
    assert "hidden 1" in text and "output" in text
    assert "initial weights" in text  # nearest epoch summary to x = 0.22 is epoch 0
    assert all(line.isVisible() for line in view.crosshairs)
    assert view.crosshairs[0].value() == pytest.approx(0.22)
    QApplication.sendEvent(view.canvas.viewport(), QEvent(QEvent.Type.Leave))
    assert not view.crosshairs[0].isVisible()
    assert view.readout_text().startswith("Latest")


def test_export_png_and_csv(view, experiment, tmp_path):
    feed(experiment, epochs=2)
    experiment.add_marker("λ 0 → 5")
    view.refresh()
    png = tmp_path / "plots.png"
    assert view.export_widget().grab().save(str(png))
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 100 and image.height() > 100
    out = tmp_path / "history.csv"
    experiment.history.write_csv(str(out))
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
    # The CSV holds what the curves show.
    batch_costs = [float(r["batch_cost"]) for r in rows if r["record"] == "batch"]
    assert batch_costs == pytest.approx(list(view.batch_cost.getData()[1]))


def curve_data(v):
    """What every curve of a CurvesView shows, as lists (None for NaN) that compare equal."""
    def points(curve):
        return [[None if math.isnan(p) else p for p in np.asarray(a, dtype=float).tolist()]
                for a in curve.getData() if a is not None]

    curves = {name: getattr(v, name) for name in ("batch_cost", "train_cost", "val_cost", "train_acc", "val_acc")}
    curves.update({f"speed {k}": c for k, c in enumerate(v.speed_curves)})
    return {name: points(curve) for name, curve in curves.items()}


def test_a_loaded_history_draws_the_same_curves(view, experiment, qtbot):
    feed(experiment, epochs=2)
    add(experiment, batches=[batch(21, cost=float("nan"))])
    experiment.add_marker("η 0.5 → 0.1")
    view.set_resolution("epoch")
    view.refresh()
    d = json.loads(json.dumps(experiment.history.to_json(view.resolution()), allow_nan=False))  # strictly JSON
    assert d["batches"]["cost"][-1] is None and d["resolution"] == "epoch"

    other_exp = Experiment()
    other = CurvesView(other_exp)
    qtbot.addWidget(other)
    other.resize(640, 720)
    other.show()
    other_exp.adopt_network(None, 0, 0, RunHistory.from_json(d))
    other.set_resolution(d["resolution"])
    other.refresh()
    assert other.resolution() == "epoch" and other.resolution_combo.currentData() == "epoch"
    assert legend_texts(other.speed_plot) == layer_names(3)
    assert other.accuracy_plot.isVisible()
    assert curve_data(other) == curve_data(view)
    for mode in ("batch", "epoch"):
        view.set_resolution(mode)
        other.set_resolution(mode)
        view.refresh()
        other.refresh()
        assert curve_data(other) == curve_data(view)
    assert other.markers.drawn == [(pytest.approx(2.1), "η 0.5 → 0.1")]
    assert other.readout_text() == view.readout_text()
    # A file that is not a history, or a damaged one, changes nothing on screen.
    before = curve_data(other)
    with pytest.raises(HistoryError, match="Workbench plot history"):
        other_exp.history.load_json({"format": "something else"})
    with pytest.raises(HistoryError, match="incomplete"):
        other_exp.history.load_json(dict(d, batches={"x": [1.0]}))
    other.mark_dirty()
    other.refresh()
    assert curve_data(other) == before


def test_nan_and_inf_do_not_crash(view, experiment, tmp_path):
    add(experiment, batches=[batch(1), batch(2, cost=float("nan"), norms=[float("inf"), float("nan"), 0.0]),
                             batch(3, cost=float("inf"))],
        epochs=[EpochRecord(1, float("nan"), None, None, None, [None, None, None], [1.0] * 3, 0.1, 10.0)])
    view.refresh()
    assert n_points(view.batch_cost) == 3
    view.grab()  # paints with the non-finite values
    view.set_resolution("epoch")
    view.refresh()
    view.grab()
    view.canvas.scene().sigMouseMoved.emit(view.cost_plot.vb.mapViewToScene(QPointF(0.1, 0.5)))
    assert "–" in view.readout_text()
    experiment.history.write_csv(str(tmp_path / "h.csv"))
    json.dumps(experiment.history.to_json(), allow_nan=False)


def test_records_of_another_depth_reconfigure(view, experiment):
    add(experiment, batches=[batch(1, n_layers=2)])
    assert experiment.history.n_layers == 2
    view.refresh()
    assert legend_texts(view.speed_plot) == ["hidden 1", "output"]
    assert n_points(view.speed_curves[0]) == 1


def test_log_cost_checkbox(view, experiment):
    feed(experiment, epochs=1)
    view.refresh()
    view.log_cost.setChecked(True)
    assert view.cost_plot.getAxis("left").logMode
    view.refresh()
    _, y = view.train_cost.getData()
    assert y[0] == pytest.approx(0.0)           # log10(1.0)
    view.grab()
    view.log_cost.setChecked(False)
    assert not view.cost_plot.getAxis("left").logMode
    view.refresh()
    assert view.train_cost.getData()[1][0] == pytest.approx(1.0)


def test_dark_palette_restyles(view, experiment):
    feed(experiment, epochs=1)
    view.refresh()
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    view.setPalette(palette)
    assert is_dark(view.palette(), QPalette.ColorRole.Base)
    assert view.canvas.backgroundBrush().color() == QColor("#1e1e1e")
    assert view.cost_plot.getAxis("left").textPen().color() == QColor("#e0e0e0")
    view.grab()


def png_bytes(widget) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert widget.grab().save(buffer, "PNG")
    return bytes(buffer.data())


def test_export_to_unwritable_place_raises(view, experiment, tmp_path):
    feed(experiment, epochs=1)
    view.refresh()
    with pytest.raises(OSError):
        experiment.history.write_csv(str(tmp_path / "no-such-folder" / "h.csv"))
    data = png_bytes(view.export_widget())       # as the window's File → Export → Plots as PNG
    assert data.startswith(b"\x89PNG")
    with pytest.raises(OSError):
        atomic_write(str(tmp_path / "no-such-folder" / "p.png"), lambda f: f.write(data))
    assert not any(p.suffix == ".part" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("width", [420, 640, 1400])
def test_legends_sit_beside_the_titles_above_the_curves(view, experiment, qtbot, width):
    install(experiment, 5, True, watch=[(0, 0, 0)])
    view.resize(width, 600)
    feed(experiment, epochs=2, n_layers=5)
    view.refresh()
    qtbot.waitUntil(lambda: view.canvas.width() <= width, timeout=2000)
    QApplication.processEvents()
    canvas = view.canvas.sceneRect()
    for title, legend, plot in ((view.cost_title, view.cost_legend, view.cost_plot),
                                (view.accuracy_title, view.accuracy_legend, view.accuracy_plot),
                                (view.speed_title, view.speed_legend, view.speed_plot)):
        box, vb = legend.sceneBoundingRect(), plot.vb.sceneBoundingRect()
        assert len(legend.items) > 0
        assert box.bottom() <= vb.top() + 1                    # never over the curves
        assert canvas.contains(box)                             # nor cut off at the right
        assert not title.sceneBoundingRect().intersects(box)    # nor over its title
    if width != 640:                                             # the title shortens to make room
        assert view.speed_title.text.startswith("Learning speed ‖δˡ‖ =") == (width > 640)


def test_new_data_is_painted_once_and_the_canvas_keeps_its_size(view, experiment, qtbot):
    """Fitting the axes before the paint (not inside it) and a readout that does not shrink back
    keep each redraw to one paint of the canvas (each paint holds the interpreter lock)."""
    paints = []

    class CountPaints(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                paints.append(1)
            return False

    counter = CountPaints()
    view.canvas.viewport().installEventFilter(counter)
    feed(experiment, epochs=2)
    view.refresh()
    qtbot.wait(100)
    size = view.canvas.size()
    for e in range(3, 6):
        paints.clear()
        feed(experiment, epochs=1, first=e)
        view.refresh()
        qtbot.waitUntil(lambda: len(paints) >= 1, timeout=2000)
        qtbot.wait(100)                 # a second paint would come straight after the first
        assert len(paints) == 1
    assert view.canvas.size() == size


# ---------------------------------------------------------------------- regressions a new user hit
def visible_texts(view):
    """Every visible text over the plot area that is not a title, legend entry, axis or marker
    label: QLabels laid over the canvas and pyqtgraph labels/text items drawn in the plots."""
    texts = [w.text() for w in view.canvas.parentWidget().findChildren(QLabel) if w.isVisible() and w.text()]
    headers = {view.cost_title, view.accuracy_title, view.speed_title}
    legend_labels = {label for legend in (view.cost_legend, view.accuracy_legend, view.speed_legend)
                     for _, label in legend.items}
    for item in view.canvas.scene().items():
        if isinstance(item, (pg.LabelItem, pg.TextItem)) and item.isVisible():
            if item in headers or item in legend_labels or isinstance(item.parentItem(), pg.InfiniteLine):
                continue
            text = item.text if isinstance(item, pg.LabelItem) else item.toPlainText()
            if text:
                texts.append(text)
    return texts


def test_regression_data_gives_the_accuracy_plot_no_room_and_no_overlapping_notes(view, experiment, qtbot):
    install(experiment, 2, False)
    view.refresh()
    QApplication.processEvents()
    # Empty: only the view's one placeholder, nothing written over or under it.
    assert visible_texts(view) == [EMPTY_TEXT]
    feed(experiment, epochs=2, n_layers=2, classification=False)
    view.refresh()
    QApplication.processEvents()
    assert visible_texts(view) == []
    assert not view.empty_label.isVisible()
    for item in (view.accuracy_plot, view.accuracy_title, view.accuracy_legend):
        assert not item.isVisible()
        assert item.geometry().height() < 1
    canvas = view.canvas.ci.geometry().height()
    cost, speed = view.cost_plot.geometry().height(), view.speed_plot.geometry().height()
    headers = view.cost_title.geometry().height() + view.speed_title.geometry().height()
    assert canvas - (cost + speed + headers) < 20  # the two plots share the canvas (margins, spacing)
    assert view.speed_plot.vb.sceneBoundingRect().top() >= view.cost_plot.vb.sceneBoundingRect().bottom()
    assert speed > cost                           # the learning speed keeps its larger share
    # Nothing the header rows redo later (legend columns at another width, a new palette, another
    # resolution, the log cost axis) gives the accuracy plot its room back.
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    for change in (lambda: view.resize(300, 720), lambda: view.resize(1400, 720), lambda: view.resize(640, 720),
                   lambda: view.setPalette(palette), lambda: view.set_resolution("epoch"),
                   lambda: view.log_cost.setChecked(True)):
        change()
        view.refresh()
        QApplication.processEvents()
        assert all(item.geometry().height() < 1 for item in
                   (view.accuracy_plot, view.accuracy_title, view.accuracy_legend))
        assert view.canvas.ci.geometry().height() - (
            view.cost_plot.geometry().height() + view.speed_plot.geometry().height()
            + view.cost_title.geometry().height() + view.speed_title.geometry().height()) < 20
        assert visible_texts(view) == []
    # Back to a classification history: the accuracy plot returns between them, with its share.
    install(experiment, 2, True)
    feed(experiment, epochs=1, n_layers=2)
    view.refresh()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: view.accuracy_plot.geometry().height() > 50, timeout=2000)
    assert view.accuracy_plot.isVisible() and view.accuracy_title.isVisible()
    assert visible_texts(view) == []
    # And regression again, by a reset of the same history in place (a regression data set chosen).
    history = experiment.history
    experiment.set_dataset(SimpleNamespace(task="regression", train=None), "regression.csv", modifies=False)
    assert experiment.history is history and not history.classification and history.batch_count == 0
    view.refresh()
    QApplication.processEvents()
    assert view.accuracy_plot.geometry().height() < 1
    assert visible_texts(view) == [EMPTY_TEXT]


def test_regression_data_set_through_the_experiment(view, experiment):
    """The same through the data set, as the Data panel sets it (the history follows its task)."""
    experiment.set_dataset(SimpleNamespace(task="regression", train=None), "regression.csv", modifies=False)
    assert not experiment.history.classification
    view.refresh()
    QApplication.processEvents()
    assert visible_texts(view) == [EMPTY_TEXT]
    assert view.accuracy_plot.geometry().height() < 1


def fed_big(exp):
    """A long run with large costs: cost ~100, 50 epochs."""
    add(exp, epochs=[epoch_rec(0, scale=100.0)])
    for e in range(1, 51):
        add(exp, batches=[batch(s, cost=100.0 + s % 7) for s in range((e - 1) * PER_EPOCH + 1, e * PER_EPOCH + 1)],
            epochs=[epoch_rec(e, scale=100.0)])


def fed_small(exp):
    """A short run with small costs: cost ~0.5, 2 epochs."""
    add(exp, epochs=[epoch_rec(0, scale=0.5)])
    for e in (1, 2):
        add(exp, batches=[batch(s, cost=0.5 / s ** 0.5) for s in range((e - 1) * PER_EPOCH + 1, e * PER_EPOCH + 1)],
            epochs=[epoch_rec(e, scale=0.5)])


def assert_fits_small(view):
    (x0, x1), (y0, y1) = view.cost_plot.vb.viewRange()
    assert x1 < 5 and y1 < 10, view.cost_plot.vb.viewRange()
    assert x0 > -1 and y0 > -1
    for plot in (view.accuracy_plot, view.speed_plot):
        assert plot.vb.viewRange()[0][1] < 5


@pytest.mark.parametrize("zoomed", [False, True])
@pytest.mark.parametrize("draw_empty", [False, True])
@pytest.mark.parametrize("how", ["reset", "adopt"])
def test_plots_of_a_new_run_do_not_keep_the_old_ranges(view, experiment, how, draw_empty, zoomed):
    install(experiment)                 # a run's history, as Train installs it for a new network
    view.refresh()
    fed_big(experiment)
    view.refresh()
    QApplication.processEvents()
    (_, x1), (_, y1) = view.cost_plot.vb.viewRange()
    assert x1 >= 50 and y1 >= 100
    if zoomed:                          # the user zoomed into the old run: auto range is off
        view.cost_plot.vb.setRange(xRange=(10, 40), yRange=(90, 120))
        view.speed_plot.vb.setRange(yRange=(-5, -4))
    if how == "reset":                  # Train after Reset Weights: the same history starts over
        experiment.reset_history()
    else:                               # a new network (another architecture, a new session)
        experiment.adopt_network(None, 0, 0, None)
    assert experiment.history.batch_count == 0
    if draw_empty:                      # the frame clock draws the empty plots before data comes
        view.refresh()
        QApplication.processEvents()
        assert view.empty_label.isVisible()
        (_, x1), (_, y1) = view.cost_plot.vb.viewRange()
        assert x1 < 5 and y1 < 10, view.cost_plot.vb.viewRange()
    fed_small(experiment)
    view.refresh()
    QApplication.processEvents()
    assert_fits_small(view)
    assert view.speed_plot.vb.viewRange()[1][1] > -2        # log10 of the largest ‖δˡ‖ (0.1): -1
    view.grab()                         # and stays so once painted
    assert_fits_small(view)


@pytest.mark.parametrize("how", ["reset", "adopt"])
def test_followed_weights_of_a_new_run_do_not_keep_the_old_ranges(followed, experiment, how):
    install(experiment, watch=[(0, 0, 0)])
    add(experiment, batches=[batch(s, watched=[50.0 * (-1) ** s]) for s in range(1, 501)])
    followed.refresh()
    QApplication.processEvents()
    (_, x1), (_, y1) = followed.plot.vb.viewRange()
    assert x1 >= 49 and y1 >= 50
    if how == "reset":
        experiment.reset_history()
    else:
        experiment.adopt_network(None, 0, 0, None)
    assert experiment.watch == [(0, 0, 0)]
    followed.refresh()
    QApplication.processEvents()
    (_, x1), (_, y1) = followed.plot.vb.viewRange()
    assert x1 < 5 and y1 < 10                   # the empty plot
    add(experiment, batches=[batch(s, watched=[0.01 * s]) for s in range(1, 21)])
    followed.refresh()
    QApplication.processEvents()
    (x0, x1), (y0, y1) = followed.plot.vb.viewRange()
    assert -1 < x0 and x1 < 5 and -1 < y0 and y1 < 1


def test_history_markers_on_every_plot_and_gone_after_a_reset(view, followed, experiment):
    experiment.set_watch([(0, 1, 0)])
    feed(experiment, epochs=1, watched=lambda s: [0.01 * s])
    experiment.add_marker("η 0.5 → 0.1")
    add(experiment, batches=[batch(11, watched=[0.11])])
    experiment.add_marker("λ 0 → 5")
    view.refresh()
    followed.refresh()
    positions = [pytest.approx(1.0), pytest.approx(1.1)]
    for plot in view.plots + [followed.plot]:
        lines = marker_lines(plot)
        assert [line.value() for line in lines] == positions
    assert [line.label.toPlainText() for line in marker_lines(view.cost_plot)] == ["η 0.5 → 0.1", "λ 0 → 5"]
    assert [line.label.toPlainText() for line in marker_lines(followed.plot)] == ["η 0.5 → 0.1", "λ 0 → 5"]
    experiment.reset_history()
    assert experiment.history.watch == [(0, 1, 0)]          # a reset keeps the followed weights
    view.refresh()
    followed.refresh()
    for plot in view.plots + [followed.plot]:
        assert marker_lines(plot) == []
    # A new history installed (a loaded one, with markers of its own): its markers only.
    experiment.add_marker("before")
    view.refresh()
    followed.refresh()
    loaded = RunHistory(3, True, [(0, 1, 0)])
    loaded.add_batches([batch(s, watched=[0.1]) for s in range(1, 6)])
    loaded.add_marker("loaded weights")
    experiment.adopt_network(None, 0, 0, loaded)
    view.refresh()
    followed.refresh()
    for plot in view.plots + [followed.plot]:
        assert [line.value() for line in marker_lines(plot)] == [pytest.approx(0.5)]
    install(experiment, 3, True, watch=[(0, 1, 0)])
    view.refresh()
    followed.refresh()
    for plot in view.plots + [followed.plot]:
        assert marker_lines(plot) == []


# ---------------------------------------------------------------------- FollowedWeightsView
def test_followed_weights_view_empty_until_a_weight_is_followed(followed, experiment):
    assert followed.empty_label.text() == FOLLOW_TEXT
    assert followed.empty_label.isVisible() and not followed.canvas.isVisible()
    experiment.set_watch([(0, 1, 2), (2, 0, 0)])
    followed.refresh()
    assert not followed.empty_label.isVisible() and followed.canvas.isVisible()
    assert legend_texts(followed.plot) == experiment.history.watch_labels == [
        "input #2 → hidden 1 #3", "hidden 2 #1 → output #1"]
    assert [c.name() for c in followed.curves] == experiment.history.watch_labels
    add(experiment, batches=[batch(s, watched=[0.01 * s, -0.02 * s]) for s in range(1, 6)])
    followed.refresh()
    assert n_points(followed.curves[1]) == 5
    _, y = followed.curves[1].getData()
    assert y[-1] == pytest.approx(-0.1)
    install(experiment, 3, True, watch=[])
    followed.refresh()
    assert followed.empty_label.isVisible() and followed.curves == []
    # Watched values in a history that did not name them still get a curve, named by position.
    install(experiment, 3, True)
    add(experiment, batches=[batch(1, watched=[0.5])])
    followed.refresh()
    assert not followed.empty_label.isVisible()
    assert legend_texts(followed.plot) == ["watched weight 1"]
    assert n_points(followed.curves[0]) == 1


def test_following_a_weight_mid_history_keeps_the_others(followed, experiment):
    experiment.set_watch([(0, 1, 2)])
    add(experiment, batches=[batch(s, watched=[0.1 * s]) for s in range(1, 4)])
    followed.refresh()
    assert len(followed.curves) == 1
    experiment.set_watch([(0, 1, 2), (1, 0, 4)])
    assert experiment.watch == [(0, 1, 2), (1, 0, 4)]
    add(experiment, batches=[batch(s, watched=[0.1 * s, -1.0 * s]) for s in range(4, 6)])
    followed.refresh()
    first, second = (c.yData for c in followed.curves)
    assert list(first) == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert np.isnan(second[:3]).all() and list(second[3:]) == [-4.0, -5.0]   # gaps before it was followed
    assert list(followed.curves[0].xData) == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert legend_texts(followed.plot) == ["input #2 → hidden 1 #3", "hidden 1 #1 → hidden 2 #5"]
    # Records still carrying the old list (the worker has not switched yet) are left out, not misplaced.
    experiment.set_watch([(1, 0, 4)])
    add(experiment, batches=[batch(6, watched=[0.6, -6.0]), batch(7, watched=[-7.0])])
    followed.refresh()
    assert len(followed.curves) == 1
    y = followed.curves[0].yData
    assert np.isnan(y[[0, 1, 2, 5]]).all() and list(y[[3, 4, 6]]) == [-4.0, -5.0, -7.0]
    assert len(followed.curves[0].xData) == 7
    experiment.set_watch([])
    followed.refresh()
    assert followed.empty_label.isVisible() and followed.curves == []
    add(experiment, batches=[batch(8, watched=[-8.0])])          # a late record of the old list: no curve
    followed.refresh()
    assert followed.empty_label.isVisible() and followed.curves == []


def test_followed_weights_survive_a_history_round_trip(followed, experiment, qtbot):
    experiment.set_watch([(2, 0, 0)])
    add(experiment, batches=[batch(s, watched=[0.5 * s]) for s in range(1, 4)])
    followed.refresh()
    saved = json.loads(json.dumps(experiment.history.to_json()))
    install(experiment, 3, True)
    followed.refresh()
    assert followed.empty_label.isVisible()
    experiment.adopt_network(None, 0, 0, RunHistory.from_json(saved))
    followed.refresh()
    assert experiment.watch == [(2, 0, 0)]
    assert legend_texts(followed.plot) == ["hidden 2 #1 → output #1"]
    assert list(followed.curves[0].yData) == [0.5, 1.0, 1.5]
    saved["watch"] = [[2, 0, 0], [0, 0, 0]]
    with pytest.raises(HistoryError, match="followed weights"):
        experiment.history.load_json(saved)
    followed.mark_dirty()
    followed.refresh()
    assert experiment.watch == [(2, 0, 0)]       # a damaged file changes nothing
    assert list(followed.curves[0].yData) == [0.5, 1.0, 1.5]


def test_the_resolution_set_in_the_model_reaches_the_view(view, experiment):
    feed(experiment, epochs=2)
    view.refresh()
    experiment.set_resolution("epoch")               # as opening a session saved per epoch does
    assert view.resolution_combo.currentData() == "epoch"
    assert "training, per batch" not in [label.text for _, label in view.cost_legend.items]
    view.refresh()
    assert view.batch_cost.getData()[0] is None or len(view.batch_cost.getData()[0]) == 0
    view.resolution_combo.setCurrentIndex(view.resolution_combo.findData("batch"))
    assert experiment.plot_resolution == "batch" and view.batch_cost.isVisible()
