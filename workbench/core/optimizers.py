"""Parameter updates: plain SGD, classical momentum and Nesterov momentum (Heaton's form).

With learning rate η (times the layer's multiplier), momentum α and gradient g:
- sgd:       Δw = −η g
- momentum:  Δw(t) = −η g + α Δw(t−1)
- nesterov:  n(t) = α n(t−1) + η g;   Δw(t) = α n(t−1) − (1 + α) n(t)
L2 adds (λ/n)·w to the weight gradient (never to biases), which for SGD is exactly
w ← (1 − ηλ/n)·w − η g.

Every rule is written in terms of the plain SGD step s = −η g, which the training loop computes
straight out of its matrix product: momentum Δw(t) = s + α Δw(t−1); Nesterov, with n(t) = α n(t−1) − s,
Δw(t) = (1 + α) s − α² n(t−1).
"""

from __future__ import annotations

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "nesterov")


class Optimizer:
    """Turns SGD steps into the chosen rule's steps, keeping momentum state per (layer, "W" | "b").

    Switching to another kind of optimizer mid-run starts its state afresh.
    """

    def __init__(self):
        self.state: dict[tuple[int, str], np.ndarray] = {}
        self.kind: str | None = None

    def step(self, kind: str, key, sgd_step: np.ndarray, momentum: float) -> np.ndarray:
        """The update Δ to add to one parameter array, given its SGD step −η·g.

        ``sgd_step`` is only read, but for "sgd" it is returned as the update itself.
        """
        if kind != self.kind:
            self.state.clear()
            self.kind = kind
        if kind == "sgd":
            return sgd_step
        alpha = sgd_step.dtype.type(momentum)  # numpy scalars multiply faster than Python floats
        previous = self.state.get(key)
        if kind == "momentum":
            if previous is None:
                previous = self.state[key] = sgd_step.copy()
            else:
                previous *= alpha
                previous += sgd_step
            return previous
        # nesterov
        delta = sgd_step * (1 + alpha)
        if previous is None:
            self.state[key] = -sgd_step
            return delta
        delta -= previous * (alpha * alpha)
        previous *= alpha
        previous -= sgd_step
        return delta
