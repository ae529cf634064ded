"""The data panel against hostile files and mirrors: the GUI thread never waits on a pipe, never
reads more than a quick look of a CSV file, never draws thousands of legend entries, and closing
the panel does not wait for a stalled download."""

from __future__ import annotations

import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from workbench.data import Dataset, Split
from workbench.gui.panels import data_form
from workbench.gui.panels.data_panel import DataPanel


@pytest.fixture
def panel(qtbot):
    w = DataPanel(show_message_boxes=False)
    qtbot.addWidget(w)
    w.resize(420, 700)
    w.show()
    yield w
    w.cancel_loading(wait=True)


@pytest.fixture
def alarm():
    """Fail (instead of hanging the suite) when the GUI thread blocks for 20 s."""
    def ring(*_):
        raise TimeoutError("the GUI thread blocked")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def csv_form(panel, path):
    panel.set_source("csv")
    form = panel.form()
    form.path_edit.setText(str(path))
    return form


def timed_refresh(form) -> float:
    start = time.perf_counter()
    form.refresh_columns()
    return time.perf_counter() - start


def test_a_named_pipe_offers_no_columns_and_does_not_block(panel, tmp_path, alarm):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    form = csv_form(panel, fifo)
    assert timed_refresh(form) < 1
    assert not form.columns_pending() and form.columns() == []


def test_a_100000_column_file_is_read_beside_the_gui_thread(panel, qtbot, tmp_path, alarm):
    n = 100_000
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"f{j}" for j in range(n)) + "\n" + ",".join(["0.25"] * n) + "\n")
    form = csv_form(panel, path)
    assert timed_refresh(form) < 1
    assert form.columns_pending()
    qtbot.waitUntil(lambda: not form.columns_pending(), timeout=15000)
    columns = form.columns()
    assert len(columns) == data_form.MAX_LISTED_COLUMNS and columns[:2] == ["f0", "f1"]
    assert "100,000 columns" in form.fields["target"].toolTip()


def test_an_endless_line_is_refused_beside_the_gui_thread(panel, qtbot, tmp_path, alarm):
    path = tmp_path / "oneline.csv"
    with open(path, "w") as out:
        for _ in range(24):
            out.write("1," * (2**19))
    form = csv_form(panel, path)
    assert timed_refresh(form) < 1
    qtbot.waitUntil(lambda: not form.columns_pending(), timeout=15000)
    assert form.columns() == []


def test_a_newer_refresh_wins_over_a_slow_look(panel, qtbot, tmp_path, alarm):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"w{j}" for j in range(200_000)) + "\n" + ",".join(["1"] * 200_000) + "\n")
    small = tmp_path / "small.csv"
    small.write_text("a,b,y\n1,2,0\n3,4,1\n")
    form = csv_form(panel, wide)
    form.refresh_columns()
    form.path_edit.setText(str(small))
    form.refresh_columns()
    assert form.columns() == ["a", "b", "y"]
    qtbot.waitUntil(lambda: not form.columns_pending(), timeout=15000)
    qtbot.wait(100)
    assert form.columns() == ["a", "b", "y"]


def test_thousands_of_classes_get_one_legend_entry(panel):
    rng = np.random.default_rng(0)
    n, k = 4000, 2000
    labels = np.arange(n) % k
    X = rng.normal(size=(n, 2)).astype(np.float32)
    Y = np.zeros((n, k), np.float32)
    Y[np.arange(n), labels] = 1
    ds = Dataset(name="many", spec="csv:many.csv", task="classification",
                 splits={"train": Split(X, Y, labels)}, feature_names=["x", "y"], target_names=["kind"],
                 class_names=[f"c{i}" for i in range(k)])
    start = time.perf_counter()
    panel.preview.show_dataset(ds)
    assert time.perf_counter() - start < 5
    assert panel.preview_kind() == "scatter"
    assert len(panel.preview.legend().items) == 1


class _Stall(BaseHTTPRequestHandler):
    stop = threading.Event()

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server API)
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        self.wfile.write(b"\x1f\x8b")
        self.wfile.flush()
        self.stop.wait(40)                  # then silence: the mirror has stalled


@pytest.fixture
def stalled_mirror(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stall)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    _Stall.stop.clear()
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", f"http://127.0.0.1:{server.server_address[1]}/")
    yield
    _Stall.stop.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_closing_does_not_wait_for_a_stalled_download(panel, qtbot, stalled_mirror, tmp_path, alarm):
    panel.load_spec("mnist")
    qtbot.waitUntil(lambda: panel.progress_dialog() is not None, timeout=10000)
    qtbot.wait(300)                              # the first bytes came; now nothing comes
    start = time.perf_counter()
    panel.close()
    assert time.perf_counter() - start < 5       # it used to wait 27 s on the stalled mirror
    assert not panel.is_busy()
    assert list((tmp_path.parent).rglob("*.part")) == []


def test_ctrl_enter_does_not_cancel_a_load(panel, qtbot, stalled_mirror, alarm):
    """Ctrl+Enter is Train: pressed while the progress dialog has the focus, it pressed Cancel and
    threw the load away (found trying the window).  A click still cancels."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    panel.load_spec("mnist")
    qtbot.waitUntil(lambda: panel.progress_dialog() is not None, timeout=10000)
    dialog = panel.progress_dialog()
    [cancel] = dialog.findChildren(QPushButton)
    cancel.setFocus()
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        qtbot.keyClick(cancel, key, Qt.KeyboardModifier.ControlModifier)
    assert panel.is_busy() and panel.progress_dialog() is dialog
    cancel.click()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5000)
