"""Demofox's OR/AND network trained by the Workbench CLI against the same run in C++: process wall
time and final weights.

    .venv/bin/python benchmarks/demofox_cli.py [--iterations 520000] [--repeats 3] [--seed 0] [--dtype float64]

The network of benchmarks/demofox.cpp (Alan Wolfe, "How to Train Neural Networks With
Backpropagation", 2017): 2 inputs → 2 sigmoid outputs (OR, AND), quadratic cost, η = 0.5, every
iteration one full-batch step on the 4 patterns (the mean gradient). The post's start weights are
not reproduced here: both programs start from the same seeded weights (Network.create with
``--seed``), which this script saves with ``save_weights`` for ``--init-weights`` and passes to the
C++ program on its command line. Both compute in ``--dtype`` (float32, the post's and the CLI's
default, or float64: demofox.cpp built with -DDEMOFOX_REAL=double, the CLI given --dtype float64);
the CLI's engine is its default or $WORKBENCH_ENGINE. It builds demofox.cpp with ``c++ -O2`` in a
temporary folder, then
times the whole process, best of ``--repeats`` (of 5 × that for the C++ program, which takes tens of
milliseconds), of

  C++  demofox W0 W1 W2 W3 B0 B1 ITERATIONS
  CLI  workbench-cli train --data csv:orand.csv,validation=0,test=0 --target or,and --layers 2,2
       --cost quadratic --lr 0.5 --batch-size full --dtype DTYPE --init-weights start.npz --save end.npz
       --epochs ITERATIONS

(the CLI's output read and discarded), checks the final weights agree to 1e-3 and prints the
ratio CLI ÷ C++ (target ≤ 30×). Also timed: the same CLI command with --epochs 1 (start-up, data
and weight files, one epoch).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from workbench.core import Network, load_weights, save_weights  # noqa: E402

PATTERNS = "x1,x2,or,and\n0,0,0,0\n0,1,1,0\n1,0,1,0\n1,1,1,1\n"
TOLERANCE = 1e-3
TARGET = 30.0


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "workbench-cli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "workbench"]


def flat(net: Network) -> np.ndarray:
    """(W0, W1, W2, W3, B0, B1) in demofox.cpp's order: W0, W1 feed neuron 0 (OR) from x0, x1."""
    W, b = net.weights[0], net.biases[0]          # W: (2 inputs, 2 outputs)
    return np.array([W[0, 0], W[1, 0], W[0, 1], W[1, 1], b[0], b[1]], dtype=np.float64)


def timed(argv: list[str], repeats: int) -> tuple[float, str]:
    """(best wall seconds of the process over ``repeats`` runs, stdout of the last)."""
    best, out = float("inf"), ""
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        best, out = min(best, elapsed), done.stdout
    return best, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=520_000, help="full-batch steps (default 520,000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each program; the fastest counts")
    parser.add_argument("--seed", type=int, default=0, help="seed of the start weights (default 0)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="the arithmetic of both programs (default float32)")
    args = parser.parse_args(argv)

    compiler = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if compiler is None:
        print("No C++ compiler (c++, g++ or clang++) on PATH: nothing to compare against.")
        return 0
    with tempfile.TemporaryDirectory(prefix="wb-demofox-") as folder:
        folder = Path(folder)
        binary = folder / "demofox"
        build = [compiler, "-O2", *(["-DDEMOFOX_REAL=double"] if args.dtype == "float64" else []),
                 "-o", str(binary), str(HERE / "demofox.cpp")]
        subprocess.run(build, check=True)
        (folder / "orand.csv").write_text(PATTERNS)
        start = Network.create([2, 2], ["sigmoid"], "quadratic", rng=np.random.default_rng(args.seed), dtype="float32")
        save_weights(start, folder / "start.npz")
        start_values = flat(start)

        cpp = [str(binary), *(f"{v:.9g}" for v in start_values), str(args.iterations)]
        cli = cli_command() + [
            "train", "--data", f"csv:{folder / 'orand.csv'},validation=0,test=0", "--target", "or,and",
            "--layers", "2,2", "--cost", "quadratic", "--lr", "0.5", "--batch-size", "full", "--dtype", args.dtype,
            "--init-weights", str(folder / "start.npz"), "--save", str(folder / "end.npz")]
        cpp_seconds, cpp_out = timed(cpp, 5 * args.repeats)       # tens of ms: noisy, and cheap to repeat
        startup, _ = timed(cli + ["--epochs", "1"], args.repeats)
        cli_seconds, _ = timed(cli + ["--epochs", str(args.iterations)], args.repeats)
        cpp_final = np.array([float(v) for v in cpp_out.split()])
        cli_final = flat(load_weights(folder / "end.npz"))

    print(f"Demofox OR/AND: 2-2 sigmoid, quadratic cost, η 0.5, full batch of 4, {args.iterations:,} iterations, "
          f"start weights seeded {args.seed}, {args.dtype}; CLI engine "
          f"{os.environ.get('WORKBENCH_ENGINE') or 'default'}; best process wall time of {5 * args.repeats} (C++) "
          f"and {args.repeats} (CLI) runs")
    print(f"  build: {' '.join(build)}")
    print(f"  C++ : {' '.join(Path(cpp[0]).name if i == 0 else a for i, a in enumerate(cpp))}")
    print(f"  CLI : {' '.join(cli)} --epochs {args.iterations}")
    print(f"\n  {'':<8}{'W0':>11}{'W1':>11}{'W2':>11}{'W3':>11}{'B0':>11}{'B1':>11}")
    for name, values in (("start", start_values), ("C++", cpp_final), ("CLI", cli_final)):
        print(f"  {name:<8}" + "".join(f"{v:>11.5f}" for v in values))
    gap = float(np.max(np.abs(cpp_final - cli_final)))
    ratio = cli_seconds / cpp_seconds
    print(f"\n  C++ process {cpp_seconds * 1000:.1f} ms; CLI process {cli_seconds * 1000:.0f} ms "
          f"(the same with --epochs 1: {startup * 1000:.0f} ms)")
    print(f"  {'PASS' if gap <= TOLERANCE else 'MISS'}  same weights: largest difference {gap:.2e} (≤ {TOLERANCE:g})")
    print(f"  {'PASS' if ratio <= TARGET else 'MISS'}  CLI within {TARGET:g}× of the C++ program: {ratio:.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
