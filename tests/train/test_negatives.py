"""The "not a digit" negatives (train/negatives.py): seeded, split-safe, in the runner's MNIST layout, never a
digit look-alike by construction (no digit-like letters, strikes well beyond the digit, cuts of a large part)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from digits.edge.preprocess import DIGIT_BOX, MNIST_CENTRE, MNIST_STROKE_RANGE
from digits.train.negatives import (
    ALL_LETTERS,
    CUT_KEEP,
    DIGIT_LIKE_LETTERS,
    HARD_LETTERS,
    KINDS,
    STRIKE_BEYOND,
    cut_away,
    letter_faces,
    make_negatives,
    negative_letters,
    strike_out,
)

COUNT = 300


@pytest.fixture(scope="module")
def digits(mnist_train):
    return mnist_train.images[:2000], mnist_train.labels[:2000]


@pytest.fixture(scope="module")
def negatives(digits):
    return make_negatives(COUNT, 3, "train", *digits)


def test_same_arguments_give_the_same_bytes(digits, negatives):
    again = make_negatives(COUNT, 3, "train", *digits)
    assert again.images.tobytes() == negatives.images.tobytes()
    assert list(again.kinds) == list(negatives.kinds) and list(again.letters) == list(negatives.letters)
    assert list(again.styles) == list(negatives.styles)


def test_other_seeds_and_splits_give_other_images(digits, negatives):
    for seed, split in ((4, "train"), (3, "validation"), (3, "heldout")):
        other = make_negatives(COUNT, seed, split, *digits)
        shared = {image.tobytes() for image in other.images} & {image.tobytes() for image in negatives.images}
        assert not shared, f"{split} seed {seed} repeats {len(shared)} images"


def test_shapes_kinds_and_letters(negatives):
    assert negatives.images.shape == (COUNT, 28, 28) and negatives.images.dtype == np.uint8
    assert len(negatives.kinds) == len(negatives.letters) == len(negatives.styles) == COUNT
    assert set(negatives.kinds) == set(KINDS)
    is_letter = negatives.kinds == "letter"
    assert all(letter in ALL_LETTERS and len(letter) == 1 for letter in negatives.letters[is_letter])
    assert not any(negatives.letters[~is_letter])
    assert not set(negatives.letters[is_letter]) & set(DIGIT_LIKE_LETTERS)


def test_only_the_kinds_asked_for(digits):
    some = make_negatives(40, 0, "train", *digits, shares={"scribble": 1.0, "paper": 3.0})
    assert set(some.kinds) == {"scribble", "paper"}
    assert np.count_nonzero(some.kinds == "paper") == 30
    assert set(make_negatives(4, 0, "train", *digits, shares={"letter": 1, "cut": 0.01}).kinds) == {"letter", "cut"}


def test_letters_and_paper_need_no_digits():
    assert len(make_negatives(5, 0, "heldout", None, None, shares={"letter": 1, "scribble": 1, "paper": 1}).images) == 5


def test_every_image_is_laid_out_as_the_runner_lays_out_a_digit(negatives):
    for image, kind in zip(negatives.images, negatives.kinds):
        ink = image > 0.25 * 255
        assert ink.sum() >= 10, f"{kind}: hardly any ink"
        ys, xs = np.nonzero(image > 0.05 * 255)
        assert max(np.ptp(ys), np.ptp(xs)) + 1 <= DIGIT_BOX + 2, f"{kind}: ink outside a 20x20 box"
        moments = cv2.moments(image.astype(np.float32))
        centre = np.array([moments["m10"], moments["m01"]]) / moments["m00"]
        assert np.all(np.abs(centre - MNIST_CENTRE) <= 2.0), f"{kind}: centre of mass at {centre}"
        eigenvalues = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(float)))
        assert eigenvalues[1] < 16 * eigenvalues[0], f"{kind}: a lone stroke, a 1"


def test_strokes_are_as_wide_as_mnist_strokes(negatives, digits):
    def stroke_ratio(image: np.ndarray) -> float:
        mask = image > 127
        distance = cv2.distanceTransform(np.pad(mask.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
        ys, xs = np.nonzero(mask)
        return (4 * float(distance[mask].mean()) - 2) / (max(np.ptp(ys), np.ptp(xs)) + 1)

    low, high = MNIST_STROKE_RANGE
    mnist = np.median([stroke_ratio(image) for image in digits[0][:300]])
    for kind in ("letter", "scribble", "strike"):
        ratio = np.median([stroke_ratio(image) for image in negatives.images[negatives.kinds == kind]])
        assert 0.7 * low <= ratio <= 1.3 * high and abs(ratio - mnist) <= 0.35 * mnist, (kind, ratio, mnist)


def test_letter_choice():
    default = negative_letters()
    assert not set(default) & set(DIGIT_LIKE_LETTERS)
    assert set(HARD_LETTERS) <= set(default) and len(default) == 52 - len(DIGIT_LIKE_LETTERS)
    assert not set(negative_letters(include_hard=False)) & set(HARD_LETTERS)
    assert set("OoIli") <= set(DIGIT_LIKE_LETTERS)
    assert set(negative_letters(include_digit_like=True)) == set(ALL_LETTERS)


def test_drawn_letters_are_the_ones_asked_for():
    drawn = make_negatives(60, 1, "train", None, None, shares={"letter": 1}, letters="Zk")
    assert set(drawn.letters) == {"Z", "k"}


def test_heldout_letters_are_drawn_in_faces_training_never_uses():
    heldout, train, validation = (set(letter_faces(split)) for split in ("heldout", "train", "validation"))
    assert train == validation and heldout and not heldout & train
    assert any(face.startswith("Hershey") for face in heldout) and any("Serif" in face for face in heldout)
    drawn = make_negatives(80, 2, "heldout", None, None, shares={"letter": 1})
    assert set(drawn.styles) <= heldout and len(set(drawn.styles)) > 3
    assert set(make_negatives(80, 2, "train", None, None, shares={"letter": 1}).styles) <= train


def test_strikes_run_well_beyond_the_digit(digits):
    rng = np.random.default_rng(0)
    styles = set()
    for image in digits[0][:120]:
        digit, marks, style = strike_out(image, rng)
        styles.add(style)
        digit_xs, mark_xs = np.nonzero((digit > 0.5).any(axis=0))[0], np.nonzero((marks > 0.5).any(axis=0))[0]
        digit_ys = np.nonzero((digit > 0.5).any(axis=1))[0]
        size = max(np.ptp(digit_xs), np.ptp(digit_ys))
        beyond = 0.9 * STRIKE_BEYOND * size  # the line's anti-aliased ends
        assert mark_xs.min() <= digit_xs.min() - beyond and mark_xs.max() >= digit_xs.max() + beyond, style
    assert len(styles) >= 5


def test_cuts_keep_a_part_of_the_ink_and_skip_ones(digits):
    rng = np.random.default_rng(0)
    images, labels = digits
    cut_count = 0
    for image, label in zip(images[:150], labels[:150]):
        cut = cut_away(image, int(label), rng)
        if cut is None:
            continue
        cut_count += 1
        piece, _ = cut
        kept = piece.sum() / (image.astype(np.float32) / 255).sum()
        assert CUT_KEEP[0] <= kept <= CUT_KEEP[1]
        assert np.all(piece <= image / 255 + 1e-6), "a cut only takes ink away"
    assert cut_count >= 50
    made = make_negatives(30, 0, "train", images[labels == 1][:5], labels[labels == 1][:5], shares={"letter": 1})
    assert len(made.images) == 30
    with pytest.raises(ValueError, match="other than"):
        make_negatives(3, 0, "train", images[labels == 1][:5], labels[labels == 1][:5], shares={"cut": 1})


@pytest.mark.parametrize(("arguments", "message"), [
    ({"count": -1}, "count"),
    ({"split": "test"}, "unknown split 'test'"),
    ({"shares": {"letter": 1, "doodle": 1}}, "unknown kind"),
    ({"shares": {"letter": -1, "paper": 2}}, "shares"),
    ({"letters": "A1"}, "letters"),
    ({"digits": None}, "need digits"),
])
def test_bad_arguments_raise_a_clear_value_error(digits, arguments, message):
    call = {"count": 5, "seed": 0, "split": "train", "digits": digits[0][:10], "digit_labels": digits[1][:10]}
    with pytest.raises(ValueError, match=message):
        make_negatives(**{**call, **arguments})
