"""Benchmark: load MNIST from the gzipped IDX files in ../shared/data/mnist.

Prints the load time, the process's peak resident memory (getrusage) and the size of the float32
arrays of all splits. Budget (issue 3): under 2 s and under 250 MB of arrays.

    .venv/bin/python benchmarks/data_load.py [--dir DIR] [--repeat N] [--csv-mb MB]

``--csv-mb MB`` instead writes a numeric CSV of about MB megabytes to a temporary folder and times
its import (run it as a separate process: peak memory is per process).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from workbench.data import load_dataset  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def array_mb(ds) -> float:
    total = 0
    for split in ds.splits.values():
        total += split.X.nbytes + split.Y.nbytes + (split.labels.nbytes if split.labels is not None else 0)
    return total / 2**20


def bench_mnist(folder: Path, repeat: int) -> int:
    if not (folder / "train-images-idx3-ubyte.gz").exists():
        print(f"skipped: no MNIST files in {folder}")
        return 0
    baseline = peak_rss_mb()
    times = []
    ds = None
    for _ in range(repeat):
        ds = None
        start = time.perf_counter()
        ds = load_dataset(f"mnist:{folder}")
        times.append(time.perf_counter() - start)
    x_mb = sum(s.X.nbytes for s in ds.splits.values()) / 2**20
    print(f"MNIST from {folder}")
    print(f"  splits: " + ", ".join(f"{k} {len(v)}" for k, v in ds.splits.items()))
    print(f"  load time: best {min(times):.3f} s, first {times[0]:.3f} s ({repeat} run(s); budget 2 s)")
    print(f"  arrays: {array_mb(ds):.1f} MB (X float32 {x_mb:.1f} MB; budget 250 MB)")
    print(f"  peak RSS: {peak_rss_mb():.1f} MB (Python + numpy before loading: {baseline:.1f} MB)")
    return 0


def bench_csv(megabytes: float) -> int:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        with open(path, "w") as out:
            out.write(",".join(f"f{j}" for j in range(10)) + ",label\n")
            while out.tell() < megabytes * 2**20:
                block = rng.normal(size=(20000, 10)).round(6)
                labels = rng.integers(0, 5, len(block))
                out.write("\n".join(",".join(map(str, r)) + f",class{c}" for r, c in zip(block.tolist(), labels)))
                out.write("\n")
        size = os.path.getsize(path) / 2**20
        baseline = peak_rss_mb()
        start = time.perf_counter()
        ds = load_dataset(f"csv:{path}")
        seconds = time.perf_counter() - start
        rows = sum(len(s) for s in ds.splits.values())
        print(f"CSV import: {size:.1f} MB, {rows:,} rows x 11 columns")
        print(f"  load time: {seconds:.2f} s ({size / seconds:.1f} MB/s)")
        print(f"  arrays: {array_mb(ds):.1f} MB; peak RSS {peak_rss_mb():.1f} MB (before: {baseline:.1f} MB)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--csv-mb", type=float, default=None)
    args = parser.parse_args(argv)
    if args.csv_mb:
        return bench_csv(args.csv_mb)
    return bench_mnist(args.dir.resolve(), max(1, args.repeat))


if __name__ == "__main__":
    sys.exit(main())
