'''A network handed over to PyTorch: a folder written with numpy alone (PyTorch is not imported).

The folder holds:

- ``model.safetensors``: the weights, in the safetensors format (an 8-byte little-endian header
  length, a JSON header {name: {"dtype", "shape", "data_offsets"}}, padded with spaces to a multiple
  of 8 bytes, then the raw little-endian data), named as the state_dict of ``nn.Sequential`` names
  them: "0.weight" (n_out, n_in: PyTorch's layout, the transpose of Workbench's (n_in, n_out)),
  "0.bias", "2.weight", … (every Linear is followed by its activation module, ``nn.Identity`` for a
  linear layer, so Linear k sits at index 2k);
- ``model.py``: ``build()`` (the ``nn.Sequential``), ``load()`` (reads the safetensors file with
  the safetensors package where it is installed, else with a reader of its own that needs only
  json, struct and torch), ``predict()``, ``trainable()`` (the model without its output activation
  where the loss applies it), ``loss_function()`` (Workbench's cost), ``optimizer()`` (Workbench's
  optimizer as ``torch.optim.SGD``) and ``train_step()``;
- ``train.py``: continues training from an .npz of X (n, n_in) and Y (n, n_out), in one process or
  under ``torchrun`` with ``DistributedDataParallel`` and a ``DistributedSampler``;
- ``README.md``: how to load, predict and continue training, on one machine or several.

The files' text is in ``pytorch_templates``; this module fills it in.

Why the mapping is exact (``workbench/core/optimizers.py``, ``training.py``, ``costs.py``):

- Costs are the batch mean of each sample's cost, summed over the outputs: the quadratic
  ½‖a − y‖² is ``0.5 · mse_loss(reduction="sum") / batch`` (n_out/2 times PyTorch's default
  ``MSELoss``, which also averages over the outputs); sigmoid + cross-entropy is
  ``BCEWithLogitsLoss(reduction="sum") / batch``; softmax + log-likelihood is
  ``CrossEntropyLoss`` on the logits (one-hot or probability targets); sigmoid + log-likelihood
  (Σ y·softplus(−z)) and softmax + cross-entropy have small modules of their own.
- One step: Workbench's SGD step is −η(g + (λ/n)·w) for weights and −η·g for biases, which is
  ``SGD`` with ``weight_decay = λ/n`` on the weights only (a parameter group each). Momentum,
  Δw(t) = s + αΔw(t−1) with the first Δw = s, is PyTorch's buffer (it too starts with the first
  gradient). Nesterov, n(t) = αn(t−1) + ηg, Δw = αn(t−1) − (1 + α)n(t), is PyTorch's
  ``nesterov=True``: both give −η(1 + α)g − α²·η·buf(t−1). Per-layer multipliers are the groups'
  learning rates. (Equal for a constant η; PyTorch keeps no η inside its buffer, Workbench does.)
'''

from __future__ import annotations

import json
import struct

import numpy as np

from workbench.core import Hyperparameters, Network

from . import Training, describe, refuse_non_finite
from .pytorch_templates import (BINARY_CROSS_ENTROPY, LOSS_DOCS, MODEL_TEMPLATE, QUADRATIC, README_TEMPLATE,
                                SETTINGS_NOTE, SIGMOID_LOG_LIKELIHOOD, SOFTMAX_CROSS_ENTROPY, TRAIN_SOURCE)

__all__ = ["safetensors_bytes", "state_dict_arrays", "handover_files", "FILES"]

FILES = ("model.safetensors", "model.py", "train.py", "README.md")

#: Workbench's activation -> the torch.nn module that computes it.
MODULES = {"sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()", "linear": "nn.Identity()",
           "softmax": "nn.Softmax(dim=-1)"}
_DTYPES = {"float32": ("F32", "<f4"), "float64": ("F64", "<f8")}


def _module(activation: str) -> str:
    if activation == "leaky-relu":
        from workbench.core.activations import LeakyReLU

        return f"nn.LeakyReLU(negative_slope={LeakyReLU.slope!r})"
    return MODULES[activation]


def state_dict_arrays(net: Network) -> dict[str, np.ndarray]:
    """The state_dict of ``model.py``'s nn.Sequential as numpy arrays: "2k.weight" (n_out, n_in) and
    "2k.bias" (n_out,) for Linear k (0-based)."""
    arrays = {}
    for k, (weights, biases) in enumerate(zip(net.weights, net.biases)):
        arrays[f"{2 * k}.weight"] = weights.T
        arrays[f"{2 * k}.bias"] = biases
    return arrays


def safetensors_bytes(arrays: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """A safetensors file holding ``arrays`` (float32 or float64, any shape) in the given order,
    their data back to back; ``metadata`` (str -> str) goes into the header's "__metadata__"."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, array in arrays.items():
        code, layout = _DTYPES[array.dtype.name]
        data = np.ascontiguousarray(array, dtype=layout).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)          # the data starts 8-byte aligned, as safetensors writes it
    return b"".join([struct.pack("<Q", len(text)), text, *chunks])


def handover_files(net: Network, training: Training | None) -> dict[str, bytes]:
    """The folder's files (name -> bytes) for ``net``; ``training`` as in ``export_network``."""
    refuse_non_finite(net, "PyTorch")
    from workbench import __version__

    metadata = {"format": "pt", "workbench.architecture": json.dumps(net.architecture()),
                "workbench.version": __version__}
    return {
        "model.safetensors": safetensors_bytes(state_dict_arrays(net), metadata),
        "model.py": model_source(net, training).encode("utf-8"),
        "train.py": TRAIN_SOURCE.encode("utf-8"),
        "README.md": readme_text(net, training).encode("utf-8"),
    }


def _trains_on_logits(net: Network) -> bool:
    """Whether the loss applies the output activation itself: cross-entropy (after sigmoid) and
    log-likelihood (after softmax) do, as BCEWithLogitsLoss and CrossEntropyLoss; the quadratic
    cost, which follows any output, takes the activations."""
    return net.cost != "quadratic"


def _loss(net: Network) -> tuple[str, str]:
    """(the loss module's class source, or "", the expression loss_function returns)."""
    output = net.activations[-1]
    if net.cost == "quadratic":
        return QUADRATIC, "QuadraticCost()"
    if net.cost == "log-likelihood" and output == "softmax":
        return "", "nn.CrossEntropyLoss()"
    if net.cost == "log-likelihood":
        return SIGMOID_LOG_LIKELIHOOD, "SigmoidLogLikelihood()"
    if output == "sigmoid":
        return BINARY_CROSS_ENTROPY, "BinaryCrossEntropy()"
    return SOFTMAX_CROSS_ENTROPY, "SoftmaxCrossEntropy()"


def _number(value: float) -> str:
    return repr(float(value))


def model_source(net: Network, training: Training | None) -> str:
    """The text of model.py for ``net``."""
    from workbench import __version__
    from workbench.core.names import layer_names

    hp = training.hyperparameters if training is not None else None
    shown = hp if hp is not None else Hyperparameters()
    layers = []
    names = layer_names(net.n_layers)
    for k, (activation, name) in enumerate(zip(net.activations, names)):
        layers.append(f"        nn.Linear({net.sizes[k]}, {net.sizes[k + 1]}),  # {2 * k}: {name}")
        layers.append(f"        {_module(activation)},  # {2 * k + 1}: {activation}")
    loss_class, loss_expression = _loss(net)
    batch = shown.batch_size
    batch_text = "None  # the whole training set" if batch in ("full", 0) else repr(int(batch))
    layer_lr = list(shown.layer_lr) if shown.layer_lr is not None else [1.0] * net.n_layers
    source = "training" if hp is not None else "defaults"
    values = {
        "title": f"{describe(net)}, handed over by Workbench {__version__}.",
        "dtype_name": net.dtype.name,
        "n_in": net.sizes[0], "n_out": net.sizes[-1],
        "torch_dtype": f"torch.{net.dtype.name}",
        "sizes": repr(list(net.sizes)), "activations": repr(list(net.activations)),
        "cost": repr(net.cost), "cost_name": net.cost,
        "logits": repr(_trains_on_logits(net)),
        "settings_note": SETTINGS_NOTE[source],
        "optimizer": repr(shown.optimizer), "lr": _number(shown.lr), "momentum": _number(shown.momentum),
        "l2": _number(shown.l2), "n_train": repr(training.n_train) if training is not None else "None",
        "layer_lr": repr([float(m) for m in layer_lr]), "batch_size": batch_text,
        "epochs": repr(shown.epochs if shown.epochs is not None else 30),
        "layers": "\n".join(layers), "loss_class": loss_class, "loss": loss_expression,
        "loss_doc": LOSS_DOCS[(net.cost, net.activations[-1] if net.cost != "quadratic" else "any")],
    }
    return MODEL_TEMPLATE.format(**values)


def readme_text(net: Network, training: Training | None) -> str:
    """The folder's README.md."""
    _, loss_expression = _loss(net)
    logits = _trains_on_logits(net)
    hp = training.hyperparameters if training is not None else None
    if hp is not None:
        settings = (f"model.py holds the run's settings: {hp.optimizer}, η = {hp.lr:g}"
                    + (f", α = {hp.momentum:g}" if hp.optimizer != "sgd" else "")
                    + (f", λ = {hp.l2:g} over n = {training.n_train:,} training items" if hp.l2 else ", no L2")
                    + (f", layer multipliers {', '.join(f'{m:g}' for m in hp.layer_lr)}" if hp.layer_lr else "")
                    + ".")
    else:
        settings = ("The network came without its training settings (a weight file does not hold them), so "
                    "model.py holds Workbench's defaults (SGD, η = 0.5, no L2); edit them at the top of model.py, "
                    "or export from a session (`workbench-cli export --session FILE.wbsession …`) or the window.")
    head = "the last Linear's output (the logits): the loss applies the output activation itself" if logits \
        else "the model's output, output activation applied"
    return README_TEMPLATE.format(
        title=describe(net), dtype=net.dtype.name, n_in=net.sizes[0], n_out=net.sizes[-1],
        loss=loss_expression, head=head, settings=settings, cost=net.cost)
