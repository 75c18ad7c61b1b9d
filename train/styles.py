"""Handwriting styles that MNIST (American writers) rarely shows, made from its own digits.

The continental European 7 has a bar across its stem, and its 1 a long upstroke into the top of the stem (a
flag), often a foot too; MNIST has few of any. `cross_seven`, `flag_one` and `foot_one` draw them on MNIST
digits (benchmarks/handwriting_styles.py measures how a model reads them); `flagged_ones` makes the training
copies of the compact recipe (`digits-train --flagged-ones`; docs/training.md has the recipe and the styles
measured and not trained on).
"""
from __future__ import annotations

import cv2
import numpy as np

ONE, SEVEN = 1, 7
FLAG_LENGTH = (0.25, 0.45)  # the flag's length, as a fraction of the 1's height
FLAG_ANGLE_DEG = (30.0, 60.0)  # the flag's slope below the horizontal, down to the left from the stem's top
FOOT_HALF_LENGTH = (0.2, 0.35)  # half a 1's foot, as a fraction of its height
BAR_HEIGHT = (0.45, 0.62)  # where the bar crosses, as a fraction of the digit's height from its top
BAR_HALF_LENGTH = (0.22, 0.36)  # half the bar's length, as a fraction of the digit's width
BAR_SHIFT = (-0.2, 0.3)  # the bar's centre off the stem, as a fraction of its half length (more to the right)
BAR_TILT_DEG = 8.0
SUBPIXEL_BITS = 4  # cv2.line's `shift`: endpoints to 1/16 px


def cross_seven(image: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A uint8 28x28 MNIST 7 (white ink on black) with a bar drawn across its stem, as thick as the stem.

    The bar crosses a row near mid-height where the stem is the only ink, and may not close a loop (joined
    to the top stroke it would draw a 9). None when no such bar fits.
    """
    ink = image > 127
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size < 6 or columns.size < 4:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    low, high = (int(round(top + share * (bottom - top))) for share in BAR_HEIGHT)
    stem_rows = [row for row in range(low, high + 1) if _runs(ink[row]) == 1 and _runs(ink[row - 1]) == 1
                 and _runs(ink[row + 1]) == 1]
    if not stem_rows:
        return None
    y = int(rng.choice(stem_rows))
    stem = np.flatnonzero(ink[y])
    width = np.mean([np.count_nonzero(ink[row]) for row in (y - 1, y, y + 1)])
    half = rng.uniform(*BAR_HALF_LENGTH) * (columns[-1] - columns[0] + 1)
    centre = float(stem.mean()) + rng.uniform(*BAR_SHIFT) * half
    rise = np.tan(np.radians(rng.uniform(-BAR_TILT_DEG, BAR_TILT_DEG))) * half
    return _with_stroke(image, ink, (centre - half, y - rise), (centre + half, y + rise), _thickness(width))


def flag_one(image: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A uint8 28x28 MNIST 1 (white ink on black) with a flag: an upstroke from below left into the top of its
    stem, as thick as the stem. None for a 1 that is no plain stroke at the top (it has a flag or a serif
    already) or when the flag would leave the frame or close a loop."""
    ink = image > 127
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size < 8:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    width = _stem_width(ink, range(top, top + (bottom - top) // 3))
    if width is None:
        return None
    thickness = _thickness(width)
    x, y = float(np.flatnonzero(ink[top]).mean()), top + thickness / 2  # the pen no higher than the stem
    length = rng.uniform(*FLAG_LENGTH) * (bottom - top + 1)
    angle = np.radians(rng.uniform(*FLAG_ANGLE_DEG))
    end_x, end_y = x - length * np.cos(angle), y + length * np.sin(angle)
    if end_x < 1:
        return None
    return _with_stroke(image, ink, (x, y), (end_x, end_y), thickness)


def foot_one(image: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A uint8 28x28 MNIST 1 with a foot: a level bar across the bottom of its stem, centred on it, as thick as
    the stem. None for a 1 that is no plain stroke at the bottom (it has a foot or a hook already) or when the
    foot would leave the frame or close a loop."""
    ink = image > 127
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size < 8:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    width = _stem_width(ink, range(bottom - (bottom - top) // 3 + 1, bottom + 1))
    if width is None:
        return None
    thickness = _thickness(width)
    x, y = float(np.flatnonzero(ink[bottom]).mean()), bottom - thickness / 2  # the pen no lower than the stem
    half = rng.uniform(*FOOT_HALF_LENGTH) * (bottom - top + 1)
    if x - half < 1 or x + half > image.shape[1] - 2:
        return None
    return _with_stroke(image, ink, (x - half, y), (x + half, y), thickness)


def flag_and_foot_one(image: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 1 with a foot and a flag (as printed 1s look), None where either does not fit."""
    footed = foot_one(image, rng)
    return None if footed is None else flag_one(footed, rng)


def _stem_width(ink: np.ndarray, rows: range) -> float | None:
    """The width of a plain single stroke along these rows of a binary image (one run on each, none much wider
    than the rest); None when it is no such stroke."""
    if any(_runs(ink[row]) != 1 for row in rows):
        return None
    widths = [np.count_nonzero(ink[row]) for row in rows]
    width = float(np.median(widths))
    return None if max(widths) > 2.5 * width else width


def _with_stroke(image: np.ndarray, ink: np.ndarray, start: tuple[float, float], end: tuple[float, float],
                 thickness: int) -> np.ndarray | None:
    """A copy of the digit with a pen stroke from `start` to `end` (x, y), None when it closes a loop (`ink`:
    the digit's own ink): a bar joined to a 7's top draws a 9."""
    drawn = image.copy()
    cv2.line(drawn, _subpixel(*start), _subpixel(*end), 255, thickness, cv2.LINE_AA, shift=SUBPIXEL_BITS)
    return drawn if _holes(drawn > 127) == _holes(ink) else None


def _subpixel(x: float, y: float) -> tuple[int, int]:
    """A point for cv2.line with `shift=SUBPIXEL_BITS`."""
    scale = 1 << SUBPIXEL_BITS
    return int(round(x * scale)), int(round(y * scale))


def _thickness(stem_width: float) -> int:
    """A drawn stroke's thickness for a stem this wide along a row (a little less: a slanted stem is wider
    along a row)."""
    return int(np.clip(round(0.8 * stem_width), 1, 4))


def _runs(row: np.ndarray) -> int:
    """How many separate runs of ink a row of a binary image holds."""
    return int(np.count_nonzero(np.diff(row.astype(np.int8), prepend=0) == 1))


def _holes(ink: np.ndarray) -> int:
    """Background regions enclosed by ink (loops)."""
    count, _ = cv2.connectedComponents(np.pad(~ink, 1).astype(np.uint8), connectivity=4)
    return count - 2  # label 0 is the ink, label 1 the background around the digit


def flagged_ones(images: np.ndarray, labels: np.ndarray, share: float, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Flagged copies of `share` of the 1s among uint8 images (N x 28 x 28), chosen and drawn with `seed`.

    Returns the new images (M x 28 x 28 uint8) and their labels (all 1); a 1 where no flag fits (see flag_one)
    is left out, so M is a little less than `share` of the 1s.
    """
    rng = np.random.default_rng(seed)
    chosen = np.flatnonzero(labels == ONE)
    chosen = np.sort(rng.choice(chosen, round(share * chosen.size), replace=False))
    flagged = [image for image in (flag_one(images[index], rng) for index in chosen) if image is not None]
    return np.array(flagged, np.uint8).reshape(-1, *images.shape[1:]), np.full(len(flagged), ONE, labels.dtype)
