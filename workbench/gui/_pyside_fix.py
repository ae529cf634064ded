"""Work around a reference-count bug of PySide6 6.12 on Python < 3.12.

With PySide6-Essentials 6.12.0 on CPython 3.11 every call of a wrapped C++ method that returns
``void`` (``setText``, ``processEvents``, ``update``...) gives back ``None`` without taking a
reference to it, and every ``Signal.emit`` does the same with ``True``; so the reference counts of
``None`` and ``True`` drop by one per call.  After a few thousand calls one reaches zero and the
interpreter aborts with "Fatal Python error: none_dealloc" (or "bool_dealloc").  On Python ≥ 3.12
these objects are immortal (PEP 683) and the bug is harmless.

``protect_none()`` adds 2⁴⁰ to the counts of ``None``, ``True`` and ``False`` once, which makes
them effectively immortal on the affected versions; it is a no-op on Python ≥ 3.12 and when called
again.  It is applied when
``workbench.gui.main_window`` or ``workbench.app`` is imported.
"""

from __future__ import annotations

import ctypes
import sys

_BOOST = 1 << 40
_done = False


def protect_none() -> None:
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        _done = True
        return
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))   # ob_refcnt is the first field
        refcount.value += _BOOST
    _done = True


protect_none()
