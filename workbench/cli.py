"""Headless command line: train, evaluate, gradient-check and inspect data with the same core as the window.

    python -m workbench train --data mnist --layers 784,30,10 --epochs 30 --save net.npz
    python -m workbench evaluate --weights net.npz --data mnist
    python -m workbench gradcheck --layers 4,5,3 --activations tanh --output-activation softmax --cost log-likelihood
    python -m workbench data teacher:items=2000 --export teacher.csv

Bad arguments print one line and exit with status 2; a diverged run exits with 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from .core import (ACTIVATIONS, BIAS_INITIALIZERS, COSTS, DTYPES, HIDDEN_ACTIVATIONS, INITIALIZERS,
                   OPTIMIZERS, BatchRecord, ConfigError, Diverged, EpochRecord, Hyperparameters, Network,
                   WeightFileError, gradient_check, load_weights, save_weights)
from .progress import ProgressBar

EXIT_USAGE = 2


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


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m workbench", description="Train and inspect feed-forward networks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add_architecture(p, data_required=True):
        p.add_argument("--data", required=data_required, metavar="SPEC",
                       help="data source, e.g. mnist, xor, teacher:items=2000, csv:PATH (see README)")
        p.add_argument("--target", metavar="COLS", help="CSV target column(s) by name or index, comma-separated")
        p.add_argument("--layers", metavar="SIZES", help="layer sizes including input and output, e.g. 784,30,10")
        p.add_argument("--activations", metavar="NAMES", default="sigmoid",
                       help=f"hidden activation, one name or one per hidden layer ({', '.join(HIDDEN_ACTIVATIONS)})")
        p.add_argument("--output-activation", default="sigmoid", choices=list(ACTIVATIONS), metavar="NAME",
                       help="output layer activation (default sigmoid)")
        p.add_argument("--cost", default="cross-entropy", choices=list(COSTS), metavar="NAME",
                       help="quadratic, cross-entropy (default) or log-likelihood")
        p.add_argument("--init", default="scaled-normal", choices=list(INITIALIZERS), metavar="NAME",
                       help="weight initialisation: normal, scaled-normal (default), xavier, he")
        p.add_argument("--bias-init", default="normal", choices=list(BIAS_INITIALIZERS), metavar="NAME")
        p.add_argument("--seed", type=int, default=0, help="random seed for initialisation and shuffling")
        p.add_argument("--dtype", default="float32", choices=list(DTYPES))

    train = sub.add_parser("train", help="train a network")
    add_architecture(train)
    train.add_argument("--optimizer", default="sgd", choices=list(OPTIMIZERS), metavar="NAME",
                       help="sgd (default), momentum or nesterov")
    train.add_argument("--lr", type=float, default=0.5, help="learning rate η (default 0.5)")
    train.add_argument("--momentum", type=float, default=0.9, help="momentum α (default 0.9)")
    train.add_argument("--batch-size", type=_batch_size, default=10, metavar="N",
                       help="mini-batch size; 1 = online, 'full' = whole training set (default 10)")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--l2", type=float, default=0.0, help="L2 regularisation λ (default 0)")
    train.add_argument("--layer-lr", metavar="MULTS", help="per-layer learning-rate multipliers, e.g. 4,2,1")
    train.add_argument("--validation-split", type=float, metavar="F",
                       help="move this fraction of the training set into a validation split")
    train.add_argument("--watch", action="append", default=[], metavar="L,I,J",
                       help="follow the gradient of weight W[L][I,J] (repeatable; logged per epoch)")
    train.add_argument("--init-weights", metavar="FILE.npz", help="start from these weights")
    train.add_argument("--save", metavar="FILE.npz", help="save the trained weights")
    train.add_argument("--log", metavar="FILE.jsonl", help="write one JSON record per epoch")

    evaluate = sub.add_parser("evaluate", help="cost, accuracy and confusion matrix of saved weights")
    evaluate.add_argument("--weights", required=True, metavar="FILE.npz")
    evaluate.add_argument("--data", required=True, metavar="SPEC")
    evaluate.add_argument("--target", metavar="COLS")
    evaluate.add_argument("--split", choices=["train", "validation", "test"],
                          help="which split (default: test, else validation, else train)")

    check = sub.add_parser("gradcheck", help="compare back-propagation with finite differences")
    add_architecture(check, data_required=False)
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


def _split_validation(dataset, fraction, rng):
    if not 0 < fraction < 1:
        raise UsageError(f"--validation-split must be between 0 and 1, not {fraction}")
    X, Y = dataset.train.X, dataset.train.Y
    n_val = int(round(len(X) * fraction))
    if n_val < 1 or n_val >= len(X):
        raise UsageError(f"--validation-split {fraction} leaves no training or no validation data ({len(X)} items)")
    order = rng.permutation(len(X))
    val, tr = order[:n_val], order[n_val:]
    return (X[tr], Y[tr]), (X[val], Y[val])


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


# -- commands -------------------------------------------------------------------------------------------
def _cmd_train(args, out, err) -> int:
    for name in ("lr", "momentum", "l2"):
        value = getattr(args, name)
        if not math.isfinite(value) or value < 0 or (name == "lr" and value == 0):
            raise UsageError(f"--{name} must be a {'positive' if name == 'lr' else 'non-negative'} number, not {value}")
    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, not {args.epochs}")
    dataset = _load_data(args.data, args.target, err)
    rng = np.random.default_rng(args.seed)
    if args.init_weights:
        try:
            net = load_weights(args.init_weights).astype(args.dtype)
        except WeightFileError as exc:
            raise UsageError(str(exc)) from None
        if net.sizes[0] != dataset.n_inputs or net.sizes[-1] != dataset.n_outputs:
            raise UsageError(f"{args.init_weights} has layers {net.sizes}, which do not fit the data "
                             f"({dataset.n_inputs} inputs, {dataset.n_outputs} outputs)")
        if args.layers and _int_list(args.layers, "--layers") != net.sizes:
            raise UsageError(f"--layers {args.layers} differs from {args.init_weights}, which has {net.sizes}")
    else:
        sizes, activations = _architecture(args, dataset.n_inputs, dataset.n_outputs)
        try:
            net = Network.create(sizes, activations, args.cost, init=args.init, bias_init=args.bias_init,
                                 rng=rng, dtype=args.dtype)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    layer_lr = _float_list(args.layer_lr, "--layer-lr") if args.layer_lr else None
    hp = Hyperparameters(optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
                         batch_size=args.batch_size, epochs=args.epochs, l2=args.l2, layer_lr=layer_lr)
    try:
        hp.validate(net.n_layers)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if args.validation_split is not None:
        (X, Y), validation = _split_validation(dataset, args.validation_split, rng)
    else:
        X, Y = dataset.train.X, dataset.train.Y
        validation = (dataset.validation.X, dataset.validation.Y) if dataset.validation is not None else None
    classification = dataset.task == "classification"
    watch = _parse_watch(args.watch)
    try:
        generator = _training_run(net, X, Y, hp, rng, validation, classification, watch)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None

    log = open(args.log, "w", encoding="utf-8") if args.log else None
    bar = ProgressBar(err)
    print(f"Training {net.sizes} ({', '.join(net.activations)}; {net.cost}) on {dataset.name}: "
          f"{len(X)} training items, batch size {hp.effective_batch_size(len(X))}, {hp.optimizer}, η={hp.lr:g}",
          file=out, flush=True)
    status = 0
    watched_sum, watched_count = None, 0
    try:
        for record in generator:
            if isinstance(record, BatchRecord):
                if watch:
                    values = np.asarray(record.watched)
                    watched_sum = values if watched_sum is None else watched_sum + values
                    watched_count += 1
                bar.update((record.epoch - 1 + record.samples_seen / record.n_train) / hp.epochs,
                           f"epoch {record.epoch}/{hp.epochs} · cost {record.cost:.4f}")
            elif isinstance(record, EpochRecord):
                bar.clear()
                entry = record.as_dict()
                if watch:
                    entry["watched"] = ({f"W{l}[{i},{j}]": float(v / watched_count)
                                         for (l, i, j), v in zip(watch, watched_sum)} if watched_count else None)
                    watched_sum, watched_count = None, 0
                if log:
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
                print(_epoch_line(record, hp.epochs), file=out, flush=True)
            elif isinstance(record, Diverged):
                bar.clear()
                print(record.message, file=err, flush=True)
                status = 1
    except KeyboardInterrupt:
        bar.clear()
        print("Interrupted; keeping the weights reached so far.", file=err)
        status = 130
    finally:
        if log:
            log.close()
    if args.save:
        save_weights(net, args.save)
        print(f"Saved weights to {args.save}", file=out)
    return status


def _training_run(net, X, Y, hp, rng, validation, classification, watch):
    from .core import train

    return train(net, X, Y, hp, rng, validation=validation, classification=classification, watch=watch)


def _epoch_line(record: EpochRecord, epochs: int) -> str:
    parts = [f"Epoch {record.epoch}/{epochs}" if record.epoch else "Initial",
             f"train cost {_format_cost(record.train_cost)}"]
    if record.train_accuracy is not None:
        parts.append(f"accuracy {_format_percent(record.train_accuracy)}")
    if record.val_cost is not None:
        parts.append(f"validation cost {_format_cost(record.val_cost)}")
    if record.val_accuracy is not None:
        parts.append(f"accuracy {_format_percent(record.val_accuracy)}")
    if record.epoch:
        parts.append(f"{record.seconds:.2f} s ({record.samples_per_second:,.0f} samples/s)")
    parts.append("‖δ‖ " + " ".join(f"{v:.2e}" for v in record.delta_norms))
    return " · ".join(parts)


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
        label = "output" if row["layer"] == net.n_layers - 1 else f"hidden {row['layer'] + 1}"
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
