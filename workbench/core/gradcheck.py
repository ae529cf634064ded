"""Central finite differences against back-propagation."""

from __future__ import annotations

import numpy as np

from .network import Network


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-5) -> np.ndarray:
    """|a − b| / max(|a|, |b|, floor), elementwise.

    The floor keeps gradients that are ~0 (a dead ReLU: back-propagation gives exactly 0 and the
    stencil ~1e-13 of round-off) from turning round-off into a large "relative" error; below it the
    difference is measured against the floor instead.
    """
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return np.abs(a - b) / scale


def numerical_gradients(net: Network, X, Y, eps: float = 1e-4):
    """∂C/∂W and ∂C/∂b by central differences; slow, float64 advised.

    Uses the fourth-order central stencil (C(θ−2ε) − 8C(θ−ε) + 8C(θ+ε) − C(θ+2ε)) / 12ε, whose
    truncation error O(ε⁴) lets ε be large enough that round-off stays near 1e-12.
    """
    X = np.asarray(X, dtype=net.dtype)
    Y = np.asarray(Y, dtype=net.dtype)

    def cost():
        return net.evaluate(X, Y, classification=False)[0]

    grads = []
    for params in (net.weights, net.biases):
        layer_grads = []
        for p in params:
            g = np.zeros_like(p, dtype=np.float64)
            flat, gflat = p.reshape(-1), g.reshape(-1)
            for k in range(flat.size):
                keep = flat[k]
                values = []
                for offset in (-2 * eps, -eps, eps, 2 * eps):
                    flat[k] = keep + offset
                    values.append(cost())
                flat[k] = keep
                gflat[k] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * eps)
            layer_grads.append(g)
        grads.append(layer_grads)
    return grads[0], grads[1]


def gradient_check(net: Network, X, Y, eps: float = 1e-4, floor: float = 1e-5) -> list[dict]:
    """Compare back-propagation with finite differences for every parameter.

    Runs on a float64 copy of ``net``. Returns one dict per weight layer:
    {"layer": l, "weights": max relative error of W, "biases": max relative error of b}.
    """
    net64 = net.astype("float64")
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    _, grad_w, grad_b, _ = net64.backprop(X, Y)
    num_w, num_b = numerical_gradients(net64, X, Y, eps)
    return [
        {"layer": l,
         "weights": float(relative_error(grad_w[l], num_w[l], floor).max()),
         "biases": float(relative_error(grad_b[l], num_b[l], floor).max())}
        for l in range(net64.n_layers)
    ]
