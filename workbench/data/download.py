"""HTTP download with mirror fallback, MD5 verification, progress, cancel and ``.part`` cleanup.

urllib only. A file is written to ``NAME.part`` next to its destination and renamed only after its
MD5 matches; the ``.part`` file is removed on cancel or on any failure.

Time is bounded: a mirror that stays silent for ``TIMEOUT`` seconds fails, and so does one that has
not delivered the whole file by its deadline (``deadline_for``: at least ``DEADLINE_FLOOR`` seconds,
more for a large file), however slowly it keeps sending.  The network is read on a helper thread,
so ``cancel()`` is acted on within ``POLL`` seconds even while a connection is being opened or a
read waits: the caller (the window's loader, its Close) never blocks on a stalled mirror.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import queue
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from .errors import DownloadCancelled

TIMEOUT = 30.0                # seconds a mirror may stay silent (connecting, or between two blocks)
POLL = 0.1                    # seconds between two looks at cancel() and the deadline
DEADLINE_FLOOR = 300.0        # seconds every file may take, however small
MIN_RATE = 16 * 1024          # bytes per second a large file must average to finish in time
CHUNK = 64 * 1024
USER_AGENT = "Workbench/0.1 (+numpy back-propagation workbench)"

Progress = Callable[[int, "int | None", str], None]


def deadline_for(expected_bytes: int | None) -> float:
    """Seconds a download of about ``expected_bytes`` may take in all (``DEADLINE_FLOOR`` at least)."""
    return max(DEADLINE_FLOOR, (expected_bytes or 0) / MIN_RATE)


class TooSlow(Exception):
    """A mirror did not deliver the whole file before its deadline."""


class TooLarge(Exception):
    """A mirror sent (or announced) more bytes than the file can have."""


class MirrorsFailed(Exception):
    """Every mirror failed for one file; ``errors`` is a list of (url, reason sentence)."""

    def __init__(self, filename: str, errors: list[tuple[str, str]]):
        super().__init__(filename)
        self.filename = filename
        self.errors = errors


def describe_error(exc: BaseException) -> str:
    """A short human reason for a failed request."""
    if isinstance(exc, (TooSlow, TooLarge)):
        return str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return "timed out"
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror
        return str(reason)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection closed before the whole file arrived"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def download(filename: str, mirrors: list[str], md5: str, dest_dir: Path,
             progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
             label: str = "", max_bytes: int | None = None) -> Path:
    """Fetch ``filename`` from the first mirror that serves it with the expected MD5.

    ``max_bytes`` is the most the file can hold: a mirror that announces or sends more fails, and
    each mirror has ``deadline_for(max_bytes)`` seconds to deliver it. Returns the final path
    ``dest_dir / filename``. Raises ``DownloadCancelled`` within about ``POLL`` seconds of
    ``cancel()`` turning true, ``MirrorsFailed`` when every mirror failed, ``OSError`` when the
    destination folder cannot be written.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / filename
    part = dest_dir / (filename + ".part")
    errors: list[tuple[str, str]] = []
    for base in mirrors:
        url = base if base.endswith(filename) else base.rstrip("/") + "/" + filename
        try:
            digest = _fetch(url, part, progress, cancel, label or filename, max_bytes)
        except DownloadCancelled:
            _remove(part)
            raise
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError, EOFError,
                TooSlow, TooLarge) as exc:
            _remove(part)
            errors.append((url, describe_error(exc)))
            continue
        except BaseException:
            _remove(part)
            raise
        if digest != md5:
            _remove(part)
            errors.append((url, f"checksum mismatch (MD5 {digest}, expected {md5})"))
            continue
        os.replace(part, final)
        return final
    raise MirrorsFailed(filename, errors)


class _Stream:
    """Reads ``url`` on a daemon thread into a small queue of ``(kind, value)`` items: ``("open",
    Content-Length or None)``, then ``("data", bytes)`` blocks, ``b""`` at the end; or ``("error",
    exception)``. ``stop()`` makes the thread quit after the read it is waiting for (at most
    ``TIMEOUT`` later); the caller need not wait for that."""

    def __init__(self, url: str):
        self.items: queue.Queue = queue.Queue(maxsize=16)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url,), name="workbench-download",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _put(self, item) -> bool:
        while not self._stopped.is_set():
            try:
                self.items.put(item, timeout=POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, url: str) -> None:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                length = response.headers.get("Content-Length")
                if not self._put(("open", int(length) if length and length.isdigit() else None)):
                    return
                reader = getattr(response, "read1", response.read)
                while not self._stopped.is_set():
                    block = reader(CHUNK)
                    if not self._put(("data", block)) or not block:
                        return
        except BaseException as exc:   # handed to the caller, who decides
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()            # its code and reason stay; its connection goes
            self._put(("error", exc))


def _fetch(url: str, part: Path, progress: Progress | None, cancel: Callable[[], bool] | None,
           label: str, max_bytes: int | None) -> str:
    """Stream ``url`` into ``part``; return the hex MD5 of what was received."""
    def check_cancel():
        if cancel is not None and cancel():
            raise DownloadCancelled(f"Download of {label} cancelled.")

    check_cancel()
    allowed = deadline_for(max_bytes)
    deadline = time.monotonic() + allowed
    message = f"Downloading {label} from {urllib.parse.urlparse(url).netloc}"
    md5 = hashlib.md5()
    total, done, out = None, 0, None
    stream = _Stream(url)
    try:
        while True:
            check_cancel()
            if time.monotonic() > deadline:
                raise TooSlow(f"did not deliver the file within {allowed:,.0f} s")
            try:
                kind, value = stream.items.get(timeout=POLL)
            except queue.Empty:
                continue
            if kind == "error":
                raise value
            if kind == "open":
                total = value
                if max_bytes is not None and total is not None and total > max_bytes:
                    raise TooLarge(f"announces {total:,} bytes; the file has at most {max_bytes:,}")
                out = open(part, "wb")
                if progress is not None:
                    progress(0, total, message)
                continue
            if not value:
                break
            if max_bytes is not None and done + len(value) > max_bytes:
                raise TooLarge(f"sent more than the {max_bytes:,} bytes the file can have")
            out.write(value)
            md5.update(value)
            done += len(value)
            if progress is not None:
                progress(done, total, message)
    finally:
        stream.stop()
        if out is not None:
            out.close()
    if total is not None and done != total:
        raise EOFError(f"connection closed after {done:,} of {total:,} bytes")
    return md5.hexdigest()


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
