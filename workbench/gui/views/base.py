"""What every view is: a widget over the Experiment that redraws only when the frame clock asks.

A view subclasses ``View``, names itself (``name``: the id of ``--view NAME``; ``title``: its tab,
dock and View-menu text; ``area``: "centre" for a tab of the central area, or "bottom", "left",
"right" for a dock), connects to the Experiment's signals in ``__init__`` with slots that only call
``mark_dirty()`` (slots never draw), and draws in ``draw()``.  The frame clock calls ``refresh()``
when the view is dirty and shown.  Views never import the main window or the panels.

Every view can also give:

- ``export_widget()``: the widget whose picture File → Export and the view's own Export button
  save as PNG (the whole view by default);
- ``table()``: its numbers as ``(header, rows)`` — a list of column names and a list of rows of
  the same length (numbers or text) — for CSV, or None while it shows nothing;
- ``settings()`` / ``apply_settings(values)``: its options as a small JSON-able dict, stored in
  sessions; ``apply_settings`` takes a dict that may come from a damaged or older file: it ignores
  unknown keys and values of the wrong type or range, and never raises.

``EmptyNote`` is the sentence a view shows instead of its picture while it cannot draw ("Load 2-D
data to see the output map."); ``export_button()`` is the small Export menu a view puts in its
control row.
"""

from __future__ import annotations

import csv
import io
import math
import os

from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMenu, QMessageBox, QToolButton, QWidget

from workbench.core.safefiles import spreadsheet_text
from workbench.gui.experiment import Experiment


#: The start of every view's sentence while there is no network ("… and see its map.").
NO_NETWORK_YET = "There is no network yet: press Train or Reset Weights (Ctrl+R) to make one"


class View(QWidget):
    name = ""
    title = ""
    area = "centre"
    tooltip = ""

    def __init__(self, experiment: Experiment, parent=None):
        super().__init__(parent)
        self.experiment = experiment
        self._dirty = True
        self._clock = None

    def attach(self, clock) -> None:
        """The frame clock that will call ``refresh()``."""
        self._clock = clock
        clock.add_view(self)

    def mark_dirty(self, *_args) -> None:
        self._dirty = True
        if self._clock is not None:
            self._clock.request()

    def is_dirty(self) -> bool:
        return self._dirty

    def is_shown(self) -> bool:
        """Visible on screen (a hidden tab page or a closed dock is not)."""
        return self.isVisible()

    def refresh(self) -> None:
        """Draw now (the frame clock calls this; tests and exports may too)."""
        self._dirty = False
        self.draw()

    def draw(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ export and settings
    def export_widget(self) -> QWidget:
        return self

    def table(self) -> tuple[list[str], list] | None:
        return None

    def settings(self) -> dict:
        return {}

    def apply_settings(self, values: dict) -> None:
        pass

    def export_button(self) -> QToolButton:
        """A small "Export" button with the picture (PNG) and numbers (CSV) entries of this view."""
        button = QToolButton(self)
        button.setText("Export")
        button.setToolTip(f"Save the {self.title.lower()} view as a PNG picture or its numbers as CSV")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        menu = QMenu(button)
        menu.addAction("Picture as PNG…", lambda: self.export_dialog("png"))
        menu.addAction("Numbers as CSV…", lambda: self.export_dialog("csv"))
        button.setMenu(menu)
        return button

    def export_dialog(self, kind: str) -> bool:
        """Ask for a file name and write the picture ("png") or the numbers ("csv")."""
        if kind == "csv" and self.table() is None:
            QMessageBox.information(self, "Nothing to export", f"The {self.title} view has no numbers to save yet.")
            return False
        from workbench.gui import settings

        suffix = "." + kind
        filter_ = "PNG images (*.png)" if kind == "png" else "CSV tables (*.csv)"
        default = os.path.join(settings.dialog_dir(), export_name(self, suffix))
        what = "picture" if kind == "png" else "numbers"
        path, _ = QFileDialog.getSaveFileName(self, f"Export the {self.title} view's {what}", default, filter_)
        if not path:
            return False
        if not path.lower().endswith(suffix):
            path += suffix
        settings.remember_dialog_dir(path)
        try:
            (write_png if kind == "png" else write_csv)(self, path)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Export failed", f"Cannot write {path}: {exc}")
            return False
        self.experiment.message.emit(f"Wrote {path}")
        return True

    def showEvent(self, event):  # noqa: N802 - Qt override: a tab brought forward draws what it missed
        super().showEvent(event)
        if self._dirty and self._clock is not None:
            self._clock.request()


def export_name(view: View, suffix: str) -> str:
    """The file name an export of ``view`` is offered under: "<session>-<view><suffix>"."""
    return f"{view.experiment.name}-{view.name}{suffix}"


def write_png(view: View, path: str) -> None:
    """The view's picture as a PNG file (drawn first; written atomically)."""
    from workbench.core import atomic_write

    view.refresh()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not view.export_widget().grab().save(buffer, "PNG"):
        raise OSError(f"Could not encode the image for {path}.")
    data = bytes(buffer.data())
    atomic_write(path, lambda f: f.write(data))


def csv_text(header: list[str], rows) -> str:
    """CSV text of a table: floats with 9 significant digits, non-finite ones as empty cells; text
    (the header, class names, weight names) that a spreadsheet would take for a formula gets a
    leading "'" (``spreadsheet_text``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(v) for v in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return spreadsheet_text(v)
    if isinstance(v, bool):
        return str(int(v))
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return ""
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else format(f, ".9g")


def write_csv(view: View, path: str) -> None:
    """The view's numbers (``table()``) as a CSV file, written atomically."""
    from workbench.core import atomic_write

    view.refresh()
    table = view.table()
    if table is None:
        raise ValueError(f"the {view.title} view has no numbers to save yet")
    data = csv_text(*table).encode("utf-8")
    atomic_write(path, lambda f: f.write(data))


class EmptyNote(QLabel):
    """The sentence a view shows in place of its picture while it cannot draw, in a faint colour
    of the current palette."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMargin(24)
        self._restyle()

    def _restyle(self) -> None:
        owner = self.parentWidget()         # the label's own palette carries the style sheet's colour
        palette = owner.palette() if owner is not None else QApplication.palette()
        faint = QColor(palette.color(QPalette.ColorRole.Text))
        faint.setAlpha(150)
        sheet = f"color: {faint.name(QColor.NameFormat.HexArgb)}; font-size: 11pt;"
        if sheet != self.styleSheet():      # a style sheet change is itself a palette change
            self.setStyleSheet(sheet)

    def changeEvent(self, event):  # noqa: N802 - Qt override
        super().changeEvent(event)
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
