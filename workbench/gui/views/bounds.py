"""How much a view draws at most, whatever the data set and the network: the first classes of a
legend or a class chooser, the latest markers, an even sample of the points, the first neurons
of a wide layer (the confusion matrix's bound, maths, is ``core.evaluation.bounded_classes``).
Drawing grows with what is drawn, not with the data: a 10,000-class data set put 10,000 entries
in a legend (minutes of layout), 20,000 markers froze the plots for a minute.
"""

from __future__ import annotations

import numpy as np

#: Classes a legend names one by one.  Past it the output map names the first ones and sums up the
#: rest in one "… and N more classes" entry; the Data panel's preview draws all classes as one item.
MAX_LEGEND_CLASSES = 12
#: Classes offered by a class chooser (the first ones).
MAX_CLASS_CHOICES = 100
#: Markers drawn as lines (the latest ones), and of those the ones that get a label.
MAX_MARKER_LINES = 100
MAX_MARKER_LABELS = 20
#: Points of one kind (training, held out) drawn on a map: an even sample of the split.
MAX_MAP_POINTS = 5000
#: Curves of one kind on a 1-D output map (outputs; hidden neurons' contributions): the first ones.
MAX_MAP_CURVES = 32
#: Names joined into a title ("Network output c0, c1, c2, …").
MAX_TITLE_NAMES = 3


def more_text(left: int, what: str) -> str:
    """"… and 9,988 more classes" (``what`` plural)."""
    return f"… and {left:,} more {what}"


def even_sample(n: int, limit: int) -> np.ndarray:
    """(min(n, limit),) int64 indices spread evenly over range(n), first and last included."""
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def short_list(names, limit: int = MAX_TITLE_NAMES) -> str:
    """"a, b, c" or, past ``limit`` names, "a, b, c and 9,997 more"."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit:,} more"
