"""Training on the real MNIST files reaches the textbook accuracy (skipped where the files are absent)."""

import numpy as np

from workbench.core import EpochRecord, Hyperparameters, Network, train
from workbench.data import load_dataset


def test_one_epoch_of_nielsens_network_beats_93_percent(mnist_dir):
    ds = load_dataset(f"mnist:{mnist_dir}")
    rng = np.random.default_rng(0)
    net = Network.create([784, 30, 10], ["sigmoid", "sigmoid"], "cross-entropy", rng=rng)
    hp = Hyperparameters(lr=0.5, batch_size=10, epochs=1)
    records = [r for r in train(net, ds.train.X, ds.train.Y, hp, rng,
                                validation=(ds.validation.X, ds.validation.Y)) if isinstance(r, EpochRecord)]
    assert records[0].val_accuracy < 0.2
    assert records[-1].val_accuracy > 0.93
    assert net.evaluate(ds.test.X, ds.test.Y)[1] > 0.93


def test_deep_sigmoid_net_shows_the_vanishing_gradient(mnist_dir):
    """Nielsen ch. 5: at initialisation, each layer learns several times slower than the next."""
    ds = load_dataset(f"mnist:{mnist_dir},train=1000,validation=0,test=0")
    net = Network.create([784, 30, 30, 30, 30, 10], ["sigmoid"] * 5, "quadratic", rng=np.random.default_rng(0))
    initial = next(train(net, ds.train.X, ds.train.Y, Hyperparameters(lr=0.1, epochs=1)))
    speeds = initial.delta_norms
    assert all(later > 2 * earlier for earlier, later in zip(speeds, speeds[1:])), speeds
