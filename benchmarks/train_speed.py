"""Training throughput of the Workbench core against a textbook per-sample loop and PyTorch (CPU).

    python benchmarks/train_speed.py [--threads 1] [--samples 50000] [--reference-samples 5000]

One epoch of mini-batch SGD (sigmoid layers, cross-entropy cost, η = 0.5) on MNIST-shaped data:
the real training images from ../shared/data/mnist when present, random data of the same shape
otherwise. All three implementations run in this process with the same layers, batch size and BLAS
threads; the per-sample loop is timed on a subset (it is slow) and reported as a rate. Prints a
table of samples/s, the ratios to the targets (≥ 3× PyTorch at batch 10, ≥ 1.5× at batch 100,
≥ 5× the per-sample loop) and the peak memory the core's epoch allocated (tracemalloc).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

CONFIGS = [([784, 30, 10], 10), ([784, 30, 10], 100), ([784, 100, 10], 10), ([784, 30, 30, 30, 30, 10], 10)]
REPO = Path(__file__).resolve().parent.parent


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1)")
    parser.add_argument("--samples", type=int, default=50_000, help="training items in the epoch")
    parser.add_argument("--reference-samples", type=int, default=5_000, help="items for the per-sample loop")
    parser.add_argument("--repeats", type=int, default=1, help="epochs per implementation; the best is kept")
    return parser.parse_args()


ARGS = _parse()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402  (thread settings must precede the import)

from workbench.core import BatchRecord, Hyperparameters, Network, train  # noqa: E402


def load_data(n):
    mnist = REPO.parent / "shared" / "data" / "mnist"
    try:
        from workbench.data import load_dataset

        if (mnist / "train-images-idx3-ubyte.gz").exists():
            ds = load_dataset(f"mnist:{mnist}")
            X, Y = ds.train.X[:n], ds.train.Y[:n]
            return X, Y, f"MNIST training images ({len(X)})"
    except ImportError:
        pass
    rng = np.random.default_rng(0)
    X = rng.random((n, 784), dtype=np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    return X, Y, f"random MNIST-shaped data ({n})"


def workbench_epoch(sizes, batch, X, Y, measure_memory=False):
    """(samples/s of one epoch's training, seconds of its end-of-epoch evaluation), or with
    ``measure_memory`` the peak bytes the epoch allocated (a separate run: tracemalloc slows every
    numpy allocation down).

    The training rate is wall-clock time from the start to the last batch record, everything the
    generator does included; the evaluation on the whole training set that ends each epoch (cost and
    accuracy, which the PyTorch loop does not compute) is timed apart.
    """
    rng = np.random.default_rng(0)
    net = Network.create(sizes, ["sigmoid"] * (len(sizes) - 1), "cross-entropy", rng=rng, dtype="float32")
    hp = Hyperparameters(lr=0.5, batch_size=batch, epochs=1)
    if measure_memory:
        tracemalloc.start()
    clock = time.perf_counter
    started = last_batch = clock()
    for record in train(net, X, Y, hp, rng, evaluate_initial=False):
        if type(record) is BatchRecord:
            last_batch = clock()
    evaluation = clock() - last_batch
    if measure_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak
    return len(X) / (last_batch - started), evaluation


def reference_epoch(sizes, batch, X, Y):
    """Nielsen's network.py: column vectors, one back-propagation per sample, gradients summed per batch."""
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((n_out, n_in)) / np.sqrt(n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal((n_out, 1)) for n_out in sizes[1:]]
    data = [(x.reshape(-1, 1).astype(np.float64), y.reshape(-1, 1).astype(np.float64)) for x, y in zip(X, Y)]
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    started = time.perf_counter()
    order = rng.permutation(len(data))
    for k in range(0, len(data), batch):
        nabla_b = [np.zeros(b.shape) for b in biases]
        nabla_w = [np.zeros(w.shape) for w in weights]
        for i in order[k:k + batch]:
            x, y = data[i]
            activation, activations, zs = x, [x], []
            for b, w in zip(biases, weights):
                z = w @ activation + b
                zs.append(z)
                activation = sigmoid(z)
                activations.append(activation)
            delta = activations[-1] - y
            nabla_b[-1] += delta
            nabla_w[-1] += delta @ activations[-2].T
            for l in range(2, len(sizes)):
                sp = sigmoid(zs[-l]) * (1 - sigmoid(zs[-l]))
                delta = (weights[-l + 1].T @ delta) * sp
                nabla_b[-l] += delta
                nabla_w[-l] += delta @ activations[-l - 1].T
        m = len(order[k:k + batch])
        weights = [w - (0.5 / m) * nw for w, nw in zip(weights, nabla_w)]
        biases = [b - (0.5 / m) * nb for b, nb in zip(biases, nabla_b)]
    return len(data) / (time.perf_counter() - started)


def torch_epoch(sizes, batch, X, Y):
    import torch

    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(0)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers[:-1])  # last sigmoid folded into the loss
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    Xt, Yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(Y))
    order = torch.randperm(len(Xt))
    started = time.perf_counter()
    for k in range(0, len(Xt), batch):
        index = order[k:k + batch]
        xb, yb = Xt[index], Yt[index]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb) / len(index)
        loss.backward()
        optimizer.step()
    return len(Xt) / (time.perf_counter() - started)


def main():
    X, Y, source = load_data(ARGS.samples)
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    print(f"Data: {source}; BLAS/torch threads: {ARGS.threads}; numpy {np.__version__}; "
          f"PyTorch {torch_version or 'not installed (pip install torch==2.13.0)'}")
    print(f"Per-sample loop timed on {min(ARGS.reference_samples, len(X))} items.\n")
    header = (f"{'layers':<24}{'batch':>6}{'workbench':>12}{'per-sample':>12}{'pytorch':>10}"
              f"{'vs loop':>9}{'vs torch':>10}{'target':>8}{'peak MB':>9}{'eval s':>8}")
    print(header)
    print("-" * len(header))
    for sizes, batch in CONFIGS:
        ours, evaluation = max(workbench_epoch(sizes, batch, X, Y) for _ in range(ARGS.repeats))
        peak = workbench_epoch(sizes, batch, X[:10_000], Y[:10_000], measure_memory=True)
        n_ref = min(ARGS.reference_samples, len(X))
        ref = reference_epoch(sizes, batch, X[:n_ref], Y[:n_ref])
        torch_rate = max(torch_epoch(sizes, batch, X, Y) for _ in range(ARGS.repeats)) if torch_version else None
        target = 3.0 if batch == 10 else 1.5
        print(f"{str(sizes):<24}{batch:>6}{ours:>12,.0f}{ref:>12,.0f}"
              f"{(f'{torch_rate:,.0f}' if torch_rate else '—'):>10}{ours / ref:>8.1f}×"
              f"{(f'{ours / torch_rate:.2f}×' if torch_rate else '—'):>10}{f'{target:g}×':>8}{peak / 2**20:>9.1f}{evaluation:>8.2f}",
              flush=True)
    print("\nsamples/s of training; 'vs loop' target ≥ 5×; 'vs torch' target in the 'target' column; "
          "peak MB = memory the core allocated beyond the data during an epoch of 10,000 items (tracemalloc, "
          "measured in a separate run); eval s = the end-of-epoch evaluation on the whole training set "
          "(cost and accuracy), which the workbench does and the PyTorch loop does not, timed apart.")


if __name__ == "__main__":
    main()
