"""Data layer: MNIST / Fashion-MNIST (IDX files, cache, download), synthetic generators, CSV import.

numpy and the standard library only. Entry point: ``load_dataset(spec)``; the spec grammar is in
``workbench.data.params``.
"""

from .csvfile import PARAMS as CSV_PARAMS
from .dataset import Dataset, Split
from .errors import DataError, DownloadCancelled
from .export import export_csv
from .generators import GENERATORS, GeneratorInfo
from .idx import read_idx, write_idx
from .mnist import default_cache_dir, locate
from .params import Param, format_spec, parse_spec
from .sources import (DATASET_SPECS, SOURCES, SourceInfo, canonical_source, load_dataset, markdown_table,
                      same_data)

__all__ = [
    "CSV_PARAMS", "DATASET_SPECS", "DataError", "Dataset", "DownloadCancelled", "GENERATORS",
    "GeneratorInfo", "Param", "SOURCES", "SourceInfo", "Split", "canonical_source", "default_cache_dir",
    "export_csv", "format_spec", "load_dataset", "locate", "markdown_table", "parse_spec", "read_idx",
    "same_data",
    "write_idx",
]
