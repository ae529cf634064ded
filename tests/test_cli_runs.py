"""The command line and a session's runs: `train --session s --save-session s` keeps every run,
its views and drawn points, extends the current run (or starts one for fresh weights) with
checkpoints whose batch-order recipe rebuilds the very batches."""

from __future__ import annotations

import io

import numpy as np

from workbench.cli import main
from workbench.core import BatchChunk, EpochRecord, Hyperparameters, train
from workbench.core.history import RunHistory
from workbench.core.runs import RunList, checkpoint_of, resume_rng, run_settings
from workbench.core.runsetup import create_network, training_arguments
from workbench.core.sessionfile import Session, load_session, save_session
from workbench.data import load_dataset
from workbench.data.drawn import points_to_json, with_point

ARCH = {"sizes": [2, 3, 1], "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"}
PANEL = {"optimizer": "sgd", "lr": 0.5, "batch_size": 1, "epochs": 2, "seed": 0, "dtype": "float32",
         "checkpoint_every": 1, "resolution": "epoch"}
VIEWS = {"front": "output-map", "open": ["diagram"], "settings": {"output-map": {"grid": 40}}}


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def _drawn():
    return with_point(load_dataset("xor:outputs=1"), [0.5, 0.5], label=1)


def _three_runs(path, include_weights=True) -> Session:
    """A session as the window saves it: three runs of two epochs each on XOR with one drawn point."""
    data = _drawn()
    runs = RunList()
    for k in range(3):
        net = create_network(ARCH, seed=k, dtype="float32")
        history = RunHistory(2, True)
        X, Y, kwargs = training_arguments(data, seed=0, steps_trained=0, evaluate_initial=True)
        run_ = runs.new_run(run_settings(ARCH, PANEL, data.spec), history)
        runs.add_checkpoint(run_, checkpoint_of(net, 0, 0, (0, 0, 0, len(X))))
        records = list(train(net, X, Y, Hyperparameters(lr=0.5, batch_size=1, epochs=2), **kwargs, chunked=True))
        history.add_batches([r for r in records if isinstance(r, BatchChunk)])
        history.add_epochs([r for r in records if isinstance(r, EpochRecord)])
        runs.add_checkpoint(run_, checkpoint_of(net, 2, 2 * len(X), (0, 0, 2, len(X))))
    session = Session(name="Three", architecture=ARCH, hyperparameters=dict(PANEL), data=data.spec,
                      history=history.to_json(), epochs_trained=2, steps_trained=2 * len(X), network=net,
                      views=VIEWS, points=points_to_json(data), runs=runs)
    save_session(str(path), session, include_weights=include_weights)
    return load_session(str(path))


def _same_runs(a, b) -> bool:
    return (a.id, a.name, a.settings, a.history.to_json()) == (b.id, b.name, b.settings, b.history.to_json()) and \
        [(c.epochs, c.steps, c.weights, c.shuffle) for c in a.checkpoints] == \
        [(c.epochs, c.steps, c.weights, c.shuffle) for c in b.checkpoints]


def test_train_and_save_session_keeps_every_run_and_extends_the_current_one(tmp_path):
    path = tmp_path / "s.wbsession"
    before = _three_runs(path)
    status, out, err = run("train", "--session", path, "--epochs", 3, "--save-session", path, "--log-every", 1)
    assert status == 0, err
    assert "5 training items" in out           # the drawn point is trained on, as in the window
    after = load_session(str(path))
    assert [r.id for r in after.runs.runs] == [1, 2, 3] and after.runs.current == 3
    assert all(_same_runs(a, b) for a, b in zip(after.runs.runs[:2], before.runs.runs[:2]))
    current = after.runs.current_run
    assert current.history is after.run_history and current.epochs == 5 and after.epochs_trained == 5
    assert [c.epochs for c in current.checkpoints] == [0, 2, 3, 4, 5]
    assert [c.shuffle for c in current.checkpoints[2:]] == [(0, 10, e, 5) for e in (1, 2, 3)]
    last = current.checkpoints[-1].network()
    assert all(np.array_equal(a, b) for a, b in zip(last.weights, after.network.weights))
    assert after.views == before.views and after.points == before.points
    assert after.hyperparameters["checkpoint_every"] == 1 and after.hyperparameters["resolution"] == "epoch"
    assert current.finished is not None and current.seconds > before.runs.current_run.seconds


def test_a_cli_checkpoint_rebuilds_the_batches_that_followed_it(tmp_path):
    """Rewinding to a checkpoint the command line took and training on draws the same batches."""
    path = tmp_path / "s.wbsession"
    _three_runs(path)
    assert run("train", "--session", path, "--epochs", 3, "--save-session", path, "--log-every", 1)[0] == 0
    current = load_session(str(path)).runs.current_run
    at_3, at_5 = current.checkpoint_at(3), current.checkpoint_at(5)
    X, Y, kwargs = training_arguments(_drawn(), seed=0, steps_trained=at_3.steps, evaluate_initial=False)
    kwargs["rng"] = resume_rng(at_3.shuffle, len(X))
    net = at_3.network()
    for _ in train(net, X, Y, Hyperparameters(lr=0.5, batch_size=1, epochs=2), **kwargs, chunked=True):
        pass
    assert all(np.array_equal(a, b) for a, b in zip(net.weights + net.biases,
                                                   at_5.network().weights + at_5.network().biases))


def test_fresh_weights_start_a_new_run_after_the_sessions_runs(tmp_path):
    path, saved = tmp_path / "s.wbsession", tmp_path / "t.wbsession"
    before = _three_runs(path, include_weights=False)     # no weights: the command line starts afresh
    status, out, err = run("train", "--session", path, "--epochs", 2, "--save-session", saved)
    assert status == 0, err
    after = load_session(str(saved))
    assert [r.id for r in after.runs.runs] == [1, 2, 3, 4] and after.runs.current == 4
    assert all(_same_runs(a, b) for a, b in zip(after.runs.runs[:3], before.runs.runs))
    new = after.runs.current_run
    assert new.checkpoints[0].epochs == 0 and new.checkpoints[-1].epochs == new.epochs == 2
    assert new.settings["hyperparameters"]["epochs"] == 2 and new.checkpoints[0].shuffle == (0, 0, 0, 5)


def test_a_batch_order_too_long_to_replay_is_left_out_and_the_session_reopens(tmp_path, monkeypatch):
    """Past ``MAX_SHUFFLE_ITEMS`` a checkpoint keeps no recipe (as in the window): the reader refuses
    a recipe that long, so writing one would make a session that does not open again."""
    import workbench.core.runs as core_runs

    monkeypatch.setattr(core_runs, "MAX_SHUFFLE_ITEMS", 10)     # XOR with a drawn point: 5 items
    path = tmp_path / "s.wbsession"
    _three_runs(path)
    assert run("train", "--session", path, "--epochs", 3, "--save-session", path, "--log-every", 1)[0] == 0
    current = load_session(str(path)).runs.current_run
    recipes = [c.shuffle for c in current.checkpoints]
    assert any(r is not None for r in recipes) and any(r is None for r in recipes)
    assert all(r is None or r[2] * r[3] <= 10 for r in recipes)
