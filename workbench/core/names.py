"""Names of layers and weights as the window shows them (plain strings; no Qt).

Two conventions: ``layer_name`` counts every layer of neurons (input included, capitalised:
"Input", "Hidden 1", …, "Output"); ``layer_names`` names the *weight* layers of a network for plot
legends ("hidden 1", …, "output"; weight layer l feeds neuron layer l + 1).
"""

from __future__ import annotations

__all__ = ["layer_name", "layer_names", "layer_subject", "weight_name"]


def layer_name(layer: int, n_layers: int) -> str:
    """"Input", "Hidden 1", …, "Output" for layer ``layer`` of ``n_layers`` (input included)."""
    if layer == 0:
        return "Input"
    return "Output" if layer == n_layers - 1 else f"Hidden {layer}"


def layer_subject(layer: int, n_layers: int) -> str:
    """"The input layer", "Hidden layer 1", …, "The output layer": layer ``layer`` of ``n_layers``
    (input included) as the subject of a sentence."""
    if layer == 0:
        return "The input layer"
    return "The output layer" if layer == n_layers - 1 else f"Hidden layer {layer}"


def layer_names(n_layers: int) -> list[str]:
    """Legend names of the weight layers: "hidden 1", ..., "hidden n_layers-1", "output"."""
    return [f"hidden {i + 1}" for i in range(n_layers - 1)] + ["output"]


def weight_name(layer: int, i: int, j: int, n_weight_layers: int) -> str:
    """"input #406 → hidden 1 #3" for weight W[layer][i, j] (0-based) of a net with that many weight layers."""
    n_layers = n_weight_layers + 1
    return f"{layer_name(layer, n_layers).lower()} #{i + 1} → {layer_name(layer + 1, n_layers).lower()} #{j + 1}"
