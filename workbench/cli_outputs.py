"""The command line's output files: checked before anything is loaded, written with one sentence
on failure.

``_check_outputs`` refuses, before any data is loaded, an output whose folder is missing or takes
no files, one that is a folder, a device or a pipe (only --log may be a pipe or a device), two
options naming the same file and a --log that would overwrite an input.  ``_Log`` writes the --log
records (``-`` is standard output) and stops only itself when a write fails; ``_written`` says on
stdout where a save went or on stderr why it did not, naming the user's path, never a temporary
file's.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from pathlib import Path

from .cli_args import UsageError
from .core import WeightFileError
from .core.safefiles import file_kind
from .core.sessionfile import SessionError

#: --log's name for standard output.
STDOUT = "-"


def _reason(exc: BaseException) -> str:
    """Why an OSError happened, without the file name it carries (a temporary file's, maybe)."""
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


def _check_output(option: str, path: str, streamed: bool = False) -> None:
    """UsageError unless ``path`` can take what ``option`` writes: not a folder, its folder exists
    and takes new files (an atomic save writes a temporary file there first), an existing file is
    writable. Only a streamed output (--log) may be a pipe, a device such as /dev/stdout or ``-``
    (standard output); a save would replace the device with a file."""
    if streamed and path == STDOUT:
        return
    where = f"{option} {path}"
    target = Path(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise UsageError(f"{where}: a part of the path before the file name is a file, not a folder") from None
    except OSError as exc:                         # a symbolic link loop, a name too long, …
        raise UsageError(f"{where}: {_reason(exc)}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{where} is a folder; name a file (in it, for instance)")
        if not stat.S_ISREG(info.st_mode) and not streamed:
            raise UsageError(f"{where} is {file_kind(info.st_mode)}, not a file; name a file")
        if stat.S_ISSOCK(info.st_mode):
            raise UsageError(f"{where} is a socket, which cannot be written as a file; name a file or a pipe")
        if not os.access(target, os.W_OK):
            raise UsageError(f"{where}: the file is read-only")
        if streamed:
            return                                 # written in place: its folder takes no new file
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"{where}: the folder {folder} does not exist" if not folder.exists()
                         else f"{where}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{where}: files cannot be created in {folder} (no permission, or a read-only disk)")


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_outputs(outputs: dict[str, str | None], inputs: dict[str, str | None]) -> None:
    """Check each output (option → path) and that no two name the same file, nor --log an input
    (a --log of ``-`` is standard output, no file)."""
    if outputs.get("--log") == STDOUT:
        outputs = {**outputs, "--log": None}
    named = [(option, path) for option, path in outputs.items() if path]
    for option, path in named:
        _check_output(option, path, streamed=option == "--log")
    for i, (option, path) in enumerate(named):
        for other, other_path in named[i + 1:]:
            if _same_file(path, other_path):
                raise UsageError(f"{option} and {other} name the same file, {path}")
    log = outputs.get("--log")
    for option, path in inputs.items():
        if log and path and _same_file(log, path):
            raise UsageError(f"--log {log} would overwrite {option} {path} as the run starts")


def _check_room(option: str, path: str, needed: int, what: str) -> None:
    """UsageError if the disk that will hold ``path`` has less than ``needed`` bytes free."""
    from .core.safefiles import format_bytes

    try:
        free = shutil.disk_usage(Path(path).parent).free
    except OSError:
        return
    if free < needed:
        raise UsageError(f"{option} {path}: the disk holding it has {format_bytes(free)} free and "
                         f"{what} need about {format_bytes(needed)}")


def _weight_file_bytes(net) -> int:
    """About the size of net's .npz: its arrays and, per array, a header and a zip entry."""
    return sum(a.nbytes + 512 for a in net.weights + net.biases) + 2048


def _open_log(path: str) -> int:
    """A descriptor of the --log file opened for writing; a pipe only once a program reads it
    (opening one that nobody reads would wait for ever)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NONBLOCK", 0), 0o666)
    except OSError as exc:
        if exc.errno == errno.ENXIO:               # no reader on a pipe; a socket; a device not there
            raise UsageError(f"--log {path} {_unopenable(path, exc)}") from None
        raise UsageError(f"--log {path}: {_reason(exc)}") from None
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd


def _unopenable(path: str, exc: OSError) -> str:
    """Why ``path`` refused to open with ENXIO, to follow its name in a sentence."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    if stat.S_ISFIFO(mode):
        return "is a pipe that no program is reading"
    if stat.S_ISSOCK(mode):
        return "is a socket, which cannot be written as a file; name a file or a pipe"
    return f"cannot be opened: {_reason(exc)}"


class _Log:
    """The --log records, one JSON line each, written straight to the file (no buffer). A write
    that fails (a full disk) stops the log: a file it opened is cut back to its last whole record,
    stderr says so once, and training goes on; ``stopped`` then holds the reason.

    ``path`` ``-`` writes to ``out`` (standard output): to its descriptor, after what it holds,
    where it has one, else to the stream itself; it is never closed here."""

    def __init__(self, path: str | None, out, err):
        self.path, self.err, self.stopped = path, err, None
        self.fd, self.stream, self.owned = None, None, False
        if path == STDOUT:
            self.fd = _descriptor(out)
            self.stream = out if self.fd is None else None
        elif path:
            self.fd, self.owned = _open_log(path), True
        self.whole = 0                                 # bytes of whole records written
        self.regular = self.owned and stat.S_ISREG(os.fstat(self.fd).st_mode)

    @property
    def open(self) -> bool:
        return self.fd is not None or self.stream is not None

    def write(self, entry: dict) -> None:
        if not self.open:
            return
        line = json.dumps(entry) + "\n"
        record = line.encode("utf-8")
        try:
            if self.stream is not None:
                self.stream.write(line)
                self.stream.flush()
            else:
                rest = memoryview(record)
                while rest:
                    rest = rest[os.write(self.fd, rest):]
        except (OSError, ValueError) as exc:         # ValueError: a stream closed under it
            self._stop(entry["epoch"], exc)
            return
        self.whole += len(record)

    def close(self) -> None:
        if self.owned and self.fd is not None:
            os.close(self.fd)
        self.fd, self.stream = None, None

    def _stop(self, epoch: int, exc: Exception) -> None:
        self.stopped = _reason(exc)
        if self.regular:
            try:
                os.ftruncate(self.fd, self.whole)      # no half record at its end
            except OSError:
                pass
        self.close()
        name = "on standard output" if self.path == STDOUT else self.path
        print(f"workbench: error: the log {name} stopped at the summary of epoch {epoch}: "
              f"{self.stopped}; training goes on without it", file=self.err, flush=True)


def _descriptor(stream) -> int | None:
    """The file descriptor under a text stream, emptied of what it buffers first; None if it has none."""
    try:
        stream.flush()
        return stream.fileno()
    except (AttributeError, OSError, ValueError):     # io.UnsupportedOperation is both of the last two
        return None


def _written(what: str, path: str, save, out, err) -> bool:
    """Call ``save()``; say on stdout that ``what`` went to ``path``, or on stderr why not."""
    try:
        save()
    except (OSError, WeightFileError, SessionError) as exc:
        message = str(exc) if not isinstance(exc, OSError) else ""
        if path not in message:
            message = f"{what} could not be written to {path}: {_reason(exc)}"
        print(f"workbench: error: {message}", file=err, flush=True)
        return False
    print(f"Saved {what} to {path}", file=out)
    return True

