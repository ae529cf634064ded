"""The data panel's preview of a loaded data set: image grid, scatter plot, curve or table head.

``DataPreview.show_dataset(ds)`` picks the view: images for 2-D inputs (MNIST), a scatter for two
inputs (classes coloured, or a colour scale for a regression target), a curve for one-input
regression, otherwise the first rows as a table. Plot axes never use automatic SI prefixes (0.1–0.8
reads as 0.1–0.8, not "(x0.001)" with ticks 100–800), and the legend sits in a strip above the
plotting area, so it never covers a point.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import (QHeaderView, QLabel, QSizePolicy, QStackedWidget, QTableWidget,
                               QTableWidgetItem, QWidget)
import numpy as np
import pyqtgraph as pg

from workbench.gui.palette import CLASS_COLOURS
from workbench.gui.views.bounds import MAX_LEGEND_CLASSES

__all__ = ["CLASS_COLOURS", "DataPreview", "ImageGrid"]

PREVIEW_IMAGES = 32      # 8 columns × 4 rows
PREVIEW_POINTS = 2000    # scatter / curve preview
PREVIEW_ROWS = 12        # table head
LEGEND_COLUMNS = 5       # legend entries per line above the plot
TABLE_COLUMNS = 20       # feature (and target) columns shown in the table head
LEGEND_GAP = 4           # pixels between the legend strip and the plotting area


class ImageGrid(QWidget):
    """A grid of small grey images with a caption under each, scaled to the widget's width.

    ``set_images(images, captions)``: images (n, h, w) floats in [0, 1]; captions n strings.
    """

    def __init__(self, columns: int = 8, parent=None):
        super().__init__(parent)
        self._columns = columns
        self._images: list[QImage] = []
        self._captions: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_images(self, images: np.ndarray, captions: list[str]):
        self._images = []
        for img in images:
            data = np.ascontiguousarray(np.clip(img * 255.0, 0, 255).astype(np.uint8))
            h, w = data.shape
            self._images.append(QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy())
        self._captions = list(captions)
        self.updateGeometry()
        self.update()

    def count(self) -> int:
        return len(self._images)

    def captions(self) -> list[str]:
        return list(self._captions)

    def _cell(self, width: int) -> tuple[float, float]:
        cols = max(1, min(self._columns, len(self._images) or 1))
        side = min(72.0, max(24.0, width / cols - 4))
        return side, side + self.fontMetrics().height() + 2

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        side, cell_h = self._cell(width)
        rows = -(-len(self._images) // self._columns) if self._images else 0
        return int(rows * (cell_h + 4))

    def sizeHint(self) -> QSize:
        return QSize(320, self.heightForWidth(320))

    def minimumSizeHint(self) -> QSize:
        return QSize(160, self.heightForWidth(160))

    def paintEvent(self, event):
        painter = QPainter(self)
        side, cell_h = self._cell(self.width())
        fm = self.fontMetrics()
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        for k, (image, caption) in enumerate(zip(self._images, self._captions)):
            r, c = divmod(k, self._columns)
            x, y = c * (side + 4) + 2, r * (cell_h + 4) + 2
            painter.drawImage(QRectF(x, y, side, side), image)
            painter.setPen(text_colour)
            text = fm.elidedText(caption, Qt.TextElideMode.ElideRight, int(side + 4))
            painter.drawText(QRectF(x - 2, y + side, side + 4, fm.height() + 2),
                             Qt.AlignmentFlag.AlignCenter, text)
        painter.end()


def label_text(ds, split, i) -> str:
    """Caption of example ``i``: its class name, or its target values."""
    if split.labels is not None and ds.class_names:
        return ds.class_names[int(split.labels[i])]
    return ", ".join(f"{v:.3g}" for v in split.Y[i])


class DataPreview(QStackedWidget):
    """Pages: an empty note, ``image_grid``, ``plot`` (a pyqtgraph PlotWidget) and ``table``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._kind = "empty"
        self.image_grid = ImageGrid(8)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(180)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        item = self.plot.getPlotItem()
        self._margins = item.layout.getContentsMargins()   # (left, top, right, bottom)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._empty = QLabel("The preview appears here after loading.")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        for w in (self._empty, self.image_grid, self.plot, self.table):
            self.addWidget(w)
        self._set_page("empty", self._empty)
        self.apply_theme()

    # ---- public ---------------------------------------------------------------------------------
    def kind(self) -> str:
        """"empty", "images", "scatter", "curve" or "table"."""
        return self._kind

    def legend(self):
        """The plot's legend (a pyqtgraph LegendItem above the plotting area), or None."""
        return self.plot.getPlotItem().legend

    def show_dataset(self, ds) -> None:
        train = ds.train
        self._clear_plot()
        if ds.input_shape is not None and len(ds.input_shape) == 2:
            n = min(PREVIEW_IMAGES, len(train))
            images = train.X[:n].reshape((n,) + tuple(ds.input_shape))
            self.image_grid.set_images(images, [label_text(ds, train, i) for i in range(n)])
            self._set_page("images", self.image_grid)
        elif ds.n_inputs == 2:
            self._scatter(ds, train)
            self._set_page("scatter", self.plot)
        elif ds.n_inputs == 1 and ds.task == "regression":
            self._curve(ds, train)
            self._set_page("curve", self.plot)
        else:
            self._table(ds, train)
            self._set_page("table", self.table)

    def apply_theme(self) -> None:
        pal = self.palette()
        self.plot.setBackground(pal.color(QPalette.ColorRole.Base))
        fg = pal.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)
        legend = self.legend()
        if legend is not None:
            legend.setLabelTextColor(fg)

    def changeEvent(self, event):
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_theme()
        super().changeEvent(event)

    # ---- legend above the plotting area ---------------------------------------------------------
    def _clear_plot(self) -> None:
        item = self.plot.getPlotItem()
        self.plot.clear()
        legend = item.legend
        if legend is not None:
            legend.geometryChanged.disconnect(self._reserve_legend_space)
            if legend.scene() is not None:
                legend.scene().removeItem(legend)
            item.legend = None
        item.layout.setContentsMargins(*self._margins)

    def _add_legend(self, entries: int):
        """A legend in a strip at the top of the PlotItem, outside the ViewBox: the plot's layout
        keeps a top margin as tall as the legend, so no data point can lie under it."""
        item = self.plot.getPlotItem()
        legend = pg.LegendItem(offset=None, labelTextSize="8pt", frame=False,
                               colCount=max(1, min(LEGEND_COLUMNS, entries)),
                               labelTextColor=self.palette().color(QPalette.ColorRole.Text))
        legend.setParentItem(item)
        legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 1))
        legend.geometryChanged.connect(self._reserve_legend_space)
        item.legend = legend            # plot(..., name=...) adds its entry here
        return legend

    def _reserve_legend_space(self) -> None:
        item = self.plot.getPlotItem()
        legend = item.legend
        if legend is None:
            return
        left, top, right, bottom = self._margins
        top += legend.height() + LEGEND_GAP if legend.items else 0
        if item.layout.getContentsMargins()[1] != top:
            item.layout.setContentsMargins(left, top, right, bottom)

    # ---- pages ----------------------------------------------------------------------------------
    def _set_page(self, kind, widget):
        self._kind = kind
        for i in range(self.count()):
            page = self.widget(i)
            policy = QSizePolicy.Policy.Expanding if page is widget else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.setCurrentWidget(widget)
        self.updateGeometry()

    # A stack's height for a width is that of its tallest page; the preview's is its shown page's
    # (the digit grid's height must not be kept for a scatter plot, which then overflowed the panel).
    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        page = self.currentWidget()
        return page is not None and page.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        page = self.currentWidget()
        return page.heightForWidth(width) if page is not None and page.hasHeightForWidth() else -1

    def sizeHint(self):  # noqa: N802 - Qt override
        """A plot or table asks for its minimum height only and grows into the room there is: the
        panel's scroll area lays out word-wrapped content at preferred heights, and a plot's
        preferred 480 px pushed the preview below the fold on a 800-px screen."""
        hint = super().sizeHint()
        if not self.hasHeightForWidth():
            hint.setHeight(max(self.minimumHeight(), self.minimumSizeHint().height()))
        return hint

    def _curve(self, ds, train):
        n = min(PREVIEW_POINTS, len(train))
        x = train.X[:n, 0]
        order = np.argsort(x, kind="stable")
        self._add_legend(1)
        self.plot.plot(x[order], train.Y[:n, 0][order], pen=None, symbol="o", symbolSize=4,
                       symbolPen=None, symbolBrush=pg.mkBrush(CLASS_COLOURS[0]), name="training examples")
        self.plot.setLabel("bottom", ds.feature_names[0])
        self.plot.setLabel("left", ds.target_names[0] if ds.target_names else "y")
        self._reserve_legend_space()
        self.plot.autoRange()

    def _scatter(self, ds, train):
        n = min(PREVIEW_POINTS, len(train))
        X = train.X[:n]
        if train.labels is not None and len(ds.class_names or []) > MAX_LEGEND_CLASSES:
            # Past MAX_LEGEND_CLASSES, one item and one legend entry: thousands of classes must not
            # become thousands of plots.
            labels = train.labels[:n]
            palette = [pg.mkBrush(c) for c in CLASS_COLOURS]
            self._add_legend(1)
            self.plot.addItem(pg.ScatterPlotItem(X[:, 0], X[:, 1], pen=None, size=5,
                                                 brush=[palette[k % len(palette)] for k in labels.tolist()],
                                                 name=f"{len(ds.class_names):,} classes (colours repeat)"))
        elif train.labels is not None:
            names = list(ds.class_names or [])
            self._add_legend(len(names))
            for k, name in enumerate(names):
                mask = train.labels[:n] == k
                colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
                self.plot.plot(X[mask, 0], X[mask, 1], pen=None, symbol="o", symbolSize=5, symbolPen=None,
                               symbolBrush=pg.mkBrush(colour), name=f"class {name}" if name.isdigit() else name)
        else:
            y = train.Y[:n, 0]
            lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
            t = (y - lo) / (hi - lo) if hi > lo else np.zeros_like(y)
            cmap = pg.colormap.get("viridis")
            brushes = [pg.mkBrush(c) for c in cmap.map(t, mode=pg.ColorMap.QCOLOR)]
            self._add_legend(1)
            self.plot.addItem(pg.ScatterPlotItem(X[:, 0], X[:, 1], pen=None, size=5, brush=brushes,
                                                 name=f"colour = {ds.target_names[0] if ds.target_names else 'y'}"))
        self.plot.setLabel("bottom", ds.feature_names[0])
        self.plot.setLabel("left", ds.feature_names[1])
        self.plot.getPlotItem().setAspectLocked(False)
        self._reserve_legend_space()
        self.plot.autoRange()

    def _table(self, ds, train):
        n = min(PREVIEW_ROWS, len(train))
        features = list(ds.feature_names)
        shown = features[:TABLE_COLUMNS]
        if train.labels is not None:
            targets = ["class"]
        else:
            targets = list(ds.target_names) if ds.target_names else [f"y{k + 1}" for k in range(ds.n_outputs)]
            targets = targets[:TABLE_COLUMNS]
        headers = shown + (["…"] if len(features) > len(shown) else []) + targets
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(n)
        self.table.setHorizontalHeaderLabels(headers)
        for i in range(n):
            values = [f"{v:.4g}" for v in train.X[i, :len(shown)]]
            if len(features) > len(shown):
                values.append("…")
            if train.labels is not None:
                values.append(label_text(ds, train, i))
            else:
                values += [f"{v:.4g}" for v in train.Y[i, :len(targets)]]
            for j, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
