"""IDX reader: good files (gzipped or not) and every structural problem reported by file name."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from workbench.data import DataError, read_idx, write_idx
from workbench.data.idx import IdxReader


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def images():
    return np.arange(5 * 28 * 28, dtype=np.int64).reshape(5, 28, 28).astype(np.uint8)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, images, suffix):
    path = tmp_path / ("imgs" + suffix)
    write_idx(path, images)
    assert path.read_bytes()[:2] == (b"\x1f\x8b" if suffix else b"\x00\x00")
    np.testing.assert_array_equal(read_idx(path, 3), images)
    scaled = read_idx(path, 3, scale=255.0)
    assert scaled.dtype == np.float32 and scaled.shape == (5, 28, 28)
    np.testing.assert_array_equal(scaled, images.astype(np.float32) / np.float32(255))


def test_gzip_detected_by_content_not_name(tmp_path, images):
    path = tmp_path / "plain-but-named.gz"
    path.write_bytes(idx_bytes(images))
    np.testing.assert_array_equal(read_idx(path, 3), images)


def test_labels_and_ranges(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    path = tmp_path / "labels.gz"
    write_idx(path, labels)
    with IdxReader(path, 1) as reader:
        assert reader.count == 10 and reader.item_shape == ()
        first, last = reader.read([(0, 3), (7, 10)])
    np.testing.assert_array_equal(first, [0, 1, 2])
    np.testing.assert_array_equal(last, [7, 8, 9])


def test_range_beyond_count(tmp_path):
    path = tmp_path / "labels"
    write_idx(path, np.zeros(4, np.uint8))
    with IdxReader(path, 1) as reader, pytest.raises(DataError, match="has 4 items"):
        reader.read([(0, 5)])


def test_progress_is_reported(tmp_path, images, monkeypatch):
    monkeypatch.setattr("workbench.data.idx.CHUNK_BYTES", 784 * 2)
    path = tmp_path / "imgs.gz"
    write_idx(path, images)
    calls = []
    with IdxReader(path, 3) as reader:
        reader.read(progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def corrupt_cases(images):
    good = idx_bytes(images)
    return {
        "empty": (b"", "truncated: it ends inside the magic number"),
        "bad magic": (b"\x12\x34" + good[2:], "is not an IDX file"),
        "wrong dtype": (good[:2] + b"\x0d" + good[3:], "stores float values"),
        "labels magic for images": (idx_bytes(np.zeros(5, np.uint8)), "has 1 dimensions"),
        "short header": (good[:10], "ends inside the dimensions"),
        "truncated payload": (good[:-100], "is truncated: the header announces 5 items"),
        "extra bytes": (good + b"\x00" * 7, "7 bytes after the 5 items"),
        "zero count": (bytes([0, 0, 8, 3]) + np.asarray([0, 28, 28], ">u4").tobytes(), "empty array"),
    }


@pytest.mark.parametrize("case", ["empty", "bad magic", "wrong dtype", "labels magic for images",
                                  "short header", "truncated payload", "extra bytes", "zero count"])
@pytest.mark.parametrize("compress", [False, True])
def test_corrupt_files_name_the_file(tmp_path, images, case, compress):
    data, message = corrupt_cases(images)[case]
    path = tmp_path / ("broken-images" + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DataError) as info:
        read_idx(path, 3)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_truncated_gzip_stream(tmp_path, images):
    data = gzip.compress(idx_bytes(images))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.gz is truncated"):
        read_idx(path, 3)


def test_corrupt_gzip_crc(tmp_path, images):
    data = bytearray(gzip.compress(idx_bytes(images)))
    data[-8] ^= 0xFF  # the CRC32 in the gzip trailer
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"crc\.gz is corrupt"):
        read_idx(path, 3)


def test_garbage_after_gzip_magic(tmp_path):
    path = tmp_path / "garbage.gz"
    path.write_bytes(b"\x1f\x8b" + bytes(range(200)))
    with pytest.raises(DataError, match=r"garbage\.gz is corrupt"):
        read_idx(path, 3)


@pytest.mark.parametrize("compress", [False, True])
def test_absurd_count_fails_before_allocating(tmp_path, compress):
    header = bytes([0, 0, 8, 3]) + np.asarray([4_000_000_000, 28, 28], ">u4").tobytes()
    data = header + bytes(784)
    path = tmp_path / "huge"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DataError, match="truncated" if not compress else "more than .* bytes of gzip data"):
        IdxReader(path, 3)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="Cannot open .*nope"):
        read_idx(tmp_path / "nope", 1)


def test_files_are_closed_after_errors(tmp_path, images):
    # ResourceWarning would be turned into an error by the pytest configuration.
    path = tmp_path / "bad"
    path.write_bytes(b"\x12\x34\x08\x03")
    for _ in range(3):
        with pytest.raises(DataError):
            read_idx(path, 3)
