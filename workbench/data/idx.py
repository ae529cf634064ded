"""Reader for IDX files (the MNIST format), gzipped or not.

Layout: a 4-byte magic number ``0x00 0x00 TYPE NDIM`` (TYPE 0x08 = unsigned byte), NDIM big-endian
uint32 dimensions, then the items. Labels files are ``0x00000801`` (1-D), image files ``0x00000803``
(3-D). Every structural problem becomes a ``DataError`` naming the file.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .dataset import open_data_file
from .errors import DataError

UBYTE = 0x08
_TYPE_NAMES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short", 0x0C: "int",
               0x0D: "float", 0x0E: "double"}
CHUNK_BYTES = 1 << 20
MAX_GZIP_RATIO = 1100  # deflate cannot expand data more than about 1032 times
MAX_EXTRA_COUNTED = 16 * CHUNK_BYTES   # trailing bytes counted for a message, at most


class IdxReader:
    """An open IDX file whose header has been checked.

    ``count`` items of ``item_shape`` (``()`` for labels, ``(rows, cols)`` for images).
    Use as a context manager; ``read`` streams the payload once.
    """

    def __init__(self, path: str | Path, ndim: int):
        self.path = Path(path)
        self._file: BinaryIO | None = None
        raw, _size = open_data_file(self.path, "IDX file")     # a FIFO or a device is refused
        try:
            magic2 = raw.read(2)
            raw.seek(0)
            self.compressed = magic2 == b"\x1f\x8b"
            self._file = gzip.GzipFile(fileobj=raw, mode="rb") if self.compressed else raw
            self._raw = raw
            header = self._read_exact(4, "the magic number")
            if header[0] != 0 or header[1] != 0:
                raise self._error(f"is not an IDX file (magic number {header.hex()}; expected 0000080{ndim})")
            if header[2] != UBYTE:
                kind = _TYPE_NAMES.get(header[2], f"unknown type 0x{header[2]:02x}")
                raise self._error(f"stores {kind} values; only unsigned-byte IDX files (type 0x08) are "
                                  "supported")
            if header[3] != ndim:
                what = "labels" if ndim == 1 else "images"
                raise self._error(f"has {header[3]} dimensions (magic number {header.hex()}); an IDX {what} "
                                  f"file has {ndim} (magic number 0000080{ndim})")
            dims = np.frombuffer(self._read_exact(4 * ndim, "the dimensions"), dtype=">u4").astype(np.int64)
            if np.any(dims == 0):
                raise self._error(f"announces an empty array (dimensions {tuple(int(d) for d in dims)})")
            self.count = int(dims[0])
            self.item_shape = tuple(int(d) for d in dims[1:])
            self.item_size = int(np.prod(self.item_shape, dtype=np.int64)) if self.item_shape else 1
            self.header_size = 4 + 4 * ndim
            self._check_size(os.fstat(raw.fileno()).st_size)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "IdxReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        raw = getattr(self, "_raw", None)
        if raw is not None:
            raw.close()
            self._raw = None

    def _check_size(self, file_size: int) -> None:
        """Fail before allocating anything when the file cannot hold what its header announces."""
        payload = self.count * self.item_size
        if not self.compressed:
            available = file_size - self.header_size
            if available < payload:
                raise self._truncated(available)
            if available > payload:
                raise self._extra(available - payload)
        elif payload > file_size * MAX_GZIP_RATIO:
            raise self._error(f"is corrupt: its header announces {self.count:,} items ({payload:,} bytes), "
                              f"more than {file_size:,} bytes of gzip data can hold")

    def _truncated(self, got: int) -> DataError:
        return self._error(f"is truncated: the header announces {self.count:,} items of {self.item_size} "
                           f"bytes ({self.count * self.item_size:,} bytes of data) but the file holds only "
                           f"{got:,} bytes of data after the header")

    def _extra(self, extra: int, more: bool = False) -> DataError:
        amount = f"more than {extra:,}" if more else f"{extra:,}"
        return self._error(f"is corrupt: it has {amount} bytes after the {self.count:,} items its header "
                           "announces")

    def _error(self, text: str) -> DataError:
        return DataError(f"{self.path} {text}.")

    def _read(self, n: int) -> bytes:
        assert self._file is not None
        try:
            return self._file.read(n)
        except EOFError:
            raise self._error("is truncated: the gzip stream ends before its end marker") from None
        except (OSError, zlib.error) as exc:
            detail = str(exc) or type(exc).__name__
            raise self._error(f"is corrupt: the gzip data cannot be decompressed ({detail})") from None

    def _read_exact(self, n: int, what: str) -> bytes:
        data = self._read(n)
        if len(data) < n:
            raise self._error(f"is truncated: it ends inside {what} ({len(data)} of {n} bytes)")
        return data

    def read(self, ranges: list[tuple[int, int]] | None = None, scale: float | None = None,
             progress=None) -> list[np.ndarray]:
        """Read the payload once; return one array per ``(start, stop)`` item range.

        Arrays have shape ``(stop - start, *item_shape)``: uint8, or float32 ``value / scale`` when
        ``scale`` is given (e.g. 255 for pixels in [0, 1]). The whole file is read so that truncated
        files and trailing bytes are always detected. ``progress(items_done, count)`` is optional.
        """
        if ranges is None:
            ranges = [(0, self.count)]
        for a, b in ranges:
            if not 0 <= a <= b <= self.count:
                raise self._error(f"has {self.count:,} items; items {a:,} to {b:,} were requested")
        dtype = np.float32 if scale is not None else np.uint8
        outs = [np.empty((b - a, *self.item_shape), dtype=dtype) for a, b in ranges]
        flats = [o.reshape(len(o), self.item_size) for o in outs]
        per_chunk = max(1, CHUNK_BYTES // self.item_size)
        divisor = np.float32(scale) if scale is not None else None
        done = 0
        while done < self.count:
            n = min(per_chunk, self.count - done)
            data = self._read(n * self.item_size)
            if len(data) < n * self.item_size:
                raise self._truncated(done * self.item_size + len(data))
            chunk = np.frombuffer(data, dtype=np.uint8).reshape(n, self.item_size)
            for (a, b), flat in zip(ranges, flats):
                lo, hi = max(a, done), min(b, done + n)
                if lo < hi:
                    src = chunk[lo - done:hi - done]
                    if divisor is not None:
                        np.divide(src, divisor, out=flat[lo - a:hi - a])
                    else:
                        flat[lo - a:hi - a] = src
            done += n
            if progress is not None:
                progress(done, self.count)
        tail = self._read(CHUNK_BYTES)
        if tail:   # counted up to a bound: a gzip bomb's trailing data is not inflated to the end
            extra = len(tail)
            while tail and extra < MAX_EXTRA_COUNTED:
                tail = self._read(CHUNK_BYTES)
                extra += len(tail)
            raise self._extra(extra, more=bool(tail))
        return outs


def read_idx(path: str | Path, ndim: int, scale: float | None = None) -> np.ndarray:
    """Whole IDX file as an array ``(count, *item_shape)`` (uint8, or float32 / ``scale``)."""
    with IdxReader(path, ndim) as reader:
        return reader.read(None, scale)[0]


def write_idx(path: str | Path, array: np.ndarray, compress: bool | None = None) -> None:
    """Write a uint8 array as an IDX file (gzipped when ``compress`` or the name ends in .gz)."""
    arr = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, UBYTE, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    payload = header + arr.tobytes()
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    path.write_bytes(gzip.compress(payload, mtime=0) if compress else payload)
