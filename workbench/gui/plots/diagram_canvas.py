"""The painted area of the network diagram: paint, mouse, keyboard and tooltips, all forwarded
to the ``NetworkDiagram`` that owns it and holds every piece of state."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QSize, Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from workbench.gui.worker import gui_priority_paint


@gui_priority_paint
class DiagramCanvas(QWidget):
    """The painted area; all state lives in the NetworkDiagram that owns it."""

    def __init__(self, diagram):
        super().__init__(diagram)
        self._diagram = diagram
        self.setMouseTracking(True)
        self.setMinimumSize(220, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Network diagram")
        self.setAccessibleDescription("Arrow keys move between neurons; the details line below describes the selected one.")

    def sizeHint(self):
        return QSize(520, 320)

    def resizeEvent(self, event):
        self._diagram._layout()
        super().resizeEvent(event)

    def paintEvent(self, event):
        painter = QPainter(self)
        try:
            self._diagram._paint(painter, self.rect())
            if self.hasFocus():
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 1, Qt.PenStyle.DotLine))
                painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        finally:
            painter.end()

    def focusInEvent(self, event):
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event):
        self.update()
        super().focusOutEvent(event)

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            hit = self._diagram.neuron_at(event.position())
            if hit is not None:
                self._diagram.select_neuron(*hit)
                event.accept()
                return
        super().mousePressEvent(event)

    def keyPressEvent(self, event):
        steps = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if event.key() in steps and self._diagram.step_selection(*steps[event.key()]):
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseMoveEvent(self, event):
        hit = self._diagram.neuron_at(event.position())
        self.setCursor(Qt.CursorShape.PointingHandCursor if hit else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def event(self, event):
        if event.type() == QEvent.Type.ToolTip:
            hit = self._diagram.neuron_at(QPointF(event.pos()))
            if hit is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self._diagram._summary_line(*hit), self)
            return True
        return super().event(event)
