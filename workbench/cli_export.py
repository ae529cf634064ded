"""The ``export`` command: saved weights (a weight file, or a session's) as ONNX, a PyTorch
hand-over folder, JSON or CSV.

    python -m workbench export --weights mnist.npz --format onnx --out mnist.onnx
    python -m workbench export --session xor.wbsession --format pytorch --out xor-pytorch

Everything that can be known before writing is checked first and refused with one line and exit
status 2: the target (its folder exists and takes files; an existing file, or a folder that is not
empty, only with --force), the weights (a weight file ``load_weights`` accepts, a session that holds
weights), an optional package the format needs, a network the format cannot carry. A write that
fails in the end (a full disk) says so and exits with 3; nothing half-written is left behind.

For pytorch, ``--session`` also carries the run's optimizer, η, α, λ and layer multipliers into
model.py; where λ > 0 the session's data is loaded to count the training items n (λ/n is PyTorch's
weight_decay).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .cli_args import UsageError
from .cli_outputs import _check_output, _check_parent, _reason
from .core import WeightFileError, load_weights
from .core.safefiles import file_kind
from .exports.targets import folder_entries

EXIT_UNWRITTEN = 3


def _check_folder(path: Path, force: bool) -> None:
    """UsageError unless ``path`` can become the PyTorch hand-over folder."""
    where = f"--out {path}"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"{where}: {_reason(exc)}") from None
    if info is None:
        _check_parent(where, path.parent, "folders")
        return
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{where} is {'a file' if stat.S_ISREG(info.st_mode) else file_kind(info.st_mode)}; "
                         "the PyTorch hand-over is a folder: name a new or empty one")
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{where}: files cannot be created in the folder (no permission, or a read-only disk)")
    if not force and folder_entries(path):
        raise UsageError(f"{where} is a folder that is not empty; add --force to write the hand-over's files "
                         "into it (other files are left alone)")


def _check_target(fmt: str, path: Path, force: bool) -> None:
    if fmt == "pytorch":
        _check_folder(path, force)
        return
    _check_output("--out", str(path))
    if path.exists() and not force:
        raise UsageError(f"--out {path} already exists; add --force to replace it")


def _network(args):
    """The network to export and the session it came from (None for --weights)."""
    if args.weights:
        try:
            return load_weights(args.weights), None
        except WeightFileError as exc:
            raise UsageError(str(exc)) from None
    from .core.sessionfile import SessionError, load_session

    try:
        session = load_session(args.session)
    except SessionError as exc:
        raise UsageError(str(exc)) from None
    if session.network is None:
        raise UsageError(f"{args.session} holds no weights; save it with its weights (the window's File → "
                         "Include Weights in Sessions, or train --save-session) and export again")
    return session.network, session


def _recorded_n_train(session) -> int | None:
    """The training items the session's latest run trained on, as its checkpoints recorded them, or None."""
    runs = session.runs.runs if session.runs is not None else []
    for run in reversed(runs):
        for checkpoint in reversed(run.checkpoints):
            if checkpoint.shuffle is not None:
                return int(checkpoint.shuffle[3])
    return None


def _training(args, session, err):
    """The session's training settings for the PyTorch folder (None without a session)."""
    from .core.errors import ConfigError
    from .exports import Training

    try:
        training = Training.from_settings(session.hyperparameters, None)
    except (TypeError, ConfigError) as exc:
        raise UsageError(f"{args.session}: its training settings cannot be used: {exc}") from None
    if not training.hyperparameters.l2:
        return training
    recorded = _recorded_n_train(session)
    if recorded is not None:                    # what the run trained on (a --validation-split included)
        return Training(training.hyperparameters, recorded)
    if session.data is None:
        raise UsageError(f"{args.session} names no data, so the L2 term's λ/n (n: the training items) cannot be "
                         "worked out")
    from .cli import _load_data

    dataset = _load_data(session.data, None, err)
    if session.points is not None:              # trained on the points drawn in the window
        from .data import DataError
        from .data.drawn import points_from_json

        try:
            dataset = points_from_json(session.points, dataset)
        except DataError as exc:
            raise UsageError(f"{args.session}: {exc}") from None
    return Training(training.hyperparameters, len(dataset.train.X))


def cmd_export(args, out, err) -> int:
    from .exports import ExportError, describe, export_network

    path = Path(args.out).expanduser()
    _check_target(args.format, path, args.force)
    net, session = _network(args)
    if args.format == "onnx":              # the package first: no data is loaded for nothing
        from .exports.onnx_model import require_onnx

        try:
            require_onnx()
        except ExportError as exc:
            raise UsageError(str(exc).removesuffix(".")) from None
    training = _training(args, session, err) if session is not None and args.format == "pytorch" else None
    try:
        written = export_network(net, args.format, path, force=args.force, training=training)
    except ExportError as exc:
        raise UsageError(str(exc).removesuffix(".")) from None
    except OSError as exc:
        print(f"workbench: error: {path} could not be written: {_reason(exc)}", file=err)
        return EXIT_UNWRITTEN
    what = {"onnx": "ONNX model", "pytorch": "PyTorch hand-over", "json": "JSON weights", "csv": "CSV weights"}
    shown = describe(net)
    print(f"Exported {shown[0].lower()}{shown[1:]} as {what[args.format]}: {path}", file=out)
    if args.format == "pytorch":
        for name in written:
            print(f"  {name}", file=out)
    return 0
