"""Limits and brief values shared by several modules (issue 12): one constant each, and a message
repeats a hostile value briefly, never by building its whole repr."""

import time

import pytest

from workbench.core.history import HistoryError, RunHistory
from workbench.core.hyperparameters import PANEL_RANGES
from workbench.core.limits import INT32_MAX, MAX_LABEL_CHARS, SHOWN_CHARS, clipped
from workbench.core.network import MAX_WEIGHT_LAYERS
from workbench.data import DataError, load_dataset
from workbench.data.drawn import parse_points
from workbench.data.params import MAX_SIZES

HUGE_INT = 10**5000          # str()/repr() of it raise ValueError (Python's 4,300-digit limit)
POINTS = {"format": "workbench-points", "version": 1, "task": "classification", "inputs": 2, "outputs": 2,
          "classes": 2, "splits": {}}


def test_clipped_keeps_short_text_and_cuts_long_text():
    assert clipped("abc") == "abc" and clipped("x" * SHOWN_CHARS) == "x" * SHOWN_CHARS
    assert clipped("x" * 10**6) == "x" * (SHOWN_CHARS - 1) + "…"


def test_the_limits_agree():
    assert PANEL_RANGES["seed"] == (0, INT32_MAX) and MAX_LABEL_CHARS == 1000
    assert MAX_SIZES == MAX_WEIGHT_LAYERS - 1     # a teacher's hidden layers, then its output layer


def test_a_teacher_as_deep_as_the_deepest_network_is_accepted_and_a_deeper_one_refused():
    load_dataset("teacher:items=10,hidden=" + "-".join(["2"] * MAX_SIZES))
    with pytest.raises(DataError, match=f"lists {MAX_SIZES + 1} layer sizes; at most {MAX_SIZES} "):
        load_dataset("teacher:items=10,hidden=" + "-".join(["2"] * (MAX_SIZES + 1)))


@pytest.mark.parametrize("change, words", [
    ({"format": HUGE_INT}, "not a number of about 5,001 digits"),
    ({"version": [[0.5] * 100] * 100_000}, "not a list of 100,000 items"),
    ({"task": "t" * 10**7}, "not 'ttttt"),
    ({"splits": {"train": {"x": [[0.5] * 1_000_000], "labels": [0]}}}, "not a list of 1,000,000 items"),
    ({"splits": {"train": {"x": [[0.5, HUGE_INT]], "labels": [0]}}}, "not a number of about 5,001 digits"),
])
def test_drawn_points_repeat_a_hostile_value_briefly(change, words):
    start = time.perf_counter()
    with pytest.raises(DataError) as info:
        parse_points({**POINTS, **change})
    assert time.perf_counter() - start < 1
    assert words in str(info.value) and len(str(info.value)) < 150, str(info.value)[:200]


@pytest.mark.parametrize("w, words", [([0, HUGE_INT, 1], "[0, a number of about 5,001 digits, 1]"),
                                      ([0] * 10**6, "a list of 1,000,000 items"), ([5, 0, 0], "[5, 0, 0]")])
def test_a_followed_weight_is_repeated_briefly(w, words):
    doc = RunHistory(2, True).to_json()
    doc["watch"] = [w]
    with pytest.raises(HistoryError) as info:
        RunHistory.from_json(doc)
    assert words in str(info.value) and len(str(info.value)) < 150, str(info.value)[:200]


def test_a_size_of_thousands_of_digits_is_refused_in_one_sentence():
    """str() refuses ints of over 4,300 digits: the message gives the order of such a size."""
    from workbench.core.limits import count_text
    from workbench.core.network import check_architecture

    assert count_text(4096) == "4,096" and count_text(10**5000) == "about 10^5000"
    assert check_architecture([2, 10**5000, 1], ["sigmoid", "sigmoid"], "quadratic") == (
        "Hidden layer 1 has about 10^5000 neurons; at most 4,096 are allowed there.")
