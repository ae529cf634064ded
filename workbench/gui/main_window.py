"""The Workbench main window: docks, one dict of actions, the training run, sessions and settings.

Layout: the live plots fill the centre; the data set and the network designer sit on the left,
the training controls on the right and the network diagram below the plots.  Every dock can be
moved, closed (View menu) and is restored next launch.

The window owns the experiment's state: the dataset (from the data panel), the network and its
weights (``self.net``; None until first trained or reset), the number of epochs behind those
weights, and the running ``TrainingThread``.  Widgets never reach into each other; the window
wires them together.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette, QUndoStack
from PySide6.QtWidgets import (
    QApplication, QDockWidget, QFileDialog, QMainWindow, QMessageBox, QToolBar,
)

from workbench import __version__
from workbench.core import has_weight
from workbench.gui import settings
from workbench.gui.icons import app_icon, icon
from workbench.gui.panels.training_panel import LIVE_SYMBOLS, TrainingPanel
from workbench.gui.plots.colours import WATCH_COLOURS
from workbench.gui.plots.neuron_text import weight_name
from workbench.gui.session import SUFFIX, Session, SessionError, load_session, save_session
from workbench.gui.status import TrainingStatus, format_rate
from workbench.gui.worker import MAX_BACKLOG, TrainingThread, gui_priority

MAX_FOLLOWED = len(WATCH_COLOURS)   # weights whose gradients can be followed at once (one colour each)
DRAIN_MS = 40            # 25 Hz: the worker's records are collected (cheap)
STATUS_PERIOD_S = 0.5    # status bar text at most twice a second
FRAME_MIN_S = 1 / 30     # plots and diagram redrawn at most 30 times a second ...
FRAME_MAX_S = 2.0        # ... and at least every 2 s
#: Share of the wall time the GUI thread may spend (drawing, mostly) while training.  PySide6 holds
#: the GIL while Qt paints, so every millisecond of drawing is a millisecond the training thread
#: cannot run: the frame interval adapts so that the window's own work stays under this share.
GUI_BUDGET = 0.05
FRAME_COST_PRIOR_S = 0.01  # first guess of a frame's cost, until one has been measured
DEFAULT_PRESET = "xor-2-2-1"
SESSION_FILTER = f"Workbench sessions (*{SUFFIX})"
WEIGHTS_FILTER = "Weight files (*.npz)"


def configure_pyqtgraph(palette: QPalette | None = None) -> None:
    """Plot background and foreground from the palette (light or dark system theme)."""
    import pyqtgraph as pg

    palette = palette or QApplication.palette()
    # segmentedLineMode "on": thick curves drawn as line segments, about twice as fast to paint
    # in Qt's raster engine as one stroked path (and painting holds the GIL, see GUI_BUDGET).
    pg.setConfigOptions(background=palette.color(QPalette.ColorRole.Base),
                        foreground=palette.color(QPalette.ColorRole.Text), segmentedLineMode="on")


def _with_suffix(path: str, suffix: str) -> str:
    return path if path.lower().endswith(suffix) else path + suffix


class MainWindow(QMainWindow):
    """The application window.  ``actions`` maps a name to every QAction (tests walk it)."""

    training_finished = Signal(str)     # outcome: "completed", "stopped", "diverged", "failed"

    def __init__(self, parent=None, *, persist: bool = True, load_default: bool = True):
        """``persist``: restore and save window geometry/dock layout through QSettings."""
        super().__init__(parent)
        configure_pyqtgraph()
        from workbench.gui.panels.data_panel import DataPanel
        from workbench.gui.panels.designer import NetworkDesigner
        from workbench.gui.plots.diagram import NetworkDiagram
        from workbench.gui.plots.live import TrainingPlots

        self._persist = persist
        self.setObjectName("MainWindow")
        self.setWindowIcon(app_icon())
        self.setDockNestingEnabled(True)
        self.undo_stack = QUndoStack(self)
        self.session_path: str | None = None
        self.session_name = "Untitled"
        self._dirty = False
        self.dataset = None
        self.net = None
        self.epochs_trained = 0
        self.steps_trained = 0
        self._thread: TrainingThread | None = None
        self._run_offsets = (0, 0)
        self._diagram_serial = None
        self._unplotted: list = []        # records drained from the worker, not yet in the plots
        self._next_frame = 0.0
        self._next_status = 0.0
        self._frame_cpu_mark: float | None = None
        self._frame_cost = FRAME_COST_PRIOR_S
        self._frames_with_data = 0
        self.frame_intervals: list[float] = []   # for the benchmark: how often the plots were redrawn
        self._pending_message: tuple[str, str, str] | None = None
        self._loading = False
        self._quiet_loads = 0       # programmatic data loads in flight: they do not mark the session modified
        self.last_outcome = ""
        self._target_range = None   # (dataset, min, max) of its training targets

        self.plots = TrainingPlots()
        self.designer = NetworkDesigner(self.undo_stack)
        self.diagram = NetworkDiagram()
        self.data_panel = DataPanel()
        self.training_panel = TrainingPanel()
        self.setCentralWidget(self.plots)

        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self._build_docks()
        self._build_menus()
        self._build_toolbar()
        self.status = TrainingStatus(self.statusBar())
        self.training_panel.set_actions([self.actions[k] for k in (
            "train", "pause", "stop", "reset", "step_batch", "step_epoch")])

        self._drain_timer = QTimer(self)
        self._drain_timer.setInterval(DRAIN_MS)
        self._drain_timer.timeout.connect(self._drain)

        self.diagram.follow_requested.connect(self.follow_weight)
        self.diagram.unfollow_requested.connect(self.unfollow_weights)
        self.designer.changed.connect(self._on_designer_changed)
        self.designer.preset_chosen.connect(self.apply_preset_extras)
        self.data_panel.dataset_changed.connect(self._on_dataset_changed)
        self.data_panel.load_failed.connect(self._on_data_load_failed)
        self.training_panel.changed.connect(self._on_panel_changed)
        self.training_panel.live_changed.connect(self._on_live_changed)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

        self.resize(1280, 800)
        self._default_dock_sizes()
        self._default_state = self.saveState()
        if persist:
            self._restore_settings()
        if load_default:
            self.new_session(ask=False)
        else:
            self._on_designer_changed()
        self._update_title()
        self._update_actions()

    # ======================================================================= construction
    def _action(self, name, text, slot=None, shortcut=None, icon_name=None, tip=None, checkable=False):
        action = QAction(text, self)
        action.setObjectName(f"action_{name}")
        if icon_name:
            action.setIcon(icon(icon_name))
            action.setProperty("wb_icon", icon_name)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        self.actions[name] = action
        return action

    def _build_actions(self):
        SK = QKeySequence.StandardKey
        a = self._action
        a("new", "&New", self.new_session, SK.New, "new", "Start a new session")
        a("open", "&Open…", self.open_dialog, SK.Open, "open", "Open a session file")
        a("save", "&Save", self.save, SK.Save, "save", "Save the session")
        a("save_as", "Save &As…", self.save_as, SK.SaveAs, "save-as", "Save the session under a new name")
        a("load_weights", "&Load Weights…", self.load_weights_dialog, None, "load-weights",
          "Load network weights from a .npz file")
        a("save_weights", "Save &Weights…", self.save_weights_dialog, None, "save-weights",
          "Save the network weights as a .npz file")
        a("export_weights_json", "Weights as &JSON…", lambda: self.export_weights_dialog("json"),
          icon_name="export", tip="Export the weights as readable JSON")
        a("export_weights_csv", "Weights as &CSV…", lambda: self.export_weights_dialog("csv"),
          icon_name="export", tip="Export the weights as a CSV table (one row per parameter)")
        a("export_plots_png", "Plots as &PNG Image…", lambda: self.export_plots_dialog("png"),
          icon_name="export-plot", tip="Save the plots as a PNG image")
        a("export_plots_csv", "Training &History as CSV…", lambda: self.export_plots_dialog("csv"),
          icon_name="export-plot", tip="Save the training history as a CSV table")
        a("quit", "&Quit", self.close, SK.Quit, "quit", "Quit Workbench")
        a("include_weights", "Include &Weights in Sessions", None, checkable=True,
          tip="Store the network weights in session files (otherwise a session reopens untrained)")
        self.actions["include_weights"].setChecked(settings.value("session/save_weights"))
        self.actions["include_weights"].toggled.connect(
            lambda on: settings.set_value("session/save_weights", bool(on)))

        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence(SK.Undo))
        undo.setIcon(icon("undo"))
        undo.setProperty("wb_icon", "undo")
        undo.setObjectName("action_undo")
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence(SK.Redo)])
        redo.setIcon(icon("redo"))
        redo.setProperty("wb_icon", "redo")
        redo.setObjectName("action_redo")
        self.actions["undo"], self.actions["redo"] = undo, redo

        a("train", "&Train", self.start_training, "Ctrl+Return", "train",
          "Train for the chosen number of epochs (continues from the current weights)")
        a("pause", "&Pause", self.toggle_pause, "Ctrl+P", "pause", "Pause or resume training", checkable=True)
        a("stop", "St&op", self.stop_training, "Ctrl+.", "stop", "Stop training after the current batch")
        a("step_batch", "Step &Batch", lambda: self.step("batch"), "Ctrl+B", "step-batch",
          "Train on one batch, then pause")
        a("step_epoch", "Step &Epoch", lambda: self.step("epoch"), "Ctrl+E", "step-epoch",
          "Train one epoch, then pause")
        a("reset", "&Reset Weights", self.reset_weights, "Ctrl+R", "reset",
          "Draw fresh initial weights (initialisation and seed from the training panel)")
        a("about", "&About Workbench", self.show_about, None, "about")

    def _dock(self, name: str, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        toggle = dock.toggleViewAction()
        toggle.setText(title)
        self.actions[f"view_{name}"] = toggle
        return dock

    def _build_docks(self):
        Area = Qt.DockWidgetArea
        self.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
        self.data_dock = self._dock("data", "Data", self.data_panel, Area.LeftDockWidgetArea)
        self.designer_dock = self._dock("designer", "Network", self.designer, Area.LeftDockWidgetArea)
        self.training_dock = self._dock("training", "Training", self.training_panel, Area.RightDockWidgetArea)
        self.diagram_dock = self._dock("diagram", "Diagram", self.diagram, Area.BottomDockWidgetArea)
        self.splitDockWidget(self.data_dock, self.designer_dock, Qt.Orientation.Vertical)

    def _default_dock_sizes(self):
        Orientation = Qt.Orientation
        self.resizeDocks([self.data_dock, self.training_dock], [330, 300], Orientation.Horizontal)
        self.resizeDocks([self.data_dock, self.designer_dock], [440, 330], Orientation.Vertical)
        self.resizeDocks([self.diagram_dock], [max(190, self.height() // 4)], Orientation.Vertical)

    def _build_menus(self):
        bar = self.menuBar()
        m = bar.addMenu("&File")
        for key in ("new", "open"):
            m.addAction(self.actions[key])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        m.addSeparator()
        for key in ("save", "save_as", "include_weights"):
            m.addAction(self.actions[key])
        m.addSeparator()
        for key in ("load_weights", "save_weights"):
            m.addAction(self.actions[key])
        export = m.addMenu(icon("export"), "&Export")
        for key in ("export_weights_json", "export_weights_csv"):
            export.addAction(self.actions[key])
        export.addSeparator()
        for key in ("export_plots_png", "export_plots_csv"):
            export.addAction(self.actions[key])
        m.addSeparator()
        m.addAction(self.actions["quit"])

        m = bar.addMenu("&Edit")
        m.addAction(self.actions["undo"])
        m.addAction(self.actions["redo"])

        m = bar.addMenu("&Training")
        for key in ("train", "pause", "stop"):
            m.addAction(self.actions[key])
        m.addSeparator()
        for key in ("step_batch", "step_epoch"):
            m.addAction(self.actions[key])
        m.addSeparator()
        m.addAction(self.actions["reset"])

        m = bar.addMenu("&View")
        for key in ("data", "designer", "training", "diagram"):
            m.addAction(self.actions[f"view_{key}"])
        m.addSeparator()
        self._action("view_toolbar", "Toolbar", checkable=True)
        m.addAction(self.actions["view_toolbar"])
        m.addSeparator()
        self._action("reset_layout", "Reset &Layout", self.reset_layout, tip="Put every panel back in its place")
        m.addAction(self.actions["reset_layout"])

        m = bar.addMenu("&Help")
        m.addAction(self.actions["about"])

    def _build_toolbar(self):
        tb = QToolBar("Main toolbar", self)
        tb.setObjectName("toolbar_main")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.setMovable(True)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        groups = [("new", "open", "save"), ("undo", "redo"),
                  ("train", "pause", "stop", "step_batch", "step_epoch", "reset")]
        for index, group in enumerate(groups):
            if index:
                tb.addSeparator()
            for key in group:
                tb.addAction(self.actions[key])
        # File and edit buttons show only their icon; the training ones keep their text.
        for key in ("new", "open", "save", "undo", "redo"):
            button = tb.widgetForAction(self.actions[key])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.toolbar = tb
        toggle = self.actions["view_toolbar"]
        toggle.setChecked(True)
        toggle.toggled.connect(tb.setVisible)
        tb.visibilityChanged.connect(toggle.setChecked)

    # ======================================================================= state helpers
    def is_training(self) -> bool:
        """A run exists (running or paused)."""
        return self._thread is not None

    def is_paused(self) -> bool:
        return self._thread is not None and self.actions["pause"].isChecked()

    def is_modified(self) -> bool:
        return self._dirty or not self.undo_stack.isClean()

    def set_modified(self, modified: bool = True) -> None:
        self._dirty = modified
        if not modified:
            self.undo_stack.setClean()
        self._update_title()

    def _on_clean_changed(self, _clean: bool):
        self._update_title()

    def _update_title(self):
        self.setWindowTitle(f"{self.session_name}[*] — Workbench")
        self.setWindowModified(self.is_modified())

    def blocking_reason(self) -> str | None:
        """Why Train cannot start now (one sentence), or None."""
        if self.dataset is None:
            return "Choose a data set in the Data panel first."
        if self.dataset.train is None or len(self.dataset.train) == 0:
            return "The data set has no training samples."
        problem = self.designer.validation_error()
        if problem:
            return problem
        sizes = self.designer.architecture()["sizes"]
        if sizes[0] != self.dataset.n_inputs:
            return (f"The input layer has {sizes[0]} neurons but the data has "
                    f"{self.dataset.n_inputs} inputs.")
        if sizes[-1] != self.dataset.n_outputs:
            return (f"The output layer has {sizes[-1]} neurons but the data has "
                    f"{self.dataset.n_outputs} targets.")
        problem = self._target_error(self.designer.architecture()["cost"])
        if problem:
            return problem
        return self.training_panel.validation_error()

    def _target_error(self, cost: str) -> str | None:
        """Whether the training targets suit ``cost`` (their range is computed once per data set)."""
        from workbench.core import target_error

        ds = self.dataset
        if self._target_range is None or self._target_range[0] is not ds:
            y = ds.train.Y
            self._target_range = (ds, float(y.min()), float(y.max()))
        return target_error(cost, *self._target_range[1:])

    def _update_actions(self):
        acts = self.actions
        training = self.is_training()
        paused = self.is_paused()
        reason = None if training else self.blocking_reason()
        can_start = not training and reason is None
        acts["train"].setEnabled(can_start)
        acts["train"].setToolTip(reason or "Train for the chosen number of epochs "
                                           "(continues from the current weights)")
        acts["pause"].setEnabled(training)
        acts["pause"].setText("&Resume" if paused else "&Pause")
        acts["pause"].setIcon(icon("train" if paused else "pause"))
        acts["stop"].setEnabled(training)
        for key in ("step_batch", "step_epoch"):
            acts[key].setEnabled(can_start or paused)
        arch_ok = self.designer.validation_error() is None
        acts["reset"].setEnabled(not training and arch_ok)
        for key in ("new", "open", "load_weights"):
            acts[key].setEnabled(not training)
        idle_or_paused = not training or paused
        for key in ("save", "save_as"):
            acts[key].setEnabled(idle_or_paused)
        has_net = self.net is not None
        for key in ("save_weights", "export_weights_json", "export_weights_csv"):
            acts[key].setEnabled(has_net and idle_or_paused)
        # The stack's own actions follow canUndo/canRedo; an edit undone mid-run would change the
        # architecture under the training thread.
        acts["undo"].setEnabled(not training and self.undo_stack.canUndo())
        acts["redo"].setEnabled(not training and self.undo_stack.canRedo())
        self.recent_menu.setEnabled(not training)
        self.designer.set_editable(not training)
        self.data_panel.setEnabled(not training)
        self.training_panel.set_running(training)
        if not training:
            self.training_panel.set_message(reason)

    # ======================================================================= wiring
    def load_data(self, spec: str):
        """Load ``spec`` in the data panel without marking the session modified."""
        self._quiet_loads += 1
        self.data_panel.load_spec(spec)

    def _on_data_load_failed(self, _message: str):
        self._quiet_loads = max(0, self._quiet_loads - 1)

    def _on_dataset_changed(self, dataset):
        quiet = self._quiet_loads > 0
        self._quiet_loads = max(0, self._quiet_loads - 1)
        self.dataset = dataset
        if dataset is not None:
            self.designer.set_io_sizes(dataset.n_inputs, dataset.n_outputs,
                                       input_shape=getattr(dataset, "input_shape", None))
        else:
            self.designer.set_io_sizes(None, None)
        if not (self._loading or quiet):
            self._dirty = True
        self._on_designer_changed()

    def _on_designer_changed(self):
        arch = self.designer.architecture()
        sizes = arch["sizes"]
        n_layers = max(1, len(sizes) - 1)
        self.training_panel.set_layer_count(n_layers)
        if self.net is not None and self.net.architecture() != arch:
            self._drop_network()
        if self.net is None:
            self.diagram.set_architecture(list(sizes), arch["activations"])
        self._update_title()
        self._update_actions()

    def _drop_network(self):
        """The architecture changed: the weights and their history no longer apply."""
        self.net = None
        self.epochs_trained = self.steps_trained = 0
        self.diagram.clear_parameters()
        self._reset_plots()

    def _on_panel_changed(self):
        if not self._loading:
            self._dirty = True
        self._update_title()
        self._update_actions()

    def _on_live_changed(self, name: str, old: float, new: float):
        if self._thread is not None:
            self._thread.set_pending({name: new})
            self.plots.add_marker(f"{LIVE_SYMBOLS[name]} {old:g} → {new:g}")

    # ======================================================================= followed weights
    def _current_sizes(self) -> list:
        """Layer sizes of the network, or of the designer's stack while there is none (None = unknown)."""
        return list(self.net.sizes) if self.net is not None else self.designer.architecture()["sizes"]

    def _reset_plots(self, keep_watch: bool = True):
        """Empty plots for the current network; followed weights that still exist stay followed."""
        sizes = self._current_sizes()
        watch = [w for w in self.plots.watch() if has_weight(sizes, w)] if keep_watch else []
        self.plots.reset(max(1, len(sizes) - 1), self._classification(), watch=watch)
        self.diagram.set_followed(watch)

    def follow_weight(self, layer: int, i: int, j: int) -> bool:
        """Plot ∂C/∂W[layer][i, j] after every batch (from the next batch on, also mid-run)."""
        sizes = self._current_sizes()
        key = (int(layer), int(i), int(j))
        watch = self.plots.watch()
        message = None
        if not has_weight(sizes, key):
            message = "That weight does not exist in the current network."
        elif key in watch:
            message = "That weight is already followed."
        elif len(watch) >= MAX_FOLLOWED:
            message = f"At most {MAX_FOLLOWED} weights can be followed; stop following some first."
        if message:
            self.statusBar().showMessage(message, 5000)
            self.plots.show_watch_tab()
            return False
        self._set_watch(watch + [key])
        self.statusBar().showMessage(f"Following {weight_name(*key, len(sizes) - 1)}: its gradient is "
                                     "plotted after every batch on the 'Followed weights' tab.", 5000)
        return True

    def unfollow_weights(self):
        self._set_watch([])

    def _set_watch(self, watch):
        self.plots.set_watch(watch)
        self.diagram.set_followed(watch)
        if self._thread is not None:
            self._thread.set_pending({"watch": list(watch)})
        if watch:
            self.plots.show_watch_tab()
        self.set_modified(True)

    def _classification(self) -> bool:
        return self.dataset is None or self.dataset.task == "classification"

    # ======================================================================= network
    def _create_network(self):
        from workbench.core import Network

        arch = self.designer.architecture()
        opts = self.training_panel.init_options()
        return Network.create(arch["sizes"], arch["activations"], arch["cost"], init=opts["init"],
                              bias_init=opts["bias_init"], rng=np.random.default_rng(opts["seed"]),
                              dtype=opts["dtype"])

    def reset_weights(self):
        """Fresh weights from the panel's initialisation and seed; forgets the history."""
        if self.is_training() or self.designer.validation_error():
            return
        from workbench.core import ConfigError

        try:
            self.net = self._create_network()
        except ConfigError as exc:
            QMessageBox.warning(self, "Cannot create the network", str(exc))
            return
        self.epochs_trained = self.steps_trained = 0
        self._reset_plots()
        self._show_network()
        self.status.clear("Weights reset")
        self.set_modified(True)
        self._update_actions()

    def _show_network(self, bias_gradients=None):
        if self.net is None:
            return
        self.diagram.set_architecture(list(self.net.sizes), list(self.net.activations))
        self.diagram.set_parameters([w.copy() for w in self.net.weights],
                                    [b.copy() for b in self.net.biases], bias_gradients)

    # ======================================================================= training
    def start_training(self, step: str | None = None) -> bool:
        """Start a run of ``epochs`` epochs (or one step); returns False with the reason shown."""
        if self.is_training():
            return False
        reason = self.blocking_reason()
        if reason:
            self.training_panel.set_message(reason)
            self.statusBar().showMessage(reason, 5000)
            return False
        from workbench.core import ConfigError, Hyperparameters, train

        opts = self.training_panel.init_options()
        arch = self.designer.architecture()
        try:
            if self.net is None or self.net.architecture() != arch:
                self.net = self._create_network()
                self.epochs_trained = self.steps_trained = 0
                self._reset_plots()
            elif self.net.dtype.name != opts["dtype"]:
                self.net = self.net.astype(opts["dtype"])
            hp = Hyperparameters(**self.training_panel.hyperparameters())
            hp.validate(self.net.n_layers)
        except ConfigError as exc:
            self.training_panel.set_message(str(exc))
            return False
        ds = self.dataset
        validation = (ds.validation.X, ds.validation.Y) if ds.validation is not None else None
        fresh = self.epochs_trained == 0 and self.steps_trained == 0 and self.plots.epoch_count() == 0
        kwargs = {
            "rng": np.random.default_rng([opts["seed"], self.steps_trained]),
            "validation": validation,
            "classification": ds.task == "classification",
            "evaluate_initial": fresh,
            "watch": self.plots.watch(),
        }
        if fresh:
            self._reset_plots()
        thread = TrainingThread(train, self.net, ds.train.X, ds.train.Y, hp, kwargs, step=step, parent=self)
        thread.paused_changed.connect(self._on_paused_changed)
        thread.diverged.connect(lambda message: self._remember_message("diverged", message))
        thread.failed.connect(lambda message: self._remember_message("failed", message))
        thread.finished.connect(lambda t=thread: self._on_thread_finished(t))
        self._thread = thread
        self._run_offsets = (self.epochs_trained, self.steps_trained)
        self._pending_message = None
        self._unplotted = []
        self._next_frame = self._next_status = 0.0
        self._frame_cpu_mark = time.thread_time()
        self._frame_cost = FRAME_COST_PRIOR_S
        self._frames_with_data = 0
        self.actions["pause"].setChecked(False)
        self.status.start_run(1 if step else hp.epochs)
        self.status.set_state("Training")
        self.plots.auto_refresh = False       # redrawn by _frame, at a pace the GUI can afford
        self._drain_timer.start()
        thread.start()
        self._update_actions()
        return True

    def toggle_pause(self):
        thread = self._thread
        if thread is None:
            self.actions["pause"].setChecked(False)
            return
        if self.actions["pause"].isChecked():
            thread.pause()
            self.status.set_state("Pausing…")
        else:
            thread.resume()
            self.status.set_state("Training")
        self._update_actions()

    def pause_training(self):
        if self._thread is not None and not self.actions["pause"].isChecked():
            self.actions["pause"].setChecked(True)
            self.toggle_pause()

    def resume_training(self):
        if self._thread is not None and self.actions["pause"].isChecked():
            self.actions["pause"].setChecked(False)
            self.toggle_pause()

    def step(self, unit: str):
        """One batch or one epoch, then pause (starts a run when idle)."""
        if self._thread is None:
            self.start_training(step=unit)
        else:
            self.actions["pause"].setChecked(False)
            self._thread.step(unit)
            self.status.set_state("Training")
            self._update_actions()

    def stop_training(self, wait: bool = False):
        """Ask the run to stop; ``wait=True`` blocks until the thread has finished."""
        thread = self._thread
        if thread is None:
            return
        thread.stop()
        self.status.set_state("Stopping…")
        if wait:
            thread.wait()
            self._on_thread_finished(thread)

    def _on_paused_changed(self, paused: bool):
        if self._thread is None:
            return
        self.actions["pause"].setChecked(paused)
        self.status.set_state("Paused" if paused else "Training")
        if paused:
            self._flush()
        self._update_actions()

    def _remember_message(self, kind: str, message: str):
        self._pending_message = (kind, message)

    def _drain(self):
        """Timer slot (25 Hz): collect the worker's records; redraw when the next frame is due."""
        with gui_priority():
            self._drain_now()

    def _drain_now(self):
        thread = self._thread
        if thread is None:
            self._drain_timer.stop()
            return
        records = thread.drain()
        now = time.perf_counter()
        if records:
            self._unplotted.extend(records)
            if len(self._unplotted) >= MAX_BACKLOG:    # into the plots' tables now, drawn later
                self._feed(self._unplotted)
                self._unplotted = []
            if now >= self._next_status:
                self._next_status = now + STATUS_PERIOD_S
                self._show_progress(records)
        if now >= self._next_frame or (records and self._frames_with_data == 0):
            self._frame(now)          # the first records of a run are shown at once

    def _show_progress(self, records):
        from workbench.core import BatchRecord

        for rec in reversed(records):
            if type(rec) is BatchRecord:       # not yet offset: epochs counted within the run
                self.status.update(rec, self._run_offsets[0])
                return

    def _frame(self, now: float | None = None):
        """Hand the collected records to the plots and fresh weights to the diagram.

        The next frame is scheduled so that the GUI thread's CPU time since the previous frame
        (which includes that frame's painting) stays within ``GUI_BUDGET`` of the wall time.
        """
        now = time.perf_counter() if now is None else now
        cpu = time.thread_time()
        if self._frame_cpu_mark is not None:      # smoothed GUI CPU per frame period
            self._frame_cost = 0.5 * self._frame_cost + 0.5 * (cpu - self._frame_cpu_mark)
        interval = min(FRAME_MAX_S, max(FRAME_MIN_S, self._frame_cost / GUI_BUDGET))
        self._frame_cpu_mark = cpu
        self._next_frame = now + interval
        self.frame_intervals.append(interval)
        if self._unplotted:
            records, self._unplotted = self._unplotted, []
            self._feed(records)
            self.plots.refresh()
            self._frames_with_data += 1
        self._update_diagram()

    def _flush(self):
        """Everything the worker produced so far goes to the plots, diagram and status bar now."""
        thread = self._thread
        if thread is not None:
            self._unplotted.extend(thread.drain())
        if self._unplotted:
            self._show_progress(self._unplotted)
        self._frame()
        self._update_diagram(force=True)

    def _feed(self, records):
        from workbench.core import BatchRecord, EpochRecord

        epoch_off, step_off = self._run_offsets
        batches = [rec for rec in records if type(rec) is BatchRecord]
        epochs = [rec for rec in records if type(rec) is EpochRecord]
        if epoch_off:
            for rec in batches:
                rec.epoch += epoch_off
                rec.step += step_off
            for rec in epochs:
                rec.epoch += epoch_off
        if batches:
            self.plots.add_batches(batches)
            self.steps_trained = batches[-1].step
        if epochs:
            self.plots.add_epochs(epochs)
            self.epochs_trained = max(self.epochs_trained, epochs[-1].epoch)

    def _update_diagram(self, force: bool = False):
        thread = self._thread
        if thread is None:
            return
        snap = thread.snapshot()          # the worker copies the weights at most 10 times a second
        if snap is None or snap[0] == self._diagram_serial:
            return
        self._diagram_serial, weights, biases, grads = snap
        self.diagram.set_parameters(weights, biases, grads)

    def _on_thread_finished(self, thread: TrainingThread):
        if thread is not self._thread:
            return
        thread.wait()           # `finished` is emitted just before run() returns: let it return
        self._flush()
        self.plots.auto_refresh = True
        self._thread = None
        self._frame_cpu_mark = None
        self._drain_timer.stop()
        self.actions["pause"].setChecked(False)
        outcome = thread.outcome
        self.last_outcome = outcome
        labels = {"completed": "Finished", "stopped": "Stopped", "diverged": "Diverged", "failed": "Failed"}
        self.status.end_run(labels.get(outcome, outcome.title()))
        rate = f" ({format_rate(self.status.last_rate)} on average)" if self.status.last_rate else ""
        self.statusBar().showMessage(f"Training {labels.get(outcome, outcome).lower()} after "
                                     f"{self.epochs_trained} epochs{rate}.", 8000)
        self._dirty = True
        self._update_title()
        self._update_actions()
        thread.deleteLater()
        message, self._pending_message = self._pending_message, None
        if outcome == "diverged" and message:
            self.plots.add_marker("diverged")
            QMessageBox.warning(self, "Training diverged", message[1])
        elif outcome == "failed":
            details = thread.error_message.strip().splitlines()
            QMessageBox.critical(self, "Training failed",
                                 "Training stopped because of an error:\n\n"
                                 f"{details[-1] if details else 'unknown error'}\n\n"
                                 "The weights from before the failing batch were kept.")
        self.training_finished.emit(outcome)

    # ======================================================================= sessions
    def _ask_to_save(self, what: str) -> bool:
        """Save/Discard/Cancel if there are unsaved changes; returns False on Cancel."""
        if not self.is_modified():
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes",
            f"The session “{self.session_name}” has unsaved changes. Save them before {what}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return True

    def new_session(self, ask: bool = True):
        """The default experiment: the XOR preset on the XOR data, fresh weights, no history."""
        if self.is_training() or (ask and not self._ask_to_save("starting a new session")):
            return
        from workbench.gui.presets import PresetError, preset

        self._loading = True
        try:
            self.undo_stack.clear()
            self.net = None
            self.epochs_trained = self.steps_trained = 0
            try:
                p = preset(DEFAULT_PRESET)
            except PresetError:
                p = {"data": "xor", "hyperparameters": {}}
            if p.get("data"):
                self.load_data(p["data"])
            if "sizes" in p:
                self.designer.set_architecture(
                    {"sizes": p["sizes"], "activations": p["activations"], "cost": p["cost"]}, undoable=False)
            from workbench.gui.panels.training_panel import DEFAULTS

            self.training_panel.set_values({**DEFAULTS, **p.get("hyperparameters", {})})
            self.undo_stack.clear()
        finally:
            self._loading = False
        self.session_path = None
        self.session_name = "Untitled"
        self._on_designer_changed()
        self._reset_plots(keep_watch=False)
        self.status.clear("Ready")
        self.set_modified(False)
        self._update_actions()

    def apply_preset_extras(self, name: str):
        """After the designer loaded preset ``name``: also take its data set and hyperparameters."""
        from workbench.gui.presets import PresetError, preset

        try:
            p = preset(name)
        except PresetError as exc:
            QMessageBox.warning(self, "Cannot load the preset", str(exc))
            return
        if p.get("data") and p["data"] != self.data_panel.spec():
            self.load_data(p["data"])
        try:
            self.training_panel.set_values(p.get("hyperparameters") or {})
        except ValueError as exc:
            QMessageBox.warning(self, "Preset hyperparameters ignored", f"{p['name']}: {exc}")
        self._dirty = True
        self._update_title()
        self._update_actions()

    def open_dialog(self):
        if self.is_training() or not self._ask_to_save("opening another session"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open session", self._dialog_dir(), SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str, ask: bool = False) -> bool:
        """Load ``path``; on error show a message and keep the current session."""
        if self.is_training() or (ask and not self._ask_to_save("opening another session")):
            return False
        try:
            session = load_session(path)
        except SessionError as exc:
            QMessageBox.warning(self, "Cannot open the session", str(exc))
            return False
        try:
            self.apply_session(session)
        except (ValueError, KeyError) as exc:
            QMessageBox.warning(self, "Cannot open the session", f"{path}: {exc}")
            return False
        self.session_path = os.path.abspath(path)
        self.set_modified(False)
        self._remember_recent(path)
        return True

    def apply_session(self, session: Session):
        self._loading = True
        try:
            self.undo_stack.clear()
            self.net = None
            if session.data:
                self.load_data(session.data)
            if session.architecture:
                self.designer.set_architecture(session.architecture, undoable=False)
            self._on_designer_changed()
            hp = dict(session.hyperparameters)
            resolution = hp.pop("resolution", None)
            self.training_panel.set_values(hp)
            self._reset_plots(keep_watch=False)
            if session.history:
                self.plots.load_history(session.history)
            sizes = self.designer.architecture()["sizes"]
            watch = [w for w in session.watch if has_weight(sizes, w)]
            if watch != self.plots.watch():
                self.plots.set_watch(watch)
            self.diagram.set_followed(watch)
            if resolution in ("batch", "epoch"):
                self.plots.set_resolution(resolution)
            self.net = session.network
            self.epochs_trained = session.epochs_trained
            self.steps_trained = session.steps_trained
            if self.net is not None:
                self._show_network()
            self.undo_stack.clear()
        finally:
            self._loading = False
        self.session_name = session.name
        self.status.clear("Ready")
        self._update_title()
        self._update_actions()

    def current_session(self) -> Session:
        hp = self.training_panel.values()
        hp["resolution"] = self.plots.resolution()
        return Session(name=self.session_name, architecture=self.designer.architecture(),
                       hyperparameters=hp, data=self.data_panel.spec(), history=self.plots.history(),
                       epochs_trained=self.epochs_trained, steps_trained=self.steps_trained,
                       network=self.net, watch=self.plots.watch())

    def save(self) -> bool:
        if self.session_path is None:
            return self.save_as()
        return self.save_to(self.session_path)

    def save_as(self) -> bool:
        start = self.session_path or os.path.join(self._dialog_dir(), f"{self.session_name}{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save session as", start, SESSION_FILTER)
        if not path:
            return False
        return self.save_to(_with_suffix(path, SUFFIX))

    def save_to(self, path: str) -> bool:
        if self.is_training() and not self.is_paused():
            return False
        if self.session_path is None or os.path.abspath(path) != self.session_path:
            self.session_name = Path(path).stem
        try:
            save_session(path, self.current_session(), include_weights=settings.value("session/save_weights"))
        except (SessionError, OSError) as exc:
            QMessageBox.warning(self, "Cannot save the session", str(exc))
            return False
        self.session_path = os.path.abspath(path)
        self.set_modified(False)
        self._remember_recent(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    # ======================================================================= weights and exports
    def _dialog_dir(self) -> str:
        folder = settings.value("files/last_dir")
        return folder if folder and os.path.isdir(folder) else os.path.expanduser("~")

    def _remember_dir(self, path: str):
        settings.set_value("files/last_dir", os.path.dirname(os.path.abspath(path)))

    def load_weights_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Load weights", self._dialog_dir(), WEIGHTS_FILTER)
        if path:
            self._remember_dir(path)
            self.load_weights(path)

    def load_weights(self, path: str) -> bool:
        """Load a .npz; if its architecture differs from the designer's, offer to adopt it."""
        if self.is_training():
            return False
        from workbench.core import WeightFileError, load_weights

        try:
            net = load_weights(path)
        except WeightFileError as exc:
            QMessageBox.warning(self, "Cannot load the weights", str(exc))
            return False
        current = self.designer.architecture()
        theirs = net.architecture()
        if theirs != current:
            def describe(arch):
                return (f"{'-'.join(map(str, arch['sizes']))} ({', '.join(arch['activations'])}; "
                        f"{arch['cost']} cost)")
            answer = QMessageBox.question(
                self, "Different network",
                f"The file holds a {describe(theirs)} network, but the designer has "
                f"{describe(current)}.\n\nAdopt the file's architecture?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Yes)
            if answer != QMessageBox.StandardButton.Yes:
                return False
            self.designer.set_architecture(theirs, undoable=True)
            if self.designer.architecture() != theirs:
                QMessageBox.warning(self, "Cannot load the weights",
                                    "The designer could not take the file's architecture "
                                    "(does it fit the current data set?).")
                return False
        self.net = net
        self.epochs_trained = self.steps_trained = 0
        self._reset_plots()
        self.plots.add_marker(f"weights from {Path(path).name}")
        self._show_network()
        self.set_modified(True)
        self._update_actions()
        self.statusBar().showMessage(f"Loaded weights from {path}", 5000)
        return True

    def save_weights_dialog(self):
        if self.net is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save weights", os.path.join(
            self._dialog_dir(), f"{self.session_name}.npz"), WEIGHTS_FILTER)
        if path:
            self._remember_dir(path)
            self._export(lambda p: __import__("workbench.core", fromlist=["save_weights"]).save_weights(
                self.net, p), _with_suffix(path, ".npz"))

    def export_weights_dialog(self, fmt: str):
        if self.net is None:
            return
        from workbench.core import export_csv, export_json

        suffix = f".{fmt}"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export weights as {fmt.upper()}",
            os.path.join(self._dialog_dir(), f"{self.session_name}-weights{suffix}"),
            f"{fmt.upper()} files (*{suffix})")
        if path:
            self._remember_dir(path)
            fn = export_json if fmt == "json" else export_csv
            self._export(lambda p: fn(self.net, p), _with_suffix(path, suffix))

    def export_plots_dialog(self, fmt: str):
        suffix = f".{fmt}"
        what = "plots" if fmt == "png" else "history"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {what} as {fmt.upper()}",
            os.path.join(self._dialog_dir(), f"{self.session_name}-{what}{suffix}"),
            "PNG images (*.png)" if fmt == "png" else "CSV files (*.csv)")
        if path:
            self._remember_dir(path)
            fn = self.plots.export_png if fmt == "png" else self.plots.export_csv
            self._export(fn, _with_suffix(path, suffix))

    def _export(self, fn, path: str) -> bool:
        try:
            fn(path)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Export failed", f"Cannot write {path}: {exc}")
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    # ======================================================================= recent files
    def _remember_recent(self, path: str):
        settings.add_recent_file(path)
        self._remember_dir(path)

    def _fill_recent_menu(self):
        menu = self.recent_menu
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
            QMessageBox.information(self, "File not found",
                                    f"{path} no longer exists; it was removed from the recent files.")
            return False
        return self.open_session(path, ask=True)

    # ======================================================================= window
    def show_about(self):
        QMessageBox.about(
            self, "About Workbench",
            f"<h3>Workbench {__version__}</h3>"
            "<p>Design feed-forward neural networks, train them by back-propagation and watch them "
            "learn: cost, accuracy and the learning speed of every layer, live.</p>"
            "<p>The numerical core is plain NumPy; the window is PySide6 and pyqtgraph.</p>")

    def reset_layout(self):
        self.restoreState(self._default_state)
        for dock in (self.data_dock, self.designer_dock, self.training_dock, self.diagram_dock):
            dock.setFloating(False)
            dock.show()
        self.toolbar.show()
        self._default_dock_sizes()

    def resize_for_screenshot(self, width: int, height: int):
        """Resize and lay the docks out afresh for that size (scripted screenshots)."""
        self.resize(width, height)
        self._default_dock_sizes()

    def _restore_settings(self):
        geometry = settings.value("window/geometry")
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = settings.value("window/state")
        if not state.isEmpty():
            self.restoreState(state)

    def _save_settings(self):
        settings.set_value("window/geometry", self.saveGeometry())
        settings.set_value("window/state", self.saveState())

    def shutdown(self):
        """Stop any run and wait for its thread (used on close)."""
        self.stop_training(wait=True)
        self._drain_timer.stop()
        self.data_panel.cancel_loading(wait=True)

    def changeEvent(self, event):  # noqa: N802 - Qt override
        """Follow a light/dark theme switch: recolour the icons and the plot background."""
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "actions"):
            configure_pyqtgraph(self.palette())
            for action in self.actions.values():
                name = action.property("wb_icon")
                if name:
                    action.setIcon(icon(name))
            self._update_actions()
        super().changeEvent(event)

    def closeEvent(self, event):  # noqa: N802 - Qt override
        if event.spontaneous() and (self.is_training() or self.is_modified()):
            was_running = self.is_training() and not self.is_paused()
            if was_running:
                self.pause_training()
            question = ("Training is still running. " if self.is_training() else "") + (
                f"Save the session “{self.session_name}” before closing?")
            answer = QMessageBox.question(
                self, "Close Workbench", question,
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.save()):
                if was_running:
                    self.resume_training()
                event.ignore()
                return
        self.shutdown()
        if self._persist:
            self._save_settings()
        event.accept()
