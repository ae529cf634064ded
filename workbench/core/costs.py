"""Cost functions, each pairing its value with the output-layer error δᴸ = ∂Cₓ/∂zᴸ.

Shapes: z, a, y are (batch, n_out). ``value`` returns the batch mean of the per-sample cost;
``delta`` returns per-sample δᴸ of shape (batch, n_out).

Where a cost and an output activation have a closed form that avoids dividing by a(1−a)
(sigmoid or softmax with cross-entropy-like costs) it is used, so saturated outputs never
produce 0/0. The value is computed from z with log-sum-exp / softplus so it is finite even
when a rounds to exactly 0 or 1.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS


def _softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + eˣ) without overflow."""
    return np.logaddexp(0, x)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class Cost:
    name = ""
    #: output activations this cost is defined for; None = any.
    activations: tuple[str, ...] | None = None

    def value(self, z, a, y, activation: str) -> float:
        raise NotImplementedError

    def delta(self, z, a, y, activation: str) -> np.ndarray:
        raise NotImplementedError


class Quadratic(Cost):
    """C = 1/(2n) Σₓ ‖y − a‖²."""

    name = "quadratic"

    def value(self, z, a, y, activation):
        diff = a - y
        return 0.5 * float(np.vdot(diff, diff)) / len(a)

    def delta(self, z, a, y, activation):
        return ACTIVATIONS[activation].backward(z, a, a - y)


class CrossEntropy(Cost):
    """C = −1/n Σₓ Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)]."""

    name = "cross-entropy"
    activations = ("sigmoid", "softmax")

    def value(self, z, a, y, activation):
        if activation == "sigmoid":
            # ln a = −softplus(−z) and ln(1 − a) = −softplus(z); softplus(−z) = softplus(z) − z,
            # so the sum collapses to Σ softplus(z) − Σ y·z.
            total = _softplus(z).sum() - np.vdot(y, z)
        else:
            log_a = _log_softmax(z)
            log_1m_a = np.log1p(-np.minimum(a, 1 - np.finfo(a.dtype).eps))
            total = -np.sum(y * log_a + (1 - y) * log_1m_a)
        return float(total) / len(a)

    def delta(self, z, a, y, activation):
        if activation == "sigmoid":
            return a - y
        # dC/daⱼ = (aⱼ − yⱼ)/(aⱼ(1 − aⱼ)) through the softmax Jacobian diag(a) − aaᵀ gives
        # δₖ = rₖ − aₖ Σⱼ rⱼ with rⱼ = (aⱼ − yⱼ)/(1 − aⱼ): no division by aⱼ.
        r = (a - y) / np.maximum(1 - a, np.finfo(a.dtype).tiny)
        return r - a * r.sum(axis=1, keepdims=True)


class LogLikelihood(Cost):
    """C = −1/n Σₓ Σⱼ yⱼ ln aⱼ  (−ln a_y for one-hot targets)."""

    name = "log-likelihood"
    activations = ("softmax", "sigmoid")

    def value(self, z, a, y, activation):
        log_a = _log_softmax(z) if activation == "softmax" else -_softplus(-z)
        return -float(np.sum(y * log_a)) / len(a)

    def delta(self, z, a, y, activation):
        if activation == "softmax":
            return a * y.sum(axis=1, keepdims=True) - y
        return -y * (1 - a)


COSTS: dict[str, Cost] = {cls.name: cls() for cls in (Quadratic, CrossEntropy, LogLikelihood)}


def target_error(cost: str, y_min: float, y_max: float, targets: str = "this data's targets") -> str | None:
    """A sentence explaining why ``targets`` ranging from ``y_min`` to ``y_max`` do not suit ``cost``,
    or None.  Cross-entropy and log-likelihood compare outputs in [0, 1] with targets in [0, 1]:
    outside it their value has no minimum and training drives it to −∞."""
    if cost == "quadratic" or (0.0 <= y_min and y_max <= 1.0):
        return None
    return (f"The {cost} cost needs targets between 0 and 1, but {targets} range from "
            f"{y_min:.3g} to {y_max:.3g}; use the quadratic cost, with a tanh or linear output layer.")


def pairing_error(activation: str, cost: str) -> str | None:
    """A sentence explaining why ``cost`` cannot follow an ``activation`` output, or None."""
    allowed = COSTS[cost].activations
    if allowed is None or activation in allowed:
        return None
    return (
        f"The {cost} cost needs outputs between 0 and 1; use a "
        f"{' or '.join(allowed)} output layer, or the quadratic cost."
    )
