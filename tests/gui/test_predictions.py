"""The Predictions view: confusion matrix of a hand-set network, per-class accuracy, a cell's items
most confident first (rows and images with top-3), the digit pad, regression RMSE/R², Evaluate on
test, NaN weights, mid-run snapshots and throttling, palette, settings, PNG/CSV export, MNIST."""

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPalette

from workbench.core import Network
from workbench.core.digits import centre_of_mass
from workbench.core.evaluation import evaluation_message
from workbench.data import load_dataset
from workbench.data.dataset import Dataset, Split, one_hot
from workbench.gui.experiment import Experiment
from workbench.gui.views.base import write_csv, write_png
from workbench.gui.views.predictions import NO_DATA, NO_NETWORK, NOT_FINITE, PredictionsView

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window  # noqa: F401

# Three classes read straight from three inputs: softmax(x · I) picks the largest input.
X_TRAIN = np.array([[2, 0, 0], [0, 2, 0], [0, 0, 2]], dtype=np.float32)
X_VAL = np.array([[3, 0, 0],      # true 0 -> 0
                  [0, 1, 0],      # true 0 -> 1 (less sure)
                  [0, 4, 0],      # true 0 -> 1 (surer)
                  [0, 0, 1],      # true 1 -> 2
                  [0, 0, 2]],     # true 2 -> 2
                 dtype=np.float32)
L_VAL = np.array([0, 0, 0, 1, 2])
EXPECTED = [[1, 2, 0], [0, 0, 1], [0, 0, 1]]


def split(X, labels, k=3):
    return Split(X, one_hot(np.asarray(labels), k), np.asarray(labels))


def tiny_dataset(test=True):
    splits = {"train": split(X_TRAIN, [0, 1, 2]), "validation": split(X_VAL, L_VAL)}
    if test:
        splits["test"] = split(X_VAL[:4], L_VAL[:4])
    return Dataset("tiny", "tiny", "classification", splits, ["a", "b", "c"], ["class"],
                   class_names=["red", "green", "blue"])


def identity_net():
    return Network([np.eye(3)], [np.zeros(3)], ["softmax"], "log-likelihood", dtype="float64")


def make_view(qtbot, exp, size=(1000, 700)):
    view = PredictionsView(exp)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    return view


@pytest.fixture
def exp():
    e = Experiment()
    e.set_dataset(tiny_dataset(), "tiny")
    e.adopt_network(identity_net())
    return e


def test_empty_notes_say_what_is_needed(qtbot):
    e = Experiment()
    view = make_view(qtbot, e)
    assert view.note.isVisible() and view.note.text() == NO_DATA and view.table() is None
    e.set_dataset(tiny_dataset(), "tiny")
    view.refresh()
    assert view.note.text() == NO_NETWORK


def test_the_confusion_matrix_of_a_hand_set_network(qtbot, exp):
    view = make_view(qtbot, exp)
    assert view.current_split() == "validation" and not view.note.isVisible()
    np.testing.assert_array_equal(view.matrix_widget.matrix, EXPECTED)
    header, rows = view.table()
    assert header == ["true \\ predicted", "red", "green", "blue", "per-class accuracy"]
    assert [r[1:4] for r in rows[:3]] == EXPECTED
    assert [r[4] for r in rows[:3]] == pytest.approx([1 / 3, 0.0, 1.0])
    assert rows[3] == ["all", 1, 2, 2, pytest.approx(2 / 5)]
    assert "accuracy 40.00%" in view.summary.text()


def test_clicking_a_cell_lists_its_items_most_confident_first(qtbot, exp):
    view = make_view(qtbot, exp)
    qtbot.mouseClick(view.matrix_widget, Qt.MouseButton.LeftButton,
                     pos=view.matrix_widget.cell_rect(0, 1).center())
    assert view.settings()["cell"] == [0, 1]
    view.refresh()
    table = view.item_table
    assert table.isVisible() and table.rowCount() == 2
    assert [table.item(r, 1).text() for r in range(2)] == ["4", "1"]        # feature b: surer first
    assert table.item(0, 3).text() == "red" and table.item(0, 4).text() == "green"
    assert float(table.item(0, 5).text()) > float(table.item(1, 5).text())
    assert "2 items" in view.cell_label.text()
    assert view.matrix_widget.cell_text(0, 1).startswith("True red, predicted green: 2 items (66.7 % of the true red)")


def image_dataset(n=40, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    X = rng.random((n, 784)).astype(np.float32)
    s = {"train": split(X, labels, 10), "validation": split(X, labels, 10)}
    return Dataset("pictures", "pictures", "classification", s, [f"p{i}" for i in range(784)], ["digit"],
                   class_names=[str(i) for i in range(10)], input_shape=(28, 28))


def image_net(seed=0):
    rng = np.random.default_rng(seed)
    return Network([rng.normal(0, 0.1, (784, 10))], [np.zeros(10)], ["softmax"], "log-likelihood")


def test_image_items_show_top_3_best_first(qtbot):
    e = Experiment()
    e.set_dataset(image_dataset(), "pictures")
    e.adopt_network(image_net())
    view = make_view(qtbot, e)
    matrix = view.matrix_widget.matrix
    assert matrix.sum() == 40
    row, col = np.unravel_index(np.argmax(matrix), matrix.shape)
    view._on_cell_clicked(int(row), int(col))
    view.refresh()
    grid = view.item_grid
    assert view.item_scroll.isVisible() and not view.item_table.isVisible()
    assert len(grid.images) == matrix[row, col] and grid.images.shape[1:] == (28, 28)
    assert grid.top_classes.shape == (len(grid.images), 3)
    assert (grid.top_classes[:, 0] == col).all()                  # the best class is the predicted one
    assert (np.diff(grid.top_scores, axis=1) <= 0).all()         # best first within an item
    assert (np.diff(grid.top_scores[:, 0]) <= 0).all()           # most confident item first
    assert set(grid.true) == {str(row)}
    grid.grab()


def test_drawing_on_the_pad_gives_softmax_probabilities_summing_to_1(qtbot):
    e = Experiment()
    e.set_dataset(image_dataset(), "pictures")
    e.adopt_network(image_net())
    view = make_view(qtbot, e)
    assert view.side_tabs.isTabVisible(view.pad_tab)
    view.side_tabs.setCurrentIndex(view.pad_tab)
    view.refresh()
    assert view.pad_scores is None and view.pad.is_blank()
    pad = view.pad
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    for x in range(20, 120, 10):
        qtbot.mouseMove(pad, QPoint(x, x // 2 + 10))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(120, 70))
    assert not pad.is_blank()
    view.refresh()
    assert view.pad_scores is not None and view.pad_scores.sum() == pytest.approx(1.0)
    assert len(view.pad_panel.bars.scores) == 10
    seen = view.pad_panel.preview.image
    assert seen.shape == (28, 28) and centre_of_mass(seen) == pytest.approx((14.0, 14.0), abs=0.1)
    pad.clear()
    view.refresh()
    assert view.pad_scores is None


def test_the_pad_is_only_offered_for_images(qtbot, exp):
    view = make_view(qtbot, exp)
    assert not view.side_tabs.isTabVisible(view.pad_tab)


def regression_dataset(k=2):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 2)).astype(np.float32)
    Y = (X @ rng.standard_normal((2, k))).astype(np.float32)
    s = {"train": Split(X, Y), "validation": Split(X[:20], Y[:20])}
    return Dataset("plane", "plane", "regression", s, ["x1", "x2"], [f"y{i}" for i in range(k)])


def test_regression_shows_predictions_against_targets_with_rmse_and_r2(qtbot):
    e = Experiment()
    ds = regression_dataset()
    e.set_dataset(ds, "plane")
    rng = np.random.default_rng(4)
    net = Network([rng.standard_normal((2, 2))], [rng.standard_normal(2)], ["linear"], "quadratic")
    e.adopt_network(net)
    view = make_view(qtbot, e)
    assert view.canvas.isVisible() and not view.class_page.isVisible()
    assert "regression" in view.summary.text()
    p, y = net.forward(ds.validation.X), ds.validation.Y
    rmse = np.sqrt(((p - y) ** 2).mean(axis=0))
    r2 = 1 - ((p - y) ** 2).sum(axis=0) / ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    np.testing.assert_allclose(view.rmse, rmse, rtol=1e-5)
    np.testing.assert_allclose(view.r2, r2, rtol=1e-5)
    assert view.output_combo.isVisible() and view.output_combo.count() == 2
    view.output_combo.setCurrentIndex(1)
    view.output_combo.activated.emit(1)
    view.refresh()
    np.testing.assert_allclose(view.scatter.getData()[1], p[:, 1], rtol=1e-6)
    assert f"RMSE {rmse[1]:.4g}" in view.summary.text()
    header, rows = view.table()
    assert header == ["target y0", "target y1", "prediction y0", "prediction y1"] and len(rows) == 20
    assert rows[0] == pytest.approx(list(y[0]) + list(p[0]), rel=1e-5)


def test_evaluate_on_test_prints_the_command_line_sentence(qtbot, exp):
    view = make_view(qtbot, exp)
    with qtbot.waitSignal(exp.message) as blocker:
        text = view.evaluate_on_test()
    cost, accuracy = identity_net().evaluate(X_VAL[:4], one_hot(L_VAL[:4], 3))
    assert text == evaluation_message("tiny", "test", 4, cost, accuracy) == blocker.args[0]
    assert text.startswith("tiny, test split (4 items): cost ") and text.endswith("accuracy 25.00%")
    view.refresh()
    assert view.current_split() == "test" and view.split_combo.currentData() == "test"
    assert view.test_label.isVisible() and text in view.test_label.text()
    assert view.table()[1][-1][1:4] == [1, 2, 1]


def test_without_a_test_split_evaluate_is_disabled_and_says_why(qtbot):
    e = Experiment()
    e.set_dataset(tiny_dataset(test=False), "tiny")
    e.adopt_network(identity_net())
    view = make_view(qtbot, e)
    why = "tiny has no test split; give it a test share in the Data panel."
    assert not view.evaluate_button.isEnabled() and view.evaluate_button.toolTip() == why
    assert view.evaluate_on_test() == why                 # called anyway (the menu): the same sentence
    view.refresh()
    assert view.test_label.text() == why
    index = view.split_combo.findData("test")
    item = view.split_combo.model().item(index)
    assert not item.isEnabled() and "no test split" in item.toolTip()
    view.apply_settings({"split": "test"})
    view.refresh()
    assert view.current_split() == "validation"
    e.set_dataset(tiny_dataset(), "tiny")                 # with a test split: enabled, the usual tip
    view.refresh()
    assert view.evaluate_button.isEnabled() and "test split" in view.evaluate_button.toolTip()


def test_the_no_test_split_sentence_fits_the_status_bar_at_1280(qtbot):
    window = open_window(qtbot)
    window.resize(1280, 800)
    exp = window.experiment
    exp.set_dataset(load_dataset("spiral:arms=3"), "spiral:arms=3")
    ds = exp.dataset
    exp.adopt_network(Network.create([ds.n_inputs, 4, ds.n_outputs], ["tanh", "softmax"], "log-likelihood",
                                     rng=np.random.default_rng(0)))
    view = window.views["predictions"]
    text = view.evaluate_on_test()
    assert text == f"{ds.name} has no test split; give it a test share in the Data panel."
    # the status bar's message area ends where its permanent labels start (about x = 470 at 1280)
    assert QFontMetrics(window.statusBar().font()).horizontalAdvance(text) < 420
    long_name = text.replace(ds.name, "Teacher network")
    assert QFontMetrics(window.statusBar().font()).horizontalAdvance(long_name) < 460


def test_nan_weights_are_noted_without_a_crash(qtbot, exp):
    net = identity_net()
    net.weights[0][0, 0] = np.nan
    exp.adopt_network(net)
    view = make_view(qtbot, exp)
    assert view.note.isVisible() and view.note.text() == NOT_FINITE
    assert view.table() is None
    assert view.evaluate_on_test() == NOT_FINITE
    view.grab()


def test_a_mid_run_snapshot_is_shown_and_recomputed_at_most_every_half_second(qtbot, exp):
    view = make_view(qtbot, exp)
    np.testing.assert_array_equal(view.matrix_widget.matrix, EXPECTED)
    exp.set_run_state("running")
    swap = np.eye(3)[:, [1, 0, 2]]                        # inputs a and b swapped
    view._computed_at = -1e9
    exp.set_snapshot([swap], [np.zeros(3)], None)
    view.refresh()
    swapped = view.matrix_widget.matrix.copy()
    assert swapped.tolist() == [[2, 1, 0], [0, 0, 1], [0, 0, 1]]
    np.testing.assert_array_equal(exp.net.weights[0], np.eye(3))          # the net itself untouched
    exp.set_snapshot([np.eye(3)], [np.zeros(3)], None)
    view.refresh()
    np.testing.assert_array_equal(view.matrix_widget.matrix, swapped)      # too soon: the last one
    assert view._later.isActive()
    view._computed_at -= 1.0
    view.refresh()
    np.testing.assert_array_equal(view.matrix_widget.matrix, EXPECTED)
    exp.set_run_state("idle")


def test_many_classes_stay_readable_in_a_scrolled_matrix(qtbot):
    rng = np.random.default_rng(5)
    labels = np.arange(260) % 26
    X = rng.standard_normal((260, 4)).astype(np.float32)
    s = {"train": split(X, labels, 26), "validation": split(X, labels, 26)}
    names = [chr(ord("A") + i) for i in range(26)]
    e = Experiment()
    e.set_dataset(Dataset("letters", "letters", "classification", s, list("abcd"), ["letter"],
                          class_names=names), "letters")
    e.adopt_network(Network([rng.standard_normal((4, 26))], [np.zeros(26)], ["softmax"], "log-likelihood"))
    view = make_view(qtbot, e, size=(700, 500))
    widget = view.matrix_widget
    assert widget.matrix.shape == (26, 26) and widget.matrix.sum() == 260
    assert widget.minimumWidth() >= 26 * widget.MIN_CELL and widget.cell_size() >= widget.MIN_CELL
    assert view.matrix_scroll.verticalScrollBar().maximum() > 0
    widget.grab()


def test_single_output_and_sigmoid_outputs(qtbot):
    e = Experiment()
    ds = load_dataset("xor")
    e.set_dataset(ds, "xor")
    e.adopt_network(Network([np.array([[6.0, -6.0], [6.0, -6.0]]), np.array([[8.0], [8.0]])],
                            [np.array([-3.0, 9.0]), np.array([-12.0])], ["sigmoid", "sigmoid"], "cross-entropy"))
    view = make_view(qtbot, e)
    net = e.net
    np.testing.assert_array_equal(view.matrix_widget.matrix, net.confusion_matrix(ds.validation.X, ds.validation.Y))
    assert view.results.kind == "probability" and view.results.accuracy == 1.0
    e.set_dataset(tiny_dataset(), "tiny")
    e.adopt_network(Network([np.eye(3)], [np.zeros(3)], ["sigmoid"], "cross-entropy"))
    view.refresh()
    assert "normalised" in view.summary.text()
    np.testing.assert_allclose(view.results.scores.sum(axis=1), 1.0)


def test_a_dark_palette_restyles(qtbot, exp):
    view = make_view(qtbot, exp)
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    view.setPalette(palette)
    view.refresh()
    assert view.canvas.backgroundBrush().color() == QColor("#1e1e1e")
    image = view.matrix_widget.grab().toImage()
    assert QColor(image.pixel(2, image.height() - 2)) == QColor("#1e1e1e")


def test_settings_round_trip_and_bad_values_are_ignored(qtbot, exp):
    view = make_view(qtbot, exp)
    view.apply_settings({"split": "test", "cell": [2, 1], "normalise": False, "output": 1})
    view.refresh()
    values = view.settings()
    assert values == {"split": "test", "cell": [2, 1], "normalise": False, "output": 1}
    other = make_view(qtbot, exp)
    other.apply_settings(values)
    other.refresh()
    assert other.settings() == values and other.current_split() == "test"
    assert other.shade_combo.currentIndex() == 1 and other.matrix_widget.selected == (2, 1)
    for bad in ({"split": "nope", "cell": "x", "normalise": 3, "output": -1}, {"cell": [1, True]}, None, []):
        other.apply_settings(bad)
    assert other.settings() == values
    other.apply_settings({"cell": None})
    assert other.settings()["cell"] is None


def test_png_and_csv_export(qtbot, exp, tmp_path):
    view = make_view(qtbot, exp)
    write_png(view, str(tmp_path / "p.png"))
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    write_csv(view, str(tmp_path / "p.csv"))
    with (tmp_path / "p.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "true \\ predicted" and rows[1][:4] == ["red", "1", "2", "0"]
    assert float(rows[2][4]) == 0.0 and rows[4][0] == "all"


def test_in_the_window_evaluate_on_test_and_the_view_is_listed(qtbot):
    window = open_window(qtbot)
    exp = window.experiment
    exp.set_dataset(load_dataset("teacher"), "teacher")
    ds = exp.dataset
    net = Network.create([ds.n_inputs, 8, ds.n_outputs], ["tanh", "softmax"], "log-likelihood",
                         rng=np.random.default_rng(0))
    exp.set_architecture(net.architecture())
    exp.adopt_network(net)
    assert window.raise_view("predictions")
    view = window.views["predictions"]
    text = view.evaluate_on_test()
    assert text.startswith("Teacher network, test split (400 items): cost ")
    view.refresh()
    assert view.table()[1][-1][1:1 + ds.n_classes] and sum(view.table()[1][-1][1:-1]) == 400


def test_mnist_one_epoch_matrix_sums_to_the_split(qtbot, mnist_dir):
    from workbench.core import Hyperparameters, train

    e = Experiment()
    ds = load_dataset(f"mnist:{mnist_dir},train=3000,validation=1000,test=1000")
    e.set_dataset(ds, "mnist")
    net = Network.create([784, 30, 10], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(0))
    for _ in train(net, ds.train.X, ds.train.Y, Hyperparameters(lr=0.5, batch_size=10, epochs=1),
                   np.random.default_rng(0)):
        pass
    e.adopt_network(net)
    view = make_view(qtbot, e)
    assert view.matrix_widget.matrix.sum() == 1000
    assert view.results.accuracy > 0.75
    np.testing.assert_array_equal(view.matrix_widget.matrix, net.confusion_matrix(ds.validation.X, ds.validation.Y))


def ten_class_dataset(seed=0, n=200):
    """Images of ten classes (random pixels): the matrix is 10 × 10, as MNIST's."""
    return image_dataset(n, seed)


def test_a_ten_class_matrix_fits_beside_the_items_without_scrolling(qtbot):
    from workbench.gui.views.predictions import ITEMS_MIN

    e = Experiment()
    e.set_dataset(ten_class_dataset(), "pictures")
    e.adopt_network(image_net())
    view = make_view(qtbot, e, size=(600, 640))          # the centre area of a 1280 × 800 window
    qtbot.waitUntil(lambda: view._sized_for is not None)
    qtbot.wait(20)
    widget = view.matrix_widget
    assert view.matrix_scroll.horizontalScrollBar().maximum() == 0
    assert view.side_tabs.width() >= ITEMS_MIN
    cell = widget.cell_size()
    assert cell >= widget.MIN_CELL and widget._size_for(cell).width() <= widget.width()   # column 9 and acc.
    e.set_dataset(tiny_dataset(), "tiny")                # another data set: fitted again
    e.adopt_network(identity_net())
    view.refresh()
    qtbot.waitUntil(lambda: view._sized_for is not None and view._sized_for[1] == "tiny")


@pytest.mark.parametrize("size", [(1000, 700), (1800, 1000)])
def test_the_accuracy_column_and_its_header_fit_at_every_cell_size(qtbot, exp, size):
    view = make_view(qtbot, exp, size=size)             # three classes: large cells, larger fonts
    widget = view.matrix_widget
    cell = widget.cell_size()
    assert widget._size_for(cell).width() <= widget.width() and widget._size_for(cell).height() <= widget.height()
    metrics = QFontMetrics(widget._font(cell))
    assert widget.HEADER == "acc." and metrics.horizontalAdvance("100.0 %") < widget._recall_width(cell)
    assert "per-class accuracy" in widget.HEADER_TIP


@pytest.mark.parametrize("top", [917, 1_121, 9_999, 99_999])
def test_counts_are_exact_never_abbreviated(qtbot, top):
    from workbench.gui.views.predictions_parts import MatrixWidget

    widget = MatrixWidget()
    qtbot.addWidget(widget)
    matrix = np.full((10, 10), 3)
    matrix[1, 1] = top
    widget.set_data(matrix, [str(i) for i in range(10)], np.zeros((10, 10)), np.zeros(10), None)
    widget.resize(widget.minimumSize())                  # the smallest cells
    cell = widget.cell_size()
    font, commas = widget.count_format(cell)
    label = f"{top:,}" if commas else str(top)
    assert QFontMetrics(font).horizontalAdvance(label) <= cell - 4 and int(label.replace(",", "")) == top
    assert font.pointSizeF() >= widget.COUNT_MIN_PT
    widget.grab()


def test_another_data_set_clears_the_chosen_cell_new_weights_keep_it(qtbot, exp):
    view = make_view(qtbot, exp)
    view._on_cell_clicked(0, 1)
    view.refresh()
    assert "2 items" in view.cell_label.text()
    exp.adopt_network(identity_net())                    # new weights: the same cell
    view.refresh()
    assert view.settings()["cell"] == [0, 1] and "2 items" in view.cell_label.text()
    exp.set_dataset(tiny_dataset(), "tiny")              # the same data, loaded again: kept
    view.refresh()
    assert view.settings()["cell"] == [0, 1]
    exp.set_dataset(load_dataset("spiral:arms=3"), "spiral:arms=3")   # another data set: cleared
    exp.adopt_network(Network.create([2, 3], ["softmax"], "log-likelihood", rng=np.random.default_rng(0)))
    view.refresh()
    assert view.settings()["cell"] is None and view.matrix_widget.selected is None
    assert view.cell_label.text() == "Click a cell of the matrix to list its items, most confident first."
    assert not view.item_table.isVisible()


def test_a_cell_from_a_session_belongs_to_the_data_loaded_after_it(qtbot, exp):
    view = make_view(qtbot, exp)
    view._on_cell_clicked(2, 2)                          # chosen on tiny
    view.apply_settings({"cell": [1, 2]})                # a session's views, applied before its data loads
    exp.set_dataset(load_dataset("spiral:arms=3"), "spiral:arms=3")
    assert view.settings()["cell"] == [1, 2]


def test_clicking_a_listed_image_shows_it_on_the_pad_with_every_score(qtbot):
    e = Experiment()
    e.set_dataset(image_dataset(), "pictures")
    e.adopt_network(image_net())
    view = make_view(qtbot, e)
    matrix = view.matrix_widget.matrix
    row, col = np.unravel_index(np.argmax(matrix), matrix.shape)
    view._on_cell_clicked(int(row), int(col))
    view.refresh()
    grid = view.item_grid
    assert grid.cursor().shape() == Qt.CursorShape.PointingHandCursor
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.tile_rect(1).center())
    assert view.side_tabs.currentIndex() == view.pad_tab and grid.chosen == 1
    view.refresh()
    item = int(view.results.cell(int(row), int(col))[1])
    np.testing.assert_allclose(view.pad_scores, view.results.scores[item], rtol=1e-5)   # as the list scored it
    assert len(view.pad_panel.bars.scores) == 10 and not view.pad.is_blank()
    np.testing.assert_allclose(view.pad_panel.preview.image, e.dataset.validation.X[item].reshape(28, 28))
    assert f"item {item + 1}" in view.pad_panel.label.text() and f"true {row}" in view.pad_panel.label.text()
    qtbot.mousePress(view.pad, Qt.MouseButton.LeftButton, pos=QPoint(30, 30))   # drawn on: the pad's own image
    qtbot.mouseRelease(view.pad, Qt.MouseButton.LeftButton, pos=QPoint(30, 30))
    view.refresh()
    assert view._pad_item is None and view.pad_panel.label.text().startswith("The network says")
