import os
from pathlib import Path

# As the app does (workbench/__init__.py), but before any test module imports numpy first.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import pytest  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

REPO = Path(__file__).resolve().parent.parent
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"


@pytest.fixture
def mnist_dir():
    """The shared MNIST IDX folder; skips the test where it is absent."""
    if not (SHARED_MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("../shared/data/mnist is not present")
    return SHARED_MNIST


@pytest.fixture(autouse=True)
def private_cache_and_no_internet(tmp_path_factory, monkeypatch):
    """No test may download or touch the user's cache: mirrors point at a closed local port."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", "http://127.0.0.1:9/")
    monkeypatch.setenv("WORKBENCH_FASHION_MNIST_MIRRORS", "http://127.0.0.1:9/")

