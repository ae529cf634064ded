"""The window's session module re-exports the Qt-free format in workbench.core.sessionfile
(tested in tests/core/test_sessionfile.py): the same objects, so files and errors are the same."""

import numpy as np

from tests.gui.wb_fixtures import isolated_settings, no_leaked_threads  # noqa: F401
from workbench.core import Network, sessionfile
from workbench.gui import session
from workbench.gui.session import SUFFIX, Session, SessionError, load_session, save_session


def test_window_names_are_the_core_ones():
    for name in ("FORMAT", "VERSION", "SUFFIX", "Session", "SessionError", "session_from_json",
                 "load_session", "save_session"):
        assert getattr(session, name) is getattr(sessionfile, name)
    assert SUFFIX == ".wbsession" and issubclass(SessionError, ValueError)


def test_round_trip_through_the_window_module(tmp_path):
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], "cross-entropy", rng=np.random.default_rng(4))
    path = tmp_path / f"a{SUFFIX}"
    save_session(str(path), Session(name="A", architecture=net.architecture(), network=net))
    loaded = load_session(str(path))
    assert loaded.name == "A"
    np.testing.assert_array_equal(loaded.network.weights[0], net.weights[0])
