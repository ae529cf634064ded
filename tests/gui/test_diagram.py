"""The network diagram: compact wide layers, parameters, clicks and details, empty states, palettes."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from workbench.gui.plots.diagram import HINT, NetworkDiagram, shown_indices


def make_parameters(sizes, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 1, b).astype(np.float32) for b in sizes[1:]]
    grads = [rng.normal(0, 0.01, b) for b in sizes[1:]]
    return weights, biases, grads


@pytest.fixture
def diagram(qtbot):
    widget = NetworkDiagram()
    qtbot.addWidget(widget)
    widget.resize(640, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_wide_layers_show_first_and_last_few():
    shown, gap = shown_indices(784, 16)
    assert gap and list(shown) == [0, 1, 2, 3, 4, 779, 780, 781, 782, 783]
    shown, gap = shown_indices(10, 16)
    assert not gap and list(shown) == list(range(10))


def test_784_100_10_paints_compactly(diagram):
    sizes = [784, 100, 10]
    diagram.set_architecture(sizes, ["relu", "softmax"])
    diagram.set_parameters(*make_parameters(sizes))
    assert not diagram.grab().isNull()
    assert [len(s) for s in diagram._shown] == [10, 10, 10]
    assert sum(len(lines) for lines in diagram._lines) == 200          # never 78,400 edges
    assert diagram._caption(0) == ("input", "784")
    assert diagram._caption(1) == ("hidden 1", "100 · relu")
    assert diagram._caption(2) == ("output", "10 · softmax")


def test_set_parameters_only_restyles(diagram):
    sizes = [784, 30, 10]
    diagram.set_architecture(sizes, ["sigmoid", "sigmoid"])
    lines = diagram._lines
    weights, biases, _ = make_parameters(sizes)
    diagram.set_parameters(weights, biases)
    assert diagram._lines is lines                # geometry kept: updates only re-bucket colours
    level = diagram._edge_level[0].copy()
    weights[0][:] *= -1
    diagram.set_parameters(weights, biases)
    assert diagram._lines is lines
    assert np.array_equal(diagram._edge_level[0], level)
    assert not diagram._edge_sign[0].all() and diagram._edge_sign[0].any()


def test_click_on_a_neuron_emits_and_shows_its_details(diagram, qtbot):
    sizes = [784, 100, 10]
    weights, biases, grads = make_parameters(sizes)
    diagram.set_architecture(sizes, ["relu", "softmax"])
    diagram.set_parameters(weights, biases, grads)
    centre = diagram.neuron_position(1, 98)       # among the last five of hidden 1
    assert centre is not None and diagram.neuron_position(1, 50) is None
    with qtbot.waitSignal(diagram.neuron_clicked) as blocker:
        qtbot.mouseClick(diagram.canvas, Qt.MouseButton.LeftButton, pos=centre.toPoint())
    assert blocker.args == [1, 98]
    assert diagram.selected_neuron() == (1, 98)
    details = diagram.details_text()
    bias = f"{float(biases[0][98]):+.4g}".replace("-", "−")
    grad = f"{float(grads[0][98]):+.4g}".replace("-", "−")
    assert "Hidden 1 neuron 99 of 100 (relu)" in details
    assert f"bias b = {bias}" in details and f"∂C/∂b {grad}" in details
    assert "784 incoming weights" in details
    # live updates refresh the details of the selected neuron
    biases[0][98] = 0.5
    diagram.set_parameters(weights, biases, grads)
    assert "bias b = +0.5" in diagram.details_text()


def test_click_on_input_and_output_neurons(diagram, qtbot):
    sizes = [2, 2, 1]
    diagram.set_architecture(sizes, ["sigmoid", "sigmoid"])
    diagram.set_parameters(*make_parameters(sizes))
    for layer, index in ((0, 1), (2, 0)):
        with qtbot.waitSignal(diagram.neuron_clicked) as blocker:
            qtbot.mouseClick(diagram.canvas, Qt.MouseButton.LeftButton,
                             pos=diagram.neuron_position(layer, index).toPoint())
        assert blocker.args == [layer, index]
    assert diagram.details_text().startswith("Output neuron 1 of 1 (sigmoid)")
    with qtbot.assertNotEmitted(diagram.neuron_clicked):
        qtbot.mouseClick(diagram.canvas, Qt.MouseButton.LeftButton, pos=diagram.canvas.rect().topLeft())


def test_empty_states(diagram, qtbot):
    assert diagram.details_text() == ""
    assert not diagram.grab().isNull()                    # "appears here once the network has layers"
    diagram.set_architecture([None, 30, None], ["sigmoid", "sigmoid"])
    assert diagram.details_text() == HINT
    assert diagram._caption(0) == ("input", "size from data")
    assert diagram.neuron_position(0, 0) is not None and diagram.neuron_at(diagram.neuron_position(0, 0)) is None
    diagram.set_architecture([4, 10, 3], ["tanh", "softmax"])
    assert not diagram.grab().isNull()                    # grey edges, "weights not initialised yet"
    diagram.select_neuron(1, 2)
    assert "No weights yet" in diagram.details_text()
    diagram.set_parameters(*make_parameters([4, 10, 3]))
    assert "bias b =" in diagram.details_text()
    diagram.clear_parameters()
    assert "No weights yet" in diagram.details_text()
    with pytest.raises(IndexError):
        diagram.select_neuron(1, 10)


def test_new_architecture_drops_stale_parameters_and_selection(diagram):
    diagram.set_architecture([784, 30, 10])
    diagram.set_parameters(*make_parameters([784, 30, 10])[:2])
    diagram.select_neuron(1, 29)
    diagram.set_architecture([784, 20, 10])
    assert diagram._weights is None and diagram.selected_neuron() is None
    diagram.set_parameters(*make_parameters([2, 3, 1])[:2])          # shapes define the architecture
    assert diagram._sizes == [2, 3, 1] and len(diagram._edge_sign) == 2


def test_non_finite_weights_still_paint(diagram):
    weights, biases, _ = make_parameters([3, 4, 2])
    weights[0][0, 0] = np.nan
    biases[1][:] = np.inf
    diagram.set_architecture([3, 4, 2])
    diagram.set_parameters(weights, biases)
    assert not diagram.grab().isNull()


def test_dark_palette_is_respected(diagram):
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(30, 30, 30))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(230, 230, 230))
    diagram.setPalette(palette)
    diagram.set_architecture([4, 10, 3], ["tanh", "softmax"])
    diagram.set_parameters(*make_parameters([4, 10, 3]))
    background, text, positive, _ = diagram._colours()
    assert background == QColor(30, 30, 30) and text == QColor(230, 230, 230)
    assert positive.lightness() > 100
    image = diagram.canvas.grab().toImage()
    assert image.pixelColor(2, image.height() // 2) == QColor(30, 30, 30)


def test_keyboard_moves_the_selection(diagram, qtbot):
    diagram.set_architecture([784, 100, 10], ["relu", "softmax"])
    diagram.canvas.setFocus()
    with qtbot.waitSignal(diagram.neuron_clicked) as blocker:
        qtbot.keyClick(diagram.canvas, Qt.Key.Key_Down)        # nothing selected yet: the first input
    assert blocker.args == [0, 0]
    qtbot.keyClick(diagram.canvas, Qt.Key.Key_Right)
    assert diagram.selected_neuron() == (1, 0)
    for _ in range(5):
        qtbot.keyClick(diagram.canvas, Qt.Key.Key_Down)         # jumps over the "⋮ 90 more" gap
    assert diagram.selected_neuron() == (1, 95)
    qtbot.keyClick(diagram.canvas, Qt.Key.Key_Right)            # same height in the output layer
    layer, index = diagram.selected_neuron()
    assert layer == 2 and 4 <= index <= 6
    qtbot.keyClick(diagram.canvas, Qt.Key.Key_Right)            # no layer beyond the output
    assert diagram.selected_neuron()[0] == 2
