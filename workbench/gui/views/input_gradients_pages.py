"""The three pages of the Input gradients view: their controls and pictures, laid out.  The view
connects their signals and fills them; these classes hold no state of their own."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QSpinBox, QVBoxLayout, QWidget)

from workbench.gui.views.flow import FlowLayout
from workbench.gui.views.input_gradients_parts import DEFAULTS, EPS_MAX, EPS_STEP, LIMITS, PictureBox
from workbench.gui.views.predictions_parts import ScoreBars


def _column(page: QWidget, *parts) -> None:
    """Lay ``parts`` (layouts or widgets; the last one stretches) out top to bottom on ``page``."""
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 0, 0, 0)
    for k, part in enumerate(parts):
        stretch = 1 if k == len(parts) - 1 else 0
        if isinstance(part, QWidget):
            column.addWidget(part, stretch)
        else:
            column.addLayout(part, stretch)


class DreamPage(QWidget):
    """Class, start, step size, L2 and steps; Start, Stop and New start; the image and its bars."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.class_combo = QComboBox(toolTip="The class whose image is dreamt")
        self.start_combo = QComboBox(toolTip="What the dream starts from: random pixels (a new draw at each "
                                             "New start) or the training images' mean")
        self.start_combo.addItem("noise", "noise")
        self.start_combo.addItem("mean image", "mean")
        self.lr_spin = QDoubleSpinBox(decimals=4, singleStep=0.05, toolTip="Step size of the gradient ascent")
        self.l2_spin = QDoubleSpinBox(decimals=4, singleStep=0.005, toolTip="L2 weight: the ascent climbs "
                                      "J(x) − ½·L2·‖x‖², which keeps pixels dark")
        self.steps_spin = QSpinBox(singleStep=100, toolTip="Steps each Start runs")
        for spin, key in ((self.lr_spin, "lr"), (self.l2_spin, "l2"), (self.steps_spin, "steps")):
            spin.setRange(*LIMITS[key])
            spin.setValue(DEFAULTS[key])
        self.start_button = QPushButton("Start", toolTip="Climb towards the class, live")
        self.stop_button = QPushButton("Stop", toolTip="Stop dreaming (Start goes on from this image)")
        self.reset_button = QPushButton("New start", toolTip="Back to a start image (noise: a new one)")
        row = FlowLayout()
        for text, widget in (("Class", self.class_combo), ("Start from", self.start_combo), ("Step", self.lr_spin),
                             ("L2", self.l2_spin), ("Steps", self.steps_spin)):
            label = QLabel(text)
            label.setBuddy(widget)
            row.addWidget(label)
            row.addWidget(widget)
        for button in (self.start_button, self.stop_button, self.reset_button):
            row.addWidget(button)
        self.status = QLabel(wordWrap=True)
        self.box, self.bars = PictureBox("Dreamt image"), ScoreBars()
        body = QHBoxLayout()
        body.addWidget(self.box, 3)
        body.addWidget(self.bars, 2, Qt.AlignmentFlag.AlignTop)
        _column(self, row, self.status, body)


class AdversarialPage(QWidget):
    """The ε slider and Find smallest ε; the original, the nudge and the result with their bars."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.eps_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=round(EPS_MAX / EPS_STEP))
        self.eps_slider.setSingleStep(10)
        self.eps_slider.setPageStep(100)
        self.eps_slider.setMinimumWidth(200)
        self.eps_slider.setToolTip("ε: how far every pixel moves, up or down as the sign of ∂C/∂x says")
        self.eps_slider.setValue(round(DEFAULTS["eps"] / EPS_STEP))
        self.eps_label = QLabel(f"{DEFAULTS['eps']:.4f}")
        self.flip_button = QPushButton("Find smallest ε", toolTip=f"The smallest ε up to {EPS_MAX:g} that changes "
                                                                  f"the predicted label (to {EPS_STEP:g})")
        row = QHBoxLayout()
        eps = QLabel("&ε")
        eps.setBuddy(self.eps_slider)
        for widget in (eps, self.eps_slider, self.eps_label, self.flip_button):
            row.addWidget(widget, 1 if widget is self.eps_slider else 0)
        self.status = QLabel(wordWrap=True)
        self.original_box, self.nudge_box, self.result_box = (PictureBox(t) for t in ("Original", "Nudge", "Result"))
        self.nudge_box.tip = ("The change of every pixel: ε·sign(∂C/∂x), less where the data's range clips it "
                              "(paler colours)")
        self.original_bars, self.result_bars = ScoreBars(), ScoreBars()
        grid = QGridLayout()
        for col, box in enumerate((self.original_box, self.nudge_box, self.result_box)):
            grid.addWidget(box, 0, col)
            grid.setColumnStretch(col, 1)
        grid.addWidget(self.original_bars, 1, 0)
        grid.addWidget(self.result_bars, 1, 2)
        grid.setRowStretch(0, 1)
        _column(self, row, self.status, grid)


class SaliencyPage(QWidget):
    """The item, its |∂C/∂x| and its class bars side by side."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.item_box, self.saliency_box, self.bars = PictureBox("Item"), PictureBox("|∂C/∂x|"), ScoreBars()
        self.status = QLabel(wordWrap=True)
        row = QHBoxLayout()
        row.addWidget(self.item_box, 2)
        row.addWidget(self.saliency_box, 2)
        row.addWidget(self.bars, 2, Qt.AlignmentFlag.AlignTop)
        _column(self, self.status, row)
