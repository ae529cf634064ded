"""The command line under hostile values and faults: one sentence and status 2 for anything it can
refuse before work starts; a disk that fills up mid-run stops only what it holds (status 3), and the
weights are still saved elsewhere.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main
from workbench.cli_args import UsageError
from workbench.cli_outputs import _Log, _open_log
from workbench.core import Network, kernel, load_weights, save_weights
from workbench.core.sessionfile import load_session

REPO = Path(__file__).resolve().parent.parent
TRAIN = ["train", "--data", "xor", "--epochs", "1"]
HUGE = "9" * 30
DIGITS = "9" * 5000                     # beyond int()'s 4,300-digit limit


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def refused(*argv, phrase=None):
    """Run; assert status 2 with one line on stderr (containing ``phrase``) and no training."""
    status, out, err = run(*argv)
    assert status == 2, (argv, status, err)
    assert err.count("\n") == 1 and err.startswith("workbench: error: ") and "Traceback" not in err, err
    assert len(err) < 400, err                         # never a 5,000-digit echo
    assert "Training" not in out
    if phrase:
        assert phrase in err, err
    return err


# -- item 3: seeds, tolerance, empty names ---------------------------------------------------------------
@pytest.mark.parametrize("argv, phrase", [
    (TRAIN + ["--seed", "-1"], "--seed must be at least 0"),
    (TRAIN + ["--seed", str(2**31)], "--seed must be at most 2,147,483,647"),
    (["gradcheck", "--layers", "2,3,1", "--seed", "-1"], "--seed must be at least 0"),
    (["gradcheck", "--layers", "2,3,1", "--tolerance", "nan"], "--tolerance must be a finite number"),
    (["gradcheck", "--layers", "2,3,1", "--tolerance", "-1"], "--tolerance must be a number ≥ 0"),
    (TRAIN + ["--save", ""], "--save needs a file name"),
    (TRAIN + ["--save-session", " "], "--save-session needs a file name"),
    (TRAIN + ["--log", ""], "--log needs a file name"),
    (TRAIN + ["--init-weights", ""], "--init-weights needs a file name"),
    (["train", "--session", ""], "--session needs a file name"),
    (["evaluate", "--weights", "", "--data", "xor"], "--weights needs a file name"),
    (["data", "xor", "--export", ""], "--export needs a file name"),
    (["data", ""], "the data source is empty"),
])
def test_hostile_seed_tolerance_and_empty_names_exit_2(argv, phrase):
    refused(*argv, phrase=phrase)


# -- item 4: layer sizes through check_architecture, before the data loads ----------------------------
@pytest.mark.parametrize("layers, phrase", [
    ("2,1000000000,1", "at most 4,096"),
    (f"2,{HUGE},1", "at most 4,096"),
    ("2,0,1", "at least 1"),
    ("2,-3,1", "at least 1"),
    ("2," + "3," * 70 + "1", "at most 64"),
    ("2," + "4096," * 7 + "1", "would need about"),
    (f"2,{DIGITS},1", "comma-separated whole numbers"),
])
def test_layer_sizes_are_refused_before_the_data_is_loaded(layers, phrase):
    err = refused("train", "--data", "csv:/nonexistent/never-read.csv", "--layers", layers, phrase=phrase)
    assert "never-read" not in err
    refused("gradcheck", "--layers", layers, phrase=phrase)


def test_gradcheck_bounds_its_memory_and_its_work():
    refused("gradcheck", "--layers", "1000000,1,2", "--samples", "10000", phrase="multiply-adds")
    refused("gradcheck", "--layers", "3,2,1048576", "--samples", "1", "--activations", "tanh",
            "--output-activation", "softmax", "--cost", "log-likelihood", phrase="multiply-adds")
    refused("gradcheck", "--layers", "784,100,10", "--samples", "1000", phrase="fewer samples")


# -- item 4: every option of every subcommand, with bad values ----------------------------------------
NUMBERS = ["nan", "inf", "-inf", "1e400", "abc", "", "0x10"]
WHOLE = NUMBERS + ["1.5", "-1", f"-{HUGE}", DIGITS]


def _sweep(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir(exist_ok=True)
    missing = tmp_path / "missing" / "file"
    weights = tmp_path / "xor.npz"
    save_weights(Network.create([2, 3, 1], ["sigmoid", "sigmoid"], rng=np.random.default_rng(0)), weights)
    inputs = ["", str(missing), str(folder)]
    outputs = ["", " ", str(missing), str(folder)]
    common = {
        "--data": ["", "nan", "no-such-source"], "--target": ["nan", DIGITS],
        "--layers": ["", "2,nan,1", "2,inf,1", f"2,{HUGE},1", "2,-1,1", DIGITS, "2"],
        "--activations": ["nan", "", "softmax", DIGITS], "--output-activation": ["nan", ""],
        "--cost": ["nan", ""], "--init": ["nan"], "--bias-init": ["nan"], "--dtype": ["float16", "nan"],
        "--seed": WHOLE + [HUGE, str(2**31)],
    }
    train = {
        **common, "--session": inputs, "--save-session": outputs, "--optimizer": ["nan", ""],
        "--lr": NUMBERS + ["-1", "0"], "--momentum": NUMBERS + ["-1", "1", "5"], "--l2": NUMBERS + ["-1"],
        "--batch-size": WHOLE + ["0"], "--epochs": WHOLE + ["0", HUGE],
        "--layer-lr": ["nan,1", "inf,1", "-1,1", "abc", "1e400,1", "1,2,3"],
        "--validation-split": NUMBERS + ["-1", "0", "1", "2"],
        "--watch": ["0,0,99", f"0,0,{HUGE}", "a,b,c", "1,2", "-1,0,0", "", "5,0,0", DIGITS],
        "--init-weights": inputs, "--save": outputs, "--log": ["", str(missing), str(folder)],
        "--log-every": WHOLE + ["0"],
    }
    check = {**common, "--weights": inputs, "--samples": WHOLE + ["0", HUGE, "10001"],
             "--tolerance": NUMBERS + ["-1"]}
    evaluate = {"--weights": inputs, "--data": ["", "nan"], "--target": ["nan"], "--split": ["nan", ""]}
    data = {"--target": ["nan"], "--export": outputs + ["/dev/null"], "--split": ["nan", "test"]}
    return [(["train", "--data", "xor", "--epochs", "1"], train),
            (["gradcheck", "--layers", "2,3,1"], check),
            (["evaluate", "--weights", str(weights), "--data", "xor"], evaluate),
            (["data", "xor"], data)]


def test_every_option_of_every_subcommand_refuses_bad_values_in_one_line(tmp_path):
    started, cases = time.perf_counter(), 0
    for base, options in _sweep(tmp_path):
        for option, values in options.items():
            for value in values:
                argv = list(base)
                if option in argv:                    # replace the base's value of the option
                    argv[argv.index(option) + 1] = value
                else:
                    argv += [option, value]
                refused(*argv)
                cases += 1
    assert cases > 200 and time.perf_counter() - started < 60


def test_bad_values_in_a_subprocess_print_no_traceback():
    for argv in (["train", "--data", "xor", "--seed", HUGE], ["gradcheck", "--layers", "2,3,1", "--samples", HUGE],
                 ["train", "--data", "xor", "--layers", f"2,{DIGITS},1"]):
        result = subprocess.run([sys.executable, "-m", "workbench", *argv], capture_output=True, text=True,
                                timeout=60, cwd=REPO)
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_too_many_followed_weights_are_refused():
    watches = [arg for i in range(9) for arg in ("--watch", f"0,0,{i}")]
    refused(*TRAIN, "--layers", "2,10,1", *watches, phrase="at most 8")


def test_a_session_is_only_saved_with_settings_the_window_opens(tmp_path):
    refused(*TRAIN, "--lr", "5000", "--save-session", tmp_path / "s.wbsession", phrase="training panel")
    assert not (tmp_path / "s.wbsession").exists()


def test_evaluate_prints_a_confusion_matrix_only_for_a_few_classes(tmp_path):
    path = tmp_path / "wide.npz"
    status, out, err = run("data", "teacher:items=200,classes=60,inputs=4")
    assert status == 0, err
    save_weights(Network.create([4, 5, 60], ["tanh", "softmax"], "log-likelihood", rng=np.random.default_rng(0)),
                 path)
    status, out, err = run("evaluate", "--weights", path, "--data", "teacher:items=200,classes=60,inputs=4")
    assert status == 0, err
    assert "at most 50 classes" in out and out.count("\n") < 5


# -- item 2: output targets checked before training ---------------------------------------------------
def test_outputs_are_checked_before_anything_is_loaded_or_trained(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    spec = "csv:/nonexistent/never-read.csv"            # loading it would fail with another sentence
    for option in ("--save", "--save-session", "--log"):
        err = refused("train", "--data", spec, option, tmp_path / "missing" / "w", phrase="does not exist")
        assert str(tmp_path / "missing" / "w") in err and ".tmp" not in err
        if option != "--log":
            refused("train", "--data", spec, option, folder, phrase="is a folder")
            refused("train", "--data", spec, option, "/dev/null", phrase="not a file")
        refused("train", "--data", spec, option, not_a_folder / "w", phrase="is a file, not a folder")
    refused("data", spec, "--export", tmp_path / "missing" / "x.csv", phrase="does not exist")
    refused("data", spec, "--export", folder, phrase="is a folder")
    refused("data", spec, "--export", "/dev/null", phrase="not a file")
    same = tmp_path / "same"
    refused("train", "--data", spec, "--save", same, "--log", same, phrase="name the same file")
    session = tmp_path / "s.wbsession"
    session.write_text("{}")
    refused("train", "--session", session, "--log", session, phrase="would overwrite --session")
    assert session.read_text() == "{}"


def test_a_log_may_be_a_pipe_that_a_program_reads_but_never_waits_for_one(tmp_path):
    pipe = tmp_path / "log.pipe"
    os.mkfifo(pipe)
    started = time.perf_counter()
    refused(*TRAIN, "--log", pipe, phrase="a pipe that no program is reading")
    assert time.perf_counter() - started < 5
    lines = []

    def read():
        with open(pipe, encoding="utf-8") as stream:
            lines.extend(stream)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.2)                                     # the reader has the pipe open
    status, out, err = run(*TRAIN, "--log", pipe)
    reader.join(10)
    assert status == 0, err
    assert [json.loads(line)["epoch"] for line in lines] == [0, 1]


def test_a_log_named_dash_goes_to_standard_output_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(*TRAIN, "--log", "-", "--save", tmp_path / "w.npz")
    assert status == 0, err
    assert [json.loads(line)["epoch"] for line in out.splitlines()] == [0, 1]    # only the records
    assert "Training" in err and "Epoch 1/1" in err and "Saved weights" in err
    assert not (tmp_path / "-").exists()


def test_a_log_named_dash_in_a_subprocess_writes_its_records_to_the_pipe(tmp_path):
    result = subprocess.run([sys.executable, "-m", "workbench", *TRAIN, "--log", "-"], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["epoch"] for line in result.stdout.splitlines()] == [0, 1]
    assert not (tmp_path / "-").exists() and "Traceback" not in result.stderr


def test_a_log_onto_a_socket_says_it_is_a_socket(tmp_path):
    import socket

    path = tmp_path / "log.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        err = refused(*TRAIN, "--log", path, phrase="is a socket")
        assert "no program is reading" not in err
        with pytest.raises(UsageError, match="is a socket"):     # the opener's own sentence, too
            _open_log(str(path))
    finally:
        listener.close()


def test_a_log_on_standard_output_that_breaks_stops_only_the_log():
    class Broken(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    log = _Log("-", Broken(), err)
    log.write({"epoch": 3})
    assert not log.open and log.stopped == "Broken pipe"
    assert err.getvalue() == ("workbench: error: the log on standard output stopped at the summary of epoch 3: "
                              "Broken pipe; training goes on without it\n")


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs, unmounted afterwards; skipped where mounting is not allowed."""
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                                capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("mount is not available here")
    if result.returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=20)


def _fill(folder: Path, leave: int) -> None:
    """Fill the disk holding ``folder`` until about ``leave`` bytes are free."""
    with open(folder / "filler", "wb") as filler:
        try:
            while os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize > leave:
                filler.write(b"\0" * 4096)
                filler.flush()
        except OSError:
            pass


XOR_LONG = ["train", "--data", "xor", "--layers", "2,3,1", "--lr", "2", "--batch-size", "full",
            "--epochs", "400", "--log-every", "1"]


def test_a_full_disk_under_the_log_stops_only_the_log(small_disk, tmp_path):
    _fill(small_disk, 8192)
    log, weights, session = small_disk / "run.jsonl", tmp_path / "w.npz", tmp_path / "s.wbsession"
    status, out, err = run(*XOR_LONG, "--log", log, "--save", weights, "--save-session", session)
    assert status == 3, err
    assert err.count(f"the log {log} stopped at the summary of epoch ") == 1 and "No space left" in err
    assert "Epoch 400/400" in out                       # training went on to the end
    assert load_weights(weights).sizes == [2, 3, 1] and load_session(session).epochs_trained == 400
    records = log.read_text().splitlines()              # whole records only
    assert 0 < len(records) < 400 and [json.loads(r)["epoch"] for r in records] == list(range(len(records)))


def test_a_save_onto_a_full_disk_fails_alone_and_names_the_users_path(small_disk, tmp_path):
    _fill(small_disk, 0)
    refused(*TRAIN, "--save", small_disk / "w.npz", phrase="the disk holding it has")
    (small_disk / "filler").unlink()
    _fill(small_disk, 12 * 1024)                        # room at the start, filled by the log
    weights, session = small_disk / "w.npz", tmp_path / "s.wbsession"
    status, out, err = run(*XOR_LONG, "--log", small_disk / "run.jsonl", "--save", weights,
                           "--save-session", session)
    assert status == 3
    assert f"weights could not be written to {weights}: No space left on device" in err
    assert ".tmp" not in err and not [p for p in small_disk.iterdir() if p.name.endswith(".tmp")]
    assert load_session(session).epochs_trained == 400 and "Saved session" in out


def test_a_failed_export_says_so_with_status_3(small_disk):
    _fill(small_disk, 4096)
    path = small_disk / "teacher.csv"
    status, out, err = run("data", "teacher:items=2000", "--export", path)
    assert status == 3 and str(path) in err and ".tmp" not in err and err.count("\n") == 1
    assert not path.exists()


# -- item 5: an engine that cannot be used ------------------------------------------------------------
def test_an_unknown_engine_is_refused_before_the_data_loads(monkeypatch):
    monkeypatch.setenv("WORKBENCH_ENGINE", "turbo")
    refused("train", "--data", "csv:/nonexistent/never-read.csv", phrase="$WORKBENCH_ENGINE is 'turbo'")


def test_a_compiled_engine_that_cannot_be_used_is_one_sentence(monkeypatch):
    monkeypatch.setenv("WORKBENCH_ENGINE", "compiled")
    monkeypatch.setattr(kernel, "_ready", set())
    monkeypatch.setattr(kernel, "_failure", None)
    monkeypatch.setattr(kernel, "_self_check", lambda name: "its float32 results differ by 0.5")
    refused(*TRAIN, phrase="The compiled engine cannot be used here: its float32 results differ")


def test_numba_failing_on_import_is_one_sentence_too():
    env = dict(os.environ, NUMBA_NUM_THREADS="0", WORKBENCH_ENGINE="compiled")
    result = subprocess.run([sys.executable, "-m", "workbench", *TRAIN], capture_output=True, text=True,
                            timeout=120, cwd=REPO, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "compiled engine cannot be used" in result.stderr
    env["WORKBENCH_ENGINE"] = "auto"                    # the numpy engine trains instead
    result = subprocess.run([sys.executable, "-m", "workbench", *TRAIN], capture_output=True, text=True,
                            timeout=120, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
