"""Downloads against mirrors that misbehave on 127.0.0.1: one that trickles a byte at a time, one
that answers the headers and then nothing, one that accepts the connection and never answers, one
that sends more than the file can hold.  Each ends within its deadline, and Cancel acts within a
second whatever the mirror is doing."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workbench.data import DownloadCancelled
from workbench.data import download as dl


class _Handler(BaseHTTPRequestHandler):
    mode = "trickle"
    stop = threading.Event()

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server API)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if self.mode != "flood":
            self.send_header("Content-Length", str(10**9 if self.mode == "huge" else 100_000))
        self.end_headers()
        try:
            if self.mode == "trickle":            # one byte every 50 ms: never silent for long
                while not self.stop.wait(0.05):
                    self.wfile.write(b"x")
                    self.wfile.flush()
            elif self.mode == "flood":
                while not self.stop.is_set():
                    self.wfile.write(b"\0" * 65536)
            else:                                   # "stall": headers, then nothing
                self.stop.wait(30)
        except OSError:
            pass


@pytest.fixture
def mirror():
    """Yields a function mode -> mirror base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    _Handler.stop.clear()

    def url(mode):
        _Handler.mode = mode
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield url
    _Handler.stop.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def silent_listener():
    """A socket that accepts connections (the kernel does) and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    listener.close()


def cancel_after(seconds):
    """A cancel() that turns true ``seconds`` from now; .at is that moment."""
    at = time.monotonic() + seconds

    def cancel():
        return time.monotonic() >= at

    cancel.at = at
    return cancel


def test_a_trickling_mirror_meets_its_deadline(mirror, tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "DEADLINE_FLOOR", 1.0)
    monkeypatch.setattr(dl, "MIN_RATE", 10**9)
    start = time.monotonic()
    with pytest.raises(dl.MirrorsFailed) as info:
        dl.download("f.gz", [mirror("trickle")], "0" * 32, tmp_path, max_bytes=200_000)
    assert time.monotonic() - start < 5
    (url, reason), = info.value.errors
    assert reason == "did not deliver the file within 1 s"
    assert not list(tmp_path.glob("*.part"))


def test_the_deadline_grows_with_the_file():
    assert dl.deadline_for(None) == dl.deadline_for(1000) == dl.DEADLINE_FLOOR
    assert dl.deadline_for(100 * 2**20) == 100 * 2**20 / dl.MIN_RATE > dl.DEADLINE_FLOOR


@pytest.mark.parametrize("mode", ["stall", "trickle"])
def test_cancel_acts_within_a_second_on_a_stalled_mirror(mirror, tmp_path, mode):
    cancel = cancel_after(0.5)
    with pytest.raises(DownloadCancelled):
        dl.download("f.gz", [mirror(mode)], "0" * 32, tmp_path, cancel=cancel)
    assert time.monotonic() - cancel.at < 3.0     # polled every 0.1 s; a stalled mirror used to take 27 s
    assert not list(tmp_path.glob("*.part"))


def test_cancel_acts_while_the_connection_is_still_opening(silent_listener, tmp_path):
    cancel = cancel_after(0.5)
    with pytest.raises(DownloadCancelled):
        dl.download("f.gz", [silent_listener], "0" * 32, tmp_path, cancel=cancel)
    assert time.monotonic() - cancel.at < 3.0     # polled every 0.1 s; a stalled mirror used to take 27 s


def test_a_silent_mirror_times_out(silent_listener, tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "TIMEOUT", 0.5)
    with pytest.raises(dl.MirrorsFailed) as info:
        dl.download("f.gz", [silent_listener], "0" * 32, tmp_path)
    assert info.value.errors[0][1] == "timed out"


def test_more_bytes_than_the_file_can_have_are_refused(mirror, tmp_path):
    with pytest.raises(dl.MirrorsFailed) as info:
        dl.download("f.gz", [mirror("huge")], "0" * 32, tmp_path, max_bytes=50_000)
    assert info.value.errors[0][1] == "announces 1,000,000,000 bytes; the file has at most 50,000"
    with pytest.raises(dl.MirrorsFailed) as info:
        dl.download("f.gz", [mirror("flood")], "0" * 32, tmp_path, max_bytes=200_000)
    assert info.value.errors[0][1] == "sent more than the 200,000 bytes the file can have"
    assert not list(tmp_path.glob("*.part"))
