"""The command line's stop conditions: --stop-accuracy, --stop-cost, --patience."""

import io

import pytest

from workbench.cli import main


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_stop_cost_ends_the_run_with_a_sentence():
    status, out, err = run("train", "--data", "xor", "--layers", "2,4,1", "--lr", "2", "--batch-size", "1",
                           "--epochs", "500", "--stop-cost", "1000")
    assert status == 0
    assert "Stopped at epoch 1: the cost " in out and "Epoch 2/" not in out


def test_patience_and_accuracy_flags():
    status, out, _ = run("train", "--data", "xor", "--layers", "2,4,1", "--lr", "0.000001", "--epochs", "100",
                         "--patience", "2")
    assert status == 0 and "Stopped at epoch 2: the validation accuracy has not improved for 2 epochs" in out
    status, out, _ = run("train", "--data", "xor", "--layers", "2,4,1", "--epochs", "5", "--stop-accuracy", "1")
    assert status == 0 and "Stopped at epoch 1: validation accuracy " in out


@pytest.mark.parametrize("argv, phrase", [
    (["--stop-accuracy", "101"], "--stop-accuracy is 101.0; it must be above 0 and at most 100"),
    (["--stop-cost", "-1"], "--stop-cost is -1.0; it must be 0 or more"),
    (["--patience", "0"], "--patience must be at least 1"),
])
def test_bad_stop_flags_give_one_line(argv, phrase):
    status, out, err = run("train", "--data", "xor", *argv)
    assert status == 2 and phrase in err and err.count("\n") == 1


def test_the_stop_met_is_the_saved_runs_end_reason(tmp_path):
    from workbench.core.sessionfile import load_session

    path = tmp_path / "s.wbsession"
    status, out, _ = run("train", "--data", "xor", "--layers", "2,4,1", "--lr", "2", "--batch-size", "1",
                         "--epochs", "500", "--stop-cost", "1000", "--save-session", str(path))
    assert status == 0
    run_ = load_session(str(path)).runs.current_run
    assert run_.end_reason.startswith("Stopped at epoch 1: the cost ") and run_.end_reason in out
    assert [c.epochs for c in run_.checkpoints] == [0, 1]
