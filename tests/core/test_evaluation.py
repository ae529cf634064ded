"""Predictions of a network on a split: class scores, confusion matrix, per-class accuracy, the
items of a cell most confident first, top-3, regression RMSE and R², the evaluate sentence."""

import math

import numpy as np
import pytest

from workbench.core import Network
from workbench.core.evaluation import (cell_items, cell_sentence, class_names, class_scores, classify,
                                       confusion_matrix, confusion_table, data_identity, evaluation_message,
                                       forward, overall_accuracy, parameters_finite, per_class_accuracy,
                                       predicted_classes, raw_inputs, regression_errors, regression_table, shading,
                                       standardised, target_names, top_k, valid_settings)
from workbench.data import load_dataset

# Five items of three classes, softmax outputs.
OUTPUTS = np.array([[0.7, 0.2, 0.1],    # true 0 -> 0
                    [0.1, 0.8, 0.1],    # true 0 -> 1
                    [0.2, 0.6, 0.2],    # true 0 -> 1 (less sure)
                    [0.1, 0.1, 0.8],    # true 2 -> 2
                    [0.3, 0.3, 0.4]])   # true 1 -> 2
LABELS = np.array([0, 0, 0, 2, 1])


def test_the_confusion_matrix_of_known_predictions():
    result = classify(OUTPUTS, LABELS, "softmax", 3)
    np.testing.assert_array_equal(result.matrix, [[1, 2, 0], [0, 0, 1], [0, 0, 1]])
    assert result.kind == "probability"
    np.testing.assert_array_equal(result.predicted, [0, 1, 1, 2, 2])
    np.testing.assert_allclose(result.confidence, [0.7, 0.8, 0.6, 0.8, 0.4])
    assert result.accuracy == pytest.approx(2 / 5)
    np.testing.assert_allclose(result.recall, [1 / 3, 0.0, 1.0])


def test_per_class_accuracy_is_nan_for_a_class_without_items_and_totals_match():
    matrix = confusion_matrix(np.array([0, 0, 1]), np.array([0, 1, 1]), 3)
    recall = per_class_accuracy(matrix)
    assert recall[0] == 0.5 and recall[1] == 1.0 and math.isnan(recall[2])
    assert overall_accuracy(matrix) == pytest.approx(2 / 3)
    assert math.isnan(overall_accuracy(np.zeros((2, 2), dtype=np.int64)))
    assert confusion_matrix(np.array([5]), np.array([-1]), 3)[2, 0] == 1     # clipped as Network does


def test_items_of_a_cell_come_most_confident_first():
    result = classify(OUTPUTS, LABELS, "softmax", 3)
    np.testing.assert_array_equal(result.cell(0, 1), [1, 2])
    np.testing.assert_array_equal(cell_items(LABELS, result.predicted, np.array([0.1, 0.2, 0.9, 0, 0]), 0, 1), [2, 1])
    assert len(result.cell(1, 0)) == 0


def test_top_3_classes_best_first():
    classes, scores = top_k(np.array([[0.1, 0.5, 0.15, 0.25], [0.4, 0.3, 0.2, 0.1]]), 3)
    np.testing.assert_array_equal(classes, [[1, 3, 2], [0, 1, 2]])
    np.testing.assert_allclose(scores, [[0.5, 0.25, 0.15], [0.4, 0.3, 0.2]])
    assert top_k(np.array([[0.2, 0.8]]), 3)[0].shape == (1, 2)


def test_single_output_sigmoid_multi_output_and_raw_outputs():
    scores, kind = class_scores(np.array([[0.9], [0.2]]), "sigmoid")
    assert kind == "probability"
    np.testing.assert_allclose(scores, [[0.1, 0.9], [0.8, 0.2]])
    np.testing.assert_array_equal(predicted_classes(np.array([[0.9], [0.2], [1.7], [-0.6]])), [1, 0, 1, 0])
    result = classify(np.array([[0.9], [0.2], [0.6]]), np.array([1, 1, 0]), "sigmoid", 2)
    np.testing.assert_array_equal(result.matrix, [[0, 1], [1, 1]])
    scores, kind = class_scores(np.array([[0.9, 0.3], [0.0, 0.0]]), "sigmoid")
    assert kind == "normalised"
    np.testing.assert_allclose(scores, [[0.75, 0.25], [0.5, 0.5]])
    scores, kind = class_scores(np.array([[2.0, -1.0]]), "linear")
    assert kind == "raw" and scores[0, 0] == 2.0
    assert class_scores(np.array([[0.4]]), "tanh")[1] == "raw"


def test_forward_of_arrays_matches_the_network_and_reads_only():
    rng = np.random.default_rng(1)
    net = Network.create([4, 5, 3], ["tanh", "softmax"], "log-likelihood", rng=rng)
    X = rng.standard_normal((23, 4)).astype(np.float32)
    before = [w.copy() for w in net.weights]
    out = forward(net.weights, net.biases, net.activations, X, chunk=7)
    np.testing.assert_allclose(out, net.forward(X), rtol=1e-6)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    for w, b in zip(net.weights, before):
        np.testing.assert_array_equal(w, b)
    np.testing.assert_array_equal(classify(out, np.zeros(23, int), "softmax", 3).matrix,
                                  net.confusion_matrix(X, np.eye(3)[np.zeros(23, int)]))


def test_nan_weights_are_found():
    w = [np.ones((2, 2)), np.ones((2, 1))]
    b = [np.zeros(2), np.zeros(1)]
    assert parameters_finite(w, b)
    w[1][0, 0] = np.nan
    assert not parameters_finite(w, b)


def test_regression_rmse_and_r2_by_hand():
    rng = np.random.default_rng(2)
    y = rng.standard_normal((50, 2))
    p = y + rng.normal(0, 0.3, (50, 2))
    rmse, r2 = regression_errors(p, y)
    for k in range(2):
        assert rmse[k] == pytest.approx(np.sqrt(np.mean((p[:, k] - y[:, k]) ** 2)))
        ss_res = np.sum((y[:, k] - p[:, k]) ** 2)
        ss_tot = np.sum((y[:, k] - y[:, k].mean()) ** 2)
        assert r2[k] == pytest.approx(1 - ss_res / ss_tot)
    rmse, r2 = regression_errors(np.ones((3, 1)), np.full((3, 1), 2.0))
    assert rmse[0] == pytest.approx(1.0) and math.isnan(r2[0])


def test_shading_by_row_or_by_count():
    matrix = np.array([[8, 2], [0, 0]])
    np.testing.assert_allclose(shading(matrix), [[0.8, 0.2], [0.0, 0.0]])
    np.testing.assert_allclose(shading(matrix, by_row=False), [[1.0, 0.25], [0.0, 0.0]])


def test_the_evaluate_sentence_is_the_command_lines():
    assert evaluation_message("MNIST", "test", 10000, 0.12345, 0.9512) == \
        "MNIST, test split (10000 items): cost 0.1235, accuracy 95.12%"
    assert evaluation_message("sine", "test", 20, float("nan"), None) == "sine, test split (20 items): cost —"


def test_data_identity_tells_another_data_set_from_the_same_one_resized():
    spiral = data_identity(load_dataset("spiral:arms=3"))
    assert spiral == data_identity(load_dataset("spiral:arms=3,points=300,noise=0.2"))     # same classes
    assert spiral != data_identity(load_dataset("spiral:arms=4"))                          # other classes
    assert spiral != data_identity(load_dataset("circle"))
    assert data_identity(None) is None


def test_cell_sentence_and_the_csv_tables():
    matrix = np.array([[1, 2], [0, 3]])
    assert cell_sentence(["a", "b"], matrix, 0, 1) == "True a, predicted b: 2 items (66.7 % of the true a)"
    assert cell_sentence(["a", "b"], np.zeros((2, 2), dtype=int), 1, 1) == "True b, predicted b: 0 items"
    header, rows = confusion_table(matrix, ["a", "b"])
    assert header == ["true \\ predicted", "a", "b", "per-class accuracy"]
    assert rows == [["a", 1, 2, pytest.approx(1 / 3)], ["b", 0, 3, 1.0], ["all", 1, 5, pytest.approx(4 / 6)]]
    header, rows = regression_table(np.array([[1.0], [2.0]]), np.array([[1.5], [2.5]]), ["y"])
    assert header == ["target y", "prediction y"] and rows == [[1.0, 1.5], [2.0, 2.5]]


def test_names_fall_back_to_numbers_when_they_do_not_match():
    ds = load_dataset("spiral:arms=3")
    assert class_names(ds, 3) == list(ds.class_names) and class_names(ds, 2) == ["0", "1"]
    assert target_names(ds, 2) == ["output 1", "output 2"]


def test_standardised_and_raw_inputs_are_inverse():
    rng = np.random.default_rng(0)
    X = rng.random((5, 3))
    stats = (np.array([0.5, 1.0, 2.0]), np.array([2.0, 0.0, 0.5]))     # a constant feature: std 0
    np.testing.assert_allclose(raw_inputs(standardised(X, stats), stats), X)
    np.testing.assert_allclose(standardised(X, stats)[:, 0], (X[:, 0] - 0.5) / 2.0)
    assert standardised(X, None) is X and raw_inputs(X, None) is X


def test_valid_settings_keep_only_good_values():
    good = {"split": "test", "cell": [2, 1], "normalise": False, "output": 1}
    assert valid_settings(good) == {"split": "test", "cell": (2, 1), "normalise": False, "output": 1}
    assert valid_settings({"cell": None}) == {"cell": None}
    for bad in ({"split": "nope", "cell": "x", "normalise": 3, "output": -1}, {"cell": [1, True]},
                {"cell": [1, 2, 3], "output": True}, {"cell": [1, 10_000]}, None, [], "x"):
        assert valid_settings(bad) == {}


def test_the_confusion_matrix_of_many_classes_still_counts_every_item():
    from workbench.core.evaluation import MAX_MATRIX_CLASSES, bounded_classes

    rng = np.random.default_rng(3)
    k, n = 500, 2000
    labels = rng.integers(0, k, n)
    outputs = rng.random((n, k)).astype(np.float32)
    outputs[np.arange(0, n, 2), labels[::2]] = 2.0          # every other item right
    names = [f"c{i}" for i in range(k)]
    results, matrix_names, recall, accuracy, note = bounded_classes(outputs, labels, "softmax", k, names)
    assert results.matrix.shape == (MAX_MATRIX_CLASSES, MAX_MATRIX_CLASSES) and results.matrix.sum() == n
    assert accuracy == pytest.approx(np.mean(outputs.argmax(1) == labels))
    assert len(matrix_names) == MAX_MATRIX_CLASSES and matrix_names[-1].startswith("other classes")
    shown = [int(name[1:]) for name in matrix_names[:-1]]
    for row, c in enumerate(shown):                         # a shown class's row is exact
        assert results.matrix[row].sum() == np.sum(labels == c)
        assert results.matrix[row, row] == np.sum((labels == c) & (outputs.argmax(1) == c))
    assert 0 <= recall[-1] <= 1 and note
