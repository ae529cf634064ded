"""The window's file work: new, open, save, recent sessions, weights, exports, presets.

``FileActions`` reads and writes the Experiment and sets the panels through the window's public
methods (``quietly()``, ``show_session_values()``, ``load_data()``); its dialogs are parented to
the window.  Every file is written atomically and follows the user's umask.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from workbench.core import has_weight
from workbench.core.history import HistoryError, RunHistory
from workbench.core.hyperparameters import hyperparameter_problem
from workbench.gui import settings
from workbench.gui.session import SUFFIX, Session, SessionError, load_session, save_session

DEFAULT_PRESET = "xor-2-2-1"
SESSION_FILTER = f"Workbench sessions (*{SUFFIX})"
WEIGHTS_FILTER = "Weight files (*.npz)"
EXPORTS = {  # kind: (what, suffix, filter)
    "json": ("weights", ".json", "JSON files (*.json)"),
    "csv": ("weights", ".csv", "CSV files (*.csv)"),
    "onnx": ("network", ".onnx", "ONNX models (*.onnx)"),
    "png": ("view", ".png", "PNG images (*.png)"),
    "history": ("history", ".csv", "CSV files (*.csv)"),
    "view_csv": ("numbers", ".csv", "CSV files (*.csv)"),
}


def session_problem(session: Session, n_layers: int | None = None) -> str | None:
    """What the core's session check leaves to the window, checked before anything of the session
    is applied: the training panel's ranges, the data spec (its syntax and source), the drawn points
    and a plot history that fits the network.  ``n_layers``: the designer's weight layers, used when
    the session names no architecture.  One sentence, or None."""
    arch = session.architecture
    if arch is not None:
        n_layers = len(arch["sizes"]) - 1
    problem = hyperparameter_problem(session.hyperparameters, n_layers, panel=True)
    if problem:
        return problem
    if session.data is not None:
        from workbench.data import DataError, canonical_source, parse_spec

        try:
            canonical_source(parse_spec(session.data)[0])
        except DataError as exc:
            return f"its data spec cannot be used. {exc}"
    history = session.run_history
    if history is None and session.history is not None:
        try:
            history = RunHistory.from_json(session.history)
        except HistoryError as exc:
            return str(exc)
    if history is not None and n_layers is not None and history.n_layers != n_layers:
        return (f"its plot history is for {history.n_layers} weight layers, the network has "
                f"{n_layers}.")
    return _points_problem(session.points)


def _points_problem(points) -> str | None:
    if points is None:
        return None
    from workbench.core.network import MAX_UNITS
    from workbench.data.drawn import points_problem

    for key in ("inputs", "outputs"):     # checked before parse_points sizes an array by them
        count = points.get(key)
        if isinstance(count, int) and count > MAX_UNITS:
            return f"its drawn points have {count:,} {key}; a data set has at most {MAX_UNITS:,}."
    problem = points_problem(points)
    return f"its drawn points are unusable. {problem}" if problem else None


def with_suffix(path: str, suffix: str) -> str:
    return path if path.lower().endswith(suffix) else path + suffix


def suffixed(window, path: str, suffix: str) -> str | None:
    """``path`` with ``suffix``, or None where adding it named an existing file the user keeps (the
    file dialog asked about the name as typed, not this one)."""
    full = with_suffix(path, suffix)
    if full == path or not os.path.exists(full):
        return full
    answer = QMessageBox.question(window, "Replace the file?", f"{full} already exists. Replace it?",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                  QMessageBox.StandardButton.Cancel)
    return full if answer == QMessageBox.StandardButton.Yes else None


def describe(arch: dict) -> str:
    return f"{'-'.join(map(str, arch['sizes']))} ({', '.join(arch['activations'])}; {arch['cost']} cost)"


class FileActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.experiment = window.experiment
        #: Where set (a scripted run: no modal boxes), problems go to this function, not to a box.
        self.report_problem = None

    def warn(self, title: str, text: str) -> None:
        """Say why something was not done: a warning box, or ``report_problem`` where it is set."""
        if self.report_problem is not None:
            self.report_problem(text)
        else:
            QMessageBox.warning(self.window, title, text)

    # ------------------------------------------------------------------ helpers
    def _dialog_dir(self) -> str:
        return settings.dialog_dir()

    def _remember(self, path: str, recent: bool = False):
        if recent:
            settings.add_recent_file(path)
        settings.remember_dialog_dir(path)

    def ask_to_save(self, what: str) -> bool:
        """Save / Discard / Cancel when there are unsaved changes; False on Cancel."""
        if not self.experiment.is_modified():
            return True
        answer = QMessageBox.question(
            self.window, "Unsaved changes",
            f"The session “{self.experiment.name}” has unsaved changes. Save them before {what}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        return self.save() if answer == QMessageBox.StandardButton.Save else True

    # ------------------------------------------------------------------ sessions
    def new_session(self, ask: bool = True) -> None:
        """The default experiment: the XOR preset on the XOR data, fresh weights, no history."""
        exp = self.experiment
        if exp.is_training() or (ask and not self.ask_to_save("starting a new session")):
            return
        from workbench.gui.presets import PresetError, preset

        try:
            p = preset(DEFAULT_PRESET)
        except PresetError:
            p = {"data": "xor", "hyperparameters": {}}
        from workbench.gui.panels.training_panel import DEFAULTS

        architecture = {k: p[k] for k in ("sizes", "activations", "cost")} if "sizes" in p else None
        self.apply_session(Session(name="Untitled", architecture=architecture, data=p.get("data"),
                                   hyperparameters={**DEFAULTS, **p.get("hyperparameters", {})}))
        exp.set_document("Untitled", None)
        exp.set_modified(False)
        self.window.status.clear("Ready")

    def apply_preset(self, name: str) -> None:
        """After the designer took preset ``name``: also its data set and hyperparameters."""
        from workbench.gui.presets import PresetError, preset

        try:
            p = preset(name)
        except PresetError as exc:
            self.warn("Cannot load the preset", str(exc))
            return
        spec = p.get("data")
        if spec:
            from workbench.data import same_data

            spec = self.window.data_panel.adapt_spec(spec)
            if not same_data(spec, self.window.data_panel.spec()):
                self.window.load_data(spec)
        try:
            self.window.training_panel.set_values(p.get("hyperparameters") or {})
        except ValueError as exc:
            self.warn("Preset hyperparameters ignored", f"{p['name']}: {exc}")
        self.window._sync_panels()
        self.experiment.set_modified(True)

    def open_dialog(self) -> None:
        if self.experiment.is_training() or not self.ask_to_save("opening another session"):
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", self._dialog_dir(), SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str, ask: bool = False) -> bool:
        """Load ``path``; on error show why and keep the current session."""
        exp = self.experiment
        if exp.is_training() or (ask and not self.ask_to_save("opening another session")):
            return False
        try:
            session = load_session(path)
        except SessionError as exc:
            self.warn("Cannot open the session", f"{exc}")
            return False
        return self.open_loaded(session, path)

    def open_loaded(self, session: Session, path: str) -> bool:
        """Make ``session``, read from ``path``, the window's document.  The whole session is checked
        first: a refused one leaves the window, its document, data and undo steps as they were."""
        exp = self.experiment
        if exp.is_training():
            return False
        problem = self.refusal(session)
        if problem:
            self.warn("Cannot open the session", f"{path}: {problem}")
            return False
        try:
            self.apply_session(session)
        except (ValueError, KeyError, TypeError) as exc:    # a case the check above missed: the
            exp.set_document(session.name, None)            # window is part old, part new, so it is
            exp.set_modified(True)                           # no longer the file at the old path
            self.warn("Cannot open the session", f"{path} could only be opened in part: {exc}")
            return False
        exp.set_document(session.name, os.path.abspath(path))
        exp.set_modified(False)
        self._remember(path, recent=True)
        self.window.status.clear("Ready")       # the previous session's last run is not this one's
        if session.notes:
            self.window.statusBar().showMessage(f"{path}: {' '.join(session.notes)}", 15000)
        return True

    def refusal(self, session: Session) -> str | None:
        """Why the window cannot open ``session`` (one sentence), or None: what ``load_session``
        checked, and the window's own rules (``session_problem``)."""
        designed = len(self.window.designer.architecture()["sizes"]) - 1
        return session_problem(session, designed)

    def apply_session(self, session: Session) -> None:
        """Every part of ``session`` into the panels and the Experiment (no undo steps)."""
        exp = self.experiment
        window = self.window
        hp = dict(session.hyperparameters)
        resolution = hp.pop("resolution", None)
        history = session.run_history
        if history is None and session.history is not None:
            history = RunHistory.from_json(session.history)
        with window.quietly():
            exp.undo_stack.clear()
            exp.drop_network()
            if session.data:
                window.load_data(session.data, points=session.points)
            window.show_session_values(session.architecture, hp)
            if resolution in ("batch", "epoch"):
                exp.set_resolution(resolution)
            sizes = list(session.network.sizes) if session.network is not None else exp.architecture["sizes"]
            if history is None:
                history = RunHistory(max(1, len(sizes) - 1), exp.classification)
            watch = [w for w in session.watch if has_weight(sizes, w)]
            if watch != history.watch:
                history.set_watch(watch)
            exp.adopt_network(session.network, session.epochs_trained, session.steps_trained, history)
            window.controller.runs.adopt(session.runs)
            exp.undo_stack.clear()
        self.apply_views(session.views)
        exp.set_document(session.name, None)

    def apply_views(self, views: dict | None) -> None:
        """A session's view options, the view in front and the docked views shown.  Unknown view
        names are skipped (a session from a newer Workbench); each view checks its own values."""
        window = self.window
        if not views:
            return
        for name, values in views.get("settings", {}).items():
            view = window.views.get(name)
            if view is not None:
                view.apply_settings(values)
        front = views.get("front")
        if front in window.views and window.views[front].area == "centre":
            window.raise_view(front)
        if views.get("open") is not None:
            shown = set(views["open"])
            for name, view in window.views.items():
                if view.area != "centre":
                    window.docks[name].setVisible(name in shown)

    def current_views(self) -> dict:
        window = self.window
        front = window.current_view()
        return {"front": front.name if front is not None else None,
                "open": [name for name, view in window.views.items()
                         if view.area != "centre" and window.docks[name].isVisible()],
                "settings": {name: values for name, view in window.views.items() if (values := view.settings())}}

    def current_session(self) -> Session:
        exp = self.experiment
        hp = dict(exp.hyperparameters)
        hp["resolution"] = exp.plot_resolution
        return Session(name=exp.name, architecture=dict(exp.architecture), hyperparameters=hp,
                       data=exp.data_spec, history=exp.history.to_json(exp.plot_resolution),
                       epochs_trained=exp.epochs_trained, steps_trained=exp.steps_trained,
                       network=exp.net, watch=exp.watch, views=self.current_views(),
                       points=self._drawn_points(), runs=self._runs())

    def _runs(self):
        """The runs to save: the current run is the one the weights (and ``history``) belong to."""
        runs = self.experiment.runs
        current = runs.current_run
        if current is not None and current.history is not self.experiment.history:
            runs.current = None
        return runs

    def _drawn_points(self) -> dict | None:
        from workbench.data.drawn import is_drawn, points_to_json

        ds = self.experiment.dataset
        return points_to_json(ds) if ds is not None and is_drawn(ds) else None

    def save(self) -> bool:
        exp = self.experiment
        return self.save_as() if exp.path is None else self.save_to(exp.path)

    def save_as(self) -> bool:
        exp = self.experiment
        start = exp.path or os.path.join(self._dialog_dir(), f"{exp.name}{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session as", start, SESSION_FILTER)
        path = suffixed(self.window, path, SUFFIX) if path else None
        return bool(path) and self.save_to(path)

    def save_to(self, path: str) -> bool:
        exp = self.experiment
        if exp.run_state in ("running", "stopping"):
            return False
        name = exp.name if exp.path and os.path.abspath(path) == exp.path else Path(path).stem
        exp.set_document(name, exp.path)
        try:
            notes = save_session(path, self.current_session(), include_weights=settings.value("session/save_weights"))
        except (SessionError, OSError) as exc:
            self.warn("Cannot save the session", str(exc))
            return False
        exp.set_document(name, os.path.abspath(path))
        exp.set_modified(False)
        self._remember(path, recent=True)
        if notes:                       # checkpoints thinned or left out to fit the file
            self.window.statusBar().showMessage(" ".join([f"Saved {path}.", *notes]), 15000)
        else:
            self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    # ------------------------------------------------------------------ recent files
    def fill_recent_menu(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        files = settings.recent_files()
        for index, path in enumerate(files):
            action = menu.addAction(f"&{index + 1}  {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_recent(p))
        if not files:
            menu.addAction("No recent sessions").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear List", lambda: settings.set_value("files/recent", []))

    def open_recent(self, path: str) -> bool:
        if not os.path.isfile(path):
            settings.remove_recent_file(path)
            QMessageBox.information(self.window, "File not found",
                                    f"{path} no longer exists; it was removed from the recent files.")
            return False
        return self.open_session(path, ask=True)

    # ------------------------------------------------------------------ weights
    def load_weights_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Load weights", self._dialog_dir(), WEIGHTS_FILTER)
        if path:
            self._remember(path)
            self.load_weights(path)

    def load_weights(self, path: str) -> bool:
        """Load a .npz (undoably); if its architecture differs from the designer's, offer to adopt it."""
        exp = self.experiment
        if exp.is_training():
            return False
        from workbench.core import WeightFileError, load_weights

        try:
            net = load_weights(path)
        except WeightFileError as exc:
            self.warn("Cannot load the weights", str(exc))
            return False
        theirs, current = net.architecture(), exp.architecture
        if theirs != current:
            answer = QMessageBox.question(
                self.window, "Different network",
                f"The file holds a {describe(theirs)} network, but the designer has {describe(current)}."
                "\n\nAdopt the file's architecture?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes)
            if answer != QMessageBox.StandardButton.Yes:
                return False
            ds = exp.dataset
            if ds is not None and (theirs["sizes"][0] != ds.n_inputs or theirs["sizes"][-1] != ds.n_outputs):
                self.warn("Cannot load the weights", f"The file's {describe(theirs)} network does not fit "
                          f"the data set ({ds.n_inputs} inputs, {ds.n_outputs} outputs).")
                return False
        text = f"Load weights from {Path(path).name}"
        exp.undo_stack.beginMacro(text)          # one undo step: the designer's stack and the weights
        try:
            if theirs != current:
                self.window.designer.set_architecture(theirs, undoable=True, text=text)
            exp.replace_network(net, text, marker=f"weights from {Path(path).name}")
        finally:
            exp.undo_stack.endMacro()
        self.window.statusBar().showMessage(f"Loaded weights from {path}", 5000)
        return True

    def save_weights_dialog(self) -> None:
        if self.experiment.net is not None:
            self.export_dialog("npz")

    def export_dialog(self, kind: str) -> bool:
        """Ask for a file name and write the weights (npz, json, csv), the view in front (png) or
        the history (csv)."""
        from workbench.core import export_csv, export_json, save_weights
        from workbench.exports import export_network
        from workbench.gui.export_dialogs import onnx_installed

        exp = self.experiment
        if kind == "npz":
            what, suffix, filter_ = "weights", ".npz", WEIGHTS_FILTER
        else:
            what, suffix, filter_ = EXPORTS[kind]
        if what in ("weights", "network") and exp.net is None:
            return False
        if kind == "onnx" and not onnx_installed(self.warn):
            return False
        if kind in ("png", "view_csv"):
            from workbench.gui.views.base import export_name

            default = export_name(self.window.current_view(), suffix)
        else:
            default = f"{exp.name}{suffix}" if kind in ("npz", "onnx") else f"{exp.name}-{what}{suffix}"
        title = "Save weights" if kind == "npz" else f"Export {what} as {suffix[1:].upper()}"
        path, _ = QFileDialog.getSaveFileName(self.window, title, os.path.join(self._dialog_dir(), default), filter_)
        if not path:
            return False
        self._remember(path)
        path = suffixed(self.window, path, suffix)
        if path is None:
            return False
        writers = {"npz": lambda p: save_weights(exp.net, p), "json": lambda p: export_json(exp.net, p),
                   "csv": lambda p: export_csv(exp.net, p), "png": self.window.export_view_png,
                   "onnx": lambda p: export_network(exp.net, "onnx", p, force=True),  # the dialog asked
                   "history": exp.history.write_csv, "view_csv": self.window.export_view_csv}
        try:
            writers[kind](path)
        except (OSError, ValueError) as exc:
            self.warn("Export failed", f"Cannot write {path}: {exc}")
            return False
        self.window.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    def export_pytorch_dialog(self) -> bool:
        """File → Export → PyTorch Hand-over Folder… (``gui/export_dialogs.py``)."""
        from workbench.gui.export_dialogs import export_pytorch_folder

        return export_pytorch_folder(self)
