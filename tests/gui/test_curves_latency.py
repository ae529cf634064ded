"""Pause and Stop within 0.1 s with the Curves view in front and a wide network (100,000 inputs).

Measured (cProfile and a stack sampler on the GUI thread): the Curves view's own frame costs about
10 ms whatever the width (it draws the history, never the parameters), but on every pause and
every stop the hidden Distributions view recorded a sample in the ``run_state_changed`` slot: the
probe through the 100,000 × 30 layer and a sort of its 3 million weights, 40-100 ms on the GUI
thread before "Paused" could show.  These tests count work, not wall time.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads  # noqa: F401
from workbench.core.history import RunHistory
from workbench.core.network import Network
from workbench.core.training import BatchRecord, EpochRecord
from workbench.gui.experiment import Experiment
from workbench.gui.views.curves import CurvesView

WIDE = [20_000, 30, 2]          # wide enough that reading the parameters would show; quick to build
N_TRAIN, BATCH = 100, 10
PER_EPOCH = N_TRAIN // BATCH


def batch(step, n_layers=2):
    epoch, b = divmod(step - 1, PER_EPOCH)
    return BatchRecord(epoch=epoch + 1, batch=b + 1, batches_in_epoch=PER_EPOCH, step=step,
                       samples_seen=(b + 1) * BATCH, n_train=N_TRAIN, cost=1.0 / step,
                       delta_norms=[0.1 / step] * n_layers, bias_gradients=[], weight_norms=[1.0] * n_layers,
                       watched=[])


def epoch_rec(e, n_layers=2):
    return EpochRecord(epoch=e, train_cost=1 / (e + 1), train_accuracy=0.5 + e / 40, val_cost=1.1 / (e + 1),
                       val_accuracy=0.45 + e / 40, delta_norms=[0.01 / (e + 1)] * n_layers,
                       weight_norms=[1.0 + e] * n_layers, seconds=0.5 if e else 0.0,
                       samples_per_second=200.0 if e else 0.0)


def add(exp, batches=(), epochs=()):
    exp.history.add_batches(list(batches))
    exp.history.add_epochs(list(epochs))
    exp.notify_appended()


@pytest.fixture
def wide():
    exp = Experiment()
    exp.set_architecture({"sizes": WIDE, "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"})
    net = Network.create(WIDE, ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(0))
    exp.adopt_network(net, 0, 0, RunHistory(2, True))
    assert exp.net is not None and exp.net.weights[0].size == WIDE[0] * WIDE[1]
    return exp


@pytest.fixture
def curves(qtbot, wide):
    v = CurvesView(wide)
    qtbot.addWidget(v)
    v.resize(640, 720)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    return v


def test_a_curves_frame_never_reads_the_network(curves, wide, monkeypatch):
    """The view draws the history: its frames cost the same for 2 or 100,000 inputs."""
    reads = []
    monkeypatch.setattr(type(wide), "parameters", lambda self, *a, **k: reads.append("parameters"))
    monkeypatch.setattr(type(wide), "snapshot", lambda self, *a, **k: reads.append("snapshot"), raising=False)
    add(wide, epochs=[epoch_rec(0)])
    for step in range(1, 3 * PER_EPOCH + 1):
        add(wide, batches=[batch(step)])
        if step % PER_EPOCH == 0:
            add(wide, epochs=[epoch_rec(step // PER_EPOCH)])
        curves.refresh()
    wide.set_run_state("paused")
    curves.refresh()
    assert reads == []
    assert len(curves.batch_cost.xData) == 3 * PER_EPOCH and len(curves.train_cost.xData) == 4


def test_epoch_curves_get_data_only_when_an_epoch_row_comes(curves, wide, monkeypatch):
    """Per frame a batch-only update gives data to the batch cost and ‖δ‖ curves, not to the four
    epoch curves with their symbols (a millisecond each)."""
    add(wide, epochs=[epoch_rec(0)])
    curves.refresh()
    given = []
    for curve in (curves.train_cost, curves.val_cost, curves.train_acc, curves.val_acc):
        original = curve.setData
        monkeypatch.setattr(curve, "setData", lambda *a, _o=original, **k: (given.append(1), _o(*a, **k)))
    for step in range(1, PER_EPOCH):
        add(wide, batches=[batch(step)])
        curves.refresh()
    assert given == []
    add(wide, batches=[batch(PER_EPOCH)], epochs=[epoch_rec(1)])
    curves.refresh()
    assert len(given) == 4


def test_a_pause_or_stop_records_no_hidden_distributions_sample(qtbot, curves, wide, monkeypatch):
    """The cause of the slow Pause / Stop: with the Curves view in front, the hidden Distributions
    view sampled the wide network inside the run-state slot.  Hidden, it owes the sample and takes
    it when shown (what it shows once opened is the same)."""
    from workbench.core.distributions import DistributionHistory
    from workbench.gui.views.distributions import DistributionsView

    dist = DistributionsView(wide)          # never shown: the Curves view is in front
    qtbot.addWidget(dist)
    recorded = []
    original = DistributionHistory.record
    monkeypatch.setattr(DistributionHistory, "record",
                        lambda self, *a, **k: (recorded.append(k.get("step")), original(self, *a, **k)))
    wide.set_run_state("running")
    wide.net.weights[0][0, 0] += 1.0        # trained in place
    wide.steps_trained = 7
    for state in ("paused", "running", "stopping", "idle"):
        wide.set_run_state(state)
    assert recorded == []                   # nothing on the pause / stop path
    dist.show()
    qtbot.waitExposed(dist)
    dist.refresh()
    assert recorded == [7] and dist.history.steps()[-1] == 7


def test_a_wide_layer_sample_sorts_a_bounded_number_of_values():
    from workbench.core import distributions as D

    rng = np.random.default_rng(0)
    w = rng.standard_normal(WIDE[0] * 150).astype(np.float32)      # 3 million weights
    w[5] = np.nan
    s, bad = D.sorted_finite(w)
    assert bad == 1 and s.size <= 2 * D.MAX_SORTED
    assert s[0] == np.nanmin(w) and s[-1] == np.nanmax(w)           # the extremes stay exact
    exact = np.nanpercentile(w, D.PERCENTILES)
    np.testing.assert_allclose(D.percentiles(s, is_sorted=True), exact, atol=0.02)
