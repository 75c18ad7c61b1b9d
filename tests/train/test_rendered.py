"""Training digits rendered as photos and read back through the edge preprocessing (train/rendered.py)."""
from __future__ import annotations

import numpy as np
import pytest
from digits.train.rendered import render_training_photos

COUNT = 12


@pytest.fixture(scope="module")
def rendered(mnist_train):
    images, labels = mnist_train.images[:200], mnist_train.labels[:200]
    return images, labels, render_training_photos(images, labels, COUNT, seed=3, workers=2)


def test_rendered_digits_are_mnist_like_inputs_with_their_labels(rendered):
    images, labels, (photos, photo_labels) = rendered
    assert photos.dtype == np.uint8 and photos.shape[1:] == (28, 28)
    assert COUNT - 1 <= len(photos) <= COUNT and len(photo_labels) == len(photos)
    assert set(photo_labels.tolist()) <= set(labels.tolist())
    # Each reading resembles an original digit with the same label more than the average digit of another label.
    flat = images.reshape(len(images), -1).astype(np.float32)
    flat = (flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)
    for photo, label in zip(photos, photo_labels):
        vector = photo.reshape(-1).astype(np.float32)
        similarity = flat @ ((vector - vector.mean()) / vector.std()) / vector.size
        assert similarity[labels == label].max() > 0.5
        assert photo.max() > 200 and photo.mean() < 80  # white ink on black, as in MNIST


def test_same_seed_same_digits_whatever_the_number_of_workers(rendered):
    images, labels, (photos, photo_labels) = rendered
    again, again_labels = render_training_photos(images, labels, COUNT, seed=3, workers=1)
    np.testing.assert_array_equal(photos, again)
    np.testing.assert_array_equal(photo_labels, again_labels)
    other, _ = render_training_photos(images, labels, COUNT, seed=4, workers=1)
    assert not np.array_equal(other[:len(photos)], photos[:len(other)])


def test_nothing_to_render(mnist_train):
    photos, labels = render_training_photos(mnist_train.images[:5], mnist_train.labels[:5], 0, seed=0)
    assert photos.shape == (0, 28, 28) and labels.shape == (0,)
