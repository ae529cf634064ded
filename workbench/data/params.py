"""Data spec strings and typed source parameters.

Grammar (whitespace around keys and values is ignored)::

    spec   := SOURCE [ ":" REST | "," REST ]
    REST   := PATH | [PATH ","] KEY=VALUE ("," KEY=VALUE)*

Examples: ``xor``, ``teacher:items=2000,seed=5``, ``mnist:~/data/mnist``,
``mnist:~/data/mnist,train=1000``, ``mnist:train=1000`` and ``mnist,train=1000``,
``csv:iris.csv,target=species,standardize=true``.

The first item after the source is a path unless it looks like ``key=value`` (a key is a letter or
``_`` followed by letters, digits, ``_`` or ``-``). A path may contain commas and colons; it cannot
contain ``,key=``. Several values for one key are separated by ``;`` (``target=y1;y2``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.limits import clipped
from ..core.network import MAX_WEIGHT_LAYERS
from .errors import DataError

_SOURCE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_KEY_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=(.*)$", re.S)

PARAM_KINDS = ("int", "float", "bool", "choice", "str", "sizes")

#: Entries of a "sizes" value: the hidden layers of a network (its weight layers less the output
#: layer), at most as many as the deepest network Workbench builds.
MAX_SIZES = MAX_WEIGHT_LAYERS - 1

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_spec(spec: str) -> tuple[str, str | None, dict[str, str]]:
    """Split ``spec`` into ``(source, path_or_None, {key: raw string value})``.

    ``source`` is lower-cased; values stay strings (``load_dataset`` converts them with the source's
    parameter list). Raises ``DataError`` for an empty spec, a bad source name or a repeated key.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise DataError("The data spec is empty; give a source such as 'mnist', 'xor' or 'csv:PATH'.")
    text = spec.strip()
    cut = len(text)
    for sep in (":", ","):
        pos = text.find(sep)
        if pos != -1:
            cut = min(cut, pos)
    source = text[:cut].strip()
    rest = text[cut + 1:] if cut < len(text) else ""
    if not _SOURCE_RE.match(source):
        raise DataError(f"'{source}' is not a data source name (in spec '{spec}').")
    path: str | None = None
    params: dict[str, str] = {}
    last_key: str | None = None
    for i, token in enumerate(rest.split(",") if rest.strip() else []):
        m = _KEY_RE.match(token)
        if m:
            key = m.group(1).lower()
            if key in params:
                raise DataError(f"Parameter '{key}' is given twice in spec '{spec}'.")
            params[key] = m.group(2).strip()
            last_key = key
        elif last_key is None:
            path = token if path is None else path + "," + token
        else:
            params[last_key] += "," + token
    if path is not None:
        path = path.strip() or None
    return source.lower(), path, params


def format_spec(source: str, path: str | None, params: dict[str, Any]) -> str:
    """Inverse of ``parse_spec``: ``source[:path][,key=value...]`` with canonical value text."""
    items = [f"{k}={format_value(v)}" for k, v in params.items()]
    head = [path] if path else []
    body = ",".join(head + items)
    return f"{source}:{body}" if body else source


def format_value(value: Any) -> str:
    """Canonical text of a parameter value (``true``/``false``, shortest float, ``10-10-10``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, (list, tuple)):
        return "-".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Param:
    """One parameter of a data source, enough for a GUI to build a form field.

    ``kind`` is one of ``"int"``, ``"float"``, ``"bool"``, ``"choice"`` (one of ``choices``),
    ``"str"`` or ``"sizes"`` (a list of positive integers written ``10-10-10``; ``default`` is a
    tuple). ``min``/``max`` bound numbers (inclusive) and the entries of a ``sizes`` list.
    """

    name: str
    default: Any
    kind: str
    doc: str
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None

    def parse(self, text: Any, where: str = "") -> Any:
        """Convert a raw value (string or already typed) to this parameter's type, checking bounds."""
        prefix = f"{where}: " if where else ""
        raw = text.strip() if isinstance(text, str) else text
        try:
            value = self._convert(raw)
        except (TypeError, ValueError, OverflowError):
            raise DataError(f"{prefix}{self.name} must be {self.describe()} (got '{clipped(str(text))}').") from None
        self._check(value, prefix, text)
        return value

    def describe(self) -> str:
        """A phrase such as 'an integer from 1 to 60000' used in error messages."""
        rng = ""
        if self.min is not None and self.max is not None:
            rng = f" from {format_value(self.min)} to {format_value(self.max)}"
        elif self.min is not None:
            rng = f" ≥ {format_value(self.min)}"
        elif self.max is not None:
            rng = f" ≤ {format_value(self.max)}"
        if self.kind == "int":
            return "an integer" + rng + (" (or 'random')" if self.name == "seed" else "")
        if self.kind == "float":
            return "a number" + rng
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(format_value(c) for c in self.choices or ())
        if self.kind == "sizes":
            return "layer sizes such as 10-10-10 (each" + (rng or " ≥ 1") + ")"
        return "a text value"

    def _convert(self, raw: Any) -> Any:
        kind = self.kind
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError
            if isinstance(raw, str) and self.name == "seed" and raw.lower() == "random":
                return int(np.random.SeedSequence().generate_state(1)[0] & 0x7FFFFFFF)
            if isinstance(raw, float):
                if not raw.is_integer():
                    raise ValueError
                return int(raw)
            return int(str(raw).replace("_", ""))
        if kind == "float":
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            low = str(raw).lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError
        if kind == "choice":
            for choice in self.choices or ():
                if format_value(choice).lower() == format_value(raw).lower():
                    return choice
            raise ValueError
        if kind == "sizes":
            if isinstance(raw, (list, tuple)):
                return tuple(int(v) for v in raw)
            text = str(raw).strip()
            if text in ("", "none", "-"):
                return ()
            return tuple(int(part) for part in re.split(r"[-x;/ ]+", text))
        if raw is None:
            raise ValueError
        return str(raw)

    def _check(self, value: Any, prefix: str, text: Any) -> None:
        values = value if self.kind == "sizes" else (value,)
        if self.kind == "sizes" and len(values) > MAX_SIZES:
            raise DataError(f"{prefix}{self.name} lists {len(values):,} layer sizes; at most {MAX_SIZES} "
                            "are allowed.")
        if self.kind in ("int", "float", "sizes"):
            for v in values:
                low = 1 if self.kind == "sizes" and self.min is None else self.min
                if (low is not None and v < low) or (self.max is not None and v > self.max):
                    raise DataError(f"{prefix}{self.name} must be {self.describe()} (got '{clipped(str(text))}').")


def resolve_params(params: list[Param], raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Typed values for every parameter in ``params`` (defaults filled in), in declaration order.

    ``where`` names the source in messages. Unknown keys raise ``DataError`` listing the known ones.
    """
    known = {p.name: p for p in params}
    unknown = [k for k in raw if k not in known]
    if unknown:
        listing = ", ".join(known) if known else "none"
        raise DataError(f"{where} has no parameter '{unknown[0]}' (its parameters: {listing}).")
    return {p.name: (p.parse(raw[p.name], where) if p.name in raw else p.default) for p in params}
