"""The command line's output files: checked before anything is loaded, written with one sentence
on failure.

``_check_outputs`` refuses, before any data is loaded, an output whose folder is missing or takes
no files, one that is a folder, a device or a pipe (only --log may be a pipe or a device), two
options naming the same file and a --log that would overwrite an input.  ``_Log`` writes the --log
records (``-`` is standard output) and stops only itself when a write fails; ``_written`` says on
stdout where a save went or on stderr why it did not, naming the user's path, never a temporary
file's.  ``_SessionRun`` keeps the runs that --save-session writes as the window keeps them.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import time
from pathlib import Path

from .cli_args import UsageError
from .core import WeightFileError
from .core.runs import RunList, checkpoint_of, copy_history, shuffle_recipe
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
    _check_parent(where, target.parent)


def _check_parent(where: str, folder: Path, what: str = "files") -> None:
    """UsageError unless ``folder`` (where ``where`` is to be made) exists and takes new ``what``."""
    if not folder.is_dir():
        raise UsageError(f"{where}: the folder {folder} does not exist" if not folder.exists()
                         else f"{where}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{where}: {what} cannot be created in {folder} (no permission, or a read-only disk)")


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
    """Call ``save()``; say on stdout that ``what`` went to ``path`` (then the sentences ``save``
    returned on what it left out, if it returned a list), or on stderr why not."""
    try:
        notes = save()
    except (OSError, WeightFileError, SessionError) as exc:
        message = str(exc) if not isinstance(exc, OSError) else ""
        if path not in message:
            message = f"{what} could not be written to {path}: {_reason(exc)}"
        print(f"workbench: error: {message}", file=err, flush=True)
        return False
    print(f"Saved {what} to {path}", file=out)
    for note in notes if isinstance(notes, list) else ():
        print(note, file=out)
    return True


#: Checkpoints taken freely in one command; after them at least CHECKPOINT_GAP_S apart (as the
#: window's training thread: a due one sooner is skipped).
FREE_CHECKPOINTS = 100
CHECKPOINT_GAP_S = 0.05


class _SessionRun:
    """The runs --save-session writes, kept as the window keeps them (``gui.runs.RunsKeeper``).

    The --session file's runs are carried over.  Training that continues the session's own weights
    (``continued``) extends its current run (its history and settings become this command's);
    other weights (fresh ones, --init-weights, a session without weights or without a current run)
    start a new run, appended, whose first checkpoint is its initial weights.  Checkpoints follow
    every ``every`` epochs (counted from the run's start) where an epoch summary falls (--log-every)
    and at the end,
    with the recipe of their batch order (``Checkpoint.shuffle``: ``seed``, the ``step_off`` this
    command's ``shuffle_rng`` started at, the epochs drawn since, ``n_train``)."""

    def __init__(self, session, net, continued: bool, history, settings: dict, *, seed: int, epoch_off: int,
                 step_off: int, n_train: int, every: int = 1):
        runs = session.runs if session is not None and session.runs is not None else None
        self.runs = runs if runs is not None else RunList()
        run = self.runs.current_run if continued else None
        if run is None:
            for other in self.runs.runs:        # the history goes to the new run: the others keep theirs
                if other.history is history:
                    other.history = copy_history(history)
            run = self.runs.new_run(settings, history)
            self.runs.add_checkpoint(run, checkpoint_of(net, epoch_off, step_off, shuffle_recipe(seed, step_off, 0, n_train)))
        else:
            run.history, run.settings = history, settings
            if run.started is None:
                run.started = time.time()
        self.runs.current = run.id
        run.end_reason = None
        self.run = run
        self.reason = None                 # the stop condition met, a sentence (set by the caller)
        self._recipe = (int(seed), int(step_off), int(n_train))
        self._epoch_off, self._every = int(epoch_off), max(1, int(every))
        self._summary = (epoch_off, step_off)          # (epochs, steps) of the latest epoch end seen
        self._taken, self._last_taken = 0, -float("inf")
        self._started = time.perf_counter()

    def _shuffle(self, epochs: int) -> tuple | None:
        seed, start, n = self._recipe
        return shuffle_recipe(seed, start, epochs - self._epoch_off, n)

    def epoch_end(self, net, epochs: int, steps: int) -> None:
        """An epoch summary: the weights are those at the end of epoch ``epochs`` (``steps`` batches)."""
        self._summary = (epochs, steps)
        now = time.perf_counter()
        if epochs <= self._epoch_off or epochs % self._every or (
                self._taken >= FREE_CHECKPOINTS and now - self._last_taken < CHECKPOINT_GAP_S):
            return
        self._taken, self._last_taken = self._taken + 1, now
        self.runs.add_checkpoint(self.run, checkpoint_of(net, epochs, steps, self._shuffle(epochs)))

    def ended(self, net, epochs: int, steps: int, reason: str | None) -> list[str]:
        """The command's training is over at ``epochs``/``steps``: a last checkpoint, the run's time
        and end reason (a stop condition met, else None).  Returns the notes of the runs' bounds."""
        run = self.run
        last = run.checkpoints[-1] if run.checkpoints else None
        if last is None or (last.epochs, last.steps) != (epochs, steps):
            shuffle = self._shuffle(epochs) if (epochs, steps) == self._summary else None
            self.runs.add_checkpoint(run, checkpoint_of(net, epochs, steps, shuffle))
        run.seconds += time.perf_counter() - self._started
        run.finished = time.time()
        run.end_reason = reason
        self.runs.current = run.id
        notes, self.runs.notes = list(dict.fromkeys(self.runs.notes)), []
        return notes

