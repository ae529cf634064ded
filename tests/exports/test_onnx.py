"""ONNX export: the graph's layout, its versions, and onnxruntime against our forward pass."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.exports.networks import RECIPES, inputs, network, recipe_id
from workbench.exports import ExportError, MissingPackage, TargetExists, export_network

onnx = pytest.importorskip("onnx")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("recipe", RECIPES, ids=recipe_id)
def test_onnxruntime_matches_our_forward_pass(recipe, dtype, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    net = network(recipe, dtype)
    path = tmp_path / "net.onnx"
    assert export_network(net, "onnx", path) == [str(path)]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X = inputs(net, 1000)
    (ours_onnx,) = session.run(["output"], {"input": X})
    ours = net.forward(X)
    assert ours_onnx.dtype == np.dtype(dtype) and ours_onnx.shape == (1000, net.sizes[-1])
    assert np.max(np.abs(ours_onnx - ours)) <= 1e-5
    (one,) = session.run(["output"], {"input": X[:1]})      # the batch dimension is free
    assert one.shape == (1, net.sizes[-1])


def test_the_graph_is_gemm_then_activation_with_readable_names(tmp_path):
    net = network(([4, 6, 5, 3], ["relu", "leaky-relu", "softmax"], "log-likelihood"), "float64")
    export_network(net, "onnx", tmp_path / "n.onnx")
    model = onnx.load(str(tmp_path / "n.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert [op.version for op in model.opset_import if op.domain in ("", "ai.onnx")] == [17]
    assert model.ir_version == 8                # what opset 17 needs, not the newest onnx knows
    graph = model.graph
    assert [(n.op_type, n.name) for n in graph.node] == [
        ("Gemm", "layer1.gemm"), ("Relu", "layer1.relu"), ("Gemm", "layer2.gemm"),
        ("LeakyRelu", "layer2.leaky-relu"), ("Gemm", "layer3.gemm"), ("Softmax", "layer3.softmax")]
    attributes = {n.name: {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for n in graph.node}
    assert all(attributes[f"layer{k}.gemm"] == {"transB": 1} for k in (1, 2, 3))
    assert attributes["layer2.leaky-relu"]["alpha"] == pytest.approx(0.01)
    assert attributes["layer3.softmax"]["axis"] == -1
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    assert sorted(weights) == ["layer1.bias", "layer1.weight", "layer2.bias", "layer2.weight",
                               "layer3.bias", "layer3.weight"]
    assert np.array_equal(weights["layer1.weight"], net.weights[0].T)        # (out, in)
    assert weights["layer1.weight"].shape == (6, 4) and weights["layer3.bias"].dtype == np.float64
    assert graph.node[-1].output == ["output"] and graph.node[0].input[0] == "input"
    (inp,), (out,) = graph.input, graph.output
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["batch", 4]
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["batch", 3]
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["workbench.architecture"]) == net.architecture()
    assert meta["workbench.cost"] == "log-likelihood"
    assert "4-6-5-3" in model.doc_string and "log-likelihood" in model.doc_string
    assert model.producer_name == "Workbench"


def test_a_linear_layer_has_no_activation_node(tmp_path):
    net = network(([2, 8, 1], ["linear", "linear"], "quadratic"))
    export_network(net, "onnx", tmp_path / "n.onnx")
    graph = onnx.load(str(tmp_path / "n.onnx")).graph
    assert [n.op_type for n in graph.node] == ["Gemm", "Gemm"]
    assert list(graph.node[0].output) == ["layer1.z"] and list(graph.node[1].output) == ["output"]


@pytest.mark.parametrize("fmt, shown", [("onnx", "ONNX"), ("pytorch", "PyTorch"), ("json", "JSON"), ("csv", "CSV")])
def test_non_finite_weights_are_refused_and_nothing_is_written(tmp_path, fmt, shown):
    net = network(RECIPES[0])
    net.biases[1][0] = np.nan
    with pytest.raises(ExportError, match=rf"^Layer 2's biases hold NaN or infinite values, which an? {shown} export "):
        export_network(net, fmt, tmp_path / "n")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_with_force_keeping_its_mode(tmp_path):
    net = network(RECIPES[1])
    path = tmp_path / "n.onnx"
    path.write_bytes(b"old")
    path.chmod(0o640)
    with pytest.raises(TargetExists, match="already exists"):
        export_network(net, "onnx", path)
    assert path.read_bytes() == b"old"
    export_network(net, "onnx", path, force=True)
    assert onnx.load(str(path)).graph.node[0].op_type == "Gemm"
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.onnx"]


def test_without_onnx_the_export_says_what_to_install(tmp_path):
    script = f"""
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'onnx':
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import numpy as np
from workbench.core import Network
from workbench.exports import MissingPackage, export_network
net = Network.create([2, 2, 1], ['sigmoid', 'sigmoid'], 'cross-entropy', rng=np.random.default_rng(0))
try:
    export_network(net, 'onnx', {str(tmp_path / 'n.onnx')!r})
except MissingPackage as exc:
    print(exc)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("ONNX export needs the onnx package: pip install 'workbench[onnx]' "
                                     "(or pip install onnx).")
    assert not (tmp_path / "n.onnx").exists()
    assert issubclass(MissingPackage, ExportError)
