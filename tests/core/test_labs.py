"""Lab files (resources/labs): every lab loads, names, groups and orders are unique, the files
generated from code equal the committed ones, and a damaged lab is refused with one sentence."""

import json

import pytest

from workbench.core import labs
from workbench.core.lab_files import NIELSEN_SPEEDS, lab_documents, write_labs
from workbench.core.labs import LABS_DIR, LabError, lab_index, lab_names, load_lab
from workbench.core.sessionfile import FORMAT, VERSION


def _doc(**lab):
    info = {"title": "A lab", "group": "Tests", "order": 1, "text": "Look at the cost."}
    info.update(lab)
    return {"format": FORMAT, "version": VERSION, "name": "A lab", "data": "xor",
            "architecture": {"sizes": [2, 2, 1], "activations": ["sigmoid", "sigmoid"],
                             "cost": "cross-entropy"},
            "hyperparameters": {"lr": 0.5, "batch_size": "full"},
            "views": {"front": "output-map", "open": ["diagram"], "settings": {}}, "lab": info}


def _write(folder, name, doc):
    path = folder / f"{name}.wbsession"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def _one_sentence(message: str):
    assert message and "\n" not in message and "Traceback" not in message
    assert message.rstrip().endswith(".")


def test_a_lab_loads_into_its_session(tmp_path):
    _write(tmp_path, "tiny", _doc(reference={"initial_speeds": [0.1, 0.2], "source": "a book"}))
    lab = load_lab("tiny", tmp_path)
    assert (lab.name, lab.title, lab.group, lab.order) == ("tiny", "A lab", "Tests", 1)
    assert lab.reference == {"initial_speeds": [0.1, 0.2], "source": "a book"}
    assert lab.session.architecture["sizes"] == [2, 2, 1]
    assert lab.session.data == "xor" and lab.session.views["front"] == "output-map"
    assert lab_names(tmp_path) == ["tiny"]


def test_an_unknown_lab_lists_the_known_ones(tmp_path):
    _write(tmp_path, "alpha", _doc())
    _write(tmp_path, "beta", _doc(order=2))
    for name in ("gamma", "../alpha", "alpha.wbsession", "", "x" * 500):
        with pytest.raises(LabError) as caught:
            load_lab(name, tmp_path)
        _one_sentence(str(caught.value))
        assert "alpha, beta" in str(caught.value)


@pytest.mark.parametrize("change, words", [
    (lambda d: d.pop("lab"), "no \"lab\" object"),
    (lambda d: d["lab"].update(title=""), "lab.title"),
    (lambda d: d["lab"].update(title=7), "lab.title"),
    (lambda d: d["lab"].update(group="g" * 5000), "lab.group"),
    (lambda d: d["lab"].update(text="t" * 5000), "lab.text"),
    (lambda d: d["lab"].update(order=1.5), "lab.order"),
    (lambda d: d["lab"].update(order=True), "lab.order"),
    (lambda d: d["lab"].update(order=10**40), "lab.order"),
    (lambda d: d["lab"].update(reference=[1, 2]), "lab.reference"),
    (lambda d: d["lab"].update(reference={"x": [[1]]}), "lab.reference"),
    (lambda d: d["lab"].update(reference={"x": float("nan")}), "lab.reference"),
    (lambda d: d["lab"].update(reference={str(i): i for i in range(40)}), "lab.reference"),
    (lambda d: d.update(format="other"), "not a Workbench session"),
    (lambda d: d["architecture"].update(sizes=[2, 0, 1]), "architecture"),
    (lambda d: d["hyperparameters"].update(lr="fast"), "learning rate"),
])
def test_a_damaged_lab_is_refused_with_one_sentence(tmp_path, change, words):
    doc = _doc()
    change(doc)
    _write(tmp_path, "bad", doc)
    with pytest.raises(LabError) as caught:
        load_lab("bad", tmp_path)
    message = str(caught.value)
    _one_sentence(message)
    assert message.startswith("The lab 'bad'") and words in message, message


@pytest.mark.parametrize("content", ["{", "[1, 2]", "\udcff", "[" * 100_000, "1" * 5000])
def test_a_lab_that_is_not_json_is_refused(tmp_path, content):
    path = tmp_path / "bad.wbsession"
    if content == "\udcff":
        path.write_bytes(b"\xff\xfe{}")
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(LabError) as caught:
        load_lab("bad", tmp_path)
    _one_sentence(str(caught.value))


def test_a_lab_that_is_not_a_regular_file_or_too_large_is_refused(tmp_path, monkeypatch):
    (tmp_path / "folder.wbsession").mkdir()
    with pytest.raises(LabError) as caught:
        load_lab("folder", tmp_path)
    _one_sentence(str(caught.value))
    _write(tmp_path, "big", _doc())
    monkeypatch.setattr(labs, "MAX_LAB_BYTES", 100)
    with pytest.raises(LabError, match="too large"):
        load_lab("big", tmp_path)


def test_the_index_sorts_by_group_and_order_and_names_a_broken_lab(tmp_path):
    _write(tmp_path, "b", _doc(order=2))
    _write(tmp_path, "a", _doc(order=3))
    _write(tmp_path, "c", _doc(group="Another", order=9))
    _write(tmp_path, "broken", "{")
    found, problems = lab_index(tmp_path)
    assert [lab.name for lab in found] == ["c", "b", "a"]
    assert len(problems) == 1 and "'broken'" in problems[0]


def test_every_installed_lab_loads_with_unique_names_and_orders():
    names = lab_names()
    assert len(names) >= 1 and LABS_DIR.is_dir()
    loaded = [load_lab(name) for name in names]
    titles = [lab.title for lab in loaded]
    assert len(set(titles)) == len(titles), "two labs share a title"
    keys = [(lab.group, lab.order) for lab in loaded]
    assert len(set(keys)) == len(keys), "two labs share an order inside a group"
    for lab in loaded:
        assert lab.session.architecture is not None and lab.session.data
        assert lab.session.views and lab.session.views.get("front")


def test_the_committed_lab_files_are_what_the_code_writes(tmp_path):
    written = write_labs(tmp_path)
    assert {p.stem for p in written} == set(lab_documents())
    for path in written:
        committed = LABS_DIR / path.name
        assert committed.is_file(), f"{path.name} is missing: run python -m workbench.core.lab_files"
        assert committed.read_bytes() == path.read_bytes(), \
            f"{path.name} differs from what workbench/core/lab_files.py writes: run python -m workbench.core.lab_files"


def _own_labs() -> dict:
    """The labs lab_files writes itself (core.demofox and core.universality write the others)."""
    return {k: v for k, v in lab_documents().items() if not k.startswith("demofox-") and k != "universality"}


def test_the_generated_labs_load_and_say_what_to_look_for():
    for name, doc in _own_labs().items():
        lab = load_lab(name)
        assert "What to look for" in lab.text and lab.session.views["front"]
        assert len(lab.text.split(". ")[0]) < 400          # the first sentence makes the menu's tip
    groups = {load_lab(n).group for n in _own_labs()}
    assert groups == {"Nielsen, chapter 5", "McCaffrey", "TensorFlow Playground"}
    assert set(lab_documents()) == set(lab_names())         # every committed lab is written by code


def test_the_vanishing_labs_are_nielsens_set_up():
    for hidden, speeds in NIELSEN_SPEEDS.items():
        lab = load_lab(f"vanishing-gradient-{hidden}")
        s = lab.session
        assert s.architecture == {"sizes": [784] + [30] * hidden + [10],
                                  "activations": ["sigmoid"] * (hidden + 1), "cost": "cross-entropy"}
        hp = s.hyperparameters
        assert (hp["lr"], hp["l2"], hp["batch_size"], hp["epochs"], hp["init"], hp["bias_init"],
                hp["resolution"]) == (0.1, 5.0, "full", 500, "scaled-normal", "normal", "epoch")
        assert s.data == "mnist:train=1000,validation=0,test=0"
        assert lab.reference["initial_speeds"] == speeds and s.views["front"] == "curves"


def test_the_exploding_chain_has_zero_weighted_inputs_and_growing_gradients():
    import numpy as np

    from workbench.core.training import full_bias_gradient

    lab = load_lab("exploding-gradient")
    net = lab.session.network
    x = np.array([[1.0]])
    a = x
    for W, b in zip(net.weights, net.biases):
        z = a @ W + b
        assert np.allclose(z, 0.0) and W[0, 0] == 100.0
        a = 1 / (1 + np.exp(-z))
    speeds = [abs(float(g[0])) for g in full_bias_gradient(net, x, np.array([[0.0]]))]
    assert np.allclose(speeds, [7812.5, 312.5, 12.5, 0.5])
    assert np.allclose(lab.reference["initial_speeds"], speeds)
    assert lab.session.points["splits"]["train"] == {"x": [[1.0]], "labels": [0]}


def test_speed_rows_compare_each_layer_with_its_figure():
    from workbench.core.labs import speed_rows

    ref = {"initial_speeds": [0.01, 0.1], "spread": [0.5, 2.0]}
    rows = speed_rows(ref, [0.004, 0.15, 1.2], 3)
    assert [r[0] for r in rows] == ["hidden 1", "hidden 2"]
    assert rows[0][2:] == (0.004, pytest.approx(0.4), False) and rows[1][3:] == (pytest.approx(1.5), True)
    assert [r[2:] for r in speed_rows(ref, None, 3)] == [(None, None, None)] * 2
    assert speed_rows({"initial_speeds": [1, 2, 3]}, [1, 2], 2) == []         # more figures than layers
    assert speed_rows({}, [1.0], 1) == [] and speed_rows({"initial_speeds": [0.0]}, [1.0], 1)[0][3] is None
    assert speed_rows({"initial_speeds": [1.0]}, [float("inf")], 1)[0][3:] == (None, None)


def test_the_first_record_of_a_run_holds_the_initial_speeds():
    import numpy as np

    from workbench.core import Network
    from workbench.core.history import RunHistory
    from workbench.core.labs import first_record_speeds, initial_speeds
    from workbench.core.training import EpochRecord, Hyperparameters, train

    rng = np.random.default_rng(1)
    net = Network.create([3, 4, 2], ["sigmoid", "sigmoid"], "cross-entropy", rng=rng, dtype="float64")
    X, Y = rng.uniform(size=(20, 3)), np.eye(2)[rng.integers(0, 2, 20)]
    expected = initial_speeds(net, X, Y)
    history = RunHistory(2, True)
    assert first_record_speeds(history) is None
    records = list(train(net, X, Y, Hyperparameters(lr=0.5, batch_size="full", epochs=3), rng=rng, engine="numpy"))
    history.add_epochs([r for r in records if isinstance(r, EpochRecord)])
    assert first_record_speeds(history) == pytest.approx(expected)
    assert initial_speeds(net, X, Y) != pytest.approx(expected)      # the trained weights differ


@pytest.mark.parametrize("key, value", [("initial_speeds", ["fast", "slow"]), ("initial_speeds", [0.1, -1]),
                                        ("spread", [0.5]), ("spread", ["a", "b"]), ("initial_speeds", 3)])
def test_reference_numbers_the_notes_compute_with_must_be_numbers(key, value):
    import json

    doc = json.loads((LABS_DIR / "vanishing-gradient-2.wbsession").read_text())
    doc["lab"]["reference"][key] = value
    with pytest.raises(LabError, match=f"entry '{key}' must be a list of"):
        labs.lab_from_json("vanishing-gradient-2", doc)
