"""Parts of the Input gradients view: a picture box (an image drawn with crisp pixels between a
title and a caption), the colourings of its images, the view's stored settings, and the helper
thread that finds the smallest flipping ε.  The numbers come from ``core.input_gradients``."""

from __future__ import annotations

import math
import threading

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.core import input_gradients as ig
from workbench.core import layer_maths as lm
from workbench.core.network import parameter_count
from workbench.gui.plots.diagram import NEGATIVE_DARK, NEGATIVE_LIGHT, POSITIVE_DARK, POSITIVE_LIGHT
from workbench.gui.palette import is_dark
from workbench.gui.threads import start_plain_thread
from workbench.gui.views.predictions_parts import blend, ink_image
from workbench.gui.worker import gui_priority_paint

MODES = ("dream", "adversarial", "saliency")
STARTS = ("noise", "mean")
EPS_MAX = 0.5             # the ε slider's end, and how far "Find smallest ε" looks (pixels in [0, 1])
EPS_STEP = 1e-4           # the slider's step, and the resolution of the smallest ε
#: Multiply-adds a smallest-ε search may take on the GUI thread (about 20 ms); more: a helper thread.
FLIP_SYNC_WORK = 2e7
FLIP_COARSE = 50
DEFAULTS = {"mode": "dream", "dream_class": 0, "start": "noise", "lr": 1.0, "l2": 0.01, "steps": 300,
            "item": 0, "eps": 0.05}
LIMITS = {"lr": (1e-4, 100.0), "l2": (0.0, 10.0), "steps": (1, 100_000), "item": (0, 10_000_000),
          "eps": (0.0, EPS_MAX), "dream_class": (0, 1_000_000)}


def valid_settings(values) -> dict:
    """The entries of ``values`` (a stored settings dict, maybe damaged) that can be used: known
    keys with values of the right type and range; everything else is left out."""
    if not isinstance(values, dict):
        return {}
    out = {}
    for key, value in values.items():
        if key == "mode" and value in MODES:
            out[key] = value
        elif key == "start" and value in STARTS:
            out[key] = value
        elif key in ("steps", "item", "dream_class"):
            if isinstance(value, int) and not isinstance(value, bool) and LIMITS[key][0] <= value <= LIMITS[key][1]:
                out[key] = value
        elif key in ("lr", "l2", "eps"):
            if (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                    and LIMITS[key][0] <= value <= LIMITS[key][1]):
                out[key] = float(value)
    return out


def diverging_colours(palette: QPalette) -> np.ndarray:
    """The diverging table of a palette: negative orange, zero the base colour, positive blue (the
    network diagram's colours)."""
    dark = is_dark(palette)
    positive, negative = (POSITIVE_DARK, NEGATIVE_DARK) if dark else (POSITIVE_LIGHT, NEGATIVE_LIGHT)
    base = palette.color(QPalette.ColorRole.Base)
    return lm.diverging_lut(negative.getRgb()[:3], base.getRgb()[:3], positive.getRgb()[:3], (128, 128, 128))


def diverging_image(values: np.ndarray, scale: float, lut: np.ndarray) -> QImage:
    """Values (h, w) on the symmetric scale ±``scale`` as a QImage through ``lut``."""
    rgba = np.ascontiguousarray(lut[lm.colour_indices(values, scale)])
    h, w = values.shape
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def grey_image(values: np.ndarray, palette: QPalette, lo: float = 0.0, hi: float = 1.0) -> QImage:
    """Values (h, w) from ``lo`` (the base colour) to ``hi`` (the text colour) as a QImage."""
    span = hi - lo if hi > lo else 1.0
    return ink_image(np.clip((np.asarray(values, dtype=np.float64) - lo) / span, 0.0, 1.0), palette)


@gui_priority_paint
class PictureBox(QWidget):
    """An image as large as fits (a whole number of screen pixels per image pixel once that is 2 or
    more), a title above it and a caption of one or two lines right below it."""

    def __init__(self, title: str = "", parent=None):
        super().__init__(parent)
        self.title, self.caption, self.image, self.tip = title, "", None, ""
        self.setMinimumSize(120, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_picture(self, image: QImage | None, title: str, caption: str = "") -> None:
        self.image, self.title, self.caption = image, title, caption
        self.setToolTip("\n".join(t for t in (f"{title}: {caption}" if caption else title, self.tip) if t))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(220, 260)

    def image_rect(self) -> QRect:
        """Where the image is drawn: centred under the title."""
        line = QFontMetrics(self.font()).height()
        room_w, room_h = self.width() - 8, self.height() - 3 * line - 12
        if self.image is None or room_w < 4 or room_h < 4:
            return QRect(4, line + 4, max(0, room_w), max(0, room_h))
        w, h = self.image.width(), self.image.height()
        s = min(room_w / w, room_h / h)
        s = math.floor(s) if s >= 2 else s
        dw, dh = max(1, int(s * w)), max(1, int(s * h))
        return QRect((self.width() - dw) // 2, line + 6, dw, dh)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        pal = self.palette()
        painter = QPainter(self)
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        painter.fillRect(self.rect(), base)
        line = QFontMetrics(self.font()).height()
        painter.setPen(text)
        title = QFontMetrics(self.font()).elidedText(self.title, Qt.TextElideMode.ElideRight, self.width() - 4)
        painter.drawText(QRect(2, 2, self.width() - 4, line + 2), Qt.AlignmentFlag.AlignHCenter, title)
        r = self.image_rect()
        if self.image is not None:
            painter.drawImage(r, self.image)
            painter.setPen(QPen(blend(base, text, 0.3), 1))
            painter.drawRect(r.adjusted(-1, -1, 0, 0))
        faint = QColor(text)
        faint.setAlpha(200)
        painter.setPen(faint)
        painter.drawText(QRect(2, r.bottom() + 4, self.width() - 4, 2 * line + 4),
                         Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap, self.caption)


def flip_work(net) -> float:
    """About how many multiply-adds a smallest-ε search on ``net`` takes."""
    return float(parameter_count(net.sizes)) * (FLIP_COARSE + 20)


class FlipSearch:
    """``smallest_flip`` of one item, on a plain helper thread when it would take long
    (``flip_work`` over ``FLIP_SYNC_WORK``) and at once otherwise.  ``key`` names what was asked
    (the view drops an answer whose key is no longer current); ``done()`` once it ended; then
    ``result`` is the ``Flip`` or None, or ``error`` a sentence."""

    def __init__(self, key, net, x, y, standardization, clip=(0.0, 1.0)):
        self.key, self.result, self.error, self.clip = key, None, None, clip
        self._args = (net, x, y, standardization)
        self._thread = None
        if flip_work(net) <= FLIP_SYNC_WORK:
            self._run()
        else:
            self._args = (net.copy(), np.array(x), np.array(y), standardization)   # training may go on
            self._thread = threading.Thread(target=self._run, name="workbench-smallest-flip", daemon=True)
            start_plain_thread(self._thread)

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        net, x, y, standardization = self._args
        try:
            with np.errstate(all="ignore"):
                self.result = ig.smallest_flip(net, x, y, EPS_MAX, coarse=FLIP_COARSE, resolution=EPS_STEP,
                                               clip=self.clip, standardization=standardization)
        except (ValueError, FloatingPointError, MemoryError) as exc:
            self.error = str(exc) or "The search for the smallest ε failed."

    def done(self) -> bool:
        return self._thread is None or not self._thread.is_alive()
