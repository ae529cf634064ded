"""Session files for the window: the format lives in ``workbench.core.sessionfile`` (no Qt there, so
the command line reads and writes the same files); this module only re-exports it."""

from workbench.core.sessionfile import (FORMAT, MAX_BYTES, SUFFIX, VERSION, Session, SessionError,
                                        load_session, save_session, session_from_json)

__all__ = ["FORMAT", "VERSION", "SUFFIX", "MAX_BYTES", "Session", "SessionError", "session_from_json",
           "load_session", "save_session"]
