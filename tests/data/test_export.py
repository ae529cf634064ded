"""CSV export of generated and loaded sets: layout, round trip through the importer, atomic writes."""

from __future__ import annotations

import os

import numpy as np
import pytest

from workbench.data import GENERATORS, DataError, export_csv, load_dataset

from .conftest import SMALL


def rows(path):
    return path.read_text().splitlines()


@pytest.mark.parametrize("name", list(GENERATORS))
def test_every_generator_exports_and_reimports(tmp_path, name):
    ds = load_dataset(name)
    path = tmp_path / f"{name}.csv"
    n = export_csv(ds, path)
    total = sum(len(s) for s in ds.splits.values())
    lines = rows(path)
    assert n == total and len(lines) == total + 1
    header = lines[0].split(",")
    if ds.is_classification:
        assert header == ds.feature_names + ds.target_names[:1]
    else:
        assert header == ds.feature_names + ds.target_names
    targets = ";".join(str(-i) for i in range(len(header) - len(ds.feature_names), 0, -1))
    task = "classification" if ds.is_classification else "regression"
    back = load_dataset(f"csv:{path},target={targets},validation=0,shuffle=false,task={task}")
    X = np.concatenate([s.X for s in ds.splits.values()])
    np.testing.assert_array_equal(back.train.X, X)  # float32 values survive the text round trip
    if ds.is_classification:
        names = np.asarray(ds.class_names)[np.concatenate([s.labels for s in ds.splits.values()])]
        np.testing.assert_array_equal(np.asarray(back.class_names)[back.train.labels], names)
    else:
        np.testing.assert_array_equal(back.train.Y, np.concatenate([s.Y for s in ds.splits.values()]))


def test_class_names_are_written(tmp_path):
    ds = load_dataset("spiral:arms=3,points=30")
    path = tmp_path / "s.csv"
    export_csv(ds, path, split="validation")
    lines = rows(path)
    assert lines[0] == "x,y,arm" and len(lines) == 16
    assert {line.rsplit(",", 1)[1] for line in lines[1:]} <= {"arm 1", "arm 2", "arm 3"}


def test_number_format(tmp_path):
    ds = load_dataset("xor")
    path = tmp_path / "xor.csv"
    export_csv(ds, path, split="train")
    assert rows(path) == ["x1,x2,x1 XOR x2", "0,0,0", "0,1,1", "1,0,1", "1,1,0"]
    mazur = tmp_path / "m.csv"
    export_csv(load_dataset("mazur"), mazur, split="train")
    assert rows(mazur) == ["i1,i2,o1,o2", "0.05,0.1,0.01,0.99"]


def test_mnist_export_has_class_names_and_pixels(tmp_path, idx_dir):
    ds = load_dataset(f"mnist:{idx_dir},{SMALL}")
    path = tmp_path / "m.csv"
    export_csv(ds, path, split="test")
    lines = rows(path)
    header = lines[0].split(",")
    assert header[0] == "pixel0" and header[783] == "pixel783" and header[784] == "label"
    assert lines[1].split(",")[-1] == "7" and len(lines) == 21


def test_unknown_split(tmp_path):
    with pytest.raises(DataError, match="XOR has no 'test' split \\(it has train, validation\\)"):
        export_csv(load_dataset("xor"), tmp_path / "x.csv", split="test")


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "keep.csv"
    path.write_text("old contents\n")

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("workbench.data.export._text", fail)
    with pytest.raises(KeyboardInterrupt):
        export_csv(load_dataset("xor"), path)
    assert path.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["keep.csv"]


def test_unwritable_folder(tmp_path):
    with pytest.raises(DataError, match="Cannot write .*missing"):
        export_csv(load_dataset("xor"), tmp_path / "missing" / "x.csv")


def test_progress(tmp_path, monkeypatch):
    monkeypatch.setattr("workbench.data.export.ROWS_PER_CHUNK", 100)
    calls = []
    export_csv(load_dataset("circle"), tmp_path / "c.csv", progress=lambda d, t, m: calls.append((d, t)))
    assert calls[-1] == (500, 500) and len(calls) == 6
