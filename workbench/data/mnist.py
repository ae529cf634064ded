"""MNIST and Fashion-MNIST: locate the IDX files (folder, cache, Debian package, download) and load
them into the conventional split (train = first 50,000 training images, validation = last 10,000,
test = the 10,000 test images), pixels scaled to [0, 1].
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import download as dl
from .dataset import Dataset, Split, one_hot
from .errors import DataError, DownloadCancelled
from .idx import IdxReader
from .params import Param, format_spec

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# Published MD5s of the .gz files on the mirrors (torchvision's lists). Downloads are verified
# against these; files in local folders are validated structurally instead (recompressed copies
# have other .gz checksums but the same contents).
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
# Sizes of the published .gz files in bytes: a download may be a little larger (another gzip of the
# same contents would fail its MD5 anyway), and its deadline grows with them (download.deadline_for).
GZ_SIZES = {
    "mnist": {"train-images-idx3-ubyte.gz": 9_912_422, "train-labels-idx1-ubyte.gz": 28_881,
              "t10k-images-idx3-ubyte.gz": 1_648_877, "t10k-labels-idx1-ubyte.gz": 4_542},
    "fashion-mnist": {"train-images-idx3-ubyte.gz": 26_421_880, "train-labels-idx1-ubyte.gz": 29_515,
                      "t10k-images-idx3-ubyte.gz": 4_422_102, "t10k-labels-idx1-ubyte.gz": 5_148},
}
SIZE_SLACK = 1.25              # a download may be this much larger than the published file
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
FASHION_MNIST_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


@dataclass(frozen=True)
class ImageSet:
    """Where one IDX image set comes from and how it is labelled."""

    source: str           # spec source name
    title: str            # display name
    description: str
    class_names: tuple[str, ...]
    md5_attr: str         # name of the module-level dict of .gz MD5s (patched by tests)
    mirrors_attr: str     # name of the module-level mirror list
    mirrors_env: str      # environment variable overriding the mirrors (comma-separated)
    system_dirs_attr: str | None = None


IMAGE_SETS = {
    "mnist": ImageSet("mnist", "MNIST", "handwritten digits, 28×28 grey images",
                      tuple(str(i) for i in range(10)), "MNIST_MD5", "MNIST_MIRRORS",
                      "WORKBENCH_MNIST_MIRRORS"),
    "fashion-mnist": ImageSet("fashion-mnist", "Fashion-MNIST", "Zalando clothing images, 28×28 grey",
                              tuple(FASHION_CLASSES), "FASHION_MNIST_MD5", "FASHION_MNIST_MIRRORS",
                              "WORKBENCH_FASHION_MNIST_MIRRORS", "DEBIAN_FASHION_MNIST_DIR"),
}

PARAMS = [
    Param("train", 50000, "int", "training images: the first N of the 60,000 training images",
          1, 60000),
    Param("validation", 10000, "int", "validation images: the last N of the 60,000 training images "
          "(0 for none)", 0, 59999),
    Param("test", 10000, "int", "test images: the first N of the 10,000 test images (0 for none)",
          0, 10000),
    Param("download", True, "bool", "download the files when no local copy is found"),
]


def default_cache_dir(name: str | None = None) -> Path:
    """``$XDG_CACHE_HOME/workbench/datasets[/name]`` (``~/.cache`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    folder = root / "workbench" / "datasets"
    return folder / name if name else folder


def mirrors_for(source: str) -> list[str]:
    """Mirror base URLs: the environment variable when set, else the module-level list."""
    info = IMAGE_SETS[source]
    env = os.environ.get(info.mirrors_env, "").strip()
    if env:
        return [u.strip() for u in env.split(",") if u.strip()]
    return list(globals()[info.mirrors_attr])


def find_files(folder: Path) -> dict[str, Path | None]:
    """The four IDX files in ``folder`` (gzipped or not; ``train-images.idx3-ubyte`` style too)."""
    found: dict[str, Path | None] = {}
    for key, base in FILES.items():
        found[key] = None
        for name in (base + ".gz", base, base.replace("-idx", ".idx") + ".gz", base.replace("-idx", ".idx")):
            if (folder / name).is_file():
                found[key] = folder / name
                break
    return found


def locate(source: str, path: str | None = None) -> Path | None:
    """The folder the files would be read from without downloading, or ``None``.

    With ``path``, that folder must hold all four files (else ``DataError`` naming what is missing).
    """
    if path is not None:
        folder = Path(path).expanduser()
        if folder.is_file():  # one of the IDX files was chosen: use its folder
            folder = folder.parent
        if not folder.is_dir():
            raise DataError(f"{folder} is not a folder; {IMAGE_SETS[source].title} needs a folder holding "
                            f"the four IDX files ({', '.join(b + '.gz' for b in FILES.values())}).")
        missing = [FILES[k] + ".gz" for k, p in find_files(folder).items() if p is None]
        if missing:
            raise DataError(f"{folder} lacks {', '.join(missing)} (gzipped or not).")
        return folder
    candidates = [default_cache_dir(source)]
    info = IMAGE_SETS[source]
    if info.system_dirs_attr:
        candidates.append(Path(globals()[info.system_dirs_attr]))
    for folder in candidates:
        if folder.is_dir() and all(p is not None for p in find_files(folder).values()):
            return folder
    return None


def fetch(source: str, progress=None, cancel: Callable[[], bool] | None = None) -> Path:
    """Download the missing files of ``source`` into its cache folder; return the folder."""
    info = IMAGE_SETS[source]
    folder = default_cache_dir(source)
    present = find_files(folder) if folder.is_dir() else {k: None for k in FILES}
    md5s = globals()[info.md5_attr]
    mirrors = mirrors_for(source)
    todo = [FILES[k] + ".gz" for k, p in present.items() if p is None]
    for i, filename in enumerate(todo, 1):
        label = f"{info.title} {filename} ({i}/{len(todo)})"
        max_bytes = int(GZ_SIZES[source][filename] * SIZE_SLACK) + 65536
        try:
            dl.download(filename, mirrors, md5s[filename], folder, progress, cancel, label, max_bytes)
        except dl.MirrorsFailed as exc:
            raise DataError(_offline_message(info, exc, folder)) from None
        except OSError as exc:
            raise DataError(f"Cannot write the {info.title} download to {folder}: "
                            f"{exc.strerror or exc}.") from None
    return folder


def _offline_message(info: ImageSet, exc: dl.MirrorsFailed, folder: Path) -> str:
    lines = [f"Could not download {info.title} ({exc.filename}):"]
    lines += [f"  {url}: {reason}" for url, reason in exc.errors] or ["  no mirrors are configured"]
    lines.append(f"Download the four IDX files ({', '.join(b + '.gz' for b in FILES.values())}) "
                 f"yourself and load them with '{info.source}:DIR' (command line: --data {info.source}:DIR), "
                 f"or put them in {folder}.")
    return "\n".join(lines)


def _checked_labels(reader: IdxReader, n_classes: int) -> np.ndarray:
    """Every label of the file, (count,) uint8; DataError naming the file and the first label that
    is no class 0 to ``n_classes - 1`` (also among the items the splits leave out)."""
    labels = reader.read()[0]
    bad = np.flatnonzero(labels >= n_classes)
    if bad.size:
        raise DataError(f"{reader.path} is corrupt: label {int(labels[bad[0]])} (item {int(bad[0]):,}) "
                        f"is not a class 0–{n_classes - 1}.")
    return labels


def load_image_set(source: str, path: str | None, params: dict, progress=None,
                   cancel: Callable[[], bool] | None = None) -> Dataset:
    """Load MNIST or Fashion-MNIST with resolved ``params`` (train, validation, test, download).

    X: (n, 784) float32 in [0, 1]; Y: (n, 10) one-hot float32; labels (n,) int64.
    """
    info = IMAGE_SETS[source]
    folder = locate(source, path)
    if folder is None:
        if not params["download"]:
            raise DataError(f"{info.title} was not found in {default_cache_dir(source)} and downloading "
                            f"is switched off; load a folder of IDX files with '{source}:DIR'.")
        folder = fetch(source, progress, cancel)
    files = find_files(folder)
    n_train, n_val, n_test = params["train"], params["validation"], params["test"]
    with IdxReader(files["train_images"], 3) as tr_img, IdxReader(files["train_labels"], 1) as tr_lab, \
            IdxReader(files["test_images"], 3) as te_img, IdxReader(files["test_labels"], 1) as te_lab:
        for images, labels in ((tr_img, tr_lab), (te_img, te_lab)):
            if images.item_shape != (28, 28):
                raise DataError(f"{images.path} holds {'×'.join(map(str, images.item_shape))} images; "
                                f"{info.title} images are 28×28.")
            if images.count != labels.count:
                raise DataError(f"{images.path} has {images.count:,} images but {labels.path} has "
                                f"{labels.count:,} labels; the files do not belong together.")
        if n_train + n_val > tr_img.count:
            raise DataError(f"{info.title}: train ({n_train:,}) + validation ({n_val:,}) exceed the "
                            f"{tr_img.count:,} training images.")
        if n_test > te_img.count:
            raise DataError(f"{info.title}: test ({n_test:,}) exceeds the {te_img.count:,} test images.")
        total = tr_img.count + te_img.count

        def report(base):
            def step(done, count):
                if cancel is not None and cancel():
                    raise DownloadCancelled(f"Loading {info.title} cancelled.")
                if progress is not None:
                    progress(base + done, total, f"Reading {info.title}")
            return step

        n_classes = len(info.class_names)
        train_ranges = [(0, n_train)] + ([(tr_img.count - n_val, tr_img.count)] if n_val else [])
        train_labels = _checked_labels(tr_lab, n_classes)
        test_labels = _checked_labels(te_lab, n_classes)
        L_parts = [train_labels[a:b] for a, b in train_ranges]
        L_test = test_labels[:n_test]
        X_parts = tr_img.read(train_ranges, scale=255.0, progress=report(0))
        X_test = te_img.read([(0, n_test)], scale=255.0, progress=report(tr_img.count))[0]

    def make(X: np.ndarray, L: np.ndarray) -> Split:
        labels = L.astype(np.int64)
        return Split(X.reshape(len(X), 784), one_hot(labels, n_classes), labels)

    splits = {"train": make(X_parts[0], L_parts[0])}
    if n_val:
        splits["validation"] = make(X_parts[1], L_parts[1])
    if n_test:
        splits["test"] = make(X_test, L_test)
    spec_path = str(folder.resolve()) if path is not None else None
    spec_params = {"train": n_train, "validation": n_val, "test": n_test}
    return Dataset(
        name=info.title, spec=format_spec(source, spec_path, spec_params), task="classification",
        splits=splits, feature_names=[f"pixel{i}" for i in range(784)], target_names=["label"],
        class_names=list(info.class_names), input_shape=(28, 28), description=info.description,
        source=str(folder.resolve()), params=dict(params))
