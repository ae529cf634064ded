"""The text of the PyTorch hand-over's files: model.py (with one loss module where PyTorch has
none that matches Workbench's cost), train.py and README.md, filled in by ``pytorch_handover``."""

SETTINGS_NOTE = {
    "training": "# How Workbench trained it (the run's settings); optimizer() reads them.",
    "defaults": "# Workbench's defaults: the network came without its training settings (a weight file\n"
                "# does not hold them; export from a session or the window to carry them over).",
}

LOSS_DOCS = {
    ("quadratic", "any"): "the quadratic cost ½‖a − y‖² of each sample, averaged over the batch",
    ("cross-entropy", "sigmoid"): "the cross-entropy −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)] of each sample "
                                  "(a = σ(z)), averaged over the batch",
    ("cross-entropy", "softmax"): "the cross-entropy −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)] of each sample "
                                  "(a = softmax(z)), averaged over the batch",
    ("log-likelihood", "softmax"): "the log-likelihood −Σⱼ yⱼ ln aⱼ of each sample (a = softmax(z)), "
                                   "averaged over the batch",
    ("log-likelihood", "sigmoid"): "the log-likelihood −Σⱼ yⱼ ln aⱼ of each sample (a = σ(z)), averaged "
                                   "over the batch",
}

QUADRATIC = '''

class QuadraticCost(nn.Module):
    """½‖a − y‖² per sample, averaged over the batch: n_out/2 times PyTorch's MSELoss(), which
    averages over the outputs as well."""

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return 0.5 * nn.functional.mse_loss(outputs, targets, reduction="sum") / len(outputs)
'''

BINARY_CROSS_ENTROPY = '''

class BinaryCrossEntropy(nn.Module):
    """BCEWithLogitsLoss summed over the outputs and averaged over the batch (PyTorch's default
    averages over the outputs as well)."""

    def __init__(self):
        super().__init__()
        self.bce = nn.BCEWithLogitsLoss(reduction="sum")

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.bce(logits, targets) / len(logits)
'''

SIGMOID_LOG_LIKELIHOOD = '''

class SigmoidLogLikelihood(nn.Module):
    """−Σⱼ yⱼ ln σ(zⱼ) = Σⱼ yⱼ softplus(−zⱼ) per sample, averaged over the batch."""

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return (targets * nn.functional.softplus(-logits)).sum() / len(logits)
'''

SOFTMAX_CROSS_ENTROPY = '''

class SoftmaxCrossEntropy(nn.Module):
    """−Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)] per sample with a = softmax(z), averaged over the batch
    (PyTorch has no such loss; 1 − a is kept above the dtype's epsilon, as in Workbench)."""

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_a = torch.log_softmax(logits, dim=-1)
        ceiling = 1 - torch.finfo(logits.dtype).eps
        log_1m_a = torch.log1p(-log_a.exp().clamp(max=ceiling))
        return -(targets * log_a + (1 - targets) * log_1m_a).sum() / len(logits)
'''

MODEL_TEMPLATE = '''"""{title}

Weights: model.safetensors, {dtype_name}, named as this nn.Sequential's state_dict ("0.weight" is
the first Linear's (out, in) matrix). Inputs are rows: x is (batch, {n_in}), outputs (batch, {n_out}).

    import model
    net = model.load()                                  # the weights Workbench exported
    outputs = model.predict(net, x)                     # x: torch.{dtype_name} tensor (batch, {n_in})

    loss_fn, optimizer = model.loss_function(), model.optimizer(net)
    cost = model.train_step(net, loss_fn, optimizer, x, y)   # y: (batch, {n_out}) targets

README.md says more; train.py trains on one machine or many (torchrun, DistributedDataParallel).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "model.safetensors"
DTYPE = {torch_dtype}
SIZES = {sizes}
ACTIVATIONS = {activations}
COST = {cost}
#: Whether the loss applies the output activation itself, taking the last Linear's output (logits).
LOSS_TAKES_LOGITS = {logits}

{settings_note}
OPTIMIZER = {optimizer}  # sgd, momentum or nesterov
LEARNING_RATE = {lr}  # η
MOMENTUM = {momentum}  # α, used by momentum and nesterov
L2 = {l2}  # λ: each step decays the weights (not the biases) by η·λ/n
N_TRAIN = {n_train}  # n, the number of training items λ is divided by
LAYER_LR = {layer_lr}  # the learning-rate multiplier of each Linear, first first
BATCH_SIZE = {batch_size}
EPOCHS = {epochs}


def build() -> nn.Sequential:
    """The network with PyTorch's own initial weights (``load`` puts Workbench's in)."""
    return nn.Sequential(
{layers}
    ).to(DTYPE)


def read_safetensors(path) -> dict[str, torch.Tensor]:
    """The tensors of a .safetensors file, read by the safetensors package where it is installed,
    else here: an 8-byte little-endian header length, a JSON header, then the little-endian data."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        pass
    else:
        return load_file(str(path))
    dtypes = {{"F32": torch.float32, "F64": torch.float64}}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {{}}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def load(path=WEIGHTS, device="cpu") -> nn.Sequential:
    """The network with the weights of ``path`` (Workbench's by default), on ``device``."""
    model = build()
    model.load_state_dict(read_safetensors(path))
    return model.to(device)


def predict(model: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """The outputs (batch, {n_out}) for inputs x (batch, {n_in}), output activation applied, on the
    model's device."""
    with torch.no_grad():
        return model(x.to(device=next(model.parameters()).device, dtype=DTYPE))


def trainable(model: nn.Sequential) -> nn.Module:
    """What the loss takes: the model without its output activation where the loss applies it
    (the same parameters). Train, or wrap in DistributedDataParallel, this part."""
    return model[:-1] if LOSS_TAKES_LOGITS else model
{loss_class}

def loss_function() -> nn.Module:
    """Workbench's {cost_name} cost:
    {loss_doc}."""
    return {loss}


def optimizer(model: nn.Sequential, lr: float = LEARNING_RATE, n_train: int | None = N_TRAIN) -> torch.optim.SGD:
    """Workbench's optimizer as torch.optim.SGD: one step equals one of Workbench's on the same batch.

    L2 decays the weights only (PyTorch's weight_decay = λ/n on one parameter group, 0 on the biases'),
    and each Linear's learning rate is lr times its LAYER_LR multiplier.
    """
    if L2 and not n_train:
        raise ValueError("L2 is divided by the number of training items: pass n_train=len(training_set).")
    decay = L2 / n_train if L2 else 0.0
    linears = [module for module in model if isinstance(module, nn.Linear)]
    groups = []
    for linear, multiplier in zip(linears, LAYER_LR):
        groups.append({{"params": [linear.weight], "lr": lr * multiplier, "weight_decay": decay}})
        groups.append({{"params": [linear.bias], "lr": lr * multiplier, "weight_decay": 0.0}})
    momentum = MOMENTUM if OPTIMIZER in ("momentum", "nesterov") else 0.0
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=OPTIMIZER == "nesterov" and momentum > 0)


def train_step(model: nn.Sequential, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
               x: torch.Tensor, y: torch.Tensor) -> float:
    """One step on the batch (x, y); returns the batch's cost before the step."""
    optimizer.zero_grad()
    loss = loss_fn(trainable(model)(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
'''

TRAIN_SOURCE = '''"""Continue training the handed-over network, in one process or in many with torchrun.

    python train.py data.npz --epochs 5
    torchrun --standalone --nproc-per-node 4 train.py data.npz
    torchrun --nnodes 2 --nproc-per-node 4 --rdzv-backend c10d --rdzv-endpoint HOST:29500 train.py data.npz

data.npz holds X (n, n_in) and Y (n, n_out) as numpy arrays: np.savez("data.npz", X=X, Y=Y).
Under torchrun every process trains a DistributedDataParallel copy on its share of each epoch
(DistributedSampler); the gradients are averaged, so each step is one of --batch-size items per
process. Rank 0 prints each epoch's cost on its share and saves the weights (--out, a state_dict
for torch.save / model.load_state_dict).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
import model as handover  # noqa: E402  (model.py beside this file)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help=".npz file with X (n, n_in) and Y (n, n_out)")
    parser.add_argument("--epochs", type=int, default=handover.EPOCHS)
    parser.add_argument("--batch-size", type=int, default=handover.BATCH_SIZE,
                        help="items per step and process (default: Workbench's; the whole share if none)")
    parser.add_argument("--lr", type=float, default=handover.LEARNING_RATE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="trained.pt", help="where rank 0 saves the state_dict")
    args = parser.parse_args(argv)

    distributed = "WORLD_SIZE" in os.environ          # set by torchrun
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
        rank, local_rank = dist.get_rank(), int(os.environ.get("LOCAL_RANK", 0))
    else:
        rank, local_rank = 0, 0
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed)

    with np.load(args.data) as data:
        X = torch.from_numpy(np.asarray(data["X"])).to(handover.DTYPE)
        Y = torch.from_numpy(np.asarray(data["Y"])).to(handover.DTYPE)
    items = TensorDataset(X, Y)
    sampler = DistributedSampler(items, shuffle=True, seed=args.seed) if distributed else None
    share = len(sampler) if sampler is not None else len(items)
    loader = DataLoader(items, batch_size=args.batch_size or share, shuffle=sampler is None, sampler=sampler)

    net = handover.load(device=device)
    part = handover.trainable(net)
    wrapped = DistributedDataParallel(part, device_ids=[local_rank] if cuda else None) if distributed else part
    optimizer = handover.optimizer(net, lr=args.lr, n_train=len(items))
    loss_fn = handover.loss_function()
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        total, count = 0.0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(wrapped(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            count += len(x)
        if rank == 0:
            print(f"epoch {epoch + 1}: cost {total / count:.6g}", flush=True)
    if rank == 0:
        torch.save(net.state_dict(), args.out)
        print(f"saved {args.out}", flush=True)
    if distributed:
        # DDP holds the process group: drop it first, so that destroying the group ends gloo's
        # threads now and not while the interpreter shuts down (which aborts the process).
        del wrapped
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


README_TEMPLATE = """# {title}, for PyTorch

Handed over by Workbench. Nothing here needs Workbench; it needs PyTorch (and numpy for train.py).

| file | what |
|---|---|
| `model.safetensors` | the weights ({dtype}), named as `nn.Sequential`'s state_dict: `0.weight` (out, in), `0.bias`, `2.weight`, … |
| `model.py` | `build()`, `load()`, `predict()`, `trainable()`, `loss_function()`, `optimizer()`, `train_step()` |
| `train.py` | continues training on one machine or many (`torchrun`, `DistributedDataParallel`) |

`load()` reads the weights with the `safetensors` package where it is installed, else with a
reader of its own (json, struct and torch only).

## Predict

```python
import torch
import model                      # run from this folder, or put it on sys.path

net = model.load()                # nn.Sequential with Workbench's weights; model.load(device="cuda")
x = torch.rand(5, {n_in}, dtype=model.DTYPE)
outputs = model.predict(net, x)   # (5, {n_out}), the output activation applied
```

Inputs are rows, scaled as Workbench scaled them: MNIST pixels in [0, 1]; CSV columns as in the
file, or, where the data spec said `standardize`, with the training split's mean and standard
deviation taken out.

## Continue training

- **Loss**: `model.loss_function()` is `{loss}`, Workbench's {cost} cost with its
  normalisation (each sample's cost summed over the outputs, averaged over the batch).
- **What it takes**: {head}; train `model.trainable(net)`, which shares its parameters with `net`.
- **Optimizer**: `model.optimizer(net)` is Workbench's optimizer as `torch.optim.SGD` (L2 as
  `weight_decay = λ/n` on the weights only, momentum and Nesterov as PyTorch's, per-layer
  multipliers as parameter groups): one step equals one of Workbench's on the same batch.
- **Settings**: {settings}

```python
loss_fn = model.loss_function()
optimizer = model.optimizer(net, n_train=len(X))      # X: (n, {n_in}), Y: (n, {n_out}) tensors
for epoch in range(model.EPOCHS):
    for batch in torch.randperm(len(X)).split(model.BATCH_SIZE or len(X)):
        cost = model.train_step(net, loss_fn, optimizer, X[batch], Y[batch])
torch.save(net.state_dict(), "trained.pt")            # later: net.load_state_dict(torch.load("trained.pt"))
```

Targets are what Workbench trains on: one-hot rows for classes, the values for regression.

## Many machines: DistributedDataParallel

Put the training data in an .npz (`np.savez("data.npz", X=X, Y=Y)`, X (n, {n_in}), Y (n, {n_out})), copy
this folder and the data to every machine and start `train.py` with `torchrun`:

```sh
python train.py data.npz --epochs 5                               # one process
torchrun --standalone --nproc-per-node 4 train.py data.npz        # 4 processes (GPUs) on this machine
torchrun --nnodes 2 --nproc-per-node 4 --rdzv-backend c10d \\
    --rdzv-endpoint HOST:29500 train.py data.npz                  # the same command on each of 2 machines
```

Each process wraps `model.trainable(net)` in `DistributedDataParallel` (NCCL on GPUs, gloo on
CPUs), reads its share of every epoch through a `DistributedSampler` and steps with
`--batch-size` items (Workbench's batch size by default); DDP averages the gradients, so a step
sees batch size × processes items (scale `--lr` if you want the single-machine behaviour). Rank 0
prints the cost and saves the state_dict (`--out`, default `trained.pt`).
"""
