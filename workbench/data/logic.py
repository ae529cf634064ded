"""Truth-table data sets of the classic back-propagation texts: XOR, N-bit parity, NOT, and the
2-2-2 worked example of Matt Mazur's step-by-step tutorial."""

from __future__ import annotations

import numpy as np

from .generators import Generated, GeneratorInfo, outputs_param, register
from .params import Param


def _bits(n_bits: int) -> np.ndarray:
    """All 2**n_bits patterns as (2**n_bits, n_bits) 0/1 rows, in counting order (MSB first)."""
    codes = np.arange(2 ** n_bits)[:, None]
    return ((codes >> np.arange(n_bits - 1, -1, -1)) & 1).astype(np.float32)


def make_xor(p: dict, rng: np.random.Generator) -> Generated:
    X = _bits(2)
    return Generated(X, ["x1", "x2"], labels=(X[:, 0] != X[:, 1]).astype(np.int64),
                     class_names=["0", "1"], target_names=["x1 XOR x2"], exhaustive=True)


def make_parity(p: dict, rng: np.random.Generator) -> Generated:
    X = _bits(p["bits"])
    labels = (X.sum(axis=1).astype(np.int64) % 2)
    return Generated(X, [f"x{i + 1}" for i in range(p["bits"])], labels=labels,
                     class_names=["even", "odd"], target_names=["parity"], exhaustive=True)


def make_not(p: dict, rng: np.random.Generator) -> Generated:
    X = np.array([[0.0], [1.0]], dtype=np.float32)
    return Generated(X, ["x"], labels=np.array([1, 0]), class_names=["0", "1"],
                     target_names=["NOT x"], exhaustive=True)


def make_mazur(p: dict, rng: np.random.Generator) -> Generated:
    X = np.array([[0.05, 0.10]], dtype=np.float32)
    Y = np.array([[0.01, 0.99]], dtype=np.float32)
    return Generated(X, ["i1", "i2"], Y=Y, target_names=["o1", "o2"], exhaustive=True)


register(GeneratorInfo(
    "xor", "XOR", "The four patterns of exclusive or (inputs 0/1; the validation split repeats them).",
    [outputs_param(1)], "classification", "logic", make_xor))
register(GeneratorInfo(
    "parity", "Parity", "All 2^N patterns of N bits, labelled odd or even parity (the 'deep circuits' "
    "example; the validation split repeats them).",
    [Param("bits", 3, "int", "number of input bits N (2^N patterns)", 1, 16), outputs_param(1)],
    "classification", "logic", make_parity))
register(GeneratorInfo(
    "not", "NOT gate", "The two patterns of a NOT gate: 0 -> 1, 1 -> 0 (the validation split repeats them).",
    [outputs_param(1)], "classification", "logic", make_not))
register(GeneratorInfo(
    "mazur", "Mazur 2-2-2 example", "Matt Mazur's step-by-step backprop example: one pattern, inputs "
    "(0.05, 0.10), targets (0.01, 0.99).", [], "regression", "logic", make_mazur))
