"""The MNIST splits and tf.data pipelines, from the offline IDX files."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from digits.train.data import VALIDATION_SIZE, as_arrays, augment_batch, load_splits, training_pipeline
from digits.train.mnist import load_mnist_split


@pytest.fixture(scope="module")
def splits(mnist_dir):
    return load_splits(mnist_dir, limit=300)


def test_limit_and_split_sizes(splits):
    assert splits.sizes == {"train": 300, "validation": 300, "test": 300}
    assert "IDX" in splits.source


def test_validation_is_the_last_training_images(mnist_dir, splits):
    train = load_mnist_split(mnist_dir, "train")
    images, labels = as_arrays(splits.validation)
    np.testing.assert_array_equal(labels, train.labels[-VALIDATION_SIZE:][:300])
    np.testing.assert_allclose(images[..., 0], train.images[-VALIDATION_SIZE:][:300] / 255.0, atol=1e-6)


def test_training_batches_are_normalised_and_shuffled(splits):
    images, labels = next(iter(training_pipeline(splits.train, 300, 128, seed=0, augment=False)))
    assert images.shape == (128, 28, 28, 1) and images.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) == pytest.approx(1.0)
    _, file_order = as_arrays(splits.train)
    assert not np.array_equal(labels.numpy(), file_order[:128])


def test_same_seed_same_batches_and_epochs_differ(splits):
    def first_batch(dataset):
        return next(iter(dataset))[0].numpy()

    pipeline = training_pipeline(splits.train, 300, 64, seed=3, augment=True)
    again = training_pipeline(splits.train, 300, 64, seed=3, augment=True)
    np.testing.assert_array_equal(first_batch(pipeline), first_batch(again))
    assert not np.array_equal(first_batch(pipeline), first_batch(pipeline))  # the next epoch is new


def test_augmentation_keeps_shape_and_range_and_changes_images(splits):
    images, _ = as_arrays(splits.train)
    batch = tf.constant(images[:32])
    augmented = augment_batch(batch, tf.constant([1, 2], tf.int64)).numpy()
    assert augmented.shape == images[:32].shape
    assert augmented.min() >= 0.0 and augmented.max() <= 1.0
    assert np.abs(augmented - images[:32]).mean() > 0.01
    # the digit stays a digit: most of the ink stays near where it was
    assert np.corrcoef(augmented.ravel(), images[:32].ravel())[0, 1] > 0.5
    np.testing.assert_array_equal(augmented, augment_batch(batch, tf.constant([1, 2], tf.int64)).numpy())


def test_no_cache_and_no_internet_is_a_quick_data_error(monkeypatch, tmp_path):
    from digits.train.data import TFDS_MNIST_HOST, DataError, _reachable

    if _reachable(TFDS_MNIST_HOST, timeout_s=2):
        pytest.skip("this machine can download MNIST")
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="--mnist-dir"):
        load_splits(None)
