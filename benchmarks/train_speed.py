"""Training throughput of the Workbench engines against PyTorch (CPU), a plain C loop and a textbook
per-sample numpy loop, with the targets of issue 10.

    .venv/bin/python benchmarks/train_speed.py [--seconds 1] [--threads 1] [--only tiny|mnist]

Every cell is samples/s of training alone: each implementation trains the same layers with the same
batch size (1 = an update per sample; 10 or 100 = the mean gradient of that many samples, one
update) over epochs of the same training set in a fresh random order, for at least ``--seconds`` of
wall time, in this process with the same BLAS/torch threads. The Workbench runs are
``train(..., chunked=True, evaluate_every=2**30, epochs=None)``: no epoch summaries, everything else
the generator does (chunking, per-batch figures) included; the compiled kernel is prepared (compiled
or loaded from numba's cache) before any clock starts.

  compiled, numpy  Workbench with engine="compiled" (numba kernel) / engine="numpy" (the reference)
  pytorch          torch.nn.Sequential + SGD, float32, torch.set_num_threads(--threads)
  C loop           benchmarks/c_loop.c built with ``cc -O2`` into a temporary folder (skipped with a
                   note where there is no C compiler): per-sample forward, backprop and update in
                   float32, timed by itself (clock_gettime), data handed over as a raw file
  per-sample       Nielsen's network.py loop in numpy (MNIST rows only; the ≥ 5× target of issue 6)

Networks: XOR 2-2-1 sigmoid (4 samples an epoch); TensorFlow Playground's circle (250 training
points) 2-4-2-1 tanh with a sigmoid output; McCaffrey's teacher data (1,200 training items)
4-10-10-10-3 tanh with softmax / log-likelihood; MNIST (the training images in ../shared/data/mnist
when present, random data of the same shape otherwise) with sigmoid layers and cross-entropy.
After the table come the targets with PASS / MISS, and the peak memory the core allocated in one
MNIST epoch (tracemalloc).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
C_SOURCE = Path(__file__).resolve().parent / "c_loop.c"
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1)")
    parser.add_argument("--seconds", type=float, default=1.0, help="least wall time per cell (default 1)")
    parser.add_argument("--samples", type=int, default=50_000, help="MNIST training items (default 50,000)")
    parser.add_argument("--reference-samples", type=int, default=5_000,
                        help="MNIST items the per-sample numpy loop cycles through (default 5,000)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell; the best is kept")
    parser.add_argument("--only", choices=("tiny", "mnist"), help="only the tiny networks or only MNIST")
    parser.add_argument("--pace", type=float, default=None,
                        help="seconds per chunk of the Workbench generator (default: training.Pace's)")
    return parser.parse_args()


ARGS = _parse()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402  (thread settings must precede the import)

from workbench.core import Hyperparameters, Network, kernel, train  # noqa: E402
from workbench.core.training import BatchChunk, Diverged, EpochRecord, Pace  # noqa: E402


@dataclass(frozen=True)
class Net:
    name: str
    data: str                   # "mnist" or a load_dataset spec
    sizes: tuple
    activations: tuple          # one per weight layer
    cost: str
    lr: float


XOR = Net("XOR", "xor", (2, 2, 1), ("sigmoid", "sigmoid"), "cross-entropy", 0.5)
CIRCLE = Net("circle", "circle:outputs=1", (2, 4, 2, 1), ("tanh", "tanh", "sigmoid"), "cross-entropy", 0.1)
TEACHER = Net("teacher", "teacher", (4, 10, 10, 10, 3), ("tanh",) * 3 + ("softmax",), "log-likelihood", 0.05)


def _mnist(sizes) -> Net:
    return Net("MNIST", "mnist", tuple(sizes), ("sigmoid",) * (len(sizes) - 1), "cross-entropy", 0.5)


MNIST_SMALL, MNIST_WIDE, MNIST_DEEP = _mnist([784, 30, 10]), _mnist([784, 100, 10]), _mnist([784, 30, 30, 30, 30, 10])
TINY_CELLS = [(net, batch) for net in (XOR, CIRCLE, TEACHER) for batch in (1, 10)]
MNIST_CELLS = [(MNIST_SMALL, 1), (MNIST_SMALL, 10), (MNIST_SMALL, 100), (MNIST_WIDE, 10), (MNIST_DEEP, 10)]

# (what, cell, measure, least ratio, or most ratio): measure is "C/compiled", "compiled/numpy",
# "compiled/torch" or "compiled/per-sample".
TARGETS = (
    [(f"{net.name} batch {b}: within {limit:g}× of the C loop", (net, b), "C/compiled", None, limit)
     for net, limit in ((XOR, 5.0), (CIRCLE, 3.0), (TEACHER, 3.0)) for b in (1, 10)]
    + [("teacher online: ≥ 40× today's engine (numpy)", (TEACHER, 1), "compiled/numpy", 40.0, None),
       ("MNIST [784,30,10] batch 1: ≥ 10× PyTorch", (MNIST_SMALL, 1), "compiled/torch", 10.0, None),
       ("MNIST [784,30,10] batch 10: ≥ 6× PyTorch", (MNIST_SMALL, 10), "compiled/torch", 6.0, None),
       ("MNIST [784,30,10] batch 100: ≥ 2.5× PyTorch", (MNIST_SMALL, 100), "compiled/torch", 2.5, None),
       ("MNIST [784,30,30,30,30,10] batch 10: ≥ 6× PyTorch", (MNIST_DEEP, 10), "compiled/torch", 6.0, None),
       ("MNIST [784,100,10] batch 10: ≥ 3× PyTorch (issue 6)", (MNIST_WIDE, 10), "compiled/torch", 3.0, None)]
    + [(f"MNIST [{','.join(map(str, net.sizes))}] batch {b}: ≥ 5× the per-sample loop (issue 6)", (net, b),
        "compiled/per-sample", 5.0, None) for net, b in MNIST_CELLS]
)


def load_data(spec: str):
    """(X (n, n_in) float32, Y (n, n_out) float32, description) of ``spec``'s training split."""
    from workbench.data import load_dataset

    if spec == "mnist":
        n = ARGS.samples
        if (MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
            ds = load_dataset(f"mnist:{MNIST_DIR}")
            X, Y = ds.train.X[:n], ds.train.Y[:n]
            return _f32(X), _f32(Y), f"MNIST training images ({len(X):,})"
        rng = np.random.default_rng(0)
        X = rng.random((n, 784), dtype=np.float32)
        return X, np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)], f"random MNIST-shaped data ({n:,})"
    ds = load_dataset(spec)
    return _f32(ds.train.X), _f32(ds.train.Y), f"{ds.name} ({len(ds.train):,} training items)"


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def workbench_rate(net_spec: Net, batch: int, X, Y, engine: str) -> float:
    """samples/s of ``train`` with ``engine`` over at least ARGS.seconds, chunked, no epoch summaries."""
    rng = np.random.default_rng(0)
    net = Network.create(list(net_spec.sizes), list(net_spec.activations), net_spec.cost, rng=rng, dtype="float32")
    hp = Hyperparameters(lr=net_spec.lr, batch_size=batch, epochs=None)
    pace = Pace() if ARGS.pace is None else Pace(seconds=ARGS.pace)
    n, trained = len(X), 0
    clock = time.perf_counter
    started = clock()
    generator = train(net, X, Y, hp, rng, evaluate_initial=False, chunked=True, evaluate_every=2 ** 30,
                      pace=pace, engine=engine)
    for record in generator:
        if type(record) is BatchChunk:
            trained = int((record.epoch[-1] - 1) * n + record.samples_seen[-1])
            if clock() - started >= ARGS.seconds:
                break
        elif isinstance(record, (Diverged, EpochRecord)):
            raise SystemExit(f"{net_spec.name} {list(net_spec.sizes)} batch {batch} ({engine}): unexpected {record!r}")
    elapsed = clock() - started
    generator.close()
    return trained / elapsed


def torch_rate(net_spec: Net, batch: int, X, Y) -> float:
    import torch

    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(0)
    hidden = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}
    layers = []
    for n_in, n_out, act in zip(net_spec.sizes[:-1], net_spec.sizes[1:], net_spec.activations):
        layers += [torch.nn.Linear(n_in, n_out), hidden.get(act, torch.nn.Identity)()]
    model = torch.nn.Sequential(*layers[:-1])            # the output activation is folded into the loss
    loss_fn = (torch.nn.CrossEntropyLoss(reduction="sum") if net_spec.activations[-1] == "softmax"
               else torch.nn.BCEWithLogitsLoss(reduction="sum"))
    optimizer = torch.optim.SGD(model.parameters(), lr=net_spec.lr)
    Xt = torch.from_numpy(X)
    Yt = torch.from_numpy(Y.argmax(axis=1) if net_spec.activations[-1] == "softmax" else Y)
    n, size = len(Xt), min(batch, len(Xt))
    trained = 0
    started = time.perf_counter()
    while True:
        order = torch.randperm(n)
        for k in range(0, n, size):
            index = order[k:k + size]
            optimizer.zero_grad()
            loss = loss_fn(model(Xt[index]), Yt[index]) / len(index)
            loss.backward()
            optimizer.step()
        trained += n
        elapsed = time.perf_counter() - started
        if elapsed >= ARGS.seconds:
            return trained / elapsed


def per_sample_rate(net_spec: Net, batch: int, X, Y) -> float:
    """Nielsen's network.py: column vectors, one back-propagation per sample, gradients summed per batch."""
    sizes = net_spec.sizes
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((n_out, n_in)) / np.sqrt(n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal((n_out, 1)) for n_out in sizes[1:]]
    data = [(x.reshape(-1, 1).astype(np.float64), y.reshape(-1, 1).astype(np.float64)) for x, y in zip(X, Y)]
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    trained = 0
    started = time.perf_counter()
    while time.perf_counter() - started < ARGS.seconds:
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
            trained += m
    return trained / (time.perf_counter() - started)


class CLoop:
    """benchmarks/c_loop.c, compiled once into a temporary folder; ``binary`` is None (and ``note``
    says why) where no C compiler is found or the build fails."""

    def __init__(self, folder: Path):
        self.folder, self.binary, self.note = folder, None, ""
        self._files: dict[str, Path] = {}
        compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if compiler is None:
            self.note = "no C compiler (cc, gcc or clang) on PATH: the C column is skipped"
            return
        binary = folder / "c_loop"
        self.command = [compiler, "-O2", "-o", str(binary), str(C_SOURCE), "-lm"]
        built = subprocess.run(self.command, capture_output=True, text=True)
        if built.returncode:
            self.note = f"{' '.join(self.command)} failed: {built.stderr.strip()[:300]}"
            return
        self.binary = binary
        self.note = f"C loop built with: {' '.join(self.command)}"

    def rate(self, net_spec: Net, batch: int, X, Y) -> float | None:
        if self.binary is None:
            return None
        data = self._files.get(net_spec.data)
        if data is None:
            data = self._files[net_spec.data] = self.folder / f"data{len(self._files)}.f32"
            with open(data, "wb") as f:
                f.write(X.tobytes())
                f.write(Y.tobytes())
        argv = [str(self.binary), str(data), str(len(X)), ",".join(map(str, net_spec.sizes)),
                ",".join(net_spec.activations), net_spec.cost, str(batch), str(net_spec.lr), str(ARGS.seconds), "1"]
        done = subprocess.run(argv, capture_output=True, text=True, check=True)
        return float(done.stdout.split()[0])


def best(measure, *args):
    return max(measure(*args) for _ in range(ARGS.repeats))


def peak_memory(X, Y) -> int:
    """Peak bytes ``train`` (compiled engine, one epoch with its summary) allocated beyond the data,
    per tracemalloc (numpy allocations; the kernel allocates nothing per batch)."""
    rng = np.random.default_rng(0)
    net = Network.create([784, 30, 10], ["sigmoid"] * 2, "cross-entropy", rng=rng, dtype="float32")
    hp = Hyperparameters(lr=0.5, batch_size=10, epochs=1)
    tracemalloc.start()
    for _record in train(net, X, Y, hp, rng, evaluate_initial=False, chunked=True, engine="compiled"):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _fmt(rate):
    return "—" if rate is None else f"{rate:,.0f}"


def _ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def main():
    started = time.perf_counter()
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    print(f"BLAS/torch threads {ARGS.threads}; numpy {np.__version__}; numba "
          f"{kernel.numba.__version__ if kernel.available() else 'missing: ' + kernel.why_unavailable()}; PyTorch "
          f"{torch_version or 'not importable: its column is skipped (pip install torch==2.13.0)'}")
    if kernel.available():
        t = time.perf_counter()
        kernel.prepare(np.float32)
        print(f"kernel.prepare(float32): {time.perf_counter() - t:.1f} s (compile or cache load, outside the timing)")
    print(f"Every cell: samples/s of training over ≥ {ARGS.seconds:g} s (best of {ARGS.repeats}).")
    cells = (TINY_CELLS if ARGS.only != "mnist" else []) + (MNIST_CELLS if ARGS.only != "tiny" else [])
    data: dict[str, tuple] = {}
    results = {}
    with tempfile.TemporaryDirectory(prefix="wb-c-loop-") as folder:
        c_loop = CLoop(Path(folder))
        print(c_loop.note)
        header = (f"{'network':<30}{'batch':>6}{'compiled':>12}{'numpy':>11}{'pytorch':>10}{'C loop':>12}"
                  f"{'per-sample':>11}{'C/comp':>8}{'comp/np':>8}{'comp/torch':>11}")
        shown = set()
        for net_spec, batch in cells:
            if net_spec.data not in data:
                data[net_spec.data] = load_data(net_spec.data)
            X, Y, source = data[net_spec.data]
            if source not in shown:
                print(f"\nData: {source}")
                print(header)
                print("-" * len(header))
                shown.add(source)
            row = {
                "compiled": best(workbench_rate, net_spec, batch, X, Y, "compiled") if kernel.available() else None,
                "numpy": best(workbench_rate, net_spec, batch, X, Y, "numpy"),
                "torch": best(torch_rate, net_spec, batch, X, Y) if torch_version else None,
                "C": best(c_loop.rate, net_spec, batch, X, Y) if c_loop.binary else None,
                "per-sample": (best(per_sample_rate, net_spec, batch, X[:ARGS.reference_samples],
                                    Y[:ARGS.reference_samples]) if net_spec.data == "mnist" else None),
            }
            results[net_spec, batch] = row
            c_over, over_np, over_torch = (_ratio(row["C"], row["compiled"]), _ratio(row["compiled"], row["numpy"]),
                                           _ratio(row["compiled"], row["torch"]))
            name = f"{net_spec.name} {'-'.join(map(str, net_spec.sizes))}"
            print(f"{name:<30}{batch:>6}{_fmt(row['compiled']):>12}{_fmt(row['numpy']):>11}{_fmt(row['torch']):>10}"
                  f"{_fmt(row['C']):>12}{_fmt(row['per-sample']):>11}"
                  + "".join(f"{'—' if r is None else f'{r:.2f}×':>{w}}" for r, w in
                            ((c_over, 8), (over_np, 8), (over_torch, 11))), flush=True)
    print("\nC/comp = C loop ÷ compiled (lower is better; 1 = as fast as plain C); comp/np = compiled ÷ numpy; "
          "comp/torch = compiled ÷ PyTorch. On MNIST the C loop multiplies every pixel, while the compiled "
          "kernel skips the inputs that are exactly 0 (most pixels): there it is no bound on the kernel.")
    print("\nTargets (issue 10, and issue 6's where marked):")
    passed = missed = 0
    for what, cell, measure, least, most in TARGETS:
        if cell not in results:
            continue
        row = results[cell]
        top, bottom = measure.split("/")
        value = _ratio(row[top], row[bottom])
        if value is None:
            print(f"  SKIP  {what}: a column is missing")
            continue
        ok = (least is None or value >= least) and (most is None or value <= most)
        passed, missed = passed + ok, missed + (not ok)
        print(f"  {'PASS' if ok else 'MISS'}  {what}: {measure} = {value:.2f}×")
    print(f"  {passed} passed, {missed} missed")
    if "mnist" in data:
        X, Y, _ = data["mnist"]
        peak = peak_memory(X[:10_000], Y[:10_000])
        print(f"\nPeak memory the core allocated beyond the data in one epoch of 10,000 MNIST items "
              f"([784,30,10], batch 10, compiled, with its summary; tracemalloc): {peak / 2**20:.1f} MB")
    print(f"\nTotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
