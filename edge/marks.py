"""A mark on a page's downscaled copy (a candidate digit: its box and its components' ink), and the cutting of a
wide mark into touching digits (`split_touching`). Pure functions, numpy; used by edge/multi.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_MARK_PX = 8  # px on the downscaled copy: nothing shorter can be a digit
SOLID_FILL = 0.6  # a mark filling more of its box than this is solid (a desk or a shadow), not strokes
MIN_HEIGHT_IN_LINE = 0.45  # of its line's digit height: a mark shorter than this is a dot or a dash, not a digit
TOUCHING_PART_HEIGHT = 0.75  # a cut crossing one stroke, into parts this tall (of the line's digits): two touching
# Digits written close together overlap: besides a straight cut, a curved one is tried, a path through the
# least ink that winds between them; it is kept only where it cuts where digits touch and its parts overlap
CURVED_CUT_OVERLAP = 0.2  # across by at most this share of the narrower's width (else it wound into one digit)
CUT_STEP_COST = 0.05  # the path: each column it steps aside costs this much (of an ink pixel crossed) ...
CUT_DRIFT_COST = 0.01  # ... and each pixel of it this much per column away from the digits' even spacing


@dataclass
class Mark:
    """A candidate digit on the downscaled copy: a box (x0, y0, x1 and y1 exclusive), its component labels,
    and whether it touches the image's edge."""

    x0: int
    y0: int
    x1: int
    y1: int
    labels: tuple[int, ...]
    at_edge: bool = False
    cut_by_frame: bool = False  # at the edge and shorter than a tight crop's digit: kept only in a line of digits
    own_ink: np.ndarray | None = field(default=None, compare=False)  # a part cut from a mark: its ink over its box

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def mark_ink(labels: np.ndarray, mark: Mark, window: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The mark's own ink (its components) over a window (x0, y0, x1, y1) of the label image, its box by default."""
    x0, y0, x1, y1 = window or (mark.x0, mark.y0, mark.x1, mark.y1)
    crop = labels[y0:y1, x0:x1]
    own = np.zeros(max(mark.labels) + 1, bool)  # a lookup table: faster than np.isin on every pixel
    own[list(mark.labels)] = True
    return own[np.minimum(crop, len(own) - 1)] & (crop <= max(mark.labels))


def split_touching(mark: Mark, ink: np.ndarray, parts: int, median_height: float,
                    curved: bool = False) -> tuple[list[Mark], bool]:
    """A wide mark (`ink`: its own ink over its box) cut into `parts` digits, each cut at the column with least
    ink near its even position, or (`curved`) along a path through the least ink there ([] when a part would
    be a sliver much shorter than the line's digits), and whether it is cut where digits touch
    (DigitRegion.touching_cuts)."""
    columns = ink.sum(axis=0)
    paths = [np.zeros(mark.height, int)]
    for k in range(1, parts):
        centre = round(k * mark.width / parts)
        reach = max(1, round(0.25 * mark.width / parts))
        start = max(int(paths[-1].max()) + 1, centre - reach)
        if curved:
            paths.append(_cut_path(ink, start, centre + reach, centre))
            continue
        window = columns[start: centre + reach + 1]
        paths.append(np.full(mark.height, start + int(np.argmin(window)) if window.size else centre))
    paths.append(np.full(mark.height, mark.width))
    if curved and all(np.ptp(path) == 0 for path in paths[1:-1]):
        return [], False  # as straight as the straight cut
    across = np.arange(mark.width)
    pieces = []
    for left, right in zip(paths, paths[1:]):
        own = ink & (across >= left[:, None]) & (across < right[:, None])
        rows, cols = np.flatnonzero(own.any(axis=1)), np.flatnonzero(own.any(axis=0))
        if not rows.size or rows[-1] + 1 - rows[0] < MIN_HEIGHT_IN_LINE * median_height:
            return [], False  # a sliver (a bar's end, a tail): not a way to cut this mark into digits
        top, bottom, first, last = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        if not curved:
            first, last = int(left[0]), int(right[0])
        pieces.append(Mark(mark.x0 + first, mark.y0 + top, mark.x0 + last, mark.y0 + bottom, mark.labels,
                            mark.at_edge, mark.cut_by_frame, own[top:bottom, first:last]))
    touching = (all(_strokes_crossed(ink, path) <= 1 for path in paths[1:-1])
                and all(piece.height >= TOUCHING_PART_HEIGHT * median_height for piece in pieces))
    if curved and not (touching and _apart(pieces)):
        return [], False  # a path that found no better place than a straight cut, or wound into one digit
    return pieces, touching


def _apart(pieces: list[Mark]) -> bool:
    """Whether neighbouring parts overlap across by at most CURVED_CUT_OVERLAP of the narrower one's width."""
    return all(min(left.x1, right.x1) - max(left.x0, right.x0) <= CURVED_CUT_OVERLAP * min(left.width, right.width)
               for left, right in zip(pieces, pieces[1:]))


def _cut_path(ink: np.ndarray, start: int, stop: int, centre: int) -> np.ndarray:
    """The column, row by row, of a cut from the top of the mark to its bottom between columns `start` and
    `stop` (inclusive) that crosses the least ink, moving at most a column a row and kept near `centre`
    (a cut that can run straight, does): digits written close together overlap, so a straight cut takes part
    of one digit's stroke into the other's crop."""
    stop = min(stop, ink.shape[1] - 1)
    if stop <= start:
        return np.full(ink.shape[0], min(start, ink.shape[1] - 1))
    cost = ink[:, start:stop + 1] + CUT_DRIFT_COST * np.abs(np.arange(start, stop + 1) - centre)
    # moves[0], moves[1], moves[2]: the cheapest way into each column from the left, from above, from the right
    moves = np.full((3, cost.shape[1] + 2), np.inf)
    moves[1, 1:-1] = cost[0]
    came_from = np.zeros(cost.shape, np.int8)
    for row in range(1, cost.shape[0]):
        moves[0, 1:-1] = moves[1, :-2] + CUT_STEP_COST
        moves[2, 1:-1] = moves[1, 2:] + CUT_STEP_COST
        step = moves[:, 1:-1].argmin(axis=0)
        came_from[row] = step - 1
        moves[1, 1:-1] = np.choose(step, moves[:, 1:-1]) + cost[row]
    path = np.empty(cost.shape[0], int)
    path[-1] = int(np.argmin(moves[1, 1:-1]))
    for row in range(cost.shape[0] - 1, 0, -1):
        path[row - 1] = path[row] + came_from[row, path[row]]
    return path + start


def _strokes_crossed(ink: np.ndarray, path: np.ndarray) -> int:
    """How many strokes a cut crosses: the fewest runs of ink along its path or the path a column beside it
    (a stroke running along the cut for a pixel must not count twice)."""
    rows = np.arange(ink.shape[0])
    fewest = ink.shape[0]
    for shift in (-1, 0, 1):
        along = ink[rows, np.clip(path + shift, 0, ink.shape[1] - 1)]
        fewest = min(fewest, int((along & ~np.concatenate([[False], along[:-1]])).sum()))
    return fewest
