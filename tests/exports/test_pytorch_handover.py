"""The PyTorch hand-over folder: the safetensors file read back by hand, model.py loaded by torch
(outputs on 1,000 inputs), one optimiser step against our engine's, and train.py under torchrun."""

import importlib.util
import json
import os
import struct
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from tests.exports.networks import RECIPES, inputs, network, recipe_id, targets
from workbench.core import Network, train
from workbench.core.training import Hyperparameters
from workbench.exports import ExportError, TargetExists, Training, export_network
from workbench.exports.pytorch_handover import FILES

REPO = Path(__file__).resolve().parents[2]


def _torch():
    return pytest.importorskip("torch")


def _load_module(folder: Path):
    """model.py of ``folder`` as a fresh module (each test's folder is its own module)."""
    spec = importlib.util.spec_from_file_location(f"handover_{uuid.uuid4().hex}", folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_safetensors(path: Path) -> tuple[dict, dict]:
    """(header, name -> numpy array) read by the format's rules, independently of model.py."""
    blob = path.read_bytes()
    (length,) = struct.unpack("<Q", blob[:8])
    assert length % 8 == 0                          # the data starts 8-byte aligned
    header = json.loads(blob[8:8 + length])
    data = blob[8 + length:]
    arrays, end = {}, 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, stop = entry["data_offsets"]
        assert start == end                        # back to back, no holes
        end = stop
        dtype = {"F32": "<f4", "F64": "<f8"}[entry["dtype"]]
        arrays[name] = np.frombuffer(data[start:stop], dtype=dtype).reshape(entry["shape"])
    assert end == len(data)
    return header, arrays


def test_the_folder_holds_safetensors_named_as_sequential_names_them(tmp_path):
    net = network(([4, 6, 5, 3], ["relu", "leaky-relu", "softmax"], "log-likelihood"), "float64")
    written = export_network(net, "pytorch", tmp_path / "out")
    assert written == [str(tmp_path / "out" / name) for name in FILES]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)
    header, arrays = _read_safetensors(tmp_path / "out" / "model.safetensors")
    assert list(arrays) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    for k in range(3):
        assert np.array_equal(arrays[f"{2 * k}.weight"], net.weights[k].T)      # (out, in)
        assert np.array_equal(arrays[f"{2 * k}.bias"], net.biases[k])
        assert header[f"{2 * k}.weight"]["dtype"] == "F64"
    assert json.loads(header["__metadata__"]["workbench.architecture"]) == net.architecture()
    assert header["__metadata__"]["format"] == "pt"


def test_the_folder_is_written_without_torch(tmp_path):
    script = f"""
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'onnx', 'safetensors'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import numpy as np
from workbench.core import Network
from workbench.exports import export_network
net = Network.create([2, 3, 1], ['tanh', 'sigmoid'], 'cross-entropy', rng=np.random.default_rng(0))
print(len(export_network(net, 'pytorch', {str(tmp_path / 'h')!r})))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("recipe", RECIPES, ids=recipe_id)
def test_model_py_gives_our_outputs(recipe, dtype, tmp_path):
    torch = _torch()
    net = network(recipe, dtype)
    export_network(net, "pytorch", tmp_path / "h")
    handover = _load_module(tmp_path / "h")
    model = handover.load()
    X = inputs(net, 1000)
    outputs = handover.predict(model, torch.from_numpy(X)).numpy()
    assert outputs.dtype == np.dtype(dtype)
    assert np.max(np.abs(outputs - net.forward(X))) <= 1e-5
    assert [type(m).__name__ for m in model][::2] == ["Linear"] * net.n_layers


def _our_steps(net: Network, X, Y, hp: Hyperparameters) -> Network:
    """``net`` after ``hp.epochs`` full-batch steps of our numpy engine on (X, Y)."""
    trained = net.copy()
    for _ in train(trained, X, Y, hp, np.random.default_rng(0), evaluate_initial=False, engine="numpy"):
        pass
    return trained


def _their_steps(folder: Path, X, Y, steps: int):
    torch = _torch()
    handover = _load_module(folder)
    model = handover.load()
    loss_fn, optimizer = handover.loss_function(), handover.optimizer(model)
    x, y = torch.from_numpy(X), torch.from_numpy(Y)
    costs = [handover.train_step(model, loss_fn, optimizer, x, y) for _ in range(steps)]
    return model, costs


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("recipe", RECIPES, ids=recipe_id)
def test_pytorch_steps_equal_ours(recipe, optimizer, tmp_path):
    """Three full-batch steps (so momentum's buffer counts) with L2 and per-layer multipliers."""
    net = network(recipe, "float64")
    X = inputs(net, 64)
    Y = targets(net, 64)
    layer_lr = [1.5 - 0.5 * k / net.n_layers for k in range(net.n_layers)]
    hp = Hyperparameters(optimizer=optimizer, lr=0.1, momentum=0.8, batch_size="full", epochs=3, l2=3.0,
                         layer_lr=layer_lr)
    export_network(net, "pytorch", tmp_path / "h", training=Training(hp, len(X)))
    model, costs = _their_steps(tmp_path / "h", X, Y, 3)
    ours = _our_steps(net, X, Y, hp)
    assert costs[0] == pytest.approx(net.evaluate(X, Y)[0], rel=1e-12)
    theirs = [p.detach().numpy() for p in model.parameters()]
    for k in range(net.n_layers):
        moved = np.max(np.abs(ours.weights[k] - net.weights[k]))
        assert moved > 1e-3                                          # the steps did something
        assert np.max(np.abs(theirs[2 * k] - ours.weights[k].T)) <= 1e-12 * max(1.0, moved) + 1e-13
        assert np.max(np.abs(theirs[2 * k + 1] - ours.biases[k])) <= 1e-12


def test_a_float32_step_agrees_to_float32_rounding(tmp_path):
    net = network(([4, 6, 3], ["tanh", "softmax"], "log-likelihood"), "float32")
    X, Y = inputs(net, 100), targets(net, 100)
    hp = Hyperparameters(optimizer="nesterov", lr=0.5, momentum=0.9, batch_size="full", epochs=2, l2=5.0)
    export_network(net, "pytorch", tmp_path / "h", training=Training(hp, len(X)))
    model, _ = _their_steps(tmp_path / "h", X, Y, 2)
    ours = _our_steps(net, X, Y, hp)
    theirs = [p.detach().numpy() for p in model.parameters()]
    assert np.max(np.abs(theirs[0] - ours.weights[0].T)) <= 1e-5
    assert np.max(np.abs(theirs[3] - ours.biases[1])) <= 1e-5


def test_without_training_settings_model_py_says_they_are_defaults(tmp_path):
    net = network(RECIPES[0])
    export_network(net, "pytorch", tmp_path / "h")
    source = (tmp_path / "h" / "model.py").read_text(encoding="utf-8")
    assert "Workbench's defaults" in source and "OPTIMIZER = 'sgd'" in source and "N_TRAIN = None" in source
    assert "Workbench's defaults (SGD, η = 0.5, no L2)" in (tmp_path / "h" / "README.md").read_text(encoding="utf-8")


def test_l2_without_a_training_set_size_is_refused_by_model_py(tmp_path):
    torch = _torch()
    net = network(RECIPES[0])
    export_network(net, "pytorch", tmp_path / "h", training=Training(Hyperparameters(l2=1.0), 10))
    handover = _load_module(tmp_path / "h")
    assert handover.optimizer(handover.load()).param_groups[0]["weight_decay"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="n_train"):
        handover.optimizer(handover.load(), n_train=None)
    assert isinstance(handover.load()[0].weight, torch.nn.Parameter)


def test_bad_training_settings_are_refused_before_anything_is_written(tmp_path):
    net = network(RECIPES[0])
    with pytest.raises(ExportError, match="learning-rate multiplier per layer"):
        export_network(net, "pytorch", tmp_path / "h", training=Training(Hyperparameters(layer_lr=[1.0]), 10))
    with pytest.raises(ExportError, match="training items"):
        export_network(net, "pytorch", tmp_path / "h", training=Training(Hyperparameters(), 0))
    assert not (tmp_path / "h").exists()


def test_the_folder_asks_for_force_and_leaves_other_files_alone(tmp_path):
    folder = tmp_path / "h"
    folder.mkdir()
    export_network(network(RECIPES[0]), "pytorch", folder)          # an empty folder is filled
    (folder / "notes.txt").write_text("mine")
    (folder / "model.py").chmod(0o600)
    second = network(RECIPES[1])
    with pytest.raises(TargetExists, match="already exists and is not empty"):
        export_network(second, "pytorch", folder)
    assert "tanh" not in (folder / "model.py").read_text(encoding="utf-8")
    export_network(second, "pytorch", folder, force=True)
    assert "nn.Tanh()" in (folder / "model.py").read_text(encoding="utf-8")
    assert (folder / "notes.txt").read_text() == "mine"
    assert (folder / "model.py").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, "notes.txt"])   # no staging left


def test_a_killed_exports_staging_folder_neither_blocks_nor_stays(tmp_path):
    import os
    import time

    folder = tmp_path / "h"
    folder.mkdir()
    fresh, stale = folder / ".wb-export-0badc0de", folder / ".wb-export-deadbeef"
    for staging in (fresh, stale):
        staging.mkdir()
        (staging / "model.py").write_text("half")
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    export_network(network(RECIPES[0]), "pytorch", folder)        # still "empty": no --force needed
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, fresh.name])   # the stale one is gone


def test_a_file_where_the_folder_should_be_is_refused(tmp_path):
    (tmp_path / "h").write_text("x")
    with pytest.raises(ExportError, match="is a file; the PyTorch hand-over is a folder"):
        export_network(network(RECIPES[0]), "pytorch", tmp_path / "h", force=True)
    with pytest.raises(ExportError, match="does not exist"):
        export_network(network(RECIPES[0]), "pytorch", tmp_path / "missing" / "h")


def test_a_failed_write_leaves_no_half_folder(tmp_path, monkeypatch):
    import workbench.exports.targets as targets

    calls = []

    def failing(path, write, mode="wb"):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        from workbench.core.atomic import atomic_write
        atomic_write(path, write, mode)

    monkeypatch.setattr(targets, "atomic_write", failing)
    with pytest.raises(OSError, match="No space left on device") as caught:
        export_network(network(RECIPES[0]), "pytorch", tmp_path / "h")
    assert caught.value.filename == str(tmp_path / "h")
    assert str(caught.value) == "No space left on device"      # a SaveError: "Cannot write PATH: CAUSE"
    assert list(tmp_path.iterdir()) == []
    folder = tmp_path / "g"
    export_network(network(RECIPES[0]), "pytorch", folder)
    before = {name: (folder / name).read_bytes() for name in FILES}
    calls.clear()
    with pytest.raises(OSError):
        export_network(network(RECIPES[1]), "pytorch", folder, force=True)
    assert {name: (folder / name).read_bytes() for name in FILES} == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)


def _data_file(net: Network, path: Path, n: int = 200) -> Path:
    np.savez(path, X=inputs(net, n), Y=targets(net, n))
    return path


def test_train_py_continues_training_in_one_process(tmp_path):
    _torch()
    net = network(([4, 6, 3], ["tanh", "softmax"], "log-likelihood"))
    hp = Hyperparameters(optimizer="momentum", lr=0.05, momentum=0.5, batch_size=20, epochs=3, l2=1.0)
    export_network(net, "pytorch", tmp_path / "h", training=Training(hp, 200))
    data = _data_file(net, tmp_path / "data.npz")
    result = subprocess.run([sys.executable, str(tmp_path / "h" / "train.py"), str(data), "--out",
                             str(tmp_path / "t.pt")], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    costs = [float(line.split()[-1]) for line in result.stdout.splitlines() if line.startswith("epoch")]
    assert len(costs) == 3 and costs[-1] < costs[0]
    assert (tmp_path / "t.pt").exists()


def test_train_py_runs_distributed_under_torchrun(tmp_path):
    _torch()
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this Python")
    net = network(([4, 6, 3], ["tanh", "softmax"], "log-likelihood"))
    export_network(net, "pytorch", tmp_path / "h",
                   training=Training(Hyperparameters(lr=0.05, batch_size=10, epochs=2), 200))
    data = _data_file(net, tmp_path / "data.npz")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([str(torchrun), "--standalone", "--nproc-per-node", "2", str(tmp_path / "h" / "train.py"),
                             str(data), "--out", str(tmp_path / "ddp.pt")],
                            capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env)
    assert result.returncode == 0, "\n".join(line for line in result.stderr.splitlines()
                                             if "Traceback" not in line and "File " not in line)[:4000]
    assert result.stdout.count("epoch ") == 2, result.stdout     # rank 0 alone reports
    torch = _torch()
    trained = torch.load(tmp_path / "ddp.pt")
    assert sorted(trained) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert not np.allclose(trained["0.weight"].numpy(), net.weights[0].T)


def _python_blocks(markdown: str) -> list[str]:
    blocks, inside = [], None
    for line in markdown.splitlines():
        if inside is None and line.strip() == "```python":
            inside = []
        elif inside is not None and line.strip() == "```":
            blocks.append("\n".join(inside))
            inside = None
        elif inside is not None:
            inside.append(line)
    return blocks


def test_the_folders_readme_code_runs(tmp_path):
    _torch()
    net = network(([4, 6, 3], ["tanh", "softmax"], "log-likelihood"))
    hp = Hyperparameters(optimizer="nesterov", lr=0.05, momentum=0.5, batch_size=16, epochs=2, l2=1.0)
    export_network(net, "pytorch", tmp_path / "h", training=Training(hp, 100))
    blocks = _python_blocks((tmp_path / "h" / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) == 2
    np.savez(tmp_path / "data.npz", X=inputs(net, 100), Y=targets(net, 100))
    script = "\n".join([
        "import numpy as np, torch",
        blocks[0],
        "assert outputs.shape == (5, 3)",
        "with np.load('../data.npz') as d:",
        "    X, Y = torch.from_numpy(d['X']), torch.from_numpy(d['Y'])",
        "before = model.loss_function()(model.trainable(net)(X), Y).item()",
        blocks[1],
        "after = model.loss_function()(model.trainable(net)(X), Y).item()",
        "print(before, after)",
    ])
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path / "h")
    assert result.returncode == 0, result.stderr
    before, after = map(float, result.stdout.split())
    assert after < before
    assert (tmp_path / "h" / "trained.pt").exists()
