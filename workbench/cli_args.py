"""The command line's arguments: argparse value types that refuse a bad value in one sentence
naming its option, and the parser of the five commands (train, evaluate, gradcheck, data, export).

Every option that a session file may also give defaults to None here; ``workbench.cli`` resolves
it (the command line first, then the --session file, then its DEFAULTS) and checks the values
that depend on each other or on the data.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

from .core import ACTIVATIONS, BIAS_INITIALIZERS, COSTS, DTYPES, HIDDEN_ACTIVATIONS, INITIALIZERS, OPTIMIZERS
from .core.hyperparameters import LARGEST_WHOLE, PANEL_RANGES, is_whole_number, shown

#: The largest seed (as the window's control and the data sources' seeds).
MAX_SEED = PANEL_RANGES["seed"][1]
#: gradcheck's --samples at most (its work is bounded too, by workbench.cli.MAX_CHECK_WORK).
MAX_CHECK_SAMPLES = 10_000


class UsageError(Exception):
    """A bad argument: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


# -- value types ------------------------------------------------------------------------------------------
def _shown(value) -> str:
    """A value for a message: short text as given (repr), a long one cut, a huge number by its size."""
    if is_whole_number(value):
        return f"{value:,}" if abs(value) < 10**15 else shown(value)
    return shown(str(value))


def _whole_number(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:               # also a number of over 4,300 digits, which int() refuses
        raise UsageError(f"{what} must be a whole number, not {_shown(text)}") from None


def _whole(option: str, least: int, most: int = LARGEST_WHOLE, hint: str = ""):
    """An argparse type: a whole number from ``least`` to ``most``, else a UsageError naming ``option``."""
    def parse(text: str) -> int:
        value = _whole_number(text, option)
        if value < least:
            raise UsageError(f"{option} must be at least {least:,}{hint}, not {_shown(value)}")
        if value > most:
            raise UsageError(f"{option} must be at most {most:,}, not {_shown(value)}")
        return value
    return parse


def _finite(option: str):
    """An argparse type: a finite number (its range is checked with the other options)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{option} must be a number, not {_shown(text)}") from None
        if not math.isfinite(value):
            raise UsageError(f"{option} must be a finite number, not {_shown(text)}")
        return value
    return parse


def _path(option: str, what: str = "a file name"):
    """An argparse type: a file name (or ``what``) that is not empty."""
    def parse(text: str) -> str:
        if not text.strip():
            raise UsageError(f"{option} needs {what}, not an empty one")
        return text
    return parse


def _spec(text: str) -> str:
    if not text.strip():
        raise UsageError("the data source is empty; name one, e.g. mnist, xor, teacher:items=2000 or csv:PATH")
    return text


def _int_list(text: str, what: str) -> list[int]:
    parts = [part for part in text.split(",") if part.strip()]
    try:
        values = [int(part) for part in parts]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated whole numbers, e.g. 784,30,10; got {_shown(text)}") from None
    if not values:
        raise UsageError(f"{what} is empty")
    return values


def _float_list(text: str, what: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated numbers, e.g. 4,2,1; got {_shown(text)}") from None
    for value in values:
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"{what} must be finite numbers ≥ 0, not {_shown(value)}")
    return values


def _batch_size(text: str):
    if text.lower() in ("full", "all"):
        return "full"
    value = _whole_number(text, "--batch-size")
    if value < 1:
        raise UsageError(f"--batch-size must be at least 1 (1 = online training), not {_shown(value)}")
    return min(value, LARGEST_WHOLE)       # any size beyond the training set is the whole of it


def _log_every(text: str):
    if text.lower() == "auto":
        return "auto"
    value = _whole_number(text, "--log-every")
    if value < 1:
        raise UsageError(f"--log-every must be at least 1 epoch (or 'auto'), not {_shown(value)}")
    return min(value, LARGEST_WHOLE)       # beyond the run's epochs: a summary after the last only


LOG_EVERY_HELP = (
    "summarise (evaluate on the whole training and validation sets, print the epoch line, write the "
    "--log record) every N epochs of this run and after the last; 'auto' (default): every epoch when "
    "training one epoch is estimated to take at least 20 times as long as a summary, else every N epochs, "
    "N the smallest of 1, 2, 5, 10, 20, 50, … for which N epochs do. Estimates: an epoch 0.2 µs per "
    "batch (20 µs on the numpy engine: WORKBENCH_ENGINE=numpy or no numba) + 4 ns per training sample "
    "and parameter (weight or bias); a summary 150 µs + 0.1 ns per training and validation sample and "
    "parameter")


# -- the parser ---------------------------------------------------------------------------------------------
def _build_parser() -> argparse.ArgumentParser:
    # The installed (or bundled) command names itself; otherwise the module is what was run.
    prog = "workbench-cli" if os.path.basename(sys.argv[0]) == "workbench-cli" else "python -m workbench"
    parser = _Parser(prog=prog, description="Train and inspect feed-forward networks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add_architecture(p):
        p.add_argument("--data", metavar="SPEC", type=_spec,
                       help="data source, e.g. mnist, xor, teacher:items=2000, csv:PATH (see README)")
        p.add_argument("--target", metavar="COLS", type=_path("--target", "column names"), help="CSV target column(s) by name or index, comma-separated")
        p.add_argument("--layers", metavar="SIZES", type=_path("--layers", "layer sizes"), help="layer sizes including input and output, e.g. 784,30,10")
        p.add_argument("--activations", metavar="NAMES", type=_path("--activations", "names"),
                       help=f"hidden activation, one name or one per hidden layer ({', '.join(HIDDEN_ACTIVATIONS)})")
        p.add_argument("--output-activation", choices=list(ACTIVATIONS), metavar="NAME",
                       help="output layer activation (default sigmoid)")
        p.add_argument("--cost", choices=list(COSTS), metavar="NAME",
                       help="quadratic, cross-entropy (default) or log-likelihood")
        p.add_argument("--init", choices=list(INITIALIZERS), metavar="NAME",
                       help="weight initialisation: normal, scaled-normal (default), xavier, he")
        p.add_argument("--bias-init", choices=list(BIAS_INITIALIZERS), metavar="NAME")
        p.add_argument("--seed", type=_whole("--seed", 0, MAX_SEED), metavar="N",
                       help=f"random seed for initialisation and shuffling, 0 to {MAX_SEED:,} (default 0)")
        p.add_argument("--dtype", choices=list(DTYPES), help="float32 (default) or float64")

    # Defaults are None here and resolved by _resolve: for train, a --session file comes first.
    train = sub.add_parser("train", help="train a network")
    add_architecture(train)
    train.add_argument("--session", metavar="FILE", type=_path("--session"),
                       help="run this session file (.wbsession) headless")
    train.add_argument("--save-session", metavar="FILE", type=_path("--save-session"),
                       help="save a session (with weights) for the window")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), metavar="NAME",
                       help="sgd (default), momentum or nesterov")
    train.add_argument("--lr", type=_finite("--lr"), metavar="η", help="learning rate η (default 0.5)")
    train.add_argument("--momentum", type=_finite("--momentum"), metavar="α", help="momentum α (default 0.9)")
    train.add_argument("--batch-size", type=_batch_size, metavar="N",
                       help="mini-batch size; 1 = online, 'full' = whole training set (default 10)")
    train.add_argument("--epochs", type=_whole("--epochs", 1), metavar="N", help="epochs to run (default 30)")
    train.add_argument("--l2", type=_finite("--l2"), metavar="λ", help="L2 regularisation λ (default 0)")
    train.add_argument("--layer-lr", metavar="MULTS", type=_path("--layer-lr", "multipliers"), help="per-layer learning-rate multipliers, e.g. 4,2,1")
    train.add_argument("--stop-accuracy", type=_finite("--stop-accuracy"), metavar="PERCENT",
                       help="stop after the epoch whose accuracy (validation accuracy with a validation set) "
                            "reaches PERCENT (any stop condition makes --log-every auto summarise every epoch; "
                            "conditions are checked on summaries)")
    train.add_argument("--stop-cost", type=_finite("--stop-cost"), metavar="C",
                       help="stop after the epoch whose training cost is at most C")
    train.add_argument("--patience", type=_whole("--patience", 1), metavar="N",
                       help="stop when the validation accuracy (or cost; the training figure without a "
                            "validation set) has not improved for N epochs")
    train.add_argument("--validation-split", type=_finite("--validation-split"), metavar="F",
                       help="move this fraction of the training set into a validation split")
    train.add_argument("--watch", action="append", metavar="L,I,J",
                       help="follow the gradient of weight W[L][I,J] (repeatable; its mean over the batches of "
                            "each summarised epoch is logged)")
    train.add_argument("--init-weights", metavar="FILE.npz", type=_path("--init-weights"),
                       help="start from these weights")
    train.add_argument("--save", metavar="FILE.npz", type=_path("--save"), help="save the trained weights")
    train.add_argument("--log", metavar="FILE.jsonl", type=_path("--log"),
                       help="write one JSON record per epoch summary to FILE (or a pipe that a program reads); "
                            "'-': to standard output, which then carries only the records (the other lines "
                            "go to standard error)")
    train.add_argument("--log-every", type=_log_every, default="auto", metavar="N", help=LOG_EVERY_HELP)
    train.add_argument("--tensorboard", metavar="DIR", type=_path("--tensorboard", "a folder name"),
                       help="write TensorBoard logs (scalars, histograms, hparams) into a new run folder "
                            "DIR/<time>-<data> at every summary; view with: tensorboard --logdir DIR "
                            "(needs tensorboardX: pip install 'workbench[tensorboard]')")

    evaluate = sub.add_parser("evaluate", help="cost, accuracy and confusion matrix of saved weights")
    evaluate.add_argument("--weights", required=True, metavar="FILE.npz", type=_path("--weights"))
    evaluate.add_argument("--data", required=True, metavar="SPEC", type=_spec)
    evaluate.add_argument("--target", metavar="COLS", type=_path("--target", "column names"))
    evaluate.add_argument("--split", choices=["train", "validation", "test"],
                          help="which split (default: test, else validation, else train)")

    check = sub.add_parser("gradcheck", help="compare back-propagation with finite differences")
    add_architecture(check)
    check.add_argument("--weights", metavar="FILE.npz", type=_path("--weights"),
                       help="check these weights instead of a new network")
    check.add_argument("--samples", type=_whole("--samples", 1, MAX_CHECK_SAMPLES), default=10, metavar="N",
                       help=f"number of samples to check on, at most {MAX_CHECK_SAMPLES:,} (default 10)")
    check.add_argument("--tolerance", type=_finite("--tolerance"), default=1e-6, metavar="E",
                       help="largest relative error allowed, a number ≥ 0 (default 1e-6)")

    data = sub.add_parser("data", help="summarise a data source, optionally export it to CSV")
    data.add_argument("spec", metavar="SPEC", type=_spec)
    data.add_argument("--target", metavar="COLS", type=_path("--target", "column names"))
    data.add_argument("--export", metavar="FILE.csv", type=_path("--export"), help="write the data set to CSV")
    data.add_argument("--split", choices=["train", "validation", "test"], help="export only this split")

    from .exports import FORMATS

    export = sub.add_parser("export", help="export saved weights as ONNX, a PyTorch hand-over folder, JSON or CSV")
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", metavar="FILE.npz", type=_path("--weights"), help="the weights to export")
    source.add_argument("--session", metavar="FILE", type=_path("--session"),
                        help="export the weights of this session file; for pytorch also its training settings")
    export.add_argument("--format", required=True, choices=list(FORMATS),
                        help="onnx (needs: pip install 'workbench[onnx]'), pytorch (a folder), json or csv")
    export.add_argument("--out", required=True, metavar="PATH", type=_path("--out"),
                        help="the file to write (for pytorch: a new or empty folder)")
    export.add_argument("--force", action="store_true", help="replace an existing file (or fill a non-empty folder)")
    return parser

