"""Workbench: design feed-forward networks, train them by back-propagation and watch them learn."""

import os

# Training multiplies tiny matrices (a mini-batch of 10 by a 784×30 layer), where a second BLAS
# thread costs more in hand-off than it saves (measured: ~40 % slower at batch 10), and the window
# needs a free core for drawing. Set before numpy loads; an explicit user setting wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

__version__ = "0.1.0"
