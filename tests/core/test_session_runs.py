"""Session format version 2: the runs, and version-1 files opening as one run."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from workbench.core.history import RunHistory
from workbench.core.runs import RunList, checkpoint_of, run_settings
from workbench.core.runsetup import create_network
from workbench.core import sessionfile
from workbench.core.sessionfile import MAX_BYTES, VERSION, Session, SessionError, load_session, save_session, \
    session_from_json

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
COMMITTED = sorted(RESOURCES.rglob("*.wbsession"))
ARCH = {"sizes": [2, 3, 1], "activations": ["sigmoid", "sigmoid"], "cost": "cross-entropy"}


def _runs_json(session):
    return None if session.runs is None else session.runs.to_json()


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_committed_sessions_open_save_as_v2_and_reopen_equal(path, tmp_path):
    first = load_session(str(path))
    assert first.runs is not None
    if first.run_history is not None:         # a version-1 history becomes the one run
        assert len(first.runs) == 1 and first.runs.current_run.history is first.run_history
    out = tmp_path / path.name
    save_session(str(out), first)
    doc = json.loads(out.read_text())
    assert doc["version"] == VERSION == 2 and isinstance(doc["runs"], list)
    second = load_session(str(out))
    assert dataclasses.replace(second, network=None) == dataclasses.replace(first, network=None)
    assert _runs_json(second) == _runs_json(first)
    if first.network is not None:
        assert [w.tolist() for w in second.network.weights] == [w.tolist() for w in first.network.weights]


def _session_with_runs(n_checkpoints=3):
    net = create_network(ARCH, seed=1)
    runs = RunList()
    for k in range(2):
        run = runs.new_run(run_settings(ARCH, {"lr": 0.5 * (k + 1)}, "xor"), RunHistory(2, True))
        for e in range(n_checkpoints):
            runs.add_checkpoint(run, checkpoint_of(net, e, 4 * e, (1, 0, e, 4)))
    return Session(name="Runs", architecture=ARCH, data="xor", network=net,
                   history=runs.current_run.history.to_json(), runs=runs)


def test_v2_round_trip_keeps_every_run(tmp_path):
    session = _session_with_runs()
    path = tmp_path / "r.wbsession"
    save_session(str(path), session)
    back = load_session(str(path))
    assert [r.id for r in back.runs.runs] == [1, 2] and back.runs.current == 2
    assert back.runs.current_run.history is back.run_history
    assert [c.weights for c in back.runs.runs[0].checkpoints] == [c.weights for c in session.runs.runs[0].checkpoints]


def test_saving_without_weights_writes_no_checkpoints_and_says_so(tmp_path):
    path = tmp_path / "r.wbsession"
    notes = save_session(str(path), _session_with_runs(), include_weights=False)
    doc = json.loads(path.read_text())
    assert all(r["checkpoints"] == [] for r in doc["runs"])
    assert len(load_session(str(path)).runs) == 2
    assert notes == ["The runs' 6 checkpoints were not saved: the session was saved without its weights."]
    assert save_session(str(path), _session_with_runs()) == []       # nothing left out, nothing said


BIG = {"sizes": [2, 200, 200, 1], "activations": ["sigmoid", "sigmoid", "sigmoid"], "cost": "cross-entropy"}


def _heavy_session(n_checkpoints=9):
    """Two runs of a 2-200-200-1 network (about 200 KB of base64 a checkpoint), ``n_checkpoints`` each."""
    net = create_network(BIG, seed=1)
    runs = RunList()
    for k in range(2):
        run = runs.new_run(run_settings(BIG, {"lr": 0.5 * (k + 1)}, "xor"), RunHistory(3, True))
        for e in range(n_checkpoints):
            net.weights[0][0, 0] = e + k        # each checkpoint its own weights
            runs.add_checkpoint(run, checkpoint_of(net, e, 4 * e, (1, 0, e, 4)))
    return Session(name="Heavy", architecture=BIG, data="xor", network=net,
                   history=runs.current_run.history.to_json(), runs=runs)


def _epochs(session):
    return [[c.epochs for c in r.checkpoints] for r in session.runs.runs]


def test_the_written_text_is_what_json_writes_and_is_measured(tmp_path):
    session = _heavy_session(3)
    data, notes = sessionfile.session_bytes(session)
    assert notes == [] and data.decode() == json.dumps(session.to_json(), indent=1, allow_nan=False)
    save_session(str(tmp_path / "h.wbsession"), session)
    assert (tmp_path / "h.wbsession").read_bytes() == data


def test_checkpoints_are_thinned_to_fit_the_file_as_written(monkeypatch, tmp_path):
    session = _heavy_session()
    full = tmp_path / "full.wbsession"
    save_session(str(full), session)
    size = full.stat().st_size
    assert size > 2**20 * 1.5          # beyond the old 1 MiB slack, so the indent matters
    monkeypatch.setattr(sessionfile, "MAX_BYTES", int(size * 0.7))
    path = tmp_path / "thin.wbsession"
    notes = save_session(str(path), session)
    assert path.stat().st_size <= sessionfile.MAX_BYTES
    back = load_session(str(path))               # it opens again
    kept = _epochs(back)
    assert all(e[0] == 0 and e[-1] == 8 for e in kept) and sum(map(len, kept)) < 18
    assert len(notes) == 1 and f"thinned to {sum(map(len, kept))} of 18 (each run's first and last kept)" in notes[0]
    assert [c.weights for c in back.runs.runs[1].checkpoints] == \
        [c.weights for c in session.runs.runs[1].checkpoints if c.epochs in kept[1]]


def test_a_session_too_large_even_thinned_is_refused_unwritten(monkeypatch, tmp_path):
    session = _heavy_session()
    first_and_last = len(sessionfile.session_bytes(_heavy_session(2))[0])
    monkeypatch.setattr(sessionfile, "MAX_BYTES", first_and_last - 100)
    path = tmp_path / "no.wbsession"
    with pytest.raises(SessionError) as info:
        save_session(str(path), session)
    text = str(info.value)
    assert "even with each run's checkpoints thinned to its first and last" in text and "delete some runs" in text
    assert "\n" not in text and text.endswith(".") and ". " not in text and not path.exists()


def test_the_json_value_limit_is_kept_when_saving(monkeypatch, tmp_path):
    """A session the reader would refuse for its JSON values is thinned until it opens, or refused."""
    session = _session_with_runs(9)
    full = tmp_path / "full.wbsession"
    save_session(str(full), session)
    values = sessionfile.json_value_bound(full.read_text())
    monkeypatch.setattr(sessionfile, "MAX_JSON_VALUES", values - 10)
    path = tmp_path / "v.wbsession"
    notes = save_session(str(path), session)
    assert sessionfile.json_value_bound(path.read_text()) <= values - 10
    back = load_session(str(path))
    assert all(e[0] == 0 and e[-1] == 8 for e in _epochs(back)) and len(notes) == 1
    monkeypatch.setattr(sessionfile, "MAX_JSON_VALUES", values // 3)
    with pytest.raises(SessionError, match="JSON values even with each run's checkpoints thinned"):
        save_session(str(tmp_path / "w.wbsession"), session)
    assert not (tmp_path / "w.wbsession").exists()
    assert MAX_BYTES == 256 * 2**20 and sessionfile.MAX_JSON_VALUES == values // 3


@pytest.mark.parametrize("damage, words", [
    (lambda d: d.update(runs={}), "'runs' must be a list"),
    (lambda d: d.update(current_run=7), "no run has that id"),
    (lambda d: d["runs"][0]["checkpoints"][0]["weights"].update(data=base64.b64encode(b"x" * 10).decode()),
     "checkpoint 1 of run 1: the stored weights are unusable"),
    (lambda d: d["runs"][0].update(name=5), "run 1 needs a name"),
    (lambda d: d["runs"][0].update(history=None), "run 1 has no history"),
])
def test_damaged_runs_refuse_the_session_with_one_sentence(damage, words):
    doc = json.loads(json.dumps(_session_with_runs().to_json()))
    damage(doc)
    with pytest.raises(SessionError) as info:
        session_from_json(doc, "s.wbsession")
    assert words in str(info.value) and str(info.value).startswith("s.wbsession: ")
    assert "\n" not in str(info.value)


def test_version_1_still_opens_and_newer_versions_are_refused():
    doc = _session_with_runs().to_json()
    del doc["runs"], doc["current_run"]
    doc["version"] = 1
    session = session_from_json(doc)
    assert len(session.runs) == 1 and session.runs.current_run.checkpoints[-1].epochs == 0
    doc["version"] = 3
    with pytest.raises(SessionError, match="reads versions 1 to 2"):
        session_from_json(doc)


def _long_history_session(epochs=3000):
    """Three runs of a 2-100-100-1 network with a long plot history each (the indent of the file
    makes it about a third larger than compact JSON) and 9 checkpoints each."""
    from workbench.core import BatchChunk, EpochRecord, Hyperparameters, train
    from workbench.core.runs import copy_history
    from workbench.core.runsetup import shuffle_rng

    arch = {"sizes": [2, 100, 100, 1], "activations": ["sigmoid"] * 3, "cost": "cross-entropy"}
    net = create_network(arch, seed=1)
    X, Y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([[0], [1], [1], [0]], float)
    history = RunHistory(3, True)
    records = list(train(net, X, Y, Hyperparameters(lr=0.5, batch_size=1, epochs=epochs), rng=shuffle_rng(0),
                         classification=True, chunked=True, evaluate_every=epochs))
    history.add_batches([r for r in records if isinstance(r, BatchChunk)])
    history.add_epochs([r for r in records if isinstance(r, EpochRecord)])
    runs = RunList()
    for k in range(3):
        run = runs.new_run(run_settings(arch, {"lr": 0.5}, "xor"), copy_history(history) if k < 2 else history)
        for e in range(9):
            net.biases[0][0] = e + 10 * k
            runs.add_checkpoint(run, checkpoint_of(net, e, 4 * e))
    return Session(name="Long", architecture=arch, data="xor", network=net, history=history.to_json(), runs=runs)


def test_a_session_that_fits_once_thinned_is_saved_not_refused(monkeypatch, tmp_path):
    """The limit is the written (indented) file's: a budget of compact JSON refused this one."""
    session = _long_history_session()
    every = {r.id: r.checkpoints for r in session.runs.runs}
    for r in session.runs.runs:
        r.checkpoints = [r.checkpoints[0], r.checkpoints[-1]]
    first_and_last = len(sessionfile.session_bytes(session)[0])
    for r in session.runs.runs:
        r.checkpoints = every[r.id]
    monkeypatch.setattr(sessionfile, "MAX_BYTES", first_and_last + 50_000)
    path = tmp_path / "long.wbsession"
    notes = save_session(str(path), session)
    assert path.stat().st_size <= sessionfile.MAX_BYTES and len(notes) == 1
    back = load_session(str(path))
    assert all(e[0] == 0 and e[-1] == 8 for e in _epochs(back))
    assert back.runs.runs[0].history.to_json() == session.runs.runs[0].history.to_json()
