"""A network as an ONNX model: one ``Gemm`` per layer, then its activation (opset 17).

The graph reads ``input`` (batch, n_in) and writes ``output`` (batch, n_out); the batch dimension
is symbolic ("batch"), so any number of rows goes through. Layer k (1-based, first hidden layer
first) holds ``layerk.weight`` (n_out, n_in: PyTorch's and ONNX's (out, in) layout, the transpose
of Workbench's (n_in, n_out) matrix, hence ``transB=1``) and ``layerk.bias`` (n_out,), and computes
``layerk.z = input·Wᵀ + b`` and ``layerk.a = f(layerk.z)``. A linear layer has no activation node.
Tensors have the network's dtype (float32 or float64).

The model's ``ir_version`` is the lowest the opset needs (8 for opset 17), not the newest the
installed onnx stamps, which older runtimes refuse. ``doc_string`` and ``metadata_props`` carry the
architecture and the cost (which ONNX, an inference format, has no node for). Every model is
checked with ``onnx.checker.check_model(full_check=True)`` before it is returned.

Protobuf refuses messages over 2 GiB; no network Workbench builds comes near it (at most
``MAX_PARAMETERS`` = 10⁸ weights and biases, 800 MB as float64), so the weights are always inside
the model rather than in an external-data file.

onnx is imported here only, inside the functions: ``import workbench.exports`` works without it.
"""

from __future__ import annotations

import json

import numpy as np

from workbench.core import Network
from workbench.core.activations import LeakyReLU

from . import ExportError, MissingPackage, describe, refuse_non_finite

__all__ = ["OPSET", "onnx_model", "onnx_bytes", "require_onnx"]

OPSET = 17
INSTALL_HINT = "ONNX export needs the onnx package: pip install 'workbench[onnx]' (or pip install onnx)."

#: Workbench's activation name -> (ONNX operator, its attributes); "linear" has no node.
OPERATORS = {
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("Relu", {}),
    "leaky-relu": ("LeakyRelu", {"alpha": LeakyReLU.slope}),
    "softmax": ("Softmax", {"axis": -1}),
    "linear": None,
}


def require_onnx():
    """The onnx module, or MissingPackage saying what to install."""
    try:
        import onnx
    except ImportError:
        raise MissingPackage(INSTALL_HINT) from None
    return onnx


def onnx_model(net: Network):
    """``net`` as a checked ``onnx.ModelProto`` (see the module docstring for its layout).

    ExportError for a network ONNX cannot carry (non-finite weights); MissingPackage without onnx.
    """
    onnx = require_onnx()
    from onnx import TensorProto, helper

    refuse_non_finite(net, "ONNX")
    missing = [name for name in net.activations if name not in OPERATORS]
    if missing:     # a new activation in the core that nobody has taught the export yet
        raise ExportError(f"The {missing[0]} activation has no ONNX operator in this export.")
    elem_type = TensorProto.DOUBLE if net.dtype == np.float64 else TensorProto.FLOAT
    little = net.dtype.newbyteorder("<")

    model = onnx.ModelProto()
    graph = model.graph
    graph.name = f"workbench-{'-'.join(map(str, net.sizes))}"
    graph.input.append(helper.make_tensor_value_info("input", elem_type, ["batch", net.sizes[0]]))
    graph.output.append(helper.make_tensor_value_info("output", elem_type, ["batch", net.sizes[-1]]))
    previous = "input"
    last = net.n_layers
    for index, (weights, biases, activation) in enumerate(zip(net.weights, net.biases, net.activations), 1):
        layer = f"layer{index}"
        for name, array in ((f"{layer}.weight", weights.T), (f"{layer}.bias", biases)):
            tensor = graph.initializer.add()
            tensor.name = name
            tensor.data_type = elem_type
            tensor.dims.extend(array.shape)
            tensor.raw_data = np.ascontiguousarray(array, dtype=little).tobytes()   # ONNX: little-endian
        operator = OPERATORS[activation]
        z = "output" if index == last and operator is None else f"{layer}.z"
        graph.node.append(helper.make_node("Gemm", [previous, f"{layer}.weight", f"{layer}.bias"], [z],
                                           name=f"{layer}.gemm", transB=1))
        if operator is None:
            previous = z
            continue
        op_type, attributes = operator
        a = "output" if index == last else f"{layer}.a"
        graph.node.append(helper.make_node(op_type, [z], [a], name=f"{layer}.{activation}", **attributes))
        previous = a

    opset = helper.make_opsetid("", OPSET)
    model.opset_import.append(opset)
    model.ir_version = helper.find_min_ir_version_for([opset])
    from workbench import __version__

    model.producer_name = "Workbench"
    model.producer_version = __version__
    model.doc_string = (f"{describe(net)}, exported by Workbench. Input 'input' (batch, {net.sizes[0]}) → "
                        f"output 'output' (batch, {net.sizes[-1]}), {net.dtype.name}. Training cost: {net.cost} "
                        "(not part of the graph).")
    for key, value in (("workbench.architecture", json.dumps(net.architecture())),
                       ("workbench.cost", net.cost), ("workbench.dtype", net.dtype.name)):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        first = " ".join(str(exc).split())[:200]
        raise ExportError(f"The ONNX checker refused the exported model: {first}") from None
    return model


def onnx_bytes(net: Network) -> bytes:
    """The bytes of the ``.onnx`` file for ``net``."""
    return onnx_model(net).SerializeToString()
