"""Live output map: redraws per second of the Output map view and the training throughput it leaves.

    .venv/bin/python benchmarks/output_map.py                       # circle, 2-8-8-1 tanh, batch 10
    .venv/bin/python benchmarks/output_map.py --spec spiral:arms=3 --sizes 2,16,16,3 --epochs 400

In one process and for one network it trains
  1. headless: ``workbench.core.train`` in a plain loop (what the CLI does);
  2. in the main window (offscreen) with the Training curves tab in front;
  3. in the main window with the Output map tab in front;
and prints samples/s side by side, the ratio of each window run to headless, and for (3) how many
times a second the map was redrawn, with the cost of one redraw (``draw()``) and of painting its
canvases.  Targets: ≥ 10 redraws/s, throughput with the map within 10 % of the curves run.
Each measurement is repeated and the best run is kept (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from gui_throughput import headless, in_window, open_window  # noqa: E402


class DrawMeter:
    """Counts and times a view's ``draw()`` and its canvases' paint events."""

    def __init__(self, view):
        from PySide6.QtCore import QCoreApplication, QEvent, QObject

        self.view, self.draws, self.draw_s, self.paints, self.paint_s = view, 0, 0.0, 0, 0.0
        original = view.draw

        def timed_draw():
            started = time.perf_counter()
            original()
            self.draw_s += time.perf_counter() - started
            self.draws += 1

        view.draw = timed_draw
        meter = self

        class PaintTimer(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt override
                if event.type() == QEvent.Type.Paint:
                    started = time.perf_counter()
                    obj.removeEventFilter(self)
                    QCoreApplication.sendEvent(obj, event)   # paint now, timed; skip the normal delivery
                    obj.installEventFilter(self)
                    meter.paint_s += time.perf_counter() - started
                    meter.paints += 1
                    return True
                return False

        self._filter = PaintTimer()
        for canvas in (view.canvas, view.thumbs):
            canvas.viewport().installEventFilter(self._filter)

    def reset(self):
        self.draws, self.draw_s, self.paints, self.paint_s = 0, 0.0, 0, 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="circle:outputs=1", help="2-D data spec (default circle:outputs=1)")
    parser.add_argument("--sizes", default="2,8,8,1", help="layer sizes (default 2,8,8,1)")
    parser.add_argument("--hidden", default="tanh", help="hidden activation (default tanh)")
    parser.add_argument("--batch", type=int, default=10, help="mini-batch size (default 10)")
    parser.add_argument("--epochs", type=int, default=1500, help="epochs per run (default 1500)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each kind; the best counts")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from workbench.data import load_dataset

    os.environ.setdefault("WORKBENCH_SETTINGS", str(HERE / ".benchmark-settings.ini"))
    app = QApplication.instance() or QApplication([])

    ds = load_dataset(args.spec)
    sizes = [int(s) for s in args.sizes.split(",")]
    out_act = "sigmoid" if sizes[-1] == 1 else "softmax"
    arch = {"sizes": sizes, "activations": [args.hidden] * (len(sizes) - 2) + [out_act],
            "cost": "cross-entropy" if out_act == "sigmoid" else "log-likelihood"}
    hp_kwargs = {"optimizer": "sgd", "lr": 0.1, "batch_size": args.batch, "epochs": args.epochs,
                 "l2": 0.0, "momentum": 0.9, "layer_lr": None}

    window = open_window(app, args.spec, arch, args.epochs, timeout_s=120)
    view = window.views["output-map"]
    meter = DrawMeter(view)

    print(f"data {ds.name} ({len(ds.train)} training samples), network {sizes} ({args.hidden}), "
          f"batch {args.batch}, {args.epochs} epochs per run, best of {args.repeat}")
    head, curves, mapped, rates, draw_ms, paint_ms = [], [], [], [], [], []
    for i in range(args.repeat):
        rate, secs = headless(ds, arch, hp_kwargs, seed=i)
        head.append(rate)
        print(f"  headless          run {i + 1}: {rate:9.0f} samples/s ({secs:.2f} s)")
        window.raise_view("curves")
        app.processEvents()
        rate, secs, _late, _ = in_window(app, window, hp_kwargs)
        curves.append(rate)
        print(f"  window, curves    run {i + 1}: {rate:9.0f} samples/s ({secs:.2f} s)")
        window.raise_view("output-map")
        app.processEvents()
        meter.reset()
        rate, secs, _late, _ = in_window(app, window, hp_kwargs)
        mapped.append(rate)
        rates.append(meter.draws / secs)
        draw_ms.append(1000 * meter.draw_s / max(1, meter.draws))
        paint_ms.append(1000 * meter.paint_s / max(1, meter.paints))
        print(f"  window, map       run {i + 1}: {rate:9.0f} samples/s ({secs:.2f} s), "
              f"{rates[-1]:.1f} map redraws/s, draw {draw_ms[-1]:.2f} ms, paint {paint_ms[-1]:.2f} ms "
              f"per canvas repaint ({meter.paints} repaints)")
    window.shutdown()
    window.set_modified(False)
    window.close()
    best_head = max(head)
    print()
    print(f"{'':22}{'samples/s':>12}{'vs headless':>13}")
    print(f"{'headless':22}{best_head:12.0f}{1.0:13.3f}   (median {statistics.median(head):.0f})")
    print(f"{'window, curves tab':22}{max(curves):12.0f}{max(curves) / best_head:13.3f}")
    print(f"{'window, output map':22}{max(mapped):12.0f}{max(mapped) / best_head:13.3f}")
    print(f"map vs curves: {max(mapped) / max(curves):.3f}   (target ≥ 0.90)")
    print(f"map redraws per second: {max(rates):.1f} best, {min(rates):.1f} worst   (target ≥ 10); "
          f"draw() {min(draw_ms):.2f} ms, paint {min(paint_ms):.2f} ms per canvas")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
