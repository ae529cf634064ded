"""The worked step (core.worked_step) against the numbers Demofox's and Mazur's posts print, against
one training step of the engine, and the Demofox lab files against the code that writes them.

Printed numbers: Demofox's program output (github.com/Atrix256/RandomCode, NNBackPropPost/
Example1-4.csv, 6 decimals: row 0 is the first step, later rows the state after that many steps;
float32 there, so later rows agree to a few units of the 6th decimal) and Matt Mazur's post for
example 4 (9 significant digits).
"""

import base64
import io
import json

import numpy as np
import pytest

from workbench.core.demofox import EXAMPLES, example_network, lab_document
from workbench.core.labs import LABS_DIR, load_lab
from workbench.core.network import Network
from workbench.core.training import Hyperparameters, train
from workbench.core.worked_step import TABLE_HEADER, number, table_rows, too_large, weight_number, worked_step


def values(quantities, kind=None, symbol=None):
    return {q.symbol: q.value for q in quantities if (kind is None or q.kind == kind)
            and (symbol is None or q.symbol == symbol)}


def value(quantities, symbol):
    found = [q.value for q in quantities if q.symbol == symbol]
    assert len(found) == 1, symbol
    return found[0]


def printed(actual, text):
    """``actual`` equals the printed ``text`` to the digits printed (half a unit of the last one)."""
    decimals = len(text.split(".")[1])
    return abs(actual - float(text)) <= 0.5 * 10.0 ** -decimals + 1e-12


def example(n):
    ex = EXAMPLES[n]
    return example_network(n), np.array(ex.X, dtype=np.float64), np.array(ex.Y, dtype=np.float64)


# -------------------------------------------------------------------- the posts' numbers
def test_example_1_first_step_matches_the_program_output():
    net, X, Y = example(1)
    q = worked_step(net, X, Y, 0.5)
    assert printed(value(q, "z_o1"), "0.800000")
    assert printed(abs(Y[0, 0] - value(q, "a_o1")), "0.689974")        # the post's "error"
    assert printed(value(q, "C"), "0.238032")
    assert printed(value(q, "∂C/∂w₁"), "0.147592")
    assert printed(value(q, "∂C/∂b_o1"), "0.147592")
    assert value(q, "new w₁") == pytest.approx(0.3 - 0.5 * value(q, "∂C/∂w₁"), abs=1e-16)


def test_example_2_means_of_both_items_match_the_program_output():
    net, X, Y = example(2)
    steps = [worked_step(net, X, Y, 0.5, item) for item in range(2)]
    errors = [abs(Y[r, 0] - value(steps[r], "a_o1")) for r in range(2)]
    assert printed(np.mean(errors), "0.533758")
    assert printed(np.mean([value(s, "C") for s in steps]), "0.154650")
    assert printed(value(steps[0], "∂C/∂w₁ (mean)"), "0.073796")
    assert printed(value(steps[0], "∂C/∂b_o1 (mean)"), "0.029434")
    assert value(steps[1], "∂C/∂w₁") == 0.0                          # input 0: no gradient for w
    # the mean is the one the update uses, whichever item is shown
    assert value(steps[0], "new w₁") == value(steps[1], "new w₁") == pytest.approx(0.3 - 0.5 * 0.0737961, abs=1e-7)


def test_example_3_mean_error_and_cost_match_the_program_output():
    net, X, Y = example(3)
    steps = [worked_step(net, X, Y, 0.5, item) for item in range(4)]
    errors = [np.hypot(value(s, "a_o1") - Y[r, 0], value(s, "a_o2") - Y[r, 1]) for r, s in enumerate(steps)]
    assert printed(np.mean(errors), "0.631967")
    assert printed(np.mean([value(s, "C") for s in steps]), "0.218576")


MAZUR = {"z_h1": "0.3775", "a_h1": "0.593269992", "a_h2": "0.596884378", "z_o1": "1.105905967",
         "a_o1": "0.75136507", "a_o2": "0.772928465", "C": "0.298371109", "∂C/∂a_o1": "0.74136507",
         "∂a_o1/∂z_o1": "0.186815602", "∂C/∂w₅": "0.082167041",
         "new w₅": "0.35891648", "new w₆": "0.408666186", "new w₇": "0.511301270", "new w₈": "0.561370121",
         "new w₁": "0.149780716", "new w₂": "0.19956143", "new w₃": "0.24975114", "new w₄": "0.29950229"}


@pytest.mark.parametrize("symbol", sorted(MAZUR))
def test_example_4_is_mazurs_first_step_to_his_printed_digits(symbol):
    net, X, Y = example(4)
    assert printed(value(worked_step(net, X, Y, 0.5), symbol), MAZUR[symbol])


def test_example_4_error_and_cost_match_demofoxs_program_output_and_the_order_is_the_posts():
    net, X, Y = example(4)
    q = worked_step(net, X, Y, 0.5)
    assert printed(np.sqrt(2 * value(q, "C")), "0.772491") and printed(value(q, "C"), "0.298371")
    kinds = [x.kind for x in q]
    # forward (z, a per neuron), the cost, backward from the output back, then the updates
    assert kinds[:8] == ["z", "a"] * 4 and kinds[8] == "cost"
    backward = [x for x in q if x.phase == "backward"]
    assert [x.layer for x in backward] == sorted((x.layer for x in backward), reverse=True)
    assert [x.kind for x in q[-12:]] == ["new w"] * 8 + ["new b"] * 4
    assert [x.id for x in q] == list(range(len(q)))
    w5 = next(x for x in q if x.symbol == "∂C/∂w₅")
    assert w5.formula == "∂C/∂w₅ = δ_o1 · a_h1 = 0.1384986 × 0.5932700 = 0.0821670"
    assert (w5.layer, w5.neuron, w5.source) == (2, 0, 0)
    hidden = next(x for x in q if x.symbol == "∂C/∂a_h1")
    assert hidden.formula.startswith("∂C/∂a_h1 = δ_o1 · w₅ + δ_o2 · w₇ = 0.1384986 × 0.4000000 + (−0.0380982)")


# -------------------------------------------------------------------- agreement with the engine
def engine_step(net, X, Y, batch, lr=0.5, steps=1):
    hp = Hyperparameters(optimizer="sgd", lr=lr, momentum=0.0, batch_size=batch, epochs=steps)
    for _ in train(net, X, Y, hp, np.random.default_rng(0), chunked=True, evaluate_every=steps,
                   evaluate_initial=False, engine="numpy"):
        pass
    return net


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_updates_equal_one_engine_step_and_gradients_equal_backprop(n):
    net, X, Y = example(n)
    q = worked_step(net, X, Y, 0.5)
    _, grad_w, grad_b, _ = net.backprop(X, Y)
    trained = engine_step(net.copy(), X, Y, EXAMPLES[n].batch)
    sizes = net.sizes
    mean = " (mean)" if len(X) > 1 else ""
    for l in range(net.n_layers):
        for i in range(sizes[l]):
            for j in range(sizes[l + 1]):
                k = str(weight_number(l, i, j, sizes)).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
                assert value(q, f"∂C/∂w{k}{mean}") == pytest.approx(grad_w[l][i, j], rel=1e-15, abs=1e-18)
                assert value(q, f"new w{k}") == pytest.approx(trained.weights[l][i, j], rel=0, abs=1e-15)
        for j, b in enumerate(trained.biases[l]):
            label = q[2 * (sum(sizes[1:l + 1]) + j)].symbol[2:]          # z_h1 -> h1
            assert value(q, f"∂C/∂b_{label}{mean}") == pytest.approx(grad_b[l][j], rel=1e-15, abs=1e-18)
            assert value(q, f"new b_{label}") == pytest.approx(b, rel=0, abs=1e-15)
    # the step changed nothing in the network it was given
    assert np.array_equal(net.weights[0], example_network(n).weights[0])


@pytest.mark.parametrize("n, steps, weight, bias", [(1, 204, "-1.514930", "-1.314929"),
                                                    (1, 9999, "-2.564884", "-2.364882"),
                                                    (2, 2040, "-5.700018", "2.738621")])
def test_the_full_run_follows_the_program_output(n, steps, weight, bias):
    net, X, Y = example(n)
    engine_step(net, X, Y, EXAMPLES[n].batch, steps=steps)
    # the program ran in float32: a few units of the 6th decimal apart after thousands of steps
    assert abs(net.weights[0][0, 0] - float(weight)) < 1e-5
    assert abs(net.biases[0][0] - float(bias)) < 1e-5


def test_example_3_after_10612_steps_has_the_programs_error_and_cost():
    net, X, Y = example(3)
    engine_step(net, X, Y, "full", steps=10612)
    out = net.forward(X)
    assert abs(np.sqrt(((Y - out) ** 2).sum(axis=1)).mean() - 0.053973) < 2e-6
    assert printed((0.5 * ((Y - out) ** 2).sum(axis=1)).mean(), "0.001464")


# -------------------------------------------------------------------- other costs, limits, text
def test_other_activations_and_costs_agree_with_backprop():
    rng = np.random.default_rng(3)
    sizes = [3, 4, 3]
    net = Network([rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])],
                  [rng.standard_normal(b) for b in sizes[1:]], ["tanh", "softmax"], "log-likelihood", dtype="float64")
    X, Y = rng.standard_normal((5, 3)), np.eye(3)[[0, 2, 1, 1, 0]]
    q = worked_step(net, X, Y, 0.1, item=2)
    _, grad_w, grad_b, _ = net.backprop(X, Y)
    assert value(q, "∂C/∂w₁ (mean)") == pytest.approx(grad_w[0][0, 0], rel=1e-14)
    assert value(q, "∂C/∂b_o3 (mean)") == pytest.approx(grad_b[1][2], rel=1e-14)
    assert value(q, "a_h2") == pytest.approx(np.tanh(X[2] @ net.weights[0] + net.biases[0])[1], rel=1e-14)
    assert next(x.formula for x in q if x.symbol == "δ_o1").startswith("δ_o1 = ∂C/∂z_o1 (a − t) = ")
    assert "+ …) / 5" in next(x.formula for x in q if x.kind == "mean dC/dw")
    with pytest.raises(IndexError):
        worked_step(net, X, Y, 0.1, item=5)


def test_limits_table_and_numbers():
    assert too_large([2, 8, 8, 8, 2]) is None
    assert "at most 8 per layer" in too_large([784, 30, 10])
    assert "at most 4" in too_large([2, 2, 2, 2, 2, 2])
    assert number(-0.0380982) == "−0.0380982" and number(1.5e-7) == "1.500000e−07"
    assert number(-0.0) == "0.0000000"
    net, X, Y = example(4)
    rows = table_rows(worked_step(net, X, Y, 0.5))
    assert all(len(r) == len(TABLE_HEADER) for r in rows) and rows[0][:2] == [1, "forward"]


# -------------------------------------------------------------------- the lab files
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_committed_lab_files_are_what_the_code_writes(n):
    path = LABS_DIR / f"demofox-{n}.wbsession"
    committed, generated = json.loads(path.read_text(encoding="utf-8")), lab_document(n)
    stored = [committed.pop("weights"), generated.pop("weights")]
    assert committed == generated
    arrays = [np.load(io.BytesIO(base64.b64decode(w["data"]))) for w in stored]
    assert sorted(arrays[0].files) == sorted(arrays[1].files)
    for name in arrays[0].files:
        assert np.array_equal(arrays[0][name], arrays[1][name])
    lab = load_lab(f"demofox-{n}")
    net = lab.session.network
    for w, b, ref_w, ref_b in zip(net.weights, net.biases, EXAMPLES[n].weights, EXAMPLES[n].biases):
        assert np.array_equal(w, np.array(ref_w)) and np.array_equal(b, np.array(ref_b))
    assert lab.session.hyperparameters["lr"] == 0.5 and lab.session.hyperparameters["optimizer"] == "sgd"
    assert lab.session.views["front"] == "worked-step"
