"""Atomic file writes: a save either replaces its target completely or leaves it as it was.

A save writes ``.NAME.wb-HOST-PID-XXXXXXXX.tmp`` in the target's folder, fsyncs it and renames it
over the target. The name says whose it is, so a later save into the same folder removes what a
killed save (kill -9, power cut) left behind: a temporary file of this naming whose process is gone
on this machine, or one nobody has written to for ``STALE_SECONDS``, never anything else.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
import stat
import tempfile
import threading
import time
from pathlib import Path

from .safefiles import file_kind

__all__ = ["atomic_write", "remove_stale_temporaries", "save_error", "sync_folder", "SaveError", "STALE_SECONDS"]

_UMASK_LOCK = threading.Lock()

#: A temporary file of ours that nobody has written to for this long is left over, whoever made it.
STALE_SECONDS = 24 * 3600
#: At most this much of the target's name goes into a temporary file's name (NAME_MAX is 255).
_NAME_PART = 120
_TEMPORARY = re.compile(r"\..*\.wb-(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]{1,10})-[a-z0-9_]{8}\.tmp", re.DOTALL)


class SaveError(OSError):
    """A save that did not happen. ``str()`` is the cause alone ("No space left on device"), so a
    message can say "Cannot write PATH: CAUSE."; ``filename`` is the user's path, never the
    temporary file's, and ``errno`` is kept. Each instance is also of the built-in class the system
    error had (``FileNotFoundError``, ``PermissionError``…), so existing handlers still match."""

    def __str__(self) -> str:
        return self.strerror or "the system gave no reason"


_SAVE_ERRORS: dict[type, type] = {}


def save_error(kind: type, code: int | None, cause: str, path) -> SaveError:
    """A SaveError that is also a ``kind`` (FileNotFoundError, PermissionError, …)."""
    if kind not in _SAVE_ERRORS:
        try:
            _SAVE_ERRORS[kind] = kind if issubclass(kind, SaveError) else type(
                kind.__name__, (SaveError, kind), {"__module__": __name__, "__doc__": SaveError.__doc__})
        except TypeError:           # a class that cannot be combined: the cause is what matters
            _SAVE_ERRORS[kind] = SaveError
    try:
        error = _SAVE_ERRORS[kind](code, cause)
    except TypeError:
        error = SaveError(code, cause)
    error.filename = str(path)
    return error


def _host_tag() -> str:
    return hashlib.blake2s(socket.gethostname().encode("utf-8", "replace"), digest_size=4).hexdigest()


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


def _target(path: Path) -> tuple[Path, os.stat_result | None]:
    """The file a save to ``path`` replaces, symbolic links followed, and its status (None when
    there is none yet). A folder, a device, a FIFO or a socket is refused: it is not replaced."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise save_error(OSError, errno.ELOOP, "it is a loop of symbolic links", path) from None
        raise save_error(type(exc), exc.errno, exc.strerror or str(exc), path) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise save_error(IsADirectoryError, errno.EISDIR, "it is a folder", path)
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise save_error(OSError, errno.EINVAL, f"it is {file_kind(info.st_mode)}; only regular files are "
                          "replaced", path)
    # a link (or a dangling one: the save creates the file it names, as open() would) is written
    # through, so the link stays a link
    return (Path(os.path.realpath(path)) if os.path.islink(path) else path), info


def _cause(exc: OSError, folder: Path, at_create: bool) -> str:
    if at_create and exc.errno == errno.ENOENT:
        return f"the folder {folder} does not exist"
    if at_create and exc.errno == errno.ENOTDIR:
        return f"{folder} is not a folder"
    if at_create and exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied (no new files can be made in {folder})"
    reason = exc.strerror
    if not reason or reason.lower().startswith("unknown error"):
        code = errno.errorcode.get(exc.errno or 0)
        reason = (f"{os.strerror(exc.errno)} ({code})" if code else str(exc) or type(exc).__name__)
    return reason


def _process_exists(pid: int) -> bool:
    if pid <= 0 or os.name != "posix":
        return True     # not a pid we wrote, or no harmless probe (Windows' os.kill terminates)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[str]:
    """Remove the temporary files earlier saves into ``folder`` left behind; return their names.

    Only regular files named as ``atomic_write`` names them are candidates; one goes when the
    process that wrote it (on this machine) no longer exists, or when it has not been written to for
    ``STALE_SECONDS`` (another machine's, or a pid since reused). Errors are ignored: this is
    housekeeping, never a reason for a save to fail.
    """
    removed = []
    host, now = _host_tag(), time.time()
    try:
        entries = os.scandir(folder)
    except OSError:
        return removed
    with entries:
        for entry in entries:
            match = _TEMPORARY.fullmatch(entry.name)
            if match is None:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    continue
                gone = match["host"] == host and not _process_exists(int(match["pid"]))
                if gone or now - info.st_mtime > STALE_SECONDS:
                    os.unlink(entry.path)
                    removed.append(entry.name)
            except OSError:
                continue
    return removed


def atomic_write(path, write, mode="wb"):
    """Call ``write(fileobj)`` on a temporary file in the target's folder, then rename it over it.

    ``mode`` is "wb" (binary) or "w" (text: UTF-8, newline=""). What is replaced keeps what it was:
    the new file gets the permission bits (and, where allowed, the owner and group) of the file it
    replaces, or ``0o666 & ~umask`` when there is none (as ``open`` would give it); a symbolic link
    is written through to the file it points to and stays a link; a folder, device, FIFO or socket
    is refused before anything is written. The data is fsynced before the rename; on any error (or
    KeyboardInterrupt) the temporary file is removed and the target is left as it was. System
    errors come out as ``SaveError`` (an OSError of the original class) naming the cause and the
    user's path. Stale temporary files of earlier, killed saves in the folder are removed first.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write writes with mode 'wb' or 'w', not {mode!r}")
    path = Path(path)
    target, existing = _target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if existing is not None:
        permissions = stat.S_IMODE(existing.st_mode) & 0o777
    else:
        permissions = 0o666 & ~_current_umask()
    remove_stale_temporaries(folder)
    prefix = f".{target.name[:_NAME_PART]}.wb-{_host_tag()}-{os.getpid()}-"
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    except OSError as exc:
        raise save_error(type(exc), exc.errno, _cause(exc, folder, at_create=True), path) from None
    try:
        _copy_metadata(fd, tmp, permissions, existing)
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as f:
            fd = None   # the file object owns (and closes) the descriptor from here
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        if fd is not None:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, SaveError):
            raise save_error(type(exc), exc.errno, _cause(exc, folder, at_create=False), path) from None
        raise
    sync_folder(folder)


def _copy_metadata(fd: int, tmp: str, permissions: int, existing: os.stat_result | None) -> None:
    """Give the temporary file the mode (and owner) the replaced file had; best effort."""
    if existing is not None and hasattr(os, "fchown") and \
            (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, existing.st_uid, existing.st_gid)     # root, or a group of one's own
        except OSError:
            pass
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, permissions)
        else:  # Windows before Python 3.13: only the read-only flag means anything there
            os.chmod(tmp, permissions)
    except OSError:
        pass    # a file system without Unix permissions (FAT, some network shares): keep its default


def sync_folder(folder: Path) -> None:
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
