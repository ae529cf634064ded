"""Points drawn by hand (workbench.data.drawn): edited copies of a Dataset and their JSON."""

import copy
import json
import math

import numpy as np
import pytest

from workbench.data import DataError, Dataset, Split, load_dataset
from workbench.data.drawn import MAX_POINTS, points_from_json, points_to_json, with_point, without_nearest


@pytest.fixture
def circle():
    return load_dataset("circle:points=40")


def regression_2d() -> Dataset:
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], dtype=np.float32)
    Y = np.array([[0.5], [-1.0], [2.0]], dtype=np.float32)
    return Dataset(name="R", spec="csv:r.csv", task="regression", splits={"train": Split(X, Y)},
                   feature_names=["a", "b"], target_names=["t"], description="three points")


def test_with_point_adds_a_training_point_of_a_class(circle):
    before = {name: (s.X.copy(), s.Y.copy(), s.labels.copy()) for name, s in circle.splits.items()}
    n = len(circle.train)
    edited = with_point(circle, (0.25, -0.5), label=1)
    assert edited is not circle and edited.spec == circle.spec and edited.name == circle.name
    assert len(edited.train) == n + 1 and len(edited.validation) == len(circle.validation)
    assert tuple(edited.train.X[-1]) == (0.25, -0.5)
    assert edited.train.labels[-1] == 1 and list(edited.train.Y[-1]) == [0.0, 1.0]
    np.testing.assert_array_equal(edited.train.Y.argmax(axis=1), edited.train.labels)
    assert edited.class_names == circle.class_names and edited.class_names is not circle.class_names
    assert edited.params["edited"] is True and edited.params["points_added"] == 1
    assert "1 point added, 0 removed" in edited.description
    # the original is untouched and shares no array with the copy
    for name, (X, Y, labels) in before.items():
        np.testing.assert_array_equal(circle.splits[name].X, X)
        np.testing.assert_array_equal(circle.splits[name].labels, labels)
        assert not np.shares_memory(edited.splits[name].X, circle.splits[name].X)
    assert "edited" not in circle.params
    twice = with_point(edited, (1, 1), label=0)
    assert twice.params["points_added"] == 2 and twice.description.count("edited by hand") == 1


def test_with_point_on_a_single_output_set_keeps_a_zero_one_target():
    xor = load_dataset("xor")
    assert xor.n_outputs == 1
    edited = with_point(xor, [0.5, 0.5], label=1)
    assert edited.train.Y.shape == (5, 1) and edited.train.Y[-1, 0] == 1.0 and edited.train.labels[-1] == 1


def test_with_point_regression_and_bad_points():
    ds = regression_2d()
    edited = with_point(ds, [3.0, 3.0], target=1.5)
    assert edited.train.labels is None and edited.train.Y[-1, 0] == 1.5 and len(edited.train) == 4
    with pytest.raises(DataError, match="target"):
        with_point(ds, [3.0, 3.0])
    with pytest.raises(DataError, match="coordinates"):
        with_point(ds, [3.0, np.nan], target=1.0)
    with pytest.raises(DataError, match="coordinates"):
        with_point(ds, [3.0], target=1.0)
    circle = load_dataset("circle:points=20")
    for label in (2, -1, True, 0.5, None):
        with pytest.raises(DataError, match="class"):
            with_point(circle, [0, 0], label=label)


def test_without_nearest_within_a_pixel_radius():
    ds = regression_2d()
    # scale: data units per pixel; (1.05, 0.95) is 0.05 from (1, 1): 5 px at 0.01 units per pixel
    edited = without_nearest(ds, [1.05, 0.95], radius=8, scale=[0.01, 0.01])
    assert edited is not None and len(edited.train) == 2
    assert [tuple(p) for p in edited.train.X] == [(0.0, 0.0), (2.0, 0.0)]
    assert list(edited.train.Y[:, 0]) == [0.5, 2.0]
    assert edited.params["points_removed"] == 1 and "0 points added, 1 removed" in edited.description
    assert without_nearest(ds, [1.2, 1.2], radius=8, scale=[0.01, 0.01]) is None     # 28 px away
    # the same point is near along an axis with coarse pixels
    assert without_nearest(ds, [1.2, 1.0], radius=8, scale=[0.1, 0.01]) is not None
    with pytest.raises(DataError):
        without_nearest(ds, [1.0, 1.0], radius=8, scale=[0.0, 1.0])


def test_without_nearest_reaches_validation_points_and_keeps_the_last_training_point():
    X = np.array([[0.0, 0.0]], dtype=np.float32)
    ds = Dataset("T", "t", "classification",
                 {"train": Split(X, np.array([[1.0, 0.0]]), np.array([0])),
                  "validation": Split(X + 1, np.array([[0.0, 1.0]]), np.array([1]))},
                 ["a", "b"], ["class"], class_names=["p", "q"])
    assert without_nearest(ds, [0.0, 0.0], radius=1) is None            # the only training point stays
    edited = without_nearest(ds, [1.0, 1.0], radius=1)
    assert edited.validation is None and len(edited.train) == 1          # an emptied split is dropped
    assert without_nearest(ds, [1.0, 1.0], radius=1, splits=("train",)) is None


def test_without_nearest_with_targets_for_a_curve():
    sine = load_dataset("sine:points=50")
    x, y = float(sine.train.X[3, 0]), float(sine.train.Y[3, 0])
    edited = without_nearest(sine, [x, y], radius=1, scale=[1e-4, 1e-4], with_target=True)
    assert len(edited.train) == len(sine.train) - 1
    assert not np.any((edited.train.X[:, 0] == x) & (edited.train.Y[:, 0] == y))
    assert without_nearest(sine, [x, y + 1.0], radius=1, scale=[1e-4, 1e-4], with_target=True) is None


# ---------------------------------------------------------------------- JSON
def test_points_round_trip_through_json(circle):
    edited = without_nearest(with_point(circle, [0.1, 0.2], label=0), circle.validation.X[0], 1e-3)
    doc = json.loads(json.dumps(points_to_json(edited)))
    back = points_from_json(doc, circle)
    assert back.spec == circle.spec and back.class_names == circle.class_names
    for name, split in edited.splits.items():
        np.testing.assert_array_equal(back.splits[name].X, split.X)
        np.testing.assert_array_equal(back.splits[name].Y, split.Y)
        np.testing.assert_array_equal(back.splits[name].labels, split.labels)
    assert back.params["points_added"] == 1 and back.params["points_removed"] == 1
    assert back.description == edited.description
    reg = with_point(regression_2d(), [5.0, 5.0], target=-2.0)
    back = points_from_json(json.loads(json.dumps(points_to_json(reg))), regression_2d())
    np.testing.assert_array_equal(back.train.Y, reg.train.Y)
    assert back.train.labels is None
    xor = load_dataset("xor")
    back = points_from_json(points_to_json(xor), xor)
    np.testing.assert_array_equal(back.train.Y, xor.train.Y)          # one 0/1 column again


def _doc(circle):
    return points_to_json(with_point(circle, [0.0, 0.0], label=1))


HOSTILE = [
    ("the document", lambda d: [1, 2]),
    ("format", lambda d: {**d, "format": "other"}),
    ("version", lambda d: {**d, "version": 2}),
    ("version", lambda d: {**d, "version": True}),
    ("task", lambda d: {**d, "task": "regression"}),
    ("inputs", lambda d: {**d, "inputs": 3}),
    ("inputs", lambda d: {**d, "inputs": "2"}),
    ("outputs", lambda d: {**d, "outputs": 1}),
    ("classes", lambda d: {**d, "classes": 3}),
    ("edits.added", lambda d: {**d, "edits": {"added": -1}}),
    ("edits", lambda d: {**d, "edits": [0, 0]}),
    ("splits", lambda d: {**d, "splits": []}),
    ("splits", lambda d: {**d, "splits": {"validation": d["splits"]["validation"]}}),
    ("splits", lambda d: {**d, "splits": {**d["splits"], "extra": d["splits"]["train"]}}),
    ("splits.train", lambda d: {**d, "splits": {"train": "x"}}),
    ("splits.train.x", lambda d: {**d, "splits": {"train": {"x": [], "labels": []}}}),
    ("splits.train.x", lambda d: {**d, "splits": {"train": {"x": "0,0", "labels": [0]}}}),
    ("splits.train.x[1]", lambda d: _set(d, "x", 1, [0.0])),
    ("splits.train.x[1]", lambda d: _set(d, "x", 1, [0.0, 1.0, 2.0])),
    ("splits.train.x[1]", lambda d: _set(d, "x", 1, "ab")),
    ("splits.train.x[1][0]", lambda d: _set(d, "x", 1, ["1.5", 0.0])),
    ("splits.train.x[1][0]", lambda d: _set(d, "x", 1, [True, 0.0])),
    ("splits.train.x[1][0]", lambda d: _set(d, "x", 1, [math.nan, 0.0])),
    ("splits.train.x[1][1]", lambda d: _set(d, "x", 1, [0.0, math.inf])),
    ("splits.train.x[1][0]", lambda d: _set(d, "x", 1, [1e39, 0.0])),
    ("splits.train.x[1][0]", lambda d: _set(d, "x", 1, [10 ** 400, 0.0])),
    ("splits.train.x[1][0]", lambda d: _set(d, "x", 1, [None, 0.0])),
    ("splits.train.labels", lambda d: {**d, "splits": {"train": {"x": [[0, 0]], "labels": [0, 1]}}}),
    ("splits.train.labels[0]", lambda d: {**d, "splits": {"train": {"x": [[0, 0]], "labels": [2]}}}),
    ("splits.train.labels[0]", lambda d: {**d, "splits": {"train": {"x": [[0, 0]], "labels": [-1]}}}),
    ("splits.train.labels[0]", lambda d: {**d, "splits": {"train": {"x": [[0, 0]], "labels": [1.0]}}}),
    ("splits.train.labels[0]", lambda d: {**d, "splits": {"train": {"x": [[0, 0]], "labels": [False]}}}),
    ("splits.train.labels", lambda d: {**d, "splits": {"train": {"x": [[0, 0]]}}}),
]


def _set(doc, key, row, value):
    doc = copy.deepcopy(doc)
    doc["splits"]["train"][key][row] = value
    return doc


@pytest.mark.parametrize("field, mutate", HOSTILE, ids=[f"{i}-{f}" for i, (f, _) in enumerate(HOSTILE)])
def test_hostile_documents_are_refused_naming_the_field(circle, field, mutate):
    doc = mutate(_doc(circle))
    with pytest.raises(DataError) as info:
        points_from_json(doc, circle)
    message = str(info.value)
    assert field in message and message.endswith(".") and "\n" not in message


def test_regression_documents_check_their_targets():
    base = regression_2d()
    doc = points_to_json(base)
    for rows, field in (([[1.0], [2.0]], "splits.train.y"), ([[1.0], [2.0], [1.0, 2.0]], "splits.train.y[2]"),
                        ([[1.0], [2.0], [math.nan]], "splits.train.y[2][0]"), ("y", "splits.train.y")):
        bad = copy.deepcopy(doc)
        bad["splits"]["train"]["y"] = rows
        with pytest.raises(DataError, match=field.replace("[", r"\[").replace("]", r"\]")):
            points_from_json(bad, base)


def test_huge_documents_are_refused_before_reading_them(circle):
    row = [0.0, 0.0]
    doc = _doc(circle)
    doc["splits"] = {"train": {"x": [row] * (MAX_POINTS - 5), "labels": [0] * (MAX_POINTS - 5)},
                     "validation": {"x": [row] * 10, "labels": [0] * 10}}
    with pytest.raises(DataError, match="100,000"):
        points_from_json(doc, circle)
    doc["splits"]["validation"] = {"x": [row] * 5, "labels": [0] * 5}
    assert len(points_from_json(doc, circle).train) == MAX_POINTS - 5      # the limit itself is fine
