"""Other runs' curves drawn over a view's plots: the runs ticked in the Runs view.

``RunOverlays(experiment, targets)`` keeps, for every run in ``experiment.overlaid`` other than
the current one (whose curves the view draws itself), lighter curves on each target plot, drawn
in the run's dash pattern (``OVERLAY_DASHES``, the same in every plot, so a run is told by it
everywhere).  A target is (plot, legend or None, curves) where ``curves(history)`` returns a list
of (x, y) arrays to draw — (k,) each — e.g. the epoch training cost, or one learning-speed curve
per layer.  A run's curves take the run's colour (``OVERLAY_COLOURS``) and are named after it in
the legend (None: the plot's own, ``plotkit.add_plot``'s), except where ``curves.per_layer`` is
set: there curve l takes layer l's colour (``palette.layer_colours``, as the live curves do), so
the layers can be compared run against run, and the legend (of the layers) is left alone.
``update()`` redraws only what changed (the ticked runs, their histories' ``serial``) and is
cheap enough for every frame.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from workbench.gui.palette import is_dark, layer_colours

#: Colours of overlaid runs, in tick order (lighter than the live curves: drawn with alpha).
OVERLAY_COLOURS = ("#8e44ad", "#16a085", "#d35400", "#2c3e50", "#c0392b", "#7f8c8d", "#27ae60", "#2980b9")
OVERLAY_ALPHA = 170
#: The layer-coloured curves of an overlaid run (learning speed) are fainter still.
LAYER_ALPHA = 130
#: Dash patterns of overlaid runs, in tick order (in pen widths); the live curves are solid, and
#: the live output layer's speed curve is Qt's plain dash, which none of these is.
OVERLAY_DASHES = ((2, 2), (6, 2, 1, 2), (1, 1.5), (8, 3), (3, 2, 1, 2, 1, 2))


def epoch_cost(h):
    return [(h.epoch_number(), h.train_cost())]


def epoch_accuracy(h):
    return [(h.epoch_number(), 100 * h.train_accuracy())] if h.classification else []


def epoch_speed(h):
    x = h.epoch_number()
    return [(x, h.epoch_delta_norms()[l]) for l in range(h.n_layers)]


epoch_speed.per_layer = True


def followed_gradients(labels_of):
    """Curves of ∂C/∂w per batch for the weights ``labels_of()`` names that a run followed too."""
    def curves(h):
        mine = h.watch_labels
        watched = h.batch_watched()
        x = h.batch_x()[:watched.shape[1]]
        return [(x, watched[mine.index(label)]) for label in labels_of() if label in mine]
    return curves


class RunOverlays:
    def __init__(self, experiment, targets, key=tuple):
        self.experiment = experiment
        self.targets = list(targets)
        self._key = key                       # what else the curves depend on (redrawn when it changes)
        self._items: dict[int, list] = {}     # run id -> [(target index, curve), ...]
        self._drawn: dict[int, tuple] = {}    # run id -> what its curves were last given
        self.positive = [False] * len(self.targets)    # a target on a log axis: positive values only

    def names(self) -> list[str]:
        """The names of the runs drawn now, in the order of the runs table."""
        return [r.name for r in self.experiment.runs.runs if r.id in self._items]

    def _wanted(self):
        exp = self.experiment
        return [r for r in exp.runs.runs if r.id in exp.overlaid and r.id != exp.runs.current]

    def update(self) -> None:
        runs = self._wanted()
        ids = {r.id for r in runs}
        changed = False
        for run_id in [i for i in self._items if i not in ids]:
            self._remove(run_id)
            changed = True
        dark = is_dark(QGuiApplication.palette(), QPalette.ColorRole.Base)
        for k, run in enumerate(runs):
            key = (run.history.serial, run.history.generation, run.name, k, tuple(self.positive), dark, self._key())
            if self._drawn.get(run.id) == key:
                continue
            self._remove(run.id)
            self._draw(run, k, dark)
            self._drawn[run.id] = key
            changed = True
        if changed:
            self._relayout()

    def _relayout(self) -> None:
        """Entries came or went: each legend in one row again (the view re-fits it when resized),
        not in a new row under a header one line high."""
        for plot, legend, _c in self.targets:
            legend = legend if legend is not None else getattr(plot, "legend", None)
            if legend is not None:
                legend.setColumnCount(max(1, len(legend.items)))

    def _draw(self, run, k: int, dark: bool) -> None:
        colour = QColor(OVERLAY_COLOURS[k % len(OVERLAY_COLOURS)])
        colour.setAlpha(OVERLAY_ALPHA)
        dashes = OVERLAY_DASHES[k % len(OVERLAY_DASHES)]
        items = []
        for t, (plot, legend, curves) in enumerate(self.targets):
            per_layer = getattr(curves, "per_layer", False)
            drawn = curves(run.history)
            layers = layer_colours(len(drawn), dark) if per_layer else []
            if legend is None and not per_layer:
                legend = getattr(plot, "legend", None)
            for n, (x, y) in enumerate(drawn):
                if per_layer:
                    c = QColor(layers[n])
                    c.setAlpha(LAYER_ALPHA)
                else:
                    c = colour
                pen = pg.mkPen(c, width=1.6)
                pen.setDashPattern(list(dashes))
                x, y = np.asarray(x, float), np.asarray(y, float)
                keep = np.isfinite(y) & (y > 0 if self.positive[t] else True)
                curve = pg.PlotDataItem(x[keep], y[keep], pen=pen)
                curve.setZValue(-1)
                plot.addItem(curve)
                named = legend is not None and not per_layer and n == 0
                if named:
                    legend.addItem(curve, run.name)
                items.append((plot, legend if named else None, curve))
        self._items[run.id] = items

    def forget(self) -> None:
        """Take every overlay off (a legend was cleared): the next ``update`` draws them again."""
        for run_id in list(self._items):
            self._remove(run_id)

    def _remove(self, run_id: int) -> None:
        for plot, legend, curve in self._items.pop(run_id, []):
            if legend is not None:
                legend.removeItem(curve)
            plot.removeItem(curve)
        self._drawn.pop(run_id, None)
