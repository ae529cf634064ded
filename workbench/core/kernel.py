"""The compiled training kernel: forward, backward, update and the per-batch figures of a whole run
of batches in one call of numba-compiled code that releases the GIL.

``run_batches`` is ``training._step`` (the numpy reference) written out as loops over one flat
parameter buffer, so that a batch of one sample costs arithmetic rather than ~60 numpy calls. The
arithmetic follows the reference step by step (the same scaled δ, the same order of L2, momentum and
update), so both engines agree to rounding. Inputs that are exactly 0 (most MNIST pixels) are
skipped in the forward pass and in the weight gradient: they add nothing to either.

Without numba (or with $WORKBENCH_ENGINE=numpy) nothing here is compiled and ``available()`` says why.
"""

from __future__ import annotations

import math
import threading

import numpy as np

try:                                                    # numba is a dependency where wheels exist
    import numba
except ImportError as error:                            # pragma: no cover - depends on the platform
    numba = None
    _IMPORT_ERROR = str(error)
except Exception as error:  # noqa: BLE001 - e.g. NUMBA_NUM_THREADS=0 raises ValueError on import
    numba = None
    _IMPORT_ERROR = f"importing numba failed: {type(error).__name__}: {error}"

ACTIVATION_CODES = {"sigmoid": 0, "tanh": 1, "relu": 2, "leaky-relu": 3, "linear": 4, "softmax": 5}
COST_CODES = {"quadratic": 0, "cross-entropy": 1, "log-likelihood": 2}
OPTIMIZER_CODES = {"sgd": 0, "momentum": 1, "nesterov": 2}
SIGMOID, TANH, RELU, LEAKY, LINEAR, SOFTMAX = range(6)
_ZERO, _ONE = np.uint64(0), np.uint64(1)
QUADRATIC, CROSS_ENTROPY, LOG_LIKELIHOOD = range(3)
SGD, MOMENTUM, NESTEROV = range(3)
LEAKY_SLOPE = 0.01

_ready: set[str] = set()
_failure: str | None = None
_lock = threading.Lock()


def available() -> bool:
    """Whether the kernel can be used here: numba imports and no compilation has failed."""
    return numba is not None and _failure is None


def why_unavailable() -> str:
    return _IMPORT_ERROR if numba is None else (_failure or "")


def ready(dtype) -> bool:
    """Whether the kernel for ``dtype`` is compiled (or loaded from the cache) and checked, so that
    it may be called without waiting."""
    return np.dtype(dtype).name in _ready


def prepare(dtype) -> bool:
    """Compile the kernel for ``dtype`` (float32 or float64), or load it from numba's cache, and
    check it against the numpy engine on a few batches of a tiny network; blocks until done and
    says whether the kernel is ready. Safe to call from any thread; never raises: a failure makes
    ``available()`` False, with the reason in ``why_unavailable()``."""
    global _failure
    name = np.dtype(dtype).name
    if name in _ready or not available():
        return name in _ready
    with _lock:
        if name in _ready or not available():
            return name in _ready
        try:
            problem = _self_check(name)
        except Exception as error:  # noqa: BLE001 - an LLVM or numba failure must not reach the user
            problem = f"compiling it failed: {type(error).__name__}: {error}"
        if problem:
            _failure = problem
            return False
        _ready.add(name)
        return True


def _self_check(name: str) -> str | None:
    """Train the same 3 batches of a 2-3-2 network on both engines; None if they agree."""
    from .engines import CompiledEngine, NumpyEngine
    from .network import Network
    from .training import Hyperparameters

    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 2)).astype(name)
    Y = np.eye(2, dtype=name)[[0, 1, 1, 0, 1, 0]]
    nets = [Network.create([2, 3, 2], ["tanh", "softmax"], "cross-entropy", rng=np.random.default_rng(1), dtype=name)
            for _ in range(2)]
    hp = Hyperparameters(optimizer="nesterov", lr=0.1, momentum=0.5, batch_size=2, l2=0.1)
    for net, engine in zip(nets, (NumpyEngine(nets[0]), CompiledEngine(nets[1]))):
        grad_sum = np.zeros(5)
        engine.run(X, Y, np.arange(6), 0, 6, 2, 3, hp, [(0, 1, 2)], grad_sum, [grad_sum[:3], grad_sum[3:]])
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(nets[0].weights + nets[0].biases,
                                                            nets[1].weights + nets[1].biases))
    if not worst <= (1e-5 if name == "float32" else 1e-12):
        return f"its {name} results differ from the numpy engine's by {worst:.3g}"
    return None


#: Sums may be reassociated (so that LLVM vectorises them); NaN and inf keep their meaning, which
#: the finiteness checks rely on.
_FLAGS = dict(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "nsz"})


def _compiled(function):
    if numba is None:
        return function
    return numba.njit(**_FLAGS)(function)


def _inlined(function):
    if numba is None:
        return function
    return numba.njit(inline="always", **_FLAGS)(function)


@_compiled
def _sum_of_squares(x, start, stop):
    """Σ x[start:stop]² in float64."""
    total = 0.0
    for t in range(start, stop):
        v = float(x[t])
        total += v * v
    return total


# Every buffer below is flat; a layer's (m, width) block of it starts at ``at`` and is row-major.
# Indices are unsigned (np.uint64): numba wraps negative signed indices around, and that check in
# an inner loop stops LLVM from vectorising it (about 2× slower).

@_inlined
def _activate(code, z, a, at, m, width, scalars):
    """a = f(z) for one layer's block. scalars: [½, 1, leaky slope, …] in the buffers' dtype."""
    half, slope = scalars[0], scalars[2]
    if code == SOFTMAX:
        for i in range(m):
            row = at + i * width
            top = z[row]
            for j in range(_ONE, width):
                if z[row + j] > top:
                    top = z[row + j]
            total = top - top
            for j in range(width):
                e = np.exp(z[row + j] - top)
                a[row + j] = e
                total += e
            for j in range(width):
                a[row + j] /= total
        return
    for t in range(at, at + m * width):
        v = z[t]
        if code == SIGMOID:
            a[t] = np.tanh(v * half) * half + half    # the reference's form, in the same precision
        elif code == TANH:
            a[t] = np.tanh(v)
        elif code == RELU:
            a[t] = v if v > 0 else v - v
        elif code == LEAKY:
            a[t] = v if v > 0 else v * slope
        else:
            a[t] = v


@_inlined
def _backward(code, z, a, grad, grad_at, out, at, m, width, scalars):
    """out = ∂C/∂z given grad = ∂C/∂a for one layer's block (the reference's Activation.backward);
    grad's block starts at grad_at, the others' at ``at``."""
    one, slope = scalars[1], scalars[2]
    if code == SOFTMAX:
        for i in range(m):
            row, g_row = at + i * width, grad_at + i * width
            dot = one - one
            for j in range(width):
                dot += grad[g_row + j] * a[row + j]
            for j in range(width):
                out[row + j] = a[row + j] * (grad[g_row + j] - dot)
        return
    for t in range(m * width):
        g = grad[grad_at + t]
        u = at + t
        if code == SIGMOID:
            out[u] = (one - a[u]) * a[u] * g
        elif code == TANH:
            out[u] = (one - a[u] * a[u]) * g
        elif code == RELU:
            out[u] = g if z[u] > 0 else g - g
        elif code == LEAKY:
            out[u] = g if z[u] > 0 else g * slope
        else:
            out[u] = g


@_inlined
def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@_inlined
def _output_error(cost, act, z, a, delta, at, y, m, width, scalars):
    """The batch-mean cost (float64) and δᴸ into ``delta`` (the reference's Cost.value and delta);
    y is the batch's (m, width) targets from index 0."""
    one, eps, tiny = scalars[1], scalars[3], scalars[4]
    total = 0.0
    if cost == QUADRATIC:
        for t in range(m * width):
            d = a[at + t] - y[t]
            total += float(d) * float(d)
            delta[at + t] = d
        _backward(act, z, a, delta, at, delta, at, m, width, scalars)
        return 0.5 * total / m
    if act == SIGMOID:
        for t in range(m * width):
            zz = float(z[at + t])
            if cost == CROSS_ENTROPY:
                total += _softplus(zz) - float(y[t]) * zz
                delta[at + t] = a[at + t] - y[t]
            else:
                total += float(y[t]) * _softplus(-zz)
                delta[at + t] = -y[t] * (one - a[at + t])
        return total / m
    for i in range(m):                               # softmax
        row, y_row = at + i * width, i * width
        top = float(z[row])
        for j in range(_ONE, width):
            top = max(top, float(z[row + j]))
        s = 0.0
        for j in range(width):
            s += math.exp(float(z[row + j]) - top)
        log_s = math.log(s)
        r_sum = one - one
        y_sum = r_sum
        for j in range(width):
            log_a = float(z[row + j]) - top - log_s
            yj = y[y_row + j]
            if cost == CROSS_ENTROPY:
                aj = min(a[row + j], one - eps)
                total -= float(yj) * log_a + (1.0 - float(yj)) * math.log1p(-float(aj))
                r = (a[row + j] - yj) / max(one - a[row + j], tiny)
                delta[row + j] = r
                r_sum += r
            else:
                total -= float(yj) * log_a
                y_sum += yj
        for j in range(width):
            if cost == CROSS_ENTROPY:
                delta[row + j] = delta[row + j] - a[row + j] * r_sum
            else:
                delta[row + j] = a[row + j] * y_sum - y[y_row + j]
    return total / m


@_inlined
def _add_outer(W, w_at, a, a_at, nonzero, counts, ds, m, rows, cols):
    """W[c, :] += Σᵢ a[i, c] · ds[i, :] (W at w_at, a's block and its lists of nonzero columns at
    a_at, ds from 0): inputs that are 0 add nothing and are skipped."""
    for i in range(m):
        row = a_at + i * rows
        for q in range(counts[i]):
            c = nonzero[row + q]
            v = a[row + c]
            w_row, d_row = w_at + c * cols, i * cols
            for j in range(cols):
                W[w_row + j] += v * ds[d_row + j]


@_inlined
def _sparse_steps(steps, w_at, a, a_at, nonzero, counts, ds, m, rows, cols, flags, touched, t_at):
    """The SGD step Σᵢ a[i, c] · ds[i, :] of the rows c of W whose input is not 0 in some sample of
    the batch (the others do not move), into steps (W's layout, from w_at); lists those rows in
    touched[t_at:] and returns their number. flags: (rows,) zeros on entry and on return."""
    n = _ZERO
    for i in range(m):
        row = a_at + i * rows
        for q in range(counts[i]):
            c = nonzero[row + q]
            v = a[row + c]
            s_row, d_row = w_at + c * cols, i * cols
            if flags[c] == 0:
                flags[c] = 1
                touched[t_at + n] = c
                n += _ONE
                for j in range(cols):
                    steps[s_row + j] = v * ds[d_row + j]
            else:
                for j in range(cols):
                    steps[s_row + j] += v * ds[d_row + j]
    for q in range(n):
        flags[touched[t_at + q]] = 0
    return n


@_inlined
def _find_nonzero(a, at, rows, m, nonzero, counts):
    """For each of the block's m rows, the columns whose value is not 0, listed from nonzero[at +
    i·rows] on, and their number in counts[i]; branch-free, as MNIST's zeros fall at random."""
    for i in range(m):
        row = at + i * rows
        count = _ZERO
        for c in range(rows):
            nonzero[row + count] = c
            count += np.uint64(a[row + c] != 0)
        counts[i] = count


@_inlined
def _momentum(optimizer, S, V, start, stop, alpha, one_plus_alpha, alpha_squared):
    """Turn the SGD steps S[start:stop] into the optimizer's steps, updating its state V (the
    reference's Optimizer.step for "momentum" and "nesterov")."""
    if optimizer == MOMENTUM:
        for t in range(start, stop):
            V[t] = V[t] * alpha + S[t]
            S[t] = V[t]
    elif optimizer == NESTEROV:
        for t in range(start, stop):
            s = S[t]
            S[t] = s * one_plus_alpha - V[t] * alpha_squared
            V[t] = V[t] * alpha - s


@_inlined
def _all_finite(x, start, stop):
    for t in range(start, stop):
        if not math.isfinite(x[t]):
            return False
    return True


@_inlined
def _apply(theta, steps, t):
    """theta[t] += steps[t], leaving the previous theta[t] in steps[t]: a failed batch is undone
    exactly from there (subtracting the step back is not exact, nor finite where the step was not)."""
    before = theta[t]
    theta[t] = before + steps[t]
    steps[t] = before


@_compiled
def run_batches(X, Y, order, start, n, size, limit, theta, velocity, steps, offsets, sizes, acts, cost,
                optimizer, etas, momentum, decay, watch, values, zs, deltas, back, grads, nonzero, nonzero_counts,
                flags, touched, scalars, out_sizes, out_cost, out_delta_norms, out_weight_norms, out_watched, grad_sum, last):
    """Train up to ``limit`` batches of ``order[start:]`` (epochs of ``n`` samples; a batch never
    spans two) and return (batches trained, failure code: 0, or 1 cost / 2 gradients / 3 weights
    not finite in the next batch, which is then left unapplied).

    X: (n, n_in), Y: (n, n_out); theta, velocity, steps: the flat parameters, momentum state and
    scratch (a batch's steps, then the parameters before them), with layer l's W (sizes[l], sizes[l+1]) at offsets[l, 0] and its b at
    offsets[l, 1]. acts: (L,) activation codes; etas: (L,) η times each layer's multiplier; decay:
    λ/n; watch: (W, 3) followed weights. values (a⁰ … aᴸ), zs and deltas: (m·Σsizes,) scratch laid
    out by layer, back: (m·max size,) scratch, grads: (Σ b,); nonzero (int64, as values) and
    nonzero_counts (m·(L+1),): which inputs of each layer are not 0; flags (max size,) uint8 zeros and
    touched (Σ sizes,): the rows a sparse step moved; scalars: [½, 1, leaky slope, eps,
    tiny, …] in the parameters' dtype. Per batch: out_sizes (k,), out_cost (k,), out_delta_norms
    and out_weight_norms (k, L), out_watched (k, W); grad_sum (Σ b,) float64 gains each batch's
    ∂C/∂b (zeroed where an epoch starts); last: the latest batch's ∂C/∂b.
    """
    L = acts.shape[0]
    n_in = sizes[0]
    n_out = sizes[L]
    width = _ZERO
    for l in range(L + 1):
        width += sizes[l]
    cap = np.uint64(values.shape[0]) // width
    at = np.zeros(L + 2, np.uint64)                  # layer l's block starts at at[l]
    bias_at = np.zeros(L + 1, np.uint64)             # layer l's ∂C/∂b starts at bias_at[l]
    for l in range(L + 1):
        at[l + 1] = at[l] + cap * sizes[l]
    touched_at = np.zeros(L + 1, np.uint64)          # layer l's rows moved by a sparse step
    n_touched = np.zeros(L, np.uint64)
    for l in range(L):
        bias_at[l + 1] = bias_at[l] + sizes[l + 1]
        touched_at[l + 1] = touched_at[l] + sizes[l]
    scalars[5] = momentum
    alpha = scalars[5]
    scalars[6] = scalars[1] + alpha
    scalars[7] = alpha * alpha
    one_plus_alpha, alpha_squared = scalars[6], scalars[7]
    sparse = optimizer == SGD and decay == 0.0       # only rows with a nonzero input move
    n, size, end = np.uint64(n), np.uint64(size), np.uint64(order.shape[0])
    p, k, status = np.uint64(start), 0, 0
    while k < limit and p < end:
        local = p % n
        m = min(size, n - local)
        scalars[8] = 1.0 / m
        inv_m = scalars[8]
        for i in range(m):
            r = np.uint64(order[p + i])
            for c in range(n_in):
                values[i * n_in + c] = X[r, c]
            for j in range(n_out):
                back[i * n_out + j] = Y[r, j]        # the batch's targets, until the backward pass
        for l in range(L):                           # forward
            rows, cols = sizes[l], sizes[l + 1]
            wa, ba = offsets[l, 0], offsets[l, 1]
            counts = nonzero_counts[np.uint64(l) * cap:np.uint64(l + 1) * cap]
            _find_nonzero(values, at[l], rows, m, nonzero, counts)
            for i in range(m):
                z_row, a_row = at[l + 1] + i * cols, at[l] + i * rows
                for j in range(cols):
                    zs[z_row + j] = 0
                for q in range(counts[i]):
                    c = nonzero[a_row + q]
                    v = values[a_row + c]
                    w_row = wa + c * cols
                    for j in range(cols):
                        zs[z_row + j] += v * theta[w_row + j]
                for j in range(cols):                # the reference's order: a·W, then + b
                    zs[z_row + j] += theta[ba + j]
            _activate(acts[l], zs, values, at[l + 1], m, cols, scalars)
        c_value = _output_error(cost, acts[L - 1], zs, values, deltas, at[L], back, m, n_out, scalars)
        if not math.isfinite(c_value):
            status = 1
            break
        for l in range(L - 1, -1, -1):               # backward, with the weights before the update
            cols = sizes[l + 1]
            d_at = at[l + 1]
            squares = 0.0
            for j in range(cols):
                s = deltas[d_at + j] * inv_m
                for i in range(_ONE, m):
                    s += deltas[d_at + i * cols + j] * inv_m
                grads[bias_at[l] + j] = s
                squares += float(s) * float(s)
            out_delta_norms[k, l] = math.sqrt(squares)
            if not math.isfinite(squares):
                status = 2
                break
            if l > 0:
                rows, wa = sizes[l], offsets[l, 0]
                for i in range(m):
                    d_row = d_at + i * cols
                    for c in range(rows):
                        w_row = wa + c * cols
                        s = deltas[d_row] * theta[w_row]
                        for j in range(_ONE, cols):
                            s += deltas[d_row + j] * theta[w_row + j]
                        back[i * rows + c] = s
                _backward(acts[l - 1], zs, values, back, _ZERO, deltas, at[l], m, rows, scalars)
        if status:
            break
        for w in range(watch.shape[0]):
            l, wi, wj = watch[w, 0], np.uint64(watch[w, 1]), np.uint64(watch[w, 2])
            s64 = 0.0
            for i in range(m):
                s64 += float(values[at[l] + i * sizes[l] + wi]) * float(deltas[at[l + 1] + i * sizes[l + 1] + wj])
            out_watched[k, w] = s64 / m
        finite = True
        for l in range(L):                           # update
            rows, cols = sizes[l], sizes[l + 1]
            scalars[9] = -etas[l] / m
            scalars[10] = etas[l] * decay
            scalars[11] = -etas[l]
            scaled_eta, eta_decay, minus_eta = scalars[9], scalars[10], scalars[11]
            wa, ba = offsets[l, 0], offsets[l, 1]
            d_at = at[l + 1]
            for t in range(m * cols):                # δ·(−η/m), as the reference scales it
                back[t] = deltas[d_at + t] * scaled_eta
            counts = nonzero_counts[np.uint64(l) * cap:np.uint64(l + 1) * cap]
            if sparse:
                n_touched[l] = _sparse_steps(steps, wa, values, at[l], nonzero, counts, back, m, rows, cols, flags,
                                             touched, touched_at[l])
                for q in range(n_touched[l]):
                    s_row = wa + touched[touched_at[l] + q] * cols
                    for j in range(cols):
                        _apply(theta, steps, s_row + j)
            else:
                for t in range(wa, ba):
                    steps[t] = 0
                _add_outer(steps, wa, values, at[l], nonzero, counts, back, m, rows, cols)
                if decay != 0.0:
                    for t in range(wa, ba):
                        steps[t] -= eta_decay * theta[t]
                _momentum(optimizer, steps, velocity, wa, ba, alpha, one_plus_alpha, alpha_squared)
                for t in range(wa, ba):
                    _apply(theta, steps, t)
            for j in range(cols):
                steps[ba + j] = grads[bias_at[l] + j] * minus_eta
            _momentum(optimizer, steps, velocity, ba, ba + cols, alpha, one_plus_alpha, alpha_squared)
            for j in range(cols):
                _apply(theta, steps, ba + j)
            squares = _sum_of_squares(theta, wa, ba)
            out_weight_norms[k, l] = math.sqrt(squares)
            if not math.isfinite(squares) or not _all_finite(theta, ba, ba + cols):
                finite = False
        if not finite:           # a step overflowed, or |w| > ~1e154: put back the saved parameters
            for l in range(L):
                rows, cols = sizes[l], sizes[l + 1]
                wa, ba = offsets[l, 0], offsets[l, 1]
                if sparse:
                    for q in range(n_touched[l]):
                        s_row = wa + touched[touched_at[l] + q] * cols
                        for j in range(cols):
                            theta[s_row + j] = steps[s_row + j]
                else:
                    for t in range(wa, ba):
                        theta[t] = steps[t]
                for j in range(cols):
                    theta[ba + j] = steps[ba + j]
            status = 3
            break
        if local == 0:
            grad_sum[:] = 0.0
        for t in range(grads.shape[0]):
            grad_sum[t] += grads[t]
            last[t] = grads[t]
        out_sizes[k] = m
        out_cost[k] = c_value
        p += m
        k += 1
    return k, status
