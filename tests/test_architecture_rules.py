"""The core and the data layer never import Qt: they must work in a process where Qt cannot load."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BLOCK_QT = """
import sys, importlib.abc
class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'PySide2', 'pyqtgraph', 'shiboken6'):
            raise ImportError('Qt is blocked in this test: ' + name)
sys.meta_path.insert(0, BlockQt())
import pkgutil, importlib
import workbench.core, workbench.data, workbench.cli
for package in (workbench.core, workbench.data):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):
        importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))
assert not loaded, loaded
print('ok')
"""


def test_core_data_and_cli_import_without_qt():
    result = subprocess.run([sys.executable, "-c", BLOCK_QT], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_core_imports_only_numpy_and_stdlib():
    allowed = {"numpy", "numba", "__future__"} | set(sys.stdlib_module_names)
    for path in list((REPO / "workbench" / "core").glob("*.py")) + list((REPO / "workbench" / "data").glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from") and not words[1].startswith("."):
                assert words[1].split(".")[0] in allowed, f"{path.name}: {line.strip()}"


def _imports(path: Path) -> set[str]:
    """Modules a file imports (absolute names; relative ones resolved against workbench.gui)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_views_import_neither_the_window_nor_the_panels():
    views = sorted((REPO / "workbench" / "gui" / "views").glob("*.py"))
    assert len(views) >= 4
    for path in views:
        for name in _imports(path):
            assert not name.startswith(("workbench.gui.main_window", "workbench.gui.panels",
                                        "workbench.gui.files", "workbench.gui.actions")), f"{path.name}: {name}"


def test_the_model_and_the_controller_import_no_view_and_no_widget():
    for file in ("experiment.py", "controller.py", "frame_clock.py"):
        for name in _imports(REPO / "workbench" / "gui" / file):
            assert not name.startswith(("workbench.gui.views", "workbench.gui.main_window",
                                        "PySide6.QtWidgets")), f"{file}: {name}"


def test_every_view_is_listed_and_named_once():
    import importlib

    from workbench.gui.views import VIEWS
    from workbench.gui.views.base import View

    defined = set()         # every View subclass defined in the folder (helper modules define none)
    for path in (REPO / "workbench" / "gui" / "views").glob("*.py"):
        module = importlib.import_module(f"workbench.gui.views.{path.stem}")
        defined |= {obj for obj in vars(module).values() if isinstance(obj, type) and issubclass(obj, View)
                    and obj.__module__ == module.__name__ and obj.name}
    assert defined == set(VIEWS), "a view is missing from VIEWS (or VIEWS names a non-view class)"
    names = [cls.name for cls in VIEWS]
    assert len(set(names)) == len(names) and all(names)
    for cls in VIEWS:
        assert issubclass(cls, View) and cls.area in ("centre", "left", "right", "bottom") and cls.title
        importlib.import_module(cls.__module__)


def test_no_gui_file_is_a_monolith():
    for path in (REPO / "workbench" / "gui").rglob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        limit = 500
        assert lines <= limit, f"{path.relative_to(REPO)} has {lines} lines"
