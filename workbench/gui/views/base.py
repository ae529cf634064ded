"""What every view is: a widget over the Experiment that redraws only when the frame clock asks.

A view subclasses ``View``, names itself (``name``: the id of ``--view NAME``; ``title``: its tab,
dock and View-menu text; ``area``: "centre" for a tab of the central area, or "bottom", "left",
"right" for a dock), connects to the Experiment's signals in ``__init__`` with slots that only call
``mark_dirty()`` (slots never draw), and draws in ``draw()``.  The frame clock calls ``refresh()``
when the view is dirty and shown.  Views never import the main window or the panels.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from workbench.gui.experiment import Experiment


class View(QWidget):
    name = ""
    title = ""
    area = "centre"
    tooltip = ""

    def __init__(self, experiment: Experiment, parent=None):
        super().__init__(parent)
        self.experiment = experiment
        self._dirty = True
        self._clock = None

    def attach(self, clock) -> None:
        """The frame clock that will call ``refresh()``."""
        self._clock = clock
        clock.add_view(self)

    def mark_dirty(self, *_args) -> None:
        self._dirty = True
        if self._clock is not None:
            self._clock.request()

    def is_dirty(self) -> bool:
        return self._dirty

    def is_shown(self) -> bool:
        """Visible on screen (a hidden tab page or a closed dock is not)."""
        return self.isVisible()

    def refresh(self) -> None:
        """Draw now (the frame clock calls this; tests and exports may too)."""
        self._dirty = False
        self.draw()

    def draw(self) -> None:
        raise NotImplementedError

    def showEvent(self, event):  # noqa: N802 - Qt override: a tab brought forward draws what it missed
        super().showEvent(event)
        if self._dirty and self._clock is not None:
            self._clock.request()
