"""The training settings a session stores (the window's training panel), checked without Qt.

A session's "hyperparameters" object may hold: ``optimizer``, ``lr``, ``momentum``, ``batch_size``,
``epochs``, ``l2``, ``layer_lr``, ``init``, ``bias_init``, ``seed``, ``dtype``, ``resolution`` and the
stop conditions ``stop_accuracy`` (a percentage), ``stop_cost`` and ``patience`` (epochs), each
null when off, and ``checkpoint_every`` (epochs between two checkpoints of a run) (keys it leaves out keep their value; unknown keys, from a newer Workbench, are
ignored).

``hyperparameter_problem(values, n_layers)`` checks every key that is present: its type (a number
is a finite int or float, never a bool, a whole number an int), its choices and, with
``panel=True``, the ranges of the training panel's controls (``PANEL_RANGES``), so a session the
window opens never holds a value its controls would clamp or overflow.  It returns one sentence that
names the field, or None.  ``shown(value)`` describes any JSON value briefly for such a sentence.
"""

from __future__ import annotations

import math

from .limits import INT32_MAX, SHOWN_CHARS
from .network import BIAS_INITIALIZERS, DTYPES, INITIALIZERS
from .optimizers import OPTIMIZERS

__all__ = ["PANEL_RANGES", "is_finite_number", "is_whole_number", "RESOLUTIONS", "LARGEST_WHOLE", "hyperparameter_problem", "shown"]

RESOLUTIONS = ("batch", "epoch")
#: Whole numbers above this are refused everywhere (float64 counts them exactly up to here).
LARGEST_WHOLE = 2**53
#: The training panel's ranges: (least, most) of each control.  A mini-batch is 2 or more
#: samples; a batch size of 1 is online learning and "full" (or 0) the whole training set.
PANEL_RANGES = {
    "lr": (0.0, 1000.0),
    "momentum": (0.0, 0.999),
    "l2": (0.0, 100_000.0),
    "layer_lr": (0.0, 1000.0),
    "batch_size": (2, 1_000_000),
    "epochs": (1, 1_000_000),
    "seed": (0, INT32_MAX),
    "stop_accuracy": (0.1, 100.0),
    "stop_cost": (0.0, 1_000_000.0),
    "patience": (1, 100_000),
    "checkpoint_every": (1, 100_000),
}
_LABELS = {
    "optimizer": "the optimiser", "lr": "the learning rate η", "momentum": "momentum α",
    "l2": "the L2 strength λ", "batch_size": "the batch size", "epochs": "the epochs to run",
    "layer_lr": "the per-layer learning-rate multipliers", "init": "the weight initialisation",
    "bias_init": "the bias initialisation", "seed": "the seed", "dtype": "the precision",
    "resolution": "the plot resolution", "stop_accuracy": "the target accuracy in %",
    "stop_cost": "the target cost", "patience": "the epochs without improvement before stopping",
    "checkpoint_every": "the epochs between two checkpoints",
}
_CHOICES = {"optimizer": tuple(OPTIMIZERS), "init": tuple(INITIALIZERS), "bias_init": tuple(BIAS_INITIALIZERS),
            "dtype": tuple(DTYPES), "resolution": RESOLUTIONS}


def shown(value) -> str:
    """A short description of a JSON value for a message: null, true, 0.5, 'text', a list of 3
    items, an object, a number of 5,000 digits (never the whole of a huge value)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) >= 10**15:
            return f"a number of about {int(abs(value).bit_length() * math.log10(2)) + 1:,} digits"
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= SHOWN_CHARS else repr(value[:SHOWN_CHARS - 3]) + "…"
    if isinstance(value, list):
        return f"a list of {len(value):,} item{'s' * (len(value) != 1)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def is_finite_number(value) -> bool:
    """A finite int or float, not a bool (ints beyond a float's range are not finite numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def is_whole_number(value) -> bool:
    """An int, not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _field_name(key: str, where: str | None = None) -> str:
    return f"'{key}' in {where} ({_LABELS[key]})" if where else f"'{key}' ({_LABELS[key]})"


def _range_text(low, high) -> str:
    return f"{low:,} to {high:,}" if isinstance(low, int) else f"{low:g} to {high:,g}"


def hyperparameter_problem(values, n_layers: int | None = None, *, panel: bool = False,
                           where: str | None = None) -> str | None:
    """Why ``values`` (a session's "hyperparameters") cannot be used, in one sentence naming the
    field ("'lr' in WHERE ..." when ``where``, the file, is given), or None.  ``n_layers``: the
    weight layers of the network, so that ``layer_lr`` has one multiplier per layer (None: not
    known, not checked).  ``panel``: also the training panel's ranges (the window's rules); without
    it only what every reader needs (types, choices, signs)."""
    def name(key: str) -> str:
        return _field_name(key, where)

    if not isinstance(values, dict):
        return f"'hyperparameters'{f' in {where}' if where else ''} must be an object, not {shown(values)}."
    for key, choices in _CHOICES.items():
        if key in values and not (key == "resolution" and values[key] is None) and (
                not isinstance(values[key], str) or values[key] not in choices):
            return f"{name(key)} must be one of {', '.join(choices)}, not {shown(values[key])}."
    for key in ("lr", "momentum", "l2"):
        if key not in values:
            continue
        value = values[key]
        if not is_finite_number(value):
            return f"{name(key)} must be a finite number, not {shown(value)}."
        low, high = PANEL_RANGES[key] if panel else (0.0, math.inf)
        if not low <= value <= high:
            return (f"{name(key)} is {shown(value)}; it must be " +
                    (f"from {_range_text(low, high)} (the training panel's range)." if panel else "0 or more."))
    if "batch_size" in values:
        batch = values["batch_size"]
        if batch != "full" and not (is_whole_number(batch) and 0 <= batch <= LARGEST_WHOLE):
            return f"{name('batch_size')} must be a whole number ≥ 0 or 'full', not {shown(batch)}."
        low, high = PANEL_RANGES["batch_size"]
        if panel and batch not in ("full", 0, 1) and not low <= batch <= high:
            return (f"{name('batch_size')} is {shown(batch)}; the training panel takes mini-batches of "
                    f"{_range_text(low, high)} samples, 1 (online) or 'full'.")
    for key in ("stop_accuracy", "stop_cost"):
        value = values.get(key)
        if value is None:
            continue
        if not is_finite_number(value):
            return f"{name(key)} must be a finite number or null, not {shown(value)}."
        low, high = PANEL_RANGES[key] if panel else ((1e-300, 100.0) if key == "stop_accuracy" else (0.0, math.inf))
        if not low <= value <= high:
            return (f"{name(key)} is {shown(value)}; it must be " +
                    (f"from {_range_text(low, high)} (the training panel's range)." if panel else
                     ("above 0 and at most 100." if key == "stop_accuracy" else "0 or more.")))
    for key in ("epochs", "seed", "patience", "checkpoint_every"):
        if key not in values or (key != "seed" and values[key] is None):
            continue
        value = values[key]
        if not is_whole_number(value) or not 0 <= value <= LARGEST_WHOLE:
            return f"{name(key)} must be a whole number ≥ 0, not {shown(value)}."
        if key in ("patience", "checkpoint_every") and value < 1:
            return f"{name(key)} must be a whole number of epochs ≥ 1 or null, not {shown(value)}."
        low, high = PANEL_RANGES[key]
        if panel and not low <= value <= high:
            return f"{name(key)} is {shown(value)}; the training panel takes {_range_text(low, high)}."
    multipliers = values.get("layer_lr")
    if multipliers is not None:
        if not isinstance(multipliers, list):
            return f"{name('layer_lr')} must be a list of numbers or null, not {shown(multipliers)}."
        if n_layers is not None and len(multipliers) != n_layers:
            return (f"{name('layer_lr')} has {len(multipliers):,} multiplier{'s' * (len(multipliers) != 1)} "
                    f"for a network of {n_layers} weight layer{'s' * (n_layers != 1)}.")
        low, high = PANEL_RANGES["layer_lr"] if panel else (0.0, math.inf)
        for index, m in enumerate(multipliers):
            if not is_finite_number(m) or not low <= m <= high:
                text = f"{name('layer_lr')} holds {shown(m)} at position {index + 1}"
                return text + (f"; each must be a number from {_range_text(low, high)}." if panel
                                else "; each must be a finite number ≥ 0.")
    return None
