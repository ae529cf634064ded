"""The Workbench main window: a composition of the Experiment model, the panels, the views, the
training controller and the frame clock.

The views (``workbench.gui.views.VIEWS``) fill the central tabs and the docks; the data set and the
network designer sit on the left, the training controls on the right.  Actions and menus come from
the tables in ``actions.py``; file dialogs live in ``files.py``, the docks and the default layout
in ``layout.py``, what the window does about runs in ``run_control.py``.  Every dock can be moved,
closed (View menu) and is restored at the next launch.
"""

from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QPalette, QUndoStack
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from workbench import __version__
from workbench.gui import settings
from workbench.gui.actions import build_actions, build_menus
from workbench.gui.controller import TrainingController
from workbench.gui.experiment import Experiment
from workbench.gui.files import FileActions
from workbench.gui.frame_clock import FrameClock
from workbench.gui.icons import app_icon, icon
from workbench.gui.labs import LabMenu
from workbench.gui.layout import WindowLayout
from workbench.gui.tensorboard_dialog import log_root
from workbench.gui.run_control import RunControl
from workbench.gui.status import TrainingStatus


def configure_pyqtgraph(palette: QPalette | None = None) -> None:
    """Plot background and foreground from the palette (light or dark system theme)."""
    import pyqtgraph as pg

    palette = palette or QApplication.palette()
    # segmentedLineMode "on": thick curves drawn as line segments, about twice as fast to paint
    # in Qt's raster engine as one stroked path (and painting holds the GIL).
    pg.setConfigOptions(background=palette.color(QPalette.ColorRole.Base),
                        foreground=palette.color(QPalette.ColorRole.Text), segmentedLineMode="on")


def _is_edit(stack, index: int) -> bool:
    """Whether command ``index`` of the undo stack is a weight edit (``gui.edits.ParameterEdit``)."""
    from workbench.gui.edits import ParameterEdit

    return 0 <= index < stack.count() and isinstance(stack.command(index), ParameterEdit)


class MainWindow(RunControl, WindowLayout, QMainWindow):
    """The application window.  ``actions`` maps a name to every QAction (tests walk it);
    ``views`` maps a view's name to the view."""

    training_finished = Signal(str)     # outcome: "completed", "stopped", "diverged", "failed"

    def __init__(self, parent=None, *, persist: bool = True, load_default: bool = True):
        super().__init__(parent)
        configure_pyqtgraph()
        from workbench.gui.panels.data_panel import DataPanel
        from workbench.gui.panels.designer import NetworkDesigner
        from workbench.gui.panels.training_panel import TrainingPanel
        from workbench.gui.views import VIEWS

        self._persist = persist
        self._quiet = 0               # > 0 while the program (not the user) sets the panels
        self._quiet_spec: str | None = None   # the data load the program (not the user) asked for
        self._pending_points = None   # (spec, drawn points) of a session whose data is loading
        self._deferred_load = None    # (spec, dataset) of a load that finished during a run
        self.confirm_long_runs = True
        self._run_warning: str | None = None     # said about the latest run (a swinging cost)
        self.setObjectName("MainWindow")
        self.setWindowIcon(app_icon())
        self.setDockNestingEnabled(True)
        self.undo_stack = QUndoStack(self)
        self.experiment = Experiment(self.undo_stack, self)
        self.controller = TrainingController(self.experiment, self)
        self.clock = FrameClock(self, source=self.controller.drain, busy=self.controller.is_training)
        self.files = FileActions(self)
        self.labs = LabMenu(self)        # the Labs menu and the open lab
        self.designer = NetworkDesigner(self.undo_stack)
        self.data_panel = DataPanel()
        self.training_panel = TrainingPanel()
        self.views = {cls.name: cls(self.experiment) for cls in VIEWS}
        for view in self.views.values():
            view.attach(self.clock)

        self.actions = build_actions(self)
        self.actions["include_weights"].setChecked(settings.value("session/save_weights"))
        self.actions["include_weights"].toggled.connect(
            lambda on: settings.set_value("session/save_weights", bool(on)))
        self._build_docks()
        submenus = build_menus(self, self.actions, [self.actions[f"view_{n}"] for n in self._toggle_order],
                               self.files.fill_recent_menu)
        self.recent_menu = submenus["recent"]
        self._build_toolbar()
        self.status = TrainingStatus(self.statusBar())
        self.training_panel.set_actions([self.actions[k] for k in (
            "train", "pause", "stop", "reset", "step_batch", "step_epoch")])
        self._bind()

        self.resize(1280, 800)
        self._default_dock_sizes()
        self._default_state = self.saveState()
        if persist:
            self._restore_settings()
        if load_default:
            self.files.new_session(ask=False)
        else:
            self._on_designer_changed()
        self._update_title()
        self._update_actions()

    # ======================================================================= construction
    def _bind(self):
        exp, ctl = self.experiment, self.controller
        self.data_panel.load_finished.connect(self._on_data_loaded)
        self.data_panel.load_error.connect(self._forget_quiet_load)
        self.data_panel.load_cancelled.connect(self._forget_quiet_load)
        self.data_panel.busy_changed.connect(self._update_actions)
        ctl.refusal = self._loading_reason
        ctl.tensorboard_root = log_root
        self.designer.changed.connect(self._on_designer_changed)
        self.designer.preset_chosen.connect(self.files.apply_preset)
        self.training_panel.changed.connect(self._on_panel_changed)
        self.training_panel.live_changed.connect(ctl.set_live)
        exp.watch_changed.connect(self._on_watch_changed)
        exp.run_state_changed.connect(self._on_run_state)
        exp.document_changed.connect(self._update_title)
        exp.network_changed.connect(self._update_actions)
        exp.data_changed.connect(self._update_actions)
        exp.data_changed.connect(lambda: self.data_panel.show_edited(exp.dataset))
        exp.message.connect(self._show_message)
        exp.view_requested.connect(self.raise_view)
        exp.settings_requested.connect(self.apply_requested_settings)
        ctl.started.connect(self._on_run_started)
        ctl.progress.connect(self.status.update)
        ctl.warning.connect(self._on_run_warning)
        ctl.finished.connect(self._on_run_finished)
        self.undo_stack.indexChanged.connect(self._on_undo_index)

    def _on_undo_index(self, _index: int):
        self._update_actions()

    def _may(self, name: str) -> bool:
        """Whether Undo ("undo") or Redo ("redo") may act now.  An edit undone mid-run would change
        the network under the training thread; while paused, a weight edit (ParameterEdit) can be
        undone and redone: the run trains on from it."""
        stack = self.undo_stack
        if not (stack.canUndo() if name == "undo" else stack.canRedo()):
            return False
        if not self.is_training():
            return True
        index = stack.index() - 1 if name == "undo" else stack.index()
        return self.experiment.run_state == "paused" and _is_edit(stack, index)

    def undo_or_redo(self, name: str) -> None:
        """Edit → Undo / Redo, checked again when it is triggered (a shortcut can race a run's start)."""
        if self._may(name):
            (self.undo_stack.undo if name == "undo" else self.undo_stack.redo)()
        self._update_actions()

    def _on_watch_changed(self):
        self.controller.set_watch(self.experiment.watch)

    def _show_message(self, text: str):
        self.statusBar().showMessage(text, 5000)

    # ======================================================================= the panels and the model
    @contextmanager
    def quietly(self):
        """The program sets the panels: their changes do not mark the session modified."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def load_data(self, spec: str, points: dict | None = None) -> None:
        """Load ``spec`` in the data panel without marking the session modified; ``points``: the
        points a session's user drew on that data (they replace its splits once it has loaded)."""
        self._quiet_spec = spec
        self._pending_points = (spec, points) if points else None
        self.data_panel.load_spec(spec)

    def _with_drawn_points(self, spec: str, dataset):
        pending = self._pending_points
        if pending is None or pending[0] != spec:
            return dataset
        self._pending_points = None
        if dataset is None:
            return dataset
        from workbench.data.drawn import points_from_json
        from workbench.data.errors import DataError

        try:
            return points_from_json(pending[1], dataset)
        except DataError as exc:
            # Not a modal box: this load ends a session's opening, scripted runs included.
            self.statusBar().showMessage(f"The session's drawn points do not fit its data set, which "
                                         f"is shown as its spec makes it: {exc}", 15000)
            return dataset

    def show_session_values(self, architecture: dict | None, hyperparameters: dict) -> None:
        """The designer and the training panel show a session's values (no undo steps)."""
        with self.quietly():
            if architecture:
                self.designer.set_architecture(architecture, undoable=False)
            self._on_designer_changed()
            self.training_panel.set_values(hyperparameters)
            self._on_panel_changed()

    def _forget_quiet_load(self, spec: str, *_):
        if spec == self._quiet_spec:
            self._quiet_spec = None
        if self._pending_points is not None and self._pending_points[0] == spec:
            self._pending_points = None         # a later load of the same spec is not that session's
        self._update_actions()

    def _loading_reason(self) -> str | None:
        """Why a run cannot start while the data panel loads: the loaded set would replace the
        data (and, with other sizes, the network) under the run."""
        if self.data_panel.loading_spec() is None:
            return None
        return "The data set is still loading: wait for it, or cancel it, before training."

    def _on_data_loaded(self, spec: str, dataset):
        """Every load request ends in one of the panel's signals naming its spec: a load the user
        asked for marks the session modified, one the program asked for does not.  A load that
        ends during a run waits until the run has ended (the run keeps its data and network)."""
        if self.is_training():
            self._deferred_load = (spec, dataset)
            self.statusBar().showMessage("The data set has loaded; it replaces the current one once "
                                         "the run has ended.", 15000)
            return
        self._deferred_load = None
        quiet = spec == self._quiet_spec or self._quiet > 0
        dataset = self._with_drawn_points(spec, dataset)
        self._forget_quiet_load(spec)
        if dataset is not None:
            self.designer.set_io_sizes(dataset.n_inputs, dataset.n_outputs,
                                       input_shape=getattr(dataset, "input_shape", None))
        else:
            self.designer.set_io_sizes(None, None)
        self.experiment.set_dataset(dataset, self.data_panel.spec(), modifies=not quiet)
        self._on_designer_changed()

    def _on_designer_changed(self):
        exp = self.experiment
        arch = self.designer.architecture()
        self.training_panel.set_layer_count(max(1, len(arch["sizes"]) - 1))
        exp.set_problem("architecture", self.designer.validation_error())
        exp.set_architecture(arch)
        self._update_actions()

    def _on_panel_changed(self, modifies: bool | None = None):
        self.experiment.set_problem("training", self.training_panel.validation_error())
        self.experiment.set_hyperparameters(self.training_panel.values(),
                                            modifies=self._quiet == 0 if modifies is None else modifies)
        self._update_actions()

    def _sync_panels(self):
        """Values set into the panels programmatically (they emit nothing) reach the model."""
        if self.training_panel.values() != self.experiment.hyperparameters:
            self._on_panel_changed(modifies=False)

    # ======================================================================= state
    @property
    def plots(self):
        return self.views["curves"]

    @property
    def diagram(self):
        return self.views["diagram"].diagram

    def is_training(self) -> bool:
        return self.controller.is_training()

    def is_paused(self) -> bool:
        return self.controller.is_paused()

    def is_modified(self) -> bool:
        return self.experiment.is_modified()

    def set_modified(self, modified: bool = True) -> None:
        self.experiment.set_modified(modified)

    def blocking_reason(self) -> str | None:
        return self._loading_reason() or self.experiment.blocking_reason()

    def _update_title(self):
        self.setWindowTitle(f"{self.experiment.name}[*] — Workbench")
        self.setWindowModified(self.experiment.is_modified())

    def _update_actions(self, *_args):
        acts = self.actions
        state = self.experiment.run_state
        training, paused = state != "idle", state == "paused"
        reason = None if training else self.blocking_reason()
        can_start = not training and reason is None
        acts["train"].setEnabled(can_start or paused)
        acts["train"].setToolTip("Continue the paused run" if paused else reason or
                                 "Train for the chosen number of epochs (continues from the current weights)")
        acts["pause"].setEnabled(state in ("running", "paused"))
        acts["pause"].setChecked(paused)
        acts["pause"].setText("&Resume" if paused else "&Pause")
        acts["pause"].setIcon(icon("train" if paused else "pause"))
        acts["stop"].setEnabled(training and state != "stopping")
        for key in ("step_batch", "step_epoch"):
            acts[key].setEnabled(can_start or paused)
        acts["reset"].setEnabled(not training and self.designer.validation_error() is None)
        for key in ("new", "open", "load_weights"):
            acts[key].setEnabled(not training)
        idle_or_paused = not training or paused
        for key in ("save", "save_as"):
            acts[key].setEnabled(idle_or_paused)
        has_net = self.experiment.net is not None
        for key in ("save_weights", "export_onnx", "export_pytorch", "export_weights_json", "export_weights_csv"):
            acts[key].setEnabled(has_net and idle_or_paused)
        ds = self.experiment.dataset
        has_test = ds is not None and ds.test is not None and len(ds.test) > 0
        acts["evaluate_test"].setEnabled(has_net and has_test and idle_or_paused)
        acts["evaluate_test"].setToolTip(
            "Cost and accuracy of the network on the test split, with its confusion matrix" if has_test
            else "The data set has no test split (choose a test share in the Data panel)")
        acts["undo"].setEnabled(self._may("undo"))
        acts["redo"].setEnabled(self._may("redo"))
        self.recent_menu.setEnabled(not training)
        self.labs.set_enabled(not training)
        self.designer.set_editable(not training)
        self.data_panel.setEnabled(not training)
        self.training_panel.set_running(training)
        if not training:
            self.training_panel.set_message(reason or self._run_warning)

    # ======================================================================= views
    def raise_view(self, name: str) -> bool:
        """Bring the view ``name`` to the front (its tab, or its dock, shown)."""
        view = self.views.get(name)
        if view is None:
            return False
        if view.area == "centre":
            self.centre.setCurrentWidget(view)
        else:
            dock = self.docks[name]
            dock.show()
            dock.raise_()
        return True

    def current_view(self):
        return self.centre.currentWidget()

    def evaluate_on_test(self) -> str | None:
        """Training → Evaluate on Test: the predictions view in front, on the test split."""
        self.raise_view("predictions")
        message = self.views["predictions"].evaluate_on_test()
        if message:
            self.statusBar().showMessage(message, 10000)
        return message

    def export_view_png(self, path: str) -> None:
        """The view in front of the central tabs as a PNG image (written atomically)."""
        from workbench.gui.views.base import write_png

        write_png(self.current_view(), path)

    def export_view_csv(self, path: str) -> None:
        """The numbers of the view in front of the central tabs as a CSV table."""
        from workbench.gui.views.base import write_csv

        write_csv(self.current_view(), path)

    # ======================================================================= window
    def show_about(self):
        QMessageBox.about(
            self, "About Workbench",
            f"<h3>Workbench {__version__}</h3>"
            "<p>Design feed-forward neural networks, train them by back-propagation and watch them "
            "learn: cost, accuracy and the learning speed of every layer, live.</p>"
            "<p>The numerical core is plain NumPy; the window is PySide6 and pyqtgraph.</p>")

    def shutdown(self):
        """Stop any run and wait for its thread (used on close)."""
        from workbench.gui.views.gradient_check_parts import stop_all_checks

        self.controller.stop(wait=True)
        self.data_panel.cancel_loading(wait=True)
        stop_all_checks()

    def changeEvent(self, event):  # noqa: N802 - Qt override
        """Follow a light/dark theme switch: recolour the icons and the plot background."""
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "actions"):
            configure_pyqtgraph(self.palette())
            for action in self.actions.values():
                name = action.property("wb_icon")
                if name:
                    action.setIcon(icon(name))
            self._update_actions()
        super().changeEvent(event)

    def _ask_before_closing(self) -> bool:
        """Save / Discard / Cancel when a run goes or changes are unsaved; False on Cancel."""
        if not (self.is_training() or self.is_modified()):
            return True
        was_running = self.experiment.run_state == "running"
        if was_running:
            self.pause_training()
        question = ("Training is still running. " if self.is_training() else "") + (
            f"Save the session “{self.experiment.name}” before closing?")
        answer = QMessageBox.question(
            self, "Close Workbench", question,
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Cancel or (
                answer == QMessageBox.StandardButton.Save and not self.files.save()):
            if was_running:
                self.resume_training()
            return False
        return True

    def request_quit(self) -> bool:
        """File → Quit: asks like the window manager's close does, then closes."""
        if not self._ask_before_closing():
            return False
        self._close_confirmed = True
        return self.close()

    def closeEvent(self, event):  # noqa: N802 - Qt override
        confirmed = getattr(self, "_close_confirmed", False)
        self._close_confirmed = False
        if event.spontaneous() and not confirmed and not self._ask_before_closing():
            event.ignore()
            return
        self.shutdown()
        if self._persist:
            self._save_settings()
        event.accept()
