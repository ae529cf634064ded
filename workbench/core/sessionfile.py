"""Session files (``.wbsession``): everything needed to pick an experiment up again.

A session is one UTF-8 JSON object::

    {
      "format": "workbench-session",
      "version": 1,
      "name": "XOR",                                  # shown in the title bar
      "architecture": {"sizes": [2, 2, 1], "activations": ["sigmoid", "sigmoid"],
                       "cost": "cross-entropy"},
      "hyperparameters": {...},                       # the window's training panel: optimizer, lr,
                                                      # momentum, batch_size, epochs, l2, layer_lr,
                                                      # init, bias_init, seed, dtype, resolution
      "data": "xor",                                  # dataset spec for workbench.data.load_dataset,
                                                      # or null
      "history": {...} | null,                        # plot history, format "workbench-plots"
      "epochs_trained": 12,                           # epochs behind the saved weights
      "steps_trained": 2400,                          # batches behind the saved weights
      "watch": [[0, 3, 1]],                           # followed weights W[layer][i, j], 0-based
      "weights": {"encoding": "npz-base64", "data": "UEsDB..."} | null,
      "views": {"front": "output-map",                # the view in front of the central tabs,
                "open": ["diagram"],                  # the docked views shown,
                "settings": {"output-map": {...}}},   # each view's options (its own keys)
      "points": {...} | null                          # the data set's points when the user drew
    }                                                 # on it (workbench.data.drawn), else null

Weights are stored as the base64 text of the very bytes ``save_weights`` writes
(``weights_to_bytes``), so the same reader (``load_weights``) checks them, including that the
arrays match the architecture and are finite.  A session without weights starts from freshly
initialised weights when opened.

Files are written atomically (``atomic_write``: a half-written session never replaces a good one,
and the file keeps the permissions of the one it replaces).  Files over ``MAX_BYTES`` are refused
before they are read.  ``load_session`` raises ``SessionError`` with one sentence naming the problem.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
from dataclasses import dataclass, field

from .errors import WeightFileError
from .network import check_architecture, has_weight
from .atomic import atomic_write
from .serialization import load_weights, weights_to_bytes

FORMAT = "workbench-session"
VERSION = 1
SUFFIX = ".wbsession"
MAX_BYTES = 256 * 2**20      # larger files are refused unread


class SessionError(ValueError):
    """A session file that cannot be read or written; the message says why."""


@dataclass
class Session:
    name: str = "Untitled"
    architecture: dict | None = None
    hyperparameters: dict = field(default_factory=dict)
    data: str | None = None
    history: dict | None = None
    epochs_trained: int = 0
    steps_trained: int = 0
    network: object | None = None      # workbench.core.network.Network or None
    watch: list = field(default_factory=list)   # followed weights, (layer, i, j) each
    views: dict | None = None          # {"front": name, "open": [names], "settings": {name: {...}}}
    points: dict | None = None         # drawn points (workbench.data.drawn.points_to_json) or None
    #: ``history`` read and checked (a RunHistory) when the session came from a file; else None.
    run_history: object | None = field(default=None, compare=False, repr=False)

    def to_json(self, include_weights: bool = True) -> dict:
        weights = None
        if include_weights and self.network is not None:
            weights = {"encoding": "npz-base64",
                       "data": base64.b64encode(weights_to_bytes(self.network)).decode("ascii")}
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "architecture": self.architecture,
            "hyperparameters": self.hyperparameters,
            "data": self.data,
            "history": _finite_json(self.history),
            "epochs_trained": int(self.epochs_trained),
            "steps_trained": int(self.steps_trained),
            "watch": [[int(v) for v in w] for w in self.watch],
            "weights": weights,
            "views": _finite_json(self.views),
            "points": _finite_json(self.points),
        }


def _finite_json(value):
    """Replace NaN/inf floats (a diverged run) by None so the file stays strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_json(v) for v in value]
    if hasattr(value, "tolist"):          # numpy scalars and arrays
        return _finite_json(value.tolist())
    return value


def save_session(path: str, session: Session, include_weights: bool = True) -> None:
    """Write ``session`` to ``path`` atomically; raises SessionError if the disk refuses."""
    data = json.dumps(session.to_json(include_weights), indent=1, allow_nan=False).encode("utf-8")
    try:
        atomic_write(path, lambda f: f.write(data))
    except IsADirectoryError:
        raise SessionError(f"Cannot save {path}: it is a folder.") from None
    except OSError as exc:
        raise SessionError(f"Cannot write {path}: {exc.strerror or exc}.") from None


def load_session(path: str) -> Session:
    """Read and check a session file; raises SessionError with a clear sentence."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_BYTES:
                raise SessionError(_too_big(path, size))
            raw = f.read(MAX_BYTES + 1)        # bounded even where the size is not known up front
    except FileNotFoundError:
        raise SessionError(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise SessionError(f"{path} is a folder, not a session file.") from None
    except OSError as exc:
        raise SessionError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if len(raw) > MAX_BYTES:
        raise SessionError(_too_big(path, len(raw)))
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SessionError(f"{path} is not a Workbench session (it is not UTF-8 text).") from None
    except json.JSONDecodeError as exc:
        raise SessionError(f"{path} is corrupt: invalid JSON at line {exc.lineno}, column {exc.colno} "
                           f"({exc.msg}).") from None
    return session_from_json(doc, path)


def _too_big(path, size: int) -> str:
    return (f"{path} is too large to be a Workbench session ({size / 2**20:,.0f} MiB; "
            f"at most {MAX_BYTES // 2**20} MiB are read).")


def session_from_json(doc, where: str = "the session") -> Session:
    """Check a parsed session document and build a Session from it."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise SessionError(f"{where} is not a Workbench session (format is {found!r}, "
                           f"expected {FORMAT!r}).")
    version = doc.get("version")
    if version != VERSION:
        raise SessionError(f"{where} has session format version {version!r}; this Workbench reads "
                           f"version {VERSION}.")
    name = doc.get("name", "Untitled")
    if not isinstance(name, str) or not name.strip():
        raise SessionError(f"{where}: 'name' must be a non-empty string.")

    arch = doc.get("architecture")
    if arch is not None:
        if not isinstance(arch, dict) or not all(k in arch for k in ("sizes", "activations", "cost")):
            raise SessionError(f"{where}: 'architecture' needs 'sizes', 'activations' and 'cost'.")
        if not isinstance(arch["sizes"], list) or not isinstance(arch["activations"], list):
            raise SessionError(f"{where}: the architecture's sizes and activations must be lists.")
        problem = check_architecture(arch["sizes"], arch["activations"], arch["cost"])
        if problem:
            raise SessionError(f"{where}: invalid architecture. {problem}")
        arch = {"sizes": [int(s) for s in arch["sizes"]], "activations": list(arch["activations"]),
                "cost": arch["cost"]}

    hp = doc.get("hyperparameters") or {}
    if not isinstance(hp, dict):
        raise SessionError(f"{where}: 'hyperparameters' must be an object.")
    data = doc.get("data")
    if data is not None and (not isinstance(data, str) or not data.strip()):
        raise SessionError(f"{where}: 'data' must be a dataset spec string or null.")
    history = doc.get("history")
    if history is not None and not isinstance(history, dict):
        raise SessionError(f"{where}: 'history' must be an object or null.")
    epochs = doc.get("epochs_trained", 0)
    steps = doc.get("steps_trained", 0)
    for key, value in (("epochs_trained", epochs), ("steps_trained", steps)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SessionError(f"{where}: '{key}' must be a whole number ≥ 0.")

    watch = doc.get("watch", [])
    if not isinstance(watch, list) or not all(
            isinstance(w, list) and len(w) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in w) for w in watch):
        raise SessionError(f"{where}: 'watch' must be a list of [layer, i, j] weight indices (whole numbers ≥ 0).")
    for weight in watch if arch is not None else ():
        if not has_weight(arch["sizes"], weight):
            raise SessionError(f"{where}: the followed weight {weight} is not in the "
                               f"{'-'.join(map(str, arch['sizes']))} network.")

    views = _checked_views(doc.get("views"), where)
    points = doc.get("points")
    if points is not None and not isinstance(points, dict):
        raise SessionError(f"{where}: 'points' must be an object or null.")
    if points is not None and data is None:
        raise SessionError(f"{where}: 'points' were drawn on a data set, but 'data' names none.")

    network = None
    weights = doc.get("weights")
    if weights is not None:
        if not isinstance(weights, dict) or weights.get("encoding") != "npz-base64" \
                or not isinstance(weights.get("data"), str):
            raise SessionError(f"{where}: 'weights' must be {{\"encoding\": \"npz-base64\", \"data\": ...}}.")
        try:
            blob = base64.b64decode(weights["data"].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise SessionError(f"{where}: the weights are not valid base64 text.") from None
        try:
            network = load_weights(blob)
        except WeightFileError as exc:
            raise SessionError(f"{where}: the stored weights are unusable: {exc}") from None
        if arch is None:
            arch = network.architecture()
        elif network.architecture() != arch:
            raise SessionError(
                f"{where}: the stored weights are for a {_describe(network.architecture())} network "
                f"but the architecture is {_describe(arch)}.")
    run_history = None
    if history is not None:
        from .history import HistoryError, RunHistory

        try:
            run_history = RunHistory.from_json(history)
        except HistoryError as exc:
            raise SessionError(f"{where}: {exc}") from None
        if arch is not None and run_history.n_layers != len(arch["sizes"]) - 1:
            raise SessionError(f"{where}: the plot history is for {run_history.n_layers} weight layers, "
                               f"the network has {len(arch['sizes']) - 1}.")
    return Session(name=name.strip(), architecture=arch, hyperparameters=hp, data=data,
                   history=history, epochs_trained=epochs, steps_trained=steps,
                   network=network, watch=[tuple(w) for w in watch], views=views, points=points,
                   run_history=run_history)


MAX_VIEW_SETTINGS = 64        # views named in a session; each view checks its own values


def _checked_views(views, where: str) -> dict | None:
    """The "views" entry, checked for shape (names are strings, settings objects); the window
    ignores names it has no view for, and each view ignores values it cannot use."""
    if views is None:
        return None
    if not isinstance(views, dict):
        raise SessionError(f"{where}: 'views' must be an object or null.")
    front = views.get("front")
    if front is not None and not isinstance(front, str):
        raise SessionError(f"{where}: 'views.front' must be a view name.")
    shown = views.get("open")           # None: the docks stay as the window has them
    if shown is not None and (not isinstance(shown, list) or len(shown) > MAX_VIEW_SETTINGS
                              or not all(isinstance(n, str) for n in shown)):
        raise SessionError(f"{where}: 'views.open' must be a list of view names.")
    options = views.get("settings", {})
    if not isinstance(options, dict) or len(options) > MAX_VIEW_SETTINGS \
            or not all(isinstance(v, dict) for v in options.values()):
        raise SessionError(f"{where}: 'views.settings' must map view names to objects.")
    return {"front": front, "open": None if shown is None else list(shown), "settings": dict(options)}


def _describe(arch: dict) -> str:
    return "-".join(str(s) for s in arch["sizes"]) + f" {'/'.join(arch['activations'])} {arch['cost']}"
