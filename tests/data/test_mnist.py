"""MNIST / Fashion-MNIST: local folders, cache, download from a local server (checksums, mirror
fallback, cancel, cleanup), and the real files where present."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from workbench.data import DataError, DownloadCancelled, default_cache_dir, load_dataset, locate, mnist
from workbench.data.idx import write_idx

from .conftest import NAMES, SMALL


def test_local_folder(idx_dir, idx_arrays):
    ds = load_dataset(f"mnist:{idx_dir},{SMALL}")
    assert ds.name == "MNIST" and ds.task == "classification"
    assert ds.class_names == [str(i) for i in range(10)]
    assert ds.input_shape == (28, 28) and ds.n_inputs == 784 and ds.n_outputs == 10
    assert [len(ds.train), len(ds.validation), len(ds.test)] == [80, 20, 20]
    images, labels = idx_arrays[NAMES[0]], idx_arrays[NAMES[1]]
    np.testing.assert_array_equal(ds.train.X, images[:80].reshape(80, 784) / np.float32(255))
    np.testing.assert_array_equal(ds.validation.X, images[80:].reshape(20, 784) / np.float32(255))
    np.testing.assert_array_equal(ds.train.labels, labels[:80])
    np.testing.assert_array_equal(ds.test.labels, idx_arrays[NAMES[3]])
    assert ds.train.X.dtype == np.float32 and ds.train.Y.dtype == np.float32
    np.testing.assert_array_equal(ds.train.Y.argmax(axis=1), ds.train.labels)
    assert np.all(ds.train.Y.sum(axis=1) == 1)
    assert ds.spec == f"mnist:{idx_dir},train=80,validation=20,test=20"
    again = load_dataset(ds.spec)
    np.testing.assert_array_equal(again.test.X, ds.test.X)


def test_sizes_and_empty_splits(idx_dir):
    ds = load_dataset(f"mnist:{idx_dir},train=10,validation=0,test=0")
    assert list(ds.splits) == ["train"] and len(ds.train) == 10
    assert ds.validation is None and ds.test is None


@pytest.mark.parametrize("spec, message", [
    ("train=90,validation=20", r"train \(90\) \+ validation \(20\) exceed the 100 training images"),
    ("train=10,validation=10,test=21", r"test \(21\) exceeds the 20 test images"),
    ("train=0", "train must be an integer from 1 to 60000"),
    ("train=abc", "train must be an integer"),
    ("colour=red", "mnist has no parameter 'colour'"),
])
def test_bad_sizes(idx_dir, spec, message):
    with pytest.raises(DataError, match=message):
        load_dataset(f"mnist:{idx_dir},{spec}")


def test_uncompressed_and_dotted_names(tmp_path, idx_arrays):
    for name, array in idx_arrays.items():
        write_idx(tmp_path / name.replace("-idx", ".idx"), array)  # e.g. train-images.idx3-ubyte
    ds = load_dataset(f"mnist:{tmp_path},{SMALL}")
    np.testing.assert_array_equal(ds.train.labels, idx_arrays[NAMES[1]][:80])


def test_a_file_in_the_folder_stands_for_the_folder(idx_dir):
    ds = load_dataset(f"mnist:{idx_dir / 'train-labels-idx1-ubyte.gz'},{SMALL}")
    assert ds.spec == f"mnist:{idx_dir},train=80,validation=20,test=20"


def test_missing_files_are_listed(idx_dir):
    (idx_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="lacks t10k-labels-idx1-ubyte.gz"):
        load_dataset(f"mnist:{idx_dir}")


def test_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="is not a folder"):
        load_dataset(f"mnist:{tmp_path / 'nowhere'}")


def test_mismatched_counts(idx_dir):
    write_idx(idx_dir / "train-labels-idx1-ubyte.gz", np.zeros(99, np.uint8))
    with pytest.raises(DataError) as info:
        load_dataset(f"mnist:{idx_dir},{SMALL}")
    text = str(info.value)
    assert "100 images" in text and "99 labels" in text and "train-labels-idx1-ubyte.gz" in text


def test_label_out_of_range(idx_dir, idx_arrays):
    labels = idx_arrays[NAMES[3]].copy()
    labels[3] = 12
    write_idx(idx_dir / "t10k-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz is corrupt: label 12 \(item 3\)"):
        load_dataset(f"mnist:{idx_dir},{SMALL}")


def test_wrong_image_size(idx_dir):
    write_idx(idx_dir / "t10k-images-idx3-ubyte.gz", np.zeros((20, 14, 14), np.uint8))
    with pytest.raises(DataError, match="holds 14×14 images"):
        load_dataset(f"mnist:{idx_dir},{SMALL}")


def test_truncated_file_in_folder(idx_dir):
    path = idx_dir / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-784]))
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz is truncated"):
        load_dataset(f"mnist:{idx_dir},{SMALL}")


def test_cache_folder_is_used(isolated, idx_dir):
    cache = default_cache_dir("mnist")
    assert cache == isolated / "workbench" / "datasets" / "mnist"
    cache.mkdir(parents=True)
    for f in idx_dir.iterdir():
        (cache / f.name).write_bytes(f.read_bytes())
    assert locate("mnist") == cache
    ds = load_dataset(f"mnist:{SMALL}")
    assert ds.source == str(cache) and ds.spec == "mnist:train=80,validation=20,test=20"
    assert load_dataset(f"mnist,{SMALL}").spec == ds.spec


def test_default_cache_dir_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "workbench" / "datasets"
    assert default_cache_dir("fashion-mnist") == tmp_path / ".cache" / "workbench" / "datasets" / "fashion-mnist"


# --- downloads from a local server -----------------------------------------------------------

def test_download(server, gz_files, patched_md5, monkeypatch, idx_arrays):
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", server.serve("mirror", gz_files))
    calls = []
    ds = load_dataset(f"mnist:{SMALL}", progress=lambda d, t, m: calls.append((d, t, m)))
    cache = default_cache_dir("mnist")
    assert sorted(p.name for p in cache.iterdir()) == sorted(gz_files)
    for name, body in gz_files.items():
        assert (cache / name).read_bytes() == body
    np.testing.assert_array_equal(ds.train.labels, idx_arrays[NAMES[1]][:80])
    messages = {m for _, _, m in calls}
    assert any("Downloading MNIST train-images-idx3-ubyte.gz (1/4) from 127.0.0.1" in m for m in messages)
    size = len(gz_files["train-images-idx3-ubyte.gz"])
    assert (size, size) in {(d, t) for d, t, _ in calls}
    # Second load: from the cache, no request.
    before = len(server.requests)
    load_dataset(f"mnist:{SMALL}")
    assert len(server.requests) == before


def test_download_only_missing_files(server, gz_files, patched_md5, monkeypatch):
    cache = default_cache_dir("mnist")
    cache.mkdir(parents=True)
    (cache / "train-images-idx3-ubyte.gz").write_bytes(gz_files["train-images-idx3-ubyte.gz"])
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", server.serve("m", gz_files))
    load_dataset(f"mnist:{SMALL}")
    assert "/m/train-images-idx3-ubyte.gz" not in server.requests
    assert len(server.requests) == 3


def test_module_level_mirror_list(server, gz_files, patched_md5, monkeypatch):
    monkeypatch.delenv("WORKBENCH_MNIST_MIRRORS")
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", [server.serve("list", gz_files)])
    assert len(load_dataset(f"mnist:{SMALL}").train) == 80


def test_checksum_mismatch_falls_back_to_next_mirror(server, gz_files, patched_md5, monkeypatch):
    tampered = {name: body[:-1] + bytes([body[-1] ^ 1]) for name, body in gz_files.items()}
    bad = server.serve("bad", tampered)
    missing = f"{server.url}/missing/"
    good = server.serve("good", gz_files)
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", f"{bad},{missing},{good}")
    ds = load_dataset(f"mnist:{SMALL}")
    assert len(ds.test) == 20
    assert "/bad/train-images-idx3-ubyte.gz" in server.requests
    assert "/missing/train-images-idx3-ubyte.gz" in server.requests
    assert not list(default_cache_dir("mnist").glob("*.part"))


def test_all_mirrors_fail(server, gz_files, patched_md5, monkeypatch):
    tampered = {name: b"not gzip at all" for name in gz_files}
    bad = server.serve("bad", tampered)
    short = server.serve("short", gz_files, kind="short")
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", f"{bad}, {server.url}/404/, {short}, http://127.0.0.1:9/")
    with pytest.raises(DataError) as info:
        load_dataset(f"mnist:{SMALL}")
    text = str(info.value)
    assert text.startswith("Could not download MNIST (train-images-idx3-ubyte.gz):")
    assert f"{bad}train-images-idx3-ubyte.gz: checksum mismatch" in text
    assert f"{server.url}/404/train-images-idx3-ubyte.gz: HTTP 404" in text
    assert "closed" in text or "connection" in text.lower()
    assert "http://127.0.0.1:9/train-images-idx3-ubyte.gz: " in text
    assert "--data mnist:DIR" in text and str(default_cache_dir("mnist")) in text
    cache = default_cache_dir("mnist")
    assert not cache.exists() or not any(cache.iterdir())


def test_offline_message(isolated):
    with pytest.raises(DataError, match=r"(?s)Could not download MNIST.*127\.0\.0\.1:9.*--data mnist:DIR"):
        load_dataset("mnist")


def test_download_switched_off(server, gz_files, patched_md5, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", server.serve("m", gz_files))
    with pytest.raises(DataError, match="downloading is switched off"):
        load_dataset("mnist:download=false")
    assert server.requests == []


def test_cancel_removes_part_file(server, gz_files, patched_md5, monkeypatch):
    slow = server.serve("slow", gz_files, kind="slow")
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", slow)
    seen = []

    def progress(done, total, message):
        seen.append(done)

    def cancel():
        part = default_cache_dir("mnist") / "train-images-idx3-ubyte.gz.part"
        if seen and seen[-1] > 0:
            assert part.exists()
            return True
        return False

    with pytest.raises(DownloadCancelled):
        load_dataset(f"mnist:{SMALL}", progress=progress, cancel=cancel)
    cache = default_cache_dir("mnist")
    assert list(cache.iterdir()) == []
    assert 0 < seen[-1] < len(gz_files["train-images-idx3-ubyte.gz"])


def test_cancel_before_start(server, gz_files, patched_md5, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", server.serve("m", gz_files))
    with pytest.raises(DownloadCancelled):
        load_dataset("mnist", cancel=lambda: True)
    assert server.requests == []


def test_cache_not_writable(server, gz_files, patched_md5, monkeypatch, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setenv("WORKBENCH_MNIST_MIRRORS", server.serve("m", gz_files))
    with pytest.raises(DataError, match="Cannot write the MNIST download"):
        load_dataset("mnist")


def test_fashion_download_and_class_names(server, gz_files, patched_md5, monkeypatch, tmp_path):
    monkeypatch.setattr(mnist, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "no-debian")
    monkeypatch.setenv("WORKBENCH_FASHION_MNIST_MIRRORS", server.serve("f", gz_files))
    ds = load_dataset(f"fashion-mnist:{SMALL}")
    assert ds.name == "Fashion-MNIST"
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    assert (default_cache_dir("fashion-mnist") / "t10k-labels-idx1-ubyte.gz").exists()
    assert load_dataset(f"fashion:{SMALL}").spec == ds.spec


def test_fashion_system_folder(monkeypatch, idx_dir):
    monkeypatch.setattr(mnist, "DEBIAN_FASHION_MNIST_DIR", idx_dir)
    assert locate("fashion-mnist") == idx_dir
    assert len(load_dataset(f"fashion-mnist:{SMALL}").train) == 80


def test_published_checksums():
    # torchvision's lists (torchvision/datasets/mnist.py).
    assert mnist.MNIST_MD5["t10k-labels-idx1-ubyte.gz"] == "ec29112dd5afa0611ce80d1b7f02629c"
    assert mnist.FASHION_MNIST_MD5["train-images-idx3-ubyte.gz"] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert mnist.MNIST_MIRRORS[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"


# --- the real files --------------------------------------------------------------------------

def test_real_mnist(mnist_dir):
    ds = load_dataset(f"mnist:{mnist_dir}")
    assert [len(ds.train), len(ds.validation), len(ds.test)] == [50000, 10000, 10000]
    assert ds.train.labels[0] == 5 and ds.test.labels[0] == 7
    assert ds.train.X.shape == (50000, 784) and ds.train.Y.shape == (50000, 10)
    assert ds.train.X.dtype == np.float32 and ds.train.X.min() == 0.0 and ds.train.X.max() == 1.0
    assert 0.12 < float(ds.train.X.mean()) < 0.14
    assert np.bincount(ds.test.labels).tolist()[:3] == [980, 1135, 1032]


def test_real_fashion_mnist():
    if not (mnist.DEBIAN_FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    ds = load_dataset("fashion-mnist:train=1000,validation=500,test=500")
    assert ds.source == str(mnist.DEBIAN_FASHION_MNIST_DIR)
    assert ds.train.labels[0] == 9 and ds.test.labels[0] == 9  # ankle boots
    assert ds.train.X.shape == (1000, 784)
