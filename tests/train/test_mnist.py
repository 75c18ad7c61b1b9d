"""The offline IDX reader: tiny IDX files written by the tests, raw and gzip, good and broken."""
from __future__ import annotations

import gzip

import numpy as np
import pytest
from digits.train.mnist import IMAGES_MAGIC, LABELS_MAGIC, MnistError, load_mnist_split, read_idx, resolve_mnist_dir


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """An IDX file's bytes: magic, one big-endian size per dimension, then the uint8 data."""
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def images() -> np.ndarray:
    return np.arange(3 * 28 * 28, dtype=np.uint32).reshape(3, 28, 28).astype(np.uint8)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_read_idx_round_trips_raw_and_gzip(tmp_path, images, compress):
    data = idx_bytes(images, IMAGES_MAGIC)
    path = tmp_path / ("images.gz" if compress else "images")
    path.write_bytes(gzip.compress(data) if compress else data)
    np.testing.assert_array_equal(read_idx(path, IMAGES_MAGIC), images)


def test_read_idx_labels(tmp_path):
    labels = np.array([7, 2, 1, 0], np.uint8)
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(labels, LABELS_MAGIC))
    np.testing.assert_array_equal(read_idx(path, LABELS_MAGIC), labels)


def test_missing_file_is_an_mnist_error(tmp_path):
    with pytest.raises(MnistError, match="no such file"):
        read_idx(tmp_path / "absent", IMAGES_MAGIC)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_truncated_file_is_an_mnist_error(tmp_path, images, compress):
    data = idx_bytes(images, IMAGES_MAGIC)[:-100]
    path = tmp_path / "images"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(MnistError, match="truncated"):
        read_idx(path, IMAGES_MAGIC)


def test_truncated_gzip_stream_is_an_mnist_error(tmp_path, images):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(images, IMAGES_MAGIC))[:-30])
    with pytest.raises(MnistError, match="cannot read"):
        read_idx(path, IMAGES_MAGIC)


def test_labels_file_given_as_images_is_a_bad_magic(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.zeros(5, np.uint8), LABELS_MAGIC))
    with pytest.raises(MnistError, match="magic number 2049, expected 2051"):
        read_idx(path, IMAGES_MAGIC)


def test_garbage_is_an_mnist_error(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(MnistError, match="magic number"):
        read_idx(path, IMAGES_MAGIC)


def test_split_with_wrong_counts_is_an_mnist_error(tmp_path, images):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(images, IMAGES_MAGIC))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(3), LABELS_MAGIC)))
    with pytest.raises(MnistError, match="expected 10000"):
        load_mnist_split(tmp_path, "test")


def test_missing_folder_and_missing_file(tmp_path):
    with pytest.raises(MnistError, match="does not exist"):
        load_mnist_split(tmp_path / "nowhere", "train")
    with pytest.raises(MnistError, match="not found"):
        load_mnist_split(tmp_path, "train")


def test_real_test_split(mnist_test):
    assert mnist_test.images.shape == (10_000, 28, 28) and mnist_test.images.dtype == np.uint8
    assert mnist_test.labels.shape == (10_000,)
    assert set(np.unique(mnist_test.labels)) == set(range(10))


def test_resolve_mnist_dir_prefers_the_flag(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITS_MNIST_DIR", str(tmp_path / "env"))
    assert resolve_mnist_dir(tmp_path / "flag") == tmp_path / "flag"
    assert resolve_mnist_dir(None) == tmp_path / "env"
    monkeypatch.delenv("DIGITS_MNIST_DIR")
    assert resolve_mnist_dir(None) is None
