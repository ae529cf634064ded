"""The data panel's parameter forms: one form per data source, built from its ``Param`` list.

``csv_columns`` lists the columns of a CSV/TSV file with the data layer's own detector
(``workbench.data.csvfile.sniff_table``), so the target choice offers exactly the columns the loader
will read.  The GUI thread only takes a quick look (``QUICK_LOOK_CHARS`` of the file); a file whose
first rows are longer is read by a helper thread while the form stays responsive.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLineEdit, QSpinBox, QToolButton, QWidget)

from workbench.core.limits import INT32_MAX
from workbench.data import DataError, Param, format_spec
from workbench.data.csvfile import HeadTooLong, sniff_table
from workbench.data.params import format_value
from workbench.gui.threads import start_plain_thread

__all__ = ["CSV_FILTER", "SourceForm", "csv_columns"]

CSV_FILTER = "CSV / TSV files (*.csv *.tsv *.txt *.dat);;All files (*)"
QUICK_LOOK_CHARS = 1 << 20     # characters of a CSV file the GUI thread reads to list its columns
MAX_LISTED_COLUMNS = 1000      # columns offered in the target list (others are typed by name or number)
POLL_MS = 50


def _humanise(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").capitalize()


def csv_columns(path: str, delimiter: str = "auto", header: str = "auto") -> list[str]:
    """Column names of a CSV/TSV file (header names or "column N") as the loader reads them with
    these ``delimiter``/``header`` choices; [] when the file cannot be read."""
    try:
        return sniff_table(path, delimiter, header).columns
    except DataError:
        return []


class SourceForm(QWidget):
    """Parameter form of one source: a field per ``Param`` (spin box, check box, combo or line edit)."""

    def __init__(self, info, parent=None):
        super().__init__(parent)
        self.info = info
        self.fields: dict[str, QWidget] = {}
        self.path_edit: QLineEdit | None = None
        self._column_request = 0              # the newest refresh_columns; older looks are dropped
        self._column_look: threading.Thread | None = None
        self._target_tip: str | None = None
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        if info.path is not None:
            self.path_edit = QLineEdit()
            browse = QToolButton()
            browse.setText("Browse…")
            if info.path == "folder":
                self.path_edit.setPlaceholderText("automatic: the cache folder, or download")
                self.path_edit.setToolTip("A folder holding the four IDX files (train-images-idx3-ubyte.gz, "
                                          "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
                                          "t10k-labels-idx1-ubyte.gz), gzipped or not. Leave empty to use "
                                          "the cache folder or download the files.")
                browse.setToolTip("Choose a folder of IDX files")
                browse.clicked.connect(self._choose_folder)
                label = "Folder:"
            else:
                self.path_edit.setPlaceholderText("choose a .csv or .tsv file")
                self.path_edit.setToolTip("A table of numbers, one row per example; the delimiter and the "
                                          "header row are detected.")
                browse.setToolTip("Choose a CSV or TSV file")
                browse.clicked.connect(self._choose_file)
                self.path_edit.editingFinished.connect(self.refresh_columns)
                label = "File:"
            row = QHBoxLayout()
            row.addWidget(self.path_edit, 1)
            row.addWidget(browse)
            form.addRow(label, row)
        for p in info.params:
            widget = self._field(p)
            widget.setObjectName(p.name)
            tip = f"{p.doc[:1].upper()}{p.doc[1:]}.\nAllowed: {p.describe()}; default {format_value(p.default) or '(empty)'}."
            widget.setToolTip(tip)
            self.fields[p.name] = widget
            form.addRow(_humanise(p.name) + ":", widget)
        if info.path == "file":   # the columns depend on how the file is split
            for name in ("delimiter", "header"):
                field = self.fields.get(name)
                if isinstance(field, QComboBox):
                    field.currentIndexChanged.connect(self.refresh_columns)

    def _field(self, p: Param) -> QWidget:
        if self.info.name == "csv" and p.name == "target":
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItem("last column", "-1")
            return combo
        if p.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(p.default))
            return box
        if p.kind == "choice":
            combo = QComboBox()
            for choice in p.choices or ():
                combo.addItem(format_value(choice), choice)
            combo.setCurrentIndex(max(0, combo.findData(p.default)))
            return combo
        if p.kind == "int":
            spin = QSpinBox()
            spin.setRange(int(p.min) if p.min is not None else -INT32_MAX,
                          int(p.max) if p.max is not None else INT32_MAX)
            spin.setValue(int(p.default))
            spin.setGroupSeparatorShown(True)
            spin.setAccelerated(True)
            return spin
        if p.kind == "float":
            spin = QDoubleSpinBox()
            spin.setDecimals(3)
            spin.setRange(p.min if p.min is not None else -1e9, p.max if p.max is not None else 1e9)
            spin.setSingleStep(0.05 if (p.max is not None and p.max <= 1) else 0.1)
            spin.setValue(float(p.default))
            return spin
        edit = QLineEdit(format_value(p.default))
        if p.kind == "sizes":
            edit.setPlaceholderText("e.g. 10-10-10")
        return edit

    # ---- values
    def value(self, p: Param):
        w = self.fields[p.name]
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            if w.isEditable():
                index = w.findText(w.currentText())
                data = w.itemData(index) if index >= 0 else None
                return str(data) if data is not None else w.currentText().strip()
            return w.currentData()
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        return w.text().strip()

    def set_value(self, p: Param, value):
        w = self.fields[p.name]
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            if w.isEditable():
                index = w.findData(str(value))
                if index < 0:
                    index = w.findText(str(value))
                if index >= 0:
                    w.setCurrentIndex(index)
                else:
                    w.setEditText(str(value))
            else:
                w.setCurrentIndex(max(0, w.findData(value)))
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        else:
            w.setText(format_value(value))

    def path(self) -> str | None:
        if self.path_edit is None:
            return None
        return self.path_edit.text().strip() or None

    def spec(self) -> str:
        """The spec of the form's current values (parameters at their default are left out)."""
        values = {}
        for p in self.info.params:
            v = self.value(p)
            if p.kind == "sizes" and isinstance(v, str):
                try:
                    v = p.parse(v)
                except DataError:
                    pass
            if v != p.default and not (p.kind == "str" and format_value(v) == format_value(p.default)):
                values[p.name] = v
        return format_spec(self.info.name, self.path(), values)

    def load_values(self, path: str | None, raw: dict):
        """Set the fields from a parsed spec (unknown keys are left for the data layer to report)."""
        if self.path_edit is not None:
            self.path_edit.setText(path or "")
            if self.info.path == "file":
                self.refresh_columns()
        for p in self.info.params:
            value = p.default
            if p.name in raw:
                try:
                    value = p.parse(raw[p.name])
                except DataError:
                    value = p.default
            self.set_value(p, value)

    # ---- path choosers
    def _choose_folder(self):
        folder = QFileDialog.getExistingDirectory(self, f"Folder of {self.info.title} IDX files",
                                                  self.path_edit.text() or str(Path.home()))
        if folder:
            self.path_edit.setText(folder)

    def _choose_file(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV or TSV file",
                                              self.path_edit.text() or str(Path.home()), CSV_FILTER)
        if path:
            self.path_edit.setText(path)
            self.refresh_columns()

    def refresh_columns(self):
        """Fill the CSV target choice from the file's header: at once when the file's first rows
        fit in a quick look, else from a helper thread (``columns_pending()`` meanwhile)."""
        combo = self.fields.get("target")
        if not isinstance(combo, QComboBox) or self.path_edit is None:
            return
        self._column_request += 1
        params = {p.name: p for p in self.info.params}
        choices = {name: self.value(params[name]) if name in params else "auto" for name in ("delimiter", "header")}
        path = self.path()
        columns: list[str] = []
        if path:
            try:
                columns = sniff_table(path, choices["delimiter"], choices["header"], QUICK_LOOK_CHARS).columns
            except HeadTooLong:
                self._look_beside(path, choices["delimiter"], choices["header"])
                return
            except DataError:
                columns = []
        self._fill_columns(columns)

    def columns_pending(self) -> bool:
        """True while a helper thread reads the columns of a file with long rows."""
        return self._column_look is not None

    def _look_beside(self, path: str, delimiter: str, header: str) -> None:
        """Read the columns of ``path`` on a plain Python thread; a timer on the GUI thread picks up
        the answer, which is dropped if another refresh came meanwhile."""
        request, answer = self._column_request, {}

        def look():
            answer["columns"] = csv_columns(path, delimiter, header)

        thread = threading.Thread(target=look, name="workbench-csv-columns", daemon=True)
        self._column_look = thread
        self._fill_columns([], "Reading the columns of the file…")
        timer = QTimer(self)
        timer.setInterval(POLL_MS)

        def collect():
            if thread.is_alive():
                return
            timer.stop()
            timer.deleteLater()
            if self._column_look is thread:
                self._column_look = None
            if request == self._column_request:
                self._fill_columns(answer.get("columns", []))

        timer.timeout.connect(collect)
        start_plain_thread(thread)
        timer.start()

    def _fill_columns(self, columns: list[str], note: str = "") -> None:
        """Offer "last column" and the first ``MAX_LISTED_COLUMNS`` of ``columns`` as targets,
        keeping the current choice (a typed column number or list stays as typed); ``note`` is
        added to the field's tool tip."""
        combo = self.fields["target"]
        if self._target_tip is None:
            self._target_tip = combo.toolTip()
        params = {p.name: p for p in self.info.params}
        current = self.value(params["target"])
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("last column", "-1")
        for name in columns[:MAX_LISTED_COLUMNS]:
            combo.addItem(name, name)
        if len(columns) > MAX_LISTED_COLUMNS:
            note = (f"The file has {len(columns):,} columns; the first {MAX_LISTED_COLUMNS:,} are listed, "
                    "type any other by name or number.")
        combo.setToolTip(self._target_tip + (f"\n{note}" if note else ""))
        index = combo.findData(current)
        if index >= 0:
            combo.setCurrentIndex(index)
        elif current and current != "-1":
            combo.setEditText(current)       # a column number or a list: kept as typed
        else:
            combo.setCurrentIndex(0)
        combo.blockSignals(False)

    def columns(self) -> list[str]:
        """The column names offered as targets (without "last column")."""
        combo = self.fields.get("target")
        if not isinstance(combo, QComboBox):
            return []
        return [combo.itemText(i) for i in range(1, combo.count())]

