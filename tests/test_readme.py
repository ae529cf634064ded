"""README's promises: two set-up commands, CI runs the very test command, every data spec documented."""

import re
from pathlib import Path

from workbench.cli import _build_parser
from workbench.data import DATASET_SPECS

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _setup_commands():
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, flags=re.S)


def test_two_setup_commands_and_ci_runs_the_test_one():
    commands = _setup_commands()
    assert len(commands) == 2
    launch, test = commands
    assert "main.py" in launch and "pip install" in launch
    assert "pytest" in test and "pip install" in test
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines(), "the test command in .ci/run must be README's, character for character"


def test_every_data_source_is_documented():
    for source in DATASET_SPECS:
        assert f"`{source.name}" in README, source.name


def test_every_train_option_is_documented():
    parser = _build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]
    for action in train._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert f"`{option}" in README, option
