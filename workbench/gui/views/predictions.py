"""Predictions: what the network gets right and wrong on a split.

Classification: the confusion matrix (rows: true class, columns: predicted), per-class and overall
accuracy; click a cell to list its items, most confident first (images with their three best
classes, or rows of features); for 28×28 images, a pad to draw a digit on and see the network's
scores for it live.  Regression: predictions against targets with the line y = x, RMSE and R².
"Evaluate on test" gives the command line's ``evaluate`` line for the test split.

The forward pass over a split (MNIST's 10,000 images: about 15 ms) is cached per parameters and
split; during a run it is redone at most every ``RECOMPUTE_S`` seconds, and less often when it
is slow, so that it takes at most ``COMPUTE_SHARE`` of the wall time.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QLabel, QPushButton, QScrollArea,
                               QSplitter, QTableWidget, QTabWidget, QVBoxLayout, QWidget)

from workbench.core import ConfigError, Network
from workbench.core.digits import mnist_centre
from workbench.core.evaluation import (SCORE_LABELS, bounded_classes, cell_sentence, class_names, class_scores,
                                       confusion_table, data_identity, evaluation_message, format_percent, forward,
                                       parameters_finite, raw_inputs, regression_errors, regression_table,
                                       predicted_classes, shading, standardised, target_names, top_k,
                                       valid_settings)
from workbench.gui.palette import TRAIN_COLOUR, is_dark
from workbench.gui.views.base import NO_NETWORK_YET, EmptyNote, View
from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.plotkit import PlotCanvas, fmt, grid_axes, style_plot, theme_plot
from workbench.gui.views.predictions_parts import ItemGrid, MatrixWidget, PadPanel, fill_table
from workbench.gui.worker import gui_priority

NO_DATA = "Load a data set to see what the network predicts."
NO_NETWORK = f"{NO_NETWORK_YET} and see what it predicts on each split."
NOT_FINITE = ("The weights are not finite numbers (the run diverged), so there is nothing to predict: "
              "reset the weights and train with a smaller learning rate.")
OUTPUTS_NOT_FINITE = ("The network's outputs on this split are not finite numbers (they overflowed): "
                      "reset the weights and train with a smaller learning rate.")
SPLIT_TITLES = {"train": "Training", "validation": "Validation", "test": "Test"}
KIND_NOTES = {"probability": "", "normalised": "sigmoid outputs normalised to sum to 1",
              "raw": "raw outputs, not probabilities"}
CLICK_A_CELL = "Click a cell of the matrix to list its items, most confident first."
EVALUATE_TIP = "Cost and accuracy of the current weights on the test split (as the command line's evaluate prints them)"
MAX_ITEMS = 400           # items of a cell listed (the most confident ones)
ITEMS_MIN = 230           # the least width the splitter leaves the items pane beside the matrix
RECOMPUTE_S = 0.5
COMPUTE_SHARE = 0.025


class PredictionsView(View):
    name = "predictions"
    title = "Predictions"
    area = "centre"
    tooltip = "Confusion matrix, per-class accuracy, the items of each cell, a digit pad; regression scatter"

    def __init__(self, experiment, parent=None):
        super().__init__(experiment, parent)
        self._split = "validation"       # the split asked for (settings); shown if the data has it
        self._cell: tuple[int, int] | None = None
        self._cell_data = None           # data_identity of the data the cell was chosen on; None: the next data
        self._data = data_identity(experiment.dataset)
        self._shown_index = np.zeros(0, dtype=np.int64)    # the split's items listed for the cell
        self._pad_item: int | None = None                 # the split's item put on the pad, until drawn on
        self._by_row = True
        self._output = 0
        self._serial = 0                 # bumped whenever newer parameters may exist
        self._cache: dict[str, tuple[tuple, np.ndarray]] = {}
        self._computed_at = -1e9
        self.compute_seconds = 0.0       # the last forward pass over a split
        self.results = None              # ClassResults, or (outputs, targets) for regression
        self._shown_key = None
        self._pad_key = None
        self._pad_serial = 0
        self._sized_for = None           # data_identity the splitter was last fitted to
        self.pad_scores: np.ndarray | None = None
        self._test_text: str | None = None
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.timeout.connect(self.mark_dirty)
        self._build()
        self._apply_theme()
        experiment.data_changed.connect(self._on_new_data)
        for signal in (experiment.network_changed, experiment.parameters_changed):
            signal.connect(self._on_new_parameters)
        for signal in (experiment.architecture_changed, experiment.run_state_changed):
            signal.connect(self.mark_dirty)

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        self.split_combo = QComboBox(toolTip="The split whose predictions are shown")
        for key, title in SPLIT_TITLES.items():
            self.split_combo.addItem(title, key)
        self.split_combo.activated.connect(self._on_split_chosen)
        self.shade_combo = QComboBox()
        self.shade_combo.addItem("Shade by row share", True)
        self.shade_combo.addItem("Shade by count", False)
        self.shade_combo.setToolTip("Row share: each cell's share of its true class (the usual reading);\n"
                                    "count: each cell against the largest cell of the matrix")
        self.shade_combo.activated.connect(self._on_option_chosen)
        self.output_combo = QComboBox(toolTip="The output whose predictions are plotted")
        self.output_combo.activated.connect(self._on_option_chosen)
        self.evaluate_button = QPushButton("Evaluate on test")
        self.evaluate_button.clicked.connect(self.evaluate_on_test)
        controls = FlowLayout()
        controls.addWidget(QLabel("Split"))
        for widget in (self.split_combo, self.shade_combo, self.output_combo, self.evaluate_button):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.export_button())
        self.summary, self.test_label = QLabel(), QLabel()
        for label in (self.summary, self.test_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = EmptyNote(NO_DATA)

        self.matrix_widget = MatrixWidget()
        self.matrix_widget.cell_clicked.connect(self._on_cell_clicked)
        self.matrix_scroll = QScrollArea()
        self.matrix_scroll.setWidgetResizable(True)
        self.matrix_scroll.setWidget(self.matrix_widget)
        self.cell_label = QLabel(CLICK_A_CELL, wordWrap=True)
        self.item_grid = ItemGrid()
        self.item_grid.item_clicked.connect(self._on_item_clicked)
        self.item_scroll = QScrollArea()
        self.item_scroll.setWidgetResizable(True)
        self.item_scroll.setWidget(self.item_grid)
        self.item_table = QTableWidget()
        self.item_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.item_table.verticalHeader().setVisible(False)
        cell_page = QWidget()
        cell_column = QVBoxLayout(cell_page)
        cell_column.setContentsMargins(4, 4, 4, 4)
        for widget in (self.cell_label, self.item_scroll, self.item_table):
            cell_column.addWidget(widget, 0 if widget is self.cell_label else 1)

        self.pad_panel = PadPanel()
        self.pad = self.pad_panel.pad
        self.pad.changed.connect(self._on_pad_changed)
        self.side_tabs = QTabWidget()
        self.side_tabs.addTab(cell_page, "Selected cell")
        self.pad_tab = self.side_tabs.addTab(self.pad_panel, "Draw a digit")
        self.side_tabs.currentChanged.connect(self.mark_dirty)
        self.class_page = QSplitter(Qt.Orientation.Horizontal)
        self.class_page.addWidget(self.matrix_scroll)
        self.class_page.addWidget(self.side_tabs)
        self.class_page.setStretchFactor(0, 3)
        self.class_page.setStretchFactor(1, 2)

        self.canvas = PlotCanvas()
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot = self.canvas.addPlot(row=0, col=0, axisItems=grid_axes())
        style_plot(self.plot, left="prediction", bottom="target")
        self.plot.legend = pg.LegendItem()          # theme_plot recolours a legend; this plot has none
        self.scatter = pg.ScatterPlotItem(size=4, pen=None, pxMode=True)
        self.identity = pg.PlotDataItem()
        self.plot.addItem(self.identity)
        self.plot.addItem(self.scatter)

        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(controls)
        for widget in (self.summary, self.test_label, self.note, self.class_page, self.canvas):
            column.addWidget(widget, 0 if isinstance(widget, QLabel) and widget is not self.note else 1)
        self._show(None)

    def _apply_theme(self) -> None:
        pal = self.palette()
        self.canvas.setBackground(pal.color(QPalette.ColorRole.Base))
        theme_plot(self.plot, pal)
        faint = QColor(pal.color(QPalette.ColorRole.Text))
        faint.setAlpha(140)
        self.identity.setPen(pg.mkPen(faint, width=1, style=Qt.PenStyle.DashLine))
        point = QColor(TRAIN_COLOUR).lighter(140) if is_dark(pal) else QColor(TRAIN_COLOUR)
        self.scatter.setBrush(pg.mkBrush(point))

    def changeEvent(self, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)

    # ------------------------------------------------------------------ slots: only mark dirty
    def _on_new_parameters(self, *_args) -> None:
        self._serial += 1
        self.mark_dirty()

    def _on_new_data(self) -> None:
        self._serial += 1
        self._cache.clear()
        self._test_text = None
        identity, self._data, self._pad_item = self._data, data_identity(self.experiment.dataset), None
        if self._cell_data is None:      # a cell from the settings: it belongs to this data
            self._cell_data = self._data
        elif self._data != identity:     # another data set: its cells mean other things
            self._cell = None
        self.mark_dirty()

    def _on_split_chosen(self, index: int) -> None:
        self._split = self.split_combo.itemData(index)
        self.mark_dirty()

    def _on_option_chosen(self, _index: int = 0) -> None:
        self._by_row = bool(self.shade_combo.currentData())
        self._output = max(0, self.output_combo.currentIndex())
        self.mark_dirty()

    def _on_cell_clicked(self, row: int, col: int) -> None:
        self._cell, self._cell_data = (row, col), self._data
        self.side_tabs.setCurrentIndex(0)
        self.mark_dirty()

    def _on_item_clicked(self, position: int) -> None:
        """A listed image onto the digit pad, four times larger, with the score of every class."""
        split = self.current_split()
        if split is not None and 0 <= position < len(self._shown_index):
            self.pad.load(self.item_grid.images[position])      # emits changed: before _pad_item is set
            self._pad_item = (split, int(self._shown_index[position]))
            self.side_tabs.setCurrentIndex(self.pad_tab)

    def _on_pad_changed(self) -> None:
        self._pad_serial += 1
        self._pad_item = None            # drawn on (or cleared): the pad's own image from now on
        self.mark_dirty()

    # ------------------------------------------------------------------ what there is to show
    def _source(self):
        """(dataset, activations, cost, weights, biases) to predict with, or why not (a sentence)."""
        ds = self.experiment.dataset
        if ds is None:
            return NO_DATA
        net, params = self.experiment.net, self.experiment.parameters()
        if net is None or params is None:
            return NO_NETWORK
        weights, biases = params[0], params[1]
        n_in, n_out = weights[0].shape[0], weights[-1].shape[1]
        if n_in != ds.n_inputs or n_out != ds.n_outputs:
            return (f"The network has {n_in} inputs and {n_out} outputs but {ds.name} has {ds.n_inputs} "
                    f"inputs and {ds.n_outputs} targets: fit the layers to the data and train again.")
        if not parameters_finite(weights, biases):
            return NOT_FINITE
        return ds, list(net.activations), net.cost, weights, biases

    def available_splits(self) -> list[str]:
        ds = self.experiment.dataset
        return [] if ds is None else [k for k in SPLIT_TITLES if ds.splits.get(k) is not None and len(ds.splits[k])]

    def current_split(self) -> str | None:
        """The split shown: the one asked for, else validation, test, training, whichever exists."""
        have = self.available_splits()
        for candidate in (self._split, "validation", "test", "train"):
            if candidate in have:
                return candidate
        return None

    def _update_split_combo(self) -> None:
        model = self.split_combo.model()
        ds = self.experiment.dataset
        have = self.available_splits()
        for i in range(self.split_combo.count()):
            key = self.split_combo.itemData(i)
            item = model.item(i)
            item.setEnabled(key in have)
            why = None if key in have else (
                "No data set is loaded" if ds is None else
                f"{ds.name} has no {SPLIT_TITLES[key].lower()} split"
                + ("; give it a share in the Data panel" if key != "train" else ""))
            item.setToolTip(why or f"Show the predictions on the {SPLIT_TITLES[key].lower()} split")
        current = self.current_split()
        if current is not None and self.split_combo.currentData() != current:
            self.split_combo.setCurrentIndex(self.split_combo.findData(current))

    def _outputs(self, source, split: str) -> np.ndarray:
        """The network's outputs (n, k) on ``split``: cached per parameters; during a run redone at
        most every ``RECOMPUTE_S`` s (longer when a pass is slow), newer ones drawn later."""
        ds, activations, _, weights, biases = source
        key = (self._serial, id(ds), split)
        cached = self._cache.get(split)
        if cached is not None and cached[0] == key:
            return cached[1]
        now = time.monotonic()
        if cached is not None and cached[0][1] == id(ds) and self.experiment.is_training():
            wait = max(RECOMPUTE_S, self.compute_seconds / COMPUTE_SHARE) - (now - self._computed_at)
            if wait > 0:
                self._later.start(int(wait * 1000) + 1)
                return cached[1]
        start = time.perf_counter()
        outputs = forward(weights, biases, activations, ds.splits[split].X)
        self.compute_seconds = time.perf_counter() - start
        self._computed_at = now
        self._cache[split] = (key, outputs)
        return outputs

    # ------------------------------------------------------------------ drawing
    def _show(self, page) -> None:
        self.note.setVisible(page is None)
        self.class_page.setVisible(page == "classes")
        self.canvas.setVisible(page == "regression")
        self.shade_combo.setVisible(page == "classes")
        self.output_combo.setVisible(page == "regression" and self.output_combo.count() > 1)
        self.summary.setVisible(page is not None)

    def draw(self) -> None:
        with gui_priority():
            self._update_split_combo()
            ds = self.experiment.dataset
            source = self._source()
            why_not = self._cannot_evaluate(source)
            self.evaluate_button.setEnabled(why_not is None)
            self.evaluate_button.setToolTip(why_not or EVALUATE_TIP)
            self.test_label.setText(self._test_text or "")
            self.test_label.setVisible(bool(self._test_text))
            split = self.current_split()
            if isinstance(source, str) or split is None:
                self.results = None
                self.note.setText(source if isinstance(source, str) else f"{ds.name} has no items to predict.")
                self._show(None)
                return
            outputs = self._outputs(source, split)
            if not np.isfinite(outputs).all():
                self.results = None
                self.note.setText(OUTPUTS_NOT_FINITE)
                self._show(None)
                return
            if ds.is_classification:
                self._draw_classes(source, split, outputs)
            else:
                self._draw_regression(ds, split, outputs)

    def _draw_classes(self, source, split: str, outputs: np.ndarray) -> None:
        ds, output_activation = source[0], source[1][-1]
        data = ds.splits[split]
        names = class_names(ds, max(ds.n_classes or 2, outputs.shape[1]))     # of every class; the matrix's:
        results, self._matrix_names, recall, accuracy, bound_note = bounded_classes(outputs, data.labels, output_activation, ds.n_classes or 2, names)
        self.results, k, full = results, len(results.matrix), (data.labels, predicted_classes(outputs))
        if self._cell is not None and not all(0 <= v < k for v in self._cell):
            self._cell = None
        self._show("classes")
        if self._sized_for != data_identity(ds):
            QTimer.singleShot(0, self._size_splitter)
        kind_note = KIND_NOTES[results.kind]
        self.summary.setText(f"{SPLIT_TITLES[split]} split, {len(data):,} items: accuracy {format_percent(accuracy)}"
                             + (f" · scores are {kind_note}" if kind_note else "") + (f" · {bound_note}" if bound_note else ""))
        self.matrix_widget.set_data(results.matrix, self._matrix_names, shading(results.matrix, self._by_row), recall,
                                    self._cell)
        image = ds.input_shape == (28, 28)
        self.side_tabs.setTabVisible(self.pad_tab, image)
        key = (id(outputs), self._cell)      # the cached outputs: same object, same items
        if key != self._shown_key:
            self._shown_key = key
            self._draw_cell_items(ds, data, results, names, image, full)
        if image and self.side_tabs.currentIndex() == self.pad_tab:
            self._draw_pad(source, output_activation, names)

    def _size_splitter(self) -> None:
        """The matrix gets the width it asks for, leaving the items pane at least ``ITEMS_MIN``,
        whenever a data set is first shown (the user may move the splitter)."""
        total = self.class_page.width() - self.class_page.handleWidth()
        if total > 200 and self._sized_for != data_identity(self.experiment.dataset):
            self._sized_for = data_identity(self.experiment.dataset)
            want = self.matrix_widget.sizeHint().width() + 2 * self.matrix_scroll.frameWidth() + 2
            first = max(min(want, total - ITEMS_MIN), min(want, total // 2))
            self.class_page.setSizes([first, total - first])

    def _draw_cell_items(self, ds, data, results, names, image: bool, full) -> None:   # full: (true, predicted)
        self.item_scroll.setVisible(image and self._cell is not None)
        self.item_table.setVisible(not image and self._cell is not None)
        if self._cell is None:
            self.cell_label.setText(CLICK_A_CELL)
            return
        index = results.cell(*self._cell)
        shown = self._shown_index = index[:MAX_ITEMS]
        more = f"; the {MAX_ITEMS} most confident are shown" if len(index) > MAX_ITEMS else ", most confident first"
        self.cell_label.setText(cell_sentence(self._matrix_names, results.matrix, *self._cell) + (more if len(index) else "."))
        if image:
            X = raw_inputs(data.X[shown], ds.standardization)
            classes, scores = top_k(results.scores[shown], 3)
            self.item_grid.set_items(X.reshape(-1, 28, 28), classes, scores, [names[t] for t in full[0][shown]],
                                     names, results.kind)
            if self._pad_item is not None and self._pad_item[1] in shown:
                self.item_grid.chosen = int(np.flatnonzero(shown == self._pad_item[1])[0])
            return
        header = list(ds.feature_names) + ["true class", "predicted class", SCORE_LABELS[results.kind]]
        fill_table(self.item_table, header, [
            [f"{v:.4g}" for v in data.X[i]] + [names[full[0][i]], names[full[1][i]],
                                                f"{results.confidence[i]:.4g}"] for i in shown])

    def _draw_pad(self, source, output_activation: str, names: list[str]) -> None:
        ds = source[0]
        key = (self._serial, id(ds), self._pad_serial, self._pad_item)
        if key == self._pad_key:
            return
        self._pad_key = key
        image, what = mnist_centre(self.pad.canvas), "The network says"
        if self.pad.is_blank():
            self.pad_scores = None
            self.pad_panel.show_scores(image, [], [], "probability",
                                       "Draw a digit on the pad: the network's score for every class shows as you draw.")
            return
        x = standardised(image.reshape(1, -1), ds.standardization)
        if self._pad_item is not None:               # a listed item: scored as the matrix scored it
            split, item = self._pad_item
            x = ds.splits[split].X[item:item + 1]
            image = raw_inputs(x, ds.standardization).reshape(28, 28)
            true = names[int(ds.splits[split].labels[item])] if ds.splits[split].labels is not None else "?"
            what = f"{SPLIT_TITLES[split]} item {item + 1:,}, true {true} (draw on it to change it): the network says"
        scores, kind = class_scores(forward(source[3], source[4], source[1], x), output_activation)
        self.pad_scores = scores[0]
        note = KIND_NOTES[kind]
        self.pad_panel.show_scores(image, names, scores[0], kind, f"{what} {names[int(np.argmax(scores[0]))]}"
                                   + (f" ({note})." if note else "."))

    def _draw_regression(self, ds, split: str, outputs: np.ndarray) -> None:
        data = ds.splits[split]
        self.results = (outputs, data.Y)
        names = target_names(ds, outputs.shape[1])
        if [self.output_combo.itemText(i) for i in range(self.output_combo.count())] != names:
            self.output_combo.clear()
            self.output_combo.addItems(names)
        k = min(self._output, len(names) - 1)
        self.output_combo.setCurrentIndex(k)
        self._show("regression")
        rmse, r2 = regression_errors(outputs, data.Y)
        self.rmse, self.r2 = rmse, r2
        what = f" for {names[k]}" if len(names) > 1 else ""
        self.summary.setText(f"{SPLIT_TITLES[split]} split, {len(data):,} items{what}: RMSE {fmt(rmse[k])}, "
                             f"R² {fmt(r2[k])} · {ds.name} is a regression, so predictions are plotted "
                             "against targets instead of a confusion matrix")
        x, y = data.Y[:, k], outputs[:, k]
        self.scatter.setData(x, y)
        lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        self.identity.setData([lo, hi], [lo, hi])
        self.plot.setLabel("bottom", f"target {names[k]}" if len(names) > 1 else "target")
        self.plot.setLabel("left", f"prediction {names[k]}" if len(names) > 1 else "prediction")

    # ------------------------------------------------------------------ actions
    def evaluate_on_test(self, *_args) -> str:
        """Cost and accuracy of the current weights on the test split, as the command line's
        ``evaluate`` prints them; shown here and sent as a status message, and the test split is
        chosen in the view.  Returns that line, or the sentence saying why there is none."""
        ds, source = self.experiment.dataset, self._source()
        label = text = self._cannot_evaluate(source)
        if text is None:
            _, activations, cost, weights, biases = source
            try:
                net = Network(weights, biases, activations, cost)
            except ConfigError as exc:
                text = str(exc)
            else:
                with np.errstate(all="ignore"):
                    value, accuracy = net.evaluate(ds.test.X, ds.test.Y, ds.is_classification)
                text = evaluation_message(ds.name, "test", len(ds.test), value, accuracy)
                label = f"Evaluated after {self.experiment.epochs_trained} epochs: {text}"
                self._split = "test"
        self._test_text = label or text
        self.experiment.message.emit(text)
        self.mark_dirty()
        return text

    def _cannot_evaluate(self, source) -> str | None:
        """Why there is nothing to evaluate on the test split (one short sentence), or None."""
        ds = self.experiment.dataset
        if ds is not None and "test" not in self.available_splits():
            return f"{ds.name} has no test split; give it a test share in the Data panel."
        return source if isinstance(source, str) else None

    # ------------------------------------------------------------------ export, table, settings
    def export_widget(self):
        if self.class_page.isVisible():
            return self.class_page
        return self.canvas if self.canvas.isVisible() else self

    def table(self):
        ds = self.experiment.dataset
        if self.results is None or ds is None:
            return None
        if isinstance(self.results, tuple):
            outputs, targets = self.results
            return regression_table(targets, outputs, target_names(ds, outputs.shape[1]))
        return confusion_table(self.results.matrix, self._matrix_names)

    def settings(self) -> dict:
        return {"split": self._split, "cell": list(self._cell) if self._cell is not None else None,
                "normalise": self._by_row, "output": self._output}

    def apply_settings(self, values: dict) -> None:
        valid = valid_settings(values)
        self._split, self._output = valid.get("split", self._split), valid.get("output", self._output)
        if "cell" in valid:              # the cell of the data loaded next (a session's), or of this one
            self._cell, self._cell_data, self._pad_item = valid["cell"], None, None
        if "normalise" in valid:
            self._by_row = valid["normalise"]
            self.shade_combo.setCurrentIndex(0 if self._by_row else 1)
        self._shown_key = None
        self.mark_dirty()
