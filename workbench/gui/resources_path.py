"""Where the repository's ``resources/`` folder (icons, presets) lives."""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    """``resource_path("presets", "xor-2-2-1.json")`` -> absolute path under ``resources/``."""
    return RESOURCES.joinpath(*parts)
