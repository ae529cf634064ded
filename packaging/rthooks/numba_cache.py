"""PyInstaller run-time hook: put numba's cache of the compiled training kernel in the user's cache
folder, never inside the bundle.

It runs in the frozen executable before the entry point, so before anything imports numba (which
reads $NUMBA_CACHE_DIR once, on import). A $NUMBA_CACHE_DIR the user set wins. Otherwise the cache is
``$XDG_CACHE_HOME/workbench/numba/<executable>`` (``~/.cache/…`` where $XDG_CACHE_HOME is unset or
not absolute, as the XDG specification says): one folder per executable, because a frozen
application's cache entries are stamped with the executable's own hash, so ``workbench`` and
``workbench-cli`` sharing one folder would overwrite each other's entries and compile again on every
switch.
"""


def _set_numba_cache_dir():
    import os
    import sys

    if not getattr(sys, "frozen", False) or os.environ.get("NUMBA_CACHE_DIR"):
        return
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    name = os.path.splitext(os.path.basename(sys.executable))[0] or "workbench"
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(base, "workbench", "numba", name)


_set_numba_cache_dir()
del _set_numba_cache_dir
