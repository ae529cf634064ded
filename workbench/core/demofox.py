"""Demofox's four worked examples of back-propagation as data, networks and lab files (no Qt).

Alan Wolfe's post "How to Train Neural Networks With Backpropagation" (blog.demofox.org, March
2017) trains four small sigmoid networks with the quadratic cost C = ½‖t − a‖² and learning rate
0.5, from fixed start weights.  Its sample program (github.com/Atrix256/RandomCode,
NNBackPropPost/Source.cpp) holds the networks, start weights, training data and iteration counts
used here, and the CSV files it wrote beside it (Example1.csv … Example4.csv) the figures the post
plots: row 0 is the first step's error, cost and (examples 1, 2) weight, bias, ∂C/∂w, ∂C/∂b; the
last row the state before the last update.  Example 4 is Matt Mazur's "A Step by Step
Backpropagation Example" network (the post's reference), whose post prints every number of the
first step.  Examples 2 and 3 average the gradients of all their training items before each
update (full batch); examples 1 and 4 have a single item.

``EXAMPLES`` maps 1…4 to an ``Example``; ``example_network(n)`` builds its start network (float64);
``lab_document(n)`` is the lab file's JSON (``resources/labs/demofox-N.wbsession``) and
``core.lab_files`` writes all four (they are generated, never edited by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .network import Network
from .serialization import weights_json, weights_to_bytes

__all__ = ["Example", "EXAMPLES", "GROUP", "SOURCE", "example_network", "lab_document"]

GROUP = "Demofox, backpropagation by hand"
SOURCE = ("A. Wolfe, How to Train Neural Networks With Backpropagation, blog.demofox.org, 2017; "
          "program output: github.com/Atrix256/RandomCode NNBackPropPost/Example*.csv")


@dataclass(frozen=True)
class Example:
    """One of the post's examples.

    ``weights[l]``: (sizes[l], sizes[l+1]) nested lists in ``Network`` layout (row = input side);
    ``X`` (m, d) and ``Y`` (m, k): the training items; ``batch``: 1 or "full"; ``steps``: the
    updates the post's program makes (``epochs`` of the lab: one batch per epoch in every example);
    ``data``: the data spec, with ``points`` (a ``workbench.data.drawn`` document) where the items
    are not the spec's own; ``reference``: the program's printed figures (its CSV, 6 decimals).
    """

    number: int
    title: str
    sizes: list
    weights: list
    biases: list
    X: list
    Y: list
    batch: int | str
    steps: int
    data: str
    points: dict | None
    text: str
    reference: dict = field(default_factory=dict)
    lr: float = 0.5


def _points(task: str, X, Y, classes: int | None = None) -> dict:
    entry = {"x": [list(map(float, row)) for row in X]}
    if task == "classification":
        entry["labels"] = [int(row[0]) for row in Y]
    else:
        entry["y"] = [list(map(float, row)) for row in Y]
    return {"format": "workbench-points", "version": 1, "task": task, "inputs": len(X[0]),
            "outputs": len(Y[0]), "classes": classes, "edits": {"added": 0, "removed": 0},
            "splits": {"train": entry}}


_EX1_X, _EX1_Y = [[1.0]], [[0.0]]
_EX3_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
_EX3_Y = [[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0]]      # (x1 OR x2, x1 AND x2)

EXAMPLES: dict[int, Example] = {
    1: Example(
        1, "Example 1: one neuron, one training example", [1, 1], [[[0.3]]], [[0.5]], _EX1_X, _EX1_Y,
        1, 10_000, "not", _points("classification", _EX1_X, _EX1_Y, 2),
        "One sigmoid neuron, weight 0.3 and bias 0.5, learns to answer 0 when its input is 1 "
        "(learning rate 0.5). Walk through the step with Next: z = 0.8, the output 0.689974, the cost "
        "½(0 − a)² = 0.238032, ∂C/∂a = a − t, δ = ∂C/∂a · a(1 − a) = 0.147592, which is also ∂C/∂b "
        "and, with the input 1, ∂C/∂w. Step Batch takes that step and shows the next one; Train runs "
        "the post's 10,000 steps, after which the error |t − a| is about 0.0072.",
        {"first_error": 0.689974, "first_cost": 0.238032, "first_dC_dw": 0.147592,
         "first_dC_db": 0.147592, "after_steps": 204, "weight_after": -1.51493, "bias_after": -1.314929,
         "final_error": 0.007176, "source": SOURCE}),
    2: Example(
        2, "Example 2: one neuron, two training examples", [1, 1], [[[0.3]]], [[0.5]],
        [[1.0], [0.0]], [[0.0], [1.0]], "full", 100_000, "not", None,
        "The same neuron now learns NOT: 1 → 0 and 0 → 1. Each step averages the gradients of both "
        "items before it updates (a full batch): choose the item with the spin box to see each one's "
        "δ and ∂C/∂w, then the means 0.073796 (∂C/∂w) and 0.029434 (∂C/∂b) the update uses. The "
        "input 0 contributes nothing to ∂C/∂w. The post runs 100,000 steps; the mean error ends near "
        "0.007.",
        {"first_error": 0.533758, "first_cost": 0.15465, "first_dC_dw": 0.073796, "first_dC_db": 0.029434,
         "after_steps": 2040, "weight_after": -5.700018, "bias_after": 2.738621, "final_error": 0.007141,
         "source": SOURCE}),
    3: Example(
        3, "Example 3: two inputs, two neurons in one layer (OR and AND)", [2, 2],
        [[[0.2, 0.6], [0.8, 0.4]]], [[0.5, 0.1]], _EX3_X, _EX3_Y, "full", 520_000, "mazur",
        _points("regression", _EX3_X, _EX3_Y),
        "Two sigmoid neurons see the same two inputs: the first learns OR, the second AND, from the "
        "four patterns averaged in each step. Neither neuron's gradient depends on the other's: each "
        "has its own δ. The first step's mean cost is 0.218576; the post runs 520,000 steps (about a "
        "minute here) and the mean error ends near 0.007.",
        {"first_error": 0.631967, "first_cost": 0.218576, "after_steps": 10612, "cost_after": 0.001464,
         "final_error": 0.007223, "source": SOURCE}),
    4: Example(
        4, "Example 4: two layers of two neurons (Mazur's network)", [2, 2, 2],
        [[[0.15, 0.25], [0.2, 0.3]], [[0.4, 0.5], [0.45, 0.55]]], [[0.35, 0.35], [0.6, 0.6]],
        [[0.05, 0.1]], [[0.01, 0.99]], 1, 5_000, "mazur", None,
        "Matt Mazur's 2-2-2 network: inputs 0.05 and 0.10, targets 0.01 and 0.99. Step through the "
        "forward pass (a_h1 = 0.593270, a_o1 = 0.751365, C = 0.298371), the output δs, then the hidden "
        "ones: ∂C/∂a_h1 sums what h1 feeds, δ_o1 · w₅ + δ_o2 · w₇. The hidden layer's gradients are much "
        "smaller than the output layer's (the vanishing gradient in miniature). After the step "
        "w₅ = 0.358916 as Mazur prints; the post's program runs 5,000 steps.",
        {"first_error": 0.772491, "first_cost": 0.298371,
         "mazur_w5_after": 0.35891648, "source": SOURCE + "; M. Mazur, A Step by Step Backpropagation "
         "Example, 2015"}),
}


def example_network(n: int) -> Network:
    """The start network of example ``n`` (sigmoid layers, quadratic cost, float64)."""
    ex = EXAMPLES[n]
    weights = [np.array(w, dtype=np.float64) for w in ex.weights]
    biases = [np.array(b, dtype=np.float64) for b in ex.biases]
    return Network(weights, biases, ["sigmoid"] * len(weights), "quadratic", dtype="float64")


def lab_document(n: int) -> dict:
    """The JSON document of ``resources/labs/demofox-N.wbsession`` (a session with a "lab" key)."""
    from .lab_files import LAB_VERSION

    ex = EXAMPLES[n]
    net = example_network(n)
    return {
        "format": "workbench-session",
        "version": LAB_VERSION,
        "name": f"Demofox {ex.title[0].lower()}{ex.title[1:]}",
        "architecture": net.architecture(),
        "hyperparameters": {"optimizer": "sgd", "lr": ex.lr, "momentum": 0.0, "batch_size": ex.batch,
                            "epochs": ex.steps, "l2": 0.0, "layer_lr": None, "init": "normal",
                            "bias_init": "normal", "seed": 1, "dtype": "float64",
                            "resolution": "batch" if ex.steps <= 10_000 else "epoch"},
        "data": ex.data,
        "history": None,
        "epochs_trained": 0,
        "steps_trained": 0,
        "watch": [],
        "weights": weights_json(weights_to_bytes(net)),
        "views": {"front": "worked-step", "open": ["diagram"],
                  "settings": {"worked-step": {"item": 0, "position": 0}}},
        "points": ex.points,
        "lab": {"title": ex.title, "group": GROUP, "order": n, "text": ex.text, "reference": dict(ex.reference)},
    }

