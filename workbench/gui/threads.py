"""``PythonThread``: a ``QThread`` that runs Python code beside the GUI thread.

While any such thread runs, Python's cyclic garbage collector runs only on the GUI thread: the
automatic collection is switched off and a timer on the GUI thread does what it would have done
(collect a generation once its threshold is passed).  Left automatic, a collection runs on
whichever thread happens to cross a threshold; a collection on a worker that frees Qt objects
(the remains of a closed window, say) deadlocks against the GUI thread destroying Qt objects at
the same time, as both take a Qt connection mutex and the GIL in opposite orders (seen in the
test suite: a training thread and the GUI thread, each waiting for the other, for ever).
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QThread, QTimer

COLLECT_EVERY_MS = 100

_holders: set = set()              # threads started and not yet seen finished
_gc_was_enabled = True
_timer: QTimer | None = None


def _on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def collect_garbage_if_due() -> None:
    """What automatic collection would do now: the oldest generation past its threshold."""
    limits, counts = gc.get_threshold(), gc.get_count()
    generation = -1
    for g in range(3):
        if counts[g] <= limits[g]:
            break
        generation = g
    if generation >= 0:
        gc.collect(generation)


def _tick() -> None:
    for thread in list(_holders):
        if thread.isFinished():
            thread._release_gc()
    if _holders:
        collect_garbage_if_due()


class PythonThread(QThread):
    """Subclasses implement ``run()``; ``start()`` and ``wait()`` must be called on the GUI thread."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.finished.connect(self._release_gc)

    def start(self, *args) -> None:
        self._hold_gc()
        super().start(*args)

    def wait(self, *args) -> bool:
        done = super().wait(*args)
        if done:
            self._release_gc()
        return done

    def _hold_gc(self) -> None:
        _hold(self)

    def _release_gc(self) -> None:
        _release(self)


class _PlainThread:
    """A ``threading.Thread`` seen as a holder: finished once it has run and ended."""

    def __init__(self, thread: threading.Thread):
        self.thread = thread

    def isFinished(self) -> bool:  # noqa: N802 - the QThread name _tick calls
        return self.thread.ident is not None and not self.thread.is_alive()

    def _release_gc(self) -> None:
        _release(self)


def start_plain_thread(thread: threading.Thread) -> None:
    """Start a plain Python thread (one that touches no Qt object) under the same rule: while it
    runs, collections happen on the GUI thread only. Call on the GUI thread."""
    _hold(_PlainThread(thread))
    thread.start()


def _hold(holder) -> None:
    global _gc_was_enabled, _timer
    if not _on_gui_thread() or holder in _holders:
        return
    if not _holders:
        _gc_was_enabled = gc.isenabled()
        gc.disable()
        _timer = QTimer(QCoreApplication.instance())   # owned by Qt: never outlives the app
        _timer.timeout.connect(_tick)
        _timer.start(COLLECT_EVERY_MS)
    _holders.add(holder)


def _release(holder) -> None:
    global _timer
    if not _on_gui_thread() or holder not in _holders:
        return
    _holders.discard(holder)
    if not _holders:
        _timer.stop()
        _timer.deleteLater()
        _timer = None
        if _gc_was_enabled:
            gc.enable()
