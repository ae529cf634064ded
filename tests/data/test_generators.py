"""Synthetic generators: determinism, shapes, documented parameters, textbook values."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.data import GENERATORS, DataError, load_dataset
from workbench.data.functions import nielsen_function
from workbench.data.params import format_value

ALL = list(GENERATORS)
RANDOM = [name for name, info in GENERATORS.items() if any(p.name == "seed" for p in info.params)]


def arrays(ds):
    out = []
    for split in ds.splits.values():
        out += [split.X, split.Y] + ([split.labels] if split.labels is not None else [])
    return out


def test_every_issue_generator_is_registered():
    expected = {"teacher", "xor", "parity", "not", "mazur", "circle", "quadrants", "gaussians", "spiral",
                "moons", "nielsen-function", "sine", "plane", "multi-gaussian"}
    assert expected == set(GENERATORS)
    assert ALL[0] == "teacher"


@pytest.mark.parametrize("name", ALL)
def test_documented_parameters(name):
    info = GENERATORS[name]
    assert info.doc.endswith(".") and info.title
    for p in info.params:
        assert p.doc and p.kind in ("int", "float", "bool", "choice", "str", "sizes")
        assert p.parse(format_value(p.default)) == p.default, p.name
        if p.kind == "choice":
            assert p.default in p.choices


@pytest.mark.parametrize("name", ALL)
def test_deterministic_and_spec_recreates(name):
    a, b = load_dataset(name), load_dataset(name)
    for x, y in zip(arrays(a), arrays(b), strict=True):
        np.testing.assert_array_equal(x, y)
    c = load_dataset(a.spec)
    assert c.spec == a.spec
    for x, y in zip(arrays(a), arrays(c), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", ALL)
def test_shapes_and_dtypes(name):
    ds = load_dataset(name)
    assert ds.task == GENERATORS[name].task
    assert "validation" in ds.splits
    for split in ds.splits.values():
        assert split.X.dtype == np.float32 and split.Y.dtype == np.float32
        assert split.X.shape == (len(split), ds.n_inputs) and split.Y.shape == (len(split), ds.n_outputs)
        assert np.all(np.isfinite(split.X)) and np.all(np.isfinite(split.Y))
        if ds.task == "classification":
            assert split.labels.dtype == np.int64
            assert split.labels.min() >= 0 and split.labels.max() < len(ds.class_names)
    assert len(ds.feature_names) == ds.n_inputs
    assert ds.summary().startswith(ds.name)


@pytest.mark.parametrize("name", RANDOM)
def test_seed_changes_the_data(name):
    a, b = load_dataset(f"{name}:seed=1"), load_dataset(f"{name}:seed=2")
    assert any(not np.array_equal(x, y) for x, y in zip(arrays(a), arrays(b)))


@pytest.mark.parametrize("name", RANDOM)
def test_random_seed_is_resolved_in_spec(name):
    ds = load_dataset(f"{name}:seed=random")
    seed = ds.params["seed"]
    assert isinstance(seed, int) and f"seed={seed}" in ds.spec
    for x, y in zip(arrays(ds), arrays(load_dataset(ds.spec))):
        np.testing.assert_array_equal(x, y)


def test_xor():
    ds = load_dataset("xor")
    np.testing.assert_array_equal(ds.train.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(ds.train.Y, [[0], [1], [1], [0]])
    np.testing.assert_array_equal(ds.train.labels, [0, 1, 1, 0])
    np.testing.assert_array_equal(ds.validation.X, ds.train.X)
    two = load_dataset("xor:outputs=2")
    np.testing.assert_array_equal(two.train.Y, [[1, 0], [0, 1], [0, 1], [1, 0]])


def test_parity():
    ds = load_dataset("parity:bits=4")
    assert ds.train.X.shape == (16, 4) and len(np.unique(ds.train.X, axis=0)) == 16
    np.testing.assert_array_equal(ds.train.labels, ds.train.X.sum(axis=1).astype(int) % 2)
    assert ds.class_names == ["even", "odd"]
    with pytest.raises(DataError, match="bits must be an integer from 1 to 16"):
        load_dataset("parity:bits=17")


def test_not_gate():
    ds = load_dataset("not")
    np.testing.assert_array_equal(ds.train.X, [[0], [1]])
    np.testing.assert_array_equal(ds.train.Y, [[1], [0]])


def test_mazur_example():
    ds = load_dataset("mazur")
    assert ds.task == "regression" and ds.n_inputs == 2 and ds.n_outputs == 2
    np.testing.assert_allclose(ds.train.X, [[0.05, 0.10]])
    np.testing.assert_allclose(ds.train.Y, [[0.01, 0.99]])
    with pytest.raises(DataError, match="mazur has no parameter 'seed'"):
        load_dataset("mazur:seed=1")


def test_teacher_defaults_and_balance():
    ds = load_dataset("teacher")
    assert ds.n_inputs == 4 and ds.n_outputs == 3
    assert [len(ds.train), len(ds.validation), len(ds.test)] == [1200, 400, 400]
    X = np.concatenate([s.X for s in ds.splits.values()])
    assert X.min() >= -4 and X.max() <= 4
    for seed in range(5):
        labels = np.concatenate([s.labels for s in load_dataset(f"teacher:seed={seed}").splits.values()])
        assert np.bincount(labels, minlength=3).min() >= 0.5 * 2000 / 3


def test_teacher_parameters():
    ds = load_dataset("teacher:inputs=6,hidden=8-5,classes=4,items=500,validation=0.1,test=0")
    assert ds.n_inputs == 6 and ds.n_outputs == 4 and ds.test is None
    assert len(ds.train) == 450 and len(ds.validation) == 50
    assert "hidden=8-5" in ds.spec
    assert len(np.unique(ds.train.labels)) == 4
    with pytest.raises(DataError, match="hidden must be layer sizes"):
        load_dataset("teacher:hidden=10-zero")


def test_teacher_is_learnable_by_a_linear_probe_baseline():
    # Not a training test: the labels must depend on the inputs (a nearest-centroid rule beats chance).
    ds = load_dataset("teacher")
    centroids = np.stack([ds.train.X[ds.train.labels == c].mean(axis=0) for c in range(3)])
    pred = np.argmin(((ds.test.X[:, None, :] - centroids) ** 2).sum(axis=2), axis=1)
    assert (pred == ds.test.labels).mean() > 0.5


def test_circle_geometry():
    ds = load_dataset("circle")
    for split in ds.splits.values():
        r = np.hypot(split.X[:, 0], split.X[:, 1])
        assert np.all((r < 2.5) == (split.labels == 1))
    assert ds.class_names == ["outside", "inside"] and ds.n_outputs == 2
    noisy = load_dataset("circle:noise=0.5")
    r = np.hypot(noisy.train.X[:, 0], noisy.train.X[:, 1])
    assert np.any((r < 2.5) != (noisy.train.labels == 1))


def test_quadrants_geometry():
    ds = load_dataset("quadrants:outputs=1")
    x, y = ds.train.X[:, 0], ds.train.X[:, 1]
    np.testing.assert_array_equal(ds.train.labels, (x * y >= 0).astype(int))
    assert np.all(np.abs(ds.train.X) >= 0.3 - 1e-6) and ds.n_outputs == 1


def test_gaussians_noise_widens():
    tight, wide = load_dataset("gaussians"), load_dataset("gaussians:noise=0.5")
    assert wide.train.X.std() > tight.train.X.std()
    centre = tight.train.X[tight.train.labels == 1].mean(axis=0)
    np.testing.assert_allclose(centre, [2, 2], atol=0.3)


def test_spiral_arms():
    ds = load_dataset("spiral:arms=4,points=400")
    assert ds.n_outputs == 4 and ds.class_names == ["arm 1", "arm 2", "arm 3", "arm 4"]
    labels = np.concatenate([s.labels for s in ds.splits.values()])
    assert np.bincount(labels).tolist() == [100, 100, 100, 100]
    with pytest.raises(DataError, match="arms must be an integer from 2 to 10"):
        load_dataset("spiral:arms=1")


def test_moons():
    ds = load_dataset("moons:noise=0,points=200")
    upper = ds.train.X[ds.train.labels == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-5)


def test_nielsen_function():
    np.testing.assert_allclose(nielsen_function(np.array([0.0, 1.0])),
                               [0.25, 0.2 + 0.4 + 0.3 * np.sin(15) + 0.05 * np.cos(50)])
    ds = load_dataset("nielsen-function")
    np.testing.assert_allclose(ds.train.Y[:, 0], nielsen_function(ds.train.X[:, 0].astype(np.float64)),
                               rtol=1e-5, atol=1e-6)
    assert ds.train.X.min() >= 0 and ds.train.X.max() <= 1


def test_sine():
    ds = load_dataset("sine:cycles=2")
    np.testing.assert_allclose(ds.train.Y[:, 0], np.sin(2 * np.pi * ds.train.X[:, 0]), atol=1e-5)


def test_plane_and_multi_gaussian():
    plane = load_dataset("plane")
    np.testing.assert_allclose(plane.train.Y[:, 0], plane.train.X.sum(axis=1) / 10, atol=1e-6)
    mg = load_dataset("multi-gaussian")
    assert mg.train.Y.min() >= -1 and mg.train.Y.max() <= 1
    bump = load_dataset("multi-gaussian:points=4000")
    near = np.hypot(bump.train.X[:, 0] + 4, bump.train.X[:, 1] - 2.5) < 0.2
    assert np.all(bump.train.Y[near, 0] > 0.85)


@pytest.mark.parametrize("spec, message", [
    ("circle:validation=0.6,test=0.5", "must be below 1"),
    ("circle:validation=2", "validation must be a number from 0 to 0.9"),
    ("circle:noise=-1", "noise must be a number from 0 to 1"),
    ("circle:outputs=3", "outputs must be one of 1, 2"),
    ("circle:points=abc", "points must be an integer"),
    ("circle:seed=-4", "seed must be an integer from 0"),
    ("teacher:items=5", "items must be an integer from 10"),
    ("sine:cycles=inf", "cycles must be a number"),
    ("circle:radius=3", "circle has no parameter 'radius' \\(its parameters: points, noise"),
    ("xor:/some/path", "xor is generated and takes no path"),
])
def test_bad_parameters(spec, message):
    with pytest.raises(DataError, match=message):
        load_dataset(spec)


def test_splits_are_shuffled_and_disjoint():
    ds = load_dataset("gaussians:points=100,validation=0.2,test=0.1")
    assert [len(s) for s in ds.splits.values()] == [70, 20, 10]
    rows = np.concatenate([s.X for s in ds.splits.values()])
    assert len(np.unique(rows, axis=0)) == 100
    assert 0 < ds.validation.labels.mean() < 1
