"""Atomic file writes: a save either replaces its target completely or leaves it as it was."""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from pathlib import Path

_UMASK_LOCK = threading.Lock()


def _current_umask() -> int:
    """The process's umask, read without a window in which another thread could see it changed.

    On Linux it comes from /proc/self/status ("Umask:"); elsewhere ``os.umask`` is set and put back
    under a module lock (``os.umask`` is process-wide, so only writers that go through this lock are
    protected from each other).
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write(path, write, mode="wb"):
    """Call ``write(fileobj)`` on a temporary file in path's folder, then rename it to ``path``.

    ``mode`` is "wb" (binary) or "w" (text: UTF-8, newline=""). The new file gets the permission
    bits of the file it replaces, or ``0o666 & ~umask`` when there is none (as ``open`` would give
    it), not the 0600 of a plain ``tempfile.mkstemp``. The data is fsynced before the rename; on
    any error (or KeyboardInterrupt) the temporary file is removed and ``path`` is left as it was.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write writes with mode 'wb' or 'w', not {mode!r}")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        permissions = stat.S_IMODE(os.stat(path).st_mode) & 0o777
    except (FileNotFoundError, NotADirectoryError):
        permissions = 0o666 & ~_current_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, permissions)
            else:  # Windows before Python 3.13: only the read-only flag means anything there
                os.chmod(tmp, permissions)
        except OSError:
            pass    # a file system without Unix permissions (FAT, some network shares): keep its default
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as f:
            fd = None   # the file object owns (and closes) the descriptor from here
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; best effort, nothing to do elsewhere)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
