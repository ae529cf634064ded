"""Activation functions: each pairs its value with its backward pass.

All functions take and return arrays of shape (batch, n) and keep the input dtype.
"""

from __future__ import annotations

import numpy as np


class Activation:
    """Base class. ``backward(z, a, grad_a)`` returns dC/dz given dC/da (both (batch, n))."""

    name = ""
    elementwise = True
    output_only = False

    def __call__(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Elementwise f'(z), computed from z or from a = f(z), whichever is cheaper."""
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        return grad_a * self.derivative(z, a)


class Sigmoid(Activation):
    name = "sigmoid"

    def __call__(self, z):
        # 0.5·(1 + tanh(z/2)) = 0.5 + 0.5·tanh(z/2) equals 1/(1+e^-z) and never overflows.
        # (Scalars of the array's own type: a Python float costs a conversion on every call.)
        half = z.dtype.type(0.5)
        a = np.multiply(z, half)
        np.tanh(a, out=a)
        a *= half
        a += half
        return a

    def derivative(self, z, a):
        return a * (1.0 - a)

    def backward(self, z, a, grad_a):
        out = np.subtract(a.dtype.type(1), a)
        out *= a
        out *= grad_a
        return out


class Tanh(Activation):
    name = "tanh"

    def __call__(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
        return 1.0 - a * a

    def backward(self, z, a, grad_a):
        out = a * a
        np.subtract(a.dtype.type(1), out, out=out)
        out *= grad_a
        return out


class ReLU(Activation):
    name = "relu"

    def __call__(self, z):
        return np.maximum(z, 0)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backward(self, z, a, grad_a):
        return np.where(z > 0, grad_a, 0).astype(grad_a.dtype, copy=False)


class LeakyReLU(Activation):
    name = "leaky-relu"
    slope = 0.01

    def __call__(self, z):
        return np.where(z > 0, z, z * self.slope).astype(z.dtype, copy=False)

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, self.slope).astype(z.dtype, copy=False)


class Linear(Activation):
    name = "linear"

    def __call__(self, z):
        return z

    def derivative(self, z, a):
        return np.ones_like(z)

    def backward(self, z, a, grad_a):
        return grad_a


class Softmax(Activation):
    """Softmax over each row; only allowed on the output layer."""

    name = "softmax"
    elementwise = False
    output_only = True

    def __call__(self, z):
        e = z - z.max(axis=1, keepdims=True)
        np.exp(e, out=e)
        e /= e.sum(axis=1, keepdims=True)
        return e

    def derivative(self, z, a):
        raise TypeError("softmax has a full Jacobian; use backward()")

    def backward(self, z, a, grad_a):
        # Jacobian-vector product: J = diag(a) - a aᵀ, so Jᵀg = a ⊙ (g - (g·a)).
        return a * (grad_a - np.sum(grad_a * a, axis=1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    cls.name: cls() for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Linear, Softmax)
}
HIDDEN_ACTIVATIONS = [name for name, act in ACTIVATIONS.items() if not act.output_only]
