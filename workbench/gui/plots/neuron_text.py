"""Plain-text descriptions of one neuron for the network diagram (no Qt: numpy and strings only)."""

from __future__ import annotations

import numpy as np

from workbench.core.names import layer_name, weight_name  # noqa: F401 - one naming for core and window


def fmt(x: float) -> str:
    """A signed short number with a real minus sign: +0.1234, −5.6e−05."""
    return f"{x:+.4g}".replace("-", "−")


def summary_line(layer, index, sizes, biases=None) -> str:
    """One line for a tooltip: "Hidden 1 neuron 8 of 30 · bias +0.13"."""
    text = f"{layer_name(layer, len(sizes))} neuron {index + 1} of {sizes[layer]}"
    if layer > 0 and biases is not None:
        text += f" · bias {fmt(float(biases[layer - 1][index]))}"
    return text


def describe_neuron(layer, index, sizes, activations=None, weights=None, biases=None, grads=None) -> str:
    """Bias, ∂C/∂b and a summary of the incoming weights of neuron ``index`` of ``layer``.

    weights[l]: (sizes[l], sizes[l+1]); biases[l], grads[l]: (sizes[l+1],). For an input neuron
    (layer 0) the outgoing weights are summarised instead. Several lines joined by newlines.
    """
    first = summary_line(layer, index, sizes)
    if layer > 0 and activations:
        first += f" ({activations[layer - 1]})"
    lines = [first]
    if weights is None:
        lines.append("No weights yet: they appear once the network is initialised or training starts.")
        return "\n".join(lines)
    if layer == 0:
        w = np.asarray(weights[0][index], dtype=float)
        lines.append(f"{w.size} outgoing weights: min {fmt(w.min())}, mean {fmt(w.mean())}, max {fmt(w.max())}")
        return "\n".join(lines)
    grad = (f"∂C/∂b {fmt(float(grads[layer - 1][index]))} (latest batch)"
            if grads is not None else "∂C/∂b not computed yet")
    lines.append(f"bias b = {fmt(float(biases[layer - 1][index]))}   ·   {grad}")
    w = np.asarray(weights[layer - 1][:, index], dtype=float)
    lines.append(f"{w.size} incoming weights: min {fmt(w.min())}, mean {fmt(w.mean())}, max {fmt(w.max())}")
    source = "input" if layer == 1 else f"hidden {layer - 1}"
    top = np.argsort(-np.abs(np.nan_to_num(w)), kind="stable")[:3]
    lines.append(f"largest |w|, from {source} neuron: " + ", ".join(f"#{i + 1} {fmt(w[i])}" for i in top))
    return "\n".join(lines)
