"""Hostile session files: every field type-checked and bounded, one sentence naming the field and
never a traceback; bounded reads (FIFO, device, symlink loop, sparse file); a UTF-8 BOM accepted;
a session too large to be read again is never written; the training panel's rules without Qt."""

import base64
import copy
import io
import json
import os
import threading

import numpy as np
import pytest

from workbench.core import Network, sessionfile
from workbench.core import history as history_module
from workbench.core.history import RunHistory
from workbench.core.hyperparameters import PANEL_RANGES, hyperparameter_problem, shown
from workbench.core.sessionfile import Session, SessionError, load_session, save_session


def _good_doc() -> dict:
    """A trained-looking 2-3-1 session with weights, a history of a few batches and markers."""
    from workbench.core import BatchRecord

    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], "cross-entropy", rng=np.random.default_rng(4))
    history = RunHistory(2, True)
    history.add_batches([BatchRecord(epoch=1, batch=b, batches_in_epoch=2, step=b, samples_seen=2 * b,
                                     n_train=4, cost=0.5, delta_norms=[0.1, 0.2], bias_gradients=None,
                                     weight_norms=[1.0, 1.0]) for b in (1, 2)])
    history.add_marker("η 0.5 → 0.2")
    session = Session(name="Good", architecture=net.architecture(), network=net, data="xor",
                      hyperparameters={"optimizer": "momentum", "lr": 0.25, "momentum": 0.9, "batch_size": "full",
                                       "epochs": 10, "l2": 0.0, "layer_lr": [1.0, 0.5], "init": "normal",
                                       "bias_init": "zero", "seed": 3, "dtype": "float32", "resolution": "epoch"},
                      history=history.to_json(), epochs_trained=1, steps_trained=2, watch=[(0, 1, 2)])
    return session.to_json()


def _load_text(tmp_path, text: str | bytes):
    path = tmp_path / "s.wbsession"
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return load_session(str(path))


def _refusal(tmp_path, doc) -> str:
    with pytest.raises(SessionError) as info:
        _load_text(tmp_path, doc if isinstance(doc, str) else json.dumps(doc))
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message and len(message) < 400, message
    return message


def test_the_good_document_loads(tmp_path):
    session = _load_text(tmp_path, json.dumps(_good_doc()))
    assert session.architecture["sizes"] == [2, 3, 1] and session.run_history.markers
    assert session.notes == []


HOSTILE = [  # (name, change to the good document, words the refusal must contain)
    ("activations as a list", lambda d: d["architecture"].update(activations=[["tanh"], "sigmoid"]), "activation"),
    ("cost as a list", lambda d: d["architecture"].update(cost=["quadratic"]), "cost"),
    ("sizes as text", lambda d: d["architecture"].update(sizes="2,3,1"), "sizes"),
    ("layer above 2**31-1", lambda d: d["architecture"].update(sizes=[2, 2**31, 1]), "at most 4,096"),
    ("layer of 10**9", lambda d: d["architecture"].update(sizes=[2, 10**9, 1]), "at most 4,096"),
    ("10,000 layers", lambda d: d["architecture"].update(sizes=[2] * 10_001, activations=["tanh"] * 10_000),
     "at most 64"),
    ("lr null", lambda d: d["hyperparameters"].update(lr=None), "'lr'"),
    ("lr a list", lambda d: d["hyperparameters"].update(lr=[0.5]), "'lr'"),
    ("lr true", lambda d: d["hyperparameters"].update(lr=True), "'lr'"),
    ("lr beyond a float", lambda d: d["hyperparameters"].update(lr=10**400), "'lr'"),
    ("layer_lr a number", lambda d: d["hyperparameters"].update(layer_lr=5), "'layer_lr'"),
    ("layer_lr too short", lambda d: d["hyperparameters"].update(layer_lr=[1.0]), "1 multiplier for a network of 2"),
    ("layer_lr text", lambda d: d["hyperparameters"].update(layer_lr=[1.0, "x"]), "'layer_lr'"),
    ("optimizer a list", lambda d: d["hyperparameters"].update(optimizer=["sgd"]), "'optimizer'"),
    ("dtype unknown", lambda d: d["hyperparameters"].update(dtype="float16"), "'dtype'"),
    ("batch size text", lambda d: d["hyperparameters"].update(batch_size="ten"), "'batch_size'"),
    ("batch size negative", lambda d: d["hyperparameters"].update(batch_size=-1), "'batch_size'"),
    ("epochs a float", lambda d: d["hyperparameters"].update(epochs=2.5), "'epochs'"),
    ("seed beyond 2**53", lambda d: d["hyperparameters"].update(seed=2**64), "'seed'"),
    ("resolution unknown", lambda d: d["hyperparameters"].update(resolution="hourly"), "'resolution'"),
    ("hyperparameters a list", lambda d: d.update(hyperparameters=[1, 2]), "'hyperparameters'"),
    ("epochs_trained 10**30", lambda d: d.update(epochs_trained=10**30), "'epochs_trained'"),
    ("steps_trained a float", lambda d: d.update(steps_trained=3.0), "'steps_trained'"),
    ("name of a million characters", lambda d: d.update(name="x" * 10**6), "'name'"),
    ("data spec of a million characters", lambda d: d.update(data="x" * 10**6), "'data'"),
    ("nine followed weights", lambda d: d.update(watch=[[0, 0, 0]] * 9), "at most 8"),
    ("a followed index beyond int32", lambda d: d.update(watch=[[0, 2**40, 0]]), "'watch'"),
    ("version as text", lambda d: d.update(version="1"), "version '1'"),
    ("history version as text", lambda d: d["history"].update(version="1"), "'version' in the history is '1'"),
    ("history of 10,000 layers", lambda d: d["history"].update(n_layers=10_000), "1 to 64"),
    ("history n_layers of 400 digits", lambda d: d["history"].update(n_layers=10**400), "about 401 digits"),
    ("a marker text that is a number", lambda d: d["history"].update(markers=[{"x": 1.0, "text": 5}]), "marker 1"),
    ("a marker beyond a float", lambda d: d["history"].update(markers=[{"x": 10**400, "text": "a"}]), "marker 1"),
    ("a marker of a megabyte", lambda d: d["history"].update(markers=[{"x": 1.0, "text": "m" * 2**20}]),
     "marker 1 has a text of 1,048,576"),
    ("last_x beyond a float", lambda d: d["history"].update(last_x=10**400), "last_x"),
    ("a step beyond 2**53", lambda d: d["history"]["batches"].update(step=[1, 2**60]), "batches.step"),
    ("a cost beyond a float", lambda d: d["history"]["batches"].update(cost=[0.5, 10**400]), "batches.cost"),
    ("twenty followed curves", lambda d: d["history"].update(watch_labels=["w"] * 20), "at most 8"),
    ("a view option beyond int32", lambda d: d.update(views={"settings": {"first-layer": {"first": 10**30}}}),
     "'views.settings.first-layer.first'"),
    ("a nested view option", lambda d: d.update(views={"settings": {"curves": {"x": [[[1]]]}}}), "views.settings"),
    ("a view option of a megabyte", lambda d: d.update(views={"settings": {"curves": {"x": "y" * 2**20}}}),
     "views.settings"),
    ("a thousand options for a view", lambda d: d.update(views={"settings": {"curves": {str(i): 1 for i in range(1000)}}}),
     "at most 64 options"),
]


@pytest.mark.parametrize("name, change, words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_field_is_refused_with_one_sentence_naming_it(tmp_path, name, change, words):
    doc = _good_doc()
    change(doc)
    assert words in _refusal(tmp_path, doc)


def test_json_nested_100000_deep_is_refused(tmp_path):
    text = '{"format": "workbench-session", "version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert "nested too deeply" in _refusal(tmp_path, text)


def test_json_of_millions_of_values_is_refused_before_it_is_parsed(tmp_path):
    """Parsing grows a file of "{}," up to 75 times: 256 MiB of it would need 6 GiB."""
    import tracemalloc

    text = '{"format": "workbench-session", "version": 1, "x": [' + ",".join(["{}"] * 9_000_000) + "]}"
    tracemalloc.start()
    try:
        message = _refusal(tmp_path, text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "more JSON values than the 8,000,000 Workbench reads" in message
    assert peak < 3 * len(text)          # the text itself, decoded; nothing parsed


def test_an_integer_of_5000_digits_is_refused(tmp_path):
    text = '{"format": "workbench-session", "version": 1, "epochs_trained": ' + "9" * 5000 + "}"
    assert "thousands of digits" in _refusal(tmp_path, text)


def test_stored_weights_beyond_the_limits_are_refused(tmp_path):
    """Weights of a 2-5000-1 network (the hidden layer is over MAX_NEURONS) written as save_weights
    would: refused as the designer would refuse the architecture, whatever names the file gives."""
    from workbench.core.serialization import FORMAT, VERSION

    arrays = {"architecture": np.array(json.dumps({"format": FORMAT, "version": VERSION, "sizes": [2, 5000, 1],
                                                   "activations": ["tanh", "sigmoid"], "cost": "quadratic"})),
              "W0": np.zeros((2, 5000), np.float32), "b0": np.zeros(5000, np.float32),
              "W1": np.zeros((5000, 1), np.float32), "b1": np.zeros(1, np.float32)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    doc = _good_doc()
    doc.update(architecture=None, history=None, watch=[], hyperparameters={},
               weights={"encoding": "npz-base64", "data": base64.b64encode(buffer.getvalue()).decode()})
    assert "4,096" in _refusal(tmp_path, doc)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    session = _load_text(tmp_path, b"\xef\xbb\xbf" + json.dumps(_good_doc()).encode("utf-8"))
    assert session.name == "Good"


def test_markers_beyond_the_limit_keep_the_latest_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(history_module, "MAX_MARKERS", 10)
    doc = _good_doc()
    doc["history"]["markers"] = [{"x": i / 100, "text": f"m{i}"} for i in range(25)]
    session = _load_text(tmp_path, json.dumps(doc))
    assert [text for _, text in session.run_history.markers] == [f"m{i}" for i in range(15, 25)]
    assert session.notes == ["The plot history holds 25 markers; only the latest 10 are kept."]


def test_20000_markers_load_quickly_and_bounded(tmp_path):
    """Found by the campaign: 20,000 markers froze the window; a session keeps MAX_MARKERS."""
    doc = _good_doc()
    doc["history"]["markers"] = [{"x": i / 1000, "text": "η"} for i in range(20_000)]
    session = _load_text(tmp_path, json.dumps(doc))
    assert len(session.run_history.markers) == history_module.MAX_MARKERS == 1000
    assert "20,000 markers" in session.notes[0]


def test_history_rows_beyond_max_points_are_refused(tmp_path, monkeypatch):
    doc = _good_doc()                # two batch rows
    monkeypatch.setattr(history_module, "MAX_POINTS", 1)
    assert "at most 1 per curve" in _refusal(tmp_path, doc)


def _refused_within(path, seconds: float = 5.0) -> str:
    """load_session(path)'s refusal, which must come within ``seconds`` (a FIFO must not block)."""
    result = {}

    def run():
        try:
            load_session(str(path))
            result["message"] = None
        except SessionError as exc:
            result["message"] = str(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"load_session({path}) blocked"
    assert result["message"] is not None
    return result["message"]


def test_a_fifo_a_device_and_a_symlink_loop_are_refused_unread(tmp_path):
    fifo = tmp_path / "pipe.wbsession"
    os.mkfifo(fifo)
    assert "named pipe" in _refused_within(fifo)
    assert "device" in _refused_within("/dev/zero")
    loop = tmp_path / "loop.wbsession"
    os.symlink(loop, loop)
    assert "loop of symbolic links" in _refused_within(loop)


def test_a_sparse_10_gb_file_is_refused_unread(tmp_path):
    sparse = tmp_path / "huge.wbsession"
    with open(sparse, "wb") as f:
        f.truncate(10 * 2**30)
    assert "too large to be a Workbench session (10 GiB" in _refused_within(sparse)


def test_a_session_too_large_to_be_read_again_is_not_written(tmp_path, monkeypatch):
    doc = _good_doc()
    path = tmp_path / "big.wbsession"
    path.write_text("previous")
    monkeypatch.setattr(sessionfile, "MAX_BYTES", 1000)
    session = sessionfile.session_from_json(copy.deepcopy(doc))
    with pytest.raises(SessionError, match="more than the 1000 bytes a session may hold; save it without its weights"):
        save_session(str(path), session)
    assert path.read_text() == "previous" and not list(tmp_path.glob(".*.tmp"))


# ---------------------------------------------------------------------- the training panel's rules
def test_panel_rules_refuse_what_the_controls_cannot_hold():
    good = {"lr": 1000.0, "momentum": 0.999, "batch_size": 1_000_000, "epochs": 1, "seed": 2**31 - 1,
            "layer_lr": [0.0, 1000.0]}
    assert hyperparameter_problem(good, 2, panel=True) is None
    for change, words in (({"lr": 5000.0}, "from 0 to 1,000"), ({"seed": 2**31}, "2,147,483,647"),
                          ({"batch_size": 2_000_000}, "mini-batches of 2 to 1,000,000"),
                          ({"epochs": 0}, "1 to 1,000,000"), ({"momentum": 0.9995}, "momentum"),
                          ({"layer_lr": [1.0, 1001.0]}, "position 2")):
        problem = hyperparameter_problem({**good, **change}, 2, panel=True)
        assert problem and words in problem, (change, problem)
        assert hyperparameter_problem({**good, **change}, 2) is None     # the CLI's sessions may hold them
    assert PANEL_RANGES["seed"] == (0, 2**31 - 1)


def test_values_are_shown_briefly():
    assert shown(None) == "null" and shown(True) == "true" and shown([1, 2]) == "a list of 2 items"
    assert shown(10**400) == "a number of about 401 digits"
    assert shown("x" * 100).endswith("…")
