"""CSV / TSV import: detection, targets, classes, standardisation, every bad-input case, memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from workbench.data import DataError, DownloadCancelled, load_dataset
from workbench.data import csvfile

IRIS = """sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
4.7,3.2,1.3,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.4,3.2,4.5,1.5,versicolor
6.9,3.1,4.9,1.5,versicolor
6.3,3.3,6.0,2.5,virginica
5.8,2.7,5.1,1.9,virginica
7.1,3.0,5.9,2.1,virginica
6.5,3.0,5.8,2.2,virginica
"""


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def all_rows(ds):
    X = np.concatenate([s.X for s in ds.splits.values()])
    return X


def test_iris_like(tmp_path):
    path = write(tmp_path, IRIS)
    ds = load_dataset(f"csv:{path}")
    assert ds.task == "classification" and ds.name == "data"
    assert ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.feature_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert ds.target_names == ["species"]
    assert ds.n_inputs == 4 and ds.n_outputs == 3
    assert len(ds.train) == 8 and len(ds.validation) == 2 and ds.test is None
    assert ds.spec == (f"csv:{path},target=species,task=classification,standardize=false,validation=0.2,"
                       "test=0,shuffle=true,seed=0,header=yes,delimiter=comma")
    X = all_rows(ds)
    assert sorted(X[:, 0].tolist()) == sorted(np.float32([5.1, 4.9, 4.7, 7.0, 6.4, 6.9, 6.3, 5.8, 7.1, 6.5]).tolist())
    for split in ds.splits.values():  # rows keep their labels through the shuffle
        setosa = split.X[:, 2] < 2
        assert np.all((split.labels == 0) == setosa)
    again = load_dataset(ds.spec)
    np.testing.assert_array_equal(again.train.X, ds.train.X)


def test_no_shuffle_keeps_file_order(tmp_path):
    ds = load_dataset(f"csv:{write(tmp_path, IRIS)},shuffle=false,validation=0.2,test=0.2")
    assert ds.train.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert ds.validation.labels.tolist() == [2, 2] and ds.test.labels.tolist() == [2, 2]


@pytest.mark.parametrize("sep, name, expected", [
    ("\t", "data.tsv", "tab"), (";", "data.csv", "semicolon"), ("   ", "data.txt", "whitespace"),
    ("\t", "data.csv", "tab"), (",", "data.dat", "comma"),
])
def test_delimiters(tmp_path, sep, name, expected):
    text = IRIS.replace(",", sep)
    ds = load_dataset(f"csv:{write(tmp_path, text, name)}")
    assert ds.params["delimiter"] == expected
    assert ds.class_names == ["setosa", "versicolor", "virginica"] and ds.n_inputs == 4


def test_explicit_delimiter_and_quotes(tmp_path):
    text = 'a;b;label\n"1.5";2;"class, one"\n3;4;"class two"\n5;6;"class, one"\n7;8;"class two"\n'
    ds = load_dataset(f"csv:{write(tmp_path, text)},delimiter=semicolon,validation=0")
    assert ds.class_names == ["class two", "class, one"] or ds.class_names == ["class two", "class, one"][::-1]
    assert sorted(ds.class_names) == ["class two", "class, one"]
    assert sorted(ds.train.X[:, 0].tolist()) == [1.5, 3.0, 5.0, 7.0]


def test_headerless_file(tmp_path):
    body = "".join(IRIS.splitlines(keepends=True)[1:])
    ds = load_dataset(f"csv:{write(tmp_path, body)}")
    assert ds.params["header"] == "no" and len(all_rows(ds)) == 10
    assert ds.feature_names == ["column 1", "column 2", "column 3", "column 4"]
    assert ds.target_names == ["column 5"] and "target=5" in ds.spec


def test_header_forced(tmp_path):
    text = "1,2,3\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"
    assert len(all_rows(load_dataset(f"csv:{write(tmp_path, text)},header=yes"))) == 4
    assert len(all_rows(load_dataset(f"csv:{write(tmp_path, text)}"))) == 5


def test_bom_blank_lines_and_comments(tmp_path):
    text = "\ufeff# exported by a tool\n\n" + IRIS.replace("\n", "\n\n", 3)
    ds = load_dataset(f"csv:{write(tmp_path, text)},validation=0")
    assert ds.feature_names[0] == "sepal_length" and len(ds.train) == 10


@pytest.mark.parametrize("target", ["species", "5", "-1"])
def test_target_by_name_or_number(tmp_path, target):
    ds = load_dataset(f"csv:{write(tmp_path, IRIS)},target={target}")
    assert ds.target_names == ["species"]


def test_target_in_the_middle_and_ignore(tmp_path):
    text = "id,y,a,b\n1,0.5,1,2\n2,0.25,3,4\n3,0.75,5,6\n4,1.5,7,8\n"
    ds = load_dataset(f"csv:{write(tmp_path, text)},target=y,ignore=id,validation=0,shuffle=false")
    assert ds.task == "regression" and ds.feature_names == ["a", "b"]
    np.testing.assert_array_equal(ds.train.Y[:, 0], [0.5, 0.25, 0.75, 1.5])
    np.testing.assert_array_equal(ds.train.X, [[1, 2], [3, 4], [5, 6], [7, 8]])
    assert ",ignore=id," in ds.spec


def test_several_numeric_targets_mean_regression(tmp_path):
    text = "x1,x2,y1,y2\n0,1,2,3\n4,5,6,7\n8,9,10,11\n12,13,14,15\n"
    ds = load_dataset(f"csv:{write(tmp_path, text)},target=y1;y2,validation=0,shuffle=false")
    assert ds.task == "regression" and ds.n_outputs == 2 and ds.target_names == ["y1", "y2"]
    np.testing.assert_array_equal(ds.train.Y, [[2, 3], [6, 7], [10, 11], [14, 15]])
    assert ds.train.labels is None and ds.class_names is None
    with pytest.raises(DataError, match="classification needs a single target column"):
        load_dataset(f"csv:{write(tmp_path, text)},target=3;4,task=classification")


def test_integer_labels_are_classes(tmp_path):
    text = "a,b,digit\n" + "".join(f"{i},{i * 2},{[3, 10, 7][i % 3]}\n" for i in range(9))
    ds = load_dataset(f"csv:{write(tmp_path, text)},validation=0,shuffle=false")
    assert ds.task == "classification" and ds.class_names == ["3", "7", "10"]
    assert ds.train.labels.tolist() == [0, 2, 1] * 3
    reg = load_dataset(f"csv:{write(tmp_path, text)},task=regression,validation=0")
    assert reg.task == "regression" and reg.n_outputs == 1


def test_fractional_target_is_regression(tmp_path):
    text = "a,y\n1,0.5\n2,1\n3,1.5\n4,2\n"
    assert load_dataset(f"csv:{write(tmp_path, text)}").task == "regression"
    forced = load_dataset(f"csv:{write(tmp_path, text)},task=classification,validation=0")
    assert forced.class_names == ["0.5", "1", "1.5", "2"]


def test_many_integer_values_are_regression(tmp_path):
    text = "a,y\n" + "".join(f"{i},{i}\n" for i in range(csvfile.MAX_AUTO_CLASSES + 1))
    assert load_dataset(f"csv:{write(tmp_path, text)}").task == "regression"


def test_string_target_with_regression_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"row 2, column 5 \('species'\): 'setosa' is not a number"):
        load_dataset(f"csv:{write(tmp_path, IRIS)},task=regression")


def test_standardize_uses_training_statistics(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(5, 3, (200, 3))
    text = "a,b,c,y\n" + "".join(f"{r[0]},{r[1]},{r[2]},{i % 2}\n" for i, r in enumerate(data))
    ds = load_dataset(f"csv:{write(tmp_path, text)},standardize=true,validation=0.25")
    np.testing.assert_allclose(ds.train.X.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.train.X.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(ds.validation.X.mean(axis=0), 0, atol=1e-5)
    mean, std = ds.standardization
    raw = load_dataset(f"csv:{write(tmp_path, text)},validation=0.25")
    np.testing.assert_allclose((raw.validation.X - mean) / std, ds.validation.X, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mean, raw.train.X.mean(axis=0), rtol=1e-5)


def test_constant_feature_standardises_to_zero(tmp_path):
    text = "a,b,y\n1,7,0\n2,7,1\n3,7,0\n4,7,1\n"
    ds = load_dataset(f"csv:{write(tmp_path, text)},standardize=true,validation=0")
    assert np.all(ds.train.X[:, 1] == 0)


# --- bad files -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("\n\n  \n# only a comment\n", "is empty"),
    ("a,b,y\n", "has a header but no data rows"),
    ("a,b,y\n1,2,0\n3,4\n5,6,1\n", r"row 3: 2 fields, but the header has 3"),
    ("1,2,0\n3,4,1\n5,6,7,1\n", r"row 3: 4 fields, but the first row has 3"),
    ("a,b,y\n1,2,0\n3,x,1\n", r"row 3, column 2 \('b'\): 'x' is not a number"),
    ("a,b,y\n1,2,0\n3,,1\n", r"row 3, column 2 \('b'\): missing value \(empty\)"),
    ("a,b,y\n1,2,0\n3,NA,1\n", r"row 3, column 2 \('b'\): missing value \('NA'\)"),
    ("a,b,y\n1,2,0\nnan,4,1\n", r"row 3, column 1 \('a'\): missing value \('nan'\)"),
    ("a,b,y\n1,2,0\n3,inf,1\n", r"row 3, column 2 \('b'\): infinite"),
    ("a,b,y\n1,2,0\n3,1e999,1\n", r"row 3, column 2 \('b'\): infinite or out-of-range"),
    ("a,b,y\n1,2,cat\n3,4,cat\n", r"holds a single class \('cat'\)"),
    ("a,b,y\n1,2,1\n3,4,1\n", r"holds a single class \('1'\)"),
    ("a,b,y\n1,2,cat\n3,4,\n", r"row 3, column 3 \('y'\): missing class label"),
    ("a,b,y1,y2\n1,2,3,4\n1,2,3,\n", r"row 3, column 4 \('y2'\): missing value"),
    ("a;b;y\n1,5;2;0\n3;4,25;1\n", r"row 2, column 1 \('a'\): '1,5' is not a number .*decimal commas"),
    ("a,b,y\n1,2,0\n3,s,1\n", r"'s' is not a number \(the feature columns must be numeric; leave the column out "
     r"with ignore=2"),
    ("justone\n1\n2\n", "has a single column"),
])
def test_bad_files(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as info:
        load_dataset(f"csv:{path},target=-1" + (";-2" if "y2" in text else ""))
    assert str(path) in str(info.value)


def test_bad_target_later_in_a_numeric_column(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 64)
    monkeypatch.setattr(csvfile, "SNIFF_BYTES", 64)
    text = "a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(50)) + "7,dog\n"
    with pytest.raises(DataError, match=r"row 52, column 2 \('y'\): 'dog' is not a number"):
        load_dataset(f"csv:{write(tmp_path, text)}")


def test_error_rows_count_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 100)
    text = "a,b,y\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(300)) + "1,oops,0\n"
    with pytest.raises(DataError, match=r"row 302, column 2 \('b'\): 'oops'"):
        load_dataset(f"csv:{write(tmp_path, text)}")


@pytest.mark.parametrize("spec, message", [
    ("target=height", r"has no column 'height' for the target \(columns: sepal_length"),
    ("target=0", "target column 0 does not exist; the file has 5 columns"),
    ("target=9", "target column 9 does not exist"),
    ("ignore=sepal_length;sepal_width;petal_length;petal_width", "no feature columns are left"),
    ("delimiter=pipe", "delimiter must be one of auto, comma, tab"),
    ("validation=0.5,test=0.5", "must be below 1"),
])
def test_bad_parameters(tmp_path, spec, message):
    with pytest.raises(DataError, match=message):
        load_dataset(f"csv:{write(tmp_path, IRIS)},{spec}")


def test_duplicate_column_names(tmp_path):
    text = "a,a,y\n1,2,0\n3,4,1\n"
    with pytest.raises(DataError, match="several columns are named 'a'"):
        load_dataset(f"csv:{write(tmp_path, text)},ignore=a")


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="Cannot open .*nothing.csv"):
        load_dataset(f"csv:{tmp_path / 'nothing.csv'}")
    with pytest.raises(DataError, match="csv needs a file"):
        load_dataset("csv")
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"a,b\n\xff\xfe\x00\x81garbage\n")
    with pytest.raises(DataError, match="is not UTF-8 text"):
        load_dataset(f"csv:{binary}")


def test_progress_and_cancel(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 256)
    monkeypatch.setattr(csvfile, "SNIFF_BYTES", 256)
    text = "a,b,y\n" + "".join(f"{i},{i * 0.5},{i % 3}\n" for i in range(500))
    path = write(tmp_path, text)
    calls = []
    load_dataset(f"csv:{path}", progress=lambda d, t, m: calls.append((d, t, m)))
    assert len(calls) > 5 and calls[-1][0] == calls[-1][1] == path.stat().st_size
    assert all(m == "Reading data.csv" for _, _, m in calls)
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls)
    polls = []
    with pytest.raises(DownloadCancelled):
        load_dataset(f"csv:{path}", cancel=lambda: polls.append(1) or len(polls) > 3)


def test_large_file_memory_stays_bounded(tmp_path, monkeypatch):
    """A ~2.6 MB file loads with a bounded amount of extra memory: no text copy of the file is kept
    (a 100 MB file behaves the same with the default 1 MiB blocks)."""
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 32 * 1024)
    rng = np.random.default_rng(1)
    n, d = 30_000, 10
    path = tmp_path / "big.csv"
    with open(path, "w") as out:
        out.write(",".join(f"f{j}" for j in range(d)) + ",label\n")
        for start in range(0, n, 10_000):
            block = rng.normal(size=(10_000, d)).round(5)
            labels = rng.integers(0, 4, 10_000)
            out.write("".join(",".join(map(str, row)) + f",c{lab}\n" for row, lab in zip(block.tolist(), labels)))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        ds = load_dataset(f"csv:{path},validation=0.1,shuffle=false")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrays = sum(s.X.nbytes + s.Y.nbytes + s.labels.nbytes for s in ds.splits.values())
    assert len(ds.train) + len(ds.validation) == n and ds.class_names == ["c0", "c1", "c2", "c3"]
    assert size > 2_500_000
    # Final arrays (1.9 MB) plus one parsed block and the buffers' slack: far below the text size.
    assert peak < arrays + 0.5 * size, (peak, arrays, size)


def test_windows_line_endings_and_r_style_quotes(tmp_path):
    text = '"x","y","group"\r\n1.5,2,"b"\r\n3,4,"a"\r\n5,6,"b"\r\n7,8,"a"\r\n'
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode())
    ds = load_dataset(f"csv:{path},validation=0,shuffle=false")
    assert ds.feature_names == ["x", "y"] and ds.class_names == ["a", "b"]
    assert ds.train.labels.tolist() == [1, 0, 1, 0]
    np.testing.assert_array_equal(ds.train.X[:, 0], [1.5, 3, 5, 7])


@pytest.mark.parametrize("text", [
    IRIS,
    IRIS.replace(",", "\t"),
    IRIS.replace(",", "  "),
    "a,b,y\n" + "".join(f"{i},{i / 7},{i % 4}\n" for i in range(50)),
    "a,b,y1,y2\n" + "".join(f"{i},{i / 7},{i / 3},{-i}\n" for i in range(50)),
    'a;b;"label"\n' + "".join(f'{i};{i * 2};"l {i % 3}"\n' for i in range(50)),
])
def test_fast_and_careful_paths_agree(tmp_path, monkeypatch, text):
    path = write(tmp_path, text)
    spec = f"csv:{path}" + (",target=y1;y2" if "y2" in text else "")
    fast = load_dataset(spec)
    monkeypatch.setattr(csvfile._Parser, "_feed_fast", lambda self, lines: False)
    careful = load_dataset(spec)
    assert fast.spec == careful.spec and fast.class_names == careful.class_names
    for a, b in zip(fast.splits.values(), careful.splits.values(), strict=True):
        np.testing.assert_array_equal(a.X, b.X)
        np.testing.assert_array_equal(a.Y, b.Y)


def test_classes_seen_in_later_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 64)
    monkeypatch.setattr(csvfile, "SNIFF_BYTES", 64)
    text = "a,kind\n" + "".join(f"{i},{'zeta' if i < 20 else 'alpha' if i < 40 else 'mid'}\n" for i in range(60))
    ds = load_dataset(f"csv:{write(tmp_path, text)},validation=0,shuffle=false")
    assert ds.class_names == ["alpha", "mid", "zeta"]
    assert ds.train.labels.tolist() == [2] * 20 + [0] * 20 + [1] * 20


# ---- sniff_table: the one delimiter/header detector (the GUI offers what the loader reads) ------------
SNIFF_CASES = {
    # name: (text, delimiter, header, columns); the first two once got other columns from the GUI's
    # own csv.Sniffer: a comma file named .tsv (forced to tabs) and a ragged semicolon file (Sniffer gave up)
    "commas.tsv": ("a,b,kind\n1,2,x\n3,4,y\n5,6,x\n", "comma", True, ["a", "b", "kind"]),
    "ragged.csv": ("a;b;c\n1;2;3\n4;5\n6;7;8\n", "semicolon", True, ["a", "b", "c"]),
    "mixed.csv": ("name,value;other\n1,2;3\n4,5;6\n", "semicolon", True, ["name,value", "other"]),
    "spaces.dat": ("x y label\n1 2 a\n3 4 b\n", "whitespace", True, ["x", "y", "label"]),
    "tabs.txt": ("# comment\n\n1\t2\t3\n4\t5\t6\n", "tab", False, ["column 1", "column 2", "column 3"]),
}


@pytest.mark.parametrize("name", list(SNIFF_CASES))
def test_sniff_table(tmp_path, name):
    text, delimiter, header, columns = SNIFF_CASES[name]
    layout = csvfile.sniff_table(write(tmp_path, text, name))
    assert layout == (delimiter, header, columns)
    assert (layout.delimiter, layout.has_header, layout.columns) == (delimiter, header, columns)


@pytest.mark.parametrize("name", ["commas.tsv", "spaces.dat", "tabs.txt"])
def test_sniff_table_agrees_with_the_loader(tmp_path, name):
    path = write(tmp_path, SNIFF_CASES[name][0], name)
    layout = csvfile.sniff_table(path)
    ds = load_dataset(f"csv:{path},validation=0")
    assert ds.feature_names + ds.target_names == layout.columns
    assert ds.params["delimiter"] == layout.delimiter and ds.params["header"] == ("yes" if layout.has_header else "no")


def test_sniff_table_follows_explicit_choices_and_reports_problems(tmp_path):
    path = write(tmp_path, "a,b,c\n1,2,3\n")
    assert csvfile.sniff_table(path, header="no").columns == ["column 1", "column 2", "column 3"]
    assert csvfile.sniff_table(path, delimiter="semicolon").columns == ["column 1"]   # "1,2,3" is no number
    with pytest.raises(DataError, match="empty"):
        csvfile.sniff_table(write(tmp_path, "# only a comment\n\n", "empty.csv"))
    with pytest.raises(DataError, match="Cannot open"):
        csvfile.sniff_table(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="delimiter"):
        csvfile.sniff_table(path, delimiter="pipe")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(DataError, match="not UTF-8"):
        csvfile.sniff_table(binary)
