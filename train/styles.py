"""Handwriting styles that MNIST (American writers) rarely shows, made from its own digits.

The continental European 7 has a bar across its stem; MNIST has few. `cross_seven` draws one on an MNIST 7
(benchmarks/crossed_sevens.py measures how a model reads them) and `crossed_sevens` makes training copies
(`digits-train --crossed-sevens`, an experiment: see the README for what it did).
"""
from __future__ import annotations

import cv2
import numpy as np

SEVEN = 7
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
    # The stem's width across the bar's row (a little less: a slanted stem is wider along a row).
    width = np.mean([np.count_nonzero(ink[row]) for row in (y - 1, y, y + 1)])
    thickness = int(np.clip(round(0.8 * width), 1, 4))
    half = rng.uniform(*BAR_HALF_LENGTH) * (columns[-1] - columns[0] + 1)
    centre = float(stem.mean()) + rng.uniform(*BAR_SHIFT) * half
    rise = np.tan(np.radians(rng.uniform(-BAR_TILT_DEG, BAR_TILT_DEG))) * half
    scale = 1 << SUBPIXEL_BITS
    start = (int(round((centre - half) * scale)), int(round((y - rise) * scale)))
    end = (int(round((centre + half) * scale)), int(round((y + rise) * scale)))
    crossed = image.copy()
    cv2.line(crossed, start, end, 255, thickness, cv2.LINE_AA, shift=SUBPIXEL_BITS)
    return crossed if _holes(crossed > 127) == _holes(ink) else None


def _runs(row: np.ndarray) -> int:
    """How many separate runs of ink a row of a binary image holds."""
    return int(np.count_nonzero(np.diff(row.astype(np.int8), prepend=0) == 1))


def _holes(ink: np.ndarray) -> int:
    """Background regions enclosed by ink (loops)."""
    count, _ = cv2.connectedComponents(np.pad(~ink, 1).astype(np.uint8), connectivity=4)
    return count - 2  # label 0 is the ink, label 1 the background around the digit


def crossed_sevens(images: np.ndarray, labels: np.ndarray, share: float, seed: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Crossed copies of `share` of the 7s among uint8 images (N x 28 x 28), chosen and drawn with `seed`.

    Returns the new images (M x 28 x 28 uint8) and their labels (all 7); a 7 where no bar fits (see
    cross_seven) is left out, so M is a little less than `share` of the 7s.
    """
    rng = np.random.default_rng(seed)
    sevens = np.flatnonzero(labels == SEVEN)
    chosen = np.sort(rng.choice(sevens, round(share * sevens.size), replace=False))
    crossed = [image for image in (cross_seven(images[index], rng) for index in chosen) if image is not None]
    return np.array(crossed, np.uint8).reshape(-1, *images.shape[1:]), np.full(len(crossed), SEVEN, labels.dtype)
