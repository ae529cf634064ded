"""The data panel: choose MNIST, Fashion-MNIST, a generator or a CSV file, load it, preview it.

Every source and its parameters come from ``workbench.data.DATASET_SPECS`` (so a new generator
appears here by itself). Loading runs on a QThread; downloads show a QProgressDialog whose Cancel
button reaches the data layer's ``cancel`` callable. Errors appear inline (red) and in a message box.

One load runs at a time and the newest request wins: ``load_spec`` while a load runs cancels it
(nothing it produces is applied) and loads the new spec as soon as the old thread has stopped.
Every request ends with exactly one of ``load_finished(spec, dataset)``, ``load_error(spec, message)``
or ``load_cancelled(spec)``, where ``spec`` is the text given to ``load_spec``.
"""

from __future__ import annotations

import html
import threading

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QComboBox, QFrame, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QProgressDialog,
                               QPushButton, QScrollArea, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget)

from workbench.data import (DATASET_SPECS, DataError, DownloadCancelled, canonical_source, format_spec,
                            load_dataset, parse_spec)
from workbench.gui.panels.data_form import SourceForm, csv_columns
from workbench.gui.panels.data_preview import DataPreview, ImageGrid
from workbench.gui.threads import PythonThread

__all__ = ["DataPanel", "ImageGrid", "csv_columns"]

SPLIT_TITLES = {"train": "Training", "validation": "Validation", "test": "Test"}
CANCELLED_NOTE = "Loading was cancelled. Nothing was changed; press Load to try again."


class _Loader(PythonThread):
    """Runs ``load_dataset(spec)`` off the GUI thread; ``cancel()`` is polled by downloads.

    Its signals carry the loader itself, so the panel can tell a current result from a stale one.
    ``dropped`` (set on the GUI thread) means the request was cancelled or superseded and already
    reported: nothing this loader still emits is applied.
    """

    loaded = Signal(object, object)                   # loader, Dataset
    failed = Signal(object, str, bool)                # loader, message, cancelled
    progressed = Signal(object, object, object, str)  # loader, done bytes, total bytes or None, message

    def __init__(self, spec: str, parent=None):
        super().__init__(parent)
        self.spec = spec
        self.dropped = False
        self._cancel = threading.Event()

    def cancel(self):
        self._cancel.set()

    def run(self):
        try:
            ds = load_dataset(self.spec, progress=self._progress, cancel=self._cancel.is_set)
        except DownloadCancelled as exc:
            self.failed.emit(self, str(exc) or "The download was cancelled.", True)
        except DataError as exc:
            self.failed.emit(self, str(exc), False)
        except MemoryError:
            self.failed.emit(self, "There is not enough memory for this data set; choose fewer items.", False)
        except OSError as exc:
            self.failed.emit(self, f"Could not read the data: {exc}", False)
        except Exception as exc:   # a bug in a loader must still end the request
            self.failed.emit(self, f"Could not load the data ({type(exc).__name__}: {exc}).", False)
        else:
            self.loaded.emit(self, ds)

    def _progress(self, done, total, message):
        self.progressed.emit(self, done, total, message)


class DataPanel(QWidget):
    """Choose, load and preview a data set.

    Signals:

    * ``dataset_changed(Dataset)`` after a successful load (only the newest request's data);
    * ``load_failed(str)`` with the message of a failed load (also shown inline and in a message
      box); a cancelled or superseded load emits nothing here;
    * ``load_finished(str spec, Dataset)``, ``load_error(str spec, str message)`` and
      ``load_cancelled(str spec)``: exactly one of them ends every ``load_spec``/``load`` request,
      ``spec`` being the text that was requested (``Dataset.spec`` is the resolved, exact one);
    * ``busy_changed(bool)`` while loading.
    """

    dataset_changed = Signal(object)
    load_failed = Signal(str)
    load_finished = Signal(str, object)
    load_error = Signal(str, str)
    load_cancelled = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent=None, show_message_boxes: bool = True):
        super().__init__(parent)
        self._dataset = None
        self._loader: _Loader | None = None
        self._pending: str | None = None       # requested while a superseded load still runs
        self._busy = False
        self._progress: QProgressDialog | None = None
        self._message_box: QMessageBox | None = None
        self._show_message_boxes = show_message_boxes
        self._forms: dict[str, SourceForm] = {}
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
            form = SourceForm(info)
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

        self.preview = DataPreview()
        self.image_grid, self.plot, self.table = self.preview.image_grid, self.preview.plot, self.preview.table

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

    # ------------------------------------------------------------------ source choice
    def current_source(self) -> str:
        return self.source_combo.currentData()

    def form(self, source: str | None = None) -> SourceForm:
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
        """True while a load runs or waits to start."""
        return self._loader is not None or self._pending is not None

    def loading_spec(self) -> str | None:
        """The request that will end the current loading (the newest one), or None when idle."""
        if self._pending is not None:
            return self._pending
        if self._loader is not None and not self._loader.dropped:
            return self._loader.spec
        return None

    def load(self):
        """Load what the form describes."""
        self.load_spec(self.form_spec())

    def load_spec(self, spec: str):
        """Select the source of ``spec``, fill its form and load it off the GUI thread.

        A load still running is cancelled (its result is never applied; ``load_cancelled`` reports
        it) and ``spec`` starts once its thread has stopped. Emits ``dataset_changed`` and
        ``load_finished`` when done, or shows the error inline and in a message box and emits
        ``load_failed`` and ``load_error``; a spec that cannot be parsed fails at once and leaves
        a running load alone.
        """
        try:
            source, path, raw = parse_spec(spec)
            source = canonical_source(source)
        except DataError as exc:
            self._report_error(spec, str(exc))
            return
        self.source_combo.blockSignals(True)
        self.set_source(source)
        self.source_combo.blockSignals(False)
        self._on_source_changed()
        self.form(source).load_values(path, raw)
        self._clear_messages()
        if self._loader is None:
            self._start(spec)
            return
        if self._pending is not None:           # never started: replaced by this one
            replaced, self._pending = self._pending, None
            self.load_cancelled.emit(replaced)
        self._pending = spec
        if not self._loader.dropped:
            self._drop(self._loader)

    def adapt_spec(self, spec: str) -> str:
        """``spec`` (e.g. a preset's data) made to use the user's local copy: when it names a source
        that reads a folder or file (mnist, fashion-mnist, csv) without giving one, the folder/file
        of that source's form (the loaded data's, or what the user typed) is added, and so is
        ``download=false`` when the user unchecked Download. Other specs come back unchanged."""
        try:
            source, path, raw = parse_spec(spec)
            source = canonical_source(source)
        except DataError:
            return spec
        form = self._forms.get(source)
        if form is None or form.info.path is None or path is not None:
            return spec
        local = form.path()
        if self._dataset is not None and self._dataset.spec:
            try:
                loaded_source, loaded_path, _ = parse_spec(self._dataset.spec)
                if canonical_source(loaded_source) == source and loaded_path:
                    local = loaded_path
            except DataError:
                pass
        params = dict(raw)
        download = next((p for p in form.info.params if p.name == "download"), None)
        if download is not None and "download" not in params and form.value(download) is False:
            params["download"] = False
        if local is None and params == raw:
            return spec
        return format_spec(source, local, params)

    def cancel_loading(self, wait: bool = True):
        """Cancel the running load and any waiting request (nothing they produce is applied;
        downloads stop at the next block) and optionally wait for the thread to stop."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.load_cancelled.emit(pending)
        loader = self._loader
        if loader is None:
            return
        if not loader.dropped:
            self._drop(loader, note=True)
        if wait:
            loader.wait()
            # Deliver the queued signals (the thread's finished) so the panel is idle afterwards.
            QCoreApplication.sendPostedEvents(self)
            QCoreApplication.processEvents()

    def closeEvent(self, event):
        self.cancel_loading(wait=True)
        super().closeEvent(event)

    # ------------------------------------------------------------------ loading
    def _start(self, spec: str):
        loader = _Loader(spec, self)
        loader.loaded.connect(self._on_loaded)
        loader.failed.connect(self._on_failed)
        loader.progressed.connect(self._on_progress)
        loader.finished.connect(self._on_thread_finished)
        self._loader = loader
        self._set_busy(True)
        loader.start()

    def _drop(self, loader: _Loader, note: bool = False):
        """End ``loader``'s request now as cancelled; whatever it still reports is ignored."""
        loader.dropped = True
        loader.cancel()
        self._close_progress()
        if note:
            self.note_label.setText(CANCELLED_NOTE)
            self.note_label.show()
            self.error_label.hide()
        self.load_cancelled.emit(loader.spec)

    def _set_busy(self, busy: bool):
        self.load_button.setEnabled(not busy)
        self.load_button.setText("Loading…" if busy else "Load")
        self.source_combo.setEnabled(not busy)
        self._stack.setEnabled(not busy)
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def _on_thread_finished(self):
        loader = self.sender()
        if loader is self._loader:
            self._loader = None
            if self._pending is not None:
                spec, self._pending = self._pending, None
                self._start(spec)
            else:
                self._close_progress()
                self._set_busy(False)
        if loader is not None:
            loader.deleteLater()

    def _current(self, loader) -> bool:
        return loader is self._loader and not loader.dropped

    def _on_progress(self, loader, done, total, message):
        if not self._current(loader):
            return
        if self._progress is None:
            dialog = QProgressDialog(message, "Cancel", 0, 1000, self)
            cancel = QPushButton("Cancel", dialog)
            cancel.setAutoDefault(False)        # Ctrl+Enter (Train) must not press it: Esc or a click does
            dialog.setCancelButton(cancel)
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
        if self._loader is not None and not self._loader.dropped:
            self._drop(self._loader, note=True)

    def progress_dialog(self) -> QProgressDialog | None:
        return self._progress

    def _close_progress(self):
        if self._progress is not None:
            self._progress.canceled.disconnect(self._on_cancel_clicked)
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None

    def _on_loaded(self, loader, ds):
        if not self._current(loader):
            return
        loader.dropped = True                   # reported: nothing more from it counts
        self._close_progress()
        self._dataset = ds
        self._show_summary(ds)
        self.preview.show_dataset(ds)
        self.dataset_changed.emit(ds)
        self.load_finished.emit(loader.spec, ds)

    def _on_failed(self, loader, message: str, cancelled: bool):
        if not self._current(loader):
            return
        loader.dropped = True
        self._close_progress()
        if cancelled:
            self.note_label.setText(f"{message} Nothing was changed; press Load to try again.")
            self.note_label.show()
            self.error_label.hide()
            self.load_cancelled.emit(loader.spec)
            return
        self._report_error(loader.spec, message)

    def _report_error(self, spec: str, message: str):
        try:
            is_csv = canonical_source(parse_spec(spec)[0]) == "csv"
        except DataError:
            is_csv = False
        hint = ""
        if is_csv and "\n" not in message:
            hint = "\nCorrect the file or the options above, then press Load again."
        self.error_label.setText(message + hint)
        self.error_label.show()
        self.note_label.hide()
        self.load_failed.emit(message)
        self.load_error.emit(spec, message)
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
    def show_edited(self, ds) -> None:
        """The data set was edited elsewhere (points drawn on the output map, or such an edit
        undone): summary and preview show it."""
        if ds is None or ds is self._dataset:
            return
        self._dataset = ds
        self._show_summary(ds)
        self.preview.show_dataset(ds)

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
            f"<b>{html.escape(ds.name)}</b> — {task}<br>{ds.n_inputs:,} inputs{shape} → {ds.n_outputs} outputs<br>"
            f"{counts}<br><span style='color:gray'>Spec: {spec}</span>")

    def preview_kind(self) -> str:
        """"empty", "images", "scatter", "curve" or "table"."""
        return self.preview.kind()
