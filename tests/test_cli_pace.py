"""The command line on tiny epochs: summaries every --log-every N epochs (auto by default), chunked
training, the same weights however often a run is summarised, and the Demofox OR/AND run in time."""

import io
import json
import time

import numpy as np
import pytest

from workbench.cli import auto_log_every, main
from workbench.core import BatchRecord, Hyperparameters, kernel, load_weights, train
from workbench.core.history import RunHistory
from workbench.core.runsetup import create_network, training_arguments
from workbench.core.sessionfile import load_session
from workbench.data import load_dataset

TEACHER = ["--data", "teacher:items=200,seed=3", "--layers", "4,6,3", "--activations", "tanh",
           "--output-activation", "softmax", "--cost", "log-likelihood", "--optimizer", "momentum",
           "--lr", "0.05", "--batch-size", "8", "--seed", "5"]
ENGINES = ["numpy"] + (["compiled"] if kernel.available() else [])


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def logged(path, key="epoch"):
    return [json.loads(line)[key] for line in path.read_text().splitlines()]


def printed_epochs(out):
    return [int(line.split()[1].split("/")[0]) for line in out.splitlines() if line.startswith("Epoch ")]


def test_log_every_n_summarises_every_nth_epoch_and_the_last(tmp_path):
    status, out, err = run("train", *TEACHER, "--epochs", "23", "--log-every", "5", "--log", str(tmp_path / "l.jsonl"))
    assert status == 0, err
    assert logged(tmp_path / "l.jsonl") == [0, 5, 10, 15, 20, 23]
    assert printed_epochs(out) == [5, 10, 15, 20, 23] and "a summary every 5 epochs" in out
    assert "per epoch" in out.splitlines()[-1]        # the time of a summary spanning epochs is their mean


def test_auto_summarises_tiny_epochs_rarely_but_always_the_last(tmp_path):
    status, out, err = run("train", "--data", "xor", "--layers", "2,3,1", "--lr", "2", "--batch-size", "full",
                           "--epochs", "3000", "--seed", "3", "--log", str(tmp_path / "l.jsonl"))
    assert status == 0, err
    epochs = logged(tmp_path / "l.jsonl")
    assert epochs[0] == 0 and epochs[-1] == 3000 and len(epochs) <= 31
    assert printed_epochs(out) == epochs[1:]


def test_auto_summarises_long_epochs_every_epoch():
    assert auto_log_every([784, 30, 10], 50_000, 10_000, 10) == 1
    assert auto_log_every([784, 30, 10], 50_000, 10_000, 50_000) == 1
    tiny = auto_log_every([2, 2], 4, 0, 4)
    assert tiny >= 1000 and str(tiny).strip("0") in ("1", "2", "5")
    assert auto_log_every([2, 2], 4, 0, 4, numpy_engine=True) < tiny / 10


@pytest.mark.parametrize("engine", ENGINES)
def test_summaries_do_not_change_training(tmp_path, monkeypatch, engine):
    """Same seed: the same weights bit for bit whether every epoch, every 7th or auto is summarised,
    and the followed weight's logged gradient is still the mean over the last epoch's batches."""
    monkeypatch.setenv("WORKBENCH_ENGINE", engine)
    weights = []
    for every in ("1", "7", "auto"):
        status, _, err = run("train", *TEACHER, "--epochs", "20", "--watch", "1,2,0", "--log-every", every,
                             "--save", str(tmp_path / f"{every}.npz"), "--log", str(tmp_path / f"{every}.jsonl"))
        assert status == 0, err
        weights.append(load_weights(tmp_path / f"{every}.npz"))
    for net in weights[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(net.weights + net.biases, weights[0].weights + weights[0].biases))
    assert len(logged(tmp_path / "auto.jsonl")) < 21 == len(logged(tmp_path / "1.jsonl"))

    dataset = load_dataset("teacher:items=200,seed=3")
    net = create_network({"sizes": [4, 6, 3], "activations": ["tanh", "softmax"], "cost": "log-likelihood"}, seed=5)
    X, Y, kwargs = training_arguments(dataset, seed=5, steps_trained=0, evaluate_initial=True, watch=[(1, 2, 0)])
    hp = Hyperparameters(optimizer="momentum", lr=0.05, batch_size=8, epochs=20)
    last_epoch = [r.watched[0] for r in train(net, X, Y, hp, **kwargs)
                  if isinstance(r, BatchRecord) and r.epoch == 20]
    for every in ("1", "7", "auto"):
        entry = json.loads((tmp_path / f"{every}.jsonl").read_text().splitlines()[-1])
        assert entry["watched"]["W1[2,0]"] == pytest.approx(np.mean(last_epoch), rel=1e-9, abs=1e-12)


def test_sessions_keep_the_epoch_numbers_of_sparse_summaries(tmp_path):
    first, second = tmp_path / "a.wbsession", tmp_path / "b.wbsession"
    status, _, err = run("train", *TEACHER, "--epochs", "5", "--log-every", "2", "--save-session", str(first))
    assert status == 0, err
    start = load_session(str(first))
    assert start.epochs_trained == 5 and list(RunHistory.from_json(start.history).epoch_number()) == [0, 2, 4, 5]
    status, out, err = run("train", "--session", str(first), "--epochs", "3", "--log-every", "2",
                           "--save-session", str(second))
    assert status == 0, err
    assert printed_epochs(out) == [7, 8]
    after = load_session(str(second))
    assert after.epochs_trained == 8 and after.steps_trained == 8 * start.steps_trained // 5
    history = RunHistory.from_json(after.history)
    assert list(history.epoch_number()) == [0, 2, 4, 5, 7, 8]
    assert list(history.batch_step()) == list(range(1, after.steps_trained + 1))

    status, _, err = run("train", "--session", str(second), "--save-session", str(second))      # auto
    assert status == 0, err
    again = load_session(str(second))
    assert again.epochs_trained == 11 and list(RunHistory.from_json(again.history).epoch_number())[-1] == 11


@pytest.mark.parametrize("value", ["0", "-1", "x", "1.5"])
def test_bad_log_every_gives_one_line_and_exit_2(value):
    status, _, err = run("train", "--data", "xor", "--log-every", value)
    assert status == 2 and "--log-every must be" in err
    assert err.count("\n") == 1 and err.count(". ") == 0 and "Traceback" not in err


@pytest.mark.skipif(not kernel.available(), reason="numba is not installed")
def test_demofox_or_and_run_takes_well_under_a_second_of_training(tmp_path, monkeypatch):
    """Demofox's OR/AND network (2-2 sigmoid, quadratic cost, η = 0.5, full batch) for 520,000
    epochs, on the default engine: 76 s when every epoch was evaluated and printed; about 0.35 s
    now on a 2-core machine (8.6 s on the numpy engine)."""
    monkeypatch.delenv("WORKBENCH_ENGINE", raising=False)
    data = tmp_path / "orand.csv"
    data.write_text("a,b,or,and\n0,0,0,0\n0,1,1,0\n1,0,1,0\n1,1,1,1\n")
    kernel.prepare(np.float32)
    started = time.perf_counter()
    status, out, err = run("train", "--data", f"csv:{data},target=or;and,validation=0,shuffle=false",
                           "--layers", "2,2", "--cost", "quadratic", "--lr", "0.5", "--batch-size", "full",
                           "--epochs", "520000", "--log", str(tmp_path / "l.jsonl"))
    seconds = time.perf_counter() - started
    assert status == 0, err
    assert logged(tmp_path / "l.jsonl")[-1] == 520000 and logged(tmp_path / "l.jsonl", "train_cost")[-1] < 1e-4
    assert seconds < 3.0
