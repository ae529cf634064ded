"""HTTP download with mirror fallback, MD5 verification, progress, cancel and ``.part`` cleanup.

urllib only. A file is written to ``NAME.part`` next to its destination and renamed only after its
MD5 matches; the ``.part`` file is removed on cancel or on any failure.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from .errors import DownloadCancelled

TIMEOUT = 30.0
CHUNK = 64 * 1024
USER_AGENT = "Workbench/0.1 (+numpy back-propagation workbench)"

Progress = Callable[[int, "int | None", str], None]


class MirrorsFailed(Exception):
    """Every mirror failed for one file; ``errors`` is a list of (url, reason sentence)."""

    def __init__(self, filename: str, errors: list[tuple[str, str]]):
        super().__init__(filename)
        self.filename = filename
        self.errors = errors


def describe_error(exc: BaseException) -> str:
    """A short human reason for a failed request."""
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
             label: str = "") -> Path:
    """Fetch ``filename`` from the first mirror that serves it with the expected MD5.

    Returns the final path ``dest_dir / filename``. Raises ``DownloadCancelled`` when ``cancel()``
    turns true, ``MirrorsFailed`` when every mirror failed, ``OSError`` when the destination folder
    cannot be written.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / filename
    part = dest_dir / (filename + ".part")
    errors: list[tuple[str, str]] = []
    for base in mirrors:
        url = base if base.endswith(filename) else base.rstrip("/") + "/" + filename
        try:
            digest = _fetch(url, part, progress, cancel, label or filename)
        except DownloadCancelled:
            _remove(part)
            raise
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError, EOFError) as exc:
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


def _fetch(url: str, part: Path, progress: Progress | None, cancel: Callable[[], bool] | None,
           label: str) -> str:
    """Stream ``url`` into ``part``; return the hex MD5 of what was received."""
    if cancel is not None and cancel():
        raise DownloadCancelled(f"Download of {label} cancelled.")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    md5 = hashlib.md5()
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        host = urllib.parse.urlparse(url).netloc
        message = f"Downloading {label} from {host}"
        done = 0
        if progress is not None:
            progress(0, total, message)
        reader = getattr(response, "read1", response.read)
        with open(part, "wb") as out:
            while True:
                if cancel is not None and cancel():
                    raise DownloadCancelled(f"Download of {label} cancelled.")
                block = reader(CHUNK)
                if not block:
                    break
                out.write(block)
                md5.update(block)
                done += len(block)
                if progress is not None:
                    progress(done, total, message)
        if total is not None and done != total:
            raise EOFError(f"connection closed after {done:,} of {total:,} bytes")
    return md5.hexdigest()


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
