"""Headless command line: train, evaluate, gradient-check and inspect data with the same core as the window.

    python -m workbench train --data mnist --layers 784,30,10 --epochs 30 --save net.npz
    python -m workbench train --session xor.wbsession --epochs 100 --save-session xor.wbsession
    python -m workbench evaluate --weights net.npz --data mnist
    python -m workbench gradcheck --layers 4,5,3 --activations tanh --output-activation softmax --cost log-likelihood
    python -m workbench data teacher:items=2000 --export teacher.csv

Bad arguments print one line and exit with status 2; a diverged run exits with 1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
from pathlib import Path

import numpy as np

from .core import (ACTIVATIONS, BIAS_INITIALIZERS, COSTS, DTYPES, HIDDEN_ACTIVATIONS, INITIALIZERS,
                   OPTIMIZERS, BatchChunk, ConfigError, Diverged, EpochRecord, Hyperparameters, Network,
                   WeightFileError, gradient_check, has_weight, load_weights, save_weights, train)
from .core.history import RunHistory
from .core.runsetup import create_network, training_arguments
from .core.sessionfile import Session, SessionError, load_session, save_session
from .core.names import layer_names
from .progress import ProgressBar

EXIT_USAGE = 2

#: Values of options not given on the command line (nor, for train, in the --session file).
DEFAULTS = {"activations": "sigmoid", "output_activation": "sigmoid", "cost": "cross-entropy",
            "init": "scaled-normal", "bias_init": "normal", "seed": 0, "dtype": "float32",
            "optimizer": "sgd", "lr": 0.5, "momentum": 0.9, "batch_size": 10, "epochs": 30, "l2": 0.0,
            "layer_lr": None, "watch": []}
#: The window's training-panel values (a session's "hyperparameters") that train reads.
PANEL_KEYS = ("optimizer", "lr", "momentum", "batch_size", "epochs", "l2", "layer_lr",
              "init", "bias_init", "seed", "dtype")


class UsageError(Exception):
    """A bad argument: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


# -- argument parsing ---------------------------------------------------------------------------------
def _int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated whole numbers, e.g. 784,30,10; got {text!r}") from None
    if not values:
        raise UsageError(f"{what} is empty")
    return values


def _float_list(text: str, what: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated numbers, e.g. 4,2,1; got {text!r}") from None
    return values


def _batch_size(text: str):
    if text.lower() in ("full", "all"):
        return "full"
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--batch-size must be a whole number ≥ 1 or 'full', not {text!r}") from None
    if value < 1:
        raise UsageError(f"--batch-size must be at least 1 (1 = online training), not {value}")
    return value


def _log_every(text: str):
    if text.lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--log-every must be a whole number of epochs ≥ 1 or 'auto', not {text!r}") from None
    if value < 1:
        raise UsageError(f"--log-every must be at least 1 epoch (or 'auto'), not {value}")
    return value


LOG_EVERY_HELP = (
    "summarise (evaluate on the whole training and validation sets, print the epoch line, write the "
    "--log record) every N epochs of this run and after the last; 'auto' (default): every epoch when "
    "training one epoch is estimated to take at least 20 times as long as a summary, else every N epochs, "
    "N the smallest of 1, 2, 5, 10, 20, 50, … for which N epochs do. Estimates: an epoch 0.2 µs per "
    "batch (20 µs on the numpy engine: WORKBENCH_ENGINE=numpy or no numba) + 4 ns per training sample "
    "and parameter (weight or bias); a summary 150 µs + 0.1 ns per training and validation sample and "
    "parameter")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m workbench", description="Train and inspect feed-forward networks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add_architecture(p):
        p.add_argument("--data", metavar="SPEC",
                       help="data source, e.g. mnist, xor, teacher:items=2000, csv:PATH (see README)")
        p.add_argument("--target", metavar="COLS", help="CSV target column(s) by name or index, comma-separated")
        p.add_argument("--layers", metavar="SIZES", help="layer sizes including input and output, e.g. 784,30,10")
        p.add_argument("--activations", metavar="NAMES",
                       help=f"hidden activation, one name or one per hidden layer ({', '.join(HIDDEN_ACTIVATIONS)})")
        p.add_argument("--output-activation", choices=list(ACTIVATIONS), metavar="NAME",
                       help="output layer activation (default sigmoid)")
        p.add_argument("--cost", choices=list(COSTS), metavar="NAME",
                       help="quadratic, cross-entropy (default) or log-likelihood")
        p.add_argument("--init", choices=list(INITIALIZERS), metavar="NAME",
                       help="weight initialisation: normal, scaled-normal (default), xavier, he")
        p.add_argument("--bias-init", choices=list(BIAS_INITIALIZERS), metavar="NAME")
        p.add_argument("--seed", type=int, help="random seed for initialisation and shuffling (default 0)")
        p.add_argument("--dtype", choices=list(DTYPES), help="float32 (default) or float64")

    # Defaults are None here and resolved by _resolve: for train, a --session file comes first.
    train = sub.add_parser("train", help="train a network")
    add_architecture(train)
    train.add_argument("--session", metavar="FILE", help="run this session file (.wbsession) headless")
    train.add_argument("--save-session", metavar="FILE", help="save a session (with weights) for the window")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), metavar="NAME",
                       help="sgd (default), momentum or nesterov")
    train.add_argument("--lr", type=float, help="learning rate η (default 0.5)")
    train.add_argument("--momentum", type=float, help="momentum α (default 0.9)")
    train.add_argument("--batch-size", type=_batch_size, metavar="N",
                       help="mini-batch size; 1 = online, 'full' = whole training set (default 10)")
    train.add_argument("--epochs", type=int, help="epochs to run (default 30)")
    train.add_argument("--l2", type=float, help="L2 regularisation λ (default 0)")
    train.add_argument("--layer-lr", metavar="MULTS", help="per-layer learning-rate multipliers, e.g. 4,2,1")
    train.add_argument("--validation-split", type=float, metavar="F",
                       help="move this fraction of the training set into a validation split")
    train.add_argument("--watch", action="append", metavar="L,I,J",
                       help="follow the gradient of weight W[L][I,J] (repeatable; its mean over the batches of "
                            "each summarised epoch is logged)")
    train.add_argument("--init-weights", metavar="FILE.npz", help="start from these weights")
    train.add_argument("--save", metavar="FILE.npz", help="save the trained weights")
    train.add_argument("--log", metavar="FILE.jsonl", help="write one JSON record per epoch summary")
    train.add_argument("--log-every", type=_log_every, default="auto", metavar="N", help=LOG_EVERY_HELP)

    evaluate = sub.add_parser("evaluate", help="cost, accuracy and confusion matrix of saved weights")
    evaluate.add_argument("--weights", required=True, metavar="FILE.npz")
    evaluate.add_argument("--data", required=True, metavar="SPEC")
    evaluate.add_argument("--target", metavar="COLS")
    evaluate.add_argument("--split", choices=["train", "validation", "test"],
                          help="which split (default: test, else validation, else train)")

    check = sub.add_parser("gradcheck", help="compare back-propagation with finite differences")
    add_architecture(check)
    check.add_argument("--weights", metavar="FILE.npz", help="check these weights instead of a new network")
    check.add_argument("--samples", type=int, default=10, help="number of samples to check on (default 10)")
    check.add_argument("--tolerance", type=float, default=1e-6, help="largest relative error allowed")

    data = sub.add_parser("data", help="summarise a data source, optionally export it to CSV")
    data.add_argument("spec", metavar="SPEC")
    data.add_argument("--target", metavar="COLS")
    data.add_argument("--export", metavar="FILE.csv", help="write the data set to CSV")
    data.add_argument("--split", choices=["train", "validation", "test"], help="export only this split")
    return parser


# -- helpers --------------------------------------------------------------------------------------------
def _load_data(spec: str, target: str | None, out):
    from .data import DataError, DownloadCancelled, load_dataset

    if target:
        spec = f"{spec},target={target.replace(',', ';')}"
    bar = ProgressBar(out)

    def progress(done, total, message=""):
        fraction = done / total if total else 0.0
        bar.update(fraction, f"{message} {done / 1e6:.1f} MB")

    try:
        return load_dataset(spec, progress=progress)
    except (DataError, DownloadCancelled) as exc:
        raise UsageError(str(exc)) from None
    finally:
        bar.clear()


def _architecture(args, n_in: int, n_out: int) -> tuple[list[int], list[str]]:
    """Layer sizes and activations from --layers/--activations/--output-activation, checked against the data."""
    sizes = _int_list(args.layers, "--layers") if args.layers else [n_in, 30, n_out]
    if sizes[0] != n_in or sizes[-1] != n_out:
        raise UsageError(
            f"--layers {','.join(map(str, sizes))} does not fit the data: it has {n_in} inputs and "
            f"{n_out} outputs, so the layers must start with {n_in} and end with {n_out}")
    hidden = [name.strip() for name in args.activations.split(",") if name.strip()]
    n_hidden = len(sizes) - 2
    if len(hidden) == 1:
        hidden = hidden * n_hidden
    elif len(hidden) != n_hidden:
        raise UsageError(f"--activations names {len(hidden)} activations but there are {n_hidden} hidden layers")
    for name in hidden:
        if name not in HIDDEN_ACTIVATIONS:
            raise UsageError(f"unknown hidden activation {name!r}; choose from {', '.join(HIDDEN_ACTIVATIONS)}")
    return sizes, hidden[:n_hidden] + [args.output_activation]


def _format_percent(value):
    return "—" if value is None else f"{value * 100:.2f}%"


def _format_cost(value):
    return "—" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _parse_watch(items) -> list[tuple[int, int, int]]:
    watched = []
    for item in items:
        values = _int_list(item, "--watch")
        if len(values) != 3:
            raise UsageError(f"--watch takes layer,row,column (e.g. 0,5,2), not {item!r}")
        watched.append(tuple(values))
    return watched


# -- resolving options: command line, then --session, then DEFAULTS ---------------------------------------
def _option(key: str) -> str:
    return "--" + key.replace("_", "-")


def _resolve(args, session: Session | None = None) -> set[str]:
    """Replace every option left out (None) by the session's value, else by DEFAULTS.

    The session supplies its training-panel values (PANEL_KEYS), its followed weights and its
    architecture (as --layers/--activations/--output-activation/--cost). Returns the names of the
    options it supplied.
    """
    panel = dict(session.hyperparameters) if session is not None else {}
    arch = session.architecture if session is not None else None
    if arch is not None:
        hidden = arch["activations"][:-1]          # one name when all hidden layers share it
        panel.update(layers=",".join(map(str, arch["sizes"])), output_activation=arch["activations"][-1],
                     cost=arch["cost"],
                     activations=hidden[0] if len(set(hidden)) == 1 else ",".join(hidden) or None)
    if session is not None:
        panel["watch"] = list(session.watch)
    taken = set()
    for key in [*DEFAULTS, "layers"]:
        if not hasattr(args, key) or getattr(args, key) is not None:
            continue
        if key in panel and (panel[key] is not None or key == "layer_lr"):
            setattr(args, key, panel[key])
            taken.add(key)
        else:
            setattr(args, key, DEFAULTS.get(key))
    return taken


def _check_options(args, taken: set[str], where: str | None) -> None:
    """UsageError naming the option (or the session entry) whose value cannot be used."""
    def name(key):
        return f"'{key}' in {where}" if key in taken else _option(key)

    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    for key in ("lr", "momentum", "l2"):
        value = getattr(args, key)
        if not number(value) or value < 0 or (key == "lr" and value == 0):
            raise UsageError(f"{name(key)} must be a {'positive' if key == 'lr' else 'non-negative'} number, "
                             f"not {value!r}")
    for key, least in (("epochs", 1), ("seed", 0)):
        value = getattr(args, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise UsageError(f"{name(key)} must be at least {least}, not {value!r}" if isinstance(value, int)
                             else f"{name(key)} must be a whole number, not {value!r}")
    for key, choices in (("optimizer", OPTIMIZERS), ("init", INITIALIZERS), ("bias_init", BIAS_INITIALIZERS),
                         ("dtype", DTYPES)):
        if getattr(args, key) not in list(choices):
            raise UsageError(f"{name(key)} must be one of {', '.join(choices)}, not {getattr(args, key)!r}")


def _read_session(path: str) -> Session:
    try:
        return load_session(path)
    except SessionError as exc:
        raise UsageError(str(exc)) from None


# -- commands -------------------------------------------------------------------------------------------
def _cmd_train(args, out, err) -> int:
    session = _read_session(args.session) if args.session else None
    if args.layer_lr is not None:
        args.layer_lr = _float_list(args.layer_lr, "--layer-lr")
    if args.watch is not None:
        args.watch = _parse_watch(args.watch)
    given = {key for key in [*DEFAULTS, "layers"] if getattr(args, key, None) is not None}
    taken = _resolve(args, session)
    _check_options(args, taken, args.session)
    preparing = _prepare_kernel(args.dtype)
    spec = args.data or (session.data if session is not None else None)
    if spec is None:
        raise UsageError("train needs --data SPEC" + (f" ({args.session} names no data)" if session else ""))
    if args.validation_split is not None and not 0 < args.validation_split < 1:
        raise UsageError(f"--validation-split must be between 0 and 1, not {args.validation_split}")
    dataset = _load_data(spec, args.target, err)
    net, fresh, epoch_off, step_off, history = _starting_point(args, session, given, dataset)
    hp = Hyperparameters(optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
                         batch_size=args.batch_size, epochs=args.epochs, l2=args.l2, layer_lr=args.layer_lr)
    try:
        hp.validate(net.n_layers)
    except ConfigError as exc:
        from_session = taken & {"optimizer", "momentum", "batch_size", "layer_lr"}
        raise UsageError(f"{args.session}: {exc}" if from_session else str(exc)) from None
    if "watch" in taken:       # the session's followed weights that this network lacks are dropped
        args.watch = [w for w in args.watch if has_weight(net.sizes, w)]
    watch = list(args.watch)
    if history is None:
        history = RunHistory(net.n_layers, dataset.task == "classification", watch)
    elif history.watch != watch:
        history.set_watch(watch)
    try:
        X, Y, kwargs = training_arguments(dataset, seed=args.seed, steps_trained=step_off,
                                          evaluate_initial=fresh, watch=watch,
                                          validation_split=args.validation_split)
        if preparing is not None:
            preparing.join()
        every = args.log_every
        if every == "auto":
            n_val = len(kwargs["validation"][0]) if kwargs["validation"] is not None else 0
            every = auto_log_every(net.sizes, len(X), n_val, hp.effective_batch_size(len(X)), _engine_is_numpy())
        generator = train(net, X, Y, hp, **kwargs, chunked=True, evaluate_every=every)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None

    after = f", continuing after {epoch_off} epochs ({step_off} batches)" if step_off or epoch_off else ""
    summaries = f", a summary every {every} epochs" if every > 1 else ""
    print(f"Training {net.sizes} ({', '.join(net.activations)}; {net.cost}) on {dataset.name}: "
          f"{len(X)} training items, batch size {hp.effective_batch_size(len(X))}, {hp.optimizer}, "
          f"η={hp.lr:g}{after}{summaries}", file=out, flush=True)
    status, epochs_done, steps_done = _run(generator, hp, watch, history, epoch_off, step_off, args.log, out, err)
    if args.save:
        save_weights(net, args.save)
        print(f"Saved weights to {args.save}", file=out)
    if args.save_session:
        _save_session(args, session, net, dataset.spec, history, max(epoch_off, epochs_done),
                      steps_done or step_off)
        print(f"Saved session to {args.save_session}", file=out)
    return status


def _save_session(args, session, net, spec, history, epochs_trained, steps_trained) -> None:
    """Write --save-session: the resolved options as training-panel values, the weights, the history."""
    resolution = session.hyperparameters.get("resolution") if session is not None else None
    resolution = resolution if resolution in ("batch", "epoch") else None
    hyperparameters = {key: getattr(args, key) for key in PANEL_KEYS}
    if resolution:
        hyperparameters["resolution"] = resolution
    if session is not None and os.path.abspath(args.save_session) == os.path.abspath(args.session):
        name = session.name       # as the window: saved elsewhere, a session takes the file's name
    else:
        name = Path(args.save_session).stem.strip() or "Untitled"
    saved = Session(name=name, architecture=net.architecture(), hyperparameters=hyperparameters, data=spec,
                    history=history.to_json(resolution), epochs_trained=epochs_trained,
                    steps_trained=steps_trained, network=net, watch=list(args.watch))
    try:
        save_session(args.save_session, saved, include_weights=True)
    except SessionError as exc:
        raise UsageError(str(exc)) from None


def _starting_point(args, session, given, dataset):
    """(network, fresh, epochs trained, batches trained, history or None): the run's start, as the window's.

    The session's weights are continued after its epochs_trained/steps_trained, appending to its
    history, unless nothing was trained yet (fresh: the initial weights are evaluated first and the
    history starts empty); without them (or with --init-weights) the run starts afresh.
    """
    n_in, n_out = dataset.n_inputs, dataset.n_outputs
    stored = session.network if session is not None else None
    history = session.run_history if session is not None else None     # read and checked with the file
    if args.init_weights:
        if stored is not None:
            raise UsageError(f"--init-weights cannot be combined with {args.session}, which holds weights")
        try:
            net = load_weights(args.init_weights)
        except WeightFileError as exc:
            raise UsageError(str(exc)) from None
        _check_fit(net, n_in, n_out, args.init_weights)
        if "layers" in given and _int_list(args.layers, "--layers") != net.sizes:
            raise UsageError(f"--layers {args.layers} differs from {args.init_weights}, which has {net.sizes}")
        return net.astype(args.dtype), True, 0, 0, None
    if stored is None:
        sizes, activations = _architecture(args, n_in, n_out)
        try:
            net = create_network({"sizes": sizes, "activations": activations, "cost": args.cost},
                                 init=args.init, bias_init=args.bias_init, seed=args.seed, dtype=args.dtype)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        return net, True, 0, 0, None
    _check_fit(stored, n_in, n_out, args.session)
    changed = sorted(given & {"layers", "activations", "output_activation", "cost"})
    if changed:
        sizes, activations = _architecture(args, n_in, n_out)
        if {"sizes": sizes, "activations": activations, "cost": args.cost} != stored.architecture():
            raise UsageError(f"{', '.join(map(_option, changed))} would change the network whose weights "
                             f"{args.session} holds ({stored.sizes}, {', '.join(stored.activations)}; "
                             f"{stored.cost})")
    net = stored.astype(args.dtype) if stored.dtype.name != args.dtype else stored
    if session.epochs_trained == 0 and session.steps_trained == 0 and (history is None or not history.epoch_count):
        return net, True, 0, 0, None          # nothing trained yet: a fresh start on these weights
    return net, False, session.epochs_trained, session.steps_trained, history


def _check_fit(net, n_in: int, n_out: int, source: str) -> None:
    if net.sizes[0] != n_in or net.sizes[-1] != n_out:
        raise UsageError(f"{source} has layers {net.sizes}, which do not fit the data "
                         f"({n_in} inputs, {n_out} outputs)")


def _prepare_kernel(dtype: str) -> threading.Thread | None:
    """Compile the training kernel for ``dtype`` (or load it from numba's cache) on a daemon thread
    while the data loads. The caller joins it before training, so that the whole run takes one
    engine and the same seed gives the same weights, bit for bit (a switch mid-run would not)."""
    from .core import kernel
    from .core.engines import configured_engine

    if configured_engine() != "auto":
        return None

    thread = threading.Thread(target=kernel.prepare, args=(dtype,), name="compile training kernel", daemon=True)
    thread.start()
    return thread


def _engine_is_numpy() -> bool:
    """Whether this run trains on the numpy engine: chosen, or the kernel unavailable (checked
    after the kernel's thread has finished, when a failed compilation has made it so)."""
    from .core import kernel
    from .core.engines import configured_engine

    return configured_engine() == "numpy" or not kernel.available()


#: auto_log_every's estimates (seconds): training per batch (compiled, numpy) and per sample·parameter;
#: a summary's fixed cost and its cost per evaluated sample·parameter.
BATCH_SECONDS, NUMPY_BATCH_SECONDS, SAMPLE_SECONDS = 0.2e-6, 20e-6, 4e-9
SUMMARY_SECONDS, EVALUATED_SECONDS = 150e-6, 0.1e-9
#: Training an interval between summaries takes at least this many times as long as the summary.
SUMMARY_RATIO = 20


def auto_log_every(sizes, n_train: int, n_validation: int, batch_size: int, numpy_engine: bool = False) -> int:
    """--log-every auto: 1 when an epoch's estimated training time is at least SUMMARY_RATIO times
    a summary's, else the smallest N of 1, 2, 5, 10, 20, … for which N epochs' is."""
    parameters = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    batches = -(-n_train // batch_size)
    epoch = (batches * (NUMPY_BATCH_SECONDS if numpy_engine else BATCH_SECONDS)
             + n_train * parameters * SAMPLE_SECONDS)
    summary = SUMMARY_SECONDS + (n_train + n_validation) * parameters * EVALUATED_SECONDS
    wanted = SUMMARY_RATIO * summary / epoch
    decade = 1
    while True:
        for every in (decade, 2 * decade, 5 * decade):
            if every >= wanted:
                return every
        decade *= 10


class _WatchedMean:
    """The mean of the followed weights' gradients over the batches of the latest epoch seen."""

    def __init__(self):
        self.epoch, self.sum, self.count = None, None, 0

    def add(self, chunk: BatchChunk) -> None:
        """Take a chunk's (k, W) watched gradients; its epochs ascend, so the latest is a suffix."""
        last = chunk.epoch[-1]
        start = int(np.searchsorted(chunk.epoch, last))
        rows = chunk.watched[start:]
        if start or last != self.epoch:
            self.epoch, self.sum, self.count = last, rows.sum(axis=0), len(rows)
        else:
            self.sum = self.sum + rows.sum(axis=0)
            self.count += len(rows)

    def labelled(self, watch) -> dict | None:
        if not self.count:
            return None
        return {f"W{l}[{i},{j}]": float(v / self.count) for (l, i, j), v in zip(watch, self.sum)}


def _run(generator, hp, watch, history, epoch_off, step_off, log_path, out, err):
    """Drive the chunked training generator: progress bar, epoch lines, --log records, the run's history.

    Epochs and steps are counted after the ``epoch_off``/``step_off`` already trained. Returns
    (exit status, last epoch completed, last step done), the last two 0 where there were none.
    """
    log = open(log_path, "w", encoding="utf-8") if log_path else None
    bar = ProgressBar(err)
    status, epochs_done, steps_done = 0, 0, 0
    watched = _WatchedMean()
    total = epoch_off + hp.epochs
    previous = None                          # the epoch of the last summary
    try:
        for record in generator:
            if isinstance(record, BatchChunk):
                history.add_batches([record], epoch_off, step_off)
                steps_done = step_off + int(record.step[-1])
                completed = int(record.epoch[-1]) - (int(record.samples_seen[-1]) < record.n_train)
                epochs_done = max(epochs_done, epoch_off + completed)
                if watch:
                    watched.add(record)
                if bar.enabled:              # the bar itself redraws at most 10 times a second
                    i = len(record) - 1
                    epoch = int(record.epoch[i])
                    bar.update((epoch - 1 + int(record.samples_seen[i]) / record.n_train) / hp.epochs,
                               f"epoch {epoch_off + epoch}/{total} · cost {float(record.cost[i]):.4f}")
            elif isinstance(record, EpochRecord):
                bar.clear()
                history.add_epochs([record], epoch_off)
                if log:
                    entry = record.as_dict()
                    entry["epoch"] = epoch_off + record.epoch
                    if watch:
                        entry["watched"] = watched.labelled(watch)
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
                span = record.epoch - previous if previous is not None else 1
                print(_epoch_line(record, total, epoch_off, span), file=out, flush=True)
                previous = record.epoch
            elif isinstance(record, Diverged):
                bar.clear()
                history.add_marker("diverged")
                print(record.message, file=err, flush=True)
                status = 1
    except KeyboardInterrupt:
        bar.clear()
        print("Interrupted; keeping the weights reached so far.", file=err)
        status = 130
    finally:
        if log:
            log.close()
    return status, epochs_done, steps_done


def _epoch_line(record: EpochRecord, epochs: int, offset: int = 0, span: int = 1) -> str:
    """The printed summary; ``span`` epochs since the previous one (its time is their mean)."""
    parts = [f"Epoch {offset + record.epoch}/{epochs}" if record.epoch else "Initial",
             f"train cost {_format_cost(record.train_cost)}"]
    if record.train_accuracy is not None:
        parts.append(f"accuracy {_format_percent(record.train_accuracy)}")
    if record.val_cost is not None:
        parts.append(f"validation cost {_format_cost(record.val_cost)}")
    if record.val_accuracy is not None:
        parts.append(f"accuracy {_format_percent(record.val_accuracy)}")
    if record.epoch:
        each = " per epoch" if span > 1 else ""
        parts.append(f"{_format_seconds(record.seconds)}{each} ({record.samples_per_second:,.0f} samples/s)")
    parts.append("‖δ‖ " + " ".join(f"{v:.2e}" for v in record.delta_norms))
    return " · ".join(parts)


def _format_seconds(seconds: float) -> str:
    if seconds >= 0.1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-4:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} µs"


def _pick_split(dataset, name):
    if name:
        split = dataset.splits.get(name)
        if split is None:
            raise UsageError(f"{dataset.name} has no {name} split; it has {', '.join(dataset.splits)}")
        return name, split
    for candidate in ("test", "validation", "train"):
        if dataset.splits.get(candidate) is not None:
            return candidate, dataset.splits[candidate]
    raise UsageError(f"{dataset.name} has no data")


def _cmd_evaluate(args, out, err) -> int:
    try:
        net = load_weights(args.weights)
    except WeightFileError as exc:
        raise UsageError(str(exc)) from None
    dataset = _load_data(args.data, args.target, err)
    if net.sizes[0] != dataset.n_inputs or net.sizes[-1] != dataset.n_outputs:
        raise UsageError(f"{args.weights} has layers {net.sizes}, which do not fit {dataset.name} "
                         f"({dataset.n_inputs} inputs, {dataset.n_outputs} outputs)")
    name, split = _pick_split(dataset, args.split)
    classification = dataset.task == "classification"
    cost, accuracy = net.evaluate(split.X, split.Y, classification)
    print(f"{dataset.name}, {name} split ({len(split.X)} items): cost {_format_cost(cost)}"
          + (f", accuracy {_format_percent(accuracy)}" if accuracy is not None else ""), file=out)
    if classification:
        matrix = net.confusion_matrix(split.X, split.Y)
        names = list(dataset.class_names or range(len(matrix)))
        if len(names) != len(matrix):
            names = [str(i) for i in range(len(matrix))]
        print("Confusion matrix (rows: true class, columns: predicted):", file=out)
        width = max(6, max(len(str(n)) for n in names) + 1, len(str(matrix.max())) + 1)
        print(" " * width + "".join(f"{str(n)[:width - 1]:>{width}}" for n in names), file=out)
        for n, row in zip(names, matrix):
            print(f"{str(n)[:width - 1]:>{width}}" + "".join(f"{v:>{width}}" for v in row), file=out)
    return 0


def _cmd_gradcheck(args, out, err) -> int:
    _resolve(args)
    if args.seed < 0:
        raise UsageError(f"--seed must be at least 0, not {args.seed}")
    if args.samples < 1:
        raise UsageError(f"--samples must be at least 1, not {args.samples}")
    rng = np.random.default_rng(args.seed)
    if args.weights:
        try:
            net = load_weights(args.weights)
        except WeightFileError as exc:
            raise UsageError(str(exc)) from None
    if args.data:
        dataset = _load_data(args.data, args.target, err)
        X, Y = dataset.train.X[:args.samples], dataset.train.Y[:args.samples]
        if not args.weights:
            sizes, activations = _architecture(args, dataset.n_inputs, dataset.n_outputs)
    else:
        if not args.weights:
            if not args.layers:
                raise UsageError("gradcheck needs --layers (or --weights, or --data)")
            sizes = _int_list(args.layers, "--layers")
            sizes, activations = _architecture(args, sizes[0], sizes[-1])
        n_in, n_out = (net.sizes[0], net.sizes[-1]) if args.weights else (sizes[0], sizes[-1])
        X = rng.standard_normal((args.samples, n_in))
        Y = np.eye(n_out)[rng.integers(0, n_out, args.samples)] if n_out > 1 else rng.integers(0, 2, (args.samples, 1))
    if not args.weights:
        try:
            net = Network.create(sizes, activations, args.cost, init=args.init, bias_init=args.bias_init,
                                 rng=rng, dtype="float64")
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    elif net.sizes[0] != X.shape[1] or net.sizes[-1] != Y.shape[1]:
        raise UsageError(f"{args.weights} has layers {net.sizes}, which do not fit the data")
    report = gradient_check(net, X, Y)
    worst = 0.0
    print(f"Gradient check of {net.sizes} ({', '.join(net.activations)}; {net.cost}) on {len(X)} samples, float64:",
          file=out)
    for row in report:
        label = layer_names(net.n_layers)[row["layer"]]
        worst = max(worst, row["weights"], row["biases"])
        print(f"  layer {row['layer']} ({label}): max relative error  W {row['weights']:.2e}   b {row['biases']:.2e}",
              file=out)
    ok = worst <= args.tolerance
    print(f"{'PASS' if ok else 'FAIL'}: largest error {worst:.2e} (tolerance {args.tolerance:.0e})", file=out)
    return 0 if ok else 1


def _cmd_data(args, out, err) -> int:
    dataset = _load_data(args.spec, args.target, err)
    print(dataset.summary(), file=out)
    if args.export:
        from .data import DataError, export_csv

        if args.split and dataset.splits.get(args.split) is None:
            raise UsageError(f"{dataset.name} has no {args.split} split")
        try:
            export_csv(dataset, args.export, split=args.split)
        except (DataError, OSError) as exc:
            raise UsageError(f"cannot export to {args.export}: {exc}") from None
        print(f"Exported to {args.export}", file=out)
    return 0


COMMANDS = {"train": _cmd_train, "evaluate": _cmd_evaluate, "gradcheck": _cmd_gradcheck, "data": _cmd_data}


def main(argv=None, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        return COMMANDS[args.command](args, out, err)
    except UsageError as exc:
        print(f"workbench: error: {exc}", file=err)
        return EXIT_USAGE
    except OSError as exc:
        print(f"workbench: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
