"""The data panel: choose MNIST, Fashion-MNIST, a generator or a CSV file, load it, preview it.

Every source and its parameters come from ``workbench.data.DATASET_SPECS`` (so a new generator
appears here by itself). Loading runs on a QThread; downloads show a QProgressDialog whose Cancel
button reaches the data layer's ``cancel`` callable. Errors appear inline (red) and in a message box.
"""

from __future__ import annotations

import csv
import html
import io
import threading
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox,
                               QProgressDialog, QPushButton, QScrollArea, QSizePolicy, QSpinBox, QStackedWidget,
                               QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)
import numpy as np
import pyqtgraph as pg

from workbench.data import (DATASET_SPECS, DataError, DownloadCancelled, Param, canonical_source,
                            format_spec, load_dataset, parse_spec)
from workbench.data.params import format_value
from workbench.gui.threads import PythonThread

__all__ = ["DataPanel", "ImageGrid"]

CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"]
SPLIT_TITLES = {"train": "Training", "validation": "Validation", "test": "Test"}
PREVIEW_IMAGES = 32      # 8 columns × 4 rows
PREVIEW_POINTS = 2000    # scatter / curve preview
PREVIEW_ROWS = 12        # table head
CSV_FILTER = "CSV / TSV files (*.csv *.tsv *.txt *.dat);;All files (*)"


def _humanise(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").capitalize()


def csv_columns(path: str) -> list[str]:
    """Column names of a CSV/TSV file from its first lines (header or "column N"); [] if unreadable."""
    try:
        with open(path, "r", encoding="utf-8-sig", newline="") as f:
            lines = [ln for ln in f.readlines(64 * 1024) if ln.strip() and not ln.lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError):
        return []
    if not lines:
        return []
    sample = "".join(lines[:50])
    if Path(path).suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
        except csv.Error:
            delimiter = None
    if delimiter is None:
        rows = [ln.split() for ln in lines[:50]]
    else:
        rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
    rows = [r for r in rows if r]
    if not rows:
        return []

    def number(text):
        try:
            float(text)
        except ValueError:
            return False
        return True

    first = rows[0]
    header = not any(number(c) for c in first) if len(rows) == 1 else any(
        not number(c) and all(number(r[j]) for r in rows[1:] if j < len(r)) for j, c in enumerate(first))
    if header:
        return [c.strip() or f"column {j + 1}" for j, c in enumerate(first)]
    return [f"column {j + 1}" for j in range(len(first))]


class ImageGrid(QWidget):
    """A grid of small grey images with a caption under each, scaled to the widget's width.

    ``set_images(images, captions)``: images (n, h, w) floats in [0, 1]; captions n strings.
    """

    def __init__(self, columns: int = 8, parent=None):
        super().__init__(parent)
        self._columns = columns
        self._images: list[QImage] = []
        self._captions: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_images(self, images: np.ndarray, captions: list[str]):
        self._images = []
        for img in images:
            data = np.ascontiguousarray(np.clip(img * 255.0, 0, 255).astype(np.uint8))
            h, w = data.shape
            self._images.append(QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy())
        self._captions = list(captions)
        self.updateGeometry()
        self.update()

    def count(self) -> int:
        return len(self._images)

    def captions(self) -> list[str]:
        return list(self._captions)

    def _cell(self, width: int) -> tuple[float, float]:
        cols = max(1, min(self._columns, len(self._images) or 1))
        side = min(72.0, max(24.0, width / cols - 4))
        return side, side + self.fontMetrics().height() + 2

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        side, cell_h = self._cell(width)
        rows = -(-len(self._images) // self._columns) if self._images else 0
        return int(rows * (cell_h + 4))

    def sizeHint(self) -> QSize:
        return QSize(320, self.heightForWidth(320))

    def minimumSizeHint(self) -> QSize:
        return QSize(160, self.heightForWidth(160))

    def paintEvent(self, event):
        painter = QPainter(self)
        side, cell_h = self._cell(self.width())
        fm = self.fontMetrics()
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        for k, (image, caption) in enumerate(zip(self._images, self._captions)):
            r, c = divmod(k, self._columns)
            x, y = c * (side + 4) + 2, r * (cell_h + 4) + 2
            painter.drawImage(QRectF(x, y, side, side), image)
            painter.setPen(text_colour)
            text = fm.elidedText(caption, Qt.TextElideMode.ElideRight, int(side + 4))
            painter.drawText(QRectF(x - 2, y + side, side + 4, fm.height() + 2),
                             Qt.AlignmentFlag.AlignCenter, text)
        painter.end()


class _Loader(PythonThread):
    """Runs ``load_dataset(spec)`` off the GUI thread; ``cancel()`` is polled by downloads."""

    loaded = Signal(object)                 # Dataset
    failed = Signal(str, bool)              # message, cancelled
    progressed = Signal(object, object, str)  # done bytes, total bytes or None, message

    def __init__(self, spec: str, parent=None):
        super().__init__(parent)
        self.spec = spec
        self._cancel = threading.Event()

    def cancel(self):
        self._cancel.set()

    def run(self):
        try:
            ds = load_dataset(self.spec, progress=self._progress, cancel=self._cancel.is_set)
        except DownloadCancelled as exc:
            self.failed.emit(str(exc) or "The download was cancelled.", True)
        except DataError as exc:
            self.failed.emit(str(exc), False)
        except MemoryError:
            self.failed.emit("There is not enough memory for this data set; choose fewer items.", False)
        except OSError as exc:
            self.failed.emit(f"Could not read the data: {exc}", False)
        else:
            self.loaded.emit(ds)

    def _progress(self, done, total, message):
        self.progressed.emit(done, total, message)


class _SourceForm(QWidget):
    """Parameter form of one source: a field per ``Param`` (spin box, check box, combo or line edit)."""

    def __init__(self, info, parent=None):
        super().__init__(parent)
        self.info = info
        self.fields: dict[str, QWidget] = {}
        self.path_edit: QLineEdit | None = None
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
            spin.setRange(int(p.min) if p.min is not None else -2**31 + 1,
                          int(p.max) if p.max is not None else 2**31 - 1)
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
        """Fill the CSV target choice from the file's header."""
        combo = self.fields.get("target")
        if not isinstance(combo, QComboBox) or self.path_edit is None:
            return
        current = self.value(next(p for p in self.info.params if p.name == "target"))
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("last column", "-1")
        path = self.path()
        for name in csv_columns(path) if path else []:
            combo.addItem(name, name)
        index = combo.findData(current)
        combo.setCurrentIndex(index if index >= 0 else 0)
        combo.blockSignals(False)


class DataPanel(QWidget):
    """Choose, load and preview a data set.

    Signals: ``dataset_changed(Dataset)`` after a successful load; ``load_failed(str)`` with the
    message (also shown inline and in a message box; a cancelled download only inline);
    ``busy_changed(bool)`` while loading.
    """

    dataset_changed = Signal(object)
    load_failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent=None, show_message_boxes: bool = True):
        super().__init__(parent)
        self._dataset = None
        self._loader: _Loader | None = None
        self._progress: QProgressDialog | None = None
        self._message_box: QMessageBox | None = None
        self._show_message_boxes = show_message_boxes
        self._forms: dict[str, _SourceForm] = {}
        self._build_ui()
        self._on_source_changed()

    # ------------------------------------------------------------------ construction
    def _build_ui(self):
        self.source_combo = QComboBox()
        self.source_combo.setToolTip("Where the examples come from: image sets, a CSV file, or one of the "
                                     "textbook generators.")
        self._stack = QStackedWidget()
        order = {g: i for i, g in enumerate(["images", "teacher", "logic", "playground", "regression", "file"])}
        specs = sorted(DATASET_SPECS, key=lambda s: order.get(s.group, len(order)))
        previous_group = None
        for info in specs:
            if previous_group is not None and info.group != previous_group:
                self.source_combo.insertSeparator(self.source_combo.count())
            previous_group = info.group
            self.source_combo.addItem(info.title, info.name)
            self.source_combo.setItemData(self.source_combo.count() - 1, info.doc, Qt.ItemDataRole.ToolTipRole)
            form = _SourceForm(info)
            self._forms[info.name] = form
            self._stack.addWidget(form)
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)

        self._doc = QLabel()
        self._doc.setWordWrap(True)
        self._doc.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.load_button = QPushButton("Load")
        self.load_button.setDefault(True)
        self.load_button.setToolTip("Load or generate the data set with these settings")
        self.load_button.clicked.connect(self.load)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #d32f2f;")
        self.error_label.hide()
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.hide()

        source_box = QGroupBox("Source")
        sl = QVBoxLayout(source_box)
        sl.addWidget(self.source_combo)
        sl.addWidget(self._doc)
        sl.addWidget(self._stack)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.load_button)
        sl.addLayout(buttons)
        sl.addWidget(self.error_label)
        sl.addWidget(self.note_label)

        self.summary_label = QLabel("No data loaded yet. Choose a source and press Load.")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.image_grid = ImageGrid(8)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(180)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._empty_preview = QLabel("The preview appears here after loading.")
        self._empty_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_preview.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.preview = QStackedWidget()
        for w in (self._empty_preview, self.image_grid, self.plot, self.table):
            self.preview.addWidget(w)
        self._set_preview("empty", self._empty_preview)

        data_box = QGroupBox("Loaded data")
        dl = QVBoxLayout(data_box)
        dl.addWidget(self.summary_label)
        dl.addWidget(self.preview, 1)

        self.preview.setMinimumHeight(220)
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(source_box)
        inner.addWidget(data_box, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self._apply_plot_theme()

    def _apply_plot_theme(self):
        pal = self.palette()
        self.plot.setBackground(pal.color(QPalette.ColorRole.Base))
        fg = pal.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)

    def changeEvent(self, event):
        from PySide6.QtCore import QEvent
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_plot_theme()
        super().changeEvent(event)

    # ------------------------------------------------------------------ source choice
    def current_source(self) -> str:
        return self.source_combo.currentData()

    def form(self, source: str | None = None) -> _SourceForm:
        """The parameter form of ``source`` (default: the selected one)."""
        return self._forms[source or self.current_source()]

    def set_source(self, source: str):
        index = self.source_combo.findData(canonical_source(source))
        self.source_combo.setCurrentIndex(index)

    def _on_source_changed(self, *_):
        form = self.form()
        # Only the current page counts for the stack's size, so short forms leave no blank space.
        for page in self._forms.values():
            policy = QSizePolicy.Policy.Preferred if page is form else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self._stack.setCurrentWidget(form)
        self._stack.adjustSize()
        self._doc.setText(form.info.doc)

    def form_spec(self) -> str:
        """The spec the form describes now (what Load would load)."""
        return self.form().spec()

    # ------------------------------------------------------------------ public interface
    def spec(self) -> str | None:
        """The exact spec of the loaded data set (None before the first load)."""
        return self._dataset.spec if self._dataset is not None else None

    def dataset(self):
        return self._dataset

    def is_busy(self) -> bool:
        return self._loader is not None

    def load(self):
        """Load what the form describes."""
        self.load_spec(self.form_spec())

    def load_spec(self, spec: str):
        """Select the source of ``spec``, fill its form and load it off the GUI thread.

        Emits ``dataset_changed`` when done, or shows the error inline and in a message box.
        """
        if self._loader is not None:
            return
        try:
            source, path, raw = parse_spec(spec)
            source = canonical_source(source)
        except DataError as exc:
            self._fail(str(exc), False)
            return
        self.source_combo.blockSignals(True)
        self.set_source(source)
        self.source_combo.blockSignals(False)
        self._on_source_changed()
        self.form(source).load_values(path, raw)
        self._start(spec)

    def cancel_loading(self, wait: bool = True):
        """Ask a running load to stop (downloads stop at the next block) and optionally wait for it."""
        loader = self._loader
        if loader is None:
            return
        loader.cancel()
        if wait:
            loader.wait()
            # Deliver the queued result so the panel is idle afterwards.
            from PySide6.QtCore import QCoreApplication
            QCoreApplication.sendPostedEvents(self)
            QCoreApplication.processEvents()

    def closeEvent(self, event):
        self.cancel_loading(wait=True)
        super().closeEvent(event)

    # ------------------------------------------------------------------ loading
    def _start(self, spec: str):
        self._clear_messages()
        self._loader = _Loader(spec, self)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.failed.connect(self._fail)
        self._loader.progressed.connect(self._on_progress)
        self._loader.finished.connect(self._on_thread_finished)
        self._set_busy(True)
        self._loader.start()

    def _set_busy(self, busy: bool):
        self.load_button.setEnabled(not busy)
        self.load_button.setText("Loading…" if busy else "Load")
        self.source_combo.setEnabled(not busy)
        self._stack.setEnabled(not busy)
        self.busy_changed.emit(busy)

    def _on_thread_finished(self):
        loader = self.sender()
        if loader is self._loader:
            self._loader = None
            self._close_progress()
            self._set_busy(False)
        if loader is not None:
            loader.deleteLater()

    def _on_progress(self, done, total, message):
        if self._loader is None:
            return
        if self._progress is None:
            dialog = QProgressDialog(message, "Cancel", 0, 1000, self)
            dialog.setWindowTitle("Loading data")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(300)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.canceled.connect(self._on_cancel_clicked)
            self._progress = dialog
        dialog = self._progress
        dialog.setLabelText(message if total is None else
                            f"{message}\n{done / 1e6:.1f} of {total / 1e6:.1f} MB")
        if total:
            dialog.setRange(0, 1000)
            dialog.setValue(min(1000, int(1000 * done / total)))
        else:
            dialog.setRange(0, 0)

    def _on_cancel_clicked(self):
        if self._loader is not None:
            self._loader.cancel()
            if self._progress is not None:
                self._progress.setLabelText("Cancelling…")

    def progress_dialog(self) -> QProgressDialog | None:
        return self._progress

    def _close_progress(self):
        if self._progress is not None:
            self._progress.canceled.disconnect(self._on_cancel_clicked)
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None

    def _on_loaded(self, ds):
        self._dataset = ds
        self._show_summary(ds)
        self._show_preview(ds)
        self.dataset_changed.emit(ds)

    def _fail(self, message: str, cancelled: bool):
        self._close_progress()
        if cancelled:
            self.note_label.setText(f"{message} Nothing was changed; press Load to try again.")
            self.note_label.show()
            self.error_label.hide()
            return
        hint = ""
        if "\n" not in message and "csv" in (self.current_source() or ""):
            hint = "\nCorrect the file or the options above, then press Load again."
        self.error_label.setText(message + hint)
        self.error_label.show()
        self.note_label.hide()
        self.load_failed.emit(message)
        if self._show_message_boxes:
            box = QMessageBox(QMessageBox.Icon.Warning, "Could not load the data", message + hint,
                              QMessageBox.StandardButton.Ok, self)
            box.setWindowModality(Qt.WindowModality.WindowModal)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self._message_box = box
            box.open()

    def message_box(self) -> QMessageBox | None:
        box = self._message_box
        try:
            return box if box is not None and box.isVisible() else None
        except RuntimeError:  # already deleted
            return None

    def _clear_messages(self):
        self.error_label.hide()
        self.note_label.hide()

    def error_text(self) -> str:
        """The inline error message ('' when there is none)."""
        return self.error_label.text() if not self.error_label.isHidden() else ""

    # ------------------------------------------------------------------ summary and preview
    def _show_summary(self, ds):
        counts = " · ".join(f"{SPLIT_TITLES.get(k, k)} {len(s):,}" for k, s in ds.splits.items())
        if ds.task == "classification":
            n = len(ds.class_names or [])
            task = f"Classification into {n} classes"
        else:
            task = "Regression with " + (f"{ds.n_outputs} outputs" if ds.n_outputs > 1 else "1 output")
        shape = f" ({'×'.join(map(str, ds.input_shape))} images)" if ds.input_shape else ""
        spec = html.escape(ds.spec).replace(",", ",\u200b").replace("/", "/\u200b")  # allow line breaks
        self.summary_label.setText(
            f"<b>{ds.name}</b> — {task}<br>{ds.n_inputs:,} inputs{shape} → {ds.n_outputs} outputs<br>"
            f"{counts}<br><span style='color:gray'>Spec: {spec}</span>")

    def preview_kind(self) -> str:
        """"empty", "images", "scatter", "curve" or "table"."""
        return self._preview_kind

    def _show_preview(self, ds):
        train = ds.train
        self.plot.clear()
        legend = self.plot.getPlotItem().legend
        if legend is not None:
            legend.scene().removeItem(legend) if legend.scene() else None
            self.plot.getPlotItem().legend = None
        if ds.input_shape is not None and len(ds.input_shape) == 2:
            n = min(PREVIEW_IMAGES, len(train))
            images = train.X[:n].reshape((n,) + tuple(ds.input_shape))
            captions = [self._label_text(ds, train, i) for i in range(n)]
            self.image_grid.set_images(images, captions)
            self._set_preview("images", self.image_grid)
        elif ds.n_inputs == 2:
            self._scatter(ds, train)
            self._set_preview("scatter", self.plot)
        elif ds.n_inputs == 1 and ds.task == "regression":
            n = min(PREVIEW_POINTS, len(train))
            x = train.X[:n, 0]
            order = np.argsort(x, kind="stable")
            self._add_legend()
            self.plot.plot(x[order], train.Y[:n, 0][order], pen=None, symbol="o", symbolSize=4,
                           symbolPen=None, symbolBrush=pg.mkBrush(CLASS_COLOURS[0]), name="training examples")
            self.plot.setLabel("bottom", ds.feature_names[0])
            self.plot.setLabel("left", ds.target_names[0] if ds.target_names else "y")
            self.plot.autoRange()
            self._set_preview("curve", self.plot)
        else:
            self._table(ds, train)
            self._set_preview("table", self.table)

    def _add_legend(self):
        pal = self.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        bg.setAlpha(190)
        return self.plot.addLegend(offset=(-8, 8), labelTextSize="8pt", brush=bg,
                                   labelTextColor=pal.color(QPalette.ColorRole.Text))

    def _set_preview(self, kind, widget):
        self._preview_kind = kind
        for i in range(self.preview.count()):
            page = self.preview.widget(i)
            policy = QSizePolicy.Policy.Expanding if page is widget else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.preview.setCurrentWidget(widget)

    @staticmethod
    def _label_text(ds, split, i) -> str:
        if split.labels is not None and ds.class_names:
            return ds.class_names[int(split.labels[i])]
        return ", ".join(f"{v:.3g}" for v in split.Y[i])

    def _scatter(self, ds, train):
        n = min(PREVIEW_POINTS, len(train))
        X = train.X[:n]
        self._add_legend()
        if train.labels is not None:
            for k, name in enumerate(ds.class_names or []):
                mask = train.labels[:n] == k
                colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
                self.plot.plot(X[mask, 0], X[mask, 1], pen=None, symbol="o", symbolSize=5, symbolPen=None,
                               symbolBrush=pg.mkBrush(colour), name=f"class {name}" if name.isdigit() else name)
        else:
            y = train.Y[:n, 0]
            lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
            t = (y - lo) / (hi - lo) if hi > lo else np.zeros_like(y)
            cmap = pg.colormap.get("viridis")
            brushes = [pg.mkBrush(c) for c in cmap.map(t, mode=pg.ColorMap.QCOLOR)]
            self.plot.addItem(pg.ScatterPlotItem(X[:, 0], X[:, 1], pen=None, size=5, brush=brushes,
                                                 name=f"colour = {ds.target_names[0] if ds.target_names else 'y'}"))
        self.plot.setLabel("bottom", ds.feature_names[0])
        self.plot.setLabel("left", ds.feature_names[1])
        self.plot.getPlotItem().setAspectLocked(False)
        self.plot.autoRange()

    def _table(self, ds, train):
        n = min(PREVIEW_ROWS, len(train))
        features = list(ds.feature_names)
        shown = features[:20]
        if train.labels is not None:
            targets = ["class"]
        else:
            targets = list(ds.target_names) if ds.target_names else [f"y{k + 1}" for k in range(ds.n_outputs)]
        headers = shown + (["…"] if len(features) > len(shown) else []) + targets
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(n)
        self.table.setHorizontalHeaderLabels(headers)
        for i in range(n):
            values = [f"{v:.4g}" for v in train.X[i, :len(shown)]]
            if len(features) > len(shown):
                values.append("…")
            if train.labels is not None:
                values.append(self._label_text(ds, train, i))
            else:
                values += [f"{v:.4g}" for v in train.Y[i, :len(targets)]]
            for j, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
