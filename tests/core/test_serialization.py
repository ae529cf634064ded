"""Weight files: bit-exact round trip, readable by plain numpy, and every bad file rejected by name."""

import csv
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from workbench.core import Network, WeightFileError, export_csv, export_json, load_weights, save_weights


@pytest.fixture
def net():
    return Network.create([4, 5, 3], ["tanh", "softmax"], "log-likelihood", rng=np.random.default_rng(2))


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def _arrays(net, **changes):
    header = {"format": "workbench-weights", "version": 1, **net.architecture()}
    arrays = {"architecture": np.array(json.dumps(header))}
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{l}"], arrays[f"b{l}"] = w, b
    arrays.update(changes)
    return {k: v for k, v in arrays.items() if v is not None}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_bit_exact(tmp_path, dtype):
    net = Network.create([4, 5, 3], ["relu", "sigmoid"], "cross-entropy", rng=np.random.default_rng(1), dtype=dtype)
    path = tmp_path / "net.npz"
    save_weights(net, path)
    loaded = load_weights(path)
    assert loaded.architecture() == net.architecture()
    assert loaded.dtype == net.dtype
    for a, b in zip(net.weights + net.biases, loaded.weights + loaded.biases):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert not [p for p in os.listdir(tmp_path) if p != "net.npz"], "temporary files left behind"


def test_file_is_plain_numpy(tmp_path, net):
    path = tmp_path / "net.npz"
    save_weights(net, path)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["W0", "W1", "architecture", "b0", "b1"]
        assert archive["W0"].shape == (4, 5) and archive["b1"].shape == (3,)
        header = json.loads(str(archive["architecture"]))
    assert header == {"format": "workbench-weights", "version": 1, "sizes": [4, 5, 3],
                      "activations": ["tanh", "softmax"], "cost": "log-likelihood"}


def test_failed_write_keeps_the_old_file(tmp_path, net, monkeypatch):
    path = tmp_path / "net.npz"
    save_weights(net, path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_weights(net.copy(), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.npz"]


@pytest.mark.parametrize("changes,phrase", [
    ({"W1": None}, "no 'W1' array"),
    ({"architecture": None}, "no 'architecture' array"),
    ({"W0": np.zeros((4, 6))}, "'W0' has shape"),
    ({"b1": np.zeros((2,))}, "'b1' has shape"),
    ({"W0": np.full((4, 5), np.nan)}, "NaN or infinite"),
    ({"b0": np.full((5,), np.inf)}, "NaN or infinite"),
    ({"W0": np.zeros((4, 5), dtype=np.int32)}, "dtype int32"),
    ({"architecture": np.array("{not json")}, "not valid JSON"),
    ({"architecture": np.array(json.dumps({"format": "other", "version": 1}))}, "not a Workbench weight file"),
    ({"architecture": np.array(json.dumps({"format": "workbench-weights", "version": 9}))}, "version 9"),
    ({"architecture": np.array(json.dumps({"format": "workbench-weights", "version": 1, "sizes": [4, 5, 3],
                                           "activations": ["tanh", "softmax"]}))}, "no valid 'cost'"),
    ({"architecture": np.array(json.dumps({"format": "workbench-weights", "version": 1, "sizes": [4, 5, 3],
                                           "activations": ["softmax", "softmax"], "cost": "log-likelihood"}))},
     "only allowed on the output"),
    ({"extra": np.zeros(2)}, "unexpected arrays: extra"),
    ({"architecture": np.array([1, 2])}, "must be a JSON string"),
])
def test_bad_contents_are_named(tmp_path, net, changes, phrase):
    path = _write_npz(tmp_path / "bad.npz", **_arrays(net, **changes))
    with pytest.raises(WeightFileError, match=phrase) as info:
        load_weights(path)
    assert "bad.npz" in str(info.value)


def test_truncated_file(tmp_path, net):
    path = tmp_path / "net.npz"
    save_weights(net, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightFileError, match="net.npz"):
        load_weights(path)


def test_not_an_npz(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello, these are not weights")
    with pytest.raises(WeightFileError, match="not a Workbench weight file"):
        load_weights(path)


def test_single_npy_array(tmp_path):
    path = tmp_path / "one.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(WeightFileError, match="single array"):
        load_weights(path)


def test_pickled_object_is_never_unpickled(tmp_path, net):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    arrays = _arrays(net)
    arrays["W0"] = np.array([Boom()], dtype=object)
    path = tmp_path / "evil.npz"
    np.savez(path, **arrays)
    with pytest.raises(WeightFileError, match="cannot be read safely"):
        load_weights(path)
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(WeightFileError):
        load_weights(raw)
    assert not (tmp_path / "pwned").exists()


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(WeightFileError, match="no such file"):
        load_weights(tmp_path / "absent.npz")
    with pytest.raises(WeightFileError, match="folder"):
        load_weights(tmp_path)


def test_corrupt_member(tmp_path, net):
    path = tmp_path / "net.npz"
    save_weights(net, path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[:-7] if item.filename == "W1.npy" else data)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(WeightFileError, match="W1"):
        load_weights(path)


def test_json_and_csv_exports(tmp_path, net):
    export_json(net, tmp_path / "w.json")
    document = json.loads((tmp_path / "w.json").read_text())
    assert document["sizes"] == [4, 5, 3]
    assert np.allclose(document["layers"][0]["weights"], net.weights[0])
    assert np.allclose(document["layers"][1]["biases"], net.biases[1])
    export_csv(net, tmp_path / "w.csv")
    with open(tmp_path / "w.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 5 + 5 + 5 * 3 + 3
    w = next(r for r in rows if r["layer"] == "1" and r["kind"] == "weight" and r["from"] == "2" and r["to"] == "1")
    assert float(w["value"]) == float(net.weights[1][2, 1])
