"""Parts of the Output map view: its option boxes, class colours, the network it maps, the data
points on its plot, a pool of curves, its legend and canvas fitting, and the thumbnail panel of
hidden-neuron maps."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QTransform
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QGraphicsRectItem, QGraphicsSimpleTextItem

from workbench.core import maps
from workbench.core.network import weight_count
from workbench.core.names import layer_name
from workbench.data.dataset import Split
from workbench.data.drawn import MAX_POINTS
from workbench.gui.palette import WATCH_COLOURS
from workbench.gui.views.base import NO_NETWORK_YET
from workbench.gui.views.bounds import MAX_CLASS_CHOICES, MAX_LEGEND_CLASSES, MAX_MAP_POINTS, even_sample, more_text
from workbench.gui.views.plotkit import PlotCanvas

MAX_THUMBNAILS = 64       # per hidden layer
MAX_THUMBNAILS_TOTAL = 256   # in all: the first layers that fit (a 63-layer network has 4,032)
#: Multiply-adds one frame of the map may cost (grid points × weights): a wide or deep network
#: gets a coarser grid (10,000 points through 4096 × 4096 weights took 3 s a frame).
MAP_WORK = 2e8
MIN_RESOLUTION = 16


def map_resolution(sizes) -> int:
    """Grid points per side for a network of these layer sizes: ``maps.RESOLUTION`` unless that
    would cost more than ``MAP_WORK`` multiply-adds, never under ``MIN_RESOLUTION``."""
    work = max(1, weight_count(sizes))
    return int(min(maps.RESOLUTION, max(MIN_RESOLUTION, (MAP_WORK / work) ** 0.5)))


def thumbnail_layers(widths: list[int]) -> int:
    """How many of the hidden layers (``widths``: their sizes) get thumbnails: at least one."""
    total = 0
    for k, width in enumerate(widths):
        total += min(width, MAX_THUMBNAILS)
        if total > MAX_THUMBNAILS_TOTAL:
            return max(1, k)
    return len(widths)
THUMBS_TIP = "Each hidden neuron's activation over the input plane; click one to see it large."
NO_NETWORK_TEXT = f"{NO_NETWORK_YET} and see its map of the input plane."
NAN_TEXT = ("The network's weights are not finite (the run diverged), so it has no map. "
            "Reset the weights or lower the learning rate and train again.")


def option_boxes() -> tuple[QCheckBox, QCheckBox, QCheckBox, QCheckBox]:
    """The view's options: Discretize, Validation/test points, Neuron maps, Contributions."""
    boxes = []
    for text, checked, tip in (
            ("&Discretize", False, "Hard edges: the most likely class (or output ≥ the middle of its scale; "
                                   "regression: nine bands) instead of a smooth blend."),
            ("&Validation/test points", True,
             "Show the validation and test points (hollow) beside the training points (filled)."),
            ("&Neuron maps", True, THUMBS_TIP),
            ("&Contributions", True, "Each last-hidden neuron's weighted contribution wⱼ·aⱼ(x) to the output: "
                                     "their sum plus the output bias is the output's weighted input z.")):
        box = QCheckBox(text)
        box.setChecked(checked)
        box.setToolTip(tip)
        boxes.append(box)
    return tuple(boxes)


def refill(combo, names: list[str], pending: int | None) -> int | None:
    """Fill the class chooser ``combo`` with ``names`` unless it holds them already (the choice
    stays where it can; a stored choice ``pending`` is taken once the names have it).  Returns
    the choice still pending."""
    names = list(names[:MAX_CLASS_CHOICES])         # the first classes: a chooser, not a list of all
    if [combo.itemText(i) for i in range(combo.count())] != names:
        chosen = combo.currentIndex()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        if pending is not None and pending < len(names):
            chosen, pending = pending, None
        combo.setCurrentIndex(chosen if 0 <= chosen < len(names) else 0)
        combo.blockSignals(False)
    return pending


def map_parameters(experiment, ds):
    """(weights, biases, activation names) of the experiment's network to map over ``ds``, or why
    there is no map (a sentence)."""
    net = experiment.net
    if net is None:
        return NO_NETWORK_TEXT
    if net.sizes[0] != ds.n_inputs:
        return (f"The network has {net.sizes[0]} input(s) but the data has {ds.n_inputs}; "
                "the map appears once they match.")
    params = experiment.parameters()
    weights, biases = params[0], params[1]
    if [w.shape for w in weights] != [w.shape for w in net.weights]:
        weights, biases = net.weights, net.biases
    if not maps.parameters_finite(weights, biases):
        return NAN_TEXT
    return weights, biases, net.activations


def faint_pens(n: int) -> list:
    """Thin translucent pens of the n contribution curves."""
    pens = []
    for j in range(n):
        colour = QColor(WATCH_COLOURS[j % len(WATCH_COLOURS)])
        colour.setAlpha(120)
        pens.append(pg.mkPen(colour, width=1))
    return pens


def legend_entry(legend, sample, text: str, shown: bool) -> bool:
    """Put ``sample`` (an item not on the plot) into ``legend`` as ``text`` while ``shown``, else
    take it out; returns whether the legend changed."""
    entered = any(s.item is sample for s, _ in legend.items)
    if shown == entered:
        return False
    if shown:
        sample.blockSignals(True)
        sample.show()                 # a click on the entry may have hidden it
        sample.blockSignals(False)
        legend.addItem(sample, text)
    else:
        legend.removeItem(sample)
    return True


def fit_to_canvas(canvas, legend) -> None:
    """The plot's layout as wide as its canvas after its header changed: pyqtgraph's layout keeps
    its cached minimum width (the header's previous one) until invalidated, and a canvas narrower
    than that minimum cuts the plot off on the right."""
    header = legend.parentLayoutItem()
    if header is not None:
        header.invalidate()
    canvas.ci.layout.invalidate()
    if canvas.ci.geometry() != canvas.range:
        canvas.ci.setGeometry(canvas.range)


def rgb(colour: QColor) -> tuple[int, int, int]:
    return colour.red(), colour.green(), colour.blue()


def neuron_name(layer: int, j: int, activations: list[str]) -> str:
    """"Hidden 2 #3 (tanh)" for neuron j (0-based) of layer ``layer`` (the first hidden is 1)."""
    return f"{layer_name(layer, len(activations) + 1)} #{j + 1} ({activations[layer - 1]})"


def block_header(layer: int, n_layers: int, activation: str, width: int, shown: int) -> str:
    """A thumbnail block's header, short enough for the narrowest panel: "Hidden 1 · tanh · 16",
    or "Hidden 1 · relu · 64 of 100" when only the first ``shown`` of ``width`` neurons have one."""
    count = f"{shown} of {width}" if shown < width else f"{width}"
    return f"{layer_name(layer, n_layers)} · {activation} · {count}"


def cannot_draw(ds) -> str | None:
    """Why points cannot be drawn on the data set ``ds`` (a sentence), or None."""
    if ds is None or ds.n_inputs not in (1, 2):
        return "Load 2-D or 1-D data to draw points."
    if not ds.is_classification and ds.n_outputs != 1:
        return "Drawing points needs classification data or a single regression target."
    total = sum(len(split) for split in ds.splits.values())
    if total >= MAX_POINTS:
        return (f"Drawing is for small data sets: this one has {total:,} points, and a session keeps at "
                f"most {MAX_POINTS:,} drawn points.")
    return None


def drawing_hint(ds, chosen: int) -> str:
    """What the mouse does on the map of ``ds`` with class ``chosen`` in the class chooser."""
    why = cannot_draw(ds)
    if why:
        return why
    if ds.is_classification:
        names = ds.class_names or []
        if not names:
            return ""
        chosen = min(chosen, len(names) - 1)
        return (f"Click: add “{names[chosen]}” · Shift-click: “{names[(chosen + 1) % len(names)]}” · "
                "Right-click: remove the nearest point")
    if ds.n_inputs == 1:
        return "Click: add a training point there · Right-click: remove the nearest point"
    return "Click: add a point with the target on the left (Shift: its negative) · Right-click: remove"


def curve_pool(plot, curves: list, n: int, pens) -> list:
    """``curves`` grown or shrunk to ``n`` curves on ``plot``, with these pens, shown."""
    while len(curves) > n:
        plot.removeItem(curves.pop())
    while len(curves) < n:
        curve = pg.PlotDataItem()
        plot.addItem(curve)
        curves.append(curve)
    for curve, pen in zip(curves, pens):
        curve.setPen(pen)
        curve.show()
    return curves


class DataPoints:
    """The data on the map: training points filled, validation and test points hollow, coloured
    by class (or by target on the output's scale, for 2-D regression), and their legend entries.
    On a 1-D curve a point sits at (x, its target)."""

    def __init__(self, plot, legend):
        self.legend = legend
        self.held = pg.ScatterPlotItem(size=7, pxMode=True)
        self.train = pg.ScatterPlotItem(size=7, pxMode=True)
        for item in (self.held, self.train):
            item.setZValue(10)
            # the plane is fixed: paint the points once, then copy them over each new map
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.addItem(item)

    @staticmethod
    def positions(split, line: bool) -> np.ndarray:
        """(n, 2) plot positions of a split's points."""
        if not line:
            return split.X
        one_hot = split.labels is not None and split.Y.shape[1] > 1
        y = split.Y[np.arange(len(split)), split.labels] if one_hot else split.Y[:, 0]
        return np.stack([split.X[:, 0], y], axis=1)

    @staticmethod
    def colours(ds, split, line: bool, classes: list[QColor], lut: np.ndarray, fg: QColor) -> list[QColor]:
        """Class colours, or a target's colour on the output's scale moved a quarter of the way to
        the text colour (a target near 0 would vanish into the background)."""
        if split.labels is not None:
            return [classes[k] for k in split.labels]
        if line:
            return [QColor(WATCH_COLOURS[5])] * len(split)
        lo, _, hi = maps.output_scale("linear", ds.train.Y[:, 0])
        rgba = maps.wash(maps.lut_colours(maps.scale_indices(split.Y[:, 0], lo, hi), lut), rgb(fg), 0.25)
        return [QColor(*c) for c in rgba[:, :3].tolist()]

    def show(self, ds, line: bool, classes: list[QColor], lut: np.ndarray, fg: QColor, held_out: bool) -> None:
        """Draw ``ds``: at most ``MAX_MAP_POINTS`` training points and as many held-out ones (an
        even sample of each), and a legend of at most ``MAX_LEGEND_CLASSES`` classes."""
        outline = QColor(fg)
        outline.setAlpha(200)
        size = 5 if line else 7
        train = _sampled(ds.train)
        brushes = self.brushes(ds, train, line, classes, lut, fg)
        self.train.setData(pos=self.positions(train, line), brush=brushes, pen=pg.mkPen(outline, width=1),
                           size=size)
        held = [_sampled(s) for name, s in ds.splits.items() if name != "train"] if held_out else []
        if held:
            pens = [pen for s in held for pen in self.brushes(ds, s, line, classes, lut, fg, pens=True)]
            self.held.setData(pos=np.concatenate([self.positions(s, line) for s in held]), pen=pens, brush=None,
                              size=size)
        else:
            self.held.setData([])
        self.legend.clear()
        if ds.is_classification:
            names = ds.class_names or []
            for k, name in enumerate(names[:MAX_LEGEND_CLASSES]):
                self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=8, brush=classes[k], pen=outline), name)
            if len(names) > MAX_LEGEND_CLASSES:
                self.legend.addItem(pg.PlotDataItem(pen=None), more_text(len(names) - MAX_LEGEND_CLASSES, "classes"))
        else:
            self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=8, brush=brushes[0] if brushes else None,
                                                   pen=outline), "training" if line else "training (colour = target)")
        if held:
            self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=8, brush=None, pen=pg.mkPen(fg)),
                                "validation/test (hollow)")
        drawn = len(train) + sum(len(s) for s in held)
        total = len(ds.train) + (sum(len(s) for name, s in ds.splits.items() if name != "train") if held else 0)
        if drawn < total:
            self.legend.addItem(pg.PlotDataItem(pen=None), f"{drawn:,} of {total:,} points drawn")

    def brushes(self, ds, split, line, classes, lut, fg, pens: bool = False) -> list:
        """A brush (or a pen, for hollow points) per point of ``split``: one object per class,
        shared by its points."""
        if split.labels is not None:
            made = {k: pg.mkPen(classes[k], width=1.6) if pens else pg.mkBrush(classes[k])
                    for k in np.unique(split.labels).tolist()}
            return [made[k] for k in split.labels.tolist()]
        colours = self.colours(ds, split, line, classes, lut, fg)
        return [pg.mkPen(c, width=1.6) if pens else pg.mkBrush(c) for c in colours]


def _sampled(split):
    """``split`` itself, or an even sample of ``MAX_MAP_POINTS`` of its points."""
    if len(split) <= MAX_MAP_POINTS:
        return split
    rows = even_sample(len(split), MAX_MAP_POINTS)
    return Split(split.X[rows], split.Y[rows], None if split.labels is None else split.labels[rows])


class ThumbnailPanel(PlotCanvas):
    """Every hidden neuron's map as a small picture, one block of rows per layer, in one image.

    ``show_maps(hidden, activations, lut)`` draws them; hovering names a neuron in the tooltip and
    frames it; a click emits ``clicked(layer, neuron)`` (layers from 1); ``mark(neuron)`` frames
    the chosen one with a dashed line."""

    clicked = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumWidth(150)
        self.setToolTip(THUMBS_TIP)
        self.box = self.addViewBox(row=0, col=0, lockAspect=True, enableMouse=False, invertY=True,
                                   enableMenu=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.hover_frame, self.selected_frame = QGraphicsRectItem(), QGraphicsRectItem()
        for frame in (self.hover_frame, self.selected_frame):
            frame.setZValue(5)
            frame.hide()
            self.box.addItem(frame, ignoreBounds=True)
        self.mosaic: maps.Mosaic | None = None
        self.labels: list[QGraphicsSimpleTextItem] = []
        self._key = None
        self._activations: list[str] = []
        self._fg, self._bg = QColor("black"), QColor("white")
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_hover)

    def restyle(self, fg: QColor, bg: QColor) -> None:
        self._fg, self._bg = QColor(fg), QColor(bg)
        self.setBackground(bg)
        self.hover_frame.setPen(pg.mkPen(fg, width=1))
        self.selected_frame.setPen(pg.mkPen(fg, width=2, style=Qt.PenStyle.DashLine))
        for label in self.labels:
            label.setBrush(fg)

    def _layout(self, widths: list[int], resolution: int) -> None:
        key = (tuple(widths), tuple(self._activations), resolution)
        if key == self._key:
            return
        self._key = key
        for label in self.labels:
            self.box.removeItem(label)
        self.labels = []
        shown = [min(w, MAX_THUMBNAILS) for w in widths]
        total = sum(shown)
        stride = 2 if total <= 24 else 3 if total <= 48 else 4
        columns = 4 if max(shown) <= 16 else 6 if max(shown) <= 36 else 8
        self.mosaic = maps.Mosaic(shown, resolution, stride, columns, label=13, gap=4, header=16)
        n_layers = len(widths) + 2                    # input, hidden layers, output
        font = QFont()
        font.setPointSizeF(7.5)
        texts = [(x, y, f"#{j + 1}") for _layer, j, x, y in self.mosaic.cells]
        for layer, x, y in self.mosaic.headers:
            texts.append((x, y, block_header(layer, n_layers, self._activations[layer - 1],
                                             widths[layer - 1], shown[layer - 1])))
        for x, y, text in texts:         # plain text items: a tenth of pg.TextItem's painting time
            label = QGraphicsSimpleTextItem(text)
            label.setFont(font)
            label.setBrush(self._fg)
            label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            label.setTransform(QTransform.fromTranslate(0, -label.boundingRect().height()))  # bottom-left at (x, y)
            label.setPos(x, y)
            self.box.addItem(label, ignoreBounds=True)
            self.labels.append(label)
        h, w = self.mosaic.shape
        self.box.setRange(QRectF(0, 0, w, h), padding=0.02)

    def show_maps(self, hidden: list[np.ndarray], activations: list[str], lut: np.ndarray,
                  resolution: int = maps.RESOLUTION) -> np.ndarray:
        """Draw the maps of the hidden layers' activations ``hidden[l]`` (r², n_l) over the
        ``resolution`` × ``resolution`` grid, with the layers' ``activations`` (names, output last)
        and the table ``lut``; returns the picture.  The first ``MAX_THUMBNAILS`` neurons of a layer
        are drawn, and the layers up to ``MAX_THUMBNAILS_TOTAL`` neurons in all."""
        self._activations = list(activations)
        hidden = hidden[:thumbnail_layers([h.shape[1] for h in hidden])]
        self._layout([h.shape[1] for h in hidden], resolution)
        parts = [h[:, :n] for h, n in zip(hidden, self.mosaic.widths)]
        scales = [maps.activation_scale(name, p) for name, p in zip(activations, parts)]
        picture = self.mosaic.picture(parts, lut, scales)
        self.image.setImage(picture, autoLevels=False)
        return picture

    def _cell(self, neuron):
        if self.mosaic is None or neuron is None:
            return None
        return next((c for c in self.mosaic.cells if c[:2] == tuple(neuron)), None)

    def _put(self, frame, cell, pad: int) -> None:
        frame.setVisible(cell is not None)
        if cell is not None:
            t = self.mosaic.tile
            frame.setRect(QRectF(cell[2] - pad, cell[3] - pad, t + 2 * pad, t + 2 * pad))

    def mark(self, neuron) -> None:
        """Frame neuron (layer, index) — layers from 1 — or none."""
        self._put(self.selected_frame, self._cell(neuron), 2)

    def tile_at(self, scene_pos) -> tuple[int, int] | None:
        """(layer, neuron) of the thumbnail at a scene position, or None."""
        if self.mosaic is None:
            return None
        p = self.box.mapSceneToView(scene_pos)
        k = self.mosaic.tile_at(p.x(), p.y())
        return None if k is None else self.mosaic.cells[k][:2]

    def tile_centre(self, layer: int, j: int):
        """The scene position of the middle of a neuron's thumbnail (for tests and keyboard use)."""
        cell = self._cell((layer, j))
        if cell is None:
            return None
        t = self.mosaic.tile
        return self.box.mapViewToScene(pg.Point(cell[2] + t / 2, cell[3] + t / 2))

    def _on_hover(self, scene_pos) -> None:
        neuron = self.tile_at(scene_pos)
        self._put(self.hover_frame, self._cell(neuron), 1)
        self.setToolTip(THUMBS_TIP if neuron is None else
                        f"{neuron_name(*neuron, self._activations)}: its activation over the input plane. "
                        "Click to see it large.")

    def _on_click(self, ev) -> None:
        neuron = self.tile_at(ev.scenePos())
        if neuron is not None and ev.button() == Qt.MouseButton.LeftButton and not ev.double():
            ev.accept()
            self.clicked.emit(*neuron)
