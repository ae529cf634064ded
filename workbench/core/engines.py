"""The two training engines behind ``train``: the numpy reference and the compiled kernel.

An engine trains up to ``limit`` batches per call of ``run`` and hands back their figures as arrays
(an ``Output``); the generator in ``training`` numbers them, yields them and decides when an epoch
ends. Both draw nothing at random: the generator gives them the shuffled order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from . import kernel
from .errors import ConfigError
from .training import FAILURES, _step, _Workspace

ENGINES = ("auto", "numpy", "compiled")
ENV_VAR = "WORKBENCH_ENGINE"


@dataclass(slots=True)
class Output:
    """What one call of ``run`` trained: ``count`` batches of ``sizes[:count]`` samples each.

    cost: (limit,); delta_norms, weight_norms: (limit, L); watched: (limit, W) — rows past
    ``count`` are unused. bias_gradients: ∂C/∂bˡ of the last batch trained (None if none was).
    failure: None, or the phrase saying what stopped being finite in batch ``count`` + 1 (whose
    update was not applied).
    """

    count: int
    sizes: np.ndarray
    cost: np.ndarray
    delta_norms: np.ndarray
    weight_norms: np.ndarray
    watched: np.ndarray
    bias_gradients: list | None
    failure: str | None


def configured_engine() -> str:
    """$WORKBENCH_ENGINE as written (lower case), "auto" where it is unset; not checked here."""
    return os.environ.get(ENV_VAR, "").strip().lower() or "auto"


def choose_engine(name: str | None, dtype) -> str:
    """The engine to use: ``name``, else $WORKBENCH_ENGINE, else "auto". "compiled" compiles (or
    loads from the cache) before returning, and where it cannot be used it is refused rather than
    replaced, so that a test or benchmark never measures the wrong engine."""
    if name is None:
        name = configured_engine()
    if name not in ENGINES:
        raise ConfigError(f"Unknown engine {name!r}; choose one of {', '.join(ENGINES)} "
                          f"(set by the {ENV_VAR} environment variable or the caller).")
    if name == "compiled" and not kernel.prepare(np.dtype(dtype)):
        raise ConfigError(f"The compiled engine cannot be used here: {kernel.why_unavailable()}; "
                          f"set {ENV_VAR}=numpy or auto.")
    return name


def make_engine(choice: str, net):
    if choice == "compiled" or (choice == "auto" and kernel.ready(net.dtype)):
        return CompiledEngine(net)
    return NumpyEngine(net, upgrade=choice == "auto")


def _outputs(limit: int, n_layers: int, n_watched: int):
    return (np.zeros(limit, np.int64), np.empty(limit), np.empty((limit, n_layers)),
            np.empty((limit, n_layers)), np.empty((limit, n_watched)))


class NumpyEngine:
    """The reference: ``training._step`` (fused backprop and update in numpy) once per batch."""

    name = "numpy"

    def __init__(self, net, upgrade: bool = False):
        self.net = net
        self.work = _Workspace(net)
        self._upgrade = upgrade

    def upgraded(self):
        """This engine, or the compiled one (carrying on the momentum) once it is ready."""
        if self._upgrade and kernel.ready(self.net.dtype):
            return CompiledEngine(self.net, self.work.optimizer)
        return self

    def run(self, X, Y, order, start, n, size, limit, hp, watch, grad_sum, sums) -> Output:
        net = self.net
        sizes, cost, delta_norms, weight_norms, watched = _outputs(limit, net.n_layers, len(watch))
        p, k, last, failure = start, 0, None, None
        while k < limit and p < len(order):
            local = p % n
            if local == 0:
                grad_sum[:] = 0
            m = min(size, n - local)
            index = order[p:p + m]
            outcome = _step(net, X.take(index, axis=0), Y.take(index, axis=0), hp, self.work, n, watch)
            if isinstance(outcome, str):
                failure = outcome
                break
            cost[k], last, delta_norms[k], watched[k], weight_norms[k] = outcome
            for acc, g in zip(sums, last):
                acc += g
            sizes[k] = m
            p += m
            k += 1
        return Output(k, sizes, cost, delta_norms, weight_norms, watched, last, failure)


class CompiledEngine:
    """The numba kernel (``kernel.run_batches``) over the network's parameters, kept in one flat
    buffer: ``net.weights[l]`` and ``net.biases[l]`` become views of it for the run."""

    name = "compiled"

    def __init__(self, net, optimizer=None):
        self.net = net
        self.dtype = net.dtype
        sizes = net.sizes
        self.sizes = np.asarray(sizes, np.uint64)
        self.L = net.n_layers
        offsets, total = [], 0
        for l in range(self.L):
            w = sizes[l] * sizes[l + 1]
            offsets.append((total, total + w))
            total += w + sizes[l + 1]
        self.offsets = np.asarray(offsets, np.uint64)
        self.theta = np.empty(total, self.dtype)
        self.velocity = np.zeros(total, self.dtype)
        self.steps = np.zeros(total, self.dtype)
        self.act_codes = np.asarray([kernel.ACTIVATION_CODES[a] for a in net.activations], np.int64)
        self.cost_code = kernel.COST_CODES[net.cost]
        self.kind = None
        self._adopt()
        if optimizer is not None and optimizer.kind is not None:   # carry on a numpy run's momentum
            self.kind = kernel.OPTIMIZER_CODES[optimizer.kind]
            for (l, part), state in optimizer.state.items():
                self._part(l, part)[...] = state
        self._buffers_for = 0
        info = np.finfo(self.dtype)
        self.scalars = np.zeros(12, self.dtype)
        self.scalars[:5] = (0.5, 1.0, kernel.LEAKY_SLOPE, info.eps, info.tiny)
        self.grads = np.empty(int(self.sizes[1:].sum()), self.dtype)
        self.bias_bounds = np.cumsum([0] + sizes[1:])        # layer l's ∂C/∂b in a flat (Σ b,) array

    def _part(self, l: int, part: str, array=None) -> np.ndarray:
        array = self.velocity if array is None else array
        a, b = self.offsets[l]
        if part == "W":
            return array[a:b].reshape(self.net.sizes[l], self.net.sizes[l + 1])
        return array[b:b + self.net.sizes[l + 1]]

    def _adopt(self) -> None:
        """Copy the network's parameters into the flat buffer and make them views of it."""
        net = self.net
        for l in range(self.L):
            w, b = self._part(l, "W", self.theta), self._part(l, "b", self.theta)
            w[...] = net.weights[l]
            b[...] = net.biases[l]
            net.weights[l], net.biases[l] = w, b
        self._views = (list(net.weights), list(net.biases))

    def upgraded(self):
        return self

    def _ensure_buffers(self, m: int) -> None:
        if m <= self._buffers_for:
            return
        width = int(self.sizes.sum())
        self.values = np.empty(m * width, self.dtype)        # a⁰ (the batch's inputs), then z and a per layer
        self.zs = np.empty(m * width, self.dtype)
        self.deltas = np.empty(m * width, self.dtype)
        self.back = np.empty(m * int(self.sizes.max()), self.dtype)
        self.nonzero = np.empty(m * width, np.uint64)
        self.nonzero_counts = np.zeros(m * (self.L + 1), np.uint64)
        self.flags = np.zeros(int(self.sizes.max()), np.uint8)
        self.touched = np.empty(width, np.uint64)
        self._buffers_for = m

    def run(self, X, Y, order, start, n, size, limit, hp, watch, grad_sum, sums) -> Output:
        net = self.net
        if any(a is not b for a, b in zip(net.weights, self._views[0])) or \
                any(a is not b for a, b in zip(net.biases, self._views[1])):
            self._adopt()                                     # someone replaced a layer's arrays
        kind = kernel.OPTIMIZER_CODES[hp.optimizer]
        if kind != self.kind:
            self.velocity[:] = 0
            self.kind = kind
        multipliers = hp.layer_lr or (1.0,) * self.L
        etas = np.asarray([hp.lr * m for m in multipliers], np.float64)
        watch_array = np.asarray(watch, np.int64).reshape(len(watch), 3)
        m = min(size, n)
        self._ensure_buffers(m)
        sizes, cost, delta_norms, weight_norms, watched = _outputs(limit, self.L, len(watch))
        last = np.empty_like(self.grads)
        count, status = kernel.run_batches(                   # X, Y, order: C order (train checks)
            X, Y, order, int(start), int(n), int(size), int(limit),
            self.theta, self.velocity, self.steps, self.offsets, self.sizes, self.act_codes,
            int(self.cost_code), int(kind), etas, float(hp.momentum), float(hp.l2) / n, watch_array,
            self.values, self.zs, self.deltas, self.back, self.grads, self.nonzero, self.nonzero_counts,
            self.flags, self.touched, self.scalars,
            sizes, cost, delta_norms, weight_norms, watched, grad_sum, last)
        bias_gradients = None
        if count:
            bounds = self.bias_bounds
            bias_gradients = [last[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        return Output(int(count), sizes, cost, delta_norms, weight_norms, watched, bias_gradients,
                      FAILURES.get(int(status)))
