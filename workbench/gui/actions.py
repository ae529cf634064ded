"""Every action of the window, its menus and its toolbar, as tables.

``ACTIONS`` rows: (name, text, slot, shortcuts, icon, tip, checkable).  ``slot`` names a method of
the window, or of one of its parts with a dotted path ("files.open_dialog"); arguments after a
colon are passed as one string ("step:batch").  ``MENUS`` and ``TOOLBAR`` list action names;
"-" is a separator, "@recent" the Open Recent submenu, "@export" the Export submenu, "@views"
the views' toggles and "@labs" the labs (filled by the window's ``labs``, ``gui/labs.py``).
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from workbench.gui.icons import icon

ACTIONS = [
    ("new", "&New", "files.new_session", ["Ctrl+N"], "new", "Start a new session", False),
    ("open", "&Open…", "files.open_dialog", ["Ctrl+O"], "open", "Open a session file", False),
    ("save", "&Save", "files.save", ["Ctrl+S"], "save", "Save the session", False),
    ("save_as", "Save &As…", "files.save_as", ["Ctrl+Shift+S"], "save-as", "Save the session under a new name", False),
    ("include_weights", "&Include Weights in Sessions", None, [], None,
     "Store the network weights in session files (otherwise a session reopens untrained)", True),
    ("load_weights", "&Load Weights…", "files.load_weights_dialog", [], "load-weights",
     "Load network weights from a .npz file", False),
    ("save_weights", "Save &Weights…", "files.save_weights_dialog", [], "save-weights",
     "Save the network weights as a .npz file", False),
    ("export_weights_json", "Weights as &JSON…", "files.export_dialog:json", [], "export",
     "Export the weights as readable JSON", False),
    ("export_weights_csv", "Weights as &CSV…", "files.export_dialog:csv", [], "export",
     "Export the weights as a CSV table (one row per parameter)", False),
    ("export_onnx", "Network as &ONNX…", "files.export_dialog:onnx", [], "export",
     "Export the network as an ONNX model (for onnxruntime, Netron, …; needs the onnx package)", False),
    ("export_pytorch", "&PyTorch Hand-over Folder…", "files.export_pytorch_dialog", [], "export",
     "Write a folder PyTorch continues from: the weights, model.py with the loss and optimizer, train.py "
     "for one or many machines, a README", False),
    ("export_plots_png", "View as &PNG Image…", "files.export_dialog:png", [], "export-plot",
     "Save the view in front (curves, output map, predictions, …) as a PNG image", False),
    ("export_view_csv", "View's &Numbers as CSV…", "files.export_dialog:view_csv", [], "export-plot",
     "Save the numbers the view in front shows as a CSV table", False),
    ("export_plots_csv", "Training &History as CSV…", "files.export_dialog:history", [], "export-plot",
     "Save the training history as a CSV table", False),
    ("quit", "&Quit", "request_quit", ["Ctrl+Q"], "quit", "Quit Workbench", False),
    ("train", "&Train", "start_training", ["Ctrl+Return"], "train",
     "Train for the chosen number of epochs (continues from the current weights)", False),
    ("pause", "&Pause", "toggle_pause", ["Ctrl+P"], "pause", "Pause or resume training", True),
    ("stop", "St&op", "stop_training", ["Ctrl+."], "stop", "Stop training after the current batch", False),
    ("step_batch", "Step &Batch", "step:batch", ["Ctrl+B"], "step-batch", "Train on one batch, then pause", False),
    ("step_epoch", "Step &Epoch", "step:epoch", ["Ctrl+E"], "step-epoch",
     "Train one epoch's worth of batches, then pause", False),
    ("reset", "&Reset Weights", "reset_weights", ["Ctrl+R"], "reset",
     "Draw fresh initial weights (initialisation and seed from the training panel); Undo brings "
     "the trained ones back", False),
    ("evaluate_test", "E&valuate on Test", "evaluate_on_test", ["Ctrl+T"], None,
     "Cost and accuracy of the network on the test split, with its confusion matrix", False),
    ("tensorboard", "Tensor&Board Logs…", "show_tensorboard_dialog", [], None,
     "Write a TensorBoard log (costs, accuracies, learning speeds, histograms, settings) for every run", False),
    ("view_toolbar", "&Toolbar", None, [], None, "Show or hide the toolbar", True),
    ("reset_layout", "Reset &Layout", "reset_layout", [], None, "Put every panel back in its place", False),
    ("about", "&About Workbench", "show_about", [], "about", None, False),
]

MENUS = [
    ("&File", ["new", "open", "@recent", "-", "save", "save_as", "include_weights", "-", "load_weights",
               "save_weights", "@export", "-", "quit"]),
    ("&Edit", ["undo", "redo"]),
    ("&Training", ["train", "pause", "stop", "-", "step_batch", "step_epoch", "-", "reset", "-",
                   "evaluate_test", "-", "tensorboard"]),
    ("&View", ["@views", "-", "view_toolbar", "-", "reset_layout"]),
    ("&Labs", ["@labs"]),
    ("&Help", ["about"]),
]
EXPORT_MENU = ["export_onnx", "export_pytorch", "-", "export_weights_json", "export_weights_csv", "-",
               "export_plots_png", "export_view_csv", "export_plots_csv"]
TOOLBAR = [["new", "open", "save"], ["undo", "redo"],
           ["train", "pause", "stop", "step_batch", "step_epoch", "reset"]]
ICON_ONLY = {"new", "open", "save", "undo", "redo"}


def _resolve(owner, slot: str):
    path, _, argument = slot.partition(":")
    target = owner
    for part in path.split("."):
        target = getattr(target, part)
    return (lambda: target(argument)) if argument else target


def build_actions(window) -> dict[str, QAction]:
    """One QAction per row of ``ACTIONS`` (plus Undo/Redo from the window's undo stack)."""
    actions: dict[str, QAction] = {}
    for name, text, slot, shortcuts, icon_name, tip, checkable in ACTIONS:
        action = QAction(text, window)
        action.setObjectName(f"action_{name}")
        if icon_name:
            action.setIcon(icon(icon_name))
            action.setProperty("wb_icon", icon_name)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        if slot is not None:
            call = _resolve(window, slot)
            action.triggered.connect(lambda _checked=False, call=call: call())
        actions[name] = action
    # Undo and Redo are the window's own actions, not QUndoStack.createUndoAction's: those follow
    # canUndoChanged on their own and came back on during a run; these are enabled only by the
    # window's _update_actions, and their slot asks the window again before acting.
    stack = window.undo_stack
    for name, shortcuts, text_changed in (("undo", ["Ctrl+Z"], stack.undoTextChanged),
                                          ("redo", ["Ctrl+Shift+Z", "Ctrl+Y"], stack.redoTextChanged)):
        action = QAction(icon(name), "&" + name.title(), window)
        # Explicit, distinct sequences: on X11 the standard Redo key is Ctrl+Shift+Z too, and
        # binding it twice made Qt report an ambiguous shortcut and do nothing.
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setProperty("wb_icon", name)
        action.setObjectName(f"action_{name}")
        action.setEnabled(False)
        action.triggered.connect(lambda _checked=False, name=name: window.undo_or_redo(name))
        title = name.title()
        text_changed.connect(lambda text, action=action, title=title:
                             action.setText(f"&{title} {text}" if text else f"&{title}"))
        actions[name] = action
    return actions


def build_menus(window, actions, view_toggles, recent_menu_filler) -> dict:
    """The menu bar from ``MENUS``; returns the submenus by name ("recent", "export", "labs")."""
    bar = window.menuBar()
    submenus = {}
    for title, names in MENUS:
        menu = bar.addMenu(title)
        for name in names:
            if name == "-":
                menu.addSeparator()
            elif name == "@recent":
                submenus["recent"] = menu.addMenu("Open &Recent")
                submenus["recent"].aboutToShow.connect(recent_menu_filler)
            elif name == "@export":
                export = submenus["export"] = menu.addMenu(icon("export"), "&Export")
                for key in EXPORT_MENU:
                    export.addSeparator() if key == "-" else export.addAction(actions[key])
            elif name == "@views":
                for toggle in view_toggles:
                    menu.addAction(toggle)
            elif name == "@labs":
                submenus["labs"] = menu
                window.labs.fill_menu(menu)
            else:
                menu.addAction(actions[name])
    return submenus
