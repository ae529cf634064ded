"""DataPanel: every kind of source loads off the GUI thread, emits, previews; errors show inline.

No test touches the internet: generators, CSV files written to tmp_path, a tiny IDX folder written
here, and a slow local HTTP server for the download dialog's Cancel button.
"""

import gzip
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QPushButton, QSpinBox

from workbench.data import GENERATORS
from workbench.gui.panels.data_panel import DataPanel, csv_columns


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """An empty cache and mirrors that refuse connections: nothing can reach the internet."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", "http://127.0.0.1:9/")
    monkeypatch.setenv("WORKBENCH_FASHION_MNIST_MIRRORS", "http://127.0.0.1:9/")


@pytest.fixture
def panel(qtbot):
    w = DataPanel()
    qtbot.addWidget(w)
    w.resize(420, 700)
    w.show()
    yield w
    w.cancel_loading(wait=True)
    box = w.message_box()
    if box is not None:
        box.close()


def load(qtbot, panel, spec=None, timeout=10000):
    """Load ``spec`` (or press Load) and return the emitted Dataset."""
    with qtbot.waitSignal(panel.dataset_changed, timeout=timeout) as blocker:
        if spec is None:
            panel.load_button.click()
        else:
            panel.load_spec(spec)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=timeout)
    return blocker.args[0]


def write_idx_folder(folder, n_train=30, n_test=10):
    """Gzipped IDX files as LeCun describes them: magic 0x00000803 images, 0x00000801 labels."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = (rng.random((n, 28, 28)) * 255).astype(np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 0x00000803, n, 28, 28) + images.tobytes())
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 0x00000801, n) + labels.tobytes())
    return folder


def test_sources_and_forms_built_from_the_data_layer(panel):
    sources = [panel.source_combo.itemData(i) for i in range(panel.source_combo.count())
               if panel.source_combo.itemData(i)]
    assert sources[:2] == ["mnist", "fashion-mnist"] and sources[-1] == "csv"
    assert set(GENERATORS) <= set(sources)
    for name, info in GENERATORS.items():
        form = panel.form(name)
        assert list(form.fields) == [p.name for p in info.params]
        for p in info.params:
            field = form.fields[p.name]
            assert p.doc.split()[0].lower() in field.toolTip().lower()
            if p.kind == "int":
                assert isinstance(field, QSpinBox) and field.value() == p.default
                assert field.minimum() == p.min and field.maximum() == p.max
            elif p.kind == "float":
                assert isinstance(field, QDoubleSpinBox) and field.value() == pytest.approx(p.default)
            elif p.kind == "bool":
                assert isinstance(field, QCheckBox)
            elif p.kind == "choice":
                assert isinstance(field, QComboBox) and field.currentData() == p.default
        assert form.spec() == name  # all defaults: the bare source name


def test_generator_form_load_emits_and_previews_scatter(panel, qtbot):
    panel.set_source("spiral")
    assert panel.form().info.name == "spiral"
    form = panel.form()
    form.fields["arms"].setValue(3)
    form.fields["points"].setValue(300)
    assert panel.form_spec() == "spiral:points=300,arms=3"
    ds = load(qtbot, panel)
    assert ds is panel.dataset()
    assert ds.name == "Spiral" and len(ds.class_names) == 3
    assert panel.spec() == ds.spec and "arms=3" in ds.spec
    assert panel.preview_kind() == "scatter"
    names = [label.text for _, label in panel.plot.getPlotItem().legend.items]
    assert len(names) == 3
    assert "Training 150" in panel.summary_label.text() and "Validation 150" in panel.summary_label.text()
    assert panel.load_button.isEnabled()


def test_one_dimensional_regression_shows_the_curve(panel, qtbot):
    ds = load(qtbot, panel, "nielsen-function:points=200")
    assert ds.task == "regression"
    assert panel.preview_kind() == "curve"
    curve = panel.plot.getPlotItem().listDataItems()[0]
    x, y = curve.getData()
    assert len(x) == len(ds.train) and np.all(np.diff(x) >= 0)
    assert "Regression" in panel.summary_label.text()


def test_other_sets_show_a_table_head(panel, qtbot):
    ds = load(qtbot, panel, "teacher:items=100,seed=3")
    assert panel.preview_kind() == "table"
    assert panel.table.rowCount() == 12
    assert panel.table.horizontalHeaderItem(panel.table.columnCount() - 1).text() == "class"
    assert panel.form().fields["seed"].value() == 3  # load_spec filled the form
    assert ds.spec.startswith("teacher:")


def test_csv_with_target_choice_and_standardize(panel, qtbot, tmp_path):
    path = tmp_path / "points.csv"
    rows = ["height,weight,kind"] + [f"{1 + i % 7},{2 + (i * 3) % 5},{'ab'[i % 2]}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    assert csv_columns(str(path)) == ["height", "weight", "kind"]
    panel.set_source("csv")
    form = panel.form()
    form.path_edit.setText(str(path))
    form.refresh_columns()
    target = form.fields["target"]
    assert [target.itemText(i) for i in range(target.count())] == ["last column", "height", "weight", "kind"]
    target.setCurrentIndex(target.findText("kind"))
    form.fields["standardize"].setChecked(True)
    ds = load(qtbot, panel)
    assert ds.class_names == ["a", "b"]
    assert ds.n_inputs == 2 and ds.standardization is not None
    assert abs(float(ds.train.X.mean())) < 0.2
    assert "target=kind" in panel.form_spec() and "standardize=true" in panel.form_spec()
    assert panel.preview_kind() == "scatter"


def test_csv_regression_with_many_columns_shows_table(panel, qtbot, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(",".join(str((i * j) % 11 / 3) for j in range(5)) for i in range(30)) + "\n")
    ds = load(qtbot, panel, f"csv:{path},task=regression")
    assert ds.task == "regression" and ds.n_inputs == 4
    assert panel.preview_kind() == "table"


def test_bad_csv_shows_inline_error_and_message_box(panel, qtbot, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,label\n1,2,x\n3,oops,y\n4,5,x\n")
    with qtbot.waitSignal(panel.load_failed, timeout=10000) as blocker:
        panel.load_spec(f"csv:{path},target=label")
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5000)
    assert "oops" in blocker.args[0] and "row 3" in blocker.args[0]
    assert panel.error_label.isVisible()
    assert "row 3" in panel.error_text() and "press Load again" in panel.error_text()
    assert panel.dataset() is None and panel.spec() is None
    box = panel.message_box()
    assert box is not None and "oops" in box.text()
    box.close()
    # A good load clears the inline error.
    load(qtbot, panel, "xor")
    assert panel.error_text() == ""


def test_bad_spec_is_reported_inline(panel, qtbot):
    panel.load_spec("no-such-source")
    assert "Unknown data source" in panel.error_text()
    assert not panel.is_busy()


def test_custom_mnist_folder(panel, qtbot, tmp_path):
    folder = write_idx_folder(tmp_path / "idx")
    panel.set_source("mnist")
    form = panel.form()
    form.path_edit.setText(str(folder))
    form.fields["train"].setValue(20)
    form.fields["validation"].setValue(10)
    form.fields["test"].setValue(10)
    ds = load(qtbot, panel)
    assert ds.input_shape == (28, 28)
    assert [len(ds.splits[k]) for k in ("train", "validation", "test")] == [20, 10, 10]
    assert panel.preview_kind() == "images"
    assert panel.image_grid.count() == 20
    assert panel.image_grid.captions()[:3] == ["0", "1", "2"]
    assert "Training 20 · Validation 10 · Test 10" in panel.summary_label.text()
    panel.image_grid.grab()  # paints


def test_missing_mnist_folder_says_what_is_missing(panel, qtbot, tmp_path):
    (tmp_path / "empty").mkdir()
    with qtbot.waitSignal(panel.load_failed, timeout=10000) as blocker:
        panel.load_spec(f"mnist:{tmp_path / 'empty'}")
    assert "train-images-idx3-ubyte.gz" in blocker.args[0]


class _SlowHandler(BaseHTTPRequestHandler):
    """Announces 5 MB and trickles it out slowly, until the client goes away."""

    stop = threading.Event()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(5_000_000))
        self.end_headers()
        try:
            while not self.stop.wait(0.02):
                self.wfile.write(b"\0" * 1024)
                self.wfile.flush()
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_mirror(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _SlowHandler.stop.clear()
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", f"http://127.0.0.1:{server.server_address[1]}/")
    yield server
    _SlowHandler.stop.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_download_progress_dialog_cancel(panel, qtbot, slow_mirror, tmp_path):
    emitted = []
    panel.dataset_changed.connect(emitted.append)
    panel.load_spec("mnist")
    qtbot.waitUntil(lambda: panel.progress_dialog() is not None, timeout=10000)
    dialog = panel.progress_dialog()
    assert "Downloading" in dialog.labelText()
    qtbot.waitUntil(lambda: dialog.value() > 0, timeout=10000)  # bytes are arriving
    cancel = [b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel"][0]
    cancel.click()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10000)
    assert panel.progress_dialog() is None
    assert "cancelled" in panel.note_label.text()
    assert panel.error_text() == "" and panel.message_box() is None
    assert emitted == [] and panel.dataset() is None
    leftovers = list((tmp_path / "cache").rglob("*.part"))
    assert leftovers == []


def test_source_switch_shows_its_form_and_doc(panel):
    panel.set_source("sine")
    assert panel.current_source() == "sine"
    assert panel._stack.currentWidget() is panel.form("sine")
    assert "cycles" in panel.form().fields
    panel.set_source("fashion")  # alias
    assert panel.current_source() == "fashion-mnist"
    assert panel.form().path_edit is not None


def test_a_second_load_while_busy_is_not_dropped(panel, qtbot):
    """What the main window does at launch: the default data, then at once a session's data."""
    log = record(panel)
    panel.load_spec("teacher:items=20000")
    assert panel.is_busy() and not panel.load_button.isEnabled()
    panel.load_spec("xor")                       # wins: the teacher load is cancelled
    assert log["cancelled"] == ["teacher:items=20000"]
    assert panel.loading_spec() == "xor" and panel.current_source() == "xor"
    qtbot.waitUntil(lambda: bool(log["finished"]), timeout=20000)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=20000)
    assert panel.dataset().name == "XOR" and panel.spec().startswith("xor")
    assert [ds.name for ds in log["changed"]] == ["XOR"]
    assert log["finished"] == [("xor", panel.dataset())]
    assert log["errors"] == [] and panel.load_button.isEnabled()


@pytest.fixture
def blocking_loads(monkeypatch):
    """Loads of specs starting with "circle" wait (on the loader thread) until the test lets them go."""
    import workbench.gui.panels.data_panel as data_panel

    release = threading.Event()
    real = data_panel.load_dataset

    def load_dataset(spec, progress=None, cancel=None):
        if spec.startswith("circle"):
            assert release.wait(20), "the test never released the load"
        return real(spec, progress=progress, cancel=cancel)

    monkeypatch.setattr(data_panel, "load_dataset", load_dataset)
    yield release
    release.set()


def record(panel):
    log = {"changed": [], "finished": [], "errors": [], "cancelled": [], "failed": []}
    panel.dataset_changed.connect(log["changed"].append)
    panel.load_finished.connect(lambda spec, ds: log["finished"].append((spec, ds)))
    panel.load_error.connect(lambda spec, message: log["errors"].append((spec, message)))
    panel.load_cancelled.connect(log["cancelled"].append)
    panel.load_failed.connect(log["failed"].append)
    return log


def test_the_newest_request_wins_and_stale_results_are_never_applied(panel, qtbot, blocking_loads):
    log = record(panel)
    panel.load_spec("circle:points=100")         # runs, blocked
    panel.load_spec("moons:points=100")          # waits for the circle thread to stop
    panel.load_spec("xor")                       # replaces the waiting request
    assert log["cancelled"] == ["circle:points=100", "moons:points=100"]
    assert panel.is_busy() and panel.loading_spec() == "xor"
    blocking_loads.set()                          # the circle load completes: its result is dropped
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10000)
    assert [ds.name for ds in log["changed"]] == ["XOR"]
    assert [spec for spec, _ in log["finished"]] == ["xor"]
    assert panel.dataset().name == "XOR" and panel.preview_kind() == "scatter"
    assert log["errors"] == log["failed"] == []


def test_cancel_loading_drops_a_generator_result(panel, qtbot, blocking_loads):
    log = record(panel)
    panel.load_spec("circle:points=100")
    panel.cancel_loading(wait=False)
    assert log["cancelled"] == ["circle:points=100"] and panel.loading_spec() is None
    blocking_loads.set()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10000)
    assert log["changed"] == [] and log["finished"] == [] and panel.dataset() is None
    assert "cancelled" in panel.note_label.text() and panel.load_button.isEnabled()


def test_failures_name_their_spec(panel, qtbot, tmp_path):
    log = record(panel)
    panel.load_spec("no-such-source")
    assert log["errors"][0][0] == "no-such-source" and "Unknown data source" in log["errors"][0][1]
    assert log["failed"] == [log["errors"][0][1]]          # load_failed(str) as before
    spec = f"mnist:{tmp_path / 'nowhere'},download=false"
    with qtbot.waitSignal(panel.load_error, timeout=10000) as blocker:
        panel.load_spec(spec)
    assert blocker.args[0] == spec and blocker.args[1] == log["failed"][-1]
    close_box(panel)


def close_box(panel):
    box = panel.message_box()
    if box is not None:
        box.close()


def test_adapt_spec_keeps_the_loaded_mnist_folder(panel, qtbot, tmp_path):
    folder = write_idx_folder(tmp_path / "my mnist")
    load(qtbot, panel, f"mnist:{folder},train=20,validation=10,test=10,download=false")
    local = str(folder.resolve())
    assert panel.adapt_spec("mnist") == f"mnist:{local},download=false"
    assert panel.adapt_spec("MNIST,train=20,validation=5,test=5") == \
        f"mnist:{local},train=20,validation=5,test=5,download=false"
    assert panel.adapt_spec("mnist,download=true") == f"mnist:{local},download=true"   # the preset decides
    other = str(tmp_path / "other")
    assert panel.adapt_spec(f"mnist:{other}") == f"mnist:{other}"           # a folder of its own: kept
    assert panel.adapt_spec("fashion-mnist") == "fashion-mnist"             # another source
    assert panel.adapt_spec("xor") == "xor" and panel.adapt_spec("nonsense!") == "nonsense!"
    ds = load(qtbot, panel, panel.adapt_spec("mnist,train=20,validation=5,test=5"))
    assert ds.source == local and len(ds.train) == 20     # read from the folder, no download tried


def test_adapt_spec_uses_a_folder_typed_but_not_loaded(panel, tmp_path):
    form = panel.form("fashion-mnist")
    form.path_edit.setText(str(tmp_path))
    assert panel.adapt_spec("fashion") == f"fashion-mnist:{tmp_path}"
    form.fields["download"].setChecked(False)
    assert panel.adapt_spec("fashion-mnist,test=0") == f"fashion-mnist:{tmp_path},test=0,download=false"
    assert panel.adapt_spec("mnist") == "mnist"                             # nothing typed there


def test_csv_columns_offered_are_the_columns_the_loader_reads(panel, qtbot, tmp_path):
    # Comma-separated although named .tsv: csv.Sniffer was never asked, the panel split on tabs and
    # offered one column "column 1" while the loader read a, b and kind.
    path = tmp_path / "table.tsv"
    path.write_text("a,b,kind\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(20)))
    assert csv_columns(str(path)) == ["a", "b", "kind"]
    panel.set_source("csv")
    form = panel.form()
    form.path_edit.setText(str(path))
    form.refresh_columns()
    assert form.columns() == ["a", "b", "kind"]
    ds = load(qtbot, panel)
    assert ds.feature_names + ds.target_names == form.columns()
    # The form's own header/delimiter choices change what is offered, as they change what is read.
    panel.form("csv").set_value(next(p for p in form.info.params if p.name == "header"), "no")
    assert form.columns() == ["column 1", "column 2", "column 3"]


def scene_points(item):
    vb = item.getViewBox()
    points = []
    for data in item.listDataItems():
        x, y = data.getData()
        points += [vb.mapViewToScene(QPointF(float(a), float(b))) for a, b in zip(x, y)]
    return points


@pytest.mark.parametrize("spec", ["circle", "moons", "plane"])
def test_preview_legend_covers_no_point(panel, qtbot, spec):
    load(qtbot, panel, spec)
    item = panel.plot.getPlotItem()
    legend = item.legend
    assert legend is not None and legend.items

    def legend_clear():
        rect = legend.sceneBoundingRect().adjusted(-3, -3, 3, 3)     # symbols have a radius
        return rect.height() > 3 and not any(rect.contains(p) for p in scene_points(item))

    qtbot.waitUntil(legend_clear, timeout=5000)
    rect = legend.sceneBoundingRect()
    assert rect.bottom() <= item.getViewBox().sceneBoundingRect().top()     # above the plotting area
    assert item.sceneBoundingRect().contains(rect)                          # and inside the widget


def test_preview_axes_have_no_si_multiplier(panel, qtbot, tmp_path):
    """Values 0.1-0.8 read as such, not as ticks 100-800 with "(x0.001)" in the axis label."""
    curve, scatter = tmp_path / "curve.csv", tmp_path / "scatter.csv"
    curve.write_text("x,y\n" + "".join(f"{0.1 + 0.7 * i / 49:.4f},{0.8 - 0.7 * i / 49:.4f}\n" for i in range(50)))
    scatter.write_text("u,v,kind\n" + "".join(f"{0.1 + 0.7 * i / 49:.4f},{0.1 + 0.7 * (i * 7 % 50) / 49:.4f},"
                                              f"{'ab'[i % 2]}\n" for i in range(50)))
    for path, kind in ((curve, "curve"), (scatter, "scatter")):
        load(qtbot, panel, f"csv:{path}")
        assert panel.preview_kind() == kind
        for name in ("left", "bottom"):
            axis = panel.plot.getAxis(name)
            assert axis.autoSIPrefixScale == 1.0 and "(x" not in axis.labelString(), (kind, name)
