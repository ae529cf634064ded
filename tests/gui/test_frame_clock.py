"""The frame clock paces frames by what drawing and painting cost, not by what else the GUI thread
does (collecting records), and aims its next tick at the next frame's time."""

import time

from workbench.gui import frame_clock
from workbench.gui.frame_clock import FrameClock


def _burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


class CostlyView:
    def __init__(self, cost):
        self.cost, self.draws = cost, 0

    def is_dirty(self):
        return True

    def is_shown(self):
        return True

    def refresh(self):
        self.draws += 1
        _burn(self.cost)


def _run_frames(clock, n=6):
    clock.run_started()
    for _ in range(n):
        clock._next_frame = 0.0          # a frame is due at every tick
        clock.tick()
    return clock.frame_intervals[-1]


def test_collecting_records_does_not_stretch_the_frames(qtbot):
    cheap = FrameClock(source=lambda: _burn(0.02) or True, busy=lambda: True)
    cheap.add_view(CostlyView(0.001))
    interval = _run_frames(cheap)
    assert interval < 0.002 / frame_clock.GUI_BUDGET + 0.01       # ~1 ms frames: ≈ 20-40 ms apart


def test_costly_frames_are_spaced_to_the_budget(qtbot):
    clock = FrameClock(source=lambda: True, busy=lambda: True)
    clock.add_view(CostlyView(0.01))
    interval = _run_frames(clock)
    assert 0.008 / frame_clock.GUI_BUDGET < interval < 0.02 / frame_clock.GUI_BUDGET


def test_the_next_tick_is_aimed_at_a_frame_due_before_the_regular_tick(qtbot):
    clock = FrameClock(source=lambda: False, busy=lambda: True)
    now = time.perf_counter()
    clock._next_frame = now + 0.015
    clock._aim_next_tick(now)
    assert clock._timer.interval() in (15, 16)          # 15 ms away, rounded up
    clock._next_frame = now + 0.5
    clock._aim_next_tick(now)
    assert clock._timer.interval() == frame_clock.TICK_MS


def test_the_regular_tick_comes_back_when_the_run_ends(qtbot):
    clock = FrameClock(source=lambda: False, busy=lambda: True)
    now = time.perf_counter()
    clock._next_frame = now + 0.004
    clock._aim_next_tick(now)
    assert clock._timer.interval() < frame_clock.TICK_MS
    clock.run_ended()
    assert clock._timer.interval() == frame_clock.TICK_MS
