"""Persistent user settings: one ``_DEFAULTS`` dict, typed reads through ``QSettings``.

Every key the application stores is listed in ``_DEFAULTS`` with its default value; the type of
the default is the type a read returns.  Reading or writing a key that is not listed raises
``KeyError`` so a typo cannot silently create a new setting.

The settings file is an INI file in the user's configuration folder.  Tests (and anyone who
wants a throw-away profile) redirect it by setting the environment variable
``WORKBENCH_SETTINGS`` to a file path before the first read.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "Workbench"
APPLICATION = "Workbench"
MAX_RECENT = 8

_DEFAULTS: dict[str, object] = {
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "files/recent": [],          # list[str], most recent first, at most MAX_RECENT
    "files/last_dir": "",        # folder of the last file dialog
    "session/save_weights": True,  # include the weights when saving a session
    "tensorboard/enabled": False,  # write a TensorBoard log for every run (gui/tensorboard_dialog.py)
    "tensorboard/folder": "",      # where each run's log folder goes ("" = ~/workbench-runs)
}


def _store() -> QSettings:
    path = os.environ.get("WORKBENCH_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def _check(key: str) -> object:
    if key not in _DEFAULTS:
        raise KeyError(f"Unknown setting {key!r}; add it to workbench.gui.settings._DEFAULTS first.")
    return _DEFAULTS[key]


def value(key: str):
    """Return the stored value of ``key`` converted to the type of its default."""
    default = _check(key)
    raw = _store().value(key, None)
    if raw is None:
        return default.copy() if isinstance(default, list) else default
    if isinstance(default, bool):
        if isinstance(raw, str):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        return bool(raw)
    if isinstance(default, list):
        if isinstance(raw, str):        # QSettings stores one-element lists as a plain string
            return [raw] if raw else []
        return [str(item) for item in raw]
    if isinstance(default, QByteArray):
        return raw if isinstance(raw, QByteArray) else QByteArray()
    try:
        return type(default)(raw)
    except (TypeError, ValueError):
        return default


def set_value(key: str, val) -> None:
    """Store ``val`` under ``key`` (which must be listed in ``_DEFAULTS``)."""
    _check(key)
    store = _store()
    store.setValue(key, val)
    store.sync()


def dialog_dir() -> str:
    """The folder the window's file dialogs start in: where the latest file was chosen (home at first)."""
    folder = value("files/last_dir")
    return folder if folder and os.path.isdir(folder) else os.path.expanduser("~")


def remember_dialog_dir(path: str) -> None:
    """The next file dialog starts in the folder of ``path``."""
    set_value("files/last_dir", os.path.dirname(os.path.abspath(path)))


def recent_files() -> list[str]:
    """Recently opened or saved session files, most recent first."""
    return value("files/recent")[:MAX_RECENT]


def add_recent_file(path: str) -> list[str]:
    """Put ``path`` at the top of the recent-files list (at most ``MAX_RECENT`` entries)."""
    path = os.path.abspath(path)
    files = [p for p in recent_files() if os.path.abspath(p) != path]
    files.insert(0, path)
    files = files[:MAX_RECENT]
    set_value("files/recent", files)
    return files


def remove_recent_file(path: str) -> list[str]:
    """Drop ``path`` from the recent-files list; returns the new list."""
    files = [p for p in recent_files() if p != path]
    set_value("files/recent", files)
    return files
