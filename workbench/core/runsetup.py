"""One way to set a training run up, shared by the window and the command line.

The same seed and settings give the same run, bit for bit, wherever it is started:

* the weights come from ``default_rng(seed)`` (``create_network``);
* the batch order of a run that starts after ``steps_trained`` batches comes from
  ``default_rng([seed, steps_trained])`` (``shuffle_rng``), so continuing a saved run is
  reproducible.  (numpy's ``SeedSequence`` ignores trailing zero words, so for a fresh run,
  ``steps_trained == 0``, this generator starts in the same state as the initialisation one.)
* a validation split carved out of the training set (the command line's ``--validation-split``)
  comes from ``default_rng([seed, SPLIT_STREAM])`` (``split_rng``): it consumes neither of the
  streams above, and it is the same split however many steps were trained before.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError
from .network import Network

#: Second seed word of the validation-split generator; no run reaches 2**32 - 1 steps.
SPLIT_STREAM = 2**32 - 1


def create_network(architecture: dict, *, init: str = "scaled-normal", bias_init: str = "normal",
                   seed: int = 0, dtype: str = "float32") -> Network:
    """A fresh network for ``architecture`` = {"sizes", "activations", "cost"}.

    Every initial weight and bias is drawn from ``default_rng(seed)``; ConfigError for an
    architecture or option that cannot be built.
    """
    return Network.create(architecture["sizes"], architecture["activations"], architecture["cost"],
                          init=init, bias_init=bias_init, rng=np.random.default_rng(seed), dtype=dtype)


def shuffle_rng(seed: int, steps_trained: int = 0) -> np.random.Generator:
    """The batch-order generator of a run that starts after ``steps_trained`` batches."""
    return np.random.default_rng([seed, steps_trained])


def split_rng(seed: int) -> np.random.Generator:
    """The generator that picks the validation items of ``split_validation``."""
    return np.random.default_rng([seed, SPLIT_STREAM])


def split_validation(X: np.ndarray, Y: np.ndarray, fraction: float, seed: int):
    """Move ``round(fraction · n)`` random items of (X, Y) into a validation split.

    X: (n, d), Y: (n, k). Returns ((X_train, Y_train), (X_val, Y_val)), the items chosen by
    ``split_rng(seed)``; ConfigError when either part would be empty.
    """
    if not 0 < fraction < 1:
        raise ConfigError(f"The validation fraction must be between 0 and 1, not {fraction}.")
    n_val = int(round(len(X) * fraction))
    if n_val < 1 or n_val >= len(X):
        raise ConfigError(f"A validation fraction of {fraction} leaves no training or no validation "
                          f"data ({len(X)} items).")
    order = split_rng(seed).permutation(len(X))
    val, tr = order[:n_val], order[n_val:]
    return (X[tr], Y[tr]), (X[val], Y[val])


def training_arguments(dataset, *, seed: int, steps_trained: int, evaluate_initial: bool,
                       watch=(), validation_split: float | None = None):
    """The training arrays and the keyword arguments of ``workbench.core.training.train``.

    ``dataset`` is a ``workbench.data.Dataset`` (or anything with ``train.X`` (n, d), ``train.Y``
    (n, k), ``validation`` (None or with X, Y) and ``task``). ``evaluate_initial`` should be true
    only when nothing was trained yet. With ``validation_split`` the validation items are moved
    out of the training set (``split_validation``) and replace the data set's validation split.
    Returns (X, Y, kwargs) with kwargs = rng, validation, classification, evaluate_initial, watch
    (a list, which the caller may edit between records).
    """
    X, Y = dataset.train.X, dataset.train.Y
    if validation_split is not None:
        (X, Y), validation = split_validation(X, Y, validation_split, seed)
    elif dataset.validation is not None:
        validation = (dataset.validation.X, dataset.validation.Y)
    else:
        validation = None
    kwargs = {
        "rng": shuffle_rng(seed, steps_trained),
        "validation": validation,
        "classification": dataset.task == "classification",
        "evaluate_initial": bool(evaluate_initial),
        "watch": [tuple(int(v) for v in w) for w in watch],
    }
    return X, Y, kwargs
