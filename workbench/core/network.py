"""A feed-forward network of fully connected layers, with back-propagation over a mini-batch.

Conventions: inputs X are (m, n_in) with one sample per row; ``weights[l]`` is (sizes[l], sizes[l+1])
and ``biases[l]`` is (sizes[l+1],), so layer l computes z = a·W + b.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS
from .costs import COSTS, pairing_error
from .errors import ConfigError
from .limits import clipped, count_text
from .names import layer_subject
from .safefiles import format_bytes

DTYPES = ("float32", "float64")


def _normal(rng, n_in, n_out):
    return rng.standard_normal((n_in, n_out))


def _scaled_normal(rng, n_in, n_out):
    return rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)


def _xavier(rng, n_in, n_out):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))


def _he(rng, n_in, n_out):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)


#: Weight initialisers: name -> f(rng, n_in, n_out) -> (n_in, n_out) float64 array.
INITIALIZERS = {
    "normal": _normal,
    "scaled-normal": _scaled_normal,
    "xavier": _xavier,
    "he": _he,
}
BIAS_INITIALIZERS = ("normal", "zero")


def has_weight(sizes, weight) -> bool:
    """Whether ``weight`` = (layer, i, j) names W[layer][i, j] of a network with layer ``sizes``
    (input first; a size may be None where it is not known yet, and then nothing there exists)."""
    layer, i, j = weight
    return (0 <= layer < len(sizes) - 1 and sizes[layer] is not None and sizes[layer + 1] is not None
            and 0 <= i < sizes[layer] and 0 <= j < sizes[layer + 1])


#: The largest hidden layer (the designer's limit too).
MAX_NEURONS = 4096
#: The largest input or output layer: a data set's features or classes.
MAX_UNITS = 2**20
#: The most layers after the input.
MAX_WEIGHT_LAYERS = 64
#: The most weights and biases in a network Workbench trains.
MAX_PARAMETERS = 100_000_000
#: Copies of the parameters training holds at once: the weights, their gradient, the velocity,
#: the last finite weights and the compiled kernel's buffer.
TRAINING_COPIES = 5


def weight_count(sizes) -> int:
    """Weights (biases not counted) of a network with layer ``sizes`` (input first): about the
    multiply-adds of one item's forward pass."""
    return sum(int(a) * int(b) for a, b in zip(sizes[:-1], sizes[1:]))


def parameter_count(sizes) -> int:
    """Weights and biases of a network with layer ``sizes`` (input first)."""
    return weight_count(sizes) + sum(int(b) for b in sizes[1:])


def training_bytes(sizes, dtype: str = "float32") -> int:
    """About how much memory training a network of ``sizes`` holds for its parameters."""
    return parameter_count(sizes) * np.dtype(dtype).itemsize * TRAINING_COPIES


def check_architecture(sizes, activations, cost) -> str | None:
    """Return None if the stack can be built, else one sentence saying what is wrong.

    ``activations`` has one name per non-input layer; the last one is the output activation.
    Sizes and the number of layers are checked against ``MAX_NEURONS``, ``MAX_UNITS``,
    ``MAX_WEIGHT_LAYERS`` and ``MAX_PARAMETERS`` before anything is allocated.
    """
    if not isinstance(sizes, (list, tuple)):
        return f"The layer sizes must be a list of whole numbers, not {type(sizes).__name__}."
    if not isinstance(activations, (list, tuple)):
        return f"The activations must be a list of names, not {type(activations).__name__}."
    sizes = list(sizes)
    if len(sizes) < 2:
        return "A network needs at least an input and an output layer."
    if len(sizes) - 1 > MAX_WEIGHT_LAYERS:
        return (f"The network has {len(sizes) - 1:,} layers after the input; Workbench builds at most "
                f"{MAX_WEIGHT_LAYERS}.")
    for index, size in enumerate(sizes):
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
            shown = ("null" if size is None else str(size).lower() if isinstance(size, bool)
                     else _quoted_name(size) if isinstance(size, str) else repr(size) if isinstance(size, float)
                     else f"of type {type(size).__name__}")
            return (f"The size of {layer_subject(index, len(sizes)).lower()} is "
                    f"{shown}; it must be a whole number of neurons.")
        if size < 1:
            return f"{layer_subject(index, len(sizes))} has {count_text(size)} neurons; every layer needs at least 1."
        limit = MAX_UNITS if index in (0, len(sizes) - 1) else MAX_NEURONS
        if size > limit:
            return (f"{layer_subject(index, len(sizes))} has {count_text(size)} neurons; at most {limit:,} are "
                    f"allowed there.")
    n_parameters = parameter_count(sizes)
    if n_parameters > MAX_PARAMETERS:
        shape = ("-".join(map(str, sizes)) if len(sizes) <= 8
                 else f"{sizes[0]}-…-{sizes[-1]} ({len(sizes) - 1}-layer)")
        return (f"A {shape} network has {n_parameters:,} weights and biases and would "
                f"need about {format_bytes(training_bytes(sizes))} to train; Workbench trains networks of up to "
                f"{MAX_PARAMETERS:,}.")
    if len(activations) != len(sizes) - 1:
        return f"Expected {len(sizes) - 1} activations (one per layer after the input), got {len(activations)}."
    for index, name in enumerate(activations):
        if not isinstance(name, str) or name not in ACTIVATIONS:
            name = _quoted_name(name) if isinstance(name, str) else f"of type {type(name).__name__}"
            return f"Unknown activation {name}; choose one of {', '.join(ACTIVATIONS)}."
        if ACTIVATIONS[name].output_only and index < len(activations) - 1:
            return f"Hidden layer {index + 1} uses {name}, which is only allowed on the output layer."
    if not isinstance(cost, str) or cost not in COSTS:
        cost = _quoted_name(cost) if isinstance(cost, str) else f"of type {type(cost).__name__}"
        return f"Unknown cost {cost}; choose one of {', '.join(COSTS)}."
    if activations[-1] == "softmax" and sizes[-1] < 2:
        return "A softmax output layer needs at least 2 neurons: with one, its output is always 1."
    return pairing_error(activations[-1], cost)


def _quoted_name(text: str) -> str:
    return repr(clipped(text))


class Network:
    """Weights, biases and the layer recipe; forward and backward passes over mini-batches."""

    def __init__(self, weights, biases, activations, cost, dtype=None):
        dtype = np.dtype(dtype or weights[0].dtype)
        if dtype.name not in DTYPES:
            raise ConfigError(f"Unsupported dtype {dtype.name}; use float32 or float64.")
        sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
        problem = check_architecture(sizes, list(activations), cost)
        if problem:
            raise ConfigError(problem)
        for l, (w, b) in enumerate(zip(weights, biases)):
            if w.shape != (sizes[l], sizes[l + 1]) or b.shape != (sizes[l + 1],):
                raise ConfigError(f"Layer {l}: weights {w.shape} and biases {b.shape} do not chain.")
        self.sizes = sizes
        self.activations = list(activations)
        self.cost = cost
        self.dtype = dtype
        self.weights = [np.ascontiguousarray(w, dtype=dtype) for w in weights]
        self.biases = [np.ascontiguousarray(b, dtype=dtype) for b in biases]
        self._acts = [ACTIVATIONS[name] for name in self.activations]
        self._cost = COSTS[cost]

    @classmethod
    def create(cls, sizes, activations, cost="cross-entropy", init="scaled-normal",
               bias_init="normal", rng=None, dtype="float32"):
        """A freshly initialised network. Every random draw comes from ``rng``."""
        problem = check_architecture(sizes, list(activations), cost)
        if problem:
            raise ConfigError(problem)
        if init not in INITIALIZERS:
            raise ConfigError(f"Unknown initialisation {init!r}; choose one of {', '.join(INITIALIZERS)}.")
        if bias_init not in BIAS_INITIALIZERS:
            raise ConfigError(f"Unknown bias initialisation {bias_init!r}; choose normal or zero.")
        if str(dtype) not in DTYPES:
            raise ConfigError(f"Unsupported dtype {dtype}; use float32 or float64.")
        rng = rng if rng is not None else np.random.default_rng()
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            weights.append(INITIALIZERS[init](rng, n_in, n_out))
            biases.append(rng.standard_normal(n_out) if bias_init == "normal" else np.zeros(n_out))
        return cls(weights, biases, activations, cost, dtype=dtype)

    @classmethod
    def from_arrays(cls, weights, biases, activations, cost):
        return cls(weights, biases, activations, cost)

    # -- introspection -------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.weights)

    def architecture(self) -> dict:
        return {"sizes": list(self.sizes), "activations": list(self.activations), "cost": self.cost}

    def copy(self) -> "Network":
        return Network([w.copy() for w in self.weights], [b.copy() for b in self.biases],
                       self.activations, self.cost, self.dtype)

    def astype(self, dtype) -> "Network":
        return Network(self.weights, self.biases, self.activations, self.cost, dtype)

    def __repr__(self):
        return f"Network({self.sizes}, {self.activations}, cost={self.cost!r}, dtype={self.dtype.name})"

    # -- passes ----------------------------------------------------------------------------------
    def _as_input(self, X):
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ConfigError(f"Expected inputs of shape (m, {self.sizes[0]}), got {X.shape}.")
        return X.astype(self.dtype, copy=False)

    def forward_cache(self, X):
        """Forward pass keeping every layer: returns (zs, activations).

        zs[l] is (m, sizes[l+1]); activations[0] is X and activations[l+1] = f(zs[l]).
        """
        a = X
        zs, acts = [], [a]
        for w, b, act in zip(self.weights, self.biases, self._acts):
            z = a @ w
            z += b
            a = act(z)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def forward(self, X) -> np.ndarray:
        """Outputs (m, n_out) for inputs X (m, n_in)."""
        return self.forward_cache(self._as_input(X))[1][-1]

    def backprop(self, X, Y, average_weights=True):
        """Batch-averaged gradients of the cost at (X, Y).

        Returns (cost, grad_w, grad_b, delta_in) where grad_w[l] matches weights[l], grad_b[l] matches
        biases[l] and delta_in (m, n_out of layer 0) is δ¹, kept for input gradients. With
        ``average_weights=False`` grad_w holds sums over the batch (m times the mean), which saves the
        training loop a pass over every weight matrix: it folds 1/m into the learning rate.
        """
        zs, acts = self.forward_cache(X)
        m = X.shape[0]
        out = self._acts[-1].name
        cost = self._cost.value(zs[-1], acts[-1], Y, out)
        delta = self._cost.delta(zs[-1], acts[-1], Y, out)
        inv_m = self.dtype.type(1.0 / m)
        mean_weights = np.full(m, inv_m, dtype=self.dtype)  # mean over the batch as one GEMV
        n = self.n_layers
        grad_w, grad_b = [None] * n, [None] * n
        for l in range(n - 1, -1, -1):
            gw = acts[l].T @ delta
            if average_weights:
                gw *= inv_m
            grad_w[l] = gw
            grad_b[l] = mean_weights @ delta
            if l > 0:
                back = delta @ self.weights[l].T
                delta = self._acts[l - 1].backward(zs[l - 1], acts[l], back)
        return cost, grad_w, grad_b, delta

    def input_gradient(self, X, Y) -> np.ndarray:
        """∂Cₓ/∂x for every sample: (m, n_in). Cₓ is the cost of that sample alone."""
        X = self._as_input(X)
        Y = np.asarray(Y, dtype=self.dtype)
        _, _, _, delta1 = self.backprop(X, Y)
        return delta1 @ self.weights[0].T

    # -- evaluation ------------------------------------------------------------------------------
    def predict(self, X) -> np.ndarray:
        """Class indices (m,): argmax of the outputs, or the rounded output for a single output."""
        out = self.forward(X)
        if out.shape[1] == 1:
            return np.rint(out[:, 0]).astype(np.int64)
        return out.argmax(axis=1)

    def evaluate(self, X, Y, classification=True, chunk=10_000):
        """Mean cost and accuracy over (X, Y); accuracy is None when not ``classification``.

        With one output, a sample counts as right when the output is within 0.5 of the target.
        """
        X = self._as_input(X)
        Y = np.asarray(Y)
        if len(X) == 0:
            return float("nan"), None
        total, correct = 0.0, 0
        out_name = self._acts[-1].name
        for start in range(0, len(X), chunk):
            xb = X[start:start + chunk]
            yb = Y[start:start + chunk].astype(self.dtype, copy=False)
            zs, acts = self.forward_cache(xb)
            total += self._cost.value(zs[-1], acts[-1], yb, out_name) * len(xb)
            if classification:
                correct += int(np.count_nonzero(_correct(acts[-1], yb)))
        accuracy = correct / len(X) if classification else None
        return total / len(X), accuracy

    def confusion_matrix(self, X, Y) -> np.ndarray:
        """(k, k) counts: row = true class, column = predicted class."""
        Y = np.asarray(Y)
        pred = self.predict(X)
        true = np.rint(Y[:, 0]).astype(np.int64) if Y.shape[1] == 1 else Y.argmax(axis=1)
        k = max(2, self.sizes[-1])
        matrix = np.zeros((k, k), dtype=np.int64)
        np.add.at(matrix, (np.clip(true, 0, k - 1), np.clip(pred, 0, k - 1)), 1)
        return matrix


def _correct(out, y):
    """Boolean (m,) of correct predictions for outputs and targets of shape (m, k)."""
    if out.shape[1] == 1:
        return np.abs(out[:, 0] - y[:, 0]) < 0.5
    return out.argmax(axis=1) == y.argmax(axis=1)
