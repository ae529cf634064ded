"""Limits several layers share (no Qt): the widest whole number a Qt control holds, the longest
label Workbench reads, and how much of a user's value a message repeats (``clipped``,
``count_text``)."""

from __future__ import annotations

import math

__all__ = ["INT32_MAX", "MAX_LABEL_CHARS", "SHOWN_CHARS", "clipped", "count_text"]

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


def count_text(n: int) -> str:
    """A count for a message: "4,096", or past 10¹⁵ its order, "about 10^40" (an int of thousands of
    digits cannot even be turned into text)."""
    if abs(n) < 10**15:
        return f"{n:,}"
    return f"{'minus ' if n < 0 else ''}about 10^{math.floor(math.log10(abs(n)))}"
