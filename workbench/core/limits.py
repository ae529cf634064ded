"""Limits several layers share (no Qt): the widest whole number a Qt control holds, the longest
label Workbench reads, and how much of a user's value a message repeats (``clipped``)."""

from __future__ import annotations

__all__ = ["INT32_MAX", "MAX_LABEL_CHARS", "SHOWN_CHARS", "clipped"]

#: The largest C int: Qt's spin boxes and item data take nothing wider (a larger Python int
#: overflows inside shiboken), so a whole-number option or seed stays within ±INT32_MAX.
INT32_MAX = 2**31 - 1
#: The longest class label, curve label or marker text read from a file.
MAX_LABEL_CHARS = 1000
#: Characters of a value from the user or a file (a cell, a name, an option) a message repeats.
SHOWN_CHARS = 40


def clipped(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` itself, or past ``limit`` characters its first ``limit - 1`` and "…"."""
    return text if len(text) <= limit else text[:limit - 1] + "…"
