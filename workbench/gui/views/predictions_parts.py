"""The painted widgets of the Predictions view: the confusion matrix, the grid of a cell's images
with their top-3 scores, the draw-a-digit pad, and the bars of every class's score.  They only
paint what they are given; the numbers come from ``workbench.core.evaluation`` and ``digits``."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSizePolicy, QTableWidget, QTableWidgetItem,
                               QToolTip, QVBoxLayout, QWidget)

from workbench.core.digits import stroke
from workbench.core.evaluation import cell_sentence
from workbench.gui.palette import is_dark
from workbench.gui.worker import gui_priority_paint

RIGHT_COLOUR = "#1f77b4"     # diagonal cells: predicted right
WRONG_COLOUR = "#d62728"     # other cells: mistakes


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a share ``t`` towards ``b``."""
    t = min(1.0, max(0.0, t))
    return QColor.fromRgbF(a.redF() + t * (b.redF() - a.redF()), a.greenF() + t * (b.greenF() - a.greenF()),
                           a.blueF() + t * (b.blueF() - a.blueF()))


def ink_image(image: np.ndarray, palette: QPalette) -> QImage:
    """A grey image (h, w) with values in [0, 1] as a QImage: ink in the text colour on the base colour."""
    grey = np.ascontiguousarray(np.clip(np.nan_to_num(image) * 255.0 + 0.5, 0, 255).astype(np.uint8))
    h, w = grey.shape
    qimage = QImage(grey.data, w, h, w, QImage.Format.Format_Indexed8)
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    qimage.setColorTable([blend(base, text, v / 255.0).rgb() for v in range(256)])
    return qimage.copy()                 # owns its pixels: ``grey`` may go


def percent(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{100 * v:.1f} %"


@gui_priority_paint
class MatrixWidget(QWidget):
    """A confusion matrix: true classes down, predicted classes across, a count and a shade per
    cell (blue on the diagonal, red off it), per-class accuracy in a last column.  Click a cell
    to choose it (``cell_clicked(row, col)``)."""

    cell_clicked = Signal(int, int)
    MIN_CELL, MAX_CELL = 24, 64
    COUNT_MIN_PT = 6.0          # counts are written smaller, down to this, rather than abbreviated
    HEADER = "acc."
    HEADER_TIP = "acc.: per-class accuracy (recall), the share of each true class that is predicted right"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.set_data(np.zeros((0, 0), dtype=np.int64), [], np.zeros((0, 0)), np.zeros(0), None)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, matrix, names, shade, recall, selected) -> None:
        self.matrix, self.names = np.asarray(matrix), [str(n) for n in names]
        self.shade, self.recall, self.selected = np.asarray(shade), np.asarray(recall), selected
        self.setMinimumSize(self._size_for(self.min_cell()))
        self.updateGeometry()
        self.update()

    # ------------------------------------------------------------------ geometry
    def _font(self, cell: int) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(7.0 if cell < 32 else 8.5 if cell < 44 else 9.5)
        return font

    def _margins(self, cell: int) -> tuple[int, int, bool]:
        """(left, top, rotated): room for the axis titles and class names; names longer than a
        cell is wide are written upwards."""
        metrics = QFontMetrics(self._font(cell))
        widest = max((metrics.horizontalAdvance(n) for n in self.names), default=0)
        rotated = widest > cell - 4
        left = 22 + min(widest, 140) + 6
        top = 22 + (min(widest, 140) + 6 if rotated else metrics.height() + 4)
        return left, top, rotated

    def _recall_width(self, cell: int) -> int:
        metrics = QFontMetrics(self._font(cell))
        return max(metrics.horizontalAdvance(self.HEADER), metrics.horizontalAdvance(percent(1.0))) + 10

    def min_cell(self) -> int:
        """``MIN_CELL``, or wider where the largest count needs it at ``COUNT_MIN_PT``."""
        font = QFont(self.font())
        font.setPointSizeF(self.COUNT_MIN_PT)
        return max(self.MIN_CELL, QFontMetrics(font).horizontalAdvance(str(int(self.matrix.max(initial=0)))) + 4)

    def count_format(self, cell: int) -> tuple[QFont, bool]:
        """(font, thousands separators?) of the counts in cells of ``cell`` pixels: the cell's font
        made smaller, down to ``COUNT_MIN_PT``, until the largest fits; exact, never abbreviated."""
        font, widest = self._font(cell), f"{int(self.matrix.max(initial=0)):,}"
        while QFontMetrics(font).horizontalAdvance(widest) > cell - 4 and font.pointSizeF() > self.COUNT_MIN_PT:
            font.setPointSizeF(max(self.COUNT_MIN_PT, font.pointSizeF() - 0.5))
        return font, QFontMetrics(font).horizontalAdvance(widest) <= cell - 4

    def _size_for(self, cell: int) -> QSize:
        k = len(self.matrix)
        left, top, _ = self._margins(cell)
        return QSize(left + k * cell + self._recall_width(cell) + 8, top + k * cell + 8)

    def cell_size(self) -> int:
        """The largest cell (``min_cell()``..``MAX_CELL``) with which the names, the cells and the
        acc. column all fit the widget (each cell size has its own font)."""
        k, low = max(1, len(self.matrix)), self.min_cell()
        left, top, _ = self._margins(low)           # the least margins: a bound on the cell, then down
        cell = min(self.MAX_CELL, (self.width() - left - 8) // k, (self.height() - top - 8) // k)
        while cell > low and self._size_for(cell).expandedTo(self.size()) != self.size():
            cell -= 1
        return max(cell, low)

    def cell_rect(self, row: int, col: int) -> QRect:
        cell = self.cell_size()
        left, top, _ = self._margins(cell)
        return QRect(left + col * cell, top + row * cell, cell, cell)

    def cell_at(self, pos) -> tuple[int, int] | None:
        k = len(self.matrix)
        cell = self.cell_size()
        left, top, _ = self._margins(cell)
        col, row = math.floor((pos.x() - left) / cell), math.floor((pos.y() - top) / cell)
        return (row, col) if 0 <= row < k and 0 <= col < k else None

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._size_for(40)

    # ------------------------------------------------------------------ events
    def mousePressEvent(self, event):  # noqa: N802 - Qt override
        hit = self.cell_at(event.position())
        if hit is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self.cell_clicked.emit(*hit)

    def mouseMoveEvent(self, event):  # noqa: N802 - Qt override
        hit = self.cell_at(event.position())
        self.setCursor(Qt.CursorShape.PointingHandCursor if hit else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def event(self, event):
        if event.type() == QEvent.Type.ToolTip:
            hit, cell, k = self.cell_at(event.pos()), self.cell_size(), len(self.matrix)
            in_column = k and event.pos().x() >= self._margins(cell)[0] + k * cell
            QToolTip.showText(event.globalPos(), self.cell_text(*hit) if hit else self.HEADER_TIP if in_column else "",
                              self)            # an empty text hides the tip
            return True
        return super().event(event)

    def cell_text(self, row: int, col: int) -> str:
        return cell_sentence(self.names, self.matrix, row, col) + ".  Click to list them."

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event):  # noqa: N802 - Qt override
        pal = self.palette()
        painter = QPainter(self)
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        painter.fillRect(self.rect(), base)
        k = len(self.matrix)
        if k == 0:
            return
        cell = self.cell_size()
        left, top, rotated = self._margins(cell)
        font = self._font(cell)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        faint = QColor(text)
        faint.setAlpha(150)
        painter.setPen(faint)
        painter.drawText(QRect(left, 2, k * cell, 18), Qt.AlignmentFlag.AlignCenter, "predicted class")
        painter.save()
        painter.translate(2, top + k * cell / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-k * cell / 2, 0, k * cell, 18), Qt.AlignmentFlag.AlignCenter, "true class")
        painter.restore()
        right, wrong = QColor(RIGHT_COLOUR), QColor(WRONG_COLOUR)
        if is_dark(base):
            right, wrong = right.lighter(130), wrong.lighter(120)
        light_text, dark_text = QColor("white"), QColor("black")
        count_font, commas = self.count_format(cell)
        for i in range(k):
            name = metrics.elidedText(self.names[i], Qt.TextElideMode.ElideRight, 140)
            painter.setPen(text)
            painter.drawText(QRect(22, top + i * cell, left - 28, cell),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            if rotated:
                painter.save()
                painter.translate(left + i * cell + cell / 2, top - 4)
                painter.rotate(-90)
                painter.drawText(QRectF(0, -cell / 2, top - 26, cell),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
                painter.restore()
            else:
                painter.drawText(QRect(left + i * cell, 22, cell, top - 24),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, name)
        for i in range(k):
            for j in range(k):
                r = QRect(left + j * cell, top + i * cell, cell, cell)
                count = int(self.matrix[i, j])
                t = 0.0 if count == 0 else 0.08 + 0.92 * float(self.shade[i, j])
                fill = blend(base, right if i == j else wrong, t)
                painter.fillRect(r, fill)
                painter.setPen(QPen(blend(base, text, 0.12), 1))
                painter.drawRect(r.adjusted(0, 0, -1, -1))
                if count:
                    painter.setPen(light_text if fill.lightness() < 140 else dark_text)
                    painter.setFont(count_font)
                    painter.drawText(r, Qt.AlignmentFlag.AlignCenter, f"{count:,}" if commas else str(count))
        painter.setFont(font)
        x = left + k * cell + 6
        width = self._recall_width(cell)
        painter.setPen(faint)
        painter.drawText(QRect(x, top - metrics.height() - 4, width, metrics.height() + 2),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, self.HEADER)
        painter.setPen(text)
        for i in range(k):
            painter.drawText(QRect(x, top + i * cell, width, cell),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, percent(self.recall[i]))
        if self.selected is not None and all(0 <= v < k for v in self.selected):
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 3))
            painter.drawRect(self.cell_rect(*self.selected).adjusted(1, 1, -2, -2))


@gui_priority_paint
class ItemGrid(QWidget):
    """Images of a cell's items, each with the true label and its three best classes as small bars.
    Click an item to choose it (``item_clicked(position in the list)``); the chosen one is outlined."""

    item_clicked = Signal(int)
    IMAGE = 56
    TILE_W, TILE_H = 190, 70

    def __init__(self, parent=None):
        super().__init__(parent)
        self._qimages: dict[int, QImage] = {}
        self.set_items(np.zeros((0, 28, 28)), np.zeros((0, 3), dtype=np.int64), np.zeros((0, 3)), [], [], "probability")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click an item to see it larger, with the score of every class, on the digit pad")

    def set_items(self, images, top_classes, top_scores, true, names, kind) -> None:
        """images (n, h, w) in [0, 1]; top_classes / top_scores (n, 3); true: (n,) class names."""
        self.images, self.top_classes, self.top_scores = images, top_classes, top_scores
        self.true, self.names, self.kind = list(true), [str(n) for n in names], kind
        self.chosen: int | None = None
        self._qimages.clear()
        self._fit_height()
        self.update()

    def columns(self) -> int:
        return max(1, self.width() // self.TILE_W)

    def _fit_height(self) -> None:
        rows = -(-len(self.images) // self.columns())
        self.setMinimumHeight(rows * self.TILE_H + 4)

    def resizeEvent(self, event):  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_height()

    def changeEvent(self, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._qimages.clear()
        super().changeEvent(event)

    def tile_rect(self, k: int) -> QRect:
        row, col = divmod(k, self.columns())
        return QRect(col * self.TILE_W, row * self.TILE_H, self.TILE_W, self.TILE_H)

    def tile_at(self, pos) -> int | None:
        col, row = math.floor(pos.x() / self.TILE_W), math.floor(pos.y() / self.TILE_H)
        k = row * self.columns() + col
        return k if 0 <= col < self.columns() and row >= 0 and k < len(self.images) else None

    def mousePressEvent(self, event):  # noqa: N802 - Qt override
        k = self.tile_at(event.position())
        if k is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self.chosen = k
        self.update()
        self.item_clicked.emit(k)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        pal = self.palette()
        painter = QPainter(self)
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        painter.fillRect(self.rect(), base)
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        bar_colour = QColor(RIGHT_COLOUR).lighter(130) if is_dark(base) else QColor(RIGHT_COLOUR)
        for k in range(len(self.images)):
            tile = self.tile_rect(k)
            if not tile.intersects(event.rect()):
                continue
            if k not in self._qimages:
                self._qimages[k] = ink_image(self.images[k], pal)
            image_rect = QRect(tile.x() + 4, tile.y() + 4, self.IMAGE, self.IMAGE)
            painter.drawImage(image_rect, self._qimages[k])
            painter.setPen(QPen(blend(base, text, 0.25), 1))
            painter.drawRect(image_rect.adjusted(-1, -1, 0, 0))
            x = image_rect.right() + 6
            width = tile.right() - x - 4
            painter.setPen(text)
            painter.drawText(QRect(x, tile.y() + 2, width, metrics.height()), Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(f"true: {self.true[k]}", Qt.TextElideMode.ElideRight, width))
            for rank in range(self.top_classes.shape[1]):
                y = tile.y() + 4 + metrics.height() * (rank + 1)
                name = metrics.elidedText(self.names[self.top_classes[k, rank]], Qt.TextElideMode.ElideRight, 44)
                score = float(self.top_scores[k, rank])
                painter.setPen(text)
                painter.drawText(QRect(x, y, 46, metrics.height()), Qt.AlignmentFlag.AlignLeft, name)
                bar = QRect(x + 48, y + 3, width - 92, metrics.height() - 5)
                painter.fillRect(bar, blend(base, text, 0.08))
                if self.kind != "raw" and math.isfinite(score):
                    painter.fillRect(QRect(bar.x(), bar.y(), int(bar.width() * min(1.0, max(0.0, score))),
                                           bar.height()), bar_colour)
                value = (f"{score:.3g}" if self.kind == "raw" else percent(score))
                painter.drawText(QRect(bar.right() + 3, y, 42, metrics.height()), Qt.AlignmentFlag.AlignLeft, value)
            if k == self.chosen:
                painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
                painter.drawRect(tile.adjusted(1, 1, -2, -2))


@gui_priority_paint
class DigitPreview(QWidget):
    """A 28×28 image with values in [0, 1] (the one the network is given) drawn three times larger."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = np.zeros((28, 28), dtype=np.float32)
        self.setFixedSize(84, 84)
        self.setToolTip("What the network sees: the drawing fitted in a 20×20 box and centred by its "
                        "centre of mass in 28×28, as MNIST's digits are")

    def set_image(self, image: np.ndarray) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event):  # noqa: N802 - Qt override
        pal = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.image.shape[0] > 28)
        painter.drawImage(self.rect(), ink_image(self.image, pal))
        painter.setPen(QPen(blend(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text), 0.35), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))


class DigitPad(DigitPreview):
    """A square pad drawn on with the mouse in soft round strokes (``RES`` × ``RES`` ink values in
    [0, 1], shown scaled); ``changed`` after every stroke segment, on ``clear()`` and ``load()``."""

    changed = Signal()
    RES = 112                   # four canvas pixels per MNIST pixel
    RADIUS = 6.5                # a pen as thick, once fitted in MNIST's 20×20 box, as MNIST's strokes

    def __init__(self, parent=None):
        super().__init__(parent)
        self.canvas = self.image = np.zeros((self.RES, self.RES))
        self._last: tuple[float, float] | None = None
        self.setFixedSize(196, 196)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse; it is fitted and centred as MNIST's digits are")

    def is_blank(self) -> bool:
        return not self.canvas.any()

    def clear(self) -> None:
        self.load(np.zeros((28, 28)))

    def load(self, image: np.ndarray) -> None:
        """Put a 28×28 image (values in [0, 1]) on the pad, each pixel as 4×4 canvas pixels."""
        self.canvas[:] = np.kron(np.clip(np.nan_to_num(image), 0.0, 1.0), np.ones((4, 4)))
        self._last = None
        self.update()
        self.changed.emit()

    def _point(self, pos: QPointF) -> tuple[float, float]:
        return pos.y() * self.RES / self.height(), pos.x() * self.RES / self.width()

    def mousePressEvent(self, event):  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._last = self._point(event.position())
        stroke(self.canvas, self._last, self._last, self.RADIUS)
        self.update()
        self.changed.emit()

    def mouseMoveEvent(self, event):  # noqa: N802 - Qt override
        if self._last is None:
            return super().mouseMoveEvent(event)
        point = self._point(event.position())
        stroke(self.canvas, self._last, point, self.RADIUS)
        self._last = point
        self.update()
        self.changed.emit()

    def mouseReleaseEvent(self, event):  # noqa: N802 - Qt override
        self._last = None
        super().mouseReleaseEvent(event)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        super().paintEvent(event)           # the ink (under gui_priority), then the hint on a blank pad
        if self.is_blank():
            painter = QPainter(self)
            faint = QColor(self.palette().color(QPalette.ColorRole.Text))
            faint.setAlpha(120)
            painter.setPen(faint)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Draw a digit here")


@gui_priority_paint
class ScoreBars(QWidget):
    """One bar per class for the pad's drawing; the best class in the highlight colour."""

    ROW = 18

    def __init__(self, parent=None):
        super().__init__(parent)
        self.set_scores([], [], "probability")
        self.setMinimumWidth(200)

    def set_scores(self, names, scores, kind) -> None:
        self.names, self.scores, self.kind = [str(n) for n in names], np.asarray(scores, dtype=float), kind
        self.setMinimumHeight(len(self.names) * self.ROW + 4)
        self.update()

    def paintEvent(self, event):  # noqa: N802 - Qt override
        pal = self.palette()
        painter = QPainter(self)
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        painter.fillRect(self.rect(), base)
        metrics = QFontMetrics(painter.font())
        name_w = min(110, max((metrics.horizontalAdvance(n) for n in self.names), default=0) + 8)
        best = int(np.nanargmax(self.scores)) if len(self.scores) and np.isfinite(self.scores).any() else -1
        span = float(np.nanmax(np.abs(self.scores))) if self.kind == "raw" and len(self.scores) else 1.0
        span = span if math.isfinite(span) and span > 0 else 1.0
        normal = QColor(RIGHT_COLOUR).lighter(130) if is_dark(base) else QColor(RIGHT_COLOUR)
        for i, (name, score) in enumerate(zip(self.names, self.scores)):
            y = 2 + i * self.ROW
            painter.setPen(text)
            painter.drawText(QRect(2, y, name_w - 4, self.ROW), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_w - 4))
            bar = QRect(name_w + 2, y + 3, self.width() - name_w - 64, self.ROW - 6)
            painter.fillRect(bar, blend(base, text, 0.08))
            share = score / span if self.kind == "raw" else score
            if math.isfinite(share):
                colour = pal.color(QPalette.ColorRole.Highlight) if i == best else normal
                painter.fillRect(QRect(bar.x(), bar.y(), int(bar.width() * min(1.0, max(0.0, share))), bar.height()),
                                 colour)
            value = f"{score:.3g}" if self.kind == "raw" else percent(score)
            painter.drawText(QRect(bar.right() + 4, y, 58, self.ROW), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             value)


class PadPanel(QWidget):
    """The draw-a-digit page: the pad and its Clear button, the 28×28 image the network is
    given, and a bar per class."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pad, self.preview, self.bars = DigitPad(), DigitPreview(), ScoreBars()
        self.label = QLabel(wordWrap=True)
        clear = QPushButton("Clear", toolTip="Wipe the pad")
        clear.clicked.connect(self.pad.clear)
        side = QVBoxLayout()
        side.addWidget(QLabel("The network sees"))
        side.addWidget(clear, 0, Qt.AlignmentFlag.AlignLeft)
        side.addStretch(1)
        row = QHBoxLayout()                 # under the pad: the page stays narrow beside the matrix
        row.addWidget(self.preview)
        row.addLayout(side, 1)
        column = QVBoxLayout(self)
        column.addWidget(self.pad)
        column.addLayout(row)
        column.addWidget(self.label)
        column.addWidget(self.bars)
        column.addStretch(1)

    def show_scores(self, image, names, scores, kind, text) -> None:
        self.preview.set_image(image)
        self.bars.set_scores(names, scores, kind)
        self.label.setText(text)


def fill_table(table: QTableWidget, header: list[str], rows: list[list[str]]) -> None:
    """Put ``rows`` of text under ``header`` into ``table``, columns fitted to their contents."""
    table.clear()
    table.setColumnCount(len(header))
    table.setHorizontalHeaderLabels(header)
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))
    table.resizeColumnsToContents()
