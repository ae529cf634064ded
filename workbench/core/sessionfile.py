"""Session files (``.wbsession``): everything needed to pick an experiment up again.

A session is one UTF-8 JSON object::

    {
      "format": "workbench-session",
      "version": 2,
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
      "points": {...} | null,                         # the data set's points when the user drew
                                                      # on it (workbench.data.drawn), else null
      "runs": [{"id": 1, "name": "Run 1",             # version 2: the runs side by side
                "settings": {"architecture": {...}, "hyperparameters": {...}, "data": "xor"},
                "history": {...} | null,              # null for the current run: "history" above
                "checkpoints": [{"epochs": 0, "steps": 0, "weights": {"encoding": "npz-base64", ...},
                                 "shuffle": [seed, start steps, epochs drawn, n_train] | null}],
                "started": 1700000000.0, "finished": ..., "seconds": 12.5,
                "parent": [run id, checkpoint epoch] | null, "end_reason": "Stopped at ..." | null}],
      "current_run": 1 | null                         # the run the weights above belong to
    }

Version 1 files (no "runs") still open: their history (and weights, as the last checkpoint)
becomes the one run.  Saving writes version 2 and measures the very text it writes against what
``load_session`` reads (``MAX_BYTES``, and ``MAX_JSON_VALUES`` as ``json_value_bound`` counts
them): when it would not fit, the runs' checkpoints are thinned (each run's first and last kept)
and ``save_session`` returns a sentence saying so; a session that does not fit even then is
refused with one sentence, never written.  The runs are checked by
``core.runs`` (``RunList.from_json``) as strictly as the rest.

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

import json
import math
import secrets
from dataclasses import dataclass, field

from .atomic import atomic_write
from .history import MAX_FOLLOWED
from .hyperparameters import LARGEST_WHOLE, hyperparameter_problem, is_whole_number, shown
from .limits import INT32_MAX
from .network import MAX_UNITS, check_architecture, has_weight
from .safefiles import UnreadableFile, format_bytes, read_bounded
from .serialization import weights_from_json, weights_json, weights_to_bytes

FORMAT = "workbench-session"
VERSION = 2
READS = (1, 2)               # the versions this Workbench opens
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
    #: The runs (a ``workbench.core.runs.RunList``) or None; the current run's history is ``history``.
    runs: object | None = field(default=None, compare=False, repr=False)

    def to_json(self, include_weights: bool = True, checkpoints: dict | None = None) -> dict:
        """The session as a JSON document.  ``checkpoints``: run id → the checkpoints of that run
        to write (default: all of them, or none without the weights); ``save_session`` chooses
        them so that the file fits."""
        weights = None
        if include_weights and self.network is not None:
            weights = weights_json(weights_to_bytes(self.network))
        doc = self._fields_json(weights)
        runs = self.runs
        if runs is not None and len(runs):
            chosen = {r.id: (checkpoints or {}).get(r.id, r.checkpoints if include_weights else [])
                      for r in runs.runs}
            doc["runs"] = [_finite_json(run) for run in runs.to_json(
                current_history_separate=self.history is not None, checkpoints=chosen)]
            doc["current_run"] = runs.current
        else:
            doc["runs"], doc["current_run"] = [], None
        return doc

    def _fields_json(self, weights) -> dict:
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


def json_value_bound(text: str) -> int:
    """What ``load_session`` counts against ``MAX_JSON_VALUES`` in a session's text: its commas,
    brackets and braces (about one a value; spaces, line ends and base64 text add none)."""
    return text.count(",") + text.count("[") + text.count("{")


def save_session(path: str, session: Session, include_weights: bool = True) -> list[str]:
    """Write ``session`` to ``path`` atomically (``session_bytes``: thinned to fit the reader's
    limits); returns the sentences on what was left out ([] when nothing was); raises SessionError
    (one sentence) if it cannot fit or the disk refuses."""
    data, notes = session_bytes(session, include_weights, path)
    try:
        atomic_write(path, lambda f: f.write(data))
    except IsADirectoryError:
        raise SessionError(f"Cannot save {path}: it is a folder.") from None
    except OSError as exc:
        raise SessionError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return notes


def session_bytes(session: Session, include_weights: bool = True, where: str = "the session") -> tuple[bytes, list]:
    """(the bytes of the file, notes): the session's JSON as ``save_session`` writes it (indent 1),
    within the limits ``load_session`` reads: at most ``MAX_BYTES`` bytes and ``MAX_JSON_VALUES``
    (``json_value_bound`` of that very text).  When it would not fit, the runs' checkpoints are
    thinned, the oldest runs' first, each run's first and last always kept; a note says how many
    were kept.  Without the weights no checkpoint is written (a note says so too).  SessionError
    when even the thinned session does not fit."""
    from .runs import thinned_checkpoints

    runs = session.runs.runs if session.runs is not None else []
    stored = sum(len(r.checkpoints) for r in runs)
    if not include_weights or not stored:
        text = json.dumps(session.to_json(include_weights), indent=1, allow_nan=False)
        notes = [f"The runs' {stored:,} checkpoint{'s' * (stored != 1)} {'were' if stored != 1 else 'was'} not "
                 f"saved: the session was saved without its weights."] if stored else []
        _check_fits(where, len(text), json_value_bound(text), include_weights, False, len(runs) > 1)
        return text.encode("ascii"), notes
    # The session without checkpoints, each run's list held by a unique mark; each checkpoint's
    # text is then spliced in as json.dumps(indent=1) writes it, so that sizes add up exactly.
    token = secrets.token_hex(16)
    doc = session.to_json(True, checkpoints={r.id: [] for r in runs})
    for entry, run in zip(doc["runs"], runs):
        entry["checkpoints"] = f"{token}-{run.id}"
    base = json.dumps(doc, indent=1, allow_nan=False)
    spots, items = [], {}
    for run in runs:
        mark = f'"{token}-{run.id}"'
        at = base.find(mark)
        if at < 0 or base.find(mark, at + len(mark)) >= 0:      # a random mark: never in the user's text
            raise SessionError(f"Cannot save {where}: its runs could not be written; save it again.")
        line = base[base.rfind("\n", 0, at) + 1:at]
        depth = len(line) - len(line.lstrip(" "))
        pad = "\n" + " " * (depth + 1)
        texts = [json.dumps(_finite_json(c), indent=1, allow_nan=False).replace("\n", pad)
                 for c in run.to_json(include_history=False)["checkpoints"]]
        items[run.id] = (texts, [len(t) for t in texts], [json_value_bound(t) for t in texts], depth)
        spots.append((at, len(mark), run.id))
    chosen = {r.id: list(range(len(r.checkpoints))) for r in runs}
    thinnable = any(len(r.checkpoints) > 2 for r in runs)

    def size(run_id) -> tuple[int, int]:          # bytes and values of the run's list, in place of its mark
        texts, lengths, values, depth = items[run_id]
        n = len(chosen[run_id])
        if not n:
            return 2, 1
        return (3 + depth + n * (depth + 2) + (n - 1) + sum(lengths[i] for i in chosen[run_id]),
                n + sum(values[i] for i in chosen[run_id]))

    sizes = {r.id: size(r.id) for r in runs}
    marks = sum(length for _, length, _ in spots)
    base_values = json_value_bound(base)

    def total() -> tuple[int, int]:
        return (len(base) - marks + sum(b for b, _ in sizes.values()),
                base_values + sum(v for _, v in sizes.values()))

    def fits() -> bool:
        n_bytes, n_values = total()
        return n_bytes <= MAX_BYTES and n_values <= MAX_JSON_VALUES

    for run in runs:                               # oldest first
        while len(chosen[run.id]) > 2 and not fits():
            chosen[run.id] = thinned_checkpoints(chosen[run.id])
            sizes[run.id] = size(run.id)
    if not fits():
        _check_fits(where, *total(), True, thinnable, len(runs) > 1)
    pieces, last = [], 0
    for at, length, run_id in sorted(spots):
        texts, _, _, depth = items[run_id]
        pad = "\n" + " " * (depth + 1)
        pieces += [base[last:at], "[" + pad + ("," + pad).join(texts[i] for i in chosen[run_id])
                   + "\n" + " " * depth + "]" if chosen[run_id] else "[]"]
        last = at + length
    pieces.append(base[last:])
    text = "".join(pieces)
    del pieces
    _check_fits(where, len(text), json_value_bound(text), True, thinnable, len(runs) > 1)     # what is written, measured
    kept = sum(len(c) for c in chosen.values())
    notes = [] if kept == stored else [
        f"The runs' checkpoints were thinned to {kept:,} of {stored:,} (each run's first and last kept) so that "
        f"the session stays within the {format_bytes(MAX_BYTES)} and {MAX_JSON_VALUES:,} JSON values Workbench "
        f"reads."]
    return text.encode("ascii"), notes


def _check_fits(where: str, n_bytes: int, n_values: int, include_weights: bool, thinned: bool,
                has_runs: bool) -> None:
    """SessionError (one sentence) when a session's text of ``n_bytes`` holding ``n_values``
    (``json_value_bound``) could not be opened again."""
    if n_bytes <= MAX_BYTES and n_values <= MAX_JSON_VALUES:
        return
    even = " even with each run's checkpoints thinned to its first and last" if thinned else ""
    if n_bytes > MAX_BYTES:
        what = (f"would take {format_bytes(n_bytes)}{even}, more than the {format_bytes(MAX_BYTES)} a session "
                f"may hold")
    else:
        what = (f"would hold {n_values:,} JSON values{even} (its plot histories), more than the "
                f"{MAX_JSON_VALUES:,} Workbench reads")
    advice = ["save it without its weights and save the weights on their own"] \
        if include_weights and n_bytes > MAX_BYTES else []
    advice += ["delete some runs"] if has_runs else []
    advice = f"; {', or '.join(advice)}" if advice else ""
    raise SessionError(f"Cannot save {where}: the session {what}{advice}.")


def load_session(path: str) -> Session:
    """Read and check a session file; raises SessionError with a clear sentence.

    Only a regular file of at most ``MAX_BYTES`` is read (a FIFO, a device or a larger file is
    refused unread); a UTF-8 byte order mark at the start is allowed."""
    try:
        raw = read_bounded(path, MAX_BYTES, "Workbench session")
    except UnreadableFile as exc:
        raise SessionError(str(exc)) from None
    try:
        doc = parse_json_text(raw)
    except JsonTextError as exc:
        raise SessionError({
            "utf-8": f"{path} is not a Workbench session (it is not UTF-8 text).",
            "values": f"{path} is too large to be a Workbench session: it holds more JSON values "
                      f"than the {MAX_JSON_VALUES:,} Workbench reads.",
            "json": f"{path} is corrupt: {exc.phrase}.",
            "depth": f"{path} is not a Workbench session: {exc.phrase}.",
            "digits": f"{path} is not a Workbench session: {exc.phrase}.",
            "memory": f"Cannot open {path}: {exc.phrase}.",
        }[exc.kind]) from None
    return session_from_json(doc, path)


class JsonTextError(ValueError):
    """Why ``parse_json_text`` could not read a file's bytes: ``kind`` ("utf-8", "values", "json",
    "depth", "digits" or "memory") and a ``phrase`` that completes the reader's sentence."""

    def __init__(self, kind: str, phrase: str):
        super().__init__(phrase)
        self.kind, self.phrase = kind, phrase


def parse_json_text(raw: bytes):
    """The JSON document in ``raw`` (UTF-8, a byte order mark allowed), read within
    ``MAX_JSON_VALUES``; ``JsonTextError`` otherwise.  Sessions and labs read their files with it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise JsonTextError("utf-8", "it is not UTF-8 text") from None
    del raw
    if json_value_bound(text) > MAX_JSON_VALUES:
        raise JsonTextError("values", f"it holds more JSON values than the {MAX_JSON_VALUES:,} Workbench reads")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonTextError("json", f"invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
    except RecursionError:
        raise JsonTextError("depth", "its JSON is nested too deeply") from None
    except ValueError:        # an integer of more digits than Python converts (4,300)
        raise JsonTextError("digits", "it holds a number of thousands of digits") from None
    except MemoryError:
        raise JsonTextError("memory", "there is not enough memory to read it") from None


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
    if not is_whole_number(version) or version not in READS:
        raise SessionError(f"{where} has session format version {shown(version)}; this Workbench reads "
                           f"versions {READS[0]} to {READS[-1]}.")
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
        network, _ = weights_from_json(weights, where, SessionError)
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
    runs = _runs(doc, version, where, arch, dict(hp), data, run_history, network, epochs, steps)
    return Session(name=name.strip(), architecture=arch, hyperparameters=dict(hp), data=data,
                   history=history, epochs_trained=epochs, steps_trained=steps,
                   network=network, watch=[tuple(w) for w in watch], views=views, points=points,
                   run_history=run_history, notes=notes, runs=runs)


def _runs(doc, version, where, arch, hp, data, run_history, network, epochs, steps):
    """The session's RunList: version 2's "runs", or for version 1 the one run its history (and
    weights, as that run's last checkpoint) make; an empty list when there is neither."""
    from .runs import RunList, RunsError, checkpoint_of, run_settings

    if version >= 2:
        try:
            runs = RunList.from_json(doc.get("runs", []), doc.get("current_run"), run_history)
        except RunsError as exc:
            raise SessionError(f"{where}: {exc}") from None
        current = runs.current_run
        if current is not None and network is not None and current.settings["architecture"] != arch:
            raise SessionError(f"{where}: the current run is for a {_describe(current.settings['architecture'])} "
                               f"network but the weights are for {_describe(arch)}.")
        return runs
    runs = RunList()
    if arch is not None and None not in arch["sizes"] and (run_history is not None or network is not None):
        from .history import RunHistory

        history = run_history if run_history is not None else RunHistory(len(arch["sizes"]) - 1)
        run = runs.new_run(run_settings(arch, hp, data), history, name="Run 1")
        run.started = None
        if network is not None:
            runs.add_checkpoint(run, checkpoint_of(network, epochs, steps))
    return runs


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
