"""Saves change nothing but the contents of what they replace: the mode stays, a symbolic link
stays a link (its file is written), special files and folders are refused; temporary files of
killed saves are cleaned up, only ours; a full disk is named, the target untouched."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from workbench.core import Network, atomic_write, export_csv, export_json, save_weights
from workbench.core import atomic
from workbench.core.atomic import SaveError
from workbench.core.history import RunHistory
from workbench.core.sessionfile import Session, SessionError, save_session
from workbench.data import export_csv as export_dataset_csv
from workbench.data import load_dataset
from workbench.data.errors import DataError

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX files")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def net():
    return Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(0))


def history():
    h = RunHistory(n_layers=2)
    h.add_marker("start", 0.0)
    return h


#: Every writer of a user's file: name -> write(path).
WRITERS = {
    "weights.npz": lambda p: save_weights(net(), p),
    "weights.json": lambda p: export_json(net(), p),
    "weights.csv": lambda p: export_csv(net(), p),
    "history.csv": lambda p: history().write_csv(p),
    "data.csv": lambda p: export_dataset_csv(load_dataset("xor"), p),
    "session.wbsession": lambda p: save_session(str(p), Session(name="s")),
}


def temporaries(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


# ----------------------------------------------------------------------------- what is replaced
@posix_only
@pytest.mark.parametrize("name", WRITERS)
@pytest.mark.parametrize("existing", [0o644, 0o600, 0o640, 0o664])
def test_every_writer_keeps_the_mode_of_the_file_it_replaces(tmp_path, name, existing):
    path = tmp_path / name
    path.write_bytes(b"old")
    os.chmod(path, existing)
    old_umask = os.umask(0o077)         # a strict umask must not leak into a replaced file
    try:
        WRITERS[name](path)
    finally:
        os.umask(old_umask)
    assert mode_of(path) == existing
    assert path.read_bytes() != b"old"
    assert os.listdir(tmp_path) == [name]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing owners needs root")
def test_root_replacing_a_users_file_keeps_its_owner(tmp_path):
    path = tmp_path / "theirs.npz"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    os.chown(path, 4321, 4322)
    save_weights(net(), path)
    info = os.stat(path)
    assert (info.st_uid, info.st_gid) == (4321, 4322) and mode_of(path) == 0o644


@posix_only
@pytest.mark.parametrize("name", WRITERS)
def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path, name):
    real_folder = tmp_path / "real"
    real_folder.mkdir()
    real = real_folder / name
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / ("link-" + name)
    os.symlink(os.path.join("real", name), link)        # relative, as users make them
    WRITERS[name](link)
    assert os.path.islink(link) and os.readlink(link) == os.path.join("real", name)
    assert real.read_bytes() != b"old" and mode_of(real) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["link-" + name, "real"]
    assert os.listdir(real_folder) == [name]


@posix_only
def test_a_dangling_link_creates_the_file_it_names(tmp_path):
    link = tmp_path / "w.bin"
    os.symlink("made.bin", link)
    atomic_write(link, lambda f: f.write(b"new"))
    assert os.path.islink(link) and (tmp_path / "made.bin").read_bytes() == b"new"


def _special_files(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    found = {"fifo": (fifo, "named pipe")}
    try:
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        found["device"] = (device, "a device")
    except (PermissionError, OSError):
        pass
    found["folder"] = (tmp_path / "folder", "a folder")
    (tmp_path / "folder").mkdir()
    return found


@posix_only
@pytest.mark.parametrize("name", WRITERS)
def test_special_files_and_folders_are_refused_not_replaced(tmp_path, name):
    for kind, (path, phrase) in _special_files(tmp_path).items():
        before = os.lstat(path)
        with pytest.raises((OSError, SessionError, DataError)) as info:
            WRITERS[name](path)
        message = str(info.value)
        assert phrase in message, (kind, message)
        assert ".tmp" not in message and "\n" not in message
        after = os.lstat(path)
        assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode) and after.st_ino == before.st_ino, kind
    assert temporaries(tmp_path) == []


@posix_only
def test_the_cli_refuses_to_export_onto_a_device(tmp_path, capsys):
    from workbench.cli import main

    device = tmp_path / "full"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))      # like /dev/full
    except (PermissionError, OSError):
        device = tmp_path / "pipe"
        os.mkfifo(device)
    assert main(["data", "xor", "--export", str(device)]) != 0
    err = capsys.readouterr().err
    assert str(device) in err and "Exported" not in err and ".tmp" not in err
    assert not stat.S_ISREG(os.lstat(device).st_mode)


@posix_only
def test_a_symlink_loop_is_refused_with_a_sentence(tmp_path):
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(OSError, match="loop of symbolic links"):
        atomic_write(tmp_path / "a", lambda f: f.write(b"x"))
    assert temporaries(tmp_path) == []


def test_errors_name_the_users_path_and_never_a_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.bin"
    path.write_bytes(b"old")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", src, dst)

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(PermissionError) as info:
        atomic_write(path, lambda f: f.write(b"new"))
    assert isinstance(info.value, SaveError)
    assert str(info.value) == "Permission denied" and info.value.filename == str(path)
    assert info.value.filename2 is None and path.read_bytes() == b"old"
    with pytest.raises(FileNotFoundError, match=r"the folder .*missing does not exist"):
        atomic_write(tmp_path / "missing" / "w.bin", lambda f: f.write(b"x"))


# ----------------------------------------------------------------------------- stale temporaries
def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _ours(folder, name, pid, host=None, suffix="abcd1234"):
    path = folder / f".{name}.wb-{host or atomic._host_tag()}-{pid}-{suffix}.tmp"
    path.write_bytes(b"\0" * 1024)
    return path


@posix_only
def test_a_save_removes_stale_temporary_files_of_ours_only(tmp_path):
    dead = _ours(tmp_path, "w.npz", _dead_pid())
    live = _ours(tmp_path, "w.npz", os.getpid(), suffix="live0000")            # a writer at work
    elsewhere = _ours(tmp_path, "w.npz", _dead_pid(), host="0badc0de")        # another machine's
    old_elsewhere = _ours(tmp_path, "x.npz", 12345, host="0badc0de", suffix="old00000")
    past = time.time() - atomic.STALE_SECONDS - 60
    os.utime(old_elsewhere, (past, past))
    not_ours = [tmp_path / ".w.npz.abcd1234.tmp", tmp_path / "w.npz.wb-1-2-abcd1234.tmp",
                tmp_path / ".notes.wb-zz-1-abcd1234.tmp.txt"]
    for path in not_ours:
        path.write_bytes(b"user data")
        os.utime(path, (past, past))
    link = tmp_path / f".l.wb-{atomic._host_tag()}-{_dead_pid()}-abcd1234.tmp"
    os.symlink(tmp_path / "w.npz", link)
    save_weights(net(), tmp_path / "w.npz")
    left = set(os.listdir(tmp_path))
    assert dead.name not in left and old_elsewhere.name not in left
    assert {live.name, elsewhere.name} <= left
    assert {p.name for p in not_ours} <= left and link.name in left


@posix_only
def test_a_save_killed_midway_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    target = tmp_path / "big.npz"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {ROOT!r})
        from workbench.core import atomic_write
        def write(f):
            f.write(b"x" * 2**20)
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
        atomic_write({str(target)!r}, write)
    """)
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as child:
        try:
            assert child.stdout.readline().strip() == b"writing"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(30)
    left = temporaries(tmp_path)
    assert len(left) == 1 and f"-{child.pid}-" in left[0] and left[0].startswith(".big.npz.wb-")
    save_weights(net(), tmp_path / "other.npz")                          # any save into the folder
    assert os.listdir(tmp_path) == ["other.npz"]


# ----------------------------------------------------------------------------- a full disk
@pytest.fixture
def full_disk(tmp_path):
    """A 256 KiB tmpfs holding ``keep`` files for each writer, then filled to the last byte."""
    if os.name != "posix" or not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        for name in WRITERS:
            (folder / name).write_bytes(b"the old file")
        with contextlib.suppress(OSError), open(folder / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.parametrize("name", WRITERS)
def test_a_full_disk_is_named_and_the_target_left_as_it_was(full_disk, name):
    path = full_disk / name
    with pytest.raises((OSError, SessionError, DataError)) as info:
        WRITERS[name](path)
    message = str(info.value)
    assert "No space left on device" in message and ".tmp" not in message
    assert path.read_bytes() == b"the old file"
    assert temporaries(full_disk) == []
