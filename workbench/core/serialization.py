"""Weight files: .npz (numpy.load(..., allow_pickle=False) readable), JSON and CSV exports.

The .npz holds arrays ``W0, b0, W1, b1, …`` (Wl: (n_in, n_out), bl: (n_out,)) and ``architecture``,
a 0-d unicode array holding JSON: {"format": "workbench-weights", "version": 1, "sizes": [...],
"activations": [...], "cost": "..."}. Every write goes to a temporary file beside the target and is
renamed over it only once complete.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import ConfigError, WeightFileError
from .network import Network

FORMAT = "workbench-weights"
VERSION = 1


def architecture_json(net: Network) -> str:
    return json.dumps({"format": FORMAT, "version": VERSION, **net.architecture()})


def weights_to_bytes(net: Network) -> bytes:
    """The .npz file contents for ``net``."""
    arrays = {"architecture": np.array(architecture_json(net))}
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{l}"] = w
        arrays[f"b{l}"] = b
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save_weights(net: Network, path) -> None:
    """Write ``net`` to ``path`` (.npz) atomically."""
    data = weights_to_bytes(net)
    atomic_write(path, lambda f: f.write(data))


def load_weights(source) -> Network:
    """Read a weight file (path, bytes or binary file object) and check every part of it.

    Raises WeightFileError naming the problem; never unpickles.
    """
    name = str(source) if isinstance(source, (str, os.PathLike)) else "the weight data"
    try:
        if isinstance(source, (str, os.PathLike)):
            source = Path(source).read_bytes()
        elif not isinstance(source, (bytes, bytearray)):
            source = source.read()
    except FileNotFoundError:
        raise WeightFileError(f"{name}: no such file.") from None
    except IsADirectoryError:
        raise WeightFileError(f"{name} is a folder, not a weight file.") from None
    except PermissionError:
        raise WeightFileError(f"{name}: permission denied.") from None
    try:
        archive = np.load(io.BytesIO(source), allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise WeightFileError(f"{name} is not a Workbench weight file (.npz): {exc}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise WeightFileError(f"{name} holds a single array, not a Workbench weight file (.npz).")
    with archive:
        return _network_from_archive(archive, name)


def _read(archive, key, name):
    try:
        return archive[key]
    except KeyError:
        raise WeightFileError(f"{name} has no '{key}' array.") from None
    except ValueError as exc:  # object arrays need pickle, which is refused
        raise WeightFileError(f"{name}: the '{key}' array cannot be read safely ({exc}).") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib_error()) as exc:
        raise WeightFileError(f"{name} is truncated or corrupt: '{key}' cannot be read ({exc}).") from None


def zlib_error():
    import zlib
    return zlib.error


def _network_from_archive(archive, name) -> Network:
    raw = _read(archive, "architecture", name)
    if raw.shape != () or raw.dtype.kind != "U":
        raise WeightFileError(f"{name}: 'architecture' must be a JSON string.")
    try:
        header = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise WeightFileError(f"{name}: 'architecture' is not valid JSON ({exc}).") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise WeightFileError(f"{name} is not a Workbench weight file (format is {header.get('format') if isinstance(header, dict) else header!r}).")
    if header.get("version") != VERSION:
        raise WeightFileError(f"{name} has format version {header.get('version')!r}; this Workbench reads version {VERSION}.")
    for key, kind in (("sizes", list), ("activations", list), ("cost", str)):
        if not isinstance(header.get(key), kind):
            raise WeightFileError(f"{name}: the architecture has no valid '{key}'.")
    sizes = header["sizes"]
    n_layers = len(sizes) - 1
    expected = {"architecture"} | {f"{p}{l}" for l in range(max(n_layers, 0)) for p in "Wb"}
    extra = sorted(set(archive.files) - expected)
    if extra:
        raise WeightFileError(f"{name} has unexpected arrays: {', '.join(extra)}.")
    weights, biases = [], []
    for l in range(max(n_layers, 0)):
        for key, shape, target in ((f"W{l}", (sizes[l], sizes[l + 1]), weights), (f"b{l}", (sizes[l + 1],), biases)):
            array = _read(archive, key, name)
            if array.dtype not in (np.float32, np.float64):
                raise WeightFileError(f"{name}: '{key}' has dtype {array.dtype}; expected float32 or float64.")
            if array.shape != tuple(shape):
                raise WeightFileError(f"{name}: '{key}' has shape {array.shape}; the architecture says {tuple(shape)}.")
            if not np.isfinite(array).all():
                raise WeightFileError(f"{name}: '{key}' contains NaN or infinite values.")
            target.append(array)
    try:
        return Network(weights, biases, header["activations"], header["cost"])
    except (ConfigError, IndexError, TypeError) as exc:
        raise WeightFileError(f"{name}: {exc}") from None


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
