"""Parameter updates: plain SGD, classical momentum and Nesterov momentum (Heaton's form).

With learning rate η (times the layer's multiplier), momentum α and gradient g:
- sgd:       Δw = −η g
- momentum:  Δw(t) = −η g + α Δw(t−1)
- nesterov:  n(t) = α n(t−1) + η g;   Δw(t) = α n(t−1) − (1 + α) n(t)
L2 adds (λ/n)·w to the weight gradient (never to biases), which for SGD is exactly
w ← (1 − ηλ/n)·w − η g.
"""

from __future__ import annotations

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "nesterov")


class Optimizer:
    """Computes update steps and keeps the momentum state, keyed by (layer, "W" | "b").

    Switching to another kind of optimizer mid-run starts its state afresh.
    """

    def __init__(self):
        self.state: dict[tuple[int, str], np.ndarray] = {}
        self.kind: str | None = None

    def step(self, kind: str, key, grad: np.ndarray, lr: float, momentum: float) -> np.ndarray:
        """The update Δ for one parameter array (same shape as ``grad``).

        ``grad`` may be overwritten and returned as the step, so pass a gradient the caller no
        longer needs.
        """
        if kind != self.kind:
            self.state.clear()
            self.kind = kind
        # numpy scalars of the array's type multiply faster than Python floats
        lr, momentum = grad.dtype.type(lr), grad.dtype.type(momentum)
        if kind == "sgd":
            grad *= -lr
            return grad
        previous = self.state.get(key)
        if kind == "momentum":
            grad *= -lr
            if previous is not None:
                previous *= momentum
                grad += previous
            self.state[key] = grad
            return grad
        # nesterov
        grad *= lr
        if previous is None:
            self.state[key] = grad
            return grad * -(1 + momentum)
        delta = previous * momentum
        previous *= momentum
        previous += grad
        delta -= (1 + momentum) * previous
        return delta
