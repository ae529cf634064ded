"""Fixtures shared by the main-window (part A) GUI tests: thread-leak guard, settings redirect."""

import pytest
from PySide6.QtWidgets import QMessageBox


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a training thread running (set up before qtbot, so checked after
    qtbot has closed the test's widgets)."""
    yield
    from workbench.gui.worker import running_threads

    leaked = running_threads()
    for thread in leaked:
        thread.stop()
        thread.wait()
    assert not leaked, f"{len(leaked)} training thread(s) were left running"
    from workbench.gui.views.gradient_check_parts import running_checks, stop_all_checks

    checks = running_checks()
    stop_all_checks()
    assert not checks, f"{len(checks)} gradient check thread(s) were left running"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Each test reads and writes its own settings file."""
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    yield tmp_path / "settings.ini"


def open_window(qtbot, **kw):
    """A shown main window (settings not persisted unless asked) once its default data has loaded."""
    from workbench.gui.main_window import MainWindow

    w = MainWindow(persist=kw.pop("persist", False), **kw)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.experiment.dataset is not None, timeout=10_000)
    return w


@pytest.fixture
def window(qtbot):
    return open_window(qtbot)


@pytest.fixture
def messages(monkeypatch):
    """Record the warning, critical and information boxes (kind, title, text) instead of showing them."""
    shown = []
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(
            lambda parent, title, text, *a, _k=kind, **kw: shown.append((_k, title, text))
            or QMessageBox.StandardButton.Ok))
    return shown
