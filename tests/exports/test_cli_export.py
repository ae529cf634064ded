"""`python -m workbench export`: every format from a weight file or a session, and the refusals
(one line, status 2, nothing written) and a write that fails in the end (status 3)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.exports.networks import inputs, network
from workbench.cli import main
from workbench.core import load_weights, save_weights
from workbench.exports.pytorch_handover import FILES

REPO = Path(__file__).resolve().parents[2]


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def refused(*argv, phrase):
    status, out, err = run(*argv)
    assert status == 2, (argv, status, err)
    assert err.count("\n") == 1 and err.startswith("workbench: error: ") and "Traceback" not in err, err
    assert phrase in err, err
    assert out == ""
    return err


@pytest.fixture
def weights(tmp_path):
    net = network(([4, 6, 3], ["tanh", "softmax"], "log-likelihood"))
    path = tmp_path / "net.npz"
    save_weights(net, path)
    return path


def test_onnx_from_a_weight_file(weights, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    status, out, err = run("export", "--weights", weights, "--format", "onnx", "--out", tmp_path / "n.onnx")
    assert (status, err) == (0, "")
    assert out == f"Exported a 4-6-3 network (tanh, softmax; log-likelihood cost) as ONNX model: {tmp_path / 'n.onnx'}\n"
    net = load_weights(weights)
    X = inputs(net)
    session = ort.InferenceSession(str(tmp_path / "n.onnx"), providers=["CPUExecutionProvider"])
    assert np.max(np.abs(session.run(None, {"input": X})[0] - net.forward(X))) <= 1e-5


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_json_and_csv_as_file_export_writes_them(weights, tmp_path, fmt):
    target = tmp_path / f"w.{fmt}"
    status, out, _ = run("export", "--weights", weights, "--format", fmt, "--out", target)
    assert status == 0 and str(target) in out
    text = target.read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(text)["sizes"] == [4, 6, 3]
    else:
        assert text.splitlines()[0] == "layer,kind,from,to,value" and len(text.splitlines()) == 1 + 4 * 6 + 6 + 6 * 3 + 3


def test_pytorch_from_a_session_carries_its_settings(tmp_path):
    session = tmp_path / "s.wbsession"
    status, _, err = run("train", "--data", "spiral:arms=3", "--layers", "2,8,3", "--activations", "tanh",
                         "--output-activation", "softmax", "--cost", "log-likelihood", "--optimizer", "momentum",
                         "--momentum", "0.7", "--lr", "0.2", "--l2", "2", "--layer-lr", "2,1", "--epochs", "2",
                         "--save-session", session)
    assert status == 0, err
    from workbench.data import load_dataset

    n_train = len(load_dataset("spiral:arms=3").train.X)
    status, out, err = run("export", "--session", session, "--format", "pytorch", "--out", tmp_path / "pt")
    assert (status, err) == (0, ""), err
    assert out.splitlines()[1:] == [f"  {tmp_path / 'pt' / name}" for name in FILES]
    source = (tmp_path / "pt" / "model.py").read_text(encoding="utf-8")
    for line in ("OPTIMIZER = 'momentum'", "LEARNING_RATE = 0.2", "MOMENTUM = 0.7", "L2 = 2.0",
                 f"N_TRAIN = {n_train}", "LAYER_LR = [2.0, 1.0]", "EPOCHS = 2"):
        assert line in source, line


def test_pytorch_from_a_session_takes_the_training_items_its_run_had(tmp_path):
    """A --validation-split run trained on fewer items than the data's training split: n is the run's."""
    session = tmp_path / "s.wbsession"
    status, _, err = run("train", "--data", "spiral:arms=3", "--layers", "2,8,3", "--l2", "1", "--epochs", "2",
                         "--validation-split", "0.5", "--save-session", session)
    assert status == 0, err
    from workbench.data import load_dataset

    n_all = len(load_dataset("spiral:arms=3").train.X)
    status, _, err = run("export", "--session", session, "--format", "pytorch", "--out", tmp_path / "pt")
    assert (status, err) == (0, ""), err
    source = (tmp_path / "pt" / "model.py").read_text(encoding="utf-8")
    assert f"N_TRAIN = {n_all - n_all // 2}" in source or f"N_TRAIN = {n_all // 2}" in source
    assert f"N_TRAIN = {n_all}\n" not in source


def test_pytorch_from_a_weight_file_holds_the_defaults(weights, tmp_path):
    status, _, _ = run("export", "--weights", weights, "--format", "pytorch", "--out", tmp_path / "pt")
    assert status == 0
    assert "Workbench's defaults" in (tmp_path / "pt" / "model.py").read_text(encoding="utf-8")


def test_an_existing_target_needs_force(weights, tmp_path):
    target = tmp_path / "n.onnx"
    target.write_bytes(b"keep")
    refused("export", "--weights", weights, "--format", "onnx", "--out", target,
            phrase=f"--out {target} already exists; add --force to replace it")
    assert target.read_bytes() == b"keep"
    assert run("export", "--weights", weights, "--format", "onnx", "--out", target, "--force")[0] == 0
    assert target.read_bytes() != b"keep"
    folder = tmp_path / "pt"
    folder.mkdir()
    (folder / "mine.txt").write_text("mine")
    refused("export", "--weights", weights, "--format", "pytorch", "--out", folder,
            phrase="is a folder that is not empty; add --force")
    assert sorted(p.name for p in folder.iterdir()) == ["mine.txt"]
    assert run("export", "--weights", weights, "--format", "pytorch", "--out", folder, "--force")[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, "mine.txt"])


@pytest.mark.parametrize("content, phrase", [
    (b"", "is not a Workbench weight file (.npz)"),
    (b"PK\x03\x04garbage", "is not a Workbench weight file"),
    (b"\x93NUMPY\x01\x00", "holds a single array"),
])
def test_a_bad_weight_file_is_refused(tmp_path, content, phrase):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    refused("export", "--weights", bad, "--format", "csv", "--out", tmp_path / "w.csv", phrase=phrase)
    assert not (tmp_path / "w.csv").exists()


def test_hostile_arguments_are_refused_in_one_line(weights, tmp_path):
    out = tmp_path / "w.json"
    cases = [
        (["--weights", tmp_path / "missing.npz", "--format", "json", "--out", out], "no such file"),
        (["--weights", tmp_path, "--format", "json", "--out", out], "is a folder, not a weight file"),
        (["--weights", "/dev/zero", "--format", "json", "--out", out], "is a device"),
        (["--weights", weights, "--format", "json", "--out", tmp_path / "no" / "w.json"], "does not exist"),
        (["--weights", weights, "--format", "json", "--out", tmp_path], "is a folder; name a file"),
        (["--weights", weights, "--format", "json", "--out", "/dev/null"], "is a device, not a file"),
        (["--weights", weights, "--format", "pytorch", "--out", weights], "is a file; the PyTorch hand-over is a folder"),
        (["--weights", weights, "--format", "pytorch", "--out", tmp_path / "no" / "pt"], "does not exist"),
        (["--weights", weights, "--format", "json", "--out", ""], "--out needs a file name"),
        (["--weights", weights, "--format", "xml", "--out", out], "invalid choice: 'xml'"),
        (["--weights", weights, "--session", weights, "--format", "json", "--out", out], "not allowed with"),
        (["--format", "json", "--out", out], "one of the arguments --weights --session is required"),
        (["--weights", weights, "--out", out], "the following arguments are required: --format"),
        (["--session", weights, "--format", "json", "--out", out], "not"),
    ]
    for argv, phrase in cases:
        refused("export", *argv, phrase=phrase)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.npz"]


def test_a_session_without_weights_is_refused(tmp_path):
    refused("export", "--session", REPO / "resources" / "sessions" / "xor.wbsession", "--format", "onnx",
            "--out", tmp_path / "x.onnx", phrase="holds no weights")


def test_a_read_only_folder_is_refused(weights, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:           # root writes anywhere: the folder answers as it would anyone else
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == folder and mode & os.W_OK
                            else real(p, mode, **k))
    try:
        refused("export", "--weights", weights, "--format", "onnx", "--out", folder / "n.onnx",
                phrase="files cannot be created")
        refused("export", "--weights", weights, "--format", "pytorch", "--out", folder / "pt",
                phrase="folders cannot be created")
        refused("export", "--weights", weights, "--format", "pytorch", "--out", folder,
                phrase="files cannot be created in the folder")
    finally:
        folder.chmod(0o755)
    assert list(folder.iterdir()) == []


def test_a_write_that_fails_in_the_end_exits_with_3_and_leaves_nothing(weights, tmp_path, monkeypatch):
    import workbench.core.atomic as atomic

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    for fmt, name in (("onnx", "n.onnx"), ("pytorch", "pt"), ("json", "w.json")):
        status, out, err = run("export", "--weights", weights, "--format", fmt, "--out", tmp_path / name)
        assert status == 3, (fmt, err)
        assert err == f"workbench: error: {tmp_path / name} could not be written: No space left on device\n"
        assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.npz"]


def test_without_onnx_the_command_says_what_to_install(weights, tmp_path):
    script = f"""
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'onnx':
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
from workbench.cli import main
sys.exit(main(['export', '--weights', {str(weights)!r}, '--format', 'onnx', '--out', {str(tmp_path / 'n.onnx')!r}]))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr == ("workbench: error: ONNX export needs the onnx package: pip install 'workbench[onnx]' "
                             "(or pip install onnx)\n")
    assert not (tmp_path / "n.onnx").exists()


def test_a_folder_holding_only_an_exports_staging_folder_needs_no_force(weights, tmp_path):
    """What the export itself counts as empty (tests/exports/test_pytorch_handover.py), the command does too."""
    (tmp_path / "pt" / ".wb-export-0badc0de").mkdir(parents=True)
    status, _, err = run("export", "--weights", weights, "--format", "pytorch", "--out", tmp_path / "pt")
    assert (status, err) == (0, "")
    (tmp_path / "pt" / "notes.txt").write_text("mine")
    refused("export", "--weights", weights, "--format", "pytorch", "--out", tmp_path / "pt",
            phrase="is a folder that is not empty; add --force")
