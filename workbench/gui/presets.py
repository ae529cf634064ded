"""Network presets: the JSON files in ``resources/presets/``.

Each file holds ``{"name", "description", "sizes", "activations", "cost", "data", "hyperparameters"}``;
a preset is addressed by its file stem (``"nielsen-784-30-10"``). This module reads files only;
the designer applies the architecture and the main window applies ``data`` and ``hyperparameters``.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.gui.resources_path import resource_path

PRESET_DIR = resource_path("presets")
_REQUIRED = ("name", "sizes", "activations", "cost")


class PresetError(ValueError):
    """A preset is missing or its file cannot be read; the message names the file."""


def preset_names(folder: Path | None = None) -> list[str]:
    """File stems of every ``*.json`` preset, sorted by their display name."""
    folder = PRESET_DIR if folder is None else folder
    stems = [path.stem for path in folder.glob("*.json")]
    return sorted(stems, key=lambda stem: _display_key(folder / f"{stem}.json"))


def preset(name: str, folder: Path | None = None) -> dict:
    """The preset ``name`` (a file stem) as a dict; raises PresetError with a clear message."""
    folder = PRESET_DIR if folder is None else folder
    path = folder / f"{name}.json"
    if not path.is_file():
        raise PresetError(f"There is no preset called {name!r} in {folder}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PresetError(f"The preset file {path.name} cannot be read: {exc}") from exc
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise PresetError(f"The preset file {path.name} lacks {', '.join(missing)}.")
    data.setdefault("description", "")
    data.setdefault("data", None)
    data.setdefault("hyperparameters", {})
    data["id"] = name
    return data


def data_source(spec: str) -> str:
    """The source named by a data spec: "mnist" for "mnist:~/digits,train=1000"."""
    return spec.split(",")[0].split(":")[0].strip().lower()


def matching_preset(spec: str, architecture: dict | None = None, folder: Path | None = None) -> dict | None:
    """The preset made for the data source of ``spec`` (preferring one with ``architecture``'s
    layer sizes), or None when no preset uses that source."""
    source = data_source(spec)
    found = []
    for name in preset_names(folder):
        try:
            p = preset(name, folder)
        except PresetError:
            continue
        if p.get("data") and data_source(p["data"]) == source:
            found.append(p)
    sizes = (architecture or {}).get("sizes")
    found.sort(key=lambda p: p["sizes"] != sizes)
    return found[0] if found else None


def _display_key(path: Path) -> str:
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("name", path.stem)).casefold()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return path.stem.casefold()
