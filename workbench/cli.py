"""Headless command line: train, evaluate, gradient-check and inspect data with the same core as the window.

    python -m workbench train --data mnist --layers 784,30,10 --epochs 30 --save net.npz
    python -m workbench train --session xor.wbsession --epochs 100 --save-session xor.wbsession
    python -m workbench evaluate --weights net.npz --data mnist
    python -m workbench gradcheck --layers 4,5,3 --activations tanh --output-activation softmax --cost log-likelihood
    python -m workbench data teacher:items=2000 --export teacher.csv
    python -m workbench export --weights net.npz --format onnx --out net.onnx   (workbench.cli_export)

Bad arguments print one line and exit with status 2, before any data is loaded or any file
written where they can be known then (every output is checked first: its folder exists and takes
files, it is not a folder, a device or a pipe). A diverged run exits with 1 and still saves its last
finite weights; an output that could not be written in the end (a disk that filled up) is said on
stderr, the others are still written, and the run exits with 3.

--save-session keeps what the --session file held: its runs (training that continues its weights
extends its current run, other weights start a new run, as in the window; ``cli_outputs._SessionRun``),
its views, its other training settings and its drawn points (which train then trains on).

This module resolves the options (command line, then --session, then DEFAULTS), checks them, runs
the commands and holds ``main``; ``cli_args`` holds the argument types and the parser,
``cli_outputs`` the checks and writers of the output files.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from pathlib import Path

import numpy as np

from .cli_args import MAX_SEED, UsageError, _build_parser, _float_list, _int_list, _shown
from .cli_outputs import (STDOUT, _check_output, _check_outputs, _check_room, _Log, _reason, _SessionRun,
                          _weight_file_bytes, _written)
from .core import (HIDDEN_ACTIVATIONS, BatchChunk, ConfigError, Diverged, EpochRecord, Hyperparameters, Network,
                   WeightFileError, gradient_check, has_weight, load_weights, save_weights, train)
from .core.history import MAX_FOLLOWED, RunHistory
from .core.hyperparameters import hyperparameter_problem, is_finite_number, shown
from .core.training import Stopped, WatchedMean
from .core.network import check_architecture, parameter_count
from .core.runs import run_settings
from .core.runsetup import create_network, training_arguments
from .core.sessionfile import Session, SessionError, load_session, save_session
from .core.names import layer_names
from .progress import ProgressBar

EXIT_DIVERGED = 1
EXIT_USAGE = 2
EXIT_UNWRITTEN = 3
#: gradcheck's work at most: 4 cost evaluations per weight or bias, each samples × parameters
#: multiply-adds (10^12 take a minute or two; with MAX_CHECK_SAMPLES they bound the memory of its
#: random samples too, to well under 1 GiB).
MAX_CHECK_WORK = 10**12
#: evaluate prints the confusion matrix of at most this many classes.
MAX_MATRIX_CLASSES = 50

#: Values of options not given on the command line (nor, for train, in the --session file).
DEFAULTS = {"activations": "sigmoid", "output_activation": "sigmoid", "cost": "cross-entropy",
            "init": "scaled-normal", "bias_init": "normal", "seed": 0, "dtype": "float32",
            "optimizer": "sgd", "lr": 0.5, "momentum": 0.9, "batch_size": 10, "epochs": 30, "l2": 0.0,
            "layer_lr": None, "watch": [], "stop_accuracy": None, "stop_cost": None, "patience": None}
#: The stop conditions among them (written to a session only when set).
STOP_KEYS = ("stop_accuracy", "stop_cost", "patience")
#: The window's training-panel values (a session's "hyperparameters") that train reads.
PANEL_KEYS = ("optimizer", "lr", "momentum", "batch_size", "epochs", "l2", "layer_lr",
              "init", "bias_init", "seed", "dtype", "stop_accuracy", "stop_cost", "patience")


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


def _architecture(args, n_in: int, n_out: int, where: str | None = None) -> tuple[list[int], list[str]]:
    """Layer sizes and activations from --layers/--activations/--output-activation, checked against the data."""
    sizes = _int_list(args.layers, "--layers") if args.layers else [n_in, 30, n_out]
    if sizes[0] != n_in or sizes[-1] != n_out:
        raise UsageError(
            f"--layers {_shown(args.layers) if len(args.layers or '') > 40 else ','.join(map(str, sizes))} "
            f"does not fit the data: it has {n_in} inputs and "
            f"{n_out} outputs, so the layers must start with {n_in} and end with {n_out}")
    return _recipe(args, sizes, where)


def _recipe(args, sizes: list[int], where: str | None = None) -> tuple[list[int], list[str]]:
    """(sizes, activations) of the network that --layers/--activations/--output-activation/--cost
    describe, within the limits of ``check_architecture`` (refused before anything is allocated);
    ``where`` names the session file that gave the layers, if one did."""
    hidden = [name.strip() for name in args.activations.split(",") if name.strip()]
    n_hidden = len(sizes) - 2
    if len(hidden) == 1:
        hidden = hidden * n_hidden
    elif len(hidden) != n_hidden:
        raise UsageError(f"--activations names {len(hidden):,} activations but there are {n_hidden:,} hidden layers")
    for name in hidden:
        if name not in HIDDEN_ACTIVATIONS:
            raise UsageError(f"unknown hidden activation {_shown(name)}; choose from {', '.join(HIDDEN_ACTIVATIONS)}")
    activations = hidden[:n_hidden] + [args.output_activation]
    problem = check_architecture(sizes, activations, args.cost)
    if problem:
        raise UsageError(f"{where}: {problem}" if where else
                         f"--layers {_shown(args.layers) if args.layers else ','.join(map(str, sizes))}: {problem}")
    return sizes, activations


def _format_percent(value):
    return "—" if value is None else f"{value * 100:.2f}%"


def _format_cost(value):
    return "—" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _parse_watch(items) -> list[tuple[int, int, int]]:
    if len(items) > MAX_FOLLOWED:
        raise UsageError(f"--watch is given {len(items):,} times; at most {MAX_FOLLOWED} weights can be followed")
    watched = []
    for item in items:
        values = _int_list(item, "--watch")
        if len(values) != 3:
            raise UsageError(f"--watch takes layer,row,column (e.g. 0,5,2), not {_shown(item)}")
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
    """UsageError naming the option (or the session entry) whose value cannot be used.

    The training-panel values (PANEL_KEYS) are checked as every reader of a session checks them
    (``hyperparameter_problem``: types, choices, signs), those ``taken`` from the session ``where``
    named as its entries, the others as options; then by train's own rules: a learning rate above
    0, at least one epoch, a seed that the data sources take.
    """
    def name(key):
        return f"'{key}' in {where}" if key in taken else _option(key)

    values = {key: getattr(args, key) for key in PANEL_KEYS}
    lr = values["lr"]
    if is_finite_number(lr) and lr <= 0:        # before the shared rule, whose "0 or more" is not enough
        raise UsageError(f"{name('lr')} must be a positive number, not {shown(lr)}")
    problem = (hyperparameter_problem({k: v for k, v in values.items() if k in taken}, where=where)
               or _option_problem({k: v for k, v in values.items() if k not in taken}))
    if problem:
        raise UsageError(problem)
    for key, least, most in (("epochs", 1, None), ("seed", 0, MAX_SEED)):
        value = values[key]
        if value < least or (most is not None and value > most):
            raise UsageError(f"{name(key)} must be at {'least' if value < least else 'most'} "
                             f"{least if value < least else most:,}, not {_shown(value)}")


def _option_problem(values: dict) -> str | None:
    """``hyperparameter_problem`` of values given as options (or by DEFAULTS), naming the option:
    "--lr is ..." where it says "'lr' (the learning rate η) is ...", without its full stop."""
    problem = hyperparameter_problem(values)
    if problem is None:
        return None
    for key in values:
        prefix = f"'{key}' ("
        if problem.startswith(prefix) and ") " in problem:
            problem = _option(key) + problem[problem.index(") ") + 1:]
            break
    return problem.removesuffix(".")


def _read_session(path: str) -> Session:
    try:
        return load_session(path)
    except SessionError as exc:
        raise UsageError(str(exc)) from None


def _check_engine() -> None:
    """$WORKBENCH_ENGINE, refused before anything is loaded if it names no engine."""
    from .core.engines import ENGINES, ENV_VAR, configured_engine

    if configured_engine() not in ENGINES:
        raise UsageError(f"${ENV_VAR} is {_shown(configured_engine())}; set it to one of {', '.join(ENGINES)} "
                         f"or leave it unset")


# -- commands -------------------------------------------------------------------------------------------
def _cmd_train(args, out, err) -> int:
    _check_outputs({"--save": args.save, "--save-session": args.save_session, "--log": args.log},
                   {"--session": args.session, "--init-weights": args.init_weights})
    _check_engine()
    if args.tensorboard:
        from .exports.tensorboard import root_problem, tensorboard_available

        problem = tensorboard_available() or root_problem(args.tensorboard)
        if problem:
            raise UsageError(f"--tensorboard: {problem}")
    session = _read_session(args.session) if args.session else None
    if args.layer_lr is not None:
        args.layer_lr = _float_list(args.layer_lr, "--layer-lr")
    if args.watch is not None:
        args.watch = _parse_watch(args.watch)
    given = {key for key in [*DEFAULTS, "layers"] if getattr(args, key, None) is not None}
    taken = _resolve(args, session)
    _check_options(args, taken, args.session)
    if args.layers and not args.init_weights:          # the layers' limits, before the data loads
        _recipe(args, _int_list(args.layers, "--layers"), args.session if "layers" in taken else None)
    if args.save_session:
        problem = hyperparameter_problem({key: getattr(args, key) for key in PANEL_KEYS}, panel=True)
        if problem:
            raise UsageError(f"--save-session {args.save_session} would hold settings the window cannot "
                             f"open: {problem}")
    spec = args.data or (session.data if session is not None else None)
    if spec is None:
        raise UsageError("train needs --data SPEC" + (f" ({args.session} names no data)" if session else ""))
    if args.validation_split is not None and not 0 < args.validation_split < 1:
        raise UsageError(f"--validation-split must be between 0 and 1, not {args.validation_split}")
    preparing = _prepare_kernel(args.dtype)
    dataset = _load_data(spec, args.target, err)
    points = session.points if session is not None and spec == session.data else None
    if points is not None:                  # trained on the points drawn in the window, as it would
        from .data import DataError
        from .data.drawn import points_from_json

        try:
            dataset = points_from_json(points, dataset)
        except DataError as exc:
            raise UsageError(f"{args.session}: {exc}") from None
    net, fresh, epoch_off, step_off, history = _starting_point(args, session, given, dataset)
    if args.save:
        _check_room("--save", args.save, _weight_file_bytes(net), "the weights")
    hp = Hyperparameters(optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
                         batch_size=args.batch_size, epochs=args.epochs, l2=args.l2, layer_lr=args.layer_lr,
                         stop_accuracy=args.stop_accuracy, stop_cost=args.stop_cost, patience=args.patience)
    try:
        hp.validate(net.n_layers)
    except ConfigError as exc:
        from_session = taken & {"optimizer", "momentum", "batch_size", "layer_lr", "stop_accuracy", "stop_cost",
                                "patience"}
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
        stops = (hp.stop_accuracy, hp.stop_cost, hp.patience) != (None, None, None)
        if every == "auto" and stops:      # the conditions are checked on each summary: one an epoch
            every = 1
        elif every == "auto":
            n_val = len(kwargs["validation"][0]) if kwargs["validation"] is not None else 0
            every = auto_log_every(net.sizes, len(X), n_val, hp.effective_batch_size(len(X)), _engine_is_numpy())
        generator = train(net, X, Y, hp, **kwargs, chunked=True, evaluate_every=every)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    keeper = None
    if args.save_session:                   # the session's runs, this one extending or added to them
        hyperparameters = _session_hyperparameters(args, session)
        keeper = _SessionRun(session, net, session is not None and session.network is not None, history,
                             run_settings(net.architecture(), hyperparameters, dataset.spec), seed=args.seed,
                             epoch_off=epoch_off, step_off=step_off, n_train=len(X),
                             every=hyperparameters.get("checkpoint_every") or 1)

    board = _open_tensorboard(args, net, hp, dataset) if args.tensorboard else None
    try:
        log = _Log(args.log, out, err)                  # opened last: nothing is refused after it
    except BaseException:
        if board is not None:
            board.discard()
        raise
    if args.log == STDOUT:
        out = err                                       # standard output carries only the records
    after = f", continuing after {epoch_off} epochs ({step_off} batches)" if step_off or epoch_off else ""
    summaries = f", a summary every {every} epochs" if every > 1 else ""
    print(f"Training {net.sizes} ({', '.join(net.activations)}; {net.cost}) on {dataset.name}: "
          f"{len(X)} training items, batch size {hp.effective_batch_size(len(X))}, {hp.optimizer}, "
          f"η={hp.lr:g}{after}{summaries}", file=out, flush=True)
    if board is not None:
        print(f"TensorBoard logs: {board.folder} (view with: tensorboard --logdir {args.tensorboard})",
              file=out, flush=True)
        generator = board.follow(generator, net, hp, epoch_off=epoch_off, step_off=step_off, watch=watch)
    try:
        status, epochs_done, steps_done = _run(generator, hp, watch, history, epoch_off, step_off, log, out, err,
                                               keeper, net)
    finally:
        log.close()
        if board is not None:
            board.close()
    written = log.stopped is None
    if args.save:
        written &= _written("weights", args.save, lambda: save_weights(net, args.save), out, err)
    if args.save_session:
        epochs_trained, steps_trained = max(epoch_off, epochs_done), steps_done or step_off
        notes = keeper.ended(net, epochs_trained, steps_trained, keeper.reason)
        written &= _written("session", args.save_session,
                            lambda: notes + _save_session(args, session, net, dataset.spec, history, epochs_trained,
                                                          steps_trained, keeper.runs, points), out, err)
    return status if written or status == 130 else EXIT_UNWRITTEN


def _open_tensorboard(args, net, hp, dataset):
    """The run's TensorBoard log in a new folder under --tensorboard, or a UsageError saying why not."""
    from .exports import ExportError
    from .exports.tensorboard import open_log

    settings = run_settings(net.architecture(), {**hp.as_dict(), "seed": args.seed, "dtype": args.dtype,
                                                 "init": args.init}, dataset.spec)
    try:
        return open_log(args.tensorboard, settings, dataset.name, classification=dataset.task == "classification")
    except ExportError as exc:
        raise UsageError(f"--tensorboard: {exc}") from None


def _session_hyperparameters(args, session) -> dict:
    """The resolved options as training-panel values (a stop condition left off is not written),
    with the --session file's other settings (its plot resolution, checkpoint spacing, ...)."""
    kept = {key: value for key, value in session.hyperparameters.items()
            if key not in PANEL_KEYS} if session is not None else {}
    return {**kept, **{key: getattr(args, key) for key in PANEL_KEYS
                       if getattr(args, key) is not None or key not in STOP_KEYS}}


def _save_session(args, session, net, spec, history, epochs_trained, steps_trained, runs, points) -> list[str]:
    """Write --save-session: the resolved options as training-panel values, the weights, the
    history, and what else the --session file held (its runs, with this one in them, its views,
    its drawn points when trained on their data).  Returns the sentences on what was left out."""
    hyperparameters = _session_hyperparameters(args, session)
    if session is not None and os.path.abspath(args.save_session) == os.path.abspath(args.session):
        name = session.name       # as the window: saved elsewhere, a session takes the file's name
    else:
        name = Path(args.save_session).stem.strip() or "Untitled"
    notes = []
    if session is not None and session.points is not None and points is None:
        notes.append(f"The points drawn on {session.data} in {args.session} were not saved: this run trained "
                     f"on {spec}.")
    saved = Session(name=name, architecture=net.architecture(), hyperparameters=hyperparameters, data=spec,
                    history=history.to_json(hyperparameters.get("resolution")), epochs_trained=epochs_trained,
                    steps_trained=steps_trained, network=net, watch=list(args.watch),
                    views=session.views if session is not None else None, points=points, runs=runs)
    return notes + save_session(args.save_session, saved, include_weights=True)


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

    if configured_engine() not in ("auto", "compiled"):
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
    parameters = parameter_count(sizes)
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


def _run(generator, hp, watch, history, epoch_off, step_off, log: _Log, out, err, keeper=None, net=None):
    """Drive the chunked training generator: progress bar, epoch lines, --log records, the run's history,
    and the checkpoints of ``net`` that ``keeper`` (a ``_SessionRun``, or None) takes at epoch ends.

    Epochs and steps are counted after the ``epoch_off``/``step_off`` already trained. Returns
    (exit status, last epoch completed, last step done), the last two 0 where there were none.
    """
    bar = ProgressBar(err)
    status, epochs_done, steps_done = 0, 0, 0
    watched = WatchedMean()
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
                if log.open:
                    entry = record.as_dict()
                    entry["epoch"] = epoch_off + record.epoch
                    if watch:
                        entry["watched"] = watched.labelled(watch)
                    log.write(entry)
                span = record.epoch - previous if previous is not None else 1
                print(_epoch_line(record, total, epoch_off, span), file=out, flush=True)
                previous = record.epoch
                if keeper is not None:       # a chunk never spans a summary: steps_done is the epoch's end
                    keeper.epoch_end(net, epoch_off + record.epoch, steps_done)
            elif isinstance(record, Stopped):
                bar.clear()
                print(record.message(epoch_off), file=out, flush=True)
                if keeper is not None:
                    keeper.reason = record.message(epoch_off)
            elif isinstance(record, Diverged):
                bar.clear()
                history.add_marker("diverged")
                print(record.message, file=err, flush=True)
                status = EXIT_DIVERGED
    except KeyboardInterrupt:
        bar.clear()
        print("Interrupted; keeping the weights reached so far.", file=err)
        status = 130
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
    if classification and net.sizes[-1] > MAX_MATRIX_CLASSES:
        print(f"(The confusion matrix is printed for at most {MAX_MATRIX_CLASSES} classes; "
              f"{dataset.name} has {net.sizes[-1]:,}.)", file=out)
    elif classification:
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
    if not args.tolerance >= 0:
        raise UsageError(f"--tolerance must be a number ≥ 0, not {args.tolerance:g}")
    if args.target and not args.data:
        raise UsageError("--target names columns of the --data, which is not given")
    if args.layers and not args.weights:           # the layers' limits, before anything is loaded
        _check_work(_recipe(args, _int_list(args.layers, "--layers"))[0], args.samples)
    rng = np.random.default_rng(args.seed)
    if args.weights:
        try:
            net = load_weights(args.weights)
        except WeightFileError as exc:
            raise UsageError(str(exc)) from None
        _check_work(net.sizes, args.samples)
    if args.data:
        dataset = _load_data(args.data, args.target, err)
        X, Y = dataset.train.X[:args.samples], dataset.train.Y[:args.samples]
        if not args.weights:
            sizes, activations = _architecture(args, dataset.n_inputs, dataset.n_outputs)
            _check_work(sizes, len(X))
    else:
        if not args.weights:
            if not args.layers:
                raise UsageError("gradcheck needs --layers (or --weights, or --data)")
            sizes = _int_list(args.layers, "--layers")
            sizes, activations = _architecture(args, sizes[0], sizes[-1])
        n_in, n_out = (net.sizes[0], net.sizes[-1]) if args.weights else (sizes[0], sizes[-1])
        X = rng.standard_normal((args.samples, n_in))       # _check_work bounds this too
        if n_out > 1:
            Y = np.zeros((args.samples, n_out))
            Y[np.arange(args.samples), rng.integers(0, n_out, args.samples)] = 1.0
        else:
            Y = rng.integers(0, 2, (args.samples, 1))
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


def _check_work(sizes, samples: int) -> None:
    """UsageError if checking ``sizes`` on ``samples`` samples would take more than MAX_CHECK_WORK."""
    parameters = parameter_count(sizes)
    work = 4 * parameters * parameters * samples
    if work > MAX_CHECK_WORK:
        raise UsageError(f"a gradient check of the {parameters:,} weights and biases of a "
                         f"{_shown('-'.join(map(str, sizes)))} network on {samples:,} samples is about {work:.0e} "
                         f"multiply-adds; gradcheck does at most {MAX_CHECK_WORK:.0e} (a minute or two): check "
                         f"a smaller network or fewer samples")


def _cmd_data(args, out, err) -> int:
    if args.split and not args.export:
        raise UsageError("--split chooses the split that --export writes, and --export is not given")
    if args.export:
        _check_output("--export", str(Path(args.export).expanduser()))
    dataset = _load_data(args.spec, args.target, err)
    print(dataset.summary(), file=out)
    if args.export:
        from .data import DataError, export_csv

        if args.split and dataset.splits.get(args.split) is None:
            raise UsageError(f"{dataset.name} has no {args.split} split")
        try:
            export_csv(dataset, args.export, split=args.split)
        except (DataError, OSError) as exc:
            message = str(exc) if isinstance(exc, DataError) else ""
            if args.export not in message:
                message = f"the data set could not be exported to {args.export}: {_reason(exc)}"
            print(f"workbench: error: {message}", file=err)
            return EXIT_UNWRITTEN
        print(f"Exported to {args.export}", file=out)
    return 0


def _cmd_export(args, out, err) -> int:
    from .cli_export import cmd_export

    return cmd_export(args, out, err)


COMMANDS = {"train": _cmd_train, "evaluate": _cmd_evaluate, "gradcheck": _cmd_gradcheck, "data": _cmd_data,
            "export": _cmd_export}


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
    except MemoryError as exc:         # a backstop: sizes are checked against their limits first
        print(f"workbench: error: there is not enough memory: {exc or 'an allocation failed'}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
