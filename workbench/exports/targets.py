"""Where an export goes: a file replaced atomically, or a folder of files replaced together.

A file goes through ``atomic_write`` (complete and fsynced before it is renamed over the target,
which keeps its mode). A folder's files are first all written, complete, into a staging folder
(``.NAME.wb-export-XXXXXXXX``): a new target folder is that staging folder renamed into place in
one step; into an existing folder the staged files are renamed one by one over their namesakes
(each keeps the mode of the file it replaces), and files of other names are never touched.
Failing anywhere before the renames leaves the target exactly as it was.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import time
from pathlib import Path

from workbench.core.atomic import STALE_SECONDS, atomic_write, save_error, sync_folder
from workbench.core.safefiles import file_kind

from . import ExportError, TargetExists

__all__ = ["check_file_target", "folder_entries", "write_file", "write_folder"]


def _status(path: Path):
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise ExportError(f"{path}: a part of the path before the last name is a file, not a folder.") from None


def check_file_target(path, force: bool) -> None:
    """ExportError unless ``path`` may become (or be replaced by) an export file."""
    info = _status(Path(path))
    if info is None:
        return
    if stat.S_ISDIR(info.st_mode):
        raise ExportError(f"{path} is a folder; name a file.")
    if not stat.S_ISREG(info.st_mode):
        raise ExportError(f"{path} is {file_kind(info.st_mode)}; an export is written only as a regular file.")
    if not force:
        raise TargetExists(path)


def write_file(path, write) -> list[str]:
    """``write(binary file)`` into ``path`` atomically; returns [path]."""
    atomic_write(path, write)
    return [str(path)]


def _write_staged(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        atomic_write(folder / name, lambda f, data=data: f.write(data))


def _users(exc: OSError, path: Path) -> OSError:
    """``exc`` as a SaveError (of its own class too) naming the user's ``path`` instead of a staging file."""
    return save_error(type(exc), exc.errno, exc.strerror or str(exc) or type(exc).__name__, path)


def _staging_left(entry: Path) -> bool:
    """Whether ``entry`` is a staging folder of an export into its folder (which then still counts as
    empty); one nobody has written to for ``STALE_SECONDS`` (a killed export's) is removed."""
    if not entry.name.startswith(".wb-export-") or not entry.is_dir() or entry.is_symlink():
        return False
    try:
        if time.time() - entry.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)
    except OSError:
        pass
    return True


def folder_entries(path: Path) -> list[str]:
    """The names in the folder ``path`` that make it "not empty": all but export staging folders
    (those a killed export left, unused for ``STALE_SECONDS``, are removed on the way)."""
    return [name for name in os.listdir(path) if not _staging_left(Path(path) / name)]


def write_folder(path, files: dict[str, bytes], *, force: bool = False) -> list[str]:
    """Write ``files`` (name -> bytes) into the folder ``path``; returns the paths written.

    A missing folder is created (its parent must exist); an empty one is filled; a folder that
    holds anything is refused (TargetExists) unless ``force``. A file, or an entry of one of the
    names that is not a regular file, is refused before anything is written. A new folder appears
    whole (staged beside it, then renamed); into an existing one the files are replaced one by
    one, each atomically, model.py last. A failed write raises a SaveError naming ``path``.
    """
    path = Path(path)
    try:
        return _write_folder(path, files, force)
    except OSError as exc:
        raise _users(exc, path) from None


def _write_folder(path: Path, files: dict[str, bytes], force: bool) -> list[str]:
    info = _status(path)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise ExportError(f"{path} is {'a file' if stat.S_ISREG(info.st_mode) else file_kind(info.st_mode)}; "
                          "the PyTorch hand-over is a folder, so name a folder (new or empty).")
    written = [str(path / name) for name in files]
    token = secrets.token_hex(4)
    if info is None:
        if not path.parent.is_dir():
            raise ExportError(f"Cannot write {path}: the folder {path.parent} does not exist.")
        staging = path.parent / f".{path.name[:120]}.wb-export-{token}"
        os.mkdir(staging, 0o777)            # the umask applies, as to any new folder
        try:
            _write_staged(staging, files)
            os.rename(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        sync_folder(path.parent)
        return written
    try:
        present = folder_entries(path)
    except OSError as exc:
        raise ExportError(f"Cannot look into the folder {path}: {exc.strerror or exc}.") from None
    if present and not force:
        raise TargetExists(path, folder=True)
    replaced = {}
    for name in files:
        entry = _status(path / name) if name in present else None
        if entry is not None and not stat.S_ISREG(entry.st_mode):
            raise ExportError(f"{path / name} is {file_kind(entry.st_mode)}; the hand-over would replace it "
                              "with a file, so move it away first.")
        if entry is not None:
            replaced[name] = stat.S_IMODE(entry.st_mode)
    staging = path / f".wb-export-{token}"
    os.mkdir(staging, 0o777)
    try:
        _write_staged(staging, files)
        for name, mode in replaced.items():
            os.chmod(staging / name, mode)
        for name in sorted(files, key=lambda name: name == "model.py"):    # the code that reads them last
            os.replace(staging / name, path / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    sync_folder(path)
    return written
