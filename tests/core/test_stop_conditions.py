"""Stop conditions meet their targets exactly (core.training._StopWatch)."""

from workbench.core import Hyperparameters
from workbench.core.training import EpochRecord, _StopWatch


def test_an_accuracy_that_equals_the_target_stops_the_run():
    """570 of 1,000 right is 57 %: 0.57 · 100 is 56.99999999999999 in floating point."""
    rec = EpochRecord(epoch=3, train_cost=0.5, train_accuracy=570 / 1000, val_cost=None, val_accuracy=None,
                      delta_norms=[0.1], weight_norms=[1.0], seconds=0.1, samples_per_second=1.0)
    assert 570 / 1000 * 100 < 57
    stopped = _StopWatch().check(Hyperparameters(stop_accuracy=57), rec)
    assert stopped is not None and "57.0 % reached the target 57 %" in stopped.text
