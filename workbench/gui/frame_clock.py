"""The window's one redraw clock.

A ``QTimer`` ticks every ``TICK_MS`` while anything needs it.  Each tick first calls the record
source (the training controller's ``drain``: cheap), then, when a frame is due, asks every view
that is dirty and visible to ``refresh()``.  While training, frames are paced so that drawing the
views and painting them stays within ``GUI_BUDGET`` of the wall time: PySide6 holds the interpreter
lock while Qt paints, so every millisecond of drawing is one the training thread cannot run.  What
the GUI thread does anyway (collecting records, the status bar) is left out of a frame's cost:
counted, it starved small, fast networks of frames (2 a second).  When no run goes, a dirty view is
drawn at the next tick and the clock stops once nothing is dirty.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, QTimer

from workbench.gui import worker
from workbench.gui.worker import gui_priority

TICK_MS = 40               # 25 Hz: records are collected (cheap)
FRAME_MIN_S = 1 / 30       # while training, views are redrawn at most 30 times a second ...
FRAME_MAX_S = 2.0          # ... and at least every 2 s
GUI_BUDGET = 0.05          # share of the wall time drawing may take while training
FRAME_COST_PRIOR_S = 0.01  # first guess of a frame's cost, until one has been measured


class FrameClock(QObject):
    """Drives ``source()`` and the views' ``refresh()`` from one timer.

    ``views``: objects with ``is_dirty()``, ``is_shown()`` and ``refresh()``.  ``busy()`` says
    whether a run goes (frames are then paced; otherwise drawn at once).
    ``frame_intervals`` keeps the pacing decisions (the benchmark reads them).
    """

    def __init__(self, parent=None, *, source=None, busy=None):
        super().__init__(parent)
        self.views: list = []
        self._source = source or (lambda: False)
        self._busy = busy or (lambda: False)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)
        self._next_frame = 0.0
        self._paint_mark: float | None = None
        self._frame_cost = FRAME_COST_PRIOR_S
        self._frames_with_data = 0
        self._pending = False           # records arrived since the last frame
        self._draw_cpu = 0.0            # GUI CPU seconds of the latest paced frame's drawing
        self.frame_intervals: deque[float] = deque(maxlen=10_000)

    def add_view(self, view) -> None:
        self.views.append(view)

    def request(self) -> None:
        """Something changed: make sure a tick comes."""
        if not self._timer.isActive():
            self._timer.start()

    def run_started(self) -> None:
        self._next_frame = 0.0
        self._paint_mark = None
        self._draw_cpu = 0.0
        self._frame_cost = FRAME_COST_PRIOR_S
        self._frames_with_data = 0
        self.request()

    def run_ended(self) -> None:
        self._paint_mark = None
        self._timer.setInterval(TICK_MS)
        self.draw_now()

    def _collect(self) -> None:
        if self._source():
            self._pending = True

    def tick(self) -> None:
        with gui_priority():
            self._collect()
            busy = self._busy()
            now = time.perf_counter()
            if not busy:
                if self._timer.interval() != TICK_MS:
                    self._timer.setInterval(TICK_MS)
                self._draw()
                if not self._pending and not any(v.is_dirty() and v.is_shown() for v in self.views):
                    self._timer.stop()
            else:
                if now >= self._next_frame or (self._pending and self._frames_with_data == 0):
                    self._paced_frame(now)      # the first records of a run are shown at once
                self._aim_next_tick(time.perf_counter())

    def _aim_next_tick(self, now: float) -> None:
        """The next tick at the next frame's time when that comes before a regular tick (a frame
        due 70 ms after the last would otherwise wait for the tick at 80 ms)."""
        due_ms = 1000 * (self._next_frame - now)
        interval = int(due_ms) + 1 if 0 < due_ms < TICK_MS else TICK_MS
        if interval != self._timer.interval():
            self._timer.setInterval(interval)

    def draw_now(self) -> None:
        """Collect and draw everything now (a pause, the end of a run, an export)."""
        with gui_priority():
            self._collect()
            self._draw()

    def _paced_frame(self, now: float) -> None:
        painted = worker.paint_seconds
        if self._paint_mark is not None:         # smoothed cost of a frame: its drawing and painting
            cost = self._draw_cpu + painted - self._paint_mark
            self._frame_cost = 0.5 * self._frame_cost + 0.5 * cost
        interval = min(FRAME_MAX_S, max(FRAME_MIN_S, self._frame_cost / GUI_BUDGET))
        self._paint_mark = painted
        self._next_frame = now + interval
        self.frame_intervals.append(interval)
        if self._pending:
            self._frames_with_data += 1
        started = time.thread_time()
        self._draw()
        self._draw_cpu = time.thread_time() - started

    def _draw(self) -> None:
        self._pending = False
        for view in self.views:
            if view.is_dirty() and view.is_shown():
                view.refresh()
