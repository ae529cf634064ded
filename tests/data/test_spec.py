"""Spec grammar, parameter parsing, the source catalogue and the dataset object."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.data import (DATASET_SPECS, GENERATORS, SOURCES, DataError, Dataset, Param, Split,
                            format_spec, load_dataset, parse_spec)


@pytest.mark.parametrize("spec, expected", [
    ("xor", ("xor", None, {})),
    ("  XOR  ", ("xor", None, {})),
    ("teacher:items=2000,seed=5", ("teacher", None, {"items": "2000", "seed": "5"})),
    ("mnist:train=1000", ("mnist", None, {"train": "1000"})),
    ("mnist,train=1000", ("mnist", None, {"train": "1000"})),
    ("mnist:/data/mnist", ("mnist", "/data/mnist", {})),
    ("mnist:/data/mnist,train=1000,validation=1000",
     ("mnist", "/data/mnist", {"train": "1000", "validation": "1000"})),
    ("csv:C:\\data\\x.csv,target=y", ("csv", "C:\\data\\x.csv", {"target": "y"})),
    ("csv:/a,b/c=d.csv,target=a;b", ("csv", "/a,b/c=d.csv", {"target": "a;b"})),
    ("csv:/x.csv, target = y ,  header=yes", ("csv", "/x.csv", {"target": "y", "header": "yes"})),
    ("teacher:HIDDEN=5-5", ("teacher", None, {"hidden": "5-5"})),
    ("mnist:", ("mnist", None, {})),
])
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec, message", [
    ("", "empty"),
    ("   ", "empty"),
    ("teacher:seed=1,seed=2", "'seed' is given twice"),
    ("/x:y", "is not a data source name"),
])
def test_parse_spec_errors(spec, message):
    with pytest.raises(DataError, match=message):
        parse_spec(spec)


def test_format_spec_round_trip():
    params = {"hidden": (10, 10), "noise": 0.25, "validation": 0.0, "flag": True, "seed": 3}
    text = format_spec("teacher", None, params)
    assert text == "teacher:hidden=10-10,noise=0.25,validation=0,flag=true,seed=3"
    assert format_spec("mnist", "/d", {"train": 5}) == "mnist:/d,train=5"
    assert format_spec("xor", None, {}) == "xor"
    source, path, raw = parse_spec(format_spec("mnist", "/d,x", {"train": 5}))
    assert (source, path, raw) == ("mnist", "/d,x", {"train": "5"})


def test_param_parsing():
    p = Param("n", 3, "int", "a count", 1, 9)
    assert p.parse("4") == 4 and p.parse(5) == 5 and p.parse(6.0) == 6
    with pytest.raises(DataError, match="n must be an integer from 1 to 9"):
        p.parse("10")
    with pytest.raises(DataError, match="n must be an integer"):
        p.parse(True)
    b = Param("on", False, "bool", "switch")
    assert b.parse("yes") is True and b.parse("0") is False and b.parse("TRUE") is True
    with pytest.raises(DataError, match="on must be true or false"):
        b.parse("maybe")
    s = Param("hidden", (10,), "sizes", "layers", 1, 100)
    assert s.parse("4-5x6") == (4, 5, 6) and s.parse("") == () and s.parse([3, 2]) == (3, 2)
    with pytest.raises(DataError):
        s.parse("0-5")
    c = Param("mode", "a", "choice", "mode", choices=("a", "b"))
    assert c.parse("B") == "b"


def test_catalogue():
    names = [s.name for s in DATASET_SPECS]
    assert names[:3] == ["mnist", "fashion-mnist", "csv"]
    assert set(names[3:]) == set(GENERATORS)
    for info in DATASET_SPECS:
        assert info.doc.endswith(".") and info.title and info.example.startswith(info.name)
        assert info.path in (None, "folder", "file")
        assert SOURCES[info.name] is info


@pytest.mark.parametrize("name", [s.name for s in DATASET_SPECS if s.name not in ("mnist", "fashion-mnist", "csv")])
def test_catalogue_examples_load(name):
    assert load_dataset(SOURCES[name].example).name


def test_unknown_source_suggests():
    with pytest.raises(DataError, match="Unknown data source 'spirals'. Did you mean 'spiral'"):
        load_dataset("spirals")
    with pytest.raises(DataError, match="Sources: mnist, fashion-mnist, csv, teacher"):
        load_dataset("zzzz")


def test_aliases():
    assert load_dataset("nielsen").spec.startswith("nielsen-function:")


def test_bare_csv_path(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    ds = load_dataset(f"{path},validation=0")
    assert ds.spec.startswith(f"csv:{path},") and len(ds.train) == 4


def test_split_validation():
    s = Split(np.zeros((3, 2)), np.zeros((3, 1)), [0, 1, 0])
    assert s.X.dtype == np.float32 and s.labels.dtype == np.int64 and len(s) == 3
    with pytest.raises(ValueError):
        Split(np.zeros((3, 2)), np.zeros((2, 1)))
    with pytest.raises(ValueError):
        Split(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError):
        Split(np.zeros((3, 2)), np.zeros((3, 1)), [0, 1])


def test_dataset_validation():
    train = Split(np.zeros((3, 2)), np.zeros((3, 1)))
    ok = Dataset("d", "x", "regression", {"train": train, "test": None}, ["a", "b"], ["y"])
    assert list(ok.splits) == ["train"] and ok.n_classes is None and not ok.is_classification
    with pytest.raises(ValueError):
        Dataset("d", "x", "clustering", {"train": train}, ["a", "b"], ["y"])
    with pytest.raises(ValueError):
        Dataset("d", "x", "classification", {"train": train}, ["a", "b"], ["y"], ["0", "1"])
    with pytest.raises(ValueError):
        Dataset("d", "x", "regression", {"train": train}, ["a"], ["y"])
    with pytest.raises(ValueError):
        Dataset("d", "x", "regression", {"validation": train}, ["a", "b"], ["y"])


def test_summary_mentions_the_essentials():
    text = load_dataset("spiral:arms=3").summary()
    for part in ["Spiral", "Spec: spiral:", "classification, 3 classes (arm 1, arm 2, arm 3)",
                 "Inputs: 2; outputs: 3 (one-hot)", "Splits: train 250 · validation 250",
                 "Feature range (train):", "Class balance (train): arm 1:"]:
        assert part in text
    reg = load_dataset("sine").summary()
    assert "regression, 1 output(s) (sin)" in reg and "Target range (train): [-1" in reg
    assert "0/1 target" in load_dataset("xor").summary()
    assert repr(load_dataset("xor")).startswith("<Dataset 'XOR' classification 2->1")


def test_data_layer_imports_numpy_and_stdlib_only():
    root = Path(__file__).resolve().parents[2]
    code = ("import sys; import workbench.data as d; d.load_dataset('xor'); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6', "
            "'workbench.gui')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    for source in (root / "workbench" / "data").glob("*.py"):
        text = source.read_text()
        assert "print(" not in text, source
        assert "np.random.seed" not in text and "np.random.rand" not in text, source


def test_markdown_table_lists_every_source():
    from workbench.data import markdown_table
    table = markdown_table()
    for info in DATASET_SPECS:
        assert f"| `{info.name}" in table
    assert "`mnist[:DIR]`" in table and "`csv:PATH`" in table and "`hidden=10-10-10`" in table


def test_same_data_compares_specs_with_their_defaults(tmp_path):
    from workbench.data import same_data

    folder = str(tmp_path)
    assert same_data(f"mnist:{folder}", f"mnist:{folder},train=50000,validation=10000,test=10000,download=true")
    assert same_data(f"mnist:{folder},download=false", f"mnist:{folder},train=50000")   # where from, not what
    assert not same_data(f"mnist:{folder}", "mnist")                     # another folder
    assert not same_data(f"mnist:{folder},train=1000", f"mnist:{folder}")
    assert same_data("teacher:items=2000,seed=5", "teacher:seed=5")
    assert not same_data("teacher:seed=5", "teacher:seed=6")
    assert same_data("gauss", "gaussians") and not same_data("xor", "parity")
    assert not same_data("nonsense-source", "nonsense-source") and not same_data(None, "xor")
