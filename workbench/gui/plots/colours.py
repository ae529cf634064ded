"""Colours shared by the plots and the network diagram."""

#: One per followed weight, in order: its curve on the 'Followed weights' plot and its edge in the diagram.
WATCH_COLOURS = ["#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
