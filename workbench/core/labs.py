"""Labs: session files that reproduce a figure, with a short text of what to look for (no Qt).

A lab is ``resources/labs/NAME.wbsession``: an ordinary session file (``core.sessionfile``) with
one more top-level key::

    "lab": {"title": "Vanishing gradient: 2 hidden layers",   # the Labs menu entry
            "group": "Nielsen, chapter 5",                     # Labs submenu / --list-labs group
            "order": 10,                                       # sort key inside the group
            "text": "What to look for: ...",                   # plain text, a few sentences
            "reference": {...}}                                # optional, lab-specific numbers

NAME (the file stem, ``--lab NAME``) is letters, digits, ``-`` and ``_``.  ``load_lab(name)``
reads the file (bounded, regular files only), checks the "lab" object (types and lengths), removes
it and parses the rest with ``session_from_json``; every problem is one sentence in a
``LabError``.  ``lab_names()`` lists the labs; ``lab_index()`` reads them all for a menu.

"reference" holds small values only: at most ``MAX_REFERENCE_KEYS`` keys, each a number, a short
text or a list of at most ``MAX_REFERENCE_LIST`` numbers or short texts (or nulls).  The lab-notes
view reads the keys it knows: ``initial_speeds`` (the book's initial learning speed ‖δˡ‖ of each
hidden layer, input side first) with ``source`` (where they are printed).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .limits import INT32_MAX, MAX_LABEL_CHARS, clipped
from .safefiles import UnreadableFile, read_bounded
from .sessionfile import SUFFIX, JsonTextError, Session, SessionError, parse_json_text, session_from_json

__all__ = ["LABS_DIR", "Lab", "LabError", "MAX_LAB_BYTES", "lab_names", "lab_index", "lab_path",
           "load_lab", "lab_from_json"]

_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parent / "resources"
#: resources/labs beside the package in a checkout, inside it (workbench/resources) when installed;
#: the same rule as ``workbench.gui.resources_path``.
LABS_DIR = (_CHECKOUT if (_CHECKOUT / "presets").is_dir() else _PACKAGE / "resources") / "labs"

MAX_LAB_BYTES = 64 * 2**20       # a lab holds at most one small network's weights
MAX_TEXT = 4000                  # characters of a lab's "what to look for" text
MAX_REFERENCE_KEYS = 32
MAX_REFERENCE_LIST = 64
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


class LabError(ValueError):
    """A lab that is unknown, missing or damaged; the message says which and why in one sentence."""


@dataclass
class Lab:
    name: str                    # the file stem: --lab NAME
    title: str                   # the Labs menu entry
    group: str                   # the Labs submenu
    order: int                   # sort key inside the group
    text: str                    # what to look for
    reference: dict = field(default_factory=dict)
    session: Session | None = None
    path: Path | None = None


def lab_path(name: str, folder: Path | None = None) -> Path:
    return (LABS_DIR if folder is None else Path(folder)) / f"{name}{SUFFIX}"


def lab_names(folder: Path | None = None) -> list[str]:
    """The stems of every lab file in ``folder`` (resources/labs), sorted."""
    folder = LABS_DIR if folder is None else Path(folder)
    try:
        return sorted(p.name[:-len(SUFFIX)] for p in folder.iterdir()
                      if p.name.endswith(SUFFIX) and _NAME.fullmatch(p.name[:-len(SUFFIX)]))
    except OSError:
        return []


def _unknown(name: str, folder: Path | None) -> LabError:
    known = lab_names(folder)
    listed = ", ".join(known) if known else "none are installed"
    return LabError(f"There is no lab called {clipped(name)!r}; the labs are: {listed}.")


def load_lab(name: str, folder: Path | None = None) -> Lab:
    """The lab ``name`` (a file stem) read and checked; raises LabError with one sentence."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise _unknown(str(name), folder)
    path = lab_path(name, folder)
    if not path.exists() and not path.is_symlink():
        raise _unknown(name, folder)
    try:
        raw = read_bounded(path, MAX_LAB_BYTES, "Workbench lab")
    except UnreadableFile as exc:
        raise LabError(str(exc)) from None
    where = f"The lab {name!r}"
    try:
        doc = parse_json_text(raw)
    except JsonTextError as exc:
        phrase = "its file is not UTF-8 text" if exc.kind == "utf-8" else \
            "it holds more JSON values than Workbench reads" if exc.kind == "values" else exc.phrase
        raise LabError(f"{where} is damaged: {phrase}.") from None
    lab = lab_from_json(name, doc)
    lab.path = path
    return lab


def lab_from_json(name: str, doc) -> Lab:
    """Check a parsed lab document (a session with a "lab" object) and build the Lab."""
    where = f"The lab {name!r}"
    if not isinstance(doc, dict):
        raise LabError(f"{where} is damaged: it is not a JSON object.")
    info = doc.get("lab")
    if not isinstance(info, dict):
        raise LabError(f"{where} is damaged: it has no \"lab\" object (title, group, order, text).")
    for key, limit in (("title", MAX_LABEL_CHARS), ("group", MAX_LABEL_CHARS), ("text", MAX_TEXT)):
        value = info.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise LabError(f"{where} is damaged: 'lab.{key}' must be a non-empty text of at most "
                           f"{limit:,} characters.")
    order = info.get("order")
    if isinstance(order, bool) or not isinstance(order, int) or not -INT32_MAX <= order <= INT32_MAX:
        raise LabError(f"{where} is damaged: 'lab.order' must be a whole number.")
    reference = info.get("reference", {})
    problem = _reference_problem(reference)
    if problem:
        raise LabError(f"{where} is damaged: 'lab.reference' {problem}.")
    rest = {k: v for k, v in doc.items() if k != "lab"}
    try:
        session = session_from_json(rest, where=where)
    except SessionError as exc:
        message = str(exc)
        raise LabError(message if message.startswith(where) else f"{where} is damaged: {message}") from None
    return Lab(name=name, title=info["title"].strip(), group=info["group"].strip(), order=order,
               text=info["text"].strip(), reference=dict(reference or {}), session=session)


def _small(value) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return isinstance(value, int) and abs(value) <= INT32_MAX or isinstance(value, float) and math.isfinite(value)
    return isinstance(value, str) and len(value) <= MAX_LABEL_CHARS


def _reference_problem(reference) -> str | None:
    if reference is None:
        return None
    if not isinstance(reference, dict) or len(reference) > MAX_REFERENCE_KEYS:
        return f"must be an object of at most {MAX_REFERENCE_KEYS} entries"
    for key, value in reference.items():
        if len(key) > MAX_LABEL_CHARS:
            return "has too long a key"
        if isinstance(value, list):
            if len(value) > MAX_REFERENCE_LIST or not all(_small(v) for v in value):
                return (f"entry {clipped(key)!r} must be a list of at most {MAX_REFERENCE_LIST} numbers "
                        f"or short texts")
        elif not _small(value):
            return f"entry {clipped(key)!r} must be a number, a short text or a short list"
    for key, length in (("initial_speeds", None), ("spread", 2)):      # the notes compute with these
        value = reference.get(key)
        if value is None:
            continue
        numbers = isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in value)
        if not numbers or (length is not None and len(value) != length):
            return (f"entry {key!r} must be a list of {'two ' if length else ''}positive numbers, "
                    f"not {clipped(repr(value))}")
    return None


def lab_index(folder: Path | None = None) -> tuple[list[Lab], list[str]]:
    """Every lab that loads, sorted by group then order, and one sentence for each that does not."""
    labs, problems = [], []
    for name in lab_names(folder):
        try:
            labs.append(load_lab(name, folder))
        except LabError as exc:
            problems.append(str(exc))
    labs.sort(key=lambda lab: (lab.group.casefold(), lab.order, lab.name))
    return labs, problems


# ---------------------------------------------------------------------- the lab-notes table
def initial_speeds(net, X, Y) -> list[float]:
    """The learning speed ‖δˡ‖ = ‖∂C/∂bˡ‖ of every weight layer (first hidden layer first), with
    ∂C/∂bˡ averaged over all of (X, Y) (X: (n, n_in), Y: (n, n_out)) at ``net``'s weights: the
    number Nielsen prints, and what the epoch-0 record of a run holds."""
    import numpy as np

    from .training import full_bias_gradient

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return [math.sqrt(float(np.vdot(g, g))) for g in full_bias_gradient(net, X, Y)]


def first_record_speeds(history) -> list[float] | None:
    """‖δˡ‖ of each weight layer in ``history``'s epoch-0 record (the initial weights of its first
    run), or None when it holds none."""
    epochs = history.epoch_number()
    rows = [i for i, e in enumerate(epochs) if e == 0]
    if not rows:
        return None
    column = history.epoch_delta_norms()[:, rows[0]]
    return [float(v) for v in column]


def speed_rows(reference: dict, measured: list[float] | None, n_layers: int) -> list[tuple]:
    """Rows of the lab-notes table: (layer name, the reference figure, this network's ‖δˡ‖ or None,
    their ratio or None, whether the ratio lies within the reference's "spread" or None).

    The reference's ``initial_speeds`` name the first weight layers in order (the hidden layers of
    Nielsen's networks; every layer of the exploding chain); ``n_layers``: the network's weight
    layers.  No rows when the reference holds no speeds or more of them than the network has layers."""
    from .names import layer_names

    book = reference.get("initial_speeds") if isinstance(reference, dict) else None
    if not isinstance(book, list) or not book or len(book) > n_layers:
        return []
    spread = reference.get("spread")
    low, high = (spread if isinstance(spread, list) and len(spread) == 2
                 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spread)
                 else (None, None))
    names = layer_names(n_layers)
    rows = []
    for l, figure in enumerate(book):
        have = None if measured is None or l >= len(measured) else measured[l]
        ratio = have / figure if have is not None and isinstance(figure, (int, float)) and figure else None
        if ratio is not None and not math.isfinite(ratio):
            ratio = None
        within = None if ratio is None or low is None else bool(low <= ratio <= high)
        rows.append((names[l], figure, have, ratio, within))
    return rows
