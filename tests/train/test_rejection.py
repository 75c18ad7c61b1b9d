"""The "not a digit" operating point: chosen on validation, baked into the model (train/rejection.py)."""
from __future__ import annotations

import numpy as np
import pytest
from digits.train.rejection import (
    NOT_A_DIGIT_CLASS,
    bake_offset,
    choose_offset,
    false_accepts,
    operating_point,
    shifted,
)


def probabilities(rows: list[tuple[int, float]]) -> np.ndarray:
    """11-class probabilities: each row puts `p` on its class and spreads the rest evenly."""
    out = np.zeros((len(rows), 11))
    for index, (cls, p) in enumerate(rows):
        out[index] = (1 - p) / 10
        out[index, cls] = p
    return out


def test_shift_moves_only_the_not_a_digit_class_and_keeps_a_distribution():
    p = probabilities([(3, 0.6), (NOT_A_DIGIT_CLASS, 0.5)])
    up, down = shifted(p, 2.0), shifted(p, -2.0)
    assert np.allclose(up.sum(axis=1), 1) and np.allclose(down.sum(axis=1), 1)
    assert (up[:, NOT_A_DIGIT_CLASS] > p[:, NOT_A_DIGIT_CLASS]).all()
    assert (down[:, NOT_A_DIGIT_CLASS] < p[:, NOT_A_DIGIT_CLASS]).all()
    assert np.allclose(shifted(p, 0.0), p)
    # the digits keep their ratios
    assert np.allclose(up[:, 3] / up[:, 0], p[:, 3] / p[:, 0])


def test_the_chosen_shift_makes_the_fewest_validation_errors():
    # Negatives the model is unsure of (their class at 0.3, a digit at 0.35) are caught by raising the class;
    # the digits are sure enough (0.9) that a moderate raise costs none of them.
    digits = [(d % 10, 0.9) for d in range(40)]
    negatives = [(NOT_A_DIGIT_CLASS, 0.3)] * 10
    p = probabilities(digits + negatives)
    for index in range(40, 50):
        p[index, 5] = 0.35
        p[index] /= p[index].sum()
    labels = np.array([d for d, _ in digits] + [NOT_A_DIGIT_CLASS] * 10)
    at_zero = operating_point(p, labels, 0.0)
    assert at_zero.false_accepts == 10 and at_zero.digit_errors == 0
    chosen = choose_offset(p, labels)
    assert chosen.offset > 0 and chosen.false_accepts == 0 and chosen.digit_errors == 0
    assert chosen.digits == 40 and chosen.negatives == 10


def test_of_equal_shifts_the_smallest_is_chosen():
    p = probabilities([(1, 0.99), (NOT_A_DIGIT_CLASS, 0.99)])
    assert choose_offset(p, np.array([1, NOT_A_DIGIT_CLASS])).offset == 0.0


def test_baked_shift_changes_the_model_as_the_shifted_probabilities_say():
    import keras

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(11), keras.layers.Softmax()])
    x = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    before = model.predict(x, verbose=0)
    bake_offset(model, 1.5)
    assert np.allclose(model.predict(x, verbose=0), shifted(before, 1.5), atol=1e-5)


def test_false_accepts_by_group():
    p = probabilities([(NOT_A_DIGIT_CLASS, 0.9), (4, 0.9), (NOT_A_DIGIT_CLASS, 0.8)])
    counts = false_accepts(p, np.array(["letter", "letter", "scribble"]))
    assert counts == {"letter": {"count": 2, "accepted": 1, "rate": 0.5},
                      "scribble": {"count": 1, "accepted": 0, "rate": 0.0}}


@pytest.mark.parametrize("offset", [-1.0, 0.0, 1.0])
def test_operating_point_counts_rejected_digits_as_errors(offset):
    p = probabilities([(NOT_A_DIGIT_CLASS, 0.9), (2, 0.9)])
    point = operating_point(p, np.array([7, 2]), offset)
    assert point.digit_errors == 1 and point.digits_rejected == 1 and point.negatives == 0


def test_a_digit_lost_outweighs_a_few_negatives_caught():
    # Three negatives and one digit are equally unsure (their best digit at 0.5, "not a digit" at 0.3): a shift
    # that catches the negatives rejects the digit too, which costs more than the three negatives.
    unsure = np.full(11, 0.2 / 9)
    unsure[2], unsure[NOT_A_DIGIT_CLASS] = 0.5, 0.3
    sure = np.full(11, 0.1 / 10)
    sure[2] = 0.9
    p = np.stack([sure] * 20 + [unsure] * 4)
    labels = np.array([2] * 20 + [NOT_A_DIGIT_CLASS] * 3 + [2])
    chosen = choose_offset(p, labels)
    assert chosen.digit_errors == 0 and chosen.false_accepts == 3
    assert operating_point(p, labels, 1.0).false_accepts == 0  # the shift that would catch them
