"""The labs reproduce their figures: on real MNIST (../shared/data/mnist; skipped where absent) the
vanishing-gradient labs' initial learning speeds agree with the figures Nielsen prints, within the
spread from one random initialisation to the next; and labs run from ``main.py --lab`` scripted."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.core.lab_files import NIELSEN_SPEEDS, SPEED_SPREAD
from workbench.core.labs import initial_speeds, load_lab
from workbench.core.runsetup import create_network

REPO = Path(__file__).resolve().parent.parent
SEEDS = 20


def _mnist_1000(mnist_dir):
    from workbench.data import load_dataset

    ds = load_dataset(f"mnist:{mnist_dir},train=1000,validation=0,test=0")
    return ds.train.X, ds.train.Y


@pytest.mark.parametrize("hidden", sorted(NIELSEN_SPEEDS))
def test_initial_learning_speeds_agree_with_the_book(mnist_dir, hidden):
    lab = load_lab(f"vanishing-gradient-{hidden}")
    s, book = lab.session, np.array(lab.reference["initial_speeds"])
    assert lab.reference["spread"] == SPEED_SPREAD
    X, Y = _mnist_1000(mnist_dir)
    hp = s.hyperparameters
    net = create_network(s.architecture, init=hp["init"], bias_init=hp["bias_init"], seed=hp["seed"],
                         dtype=hp["dtype"])
    measured = np.array(initial_speeds(net, X, Y)[:hidden])
    low, high = SPEED_SPREAD
    assert np.all((low <= measured / book) & (measured / book <= high)), (measured, book)
    assert np.all(np.diff(measured) > 0), "every hidden layer learns faster than the one before it"
    # Over other initialisations: each book figure lies within the range of the measured speeds,
    # and that range stays within the stated spread of its median.
    runs = np.array([initial_speeds(create_network(s.architecture, seed=seed, dtype="float64"),
                                    X.astype(np.float64), Y.astype(np.float64))[:hidden]
                     for seed in range(1, SEEDS + 1)])
    assert np.all(runs.min(axis=0) <= book * 1.05) and np.all(book <= runs.max(axis=0) * 1.05), (runs, book)
    median = np.median(runs, axis=0)
    assert np.all(np.percentile(runs, 10, axis=0) >= low * median)
    assert np.all(np.percentile(runs, 90, axis=0) <= high * median)


def _run(tmp_path, *args, timeout=120):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_SETTINGS": str(tmp_path / "s.ini")}
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_labs_are_listed_by_group_and_an_unknown_lab_is_refused(tmp_path):
    listed = _run(tmp_path, "--list-labs")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert "Nielsen, chapter 5" in lines and "TensorFlow Playground" in lines
    assert any(line.split()[:1] == ["vanishing-gradient-2"] and "2 hidden layers" in line for line in lines)
    refused = _run(tmp_path, "--lab", "no-such-lab")
    assert refused.returncode == 2 and "no lab called 'no-such-lab'" in refused.stderr
    assert "playground-xor" in refused.stderr and "Traceback" not in refused.stderr
    both = _run(tmp_path, "--lab", "playground-xor", "--session", "x.wbsession")
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_a_lab_trains_scripted_from_the_command_line(tmp_path):
    out, shot = tmp_path / "xor.wbsession", tmp_path / "xor.png"
    result = _run(tmp_path, "--lab", "playground-xor", "--train-epochs", "3", "--view", "output-map",
                  "--save-session", str(out), "--screenshot", str(shot), "--size", "1280x800")
    assert result.returncode == 0, result.stderr
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert "lab" not in saved and saved["epochs_trained"] == 3 and saved["name"] == "Playground: XOR"
    assert saved["architecture"]["sizes"] == [2, 4, 2, 1] and shot.stat().st_size > 10_000


def test_a_vanishing_lab_trains_scripted_and_records_the_books_speeds(mnist_dir, tmp_path):
    cache = tmp_path / "cache"
    (cache / "workbench" / "datasets").mkdir(parents=True)
    os.symlink(mnist_dir, cache / "workbench" / "datasets" / "mnist")
    out = tmp_path / "v2.wbsession"
    env_cache = {"XDG_CACHE_HOME": str(cache)}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_SETTINGS": str(tmp_path / "s.ini"),
           **env_cache}
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "--lab", "vanishing-gradient-2",
                             "--train-epochs", "2", "--save-session", str(out)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    epochs = json.loads(out.read_text(encoding="utf-8"))["history"]["epochs"]
    assert epochs["epoch"][0] == 0
    first = np.array([layer[0] for layer in epochs["delta_norms"]][:2])
    ratio = first / np.array(NIELSEN_SPEEDS[2])
    assert np.all((SPEED_SPREAD[0] <= ratio) & (ratio <= SPEED_SPREAD[1])), first


def _trained_accuracy(lab_name, mnist_dir, epochs, **changes):
    """Train the lab's network (its seed and settings, ``changes`` applied) on its 1,000 MNIST images
    for ``epochs`` full-batch epochs; the last training accuracy."""
    from workbench.core import Hyperparameters, train
    from workbench.core.runsetup import shuffle_rng

    s = load_lab(lab_name).session
    hp = dict(s.hyperparameters, epochs=epochs, **changes)
    net = create_network(s.architecture, init=hp["init"], bias_init=hp["bias_init"], seed=hp["seed"],
                         dtype=hp["dtype"])
    fields = {"optimizer", "lr", "momentum", "batch_size", "epochs", "l2", "layer_lr"}
    X, Y = _mnist_1000(mnist_dir)
    last = None
    for rec in train(net, X, Y, Hyperparameters(**{k: v for k, v in hp.items() if k in fields}),
                     rng=shuffle_rng(hp["seed"])):
        last = getattr(rec, "train_accuracy", None) if hasattr(rec, "train_accuracy") else last
    return last


def test_the_layer_rate_remedy_leaves_the_plateau_the_plain_network_stays_on(mnist_dir):
    """200 epochs: with the multipliers the four-hidden-layer sigmoid net learns; without (A/B with
    the multipliers off, as the lab's text suggests) it stays at guessing the commonest digit."""
    remedy = _trained_accuracy("vanishing-gradient-layer-lr", mnist_dir, 200)
    plain = _trained_accuracy("vanishing-gradient-layer-lr", mnist_dir, 200, layer_lr=None)
    assert plain < 0.15 and remedy > 0.2, (plain, remedy)


def test_mccaffreys_start_makes_each_layer_back_learn_far_more_slowly():
    from workbench.data import load_dataset

    s = load_lab("mccaffrey").session
    ds = load_dataset(s.data)
    speeds = np.array(initial_speeds(s.network, ds.train.X, ds.train.Y))
    assert np.all(speeds[1:] / speeds[:-1] > 20), speeds        # vanished toward the input
    assert s.watch == [(0, 0, 0)] or [tuple(w) for w in s.watch] == [(0, 0, 0)]
