"""Exceptions of the data layer."""

from __future__ import annotations


class DataError(ValueError):
    """A data source could not be loaded; the message names the file, row and column where it can."""


class DownloadCancelled(Exception):
    """The user cancelled a download (or a long load) through the ``cancel`` callable."""
