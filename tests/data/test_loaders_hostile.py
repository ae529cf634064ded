"""Generated sets too large to build, MNIST-style label files that lie, IDX files that are pipes or
inflate without end, and spec values built to overflow: one sentence each, before any large
allocation and within a bounded time."""

from __future__ import annotations

import gzip
import os
import time
import tracemalloc

import numpy as np
import pytest

from workbench.data import DataError, load_dataset
from workbench.data.idx import IdxReader, write_idx
from workbench.data.params import Param

from .conftest import NAMES, finishes


# ---- item 3: a generated set's memory is estimated first ------------------------------------------
def test_a_huge_teacher_set_is_refused_before_allocating():
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DataError) as info:
            load_dataset("teacher:items=10000000,inputs=1000")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    text = str(info.value)
    assert text.startswith("teacher: 10,000,000 items of 1,000 inputs would need about ")
    assert "GiB of memory" in text and "\n" not in text
    assert time.perf_counter() - start < 5 and peak < 16 * 2**20


def test_ordinary_teacher_sets_still_build():
    assert load_dataset("teacher:items=5000,inputs=20,classes=5").n_inputs == 20


# ---- item 4: labels outside 0-9 anywhere in a label file --------------------------------------------
@pytest.mark.parametrize("source", ["mnist", "fashion-mnist"])
@pytest.mark.parametrize("which, index", [(1, 70), (3, 15)])
def test_labels_above_nine_are_refused_even_where_no_split_reads(idx_dir, idx_arrays, source, which, index):
    labels = idx_arrays[NAMES[which]].copy()
    labels[index] = 200
    write_idx(idx_dir / (NAMES[which] + ".gz"), labels)
    # train=50 and validation=10 read items 0-49 and 90-99; test=5 reads items 0-4
    with pytest.raises(DataError) as info:
        load_dataset(f"{source}:{idx_dir},train=50,validation=10,test=5")
    assert str(info.value) == (f"{idx_dir / (NAMES[which] + '.gz')} is corrupt: label 200 (item {index}) is "
                               "not a class 0–9.")


# ---- IDX files: regular files only, bounded inflation ---------------------------------------------
def test_an_idx_file_that_is_a_pipe_is_refused(tmp_path):
    fifo = tmp_path / "train-labels-idx1-ubyte"
    os.mkfifo(fifo)
    done, result = finishes(lambda: IdxReader(fifo, 1))
    assert done, "opening a FIFO blocked"
    assert isinstance(result, DataError) and "named pipe" in str(result)


def test_trailing_gzip_data_is_counted_only_up_to_a_bound(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    header = bytes([0, 0, 8, 1]) + np.asarray([10], dtype=">u4").tobytes()
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(header + labels.tobytes() + bytes(48 * 2**20), compresslevel=9))
    start = time.perf_counter()
    with IdxReader(path, 1) as reader:
        with pytest.raises(DataError, match=r"is corrupt: it has more than [\d,]+ bytes after the 10 items"):
            reader.read()
    assert time.perf_counter() - start < 5


# ---- spec values built to overflow ----------------------------------------------------------------
def test_a_huge_number_is_refused_in_one_short_sentence():
    with pytest.raises(DataError) as info:
        Param("noise", 0.1, "float", "noise", 0.0, 1.0).parse(10**400, "circle")
    assert str(info.value).startswith("circle: noise must be a number from 0 to 1 (got '1000")
    assert len(str(info.value)) < 120
    with pytest.raises(DataError) as info:
        load_dataset("teacher:items=" + "9" * 5000)
    assert len(str(info.value)) < 150 and "items must be an integer" in str(info.value)


def test_too_many_layer_sizes_are_refused():
    with pytest.raises(DataError, match=r"hidden lists 100 layer sizes; at most 63"):
        load_dataset("teacher:hidden=" + "-".join(["3"] * 100))


# ---- drawn points in a session: sizes bounded before anything is allocated ------------------------
def test_drawn_points_with_absurd_sizes_are_refused_before_allocating():
    from workbench.data.drawn import parse_points

    doc = {"format": "workbench-points", "version": 1, "task": "classification", "inputs": 2,
           "outputs": 1_000_000, "classes": 1_000_000,
           "splits": {"train": {"x": [[0.0, 0.0]] * 100_000, "labels": [0] * 100_000}}}
    with pytest.raises(DataError, match=r"100,000 points of 2 inputs and 1,000,000 outputs would need about"):
        parse_points(doc)
    doc["inputs"] = 10**9
    with pytest.raises(DataError, match=r"inputs must be at most 1,048,576"):
        parse_points(doc)
