"""Trained networks leaving Workbench: ONNX, a PyTorch hand-over folder, JSON and CSV.

``export_network(net, fmt, path)`` is the one entry point the window, the command line and the app's
scripted options share. Optional packages are imported only inside the functions that need them
(onnx for ONNX; nothing at all for the PyTorch folder, which is written from numpy), so importing
this package needs numpy alone.

Errors: ``ExportError`` (a ValueError) says in one sentence what cannot be exported;
``MissingPackage`` names the package to install; ``TargetExists`` is an existing target without
``force``. A write that fails (no permission, a full disk) raises OSError (``SaveError``, whose text
is the cause) and leaves the target as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.training import Hyperparameters

__all__ = ["ExportError", "MissingPackage", "TargetExists", "FORMATS", "SUFFIXES", "Training",
           "export_network", "describe", "refuse_non_finite"]

FORMATS = ("onnx", "pytorch", "json", "csv")
#: The file name ending of each format ("" for the PyTorch folder).
SUFFIXES = {"onnx": ".onnx", "pytorch": "", "json": ".json", "csv": ".csv"}


class ExportError(ValueError):
    """A network that cannot be exported as asked; the message is one sentence naming the problem."""


class MissingPackage(ExportError):
    """An optional package the format needs is not installed; the message says what to install."""


class TargetExists(ExportError):
    """The target file (or a non-empty target folder) exists and ``force`` was not given."""

    def __init__(self, path, folder: bool = False):
        self.path = str(path)
        self.folder = folder
        super().__init__(f"{path} already exists" + (" and is not empty." if folder else "."))


@dataclass(frozen=True)
class Training:
    """How a network was trained, for the PyTorch hand-over's optimizer and L2 term.

    hyperparameters: the run's settings (``optimizer``, ``lr``, ``momentum``, ``l2``, ``layer_lr``,
    ``batch_size`` and ``epochs`` are read); n_train: the number of training items n, since
    Workbench's L2 term is (λ/n)·w (PyTorch's ``weight_decay`` = λ/n); it may be None (not known)
    only where λ is 0.
    """

    hyperparameters: Hyperparameters
    n_train: int | None

    @classmethod
    def from_settings(cls, values: dict, n_train: int | None) -> "Training":
        """From a session's (or the training panel's) "hyperparameters" dict; keys it lacks take
        ``Hyperparameters``' defaults, keys that do not steer training (seed, init, …) are ignored."""
        known = ("optimizer", "lr", "momentum", "batch_size", "epochs", "l2", "layer_lr")
        hp = Hyperparameters(**{key: values[key] for key in known if key in values})
        return cls(hp, n_train)

    def problem(self, n_layers: int) -> str | None:
        """Why these settings cannot be written for a network of ``n_layers`` weight layers, or None."""
        from workbench.core.errors import ConfigError

        try:
            self.hyperparameters.validate(n_layers)
        except ConfigError as exc:
            return str(exc)
        if self.n_train is None:
            if self.hyperparameters.l2:
                return ("The L2 term (λ/n)·w needs the number of training items n, which is not known here.")
        elif isinstance(self.n_train, bool) or not isinstance(self.n_train, int) or self.n_train < 1:
            return f"The number of training items must be a whole number ≥ 1, not {self.n_train!r}."
        return None


def describe(net) -> str:
    """"A 2-3-1 network (tanh, sigmoid; cross-entropy cost)"."""
    return f"A {'-'.join(map(str, net.sizes))} network ({', '.join(net.activations)}; {net.cost} cost)"


def refuse_non_finite(net, what: str) -> None:
    """ExportError naming the first layer whose weights or biases are NaN or infinite."""
    for index, (weights, biases) in enumerate(zip(net.weights, net.biases), 1):
        for kind, array in (("weights", weights), ("biases", biases)):
            if not np.isfinite(array).all():
                article = "an" if what[:1] in "AEIOU" else "a"
                raise ExportError(f"Layer {index}'s {kind} hold NaN or infinite values, which {article} {what} "
                                  "export cannot use; reset or reload the weights first.")


def export_network(net, fmt: str, path, *, force: bool = False, training: Training | None = None) -> list[str]:
    """Write ``net`` (a ``workbench.core.Network``) as ``fmt`` (one of ``FORMATS``) to ``path``.

    ``path`` is a file, or for "pytorch" a folder (model.safetensors, model.py, train.py,
    README.md). An existing file, or a folder that is not empty, is replaced only with ``force``
    (TargetExists otherwise); in a folder only the files of the hand-over are replaced, others are
    left alone. ``training`` (optional, "pytorch" only) gives the optimizer, η, α, λ and n for
    model.py; without it model.py holds Workbench's defaults and says so. Returns the paths written.
    Nothing is half-written: each file is complete before it replaces anything.
    """
    from workbench.core import Network

    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    if not isinstance(net, Network):
        raise ExportError(f"Only a Workbench network can be exported, not {type(net).__name__}.")
    if training is not None and fmt == "pytorch":
        problem = training.problem(net.n_layers)
        if problem:
            raise ExportError(problem)
    from . import targets

    if fmt == "pytorch":
        from .pytorch_handover import handover_files

        files = handover_files(net, training)
        return targets.write_folder(path, files, force=force)
    if fmt == "onnx":
        from .onnx_model import onnx_bytes

        data = onnx_bytes(net)
        targets.check_file_target(path, force)
        return targets.write_file(path, lambda f: f.write(data))
    from workbench.core import export_csv, export_json

    refuse_non_finite(net, fmt.upper())                 # JSON has no NaN; a CSV of them helps nobody
    targets.check_file_target(path, force)
    (export_json if fmt == "json" else export_csv)(net, path)
    return [str(path)]
