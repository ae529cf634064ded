"""SVG icons from ``resources/icons``, drawn in the palette's text colour.

Monochrome icons use ``currentColor``; it is replaced by the palette's window-text colour (and by
the disabled text colour for the disabled state), so icons read well on light and dark themes.
Coloured icons (train, pause, stop, the app icon) keep their own colours.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from .resources_path import resource_path

_SIZES = (16, 20, 24, 32, 48)


def _pixmap(svg: bytes, size: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg))
    pixmap = QPixmap(QSize(round(size * ratio), round(size * ratio)))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, pixmap.width(), pixmap.height()))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


@lru_cache(maxsize=None)
def _icon(name: str, normal: str, disabled: str, ratio: float) -> QIcon:
    path = resource_path("icons", f"{name}.svg")
    text = path.read_bytes()
    icon = QIcon()
    for mode, colour in ((QIcon.Mode.Normal, normal), (QIcon.Mode.Disabled, disabled)):
        svg = text.replace(b"currentColor", colour.encode("ascii"))
        if mode == QIcon.Mode.Disabled and b"currentColor" not in text:
            continue            # coloured icons: let Qt grey them out itself
        for size in _SIZES:
            icon.addPixmap(_pixmap(svg, size, ratio), mode)
    return icon


def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` coloured for the current palette."""
    app = QGuiApplication.instance()
    palette = app.palette() if app else QPalette()
    ratio = app.devicePixelRatio() if app else 1.0
    normal = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText).name()
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
    return _icon(name, normal, disabled, float(ratio))


def app_icon() -> QIcon:
    """The application icon (window title bar, task bar, About box)."""
    return QIcon(str(resource_path("icons", "app.svg")))
