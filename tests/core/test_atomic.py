"""atomic_write: new files follow the umask, replaced files keep their permissions, failures leave
the old file and no temporary file behind; every exporter goes through it."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from workbench.core import Network, atomic_write, export_csv, export_json, save_weights
from workbench.core import atomic
from workbench.data import export_csv as export_dataset_csv
from workbench.data import load_dataset

posix_only = pytest.mark.skipif(os.name != "posix", reason="Unix permission bits")


@pytest.fixture
def umask():
    """Call ``umask(value)`` to set the process umask for the test; the old one comes back after."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def net():
    return Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(0))


@posix_only
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664), (0o027, 0o640)])
def test_a_new_file_follows_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    atomic_write(tmp_path / "w.bin", lambda f: f.write(b"data"))
    atomic_write(tmp_path / "w.txt", lambda f: f.write("text"), mode="w")
    assert mode_of(tmp_path / "w.bin") == expected
    assert mode_of(tmp_path / "w.txt") == expected
    assert (tmp_path / "w.bin").read_bytes() == b"data"


@posix_only
@pytest.mark.parametrize("existing", [0o640, 0o600, 0o664, 0o444])
def test_a_replaced_file_keeps_its_permissions(tmp_path, umask, existing):
    umask(0o022)
    path = tmp_path / "w.bin"
    path.write_bytes(b"old")
    os.chmod(path, existing)
    atomic_write(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new"
    assert mode_of(path) == existing
    assert os.listdir(tmp_path) == ["w.bin"]


@posix_only
def test_the_umask_is_read_without_changing_it(tmp_path, umask, monkeypatch):
    umask(0o037)
    assert atomic._current_umask() == 0o037

    def no_proc(*args, **kwargs):        # a system without /proc/self/status: os.umask under a lock
        raise OSError("no /proc")

    monkeypatch.setattr(atomic, "open", no_proc, raising=False)
    assert atomic._current_umask() == 0o037
    atomic_write(tmp_path / "w.bin", lambda f: f.write(b"x"))
    assert mode_of(tmp_path / "w.bin") == 0o640
    assert umask(0o037) == 0o037          # still what the test set


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failing_writer_leaves_the_old_file_and_no_temporary_file(tmp_path, error):
    path = tmp_path / "keep.bin"
    path.write_bytes(b"old contents")

    def write(f):
        f.write(b"half of the new")
        raise error("writer failed")

    with pytest.raises(error):
        atomic_write(path, write)
    assert path.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["keep.bin"]


def test_a_failing_rename_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.txt"
    path.write_text("old")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(PermissionError):
        atomic_write(path, lambda f: f.write("new"), mode="w")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_text_mode_is_utf8_without_newline_translation(tmp_path):
    path = tmp_path / "t.csv"
    atomic_write(path, lambda f: f.write("η,é\r\nline\n"), mode="w")
    assert path.read_bytes() == "η,é\r\nline\n".encode("utf-8")


def test_a_missing_folder_or_a_bad_mode_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "missing" / "w.bin", lambda f: f.write(b"x"))
    with pytest.raises(ValueError, match="'wb' or 'w'"):
        atomic_write(tmp_path / "w.bin", lambda f: f.write(b"x"), mode="ab")
    assert os.listdir(tmp_path) == []


@posix_only
def test_every_exporter_writes_files_the_umask_allows(tmp_path, umask):
    umask(0o022)
    network = net()
    save_weights(network, tmp_path / "w.npz")
    export_json(network, tmp_path / "w.json")
    export_csv(network, tmp_path / "w.csv")
    assert export_dataset_csv(load_dataset("xor"), tmp_path / "xor.csv") == 8
    for name in ("w.npz", "w.json", "w.csv", "xor.csv"):
        assert mode_of(tmp_path / name) == 0o644, name
    assert sorted(os.listdir(tmp_path)) == ["w.csv", "w.json", "w.npz", "xor.csv"]


@posix_only
def test_exporters_replacing_a_private_file_keep_it_private(tmp_path, umask):
    umask(0o022)
    for name in ("w.npz", "xor.csv"):
        (tmp_path / name).write_bytes(b"old")
        os.chmod(tmp_path / name, 0o600)
    save_weights(net(), tmp_path / "w.npz")
    export_dataset_csv(load_dataset("xor"), tmp_path / "xor.csv")
    assert mode_of(tmp_path / "w.npz") == mode_of(tmp_path / "xor.csv") == 0o600
    assert (tmp_path / "xor.csv").read_text().startswith("x1,x2,")
