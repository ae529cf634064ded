"""Networks the export tests share: every activation in a hidden layer and at the output, each
cost its outputs allow, both dtypes."""

import numpy as np

from workbench.core import Network

#: (sizes, activations, cost): every activation appears hidden and at the output.
RECIPES = [
    ([3, 7, 2], ["sigmoid", "sigmoid"], "cross-entropy"),
    ([3, 7, 2], ["tanh", "sigmoid"], "log-likelihood"),
    ([4, 6, 5, 3], ["relu", "leaky-relu", "softmax"], "log-likelihood"),
    ([4, 6, 3], ["leaky-relu", "softmax"], "cross-entropy"),
    ([2, 8, 1], ["linear", "tanh"], "quadratic"),
    ([2, 5, 5, 2], ["tanh", "relu", "relu"], "quadratic"),
    ([2, 5, 2], ["sigmoid", "leaky-relu"], "quadratic"),
    ([5, 4, 3], ["relu", "linear"], "quadratic"),
    ([2, 4, 3], ["tanh", "softmax"], "quadratic"),
]


def recipe_id(recipe) -> str:
    sizes, activations, cost = recipe
    return f"{'-'.join(map(str, sizes))}-{'+'.join(activations)}-{cost}"


def network(recipe, dtype="float32", seed=0) -> Network:
    """A network of ``recipe`` with weights large enough that every activation works in its
    interesting range (negative inputs for the ReLUs, saturation for sigmoid/tanh)."""
    sizes, activations, cost = recipe
    net = Network.create(sizes, activations, cost, init="xavier", rng=np.random.default_rng(seed), dtype=dtype)
    for w in net.weights:
        w *= 2
    return net


def inputs(net: Network, n: int = 1000, seed: int = 1) -> np.ndarray:
    """(n, n_in) inputs in the network's dtype, spread over [-3, 3]."""
    return np.random.default_rng(seed).uniform(-3, 3, (n, net.sizes[0])).astype(net.dtype)


def targets(net: Network, n: int, seed: int = 2) -> np.ndarray:
    """(n, n_out) targets the network's cost accepts: one-hot rows for softmax, values in [0, 1]
    for the other outputs."""
    rng = np.random.default_rng(seed)
    if net.activations[-1] == "softmax":
        return np.eye(net.sizes[-1], dtype=net.dtype)[rng.integers(0, net.sizes[-1], n)]
    return rng.uniform(0, 1, (n, net.sizes[-1])).astype(net.dtype)
