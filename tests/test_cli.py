"""The command line end to end: training, logs, weight files, sessions, evaluation, gradient checks, bad input."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main
from workbench.core import Hyperparameters, load_weights, train
from workbench.core.history import RunHistory
from workbench.core.runsetup import create_network, training_arguments
from workbench.core.sessionfile import Session, load_session, save_session
from workbench.data import load_dataset

REPO = Path(__file__).resolve().parent.parent


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_train_xor_log_save_and_evaluate_in_a_subprocess(tmp_path):
    command = [sys.executable, "-m", "workbench", "train", "--data", "xor", "--layers", "2,3,1", "--lr", "2",
               "--batch-size", "full", "--epochs", "1500", "--seed", "3", "--save", str(tmp_path / "xor.npz"),
               "--log", str(tmp_path / "log.jsonl"), "--log-every", "1"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "Epoch 1500/1500" in result.stdout and "accuracy 100.00%" in result.stdout
    assert result.stderr == ""  # no progress bar when not a terminal
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1501))
    assert set(records[0]) == {"epoch", "train_cost", "train_accuracy", "val_cost", "val_accuracy",
                               "delta_norms", "weight_norms", "seconds", "samples_per_second"}
    assert records[-1]["train_accuracy"] == 1.0 and len(records[-1]["delta_norms"]) == 2
    assert records[-1]["train_cost"] < records[0]["train_cost"]
    net = load_weights(tmp_path / "xor.npz")
    assert net.sizes == [2, 3, 1]

    status, out, _ = run("evaluate", "--weights", str(tmp_path / "xor.npz"), "--data", "xor")
    assert status == 0
    assert "accuracy 100.00%" in out and "Confusion matrix" in out


def test_teacher_network_trains_to_high_accuracy(tmp_path):
    status, out, err = run("train", "--data", "teacher:items=1000", "--layers", "4,10,10,10,3",
                           "--activations", "tanh", "--output-activation", "softmax", "--cost", "log-likelihood",
                           "--optimizer", "momentum", "--lr", "0.003", "--momentum", "0.9", "--batch-size", "1",
                           "--epochs", "60", "--seed", "2", "--log", str(tmp_path / "t.jsonl"))
    assert status == 0, err
    last = json.loads((tmp_path / "t.jsonl").read_text().splitlines()[-1])
    assert last["val_accuracy"] > 0.9     # 0.945 with this seed (seeds 1-3: 0.92-0.945)


def test_csv_with_target_and_validation_split(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 3))
    label = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    lines = ["a,b,c,answer"] + [f"{x[0]:.4f},{x[1]:.4f},{x[2]:.4f},{y}" for x, y in zip(X, label)]
    path = tmp_path / "points.csv"
    path.write_text("\n".join(lines) + "\n")
    status, out, err = run("train", "--data", f"csv:{path}", "--target", "answer", "--layers", "3,8,2",
                           "--output-activation", "softmax", "--cost", "log-likelihood", "--lr", "0.5",
                           "--epochs", "40", "--validation-split", "0.25", "--log", str(tmp_path / "l.jsonl"))
    assert status == 0, err
    last = json.loads((tmp_path / "l.jsonl").read_text().splitlines()[-1])
    assert last["val_accuracy"] is not None and last["train_accuracy"] > 0.85


def test_init_weights_continue_training(tmp_path):
    save = tmp_path / "w.npz"
    assert run("train", "--data", "xor", "--layers", "2,4,1", "--epochs", "5", "--save", str(save))[0] == 0
    before = load_weights(save)
    status, out, err = run("train", "--data", "xor", "--init-weights", str(save), "--epochs", "5",
                           "--save", str(tmp_path / "w2.npz"))
    assert status == 0, err
    after = load_weights(tmp_path / "w2.npz")
    assert after.sizes == before.sizes and not np.array_equal(after.weights[0], before.weights[0])


def test_gradcheck_passes_and_fails_on_tolerance():
    args = ["gradcheck", "--layers", "4,5,5,3", "--activations", "tanh", "--output-activation", "softmax",
            "--cost", "log-likelihood"]
    status, out, _ = run(*args)
    assert status == 0 and "PASS" in out and out.count("max relative error") == 3
    status, out, _ = run(*args, "--tolerance", "0")
    assert status == 1 and "FAIL" in out


def test_divergence_exits_1_and_keeps_finite_weights(tmp_path):
    save = tmp_path / "d.npz"
    status, out, err = run("train", "--data", "sine", "--layers", "1,20,1", "--activations", "relu",
                           "--output-activation", "linear", "--cost", "quadratic", "--lr", "1000",
                           "--epochs", "5", "--save", str(save))
    assert status == 1
    assert "diverged" in err and "learning rate (1000)" in err
    net = load_weights(save)  # load_weights rejects NaN/inf, so this proves the weights are finite
    assert net.sizes == [1, 20, 1]


def test_data_summary_and_export(tmp_path):
    status, out, _ = run("data", "teacher:items=300", "--export", str(tmp_path / "teacher.csv"))
    assert status == 0
    assert "Teacher" in out and "Exported" in out
    assert (tmp_path / "teacher.csv").read_text().count("\n") >= 300


@pytest.mark.parametrize("argv,phrase", [
    (["train", "--data", "xor", "--layers", "3,4,1"], "does not fit the data"),
    (["train", "--data", "xor", "--activations", "swish"], "unknown hidden activation 'swish'"),
    (["train", "--data", "xor", "--lr", "-1"], "--lr must be a positive number"),
    (["train", "--data", "xor", "--batch-size", "0"], "--batch-size must be at least 1"),
    (["train", "--data", "xor", "--batch-size", "ten"], "--batch-size must be a whole number"),
    (["train", "--data", "xor", "--cost", "hinge"], "invalid choice: 'hinge'"),
    (["train", "--data", "xor", "--layers", "2,x,1"], "--layers must be comma-separated whole numbers"),
    (["train", "--data", "xor", "--layers", "2,3,3,1", "--activations", "tanh,tanh,tanh"], "3 activations"),
    (["train", "--data", "xor", "--layer-lr", "1,2,3"], "one learning-rate multiplier per layer"),
    (["train", "--data", "xor", "--validation-split", "1.5"], "--validation-split must be between 0 and 1"),
    (["train", "--data", "xor", "--output-activation", "linear", "--cost", "cross-entropy"], "between 0 and 1"),
    (["train", "--data", "sine", "--layers", "1,4,1"], "needs targets between 0 and 1"),
    (["train", "--data", "no-such-source"], "no-such-source"),
    (["train", "--data", "xor", "--init-weights", "/nonexistent/w.npz"], "no such file"),
    (["train", "--session", "/nonexistent/s.wbsession"], "no such file"),
    (["train", "--data", "xor", "--seed", "-1"], "--seed must be at least 0"),
    (["evaluate", "--weights", "/nonexistent/w.npz", "--data", "xor"], "no such file"),
    (["gradcheck"], "gradcheck needs --layers"),
    (["train"], "--data"),
    ([], "COMMAND"),
])
def test_bad_arguments_give_one_line_and_exit_2(argv, phrase):
    status, out, err = run(*argv)
    assert status == 2
    assert phrase in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_empty_csv_gives_one_line(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    status, _, err = run("train", "--data", f"csv:{path}")
    assert status == 2 and "empty" in err.lower() and err.count("\n") == 1


def test_bad_argument_in_a_subprocess_has_no_traceback():
    result = subprocess.run([sys.executable, "-m", "workbench", "train", "--data", "xor", "--epochs", "0"],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr.strip() == "workbench: error: --epochs must be at least 1, not 0"


# -- sessions -----------------------------------------------------------------------------------------
def _weights_equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.weights + a.biases, b.weights + b.biases))


def _window_run(spec, arch, options, hp, epochs_trained=0, steps_trained=0, net=None):
    """Train as the window does: runsetup's network and arguments, then core.train (returns the net)."""
    dataset = load_dataset(spec)
    if net is None:
        net = create_network(arch, **{k: options[k] for k in ("init", "bias_init", "seed", "dtype")})
    fresh = epochs_trained == 0 and steps_trained == 0
    X, Y, kwargs = training_arguments(dataset, seed=options["seed"], steps_trained=steps_trained,
                                      evaluate_initial=fresh)
    for _ in train(net, X, Y, Hyperparameters(**hp), **kwargs):
        pass
    return net


TEACHER = ["--data", "teacher:items=200,seed=3", "--layers", "4,6,3", "--activations", "tanh",
           "--output-activation", "softmax", "--cost", "log-likelihood", "--lr", "0.2", "--batch-size", "8",
           "--seed", "5"]


def test_save_session_then_continue_it(tmp_path):
    first, second = tmp_path / "first.wbsession", tmp_path / "second.wbsession"
    status, _, err = run("train", *TEACHER, "--epochs", "3", "--watch", "0,1,2", "--save-session", str(first),
                         "--log-every", "1")
    assert status == 0, err
    start = load_session(str(first))
    assert start.name == "first" and start.epochs_trained == 3 and start.network is not None
    assert start.hyperparameters["lr"] == 0.2 and start.hyperparameters["batch_size"] == 8
    before = RunHistory.from_json(start.history)
    assert before.epoch_count == 4 and before.watch == [(0, 1, 2)]      # epoch 0 (initial) + 3

    status, out, err = run("train", "--session", str(first), "--save-session", str(second), "--log-every", "1")
    assert status == 0, err
    assert "continuing after 3 epochs" in out and "Epoch 6/6" in out and "Initial" not in out
    after = load_session(str(second))
    assert after.epochs_trained == 6 and after.steps_trained == 2 * start.steps_trained
    assert after.data == start.data and after.watch == [(0, 1, 2)]
    assert not _weights_equal(after.network, start.network)
    history = RunHistory.from_json(after.history)
    assert history.epoch_count == before.epoch_count + 3
    assert history.batch_count == before.batch_count + start.steps_trained
    assert list(history.epoch_number()) == [0, 1, 2, 3, 4, 5, 6]
    assert list(history.batch_step()) == list(range(1, after.steps_trained + 1))
    assert history.batch_watched().shape == (1, after.steps_trained)


def test_cli_runs_are_set_up_as_the_window_sets_them_up(tmp_path):
    """Same seed and settings: the CLI and runsetup + train give the same weights bit for bit, for a
    fresh run and for a run continued from a session."""
    arch = {"sizes": [4, 6, 3], "activations": ["tanh", "softmax"], "cost": "log-likelihood"}
    options = {"init": "scaled-normal", "bias_init": "normal", "seed": 5, "dtype": "float32"}
    hp = {"lr": 0.2, "batch_size": 8, "epochs": 2}
    spec = "teacher:items=200,seed=3"
    status, _, err = run("train", *TEACHER, "--epochs", "2", "--save", str(tmp_path / "w.npz"),
                         "--save-session", str(tmp_path / "s.wbsession"))
    assert status == 0, err
    window = _window_run(spec, arch, options, hp)
    assert _weights_equal(load_weights(tmp_path / "w.npz"), window)

    session = load_session(str(tmp_path / "s.wbsession"))
    status, _, err = run("train", "--session", str(tmp_path / "s.wbsession"), "--epochs", "1",
                         "--save", str(tmp_path / "w2.npz"))
    assert status == 0, err
    _window_run(spec, arch, options, {**hp, "epochs": 1}, session.epochs_trained, session.steps_trained,
                net=window)
    assert _weights_equal(load_weights(tmp_path / "w2.npz"), window)


def test_command_line_options_override_the_session(tmp_path):
    first, second = tmp_path / "a.wbsession", tmp_path / "b.wbsession"
    assert run("train", *TEACHER, "--epochs", "1", "--save-session", str(first))[0] == 0
    status, out, err = run("train", "--session", str(first), "--epochs", "2", "--lr", "0.05",
                           "--log", str(tmp_path / "l.jsonl"), "--save-session", str(second), "--log-every", "1")
    assert status == 0, err
    assert "η=0.05" in out and "Epoch 3/3" in out
    assert [json.loads(line)["epoch"] for line in (tmp_path / "l.jsonl").read_text().splitlines()] == [2, 3]
    saved = load_session(str(second))
    assert saved.hyperparameters["lr"] == 0.05 and saved.hyperparameters["epochs"] == 2
    assert saved.hyperparameters["batch_size"] == 8 and saved.epochs_trained == 3     # the rest kept


def test_window_session_without_weights_starts_afresh_from_its_settings(tmp_path):
    """A window session saved without weights: a new network from its seed, its history replaced."""
    arch = {"sizes": [2, 3, 1], "activations": ["tanh", "sigmoid"], "cost": "cross-entropy"}
    panel = {"optimizer": "momentum", "lr": 0.3, "momentum": 0.8, "batch_size": "full", "epochs": 4,
             "l2": 0.0, "layer_lr": [2.0, 1.0], "init": "xavier", "bias_init": "zero", "seed": 9,
             "dtype": "float64", "resolution": "epoch"}
    path = tmp_path / "w.wbsession"
    save_session(str(path), Session(name="From the window", architecture=arch, hyperparameters=panel,
                                    data="xor", epochs_trained=12, steps_trained=12,
                                    history=RunHistory(2, True).to_json()))
    status, out, err = run("train", "--session", str(path), "--save-session", str(path))
    assert status == 0, err
    assert "Initial" in out and "Epoch 4/4" in out
    saved = load_session(str(path))
    assert saved.name == "From the window" and saved.epochs_trained == 4 and saved.steps_trained == 4
    assert saved.hyperparameters == panel and saved.network.dtype == np.float64
    assert list(RunHistory.from_json(saved.history).epoch_number()) == [0, 4]    # tiny epochs: auto summaries
    window = _window_run("xor", arch, panel, {k: panel[k] for k in
                                              ("optimizer", "lr", "momentum", "batch_size", "epochs", "layer_lr")})
    assert _weights_equal(saved.network, window)


def test_diverging_session_exits_1_and_saves_finite_weights(tmp_path):
    first, second = tmp_path / "a.wbsession", tmp_path / "b.wbsession"
    assert run("train", "--data", "sine", "--layers", "1,20,1", "--activations", "relu",
               "--output-activation", "linear", "--cost", "quadratic", "--lr", "0.01", "--epochs", "1",
               "--save-session", str(first))[0] == 0
    status, out, err = run("train", "--session", str(first), "--lr", "1000", "--save-session", str(second))
    assert status == 1 and "diverged" in err and "Saved session" in out
    saved = load_session(str(second))       # load_weights inside rejects NaN/inf: the weights are finite
    assert all(np.isfinite(w).all() for w in saved.network.weights)
    history = RunHistory.from_json(saved.history)
    assert [text for _, text in history.markers] == ["diverged"]
    assert saved.steps_trained == int(history.batch_step()[-1])


@pytest.mark.parametrize("content, phrase", [
    ('{"format": "workbench-session", ', "corrupt: invalid JSON at line 1"),
    ("[1, 2]", "is not a Workbench session"),
    (b"\xff\xfe garbage", "not UTF-8"),
])
def test_damaged_session_gives_one_line_and_exit_2(tmp_path, content, phrase):
    path = tmp_path / "bad.wbsession"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    status, out, err = run("train", "--session", str(path))
    assert status == 2 and phrase in err
    assert err.count("\n") == 1 and err.startswith("workbench: error: ") and "Traceback" not in err


def test_bad_values_in_a_session_are_named(tmp_path):
    path = tmp_path / "s.wbsession"
    assert run("train", "--data", "xor", "--epochs", "1", "--save-session", str(path))[0] == 0
    doc = json.loads(path.read_text())
    for key, value, phrase in (("lr", "fast", "'lr' in"), ("epochs", 0, "'epochs' in"),
                               ("init", "magic", "'init' in"), ("momentum", 1.5, "Momentum must be")):
        bad = json.loads(json.dumps(doc))
        bad["hyperparameters"][key] = value
        path.write_text(json.dumps(bad))
        status, _, err = run("train", "--session", str(path))
        assert status == 2 and phrase in err and str(path) in err and err.count("\n") == 1, err


@pytest.mark.parametrize("argv,line", [
    (["--lr", "0"], "--lr must be a positive number, not 0.0"),
    (["--lr", "-1"], "--lr must be a positive number, not -1.0"),
    (["--momentum", "-1"], "--momentum is -1.0; it must be 0 or more"),
    (["--l2", "-0.5"], "--l2 is -0.5; it must be 0 or more"),
])
def test_bad_training_values_name_their_option(argv, line):
    status, _, err = run("train", "--data", "xor", *argv)
    assert status == 2 and err == f"workbench: error: {line}\n"


def test_the_clis_own_rules_name_the_session_entry(tmp_path):
    path = tmp_path / "s.wbsession"
    assert run("train", "--data", "xor", "--epochs", "1", "--save-session", str(path))[0] == 0
    doc = json.loads(path.read_text())
    for key, value, phrase in (("lr", 0, f"'lr' in {path} must be a positive number"),
                               ("lr", -1, f"'lr' in {path} (the learning rate η) is -1"),
                               ("seed", 2**40, f"'seed' in {path} must be at most 2,147,483,647"),
                               ("epochs", 0, f"'epochs' in {path} must be at least 1")):
        bad = json.loads(json.dumps(doc))
        bad["hyperparameters"][key] = value
        path.write_text(json.dumps(bad))
        status, _, err = run("train", "--session", str(path))
        assert status == 2 and phrase in err and err.count("\n") == 1, err


def test_session_option_conflicts_exit_2(tmp_path):
    path = tmp_path / "s.wbsession"
    assert run("train", "--data", "xor", "--layers", "2,3,1", "--epochs", "1", "--save-session", str(path))[0] == 0
    status, _, err = run("train", "--session", str(path), "--layers", "2,4,1")
    assert status == 2 and "--layers would change the network" in err
    status, _, err = run("train", "--session", str(path), "--init-weights", str(tmp_path / "w.npz"))
    assert status == 2 and "--init-weights cannot be combined" in err
    status, _, err = run("train", "--session", str(path), "--data", "teacher")
    assert status == 2 and "do not fit the data" in err
    save_session(str(path), Session(name="empty"))
    status, _, err = run("train", "--session", str(path))
    assert status == 2 and "train needs --data" in err
    save_session(str(path), Session(name="bad history", data="xor", history={"format": "workbench-plots"}))
    status, _, err = run("train", "--session", str(path))
    assert status == 2 and "plot history is incomplete or damaged" in err and err.count("\n") == 1
