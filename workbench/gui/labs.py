"""The Labs menu: experiments that reproduce a published figure (``resources/labs``), one click each.

``LabMenu`` fills the menu bar's Labs menu with a submenu per lab group and an entry per lab (in
the lab's order; the tooltip is the first sentence of its text), and opens a lab as the window's
document: it asks to save unsaved changes as Open does, is refused while a run goes, applies the
lab's session through ``FileActions`` (checked first, like any session) and leaves the document
*untitled* (no path: Save asks where to save, so nothing is ever written into resources/labs),
named after the lab.  It then shows the lab's views and brings the ``lab-notes`` view forward.

``current`` is the lab open now, or None.  It stays while the document is the one the lab opened
(trained, reset, saved under another name) and is dropped when another document replaces it (New,
Open, Open Recent): a document whose name and path changed *and* whose run history was replaced.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

from workbench.core.labs import LabError, lab_index, load_lab

NOTES_VIEW = "lab-notes"


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (up to the first ". ", "? " or "! "), for a tooltip."""
    for i, ch in enumerate(text):
        if ch in ".?!" and (i + 1 == len(text) or text[i + 1] in " \n"):
            return text[:i + 1]
    return text


class LabMenu(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.experiment = window.experiment
        self.current = None               # the open lab (workbench.core.labs.Lab) or None
        self.actions: dict[str, QAction] = {}
        self.menu = None
        self._document = None             # (name, path) of the lab's document
        self._history = None              # the run history it had at the last check
        self._pending = False
        self.experiment.document_changed.connect(self._check_soon)
        self.experiment.history_reset.connect(self._check_soon)

    # ------------------------------------------------------------------ the menu
    def fill_menu(self, menu) -> None:
        """Submenus per group (alphabetical), entries by order; a damaged lab file shows as a
        disabled entry whose tooltip says why."""
        self.menu = menu
        menu.setToolTipsVisible(True)
        labs, problems = lab_index()
        groups: dict[str, object] = {}
        for lab in labs:
            sub = groups.get(lab.group)
            if sub is None:
                sub = groups[lab.group] = menu.addMenu(lab.group)
                sub.setToolTipsVisible(True)
            action = sub.addAction(lab.title)
            action.setObjectName(f"action_lab_{lab.name}")
            tip = first_sentence(lab.text)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False, name=lab.name: self.open_lab(name))
            self.actions[lab.name] = action
        if not labs:
            menu.addAction("No labs are installed").setEnabled(False)
        for problem in problems:
            broken = menu.addAction("A lab file cannot be read")
            broken.setEnabled(False)
            broken.setToolTip(problem)
            broken.setStatusTip(problem)

    def _show_notes(self) -> None:
        """Bring the notes forward; a dock that sits alone in the right column becomes a tab
        beside the training panel, so the notes get its height (the toolbar keeps Train at hand)."""
        window = self.window
        dock = window.docks.get(NOTES_VIEW)
        if dock is None:
            return
        from PySide6.QtCore import Qt

        dock.show()
        if not dock.isFloating() and not window.tabifiedDockWidgets(dock) \
                and window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea \
                and window.dockWidgetArea(window.training_dock) == Qt.DockWidgetArea.RightDockWidgetArea \
                and not window.training_dock.isFloating():
            window.tabifyDockWidget(window.training_dock, dock)
            window.resizeDocks([dock], [window.height() * 11 // 20], Qt.Orientation.Vertical)
        window.raise_view(NOTES_VIEW)

    def set_enabled(self, enabled: bool) -> None:
        """The menu is usable only while no run goes (opening a lab replaces the network)."""
        if self.menu is not None:
            self.menu.setEnabled(enabled)

    # ------------------------------------------------------------------ opening
    def open_lab(self, name: str, ask: bool = True) -> bool:
        """Open lab ``name`` as an untitled document; False (and the window unchanged) when a run
        goes, the user cancels saving, or the lab cannot be read or opened (a box says why)."""
        window, exp, files = self.window, self.experiment, self.window.files
        if exp.is_training():
            window.statusBar().showMessage("Stop the run before opening a lab.", 5000)
            return False
        if ask and not files.ask_to_save("opening a lab"):
            return False
        try:
            lab = load_lab(name)
        except LabError as exc:
            files.warn("Cannot open the lab", str(exc))
            return False
        session = lab.session
        problem = files.refusal(session)
        if problem:
            files.warn("Cannot open the lab", f"The lab {name!r} cannot be opened: {problem}")
            return False
        try:
            files.apply_session(session)
        except (ValueError, KeyError, TypeError) as exc:
            exp.set_document(session.name, None)
            exp.set_modified(True)
            files.warn("Cannot open the lab", f"The lab {name!r} could only be opened in part: {exc}")
            return False
        exp.set_document(session.name, None)         # untitled: Save asks for a path
        exp.set_modified(False)
        window.status.clear("Ready")
        self._set(lab)
        self._show_notes()
        front = (session.views or {}).get("front")
        if front:
            window.raise_view(front)
        window.statusBar().showMessage(f"Opened the lab “{lab.title}”: see Lab notes for what to look for.", 10000)
        return True

    def _set(self, lab) -> None:
        self.current = lab
        exp = self.experiment
        self._document = (exp.name, exp.path) if lab is not None else None
        self._history = exp.history if lab is not None else None
        view = self.window.views.get(NOTES_VIEW)
        if view is not None:
            view.set_lab(lab)

    # ------------------------------------------------------------------ following the document
    def _check_soon(self, *_args) -> None:
        """Decide once the change under way is complete (a save sets the name, then the path)."""
        if self.current is not None and not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._check)

    def _check(self) -> None:
        self._pending = False
        if self.current is None:
            return
        exp = self.experiment
        document = (exp.name, exp.path)
        if document == self._document:
            self._history = exp.history          # trained, reset, data loaded: still the lab
        elif exp.history is self._history:
            self._document = document            # saved under a name: still the lab's run
        else:
            self._set(None)                      # another document replaced it
