"""Advice about a run, from numbers alone: a cost that swings instead of falling, a run's likely length.

numpy and the standard library only; nothing here trains or draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

OSCILLATION_WINDOW = 20
#: The window's lower swing point must stay below this fraction of its upper one (10th vs 90th
#: percentile): a bottom of 0.6 against a top of 1.0 is noise, 0.01 against 712 is a swing.
SWING_RATIO = 0.5
#: ... and its spread must exceed this fraction of the first cost (rounding noise near 0 is no swing).
SCALE_FRACTION = 0.01
#: Of the window's possible reversals (up then down, or down then up), at least this fraction.
REVERSAL_FRACTION = 0.25
#: A new low counts as "falling" when it beats the earlier best by this fraction of that best.
FALL_MARGIN = 0.01


def oscillation(costs: Sequence[float | None], *, window: int = OSCILLATION_WINDOW,
                lr: float | None = None) -> str | None:
    """One sentence for the user when the cost has stopped falling and swings up and down; else None.

    ``costs``: the training cost after each epoch, epoch 0 (the initial weights) first — a sequence
    of length epochs + 1 of floats; ``None``, NaN and ±inf are treated as missing. ``window``: how
    many of the latest costs are judged (≥ 4). ``lr``: the learning rate, named in the sentence when
    given.

    The last ``window`` costs count as oscillating when all three hold:

    * **No new low.** The lowest cost of the window's second half is not below the lowest cost of
      everything before it by more than ``FALL_MARGIN`` (1 %) of that value — or, for costs near 0,
      by more than 0.1 % of the window's spread. A run that is still improving, however noisily,
      keeps setting new lows and is left alone.
    * **Large swings.** Over the window, the 10th percentile of the cost is below ``SWING_RATIO``
      (half) of its 90th percentile, and that spread is more than ``SCALE_FRACTION`` (1 %) of the
      first cost given (the initial weights' cost: the problem's own scale) and more than 1e-6.
      Mini-batch noise on a falling or converged cost is a few per cent of its level; a flat plateau
      has no spread at all; a converged cost jittering at 1e-6 is rounding, not a swing.
    * **Many reversals.** Taking the epoch-to-epoch changes larger than 10 % of that spread, their
      sign flips at least ``REVERSAL_FRACTION`` (a quarter) as often as it could: the cost goes up
      and down, rather than jumping once to a new level (a step) or drifting.

    A run with fewer than ``window + 1`` costs (fewer than ``window`` epochs after epoch 0), or with
    more than a quarter of the window missing, gets None: there is not enough to judge.
    """
    window = int(window)
    if window < 4:
        raise ValueError(f"The oscillation window must be at least 4 epochs, not {window}.")
    values = np.array([math.nan if c is None else float(c) for c in costs], dtype=np.float64)
    values[~np.isfinite(values)] = math.nan
    if len(values) < window + 1:
        return None
    tail = values[-window:]
    tail = tail[np.isfinite(tail)]
    if len(tail) < 4 or len(tail) < 0.75 * window:
        return None
    low, high = np.percentile(tail, [10, 90])
    spread = high - low
    first = values[np.isfinite(values)][0]
    if not (spread > max(1e-6, SCALE_FRACTION * abs(first)) and low < SWING_RATIO * high):
        return None
    recent = values[-(window // 2):]
    earlier = values[:-(window // 2)]
    if not (np.isfinite(recent).any() and np.isfinite(earlier).any()):
        return None
    best_before, best_recent = np.nanmin(earlier), np.nanmin(recent)
    if best_recent < best_before - max(FALL_MARGIN * abs(best_before), 1e-3 * spread):
        return None
    steps = np.diff(tail)
    signs = np.sign(steps[np.abs(steps) > 0.1 * spread])
    reversals = int(np.count_nonzero(signs[1:] != signs[:-1]))
    if reversals < REVERSAL_FRACTION * max(1, len(tail) - 2):
        return None
    rate = f"the learning rate ({lr:g})" if lr is not None else "the learning rate"
    return (f"The cost has swung between {tail.min():.3g} and {tail.max():.3g} for the last {window} "
            f"epochs without falling: {rate} may be too high; try a smaller one.")


# Rough constants of estimate_run_seconds, fitted to float32 runs with OpenBLAS on one thread of a
# 2-core x86-64 machine (Haswell kernels), wall time with the evaluation: MNIST [784, 30, 10] with
# batch 10 trains about 170,000 samples/s (about 21,000 batches/s, ~30 µs of each batch being Python
# and numpy call overhead), XOR [2, 2, 1] with batch 4 about 18,000 epochs/s (33,000 batches/s
# without the evaluation); a full batch of 10,000 MNIST images trains at about 90 Gflop/s and is
# evaluated at about 36 Gflop/s. The model lands within a factor of 1.7 of those runs and of
# [784, 100, 10] / [784, 100, 100, 10] ones (it overestimates wide layers). Another machine, dtype or
# BLAS can be several times faster or slower: pass a measured samples_per_second when there is one.
BATCH_OVERHEAD_S = 12e-6        # per batch: slicing, the record, the generator's yield
LAYER_OVERHEAD_S = 10e-6        # per batch and layer: the numpy calls of forward, backward, update
EPOCH_OVERHEAD_S = 10e-6        # per epoch: the permutation and the epoch record ...
EPOCH_LAYER_OVERHEAD_S = 10e-6  # ... and, per layer, the evaluation's numpy calls
TRAIN_FLOPS = 9e10              # flop/s of a batch's forward + backward + update (≈ 6·m·Σ n_in·n_out flop)
EVAL_FLOPS = 4e10               # flop/s of the end-of-epoch evaluation (≈ 2·n·Σ n_in·n_out flop)


def estimate_run_seconds(n_train: int, batch_size: int | str, epochs: int, sizes: Sequence[int], *,
                         samples_per_second: float | None = None) -> float:
    """A rough wall time, in seconds, for training ``epochs`` epochs on ``n_train`` samples.

    ``batch_size``: samples per batch; 0, "full" or anything ≥ n_train means one batch per epoch
    (as in Hyperparameters). ``sizes``: the layer widths [n_in, hidden…, n_out].

    With a measured ``samples_per_second`` (training samples per wall-clock second, end-of-epoch
    evaluation included, as a previous run of the same network and data showed) the answer is
    ``n_train · epochs / samples_per_second``. Otherwise a cost model, with P = Σ n_in·n_out over
    the weight layers, L their number and m the batch size:

        per batch  BATCH_OVERHEAD_S + L · LAYER_OVERHEAD_S + 6·m·P / TRAIN_FLOPS
        per epoch  ⌈n/m⌉ batches + EPOCH_OVERHEAD_S + L · EPOCH_LAYER_OVERHEAD_S + 2·n·P / EVAL_FLOPS

    The constants were fitted on one 2-core machine (see the comment above them) and are good to a
    factor of two or so there; elsewhere treat the result as an order of magnitude. A validation
    set's evaluation is not counted.
    """
    n = int(n_train)
    epochs = int(epochs)
    if n < 0 or epochs < 0:
        raise ValueError(f"n_train and epochs must be 0 or more, not {n_train!r} and {epochs!r}.")
    if n == 0 or epochs == 0:
        return 0.0
    if samples_per_second is not None:
        if not (samples_per_second > 0 and math.isfinite(samples_per_second)):
            raise ValueError(f"samples_per_second must be a positive number, not {samples_per_second!r}.")
        return n * epochs / float(samples_per_second)
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least an input and an output width, all ≥ 1, not {sizes!r}.")
    if batch_size == "full" or int(batch_size) <= 0:
        m = n
    else:
        m = min(int(batch_size), n)
    layers = len(sizes) - 1
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    batches = -(-n // m)
    # The last batch of an epoch may be smaller; its flops are those of the samples it holds.
    batch_time = batches * (BATCH_OVERHEAD_S + layers * LAYER_OVERHEAD_S) + 6.0 * n * weights / TRAIN_FLOPS
    epoch_time = EPOCH_OVERHEAD_S + layers * EPOCH_LAYER_OVERHEAD_S + 2.0 * n * weights / EVAL_FLOPS
    return epochs * (batch_time + epoch_time)
