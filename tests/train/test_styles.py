"""Crossed 7s and flagged or footed 1s made from MNIST digits (train/styles.py): a bar across the stem, a flag
into its top or a foot across its bottom, nothing else changed."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from digits.train.styles import (
    ONE,
    SEVEN,
    cross_seven,
    flag_and_foot_one,
    flag_one,
    flagged_ones,
    foot_one,
)


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


def styled_ones(mnist_train, draw) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(1, styled 1, the ink the style added) for the first 50 training 1s that `draw` fits (at least 80%)."""
    rng = np.random.default_rng(0)
    ones = mnist_train.images[mnist_train.labels == ONE][:50]
    styled = [(one, drawn) for one, drawn in ((one, draw(one, rng)) for one in ones) if drawn is not None]
    assert len(styled) >= 0.8 * len(ones)
    for one, drawn in styled:
        assert np.all(drawn >= one), "the 1 itself must stay as it was"
    return [(one, drawn, (drawn > 127) & ~(one > 127)) for one, drawn in styled]


def test_a_flag_runs_down_to_the_left_from_the_top_of_the_stem(mnist_train):
    for one, flagged, added in styled_ones(mnist_train, flag_one):
        rows = np.flatnonzero((one > 127).any(axis=1))
        top_of_stem = np.flatnonzero(one[rows[0]] > 127).mean()
        added_rows, added_columns = np.nonzero(added)
        assert added_rows.size >= 4, "a flag, not a dot"
        assert added_columns.mean() < top_of_stem, "to the left of the stem"
        assert added_rows.max() <= rows[0] + 0.6 * (rows[-1] - rows[0]), "in the upper part"
        assert np.flatnonzero((flagged > 127).any(axis=1))[0] >= rows[0] - 1, "no higher than the 1 (but the pen)"


def test_a_foot_lies_level_across_the_bottom_of_the_stem(mnist_train):
    for one, _, added in styled_ones(mnist_train, foot_one):
        rows = np.flatnonzero((one > 127).any(axis=1))
        bottom_of_stem = np.flatnonzero(one[rows[-1]] > 127).mean()
        added_rows, added_columns = np.nonzero(added)
        assert added_columns.min() < bottom_of_stem < added_columns.max(), "across the stem"
        assert added_columns.max() - added_columns.min() >= 4, "a foot, not a dot"
        assert added_rows.min() >= rows[-1] - 4 and added_rows.max() <= rows[-1] + 1, "at the bottom, level"
    ones = mnist_train.images[mnist_train.labels == ONE][:50]
    with_both = [flag_and_foot_one(one, np.random.default_rng(index)) for index, one in enumerate(ones)]
    assert sum(image is not None for image in with_both) >= 0.6 * len(ones)


def test_a_one_with_a_serif_already_gets_no_flag(mnist_train):
    one = mnist_train.images[mnist_train.labels == ONE][0].copy()
    top = np.flatnonzero((one > 127).any(axis=1))[0]
    one[top:top + 2, 2:26] = 255  # a wide bar on top: a 1 drawn with a serif, or no 1 at all
    assert flag_one(one, np.random.default_rng(0)) is None
    assert flag_one(np.zeros((28, 28), np.uint8), np.random.default_rng(0)) is None


def test_flagged_copies_take_their_share_of_the_ones_and_are_seeded(mnist_train):
    images, labels = mnist_train.images[:2000], mnist_train.labels[:2000]
    flagged, flagged_labels = flagged_ones(images, labels, 0.5, seed=3)
    assert flagged.dtype == np.uint8 and flagged.shape[1:] == (28, 28)
    half = round(0.5 * np.count_nonzero(labels == ONE))
    assert 0.8 * half <= len(flagged) <= half  # a few 1s have no room for a flag
    assert np.all(flagged_labels == ONE)
    again, _ = flagged_ones(images, labels, 0.5, seed=3)
    other, _ = flagged_ones(images, labels, 0.5, seed=4)
    assert np.array_equal(flagged, again) and not np.array_equal(flagged, other)
    none, none_labels = flagged_ones(images, labels, 0.0, seed=3)
    assert none.shape == (0, 28, 28) and none_labels.size == 0
