"""Start the Workbench window: ``python main.py`` or the installed ``workbench`` command.

``workbench FILE.wbsession`` opens that session, as ``--session FILE`` does; the desktop entry
(packaging/linux) starts ``workbench %F``, so that opening a session in a file manager opens it here.
Each further file opens in a window of its own (a new process, as a second launch would).

Scripted use (documentation screenshots, checking the window without clicking)::

    python main.py --session resources/sessions/xor.wbsession --train-epochs 50 [--view NAME] \
        [--save-session OUT.wbsession] --screenshot out.png

opens the session, trains 50 epochs, brings a view to the front, saves the session (with its
weights) and a screenshot of the main window, and exits with 0 (1, with the reason, on failure).
``--save-weights OUT.npz`` and ``--export-onnx OUT.onnx`` save the trained weights (as File → Save
Weights does) and export the network to ONNX (replacing OUT.onnx); each ends a scripted run too.
``--lab NAME`` opens a lab (``resources/labs/NAME.wbsession``, as the Labs menu does) in place of a
session, and the same options work with it; ``--list-labs`` prints the labs by group.
A scripted run never waits on a message box: a session the window refuses, data that does not
load or any box that shows is reported on stderr and the run exits with 1.
``--list-views`` prints the views' names.

An interactive window compiles the training kernel (or loads it from numba's cache) on a background
thread at launch: runs start on the numpy engine and switch to the kernel once it is ready, so the
window never waits for numba.  Scripted runs (screenshot, saved session) skip it and train on numpy
throughout, as fast and as reproducible as ever ($WORKBENCH_ENGINE=compiled gives them the kernel).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2     # 2: as argparse exits on bad arguments

#: The application id: the desktop entry's and AppStream file's name (packaging/linux), the icon's
#: name and the id Wayland compositors match windows to the entry by (``setDesktopFileName``).
APP_ID = "io.github.workbench.Workbench"


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x800, not {text!r}") from None
    if not (320 <= w <= 8192 and 240 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"{text} is not a sensible window size")
    return w, h


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench", description="Design feed-forward networks, train them and watch them learn.")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="open this session (.wbsession); each further one opens in a window of its own")
    opening = parser.add_mutually_exclusive_group()
    opening.add_argument("--session", metavar="FILE", help="open this session (.wbsession) at start-up")
    opening.add_argument("--lab", metavar="NAME", type=_lab_name,
                         help="open this lab at start-up, as the Labs menu does (see --list-labs)")
    parser.add_argument("--train-epochs", metavar="N", type=_positive,
                        help="train N epochs right after start-up")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="save a screenshot of the main window to OUT.png and exit")
    parser.add_argument("--size", metavar="WxH", type=_size, default=None,
                        help="window size, e.g. 1920x1080 (default 1280x800 for screenshots)")
    parser.add_argument("--view", metavar="NAME", type=_view_name,
                        help="bring this view to the front (see --list-views)")
    parser.add_argument("--list-views", action="store_true", help="print the names of the views and exit")
    parser.add_argument("--list-labs", action="store_true", help="print the labs' names and titles by group and exit")
    parser.add_argument("--save-session", metavar="OUT", help="after the scripted run, save the session "
                        "(weights included) to OUT")
    parser.add_argument("--save-weights", metavar="OUT.npz", help="after the scripted run, save the weights to OUT.npz")
    parser.add_argument("--export-onnx", metavar="OUT.onnx",
                        help="after the scripted run, export the network to OUT.onnx (replacing it)")
    return parser


def _is_scripted(args) -> bool:
    """Whether the run ends by itself: it writes a screenshot, a session, weights or an ONNX file."""
    return any(out is not None for out in (args.screenshot, args.save_session, args.save_weights, args.export_onnx))


def _take_files(parser: argparse.ArgumentParser, args) -> list[str]:
    """Move the first FILE into ``args.session``; the further FILEs, each for a window of its own."""
    if not args.files:
        return []
    if args.session or args.lab:
        parser.error(f"give the session as FILE or with {'--session' if args.session else '--lab'}, not both")
    if len(args.files) > 1 and _is_scripted(args):
        parser.error("a scripted run opens one session; give one FILE")
    args.session, *others = args.files
    return others


def other_window_command(path: str) -> tuple[str, list[str]]:
    """(program, arguments) that open the session ``path`` in a window of its own: the bundle's own
    executable when frozen, otherwise this interpreter running this very ``workbench`` package (a
    checkout's too, from whatever folder)."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["--session", path]
    root = str(Path(__file__).resolve().parents[1])
    code = f"import sys; sys.path.insert(0, {root!r}); from workbench.app import main; raise SystemExit(main())"
    return sys.executable, ["-c", code, "--session", path]


def open_in_other_windows(paths: list[str], start=None) -> list[str]:
    """Start one window for each of ``paths``; returns the sentences saying which could not start.
    ``start(program, arguments) -> bool`` defaults to ``QProcess.startDetached``."""
    if start is None:
        from PySide6.QtCore import QProcess

        start = QProcess.startDetached
    failures = []
    for path in paths:
        program, arguments = other_window_command(path)
        started = start(program, arguments)
        if not (started[0] if isinstance(started, tuple) else started):
            failures.append(f"cannot start a window for {path}.")
    return failures


def _view_name(text: str) -> str:
    from workbench.gui.views import view_names

    if text not in view_names():
        raise argparse.ArgumentTypeError(f"no view called {text!r}; choose from {', '.join(view_names())}")
    return text


def _lab_name(text: str) -> str:
    from workbench.core.labs import lab_names

    names = lab_names()
    if text not in names:
        raise argparse.ArgumentTypeError(f"no lab called {text!r}; choose from {', '.join(names) or 'none'}")
    return text


def list_labs() -> int:
    """``--list-labs``: every lab by group (alphabetical), in the group's order, with its title; a
    lab file that cannot be read is named on stderr."""
    from workbench.core.labs import lab_index

    labs, problems = lab_index()
    group = None
    for lab in labs:
        if lab.group != group:
            group = lab.group
            print(group)
        print(f"  {lab.name:<28} {lab.title}")
    for problem in problems:
        print(f"workbench: {problem}", file=sys.stderr)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    other_files = _take_files(parser, args)
    if args.list_views:
        from workbench.gui.views import VIEWS

        for view in VIEWS:
            print(f"{view.name:<12} {view.title}")
        return EXIT_OK
    if args.list_labs:
        return list_labs()
    from workbench.core.engines import ENGINES, ENV_VAR, configured_engine

    if configured_engine() not in ENGINES:     # every run would fail: say so once, before any window
        print(f"workbench: ${ENV_VAR} is {configured_engine()!r}; set it to one of {', '.join(ENGINES)} "
              "or leave it unset.", file=sys.stderr)
        return EXIT_USAGE
    if configured_engine() == "compiled":
        from workbench.core import kernel

        if not kernel.available():              # numba is missing or broken: no run could start
            print(f"workbench: ${ENV_VAR} is 'compiled' but the compiled engine cannot be used here "
                  f"({kernel.why_unavailable()}); set it to numpy or auto.", file=sys.stderr)
            return EXIT_USAGE
    from workbench.cli_args import UsageError
    from workbench.cli_outputs import _check_output

    for option in ("screenshot", "save_session", "save_weights", "export_onnx"):   # before training, too
        path = getattr(args, option)
        if path is not None:
            try:
                _check_output("--" + option.replace("_", "-"), path)
            except UsageError as exc:
                print(f"workbench: {exc}.", file=sys.stderr)
                return EXIT_USAGE
    if args.export_onnx is not None:           # say so before training, not after it
        from workbench.exports import MissingPackage
        from workbench.exports.onnx_model import require_onnx

        try:
            require_onnx()
        except MissingPackage as exc:
            print(f"workbench: {exc}", file=sys.stderr)
            return EXIT_USAGE

    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from workbench.gui import settings

    QCoreApplication.setOrganizationName(settings.ORGANIZATION)
    QCoreApplication.setApplicationName(settings.APPLICATION)
    QGuiApplication.setDesktopFileName(APP_ID)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    signal.signal(signal.SIGINT, signal.SIG_DFL)     # Ctrl-C in the terminal quits

    from workbench import __version__
    from workbench.gui.icons import app_icon
    from workbench.gui.main_window import MainWindow

    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName("Workbench")
    app.setWindowIcon(app_icon())
    scripted = _is_scripted(args)
    if not scripted:
        start_kernel_warmup()
    window = MainWindow(persist=not scripted)
    window.confirm_long_runs = not scripted
    if scripted:                               # the user's TensorBoard setting is for the runs they start
        window.controller.tensorboard_root = lambda: None
    if args.size or scripted:
        window.resize_for_screenshot(*(args.size or (1280, 800)))
    window.show()
    if args.size or scripted:
        app.processEvents()
        window.resize_for_screenshot(*(args.size or (1280, 800)))
    else:
        app.processEvents()
        window.fit_screen()

    data_failures: list[str] = []     # a scripted run reports why the data did not load
    window.data_panel.load_failed.connect(data_failures.append)
    runner = _Script(app, window, args, data_failures) if (args.train_epochs or scripted) else None
    opener = ((lambda: window.files.open_session(args.session)) if args.session else
              (lambda: window.labs.open_lab(args.lab, ask=False)) if args.lab else None)
    if scripted:                       # no modal message boxes in scripted runs: report on stderr
        problems: list[str] = []
        window.files.report_problem = problems.append
        app.installEventFilter(runner.box_guard)
        if opener is not None and not opener():
            for problem in problems or [f"cannot open {args.session or args.lab}."]:
                print(f"workbench: {problem}", file=sys.stderr)
            window.shutdown()
            window.set_modified(False)
            window.close()
            return EXIT_ERROR
        window.files.report_problem = runner.fail_soon
    elif opener is not None and not opener():
        runner = None                  # the box says why; nothing of the session is trained
    for problem in open_in_other_windows(other_files):
        print(f"workbench: {problem}", file=sys.stderr)
    if args.view:
        window.raise_view(args.view)
    if runner is None:
        return app.exec()

    QTimer.singleShot(0, runner.start)
    app.exec()
    return runner.code      # not exec()'s value: closing the last window quits with 0 first


def start_kernel_warmup() -> threading.Thread | None:
    """Prepare the compiled kernel for float32, then float64, on a daemon thread (it may be cut
    short when the window closes); None where nothing is to prepare: no numba, or
    $WORKBENCH_ENGINE=numpy."""
    from workbench.core.engines import configured_engine

    if configured_engine() == "numpy":
        return None
    from workbench.gui.threads import start_plain_thread

    thread = threading.Thread(target=_warm_up, name="kernel warm-up", daemon=True)
    start_plain_thread(thread)    # a collection on it could free Qt objects: see gui/threads.py
    return thread


def _warm_up() -> None:
    from workbench.core import kernel

    if not kernel.available():
        return
    for dtype in ("float32", "float64"):
        try:
            kernel.prepare(dtype)
        except Exception as exc:  # noqa: BLE001 - training goes on with numpy; say why once
            print(f"workbench: the compiled training kernel is not available ({exc}); "
                  "training uses numpy", file=sys.stderr)
            return


def _box_guard(script):
    """An application event filter for a scripted run, where nobody can answer a message box: each
    box is closed as soon as it shows and its text goes to the script, which fails with it (a data
    set that did not load is reported as such; the warning of a diverged run, an outcome the script
    accepts, is only printed)."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QMessageBox

    class BoxGuard(QObject):
        def eventFilter(self, watched, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Show and isinstance(watched, QMessageBox):
                text = " ".join(" ".join(t for t in (watched.text(), watched.informativeText()) if t).split())
                title = watched.windowTitle()
                QTimer.singleShot(0, watched.reject)
                data = [f for f in script.data_failures if " ".join(f.split()) in text]
                if data:
                    script.fail_soon(f"the data set did not load: {data[-1]}")
                elif script.window.controller.last_outcome == "diverged" \
                        and watched.icon() == QMessageBox.Icon.Warning:
                    print(f"workbench: {title}: {text}", file=sys.stderr)
                else:
                    script.fail_soon(f"{title}: {text}")
            return False

    return BoxGuard(script.app)


class _Script:
    """Train (optionally), then take the screenshot (optionally), then quit."""

    TIMEOUT_MS = 30 * 60 * 1000

    def __init__(self, app, window, args, data_failures):
        self.app, self.window, self.args = app, window, args
        self.data_failures = data_failures
        self.code = EXIT_OK
        self.done = False
        #: A screenshot or a saved file ends the run; --train-epochs alone leaves the window open.
        self.exits = _is_scripted(args)
        self.box_guard = _box_guard(self) if self.exits else None

    def _fail(self, message: str):
        if self.done:
            return
        print(f"workbench: {message}", file=sys.stderr)
        self.code = EXIT_ERROR
        self._finish()

    def fail_soon(self, message: str):
        """Fail with ``message`` once the code that reported it has returned (it may be inside a box
        or a signal handler)."""
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: self._fail(message))

    def _data_ready(self) -> bool:
        """Whether the data set has loaded (or failed to); asks again soon while it loads."""
        from PySide6.QtCore import QTimer

        window = self.window
        missing = self.args.train_epochs and window.experiment.dataset is None and not self.data_failures
        if window.data_panel.is_busy() or missing:
            self._wait = getattr(self, "_wait", 0) + 1
            if self._wait > 6000:
                self._fail("the data set did not load within 10 minutes.")
            else:
                QTimer.singleShot(100, self.start)
            return False
        return True

    def start(self):
        from PySide6.QtCore import QTimer

        if self.done or not self._data_ready():
            return
        if self.data_failures:
            return self._fail(f"the data set did not load: {self.data_failures[-1]}")
        if self.args.train_epochs:
            window = self.window
            window.training_panel.epochs.setValue(self.args.train_epochs)
            window.training_finished.connect(self._trained)
            if not window.start_training():
                return self._fail(f"cannot train: {window.blocking_reason() or 'see the window'}")
            if self.exits:
                QTimer.singleShot(self.TIMEOUT_MS, lambda: self._fail("training took too long."))
        else:
            QTimer.singleShot(300, self._finish)

    def _trained(self, outcome: str):
        from PySide6.QtCore import QTimer

        if not self.exits or self.done:
            return              # interactive: the window stays open after the scripted training
        if outcome not in ("completed", "diverged"):
            return self._fail(f"training ended: {outcome}.")
        self.window.clock.draw_now()
        QTimer.singleShot(300, self._finish)

    def _finish(self):
        if self.done:
            return
        self.done = True
        window = self.window
        if self.args.save_session and self.code == EXIT_OK:
            from workbench.gui.session import SessionError, save_session

            try:
                for note in save_session(self.args.save_session, window.files.current_session(), include_weights=True):
                    print(f"workbench: {note}", file=sys.stderr)
            except (SessionError, OSError) as exc:
                print(f"workbench: cannot save the session: {exc}", file=sys.stderr)
                self.code = EXIT_ERROR
        if (self.args.save_weights or self.args.export_onnx) and self.code == EXIT_OK:
            self._write_network()
        if self.args.screenshot and self.code == EXIT_OK:
            if self.args.view:
                window.raise_view(self.args.view)
            window.clock.draw_now()
            self.app.processEvents()
            if not window.grab().save(self.args.screenshot, "PNG"):
                print(f"workbench: cannot write {self.args.screenshot}", file=sys.stderr)
                self.code = EXIT_ERROR
        window.shutdown()
        window.set_modified(False)
        window.close()
        self.app.exit(self.code)

    def _write_network(self):
        """--save-weights and --export-onnx: the network as it is after the scripted run."""
        from workbench.core import save_weights
        from workbench.exports import ExportError, export_network

        net = self.window.experiment.net
        if net is None:
            print("workbench: there are no weights to save: the session holds none and nothing was trained "
                  "(add --train-epochs N).", file=sys.stderr)
            self.code = EXIT_ERROR
            return
        if self.args.save_weights:
            try:
                save_weights(net, self.args.save_weights)
            except OSError as exc:
                print(f"workbench: cannot save the weights: {exc}", file=sys.stderr)
                self.code = EXIT_ERROR
        if self.args.export_onnx:
            try:
                export_network(net, "onnx", self.args.export_onnx, force=True)
            except (ExportError, OSError) as exc:
                print(f"workbench: cannot export to ONNX: {exc}", file=sys.stderr)
                self.code = EXIT_ERROR
