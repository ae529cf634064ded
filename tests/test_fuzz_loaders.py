"""Mutated weight, session and CSV files fed to every loader: a clean refusal or a load, nothing else.

Seeded and bounded: ``FUZZ_CASES`` cases per loader (``WORKBENCH_FUZZ_CASES`` raises it for a longer
campaign, ``WORKBENCH_FUZZ_SEED`` changes the seed).  For every case the loader must either return or
raise its own error (a ValueError subclass) with a one-line message that shows no traceback and no
temporary file; each case must finish within ``CASE_SECONDS`` and allocate at most ``CASE_BYTES``
(tracemalloc sees numpy's buffers too).
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import time
import tracemalloc

import numpy as np
import pytest

from workbench.core import Network, WeightFileError, load_weights, weights_to_bytes
from workbench.core.history import RunHistory
from workbench.core.sessionfile import Session, SessionError, load_session, save_session
from workbench.data import DataError, load_dataset

FUZZ_CASES = int(os.environ.get("WORKBENCH_FUZZ_CASES", "120"))
SEED = int(os.environ.get("WORKBENCH_FUZZ_SEED", "12"))
CASE_SECONDS = 5.0
CASE_BYTES = 256 * 2**20

HOSTILE_VALUES = [
    None, True, -1, 0, 2**31, 2**63, 10**30, -(10**30), 1e308, -1e308, 0.5, "", "x" * 5000,
    "=HYPERLINK(\"http://x\")", "\u0000", "\ufeff", [], [None], [[1, 2, 3]], {}, {"a": {"b": []}},
    [2**31] * 3, "sigmoid", "softmax", "nan", "-1", [1] * 200,
]
HOSTILE_TEXT = [
    "1e999", "-1e999", "nan", "NaN", "inf", "-0", "2\0", "\0", "\"", "\"\"\"", ",,,,", ";", "\t",
    "9" * 400, "x" * 100_000, "\ufeff", "\r", "\n" * 3, "=SUM(A1)", "é", "\ud7ff", "x" * 200_000, "1" + ",1" * 20_000,
]


def _network() -> Network:
    return Network.create([3, 4, 2], ["sigmoid", "softmax"], "log-likelihood",
                          rng=np.random.default_rng(0))


def _weight_bytes() -> bytes:
    return weights_to_bytes(_network())


def _session_doc() -> dict:
    net = _network()
    history = RunHistory(net.n_layers, True)
    session = Session(name="fuzz", architecture=net.architecture(),
                      hyperparameters={"optimizer": "momentum", "lr": 0.5, "momentum": 0.9,
                                       "batch_size": 10, "epochs": 3, "l2": 0.0, "seed": 1,
                                       "layer_lr": [1.0, 1.0], "dtype": "float32"},
                      data="xor", history=history.to_json("epoch"), epochs_trained=2,
                      steps_trained=8, network=net, watch=[(0, 1, 1)],
                      views={"front": "curves", "open": ["diagram"], "settings": {"curves": {"log": True}}})
    return session.to_json()


CSV_TEXT = ("sepal,petal,width,label\n"
            + "".join(f"{i * 0.1:.1f},{(i * 7) % 5},{-i},{'ab'[i % 2]}\n" for i in range(40)))


# ---------------------------------------------------------------------------------------- mutators
def _mutate_bytes(rng, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(int(rng.integers(1, 6))):
        kind = int(rng.integers(6))
        at = int(rng.integers(len(data) + 1)) if data else 0
        if kind == 0 and data:                                   # flip bits
            data[min(at, len(data) - 1)] ^= 1 << int(rng.integers(8))
        elif kind == 1:                                          # truncate
            data = data[:at]
        elif kind == 2:                                          # insert random bytes
            data[at:at] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
        elif kind == 3 and data:                                 # duplicate a chunk
            end = min(len(data), at + int(rng.integers(1, 4096)))
            data[at:at] = data[at:end] * int(rng.integers(1, 4))
        elif kind == 4 and data:                                 # overwrite with a 32-bit number
            value = int(rng.choice([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, 2**20]))
            data[at:at + 4] = value.to_bytes(4, "little")
        else:                                                    # insert hostile text
            data[at:at] = str(rng.choice(HOSTILE_TEXT)).encode("utf-8", "surrogatepass")
    return bytes(data)


DEEP = "__deep__"       # replaced, in the JSON text, by brackets nested thousands of levels deep


def _paths(node, prefix=()):
    yield prefix
    if len(prefix) > 6:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node[:8]):
            yield from _paths(value, prefix + (index,))


def _mutate_tree(rng, doc):
    """Replace, delete or deepen a random node of a JSON document."""
    doc = copy.deepcopy(doc)
    for _ in range(int(rng.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return doc
        path = paths[int(rng.integers(len(paths)))]
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        kind = int(rng.integers(4))
        if kind == 0 and isinstance(parent, dict):
            del parent[key]
        elif kind == 1:
            parent[key] = DEEP
        else:
            parent[key] = copy.deepcopy(HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))])
    return doc


def _dumps(rng, doc) -> str:
    depth = int(rng.choice([3, 60, 100_000]))
    return json.dumps(doc).replace(json.dumps(DEEP), "[" * depth + "]" * depth)


def _npz(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _mutate_weights(rng) -> bytes:
    """A weight file broken in its bytes, its architecture JSON or its arrays."""
    kind = int(rng.integers(3))
    if kind == 0:
        return _mutate_bytes(rng, _weight_bytes())
    net = _network()
    arrays = {"architecture": np.array(json.dumps({"format": "workbench-weights", "version": 1,
                                                   **net.architecture()}))}
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{l}"], arrays[f"b{l}"] = w, b
    if kind == 1:
        header = json.loads(str(arrays["architecture"]))
        arrays["architecture"] = np.array(_dumps(rng, _mutate_tree(rng, header)))
    else:
        key = str(rng.choice(["W0", "b0", "W1", "b1"]))
        variants = [arrays[key].astype(">f8"), arrays[key].astype(np.float16), arrays[key].T.copy(),
                    arrays[key].reshape(-1)[:1], np.full_like(arrays[key], np.nan),
                    np.zeros((0,)), arrays[key].astype(np.int64), np.array("text"),
                    np.zeros((3, 4, 2))]
        arrays[key] = variants[int(rng.integers(len(variants)))]
    return _npz(arrays)


def _mutate_session(rng, doc: dict) -> bytes:
    kind = int(rng.integers(4))
    if kind == 0:
        return _mutate_bytes(rng, json.dumps(doc).encode())
    if kind == 1:
        weights = _mutate_weights(rng)
        doc = dict(doc, weights={"encoding": "npz-base64", "data": base64.b64encode(weights).decode()})
        return json.dumps(doc).encode()
    text = _dumps(rng, _mutate_tree(rng, doc))
    return ("\ufeff" + text).encode() if kind == 3 else text.encode()


def _mutate_csv(rng) -> bytes:
    lines = CSV_TEXT.splitlines(keepends=True)
    for _ in range(int(rng.integers(1, 4))):
        at = int(rng.integers(len(lines)))
        kind = int(rng.integers(4))
        if kind == 0:
            cells = lines[at].rstrip("\n").split(",")
            cells[int(rng.integers(len(cells)))] = str(rng.choice(HOSTILE_TEXT))
            lines[at] = ",".join(cells) + "\n"
        elif kind == 1:
            del lines[at]
        elif kind == 2:
            lines.insert(at, str(rng.choice(HOSTILE_TEXT)) + "\n")
        else:
            return _mutate_bytes(rng, "".join(lines).encode())
    return "".join(lines).encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------------------------------ checks
def _check(load, error, path: str) -> str:
    """Run ``load()``; fail unless it returns or raises a clean ``error``, in bounded time and memory."""
    tracemalloc.start()
    start = time.perf_counter()
    outcome = "loaded"
    try:
        load()
    except error as exc:
        text = str(exc)
        assert text and "\n" not in text.strip() and "Traceback" not in text, (path, text)
        assert len(text) < 600, (path, text[:600])
        assert ".tmp" not in text, (path, text)
        outcome = "refused"
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < CASE_SECONDS, f"{path}: {elapsed:.1f} s"
    assert peak < CASE_BYTES, f"{path}: {peak / 2**20:.0f} MiB"
    return outcome


def _keep(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_mutated_weight_files_load_or_are_refused_cleanly(tmp_path):
    rng = np.random.default_rng([SEED, 1])
    outcomes = [_check(lambda p=p: load_weights(p), WeightFileError, p)
                for p in (_keep(tmp_path, f"w{i}.npz", _mutate_weights(rng)) for i in range(FUZZ_CASES))]
    assert "refused" in outcomes           # the mutations reach the checks


def test_mutated_sessions_load_or_are_refused_cleanly(tmp_path):
    rng = np.random.default_rng([SEED, 2])
    doc = _session_doc()
    outcomes = []
    for i in range(FUZZ_CASES):
        path = _keep(tmp_path, f"s{i}.wbsession", _mutate_session(rng, doc))
        outcomes.append(_check(lambda p=path: load_session(p), SessionError, path))
    assert outcomes.count("refused") > FUZZ_CASES // 4 and "loaded" in outcomes


def test_mutated_csv_files_load_or_are_refused_cleanly(tmp_path):
    rng = np.random.default_rng([SEED, 3])
    outcomes = []
    for i in range(FUZZ_CASES):
        path = _keep(tmp_path, f"c{i}.csv", _mutate_csv(rng))
        outcomes.append(_check(lambda p=path: load_dataset(f"csv:{p}"), DataError, path))
    assert "refused" in outcomes and "loaded" in outcomes


def test_the_unmutated_files_load(tmp_path):
    """The seeds themselves are good, so every refusal above comes from a mutation."""
    assert load_weights(_keep(tmp_path, "w.npz", _weight_bytes())).sizes == [3, 4, 2]
    path = tmp_path / "s.wbsession"
    path.write_text(json.dumps(_session_doc()))
    assert load_session(str(path)).name == "fuzz"
    assert load_dataset(f"csv:{_keep(tmp_path, 'c.csv', CSV_TEXT.encode())}").n_inputs == 3
