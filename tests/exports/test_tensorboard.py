"""TensorBoard logs: the event files read back hold the run's scalars, histograms and hparams."""

import struct
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
from tensorboardX.proto import event_pb2                 # noqa: E402
from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData  # noqa: E402

from workbench.cli import main                           # noqa: E402
from workbench.core import Hyperparameters, train        # noqa: E402
from workbench.core.network import Network               # noqa: E402
from workbench.core.runs import run_settings             # noqa: E402
from workbench.core.training import BatchChunk, EpochRecord, Pace, full_bias_gradient  # noqa: E402
from workbench.exports import ExportError, MissingPackage  # noqa: E402
from workbench.exports import tensorboard                # noqa: E402
from workbench.exports.tensorboard import BATCH_POINTS_PER_EPOCH, open_log  # noqa: E402


def read_events(folder: Path) -> list:
    """Every Event in the folder's event files, in order (TFRecord: u64 length, u32 crc, data, u32 crc)."""
    events = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        at = 0
        while at < len(data):
            (length,) = struct.unpack_from("<Q", data, at)
            body = data[at + 12:at + 12 + length]
            assert len(body) == length, "a truncated record"
            event = event_pb2.Event()
            event.ParseFromString(body)
            events.append(event)
            at += 12 + length + 4
    return events


def scalars(events) -> dict:
    """{tag: [(step, value), …]} of the simple values."""
    found = {}
    for event in events:
        for value in event.summary.value:
            if value.WhichOneof("value") == "simple_value":
                found.setdefault(value.tag, []).append((event.step, value.simple_value))
    return found


def histograms(events) -> dict:
    """{tag: {step: HistogramProto}}."""
    found = {}
    for event in events:
        for value in event.summary.value:
            if value.WhichOneof("value") == "histo":
                found.setdefault(value.tag, {})[event.step] = value.histo
    return found


def hparams_data(events) -> list:
    """The hparams plugin's records, parsed, in order."""
    found = []
    for event in events:
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name == "hparams":
                data = HParamsPluginData()
                data.ParseFromString(value.metadata.plugin_data.content)
                found.append(data)
    return found


def xor_items(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, 2)).astype(np.float32)
    Y = (X[:, :1] != X[:, 1:]).astype(np.float32)
    return X, Y


def run_logged(tmp_path, epochs=6, batch_size=4, watch=((0, 0, 0), (1, 2, 0)), step_off=0, epoch_off=0):
    net = Network.create([2, 4, 1], ["tanh", "sigmoid"], "cross-entropy", rng=np.random.default_rng(3))
    X, Y = xor_items()
    hp = Hyperparameters(optimizer="momentum", lr=0.5, momentum=0.5, batch_size=batch_size, epochs=epochs, l2=0.1)
    settings = run_settings(net.architecture(), {"optimizer": "momentum", "lr": 0.5, "momentum": 0.5,
                                                 "batch_size": batch_size, "l2": 0.1, "layer_lr": [2.0, 1.0],
                                                 "stop_cost": None}, "xor")
    log = open_log(tmp_path, settings, "xor")
    watch = list(watch)
    seen, weights = [], {}
    for record in log.follow(train(net, X, Y, hp, validation=(X[:16], Y[:16]), watch=watch, chunked=True,
                                   rng=np.random.default_rng(1)),
                             net, hp, epoch_off=epoch_off, step_off=step_off, watch=watch):
        seen.append(record)
        if isinstance(record, EpochRecord):
            weights[epoch_off + record.epoch] = ([w.copy() for w in net.weights], [b.copy() for b in net.biases])
    return log, seen, weights, net


def test_epoch_scalars_are_the_run_summaries(tmp_path):
    log, seen, _, _ = run_logged(tmp_path)
    found = scalars(read_events(log.folder))
    summaries = [r for r in seen if isinstance(r, EpochRecord)]
    assert len(summaries) == 7                             # epoch 0 (the initial weights) and six more
    for tag, key in (("cost/train", "train_cost"), ("cost/validation", "val_cost"),
                     ("accuracy/train", "train_accuracy"), ("accuracy/validation", "val_accuracy")):
        assert [step for step, _ in found[tag]] == list(range(7))
        np.testing.assert_allclose([v for _, v in found[tag]], [getattr(r, key) for r in summaries], rtol=1e-6)
    for layer, name in enumerate(("hidden_1", "output")):
        np.testing.assert_allclose([v for _, v in found[f"learning_speed/{name}"]],
                                   [r.delta_norms[layer] for r in summaries], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in found[f"weight_norm/{name}"]],
                                   [r.weight_norms[layer] for r in summaries], rtol=1e-6)


def test_batch_scalars_are_the_batches_costs_thinned(tmp_path):
    log, seen, _, _ = run_logged(tmp_path, epochs=2, batch_size=4)     # 16 batches an epoch: all kept
    found = scalars(read_events(log.folder))
    chunks = [r for r in seen if isinstance(r, BatchChunk)]
    steps = np.concatenate([c.step for c in chunks])
    costs = np.concatenate([c.cost for c in chunks])
    speeds = np.concatenate([c.delta_norms for c in chunks])
    assert [s for s, _ in found["batch/cost"]] == steps.tolist() == list(range(1, 33))
    np.testing.assert_allclose([v for _, v in found["batch/cost"]], costs, rtol=1e-6)
    np.testing.assert_allclose([v for _, v in found["batch/learning_speed/output"]], speeds[:, 1], rtol=1e-6)


def test_batch_scalars_stay_near_the_points_per_epoch_on_long_epochs(tmp_path, monkeypatch):
    monkeypatch.setattr(tensorboard, "BATCH_POINTS_PER_EPOCH", 5)
    log, seen, _, _ = run_logged(tmp_path, epochs=3, batch_size=2, step_off=1000)   # 32 batches an epoch
    steps = [s for s, _ in scalars(read_events(log.folder))["batch/cost"]]
    assert steps == list(range(1001, 1097, 7))             # every 7th batch (⌈32 / 5⌉) by step, from 1000 on
    assert all(1000 < s <= 1096 for s in steps)


def test_long_runs_log_every_nth_summary_and_the_last(tmp_path, monkeypatch):
    monkeypatch.setattr(tensorboard, "EPOCH_POINTS", 5)
    monkeypatch.setattr(tensorboard, "HISTOGRAM_POINTS", 3)
    monkeypatch.setattr(tensorboard, "BATCH_POINTS", 60)
    assert tensorboard.strides(12) == (5, 5) and tensorboard.strides(4) == (1, 2) and tensorboard.strides(None) == (1, 1)
    log, seen, _, _ = run_logged(tmp_path, epochs=12, batch_size=8, epoch_off=100, step_off=800)   # 8 batches an epoch
    events = read_events(log.folder)
    assert [s for s, _ in scalars(events)["cost/train"]] == [100, 105, 110, 112]
    assert sorted(histograms(events)["weights/output"]) == [100, 105, 110, 112]
    batch_steps = [s for s, _ in scalars(events)["batch/cost"]]
    assert batch_steps == list(range(802, 897, 2))            # ⌈8 · 12 / 60⌉ = every 2nd batch
    assert len(batch_steps) <= 60


def test_histograms_hold_each_epochs_weights_and_bias_gradients(tmp_path):
    log, seen, weights, net = run_logged(tmp_path)
    found = histograms(read_events(log.folder))
    summaries = {r.epoch: r for r in seen if isinstance(r, EpochRecord)}
    for layer, name in enumerate(("hidden_1", "output")):
        assert sorted(found[f"weights/{name}"]) == list(range(7))
        for epoch, (ws, bs) in weights.items():
            for tag, values in ((f"weights/{name}", ws[layer]), (f"biases/{name}", bs[layer]),
                                (f"bias_gradient/{name}", summaries[epoch].bias_gradients[layer])):
                h = found[tag][epoch]
                assert h.num == values.size
                assert h.min == pytest.approx(float(values.min()), rel=1e-6, abs=1e-12)
                assert h.max == pytest.approx(float(values.max()), rel=1e-6, abs=1e-12)
                assert h.sum == pytest.approx(float(values.sum()), rel=1e-6, abs=1e-9)
                assert sum(h.bucket) == values.size
        # the histogram's ∂C/∂b is the vector whose length is the epoch's learning speed
        for epoch, record in summaries.items():
            h = found[f"bias_gradient/{name}"][epoch]
            assert np.sqrt(h.sum_squares) == pytest.approx(record.delta_norms[layer], rel=1e-6)


def test_the_initial_summary_carries_the_whole_sets_gradient():
    net = Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "quadratic", rng=np.random.default_rng(0))
    X, Y = xor_items(20)
    first = next(iter(train(net, X, Y, Hyperparameters(epochs=1), chunked=True)))
    assert isinstance(first, EpochRecord) and first.epoch == 0
    for mine, whole in zip(first.bias_gradients, full_bias_gradient(net, X, Y)):
        np.testing.assert_array_equal(mine, whole)
    assert "bias_gradients" not in first.as_dict()


def test_followed_gradients_are_each_epochs_batch_mean(tmp_path):
    log, seen, _, _ = run_logged(tmp_path, epochs=3)
    found = scalars(read_events(log.folder))
    chunks = [r for r in seen if isinstance(r, BatchChunk)]
    epochs = np.concatenate([c.epoch for c in chunks])
    watched = np.concatenate([c.watched for c in chunks])
    for column, label in enumerate(("W0_0_0", "W1_2_0")):
        got = found[f"followed_gradient/{label}"]
        assert [s for s, _ in got] == [1, 2, 3]
        np.testing.assert_allclose([v for _, v in got], [watched[epochs == e, column].mean() for e in (1, 2, 3)],
                                   rtol=1e-5)


def test_settings_are_hparams_with_the_epoch_metrics(tmp_path):
    log, _, _, _ = run_logged(tmp_path, epochs=1)
    records = hparams_data(read_events(log.folder))
    assert [r.WhichOneof("data") for r in records] == ["experiment", "session_start_info", "session_end_info"]
    experiment, start, end = records
    assert {m.name.tag for m in experiment.experiment.metric_infos} == {
        "cost/train", "cost/validation", "accuracy/train", "accuracy/validation"}
    values = start.session_start_info.hparams
    assert values["lr"].number_value == 0.5
    assert values["batch_size"].number_value == 4
    assert values["optimizer"].string_value == "momentum"
    assert values["layers"].string_value == "2-4-1"
    assert values["activations"].string_value == "tanh/sigmoid"
    assert values["layer_lr"].string_value == "2, 1"
    assert values["stop_cost"].string_value == "off"
    assert values["data"].string_value == "xor"
    assert end.session_end_info.status == 1                    # STATUS_SUCCESS


def test_each_run_gets_a_folder_of_its_own(tmp_path, monkeypatch):
    assert tensorboard.run_folder_name("my run/1", 0).endswith("-my-run-1")
    monkeypatch.setattr(tensorboard, "run_folder_name", lambda label: f"20261201-120000-{label}")
    logs = [open_log(tmp_path, {}, "xor") for _ in range(3)]     # started in the same second
    for log in logs:
        log.close()
    assert [log.folder.name for log in logs] == ["20261201-120000-xor", "20261201-120000-xor-2",
                                                 "20261201-120000-xor-3"]
    assert all(log.folder.parent == tmp_path for log in logs)


def test_the_hparams_session_ends_as_the_run_did(tmp_path):
    from workbench.core.training import Diverged

    net = Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "cross-entropy", rng=np.random.default_rng(0))
    X, Y = xor_items()
    diverging = Hyperparameters(lr=1e30, batch_size=4, epochs=3)
    log = open_log(tmp_path / "a", {}, "diverged")
    records = list(log.follow(train(net, X, Y, diverging, chunked=True), net, diverging))
    assert isinstance(records[-1], Diverged)
    assert hparams_data(read_events(log.folder))[-1].session_end_info.status == 2      # STATUS_FAILURE
    fine = Hyperparameters(epochs=50)
    log = open_log(tmp_path / "b", {}, "stopped")
    run = log.follow(train(net, X, Y, fine, chunked=True), net, fine)
    next(run), next(run)
    run.close()                                      # Stop in the window: the generator is closed
    assert hparams_data(read_events(log.folder))[-1].session_end_info.status == 0      # STATUS_UNKNOWN


def test_following_other_weights_starts_their_means_afresh(tmp_path):
    net = Network.create([2, 4, 1], ["tanh", "sigmoid"], "cross-entropy", rng=np.random.default_rng(3))
    X, Y = xor_items()
    hp = Hyperparameters(batch_size=4, epochs=2)
    watch = [(0, 0, 0)]
    log = open_log(tmp_path, {}, "swap")
    watched = []
    for record in log.follow(train(net, X, Y, hp, watch=watch, chunked=True, pace=Pace(limit=2)), net, hp, watch=watch):
        if isinstance(record, BatchChunk):
            watched.append((list(watch), record.watched.copy(), record.epoch.copy()))
            if record.epoch[-1] == 1 and watch == [(0, 0, 0)]:
                watch[:] = [(1, 3, 0)]                 # the next chunks follow another weight
    found = scalars(read_events(log.folder))
    swapped = [w for w in watched if w[0] == [(1, 3, 0)]]
    assert swapped and swapped[0][2][0] == 1              # the swap came inside epoch 1
    values = np.concatenate([w[1][:, 0] for w in swapped])
    epochs = np.concatenate([w[2] for w in swapped])
    logged = dict(found["followed_gradient/W1_3_0"])
    for epoch in (1, 2):                                  # epoch 1: the batches after the swap only
        assert logged[epoch] == pytest.approx(float(values[epochs == epoch].mean()), rel=1e-5)
    assert "followed_gradient/W0_0_0" not in found       # no epoch ended while it was followed


def test_a_file_in_the_way_is_one_sentence(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(ExportError, match=r"it is a file, not a folder\.$"):
        open_log(tmp_path / "taken", {}, "x")
    with pytest.raises(ExportError, match=r"^Cannot write TensorBoard logs into .*taken/deeper: .*taken is a file"):
        open_log(tmp_path / "taken" / "deeper", {}, "x")
    with pytest.raises(ExportError, match=r"^Cannot write TensorBoard logs into .*/a/b: the folder .*/a does not "
                                          r"exist\.$"):
        open_log(tmp_path / "a" / "b", {}, "x")           # the log folder is made; its parent is not
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_without_tensorboardx_one_line_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(MissingPackage) as caught:
        open_log(tmp_path, {}, "x")
    assert str(caught.value) == "TensorBoard logs need the tensorboardX package: pip install 'workbench[tensorboard]'"
    assert list(tmp_path.iterdir()) == []                       # nothing made


def run_cli(*argv):
    import io

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_a_run_folder_under_the_tensorboard_option(tmp_path):
    code, out, err = run_cli("train", "--data", "xor", "--layers", "2,4,1", "--epochs", "5", "--log-every", "1",
                             "--lr", "2", "--tensorboard", str(tmp_path / "runs"))
    assert code == 0, err
    (folder,) = (tmp_path / "runs").iterdir()
    assert f"TensorBoard logs: {folder} (view with: tensorboard --logdir {tmp_path / 'runs'})" in out
    events = read_events(folder)
    found = scalars(events)
    assert [s for s, _ in found["cost/train"]] == [0, 1, 2, 3, 4, 5]
    assert found["cost/train"][-1][1] == pytest.approx(float(out.split("Epoch 5/5")[1].split("cost ")[1].split()[0]),
                                                       rel=1e-3)
    values = hparams_data(events)[1].session_start_info.hparams
    assert values["lr"].number_value == 2 and values["epochs"].number_value == 5
    assert values["data"].string_value == "xor:outputs=1"


def test_cli_refuses_before_training_where_the_log_cannot_be_written(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    code, out, err = run_cli("train", "--data", "xor", "--epochs", "1", "--tensorboard", str(tmp_path / "file"))
    assert code == 2 and "Training" not in out
    assert err.strip().endswith("--tensorboard: Cannot write TensorBoard logs into "
                                f"{tmp_path / 'file'}: it is a file, not a folder.")
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    code, out, err = run_cli("train", "--data", "xor", "--epochs", "1", "--tensorboard", str(tmp_path / "runs"))
    assert code == 2 and "Training" not in out
    assert "pip install 'workbench[tensorboard]'" in err and len(err.strip().splitlines()) == 1
