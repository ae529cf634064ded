"""Session files: round trip, atomic write, and clear messages for every kind of bad file."""

import base64
import json

import numpy as np
import pytest

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads  # noqa: F401
from workbench.core import Network
from workbench.gui.session import Session, SessionError, load_session, save_session


def _session(with_net=True):
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], "cross-entropy", rng=np.random.default_rng(4))
    return Session(name="XOR try", architecture=net.architecture(),
                   hyperparameters={"lr": 0.25, "batch_size": "full", "epochs": 10},
                   data="xor", history={"format": "workbench-plots", "x": [0.0, float("nan")]},
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
    assert loaded.history["x"] == [0.0, None]          # NaN stored as null: strict JSON
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
    assert doc["weights"] is None and doc["format"] == "workbench-session" and doc["version"] == 1
    assert load_session(str(path)).network is None


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
