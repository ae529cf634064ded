"""Pieces of the universality view: draggable handles, a plot box the user draws a goal on, and
what a handle's position means for the parameters (no drawing of curves here).

Handle keys: ("wb", i) — hidden neuron i's (w, b) in the w–b plane; ("v", i) — its output weight
(vertical); ("s", i) — its step point s = −b/w (horizontal, w kept); ("h", k) — pair k's height
(vertical, on the weighted sum between its two steps: v₂ₖ = h, v₂ₖ₊₁ = −h).  Neurons and pairs are 0-based here, 1-based in the texts.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal

from workbench.core import universality as u

MODES = {"steps": "Steps s and pair heights h (Nielsen)", "wb": "Weights w and biases b"}
GOAL_DATA, GOAL_DRAWN = "data", "drawn"
DRAW_ENTRY = "Draw…"
MAX_DRAWN = 5000                  # points of one stroke while drawing
STORED_POINTS = 64                # points a drawn goal keeps (a session's view options are short lists)
STEP_UP_Y = 0.6                   # where a step handle sits (on a steep σ curve: at its step point)
LIMIT = 1e6                       # |w|, |b|, |v| a handle can set


class DragRelay(QObject):
    """What the handles report: started(handle), moved(handle), finished(handle)."""

    started = Signal(object)
    moved = Signal(object)
    finished = Signal(object)


class Handle(pg.TargetItem):
    """A TargetItem that moves freely (``lock`` None), only along x ("x") or only along y ("y"),
    and reports the start, every move and the end of a drag to ``relay``."""

    def __init__(self, key, lock, relay: DragRelay, **kwargs):
        super().__init__(size=11, **kwargs)
        self.key, self.lock, self.relay = key, lock, relay
        self.setZValue(20)

    def mouseDragEvent(self, ev):  # noqa: N802 - pyqtgraph override
        if not self.movable or ev.button() != pg.QtCore.Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        if ev.isStart():
            self.symbolOffset = self.pos() - self.mapToView(ev.buttonDownPos())
            self.moving = True
            self.relay.started.emit(self)
        if not self.moving:
            return
        target = self.symbolOffset + self.mapToView(ev.pos())
        x, y = float(target.x()), float(target.y())
        if self.lock == "x":
            y = float(self.pos().y())
        elif self.lock == "y":
            x = float(self.pos().x())
        if math.isfinite(x) and math.isfinite(y):
            self.setPos(x, y)
            self.relay.moved.emit(self)
        if ev.isFinish():
            self.moving = False
            self.relay.finished.emit(self)

    def mouseClickEvent(self, ev):  # noqa: N802 - a right click mid-drag ends it like a release
        if self.moving and ev.button() == pg.QtCore.Qt.MouseButton.RightButton:
            ev.accept()
            self.moving = False
            self.relay.finished.emit(self)


class DrawBox(pg.ViewBox):
    """A ViewBox that, while ``drawing``, turns a left-button drag into a polyline in data
    coordinates (``stroke`` grows; ``stroke_finished`` when the button is released)."""

    stroke_finished = Signal(object)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.drawing = False
        self.stroke: list[tuple[float, float]] = []
        self.on_stroke = None          # called (no arguments) while the stroke grows

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - pyqtgraph override
        if not self.drawing or ev.button() != pg.QtCore.Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        if ev.isStart():
            self.stroke = []
        p = self.mapSceneToView(ev.scenePos())
        if math.isfinite(p.x()) and math.isfinite(p.y()) and len(self.stroke) < MAX_DRAWN:
            self.stroke.append((float(p.x()), float(p.y())))
        if self.on_stroke is not None:
            self.on_stroke()
        if ev.isFinish():
            self.stroke_finished.emit(list(self.stroke))


def handle_name(key) -> str:
    kind, i = key
    if kind == "wb":
        return f"Drag hidden neuron {i + 1} (w, b)"
    if kind == "v":
        return f"Drag the output weight of hidden neuron {i + 1}"
    if kind == "s":
        return f"Drag the step point of hidden neuron {i + 1}"
    return f"Drag the height of pair {i + 1}"


def _bounded(x: float) -> float:
    return float(min(max(x, -LIMIT), LIMIT))


def moved_parameters(params: u.OneHidden, key, x: float, y: float) -> u.OneHidden:
    """The parameters once handle ``key`` sits at (x, y) (a copy; values bounded by ±LIMIT)."""
    p = params.copy()
    kind, i = key
    if kind == "wb":
        p.w[i], p.b[i] = _bounded(x), _bounded(y)
    elif kind == "v":
        p.v[i] = _bounded(y - p.c)
    elif kind == "s":
        if p.w[i] != 0:
            p.b[i] = _bounded(float(u.bias_for_step(x, p.w[i])))
    elif kind == "h":
        p.v = u.set_pair_height(p.v, i, _bounded(pair_height_for(params, i, x, y)))
    return p


def _pair(params: u.OneHidden, k: int) -> list[int]:
    return [n for n in (2 * k, 2 * k + 1) if n < params.h]


def pair_height_for(params: u.OneHidden, k: int, x: float, y: float) -> float:
    """The height h of pair k that puts the weighted sum at x to y: the other neurons and c give
    an offset, the pair h·(σ₂ₖ(x) − σ₂ₖ₊₁(x)) (≈ h between its steps; where that factor is tiny —
    x outside the bump, or the two steps together — h is y minus the offset)."""
    sig = params.hidden(np.array([float(x)]))[:, 0]
    pair = _pair(params, k)
    offset = float(params.weighted_sum(np.array([float(x)]))[0]) - sum(params.v[n] * sig[n] for n in pair)
    d = float(sig[pair[0]] - (sig[pair[1]] if len(pair) > 1 else 0.0))
    return (y - offset) / d if abs(d) >= 0.05 else y - offset


def handle_changes(old: u.OneHidden, new: u.OneHidden, key) -> list:
    """The changes (``gui.edits``) that take the network from ``old`` to ``new`` for one handle."""
    kind, i = key
    if kind == "wb":
        return [(0, "W", 0, i, float(new.w[i])), (0, "b", i, 0, float(new.b[i]))]
    if kind == "s":
        return [(0, "b", i, 0, float(new.b[i]))]
    neurons = [i] if kind == "v" else [n for n in (2 * i, 2 * i + 1) if n < new.h]
    return [(1, "W", n, 0, float(new.v[n])) for n in neurons]


def handle_places(params: u.OneHidden, x_range, mode: str) -> dict:
    """Where each handle of ``mode`` sits: key -> (x, y) or None (no step point: hidden)."""
    lo, hi = x_range
    mid = 0.5 * (lo + hi)
    steps = params.steps()
    places = {}
    if mode == "wb":
        for i in range(params.h):
            places[("wb", i)] = (float(params.w[i]), float(params.b[i]))
            s = steps[i]
            x = float(np.clip(s, lo, hi)) if math.isfinite(s) else mid
            places[("v", i)] = (x, float(params.v[i] + params.c))
        return places
    for i in range(params.h):       # a pair's step up a little above ½, its step down below, so the
        s = steps[i]                # step down of one bump and the step up of the next are both in reach
        y = STEP_UP_Y if i % 2 == 0 else 1.0 - STEP_UP_Y            # (a step beyond the plot: at its edge)
        places[("s", i)] = (float(np.clip(s, lo, hi)), y) if math.isfinite(s) else None
    mids = []                       # a pair's handle: between its steps, on the weighted sum
    for k in range((params.h + 1) // 2):
        pair = [steps[n] for n in _pair(params, k) if math.isfinite(steps[n])]
        mids.append(float(np.clip(np.mean(pair), lo, hi)) if pair else mid)
    if mids:
        levels = params.weighted_sum(np.asarray(mids))
        for k, x in enumerate(mids):
            places[("h", k)] = (x, float(levels[k]))
    return places


def table_rows(params: u.OneHidden) -> list:
    """Per hidden neuron: number, w, b, s (None without a step point), its pair's height h, v."""
    steps = params.steps()
    heights = u.pair_heights(params.v)
    return [[i + 1, float(params.w[i]), float(params.b[i]), float(steps[i]) if math.isfinite(steps[i]) else None,
             float(heights[i // 2]), float(params.v[i])] for i in range(params.h)]


def resample_stroke(points) -> list[tuple[float, float]] | None:
    """A drawn stroke (x, y pairs in any order) as STORED_POINTS points evenly spaced over its x
    range (a session's view options hold short lists), or None when it spans no x range."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) < 2 or not np.all(np.isfinite(points)) or np.ptp(points[:, 0]) <= 0:
        return None
    x = u.grid((points[:, 0].min(), points[:, 0].max()), STORED_POINTS)
    y = u.goal_from_points(points[:, 0], points[:, 1], x, bins=STORED_POINTS)
    return [(round(float(a), 6), round(float(b), 6)) for a, b in zip(x, y)]


def clean_drawn(xs, ys) -> list[tuple[float, float]] | None:
    """A stored drawn goal: two lists of 2 to STORED_POINTS finite numbers (x and y) of one length
    whose x values span a range, else None."""
    if not (isinstance(xs, list) and isinstance(ys, list) and 2 <= len(xs) == len(ys) <= STORED_POINTS):
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in xs + ys):
        return None
    if max(xs) <= min(xs):
        return None
    return [(float(a), float(b)) for a, b in zip(xs, ys)]
