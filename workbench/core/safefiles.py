"""Reading a user's file without trusting it: regular files only, never more than a stated size.

Every loader (sessions, weights, CSV, IDX) opens through ``open_regular`` or reads through
``read_bounded``, so a named pipe never blocks, a device (``/dev/zero``) or a sparse 10 GB file is
refused before it is read, and a symlink loop or a permission problem becomes one sentence.
Refusals are ``UnreadableFile`` (a ValueError); loaders re-raise the text as their own error.

The other way round, ``spreadsheet_text`` keeps a text cell Workbench writes into a CSV file from
being taken for a formula when the file is opened in a spreadsheet.
"""

from __future__ import annotations

import errno
import os
import re
import stat

__all__ = ["UnreadableFile", "file_kind", "open_regular", "read_bounded", "too_large", "format_bytes", "spreadsheet_text",
           "spreadsheet_row"]


class UnreadableFile(ValueError):
    """A file that is not read: missing, not regular, too large or not accessible; says why."""


def format_bytes(size: float) -> str:
    """A size for a message: "512 bytes", "3.2 MiB", "75 GiB"."""
    if size < 1024:
        return f"{int(size)} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        size /= 1024
        if size < 1024 or unit == "PiB":
            return f"{size:,.1f} {unit}" if size < 10 else f"{size:,.0f} {unit}"
    raise AssertionError("unreachable")


def too_large(path, size: int, limit: int, what: str) -> str:
    return (f"{path} is too large to be a {what} ({format_bytes(size)}; "
            f"at most {format_bytes(limit)} are read).")


def file_kind(mode: int) -> str:
    """What a non-regular file is, for a message: "a folder", "a named pipe (FIFO)", "a device"…"""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refusal(path, exc: OSError, what: str) -> str:
    if exc.errno == errno.ENOENT:
        return f"Cannot open {path}: no such file."
    if exc.errno == errno.EISDIR:
        return f"{path} is a folder, not a {what}."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"Cannot read {path}: permission denied."
    if exc.errno == errno.ELOOP:
        return f"Cannot read {path}: it is a loop of symbolic links."
    if exc.errno == errno.ENOTDIR:
        return f"{path}: a part of the path is not a folder."
    if exc.errno == errno.ENAMETOOLONG:
        return f"Cannot read {path}: the name is too long."
    return f"Cannot read {path}: {exc.strerror or exc}."


def open_regular(path, what: str = "file", limit: int | None = None):
    """Open ``path`` for binary reading if it is a regular file (at most ``limit`` bytes).

    Returns ``(file, size)``; raises UnreadableFile with one sentence otherwise.  The open itself
    cannot block: it is non-blocking, so a named pipe with no writer is seen and refused.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(_refusal(path, exc, what)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"{path} is {file_kind(info.st_mode)}, not a {what}; only regular "
                                 f"files are read.")
        if limit is not None and info.st_size > limit:
            raise UnreadableFile(too_large(path, info.st_size, limit, what))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return handle, info.st_size


def read_bounded(path, limit: int, what: str = "file") -> bytes:
    """The whole of regular file ``path``, refused unread when it holds more than ``limit`` bytes.

    The read itself is bounded too (a file that grows while it is read stops at ``limit + 1``).
    """
    handle, size = open_regular(path, what, limit)
    with handle:
        try:
            data = handle.read(size + 1)        # the size it has, not the limit, is allocated
            if len(data) > size:                # it grew while being read: go on, in blocks
                parts, total = [data], len(data)
                while total <= limit and (block := handle.read(min(1 << 20, limit + 1 - total))):
                    parts.append(block)
                    total += len(block)
                data = b"".join(parts)
        except OSError as exc:
            raise UnreadableFile(_refusal(path, exc, what)) from None
    if len(data) > limit:
        raise UnreadableFile(too_large(path, len(data), limit, what))
    return data


#: What a spreadsheet reads as the start of a formula (or, for tab and CR, hides before one).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def spreadsheet_text(cell: str) -> str:
    """A text cell for a CSV file that spreadsheets will not run: one that starts with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (the usual neutralising
    of spreadsheet-safe exporters, e.g. "=HYPERLINK(…)" -> "'=HYPERLINK(…)"), unless it is a plain
    number such as "-0.5" or "+3e-5", which stays a number."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def spreadsheet_row(cells) -> list:
    """``cells`` with every str passed through ``spreadsheet_text`` (numbers and None as given)."""
    return [spreadsheet_text(c) if isinstance(c, str) else c for c in cells]
