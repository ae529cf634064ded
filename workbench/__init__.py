"""Workbench: design feed-forward networks, train them by back-propagation and watch them learn."""

__version__ = "0.1.0"
