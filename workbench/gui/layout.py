"""The window's furniture: central tabs and docks built from the view list, the toolbar, the
default layout for the screen size, and its save and restore through QSettings.

``WindowLayout`` is a mixin of ``MainWindow`` (napari's split of ``_QtMainWindow`` and ``Window``):
it expects ``self.views``, ``self.actions`` and the three panels.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDockWidget, QMenu, QTabBar, QTabWidget, QToolBar, QToolButton

from workbench.gui import settings
from workbench.gui.actions import ICON_ONLY, TOOLBAR

Area = Qt.DockWidgetArea
AREAS = {"left": Area.LeftDockWidgetArea, "right": Area.RightDockWidgetArea,
         "bottom": Area.BottomDockWidgetArea}
TALL = 950          # from this height on the diagram gets its own row under the plots
WIDE = 1600         # from this width on the side docks are wider
FIRST_SHARE = 0.9   # a first launch on a large screen takes this share of it ...
FIRST_MAX = (1800, 1100)   # ... up to this size


def first_launch_size(free: tuple[int, int], current: tuple[int, int]) -> tuple[int, int] | None:
    """The size a first launch takes on a screen with ``free`` room: ``FIRST_SHARE`` of it, at most
    ``FIRST_MAX``; None when that is not clearly larger than ``current`` (keep the window as it is)."""
    width = min(int(free[0] * FIRST_SHARE), FIRST_MAX[0])
    height = min(int(free[1] * FIRST_SHARE), FIRST_MAX[1])
    if width <= current[0] + 100 and height <= current[1] + 100:
        return None
    return max(width, current[0]), max(height, current[1])


class WindowLayout:
    def _build_docks(self):
        self.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
        self.centre = QTabWidget()
        self.centre.setDocumentMode(True)
        self.setCentralWidget(self.centre)
        self.docks: dict[str, QDockWidget] = {}
        self._toggle_order: list[str] = []
        self.data_dock = self._dock("data", "Data", self.data_panel, "left")
        self.designer_dock = self._dock("designer", "Network", self.designer, "left")
        self.training_dock = self._dock("training", "Training", self.training_panel, "right")
        self.splitDockWidget(self.data_dock, self.designer_dock, Qt.Orientation.Vertical)
        for name, view in self.views.items():
            if view.area == "centre":
                self.centre.addTab(view, view.title)
                self.centre.setTabToolTip(self.centre.count() - 1, view.tooltip)
                self._view_action(name, view)
            else:
                self._dock(name, view.title, view, view.area)
        self.diagram_dock = self.docks.get("diagram")
        self._build_tab_list()

    def _build_tab_list(self):
        """A "Views" button at the end of the tab bar listing every central view: more views than
        the bar can show side by side stay one click away (the bar scrolls to the one chosen)."""
        button = QToolButton(self.centre)
        button.setText("All views")
        button.setToolTip("Choose a view (the tabs scroll when they do not all fit)")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setAutoRaise(True)
        menu = QMenu(button)
        for name, view in self.views.items():
            if view.area == "centre":
                menu.addAction(self.actions[f"view_{name}"])
        button.setMenu(menu)
        self.centre.setCornerWidget(button, Qt.Corner.TopRightCorner)
        self.tab_list_button = button

    def _dock(self, name: str, title: str, widget, area: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(AREAS[area], dock)
        toggle = dock.toggleViewAction()
        toggle.setText(title)
        self.actions[f"view_{name}"] = toggle
        self.docks[name] = dock
        self._toggle_order.append(name)
        return dock

    def _view_action(self, name: str, view) -> None:
        """A central view's View-menu entry brings its tab to the front."""
        action = QAction(view.title, self)
        action.setObjectName(f"action_view_{name}")
        action.triggered.connect(lambda: self.raise_view(name))
        self.actions[f"view_{name}"] = action
        self._toggle_order.append(name)

    def _build_toolbar(self):
        tb = QToolBar("Main toolbar", self)
        tb.setObjectName("toolbar_main")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        for index, group in enumerate(TOOLBAR):
            if index:
                tb.addSeparator()
            for key in group:
                tb.addAction(self.actions[key])
        for key in ICON_ONLY:     # file and edit buttons show only their icon
            tb.widgetForAction(self.actions[key]).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.toolbar = tb
        toggle = self.actions["view_toolbar"]
        toggle.setChecked(True)
        toggle.toggled.connect(tb.setVisible)
        tb.visibilityChanged.connect(toggle.setChecked)

    def _default_dock_sizes(self):
        """Plots get most of the room on a small screen; wide screens widen the side docks.  Below
        950 px of height the diagram shares the right column with the training panel, and the data
        and network panels share the left one as tabs (each then shows whole: the digit preview
        under the data form, every layer of the stack)."""
        wide, tall = self.width() >= WIDE, self.height() >= TALL
        if tall:
            self.splitDockWidget(self.data_dock, self.designer_dock, Qt.Orientation.Vertical)
        else:
            self.tabifyDockWidget(self.data_dock, self.designer_dock)
            self.data_dock.raise_()
        diagram = self.docks.get("diagram")
        if diagram is not None and not diagram.isFloating():
            if tall:
                self.addDockWidget(Area.BottomDockWidgetArea, diagram)
            else:
                self.splitDockWidget(self.training_dock, diagram, Qt.Orientation.Vertical)
        notes = self.docks.get("lab-notes")       # a tab beside the training panel until a lab opens
        if notes is not None and not notes.isFloating():
            self.tabifyDockWidget(self.training_dock, notes)
            self.training_dock.raise_()
        side = (420, 380) if wide else (300, 290)
        self.resizeDocks([self.data_dock, self.training_dock], list(side), Qt.Orientation.Horizontal)
        if tall:
            self.resizeDocks([self.data_dock, self.designer_dock], [self.height() * 11 // 20, self.height() * 9 // 20],
                             Qt.Orientation.Vertical)
        if diagram is not None:
            if tall:
                self.resizeDocks([diagram], [max(220, self.height() // 4)], Qt.Orientation.Vertical)
            else:
                self.resizeDocks([self.training_dock, diagram], [self.height() // 2, self.height() // 2],
                                 Qt.Orientation.Vertical)

    def reset_layout(self):
        self.restoreState(self._default_state)
        for dock in self.docks.values():
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

    def fit_screen(self) -> None:
        """A first launch (no saved geometry) whose window, frame included, is larger than the
        screen's free area (a 1280×800 projector) opens maximized, with the default layout laid out
        for the size it gets, instead of reaching under the panel or off the screen; on a large
        screen it takes most of it (at most ``FIRST_MAX``), centred."""
        if not settings.value("window/geometry").isEmpty() and self._persist:
            return
        screen = self.screen()
        if screen is None:
            return
        free, frame = screen.availableGeometry(), self.frameGeometry()
        if frame.width() > free.width() or frame.height() > free.height():
            self.showMaximized()
            QApplication.processEvents()
            self._default_dock_sizes()
            return
        size = first_launch_size((free.width(), free.height()), (self.width(), self.height()))
        if size is not None:          # a large screen: most of it, centred, laid out for that size
            self.resize(*size)
            self.move(free.center() - self.rect().center())
            self._default_dock_sizes()

    def _save_settings(self):
        settings.set_value("window/geometry", self.saveGeometry())
        settings.set_value("window/state", self.saveState())

    # ------------------------------------------------------------------ keyboard
    def tab_areas(self) -> list:
        """The window's parts in Tab order: the data, the network, the central views, the training
        controls, then the docked views (as on screen, left to right)."""
        docked = [dock.widget() for name, dock in self.docks.items() if name not in ("data", "designer", "training")]
        return [self.data_panel, self.designer, self.centre, self.training_panel, *docked]

    def tab_area_of(self, widget, areas=None) -> int | None:
        """Index in ``tab_areas`` of the part ``widget`` belongs to (the tab bar of docks stacked as
        tabs belongs to the dock in front), or None."""
        areas = self.tab_areas() if areas is None else areas
        if isinstance(widget, QTabBar) and widget.parentWidget() is self and widget.count():
            title = widget.tabText(widget.currentIndex())
            dock = next((d for d in self.docks.values() if d.windowTitle() == title), None)
            widget = dock.widget() if dock is not None else widget
        return next((i for i, area in enumerate(areas) if area is widget or area.isAncestorOf(widget)), None)

    def tab_chain(self) -> list:
        """Every widget Tab can reach now, in the order of ``tab_areas``, and within each part in
        reading order."""
        areas = self.tab_areas()
        groups: list[list] = [[] for _ in range(len(areas) + 1)]
        widget = self.nextInFocusChain()
        while widget is not None and widget is not self:
            if (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) == Qt.FocusPolicy.TabFocus \
                    and widget.isVisible() and widget.isEnabled() and widget.focusProxy() is None:
                index = self.tab_area_of(widget, areas)
                groups[len(areas) if index is None else index].append(widget)
            widget = widget.nextInFocusChain()
        def reading_order(w):          # top to bottom, then left to right, as the part shows them
            corner = w.mapTo(self, QPoint(0, 0))
            return corner.y() // 4, corner.x()

        return [w for group in groups for w in sorted(group, key=reading_order)]

    def focusNextPrevChild(self, next_: bool) -> bool:  # noqa: N802 - Qt override
        """Tab moves through the parts in ``tab_areas`` order instead of jumping between docks in
        the order they were made."""
        chain = self.tab_chain()
        current = QApplication.focusWidget()
        if not chain:
            return super().focusNextPrevChild(next_)
        index = chain.index(current) if current in chain else -1
        target = chain[(index + (1 if next_ else -1)) % len(chain)]
        target.setFocus(Qt.FocusReason.TabFocusReason if next_ else Qt.FocusReason.BacktabFocusReason)
        return True
