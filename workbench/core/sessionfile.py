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
and the file keeps the permissions of the one it replaces).  Only regular files are read, and
files over ``MAX_BYTES`` (256 MiB) are refused before they are read and never written.  Every field
is type-checked and bounded: at most ``MAX_FOLLOWED`` followed weights, the architecture limits of
``check_architecture`` (for the stored weights too), the training panel's types
(``core.hyperparameters``), the plot history's limits (``core.history``) and small view options.
``load_session`` raises ``SessionError`` with one sentence naming the problem.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field

from .atomic import atomic_write
from .errors import WeightFileError
from .history import MAX_FOLLOWED
from .hyperparameters import LARGEST_WHOLE, hyperparameter_problem, is_whole_number, shown
from .limits import INT32_MAX
from .network import MAX_UNITS, check_architecture, has_weight
from .safefiles import UnreadableFile, format_bytes, read_bounded
from .serialization import load_weights, weights_to_bytes

FORMAT = "workbench-session"
VERSION = 1
SUFFIX = ".wbsession"
MAX_BYTES = 256 * 2**20      # larger files are refused unread (and never written)
#: JSON values (numbers, strings, lists, objects) a session may hold: parsing costs up to about
#: 75 bytes each, and the largest sessions the window writes (a full plot history of a 64-layer
#: network, 100,000 drawn points) hold about 5 million.
MAX_JSON_VALUES = 8_000_000
MAX_NAME = 1000              # characters of a session's name (the title bar shows it)
MAX_DATA_SPEC = 8192         # characters of its data spec (a path and options)


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
    #: What was left out while reading the file (one sentence each), e.g. surplus plot markers.
    notes: list = field(default_factory=list, compare=False, repr=False)

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
    if len(data) > MAX_BYTES:            # it could not be opened again
        raise SessionError(
            f"Cannot save {path}: the session would take {format_bytes(len(data))}, more than the "
            f"{format_bytes(MAX_BYTES)} a session may hold; save it without its weights and save the "
            f"weights on their own.")
    try:
        atomic_write(path, lambda f: f.write(data))
    except IsADirectoryError:
        raise SessionError(f"Cannot save {path}: it is a folder.") from None
    except OSError as exc:
        raise SessionError(f"Cannot write {path}: {exc.strerror or exc}.") from None


def load_session(path: str) -> Session:
    """Read and check a session file; raises SessionError with a clear sentence.

    Only a regular file of at most ``MAX_BYTES`` is read (a FIFO, a device or a larger file is
    refused unread); a UTF-8 byte order mark at the start is allowed."""
    try:
        raw = read_bounded(path, MAX_BYTES, "Workbench session")
    except UnreadableFile as exc:
        raise SessionError(str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionError(f"{path} is not a Workbench session (it is not UTF-8 text).") from None
    del raw
    values = text.count(",") + text.count("[") + text.count("{")    # an upper bound of the JSON values
    if values > MAX_JSON_VALUES:
        raise SessionError(f"{path} is too large to be a Workbench session: it holds more JSON values "
                           f"than the {MAX_JSON_VALUES:,} Workbench reads.")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError(f"{path} is corrupt: invalid JSON at line {exc.lineno}, column {exc.colno} "
                           f"({exc.msg}).") from None
    except RecursionError:
        raise SessionError(f"{path} is not a Workbench session: its JSON is nested too deeply.") from None
    except ValueError:        # an integer of more digits than Python converts (4,300)
        raise SessionError(f"{path} is not a Workbench session: it holds a number of thousands of "
                           f"digits.") from None
    except MemoryError:
        raise SessionError(f"Cannot open {path}: there is not enough memory to read it.") from None
    return session_from_json(doc, path)


def session_from_json(doc, where: str = "the session") -> Session:
    """Check a parsed session document and build a Session from it.

    Every field is checked for its type and bounded (``MAX_NAME``, ``LARGEST_WHOLE``,
    ``MAX_FOLLOWED``, the architecture limits of ``check_architecture``, those of the plot history
    and of the views); the first problem raises SessionError naming the field."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = shown(doc.get("format")) if isinstance(doc, dict) else shown(doc)
        raise SessionError(f"{where} is not a Workbench session (format is {found}, "
                           f"expected {FORMAT!r}).")
    version = doc.get("version")
    if version != VERSION or not is_whole_number(version):
        raise SessionError(f"{where} has session format version {shown(version)}; this Workbench reads "
                           f"version {VERSION}.")
    name = doc.get("name", "Untitled")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise SessionError(f"{where}: 'name' must be a non-empty string of at most {MAX_NAME:,} characters.")

    arch = doc.get("architecture")
    if arch is not None:
        if not isinstance(arch, dict) or not all(k in arch for k in ("sizes", "activations", "cost")):
            raise SessionError(f"{where}: 'architecture' needs 'sizes', 'activations' and 'cost'.")
        arch = _checked_architecture(arch, where, "invalid architecture")

    data = doc.get("data")
    if data is not None and (not isinstance(data, str) or not data.strip() or len(data) > MAX_DATA_SPEC):
        raise SessionError(f"{where}: 'data' must be a dataset spec string (at most {MAX_DATA_SPEC:,} "
                           f"characters) or null.")
    history = doc.get("history")
    if history is not None and not isinstance(history, dict):
        raise SessionError(f"{where}: 'history' must be an object or null.")
    epochs = doc.get("epochs_trained", 0)
    steps = doc.get("steps_trained", 0)
    for key, value in (("epochs_trained", epochs), ("steps_trained", steps)):
        if not is_whole_number(value) or not 0 <= value <= LARGEST_WHOLE:
            raise SessionError(f"{where}: '{key}' must be a whole number from 0 to {LARGEST_WHOLE:,}, "
                               f"not {shown(value)}.")

    watch = doc.get("watch", [])
    if not isinstance(watch, list) or not all(
            isinstance(w, list) and len(w) == 3 and all(is_whole_number(v) and 0 <= v <= MAX_UNITS for v in w)
            for w in watch):
        raise SessionError(f"{where}: 'watch' must be a list of [layer, i, j] weight indices (whole numbers ≥ 0).")
    if len(watch) > MAX_FOLLOWED:
        raise SessionError(f"{where}: 'watch' follows {len(watch):,} weights; at most {MAX_FOLLOWED} can be "
                           f"followed.")

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
        stored = _checked_architecture(network.architecture(), where, "the stored weights are unusable")
        if arch is None:
            arch = stored
        elif stored != arch:
            raise SessionError(
                f"{where}: the stored weights are for a {_describe(stored)} network "
                f"but the architecture is {_describe(arch)}.")
    for weight in watch if arch is not None else ():
        if not has_weight(arch["sizes"], weight):
            raise SessionError(f"{where}: the followed weight {weight} is not in the "
                               f"{'-'.join(map(str, arch['sizes']))} network.")

    hp = doc.get("hyperparameters")
    hp = {} if hp is None else hp
    problem = hyperparameter_problem(hp, len(arch["sizes"]) - 1 if arch is not None else None, where=where)
    if problem:
        raise SessionError(problem)

    run_history, notes = None, []
    if history is not None:
        from .history import HistoryError, RunHistory

        try:
            run_history = RunHistory.from_json(history)
        except HistoryError as exc:
            raise SessionError(f"{where}: {exc}") from None
        if arch is not None and run_history.n_layers != len(arch["sizes"]) - 1:
            raise SessionError(f"{where}: the plot history is for {run_history.n_layers} weight layers, "
                               f"the network has {len(arch['sizes']) - 1}.")
        if run_history.load_note:
            notes.append(run_history.load_note)
    return Session(name=name.strip(), architecture=arch, hyperparameters=dict(hp), data=data,
                   history=history, epochs_trained=epochs, steps_trained=steps,
                   network=network, watch=[tuple(w) for w in watch], views=views, points=points,
                   run_history=run_history, notes=notes)


def _checked_architecture(arch: dict, where: str, what: str) -> dict:
    """The architecture, checked as the designer checks it (``check_architecture``: types, names,
    every layer's size and the network's size) and copied; SessionError otherwise."""
    problem = check_architecture(arch["sizes"], arch["activations"], arch["cost"])
    if problem:
        raise SessionError(f"{where}: {what}. {problem}")
    return {"sizes": [int(s) for s in arch["sizes"]], "activations": list(arch["activations"]),
            "cost": arch["cost"]}


MAX_VIEW_SETTINGS = 64        # views named in a session, and options of each; each view checks its values
MAX_SETTING_TEXT = 256        # characters of a text option
MAX_SETTING_LIST = 64         # items of a list option (numbers, texts)


def _setting_problem(value) -> str | None:
    """Why a view option is not a small JSON value (null, true/false, a number a Qt control takes,
    a short text, or a short list of those), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if -INT32_MAX <= value <= INT32_MAX else f"is {shown(value)}, beyond ±{INT32_MAX:,}"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"is {value!r}"
    if isinstance(value, str):
        return None if len(value) <= MAX_SETTING_TEXT else f"is a text of {len(value):,} characters"
    if isinstance(value, list):
        if len(value) > MAX_SETTING_LIST:
            return f"is a list of {len(value):,} items"
        for item in value:
            if isinstance(item, (list, dict)):
                return "holds a list or an object"
            problem = _setting_problem(item)
            if problem:
                return f"holds a value that {problem}"
        return None
    return f"is {shown(value)}"


def _checked_views(views, where: str) -> dict | None:
    """The "views" entry, checked for shape (names are strings, settings objects of small values);
    the window ignores names it has no view for, and each view ignores values it cannot use."""
    if views is None:
        return None
    if not isinstance(views, dict):
        raise SessionError(f"{where}: 'views' must be an object or null.")
    front = views.get("front")
    if front is not None and (not isinstance(front, str) or len(front) > MAX_SETTING_TEXT):
        raise SessionError(f"{where}: 'views.front' must be a view name.")
    shown_views = views.get("open")           # None: the docks stay as the window has them
    if shown_views is not None and (not isinstance(shown_views, list) or len(shown_views) > MAX_VIEW_SETTINGS
                                    or not all(isinstance(n, str) and len(n) <= MAX_SETTING_TEXT
                                               for n in shown_views)):
        raise SessionError(f"{where}: 'views.open' must be a list of view names.")
    options = views.get("settings", {})
    if not isinstance(options, dict) or len(options) > MAX_VIEW_SETTINGS \
            or not all(isinstance(v, dict) for v in options.values()):
        raise SessionError(f"{where}: 'views.settings' must map view names to objects.")
    for view, values in options.items():
        if len(view) > MAX_SETTING_TEXT or len(values) > MAX_VIEW_SETTINGS:
            raise SessionError(f"{where}: 'views.settings' holds too many or too long entries "
                               f"(at most {MAX_VIEW_SETTINGS} options per view).")
        for key, value in values.items():
            problem = _setting_problem(value)
            if problem or len(key) > MAX_SETTING_TEXT:
                raise SessionError(f"{where}: 'views.settings.{view[:40]}.{key[:40]}' "
                                   f"{problem or 'has too long a name'}; view options are small values.")
    return {"front": front, "open": None if shown_views is None else list(shown_views),
            "settings": {name: dict(values) for name, values in options.items()}}


def _describe(arch: dict) -> str:
    return "-".join(str(s) for s in arch["sizes"]) + f" {'/'.join(arch['activations'])} {arch['cost']}"
