"""Read every digit in one image: an ID or a phone number written on paper, in one or more lines.

Pure functions, numpy + OpenCV. The marks are found on a downscaled copy (lighting and polarity
normalised, binarised, connected components; the lighting is estimated again at the strokes' scale when a
mark is far thicker than the strokes: a shadow taken for ink); broken strokes of one digit are joined,
touching digits split where the width says two, specks, ruled lines and frame edges dropped, and the digits
grouped into lines read top to bottom and left to right. Each digit is then cut from the full-resolution
image (other marks blanked out) and read with the single-digit preprocessing (`to_mnist`) and the model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from digits.edge.classifier import DigitClassifier
from digits.edge.preprocess import (
    LINE_DRIFT,
    WORK_SIDE,
    is_convex_blob,
    ruled_line_ink,
    shrunk_to,
    thickness,
    to_gray,
    to_mnist,
)

# Finding marks (on the downscaled copy)
PAGE_BACKGROUND_SIDE_PX = 64  # px: the paper's lighting is estimated on a copy this small ...
POLARITY_KERNEL = 31  # px: ... the polarity from a median this wide (half the image: wider than the digits) ...
GLARE_KERNEL = 9  # px: ... and light ink also from one this wide (wider than strokes, narrower than a glare) ...
BACKGROUND_KERNEL = 13  # px: ... the paper from a closing this wide (1/5 of the image: wider than any stroke)
BLOB_STROKES = 3.0  # a mark this many times thicker than the page's typical stroke is a shadow or a smudge: ...
FINE_KERNEL_STROKES = 3.0  # ... then the paper is also estimated with a closing this many strokes wide, ...
FINE_KERNEL = 9  # px: ... made this wide on a copy shrunk to fit (a shadow narrower than 1/5 of a big frame)
INK_TAIL = 0.995  # polarity: the ink side is the stronger of the two tails this far out, ...
FAR_TAILS, FAR_TAIL_RATIO = (0.999, 0.9999), 1.5  # ... unless one tail this far out (or, tied, this) is this
# many times the other (thin writing small in a big frame is under 0.1% of it)
# gray levels (0-255): a page's ink must differ from its paper by at least this much (a blank page has none)
PAGE_MIN_CONTRAST_LEVELS = 12
NOISE_SIGMAS = 5.0  # ... and by this many times the paper's own noise
MIN_TURN = 1.0  # degrees: lines turned further are found on the page turned level, ...
ANGLE_AGREEMENT = 1.0  # ... only, when the top and bottom edges of the widest mark agree on it this closely
LINE_RUN = 0.25  # when lines show (below), the ink of straight runs this long (of the page's side) is taken out:
# digits on a page are far shorter, and a run this short stays within its band on a slightly turned page
LINE_RUN_ASPECT = 4 / 3  # ... and never shorter than LINE_RUN of the short side of a page this shape, as long
STRUNG_ASPECT = 3.0  # lines show: digits strung on one, a mark LINE_RUN wide and this many times wider than high; ...
GRID_HOLES = 3  # ... or a grid, a mark twice LINE_RUN long with more holes than this (an 8 has two), ...
BROKEN_LINE_PIECES = 4  # ... or this many thin marks in a row along a line twice LINE_RUN long (a faint line
BROKEN_LINE_ALIGN = 0.01  # broken up by the threshold), their centres within this share of the page across
MIN_MARK_PX = 8  # px on the downscaled copy: nothing shorter can be a digit
BOX_SPAN = 0.7  # a row of boxes: in this share of its columns ink at the top and bottom this share of its height apart
WALL_COVER = 0.85  # a column inked along this much of a row of boxes' height: a wall between two boxes ...
MIN_WALLS, MAX_WALLS = 3, 40  # ... when there are this many (two boxes; a form's field has far fewer than 40), ...
WALL_STEP_TOLERANCE = 0.15  # ... standing this close to evenly spaced (of the typical spacing)
TIGHT_CROP_HEIGHT = 0.5  # of the image's height: a digit this tall may touch the edge (tight crops) ...
SOLID_FILL = 0.6  # ... unless it fills more of its box than this (a desk or a shadow, not strokes) ...
FRAME_SPAN = 0.9  # ... or spans this much of the image's width and height (a frame around the page);
EDGE_DIGIT_HEIGHT = 0.7  # a shorter mark touching the edge is a digit only in a line of digits clear of the edge,
# and at least this tall against them (a photo cropped close to the number)
SLAB_FILL = 0.85  # a mark at least as wide as tall filling more of its box than this is a slab, not strokes
# Shapes, relative to the typical digit height of the image or of its line
SPECK_HEIGHT = 0.4  # shorter than this: a speck (dropped)
TOO_TALL = 3.0  # taller than this: a frame, a paper edge or a shadow (dropped)
LINE_THICKNESS = 0.25  # a mark thinner than this and ...
LINE_LENGTH = 2.0  # ... longer than this is a ruled line (dropped)
JOIN_GAP = 0.25  # pieces stacked closer than this, overlapping horizontally, are one digit ...
JOIN_HEIGHT = 1.35  # ... if together they are no taller than this
JOIN_REFERENCE_QUANTILE = 0.75
MIN_HEIGHT_IN_LINE = 0.45  # shorter than this in its line: a dot or a dash, not a digit
TOUCHING_WIDTH = 1.0  # at least as wide as tall: maybe two digits, cut only where they touch (below) ...
SPLIT_WIDTH = 1.25  # wider than this: maybe several touching digits (the model decides) ...
SURE_SPLIT_WIDTH = 2.0  # ... wider than this: surely several (no handwritten digit is that wide)
TOUCHING_PART_HEIGHT = 0.75  # a cut crossing one stroke, into parts this tall (of the line's digits): two touching
SPLIT_MIN_CONFIDENCE = 0.9  # a mark of ambiguous width is split only when its parts are read this surely ...
SURE_WHOLE = 0.9  # ... and the whole is read less surely than this, unless it is wider than ...
LIKELY_SPLIT_WIDTH = 1.6  # ... this (wide single digits are far more common than touching ones)
# Confidences closer than this (in log) are equal: the int8 model's outputs are multiples of 1/256 and often
# saturate at 255/256, and the last bit of a mean of logs differs between x86 and ARM's maths libraries.
SCORE_TIE = 1e-9
# Digits written close together overlap: besides a straight cut, a curved one is tried, a path through the
# least ink that winds between them; it is kept only where it cuts where digits touch and its parts overlap
CURVED_CUT_OVERLAP = 0.2  # across by at most this share of the narrower's width (else it wound into one digit)
CUT_STEP_COST = 0.05  # the path: each column it steps aside costs this much (of an ink pixel crossed) ...
CUT_DRIFT_COST = 0.01  # ... and each pixel of it this much per column away from the digits' even spacing
DIGIT_WIDTH_RANGE = (0.55, 0.9)  # the width of one digit, for counting the touching ones
GROUND_RING = 0.25  # of the mark's height: the ring around it where the paper should show ...
DARK_GROUND_FRACTION = 0.3  # ... unless this much of it is as dark as the ink (a table's edge, not a stroke):
DARK_GROUND_LEVEL = 0.35  # darker than this share of the way from the ink's level to the paper's
LINE_OVERLAP = 0.4  # a digit continues a line when it overlaps the line's last digit vertically this much
WRITING_GAP = 3.0  # digit heights: the widest gap between neighbours in a line, for measuring the lines' slope ...
MAX_SLOPE = 0.36  # ... which is at most this (20 degrees); steeper pairs are digits of different lines
# Cutting digits for the model (full-resolution image)
CROP_PAD = 0.2  # of the digit's height, around its box
CROP_HEIGHT = 64  # px: larger crops are shrunk to this height first (the model sees 20 px anyway)
CLEAR_INK = 1.3  # a digit whose ink stands this far above the page's floor (median strength / floor) is ink, ...
FAINT_CROP_CONTRAST = 0.15  # ... so its crop, if fainter than this share of the full range (a faded photo), ...
MAX_CONTRAST_GAIN = 2.5  # ... is stretched toward it (by at most this), not called blank by the preprocessing


@dataclass(frozen=True)
class MultiOptions:
    """How to find and read the digits."""

    min_confidence: float = 0.0  # digits read with less confidence are dropped as marks that are not digits
    work_side: int = 1024  # px: marks are found on a copy whose longest side is at most this


@dataclass(frozen=True)
class DigitBox:
    """One digit read: its box in the original image (pixels) and the model's answer."""

    x: int
    y: int
    w: int
    h: int
    digit: int
    confidence: float


@dataclass(frozen=True)
class Line:
    """One line of digits, left to right."""

    digits: str
    boxes: tuple[DigitBox, ...]


@dataclass(frozen=True)
class PageReading:
    """Every digit in an image: the lines top to bottom; text is their digits joined ("" when none)."""

    text: str
    lines: tuple[Line, ...]
    latency_ms: float = 0.0


@dataclass(frozen=True)
class DigitRegion:
    """Where one digit is: its box in the original image and its ink on the downscaled copy.

    mask: bool array over `work_box` (x0, y0, x1, y1 exclusive) of the copy shrunk `factor` times.
    splits: ways to cut the mark into touching digits, when it may be more than one (the count its width says
    first, then one fewer and one more, each straight and, where digits touch, curved; a mark at most
    SPLIT_WIDTH wide only in two, where the digits touch, below); `sure_split` when it is far too wide for one
    digit, else the model decides (a wide 2 or 0 is common in handwriting). `touching_cuts`: for each way,
    whether it cuts where digits touch: every cut crosses at most one stroke (the middle of one wide digit
    mostly crosses two) and every part is nearly as tall as the line's digits (TOUCHING_PART_HEIGHT; not a
    bar's end or a tail).
    """

    box: tuple[int, int, int, int]  # x, y, w, h in the original image
    work_box: tuple[int, int, int, int]
    mask: np.ndarray
    factor: int
    dark_ink: bool  # the page's polarity, judged on the whole page: the digit's crop need not judge it again
    # Its ink stands clearly above the page's floor (CLEAR_INK) on a page without ruled lines: when its crop
    # is faint, the photo is faded, not blank (on a lined page a faint mark can be what is left of a line).
    clear_ink: bool = False
    splits: tuple[tuple[DigitRegion, ...], ...] = ()
    touching_cuts: tuple[bool, ...] = ()
    sure_split: bool = False
    width_ratio: float = 0.0  # the mark's width over its line's median digit height


@dataclass(frozen=True)
class _Page:
    """What finding the marks learnt of the page (on the downscaled copy, shrunk `factor` times from `shape`):
    the component labels, the ink strength and the floor ink must pass, the polarity, and whether lines were
    taken out."""

    labels: np.ndarray
    strength: np.ndarray
    floor: float
    dark_ink: bool
    lined: bool  # ruled lines or a grid were taken out (their remnants are faint marks that are not writing)
    factor: int
    shape: tuple[int, ...]


@dataclass
class _Mark:
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


def ink_strength(gray: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """How much darker (or lighter) than the paper each pixel is, on a uint8 grayscale image, the floor that
    ink must pass, and whether the ink is dark: for dark ink on light paper or light ink on dark.

    Polarity: the side with the stronger tail once a coarse median of the page (ink is the minority) is
    removed; light ink must also win once a finer median is removed, which follows a lamp's glare (light,
    smooth and wider than strokes) but not strokes. Lighting: a closing (dark ink) or opening (light ink) wider
    than any stroke, on a small copy, gives the paper with its shading and with large dark or light things (a
    desk, a phone) but without the strokes, however large the digits. Floor: never within the paper's own
    noise, so a blank page has no ink.
    """
    small = shrunk_to(gray, PAGE_BACKGROUND_SIDE_PX)
    dark_ink = _dark_ink_by_tails(gray, small, POLARITY_KERNEL) or _dark_ink_by_tails(gray, small, GLARE_KERNEL)
    strength, floor = _strength_and_floor(gray, _paper(small, gray.shape, dark_ink, BACKGROUND_KERNEL), dark_ink)
    return strength, floor, dark_ink


def finer_ink_strength(gray: np.ndarray, dark_ink: bool, stroke: float) -> tuple[np.ndarray, float]:
    """`ink_strength` with the paper also estimated by a closing FINE_KERNEL_STROKES times `stroke` (px) wide,
    where that lies below the wide estimate: a shadow narrower than the wide closing, lighter paper on both
    sides (a pen's or a phone's shadow across a sheet small in the frame), is paper, while strokes stay ink."""
    side = max(gray.shape)
    fine_side = min(side, max(PAGE_BACKGROUND_SIDE_PX, round(side * FINE_KERNEL / (FINE_KERNEL_STROKES * stroke))))
    wide = _paper(shrunk_to(gray, PAGE_BACKGROUND_SIDE_PX), gray.shape, dark_ink, BACKGROUND_KERNEL)
    fine = _paper(shrunk_to(gray, fine_side), gray.shape, dark_ink, FINE_KERNEL)
    return _strength_and_floor(gray, cv2.min(wide, fine) if dark_ink else cv2.max(wide, fine), dark_ink)


def _paper(small: np.ndarray, shape: tuple[int, int], dark_ink: bool, kernel_px: int) -> np.ndarray:
    """The paper with its shading, from a closing (dark ink) or opening (light ink) `kernel_px` wide on `small`,
    brought to `shape`."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel_px, kernel_px))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN, kernel,
                             borderType=cv2.BORDER_REPLICATE)
    return _enlarge(cv2.blur(paper, (3, 3)), (shape[1], shape[0]))


def _strength_and_floor(gray: np.ndarray, background: np.ndarray, dark_ink: bool) -> tuple[np.ndarray, float]:
    """How far each pixel stands from the paper on the ink's side, and the floor ink must pass."""
    strength = cv2.subtract(background, gray) if dark_ink else cv2.subtract(gray, background)
    beyond = cv2.subtract(gray, background) if dark_ink else cv2.subtract(background, gray)
    typical = _quantile(_histogram(strength[::2, ::2]), 0.5)
    # the paper's noise, from the pixels on the side away from the ink (however much ink there is): the median
    # of a half-normal spread is 0.674 standard deviations
    away = _histogram(beyond[::2, ::2])[1:]
    noise = (1 + _quantile(away, 0.5)) / 0.674 if away.sum() else 0.0
    return strength, max(typical + PAGE_MIN_CONTRAST_LEVELS, typical + NOISE_SIGMAS * noise)


def _dark_ink_by_tails(gray: np.ndarray, small: np.ndarray, kernel: int) -> bool:
    """Whether the page's ink is dark: the stronger tail of the page minus its median `kernel` px wide, taken on
    `small` (the page shrunk to PAGE_BACKGROUND_SIDE_PX)."""
    height, width = gray.shape
    coarse = _enlarge(cv2.medianBlur(small, kernel), (width, height))
    darker = _histogram(cv2.subtract(coarse, gray)[::2, ::2])
    lighter = _histogram(cv2.subtract(gray, coarse)[::2, ::2])
    # Ink under INK_TAIL of the page (a small sheet on a desk, the sheet's edge making the other tail) shows
    # only further out, where a clear winner decides; a near tie there is the paper's noise.
    for tail in FAR_TAILS:
        dark_far, light_far = _quantile(darker, tail), _quantile(lighter, tail)
        if max(dark_far, light_far) >= FAR_TAIL_RATIO * min(dark_far, light_far) + 1:
            return dark_far > light_far
    return _quantile(darker, INK_TAIL) >= _quantile(lighter, INK_TAIL)


def ink_mask(strength: np.ndarray, floor: float) -> np.ndarray:
    """Binary ink (255): Otsu's threshold on the ink strength, never below `floor`; fainter ink (down to 0.6
    of it, still above the floor) is kept where it touches ink above it (hysteresis), so the faint part of a
    stroke stays with its digit instead of being blanked out of its crop."""
    otsu, _ = cv2.threshold(strength, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    threshold = max(otsu, floor)
    strong = strength > threshold
    weak = (strength > max(floor, 0.6 * threshold)).astype(np.uint8)
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    keep = np.zeros(count, bool)
    keep[labels[strong]] = True
    keep[0] = False
    return keep[labels].astype(np.uint8) * 255


def _line_ink(strength: np.ndarray, angle: float = 0.0, sure: bool = True) -> np.ndarray:
    """The ink strength of ruled lines and grids (`ruled_line_ink`): subtracted, strokes keep their ink where
    they cross a line. Lines turned by more than MIN_TURN (`angle`, degrees: over a run LINE_RUN long, a line
    turned 4 degrees wanders further than `ruled_line_ink` allows) are found on the page turned level; when the
    angle is not `sure`, also on the page as it is (a wrong angle finds no more than that)."""
    # the allowed wander scales with the copy (LINE_DRIFT is in px of the single-digit working copy)
    drift = max(LINE_DRIFT, round(LINE_DRIFT * max(strength.shape) / WORK_SIDE))
    shortest = round(min(_line_runs(strength.shape)))  # ruled_line_ink takes LINE_RUN of each axis, or this
    if abs(angle) <= MIN_TURN:
        return ruled_line_ink(strength, drift, LINE_RUN, shortest)
    height, width = strength.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    level = cv2.warpAffine(strength, turn, (width, height), flags=cv2.INTER_LINEAR)
    lines = cv2.warpAffine(ruled_line_ink(level, drift, LINE_RUN, shortest), cv2.invertAffineTransform(turn),
                           (width, height), flags=cv2.INTER_LINEAR)
    lines = cv2.min(lines, strength)
    return lines if sure else cv2.max(lines, ruled_line_ink(strength, drift, LINE_RUN, shortest))


def _line_runs(shape: tuple[int, int]) -> tuple[float, float]:
    """The shortest runs (px) that can be a line across the page and down it: LINE_RUN of that side, and never
    less than LINE_RUN of the short side of a 4:3 page as long as the image (a 4:3 or 3:4 photo is unchanged by
    that). Across a strip (a photo cropped close to a line of writing) a quarter of the height is one upright
    stroke of a digit."""
    height, width = shape
    shortest = LINE_RUN * max(shape) / LINE_RUN_ASPECT
    return max(LINE_RUN * width, shortest), max(LINE_RUN * height, shortest)


def _level_angle(mark: np.ndarray) -> float:
    """The angle (degrees, for cv2.getRotationMatrix2D) that turns a long mark (uint8, cut to its box) level:
    from how far its top edge climbs or falls between its two halves."""
    tops = np.argmax(mark, axis=0).astype(np.float32)  # the top line's row in each column
    half = mark.shape[1] // 2
    return float(np.degrees(np.arctan(np.median(tops[half:half * 2] - tops[:half]) / half)))


def _page_angle(stats: np.ndarray, labels: np.ndarray) -> tuple[float, bool]:
    """How far the page's lines are turned (degrees, `_level_angle` of its widest mark), and whether that is sure:
    its top and bottom edges agree on it within ANGLE_AGREEMENT (a ruled line's edges run parallel; a ragged
    edge, strokes standing out of it or a grid's broken top, says less)."""
    label = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_WIDTH]))
    x, y, w, h = (int(value) for value in stats[label][:4])
    mark = (labels[y: y + h, x: x + w] == label).astype(np.uint8)
    top, bottom = _level_angle(mark), -_level_angle(mark[::-1])
    return ((top + bottom) / 2, True) if abs(top - bottom) <= ANGLE_AGREEMENT else (top, False)


def _box_walls(stats: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Where the walls between a form's boxes stand (a row of boxes to write an ID in): in a mark as wide as
    lines are long, ruled along its top and its bottom, the columns inked along WALL_COVER of its height, at
    least MIN_WALLS of them, evenly spaced; measured with the mark turned level first (a photo is rarely
    square to the page). Once the long lines are out, the walls would be read as 1s, and digits touching them
    would be joined. Returns a mask."""
    height, width = labels.shape
    walls = np.zeros(labels.shape, np.uint8)
    for label in range(1, len(stats)):
        x, y, w, h = (int(value) for value in stats[label][:4])
        if w < LINE_RUN * width or w < STRUNG_ASPECT * h or h < MIN_MARK_PX:
            continue
        component = (labels[y: y + h, x: x + w] == label).astype(np.uint8)
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), _level_angle(component), 1.0)
        level = cv2.warpAffine(component, turn, (w, h), flags=cv2.INTER_NEAREST)
        found = _walls_of_level_boxes(level, (x == 0, x + w == width))
        if found is not None:
            back = cv2.warpAffine(found, cv2.invertAffineTransform(turn), (w, h), flags=cv2.INTER_NEAREST)
            walls[y: y + h, x: x + w] |= back & component
    # a column or two beside each wall: its anti-aliased edge
    return cv2.dilate(walls, np.ones((1, 5), np.uint8)).astype(bool)


def _walls_of_level_boxes(level: np.ndarray, runs_off: tuple[bool, bool] = (False, False)) -> np.ndarray | None:
    """The walls' pixels (uint8 mask) of a level row of boxes (a binary mark, turned level), or None when the
    mark is not one: ruled along its top and bottom (nearly every column inked at both, a row's height apart;
    under perspective the height changes along the row), with evenly spaced walls that close it at both ends
    (an end wall printed with a gap is taken where the lines end, within a box of the outer wall found, unless
    the mark `runs_off` the image at that end, left or right: ruled paper's lines do)."""
    inked = level.any(axis=0)
    top = np.argmax(level, axis=0)
    bottom = level.shape[0] - 1 - np.argmax(level[::-1], axis=0)
    span = np.where(inked, bottom - top + 1, 0)
    tall = span >= BOX_SPAN * np.median(span[inked])
    if np.median(span[inked]) < MIN_MARK_PX or np.count_nonzero(tall) < BOX_SPAN * level.shape[1]:
        return None  # not boxes: digits strung on one ruled line (only their own columns are tall)
    rows = np.arange(level.shape[0])[:, None]
    between = (rows >= top) & (rows <= bottom)
    # a pixel of sway either side: under perspective the walls are not quite parallel once the mark is level
    swayed = cv2.dilate(level, np.ones((1, 3), np.uint8))
    columns = tall & ((swayed * between).sum(axis=0) >= WALL_COVER * np.maximum(span, 1))
    steps = np.diff(columns.astype(np.int8), prepend=0, append=0)
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    if not MIN_WALLS <= len(starts) <= MAX_WALLS:
        return None  # a 1 standing upright between two ruled lines, touching both; or hatching, a barcode
    # The walls stand evenly spaced (under perspective the spacing changes slowly along the row): the
    # longest chain of candidates whose every gap is within WALL_STEP_TOLERANCE of the one before. A digit's
    # upright stroke touching both lines breaks that step.
    centres = (starts + ends) / 2
    in_step = _longest_even_chain(centres)
    walls = centres[in_step]
    if len(walls) < MIN_WALLS:
        return None
    # A row of boxes is closed at both ends; ruled lines run on past any upright strokes. An end wall printed
    # with a gap is no candidate: the lines may run on by a box past the outer wall found, and end at it (not
    # at the image's edge).
    step = float(np.median(np.diff(walls)))
    tolerance = WALL_STEP_TOLERANCE * step
    reach_left, reach_right = (tolerance if off else step + tolerance for off in runs_off)
    ruled = np.flatnonzero(tall)
    if walls[0] > ruled[0] + reach_left or walls[-1] < ruled[-1] - reach_right:
        return None
    found = np.zeros(level.shape, np.uint8)
    for start, end in zip(starts[in_step], ends[in_step]):
        found[:, max(0, start - 1): end + 1] = 1  # a pixel more: turned back, it shifts
    wall_width = int(np.median(ends[in_step] - starts[in_step]))
    if walls[0] > ruled[0] + tolerance:
        found[:, max(0, ruled[0] - 1): ruled[0] + wall_width + 1] = 1
    if walls[-1] < ruled[-1] - tolerance:
        found[:, max(0, ruled[-1] - wall_width): ruled[-1] + 2] = 1
    return found & between.astype(np.uint8)


def _longest_even_chain(centres: np.ndarray) -> np.ndarray:
    """Which of the sorted positions form the longest chain whose consecutive gaps each differ from the gap
    before by at most WALL_STEP_TOLERANCE of it (a mask; two positions when no three keep step)."""
    count = len(centres)
    length = np.full((count, count), 2, int)  # the longest chain ending with positions i < j
    before = np.full((count, count), -1, int)
    for j in range(count):
        for i in range(j):
            gap = centres[j] - centres[i]
            for k in range(i):
                previous = centres[i] - centres[k]
                if abs(gap - previous) <= WALL_STEP_TOLERANCE * previous and length[k, i] + 1 > length[i, j]:
                    length[i, j], before[i, j] = length[k, i] + 1, k
    chain = np.zeros(count, bool)
    if count < 2:
        chain[:] = True
        return chain
    i, j = (int(index) for index in np.unravel_index(np.argmax(np.triu(length, 1)), length.shape))
    chain[j] = True
    while i >= 0:
        chain[i] = True
        i, j = int(before[i, j]), i
    return chain


def _crossed_by_lines(stats: np.ndarray, labels: np.ndarray) -> bool:
    """Whether ruled lines or a grid show: a mark a line's shortest run wide (a quarter of the page), many times
    wider than high and not solid (digits strung on a ruled line), or twice that long and full of holes (a
    grid), or thin marks lined up along twice that (a faint line broken into pieces). A digit filling the page
    is neither, nor is a desk (solid); a lone ruled line is dropped later as it is.
    """
    if _broken_line(stats, labels.shape):
        return True
    across, down = _line_runs(labels.shape)
    for label in range(1, len(stats)):
        x, y, w, h, area = (int(value) for value in stats[label])
        if w < across and h < down:
            continue
        if w >= across and w >= STRUNG_ASPECT * h and area < SOLID_FILL * w * h:
            return True  # digits strung on a ruled line (a tall 1 is not wide)
        if w < 2 * across and h < 2 * down:
            continue
        component = (labels[y: y + h, x: x + w] == label).astype(np.uint8)
        _, hierarchy = cv2.findContours(component, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hierarchy is not None and int(np.sum(hierarchy[0, :, 3] >= 0)) > GRID_HOLES:
            return True
    return False


def _broken_line(stats: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether at least BROKEN_LINE_PIECES thin marks line up across the page (their centres within
    BROKEN_LINE_ALIGN of the page's side of each other, together spanning twice a line's shortest run): the
    pieces a faint ruled line or grid line breaks into. A row of 1s lies across their length, not along it."""
    boxes = stats[1:].astype(np.int64)
    x, y, w, h = (boxes[:, column] for column in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                                  cv2.CC_STAT_HEIGHT))
    tolerance = max(3.0, BROKEN_LINE_ALIGN * max(shape))
    across, down = _line_runs(shape)
    # vertical pieces (along y, lined up in x), then horizontal ones
    for length, width, start, centre, run in ((h, w, y, x + w / 2, down), (w, h, x, y + h / 2, across)):
        thin = (length >= MIN_MARK_PX) & (width <= LINE_THICKNESS * length)
        if np.count_nonzero(thin) < BROKEN_LINE_PIECES:
            continue
        order = np.argsort(centre[thin])
        centres, starts = centre[thin][order], start[thin][order]
        ends = starts + length[thin][order]
        first = 0
        for last in range(len(centres)):  # windows of pieces within the tolerance of each other across
            while centres[last] - centres[first] > tolerance:
                first += 1
            if (last - first + 1 >= BROKEN_LINE_PIECES
                    and ends[first:last + 1].max() - starts[first:last + 1].min() >= 2 * run):
                return True
    return False


def _enlarge(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A small smooth image brought to (width, height) with bilinear interpolation."""
    return cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)


def _histogram(image: np.ndarray) -> np.ndarray:
    """Counts of each uint8 value."""
    return np.bincount(image.ravel(), minlength=256).astype(np.float64)


def _quantile(counts: np.ndarray, fraction: float) -> float:
    """The value below which `fraction` of a histogram's pixels lie."""
    cumulative = np.cumsum(counts)
    return float(np.searchsorted(cumulative, fraction * cumulative[-1]))


def find_digits(image: np.ndarray, work_side: int = MultiOptions.work_side) -> list[list[DigitRegion]]:
    """Every digit in an image as lines of regions, top to bottom, each left to right ([] when none).

    Args:
        image: a gray, BGR or BGRA uint8 image.
        work_side: marks are found on a copy shrunk by a whole factor until its longest side is at most this
            (pixels); whole factors keep the shrinking fast.
    """
    shape = image.shape
    factor = max(1, -(-max(shape[:2]) // work_side))
    if factor > 1:
        image = cv2.resize(image, (0, 0), fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    work = to_gray(image)
    strength, floor, dark_ink = ink_strength(work)
    labels, stats, lined, taken_out = _ink_pieces(strength, floor)
    marks = _candidate_marks(stats, len(stats), work.shape, lined)
    stroke = _stroke_if_blobs(marks, labels)
    if stroke is not None:
        strength, floor = finer_ink_strength(work, dark_ink, stroke)
        labels, stats, lined, taken_out = _ink_pieces(strength, floor)
        marks = _candidate_marks(stats, len(stats), work.shape, lined)
    if not marks:
        return []
    marks = _drop_odd_shapes(_join_broken_strokes(marks))
    marks = [mark for mark in marks if not _on_dark_ground(mark, work, labels, taken_out)
             and not is_convex_blob(_mark_ink(labels, mark))]  # a glare spot on a blank page, read as light ink
    page = _Page(labels, strength, floor, dark_ink, lined, factor, shape)
    regions = []
    for line in _group_lines(marks):
        line = _in_line_with_digits(line)
        if not line:
            continue
        line = _drop_small_in_line(line)
        median_height = float(np.median([mark.height for mark in line]))
        digit_width = _digit_width(line, median_height)
        regions.append([])
        for mark in line:
            region = _region(mark, page)
            if mark.width > TOUCHING_WIDTH * median_height:
                region = _with_cuts(region, mark, page, median_height, digit_width)
            regions[-1].append(region)
    return regions


def _with_cuts(region: DigitRegion, mark: _Mark, page: _Page, median_height: float, digit_width: float) -> DigitRegion:
    """The region with the ways of cutting its mark into touching digits: as many as its width says, one fewer
    and one more; a mark no wider than SPLIT_WIDTH only in two, where the digits touch (none: as it was)."""
    narrow = mark.width <= SPLIT_WIDTH * median_height
    count = max(2, round(mark.width / digit_width))
    ink = _mark_ink(page.labels, mark)
    cuts = [_split_touching(mark, ink, parts, median_height, curved)
            for parts in ((2,) if narrow else (count, count - 1, count + 1)) if parts >= 2
            for curved in (False, True)]
    cuts = [(pieces, touching) for pieces, touching in cuts if len(pieces) >= 2]
    if narrow:
        cuts = [(pieces, touching) for pieces, touching in cuts if touching]
        if not cuts:
            return region
    return replace(region, sure_split=mark.width > SURE_SPLIT_WIDTH * median_height,
                   width_ratio=mark.width / median_height,
                   splits=tuple(tuple(_region(piece, page) for piece in pieces) for pieces, _ in cuts),
                   touching_cuts=tuple(touching for _, touching in cuts))


def _ink_pieces(strength: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray | None]:
    """The ink's connected components (labels and stats), whether ruled lines, a grid or a form's boxes showed,
    and then what was taken out of the ink (the lines' ink and the boxes' walls; None when nothing was)."""
    ink = ink_mask(strength, floor)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if not _crossed_by_lines(stats, labels):
        return labels, stats, False, None
    walls = _box_walls(stats, labels)
    lines = _line_ink(strength, *_page_angle(stats, labels))
    ink = ink_mask(cv2.subtract(strength, lines), floor)
    ink[walls] = 0
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return labels, stats, True, walls | (lines > floor)


def read_digits(image: np.ndarray, classifier: DigitClassifier, options: MultiOptions = MultiOptions()) -> PageReading:
    """Find and read every digit in an image.

    Args:
        image: a gray, BGR or BGRA uint8 image.
        classifier: the digit model.
        options: work size and the confidence below which a mark is not taken for a digit.

    Returns:
        The reading; an image without digits gives an empty one (text "", no lines).
    """
    start = time.perf_counter()
    lines = []
    for regions in find_digits(image, options.work_side):
        boxes = [box for region in regions for box in _read_region(image, region, classifier)
                 if box.confidence >= options.min_confidence]
        if boxes:
            lines.append(Line("".join(str(box.digit) for box in boxes), tuple(boxes)))
    return PageReading("".join(line.digits for line in lines), tuple(lines), (time.perf_counter() - start) * 1000.0)


def _read_region(image: np.ndarray, region: DigitRegion, classifier: DigitClassifier) -> list[DigitBox]:
    """The digit(s) of one region: the whole mark and each way of cutting it read, then one reading chosen."""
    whole = None if region.sure_split else _read_one(image, region, classifier)
    cuts = [[part for part in (_read_one(image, piece, classifier) for piece in split) if part]
            for split in region.splits]
    return choose_reading(whole, cuts, region.width_ratio, region.touching_cuts)


def choose_reading(whole: DigitBox | None, cuts: list[list[DigitBox]], width_ratio: float,
                   touching_cuts: tuple[bool, ...] = ()) -> list[DigitBox]:
    """The digits of a mark, given the model's reading of it whole (None: not read, or it must be cut) and of
    each way of cutting it (`touching_cuts`: whether that way cuts where digits touch, DigitRegion).

    The cut is the way whose parts are read most surely (geometric mean of their confidences; the first on a
    tie), taken when it is read surely (SPLIT_MIN_CONFIDENCE) and at least as surely as the whole, and the
    whole is not read surely (SURE_WHOLE) or the mark is very wide (`width_ratio`, its width over the line's
    digit height): the model reads halves of a wide 2 or 0 with fair confidence too. Failing that, the best
    way that cuts where digits touch is taken when read surely and at least as surely as the whole. Ties are
    decided alike on every platform (SCORE_TIE).
    """
    touching = touching_cuts or (False,) * len(cuts)
    best, best_score = _surest(cuts)
    if best is None:
        return [whole] if whole else []
    if whole is None:
        return best
    surely_enough = max(_log_confidence([whole]) - SCORE_TIE, np.log(SPLIT_MIN_CONFIDENCE))
    if best_score >= surely_enough and (whole.confidence < SURE_WHOLE or width_ratio > LIKELY_SPLIT_WIDTH):
        return best
    where_touching, score = _surest([parts for parts, at_touch in zip(cuts, touching) if at_touch])
    if where_touching is not None and score >= surely_enough:
        return where_touching
    return [whole]


def _surest(cuts: list[list[DigitBox]]) -> tuple[list[DigitBox] | None, float]:
    """The way of cutting (of at least two parts read) whose parts are read most surely, the first on a tie,
    and its mean log-confidence; (None, -inf) when there is none."""
    best, best_score = None, -np.inf
    for parts in cuts:
        if len(parts) >= 2:
            score = _log_confidence(parts)
            if score > best_score + SCORE_TIE:
                best, best_score = parts, score
    return best, best_score


def _log_confidence(boxes: list[DigitBox]) -> float:
    """The mean log-confidence of digits read (the log of their confidences' geometric mean)."""
    return float(np.mean([np.log(max(box.confidence, 1e-6)) for box in boxes]))


def _read_one(image: np.ndarray, region: DigitRegion, classifier: DigitClassifier) -> DigitBox | None:
    """The model's reading of one region (None when the preprocessing finds no digit in it)."""
    crop = digit_crop(image, region)
    if region.clear_ink:
        crop = _with_contrast(crop, FAINT_CROP_CONTRAST)
    model_input = to_mnist(crop, dark_ink=region.dark_ink)
    if model_input is None:
        return None
    prediction = classifier.predict(model_input)
    return DigitBox(*region.box, prediction.digit, prediction.confidence)


def _with_contrast(crop: np.ndarray, contrast: float) -> np.ndarray:
    """A gray crop whose tones, darkest to brightest, span less than `contrast` (a fraction of 255), stretched
    about its median (the paper) toward it by at most MAX_CONTRAST_GAIN; other crops as they are."""
    low, high, _, _ = cv2.minMaxLoc(crop)
    if high - low >= contrast * 255 or high <= low:
        return crop
    gain = min(MAX_CONTRAST_GAIN, contrast * 255 / (high - low))
    paper = float(np.median(crop))
    return np.clip(paper + (crop.astype(np.float32) - paper) * gain, 0, 255).astype(np.uint8)


def digit_crop(image: np.ndarray, region: DigitRegion) -> np.ndarray:
    """The digit cut from the full-resolution image, in gray, with a margin and everything but its own ink blanked.

    Pixels away from the digit's ink (neighbours' strokes reaching into the margin) take the paper's tone.
    The crop is shrunk to at most CROP_HEIGHT first: the model sees 20 pixels anyway.
    """
    x, y, w, h = region.box
    pad = max(2, round(CROP_PAD * h))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(image.shape[1], x + w + pad), min(image.shape[0], y + h + pad)
    crop = to_gray(image[y0:y1, x0:x1])
    factor = min(1.0, CROP_HEIGHT / crop.shape[0])
    if factor < 1.0:
        crop = cv2.resize(crop, (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor))),
                          interpolation=cv2.INTER_AREA)
    # the ink mask, grown by about a stroke so anti-aliased edges stay, at the crop's resolution
    grow = max(1, round(0.06 * region.mask.shape[0]))
    mask = cv2.dilate(region.mask.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    keep = np.zeros(crop.shape, np.uint8)
    left, top = round((x - x0) * factor), round((y - y0) * factor)
    width = min(crop.shape[1] - left, max(1, round(w * factor)))
    height = min(crop.shape[0] - top, max(1, round(h * factor)))
    keep[top:top + height, left:left + width] = cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST)
    if keep.all():
        return crop
    paper = np.uint8(np.median(crop[keep == 0]))
    return np.where(keep > 0, crop, paper)


def _candidate_marks(stats: np.ndarray, count: int, shape: tuple[int, int], lined: bool) -> list[_Mark]:
    """Components large enough to matter, without those at the image's edge that cannot be digits.

    A mark touching the edge is kept only when it is made of strokes (not a desk beyond the paper, which is
    solid) and does not span the image (a frame around the page). Unless the writing fills the image's height
    (a tight crop), it is marked `cut_by_frame`: a digit of a number cropped close, or a sliver of the paper's
    edge or of other writing, which only the lines can tell apart (`_in_line_with_digits`). On a page whose
    ruled lines or grid were taken out (`lined`) it is dropped: what is left of a line at the edge looks like
    such a digit.
    """
    height, width = shape
    marks = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if max(w, h) < MIN_MARK_PX // 2 or area < MIN_MARK_PX:
            continue
        if w >= h and area > SLAB_FILL * w * h:
            continue  # a solid slab (a strip of desk below the sheet, a phone): no digit as wide is solid
        touches_edge = x == 0 or y == 0 or x + w == width or y + h == height
        spans_image = w > FRAME_SPAN * width and h > FRAME_SPAN * height
        if touches_edge and (area > SOLID_FILL * w * h or spans_image):
            continue
        cut_by_frame = touches_edge and h < TIGHT_CROP_HEIGHT * height
        if cut_by_frame and lined:
            continue
        marks.append(_Mark(x, y, x + w, y + h, (label,), touches_edge, cut_by_frame))
    return marks


def _stroke_if_blobs(marks: list[_Mark], labels: np.ndarray) -> float | None:
    """The page's typical stroke width (px, the median of the marks' thickness) when some mark is BLOB_STROKES
    times thicker (a shadow or a smudge taken for ink), else None. Marks under two MIN_MARK_PX (specks) and
    marks cut by the frame do not count."""
    widths = [thickness(_mark_ink(labels, mark)) for mark in marks
              if mark.height >= 2 * MIN_MARK_PX and not mark.cut_by_frame]
    if not widths:
        return None
    stroke = float(np.median(widths))
    return stroke if max(widths) > BLOB_STROKES * stroke else None


def _typical_height(marks: list[_Mark], quantile: float = 0.5) -> float:
    """The height of a typical digit: the median (or another quantile) of the heights weighted by the box's
    short side, so that specks and ruled lines barely count and one big dark thing (a pen, a shadow's band)
    counts like one digit, not like a row of them; marks at the image's edge (a paper edge, or a tight crop)
    count only if there is nothing else."""
    marks = [mark for mark in marks if not mark.at_edge] or marks
    heights = np.array([mark.height for mark in marks], float)
    weights = np.array([min(mark.width, mark.height) for mark in marks], float)
    order = np.argsort(heights)
    cumulative = np.cumsum(weights[order])
    return float(heights[order][np.searchsorted(cumulative, quantile * cumulative[-1])])


def _join_broken_strokes(marks: list[_Mark]) -> list[_Mark]:
    """Join pieces of one digit: overlapping horizontally, close vertically, together no taller than a digit.

    The digit height is taken high (the upper quartile): when most digits are broken, the median is a piece's.
    """
    reference = _typical_height(marks, JOIN_REFERENCE_QUANTILE)
    joined = True
    while joined:
        joined = False
        marks.sort(key=lambda mark: mark.x0)
        for i, first in enumerate(marks):
            for j in range(i + 1, len(marks)):
                second = marks[j]
                if second.x0 >= first.x1:
                    break
                overlap = min(first.x1, second.x1) - max(first.x0, second.x0)
                gap = max(first.y0, second.y0) - min(first.y1, second.y1)
                height = max(first.y1, second.y1) - min(first.y0, second.y0)
                if (overlap >= 0.5 * min(first.width, second.width) and gap <= JOIN_GAP * reference
                        and height <= JOIN_HEIGHT * reference):
                    marks[i] = _Mark(min(first.x0, second.x0), min(first.y0, second.y0), max(first.x1, second.x1),
                                     max(first.y1, second.y1), first.labels + second.labels,
                                     first.at_edge or second.at_edge, first.cut_by_frame or second.cut_by_frame)
                    del marks[j]
                    joined = True
                    break
            if joined:
                break
    return marks


def _drop_odd_shapes(marks: list[_Mark]) -> list[_Mark]:
    """Drop specks, ruled lines and very tall marks, relative to the typical digit height."""
    if not marks:
        return marks
    reference = _typical_height(marks)
    kept = []
    for mark in marks:
        if mark.height < max(MIN_MARK_PX, SPECK_HEIGHT * reference) or mark.height > TOO_TALL * reference:
            continue
        if mark.height < LINE_THICKNESS * reference and mark.width > LINE_LENGTH * reference:
            continue
        kept.append(mark)
    return kept


def _on_dark_ground(mark: _Mark, work: np.ndarray, labels: np.ndarray, taken_out: np.ndarray | None = None) -> bool:
    """Whether a mark borders a region as dark as its ink: the edge of a table or a dark frame beyond the paper,
    not a stroke on paper. Ink has paper all around it; such a sliver has the dark region on one side. Ruled
    lines and box walls that were taken out (`taken_out`) are not ground: a digit in a form's box is near them."""
    pad = max(2, round(GROUND_RING * mark.height))
    y0, y1 = max(0, mark.y0 - pad), min(work.shape[0], mark.y1 + pad)
    x0, x1 = max(0, mark.x0 - pad), min(work.shape[1], mark.x1 + pad)
    around = work[y0:y1, x0:x1]
    own = _mark_ink(labels, mark, (x0, y0, x1, y1))
    ring = np.ones(around.shape, bool)
    ring[mark.y0 - y0: mark.y1 - y0, mark.x0 - x0: mark.x1 - x0] = False
    other = (labels[y0:y1, x0:x1] > 0) & ~own  # neighbours' ink is not ground
    if taken_out is not None:
        other |= taken_out[y0:y1, x0:x1]
    ground = around[ring & ~other]
    if not own.any() or ground.size == 0:
        return False
    ink_level = float(np.median(around[own]))
    paper_level = float(np.median(around[~own & ~other]))
    # near the ink's level, not merely past the middle: in a lamp's glare the paper beyond the bright spot is
    # darker than the middle between the washed-out ink and the white paper around it, without being ground
    level = ink_level + DARK_GROUND_LEVEL * (paper_level - ink_level)
    like_ink = ground < level if ink_level < paper_level else ground > level
    return float(np.mean(like_ink)) > DARK_GROUND_FRACTION


def _group_lines(marks: list[_Mark]) -> list[list[_Mark]]:
    """Lines of marks, top to bottom, each left to right; a mark continues the line whose last mark it overlaps
    most vertically once the writing's slope is taken out (a turned photo), so slanted lines stay together."""
    slope = _writing_slope(marks)

    def level(mark: _Mark) -> float:  # how far down the mark is, measured across the slanted lines
        return slope * (mark.x0 + mark.x1) / 2

    lines: list[list[_Mark]] = []
    for mark in sorted(marks, key=lambda m: m.x0):
        best, best_overlap = None, LINE_OVERLAP
        for line in lines:
            last = line[-1]
            shift = level(mark) - level(last)  # where the last mark's line passes at this mark
            overlap = (min(last.y1 + shift, mark.y1) - max(last.y0 + shift, mark.y0)) / min(last.height, mark.height)
            if overlap >= best_overlap:
                best, best_overlap = line, overlap
        if best is None:
            lines.append([mark])
        else:
            best.append(mark)
    lines.sort(key=lambda line: float(np.median([(m.y0 + m.y1) / 2 - level(m) for m in line])))
    return lines


def _writing_slope(marks: list[_Mark]) -> float:
    """The slope (dy/dx) of the lines of writing: the median direction from each mark to its nearest neighbour
    on the right, among neighbours less than WRITING_GAP digit heights away and less than MAX_SLOPE off level
    (0 when there are no such pairs)."""
    slopes = []
    for mark in marks:
        centre_x, centre_y = (mark.x0 + mark.x1) / 2, (mark.y0 + mark.y1) / 2
        nearest = None
        for other in marks:
            dx = (other.x0 + other.x1) / 2 - centre_x
            dy = (other.y0 + other.y1) / 2 - centre_y
            if 0 < dx <= WRITING_GAP * max(mark.height, other.height) and abs(dy) <= MAX_SLOPE * dx:
                if nearest is None or dx < nearest[0]:
                    nearest = (dx, dy)
        if nearest is not None:
            slopes.append(nearest[1] / nearest[0])
    return float(np.median(slopes)) if slopes else 0.0


def _in_line_with_digits(line: list[_Mark]) -> list[_Mark]:
    """The line without its marks cut by the frame, unless it holds digits clear of the edge and such a mark
    stands nearly as tall as they do (EDGE_DIGIT_HEIGHT): then it is the number's first or last digit, cropped
    close, not a sliver of something else at the edge."""
    clear = [mark.height for mark in line if not mark.cut_by_frame]
    if not clear:
        return []
    least = EDGE_DIGIT_HEIGHT * float(np.median(clear))
    return [mark for mark in line if not mark.cut_by_frame or mark.height >= least]


def _drop_small_in_line(line: list[_Mark]) -> list[_Mark]:
    """Drop dots and dashes: marks much shorter than the line's digits."""
    median_height = float(np.median([mark.height for mark in line]))
    return [mark for mark in line if mark.height >= MIN_HEIGHT_IN_LINE * median_height]


def _digit_width(line: list[_Mark], median_height: float) -> float:
    """The width of one digit in this line, for counting touching digits: the median of the narrow marks."""
    narrow = [mark.width for mark in line if mark.width <= SPLIT_WIDTH * median_height]
    low, high = DIGIT_WIDTH_RANGE
    return float(np.clip(np.median(narrow) if narrow else high * median_height,
                         low * median_height, high * median_height))


def _split_touching(mark: _Mark, ink: np.ndarray, parts: int, median_height: float,
                    curved: bool = False) -> tuple[list[_Mark], bool]:
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
        pieces.append(_Mark(mark.x0 + first, mark.y0 + top, mark.x0 + last, mark.y0 + bottom, mark.labels,
                            mark.at_edge, mark.cut_by_frame, own[top:bottom, first:last]))
    touching = (all(_strokes_crossed(ink, path) <= 1 for path in paths[1:-1])
                and all(piece.height >= TOUCHING_PART_HEIGHT * median_height for piece in pieces))
    if curved and not (touching and _apart(pieces)):
        return [], False  # a path that found no better place than a straight cut, or wound into one digit
    return pieces, touching


def _apart(pieces: list[_Mark]) -> bool:
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


def _mark_ink(labels: np.ndarray, mark: _Mark, window: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The mark's own ink (its components) over a window (x0, y0, x1, y1) of the label image, its box by default."""
    x0, y0, x1, y1 = window or (mark.x0, mark.y0, mark.x1, mark.y1)
    crop = labels[y0:y1, x0:x1]
    own = np.zeros(max(mark.labels) + 1, bool)  # a lookup table: faster than np.isin on every pixel
    own[list(mark.labels)] = True
    return own[np.minimum(crop, len(own) - 1)] & (crop <= max(mark.labels))


def _region(mark: _Mark, page: _Page) -> DigitRegion:
    """The digit's box in the original image, its ink mask on the downscaled copy, whether its ink is clear
    and the page's polarity."""
    x, y = mark.x0 * page.factor, mark.y0 * page.factor
    box = (x, y, min(mark.width * page.factor, page.shape[1] - x), min(mark.height * page.factor, page.shape[0] - y))
    mask = _mark_ink(page.labels, mark) if mark.own_ink is None else mark.own_ink
    ink = page.strength[mark.y0:mark.y1, mark.x0:mark.x1][mask]
    clear_ink = not page.lined and ink.size > 0 and float(np.median(ink)) >= CLEAR_INK * page.floor
    return DigitRegion(box, (mark.x0, mark.y0, mark.x1, mark.y1), mask, page.factor, page.dark_ink, clear_ink)
