"""The PyInstaller bundle (packaging/build.sh, packaging/workbench.spec) and the scripted options
its smoke test drives.

The tests marked slow build the bundle once per session into a temporary folder (about a minute on
two cores), or use a built one: ``WORKBENCH_BUNDLE=dist/workbench pytest tests/test_bundle.py``.
They start it as a user would: the window offscreen opens a bundled session, trains it on its
background thread, saves the session and the weights and exports ONNX; the command line trains XOR
to 100 % with the compiled kernel, whose cache goes to $XDG_CACHE_HOME and is loaded from there the
second time. They skip only where PyInstaller cannot be imported (it comes with '.[test]').
"""

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from workbench.core import load_weights
from workbench.core.sessionfile import load_session

REPO = Path(__file__).resolve().parent.parent
HOOK = REPO / "packaging" / "rthooks" / "numba_cache.py"
SESSIONS = REPO / "resources" / "sessions"
APP_ID = "io.github.workbench.Workbench"
MB = 1e6

#: What stderr must never say: a module, library or Qt plugin the bundle lacks, or a crash.
BROKEN = re.compile(r"No module named|ModuleNotFoundError|ImportError|Could not load the Qt platform plugin|"
                    r"Failed to load|Cannot load library|cannot open shared object|qt\.qpa\.plugin|"
                    r"Traceback|\[PYI-\d+:ERROR\]|Fatal Python error")


# --- the scripted options, from the source tree ---------------------------------------------------

def _main(tmp_path, *args, blocked=None, timeout=120):
    """``main.py ARGS`` offscreen; ``blocked`` names a module made unimportable first."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_SETTINGS": str(tmp_path / "s.ini")}
    prelude = f"import sys; sys.modules[{blocked!r}] = None; " if blocked else ""
    code = prelude + "import runpy; runpy.run_path(sys.argv.pop(1), run_name='__main__')"
    return subprocess.run([sys.executable, "-c", "import sys; " + code, str(REPO / "main.py"), *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=timeout)


def _onnx_agrees(onnx_path: Path, net) -> float:
    """The largest |ONNX output − ``net.forward``| on 1,000 random inputs (onnxruntime)."""
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    X = np.random.default_rng(0).uniform(-2, 2, (1000, net.sizes[0])).astype(np.float32)
    (name,) = [i.name for i in session.get_inputs()]
    (out,) = session.run(None, {name: X})
    return float(np.max(np.abs(out - net.forward(X))))


def _check_outputs(session_path: Path, weights_path: Path, onnx_path: Path, epochs: int):
    """The saved session trained ``epochs`` epochs; its weights are the saved weights, and the ONNX
    model computes what they compute."""
    session = load_session(str(session_path))
    net = load_weights(weights_path)
    assert session.epochs_trained == epochs
    for saved, stored in zip(net.weights + net.biases, session.network.weights + session.network.biases):
        assert np.array_equal(saved, stored)
    assert _onnx_agrees(onnx_path, net) <= 1e-5


def test_save_weights_and_export_onnx_after_a_scripted_run(tmp_path):
    out = {name: tmp_path / name for name in ("s.wbsession", "w.npz", "m.onnx")}
    out["m.onnx"].write_bytes(b"an older export")           # replaced, as --export-onnx says
    result = _main(tmp_path, str(SESSIONS / "teacher.wbsession"), "--train-epochs", "3",
                   "--save-session", str(out["s.wbsession"]), "--save-weights", str(out["w.npz"]),
                   "--export-onnx", str(out["m.onnx"]))
    assert result.returncode == 0, result.stderr
    _check_outputs(out["s.wbsession"], out["w.npz"], out["m.onnx"], epochs=3)


def test_save_weights_alone_ends_the_run_and_needs_weights(tmp_path):
    trained = tmp_path / "trained.wbsession"
    assert _main(tmp_path, str(SESSIONS / "xor.wbsession"), "--train-epochs", "2",
                 "--save-session", str(trained)).returncode == 0
    result = _main(tmp_path, str(trained), "--save-weights", str(tmp_path / "w.npz"), "--export-onnx",
                   str(tmp_path / "m.onnx"))
    assert result.returncode == 0, result.stderr
    net = load_weights(tmp_path / "w.npz")
    assert [w.tolist() for w in net.weights] == [w.tolist() for w in load_session(str(trained)).network.weights]
    assert _onnx_agrees(tmp_path / "m.onnx", net) <= 1e-5

    result = _main(tmp_path, str(SESSIONS / "xor.wbsession"), "--save-weights", str(tmp_path / "none.npz"))
    assert result.returncode == 1 and not (tmp_path / "none.npz").exists()
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("workbench:")]
    assert line == ("workbench: there are no weights to save: the session holds none and nothing was trained "
                    "(add --train-epochs N).")


def test_an_output_that_cannot_be_written_is_refused_before_training(tmp_path):
    result = _main(tmp_path, "--session", str(SESSIONS / "xor.wbsession"), "--train-epochs", "2",
                   "--save-weights", str(tmp_path / "no" / "such" / "w.npz"), "--export-onnx", str(tmp_path / "m.onnx"))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("workbench:")]
    assert lines == [f"workbench: --save-weights {tmp_path / 'no' / 'such' / 'w.npz'}: the folder "
                     f"{tmp_path / 'no' / 'such'} does not exist."], result.stderr
    assert not (tmp_path / "m.onnx").exists()      # nothing trained, nothing written


def test_a_scripted_run_writes_no_tensorboard_log_whatever_the_settings_say(tmp_path):
    (tmp_path / "s.ini").write_text(f"[tensorboard]\nenabled=true\nfolder={tmp_path / 'runs'}\n")
    result = _main(tmp_path, "--session", str(SESSIONS / "xor.wbsession"), "--train-epochs", "2",
                   "--save-weights", str(tmp_path / "w.npz"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "w.npz").is_file() and not (tmp_path / "runs").exists()


def test_export_onnx_without_onnx_is_refused_before_any_window(tmp_path):
    result = _main(tmp_path, "--session", str(SESSIONS / "xor.wbsession"), "--train-epochs", "2",
                   "--export-onnx", str(tmp_path / "m.onnx"), blocked="onnx", timeout=60)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("workbench: ") and "pip install" in line and "onnx" in line
    assert not (tmp_path / "m.onnx").exists()


# --- the run-time hook that points numba's cache at the user's cache folder -----------------------

@pytest.mark.parametrize("frozen, user_dir, xdg, expected", [
    (True, None, "/xdg/cache", "/xdg/cache/workbench/numba/workbench-cli"),
    (True, None, "relative/cache", "~/.cache/workbench/numba/workbench-cli"),     # XDG: ignore relative
    (True, None, None, "~/.cache/workbench/numba/workbench-cli"),
    (True, "/mine", "/xdg/cache", "/mine"),                                        # the user's choice wins
    (False, None, "/xdg/cache", None),                                             # only in the bundle
])
def test_the_numba_cache_hook(monkeypatch, frozen, user_dir, xdg, expected):
    import runpy

    if frozen:
        monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/workbench/workbench-cli")
    monkeypatch.setenv("HOME", "/home/someone")
    for name, value in (("NUMBA_CACHE_DIR", user_dir), ("XDG_CACHE_HOME", xdg)):
        monkeypatch.setenv(name, "placeholder")        # restored (or removed again) after the test
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)
    runpy.run_path(str(HOOK))
    expected = expected and expected.replace("~", "/home/someone")
    assert os.environ.get("NUMBA_CACHE_DIR") == expected


# --- the bundle -----------------------------------------------------------------------------------

class Bundle:
    def __init__(self, folder: Path, archive: Path | None, build_output: str | None):
        self.folder, self.archive, self.build_output = folder, archive, build_output
        self.internal = folder / "_internal"
        self.has_numba = (self.internal / "numba").is_dir()

    def run(self, program, *args, tmp_path, timeout=300, **variables):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("PYTHON", "NUMBA_", "WORKBENCH_", "QT_"))}
        env.update(QT_QPA_PLATFORM="offscreen", XDG_CACHE_HOME=str(tmp_path / "cache"),
                   WORKBENCH_SETTINGS=str(tmp_path / "settings.ini"), HOME=str(tmp_path / "home"), **variables)
        return subprocess.run([str(self.folder / program), *map(str, args)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    given = os.environ.get("WORKBENCH_BUNDLE")
    if given:
        folder = Path(given).resolve()
        if not (folder / "workbench").is_file():
            pytest.fail(f"$WORKBENCH_BUNDLE is {given}, which holds no workbench executable")
        archives = sorted(folder.parent.glob("workbench-*.tar.gz"), key=lambda p: p.stat().st_mtime)
        return Bundle(folder, archives[-1] if archives else None, None)
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install -e '.[test]')")
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run(["bash", str(REPO / "packaging" / "build.sh"), "--dist", str(dist)],
                            env={**os.environ, "PYTHON": sys.executable}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    folder = Path(lines[-2].split()[1])
    archive = Path(lines[-1].split()[1])
    assert folder == dist / "workbench" and archive.parent == dist
    return Bundle(folder, archive, result.stdout)


def _bytes_in(folder: Path) -> int:
    """What ``du -sb`` counts: every entry's own size, links not followed."""
    return folder.lstat().st_size + sum(p.lstat().st_size for p in folder.rglob("*"))


def _clean(stderr: str) -> str:
    """stderr without the offscreen platform's one harmless remark."""
    return "\n".join(line for line in stderr.splitlines() if "does not support propagateSizeHints" not in line)


@pytest.mark.slow
def test_the_bundle_keeps_to_its_budget_and_holds_what_it_needs(bundle):
    size = _bytes_in(bundle.folder)
    budget = 450 * MB if bundle.has_numba else 250 * MB
    assert size <= budget, f"the bundle is {size / MB:.1f} MB, over {budget / MB:.0f} MB"
    if bundle.build_output is not None:           # build.sh prints both figures
        printed = re.findall(r"(\d+\.\d) MB \(budget", bundle.build_output)
        assert len(printed) == 2 and abs(float(printed[0]) - size / MB) < 0.2, bundle.build_output
        assert abs(float(printed[1]) - bundle.archive.stat().st_size / MB) < 0.2
    if bundle.archive is not None:
        assert bundle.archive.stat().st_size < 180 * MB
        with tarfile.open(bundle.archive) as tar:
            members = {m.name: m for m in tar.getmembers()}
        for name in ("workbench/workbench", "workbench/workbench-cli", "workbench/install-desktop.sh"):
            assert members[name].isfile() and members[name].mode & 0o111, name

    files = [p.relative_to(bundle.internal).as_posix() for p in bundle.internal.rglob("*")]
    left_out = re.compile(r"Qt6(Qml|Quick|WebEngine|Designer|Test)|Qt/translations|libqgtk3|libgtk-3|"
                          r"(^|/)(torch|onnxruntime|tensorboard|matplotlib|tkinter|PIL|scipy)(/|$)|_tkinter")
    assert [f for f in files if left_out.search(f)] == []
    resources = bundle.internal / "workbench" / "resources"
    for needed in ("icons/app.svg", "presets/xor-2-2-1.json", "sessions/teacher.wbsession", "labs/mccaffrey.wbsession"):
        assert (resources / needed).is_file(), needed
    assert (bundle.internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so").is_file()
    assert (bundle.internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqwayland.so").is_file()
    assert [p for p in bundle.folder.rglob("*") if p.is_symlink() and not p.exists()] == []
    if bundle.has_numba:                          # numba's cache locator needs the source file
        assert (bundle.internal / "workbench" / "core" / "kernel.py").is_file()
    for path in (REPO / "packaging" / "linux" / "share").rglob("*"):
        if path.is_file():
            copy = bundle.folder / "share" / path.relative_to(REPO / "packaging" / "linux" / "share")
            assert copy.read_bytes() == path.read_bytes(), copy


@pytest.mark.slow
def test_the_bundled_window_trains_a_bundled_session_and_writes_its_outputs(bundle, tmp_path):
    session = bundle.internal / "workbench" / "resources" / "sessions" / "teacher.wbsession"
    out = {name: tmp_path / name for name in ("trained.wbsession", "trained.npz", "trained.onnx")}
    result = bundle.run("workbench", session, "--train-epochs", "4", "--save-session", out["trained.wbsession"],
                        "--save-weights", out["trained.npz"], "--export-onnx", out["trained.onnx"], tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not BROKEN.search(_clean(result.stderr)), result.stderr
    _check_outputs(out["trained.wbsession"], out["trained.npz"], out["trained.onnx"], epochs=4)

    again = tmp_path / "again.onnx"         # the command line's export of the same weights
    result = bundle.run("workbench-cli", "export", "--weights", out["trained.npz"], "--format", "onnx",
                        "--out", again, tmp_path=tmp_path)
    assert result.returncode == 0 and not BROKEN.search(result.stderr), result.stderr
    assert _onnx_agrees(again, load_weights(out["trained.npz"])) <= 1e-5


@pytest.mark.slow
def test_the_bundled_cli_trains_xor_with_the_compiled_kernel_cached_in_the_users_folder(bundle, tmp_path):
    if not bundle.has_numba:
        pytest.skip("this bundle was built without numba (--no-numba)")
    train = ["train", "--data", "xor", "--layers", "2,2,1", "--lr", "3", "--batch-size", "1", "--epochs", "300"]
    variables = dict(WORKBENCH_ENGINE="compiled", NUMBA_DEBUG_CACHE="1")
    cache = tmp_path / "cache" / "workbench" / "numba" / "workbench-cli"

    first = bundle.run("workbench-cli", *train, tmp_path=tmp_path, **variables)
    assert first.returncode == 0, first.stderr
    assert not BROKEN.search(first.stderr), first.stderr
    assert re.search(r"Epoch 300/300 · train cost [\d.]+ · accuracy 100\.00%", first.stdout), first.stdout
    assert f"data saved to '{cache}" in first.stdout
    cached = sorted(p.name for p in cache.rglob("*.nb[ic]"))
    assert any(name.startswith("kernel.run_batches") and name.endswith(".nbc") for name in cached), cached
    assert [p for p in bundle.folder.rglob("*") if p.suffix in (".nbi", ".nbc") or p.name == "__pycache__"] == []

    runs, weights = tmp_path / "runs", tmp_path / "xor.npz"    # the second run also logs for TensorBoard
    second = bundle.run("workbench-cli", *train, "--tensorboard", runs, "--save", weights, tmp_path=tmp_path,
                        **variables)
    assert second.returncode == 0, second.stderr
    assert not BROKEN.search(second.stderr), second.stderr
    assert re.search(r"Epoch 300/300 · train cost [\d.]+ · accuracy 100\.00%", second.stdout), second.stdout
    assert f"data loaded from '{cache}" in second.stdout and "data saved" not in second.stdout, second.stdout
    from tests.exports.test_tensorboard import read_events, scalars

    (log,) = runs.iterdir()
    assert [step for step, _ in scalars(read_events(log))["cost/train"]][-1] == 300

    handover = tmp_path / "xor-pytorch"                        # and the PyTorch hand-over, written by numpy alone
    result = bundle.run("workbench-cli", "export", "--weights", weights, "--format", "pytorch", "--out", handover,
                        tmp_path=tmp_path)
    assert result.returncode == 0 and not BROKEN.search(result.stderr), result.stderr
    assert sorted(p.name for p in handover.iterdir()) == ["README.md", "model.py", "model.safetensors", "train.py"]
