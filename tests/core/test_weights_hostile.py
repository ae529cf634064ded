"""Hostile weight files: nothing is read unbounded, nothing allocated before it is checked against
the architecture, no special file blocks, and valid variants (big-endian, Fortran order) load.

The bombs and huge headers are crafted here and stay small on disk; tracemalloc (numpy reports its
allocations to it) bounds what a refusal may allocate.
"""

from __future__ import annotations

import io
import json
import os
import struct
import threading
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from workbench.core import Network, WeightFileError, load_weights, save_weights, weights_to_bytes
from workbench.core import serialization

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")


@pytest.fixture
def net():
    return Network.create([4, 5, 3], ["tanh", "softmax"], "log-likelihood", rng=np.random.default_rng(2))


def architecture(sizes=(4, 5, 3), activations=("tanh", "softmax"), cost="log-likelihood", dtype=None):
    text = json.dumps({"format": "workbench-weights", "version": 1, "sizes": list(sizes),
                       "activations": list(activations), "cost": cost})
    return np.array(text, dtype=dtype)


def npy_header(descr: str, shape: tuple, fortran: bool = False) -> bytes:
    """A version 1.0 .npy header declaring ``descr``/``shape`` (no data)."""
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode("latin1")
    text += b" " * ((-(10 + len(text) + 1)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def good_members(net) -> dict[str, bytes]:
    members = {"architecture.npy": npy(architecture())}
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        members[f"W{l}.npy"], members[f"b{l}.npy"] = npy(w), npy(b)
    return members


def refused_within(load, *, peak_bytes=64 * 2**20, seconds=5.0, match=None):
    """Run ``load()``; it must raise WeightFileError quickly, allocating little."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(WeightFileError, match=match) as info:
            load()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < seconds
    assert peak < peak_bytes, f"allocated {peak / 2**20:.0f} MiB before refusing"
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ----------------------------------------------------------------------------- special files
@posix_only
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_unread(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    message = refused_within(lambda: load_weights(device), match="a device")
    assert device in message


def test_a_sparse_10_gb_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.npz"
    with open(path, "wb") as f:
        f.truncate(10 * 2**30)
    message = refused_within(lambda: load_weights(path), match="too large")
    assert "huge.npz" in message


@posix_only
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_error_of(lambda: load_weights(fifo))), daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():                  # the old reader blocks in open(): give it a writer to end
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(5)
        pytest.fail("load_weights blocked on a named pipe")
    assert isinstance(outcome[0], WeightFileError) and "named pipe" in str(outcome[0])


def _error_of(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the test inspects whatever came out
        return exc
    return None


@posix_only
def test_a_symlink_loop_is_one_sentence(tmp_path):
    os.symlink(tmp_path / "b.npz", tmp_path / "a.npz")
    os.symlink(tmp_path / "a.npz", tmp_path / "b.npz")
    message = refused_within(lambda: load_weights(tmp_path / "a.npz"), match="loop of symbolic links")
    assert "a.npz" in message


def test_oversized_bytes_and_file_objects_are_refused(monkeypatch, net):
    data = weights_to_bytes(net)
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", len(data) - 1)
    refused_within(lambda: load_weights(data), match="too large")

    class Stream(io.RawIOBase):     # not seekable: read with the bound
        def __init__(self):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self.inner.readinto(buffer)

    refused_within(lambda: load_weights(Stream()), match="too large")
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", len(data))
    assert load_weights(Stream()).sizes == [4, 5, 3]
    assert load_weights(io.BytesIO(data)).sizes == [4, 5, 3]


# ----------------------------------------------------------------------------- declared sizes
def test_a_header_declaring_80_gb_is_refused_before_allocating(net, tmp_path):
    members = good_members(net)
    members["W0.npy"] = npy_header("<f8", (100_000, 100_000)) + b"\0" * 160
    path = tmp_path / "huge-header.npz"
    path.write_bytes(zip_of(members))
    assert path.stat().st_size < 4096
    message = refused_within(lambda: load_weights(path), match="'W0' has shape")
    assert "(4, 5)" in message


def test_an_architecture_of_32_gb_is_refused_before_any_array_is_read(net):
    members = good_members(net)
    members["architecture.npy"] = npy(architecture(sizes=(1_000_000, 4096, 3)))
    members["W0.npy"] = npy_header("<f8", (1_000_000, 4096)) + b"\0" * 160
    refused_within(lambda: load_weights(zip_of(members)), match="weights and biases")


def test_a_huge_architecture_string_is_refused_unread(net):
    members = good_members(net)
    members["architecture.npy"] = npy_header("<U250000000", ()) + b"\0" * 64
    refused_within(lambda: load_weights(zip_of(members)), match="'architecture' declares")


def test_a_huge_npy_header_length_is_refused_unread(net):
    members = good_members(net)
    members["W0.npy"] = b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{" * 64
    refused_within(lambda: load_weights(zip_of(members)), match=".npy header of")


def _bomb_archive(net, inflated: int, lie: bool) -> bytes:
    """An archive whose W0 member has the right header but inflates to ``inflated`` bytes; with
    ``lie`` the zip entry declares the size the header needs (so only the read bound stops it)."""
    members = good_members(net)
    honest = members.pop("W0.npy")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
        with archive.open("W0.npy", "w") as member:
            member.write(honest)
            zeros = b"\0" * 2**20
            for _ in range(inflated // len(zeros)):
                member.write(zeros)
    data = bytearray(buffer.getvalue())
    if lie:     # the central directory's uncompressed size (offset 24 of its entry for W0.npy)
        at = data.rfind(b"PK\x01\x02", 0, data.rfind(b"W0.npy"))
        data[at + 24:at + 28] = struct.pack("<L", len(honest))
    return bytes(data)


@pytest.mark.parametrize("lie", [False, True], ids=["declared", "lying"])
def test_a_deflate_bomb_inflates_no_further_than_the_architecture(net, tmp_path, lie):
    inflated = 256 * 2**20
    path = tmp_path / "bomb.npz"
    path.write_bytes(_bomb_archive(net, inflated, lie))
    assert path.stat().st_size < 2 * 2**20          # 256 MiB of zeros in well under 2 MiB
    refused_within(lambda: load_weights(path), peak_bytes=48 * 2**20,
                   match="zip entry declares" if not lie else "corrupt|more data")


def test_too_many_zip_entries_are_refused_before_the_directory_is_read(net):
    members = good_members(net)
    members.update({f"junk{i}": b"" for i in range(2000)})
    refused_within(lambda: load_weights(zip_of(members)), match="zip directory lists 2,005 entries")


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compressions_numpy_does_not_write_are_refused(net, compression):
    data = zip_of(good_members(net), compression)
    refused_within(lambda: load_weights(data), match="compression")


def test_duplicate_and_trailing_data_are_refused(net):
    members = good_members(net)
    members["W0"] = members["W0.npy"]
    refused_within(lambda: load_weights(zip_of(members)), match="'W0' twice")
    members = good_members(net)
    members["b1.npy"] += b"\0" * 8
    refused_within(lambda: load_weights(zip_of(members)), match="'b1' is damaged")


@pytest.mark.parametrize("text", ["[" * 100_000, '{"format": "workbench-weights", "version": ' + "9" * 5000 + "}"])
def test_hostile_architecture_json_is_one_sentence(net, text):
    members = good_members(net)
    members["architecture.npy"] = npy(np.array(text))
    refused_within(lambda: load_weights(zip_of(members)), match="'architecture' is not valid JSON")


def test_a_boolean_version_is_not_version_1(net):
    members = good_members(net)
    members["architecture.npy"] = npy(np.array(json.dumps(
        {"format": "workbench-weights", "version": True, "sizes": [4, 5, 3],
         "activations": ["tanh", "softmax"], "cost": "log-likelihood"})))
    refused_within(lambda: load_weights(zip_of(members)), match="version true")


# ----------------------------------------------------------------------------- valid variants
@pytest.mark.parametrize("order", [">f8", ">f4", "<f4"])
def test_big_endian_and_mixed_arrays_load_in_native_order(net, order, tmp_path):
    members = {"architecture.npy": npy(architecture(dtype=">U400"))}
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        members[f"W{l}.npy"], members[f"b{l}.npy"] = npy(w.astype(order)), npy(b.astype(">f8"))
    path = tmp_path / "big-endian.npz"
    path.write_bytes(zip_of(members))
    loaded = load_weights(path)
    assert loaded.dtype == np.dtype(order[1:])
    for a, b in zip(net.weights + net.biases, loaded.weights + loaded.biases):
        assert b.dtype.isnative
        np.testing.assert_array_equal(b, a.astype(order).astype(b.dtype))


def test_fortran_order_and_compressed_files_load(net, tmp_path):
    members = good_members(net)
    members["W1.npy"] = npy(np.asfortranarray(net.weights[1]))
    loaded = load_weights(zip_of(members, zipfile.ZIP_DEFLATED))
    np.testing.assert_array_equal(loaded.weights[1], net.weights[1])
    path = tmp_path / "compressed.npz"
    arrays = {"architecture": architecture()}
    arrays.update({f"W{l}": w for l, w in enumerate(net.weights)})
    arrays.update({f"b{l}": b for l, b in enumerate(net.biases)})
    np.savez_compressed(path, **arrays)
    np.testing.assert_array_equal(load_weights(path).biases[0], net.biases[0])


def test_a_saved_network_still_round_trips_bit_exactly(tmp_path):
    network = Network.create([3, 7, 2], ["relu", "sigmoid"], "cross-entropy", rng=np.random.default_rng(5),
                             dtype="float64")
    save_weights(network, tmp_path / "w.npz")
    loaded = load_weights(tmp_path / "w.npz")
    for a, b in zip(network.weights + network.biases, loaded.weights + loaded.biases):
        assert a.dtype == b.dtype and np.array_equal(a, b)
