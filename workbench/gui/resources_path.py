"""Where the ``resources/`` folder (icons, presets, example sessions) lives: beside the package in
a source checkout (and an editable install), inside it as ``workbench/resources`` in an installed
wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parent / "resources"
RESOURCES = _CHECKOUT if (_CHECKOUT / "presets").is_dir() else _PACKAGE / "resources"


def resource_path(*parts: str) -> Path:
    """``resource_path("presets", "xor-2-2-1.json")`` -> absolute path under ``resources/``."""
    return RESOURCES.joinpath(*parts)
