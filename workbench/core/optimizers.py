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
    """Keeps the per-parameter state, keyed by (layer, "W" | "b")."""

    def __init__(self):
        self.state: dict[tuple[int, str], np.ndarray] = {}
        self.kind = None

    def reset(self):
        self.state.clear()

    def step(self, kind: str, key, grad: np.ndarray, lr: float, momentum: float):
        """The update Δ for one parameter array, and the state to keep if the update is accepted.

        Returns (delta, new_state); nothing is stored until ``commit``.
        """
        if kind == "sgd":
            return grad * -lr, None
        previous = self.state.get(key) if kind == self.kind else None
        if kind == "momentum":
            delta = grad * -lr
            if previous is not None:
                delta += momentum * previous
            return delta, delta
        # nesterov
        velocity = grad * lr
        if previous is None:
            return velocity * -(1 + momentum), velocity
        velocity += momentum * previous
        delta = momentum * previous - (1 + momentum) * velocity
        return delta, velocity

    def commit(self, kind: str, new_states: dict):
        if kind != self.kind:
            self.state.clear()
            self.kind = kind
        if kind == "sgd":
            return
        self.state.update(new_states)
