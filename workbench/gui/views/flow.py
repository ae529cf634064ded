"""A control row that wraps: the views' option widgets flow onto a second line when the view is
narrow, so no view makes the window wider than a 1280-pixel screen (Qt's Flow Layout example)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QSizePolicy, QSpacerItem, QWidget, QWidgetItem


class FlowLayout(QLayout):
    """Items left to right, wrapping to a new line where the width runs out.  ``addStretch()``
    marks where the rest of the line is pushed to the right (as in a ``QHBoxLayout``); items after
    it are right-aligned on their line."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6):
        super().__init__(parent)
        self._items: list = []
        self._right_from: int | None = None
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def addWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt override
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))

    def addSpacing(self, width: int) -> None:  # noqa: N802 - QBoxLayout's name
        self.addItem(QSpacerItem(width, 0, QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum))

    def addStretch(self, _stretch: int = 1) -> None:  # noqa: N802 - QBoxLayout's name, for drop-in use
        self._right_from = len(self._items)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # noqa: N802 - Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        width = sum(item.sizeHint().width() + self.spacing() for item in self._visible())
        height = max((item.sizeHint().height() for item in self._visible()), default=0)
        return QSize(width, height)

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override: as narrow as the widest item
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _visible(self):
        return [item for item in self._items if not (item.widget() and item.widget().isHidden())]

    def _lines(self, width: int):
        """Rows of (item, size): items wrap where the next one would pass ``width``."""
        lines, line, used = [], [], 0
        for k, item in enumerate(self._items):
            if item.widget() is not None and item.widget().isHidden():
                continue
            size = item.sizeHint()
            needed = size.width() if not line else used + self.spacing() + size.width()
            if line and needed > width:
                lines.append(line)
                line, needed = [], size.width()
            line.append((k, item, size))
            used = needed
        if line:
            lines.append(line)
        return lines

    def _arrange(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        y = area.y()
        for line in self._lines(area.width()):
            height = max(size.height() for _, _, size in line)
            if move:
                split = len(line) if self._right_from is None else \
                    sum(1 for k, _, _ in line if k < self._right_from)
                x = area.x()
                for _, item, size in line[:split]:
                    item.setGeometry(QRect(QPoint(x, y + (height - size.height()) // 2), size))
                    x += size.width() + self.spacing()
                x = area.right() + 1
                for _, item, size in reversed(line[split:]):
                    x -= size.width()
                    item.setGeometry(QRect(QPoint(x, y + (height - size.height()) // 2), size))
                    x -= self.spacing()
            y += height + self.spacing()
        return y - self.spacing() - area.y() + m.top() + m.bottom() if y > area.y() else m.top() + m.bottom()

