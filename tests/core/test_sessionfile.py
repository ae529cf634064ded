"""Session files: round trip, atomic write with the usual permissions, a bounded read, and clear
messages for every kind of bad file. No Qt is needed to read or write them."""

import base64
import json
import os
import stat

import numpy as np
import pytest

from workbench.core import Network
from workbench.core import sessionfile
from workbench.core.sessionfile import Session, SessionError, load_session, save_session


def _history_with_a_nan() -> dict:
    """A real plot history of the 2-3-1 network whose second batch cost is NaN (a diverging run)."""
    from workbench.core import BatchRecord
    from workbench.core.history import RunHistory

    history = RunHistory(2, True)
    history.add_batches([BatchRecord(epoch=1, batch=b, batches_in_epoch=2, step=b, samples_seen=2 * b,
                                     n_train=4, cost=cost, delta_norms=[0.1, 0.2], bias_gradients=None,
                                     weight_norms=[1.0, 1.0]) for b, cost in ((1, 0.5), (2, float("nan")))])
    return history.to_json()


def _session(with_net=True):
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], "cross-entropy", rng=np.random.default_rng(4))
    return Session(name="XOR try", architecture=net.architecture(),
                   hyperparameters={"lr": 0.25, "batch_size": "full", "epochs": 10},
                   data="xor", history=_history_with_a_nan(),
                   epochs_trained=7, network=net if with_net else None)


def test_round_trip_with_weights(tmp_path):
    path = tmp_path / "a.wbsession"
    original = _session()
    save_session(str(path), original)
    loaded = load_session(str(path))
    assert loaded.name == "XOR try"
    assert loaded.architecture == original.architecture
    assert loaded.hyperparameters == original.hyperparameters
    assert loaded.data == "xor" and loaded.epochs_trained == 7
    assert loaded.history["batches"]["cost"] == [0.5, None]    # NaN stored as null: strict JSON
    assert loaded.run_history.batch_count == 2                 # and read back as a history
    for a, b in zip(loaded.network.weights + loaded.network.biases,
                    original.network.weights + original.network.biases):
        np.testing.assert_array_equal(a, b)
    assert not list(tmp_path.glob("*.tmp")) and len(list(tmp_path.iterdir())) == 1


def test_followed_weights_round_trip(tmp_path):
    path = tmp_path / "w.wbsession"
    original = _session()
    original.watch = [(0, 1, 2), (1, 2, 0)]
    save_session(str(path), original)
    assert load_session(str(path)).watch == [(0, 1, 2), (1, 2, 0)]
    doc = json.loads(path.read_text())
    del doc["watch"]                                 # sessions written before following existed
    path.write_text(json.dumps(doc))
    assert load_session(str(path)).watch == []


def test_without_weights(tmp_path):
    path = tmp_path / "b.wbsession"
    save_session(str(path), _session(), include_weights=False)
    doc = json.loads(path.read_text())
    assert doc["weights"] is None and doc["format"] == "workbench-session" and doc["version"] == 2
    assert load_session(str(path)).network is None


def test_new_file_gets_umask_mode_and_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "p.wbsession"
    old = os.umask(0o027)
    try:
        save_session(str(path), _session())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640       # 0666 & ~umask, not mkstemp's 0600
    path.chmod(0o604)
    save_session(str(path), _session())
    assert stat.S_IMODE(path.stat().st_mode) == 0o604


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.wbsession"
    save_session(str(path), _session())
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(SessionError, match="Cannot write .*No space left on device"):
        save_session(str(path), _session())
    assert path.read_bytes() == before and not list(tmp_path.glob("*.tmp"))


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.wbsession"
    save_session(str(path), _session())
    monkeypatch.setattr(sessionfile, "MAX_BYTES", 100)
    with pytest.raises(SessionError, match=r"too large to be a Workbench session .*at most 100 bytes"):
        load_session(str(path))


def test_the_limit_is_256_mib():
    assert sessionfile.MAX_BYTES == 256 * 2**20


def _write(tmp_path, doc):
    path = tmp_path / "bad.wbsession"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def _good_doc(tmp_path):
    path = tmp_path / "good.wbsession"
    save_session(str(path), _session())
    return json.loads(path.read_text())


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(format="something-else"), "not a Workbench session"),
    (lambda d: d.update(version=99), "version 99"),
    (lambda d: d.update(name=""), "'name'"),
    (lambda d: d["architecture"].update(sizes=[2, 0, 1]), "invalid architecture"),
    (lambda d: d["architecture"].update(activations=["softmax", "sigmoid"]), "invalid architecture"),
    (lambda d: d.update(hyperparameters=[1, 2]), "'hyperparameters'"),
    (lambda d: d.update(data=5), "'data'"),
    (lambda d: d.update(epochs_trained=-1), "'epochs_trained'"),
    (lambda d: d["weights"].update(data="!!!not base64!!!"), "base64"),
    (lambda d: d["weights"].update(data=base64.b64encode(b"PK garbage").decode()), "unusable"),
    (lambda d: d["architecture"].update(sizes=[2, 4, 1]), "stored weights are for a 2-3-1"),
    (lambda d: d.update(watch=[[0, 1]]), "'watch'"),
    (lambda d: d.update(watch=[[0, -1, 0]]), "'watch'"),
    (lambda d: d.update(watch="0,1,2"), "'watch'"),
    (lambda d: d.update(watch=[[1, 2, 0], [1, 3, 0]]), "weight .1, 3, 0. is not in the 2-3-1 network"),
    (lambda d: d.update(views=[1]), "'views' must be an object"),
    (lambda d: d.update(views={"front": 3}), "'views.front'"),
    (lambda d: d.update(views={"open": "diagram"}), "'views.open'"),
    (lambda d: d.update(views={"open": ["x"] * 65}), "'views.open'"),
    (lambda d: d.update(views={"settings": {"curves": 0.9}}), "'views.settings'"),
    (lambda d: d.update(points=[[0, 0, 1]]), "'points' must be an object"),
    (lambda d: d.update(points={"train": {}}, data=None), "'data' names none"),
])
def test_bad_documents_are_explained(tmp_path, mutate, message):
    doc = _good_doc(tmp_path)
    mutate(doc)
    with pytest.raises(SessionError, match=message.replace("(", r"\(")):
        load_session(_write(tmp_path, doc))


def test_corrupt_json_names_the_position(tmp_path):
    with pytest.raises(SessionError, match="corrupt: invalid JSON at line 1"):
        load_session(_write(tmp_path, '{"format": "workbench-session", '))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SessionError, match="no such file"):
        load_session(str(tmp_path / "nope.wbsession"))
    with pytest.raises(SessionError, match="folder"):
        load_session(str(tmp_path))


def test_not_utf8(tmp_path):
    path = tmp_path / "bin.wbsession"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SessionError, match="not UTF-8"):
        load_session(str(path))


def test_unwritable_target_reports(tmp_path):
    with pytest.raises(SessionError, match="Cannot"):
        save_session(str(tmp_path / "missing-dir" / "x.wbsession"), _session())
    with pytest.raises(SessionError, match="Cannot"):
        save_session(str(tmp_path), _session())


def test_a_damaged_history_makes_the_session_unreadable(tmp_path):
    """Found by hand: the window's scripted run hung on a modal box for such a file, since only the
    window, not the session reader, looked at the history."""
    path = tmp_path / "h.wbsession"
    save_session(str(path), _session())
    doc = json.loads(path.read_text())
    doc["history"]["n_layers"] = "two"
    path.write_text(json.dumps(doc))
    with pytest.raises(SessionError, match="plot history is incomplete or damaged"):
        load_session(str(path))
    doc["history"]["n_layers"] = 3
    doc["history"]["batches"]["delta_norms"].append([0.3, 0.3])
    doc["history"]["epochs"]["delta_norms"].append([])
    doc["history"]["epochs"]["weight_norms"].append([])
    path.write_text(json.dumps(doc))
    with pytest.raises(SessionError, match="history is for 3 weight layers, the network has 2"):
        load_session(str(path))


def test_views_and_drawn_points_round_trip(tmp_path):
    views = {"front": "output-map", "open": ["diagram"],
             "settings": {"output-map": {"discretize": True}, "curves": {"smoothing": 0.8}}}
    points = {"train": {"X": [[0.5, -0.25]], "labels": [1]}}
    path = tmp_path / "v.wbsession"
    save_session(str(path), Session(name="V", data="circle", views=views, points=points))
    loaded = load_session(str(path))
    assert loaded.views == views and loaded.points == points
    older = json.loads(path.read_text())
    del older["views"], older["points"]          # a session written before views were stored
    path.write_text(json.dumps(older))
    assert load_session(str(path)).views is None
