"""export_network's own rules, whatever the format: the formats, the target, importing without
the optional packages."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.exports.networks import RECIPES, network
from workbench.exports import FORMATS, SUFFIXES, ExportError, TargetExists, export_network

REPO = Path(__file__).resolve().parents[2]


def test_the_formats_are_the_contract():
    assert FORMATS == ("onnx", "pytorch", "json", "csv")
    assert set(SUFFIXES) == set(FORMATS)


def test_an_unknown_format_or_object_is_refused(tmp_path):
    with pytest.raises(ExportError, match=r"^Unknown export format 'tflite'; choose one of onnx, pytorch, json, csv\.$"):
        export_network(network(RECIPES[0]), "tflite", tmp_path / "x")
    with pytest.raises(ExportError, match="Only a Workbench network can be exported, not dict"):
        export_network({}, "json", tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["onnx", "json", "csv"])
def test_file_formats_refuse_folders_devices_and_existing_files(tmp_path, fmt):
    if fmt == "onnx":
        pytest.importorskip("onnx")
    net = network(RECIPES[2])
    with pytest.raises(ExportError, match="is a folder; name a file"):
        export_network(net, fmt, tmp_path, force=True)
    with pytest.raises(ExportError, match="is a device; an export is written only as a regular file"):
        export_network(net, fmt, "/dev/null", force=True)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match="is a named pipe"):
        export_network(net, fmt, fifo, force=True)
    with pytest.raises(ExportError, match="a part of the path before the last name is a file"):
        export_network(net, fmt, tmp_path / "pipe" / "x", force=True)
    target = tmp_path / f"w{SUFFIXES[fmt]}"
    target.write_text("old")
    with pytest.raises(TargetExists) as caught:
        export_network(net, fmt, target)
    assert caught.value.path == str(target) and not caught.value.folder
    assert target.read_text() == "old"
    assert export_network(net, fmt, target, force=True) == [str(target)]
    assert target.read_bytes() != b"old"


def test_json_export_round_trips_the_weights(tmp_path):
    import json

    import numpy as np

    net = network(RECIPES[2], "float64")
    export_network(net, "json", tmp_path / "w.json")
    document = json.loads((tmp_path / "w.json").read_text(encoding="utf-8"))
    assert document["sizes"] == net.sizes and document["cost"] == net.cost
    for layer, w, b in zip(document["layers"], net.weights, net.biases):
        assert np.array_equal(np.array(layer["weights"]), w) and np.array_equal(np.array(layer["biases"]), b)


def test_importing_the_package_needs_neither_onnx_nor_tensorboardx_nor_torch():
    script = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('onnx', 'onnxruntime', 'tensorboardX', 'torch', 'safetensors', 'PySide6'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import workbench.exports, workbench.exports.onnx_model, workbench.exports.pytorch_handover, workbench.exports.targets
import workbench.cli_export
print('ok')
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
