"""RunHistory: tables of batch and epoch records, thinning, followed weights, JSON, CSV, truncation."""

import copy
import csv
import json
import math

import numpy as np
import pytest

import workbench.core.history as history_module
from workbench.core import BatchRecord, EpochRecord, Hyperparameters, Network, train
from workbench.core.history import MAX_POINTS, HistoryError, RunHistory, layer_names
from workbench.core.names import layer_name, weight_name
from workbench.data import load_dataset

N_TRAIN = 100
BATCH = 10
PER_EPOCH = N_TRAIN // BATCH


def batch(step, n_layers=3, cost=None, norms=None, watched=()):
    """The BatchRecord of global step ``step`` (1-based) of a run with 10 batches per epoch."""
    epoch, b = divmod(step - 1, PER_EPOCH)
    return BatchRecord(
        epoch=epoch + 1, batch=b + 1, batches_in_epoch=PER_EPOCH, step=step, samples_seen=(b + 1) * BATCH,
        n_train=N_TRAIN, cost=1.0 / step if cost is None else cost,
        delta_norms=list(norms) if norms is not None else [10.0 ** -(n_layers - l) / step for l in range(n_layers)],
        bias_gradients=[], weight_norms=[1.0] * n_layers, watched=list(watched))


def epoch_rec(e, n_layers=3, classification=True, validation=True):
    return EpochRecord(
        epoch=e, train_cost=1.0 / (e + 1), train_accuracy=(0.5 + e / 40) if classification else None,
        val_cost=1.1 / (e + 1) if validation else None,
        val_accuracy=(0.45 + e / 40) if classification and validation else None,
        delta_norms=[10.0 ** -(n_layers - l) / (e + 1) for l in range(n_layers)],
        weight_norms=[1.0 + e] * n_layers, seconds=0.5 if e else 0.0, samples_per_second=200.0 if e else 0.0)


def feed(h, epochs=2, n_layers=3, watched=None, **kw):
    """One record at a time (the per-record path), as the window fed TrainingPlots."""
    h.add_epochs([epoch_rec(0, n_layers, **kw)])
    for e in range(1, epochs + 1):
        for s in range((e - 1) * PER_EPOCH + 1, e * PER_EPOCH + 1):
            h.add_batches([batch(s, n_layers, watched=watched(s) if watched else ())])
        h.add_epochs([epoch_rec(e, n_layers, **kw)])


def same(a, b):
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def tables(h):
    names = ["batch_x", "batch_step", "batch_epoch", "batch_index", "batch_cost", "batch_delta_norms",
             "batch_watched", "epoch_number", "train_cost", "train_accuracy", "val_cost", "val_accuracy",
             "seconds", "samples_per_second", "epoch_delta_norms", "weight_norms"]
    return {name: np.array(getattr(h, name)()) for name in names}


def assert_same_tables(h1, h2):
    t1, t2 = tables(h1), tables(h2)
    for name in t1:
        assert same(t1[name], t2[name]), name


# ---------------------------------------------------------------------- names
def test_names_match_the_window():
    assert layer_names(3) == ["hidden 1", "hidden 2", "output"] and layer_names(1) == ["output"]
    assert [layer_name(l, 4) for l in range(4)] == ["Input", "Hidden 1", "Hidden 2", "Output"]
    assert weight_name(0, 1, 2, 3) == "input #2 → hidden 1 #3"
    assert weight_name(2, 0, 0, 3) == "hidden 2 #1 → output #1"
    assert weight_name(0, 405, 2, 1) == "input #406 → output #3"


# ---------------------------------------------------------------------- appending
def test_batch_positions_and_counts():
    h = RunHistory(3, True)
    feed(h, epochs=2)
    assert h.batch_count == h.batch_points == 20 and h.epoch_count == 3 and h.batch_stride == 1
    x = h.batch_x()
    assert x[0] == 0.0 and x[2] == pytest.approx(0.2) and x[10] == 1.0 and x[-1] == pytest.approx(1.9)
    assert list(h.batch_step()) == list(range(1, 21))
    assert list(h.batch_index()[:12]) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2]
    assert h.batch_delta_norms().shape == (3, 20) and h.epoch_delta_norms().shape == (3, 3)
    assert h.batch_delta_norms()[2, 4] == pytest.approx(0.1 / 5)
    assert list(h.weight_norms()[0]) == [1.0, 2.0, 3.0]
    assert list(h.epoch_number()) == [0, 1, 2] and h.train_accuracy()[1] == pytest.approx(0.525)
    assert h.last_x == 2.0 and h.steps == 20 and h.epochs == 2


def test_uneven_last_batch_and_first_batch_after_a_gap():
    h = RunHistory(1, True)
    recs = [BatchRecord(1, b + 1, 3, b + 1, min(10 * (b + 1), 25), 25, 1.0, [1.0], [], [1.0]) for b in range(3)]
    h.add_batches(recs)
    assert list(h.batch_x()) == pytest.approx([0.0, 0.4, 0.8]) and h.last_x == 1.0


def test_columns_are_read_only():
    h = RunHistory(3, True)
    feed(h, epochs=1)
    for a in (h.batch_cost(), h.batch_delta_norms(), h.train_cost(), h.log10_batch_delta_norms()):
        with pytest.raises(ValueError):
            a[0] = 5.0
    assert h.batch_cost()[0] == 1.0


def test_vectorised_and_per_record_paths_give_identical_tables():
    watch = [(0, 1, 2), (2, 0, 0)]
    recs = [batch(s, cost=math.nan if s == 7 else None, watched=[0.01 * s, -0.02 * s]) for s in range(1, 41)]
    epochs = [epoch_rec(e, validation=e % 2 == 0) for e in range(0, 12)]
    one, bulk = RunHistory(3, True, watch), RunHistory(3, True, watch)
    for r in recs:
        one.add_batches([r])
    for e in epochs:
        one.add_epochs([e])
    bulk.add_batches(recs[:25])           # >= 8 records: written column by column
    bulk.add_batches(recs[25:])
    bulk.add_epochs(epochs)
    assert_same_tables(one, bulk)
    assert one.to_json() == bulk.to_json()
    assert one.last_x == bulk.last_x == 11.0 and one.steps == bulk.steps == 40
    assert bulk.batch_watched().shape == (2, 40) and bulk.batch_watched()[1, 39] == pytest.approx(-0.8)
    assert math.isnan(bulk.batch_cost()[6]) and math.isnan(bulk.val_cost()[1])


def test_offsets_shift_epochs_and_steps_without_changing_the_records():
    for chunk in (3, 8, 20):              # the per-record and the vectorised path (8: across calls)
        h = RunHistory(3, True)
        recs = [batch(s) for s in range(1, 21)]
        before = copy.deepcopy(recs)
        for i in range(0, 20, chunk):
            h.add_batches(recs[i:i + chunk], epoch_offset=5, step_offset=50)
        ep = [epoch_rec(e) for e in range(1, 10)]
        h.add_epochs(ep[:2], epoch_offset=5)
        h.add_epochs(ep[2:], epoch_offset=5)
        assert recs == before and [r.epoch for r in ep] == list(range(1, 10))
        assert list(h.batch_step()) == list(range(51, 71))
        assert list(h.batch_epoch()) == [6] * 10 + [7] * 10
        assert list(h.batch_x()) == pytest.approx(5 + np.arange(20) / 10)
        assert list(h.epoch_number()) == list(range(6, 15))
        assert h.steps == 70 and h.epochs == 14 and h.last_x == 14.0


def test_thinning_keeps_at_most_max_points_and_aligned_watched_rows(monkeypatch):
    monkeypatch.setattr(history_module, "MAX_POINTS", 64)
    watch = [(0, 0, 0), (1, 2, 3)]
    recs = [batch(s, watched=[0.5 * s, -s]) for s in range(1, 1001)]
    singles, chunks = RunHistory(3, True, watch), RunHistory(3, True, watch)
    for r in recs:
        singles.add_batches([r])
    for i in range(0, 1000, 37):
        chunks.add_batches(recs[i:i + 37])
    for h in (singles, chunks):
        assert h.batch_count == 1000 and 0 < h.batch_points <= 64
        stride = h.batch_stride
        assert stride > 1 and stride & (stride - 1) == 0
        steps = h.batch_step()
        assert np.all(steps % stride == 0) and np.all(np.diff(steps) > 0)
        w = h.batch_watched()
        assert w.shape[1] == h.batch_points
        assert np.array_equal(w[0], 0.5 * steps) and np.array_equal(w[1], -steps)
        assert np.array_equal(h.batch_cost(), 1.0 / steps)
    assert_same_tables(singles, chunks)
    epochs = RunHistory(3, True)
    epochs.add_epochs([epoch_rec(e) for e in range(0, 300)])
    for e in range(300, 400):
        epochs.add_epochs([epoch_rec(e)])
    numbers = epochs.epoch_number()
    assert epochs.epoch_count == 400 and len(numbers) <= 64 and numbers[0] == 0
    assert np.all(numbers % (numbers[1] - numbers[0]) == 0) and epochs.epochs == 399


def test_log10_cache_follows_appends_and_thinning(monkeypatch):
    monkeypatch.setattr(history_module, "MAX_POINTS", 40)
    h = RunHistory(2, True)
    h.add_batches([batch(1, 2, norms=[1e-3, 0.0]), batch(2, 2, norms=[-1.0, 100.0])])
    logs = h.log10_batch_delta_norms()
    assert logs.shape == (2, 2) and logs[0, 0] == pytest.approx(-3) and logs[1, 1] == pytest.approx(2)
    assert math.isnan(logs[1, 0]) and math.isnan(logs[0, 1])
    for s in range(3, 200):               # thins several times: the 2 cached rows must not go stale
        h.add_batches([batch(s, 2)])
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(h.batch_delta_norms() > 0, np.log10(h.batch_delta_norms()), np.nan)
    assert same(h.log10_batch_delta_norms(), expected)
    h.add_epochs([epoch_rec(e, 2) for e in range(10)])
    assert same(h.log10_epoch_delta_norms(), np.log10(h.epoch_delta_norms()))


def test_records_of_another_depth_start_over():
    h = RunHistory(3, True, [(0, 0, 0)])
    feed(h, epochs=1)
    generation = h.generation
    h.add_batches([batch(11, n_layers=2)])
    assert h.n_layers == 2 and h.batch_points == 1 and h.epoch_count == 0 and h.generation > generation
    assert h.batch_delta_norms().shape == (2, 1) and h.watch == []
    mixed = [batch(s, n_layers=3 if s < 5 else 2) for s in range(1, 13)]   # vectorised call, mixed depths
    h.add_batches(mixed)
    assert h.n_layers == 2 and list(h.batch_step()) == list(range(5, 13))
    h.add_epochs([epoch_rec(e, 4) for e in range(9)])
    assert h.n_layers == 4 and h.epoch_count == 9 and h.batch_points == 0
    odd = EpochRecord(9, 0.5, None, None, None, [0.1] * 4, [1.0, 2.0], 0.1, 10.0)   # weight norms too short
    h.add_epochs([odd])
    assert h.epoch_count == 10 and np.all(np.isnan(h.weight_norms()[:, -1]))


# ---------------------------------------------------------------------- followed weights
def test_set_watch_mid_run_keeps_old_weights_and_gaps_new_ones():
    h = RunHistory(3, True, watch=[(0, 1, 2)])
    assert h.watch_labels == ["input #2 → hidden 1 #3"]
    for s in range(1, 4):
        h.add_batches([batch(s, watched=[0.1 * s])])
    h.set_watch([(0, 1, 2), (1, 0, 4)])
    assert h.watch == [(0, 1, 2), (1, 0, 4)]
    assert h.watch_labels == ["input #2 → hidden 1 #3", "hidden 1 #1 → hidden 2 #5"]
    for s in range(4, 6):
        h.add_batches([batch(s, watched=[0.1 * s, -1.0 * s])])
    first, second = h.to_json()["batches"]["watched"]
    assert first == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert second == [None, None, None, -4.0, -5.0]
    # Records still carrying the old list are left out, not misplaced.
    h.set_watch([(1, 0, 4)])
    h.add_batches([batch(6, watched=[0.6, -6.0]), batch(7, watched=[-7.0])])
    assert h.to_json()["batches"]["watched"] == [[None, None, None, -4.0, -5.0, None, -7.0]]
    h.set_watch([])
    h.add_batches([batch(8, watched=[-8.0])])
    assert h.watch_labels == [] and h.batch_watched().shape == (0, 0) and h.to_json()["batches"]["watched"] == []


def test_watched_values_without_a_declared_watch_are_named_by_position():
    h = RunHistory(3, True)
    h.add_batches([batch(1), batch(2, watched=[0.5, 0.25])])
    assert h.watch == [] and h.watch_labels == ["watched weight 1", "watched weight 2"]
    assert same(h.batch_watched(), np.array([[np.nan, 0.5], [np.nan, 0.25]]))
    declared = RunHistory(3, True, watch=())
    declared.add_batches([batch(1, watched=[0.5])])
    assert declared.watch_labels == [] and declared.batch_watched().shape == (0, 0)


# ---------------------------------------------------------------------- serial and generation
def test_serial_grows_on_every_change_and_generation_only_on_a_fresh_start():
    h = RunHistory(3, True)
    seen = [(h.serial, h.generation)]

    def step(change_generation, action):
        serial, generation = h.serial, h.generation
        action()
        assert h.serial > serial
        assert (h.generation > generation) if change_generation else (h.generation == generation)

    step(False, lambda: h.add_batches([batch(1)]))
    step(False, lambda: h.add_batches([batch(s) for s in range(2, 12)]))
    step(False, lambda: h.add_epochs([epoch_rec(0)]))
    step(False, lambda: h.add_epochs([epoch_rec(e) for e in range(1, 10)]))
    step(False, lambda: h.add_marker("η 0.5 → 0.1"))
    step(False, lambda: h.set_watch([(0, 0, 0)]))
    step(True, lambda: h.truncate(5))
    step(True, lambda: h.load_json(h.to_json()))
    step(True, lambda: h.reset(2, False))
    assert h.serial > seen[0][0]


# ---------------------------------------------------------------------- markers and truncation
def test_markers():
    h = RunHistory(3, True)
    assert h.add_marker("start") == 0.0
    feed(h, epochs=1)
    h.add_batches([batch(11), batch(12)])
    assert h.add_marker("λ 0 → 5") == pytest.approx(1.2)
    assert h.add_marker("here", x=0.5) == 0.5
    assert h.markers == [(0.0, "start"), (pytest.approx(1.2), "λ 0 → 5"), (0.5, "here")]
    h.markers.clear()                      # a copy
    assert len(h.markers) == 3
    with pytest.raises(ValueError):
        h.add_marker("nowhere", x=math.nan)


def test_truncate_keeps_what_happened_up_to_a_step():
    h = RunHistory(3, True, watch=[(0, 0, 0)])
    feed(h, epochs=3, watched=lambda s: [float(s)])
    for x in (0.5, 1.5, 1.6, 2.5):
        h.add_marker(f"at {x}", x=x)
    h.truncate(15)
    assert list(h.batch_step()) == list(range(1, 16)) and h.batch_count == 15
    assert list(h.batch_watched()[0]) == [float(s) for s in range(1, 16)]
    assert list(h.epoch_number()) == [0, 1] and h.epoch_count == 2       # epoch 2 ends at step 20
    assert h.last_x == pytest.approx(1.5) and h.steps == 15 and h.epochs == 1
    assert [t for _, t in h.markers] == ["at 0.5", "at 1.5"]
    h.add_batches([batch(s, watched=[float(s)]) for s in range(16, 21)])   # training goes on from there
    assert list(h.batch_step()) == list(range(1, 21)) and h.batch_x()[15] == pytest.approx(1.5)
    assert h.batch_watched().shape == (1, 20)

    whole = RunHistory(3, True)
    feed(whole, epochs=3)
    whole.truncate(20)                     # the end of epoch 2: its summary stays
    assert list(whole.epoch_number()) == [0, 1, 2] and whole.last_x == 2.0 and whole.batch_points == 20
    unchanged = whole.to_json()
    whole.truncate(1000)
    assert whole.to_json() == unchanged
    whole.truncate(0)
    assert whole.batch_points == 0 and list(whole.epoch_number()) == [0] and whole.last_x == 0.0
    assert whole.steps == 0 and whole.epochs == 0 and whole.batch_count == 0


def test_truncate_a_thinned_history(monkeypatch):
    monkeypatch.setattr(history_module, "MAX_POINTS", 32)
    h = RunHistory(3, True)
    feed(h, epochs=10)
    stride = h.batch_stride
    assert stride > 1
    h.truncate(55)
    assert np.all(h.batch_step() <= 55) and h.batch_step()[-1] > 55 - stride
    assert list(h.epoch_number()) == [0, 1, 2, 3, 4, 5] and h.last_x == pytest.approx(5.5)


# ---------------------------------------------------------------------- JSON
def populated():
    h = RunHistory(3, True, watch=[(0, 1, 2), (2, 0, 0)])
    feed(h, epochs=2, watched=lambda s: [0.01 * s, -0.02 * s])
    h.add_batches([batch(21, cost=float("nan"), watched=[0.2, float("inf")])])
    h.add_marker("η 0.5 → 0.1")
    return h


def test_json_round_trip():
    h = populated()
    raw = h.to_json("epoch")
    d = json.loads(json.dumps(raw, allow_nan=False))     # strictly JSON
    assert d == raw
    assert d["format"] == "workbench-plots" and d["version"] == 1 and d["resolution"] == "epoch"
    assert "resolution" not in h.to_json()
    assert d["batches"]["cost"][-1] is None and d["batches"]["watched"][1][-1] is None
    assert d["epochs"]["val_cost"][0] == pytest.approx(1.1)
    assert d["markers"] == [{"x": pytest.approx(2.1), "text": "η 0.5 → 0.1"}]
    other = RunHistory.from_json(d)
    assert other.to_json("epoch") == d
    assert other.n_layers == 3 and other.classification and other.watch == h.watch
    assert other.watch_labels == ["input #2 → hidden 1 #3", "hidden 2 #1 → output #1"]
    assert other.batch_count == 21 and other.epoch_count == 3 and other.steps == 21 and other.epochs == 2
    assert other.markers == h.markers and other.last_x == h.last_x
    assert math.isinf(h.batch_watched()[1, -1]) and math.isnan(other.batch_watched()[1, -1])   # inf → null
    mine, theirs = tables(h), tables(other)
    mine["batch_watched"][1, -1] = math.nan
    for name in mine:
        assert same(mine[name], theirs[name]), name
    other.add_batches([batch(22, watched=[1.0, 2.0])])    # and it goes on where it stopped
    assert other.batch_x()[-1] == pytest.approx(2.1) and other.batch_watched()[:, -1].tolist() == [1.0, 2.0]


def test_regression_history_round_trip():
    h = RunHistory(1, False)
    h.add_epochs([epoch_rec(e, 1, classification=False, validation=False) for e in range(3)])
    d = json.loads(json.dumps(h.to_json(), allow_nan=False))
    assert d["epochs"]["train_accuracy"] == [None] * 3 and d["classification"] is False
    assert RunHistory.from_json(d).to_json() == d


def legacy_history():
    """What TrainingPlots.history() wrote into session files (live.py), written out by hand."""
    return {
        "format": "workbench-plots", "version": 1, "n_layers": 2, "classification": True,
        "resolution": "batch",
        "watch_labels": ["input #1 → hidden 1 #2"], "watch": [[0, 0, 1]],
        "batches": {"x": [0.0, 0.5, 1.0], "step": [1, 2, 3], "epoch": [1, 1, 2], "batch": [1, 2, 1],
                    "cost": [0.7, None, 0.5], "delta_norms": [[0.1, 0.2, 0.3], [1.0, 2.0, None]],
                    "watched": [[0.01, None, 0.03]]},
        "epochs": {"epoch": [0, 1], "train_cost": [0.8, 0.6], "train_accuracy": [0.5, 0.75],
                   "val_cost": [None, None], "val_accuracy": [None, None], "seconds": [0.0, 0.25],
                   "samples_per_second": [0.0, 16.0], "delta_norms": [[0.1, 0.2], [0.3, 0.4]],
                   "weight_norms": [[1.0, 1.5], [2.0, 2.5]]},
        "markers": [{"x": 1.0, "text": "lr 0.5 → 0.1"}],
        "last_x": 1.5,
    }


def test_a_history_written_by_training_plots_loads():
    d = legacy_history()
    h = RunHistory.from_json(d)
    assert h.n_layers == 2 and h.watch == [(0, 0, 1)] and h.watch_labels == ["input #1 → hidden 1 #2"]
    assert list(h.batch_x()) == [0.0, 0.5, 1.0] and math.isnan(h.batch_cost()[1])
    assert same(h.batch_delta_norms(), np.array([[0.1, 0.2, 0.3], [1.0, 2.0, np.nan]]))
    assert same(h.batch_watched(), np.array([[0.01, np.nan, 0.03]]))
    assert list(h.weight_norms()[1]) == [2.0, 2.5] and math.isnan(h.val_cost()[0])
    assert h.markers == [(1.0, "lr 0.5 → 0.1")] and h.last_x == 1.5 and h.steps == 3 and h.epochs == 1
    assert h.to_json("batch") == d
    # Positional watch labels (no watch list) and an old file without version or last_x.
    d = legacy_history()
    d["watch"], d["watch_labels"] = [], ["watched weight 1"]
    del d["version"], d["last_x"]
    h = RunHistory.from_json(d)
    assert h.watch == [] and h.watch_labels == ["watched weight 1"] and h.last_x == 1.0
    h.add_batches([batch(4, 2, watched=[0.04])])          # positional labels keep collecting values
    assert h.batch_watched()[0, -1] == 0.04


def damaged(path, value):
    d = legacy_history()
    *parents, key = path
    target = d
    for p in parents:
        target = target[p]
    if value is KeyError:
        del target[key]
    else:
        target[key] = value
    return d


DAMAGE = [
    ("not a dict", ["a", "list"], "not a Workbench plot history"),
    ("other format", damaged(["format"], "workbench-session"), "not a Workbench plot history"),
    ("newer version", damaged(["version"], 2), "version 2"),
    ("version as text", damaged(["version"], "1"), "version"),
    ("n_layers as text", damaged(["n_layers"], "2"), "n_layers"),
    ("no layers", damaged(["n_layers"], 0), "n_layers"),
    ("classification as text", damaged(["classification"], "yes"), "classification"),
    ("no batches", damaged(["batches"], KeyError), "batches"),
    ("batches not an object", damaged(["batches"], [1, 2]), "batches"),
    ("missing column", damaged(["batches", "cost"], KeyError), "cost"),
    ("step not whole", damaged(["batches", "step"], [1, 2.5, 3]), "whole number"),
    ("step missing value", damaged(["batches", "step"], [1, None, 3]), "whole number"),
    ("text in a column", damaged(["batches", "x"], [0.0, "0.5", 1.0]), "not a number"),
    ("bool in a column", damaged(["epochs", "seconds"], [True, 0.25]), "not a number"),
    ("column not a list", damaged(["epochs", "train_cost"], 0.8), "train_cost"),
    ("short column", damaged(["batches", "cost"], [0.7, 0.5]), "different lengths"),
    ("short epoch column", damaged(["epochs", "val_cost"], [None]), "different lengths"),
    ("layer count", damaged(["batches", "delta_norms"], [[0.1, 0.2, 0.3]]), "wrong number of layers"),
    ("weight norm layers", damaged(["epochs", "weight_norms"], [[1.0, 1.5]] * 3), "wrong number of layers"),
    ("watch vs labels", damaged(["watch"], [[0, 0, 1], [1, 0, 0]]), "followed weights"),
    ("watched vs labels", damaged(["batches", "watched"], [[0.1, 0.2, 0.3]] * 2), "followed weights"),
    ("watched too long", damaged(["batches", "watched"], [[0.1, 0.2, 0.3, 0.4]]), "more followed-weight"),
    ("bad watch entry", damaged(["watch"], [[0, 0]]), "followed weight"),
    ("watch beyond the net", damaged(["watch"], [[5, 0, 0]]), "followed weight"),
    ("label not text", damaged(["watch_labels"], [3]), "watch_labels"),
    ("bad marker", damaged(["markers"], [{"x": "1", "text": "a"}]), "marker"),
    ("markers not a list", damaged(["markers"], {"x": 1.0}), "markers"),
    ("last_x as text", damaged(["last_x"], "1.5"), "last_x"),
]


@pytest.mark.parametrize("d, phrase", [(d, p) for _, d, p in DAMAGE], ids=[name for name, _, _ in DAMAGE])
def test_damaged_histories_raise_one_clear_error(d, phrase):
    with pytest.raises(HistoryError, match=phrase) as caught:
        RunHistory.from_json(d)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_a_failed_load_changes_nothing():
    h = populated()
    before, serial = h.to_json(), h.serial
    with pytest.raises(HistoryError):
        h.load_json(damaged(["batches", "cost"], [0.7]))
    assert h.to_json() == before and h.serial == serial


# ---------------------------------------------------------------------- CSV
def test_csv_header_and_rows(tmp_path):
    h = RunHistory(3, True, watch=[(0, 1, 2)])
    feed(h, epochs=2, watched=lambda s: [0.5 * s])
    h.add_marker("λ 0 → 5")
    assert h.csv_header() == [
        "record", "position", "epoch", "batch", "step", "batch_cost", "train_cost", "train_accuracy",
        "val_cost", "val_accuracy", "delta_norm_hidden_1", "delta_norm_hidden_2", "delta_norm_output",
        "weight_norm_hidden_1", "weight_norm_hidden_2", "weight_norm_output", "seconds", "samples_per_second",
        "dC_dw_1", "note"]
    out = tmp_path / "history.csv"
    h.write_csv(out)
    assert [p.name for p in tmp_path.iterdir()] == ["history.csv"]          # no temporary file left
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    kinds = [r["record"] for r in rows]
    assert kinds.count("batch") == 20 and kinds.count("epoch") == 3 and kinds.count("marker") == 1
    assert rows[0]["record"] == "epoch" and rows[0]["epoch"] == "0" and rows[0]["position"] == "0.0"
    assert rows[1]["record"] == "batch" and rows[1]["step"] == "1"          # epoch 0 before batch 1 at x=0
    assert float(rows[0]["train_cost"]) == 1.0 and float(rows[0]["delta_norm_output"]) == pytest.approx(0.1)
    assert rows[0]["batch_cost"] == "" and rows[0]["note"] == "" and rows[0]["dC_dw_1"] == ""
    b = rows[3]
    assert b["record"] == "batch" and b["batch"] == "3" and b["epoch"] == "1" and float(b["position"]) == 0.2
    assert b["train_accuracy"] == "" and float(b["batch_cost"]) == pytest.approx(1 / 3)
    assert float(b["dC_dw_1"]) == 1.5 and float(b["delta_norm_hidden_1"]) == pytest.approx(1e-3 / 3)
    last = rows[-1]
    assert last["record"] == "marker" and last["note"] == "λ 0 → 5" and float(last["position"]) == 2.0
    assert rows[-2]["record"] == "epoch" and rows[-2]["epoch"] == "2"     # epoch before the marker at x=2
    assert float(rows[-2]["weight_norm_output"]) == 3.0 and float(rows[-2]["samples_per_second"]) == 200.0
    positions = [float(r["position"]) for r in rows]
    assert positions == sorted(positions)


def test_csv_of_non_finite_values(tmp_path):
    h = RunHistory(3, True)
    h.add_batches([batch(1, cost=math.inf, norms=[math.nan, 1.0, 2.0])])
    h.write_csv(tmp_path / "h.csv")
    with open(tmp_path / "h.csv", newline="", encoding="utf-8") as f:
        row = list(csv.DictReader(f))[0]
    assert row["batch_cost"] == "" and row["delta_norm_hidden_1"] == "" and row["delta_norm_output"] == "2.0"
    assert "dC_dw_1" not in row


# ---------------------------------------------------------------------- a real run
def test_a_real_training_run():
    ds = load_dataset("xor")
    net = Network.create([2, 3, 1], ["sigmoid", "sigmoid"], rng=np.random.default_rng(1))
    hp = Hyperparameters(lr=0.5, batch_size=2, epochs=6)
    records = list(train(net, ds.train.X, ds.train.Y, hp, np.random.default_rng(2), watch=[(0, 1, 2)]))
    assert records[0].epoch == 0
    bulk, one = RunHistory(2, True, [(0, 1, 2)]), RunHistory(2, True, [(0, 1, 2)])
    bulk.add_batches([r for r in records if isinstance(r, BatchRecord)])
    bulk.add_epochs([r for r in records if isinstance(r, EpochRecord)])
    for r in records:
        (one.add_batches if isinstance(r, BatchRecord) else one.add_epochs)([r])
    assert bulk.batch_count == one.batch_count == 12 and bulk.epoch_count == 7 and bulk.steps == 12
    assert list(bulk.batch_x()) == pytest.approx([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5])
    assert_same_tables(bulk, one)
    d = json.loads(json.dumps(bulk.to_json(), allow_nan=False))
    assert RunHistory.from_json(d).to_json() == d


def test_max_points_default():
    assert MAX_POINTS == 20_000
