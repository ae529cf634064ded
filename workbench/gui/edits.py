"""Undoable edits of single weights and biases (the neuron inspector, the universality view's handles).

A change is ``(layer, kind, i, j, value)``: ``layer`` is the weight layer (0-based: W[0] joins the
inputs to the first hidden layer), ``kind`` "W" for W[layer][i, j] (i: source neuron, j: target
neuron) or "b" for b[layer][i] (``j`` is 0).  ``ParameterEdit`` sets the given values and its undo
puts the old ones back, in the network's own arrays (in place: a paused run's engine trains on
views of them, so the run goes on from the edited values) and in the mid-run snapshot the views
show, then emits ``parameters_changed``.  Commands pushed with the same ``merge_key`` (the pushes of
one drag of one handle) merge into one undo step.  An edit whose network is no longer current
(another one was loaded) changes nothing and leaves the stack.
"""

from __future__ import annotations

import math

from PySide6.QtGui import QUndoCommand

_MERGE_ID = 0x7765  # QUndoCommand.id() of mergeable edits ("we")


def parse_value(text: str) -> tuple[float | None, str | None]:
    """A number the user typed ("−0.5" with a real minus sign works too) → (value, None), or
    (None, why not: one sentence)."""
    cleaned = text.strip().replace("−", "-").replace(",", ".") if isinstance(text, str) else ""
    if not cleaned:
        return None, "Type a number, e.g. 0.5 or -2."
    try:
        value = float(cleaned)
    except ValueError:
        return None, f"“{text.strip()[:40]}” is not a number; type one such as 0.5 or -2."
    if not math.isfinite(value):
        return None, "Weights and biases must be finite numbers."
    return value, None


def change_problem(net, changes) -> str | None:
    """Why ``changes`` cannot be applied to ``net`` (one sentence), or None."""
    if not changes:
        return "Nothing to change."
    for change in changes:
        try:
            layer, kind, i, j, value = change
            layer, i, j, value = int(layer), int(i), int(j), float(value)
        except (TypeError, ValueError):
            return "A change must be (layer, 'W' or 'b', i, j, value)."
        if not 0 <= layer < net.n_layers:
            return f"The network has no weight layer {layer}."
        if kind == "W":
            rows, cols = net.weights[layer].shape
            if not (0 <= i < rows and 0 <= j < cols):
                return f"W[{layer}] has no entry ({i}, {j})."
        elif kind == "b":
            if not 0 <= i < net.biases[layer].shape[0]:
                return f"b[{layer}] has no entry {i}."
        else:
            return f"Unknown parameter kind {kind!r}; use 'W' or 'b'."
        if not math.isfinite(value):
            return "Weights and biases must be finite numbers."
    return None


def _arrays(weights, biases, layer: int, kind: str):
    return weights[layer] if kind == "W" else biases[layer]


def read_value(net, layer: int, kind: str, i: int, j: int) -> float:
    array = _arrays(net.weights, net.biases, layer, kind)
    return float(array[i, j] if kind == "W" else array[i])


class ParameterEdit(QUndoCommand):
    """Set weights and biases of the experiment's network (see the module docstring)."""

    def __init__(self, experiment, changes, text: str, merge_key=None):
        super().__init__(text)
        self._experiment = experiment
        self._net = experiment.net
        self._key = merge_key
        self._new: dict[tuple, float] = {}
        self._old: dict[tuple, float] = {}
        for layer, kind, i, j, value in changes:
            where = (int(layer), kind, int(i), int(j) if kind == "W" else 0)
            self._new[where] = float(value)
            self._old.setdefault(where, read_value(self._net, *where))

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _MERGE_ID if self._key is not None else -1

    def mergeWith(self, other) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, ParameterEdit) or other._key != self._key or other._net is not self._net:
            return False
        for where, value in other._new.items():
            self._old.setdefault(where, other._old[where])
            self._new[where] = value
        self.setText(other.text())
        return True

    def redo(self) -> None:
        self._write(self._new)

    def undo(self) -> None:
        self._write(self._old)

    def values(self) -> dict[tuple, tuple[float, float]]:
        """(layer, kind, i, j) -> (old, new) value."""
        return {where: (self._old[where], value) for where, value in self._new.items()}

    def _write(self, values: dict) -> None:
        exp = self._experiment
        if exp.net is not self._net:
            self.setObsolete(True)
            return
        net = exp.net
        targets = [(net.weights, net.biases)]
        shown = exp.parameters()
        if shown is not None and shown[0] is not net.weights:     # a paused run's snapshot
            targets.append((shown[0], shown[1]))
        for (layer, kind, i, j), value in values.items():
            for weights, biases in targets:
                array = _arrays(weights, biases, layer, kind)
                if kind == "W":
                    array[i, j] = value
                else:
                    array[i] = value
        exp.parameters_changed.emit()
