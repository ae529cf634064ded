"""TrainingPanel: the per-layer learning-rate grid follows the number of layers cleanly."""

import pytest
from PySide6.QtWidgets import QLabel

from workbench.gui.panels.training_panel import FloatSpinBox, TrainingPanel


@pytest.fixture
def panel(qtbot):
    widget = TrainingPanel()
    qtbot.addWidget(widget)
    widget.resize(360, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def grid_widgets(panel):
    grid = panel._layer_grid
    return [grid.itemAt(i).widget() for i in range(grid.count())]


def visible(panel, kind):
    return [w for w in panel.layer_box.findChildren(kind) if w.isVisible()]


def test_layer_grid_holds_only_the_current_layers(panel, qtbot):
    for n_layers in (4, 2, 3):
        panel.set_layer_count(n_layers)
        # At once, before any deferred deletion has run (at launch the window is shown before the
        # event loop starts): the old pairs must already be gone, not drawn under the new ones.
        children = panel.layer_box.findChildren(QLabel) + panel.layer_box.findChildren(FloatSpinBox)
        assert set(children) == set(grid_widgets(panel))
        assert not [w for w in children if w.isVisible() and w not in grid_widgets(panel)]
        # new widgets in a shown layout appear once the event loop has run
        qtbot.waitUntil(lambda: all(w.isVisible() for w in grid_widgets(panel)), timeout=3000)
        names = [f"hidden {i + 1}" for i in range(n_layers - 1)] + ["output"]
        assert panel.layer_names() == names
        widgets = grid_widgets(panel)
        assert len(widgets) == 2 * n_layers
        labels = [w for w in widgets if isinstance(w, QLabel)]
        spins = [w for w in widgets if isinstance(w, FloatSpinBox)]
        assert [label.text() for label in labels] == names and spins == panel.layer_spins
        # Nothing left over from the previous count: no stale label under a new one, no label or
        # field of a layer that no longer exists, each name shown once.
        shown = [label.text() for label in visible(panel, QLabel)]
        assert sorted(shown) == sorted(names) and len(set(shown)) == len(shown)
        assert set(visible(panel, FloatSpinBox)) == set(panel.layer_spins)
        assert all(label.buddy() is spin for label, spin in zip(labels, spins))
        assert all(w.parent() is panel.layer_box for w in widgets)


def test_multipliers_survive_a_rename_of_the_same_count(panel):
    panel.set_layer_count(3)
    panel.layer_spins[1].setValue(0.5)
    panel.set_layer_names(["first", "second", "last"])
    assert [spin.value() for spin in panel.layer_spins] == [1.0, 0.5, 1.0]
    panel.set_layer_count(2)
    assert [spin.value() for spin in panel.layer_spins] == [1.0, 1.0]
    assert panel.hyperparameters()["layer_lr"] is None
