"""Weight files: .npz (numpy.load(..., allow_pickle=False) readable), JSON and CSV exports.

The .npz holds arrays ``W0, b0, W1, b1, …`` (Wl: (n_in, n_out), bl: (n_out,)) and ``architecture``,
a 0-d unicode array holding JSON: {"format": "workbench-weights", "version": 1, "sizes": [...],
"activations": [...], "cost": "..."}. Arrays may be float32 or float64, either byte order, C or
Fortran order, stored or deflated (``np.savez`` / ``np.savez_compressed``).

Reading is bounded (see ``load_weights``): files of at most ``MAX_FILE_BYTES`` (every parameter of
the largest network Workbench allows, ``MAX_PARAMETERS``, as float64, plus 16 MiB), an architecture
of at most ``MAX_ARCHITECTURE_BYTES``, .npy headers of at most ``MAX_NPY_HEADER``, at most
2 × ``MAX_WEIGHT_LAYERS`` + 1 arrays. Every write goes through ``atomic_write``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import os
import struct
import warnings
import zipfile
import zlib

import numpy as np

from .atomic import atomic_write
from .errors import ConfigError, WeightFileError
from .hyperparameters import shown
from .limits import clipped
from .network import MAX_PARAMETERS, MAX_WEIGHT_LAYERS, Network, check_architecture
from .safefiles import UnreadableFile, format_bytes, open_regular, too_large

FORMAT = "workbench-weights"
VERSION = 1


def architecture_json(net: Network) -> str:
    return json.dumps({"format": FORMAT, "version": VERSION, **net.architecture()})


def _arrays(net: Network) -> dict[str, np.ndarray]:
    arrays = {"architecture": np.array(architecture_json(net))}
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{l}"] = w
        arrays[f"b{l}"] = b
    return arrays


def weights_to_bytes(net: Network) -> bytes:
    """The .npz file contents for ``net``."""
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(net))
    return buffer.getvalue()


def weights_json(blob: bytes) -> dict:
    """The JSON form of a weight file's bytes (``weights_to_bytes``) that sessions, runs and labs
    store: {"encoding": "npz-base64", "data": base64 text}."""
    return {"encoding": "npz-base64", "data": base64.b64encode(blob).decode("ascii")}


def weights_from_json(value, where: str, error=WeightFileError) -> tuple[Network, bytes]:
    """The network of a ``weights_json`` value and the weight file's bytes, checked as
    ``load_weights`` checks a file; ``error`` (an exception class) with one sentence starting with
    ``where`` when it is not one."""
    if not isinstance(value, dict) or value.get("encoding") != "npz-base64" or not isinstance(value.get("data"), str):
        raise error(f"{where}: 'weights' must be {{\"encoding\": \"npz-base64\", \"data\": ...}}.")
    try:
        blob = base64.b64decode(value["data"].encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise error(f"{where}: the weights are not valid base64 text.") from None
    try:
        return load_weights(blob), blob
    except WeightFileError as exc:
        raise error(f"{where}: the stored weights are unusable: {exc}") from None


def save_weights(net: Network, path) -> None:
    """Write ``net`` to ``path`` (.npz) atomically, streamed (no second copy of the weights in
    memory); a refusal or a full disk raises ``SaveError`` (an OSError) naming the cause."""
    arrays = _arrays(net)
    atomic_write(path, lambda f: np.savez(f, **arrays))


#: The largest weight file read: every parameter Workbench allows as float64, plus room for headers.
MAX_FILE_BYTES = MAX_PARAMETERS * 8 + 16 * 2**20
#: The largest 'architecture' string (a .npy unicode array: 4 bytes a character).
MAX_ARCHITECTURE_BYTES = 2**20
#: The largest .npy header (numpy's own safety limit is 10,000 characters).
MAX_NPY_HEADER = 16 * 1024
#: The largest zip central directory: one entry per array of the deepest network, and then some.
MAX_DIRECTORY_BYTES = 2**20
_MEMBERS = 2 * MAX_WEIGHT_LAYERS + 1
_BLOCK = 16 * 2**20
_NPY_MAGIC = b"\x93NUMPY"


def load_weights(source) -> Network:
    """Read a weight file (path, bytes or binary file object) and check every part of it.

    Nothing is read unbounded: a path must be a regular file of at most ``MAX_FILE_BYTES``; the
    architecture is read and checked first, then each array's declared dtype and shape (its .npy
    header) and the zip entry's declared size are compared with the architecture before its data
    is read, so no array larger than the architecture says is allocated and inflation never
    produces more than the architecture's bytes plus a header. Big-endian arrays are converted to
    native order. Raises WeightFileError naming the problem; never unpickles.
    """
    named = isinstance(source, (str, os.PathLike))
    name = str(source) if named else "the weight data"
    try:
        if named:
            handle, _ = open_regular(source, "weight file", MAX_FILE_BYTES)
        elif isinstance(source, (bytes, bytearray, memoryview)):
            if len(source) > MAX_FILE_BYTES:
                raise UnreadableFile(too_large(name, len(source), MAX_FILE_BYTES, "weight file"))
            handle = io.BytesIO(source)
        elif getattr(source, "seekable", lambda: False)():
            handle = source                 # every read below is bounded
        else:
            data = source.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise UnreadableFile(too_large(name, len(data), MAX_FILE_BYTES, "weight file"))
            handle = io.BytesIO(data)
    except UnreadableFile as exc:
        raise WeightFileError(str(exc)) from None
    except OSError as exc:
        raise WeightFileError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    try:
        return _load_archive(handle, name)
    except OSError as exc:
        raise WeightFileError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    finally:
        if handle is not source:
            handle.close()


def _load_archive(handle, name) -> Network:
    start = handle.read(6)
    if start == _NPY_MAGIC:
        raise WeightFileError(f"{name} holds a single array, not a Workbench weight file (.npz).")
    if start[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise WeightFileError(f"{name} is not a Workbench weight file (.npz): it is not a zip archive.")
    _check_directory_size(handle, name)
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, EOFError, ValueError, struct.error, UnicodeError, NotImplementedError) as exc:
        raise WeightFileError(f"{name} is not a Workbench weight file (.npz): {_said(exc)}") from None
    with archive:
        members = _members(archive, name)
        header = _architecture(archive, members, name)
        sizes = header["sizes"]
        n_layers = len(sizes) - 1
        expected = {"architecture"} | {f"{p}{l}" for l in range(n_layers) for p in "Wb"}
        extra = sorted(set(members) - expected)
        if extra:
            raise WeightFileError(f"{name} has unexpected arrays: {', '.join(extra)}.")
        weights, biases = [], []
        for l in range(n_layers):
            for key, shape, target in ((f"W{l}", (sizes[l], sizes[l + 1]), weights),
                                       (f"b{l}", (sizes[l + 1],), biases)):
                array = _read_array(archive, members, key, name, shape)
                if not np.isfinite(array).all():
                    raise WeightFileError(f"{name}: '{key}' contains NaN or infinite values.")
                target.append(array)
    try:
        return Network(weights, biases, header["activations"], header["cost"])
    except (ConfigError, IndexError, TypeError) as exc:
        raise WeightFileError(f"{name}: {exc}") from None


def _said(exc: BaseException) -> str:
    """What a zip or numpy error says, on one line and short (some quote the file's raw bytes)."""
    text = " ".join(str(exc).split())
    return clipped("".join(c if c.isprintable() else "?" for c in text), 120) or type(exc).__name__


def _corrupt(name, key: str, exc: BaseException) -> WeightFileError:
    return WeightFileError(f"{name} is truncated or corrupt: '{key}' cannot be read ({_said(exc)}).")


def _check_directory_size(handle, name) -> None:
    """Refuse a zip whose central directory (read whole by zipfile) is larger than a weight file's
    can be, before zipfile reads it: End Of Central Directory record, or its Zip64 form."""
    end = handle.seek(0, io.SEEK_END)
    tail_start = max(0, end - (22 + 65535))
    handle.seek(tail_start)
    tail = handle.read(end - tail_start)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise WeightFileError(f"{name} is not a Workbench weight file (.npz): it has no zip directory.")
    entries, directory = struct.unpack("<HL", tail[at + 10:at + 16])
    if (entries == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        (record,) = struct.unpack("<Q", tail[at - 12:at - 4])
        handle.seek(min(record, end))
        zip64 = handle.read(56)
        if len(zip64) == 56 and zip64[:4] == b"PK\x06\x06":
            entries, directory = struct.unpack("<QQ", zip64[32:48])
    if entries > 4 * _MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise WeightFileError(f"{name} is not a Workbench weight file: its zip directory lists {entries:,} "
                              f"entries in {format_bytes(directory)} (a weight file has at most {_MEMBERS}).")
    handle.seek(0)


def _members(archive, name) -> dict:
    """Array name ("W0", from "W0.npy") -> ZipInfo; duplicates, encryption and unusual compression
    (anything but stored or deflated, which numpy writes) are refused."""
    members = {}
    for info in archive.infolist():
        key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if key in members:
            raise WeightFileError(f"{name} holds the array '{key}' twice.")
        if info.flag_bits & 0x1:
            raise WeightFileError(f"{name}: '{key}' is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WeightFileError(f"{name}: '{key}' uses a compression numpy does not write "
                                  f"(zip method {info.compress_type}).")
        members[key] = info
    if len(members) > _MEMBERS:
        raise WeightFileError(f"{name} holds {len(members)} arrays; a weight file has at most {_MEMBERS}.")
    return members


def _architecture(archive, members, name) -> dict:
    with _open_member(archive, members, "architecture", name) as stream:
        fortran_order, dtype, shape, header_bytes = _npy_header(stream, "architecture", name)
        if dtype.kind != "U" or shape != ():
            raise WeightFileError(f"{name}: 'architecture' must be a JSON string.")
        if dtype.itemsize > MAX_ARCHITECTURE_BYTES:
            raise WeightFileError(f"{name}: 'architecture' declares {format_bytes(dtype.itemsize)} of text; "
                                  f"at most {format_bytes(MAX_ARCHITECTURE_BYTES)} are read.")
        raw = _read_data(stream, members["architecture"], "architecture", name, shape, dtype,
                         fortran_order, header_bytes)
    try:
        header = json.loads(str(raw[()]))
    except (ValueError, RecursionError) as exc:   # JSONDecodeError, or an integer of 5,000 digits
        reason = exc if isinstance(exc, json.JSONDecodeError) else "nested too deeply or a number too long"
        raise WeightFileError(f"{name}: 'architecture' is not valid JSON ({reason}).") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = shown(header.get("format")) if isinstance(header, dict) else shown(header)
        raise WeightFileError(f"{name} is not a Workbench weight file (format is {found}).")
    version = header.get("version")
    if type(version) is not int or version != VERSION:
        raise WeightFileError(f"{name} has format version {shown(version)}; this Workbench reads version {VERSION}.")
    for key, kind in (("sizes", list), ("activations", list), ("cost", str)):
        if not isinstance(header.get(key), kind):
            raise WeightFileError(f"{name}: the architecture has no valid '{key}'.")
    problem = check_architecture(header["sizes"], header["activations"], header["cost"])
    if problem:
        raise WeightFileError(f"{name}: {problem}")
    return header


def _open_member(archive, members, key, name):
    if key not in members:
        raise WeightFileError(f"{name} has no '{key}' array.")
    try:
        return archive.open(members[key])
    except (zipfile.BadZipFile, EOFError, ValueError, struct.error, RuntimeError, NotImplementedError) as exc:
        raise _corrupt(name, key, exc) from None


def _npy_header(stream, key, name):
    """(fortran_order, dtype, shape, header bytes) of a member's .npy header, read in bounded steps."""
    try:
        start = stream.read(10)
        if len(start) < 10 or start[:6] != _NPY_MAGIC or start[6:8] not in (b"\x01\x00", b"\x02\x00"):
            raise WeightFileError(f"{name}: '{key}' is not a numpy array (.npy).")
        if start[6] == 1:
            (length,), prefix = struct.unpack("<H", start[8:10]), start
        else:
            more = stream.read(2)
            (length,), prefix = struct.unpack("<I", start[8:10] + more), start + more
        if length > MAX_NPY_HEADER:
            raise WeightFileError(f"{name}: '{key}' has a .npy header of {format_bytes(length)}; at most "
                                  f"{format_bytes(MAX_NPY_HEADER)} are read.")
        text = stream.read(length)
        reader = np.lib.format.read_array_header_1_0 if start[6] == 1 else np.lib.format.read_array_header_2_0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = io.BytesIO(prefix[8:] + text)
            shape, fortran_order, dtype = reader(source, max_header_size=MAX_NPY_HEADER)
    except WeightFileError:
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise _corrupt(name, key, exc) from None
    except (ValueError, struct.error, SyntaxError, TypeError, RecursionError, MemoryError, KeyError):
        raise WeightFileError(f"{name}: '{key}' has a damaged .npy header.") from None
    return fortran_order, dtype, tuple(shape), len(prefix) + len(text)


def _read_array(archive, members, key, name, shape) -> np.ndarray:
    """Array ``key`` of ``shape`` (float32 or float64, in native byte order), its header checked
    against ``shape`` before any of its data is read."""
    with _open_member(archive, members, key, name) as stream:
        fortran_order, dtype, declared, header_bytes = _npy_header(stream, key, name)
        if dtype.hasobject:
            raise WeightFileError(f"{name}: the '{key}' array holds Python objects, which cannot be read "
                                  "safely (they would need pickle, which is never used).")
        if dtype.kind != "f" or dtype.itemsize not in (4, 8):
            shown = dtype.newbyteorder("=") if dtype.kind == "f" else dtype
            raise WeightFileError(f"{name}: '{key}' has dtype {shown}; expected float32 or float64.")
        if declared != tuple(shape):
            raise WeightFileError(f"{name}: '{key}' has shape {declared}; the architecture says {tuple(shape)}.")
        array = _read_data(stream, members[key], key, name, declared, dtype, fortran_order, header_bytes)
    if not array.dtype.isnative:
        array = array.byteswap(inplace=True).view(array.dtype.newbyteorder("="))
    return array


def _read_data(stream, info, key, name, shape, dtype, fortran_order, header_bytes) -> np.ndarray:
    """The data after a member's header: exactly what ``shape`` and ``dtype`` need, read in blocks
    into the array itself; the zip entry must declare just that size and hold nothing more."""
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if info.file_size != header_bytes + need:
        raise WeightFileError(f"{name}: '{key}' is damaged: its zip entry declares "
                              f"{format_bytes(info.file_size)}, its header {format_bytes(header_bytes + need)}.")
    array = np.empty(tuple(reversed(shape)) if fortran_order else shape, dtype=dtype)
    memory = array.reshape(-1).view(np.uint8)
    done = 0
    try:
        while done < need:
            block = stream.read(min(_BLOCK, need - done))
            if not block:
                raise WeightFileError(f"{name} is truncated or corrupt: '{key}' ends early.")
            memory[done:done + len(block)] = np.frombuffer(block, np.uint8)
            done += len(block)
        if stream.read(1):
            raise WeightFileError(f"{name}: '{key}' holds more data than its shape.")
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise _corrupt(name, key, exc) from None
    return array.T if fortran_order else array


def export_json(net: Network, path) -> None:
    """Human-readable weights: {"format", "version", sizes, activations, cost, "layers": [{W, b}]}."""
    document = json.loads(architecture_json(net))
    document["layers"] = [
        {"activation": act, "weights": w.tolist(), "biases": b.tolist()}
        for act, w, b in zip(net.activations, net.weights, net.biases)
    ]
    text = json.dumps(document, indent=1)
    atomic_write(path, lambda f: f.write(text), mode="w")


def export_csv(net: Network, path) -> None:
    """One row per parameter: layer, kind (weight/bias), from (input neuron), to (neuron), value."""
    def write(f):
        writer = csv.writer(f)
        writer.writerow(["layer", "kind", "from", "to", "value"])
        for l, (w, b) in enumerate(zip(net.weights, net.biases)):
            rows, cols = np.indices(w.shape)
            for i, j, v in zip(rows.ravel(), cols.ravel(), w.ravel()):
                writer.writerow([l, "weight", int(i), int(j), repr(float(v))])
            for j, v in enumerate(b):
                writer.writerow([l, "bias", "", j, repr(float(v))])
    atomic_write(path, write, mode="w")
