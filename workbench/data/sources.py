"""``load_dataset``: one entry point for every data source, and the catalogue of sources."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import csvfile, mnist
from .dataset import Dataset
from .errors import DataError
from .generators import GENERATORS, generate
from .params import Param, format_value, parse_spec, resolve_params

# Importing these modules registers their generators.
from . import functions, logic, playground, teacher  # noqa: E402,F401  (registration side effect)

ALIASES = {"fashion": "fashion-mnist", "fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
           "tsv": "csv", "nielsen": "nielsen-function", "xor-quadrants": "quadrants",
           "multigaussian": "multi-gaussian", "gauss": "gaussians"}
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
ORDER = ["teacher", "xor", "parity", "not", "mazur", "circle", "quadrants", "gaussians", "spiral", "moons",
         "nielsen-function", "sine", "plane", "multi-gaussian"]
_ordered = sorted(GENERATORS.items(), key=lambda kv: ORDER.index(kv[0]) if kv[0] in ORDER else len(ORDER))
GENERATORS.clear()
GENERATORS.update(_ordered)


@dataclass(frozen=True)
class SourceInfo:
    """One data source for the GUI's data panel and the README.

    ``name``: spec source; ``title``; ``doc``: one sentence; ``params``: list of ``Param``;
    ``path``: ``"folder"`` (optional IDX folder), ``"file"`` (required CSV file) or ``None``;
    ``group``: ``"images"``, ``"file"``, ``"teacher"``, ``"logic"``, ``"playground"``, ``"regression"``;
    ``task``: ``"classification"``, ``"regression"`` or ``"either"``; ``example``: a spec string.
    """

    name: str
    title: str
    doc: str
    params: list[Param]
    path: str | None
    group: str
    task: str
    example: str


def _catalogue() -> list[SourceInfo]:
    out = [
        SourceInfo("mnist", "MNIST", "Handwritten digits 0-9, 28×28 pixels; from DIR, the cache, or a "
                   "download.", mnist.PARAMS, "folder", "images", "classification", "mnist:train=1000"),
        SourceInfo("fashion-mnist", "Fashion-MNIST", "Zalando's 10 clothing classes, 28×28 pixels; from "
                   "DIR, the cache, Debian's dataset-fashion-mnist, or a download.", mnist.PARAMS, "folder",
                   "images", "classification", "fashion-mnist"),
        SourceInfo("csv", "CSV / TSV file", "A table of numbers with one or more target columns; "
                   "delimiter and header detected.", csvfile.PARAMS, "file", "file", "either",
                   "csv:iris.csv,target=species"),
    ]
    examples = {"teacher": "teacher:items=2000,seed=5", "parity": "parity:bits=4",
                "spiral": "spiral:arms=3,noise=0.1"}
    for info in GENERATORS.values():
        out.append(SourceInfo(info.name, info.title, info.doc, info.params, None, info.group, info.task,
                              examples.get(info.name, info.name)))
    return out


DATASET_SPECS: list[SourceInfo] = _catalogue()
SOURCES: dict[str, SourceInfo] = {s.name: s for s in DATASET_SPECS}


def canonical_source(name: str) -> str:
    """The source name for ``name`` (aliases resolved); ``DataError`` with suggestions when unknown."""
    key = ALIASES.get(name.lower(), name.lower())
    if key in SOURCES:
        return key
    close = difflib.get_close_matches(key, list(SOURCES) + list(ALIASES), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(ALIASES.get(c, c)) for c in close)}?" if close else ""
    raise DataError(f"Unknown data source '{name}'.{hint} Sources: {', '.join(SOURCES)}.")


def same_data(a: str | None, b: str | None) -> bool:
    """Whether specs ``a`` and ``b`` describe the same data: the same source, folder or file and
    parameter values once defaults are filled in (``download`` aside: it decides where the files
    come from, not what they hold).  A spec that cannot be read is the same as no other."""
    if not a or not b:
        return False
    try:
        described = []
        for spec in (a, b):
            source, path, raw = parse_spec(spec)
            source = canonical_source(source)
            values = resolve_params(SOURCES[source].params, raw, source)
            values.pop("download", None)
            folder = None if path is None else str(Path(path).expanduser().resolve())
            described.append((source, folder, values))
    except DataError:
        return False
    return described[0] == described[1]


def load_dataset(spec: str, progress: Callable[[int, int | None, str], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> Dataset:
    """Load or generate the data set described by ``spec`` (see ``workbench.data.params``).

    ``progress(done, total_or_None, message)`` is called during downloads and long reads;
    ``cancel()`` is polled there and, when true, ``DownloadCancelled`` is raised.
    Any problem with the spec or the data raises ``DataError`` (one clear message).
    """
    text = spec.strip() if isinstance(spec, str) else spec
    if isinstance(text, str) and text and Path(text.split(",")[0]).suffix.lower() in CSV_SUFFIXES \
            and ":" not in text.split(",")[0][2:]:
        text = "csv:" + text
    source, path, raw = parse_spec(text)
    source = canonical_source(source)
    info = SOURCES[source]
    p = resolve_params(info.params, raw, source)
    if source in mnist.IMAGE_SETS:
        return mnist.load_image_set(source, path, p, progress, cancel)
    if source == "csv":
        return csvfile.load_csv(path, p, progress, cancel)
    if path is not None:
        raise DataError(f"{source} is generated and takes no path ('{path}'); parameters are written "
                        f"key=value, e.g. {info.example}.")
    return generate(source, p)


def markdown_table() -> str:
    """Every spec source with its parameters and defaults as a Markdown table (for the README)."""
    lines = ["| spec | what it is | parameters (default) |", "|---|---|---|"]
    for info in DATASET_SPECS:
        head = info.name + {"folder": "[:DIR]", "file": ":PATH"}.get(info.path or "", "")
        params = "<br>".join(f"`{p.name}={format_value(p.default) if format_value(p.default) else '…'}`"
                             f" {p.doc}" for p in info.params) or "none"
        lines.append(f"| `{head}` | {info.doc} | {params} |")
    return "\n".join(lines)
