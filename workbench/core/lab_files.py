"""The lab files of resources/labs that reproduce the classic experiments, written by code (no Qt).

``lab_documents()`` returns {name: document} for every lab (those below, and the ones whose documents
``core.demofox`` and ``core.universality`` build); ``write_labs(folder)``
writes them (atomically, as JSON with one space of indent and a final newline); the test suite
checks that the committed files are exactly what this code writes, so a lab is never edited by hand.
Run ``python -m workbench.core.lab_files`` to rewrite them after a change here.

The labs (see each function's docstring for its sources):

* ``vanishing-gradient-2`` / ``-3`` / ``-4``: Nielsen, chapter 5 (fig/generate_gradient.py of his
  repository): [784, 30, …, 30, 10] sigmoid networks with the cross-entropy cost, the first 1,000
  MNIST training images, full-batch gradient descent with η = 0.1 and λ = 5.0 for 500 epochs,
  weights N(0, 1/n_in) and biases N(0, 1).  The book prints the initial learning speed ‖δˡ‖ of each
  hidden layer (the length of ∂C/∂bˡ averaged over the 1,000 images at the initial weights).
* ``vanishing-gradient-relu`` / ``vanishing-gradient-layer-lr``: the four-hidden-layer network with
  two remedies: ReLU hidden layers (He initialisation), and learning-rate multipliers that grow
  toward the input (without L2, which the multipliers would scale too).
* ``exploding-gradient``: Nielsen's chain of one neuron per layer, every weight 100 and every bias
  chosen so that each weighted input is 0 for the lab's one input; ∂C/∂b grows 25-fold a layer
  toward the input.
* ``mccaffrey``: 4-(10,10,10)-3 tanh/softmax on the teacher data, online, η = 0.001, α = 0.01, its
  start (small uniform weights) stored, following one input-layer weight's gradient as it vanishes.
* ``playground-circle`` / ``-spiral`` / ``-xor``: TensorFlow Playground's default 2-4-2-1 tanh
  network (its state.ts: η = 0.03, batch 10, no regularisation, 500 points, half for training).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .network import Network
from .serialization import weights_json, weights_to_bytes
from .sessionfile import FORMAT, SUFFIX

__all__ = ["NIELSEN_SPEEDS", "SPEED_SPREAD", "exploding_network", "lab_documents", "lab_text",
           "write_labs"]

NIELSEN = "Nielsen, chapter 5"
PLAYGROUND = "TensorFlow Playground"
MCCAFFREY = "McCaffrey"
NIELSEN_SOURCE = ("Nielsen, Neural Networks and Deep Learning, chapter 5 (\"The vanishing gradient "
                  "problem\")")
#: The initial learning speeds ‖δˡ‖ of the hidden layers (input side first) that the book prints.
NIELSEN_SPEEDS = {2: [0.07, 0.31], 3: [0.012, 0.060, 0.283], 4: [0.003, 0.017, 0.070, 0.285]}
#: The spread of ‖δˡ‖ from one random initialisation to the next, as a factor of the median:
#: measured over 50 seeds of each network (float64, the same 1,000 images), every layer's
#: values fell within 0.5–2.0 times its median (most within 0.65–1.5; one seed of the
#: three-layer net reached 3.0 in its first layer).  The book's figures come from one
#: initialisation, so a measured speed within this factor of the book's agrees with it.
SPEED_SPREAD = [0.5, 2.0]
#: The session format version the labs are written in: they use only its fields, and every later
#: Workbench reads it, so a newer session format does not rewrite them.
LAB_VERSION = 1
EXPLODING_WEIGHT = 100.0
EXPLODING_INPUT = 1.0


def _doc(name: str, title: str, group: str, order: int, text: str, *, sizes, activations, cost,
         data: str, hp: dict, views: dict, watch=(), network: Network | None = None,
         points: dict | None = None, reference: dict | None = None) -> tuple[str, dict]:
    """(``name``, the lab's session document with its "lab" object)."""
    hyper = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.0, "batch_size": 10, "epochs": 30, "l2": 0.0,
             "layer_lr": None, "init": "scaled-normal", "bias_init": "normal", "seed": 0,
             "dtype": "float32", "resolution": "batch"}
    hyper.update(hp)
    weights = None
    if network is not None:
        weights = weights_json(weights_to_bytes(network))
    lab = {"title": title, "group": group, "order": order, "text": text}
    if reference:
        lab["reference"] = reference
    return name, {"format": FORMAT, "version": LAB_VERSION, "name": title,
            "architecture": {"sizes": list(sizes), "activations": list(activations), "cost": cost},
            "hyperparameters": hyper, "data": data, "history": None, "epochs_trained": 0,
            "steps_trained": 0, "watch": [list(w) for w in watch], "weights": weights,
            "views": views, "points": points, "lab": lab}


def _speed_views() -> dict:
    """The curves view in front (its learning-speed plot is on a log axis), the notes beside it."""
    return {"front": "curves", "open": ["diagram", "lab-notes"],
            "settings": {"curves": {"smoothing_batch": 0.0, "smoothing_epoch": 0.0, "show_raw": True,
                                    "log_cost": True}}}


NIELSEN_HP = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.0, "batch_size": "full", "epochs": 500,
              "l2": 5.0, "init": "scaled-normal", "bias_init": "normal", "seed": 0, "resolution": "epoch"}
MNIST_1000 = "mnist:train=1000,validation=0,test=0"


def _vanishing(hidden: int) -> tuple[str, dict]:
    speeds = NIELSEN_SPEEDS[hidden]
    shown = ", ".join(f"{s:g}" for s in speeds)
    text = (f"A sigmoid network with {hidden} hidden layers of 30 neurons learns MNIST digits from 1,000 "
            f"images, full batch. What to look for: in the learning-speed plot (log axis) every hidden "
            f"layer learns more slowly than the layer after it; at the start the book measures "
            f"‖δˡ‖ = {shown} from the first hidden layer to the last. The table in Lab notes puts this "
            f"network's initial speeds beside those figures. Train the 500 epochs: the gap stays, and "
            f"the early layers hardly change.")
    order = {2: 10, 3: 20, 4: 30}[hidden]
    sizes = [784] + [30] * hidden + [10]
    return _doc(f"vanishing-gradient-{hidden}", f"Vanishing gradient: {hidden} hidden layers", NIELSEN,
                order, text, sizes=sizes, activations=["sigmoid"] * (hidden + 1), cost="cross-entropy",
                data=MNIST_1000, hp=NIELSEN_HP, views=_speed_views(),
                reference={"initial_speeds": speeds, "spread": SPEED_SPREAD, "source": NIELSEN_SOURCE})


def _remedy_relu() -> tuple[str, dict]:
    text = ("The four-hidden-layer network of the vanishing-gradient lab with ReLU hidden neurons "
            "(He initialisation) and everything else as before. What to look for: the hidden layers "
            "start at learning speeds of the same order instead of a factor of about 4 apart a layer, "
            "because ReLU's slope is 1 wherever it is active while σ′ is at most 1/4; the cost falls "
            "much faster than with sigmoid neurons.")
    hp = dict(NIELSEN_HP, init="he", bias_init="zero")
    return _doc("vanishing-gradient-relu", "Remedy: ReLU hidden layers", NIELSEN, 40, text,
                sizes=[784, 30, 30, 30, 30, 10], activations=["relu"] * 4 + ["sigmoid"],
                cost="cross-entropy", data=MNIST_1000, hp=hp, views=_speed_views(),
                reference={"source": NIELSEN_SOURCE})


#: Multipliers of η per weight layer (first hidden layer first) for the layer-rate remedy: the
#: inverse, rounded, of how much smaller each layer's initial ‖δˡ‖ is than the output layer's in the
#: four-hidden-layer network (10^2.65, 10^2.07, 10^1.37, 10^0.67 and 1 at the lab's seed).
LAYER_LR = [450.0, 120.0, 25.0, 5.0, 1.0]


def _remedy_layer_lr() -> tuple[str, dict]:
    text = ("The four-hidden-layer sigmoid network of the vanishing-gradient lab with a learning rate "
            "per layer: η times 450, 120, 25, 5 and 1 from the first hidden layer to the output, the "
            "inverse of how much more slowly each layer learns at the start. There is no L2 term: the "
            "weight decay ηλ/n is multiplied too, and 450 times it would shrink the first layer's "
            "weights by a fifth a step. What to look for: "
            "the plain network sits on the plateau near 3.25 for all 500 epochs (11.7 % correct: the "
            "output only learns how often each digit occurs), while this one leaves it after about "
            "100 epochs and reaches about 70 %. To see both side by side: train, then press A/B… in "
            "the Runs tab, choose the layer multipliers and type off; tick both runs to overlay "
            "their curves.")
    hp = dict(NIELSEN_HP, layer_lr=LAYER_LR, l2=0.0)
    return _doc("vanishing-gradient-layer-lr", "Remedy: a learning rate per layer", NIELSEN, 50, text,
                sizes=[784, 30, 30, 30, 30, 10], activations=["sigmoid"] * 5, cost="cross-entropy",
                data=MNIST_1000, hp=hp, views=_speed_views(), reference={"source": NIELSEN_SOURCE})


def exploding_network(neurons: int = 4, weight: float = EXPLODING_WEIGHT, x: float = EXPLODING_INPUT) -> Network:
    """Nielsen's chain: ``neurons`` sigmoid neurons in a row after one input, every weight
    ``weight`` and each bias chosen so that the neuron's weighted input is 0 for input ``x``
    (b₁ = −w·x, then bⱼ = −w·σ(0) = −w/2).  Weights (1, 1) each; float64."""
    weights, biases, a = [], [], float(x)
    for _ in range(neurons):
        weights.append(np.array([[weight]]))
        biases.append(np.array([-weight * a]))
        a = 0.5                        # σ(0)
    return Network(weights, biases, ["sigmoid"] * neurons, "cross-entropy", dtype="float64")


def exploding_speeds(neurons: int = 4, weight: float = EXPLODING_WEIGHT, target: float = 0.0) -> list[float]:
    """|∂C/∂bⱼ| of the chain at its starting weights, first neuron first: the output's is
    a − y = 1/2 − y (cross-entropy), and each earlier one is w·σ′(0) = w/4 times the next."""
    out = abs(0.5 - target)
    return [out * (weight / 4) ** (neurons - 1 - j) for j in range(neurons)]


def _exploding() -> tuple[str, dict]:
    speeds = exploding_speeds()
    text = ("Nielsen's chain of four sigmoid neurons, one per layer: every weight is 100 and every bias "
            "is chosen so that each weighted input is 0 for the one training input x = 1 (target 0). "
            "There σ′(z) = 1/4, so each layer back multiplies the gradient by w·σ′(z) = 25. What to look "
            "for: the learning speeds grow toward the input, from 0.5 at the output to 7,812.5 at the "
            "first neuron (the table in Lab notes). Even with η = 0.00001 the first step moves the "
            "first weighted input enough that 100 times it saturates the next neuron; every neuron "
            "saturates and all the gradients drop to 0 (▼ in the plot): an unstable gradient "
            "explodes or vanishes, it does not stay balanced.")
    points = {"format": "workbench-points", "version": 1, "task": "classification", "inputs": 1,
              "outputs": 1, "classes": 2, "edits": {"added": 0, "removed": 0},
              "splits": {"train": {"x": [[EXPLODING_INPUT]], "labels": [0]}}}
    net = exploding_network()
    return _doc("exploding-gradient", "Exploding gradient: Nielsen's chain", NIELSEN, 60, text,
                sizes=net.sizes, activations=["sigmoid"] * 4, cost="cross-entropy", data="not",
                hp={"optimizer": "sgd", "lr": 0.00001, "momentum": 0.0, "batch_size": "full", "epochs": 50,
                    "dtype": "float64", "resolution": "epoch"},
                views=_speed_views(), network=net, points=points,
                reference={"initial_speeds": speeds, "source": "Nielsen, chapter 5 (\"The exploding "
                           "gradient problem\"): |∂C/∂b| = w·σ′(0) = 25 times the next layer's"})


#: McCaffrey's demos start every weight and bias small and uniform; this range and seed give
#: the lab's stored start.
MCCAFFREY_RANGE = 0.01
MCCAFFREY_SEED = 1


def mccaffrey_network() -> Network:
    """The 4-(10,10,10)-3 tanh/softmax network with every weight and bias drawn uniformly from
    [−0.01, 0.01] (``default_rng(MCCAFFREY_SEED)``); float32, as the lab trains."""
    sizes = [4, 10, 10, 10, 3]
    rng = np.random.default_rng(MCCAFFREY_SEED)
    weights = [rng.uniform(-MCCAFFREY_RANGE, MCCAFFREY_RANGE, (m, n)) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.uniform(-MCCAFFREY_RANGE, MCCAFFREY_RANGE, n) for n in sizes[1:]]
    return Network(weights, biases, ["tanh", "tanh", "tanh", "softmax"], "log-likelihood", dtype="float32")


def _mccaffrey() -> tuple[str, dict]:
    text = ("James McCaffrey's deep network demo: 4 inputs, three tanh hidden layers of 10 and a softmax "
            "over 3 classes, trained online (one item a step) with η = 0.001 and momentum 0.01 on "
            "data labelled by a random teacher network, from small weights and biases drawn "
            "uniformly from [−0.01, 0.01]. One weight from the input layer, input 1 → hidden 1 #1, is "
            "followed. What to look for: its gradient ∂C/∂w in the Followed weights view stays within "
            "a few millionths of 0, while the learning-speed plot (log axis) shows each layer back "
            "learning about 50 times more slowly than the next (weights of about 0.01, tanh′ ≈ 1, "
            "summed over 10 neurons): the first layer's gradient has vanished, its ‖δ¹‖ shrinks by a "
            "factor of ten or more in the first ten epochs, and the accuracy stays where guessing the "
            "commonest class puts it (36.5 %). Reset Weights "
            "(Xavier) and train again to see the gradient come back.")
    return _doc("mccaffrey", "McCaffrey's deep network demo", MCCAFFREY, 10, text,
                sizes=[4, 10, 10, 10, 3], activations=["tanh", "tanh", "tanh", "softmax"],
                cost="log-likelihood", data="teacher:items=2000,seed=5",
                hp={"optimizer": "momentum", "lr": 0.001, "momentum": 0.01, "batch_size": 1,
                    "epochs": 100, "init": "xavier", "bias_init": "zero", "resolution": "batch"},
                watch=[[0, 0, 0]], network=mccaffrey_network(),
                views={"front": "followed", "open": ["diagram", "lab-notes"],
                       "settings": {}})


def _playground(name: str, title: str, order: int, data: str, text: str, outputs: int = 1,
                seed: int = 0) -> tuple[str, dict]:
    return _doc(name, title, PLAYGROUND, order, text, sizes=[2, 4, 2, outputs], activations=["tanh"] * 3,
                cost="quadratic", data=data,
                hp={"optimizer": "sgd", "lr": 0.03, "momentum": 0.0, "batch_size": 10, "epochs": 500,
                    "init": "xavier", "bias_init": "zero", "seed": seed, "resolution": "epoch"},
                views={"front": "output-map", "open": ["diagram", "lab-notes"],
                       "settings": {"output-map": {"show_held_out": True}}})


PLAYGROUND_NOTE = ("Playground's default network: inputs x and y, hidden layers of 4 and 2 tanh "
                   "neurons, one tanh output, the squared error, η = 0.03, batches of 10, no "
                   "regularisation, 500 points of which half train. ")


def _playground_labs() -> list[tuple[str, dict]]:
    return [
        _playground("playground-circle", "Playground: circle", 10, "circle:points=500,outputs=1,validation=0.5",
                    PLAYGROUND_NOTE + "What to look for: the output map turns from a tilted plane into a "
                    "closed blob around the inner class; with only x and y as inputs the network needs its "
                    "hidden tanh neurons to bend the boundary round. As in Playground, an unlucky start (seed 0 here) can stall at a "
                    "boundary that leaves part of the ring out; this lab starts from seed 1.", seed=1),
        _playground("playground-spiral", "Playground: spiral", 30, "spiral:points=500,validation=0.5",
                    PLAYGROUND_NOTE + "What to look for: this small network does not solve the two "
                    "spirals; the map settles on a few bands and the cost stops falling, as in "
                    "Playground, where the spiral needs more neurons or the sin features. (Two outputs, "
                    "one a class, where Playground has one ±1 output: the spiral set here is one-hot.)",
                    outputs=2),
        _playground("playground-xor", "Playground: XOR", 20, "quadrants:points=500,outputs=1,validation=0.5",
                    PLAYGROUND_NOTE + "What to look for: the map learns the four quadrants; watch the two "
                    "neurons of the second hidden layer in the diagram each cut the plane once.", seed=2),
    ]


def lab_documents() -> dict[str, dict]:
    """Every lab of resources/labs: {file stem: session document with its "lab" object}, this
    module's and those of ``core.demofox`` and ``core.universality``."""
    from . import demofox, universality

    return dict([_vanishing(2), _vanishing(3), _vanishing(4), _remedy_relu(), _remedy_layer_lr(), _exploding(),
                 _mccaffrey(), *_playground_labs(),
                 *((f"demofox-{n}", demofox.lab_document(n)) for n in demofox.EXAMPLES),
                 (universality.LAB_NAME, universality.lab_document())])


def lab_text(doc: dict) -> bytes:
    """The bytes a lab file holds: strict JSON, one space of indent, a final newline."""
    return (json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def write_labs(folder) -> list[Path]:
    """Write every lab of ``lab_documents()`` into ``folder``; returns the paths written."""
    folder = Path(folder)
    written = []
    for name, doc in lab_documents().items():
        path = folder / f"{name}{SUFFIX}"
        data = lab_text(doc)
        atomic_write(str(path), lambda f, data=data: f.write(data))
        written.append(path)
    return written


if __name__ == "__main__":      # python -m workbench.core.lab_files [FOLDER]
    from .labs import LABS_DIR

    for path in write_labs(sys.argv[1] if len(sys.argv) > 1 else LABS_DIR):
        print(path)
