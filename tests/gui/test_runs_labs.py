"""Runs of a lab: a lab names its data by a short spec ("not") that the data layer writes out in
full ("not:outputs=1"); runs on that data are still runs on the same data."""

from tests.gui.test_runs import _train
from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, window  # noqa: F401


def test_a_labs_first_run_can_be_rewound_after_another_run(qtbot, window):
    w, exp = window, window.experiment
    assert w.labs.open_lab("demofox-2", ask=False)
    qtbot.waitUntil(lambda: not w.data_panel.is_busy() and exp.dataset is not None
                    and exp.dataset.spec.startswith("not"), timeout=10_000)
    assert exp.dataset.spec != "not"
    w.training_panel.set_values({"checkpoint_every": 1})
    _train(qtbot, w, 2)
    w.training_panel.set_values({"lr": 0.25})
    w.reset_weights()
    _train(qtbot, w, 2)
    first = exp.runs.runs[0]
    assert len(exp.runs) == 2 and len({r.settings["data"] for r in exp.runs.runs}) == 1
    last = first.checkpoints[-1]
    assert w.experiment.runs_keeper.rewind(first.id, last.epochs, last.steps) is None
    assert exp.epochs_trained == last.epochs


def test_the_rewind_dialog_says_momentum_starts_afresh(qtbot, window):
    from tests.gui.test_runs import _setup
    from workbench.gui.views.runs_parts import RewindDialog

    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 2)
    plain = RewindDialog(exp.runs.runs[0], w)
    assert not hasattr(plain, "momentum_note")
    w.training_panel.set_values({"optimizer": "momentum", "momentum": 0.5})
    w.reset_weights()
    _train(qtbot, w, 2)
    dialog = RewindDialog(exp.runs.runs[-1], w)
    assert "momentum afresh" in dialog.momentum_note.text()
    for d in (plain, dialog):
        d.deleteLater()


def test_a_redraw_keeps_the_items_of_cells_that_did_not_change(qtbot, window):
    """The table is redrawn while a run goes; unchanged cells keep their items (a name being
    edited keeps its editor), changed ones get new text."""
    from tests.gui.test_runs import _setup

    w, exp = window, window.experiment
    _setup(w)
    _train(qtbot, w, 1)
    w.reset_weights()
    _train(qtbot, w, 1)
    view = w.views["runs"]
    view.refresh()
    t = view.table_widget
    first_name, second_epochs = t.item(0, 1), t.item(1, 3)
    _train(qtbot, w, 1)                               # the second run grows; the first does not
    view.refresh()
    assert t.item(0, 1) is first_name
    assert t.item(1, 3) is not second_epochs and t.item(1, 3).text() == "2"
