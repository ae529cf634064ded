"""CSV files built to hurt: very wide rows, endless lines, pipes and devices, NUL characters,
floods of blank lines, thousands of classes.  Each one ends in a load or in one sentence naming the
file (and the row and column where there is one), within a bounded time and memory."""

from __future__ import annotations

import os
import time
import tracemalloc

import numpy as np
import pytest

from workbench.data import DataError, dataset, load_dataset
from workbench.data import csvfile
from workbench.data.csvfile import HeadTooLong, sniff_table

from .conftest import finishes


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, newline="")
    return path


# ---- item 1: fields and lines over csv's 128 KiB default ---------------------------------------------
def test_a_100000_column_file_loads(tmp_path):
    n = 100_000
    rng = np.random.default_rng(0)
    rows = [",".join(f"f{j}" for j in range(n - 1)) + ",label"]
    for r in range(12):
        rows.append(",".join(f"{v:.2f}" for v in rng.random(n - 1)) + f",{'ab'[r % 2]}")
    path = write(tmp_path, "\n".join(rows) + "\n")
    assert len(sniff_table(path).columns) == n
    ds = load_dataset(f"csv:{path},validation=0")
    assert ds.n_inputs == n - 1 and ds.class_names == ["a", "b"] and len(ds.train) == 12


def test_a_quoted_field_over_128_kib_loads(tmp_path):
    note = "x" * 200_000
    text = "a,note,y\n" + "".join(f'{i},"{note}",{i % 2}\n' for i in range(6))
    ds = load_dataset(f"csv:{write(tmp_path, text)},ignore=note,validation=0")
    assert ds.feature_names == ["a"] and len(ds.train) == 6


# ---- item 2: bounded reading, pipes and devices refused ---------------------------------------------
def test_a_named_pipe_is_refused_not_waited_for(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for call in (lambda: sniff_table(fifo), lambda: load_dataset(f"csv:{fifo}")):
        done, result = finishes(call)
        assert done, "reading a FIFO blocked"
        assert isinstance(result, DataError) and "named pipe" in str(result) and str(fifo) in str(result)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused(device):
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    done, result = finishes(lambda: load_dataset(f"csv:{device}"))
    assert done and isinstance(result, DataError) and "device" in str(result)


def test_an_endless_line_is_refused_in_bounded_time_and_memory(tmp_path):
    path = tmp_path / "oneline.csv"
    with open(path, "w") as out:
        for _ in range(40):
            out.write("1," * (2**19))          # 40 MiB, no line end
    for call in (lambda: sniff_table(path), lambda: load_dataset(f"csv:{path}")):
        tracemalloc.start()
        start = time.perf_counter()
        try:
            with pytest.raises(DataError, match=r"row 1 is longer than 16,777,216 characters"):
                call()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert time.perf_counter() - start < 5
        assert peak < 120 * 2**20, peak


def test_a_quick_look_reads_no_more_than_its_limit(tmp_path):
    path = write(tmp_path, "a," * 300_000 + "y\n" + "1," * 300_000 + "0\n")
    with pytest.raises(HeadTooLong):
        sniff_table(path, head_limit=64 * 1024)
    assert len(sniff_table(path).columns) == 300_001


def test_blank_lines_before_the_data_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_HEAD_CHARS", 2**20)
    path = write(tmp_path, "\n" * (3 * 2**20) + "a,y\n1,0\n2,1\n")
    with pytest.raises(DataError, match=r"no data rows in its first 1\.0 MiB"):
        sniff_table(path)
    with pytest.raises(DataError, match=r"no data rows in its first"):
        load_dataset(f"csv:{path}")
    short = write(tmp_path, "\n" * 1000 + "# note\n" + "a,y\n1,0\n2,1\n3,0\n", "short.csv")
    assert sniff_table(short).columns == ["a", "y"]


@pytest.mark.parametrize("text", [
    '"' * 65536, ",\"" * 32768, "a" * 65536, "\r" * 65536, ("1," * 200 + "\n") * 160,
    ("a;b\t" * 8000 + "\n") * 2, '"\n' * 32768, ",".join(["x"] * 30000) + "\n" + "1\n" * 99,
])
def test_crafted_heads_are_sniffed_quickly(tmp_path, text):
    path = write(tmp_path, text)
    start = time.perf_counter()
    try:
        sniff_table(path)
    except DataError:
        pass
    assert time.perf_counter() - start < 5


def test_too_many_columns_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_COLUMNS", 100)
    path = write(tmp_path, ",".join(["1"] * 150) + "\n" + ",".join(["2"] * 150) + "\n")
    with pytest.raises(DataError, match=r"has 150 columns.*up to 100 columns"):
        load_dataset(f"csv:{path}")


# ---- item 4: a NUL character is no part of a number -------------------------------------------------
@pytest.mark.parametrize("careful", [False, True])
def test_a_nul_in_a_numeric_cell_is_refused(tmp_path, monkeypatch, careful):
    if careful:
        monkeypatch.setattr(csvfile._Parser, "_feed_fast", lambda self, lines: False)
    text = "a,b,y\n1,2,0\n3,4\0,1\n5,6,0\n"
    with pytest.raises(DataError, match=r"data\.csv, row 3, column 2: the cell holds a NUL character"):
        load_dataset(f"csv:{write(tmp_path, text)}")


def test_a_nul_in_a_label_or_the_header_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"row 2, column 3: the cell holds a NUL"):
        load_dataset(f"csv:{write(tmp_path, 'a,b,y' + chr(10) + '1,2,cat' + chr(0) + chr(10) + '3,4,dog' + chr(10))}")
    with pytest.raises(DataError, match=r"row 1, column 2: the cell holds a NUL"):
        load_dataset(f"csv:{write(tmp_path, 'a,b' + chr(0) + ',y' + chr(10) + '1,2,0' + chr(10) + '3,4,1' + chr(10))}")


def test_a_very_long_label_is_refused_without_a_huge_array(tmp_path):
    long_label = "z" * 300_000
    text = "a,y\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(20_000)) + f"1,{long_label}\n"
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"row 20002, column 2 \('y'\): a class label of 300,000 characters"):
            load_dataset(f"csv:{write(tmp_path, text)}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, peak


# ---- item 3: memory estimated before it is allocated -----------------------------------------------
def test_ten_thousand_classes_are_refused_before_the_one_hot_targets(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "MAX_DATA_BYTES", 256 * 2**20)
    n = 12_000
    text = "a,b,kind\n" + "".join(f"{i % 97},{i % 13},c{i % 10_000}\n" for i in range(n))
    path = write(tmp_path, text)
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as info:
            load_dataset(f"csv:{path}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    text = str(info.value)
    assert str(path) in text and "12,000 rows" in text and "10,000 classes" in text
    assert "would need about 916 MiB" in text and "up to 256 MiB" in text
    assert peak < 100 * 2**20, peak          # the 460 MiB of one-hot targets were never made
    monkeypatch.setattr(dataset, "MAX_DATA_BYTES", 8 * 2**30)
    assert load_dataset(f"csv:{path}").n_outputs == 10_000     # where memory allows, it loads


def test_the_rows_of_a_large_file_are_estimated_first(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "MAX_DATA_BYTES", 2**20)
    text = "a,b,c,y\n" + "".join(f"{i},{i * 2},{i * 3},{i % 2}\n" for i in range(100_000))
    with pytest.raises(DataError, match=r"about [\d,]+ rows of 3 features would need about"):
        load_dataset(f"csv:{write(tmp_path, text)}")


# ---- the bounded line reader splits lines exactly as open(newline="") does -------------------------
@pytest.mark.parametrize("size", [1, 2, 3, 5, 64])
def test_the_line_reader_agrees_with_readlines(tmp_path, size):
    rng = np.random.default_rng(size)
    pieces = ["a", "1,2", "", "\r", "\n", "\r\n", "x\x0cy", "é", "\u2028", '"q"']
    text = "".join(rng.choice(pieces, 400).tolist()) + "tail"
    path = tmp_path / "lines.csv"
    path.write_bytes(text.encode())
    with open(path, encoding="utf-8", newline="") as handle:
        expected = handle.readlines()
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csvfile._Lines(handle, path, 10_000)
        got = []
        while block := reader.block(size):
            got += block
    assert got == expected and reader.lineno == len(expected) + 1
