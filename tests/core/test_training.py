"""Optimizer and L2 updates against the textbook formulas; training behaviour end to end."""

import numpy as np
import pytest

from workbench.core import (ACTIVATIONS, COSTS, HIDDEN_ACTIVATIONS, BatchRecord, ConfigError, Diverged,
                            EpochRecord, Hyperparameters, Network, check_architecture, train)

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


def _one_layer_net(w, b, dtype="float64"):
    """A 2-1 linear net with quadratic cost: ∂C/∂w and ∂C/∂b are easy to write down by hand."""
    return Network([np.array(w, dtype=dtype).reshape(2, 1)], [np.array(b, dtype=dtype)], ["linear"], "quadratic")


def _run_batches(net, X, Y, hp, batches):
    gen = train(net, X, Y, hp, np.random.default_rng(0), evaluate_initial=False)
    records = []
    for record in gen:
        if isinstance(record, BatchRecord):
            records.append(record)
            if len(records) == batches:
                break
    gen.close()
    return records


# One sample x = (1, 2), y = 3 and w = (0.5, -1), b = 0.25: a = 0.5 − 2 + 0.25 = −1.25,
# ∂C/∂a = a − y = −4.25, so ∂C/∂w = (−4.25, −8.5) and ∂C/∂b = −4.25.
X1 = np.array([[1.0, 2.0]])
Y1 = np.array([[3.0]])
GRAD_W = np.array([-4.25, -8.5])
GRAD_B = -4.25


def test_sgd_step_matches_formula():
    net = _one_layer_net([0.5, -1.0], [0.25])
    _run_batches(net, X1, Y1, Hyperparameters(lr=0.1, batch_size=1, epochs=1), 1)
    assert np.allclose(net.weights[0].ravel(), [0.5, -1.0] - 0.1 * GRAD_W)
    assert np.allclose(net.biases[0], 0.25 - 0.1 * GRAD_B)


def test_l2_decays_weights_not_biases():
    """w ← (1 − ηλ/n)·w − η∇ with n the training-set size (here 1)."""
    net = _one_layer_net([0.5, -1.0], [0.25])
    _run_batches(net, X1, Y1, Hyperparameters(lr=0.1, batch_size=1, epochs=1, l2=2.0), 1)
    assert np.allclose(net.weights[0].ravel(), (1 - 0.1 * 2.0 / 1) * np.array([0.5, -1.0]) - 0.1 * GRAD_W)
    assert np.allclose(net.biases[0], 0.25 - 0.1 * GRAD_B)


def test_l2_uses_training_set_size_and_batch_mean():
    X = np.array([[1.0, 2.0], [1.0, 2.0]])
    Y = np.array([[3.0], [3.0]])
    net = _one_layer_net([0.5, -1.0], [0.25])
    _run_batches(net, X, Y, Hyperparameters(lr=0.1, batch_size="full", epochs=1, l2=2.0), 1)
    # identical samples: the batch-mean gradient equals the single-sample one; n = 2.
    assert np.allclose(net.weights[0].ravel(), (1 - 0.1 * 2.0 / 2) * np.array([0.5, -1.0]) - 0.1 * GRAD_W)


def _two_steps(optimizer, lr=0.1, alpha=0.9):
    """Run two online steps on the same sample and return (w after step 1, w after step 2, grads)."""
    net = _one_layer_net([0.5, -1.0], [0.25])
    hp = Hyperparameters(optimizer=optimizer, lr=lr, momentum=alpha, batch_size=1, epochs=5)
    gen = train(net, X1, Y1, hp, np.random.default_rng(0), evaluate_initial=False)
    weights, grads = [net.weights[0].ravel().copy()], []
    for record in gen:
        if isinstance(record, BatchRecord):
            grads.append(np.array([record.watched[0], record.watched[1]]))
            weights.append(net.weights[0].ravel().copy())
            if len(grads) == 2:
                break
    gen.close()
    return weights, grads


def test_momentum_matches_formula():
    """Δw(t) = −η∂C/∂w + αΔw(t−1)."""
    net = _one_layer_net([0.5, -1.0], [0.25])
    hp = Hyperparameters(optimizer="momentum", lr=0.1, momentum=0.9, batch_size=1, epochs=5)
    w0 = net.weights[0].ravel().copy()
    gen = train(net, X1, Y1, hp, np.random.default_rng(0), watch=[(0, 0, 0), (0, 1, 0)], evaluate_initial=False)
    history = []
    for record in gen:
        if isinstance(record, BatchRecord):
            history.append((np.array(record.watched), net.weights[0].ravel().copy()))
            if len(history) == 3:
                break
    gen.close()
    previous_delta = np.zeros(2)
    w = w0
    for grad, w_after in history:
        delta = -0.1 * grad + 0.9 * previous_delta
        assert np.allclose(w_after, w + delta)
        previous_delta, w = delta, w_after


def test_nesterov_matches_heaton_formula():
    """n(t) = αn(t−1) + ε∂E/∂w; Δw(t) = αn(t−1) − (1+α)n(t)."""
    net = _one_layer_net([0.5, -1.0], [0.25])
    hp = Hyperparameters(optimizer="nesterov", lr=0.05, momentum=0.8, batch_size=1, epochs=5)
    w = net.weights[0].ravel().copy()
    gen = train(net, X1, Y1, hp, np.random.default_rng(0), watch=[(0, 0, 0), (0, 1, 0)], evaluate_initial=False)
    n_prev = np.zeros(2)
    steps = 0
    for record in gen:
        if isinstance(record, BatchRecord):
            grad = np.array(record.watched)
            n_now = 0.8 * n_prev + 0.05 * grad
            expected = w + 0.8 * n_prev - 1.8 * n_now
            w = net.weights[0].ravel().copy()
            assert np.allclose(w, expected)
            n_prev = n_now
            steps += 1
            if steps == 3:
                break
    gen.close()


def test_layer_learning_rate_multipliers():
    rng = np.random.default_rng(1)
    net = Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "cross-entropy", rng=rng, dtype="float64")
    frozen = [w.copy() for w in net.weights]
    _run_batches(net, XOR_X, XOR_Y, Hyperparameters(lr=1.0, batch_size=4, layer_lr=[0.0, 1.0]), 1)
    assert np.array_equal(net.weights[0], frozen[0])
    assert not np.array_equal(net.weights[1], frozen[1])


def test_hyperparameters_can_change_between_batches():
    net = _one_layer_net([0.5, -1.0], [0.25])
    hp = Hyperparameters(lr=0.1, batch_size=1, epochs=3)
    gen = train(net, X1, Y1, hp, np.random.default_rng(0), watch=[(0, 0, 0), (0, 1, 0)], evaluate_initial=False)
    next(gen)
    hp.lr = 0.01
    w_before = net.weights[0].ravel().copy()
    record = next(r for r in gen if isinstance(r, BatchRecord))
    assert np.allclose(net.weights[0].ravel(), w_before - 0.01 * np.array(record.watched))
    gen.close()


def test_xor_learned_to_100_percent():
    net = Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(3))
    hp = Hyperparameters(lr=2.0, batch_size=4, epochs=1500)
    last = None
    for record in train(net, XOR_X, XOR_Y, hp, np.random.default_rng(3)):
        if isinstance(record, EpochRecord):
            last = record
    assert last.epoch == 1500
    assert last.train_accuracy == 1.0
    assert np.array_equal(net.predict(XOR_X), [0, 1, 1, 0])


def _full_run(seed, dtype="float32"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, 5))
    Y = np.eye(3)[rng.integers(0, 3, 64)]
    net = Network.create([5, 8, 3], ["tanh", "softmax"], "log-likelihood", rng=rng, dtype=dtype)
    hp = Hyperparameters(optimizer="momentum", lr=0.1, batch_size=8, epochs=3)
    records = [r for r in train(net, X, Y, hp, rng, validation=(X[:10], Y[:10]))]
    return net, records


def test_same_seed_same_run_bit_for_bit():
    net_a, rec_a = _full_run(11)
    net_b, rec_b = _full_run(11)
    for wa, wb in zip(net_a.weights + net_a.biases, net_b.weights + net_b.biases):
        assert np.array_equal(wa, wb)
    costs_a = [r.cost for r in rec_a if isinstance(r, BatchRecord)]
    costs_b = [r.cost for r in rec_b if isinstance(r, BatchRecord)]
    assert costs_a == costs_b
    net_c, _ = _full_run(12)
    assert not np.array_equal(net_a.weights[0], net_c.weights[0])


def test_float32_agrees_with_float64():
    net32, rec32 = _full_run(5, "float32")
    net64, rec64 = _full_run(5, "float64")
    assert net32.weights[0].dtype == np.float32 and net64.weights[0].dtype == np.float64
    for w32, w64 in zip(net32.weights, net64.weights):
        assert np.allclose(w32, w64, rtol=1e-3, atol=1e-4)
    assert rec32[-1].train_cost == pytest.approx(rec64[-1].train_cost, rel=1e-4)


def test_records_carry_the_diagnostics():
    net, records = _full_run(7)
    batches = [r for r in records if isinstance(r, BatchRecord)]
    epochs = [r for r in records if isinstance(r, EpochRecord)]
    assert [e.epoch for e in epochs] == [0, 1, 2, 3]
    assert len(batches) == 3 * 8
    first = batches[0]
    assert (first.epoch, first.batch, first.batches_in_epoch, first.step, first.samples_seen) == (1, 1, 8, 1, 8)
    assert len(first.delta_norms) == 2 and len(first.weight_norms) == 2
    assert [g.shape for g in first.bias_gradients] == [(8,), (3,)]
    assert first.delta_norms[0] == pytest.approx(np.linalg.norm(first.bias_gradients[0]), rel=1e-5)
    epoch1 = epochs[1]
    mean_grad = np.mean([b.bias_gradients[1] for b in batches[:8]], axis=0)
    assert epoch1.delta_norms[1] == pytest.approx(np.linalg.norm(mean_grad), rel=1e-5)
    assert epoch1.val_cost is not None and 0 <= epoch1.val_accuracy <= 1
    assert epoch1.seconds > 0 and epoch1.samples_per_second > 0
    assert set(epoch1.as_dict()) >= {"epoch", "train_cost", "train_accuracy", "val_cost", "val_accuracy",
                                     "delta_norms", "weight_norms", "seconds", "samples_per_second"}


def test_batch_size_full_and_online():
    net = _one_layer_net([0.5, -1.0], [0.25])
    X = np.tile(X1, (6, 1))
    Y = np.tile(Y1, (6, 1))
    full = _run_batches(net, X, Y, Hyperparameters(lr=0.01, batch_size="full", epochs=1), 5)
    assert len(full) == 1 and full[0].batches_in_epoch == 1
    online = _run_batches(_one_layer_net([0.5, -1.0], [0.25]), X, Y, Hyperparameters(lr=0.01, batch_size=1, epochs=1), 10)
    assert len(online) == 6


def test_divergence_stops_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3)) * 10
    Y = rng.standard_normal((50, 1)) * 10
    net = Network.create([3, 4, 1], ["linear", "linear"], "quadratic", rng=rng, dtype="float32")
    records = list(train(net, X, Y, Hyperparameters(lr=50.0, batch_size=5, epochs=50), rng))
    assert isinstance(records[-1], Diverged)
    assert "learning rate (50)" in records[-1].message
    assert all(np.isfinite(w).all() for w in net.weights + net.biases)


@pytest.mark.parametrize("field,value,phrase", [
    ("lr", -1.0, "learning rate"), ("lr", float("nan"), "learning rate"), ("momentum", 1.0, "Momentum"),
    ("l2", -0.1, "L2"), ("batch_size", 0.5, "batch size"), ("optimizer", "adam", "optimizer"),
    ("layer_lr", [1.0], "one learning-rate multiplier per layer"), ("layer_lr", [1.0, -2.0], "0 or more"),
])
def test_bad_hyperparameters_are_rejected(field, value, phrase):
    net = Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(0))
    hp = Hyperparameters()
    setattr(hp, field, value)
    with pytest.raises(ConfigError, match=phrase):
        train(net, XOR_X, XOR_Y, hp)


def test_mismatched_data_is_rejected():
    net = Network.create([3, 3, 1], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match="takes 3 inputs"):
        train(net, XOR_X, XOR_Y, Hyperparameters())


def _reference_updates(net, batches, optimizer, lr, alpha, l2, n, layer_lr):
    """Weights after the given batches, by Network.backprop and the textbook update rules."""
    state = {}
    for xb, yb in batches:
        _, grad_w, grad_b, _ = net.backprop(xb, yb)
        for l in range(net.n_layers):
            eta = lr * layer_lr[l]
            for key, param, grad in (("W", net.weights[l], grad_w[l] + (l2 / n) * net.weights[l]),
                                     ("b", net.biases[l], grad_b[l])):
                previous = state.get((l, key), np.zeros_like(param))
                if optimizer == "sgd":
                    delta = -eta * grad
                elif optimizer == "momentum":
                    delta = state[(l, key)] = -eta * grad + alpha * previous
                else:  # Heaton: n(t) = α n(t−1) + ε g; Δw = α n(t−1) − (1 + α) n(t)
                    now = alpha * previous + eta * grad
                    delta = alpha * previous - (1 + alpha) * now
                    state[(l, key)] = now
                param += delta
    return net


_FUSED_CASES = [(h, o, c) for h in HIDDEN_ACTIVATIONS for o in ACTIVATIONS for c in COSTS
                if check_architecture([3, 4, 2], [h, o], c) is None]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("hidden,output,cost", _FUSED_CASES)
def test_fused_training_step_matches_reference_backprop(hidden, output, cost, optimizer):
    rng = np.random.default_rng(sum(map(len, (hidden, output, cost, optimizer))))
    X = rng.standard_normal((12, 3))
    Y = np.eye(2)[rng.integers(0, 2, 12)]
    net = Network.create([3, 5, 4, 2], [hidden, hidden, output], cost, rng=rng, dtype="float64")
    reference = net.copy()
    hp = Hyperparameters(optimizer=optimizer, lr=0.05, momentum=0.8, batch_size=4, epochs=1, l2=0.3,
                         layer_lr=[2.0, 1.0, 0.5])
    order = np.random.default_rng(9).permutation(12)
    list(train(net, X, Y, hp, np.random.default_rng(9), evaluate_initial=False))
    batches = [(X[order[k:k + 4]], Y[order[k:k + 4]]) for k in range(0, 12, 4)]
    _reference_updates(reference, batches, optimizer, 0.05, 0.8, 0.3, 12, [2.0, 1.0, 0.5])
    for fused, expected in zip(net.weights + net.biases, reference.weights + reference.biases):
        assert np.allclose(fused, expected, rtol=1e-10, atol=1e-12)


def test_followed_weights_can_change_between_batches():
    """The caller's watch list is re-read before every batch; the SGD step confirms each gradient."""
    net = _one_layer_net([0.5, -1.0], [0.25])
    hp = Hyperparameters(lr=0.1, batch_size=1, epochs=10)
    watch = [(0, 0, 0)]
    gen = train(net, X1, Y1, hp, np.random.default_rng(0), watch=watch, evaluate_initial=False)
    next_batch = lambda: next(r for r in gen if isinstance(r, BatchRecord))  # noqa: E731
    assert len(next_batch().watched) == 1
    watch[:] = [(0, 1, 0), (0, 0, 0)]
    w_before = net.weights[0].ravel().copy()
    record = next_batch()
    assert len(record.watched) == 2
    assert np.allclose(net.weights[0].ravel()[::-1], w_before[::-1] - 0.1 * np.array(record.watched))
    watch.clear()
    assert next_batch().watched == []
    watch.append((0, 5, 0))
    with pytest.raises(ConfigError, match=r"\(0, 5, 0\)"):
        next_batch()


@pytest.mark.parametrize("cost,output", [("cross-entropy", "sigmoid"), ("log-likelihood", "softmax")])
def test_costs_on_probabilities_refuse_targets_outside_0_1(cost, output):
    """−y·ln a has no minimum for y < 0 (or y > 1 with cross-entropy): training would run to −∞."""
    net = Network.create([2, 3, 2], ["tanh", output], cost, rng=np.random.default_rng(0))
    X = np.zeros((4, 2))
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ConfigError, match=r"targets between 0 and 1.*range from -1 to 2"):
        train(net, X, Y, Hyperparameters(epochs=1))
    with pytest.raises(ConfigError, match="validation"):
        train(net, X, np.eye(2)[[0, 1, 0, 1]], Hyperparameters(epochs=1), validation=(X, Y * 0 + 5))
    quadratic = Network.create([2, 3, 2], ["tanh", "linear"], "quadratic", rng=np.random.default_rng(0))
    assert len(list(train(quadratic, X, Y, Hyperparameters(epochs=1, batch_size=4)))) == 3


def test_layer_size_messages_name_each_layer_once():
    from workbench.core import check_architecture

    assert check_architecture([2, 0, 1], ["sigmoid", "sigmoid"], "quadratic") == (
        "Hidden layer 1 has 0 neurons; every layer needs at least 1.")
    assert check_architecture([0, 3, 1], ["sigmoid", "sigmoid"], "quadratic").startswith("The input layer has 0")
