"""Fixtures of the data-layer tests: an isolated cache, no internet, small generated IDX sets and a
local HTTP server that serves them."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from workbench.data import mnist
from workbench.data.idx import write_idx

N_TRAIN, N_TEST = 100, 20
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    """Every test gets an empty cache folder and mirrors that refuse connections."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", "http://127.0.0.1:9/")
    monkeypatch.setenv("WORKBENCH_FASHION_MNIST_MIRRORS", "http://127.0.0.1:9/")
    monkeypatch.setattr(mnist.dl, "TIMEOUT", 5.0)
    return cache


def make_idx_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    """Small MNIST-like arrays: 100 training and 20 test images of 28×28 with labels 0-9."""
    rng = np.random.default_rng(seed)
    train_labels = rng.integers(0, 10, N_TRAIN).astype(np.uint8)
    train_labels[0] = 5
    test_labels = rng.integers(0, 10, N_TEST).astype(np.uint8)
    test_labels[0] = 7
    return {
        NAMES[0]: rng.integers(0, 256, (N_TRAIN, 28, 28)).astype(np.uint8),
        NAMES[1]: train_labels,
        NAMES[2]: rng.integers(0, 256, (N_TEST, 28, 28)).astype(np.uint8),
        NAMES[3]: test_labels,
    }


@pytest.fixture
def idx_arrays():
    return make_idx_arrays()


@pytest.fixture
def idx_dir(tmp_path, idx_arrays) -> Path:
    """A folder holding the four gzipped IDX files of ``idx_arrays``."""
    folder = tmp_path / "idx"
    folder.mkdir()
    for name, array in idx_arrays.items():
        write_idx(folder / (name + ".gz"), array)
    return folder


SMALL = "train=80,validation=20,test=20"


class _Handler(BaseHTTPRequestHandler):
    routes: dict = {}
    log: list = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 (http.server API)
        self.log.append(self.path)
        route = self.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        kind, body = route
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "slow":
            deadline = time.monotonic() + 5.0
            try:
                for i in range(0, len(body), 1024):
                    if time.monotonic() > deadline:
                        break
                    self.wfile.write(body[i:i + 1024])
                    self.wfile.flush()
                    time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif kind == "short":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(body)


class LocalServer:
    """``ThreadingHTTPServer`` on 127.0.0.1 serving ``routes`` {url path: (kind, bytes)}; kind is
    "ok", "slow" (1 KiB per 10 ms, at most 5 s) or "short" (closes after half the body)."""

    def __init__(self):
        handler = type("Handler", (_Handler,), {"routes": {}, "log": []})
        self.handler = handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.watchdog = threading.Timer(60.0, self.httpd.shutdown)
        self.watchdog.daemon = True
        self.watchdog.start()

    @property
    def routes(self) -> dict:
        return self.handler.routes

    @property
    def requests(self) -> list:
        return self.handler.log

    def serve(self, prefix: str, files: dict[str, bytes], kind: str = "ok") -> str:
        """Serve ``files`` under ``/prefix/``; return the mirror base URL."""
        for name, body in files.items():
            self.routes[f"/{prefix}/{name}"] = (kind, body)
        return f"{self.url}/{prefix}/"

    def stop(self):
        self.watchdog.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    srv = LocalServer()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def gz_files(idx_arrays) -> dict[str, bytes]:
    """{"train-images-idx3-ubyte.gz": gzipped IDX bytes, ...} for the small arrays."""
    out = {}
    for name, array in idx_arrays.items():
        header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
        out[name + ".gz"] = gzip.compress(header + array.tobytes(), mtime=0)
    return out


@pytest.fixture
def patched_md5(monkeypatch, gz_files):
    """Make the published checksums those of the generated files (for MNIST and Fashion-MNIST)."""
    sums = {name: hashlib.md5(body).hexdigest() for name, body in gz_files.items()}
    monkeypatch.setattr(mnist, "MNIST_MD5", dict(sums))
    monkeypatch.setattr(mnist, "FASHION_MNIST_MD5", dict(sums))
    return sums


def finishes(call, seconds=10.0):
    """Run ``call`` on a daemon thread; (finished in time, its result or exception)."""
    box = {}

    def run():
        try:
            box["result"] = call()
        except BaseException as exc:   # noqa: BLE001 - handed back to the test
            box["result"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), box.get("result")
