"""Scripted runs of the window (``main.py --session F --screenshot/--save-session``) never wait on
a message box: a session the window refuses, data that does not load and any box that shows end
the run with status 1 and the reason on stderr; a diverged run (an outcome a script accepts) says
so and goes on.  Each run is a subprocess (one QApplication per process), bounded in time."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
XOR = REPO / "resources" / "sessions" / "xor.wbsession"


def _run(tmp_path, *args, timeout=90):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_SETTINGS": str(tmp_path / "s.ini")}
    try:
        return subprocess.run([sys.executable, str(REPO / "main.py"), *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"main.py {' '.join(args)} was still running after {timeout} s (waiting on a box?)")


def _session(tmp_path, change) -> str:
    doc = json.loads(XOR.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "s.wbsession"
    path.write_text(json.dumps(doc) if isinstance(doc, dict) else doc)
    return str(path)


REFUSED = [  # (what, change, extra arguments, words on stderr)
    ("layer_lr for one layer", lambda d: d["hyperparameters"].update(layer_lr=[1.0]), ["--screenshot"], "'layer_lr'"),
    ("lr null", lambda d: d["hyperparameters"].update(lr=None), ["--train-epochs", "3", "--view", "diagram",
                                                                 "--screenshot"], "'lr'"),
    ("lr beyond the panel", lambda d: d["hyperparameters"].update(lr=5000.0), ["--save-session"],
     "the training panel's range"),
    ("an unknown data source", lambda d: d.update(data="xxor"), ["--screenshot"], "Unknown data source"),
]


@pytest.mark.parametrize("what, change, extra, words", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_session_ends_a_scripted_run_with_the_reason(tmp_path, what, change, extra, words):
    out = tmp_path / "out.png"
    result = _run(tmp_path, "--session", _session(tmp_path, change), *extra, str(out))
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("workbench:")]
    assert len(lines) == 1 and words in lines[0] and "s.wbsession" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_json_nested_100000_deep_ends_a_scripted_run(tmp_path):
    path = tmp_path / "deep.wbsession"
    path.write_text('{"format": "workbench-session", "version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = _run(tmp_path, "--session", str(path), "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 1 and "nested too deeply" in result.stderr and "Traceback" not in result.stderr


def test_data_that_does_not_load_fails_a_screenshot_run(tmp_path):
    """Without --train-epochs the screenshot used to be taken (status 0) with the data missing."""
    session = _session(tmp_path, lambda d: d.update(data="csv:/nonexistent/table.csv"))
    result = _run(tmp_path, "--session", session, "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 1
    assert "the data set did not load: Cannot open /nonexistent/table.csv" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_a_diverging_scripted_run_says_so_and_does_not_wait_on_its_box(tmp_path):
    def diverging(d):
        d.update(architecture={"sizes": [2, 16, 1], "activations": ["relu", "linear"], "cost": "quadratic"},
                 weights=None, history=None)
        d["hyperparameters"].update(lr=1000.0, optimizer="sgd", batch_size="full")

    out = tmp_path / "diverged.png"
    result = _run(tmp_path, "--session", _session(tmp_path, diverging), "--train-epochs", "200",
                  "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    assert "workbench: Training diverged:" in result.stderr and out.exists()
