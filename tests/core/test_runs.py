"""Runs, checkpoints, rewind and A/B exactness, and stop conditions (core, no Qt)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.core import Hyperparameters, kernel, train
from workbench.core.history import RunHistory
from workbench.core.runs import (MAX_CHECKPOINTS, MAX_RUNS, Checkpoint, RunList, RunsError, ab_value,
                                 checkpoint_of, copy_history, differing_settings, resume_rng, run_settings)
from workbench.core.runsetup import create_network, shuffle_rng
from workbench.core.training import EpochRecord, Stopped

needs_numba = pytest.mark.skipif(not kernel.available(), reason="numba is not installed")
ENGINES = ["numpy", pytest.param("compiled", marks=needs_numba)]
ARCH = {"sizes": [2, 5, 1], "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"}
SEED = 3


def _data(n=40):
    rng = np.random.default_rng(0)
    X = rng.random((n, 2))
    Y = (X[:, :1] + X[:, 1:] > 1).astype(float)
    return X, Y


def _weights(net):
    return [w.copy() for w in net.weights] + [b.copy() for b in net.biases]


def _train(net, X, Y, hp, rng, engine, evaluate_initial=True, checkpoint_every=None):
    """Run ``train`` to its end; returns {epoch: weights} at each ``checkpoint_every``-th epoch end."""
    seen = {}
    for rec in train(net, X, Y, hp, rng, evaluate_initial=evaluate_initial, chunked=True, engine=engine):
        if isinstance(rec, EpochRecord) and checkpoint_every and rec.epoch % checkpoint_every == 0:
            seen[rec.epoch] = checkpoint_of(net, rec.epoch, 0)
    return seen


@pytest.mark.parametrize("engine", ENGINES)
def test_rewind_continues_bit_for_bit(engine):
    X, Y = _data()
    hp = dict(optimizer="sgd", lr=0.7, batch_size=7, epochs=6)
    net = create_network(ARCH, seed=SEED, dtype="float64")
    checkpoints = _train(net, X, Y, Hyperparameters(**hp), shuffle_rng(SEED, 0), engine, checkpoint_every=2)
    original = _weights(net)
    assert sorted(checkpoints) == [0, 2, 4, 6]
    # Rewind to epoch 2: the checkpoint's weights and the generator as it stood there.
    again = checkpoints[2].network()
    rng = resume_rng((SEED, 0, 2, len(X)), len(X))
    _train(again, X, Y, Hyperparameters(**{**hp, "epochs": 4}), rng, engine, evaluate_initial=False)
    assert all(np.array_equal(a, b) for a, b in zip(_weights(again), original))
    # Without the generator's state (a fresh press's shuffles) it is a different run.
    other = checkpoints[2].network()
    _train(other, X, Y, Hyperparameters(**{**hp, "epochs": 4}), shuffle_rng(SEED, 2 * 6), engine, evaluate_initial=False)
    assert not all(np.array_equal(a, b) for a, b in zip(_weights(other), original))


@pytest.mark.parametrize("engine", ENGINES)
def test_ab_same_setting_is_bit_exact_and_changed_lr_differs(engine):
    X, Y = _data()
    hp = dict(optimizer="momentum", lr=0.5, momentum=0.5, batch_size=5, epochs=3)
    a = create_network(ARCH, seed=SEED)
    initial = checkpoint_of(a, 0, 0)
    _train(a, X, Y, Hyperparameters(**hp), shuffle_rng(SEED, 0), engine)
    value, problem = ab_value("lr", "0.5")
    assert problem is None and value == 0.5
    b = initial.network()
    _train(b, X, Y, Hyperparameters(**{**hp, "lr": value}), shuffle_rng(SEED, 0), engine)
    assert all(np.array_equal(x, y) for x, y in zip(_weights(a), _weights(b)))
    c = initial.network()
    _train(c, X, Y, Hyperparameters(**{**hp, "lr": 0.25}), shuffle_rng(SEED, 0), engine)
    assert not all(np.array_equal(x, y) for x, y in zip(_weights(a), _weights(c)))


def test_ab_values_are_checked():
    assert ab_value("lr", "abc")[1] == "'abc' is not a number."
    assert "training panel's range" in ab_value("lr", "5000")[1]
    assert ab_value("batch_size", "full") == ("full", None)
    assert ab_value("patience", "off") == (None, None)
    assert "cannot change" in ab_value("seed", "4")[1]
    assert "optimiser" in ab_value("optimizer", "adam")[1]


def _run_list(n_runs=2, checkpoints=3):
    runs = RunList()
    net = create_network(ARCH, seed=SEED)
    for k in range(n_runs):
        hp = {"lr": 0.5 + k, "batch_size": 4, "seed": SEED}
        run = runs.new_run(run_settings(ARCH, hp, "xor"), RunHistory(2, True))
        for e in range(checkpoints):
            runs.add_checkpoint(run, checkpoint_of(net, e, 4 * e, (SEED, 0, e, 4)))
    return runs


def test_runs_json_round_trip_and_differences():
    runs = _run_list()
    runs.runs[0].end_reason = "Stopped at epoch 2: the cost 0.1 reached the target 0.2."
    doc = json.loads(json.dumps(runs.to_json(current_history_separate=False)))
    back = RunList.from_json(doc, runs.current)
    assert [r.id for r in back.runs] == [r.id for r in runs.runs] and back.current == runs.current
    for a, b in zip(runs.runs, back.runs):
        assert a.settings == b.settings and a.end_reason == b.end_reason
        assert [(c.epochs, c.steps, c.weights, c.shuffle) for c in a.checkpoints] == \
               [(c.epochs, c.steps, c.weights, c.shuffle) for c in b.checkpoints]
    assert differing_settings(back.runs) == ["lr"]
    # The current run's history may stand for the session's own.
    doc = runs.to_json()
    assert doc[-1]["history"] is None and doc[0]["history"] is not None
    own = RunHistory(2, True)
    assert RunList.from_json(doc, runs.current, own).current_run.history is own


@pytest.mark.parametrize("damage, words", [
    (lambda d: d[0].update(id="1"), "run 1 has the id '1'"),
    (lambda d: d[1].update(id=d[0]["id"]), "id 1 of an earlier run"),
    (lambda d: d[0].update(name=""), "run 1 needs a name"),
    (lambda d: d[0]["settings"]["hyperparameters"].update(lr=-1), "'lr' in run 1"),
    (lambda d: d[0]["settings"]["architecture"].update(sizes=[2, 0, 1]), "run 1 has an invalid architecture"),
    (lambda d: d[0]["checkpoints"][0]["weights"].update(data="!!"), "not valid base64"),
    (lambda d: d[0]["checkpoints"][0]["weights"].update(data="AAAA"), "the stored weights are unusable"),
    (lambda d: d[0]["checkpoints"][1].update(epochs=0, steps=0), "not later than the one before"),
    (lambda d: d[0]["checkpoints"][0].update(shuffle=[1, 2]), "'shuffle' must be"),
    (lambda d: d[0].update(parent=[1]), "'parent' must be"),
    (lambda d: d[0].update(seconds=float("inf")), "'seconds' must be"),
    (lambda d: d[0]["history"].update(n_layers=3), "history"),
    (lambda d: d[0].update(checkpoints=[{}] * (MAX_CHECKPOINTS + 1)), f"at most {MAX_CHECKPOINTS}"),
])
def test_damaged_runs_are_refused_with_one_sentence(damage, words):
    doc = _run_list().to_json(current_history_separate=False)
    damage(doc)
    with pytest.raises(RunsError) as info:
        RunList.from_json(doc, None)
    message = str(info.value)
    assert words in message and "\n" not in message and "Traceback" not in message


def test_bad_current_and_too_many_runs():
    doc = _run_list(1, 1).to_json(current_history_separate=False)
    with pytest.raises(RunsError, match="no run has that id"):
        RunList.from_json(doc, 99)
    with pytest.raises(RunsError, match=f"at most {MAX_RUNS}"):
        RunList.from_json(doc * (MAX_RUNS + 1), None)


def test_checkpoints_are_thinned_keeping_first_and_last():
    runs = _run_list(1, MAX_CHECKPOINTS + 1)
    epochs = [c.epochs for c in runs.runs[0].checkpoints]
    assert len(epochs) <= MAX_CHECKPOINTS and epochs[0] == 0 and epochs[-1] == MAX_CHECKPOINTS
    assert len(set(np.diff(epochs))) == 1          # evenly


def test_memory_bound_thins_old_runs_and_says_so():
    runs = _run_list(2, 10)
    size = len(runs.runs[0].checkpoints[0].weights)
    runs.max_bytes = 12 * size
    net = create_network(ARCH, seed=1)
    runs.add_checkpoint(runs.runs[1], checkpoint_of(net, 20, 80))
    assert runs.total_bytes() <= runs.max_bytes
    assert runs.runs[0].checkpoints[0].epochs == 0 and runs.runs[1].checkpoints[-1].epochs == 20
    assert runs.notes and "thinned" in runs.notes[-1]


def test_too_many_runs_drop_the_oldest():
    runs = _run_list(MAX_RUNS + 1, 1)
    assert len(runs) == MAX_RUNS and runs.runs[0].id == 2 and "dropped" in runs.notes[0]


def test_summary_and_copy_history():
    X, Y = _data()
    net = create_network(ARCH, seed=SEED)
    h = RunHistory(2, True)
    recs = list(train(net, X, Y, Hyperparameters(lr=0.5, batch_size=8, epochs=3), shuffle_rng(SEED), engine="numpy"))
    h.add_epochs([r for r in recs if isinstance(r, EpochRecord)])
    runs = RunList()
    run = runs.new_run(run_settings(ARCH, {}, None), copy_history(h))
    s = run.summary()
    assert s["final_cost"] == pytest.approx(h.train_cost()[-1]) and s["best_cost"] == pytest.approx(min(h.train_cost()))
    assert np.isnan(s["final_val_accuracy"]) and run.epochs == 3
    assert run.history is not h and run.history.to_json() == h.to_json()


def test_resume_rng_refuses_another_data_size():
    assert resume_rng((1, 0, 2, 10), 11) is None and resume_rng(None, 5) is None
    a = resume_rng((1, 0, 2, 10), 10)
    b = shuffle_rng(1, 0)
    b.permutation(10), b.permutation(10)
    assert a.bit_generator.state == b.bit_generator.state
    assert isinstance(Checkpoint(1, 2, b"").shuffle, type(None))


# ---------------------------------------------------------------------- stop conditions
def _run_to_end(hp, validation=None, engine="numpy"):
    X, Y = _data()
    net = create_network(ARCH, seed=SEED)
    return list(train(net, X, Y, hp, shuffle_rng(SEED), validation=validation, chunked=True, engine=engine))


@pytest.mark.parametrize("engine", ENGINES)
def test_stop_at_target_cost(engine):
    full = _run_to_end(Hyperparameters(lr=2.0, batch_size=4, epochs=40), engine=engine)
    costs = [r.train_cost for r in full if isinstance(r, EpochRecord)]
    target = costs[10]
    recs = _run_to_end(Hyperparameters(lr=2.0, batch_size=4, epochs=40, stop_cost=target), engine=engine)
    last = recs[-1]
    first = next(e for e, c in enumerate(costs) if e >= 1 and c <= target)
    assert isinstance(last, Stopped) and last.reason == "cost" and last.epoch == first
    assert last.message(5).startswith(f"Stopped at epoch {first + 5}: the cost ")


def test_stop_at_target_accuracy_names_the_figure():
    X, Y = _data()
    recs = _run_to_end(Hyperparameters(lr=2.0, batch_size=4, epochs=60, stop_accuracy=90), validation=(X[:10], Y[:10]))
    last, summary = recs[-1], recs[-2]
    assert isinstance(last, Stopped) and isinstance(summary, EpochRecord) and summary.val_accuracy >= 0.9
    assert "validation accuracy" in last.text and "reached the target 90 %" in last.text


def test_patience_stops_when_nothing_improves():
    recs = _run_to_end(Hyperparameters(lr=1e-9, batch_size=4, epochs=50, patience=3))
    last = recs[-1]
    assert isinstance(last, Stopped) and last.reason == "patience" and last.epoch == 3
    assert "has not improved for 3 epochs" in last.text


def test_stop_conditions_are_validated():
    from workbench.core import ConfigError
    from workbench.core.hyperparameters import hyperparameter_problem

    for bad in ({"stop_accuracy": 0}, {"stop_cost": -1.0}, {"patience": 0}):
        with pytest.raises(ConfigError):
            Hyperparameters(**bad).validate()
        assert hyperparameter_problem(bad)
    assert hyperparameter_problem({"stop_accuracy": None, "stop_cost": None, "patience": None}) is None
    assert "training panel" in hyperparameter_problem({"patience": 10**6}, panel=True)


def test_ab_layer_multipliers_are_a_list_checked_against_the_layers():
    assert ab_value("layer_lr", "4, 2,1", 3) == ([4.0, 2.0, 1.0], None)
    assert ab_value("layer_lr", "off", 3) == (None, None)
    assert "list of numbers" in ab_value("layer_lr", "4;2;1", 3)[1]
    value, problem = ab_value("layer_lr", "4, 2", 3)
    assert value is None and "multiplier" in problem


def test_put_back_restores_what_an_add_dropped_and_thinned(monkeypatch):
    import workbench.core.runs as core_runs

    monkeypatch.setattr(core_runs, "MAX_RUNS", 3)
    runs = _run_list(3, 10)
    size = len(runs.runs[0].checkpoints[0].weights)
    runs.max_bytes = 26 * size
    before = [(r.id, [(c.epochs, c.steps) for c in r.checkpoints]) for r in runs.runs]
    net = create_network(ARCH, seed=1)
    new = core_runs.Run(id=runs.new_id(), name="new", settings=runs.runs[0].settings, history=RunHistory(2, True),
                        checkpoints=[checkpoint_of(net, e, e) for e in range(8)])
    taken = runs.add(new)
    assert runs.get(1) is None and len(runs) == 3 and runs.total_bytes() <= runs.max_bytes
    assert any(len(r.checkpoints) < 10 for r in runs.runs if r is not new)
    runs.remove(new.id)
    runs.put_back(taken)
    assert [(r.id, [(c.epochs, c.steps) for c in r.checkpoints]) for r in runs.runs] == before


def test_resume_rng_gives_up_when_stopped_and_long_replays_are_refused_in_files():
    from workbench.core.runs import MAX_SHUFFLE_ITEMS, shuffle_recipe

    calls = []
    assert resume_rng((1, 0, 50, 10), 10, stopped=lambda: calls.append(1) or len(calls) > 3) is None
    assert len(calls) == 4
    assert shuffle_recipe(1, 0, MAX_SHUFFLE_ITEMS // 10 + 1, 10) is None and shuffle_recipe(1, 0, 2, 10) == (1, 0, 2, 10)
    doc = _run_list(1, 2).to_json(current_history_separate=False)
    doc[0]["checkpoints"][1]["shuffle"] = [1, 0, 2_000_000, 60_000]
    with pytest.raises(RunsError) as info:
        RunList.from_json(doc, None)
    assert str(info.value) == ("checkpoint 2 of run 1: its batch order needs 2,000,000 shuffles of 60,000 items, "
                               "more than the 1,000,000,000 items Workbench replays.")


def test_setting_phrases_and_changed_settings():
    from workbench.core.runs import changed_settings, setting_phrases

    settings = run_settings(ARCH, {"lr": 0.5, "stop_accuracy": None, "patience": 3, "layer_lr": [4.0, 1.0]}, "xor")
    assert setting_phrases(settings, ["lr", "stop_accuracy", "patience", "layer_lr", "layers"]) == [
        "learning rate η 0.5", "stop at accuracy off", "patience 3 epochs", "η multipliers 4, 1", "layers 2-5-1"]
    old = {"lr": 0.5, "epochs": 3, "seed": 1}
    assert changed_settings(old, {"lr": 0.5, "epochs": 9, "seed": 1, "patience": 2}) == []
    assert changed_settings(old, {"lr": 2.0, "epochs": 3, "seed": 4}) == ["lr", "seed"]


def test_differing_settings_leave_out_how_long_a_press_went():
    runs = _run_list(2, 1)
    runs.runs[1].settings["hyperparameters"].update(lr=0.5, epochs=9)
    runs.runs[0].settings["hyperparameters"].update(epochs=3)
    assert differing_settings(runs.runs) == []
