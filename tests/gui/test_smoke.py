"""Start-up smoke tests: ``main.py`` in a subprocess (Qt allows one QApplication per process)."""

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(tmp_path, *args, timeout=120, **variables):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_SETTINGS": str(tmp_path / "s.ini"), **variables}
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


def test_screenshot_of_the_empty_window(tmp_path):
    out = tmp_path / "shot.png"
    result = _run(tmp_path, "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    assert _png_size(out) == (1280, 800)
    assert out.stat().st_size > 20_000          # a real window, not a blank image
    assert "Traceback" not in result.stderr


def test_session_trained_then_screenshot(tmp_path):
    out = tmp_path / "trained.png"
    result = _run(tmp_path, "--session", str(REPO / "resources" / "sessions" / "xor.wbsession"),
                  "--train-epochs", "20", "--screenshot", str(out), "--size", "1024x768")
    assert result.returncode == 0, result.stderr
    assert _png_size(out) == (1024, 768) or _png_size(out)[0] >= 1024
    assert "Traceback" not in result.stderr


def test_bad_arguments_and_bad_session(tmp_path):
    result = _run(tmp_path, "--size", "huge")
    assert result.returncode == 2 and "WIDTHxHEIGHT" in result.stderr
    bad = tmp_path / "bad.wbsession"
    bad.write_text("{}")
    result = _run(tmp_path, "--session", str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 1
    assert "not a Workbench session" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_an_unknown_engine_is_refused_before_any_window(tmp_path):
    result = _run(tmp_path, "--session", str(REPO / "resources" / "sessions" / "xor.wbsession"),
                  "--train-epochs", "2", "--screenshot", str(tmp_path / "x.png"), timeout=60,
                  WORKBENCH_ENGINE="bogus")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "workbench: $WORKBENCH_ENGINE is 'bogus'; set it to one of auto, numpy, compiled or leave it unset."]
    assert not (tmp_path / "x.png").exists()


def test_a_compiled_engine_that_cannot_import_numba_is_refused_before_any_window(tmp_path):
    result = _run(tmp_path, "--session", str(REPO / "resources" / "sessions" / "xor.wbsession"),
                  "--train-epochs", "2", "--screenshot", str(tmp_path / "x.png"), timeout=60,
                  WORKBENCH_ENGINE="compiled", NUMBA_NUM_THREADS="0")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("workbench: $WORKBENCH_ENGINE is 'compiled' but the compiled engine cannot be "
                           "used here (importing numba failed") and line.endswith("set it to numpy or auto.")
    assert not (tmp_path / "x.png").exists()


def test_scripted_run_says_why_the_data_did_not_load(tmp_path):
    """MNIST neither cached nor downloadable (the mirrors point at a closed local port)."""
    result = _run(tmp_path, "--session", str(REPO / "resources" / "sessions" / "vanishing-gradient.wbsession"),
                  "--train-epochs", "1", "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 1, result.stderr
    assert "the data set did not load: Could not download MNIST" in result.stderr
    assert "mnist:DIR" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_views_are_listed_and_a_bad_view_is_refused(tmp_path):
    result = _run(tmp_path, "--list-views")
    assert result.returncode == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == [
        "curves", "output-map", "predictions", "first-layer", "input-gradients", "gradient-bars",
        "gradient-check", "distributions", "followed", "universality", "worked-step", "diagram", "lab-notes",
        "runs"]
    result = _run(tmp_path, "--view", "nonsense", "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 2 and "no view called 'nonsense'" in result.stderr


def test_scripted_run_saves_the_session_with_its_weights_and_exits(tmp_path):
    """--save-session alone (no screenshot) ends the run too, and the saved session continues."""
    import json

    out = tmp_path / "trained.wbsession"
    result = _run(tmp_path, "--session", str(REPO / "resources" / "sessions" / "xor.wbsession"),
                  "--train-epochs", "20", "--view", "diagram", "--save-session", str(out), timeout=60)
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["weights"] is not None and doc["epochs_trained"] == 20
    assert len(doc["history"]["epochs"]["epoch"]) == 21
    result = _run(tmp_path, "--session", str(REPO / "resources" / "sessions" / "xor.wbsession"),
                  "--train-epochs", "1", "--save-session", str(tmp_path / "no" / "such" / "dir.wbsession"))
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1] == (   # refused before training
        f"workbench: --save-session {tmp_path / 'no' / 'such' / 'dir.wbsession'}: the folder "
        f"{tmp_path / 'no' / 'such'} does not exist.")


def test_scripted_run_reports_a_damaged_history_instead_of_waiting_on_a_box(tmp_path):
    bad = tmp_path / "h.wbsession"
    bad.write_text('{"format": "workbench-session", "version": 1, "name": "x", '
                   '"history": {"format": "workbench-plots", "version": 1, "n_layers": "two"}}')
    result = _run(tmp_path, "--session", str(bad), "--screenshot", str(tmp_path / "x.png"), timeout=60)
    assert result.returncode == 1 and "incomplete or damaged" in result.stderr
    assert not (tmp_path / "x.png").exists()
