"""The window's own open paths fed mutated files (the mutators of tests/test_fuzz_loaders.py): File →
Open and Load Weights either take the file or say why in one line, and a refusal changes nothing."""

from __future__ import annotations

import json
import os

import numpy as np
from PySide6.QtWidgets import QMessageBox

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads, open_window, window  # noqa: F401
from tests.test_fuzz_loaders import SEED, _mutate_session, _mutate_weights, _session_doc

CASES = int(os.environ.get("WORKBENCH_FUZZ_WINDOW_CASES", "80"))


def _collect_problems(window, monkeypatch) -> list[str]:
    problems = []
    window.files.report_problem = problems.append
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    return problems


def _one_line(text: str) -> bool:
    return bool(text) and "\n" not in text.strip() and "Traceback" not in text and len(text) < 600


def test_mutated_sessions_open_or_leave_the_window_as_it_was(qtbot, window, tmp_path, monkeypatch):
    problems = _collect_problems(window, monkeypatch)
    rng = np.random.default_rng([SEED, 20])
    doc = _session_doc()
    opened = 0
    for i in range(CASES):
        path = tmp_path / f"s{i}.wbsession"
        path.write_bytes(_mutate_session(rng, doc))
        before = (window.experiment.path, window.experiment.net, window.experiment.dataset)
        del problems[:]
        if window.files.open_session(str(path)):
            opened += 1
            assert not problems
            qtbot.waitUntil(lambda: not window.data_panel.is_busy(), timeout=10_000)
        else:
            assert len(problems) == 1 and _one_line(problems[0]), (path, problems)
            after = (window.experiment.path, window.experiment.net, window.experiment.dataset)
            assert after[0] == before[0] and after[1] is before[1] and after[2] is before[2], path
    assert 0 < opened < CASES


def test_mutated_weight_files_load_or_are_refused_in_one_line(qtbot, window, tmp_path, monkeypatch):
    problems = _collect_problems(window, monkeypatch)
    rng = np.random.default_rng([SEED, 21])
    refused = 0
    for i in range(CASES):
        path = tmp_path / f"w{i}.npz"
        path.write_bytes(_mutate_weights(rng))
        net = window.experiment.net
        del problems[:]
        if not window.files.load_weights(str(path)):
            refused += 1
            assert window.experiment.net is net
            assert len(problems) <= 1 and all(_one_line(p) for p in problems), (path, problems)
    assert refused > 0


def test_the_unmutated_session_opens_in_the_window(qtbot, window, tmp_path, monkeypatch):
    problems = _collect_problems(window, monkeypatch)
    path = tmp_path / "s.wbsession"
    path.write_text(json.dumps(_session_doc()))
    assert window.files.open_session(str(path)), problems
