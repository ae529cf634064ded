"""Render the application icon (resources/icons/app.svg) into the desktop's icon theme folders.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/linux/render-icons.py

writes share/icons/hicolor/scalable/apps/<id>.svg (a copy of app.svg) and one PNG per size in
``SIZES`` (share/icons/hicolor/<n>x<n>/apps/<id>.png, rendered with Qt's SVG renderer). The files
are committed; run this again after app.svg changes (tests/test_desktop_files.py notices when the
PNGs no longer match it).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SVG = REPO / "resources" / "icons" / "app.svg"
HICOLOR = HERE / "share" / "icons" / "hicolor"
SIZES = (48, 64, 128, 256, 512)


def app_id() -> str:
    sys.path.insert(0, str(REPO))
    from workbench.app import APP_ID

    return APP_ID


def png_path(size: int, name: str) -> Path:
    return HICOLOR / f"{size}x{size}" / "apps" / f"{name}.png"


def render(svg: Path, size: int):
    """``svg`` drawn into a transparent size×size ``QImage`` (ARGB32); needs a QGuiApplication."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render-icons: {svg} is not an SVG file Qt can draw.")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QImage/QPainter need it
    name = app_id()
    scalable = HICOLOR / "scalable" / "apps" / f"{name}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, scalable)
    print(scalable.relative_to(REPO))
    for size in SIZES:
        path = png_path(size, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not render(SVG, size).save(str(path), "PNG"):
            raise SystemExit(f"render-icons: cannot write {path}.")
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
