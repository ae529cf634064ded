"""One gradient-descent step written out by hand, in the order Demofox's and Mazur's worked
examples explain it (no Qt).

``worked_step(net, X, Y, lr, item)`` lists the quantities of one plain-SGD step of ``net`` on the
batch (X, Y) — X (m, d) inputs, Y (m, k) targets — as ``Quantity`` records:

1. forward, layer by layer and neuron by neuron: the weighted input z and the activation a of
   every neuron for training item ``item``;
2. the cost C of that item (the quadratic cost is ½‖a − t‖², as both posts use it: ∂C/∂a = a − t,
   with no factor 2);
3. backward, from the output layer back: for each neuron ∂C/∂a (a − t at the output, Σ δ·w from
   the layer after it otherwise), ∂a/∂z, δ = ∂C/∂z, ∂C/∂b = δ and ∂C/∂w = δ · a(input side) for each
   of its incoming weights;
4. with m > 1 items (a full-batch step, as in the posts' examples 2 and 3), the mean of each
   ∂C/∂w and ∂C/∂b over the m items — the gradient the step uses;
5. the update: every weight w − η·∂C/∂w, then every bias b − η·∂C/∂b.

The numbers come from the engine's own passes (``Network.forward_cache``, the cost's ``delta``,
the activations' ``backward`` and ``Network.backprop`` for the batch means), so the records agree
with a training step of the engine to the rounding of the last operation.

Names follow Mazur's post: inputs i1, i2, …; hidden neurons h1, h2, … (with several hidden
layers h1.1, h2.1, …: layer, then neuron); outputs o1, o2, …; weights w₁, w₂, … numbered through
the network layer by layer, the weights into one neuron together (w₁ = i1 → h1, w₂ = i2 → h1, …);
one bias per neuron, b_h1, b_o1, ….  Weight W[l][i, j] (``Network`` layout) feeds neuron j of
neuron layer l + 1 from neuron i of layer l.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .network import Network

__all__ = ["Quantity", "worked_step", "neuron_label", "weight_number", "number", "MAX_WORKED_NEURONS",
           "MAX_WORKED_LAYERS", "too_large", "TABLE_HEADER", "table_rows"]

#: The largest network the step is written out for: neurons per layer and layers after the input.
MAX_WORKED_NEURONS = 8
MAX_WORKED_LAYERS = 4
#: Items of a full batch whose single gradients a mean's formula lists one by one.
LISTED_ITEMS = 4

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class Quantity:
    """One number of the step.

    ``id``: position in the list (0-based).  ``phase``: "forward", "cost", "backward", "mean" or
    "update".  ``layer``: the neuron layer concerned (the input layer is 0); for a weight, the
    layer it feeds.  ``neuron``: the neuron of that layer (0-based; -1 for the cost).  ``source``:
    for a weight, the neuron of the layer before that it comes from; else -1.  ``kind``: "z", "a",
    "cost", "dC/da", "da/dz", "delta", "dC/db", "dC/dw", "mean dC/db", "mean dC/dw", "new b" or
    "new w".  ``symbol``: e.g. "∂C/∂w₅".  ``formula``: the formula with the numbers put in, ending
    in "= value".  ``value``: the number (float).
    """

    id: int
    phase: str
    layer: int
    neuron: int
    source: int
    kind: str
    symbol: str
    formula: str
    value: float

    @property
    def is_weight(self) -> bool:
        return self.source >= 0


TABLE_HEADER = ["step", "phase", "layer", "neuron", "from neuron", "quantity", "symbol", "formula", "value"]


def table_rows(quantities: list[Quantity]) -> list[list]:
    """Rows for ``TABLE_HEADER`` (1-based step and neuron numbers; "" where a field does not apply)."""
    return [[q.id + 1, q.phase, q.layer, q.neuron + 1 if q.neuron >= 0 else "",
             q.source + 1 if q.source >= 0 else "", q.kind, q.symbol, q.formula, q.value] for q in quantities]


def too_large(sizes) -> str | None:
    """Why a network of layer ``sizes`` (input first) is too large to write out, or None."""
    if len(sizes) - 1 > MAX_WORKED_LAYERS:
        return (f"The network has {len(sizes) - 1} layers after the input; the worked step is written out "
                f"for at most {MAX_WORKED_LAYERS}.")
    widest = max(sizes)
    if widest > MAX_WORKED_NEURONS:
        return (f"A layer of the network has {widest} neurons; the worked step is written out for at most "
                f"{MAX_WORKED_NEURONS} per layer (try Demofox's examples from the Labs menu).")
    return None


def neuron_label(layer: int, index: int, sizes) -> str:
    """"i1", "h2", "o1" (or "h2.1" with several hidden layers) for neuron ``index`` of ``layer``."""
    n_hidden = len(sizes) - 2
    if layer == 0:
        return f"i{index + 1}"
    if layer == len(sizes) - 1:
        return f"o{index + 1}"
    return f"h{index + 1}" if n_hidden == 1 else f"h{layer}.{index + 1}"


def weight_number(l: int, i: int, j: int, sizes) -> int:
    """Mazur's 1-based number of weight W[l][i, j]: through the layers, the weights into one neuron
    together."""
    before = sum(a * b for a, b in zip(sizes[:l], sizes[1:l + 1]))
    return before + j * sizes[l] + i + 1


def _w(l, i, j, sizes) -> str:
    return "w" + str(weight_number(l, i, j, sizes)).translate(_SUBSCRIPTS)


def number(value: float) -> str:
    """A value as the formulas show it: 7 decimals, or 7 significant digits in e-notation when it
    is very large or very small; a minus sign (−) for negative numbers."""
    v = float(value) + 0.0               # −0 (a negative δ times an input 0) shows as 0
    if not np.isfinite(v):
        text = "nan" if np.isnan(v) else ("∞" if v > 0 else "−∞")
        return text
    text = f"{v:.7f}" if v == 0 or 1e-4 <= abs(v) < 1e5 else f"{v:.6e}"
    return text.replace("-", "−")


def _factor(value: float) -> str:
    """A number as a factor of a product: negative ones in brackets."""
    text = number(value)
    return f"({text})" if text.startswith("−") else text


def _derivative_text(name: str, label: str, z: float, a: float) -> str:
    if name == "sigmoid":
        return f"a_{label} · (1 − a_{label}) = {number(a)} × (1 − {number(a)})"
    if name == "tanh":
        return f"1 − a_{label}² = 1 − {_factor(a)}²"
    if name == "linear":
        return "1 (linear)"
    if name == "relu":
        return f"1 if z_{label} > 0 else 0 (z_{label} = {number(z)})"
    return f"{name}′(z_{label}) with z_{label} = {number(z)}"


def worked_step(net: Network, X, Y, lr: float, item: int = 0) -> list[Quantity]:
    """The quantities of one plain-SGD step of ``net`` on (X, Y) with learning rate ``lr``, for
    training item ``item`` (0 ≤ item < m); see the module docstring.  X: (m, d), Y: (m, k); m ≥ 1.
    Nothing in ``net`` changes."""
    X = np.asarray(X, dtype=net.dtype).reshape(-1, net.sizes[0])
    Y = np.asarray(Y, dtype=net.dtype).reshape(-1, net.sizes[-1])
    m = len(X)
    if m < 1 or len(Y) != m:
        raise ValueError(f"worked_step needs m ≥ 1 items with one target row each, got {X.shape} and {Y.shape}.")
    if not 0 <= item < m:
        raise IndexError(f"There is no item {item} in a batch of {m}.")
    sizes, n = net.sizes, net.n_layers
    zs, acts = net.forward_cache(X)
    out_name = net.activations[-1]
    cost_fn = net._cost
    deltas = [None] * n                      # δ of neuron layer l + 1, (m, sizes[l + 1])
    grads_a = [None] * n                     # ∂C/∂a of neuron layer l + 1 (None where not shown)
    grads_a[-1] = acts[-1] - Y if net.cost == "quadratic" else None
    deltas[-1] = cost_fn.delta(zs[-1], acts[-1], Y, out_name)
    for l in range(n - 1, 0, -1):
        back = deltas[l] @ net.weights[l].T
        grads_a[l - 1] = back
        deltas[l - 1] = ACTIVATIONS[net.activations[l - 1]].backward(zs[l - 1], acts[l], back)

    records: list[Quantity] = []

    def add(phase, layer, neuron, source, kind, symbol, formula, value):
        records.append(Quantity(len(records), phase, layer, neuron, source, kind, symbol,
                                f"{formula} = {number(value)}", float(value)))

    r = item
    lab = lambda layer, j: neuron_label(layer, j, sizes)   # noqa: E731 - a short local name
    # 1. forward
    for l in range(n):
        for j in range(sizes[l + 1]):
            name = lab(l + 1, j)
            terms = " + ".join(f"{_w(l, i, j, sizes)} · {_a_symbol(l, i, sizes)}" for i in range(sizes[l]))
            numbers = " + ".join(f"{number(net.weights[l][i, j])} × {_factor(acts[l][r, i])}"
                                 for i in range(sizes[l]))
            add("forward", l + 1, j, -1, "z", f"z_{name}",
                f"z_{name} = {terms} + b_{name} = {numbers} + {_factor(net.biases[l][j])}", zs[l][r, j])
            add("forward", l + 1, j, -1, "a", f"a_{name}",
                f"a_{name} = {net.activations[l]}(z_{name}) = {net.activations[l]}({number(zs[l][r, j])})",
                acts[l + 1][r, j])
    # 2. cost
    cost = cost_fn.value(zs[-1][r:r + 1], acts[-1][r:r + 1], Y[r:r + 1], out_name)
    k = sizes[-1]
    if net.cost == "quadratic":
        parts = " + ".join(f"({number(acts[-1][r, j])} − {number(Y[r, j])})²" for j in range(k))
        text = f"C = ½ Σ (a − t)² = ½ [{parts}]" if k > 1 else f"C = ½ (a − t)² = ½ {parts}"
    else:
        text = f"C = {net.cost} of a = ({', '.join(number(v) for v in acts[-1][r])}) and t = " \
               f"({', '.join(number(v) for v in Y[r])})"
    add("cost", n, -1, -1, "cost", "C", text, cost)
    # 3. backward, from the output layer back
    for l in range(n - 1, -1, -1):
        act = ACTIVATIONS[net.activations[l]]
        for j in range(sizes[l + 1]):
            name = lab(l + 1, j)
            z, a, d = zs[l][r, j], acts[l + 1][r, j], deltas[l][r, j]
            show_chain = grads_a[l] is not None and act.elementwise
            if l == n - 1 and show_chain:
                add("backward", l + 1, j, -1, "dC/da", f"∂C/∂a_{name}",
                    f"∂C/∂a_{name} = a_{name} − t_{name} = {number(a)} − {number(Y[r, j])}", grads_a[l][r, j])
            elif l < n - 1:
                nxt = range(sizes[l + 2])
                terms = " + ".join(f"δ_{lab(l + 2, q)} · {_w(l + 1, j, q, sizes)}" for q in nxt)
                numbers = " + ".join(f"{_factor(deltas[l + 1][r, q])} × {number(net.weights[l + 1][j, q])}"
                                     for q in nxt)
                add("backward", l + 1, j, -1, "dC/da", f"∂C/∂a_{name}", f"∂C/∂a_{name} = {terms} = {numbers}",
                    grads_a[l][r, j])
            if show_chain:
                slope = float(act.derivative(zs[l][r:r + 1, j:j + 1], acts[l + 1][r:r + 1, j:j + 1])[0, 0])
                add("backward", l + 1, j, -1, "da/dz", f"∂a_{name}/∂z_{name}",
                    f"∂a_{name}/∂z_{name} = {_derivative_text(act.name, name, z, a)}", slope)
                add("backward", l + 1, j, -1, "delta", f"δ_{name}",
                    f"δ_{name} = ∂C/∂a_{name} · ∂a_{name}/∂z_{name} = {_factor(grads_a[l][r, j])} × {number(slope)}",
                    d)
            else:
                simple = (net.cost, act.name) in (("cross-entropy", "sigmoid"), ("log-likelihood", "softmax"))
                how = "a − t" if simple else f"the {net.cost} cost through {act.name}"
                add("backward", l + 1, j, -1, "delta", f"δ_{name}", f"δ_{name} = ∂C/∂z_{name} ({how})", d)
            add("backward", l + 1, j, -1, "dC/db", f"∂C/∂b_{name}", f"∂C/∂b_{name} = δ_{name}", d)
            for i in range(sizes[l]):
                w = _w(l, i, j, sizes)
                add("backward", l + 1, j, i, "dC/dw", f"∂C/∂{w}",
                    f"∂C/∂{w} = δ_{name} · {_a_symbol(l, i, sizes)} = {_factor(d)} × {_factor(acts[l][r, i])}",
                    d * acts[l][r, i])
    # 4. the batch means (the engine's own), and 5. the update
    _, grad_w, grad_b, _ = net.backprop(X, Y)
    if m > 1:
        shown_items = range(min(m, LISTED_ITEMS))
        for l in range(n - 1, -1, -1):
            for j in range(sizes[l + 1]):
                name = lab(l + 1, j)
                add("mean", l + 1, j, -1, "mean dC/db", f"∂C/∂b_{name} (mean)",
                    f"∂C/∂b_{name} over the {m} items = {_mean_text([deltas[l][s, j] for s in shown_items], m)}",
                    grad_b[l][j])
                for i in range(sizes[l]):
                    w = _w(l, i, j, sizes)
                    singles = [deltas[l][s, j] * acts[l][s, i] for s in shown_items]
                    add("mean", l + 1, j, i, "mean dC/dw", f"∂C/∂{w} (mean)",
                        f"∂C/∂{w} over the {m} items = {_mean_text(singles, m)}", grad_w[l][i, j])
    eta = float(lr)
    for l in range(n):
        for j in range(sizes[l + 1]):
            for i in range(sizes[l]):
                w, old, g = _w(l, i, j, sizes), net.weights[l][i, j], grad_w[l][i, j]
                add("update", l + 1, j, i, "new w", f"new {w}",
                    f"{w} − η · ∂C/∂{w} = {number(old)} − {eta:g} × {_factor(g)}", old - eta * g)
    for l in range(n):
        for j in range(sizes[l + 1]):
            name, old, g = lab(l + 1, j), net.biases[l][j], grad_b[l][j]
            add("update", l + 1, j, -1, "new b", f"new b_{name}",
                f"b_{name} − η · ∂C/∂b_{name} = {number(old)} − {eta:g} × {_factor(g)}", old - eta * g)
    return records


def _a_symbol(l: int, i: int, sizes) -> str:
    """The activation feeding a weight of layer l: the input itself (i1) or a_h1."""
    return neuron_label(0, i, sizes) if l == 0 else f"a_{neuron_label(l, i, sizes)}"


def _mean_text(values, m: int) -> str:
    listed = " + ".join(_factor(v) for v in values)
    return f"({listed}) / {m}" if m <= LISTED_ITEMS else f"({listed} + …) / {m}"
