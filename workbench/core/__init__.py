"""The numpy-only engine: networks, costs, optimisers, training generator, diagnostics, weight files.

Nothing here imports Qt; the command line, the tests and the window all drive this same code.
"""

from .activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from .costs import COSTS, target_error
from .errors import ConfigError, WeightFileError
from .gradcheck import gradient_check, numerical_gradients
from .network import BIAS_INITIALIZERS, DTYPES, INITIALIZERS, Network, check_architecture, has_weight
from .optimizers import OPTIMIZERS
from .atomic import atomic_write
from .serialization import (export_csv, export_json, load_weights, save_weights,
                            weights_to_bytes)
from . import kernel
from .training import (BatchChunk, BatchRecord, Diverged, EpochRecord, Hyperparameters, Pace, full_bias_gradient,
                       train)

__all__ = [
    "ACTIVATIONS", "HIDDEN_ACTIVATIONS", "COSTS", "INITIALIZERS", "BIAS_INITIALIZERS", "OPTIMIZERS", "DTYPES",
    "ConfigError", "WeightFileError", "Network", "check_architecture", "has_weight", "target_error",
    "Hyperparameters", "train",
    "BatchRecord", "BatchChunk", "Pace", "EpochRecord", "Diverged", "kernel", "full_bias_gradient", "gradient_check", "numerical_gradients",
    "save_weights", "load_weights", "weights_to_bytes", "export_json", "export_csv", "atomic_write",
]
