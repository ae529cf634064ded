"""An installed (non-editable) Workbench has every package and every resource file."""

import fnmatch
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setuptools_config():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]


def test_every_package_is_listed_for_installation(setuptools_config):
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "workbench").rglob("__init__.py")}
    assert set(setuptools_config["packages"]) == found | {"workbench.resources"}
    assert setuptools_config["package-dir"]["workbench.resources"] == "resources"


def test_every_resource_file_is_installed(setuptools_config):
    patterns = setuptools_config["package-data"]["workbench.resources"]
    files = [p.relative_to(ROOT / "resources").as_posix()
             for p in (ROOT / "resources").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert files
    missed = [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)]
    assert missed == []
