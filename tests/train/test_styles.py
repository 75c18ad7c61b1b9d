"""Crossed 7s made from MNIST 7s (train/styles.py): a bar across the stem, nothing else changed."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.train.styles import SEVEN, cross_seven, crossed_sevens


@pytest.fixture(scope="module")
def sevens(mnist_train):
    return mnist_train.images[mnist_train.labels == SEVEN][:50]


def test_a_bar_crosses_the_stem_near_mid_height(sevens):
    rng = np.random.default_rng(0)
    crossed_count = 0
    for seven in sevens:
        crossed = cross_seven(seven, rng)
        if crossed is None:
            continue
        crossed_count += 1
        added = (crossed > 127) & ~(seven > 127)
        assert added.any(), "no bar drawn"
        assert np.all(crossed >= seven), "the 7 itself must stay as it was"
        rows = np.flatnonzero((seven > 127).any(axis=1))
        added_rows = np.flatnonzero(added.any(axis=1))
        middle = (added_rows.min() + added_rows.max()) / 2
        assert rows[0] + 0.3 * (rows[-1] - rows[0]) <= middle <= rows[0] + 0.75 * (rows[-1] - rows[0])
        columns = np.flatnonzero(added.any(axis=0))
        assert columns.max() - columns.min() >= 4, "a bar, not a dot"
        assert added_rows.max() - added_rows.min() <= columns.max() - columns.min(), "lying, not standing"
    assert crossed_count >= 0.8 * len(sevens)


def test_no_bar_closes_a_loop(mnist_train):
    # Joined to a 7's top stroke, a bar would close a loop and draw a 9 (it would, for 10 of these 300 7s).
    def loops(image):
        count, _ = cv2.connectedComponents(np.pad(image <= 127, 1).astype(np.uint8), connectivity=4)
        return count - 2

    rng = np.random.default_rng(0)
    for seven in mnist_train.images[mnist_train.labels == SEVEN][:300]:
        crossed = cross_seven(seven, rng)
        assert crossed is None or loops(crossed) == loops(seven)


def test_an_image_without_a_stem_gets_no_bar():
    assert cross_seven(np.zeros((28, 28), np.uint8), np.random.default_rng(0)) is None


def test_crossed_sevens_takes_its_share_of_the_sevens_and_is_seeded(mnist_train):
    images, labels = mnist_train.images[:2000], mnist_train.labels[:2000]
    crossed, crossed_labels = crossed_sevens(images, labels, 0.5, seed=3)
    assert crossed.dtype == np.uint8 and crossed.shape[1:] == (28, 28)
    half_the_sevens = round(0.5 * np.count_nonzero(labels == SEVEN))
    assert 0.8 * half_the_sevens <= len(crossed) <= half_the_sevens  # a few 7s have no room for a bar
    assert np.all(crossed_labels == SEVEN)
    again, _ = crossed_sevens(images, labels, 0.5, seed=3)
    other, _ = crossed_sevens(images, labels, 0.5, seed=4)
    assert np.array_equal(crossed, again) and not np.array_equal(crossed, other)
    none, none_labels = crossed_sevens(images, labels, 0.0, seed=3)
    assert none.shape == (0, 28, 28) and none_labels.size == 0
